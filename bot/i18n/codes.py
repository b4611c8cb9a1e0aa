"""Language codes in any case and form (zh_TW, zh-Hant-TW, PT-br) mapped to shipped locales."""

from __future__ import annotations

import re
from collections.abc import Sequence

from babel import Locale, UnknownLocaleError

SOURCE = "en"
_HANT_REGIONS = {"TW", "HK", "MO"}


def canonical(code: str) -> str:
    """'zh_tw' -> 'zh-TW', 'PT-br' -> 'pt-BR', 'zh-hant-tw' -> 'zh-Hant-TW'."""
    parts = [p for p in re.split(r"[-_@.]", code.strip()) if p]
    out: list[str] = []
    for i, part in enumerate(parts):
        if i == 0:
            out.append(part.lower())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


# Codes Babel does not resolve to the language a shipped locale is written in.
_ALIASES = {
    "prs": "fa-AF",  # Dari: Persian of Afghanistan
    "yue": "zh-Hant-HK",  # Cantonese is written in Traditional characters
    "zh-yue": "zh-Hant-HK",
    "yue-hans": "zh-Hans",
    "yue-hant": "zh-Hant-HK",
}


def _parts(code: str) -> tuple[str, str | None, str | None]:
    """(language, script, territory), with Babel's likely-subtags filling the gaps."""
    canon = canonical(code)
    canon = canonical(_ALIASES.get(canon.lower(), canon))
    try:
        loc = Locale.parse(canon, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        bits = canon.split("-")
        region = next((b for b in bits[1:] if len(b) == 2), None)
        script = next((b for b in bits[1:] if len(b) == 4), None)
        return bits[0], script, region
    script = loc.script
    if loc.language == "zh" and script is None:
        script = "Hant" if loc.territory in _HANT_REGIONS else "Hans"
    return loc.language, script, loc.territory


def same_locale(a: str, b: str) -> bool:
    """Same language and script, and no two different regions: zh-CN ~ zh-Hans, not zh-TW."""
    lang_a, script_a, region_a = _parts(a)
    lang_b, script_b, region_b = _parts(b)
    return (
        lang_a == lang_b
        and script_a == script_b
        and (region_a is None or region_b is None or region_a == region_b)
    )


def best_match(code: str | None, supported: Sequence[str]) -> str | None:
    """The shipped locale that serves someone asking for `code`, or None when none fits.

    Same language first (region and script preferred when they match); Chinese of any script
    goes to the Chinese locale rather than to English.
    """
    if not code or not code.strip():
        return None
    canon = canonical(code)
    by_lower = {s.lower(): s for s in supported}
    if canon.lower() in by_lower:
        return by_lower[canon.lower()]
    lang, script, region = _parts(canon)
    same = [s for s in supported if _parts(s)[0] == lang]
    if not same:
        return None
    for want in ((script, region), (script, None), (None, region)):
        for s in same:
            _, s_script, s_region = _parts(s)
            if (want[0] is None or want[0] == s_script) and (
                want[1] is None or want[1] == s_region
            ):
                return s
    bare = [s for s in same if "-" not in s]
    return bare[0] if bare else same[0]


def fallback_chain(code: str, supported: Sequence[str]) -> list[str]:
    """zh-HK -> zh-TW -> en; pt-PT -> pt-BR -> en; es-MX -> es -> en. Always ends in English."""
    chain: list[str] = []
    first = best_match(code, supported)
    if first:
        chain.append(first)
        lang = _parts(first)[0]
        chain.extend(
            s for s in supported if s not in chain and _parts(s)[0] == lang and "-" not in s
        )
    if SOURCE not in chain:
        chain.append(SOURCE)
    return chain


def is_rtl(code: str) -> bool:
    try:
        return bool(Locale.parse(canonical(code), sep="-").character_order == "right-to-left")
    except (UnknownLocaleError, ValueError, TypeError):
        return False
