"""Keeping answers is not sharing them: the share question is asked every time, kept or not."""

from __future__ import annotations

from bot.flow.replies import StartHandoff
from bot.flow.screens import Env, StaffStatus
from bot.runtime import Runtime
from tests.flow.walk import to_results

OPEN = Env(channel="telegram", storage=True, staff=StaffStatus(open_now=True))


def test_a_survivor_who_kept_their_answers_is_still_asked_before_sharing(
    runtime: Runtime,
) -> None:
    w = to_results(runtime, env=OPEN).pick("keep", "yes")
    assert w.state is not None and w.state.kept
    w.pick("talk")
    assert w.node == "handoff_consent"
    assert "handoff.consent" in w.shown_keys()
    w.pick("no")  # keeping stays; nothing goes to staff
    assert w.node == "next_steps" and w.state.kept and w.state.mode != "handoff"
    assert not any(isinstance(e, StartHandoff) for e in w.effects)


def test_human_after_keeping_asks_too_and_sharing_then_reaches_staff(runtime: Runtime) -> None:
    w = to_results(runtime, env=OPEN).pick("keep", "yes")
    w.command("human")
    assert w.node == "handoff_consent"
    w.pick("share", "_skip")
    assert w.state is not None and w.state.mode == "handoff"
