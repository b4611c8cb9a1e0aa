"""Accuracy of the language hint on the held-out helpline messages in tests/data/langid.

The detector only ever *offers* a switch, so: every supported language must be recognised
(>= 95%, abstaining counts as wrong), the hard cases may be abstained on but almost never
answered wrongly, and the answer must never depend on luck.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.i18n.detect import LanguageDetector

DATA = Path(__file__).resolve().parents[1] / "data" / "langid"
SUPPORTED = ("en", "zh-TW", "es", "fr", "ar", "pt-BR", "vi", "ko")
# Simplified Chinese has no locale of its own: it is offered the closest one, zh-TW.
SETS = {locale: locale for locale in SUPPORTED} | {"zh-Hans": "zh-TW"}


def _lines(name: str) -> list[str]:
    return (DATA / f"{name}.txt").read_text("utf-8").splitlines()


def _hard() -> list[tuple[str, str]]:
    rows = (line.split("\t") for line in (DATA / "hard.tsv").read_text("utf-8").splitlines())
    return [(text, expected) for text, expected in rows]


ALL_TEXTS = [t for name in SETS for t in _lines(name)] + [t for t, _ in _hard()]


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(SUPPORTED)


def test_data_is_shipped() -> None:
    for name in SETS:
        lines = _lines(name)
        assert len(lines) >= (10 if name == "zh-Hans" else 30), name
        assert all(line.strip() == line and line for line in lines), name
    assert len(_hard()) >= 20


@pytest.mark.parametrize(("name", "expected"), SETS.items())
def test_accuracy_per_language(detector: LanguageDetector, name: str, expected: str) -> None:
    lines = _lines(name)
    misses = [(t, got) for t in lines if (got := detector.detect(t)) != expected]
    assert len(lines) - len(misses) >= 0.95 * len(lines), misses


def test_hard_cases_abstain_rather_than_guess(detector: LanguageDetector) -> None:
    wrong = [(t, e, got) for t, e in _hard() if (got := detector.detect(t)) not in (None, e)]
    assert len(wrong) <= 1, wrong


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hi",
        "ok",
        "hola",
        "merci",
        "help me",
        "por favor",
        "cảm ơn",
        "네",
        "好",
        "😭😭😭",
        "🙏",
        "123456",
        "+1 555 0100",
        "???",
        "https://example.com/a/b",
        "@someone",
        "help me 제발",  # half English, half Korean
        "助けてください",  # Japanese: not supported
        "помогите пожалуйста",  # Russian: not supported
        "لطفا کمکم کنید",  # Persian, in Arabic script
    ],
)
def test_abstains_on_short_or_ambiguous_input(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_deterministic_across_calls_and_instances(detector: LanguageDetector) -> None:
    first = [detector.detect(t) for t in ALL_TEXTS]
    assert [detector.detect(t) for t in ALL_TEXTS] == first
    assert [LanguageDetector(SUPPORTED).detect(t) for t in ALL_TEXTS] == first


def test_same_answers_from_concurrent_threads() -> None:
    fresh = LanguageDetector(SUPPORTED)  # the first calls race to load the model
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(fresh.detect, ALL_TEXTS))
    assert concurrent == [fresh.detect(t) for t in ALL_TEXTS]


def test_only_supported_locales_are_returned() -> None:
    only_en = LanguageDetector(["en"])
    assert only_en.detect("someone posted my photos online") == "en"
    assert {only_en.detect(t) for t in _lines("es") + _lines("ko")} == {None}


def test_chinese_script_picks_the_matching_locale_when_both_exist() -> None:
    both = LanguageDetector(["en", "zh-TW", "zh-CN"])
    assert {both.detect(t) for t in _lines("zh-Hans")} == {"zh-CN"}
    assert both.detect("我應該報警嗎") == "zh-TW"
