"""Country names sort the way a reader of each language looks for them."""

from __future__ import annotations

import pytest

from bot.i18n.collate import sort_key


@pytest.mark.parametrize(
    ("lang", "names", "expected"),
    [
        # Accents never push a name to the end of the list.
        ("es", ["Japón", "Irán", "Alemania", "Canadá"], ["Alemania", "Canadá", "Irán", "Japón"]),
        ("de", ["Taiwan", "Südkorea", "Spanien"], ["Spanien", "Südkorea", "Taiwan"]),
        ("vi", ["Úc", "Ấn Độ", "Đức", "Hàn Quốc"], ["Ấn Độ", "Đức", "Hàn Quốc", "Úc"]),
        # Thai files a word under its consonant, not its leading vowel.
        ("th", ["ไทย", "ญี่ปุ่น", "เกาหลีใต้"], ["เกาหลีใต้", "ญี่ปุ่น", "ไทย"]),
        # Persian پ sits by ب and گ by ک, not after ی.
        ("fa", ["ایران", "پاکستان", "برزیل", "گرجستان", "کانادا"],
         ["ایران", "برزیل", "پاکستان", "کانادا", "گرجستان"]),
        # Arabic lists file a name without its article.
        ("ar", ["الهند", "كندا", "البرازيل", "أستراليا"],
         ["أستراليا", "البرازيل", "كندا", "الهند"]),
        # Japanese: a voiced kana sorts with its plain one, small kana as full-size.
        ("ja", ["フランス", "ブラジル", "フィリピン"], ["フィリピン", "ブラジル", "フランス"]),
    ],
)  # fmt: skip
def test_names_sort_as_their_language_files_them(
    lang: str, names: list[str], expected: list[str]
) -> None:
    assert sorted(names, key=lambda n: sort_key(n, lang)) == expected
