"""The triage as a survivor walks it: order, skips, crisis, commands and bad input."""

from __future__ import annotations

import pytest

from bot.flow.events import Choice, Start, TextIn
from bot.flow.replies import EraseData, KeepCase, QuickExit, StartHandoff
from bot.flow.screens import Env, StaffStatus
from bot.flow.state import State
from bot.runtime import Runtime
from tests.flow.walk import DEFAULTS, Walk, to_results, walk_to

STORAGE = Env(channel="telegram", storage=True)


def questions_until_results(w: Walk, answers: dict[str, str | list[str]]) -> list[str]:
    asked = []
    while w.node in answers:
        asked.append(w.node)
        value = answers[w.node]
        w.pick(*value, "_done") if isinstance(value, list) else w.pick(value)
    return asked


def test_welcome_explains_images_storage_and_leaving_then_asks_if_safe(runtime: Runtime) -> None:
    w = Walk(runtime).start()
    assert w.shown_keys()[:3] == ["welcome.body", "welcome.privacy_demo", "welcome.leave"]
    text = w.text()
    assert (
        "never ask for your images" in text
        and "/exit" in text
        and "nothing you type is stored" in text
    )
    assert w.node == "safe"
    assert [b.id for b in w.prompt.buttons] == ["ok", "notnow", "unsure"]


def test_telegram_welcome_is_honest_about_what_is_kept_and_chat_history(runtime: Runtime) -> None:
    w = Walk(runtime, env=STORAGE).start()
    assert (
        "welcome.privacy_kept" in w.shown_keys() and "welcome.telegram_history" in w.shown_keys()
    )
    assert "48 hours" in w.text() and "not end-to-end encrypted" in w.text()


def test_questions_come_in_the_expert_order_for_an_adult_survivor(runtime: Runtime) -> None:
    answers = {k: v for k, v in DEFAULTS.items() if k not in ("age_now", "bc")}
    w = Walk(runtime).start()
    asked = questions_until_results(w, answers)
    assert asked == [
        "safe",
        "danger",
        "selfharm",
        "who",
        "age",
        "what",
        "real",
        "has_file",
        "where",
        "country",
        "relationship",
        "wants",
    ]
    assert any(r.kind == "results" for r in w.replies)
    assert w.node == "next_steps"


@pytest.mark.parametrize(
    ("answers", "skipped", "asked"),
    [
        ({"who": "self", "age": "adult"}, "age_now", None),
        ({"who": "self", "age": "under18"}, None, "age_now"),
        ({"who": "parent", "age": "under18"}, "age_now", None),
        ({"what": "threatened"}, "real", None),
        ({"what": "fear"}, "where", None),
        ({"who": "other"}, "has_file", None),
        ({"country": "us"}, "bc", None),
        ({"country": "ca", "age": "adult"}, None, "bc"),
        ({"country": "ca", "age": "under18"}, "bc", None),
    ],
)
def test_questions_that_cannot_change_the_route_are_skipped(
    runtime: Runtime, answers: dict[str, str], skipped: str | None, asked: str | None
) -> None:
    full = {**DEFAULTS, "age_now": "minor", **answers}
    seen = questions_until_results(Walk(runtime).start(), full)
    if skipped:
        assert skipped not in seen
    if asked:
        assert asked in seen


def test_progress_is_shown_and_counts_up(runtime: Runtime) -> None:
    w = Walk(runtime).start()
    assert w.shown[-1].messages[0].startswith("Question 1 of about ")
    w.pick("ok")
    assert w.text().startswith("Question 2 of about ")


def test_wording_adapts_when_helping_a_child_or_a_friend(runtime: Runtime) -> None:
    parent = Walk(runtime).start().pick("ok", "no", "no", "parent")
    assert "child_safe.question" in parent.shown_keys()  # their safety, after the helper's
    parent.pick("ok")
    assert "age.question_parent" in parent.shown_keys()
    assert "your child" in parent.text()
    friend = Walk(runtime).start().pick("ok", "no", "no", "friend", "ok")
    assert "age.question_helper" in friend.shown_keys()
    self_ = Walk(runtime).start().pick("ok", "no", "no", "self")
    assert "age.question" in self_.shown_keys()  # not asked of someone writing for themselves


