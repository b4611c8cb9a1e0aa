"""The case card shows exactly what the survivor agreed to share, in the consent's own words.

handoff.consent lists: language, country, situation, what they'd like, safety concerns. The
card's header carries the language; its answers must each fall under one of the others, and
answers the consent does not name (who is responsible, whether they still have the file,
or whether they were safe to chat) never reach staff. Checked in every locale
against that locale's consent text, so a translation that promises less fails here.
"""

from __future__ import annotations

import pytest

from bot.flow.replies import Text
from bot.flow.screens import SHARED_ON_CARD, Env, StaffStatus
from bot.runtime import Runtime
from tests.flow.walk import to_results

OPEN = Env(channel="telegram", storage=True, staff=StaffStatus(open_now=True))

# Each locale's words, as its consent text says them, for what the card may show.
CONSENT_WORDS: dict[str, dict[str, str]] = {
    "en": {"language": "language", "country": "country", "situation": "situation",
           "wants": "what you'd like", "safety": "safety concerns"},
    "es": {"language": "idioma", "country": "país", "situation": "situación",
           "wants": "lo que te gustaría", "safety": "preocupación por tu seguridad"},
    "fr": {"language": "langue", "country": "pays", "situation": "situation",
           "wants": "ce que vous souhaitez", "safety": "inquiétude pour votre sécurité"},
    "ar": {"language": "لغتك", "country": "بلدك", "situation": "وضعك",
           "wants": "المساعدة المطلوبة", "safety": "مخاوف تتعلق بسلامتك"},
    "pt-BR": {"language": "idioma", "country": "país", "situation": "situação",
              "wants": "o que você gostaria", "safety": "preocupação com sua segurança"},
    "vi": {"language": "ngôn ngữ", "country": "quốc gia", "situation": "tình huống",
           "wants": "điều bạn mong muốn", "safety": "lo ngại về an toàn"},
    "ko": {"language": "언어", "country": "국가", "situation": "상황",
           "wants": "원하는 도움", "safety": "안전 관련 우려"},
    "zh-TW": {"language": "語言", "country": "國家", "situation": "狀況",
              "wants": "你需要的協助", "safety": "安全上的顧慮"},
    "de": {"language": "Sprache", "country": "Land", "situation": "Situation",
           "wants": "was du dir wünschst", "safety": "Sicherheitsbedenken"},
    "fa": {"language": "زبان", "country": "کشور", "situation": "وضعیت",
           "wants": "خواسته‌هایتان", "safety": "نگرانی‌ای دربارهٔ امنیتتان"},
    "fil": {"language": "wika", "country": "bansa", "situation": "sitwasyon",
            "wants": "ang gusto mo", "safety": "alalahanin sa kaligtasan"},
    "hi": {"language": "भाषा", "country": "देश", "situation": "स्थिति",
           "wants": "आप क्या चाहते हैं", "safety": "सुरक्षा से जुड़ी कोई चिंता"},
    "id": {"language": "bahasamu", "country": "negaramu", "situation": "situasimu",
           "wants": "apa yang kamu inginkan", "safety": "kekhawatiran soal keselamatan"},
    "ja": {"language": "言語", "country": "国", "situation": "状況",
           "wants": "希望すること", "safety": "安全についての心配"},
    "th": {"language": "ภาษา", "country": "ประเทศ", "situation": "สถานการณ์",
           "wants": "สิ่งที่คุณต้องการ", "safety": "ข้อกังวลด้านความปลอดภัย"},
    "zh-Hans": {"language": "语言", "country": "国家", "situation": "情况",
                "wants": "你需要的帮助", "safety": "安全方面的顾虑"},
}  # fmt: skip
NOT_SHARED = ("safe", "has_file", "relationship")  # answered below, never consented


def test_every_locale_is_checked(runtime: Runtime) -> None:
    assert len(runtime.catalogs.codes) == 16
    assert set(CONSENT_WORDS) == set(runtime.catalogs.codes)


@pytest.mark.parametrize("lang", sorted(CONSENT_WORDS))
def test_the_card_shows_exactly_what_the_consent_lists(runtime: Runtime, lang: str) -> None:
    r = runtime.renderer
    consent = r.plain(Text.of("handoff.consent", days=30), lang)
    words = CONSENT_WORDS[lang]
    assert [w for w in words.values() if w not in consent] == []
    assert set(SHARED_ON_CARD.values()) <= set(words)  # every category is one it names

    w = to_results(runtime, lang, env=OPEN, country="ca", relationship="partner",
                   has_file="no", age="under18", age_now="adult")  # fmt: skip
    w.pick("talk", "share").say("call me after six")
    assert w.state is not None and w.state.mode == "handoff"
    for nid in (*SHARED_ON_CARD, *NOT_SHARED):  # the walk answered all of them
        assert w.state.answers.get(runtime.engine.flow.answer_name(nid)) is not None, nid
    card = runtime.engine.screens.case_summary(w.state)
    shown = {label.key for label, _ in card.items if isinstance(label, Text)}
    assert len(shown) == len(card.items)
    assert shown == {f"{nid}.summary" for nid in SHARED_ON_CARD} | {"handoff.note_summary"}
    rendered = "\n".join(r.plain(label, lang) for label, _ in card.items)
    for nid in NOT_SHARED:
        assert r.plain(Text.of(f"{nid}.summary"), lang) not in rendered
