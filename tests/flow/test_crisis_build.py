"""Building the crisis matcher faster changed nothing a survivor would notice: every message of
the dev sets (all languages), every phrase written as a message, and messages glued together
(up to the 4096-character limit) get the same tier as before, from the same frozen lists."""

from __future__ import annotations

import json
from typing import Any

from bot.config import ROOT
from bot.flow.crisis import CrisisMatcher

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
