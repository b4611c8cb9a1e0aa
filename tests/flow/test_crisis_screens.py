"""Crisis screens per need and per country, the check-in for possible signals, and the gentle
reminders at the results and the goodbye."""

from __future__ import annotations

import dataclasses

import pytest

from bot.flow.crisis import CrisisMatcher
from bot.flow.directory import Country
from bot.flow.engine import Engine
from bot.flow.events import TextIn
from bot.flow.replies import RelayToStaff
from bot.flow.screens import Env, StaffStatus
from bot.runtime import Runtime
from tests.flow.walk import Walk, to_results, walk_to

POSSIBLE = "i can't cope anymore"  # a test phrase for the "possible" kind
STORAGE = Env(channel="telegram", storage=True)
OPEN = Env(channel="telegram", storage=True, staff=StaffStatus(open_now=True))


@pytest.fixture(scope="module")
def checkin_rt(runtime: Runtime) -> Runtime:
    """The shipped runtime whose matcher also knows a "possible" phrase."""
    matcher = CrisisMatcher(
        {
            "danger": ["going to kill me"],
            "selfharm": ["kill myself", "want to die"],
            "possible": [POSSIBLE],
        }
    )
    old = runtime.engine
    engine = Engine(old.flow, old.directory, old.locales, matcher, old.default_lang)
    return dataclasses.replace(runtime, engine=engine)


def countries(runtime: Runtime) -> list[Country]:
    return runtime.directory.national()


def crisis_at(runtime: Runtime, need: str, country: str, lang: str = "en", **answers: str) -> Walk:
    """The crisis screen for `need`, opened from the safety questions, country then chosen."""
    w = Walk(runtime, lang).start()
    if answers:
        w = walk_to(w, "what", **answers)
        w.say("i want to kill myself" if need == "selfharm" else "he is going to kill me")
    else:
        w.pick("ok", "yes") if need == "danger" else w.pick("ok", "no", "yes")
    assert w.replies[0].kind == "crisis"
    return w.pick(f"_cc:{country}")


def shown_ids(w: Walk) -> list[str]:
    return w.resource_ids()


# ---------------------------------------------------------------- per need, every country


@pytest.mark.parametrize("code", ["au", "ca", "gb", "kr", "tw", "us"])
def test_the_danger_screen_shows_every_emergency_number_then_a_danger_line(
    runtime: Runtime, code: str
) -> None:
    country = runtime.directory.countries[code]
    w = crisis_at(runtime, "danger", code)
    text = w.text()
    assert country.emergency and all(e.number in text for e in country.emergency)
    ids = shown_ids(w)
    assert ids and ids[0] == country.crisis.danger[0]
    suicide_only = set(country.crisis.selfharm) - set(country.crisis.danger)
    assert not suicide_only & set(ids), ids  # not the suicide lines instead


@pytest.mark.parametrize("code", ["au", "ca", "gb", "kr", "tw", "us"])
def test_the_self_harm_screen_shows_the_main_emergency_number_then_a_suicide_line(
    runtime: Runtime, code: str
) -> None:
    country = runtime.directory.countries[code]
    w = crisis_at(runtime, "selfharm", code)
    text = w.text()
    assert country.emergency[0].number in text
    for other in country.emergency[1:]:
        assert f" {other.number}" not in text  # the main one only
    ids = shown_ids(w)
    assert ids and ids[0] == country.crisis.selfharm[0]


def test_every_shipped_country_has_all_three(runtime: Runtime) -> None:
    for c in countries(runtime):
        assert c.emergency and c.crisis.danger and c.crisis.selfharm, c.code


# ---------------------------------------------------------------- Korea and Taiwan


def test_korea_in_danger_gets_police_112_ambulance_and_fire_119_and_the_1366_lines(
    runtime: Runtime,
) -> None:
    w = crisis_at(runtime, "danger", "kr")
    assert "Emergency numbers in South Korea: police 112 · ambulance and fire 119" in w.text()
    assert shown_ids(w) == ["kr-1366", "kr-migrant-women"]
    assert "1577-1366" in w.text()


def test_korea_thinking_of_self_harm_gets_109_not_the_retired_1393(runtime: Runtime) -> None:
    w = crisis_at(runtime, "selfharm", "kr")
    text = w.text()
    assert shown_ids(w) == ["kr-109"] and "112" in text
    assert "1393" not in text and "1366" not in text


def test_a_young_person_in_korea_sees_the_youth_line_first(runtime: Runtime) -> None:
    young = {"who": "self", "age": "under18", "age_now": "minor"}
    assert shown_ids(crisis_at(runtime, "selfharm", "kr", **young)) == ["kr-1388", "kr-109"]
    danger = shown_ids(crisis_at(runtime, "danger", "kr", **young))
    assert danger == ["kr-1388", "kr-1366", "kr-migrant-women"]
    adult = {"who": "self", "age": "adult"}
    assert "kr-1388" not in shown_ids(crisis_at(runtime, "danger", "kr", **adult))


