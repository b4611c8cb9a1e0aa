"""The engine's side of a staff handoff: what staff see, what the survivor is told."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.flow.replies import Param, Text
from bot.flow.screens import Env, StaffStatus
from bot.runtime import Runtime
from tests.flow.walk import Walk, to_results, walk_to

OPEN = Env(channel="telegram", storage=True, staff=StaffStatus(open_now=True))
BACK = dt.datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("Asia/Taipei"))
CLOSED = Env(channel="telegram", storage=True, staff=StaffStatus(False, BACK))


def _rendered(runtime: Runtime, items: tuple[tuple[Text, Param], ...]) -> dict[str, str]:
    r = runtime.renderer
    return {
        r.plain(label, "en"): r.plain(Text.of("common.verbatim", text=value), "en")
        for label, value in items
    }


def test_the_card_shows_choices_and_the_message_for_the_team_with_risk_flags(
    runtime: Runtime,
) -> None:
    w = Walk(runtime, env=OPEN).start().pick("ok", "unsure", "_continue", "sometimes",
                                             "_continue")  # fmt: skip
    w = walk_to(w, "next_steps", age="under18", country="gb").pick("talk", "share")
    w.say("please call me <after> 6 & not before")
    assert w.state is not None and w.state.mode == "handoff"
    card = runtime.engine.screens.case_summary(w.state)
    assert card.flags == ("images_minor", "danger", "selfharm")
    shown = _rendered(runtime, card.items)
    assert shown["Message for the team"] == "please call me <after> 6 & not before"
    assert shown["Country"] == "United Kingdom"
    assert "Age when the images were made" in " ".join(shown)


def test_crisis_words_typed_or_chosen_at_a_check_in_flag_the_card(runtime: Runtime) -> None:
    w = walk_to(Walk(runtime, env=OPEN).start().pick("ok", "no", "no"), "what", age="adult")
    w.say("i want to kill myself")
    assert w.replies[0].kind == "crisis"
    w = walk_to(w.pick("_continue"), "next_steps", country="gb")
    w.say("i cant go on anymore")  # a possible signal: the check-in question
    assert [b.id for b in w.prompt.buttons][:2] == ["_danger", "_selfharm"]
    w.pick("_danger").pick("_continue").pick("talk", "share", "_skip")
    assert w.state is not None and w.state.mode == "handoff"
    assert runtime.engine.screens.case_summary(w.state).flags == ("selfharm", "danger")


def test_a_skipped_message_for_the_team_is_left_off_the_card(runtime: Runtime) -> None:
    w = to_results(runtime, env=OPEN).pick("talk", "share", "_skip")
    assert w.state is not None
    card = runtime.engine.screens.case_summary(w.state)
    labels = [runtime.renderer.plain(label, "en") for label, _ in card.items]
    assert "Message for the team" not in labels and card.flags == ()


def test_within_hours_the_survivor_hears_their_place_in_the_queue(runtime: Runtime) -> None:
    w = to_results(runtime, env=OPEN).pick("talk", "share", "_skip")
    assert w.state is not None
    r = runtime.renderer
    first = runtime.engine.handoff_waiting(w.state, OPEN, ahead=0)
    assert "You're next" in r.reply(first, "en").messages[0]
    later = runtime.engine.handoff_waiting(w.state, OPEN, ahead=2)
    assert "There are 2 people ahead of you" in r.reply(later, "en").messages[0]


def test_outside_hours_they_hear_when_the_team_is_back_and_the_crisis_lines(
    runtime: Runtime,
) -> None:
    w = to_results(runtime, "zh-TW", env=CLOSED, country="tw").pick("talk", "share", "_skip")
    assert w.state is not None
    reply = runtime.engine.handoff_waiting(w.state, CLOSED, ahead=0)
    text = "\n".join(runtime.renderer.reply(reply, "zh-TW").messages)
    assert "3月9日 週一 上午9:00 (台灣時間)" in text
    assert "1925" in text  # Taiwan's suicide prevention line
    assert reply.body[0].key == "handoff.offline"


def test_when_the_team_cannot_be_reached_the_survivor_gets_services_and_goes_on(
    runtime: Runtime,
) -> None:
    w = to_results(runtime, env=OPEN).pick("talk", "share", "_skip")
    assert w.state is not None
    out = runtime.engine.handoff_unavailable(w.state, OPEN)
    assert out.state.mode == "triage" and out.state.node == "next_steps"
    assert out.replies[0].body[0].key == "handoff.none"


def test_a_kept_case_restores_a_conversation_in_flow_order(runtime: Runtime) -> None:
    w = to_results(runtime, "ko", env=OPEN, country="kr")
    assert w.state is not None
    state = runtime.engine.restore(dict(w.state.answers), "ko")
    assert state.lang == "ko" and state.kept and state.answers == w.state.answers
    assert runtime.engine.screens.summary(state) == runtime.engine.screens.summary(w.state)


def test_delete_and_help_prompts_work_while_with_staff(runtime: Runtime) -> None:
    w = to_results(runtime, env=OPEN).pick("talk", "share", "_skip")
    w.command("help").pick("_human")
    assert w.shown_keys() == ["handoff.already"]
    assert w.state is not None and w.state.mode == "handoff"
    w.command("delete").pick("_yes")
    assert [type(e).__name__ for e in w.effects] == ["EndHandoff", "EraseData"]
    assert w.state.mode == "done"
