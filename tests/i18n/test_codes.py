"""Language codes in any case and form reach the right locale, with sensible fallbacks."""

from __future__ import annotations

import pytest

from bot.i18n.codes import best_match, canonical, fallback_chain, is_rtl

SHIPPED = ["en", "zh-TW", "es", "fr", "ar", "pt-BR", "vi", "ko"]


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("zh_TW", "zh-TW"),
        ("zh-Hant-TW", "zh-TW"),
        ("ZH-tw", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("zh-Hant", "zh-TW"),
        ("zh", "zh-TW"),
        ("PT-br", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("pt", "pt-BR"),
        ("es-MX", "es"),
        ("es_419", "es"),
        ("EN-us", "en"),
        ("ar-EG", "ar"),
        ("ko-KR", "ko"),
        ("vi_VN", "vi"),
        ("fr-CA", "fr"),
        ("de", None),
        ("", None),
        ("not a code", None),
    ],
)
def test_codes_in_any_form_find_the_shipped_locale(asked: str, served: str | None) -> None:
    assert best_match(asked, SHIPPED) == served


def test_fallback_chains_end_in_english() -> None:
    assert fallback_chain("zh-HK", SHIPPED) == ["zh-TW", "en"]
    assert fallback_chain("pt-PT", SHIPPED) == ["pt-BR", "en"]
    assert fallback_chain("es-AR", SHIPPED) == ["es", "en"]
    assert fallback_chain("de", SHIPPED) == ["en"]


def test_canonical_forms_and_direction() -> None:
    assert canonical("zh_hant_tw") == "zh-Hant-TW" and canonical("pt_br") == "pt-BR"
    assert is_rtl("ar") and not is_rtl("en") and not is_rtl("zh-TW")


SIXTEEN = [*SHIPPED, "id", "fil", "th", "zh-Hans", "ja", "hi", "de", "fa"]


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        # Telegram clients send language_code in many forms.
        ("fil", "fil"),
        ("tl", "fil"),
        ("tl-PH", "fil"),
        ("fil_PH", "fil"),
        ("zh-hans", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh_cn", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-hant", "zh-TW"),
        ("zh-TW", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("zh-MO", "zh-TW"),
        ("yue", "zh-TW"),  # Cantonese reads Traditional
        ("fa", "fa"),
        ("fa-IR", "fa"),
        ("fa-AF", "fa"),
        ("prs", "fa"),  # Dari
        ("id", "id"),
        ("id-ID", "id"),
        ("in", "id"),  # the old ISO code for Indonesian
        ("ms", None),  # Malay: not silently Indonesian (the picker asks)
        ("ja-JP", "ja"),
        ("th-TH", "th"),
        ("hi-IN", "hi"),
        ("de-AT", "de"),
        ("de-CH", "de"),
        ("ur", None),  # Urdu: the Hindi locale is in Devanagari
        ("ar-EG", "ar"),
        ("pt-br", "pt-BR"),
        ("en-GB", "en"),
    ],
)
def test_telegram_codes_find_one_of_sixteen_locales(asked: str, served: str | None) -> None:
    assert best_match(asked, SIXTEEN) == served
    assert best_match(asked, list(reversed(SIXTEEN))) == served  # order does not matter


def test_each_chinese_script_falls_back_to_the_other_only_when_alone() -> None:
    assert fallback_chain("zh-CN", SIXTEEN) == ["zh-Hans", "en"]
    assert fallback_chain("zh-HK", SIXTEEN) == ["zh-TW", "en"]
    assert best_match("zh-CN", SHIPPED) == "zh-TW"
    assert best_match("zh-TW", ["en", "zh-Hans"]) == "zh-Hans"
    assert is_rtl("fa") and is_rtl("fa-AF") and not is_rtl("hi") and not is_rtl("th")
