"""A simple locale-aware sort key for short lists of names (countries on buttons).

Not full Unicode collation (no ICU here): accents and case are ignored first and break ties
after; Vietnamese đ sorts with d; kana voicing marks and small kana are read plain; an Arabic
name is filed without its article (ال); Thai's leading vowels are read after their consonant,
as Thai dictionaries do; and the Persian letters پ چ ژ گ sit beside ب ج ز ک rather than after
ی. Hangul, kana and Han sort by code point, which follows the Korean and Japanese syllable
order and roughly the Chinese radical order.
"""

from __future__ import annotations

import unicodedata

_FOLD = str.maketrans({"đ": "d", "ß": "ss", "æ": "ae", "ø": "o", "ł": "l", "ı": "i"})
_THAI_LEADING = frozenset("เแโใไ")
_KANA_MARKS = frozenset("\u3099\u309a")  # dakuten and handakuten, after NFKD
_SMALL_KANA = str.maketrans(
    dict(
        zip(
            "ァィゥェォッャュョヮぁぃぅぇぉっゃゅょゎ",
            "アイウエオツヤユヨワあいうえおつやゆよわ",
            strict=True,
        )
    )
)
# Persian alphabet order; Arabic-only forms (ك ي ة ى) read as their Persian letters.
_PERSIAN = "اآبپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_ARABIC_AS = str.maketrans({"ك": "ک", "ي": "ی", "ى": "ی", "ة": "ه", "أ": "ا", "إ": "ا"})


def sort_key(name: str, lang: str | None = None) -> tuple[str, str]:
    """Primary key without accents or case, then the name itself to break ties."""
    text = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    base = "".join(ch for ch in text if not _is_latin_mark(ch))
    language = (lang or "").split("-")[0].lower()
    if language == "ja":
        base = base.translate(_SMALL_KANA)
    if language == "ar" and base.startswith("ال"):
        base = base[2:]  # the article: البرازيل goes under ب, as Arabic lists file it
    if language == "th":
        base = _thai(base)
    if language in ("fa", "ar"):
        base = "".join(_persian(ch) for ch in base.translate(_ARABIC_AS))
    return base, name


def _is_latin_mark(ch: str) -> bool:
    """Accents on Latin letters and kana voicing marks only: in Devanagari or Thai a mark
    is part of the letter."""
    return unicodedata.category(ch) == "Mn" and (ord(ch) < 0x0370 or ch in _KANA_MARKS)


def _thai(text: str) -> str:
    out = []
    for word in text.split(" "):
        chars = list(word)
        i = 0
        while i < len(chars) - 1:
            if chars[i] in _THAI_LEADING:
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
                i += 1
            i += 1
        out.append("".join(chars))
    return " ".join(out)


def _persian(ch: str) -> str:
    at = _PERSIAN.find(ch)
    return chr(0xE000 + at) if at >= 0 else ch  # private use: after every real letter
