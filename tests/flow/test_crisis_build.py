"""Building the crisis matcher faster changed nothing a survivor would notice: every message of
the dev sets (all languages), every phrase written as a message, and messages glued together
(up to the 4096-character limit) get the same tier as before, from the same frozen lists."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.config import ROOT
from bot.flow.crisis import (
    _IS_HANGUL,
    _IS_UNSPACED,
    CrisisMatcher,
    _Alternation,
    _parse,
    _regex,
    normalize,
)

REFERENCE = ROOT / "tests" / "data" / "crisis" / "build_reference.json"


def test_matches_equal_the_reference_captured_before_the_faster_build() -> None:
    ref: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    matcher = CrisisMatcher(ref["phrases"], ref["exclusions"])
    messages: list[str] = ref["messages"]
    assert [matcher.match(t) for t in messages] == ref["single"]
    joined = [" ".join(messages[i : i + 8]) for i in range(0, len(messages), 8)]
    assert [matcher.match(t) for t in joined] == ref["joined"]
    long = [" ".join(messages[i : i + 300]) for i in range(0, len(messages), 300)]
    assert [matcher.match(t) for t in long] == ref["long"]


def test_lazily_compiled_regexes_find_the_same_spans_as_one_regex() -> None:
    """Not-a-crisis phrases are cut out of the text at the spans found: the per-character
    regexes compiled on first use find exactly the spans the single regex found."""
    ref: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    branches = [
        branch
        for raw in ref["exclusions"]
        for slots in _parse(normalize(raw))
        if _IS_UNSPACED.search(text := " ".join(a.word for alts, _ in slots for a in alts))
        or _IS_HANGUL.search(text)
        for branch in _regex(slots, bool(_IS_HANGUL.search(text)))
    ]
    by_first: dict[str, set[str]] = {}
    for first, rest in branches:
        by_first.setdefault(first, set()).add(rest)
    single = re.compile(
        "|".join(
            re.escape(first) + f"(?:{'|'.join(sorted(rests, key=len, reverse=True))})"
            for first, rests in sorted(by_first.items())
        )
    )
    lazy = _Alternation(branches)
    texts = [normalize(t) for t in ref["messages"] if _IS_UNSPACED.search(normalize(t))]
    texts.append(normalize(" ".join(texts))[:4096])
    assert len(texts) > 100
    for text in texts:
        assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in single.finditer(text)]
