"""Hindi crisis words match the spellings people really type: Hinglish with its a's left out
(nhi, krna, ghr) and Devanagari with or without nukta, anusvara, chandrabindu, long i and u."""

from __future__ import annotations

import pytest

from bot.flow.crisis import CrisisMatcher
from bot.runtime import Runtime


def hinglish(phrase: str, text: str, texting: bool = True) -> str | None:
    """Tier of `text` when `phrase` is a Hindi danger phrase (`texting`: typed without a's)."""
    return CrisisMatcher({"danger": [phrase]}, texting=[phrase] if texting else []).match(text)


@pytest.mark.parametrize(
    "text",
    [
        "mujhe ghr me bnd kr rkha h",  # ghar, band, rakha
        "ghar me band kar rakha hai",  # as the list writes it
        "usne ghr me bnd kr ke rakha",
    ],
)
def test_hinglish_typed_without_its_as_matches_the_list_word(text: str) -> None:
    assert hinglish("ghar me band (kar|kr) rakha", text) == "danger"


def test_a_u_may_be_left_out_too_and_two_letters_are_enough() -> None:
    assert hinglish("(mujhe|muje) maar dega", "wo mjhe mr dega plz") == "danger"


def test_only_lists_of_languages_typed_so_match_without_vowels() -> None:
    assert hinglish("ghar me band (kar|kr) rakha", "ghr me bnd kr rkha", texting=False) is None


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("pills", "he posted my pics pls help"),  # an i is never left out
        ("bus ke aage", "bs ke aage kuch nahi pata"),  # bs is bas: a u is kept if no vowel is left
        ("bhai maar raha", "wo bhi maar raha tha mazak me"),  # an a next to a vowel stays
        ("maara hai", "mar gaya hai phone"),  # the last letter stays
    ],
)
def test_other_vowels_and_other_words_are_not_taken_for_the_list_word(
    phrase: str, text: str
) -> None:
    assert hinglish(phrase, text) is None


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("जीना नहीं चाहती", "अब जीना नही चाहती"),  # anusvara left out
        ("वो मेरा पीछा कर रहा है", "वो मेरा पिछा कर रहा है"),  # short i for long i
        ("ज़िंदगी से थक गई हूँ", "जिंदगी से थक गयी हु"),  # nukta, गयी, हु
        ("मुझे कमरे में बंद कर दिया", "मुझे कमरे मे बंद कर दिया"),  # में typed मे
    ],
)
def test_devanagari_spelling_variants_match(phrase: str, text: str) -> None:
    assert CrisisMatcher({"danger": [phrase]}).match(text) == "danger"


def test_a_different_devanagari_vowel_is_a_different_word() -> None:
    m = CrisisMatcher({"danger": ["मार रहा है"]})
    assert m.match("वो मुझे मार रहा है") == "danger"
    assert m.match("मेरा फोन मर रहा है") is None  # the battery is dying


@pytest.mark.parametrize(
    "text",
    [
        "mjhe ghr me bnd kr rkha h",
        "wo mera pcha kr rha h abhi b piche h",
        "jine ka mn nhi h",
        "मेरा पिछा कर रहा हे वो",
    ],
)
def test_the_shipped_hindi_lists_catch_texting_spellings(runtime: Runtime, text: str) -> None:
    assert runtime.engine.crisis.match(text) in ("danger", "selfharm")
