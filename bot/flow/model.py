"""The flow file schema: what NGO staff write in flows/*.yaml.

Every text field holds a catalog key (see locales/), never prose. A minimal flow::

    format: 1
    id: triage
    start: welcome
    nodes:
      welcome: {type: say, text: welcome.body, next: safe}
      safe:
        type: ask
        text: safe.question
        summary: safe.summary
        options:
          - {id: yes, label: safe.yes, next: done}
          - {id: unsure, label: common.unsure, next: done}
      done: {type: end, text: end.body}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.flow import conditions

FORMAT_VERSION = 1
OPTION_ID = r"^[a-z0-9][a-z0-9_-]{0,23}$"
NODE_ID = r"^[a-z][a-z0-9_]{0,39}$"
KEY = r"^[a-z0-9][a-z0-9_.-]*[a-z0-9]$"

Crisis = Literal["danger", "selfharm"]
OptionEffect = Literal["keep_case", "handoff", "restart", "quick_exit", "end"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


Condition = dict[str, Any]


def _check_condition(value: Condition | None) -> Condition | None:
    if value is not None:
        conditions.validate(value)
    return value


class Variant(_Strict):
    """One wording of a text, used when its condition holds (first match wins)."""

    key: Annotated[str, Field(pattern=KEY)]
    when: Condition | None = None

    _cond = field_validator("when")(_check_condition)


TextSpec = Annotated[str, Field(pattern=KEY)] | list[Variant]


class Option(_Strict):
    id: Annotated[str, Field(pattern=OPTION_ID)]
    label: Annotated[str, Field(pattern=KEY)]
    next: str | None = None
    show_if: Condition | None = None
    crisis: Crisis | None = None
    crisis_for: Literal["self", "other"] = "self"  # "other": a helper, about the one they help
    effect: OptionEffect | None = None

    _cond = field_validator("show_if")(_check_condition)


class _Node(_Strict):
    skip_if: Condition | None = None

    _cond = field_validator("skip_if")(_check_condition)


class Say(_Node):
    """One message of one or more paragraphs."""

    type: Literal["say"]
    text: list[TextSpec]
    next: str

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Ask(_Node):
    type: Literal["ask"]
    text: TextSpec
    summary: Annotated[str, Field(pattern=KEY)] | None = None
    options: list[Option] = Field(default_factory=list)
    options_from: Literal["countries", "sections"] | None = None
    options_after: str | None = None  # the option after which options_from's buttons go
    multi: bool = False
    progress: bool = True
    next: str | None = None
    save_as: str | None = None


class Input(_Node):
    type: Literal["input"]
    text: TextSpec
    summary: Annotated[str, Field(pattern=KEY)] | None = None
    max_length: Annotated[int, Field(ge=1, le=2000)] = 500
    next: str
    save_as: str | None = None


class Route(_Strict):
    when: Condition
    next: str

    _cond = field_validator("when")(_check_condition)


class Branch(_Node):
    type: Literal["route"]
    routes: list[Route]
    default: str


class Selector(_Strict):
    """Which resources a results section lists, from the survivor's country and global ones."""

    ids: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    not_tags: list[str] = Field(default_factory=list)
    # At least one of these tags (tags: all of them; not_tags: none of them).
    any_tags: list[str] = Field(default_factory=list)
    # Only services whose `images` audience is one of these: [any, adult] leaves out the
    # services only for images made under 18 without leaving out those for every age.
    images: list[Literal["minor", "adult", "any"]] = Field(default_factory=list)
    limit: Annotated[int, Field(ge=1, le=20)] = 6
    fallback: Selector | None = None  # tried when this selection finds nothing


class Section(_Strict):
    id: Annotated[str, Field(pattern=NODE_ID)]
    when: Condition | None = None
    title: Annotated[str, Field(pattern=KEY)] | None = None
    text: list[TextSpec] = Field(default_factory=list)
    resources: Selector | None = None
    fold: str | None = None  # the button (a Fold id) that opens it; none: on the first screen

    @field_validator("optional")
    @classmethod
    def _optional(cls, value: bool | Condition) -> bool | Condition:
        if isinstance(value, dict):
            conditions.validate(value)
        return value

    # May list no service (then it is left out, heading and all): true, or a condition on
    # the answers, such as {country: other}. Otherwise `flows check` fails on an empty one.
    optional: bool | Condition = False

    _cond = field_validator("when")(_check_condition)

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Lead(_Strict):
    """The one next step that opens the results ("Start here"); the first that holds wins."""

    when: Condition | None = None
    text: list[TextSpec] = Field(default_factory=list)
    resources: Selector | None = None

    _cond = field_validator("when")(_check_condition)

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Fold(_Strict):
    """A button under the results that opens the sections carrying its id."""

    id: Annotated[str, Field(pattern=OPTION_ID)]
    label: Annotated[str, Field(pattern=KEY)]


class Order(_Strict):
    """Services that go first wherever they are listed, when the condition holds (every
    rule that holds applies, in file order): how an NGO orders services by country and
    audience."""

    when: Condition | None = None
    first: list[str] = Field(min_length=1)

    _cond = field_validator("when")(_check_condition)


class Results(_Node):
    type: Literal["results"]
    text: TextSpec
    lead: list[Lead] = Field(default_factory=list)
    order: list[Order] = Field(default_factory=list)
    folds: list[Fold] = Field(default_factory=list)
    sections: list[Section]
    next: str


class Handoff(_Node):
    """Hand the conversation to hotline staff, or show the hotlines when no staff chat exists."""

    type: Literal["handoff"]
    next: str


class End(_Node):
    type: Literal["end"]
    text: TextSpec


Node = Annotated[Say | Ask | Input | Branch | Results | Handoff | End, Field(discriminator="type")]


class Audiences(_Strict):
    """How answers tell the age groups that decide routing (a condition for each)."""

    images_minor: Condition | None = None  # the person shown was under 18 when made
    images_adult: Condition | None = None
    users_minor: Condition | None = None  # the person asking is under 18 now
    users_adult: Condition | None = None
    asker_self: Condition | None = None  # the person shown is the one asking
    asker_helper: Condition | None = None  # a parent or friend asks for them

    _cond = field_validator("*")(_check_condition)


class Entry(_Strict):
    """Nodes that commands jump to."""

    human: str | None = None


class Flow(_Strict):
    format: Literal[1]
    id: Annotated[str, Field(pattern=NODE_ID)]
    start: str
    entry: Entry = Entry()
    audience: Audiences = Audiences()
    nodes: dict[Annotated[str, Field(pattern=NODE_ID)], Node]

    def answer_name(self, node_id: str) -> str:
        node = self.nodes[node_id]
        return getattr(node, "save_as", None) or node_id

    def questions(self) -> list[str]:
        return [nid for nid, n in self.nodes.items() if isinstance(n, Ask | Input)]
