"""The routing table (issue 10): every country × age group × situation × who is asking, with
the "Start here" action (the words it opens with, as catalog keys, and its one service) and the
first three services of the removal and threat topics.

The table lives in tests/flow/routing_table.csv so that an NGO can read and review it in a
spreadsheet. When a change to flows/ moves a service, this test fails and prints the rows that
changed; after checking them, write the new table with

    python -m tests.flow.test_routing_table

and commit it with the change, so the review sees every survivor whose route moved.
Each row is also checked against rules that hold whatever the table says: a first step with a
service, nothing shown on any screen of the results (every topic opened) that excludes the
survivor, no adults' service for images made under 18, and no fingerprint tool for someone
without the file.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.flow import conditions
from bot.flow.coverage import excluded
from bot.flow.model import Ask, Results
from bot.flow.replies import Reply
from bot.flow.screens import Env
from bot.flow.state import Answer, State
from bot.runtime import Runtime

TABLE = Path(__file__).with_name("routing_table.csv")
COLUMNS = [
    "country", "who", "age", "age_now", "situation", "lead", "start_here", "remove", "threat",
]  # fmt: skip

# Who is asking, and the age groups they can give (age when the images were made, age now).
ROLES: list[tuple[str, str, str]] = [
    ("self", "under18", "minor"),
    ("self", "under18", "adult"),
    ("self", "under18", "skip"),
    ("self", "adult", ""),
    ("self", "unsure", ""),
    *((who, age, "") for who in ("parent", "friend", "other") for age in
      ("under18", "adult", "unsure")),
]  # fmt: skip

# The situation, as the answers that make it (the rest are the same for every row).
SITUATIONS: dict[str, dict[str, Answer]] = {
    "shared": {"what": "shared", "real": "real", "has_file": "yes"},
    "threatened": {"what": "threatened", "has_file": "yes"},
    "taken": {"what": "taken", "real": "real", "has_file": "yes"},
    "fear": {"what": "fear", "has_file": "unsure"},
    "fake, no file": {"what": "shared", "real": "ai", "has_file": "no"},
    "unsure": {"what": "unsure", "real": "unsure", "has_file": "unsure"},
}
REST: dict[str, Answer] = {
    "safe": "ok", "danger": "no", "selfharm": "no", "child_safe": "ok", "where": ["social"],
    "bc": "no", "relationship": "skip", "wants": ["removal"],
}  # fmt: skip

HASHING = {"stopncii", "takeitdown"}
ADULTS_IMAGES_ONLY = {"adult"}


def answers_for(runtime: Runtime, row: dict[str, str]) -> dict[str, Answer]:
    """The answers the flow would hold: questions it skips for these answers are left out."""
    wanted: dict[str, Answer] = {
        **REST,
        **SITUATIONS[row["situation"]],
        "who": row["who"],
        "age": row["age"],
        "country": row["country"],
    }
    if row["age_now"]:
        wanted["age_now"] = row["age_now"]
    facts: dict[str, Answer] = {}
    for nid, node in runtime.flow.nodes.items():
        if not isinstance(node, Ask) or node.options_from == "sections":
            continue
        name = runtime.flow.answer_name(nid)
        if name not in wanted:
            continue
        if node.skip_if is not None and conditions.holds(node.skip_if, facts):
            continue
        facts[name] = wanted[name]
    return facts


def rows(runtime: Runtime) -> Iterator[tuple[dict[str, str], dict[str, Answer], list[Reply]]]:
    """Every row of the table with the answers behind it and what the survivor is shown."""
    node = next(n for n in runtime.flow.nodes.values() if isinstance(n, Results))
    screens = runtime.engine.screens
    countries = [c.option_id for c in runtime.directory.national()] + ["other"]
    for country in countries:
        for who, age, age_now in ROLES:
            for situation in SITUATIONS:
                row = {"country": country, "who": who, "age": age, "age_now": age_now,
                       "situation": situation}  # fmt: skip
                answers = answers_for(runtime, row)
                state = State(answers=dict(answers))
                first = screens.results(node, state, Env())
                lead = _ids(runtime, first, after="results.start.title", until="results.more")
                shown = [first]
                topics = {}
                for fold in ("remove", "threat"):
                    reply = screens.fold(node, fold, state, Env())
                    topics[fold] = " > ".join(_ids(runtime, reply)[:3])
                for fold in screens.folds(node, state, Env()):  # every topic, opened
                    shown.append(screens.fold(node, fold.id, state, Env()))
                row |= {"lead": " ".join(_lead_words(first)), "start_here": " ".join(lead)}
                yield row | topics, answers, shown


def _ids(runtime: Runtime, reply: Reply, after: str = "", until: str = "") -> list[str]:
    names = {r.display_name(["en"]): rid for rid, r in runtime.directory.resources.items()}
    out: list[str] = []
    started = not after
    for block in reply.body:
        if block.key == after:
            started = True
        elif block.key == until and started:
            break
        elif started and block.key == "card":
            out.append(names[str(dict(block.params)["name"])])
    return out


def _lead_words(reply: Reply) -> list[str]:
    """The catalog keys "Start here" says before its service: the action itself."""
    keys = [b.key for b in reply.body]
    out: list[str] = []
    for key in keys[keys.index("results.start.title") + 1 :]:
        if key in ("card", "results.more"):
            break
        out.append(key.removeprefix("results.lead."))
    return out


def render(table: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()


@pytest.fixture(scope="module")
def computed(runtime: Runtime) -> list[tuple[dict[str, str], dict[str, Answer], list[Reply]]]:
    return list(rows(runtime))


def test_the_routing_table_is_what_survivors_are_shown(
    computed: list[tuple[dict[str, str], dict[str, Answer], list[Reply]]],
) -> None:
    now = [row for row, _, _ in computed]
    with TABLE.open(encoding="utf-8", newline="") as f:
        kept = list(csv.DictReader(f))
    key = ("country", "who", "age", "age_now", "situation")
    by_key = {tuple(r[k] for k in key): r for r in kept}
    changed = [
        f"{' '.join(r[k] for k in key)}: was {by_key.get(tuple(r[k] for k in key))}, now {r}"
        for r in now
        if by_key.get(tuple(r[k] for k in key)) != r
    ]
    assert len(kept) == len(now), f"the table has {len(kept)} rows; there are {len(now)} routes"
    assert not changed, "routes changed (review, then regenerate):\n" + "\n".join(changed[:20])


def test_the_table_covers_every_country_age_group_situation_and_role(
    runtime: Runtime, computed: list[tuple[dict[str, str], dict[str, Answer], list[Reply]]]
) -> None:
    seen = {
        (r["country"], r["who"], r["age"], r["age_now"], r["situation"]) for r, _, _ in computed
    }
    countries = {c.option_id for c in runtime.directory.national()} | {"other"}
    assert {c for c, *_ in seen} == countries
    assert {w for _, w, *_ in seen} == {"self", "parent", "friend", "other"}
    assert {a for _, _, a, _, _ in seen} == {"under18", "adult", "unsure"}
    assert len(seen) == len(countries) * len(ROLES) * len(SITUATIONS)


def test_every_row_starts_with_one_service_that_fits_the_survivor(
    runtime: Runtime, computed: list[tuple[dict[str, str], dict[str, Answer], list[Reply]]]
) -> None:
    screens = runtime.engine.screens
    for row, answers, shown in computed:
        assert len(row["start_here"].split()) == 1, row
        # The action: threats first (stop replying, don't pay); a child told to tell an adult.
        words = row["lead"].split()
        assert words, row
        if row["situation"] == "threatened":
            assert words[0] in ("threat", "threat_helper"), row
        if row["age"] == "under18" and row["who"] == "self" and answers.get("has_file") != "no":
            assert "minor_self" in words, row
        state = State(answers=dict(answers))
        images, users = screens.audiences(state)
        asker = screens.asker(state)
        cid = row["country"] if row["country"] != "other" else None
        ids = [i for reply in shown for i in _ids(runtime, reply)]
        for rid in ids:
            res = runtime.directory.resources[rid]
            why = excluded(res, runtime.directory.origin[rid], images, users, cid, asker)
            assert why is None, (row, rid, why)
            if row["age"] == "under18":
                assert res.images not in ADULTS_IMAGES_ONLY, (row, rid)
        if answers.get("has_file") == "no":
            assert not HASHING & set(ids), row


if __name__ == "__main__":  # write the table anew, after reviewing the changes
    from bot.config import Settings
    from bot.runtime import load_runtime

    rt = load_runtime(Settings(_env_file=None))  # type: ignore[call-arg]
    TABLE.write_text(render([row for row, _, _ in rows(rt)]), encoding="utf-8")
    sys.stdout.write(f"wrote {TABLE}\n")
