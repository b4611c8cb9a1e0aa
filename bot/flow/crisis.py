"""Crisis words typed at any point: matched in every supported language at once.

The word lists are catalog entries (translators own them, like button labels), one phrase per
line. A survivor may write in a language other than the one the bot is speaking.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

CrisisKind = str  # "danger" | "selfharm"

_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


class CrisisMatcher:
    """Finds the first crisis kind whose phrases occur in a text (danger before self-harm)."""

    __slots__ = ("_patterns",)

    def __init__(self, phrases: Mapping[CrisisKind, Iterable[str]]) -> None:
        self._patterns: list[tuple[CrisisKind, re.Pattern[str]]] = []
        for kind in sorted(phrases, key=lambda k: (k != "danger", k)):
            alts = []
            for phrase in {normalize(p) for p in phrases[kind] if p.strip()}:
                body = re.escape(phrase).replace(r"\ ", r"\s+")
                # Scripts written without spaces match inside words; others on word edges.
                alts.append(body if _NO_SPACES.search(phrase) else rf"(?<!\w){body}(?!\w)")
            if alts:
                alts.sort(key=len, reverse=True)
                self._patterns.append((kind, re.compile("|".join(alts))))

    def match(self, text: str) -> CrisisKind | None:
        clean = normalize(text[:4096])
        for kind, pattern in self._patterns:
            if pattern.search(clean):
                return kind
        return None

    @staticmethod
    def parse_list(catalog_text: str) -> list[str]:
        return [
            line.strip() for line in catalog_text.replace("|", "\n").splitlines() if line.strip()
        ]
