"""The resource directory: services survivors are routed to, as data under flows/resources/.

One file per country (ISO 3166-1 alpha-2, lower case) plus global.yaml. Example entry::

    country: US
    emergency: {number: "911", verified: true, sources: [https://...]}
    crisis: [us-988]
    resources:
      - id: us-988
        name: 988 Suicide & Crisis Lifeline
        tags: [crisis]
        contacts: [{kind: phone, value: "988"}, {kind: sms, value: "988"}]
        always_open: true
        sources: [https://...]
        verified: true
        checked: 2026-11

Names stay exactly as the services publish them; what a service does is a catalog key
(`res.<id>` unless `description` says otherwise). `verified: false` marks what the research
could only find second-hand or from memory; it must be confirmed before release.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    }
)
Audience = Literal["minor", "adult", "any"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Contact(_Strict):
    kind: Literal["phone", "sms", "web", "email", "chat", "app"]
    value: Annotated[str, Field(min_length=1, max_length=200)]
    keyword: str | None = None  # "text TALK to 686868"
    verified: bool | None = None  # overrides the resource's flag for this contact


class Emergency(_Strict):
    number: str
    verified: bool
    sources: list[str] = Field(min_length=1)
    note: str | None = None


class Resource(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
    name: str | dict[str, str]
    tags: list[str] = Field(min_length=1)
    images: Audience = "any"  # age of the person shown when the images were made
    users: Audience = "any"  # current age of the person asking for help
    contacts: list[Contact] = Field(min_length=1)
    always_open: bool = False
    languages: list[str] = Field(default_factory=list)
    description: str | None = None
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
    emergency: Emergency | None = None
    crisis: list[str] = Field(default_factory=list)
    crisis_minors: list[str] = Field(default_factory=list)
    resources: list[Resource] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # "US", or "global"
    emergency: Emergency | None
    crisis: tuple[str, ...]
    crisis_minors: tuple[str, ...]
    resources: tuple[Resource, ...]
    file: str

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
        facts: conditions.Facts | None = None,
        images: Audience = "any",
        users: Audience = "any",
        limit: int = 6,
    ) -> list[Resource]:
        """Resources for one section: the survivor's country first, then global ones.

        Services for adults' images never reach someone whose images were taken under 18,
        and services only for minors' images never reach an adult's case.
        """
        home = self.country(country)
        pool = [*(home.resources if home else ()), *self.global_.resources]
        wanted_ids = list(ids)
        wanted_tags, unwanted = set(tags), set(not_tags)
        if wanted_ids:
            by_id = {r.id: r for r in pool}
            chosen = [by_id[i] for i in wanted_ids if i in by_id]
        else:
            chosen = [r for r in pool if wanted_tags <= set(r.tags) and not unwanted & set(r.tags)]
        return [
            r
            for r in chosen
            if _fits(r, images, users)
            and (r.show_if is None or conditions.holds(r.show_if, facts or {}))
        ][:limit]


def _fits(r: Resource, images: Audience, users: Audience) -> bool:
    """Services for young people are shown only to someone known to be under 18 now."""
    if images != "any" and r.images not in ("any", images):
        return False
    if r.users == "minor":
        return users == "minor"
    return not (users == "minor" and r.users == "adult")


def load_directory(folder: Path) -> Directory:
    problems: list[YamlError] = []
    countries: dict[str, Country] = {}
    resources: dict[str, Resource] = {}
    origin: dict[str, str] = {}
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
        for field in ("crisis", "crisis_minors"):
            own = {r.id for r in parsed.resources}
            for j, rid in enumerate(getattr(parsed, field)):
                if rid not in own:
                    problems.append(
                        YamlError(
                            shown,
                            located.line((field, j)),
                            f"{field}: no resource '{rid}' in this file",
                        )
                    )
        countries[expected] = Country(
            parsed.country,
            parsed.emergency,
            tuple(parsed.crisis),
            tuple(parsed.crisis_minors),
            tuple(parsed.resources),
            shown,
        )
    if not files:
        problems.append(YamlError(str(folder), None, "no resource files (*.yaml) found"))
    elif GLOBAL not in countries and not problems:
        problems.append(YamlError(str(folder), None, "global.yaml is missing"))
    if problems:
        raise DirectoryError(problems)
    return Directory(countries, resources, origin)


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
