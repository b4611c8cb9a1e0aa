"""Accuracy of the language hint on the held-out helpline messages in tests/data/langid.

The detector only ever *offers* a switch, so: every supported language must be recognised
(a floor per language, abstaining counts as wrong), the hard cases may be abstained on but
almost never answered wrongly, and the answer must never depend on luck. The held-out files
were written by someone else and are only measured against; tuning used tests/data/langid/dev.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.flow.events import TextIn
from bot.i18n.bench_detect import SUPPORTED, SUPPORTED_8
from bot.i18n.detect import LanguageDetector
from bot.runtime import Runtime
from tests.flow.walk import Walk

DATA = Path(__file__).resolve().parents[1] / "data" / "langid"
# Measured (python -m bot.i18n.bench_detect): 95.0-100%. A floor, not the score: the bar is 95%.
FLOOR = dict.fromkeys(SUPPORTED, 0.95)


def _lines(name: str, data: Path = DATA) -> list[str]:
    return (data / f"{name}.txt").read_text("utf-8").splitlines()


def _hard(name: str, data: Path = DATA) -> list[tuple[str, str]]:
    rows = (line.split("\t") for line in (data / f"{name}.tsv").read_text("utf-8").splitlines())
    return [(text, expected) for text, expected in rows]


ALL_TEXTS = [t for name in SUPPORTED for t in _lines(name)] + [
    t for name in ("hard", "hard16") for t, _ in _hard(name)
]


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(SUPPORTED)


def test_data_is_shipped() -> None:
    for name in SUPPORTED:
        lines = _lines(name)
        assert len(lines) >= 30, name
        assert all(line.strip() == line and line for line in lines), name
    assert len(_hard("hard")) >= 20 and len(_hard("hard16")) >= 40


@pytest.mark.parametrize("name", SUPPORTED)
def test_accuracy_per_language(detector: LanguageDetector, name: str) -> None:
    lines = _lines(name)
    misses = [(t, got) for t in lines if (got := detector.detect(t)) != name]
    assert len(lines) - len(misses) >= FLOOR[name] * len(lines), misses


def test_hard_cases_abstain_rather_than_guess(detector: LanguageDetector) -> None:
    # hard.tsv's labels assume the first eight locales; hard16.tsv's all sixteen.
    eight = LanguageDetector(SUPPORTED_8)
    wrong = [(t, e, got) for t, e in _hard("hard") if (got := eight.detect(t)) not in (None, e)]
    assert not wrong, wrong
    wrong = [
        (t, e, got) for t, e in _hard("hard16") if (got := detector.detect(t)) not in (None, e)
    ]
    # Two known: Malay in words Indonesian shares ("tolong bantu saya") gets the Indonesian
    # offer by design (see detect.py); the held-out labels say no offer.
    assert len(wrong) <= 2, wrong


def test_the_tuning_set_stays_right(detector: LanguageDetector) -> None:
    dev = DATA / "dev"
    for path in sorted(dev.glob("*.txt")):
        lines = _lines(path.stem, dev)
        right = sum(detector.detect(t) == path.stem for t in lines)
        assert right >= 0.85 * len(lines), path.stem  # zh-Hans: 2 script-neutral lines
    wrong = [
        (t, e, got)
        for name in ("short", "tricky", "en_short")
        for t, e in _hard(name, dev)
        if (got := detector.detect(t)) not in (None, e)
    ]
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
        "por favor",  # Spanish or Portuguese
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
        "помогите пожалуйста",  # Russian: not supported
        "ho bisogno di aiuto",  # Italian
        "non so cosa fare",  # Italian "cosa" is Spanish too
        "mi dice sempre",  # Italian "mi", "dice" Spanish, "sempre" Portuguese
        "jeg trenger hjelp",  # Norwegian
        "boleh tolong saya tak",  # Malay: no Indonesian offer
        "मला मदत हवी आहे",  # Marathi, in Devanagari
        "میں بہت ڈر گئی ہوں",  # Urdu, in Arabic script
        "lutfan madad karein",  # romanised Urdu: the Hindi locale is in Devanagari
        "سلام",  # Persian and Arabic alike
        "警察",  # Chinese, either script, too short to lean
    ],
)
def test_abstains_on_short_or_ambiguous_input(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_short_english_is_never_offered_another_language(detector: LanguageDetector) -> None:
    # The model reads "im scared" as German (0.99); English words decide.
    for text in ("im scared", "help pls", "thank you", "got hacked", "need help", "so scared"):
        assert detector.detect(text) in (None, "en"), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Two words are enough when sure: the measured bug at the first question.
        ("necesito ayuda", "es"),
        ("preciso ajuda", "pt-BR"),
        ("tolong saya", "id"),
        ("hilfe bitte", "de"),
        ("tulungan mo ako", "fil"),
        ("can you help me po", "fil"),  # English with the Filipino politeness particle
        ("mujhe madad chahiye", "hi"),  # Hindi in Latin letters
        ("मेरी मदद करो", "hi"),
        ("ช่วยด้วย", "th"),
        ("助けてください", "ja"),  # kana
        ("写真を消して", "ja"),
        ("لطفا کمکم کنید", "fa"),
        ("ساعدني من فضلك", "ar"),
        ("عملوا حساب مزيف بصوري", "ar"),  # حساب is a Persian word too
        ("我是男生她也在敲诈我", "zh-Hans"),
        ("他知道我住在哪里我很害怕", "zh-Hans"),  # 里 for 裡
        ("他知道我住在哪裡我很害怕", "zh-TW"),
        ("我家离这里三公里", "zh-Hans"),
        ("我應該報警嗎", "zh-TW"),
        ("làm sao lưu bằng chứng mà không phát tán", "vi"),
    ],
)
def test_recognises(detector: LanguageDetector, text: str, expected: str) -> None:
    assert detector.detect(text) == expected


@pytest.mark.parametrize(
    ("text", "not_expected"),
    [
        ("wo ist mein Handy", "hi"),  # German "wo", "mein" are romanised Hindi words too
        ("tolong hapus agar tak tersebar", "hi"),  # Indonesian "agar tak"
        ("wali kelas saya tahu", "hi"),
        ("em ko biet ba oi", "fil"),  # Vietnamese chat "ko", "ba" are Tagalog words too
        ("necesito ayuda", "pt-BR"),
    ],
)
def test_shared_words_do_not_decide_alone(
    detector: LanguageDetector, text: str, not_expected: str
) -> None:
    assert detector.detect(text) != not_expected


def test_han_only_text_is_chinese_not_japanese(detector: LanguageDetector) -> None:
    assert detector.detect("写真流出") == "zh-Hans"


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
    assert {only_en.detect(t) for t in _lines("es") + _lines("ko") + _lines("th")} == {None}
    # With the first eight locales only, the other languages get no offer at all: Persian is
    # not offered Arabic, Japanese not Chinese, Taglish not English, Indonesian not Spanish...
    eight = LanguageDetector(SUPPORTED_8)
    for name in ("id", "fil", "th", "ja", "hi", "de", "fa"):
        assert set(map(eight.detect, _lines(name))) == {None}, name
    # ... but Simplified Chinese is offered the one Chinese locale there is.
    assert set(map(eight.detect, _lines("zh-Hans"))) == {"zh-TW"}


def test_chinese_script_picks_the_matching_locale_when_both_exist() -> None:
    both = LanguageDetector(["en", "zh-TW", "zh-CN"])
    assert both.detect("他知道我住在哪里我很害怕") == "zh-CN"
    assert both.detect("我應該報警嗎") == "zh-TW"
    # A single Chinese locale serves both scripts.
    assert LanguageDetector(["en", "zh-TW"]).detect("我应该报警吗") == "zh-TW"
    assert LanguageDetector(["en", "zh-Hans"]).detect("我應該報警嗎") == "zh-Hans"


def test_two_words_of_spanish_at_the_first_question_bring_the_offer(runtime: Runtime) -> None:
    """The measured bug: "necesito ayuda" at the first question got no offer (3+ words)."""
    detect = LanguageDetector(runtime.catalogs.codes).detect
    w = Walk(runtime).start()
    first = w.node
    w.send(TextIn("necesito ayuda", detected_lang=detect("necesito ayuda")))
    assert w.state.pending == "offer_lang:es" and w.state.lang == "en"
    w.pick("_yes")
    assert w.state.lang == "es" and w.node == first
    # English words typed in a Spanish session: an English offer at most, never German.
    w.send(TextIn("im scared", detected_lang=detect("im scared")))
    assert w.state.pending in (None, "offer_lang:en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Short Tagalog: thanks, "is it free", yes/no questions (abstained on before).
        ("salamat po", "fil"),
        ("maraming salamat", "fil"),
        ("libre po ba", "fil"),
        ("ok lang ba yun", "fil"),
        ("tinatakot nya ako", "fil"),
        ("nahack yung ig ko", "fil"),  # Taglish: a Tagalog affix on an English verb
        ("binlock ko na sya", "fil"),
        # Short Portuguese: the Portuguese offer, not Spanish, not none.
        ("obrigada viu", "pt-BR"),
        ("muito obrigado", "pt-BR"),
        ("sim por favor", "pt-BR"),  # Spanish (0.74) to the model
        ("quanto custa", "pt-BR"),  # Italian (0.98) to the model
        ("o que eu faço", "pt-BR"),  # "que" is Portuguese too
        # ... and Spanish stays Spanish.
        ("muchas gracias", "es"),
        ("si por favor", "es"),
        ("cuanto cuesta", "es"),
        ("no se que hacer", "es"),
        # Short English thanks and feelings, not German or nothing.
        ("no thanks", "en"),
        ("im so embarrassed", "en"),
    ],
)
def test_short_thanks_and_questions_get_their_language(
    detector: LanguageDetector, text: str, expected: str
) -> None:
    assert detector.detect(text) == expected


@pytest.mark.parametrize(
    ("text", "not_expected"),
    [
        ("mais ça ne va pas", "pt-BR"),  # French "mais", "ça"
        ("fotos o videos", "pt-BR"),  # Spanish "o" (or), Portuguese "o" (the)
        ("to be honest", "pt-BR"),  # Spanish to the model; "to" is Portuguese "tô" too
        ("um ok", "pt-BR"),
        ("no ano passado", "fil"),  # Portuguese "ano" (year), Tagalog "ano" (what)
        ("sana bisa dihapus", "fil"),  # Indonesian "sana"
    ],
)
def test_words_of_neighbours_do_not_bring_a_wrong_offer(
    detector: LanguageDetector, text: str, not_expected: str
) -> None:
    assert detector.detect(text) != not_expected


def test_portuguese_and_spanish_are_never_offered_each_other(detector: LanguageDetector) -> None:
    """The tuning set dev2 and its checks: a wrong swap is worse than no offer."""
    for data in (DATA / "dev2", *(DATA / "dev2" / d for d in ("fresh", "fresh2", "long"))):
        for name, other in (("pt-BR", "es"), ("es", "pt-BR")):
            swapped = [t for t in _lines(name, data) if detector.detect(t) == other]
            assert not swapped, (data.name, name, swapped)
    assert "es" not in set(map(detector.detect, _lines("pt-PT", DATA / "dev2")))


def test_the_second_tuning_set_stays_right(detector: LanguageDetector) -> None:
    # Measured: 95.7-100% (fil 98.5%, pt-BR 95.7%); the fresh checks 92.3-100%, the longer
    # messages 100%. Floors.
    checks = (DATA / "dev2" / "fresh", DATA / "dev2" / "fresh2", DATA / "dev2" / "long")
    for data, floor in ((DATA / "dev2", 0.93), *((d, 0.9) for d in checks)):
        for path in sorted(data.glob("*.txt")):
            expected = "pt-BR" if path.stem == "pt-PT" else path.stem
            answers = [detector.detect(t) for t in _lines(path.stem, data)]
            assert sum(a == expected for a in answers) >= floor * len(answers), path
            assert all(a in (None, expected) for a in answers), (path, answers)


def test_portuguese_thanks_at_the_first_question_brings_the_portuguese_offer(
    runtime: Runtime,
) -> None:
    detect = LanguageDetector(runtime.catalogs.codes).detect
    w = Walk(runtime).start()
    w.send(TextIn("obrigada viu", detected_lang=detect("obrigada viu")))
    assert w.state.pending == "offer_lang:pt-BR" and w.state.lang == "en"
    w.pick("_yes")
    assert w.state.lang == "pt-BR"


def test_tagalog_thanks_at_the_first_question_brings_the_filipino_offer(
    runtime: Runtime,
) -> None:
    detect = LanguageDetector(runtime.catalogs.codes).detect
    w = Walk(runtime).start()
    w.send(TextIn("salamat po", detected_lang=detect("salamat po")))
    assert w.state.pending == "offer_lang:fil" and w.state.lang == "en"


def test_blind_set_floor(detector: LanguageDetector) -> None:
    """The second blind set (written after tuning): a floor under its first, blind score.

    Measured blind: 14 languages ≥ 95%, fil 84% (abstained), pt-BR 88% (one read as Spanish);
    after the Filipino/Portuguese round (which did not look at it) all 16 ≥ 96%. The floor keeps
    one message of slack. Abstaining is harmless (no offer); a wrong offer is what a survivor
    notices, so at most one.
    """
    blind = DATA / "blind"
    for name in SUPPORTED:
        lines = _lines(name, blind)
        answers = [detector.detect(t) for t in lines]
        assert sum(a == name for a in answers) >= 0.92 * len(lines), (name, answers)
        assert sum(a not in (None, name) for a in answers) <= 1, (name, answers)
