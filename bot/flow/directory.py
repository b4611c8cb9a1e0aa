"""The resource directory: services survivors are routed to, as data under flows/resources/.

One file per country (ISO 3166-1 alpha-2, lower case) plus global.yaml. Example::

    country: US
    emergency:                  # one or more numbers; the first is the main one
      - {number: "911", for: all, verified: true, sources: [https://...]}
    crisis:                     # resource ids, from this file or global.yaml
      danger: [us-rainn]        # police, domestic- and sexual-violence lines
      selfharm: [us-988]        # suicide and crisis lines
      danger_minors: []         # shown first to someone under 18 now
      selfharm_minors: []
    resources:
      - id: us-988
        name: 988 Suicide & Crisis Lifeline
        tags: [crisis]
        contacts: [{kind: phone, value: "988"}, {kind: sms, value: "988"}]
        always_open: true
        sources: [https://...]
        verified: true
        checked: 2026-11

A resource may say who uses it: `asker: self` (the person shown, such as a young person's own
report tool; a parent or friend still sees it, marked as one for them to use themselves) or
`asker: helper` (parents and friends only, never shown to the survivor themself); the flow's
`audience` says which answers make someone one or the other.

`for` says what an emergency number is for: police, ambulance, fire or all (or a list, such
as [ambulance, fire]); the crisis screens label each number with it. The danger screen shows
every emergency number and then the danger lines; the self-harm screen shows the main
(first) emergency number and then the self-harm lines. `helpline flows check` refuses a
country without an emergency number, a danger line or a self-harm line. global.yaml has no
emergency number; its `crisis` lists are what someone sees before their country is known.

Names stay exactly as the services publish them (a mapping of language to name when there
is more than one); what a service does is a catalog key (`res.<id>` unless `description` says
otherwise). `verified: false` marks what the research could only find second-hand or from
memory; it must be confirmed before release.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.flow import conditions
from bot.flow.yamlsrc import Located, YamlError, load_located

GLOBAL = "global"
TAGS = frozenset(
    {
        "takedown",
        "hashing",
        "search",
        "platform",
        "legal",
        "support",
        "crisis",
        "minors",
        "sextortion",
        "police",
        "report",
        "dv",
        "emergency",
        "payment",  # report a scammer's or site's payment account
        "appstore",  # report a nudify or deepfake app, or its host
        "security",  # account and device security
    }
)
Audience = Literal["minor", "adult", "any"]
# Who uses a service: the person shown themself (a young person's own report tool), or a
# parent or friend helping them (a parents' line). "any": either.
Asker = Literal["self", "helper", "any"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Contact(_Strict):
    kind: Literal["phone", "sms", "web", "email", "chat", "app"]
    value: Annotated[str, Field(min_length=1, max_length=200)]
    keyword: str | None = None  # "text TALK to 686868"
    verified: bool | None = None  # overrides the resource's flag for this contact


Service = Literal["police", "ambulance", "fire", "all"]
NEEDS = ("danger", "selfharm")


def _everything() -> list[Service]:
    return ["all"]


class Emergency(_Strict):
    model_config = ConfigDict(
        extra="forbid", frozen=True, hide_input_in_errors=True, populate_by_name=True
    )

    number: Annotated[str, Field(min_length=1, max_length=40)]
    serves: list[Service] = Field(default_factory=_everything, alias="for", min_length=1)
    verified: bool
    sources: list[str] = Field(min_length=1)
    note: str | None = None

    @field_validator("serves", mode="before")
    @classmethod
    def _one_or_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class CrisisLines(_Strict):
    """Resource ids shown on the crisis screens, per need; minors' lines come first for
    someone under 18 now."""

    danger: list[str] = Field(default_factory=list)
    selfharm: list[str] = Field(default_factory=list)
    danger_minors: list[str] = Field(default_factory=list)
    selfharm_minors: list[str] = Field(default_factory=list)

    def lines(self, need: str, minor: bool) -> list[str]:
        """The ids for one need ("danger" or "selfharm"), minors' lines first if `minor`."""
        own: list[str] = getattr(self, need)
        young: list[str] = getattr(self, f"{need}_minors") if minor else []
        return list(dict.fromkeys([*young, *own]))


