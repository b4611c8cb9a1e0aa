"""What counts as the same code word, shared by the engine (length) and the store (KDF).

A phone keyboard capitalises the first letter and may add a space after a word; full-width
and composed characters differ between keyboards. None of that should lock a survivor out.
"""

from __future__ import annotations

import unicodedata

MIN_LENGTH = 4
MAX_LENGTH = 64


def normalise(word: str) -> str:
    """NFKC, case-folded, outer spaces stripped: "Rose " and "rose" are the same word."""
    return unicodedata.normalize("NFKC", word).casefold().strip()


def acceptable(word: str) -> bool:
    return MIN_LENGTH <= len(normalise(word)) <= MAX_LENGTH