def test_korean_readers_see_the_korean_names_and_labels(runtime: Runtime) -> None:
    text = crisis_at(runtime, "danger", "kr", lang="ko").text()
    assert "경찰 112 · 구급·화재 119" in text
    assert "여성긴급전화1366" in text and "이주여성 긴급지원센터 1577-1366" in text
    assert "자살예방상담전화 109" in crisis_at(runtime, "selfharm", "kr", lang="ko").text()


def test_taiwan_in_danger_gets_110_119_and_the_113_protection_line(runtime: Runtime) -> None:
    w = crisis_at(runtime, "danger", "tw")
    text = w.text()
    assert "Emergency numbers in Taiwan: police 110 · ambulance and fire 119" in text
    assert shown_ids(w) == ["tw-113"]
    assert "domestic violence" in text and "sexual assault" in text
    assert "1925" not in text


def test_taiwan_thinking_of_self_harm_gets_1925_1995_1980(runtime: Runtime) -> None:
    w = crisis_at(runtime, "selfharm", "tw")
    assert shown_ids(w) == ["tw-1925", "tw-1995", "tw-1980"]
    assert "110" in w.text() and "113" not in w.text() and "119" not in w.text()


# ---------------------------------------------------------------- before the country is known


@pytest.mark.parametrize("need", ["danger", "selfharm"])
def test_before_the_country_is_known_the_screen_is_short(runtime: Runtime, need: str) -> None:
    w = Walk(runtime).start()
    w.pick("ok", "yes") if need == "danger" else w.pick("ok", "no", "yes")
    reply = w.replies[0]
    assert reply.kind == "crisis" and len(reply.body) <= 8
    text = w.text()
    assert text.startswith("I'm here with you") or text.startswith("Thank you for telling me")
    assert "findahelpline.com" in text and "I'll show the numbers for your country" in text
    numbers = {
        value
        for c in countries(runtime)
        for value in [
            *(e.number for e in c.emergency),
            *(
                contact.value
                for rid in [*c.crisis.danger, *c.crisis.selfharm]
                if runtime.directory.origin[rid] != "global"
                for contact in runtime.directory.resources[rid].contacts
                if contact.kind == "phone"
            ),
        ]
    }
    shown = [n for n in numbers if n in text]
    assert shown == [], shown
    ids = [b.id for b in w.prompt.buttons]
    assert {f"_cc:{c.option_id}" for c in countries(runtime)} <= set(ids)


def test_the_service_unavailable_message_gives_the_international_line(runtime: Runtime) -> None:
    text = runtime.renderer.reply(runtime.engine.unavailable("en"), "en").messages[0]
    assert text.startswith("Sorry") and "findahelpline.com" in text and "911" not in text


# ---------------------------------------------------------------- the check-in


def test_a_possible_signal_gets_a_kind_check_in_with_the_numbers_already(
    checkin_rt: Runtime,
) -> None:
    w = to_results(checkin_rt, country="tw").say(f"honestly {POSSIBLE}")
    reply = w.replies[0]
    assert reply.kind == "crisis" and reply.body[0].key == "checkin.question"
    text = w.text()
    assert text.startswith("I'm here with you") and "are you safe right now?" in text
    assert "Emergency number" in text and "110" in text  # main number
    assert shown_ids(w) == ["tw-113", "tw-1925"]  # one danger line, one self-harm line
    assert [b.id for b in w.prompt.buttons] == ["_danger", "_selfharm", "_continue"]
    assert reply.exit_button


def test_the_check_in_leads_to_the_danger_or_self_harm_screen_or_back(
    checkin_rt: Runtime,
) -> None:
    w = walk_to(Walk(checkin_rt).start(), "where", country="gb").say(POSSIBLE)
    w.pick("_danger")
    assert w.replies[0].kind == "crisis" and "crisis.danger" in w.shown_keys()
    w.pick("_continue")
    assert w.node == "where"
    w.say(POSSIBLE).pick("_selfharm")
    assert "crisis.selfharm" in w.shown_keys()
    w.pick("_continue")
    assert w.node == "where"
    w.say(POSSIBLE).pick("_continue")
    assert w.node == "where" and w.prompt is not None and w.prompt.kind == "question"


@pytest.mark.parametrize(("typed", "key"), [("1", "crisis.danger"), ("2", "crisis.selfharm")])
def test_typing_a_number_answers_the_check_in(checkin_rt: Runtime, typed: str, key: str) -> None:
    w = Walk(checkin_rt).start().say(POSSIBLE).say(typed)
    assert w.shown_keys()[0] == key
    w = Walk(checkin_rt).start().say(POSSIBLE).say("3")
    assert w.node == "safe" and w.state is not None and w.state.pending is None


def test_before_the_country_is_known_the_check_in_has_the_international_line(
    checkin_rt: Runtime,
) -> None:
    w = Walk(checkin_rt).start().say(POSSIBLE)
    assert len(w.replies[0].body) <= 6
    assert "findahelpline.com" in w.text() and "911" not in w.text()