class Resource(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
    name: str | dict[str, str]
    tags: list[str] = Field(min_length=1)
    images: Audience = "any"  # age of the person shown when the images were made
    users: Audience = "any"  # current age of the person asking for help
    asker: Asker = "any"  # self: the person shown uses it; helper: only parents and friends
    contacts: list[Contact] = Field(min_length=1)
    always_open: bool = False
    languages: list[str] = Field(default_factory=list)
    description: str | None = None
    # The card's text for a parent or friend, when the service's own text speaks to the
    # person shown ("taken before you were 18"): a catalog key.
    description_helper: str | None = None
    extra: list[str] = Field(default_factory=list)
    show_if: dict[str, Any] | None = None  # a condition on the survivor's answers
    sources: list[str] = Field(min_length=1)
    verified: bool
    checked: str | dt.date
    note: str | None = None

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: list[str]) -> list[str]:
        unknown = sorted(set(tags) - TAGS)
        if unknown:
            raise ValueError(f"unknown tags {unknown}; known: {sorted(TAGS)}")
        return tags

    @field_validator("show_if")
    @classmethod
    def _condition(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            conditions.validate(value)
        return value

    @property
    def description_key(self) -> str:
        return self.description or f"res.{self.id}"

    def display_name(self, locale_chain: Sequence[str]) -> str:
        if isinstance(self.name, str):
            return self.name
        for loc in locale_chain:
            if loc in self.name:
                return self.name[loc]
        return self.name.get("en") or next(iter(self.name.values()))

    def contact_verified(self, contact: Contact) -> bool:
        return self.verified if contact.verified is None else contact.verified


class CountryFile(_Strict):
    country: Annotated[str, Field(pattern=r"^([A-Z]{2}|global)$")]
    emergency: list[Emergency] = Field(default_factory=list)
    crisis: CrisisLines = Field(default_factory=CrisisLines)
    resources: list[Resource] = Field(default_factory=list)

    @field_validator("emergency", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value

    @field_validator("crisis", mode="before")
    @classmethod
    def _per_need(cls, value: object) -> object:
        if isinstance(value, list):
            raise ValueError(
                "crisis lists lines per need: {danger: [...], selfharm: [...]} "
                "(optionally danger_minors and selfharm_minors)"
            )
        return value


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # "US", or "global"
    emergency: tuple[Emergency, ...]  # the first is the main one
    crisis: CrisisLines
    resources: tuple[Resource, ...]
    file: str
    lines: dict[str, int] = field(default_factory=dict)  # "crisis.danger" -> line, for checks

    @property
    def option_id(self) -> str:
        return self.code.lower()

    @property
    def name_key(self) -> str:
        return f"country.{self.option_id}"


class DirectoryError(Exception):
    def __init__(self, problems: list[YamlError]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Directory:
    countries: dict[str, Country]  # keyed by option id ("us", "global")
    resources: dict[str, Resource]
    origin: dict[str, str]  # resource id -> country option id

    @property
    def global_(self) -> Country:
        return self.countries[GLOBAL]

    def national(self) -> list[Country]:
        return [c for cid, c in sorted(self.countries.items()) if cid != GLOBAL]

    def country(self, option_id: str | None) -> Country | None:
        if not option_id or option_id == GLOBAL:
            return None
        return self.countries.get(option_id)

    def select(
        self,
        *,
        country: str | None,
        ids: Iterable[str] = (),
        tags: Iterable[str] = (),
        not_tags: Iterable[str] = (),
        any_tags: Iterable[str] = (),
        only_images: Iterable[Audience] = (),
        facts: conditions.Facts | None = None,
        images: Audience = "any",
        users: Audience = "any",
        asker: Asker = "any",
        limit: int = 6,
    ) -> list[Resource]:
        """Resources for one section: the survivor's country first, then global ones.

        Services for adults' images never reach someone whose images were taken under 18,
        and services only for minors' images never reach an adult's case.
        """
        home = self.country(country)
        pool = [*(home.resources if home else ()), *self.global_.resources]
        wanted_ids = list(ids)
        wanted_tags, unwanted, some = set(tags), set(not_tags), set(any_tags)
        if wanted_ids:
            by_id = {r.id: r for r in pool}
            chosen = [by_id[i] for i in wanted_ids if i in by_id]
        else:
            chosen = [
                r
                for r in pool
                if wanted_tags <= set(r.tags)
                and not unwanted & set(r.tags)
                and (not some or some & set(r.tags))
            ]
        kinds = set(only_images)
        if kinds:
            chosen = [r for r in chosen if r.images in kinds]
        return [
            r
            for r in chosen
            if fits(r, images, users, asker)
            and (r.show_if is None or conditions.holds(r.show_if, facts or {}))
        ][:limit]


def fits(r: Resource, images: Audience, users: Audience, asker: Asker = "any") -> bool:
    """Services for young people are shown only to someone known to be under 18 now; a
    parents' and friends' service never to the survivor themself. A service the survivor
    uses themself reaches a helper too (the card says it is for them to use): its `users`
    speaks of the survivor, whose age now a helper is not asked."""
    if images != "any" and r.images not in ("any", images):
        return False
    if r.asker == "helper" and asker == "self":
        return False
    if r.asker == "self" and asker == "helper":
        return True
    if r.users == "minor":
        return users == "minor"
    return not (users == "minor" and r.users == "adult")


def load_directory(folder: Path) -> Directory:
    problems: list[YamlError] = []
    countries: dict[str, Country] = {}
    resources: dict[str, Resource] = {}
    origin: dict[str, str] = {}
    lists: dict[str, Located] = {}
    files = sorted(folder.glob("*.yaml"))
    for path in files:
        shown = _display(path)
        try:
            located = load_located(path, shown)
            parsed = CountryFile.model_validate(located.data)
        except YamlError as exc:
            problems.append(exc)
            continue
        except ValidationError as exc:
            problems.extend(_validation_problems(located, exc))
            continue
        expected = GLOBAL if parsed.country == GLOBAL else parsed.country.lower()
        if path.stem != expected:
            problems.append(
                YamlError(
                    shown, 1, f"file for country {parsed.country} must be named {expected}.yaml"
                )
            )
        for i, res in enumerate(parsed.resources):
            if res.id in resources:
                line = located.line(("resources", i, "id"))
                problems.append(
                    YamlError(
                        shown, line, f"resource id '{res.id}' is also used in {origin[res.id]}"
                    )
                )
            resources[res.id] = res
            origin[res.id] = expected
        countries[expected] = Country(
            parsed.country,
            tuple(parsed.emergency),
            parsed.crisis,
            tuple(parsed.resources),
            shown,
            {
                where: located.line(tuple(where.split("."))) or 1
                for where in ("country", "emergency", "crisis.danger", "crisis.selfharm")
            },
        )
        lists[expected] = located
    problems.extend(_unknown_lines(countries, lists, origin))
    if not files:
        problems.append(YamlError(str(folder), None, "no resource files (*.yaml) found"))
    elif GLOBAL not in countries and not problems:
        problems.append(YamlError(str(folder), None, "global.yaml is missing"))
    if problems:
        raise DirectoryError(problems)
    return Directory(countries, resources, origin)


def _unknown_lines(
    countries: dict[str, Country], located: dict[str, Located], origin: dict[str, str]
) -> list[YamlError]:
    """Crisis lists may name resources of their own file or of global.yaml, nothing else."""
    out = []
    for cid, country in countries.items():
        for need in CrisisLines.model_fields:
            for j, rid in enumerate(getattr(country.crisis, need)):
                if origin.get(rid) not in (cid, GLOBAL):
                    where = "another country's file" if rid in origin else "no file"
                    out.append(
                        YamlError(
                            country.file,
                            located[cid].line(("crisis", need, j)),
                            f"crisis.{need}: unknown resource '{rid}' (it is in {where}; "
                            "use an id from this file or global.yaml)",
                        )
                    )
    return out


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _validation_problems(located: Located, exc: ValidationError) -> list[YamlError]:
    out = []
    for err in exc.errors(include_input=False):
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top)"
        out.append(YamlError(located.file, located.line(loc), f"{where}: {err['msg']}"))
    return out
