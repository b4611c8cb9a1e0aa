"""Every path × every country, walked: the results a survivor can meet, checked for holes.

`helpline flows check` calls `coverage_problems`. It enumerates the answers that decide who
someone is (who is asking, age when the images were made, age now, country and the
questions the resource directory's conditions use), honouring each question's `skip_if`, and
for every results section and "Start here" rule asks: can this apply, and if it does, does it
list a service? (A country file that lists no services of its own yet, only its emergency
number and crisis lines, is not held to this: `flows check` notes it instead.) Then it
checks that nothing listed excludes the survivor (age when the images
were made, age now, country) and that no listed service's text names a service the survivor
cannot use. The other answers (what happened, where, what would help) only decide *whether*
a section applies, so they are enumerated per section, over the answers its condition names.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.flow import conditions
from bot.flow.directory import Asker, Audience, Directory, Resource
from bot.flow.model import Ask, Flow, Lead, Results, Section, Selector
from bot.flow.screens import Env, Screens
from bot.flow.state import Answer, State

# Answers that decide the audience and the country (with any a resource's `show_if` names);
# everything else is enumerated per section.
CORE = ("who", "age", "age_now", "country")
# The answer that says the survivor has no copy of the file: a fingerprint (`hashing`) service
# is made from that file, so it must never be offered then (its `show_if` says so).
NO_FILE = ("has_file", "no")


@dataclass(frozen=True, slots=True)
class Hole:
    """One problem found on one path."""

    where: str  # "section 'legal'" or "start here"
    path: str  # "who=self age=under18 country=us"
    message: str

    def __str__(self) -> str:
        return f"{self.where} for {self.path}: {self.message}"


def _values(flow: Flow, directory: Directory, nid: str) -> list[Answer | None]:
    node = flow.nodes[nid]
    assert isinstance(node, Ask)
    ids: list[str] = [o.id for o in node.options]
    if node.options_from == "countries":
        ids = [c.option_id for c in directory.national()] + ids
    if node.multi:
        return [None, *([i] for i in ids)]
    return [None, *ids]


def _asks_by_name(flow: Flow) -> dict[str, str]:
    return {
        flow.answer_name(nid): nid
        for nid, n in flow.nodes.items()
        if isinstance(n, Ask) and n.options_from != "sections"
    }


def core_paths(flow: Flow, directory: Directory) -> Iterator[dict[str, Answer]]:
    """Every combination of the core answers a survivor can give, in flow order, with
    skipped questions left out (as the engine leaves them out)."""
    asks = _asks_by_name(flow)
    used = {n for r in directory.resources.values() for n in _mentioned(r.show_if)}
    names = [n for n in asks if n in CORE or n in used or n == NO_FILE[0]]  # in flow order

    def walk(i: int, facts: dict[str, Answer]) -> Iterator[dict[str, Answer]]:
        if i == len(names):
            yield dict(facts)
            return
        nid = asks[names[i]]
        node = flow.nodes[nid]
        if node.skip_if is not None and conditions.holds(node.skip_if, facts):
            yield from walk(i + 1, facts)
            return
        for value in _values(flow, directory, nid):
            if value is None:
                continue
            yield from walk(i + 1, {**facts, names[i]: value})

    yield from walk(0, {})


def _mentioned(cond: object) -> set[str]:
    out: set[str] = set()
    if isinstance(cond, dict):
        for k, v in cond.items():
            if k in ("any", "all"):
                for c in v:
                    out |= _mentioned(c)
            elif k == "not":
                out |= _mentioned(v)
            elif k == "answered":
                out.add(str(v))
            else:
                out.add(k)
    return out


def completions(
    flow: Flow,
    directory: Directory,
    core: dict[str, Answer],
    cond: object,
    memo: dict[object, Any] | None = None,
) -> Iterator[dict[str, Answer]]:
    """The core answers, completed in every way over the other answers `cond` names.
    `memo` keeps what does not change between paths (one walk of a flow)."""
    memo = {} if memo is None else memo
    if "asks" not in memo:
        memo["asks"] = _asks_by_name(flow)
    asks: dict[str, str] = memo["asks"]
    if id(cond) not in memo:
        memo[id(cond)] = _mentioned(cond)
    free = sorted(n for n in memo[id(cond)] if n in asks and n not in core)
    for n in free:
        if ("values", n) not in memo:
            memo["values", n] = _values(flow, directory, asks[n])
    choices = [memo["values", n] for n in free]
    for combo in itertools.product(*choices):
        facts = dict(core)
        for name, value in zip(free, combo, strict=True):
            if value is not None:
                facts[name] = value
        yield facts


def _applies(
    flow: Flow,
    directory: Directory,
    core: dict[str, Answer],
    cond: object,
    memo: dict[object, Any] | None = None,
) -> bool:
    if cond is None:
        return True
    return any(
        conditions.holds(cond, f)  # type: ignore[arg-type]
        for f in completions(flow, directory, core, cond, memo)
    )


def excluded(
    r: Resource,
    origin: str,
    images: Audience,
    users: Audience,
    country: str | None,
    asker: Asker = "any",
) -> str | None:
    """Why a service must not be shown to this survivor, or None."""
    if r.asker == "helper" and asker == "self":
        return "it is for parents and friends, and the survivor is asking for themself"
    if r.images == "adult" and images == "minor":
        return "it is for images made at 18 or over, and these were made under 18"
    if r.images == "minor" and images == "adult":
        return "it is for images made under 18, and these were made at 18 or over"
    if r.users == "minor" and users != "minor" and not (r.asker == "self" and asker == "helper"):
        return "it is for people under 18 now"
    if r.users == "adult" and users == "minor":
        return "it is for adults, and the survivor is under 18"
    if origin != "global" and origin != country:
        return f"it serves {origin.upper()}, not the survivor's country"
    return None


def coverage(flow: Flow, directory: Directory, english: dict[str, str]) -> list[Hole]:
    screens = Screens(flow, directory, [], "en")
    holes: dict[tuple[str, str], Hole] = {}
    results = [n for n in flow.nodes.values() if isinstance(n, Results)]
    names = {rid: r.display_name(["en"]) for rid, r in directory.resources.items()}
    named = {  # a service's text that names another service
        rid: [
            (other, name)
            for other, name in names.items()
            if other != rid
            and len(name) >= 6
            and (
                name in english.get(r.description_key, "")
                or name in english.get(r.description_helper or "", "")
            )
            and name not in names[rid]
        ]
        for rid, r in directory.resources.items()
    }
    memo: dict[object, Any] = {}  # keyed by id(): every condition here lives as long as it
    for node in results:
        parts: list[tuple[str, object, Selector | None, bool | dict[str, Any]]] = [
            (f"section '{s.id}'", s.when, s.resources, s.optional) for s in node.sections
        ]
        parts.extend(_leads(node.lead))
        for core in core_paths(flow, directory):
            state = State(answers=dict(core))
            images, users = screens.audiences(state)
            asker = screens.asker(state)
            country = core.get("country")
            cid = country if isinstance(country, str) and country != "other" else None
            path = " ".join(f"{k}={v}" for k, v in core.items())
            for where, cond, sel, optional in parts:
                if sel is None or not _applies(flow, directory, core, cond, memo):
                    continue
                found = screens.services(node, sel, state, Env())
                may_be_empty = (
                    conditions.holds(optional, core) if isinstance(optional, dict) else optional
                )
                home = directory.country(cid)
                started = home is None or bool(home.resources)  # a new file: crisis lines only
                if not found and not may_be_empty and started:
                    key = (where, path)
                    holes[key] = Hole(
                        where, path, "would list no service (add one, or a fallback)"
                    )
                for r in found:
                    why = excluded(r, directory.origin[r.id], images, users, cid, asker)
                    if "hashing" in r.tags and core.get(NO_FILE[0]) == NO_FILE[1]:
                        why = "it fingerprints the file, and the survivor has no copy of it"
                    if why:
                        holes[(where, f"{path} {r.id}")] = Hole(
                            where, path, f"shows '{r.id}', but {why}"
                        )
                    for other, name in named[r.id]:
                        why = excluded(
                            directory.resources[other],
                            directory.origin[other],
                            images,
                            users,
                            cid,
                            asker,
                        )
                        if why:
                            holes[(where, f"{path} {r.id}>{other}")] = Hole(
                                where,
                                path,
                                f"'{r.id}' says “{name}”, which this survivor cannot use: {why}",
                            )
    return list(holes.values())


def _leads(
    leads: Sequence[Lead],
) -> Iterator[tuple[str, object, Selector | None, bool | dict[str, Any]]]:
    """Each "Start here" rule, with the condition under which it is the first to hold."""
    for i, lead in enumerate(leads):
        earlier = [x.when for x in leads[:i] if x.when is not None]
        cond: dict[str, object] | None = lead.when
        if earlier:
            cond = {"all": [*([lead.when] if lead.when else []), {"not": {"any": earlier}}]}
        yield f"start here rule {i + 1}", cond, lead.resources, False


def section_of(node: Results, sid: str) -> Section:
    return next(s for s in node.sections if s.id == sid)