def test_a_parent_worried_for_the_childs_safety_sees_the_crisis_screen_then_goes_on(
    runtime: Runtime,
) -> None:
    w = Walk(runtime).start().pick("ok", "no", "no", "parent", "selfharm")
    assert w.replies[-1].kind == "crisis"
    w.pick("_continue")
    assert w.node == "age"


def test_danger_shows_emergency_numbers_at_once_then_lets_them_continue(runtime: Runtime) -> None:
    w = Walk(runtime).start().pick("ok", "yes")
    text = w.text()
    assert "findahelpline.com" in text  # country unknown yet: the short international list
    assert "999" not in text and "I'll show the numbers for your country" in text
    ids = [b.id for b in w.prompt.buttons]
    assert "_cc:gb" in ids and "_continue" in ids
    w.pick("_cc:gb")
    assert "999" in w.text() and "Refuge" in w.text()  # UK emergency and a violence line
    assert "Samaritans" not in w.text()  # the suicide line is for the self-harm screen
    w.pick("_continue")
    assert w.node == "selfharm"
    asked = questions_until_results(
        w,
        {
            "selfharm": "no",
            "who": "self",
            "age": "adult",
            "what": "shared",
            "real": "real",
            "has_file": "yes",
            "where": ["social"],
            "relationship": "skip",
            "wants": ["removal"],
        },
    )
    assert "country" not in asked  # already given at the crisis prompt


def test_self_harm_answer_gives_the_crisis_line_for_a_known_country(runtime: Runtime) -> None:
    w = Walk(runtime).start().pick("ok", "no", "sometimes")
    assert w.replies[0].kind == "crisis"
    assert "findahelpline.com" in w.text()  # the international line until the country is known
    w.pick("_cc:us")
    assert "988" in w.text() and "911" in w.text()


@pytest.mark.parametrize("node", ["safe", "who", "where", "wants", "next_steps"])
def test_crisis_words_typed_at_any_point_get_numbers_in_the_next_reply(
    runtime: Runtime, node: str
) -> None:
    if node == "next_steps":
        w = to_results(runtime, country="au")
    else:
        w = walk_to(Walk(runtime).start(), node, country="au")
    w.say("honestly i just want to die")
    assert w.replies[0].kind == "crisis"
    w.pick("_continue")
    assert w.node == node  # the same question again, nothing lost


def test_crisis_words_are_recognised_in_every_shipped_language(runtime: Runtime) -> None:
    for code in runtime.catalogs.codes:
        phrases = runtime.catalogs.by_code[code].lookup("crisis.words.selfharm", None)
        assert phrases, code
        first = phrases.splitlines()[0]
        w = Walk(runtime, "en").start().say(f"... {first} ...")
        assert w.replies[0].kind == "crisis", (code, first)


def test_ordinary_words_do_not_raise_a_crisis(runtime: Runtime) -> None:
    for text in ("my ex posted it on instagram", "he wants money", "I feel so embarrassed"):
        w = Walk(runtime).start().say(text)
        assert all(r.kind != "crisis" for r in w.replies), text


def test_free_text_where_a_choice_is_expected_is_reasked_kindly(runtime: Runtime) -> None:
    w = Walk(runtime).start().say("hello?")
    assert w.shown_keys()[0] == "notice.choose"
    assert w.node == "safe" and w.prompt is not None


def test_typing_an_options_number_chooses_it(runtime: Runtime) -> None:
    w = Walk(runtime).start().say("1")
    assert w.node == "danger"
    w.say("99")
    assert w.shown_keys()[0] == "notice.choose" and w.node == "danger"


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02", "a" * 10_000, "<b>&amp;</b>" * 900])
def test_odd_text_never_breaks_the_conversation(runtime: Runtime, text: str) -> None:
    w = Walk(runtime).start().say(text)
    assert w.node == "safe" and w.prompt is not None
    assert w.shown_keys()[0] in ("notice.empty", "notice.choose")


def test_unknown_command_is_explained_and_the_question_repeated(runtime: Runtime) -> None:
    w = Walk(runtime).start().pick("ok").command("frobnicate")
    assert w.shown_keys()[0] == "notice.unknown_command" and w.node == "danger"