def test_the_check_in_reads_fully_in_every_shipped_language(checkin_rt: Runtime) -> None:
    cat = checkin_rt.catalogs
    for code in cat.codes:
        w = Walk(checkin_rt, code).start().say(POSSIBLE)
        assert w.replies[0].body[0].key == "checkin.question", code
        rendered = checkin_rt.renderer.reply(w.replies[0], code)
        question = cat.text(code, "checkin.question")
        assert rendered.messages[0].startswith(question), code
        labels = [cat.text(code, k) for k in ("checkin.danger", "checkin.selfharm", "checkin.ok")]
        assert len(set(labels)) == 3 and all(labels), code
        w.pick("_danger")
        assert w.replies[0].kind == "crisis" and w.state is not None, code
        assert w.state.lang == code


def _pending(checkin_rt: Runtime, name: str) -> Walk:
    """A conversation showing the system prompt `name`."""
    if name == "language":
        return Walk(checkin_rt, None).start()
    if name == "help":
        return walk_to(Walk(checkin_rt).start(), "who").command("help")
    if name == "delete":
        return walk_to(Walk(checkin_rt, env=STORAGE).start(), "who").command("delete")
    if name == "offer_lang":
        w = walk_to(Walk(checkin_rt).start(), "who")
        return w.send(TextIn("hola, necesito ayuda", detected_lang="es"))
    if name == "crisis":
        return Walk(checkin_rt).start().pick("ok", "yes")
    if name == "checkin":
        return Walk(checkin_rt).start().say(POSSIBLE)
    if name == "input":
        return to_results(checkin_rt, env=OPEN).pick("talk", "share")
    if name == "finished":
        return to_results(checkin_rt).pick("done")
    raise AssertionError(name)


@pytest.mark.parametrize(
    "name",
    ["language", "help", "delete", "offer_lang", "crisis", "checkin", "input", "finished"],
)
def test_the_check_in_works_from_every_point_and_carries_on_after(
    checkin_rt: Runtime, name: str
) -> None:
    w = _pending(checkin_rt, name)
    assert w.state is not None
    before = (w.state.pending or "").split(":")[0]
    if name not in ("input", "finished"):
        assert before == name.split("_")[0] or before.startswith(name), (name, before)
    node = w.node
    w.say(POSSIBLE)
    assert w.replies[0].body[0].key == "checkin.question", name
    assert w.state.pending == "checkin"
    w.pick("_continue")
    assert w.state.pending is None or w.state.pending == "language"
    assert w.prompt is not None  # something to answer or a way on
    if name in ("help", "delete", "offer_lang", "input", "finished"):
        assert w.node == node


def test_during_a_handoff_a_possible_signal_goes_to_staff_and_shows_numbers_without_buttons(
    checkin_rt: Runtime,
) -> None:
    w = to_results(checkin_rt, env=OPEN, country="au").pick("talk", "share", "_skip")
    assert w.state is not None and w.state.mode == "handoff"
    w.say(POSSIBLE)
    assert RelayToStaff(POSSIBLE) in w.effects
    reply = w.replies[0]
    assert reply.body[0].key == "checkin.handoff" and not reply.buttons and reply.token is None
    assert "000" in w.text() and "1800RESPECT" in w.text() and "13 11 14" in w.text()


# ---------------------------------------------------------------- asking again gently


def test_the_results_and_the_goodbye_end_with_the_emergency_number_and_help(
    runtime: Runtime,
) -> None:
    w = to_results(runtime, country="kr")
    results = next(r for r in w.replies if r.kind == "results")
    assert results.body[-1].key == "safety.reminder"
    text = w.text()
    assert "the emergency number in South Korea is 112" in text and "/help" in text
    w.pick("done")
    goodbye = w.replies[-1]
    assert goodbye.body[-1].key == "safety.reminder" and "112" in w.text()


def test_without_a_country_the_reminder_names_help_only(runtime: Runtime) -> None:
    w = to_results(runtime, country="other")
    assert "safety.reminder_anywhere" in w.shown_keys()
    assert "/help shows crisis lines any time" in w.text()


def test_help_shows_the_crisis_lines_any_time(runtime: Runtime) -> None:
    w = walk_to(Walk(runtime).start(), "relationship", country="us").command("help")
    text = w.text()
    assert "911" in text and "RAINN" in text and "988" in text
    assert "findahelpline.com" in Walk(runtime).start().command("help").text()


def test_a_first_message_that_might_mean_danger_gets_the_check_in(checkin_rt: Runtime) -> None:
    w = Walk(checkin_rt).say(POSSIBLE)  # no /start first
    assert w.replies[-1].body[0].key == "checkin.question"
    w.pick("_continue")
    assert w.node == "safe"


def test_a_young_persons_check_in_shows_two_different_lines(checkin_rt: Runtime) -> None:
    young = {"who": "self", "age": "under18", "age_now": "minor", "country": "kr"}
    w = walk_to(Walk(checkin_rt).start(), "relationship", **young).say(POSSIBLE)
    assert shown_ids(w) == ["kr-1388", "kr-109"] and "112" in w.text()
