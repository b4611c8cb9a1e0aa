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