def test_stale_or_forged_buttons_change_nothing(runtime: Runtime) -> None:
    w = Walk(runtime).start()
    old = str(w.state.turn)
    w.pick("ok")
    answers = dict(w.state.answers)
    w.send(Choice(old, "unsure"))
    assert (
        w.shown_keys()[0] == "notice.stale" and w.node == "danger" and w.state.answers == answers
    )
    w.send(Choice(str(w.state.turn), "not-an-option"))
    assert w.shown_keys()[0] == "notice.stale" and w.state.answers == answers


def test_leave_now_works_from_any_message_even_an_old_one(runtime: Runtime) -> None:
    w = Walk(runtime).start()
    old = str(w.state.turn)
    w.pick("ok", "no")
    w.send(Choice(old, "_exit"))
    assert any(isinstance(e, QuickExit) for e in w.effects)
    assert w.replies == [] and w.state.answers == {}


def test_exit_command_forgets_everything_and_says_nothing(runtime: Runtime) -> None:
    w = Walk(runtime, env=STORAGE).start().pick("ok", "no").command("exit")
    assert [type(e) for e in w.effects] == [QuickExit] and w.replies == []
    assert w.state.answers == {} and w.state.node is None


def test_mydata_and_delete_say_truthfully_that_the_demo_keeps_nothing(runtime: Runtime) -> None:
    w = Walk(runtime).start().pick("ok").command("mydata")
    assert w.shown_keys()[0] == "mydata.nothing_kept" and w.node == "danger"
    w.command("delete")
    assert w.shown_keys()[0] == "delete.nothing_kept" and not w.effects


def test_mydata_lists_every_answer_held_and_when_it_goes(runtime: Runtime) -> None:
    w = Walk(runtime, env=STORAGE).start().pick("ok", "no", "no", "self").command("mydata")
    text = w.text()
    assert "Safe to chat: Yes, I can talk" in text and "Asking for: Myself" in text
    assert "24 hours" in text and w.replies[0].sensitive


def test_delete_asks_first_then_erases(runtime: Runtime) -> None:
    w = Walk(runtime, env=STORAGE).start().pick("ok").command("delete")
    assert w.shown_keys()[0] == "delete.confirm" and not w.effects
    w.pick("_no")
    assert w.shown_keys()[0] == "delete.cancelled" and w.node == "danger" and w.state.answers
    w.command("delete").pick("_yes")
    assert [type(e) for e in w.effects] == [EraseData] and w.state.answers == {}


def test_restart_goes_back_to_the_start_keeping_the_language(runtime: Runtime) -> None:
    w = Walk(runtime).start().pick("ok", "no").command("restart")
    assert w.node == "safe" and w.state.answers == {} and w.state.lang == "en"


def test_start_without_a_known_language_asks_in_every_language(runtime: Runtime) -> None:
    w = Walk(runtime, lang=None).start()
    assert w.state.pending == "language"
    assert len(w.replies[0].body) == len(runtime.catalogs.codes)
    assert {b.id for b in w.prompt.buttons} == {f"_lang:{c}" for c in runtime.catalogs.codes}
    w.pick("_lang:en")
    assert w.node == "safe"


def test_start_looks_the_same_for_a_returning_survivor(runtime: Runtime) -> None:
    fresh = Walk(runtime, env=STORAGE).start()
    returning = Walk(runtime, env=STORAGE).start().pick("ok", "no", "no")
    returning.send(Start("en"))
    assert returning.text() == fresh.text()
    assert returning.state.answers == {}


def test_language_can_change_mid_flow_keeping_answers(runtime: Runtime) -> None:
    other = "zh-TW"
    w = Walk(runtime).start().pick("ok").command("language").pick(f"_lang:{other}")
    assert w.state.lang == other and w.node == "danger" and w.state.answers == {"safe": "ok"}


def test_a_detected_language_is_offered_never_switched_silently(runtime: Runtime) -> None:
    other = "zh-TW"
    w = Walk(runtime).start().send(TextIn("some words", detected_lang=other))
    assert w.state.lang == "en" and w.state.pending == f"offer_lang:{other}"
    w.pick("_no")
    assert w.state.lang == "en" and w.node == "safe"
    w.send(TextIn("more words", detected_lang=other))
    assert w.state.pending is None  # declined once: not asked again


