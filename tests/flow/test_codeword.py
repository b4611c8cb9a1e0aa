"""The code word of a kept case, as the engine handles it: offered after the keep consent,
asked by /resume and /mydata, never kept in the state, never in the way of safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from bot.flow.codeword import acceptable, normalise
from bot.flow.events import CaseLoaded, CodeWordChecked, Start
from bot.flow.replies import (
    CheckCodeWord,
    EraseData,
    HideMessage,
    KeepCase,
    LoadCase,
    QuickExit,
    RelayToStaff,
    SetCodeWord,
)
from bot.flow.screens import Env, StaffStatus, Stored
from bot.runtime import Runtime
from tests.flow.walk import Walk, to_results

LATER = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
STORAGE = Env(channel="telegram", storage=True)
GUARDED = dataclasses.replace(STORAGE, stored=Stored(case_expires=LATER, code_word=True))


def kept(runtime: Runtime, env: Env = STORAGE) -> Walk:
    return to_results(runtime, env=env, unfold=False).pick("keep", "yes")


def test_keeping_answers_offers_a_code_word_that_can_be_skipped(runtime: Runtime) -> None:
    w = kept(runtime)
    assert [type(e) for e in w.effects] == [KeepCase]
    assert w.shown_keys() == ["codeword.offer"] and w.prompt and w.prompt.expects_text
    assert "recommend" in w.text() and "Capital letters don't matter" in w.text()
    w.pick("_skip")
    assert "keep.done" in w.shown_keys() and w.node == "next_steps" and not w.effects


def test_a_chosen_code_word_is_hashed_by_the_host_and_never_kept_or_shown(
    runtime: Runtime,
) -> None:
    w = kept(runtime).say("Rosegarden 7")
    assert [type(e) for e in w.effects] == [HideMessage, SetCodeWord] and not w.replies
    assert any(isinstance(e, SetCodeWord) and e.word == "Rosegarden 7" for e in w.effects)
    assert "Rosegarden" not in repr(w.effects)
    assert "rosegarden" not in json.dumps(w.state.to_dict() if w.state else {}).lower()
    w.send(CodeWordChecked(ok=True))  # "set" only once the host has kept it
    assert w.shown_keys()[:2] == ["codeword.saved", "keep.done"] and w.node == "next_steps"
    assert "Rosegarden" not in w.text()


def test_a_word_that_could_not_be_kept_is_never_called_set(runtime: Runtime) -> None:
    w = kept(runtime).say("Rosegarden 7").send(CodeWordChecked(ok=False))
    assert "codeword.saved" not in w.shown_keys() and w.node == "next_steps"


def test_a_too_short_code_word_is_refused_kindly_and_still_hidden(runtime: Runtime) -> None:
    w = kept(runtime).say("ab")
    assert [type(e) for e in w.effects] == [HideMessage]
    assert w.shown_keys() == ["codeword.length", "codeword.offer"]
    assert "4 to 64 characters" in w.text()


def test_a_number_typed_as_code_word_is_not_taken_for_a_button(runtime: Runtime) -> None:
    w = kept(runtime).say("1234")
    assert any(isinstance(e, SetCodeWord) and e.word == "1234" for e in w.effects)


def test_asking_for_a_person_keeps_without_standing_in_the_way(runtime: Runtime) -> None:
    env = dataclasses.replace(STORAGE, staff=StaffStatus(open_now=True))
    w = to_results(runtime, env=env, unfold=False).pick("talk", "share")
    assert "codeword.offer" not in w.shown_keys() and w.node == "handoff_note"


def test_normalising_forgives_a_phone_keyboards_capital_and_spaces() -> None:
    assert normalise("  Rose ") == normalise("rose") == normalise("ＲＯＳＥ")
    assert acceptable("rose") and not acceptable("  ro  ") and not acceptable("x" * 65)


def test_resume_asks_for_the_code_word_before_loading_anything(runtime: Runtime) -> None:
    w = Walk(runtime, env=GUARDED).start().command("resume")
    assert not w.effects and w.shown_keys() == ["codeword.ask"]
    w.say("wrong word")
    assert [type(e) for e in w.effects] == [HideMessage, CheckCodeWord] and not w.replies
    assert any(isinstance(e, CheckCodeWord) and e.purpose == "resume" for e in w.effects)
    w.send(CodeWordChecked(ok=False, tries_left=4))
    assert w.shown_keys() == ["codeword.wrong", "codeword.ask"] and "Tries left: 4" in w.text()
    w.say("right word").send(CodeWordChecked(ok=True))
    assert [type(e) for e in w.effects] == [LoadCase]


def test_a_lock_says_how_long_and_points_to_delete(runtime: Runtime) -> None:
    w = Walk(runtime, env=GUARDED).start().command("resume").say("nope")
    w.send(CodeWordChecked(ok=False, locked_for=dt.timedelta(minutes=15)))
    assert w.shown_keys()[0] == "codeword.locked" and w.node == "safe"
    assert "15 minutes" in w.text() and "/delete" in w.text()
    locked = dataclasses.replace(
        GUARDED,
        stored=Stored(case_expires=LATER, code_word=True, locked_for=dt.timedelta(minutes=9)),
    )
    w = Walk(runtime, env=locked).start().command("resume")
    assert w.shown_keys()[0] == "codeword.locked" and "9 minutes" in w.text()
    assert not w.effects and w.node == "safe"
    w.command("delete").pick("_yes")
    assert [type(e) for e in w.effects] == [EraseData]


def test_mydata_hides_the_details_until_the_code_word_is_given(runtime: Runtime) -> None:
    """Without the word: that something is kept, and how to delete it. Not the answers, not
    the expiry date (it dates when they reached out), not that the team has a summary."""
    shared = dataclasses.replace(
        GUARDED, stored=Stored(case_expires=LATER, code_word=True, in_handoff=True)
    )
    w = to_results(runtime, env=shared, unfold=False).command("mydata")
    assert "mydata.guarded" in w.shown_keys() and "mydata.how_to_delete" in w.shown_keys()
    for detail in ("mydata.item", "mydata.case", "mydata.no_case", "mydata.handoff"):
        assert detail not in w.shown_keys(), detail
    assert "2026" not in w.text() and "team" not in w.text()
    assert w.shown_keys()[-1] == "codeword.ask"
    w.say("my word")
    assert any(isinstance(e, CheckCodeWord) and e.purpose == "mydata" for e in w.effects)
    w.send(CodeWordChecked(ok=True))
    assert "mydata.item" in w.shown_keys() and w.node == "next_steps"
    assert "mydata.case" in w.shown_keys() and "mydata.handoff" in w.shown_keys()
    unguarded = to_results(runtime, env=STORAGE, unfold=False).command("mydata")
    assert "mydata.item" in unguarded.shown_keys()


def test_crisis_words_and_exit_still_work_while_the_code_word_is_asked(
    runtime: Runtime,
) -> None:
    w = Walk(runtime, env=GUARDED).start().command("resume").say("honestly i just want to die")
    assert w.replies[0].kind == "crisis" and not w.effects
    w = Walk(runtime, env=GUARDED).start().command("resume").command("exit")
    assert [type(e) for e in w.effects] == [QuickExit]
    w = Walk(runtime, env=GUARDED).start().command("resume").pick("_cancel")
    assert w.node == "safe" and not w.effects


def test_a_code_word_typed_while_with_staff_is_never_relayed(runtime: Runtime) -> None:
    env = dataclasses.replace(
        GUARDED,
        staff=StaffStatus(open_now=True),
        stored=Stored(case_expires=LATER, code_word=True, in_handoff=True),
    )
    w = to_results(runtime, env=env, unfold=False).pick("talk", "share", "_skip")
    assert w.state and w.state.mode == "handoff"
    w.command("mydata").say("secret word")
    assert not any(isinstance(e, RelayToStaff) for e in w.effects)
    w.send(CodeWordChecked(ok=True)).say("thank you")
    assert any(isinstance(e, RelayToStaff) for e in w.effects)


def test_start_looks_the_same_with_or_without_a_guarded_case(runtime: Runtime) -> None:
    plain = runtime.engine.step(None, Start("en"), STORAGE)
    guarded = runtime.engine.step(None, Start("en"), GUARDED)
    assert plain.replies == guarded.replies and plain.effects == guarded.effects == ()


def test_resume_as_the_first_message_days_later_opens_the_kept_results(
    runtime: Runtime,
) -> None:
    """The working conversation has expired by then: /resume is all there is."""
    w = Walk(runtime, env=GUARDED).command("resume")
    assert w.shown_keys() == ["codeword.ask"]
    w.say("my word").send(CodeWordChecked(ok=True))
    assert [type(e) for e in w.effects] == [LoadCase]
    w.send(CaseLoaded({"country": "gb", "who": "self"}, "en"))
    assert any(r.kind == "results" for r in w.replies)
    assert "welcome.body" not in w.shown_keys()
