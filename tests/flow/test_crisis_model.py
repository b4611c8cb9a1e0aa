"""The on-device crisis model: rebuilt exactly from the dev sets, and useful at its threshold."""

from __future__ import annotations

import math

import pytest

from bot.flow import crisis_model
from bot.flow.bench_crisis import FALSE_ALARMS_PER
from bot.flow.crisis import CrisisMatcher
from bot.flow.crisis_model import WEIGHTS, ModelTier, dump, load, train, training_examples
from bot.runtime import Runtime, crisis_matcher
from tests.flow.walk import to_results


@pytest.fixture(scope="module")
def trained() -> str:
    return dump(train())


def test_the_shipped_weights_are_what_train_builds_from_the_repo_data(trained: str) -> None:
    assert WEIGHTS.read_text("utf-8") == trained


def test_training_does_not_depend_on_the_order_of_the_messages(trained: str) -> None:
    assert dump(train(list(reversed(training_examples())))) == trained


def test_training_never_reads_the_held_out_set() -> None:
    assert "heldout" not in crisis_model.TRAIN_SETS


OBVIOUS = [
    "i want to kill myself",
    "quiero suicidarme",
    "je veux mourir",
    "죽고 싶어",
    "أريد أن أقتل نفسي",
    "ich will mich umbringen",
]


def test_most_obvious_crisis_messages_are_flagged_and_only_ever_as_a_check_in() -> None:
    model = load()
    flagged = [t for t in OBVIOUS if model.kind(t) == "selfharm"]
    assert len(flagged) >= 4, flagged  # weak alone, by design: the word lists lead
    for text in OBVIOUS:
        assert ModelTier(model).match(text) in ("possible", None)  # never a strong tier


@pytest.mark.parametrize(
    "text",
    [
        "how do i report a fake account",
        "¿cómo denuncio una cuenta falsa?",
        "comment supprimer une photo",
        "como faço para denunciar",
        "사진을 삭제하고 싶어요",
        "我要怎麼檢舉",
        "",
        "!!!",
    ],
)
def test_obvious_ordinary_messages_are_not(text: str) -> None:
    assert load().kind(text) is None
    assert ModelTier(load()).match(text) is None


def test_the_dev_sets_hold_a_floor() -> None:
    """In-sample on dev and dev2: few false alarms in every language, and a floor of catches."""
    model = load()
    caught = {"danger": 0, "selfharm": 0}
    totals = {"danger": 0, "selfharm": 0}
    ordinary: dict[str, list[bool]] = {}
    for locale, label, text in training_examples():
        hit = model.is_possible(text)
        if label == "ordinary":
            ordinary.setdefault(locale, []).append(hit)
        else:
            caught[label] += hit
            totals[label] += 1
    for locale, hits in ordinary.items():
        assert sum(hits) * FALSE_ALARMS_PER <= len(hits), locale
    assert caught["danger"] >= 0.4 * totals["danger"]
    assert caught["selfharm"] >= 0.4 * totals["selfharm"]


def test_the_threshold_keeps_out_of_fold_false_alarms_within_budget() -> None:
    examples = [
        ("xx", "ordinary", "a"),
        ("xx", "ordinary", "b"),
        ("xx", "danger", "c"),
        ("yy", "ordinary", "d"),
    ]
    # one language's highest ordinary score decides, when no false alarm is allowed
    assert crisis_model.choose_threshold(examples, [1.0, 3.0, 9.0, 2.0], budget=0.0) > 3.0
    assert math.isfinite(load().threshold)


def test_a_well_measured_language_gets_its_own_lower_threshold() -> None:
    """60 ordinary messages allow one false alarm in 'xx'; 'yy', measured less, allows none,
    and its stricter threshold also guards languages the training sets do not hold."""
    examples = [("xx", "ordinary", f"x{i}") for i in range(60)]
    examples += [("yy", "ordinary", f"y{i}") for i in range(10)]
    scored = [(float(i), "xx") for i in range(60)] + [(70.0 + i, "yy") for i in range(10)]
    thresholds = crisis_model.choose_thresholds(examples, scored)
    assert 58.0 < thresholds["xx"] <= 59.0  # only the highest ordinary score (59) is above
    assert thresholds["yy"] > 79.0
    assert thresholds[crisis_model.OTHER] == thresholds["yy"]


def test_the_threshold_follows_the_language_the_message_is_written_in() -> None:
    model = load()
    assert model.languages.guess(crisis_model.analyse("quiero suicidarme")) == "es"
    assert model.languages.guess(crisis_model.analyse("死にたい")) == "ja"
    assert model.scored("quiero suicidarme")[1] == model.thresholds["es"]
    # a script no training language is written in: the strictest threshold
    assert model.scored("Я хочу умереть")[1] == model.threshold == max(model.thresholds.values())


# ---------------------------------------------------------------- wired into the matcher


QUIET = "aku gak takut mati lagi, malah nunggu"  # "not afraid of dying any more, waiting for it"


def test_the_model_adds_only_a_check_in_where_no_phrase_matches() -> None:
    matcher = CrisisMatcher({"danger": ["kill me"]}, possible=load().is_possible)
    assert matcher.match(QUIET) == "possible"
    assert matcher.match("he will kill me") == "danger"  # the lists keep the strong tiers
    assert matcher.match("how do i report a fake account") is None
    assert ("possible", "(the on-device model)") in matcher.explain(QUIET)
    assert CrisisMatcher({"danger": ["kill me"]}).match(QUIET) is None
    tier = ModelTier(load())
    assert tier.explain(QUIET)[0][0] == "possible"
    assert tier.explain("how do i report a fake account") == []


def test_the_shipped_matcher_uses_the_model_and_the_bench_can_leave_it_out(
    runtime: Runtime,
) -> None:
    with_model = crisis_matcher(runtime.catalogs)
    lists_only = crisis_matcher(runtime.catalogs, model=False)
    # Phrasings no list holds: only the model notices them.
    for text in ("er hat gesagt er fackelt die wohnung ab", "มันพาพวกมายืนคุมเชิงอยู่ปากทาง"):
        assert lists_only.match(text) is None
        assert with_model.match(text) == "possible"


def test_a_message_only_the_model_flags_gets_the_check_in(runtime: Runtime) -> None:
    w = to_results(runtime, country="tw").say("er hat gesagt er fackelt die wohnung ab")
    reply = w.replies[0]
    assert reply.kind == "crisis" and reply.body[0].key == "checkin.question"
    assert [b.id for b in w.prompt.buttons] == ["_danger", "_selfharm", "_continue"]


def test_a_single_latin_letter_with_a_digit_never_asks_a_check_in() -> None:
    """A code word try like "x5" once read as a possible crisis (a score of 2 features)."""
    model = load()
    assert not any(model.is_possible(f"{c}{n}") for c in "abcxyz" for n in range(10))
    assert model.is_possible("想4")  # one Han character can be the whole word: still read