def test_media_is_refused_kindly_and_the_question_repeated(runtime: Runtime) -> None:
    w = Walk(runtime).start().media("photo")
    assert w.shown_keys()[0] == "media.removed" and w.node == "safe"
    assert "StopNCII" in w.text()


def test_a_flow_edit_under_a_live_conversation_restarts_kindly(runtime: Runtime) -> None:
    state = State(flow="triage", node="a_node_that_was_deleted", turn=7, lang="en")
    w = Walk(runtime)
    w.state = state
    w.say("hello")
    assert w.shown_keys()[0] == "notice.restarted" and w.node == "safe"


def test_damaged_state_data_starts_over_instead_of_crashing(runtime: Runtime) -> None:
    state = State.from_dict({"node": 5, "answers": "nonsense", "turn": "x", "lang": ["en"]})
    w = Walk(runtime)
    w.state = state
    w.say("hello")
    assert w.node == "safe" or w.state.pending == "language"


def test_multi_choice_toggles_then_done(runtime: Runtime) -> None:
    w = to_results(runtime, wants=[])
    assert w.state.answers["wants"] == "skip"  # Done with nothing chosen skips
    w2 = walk_to(Walk(runtime).start(), "where")
    w2.pick("social")
    assert w2.replies[0].replaces_last and [b.id for b in w2.prompt.buttons if b.selected] == [
        "social"
    ]
    w2.pick("social", "search", "_done")
    assert w2.state.answers["where"] == ["search"]


def test_talking_to_a_person_without_a_staff_chat_shows_the_hotlines(runtime: Runtime) -> None:
    w = to_results(runtime, country="gb").pick("talk")
    assert "handoff.none" in w.shown_keys()
    assert "0345 6000 459" in w.text() or "116 123" in w.text()
    assert w.node == "next_steps" and not w.effects


def test_keeping_answers_needs_consent_and_is_only_offered_where_storage_exists(
    runtime: Runtime,
) -> None:
    demo = to_results(runtime)
    assert "keep" not in [b.id for b in demo.prompt.buttons]
    w = to_results(runtime, env=STORAGE).pick("keep")
    assert "30 days" in w.text() and "/delete" in w.text() and not w.effects
    w.pick("no")
    assert not w.effects and w.node == "next_steps"
    w.pick("keep", "yes")
    assert [type(e) for e in w.effects] == [KeepCase] and w.state.kept


def test_handoff_with_staff_asks_consent_then_opens_a_case(runtime: Runtime) -> None:
    env = Env(channel="telegram", storage=True, staff=StaffStatus(open_now=True))
    w = to_results(runtime, env=env).pick("talk")
    assert "handoff.consent" in w.shown_keys()
    w.pick("share")
    assert any(isinstance(e, KeepCase) for e in w.effects) and w.node == "handoff_note"
    w.pick("_skip")
    assert any(isinstance(e, StartHandoff) for e in w.effects) and w.state.mode == "handoff"


def test_the_end_offers_a_fresh_start(runtime: Runtime) -> None:
    w = to_results(runtime).pick("done")
    assert w.state.mode == "done" and [b.id for b in w.prompt.buttons] == ["_restart"]
    w.say("anything")
    assert w.shown_keys()[0] == "notice.finished"
    w.pick("_restart")
    assert w.node == "safe"


def test_arabic_crisis_words_match_with_attached_prefixes_and_letter_variants(
    runtime: Runtime,
) -> None:
    phrases = runtime.catalogs.by_code["ar"].lookup("crisis.words.danger", None) or ""
    first = phrases.splitlines()[0]
    for text in (f"و{first}", first.replace("ا", "أ", 1), f"... {first} ..."):
        w = Walk(runtime, "ar").start().say(text)
        assert w.replies[0].kind == "crisis", text


def test_a_parents_worry_for_the_child_is_answered_as_about_the_child(runtime: Runtime) -> None:
    w = Walk(runtime).start().pick("ok", "no", "no", "parent", "danger")
    keys = w.shown_keys()
    assert "crisis.danger_other" in keys and "crisis.danger" not in keys
    assert "the person you're helping is in danger" in w.text()
    w.pick("_continue")
    assert w.node == "age"
    own = Walk(runtime).start().pick("ok", "yes")
    assert "crisis.danger" in own.shown_keys()  # their own danger: spoken to them
