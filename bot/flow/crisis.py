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


_ARABIC = re.compile(r"[\u0600-\u06ff]")
_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "’": "'", "‘": "'", "\u0640": None}
)
_MARKS = re.compile(r"[\u064b-\u065f\u0670]")  # Arabic short-vowel marks


def normalize(text: str) -> str:
    """Case, width, apostrophes and Arabic letter variants folded; spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    return " ".join(_MARKS.sub("", text).split())


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
                # Arabic joins و ف ب ل to the next word ("وانا في خطر").
                if _NO_SPACES.search(phrase):
                    alts.append(body)
                elif _ARABIC.search(phrase):
                    alts.append(rf"(?<!\w)(?:[وفبل])?{body}(?!\w)")
                else:
                    alts.append(rf"(?<!\w){body}(?!\w)")
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
