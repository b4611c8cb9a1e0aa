"""Crisis words: the phrase syntax translators write in, the three tiers, the shipped lists."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import ROOT, Settings
from bot.flow import keys
from bot.flow.bench_crisis import load_set, score
from bot.flow.crisis import CrisisMatcher, fold, normalize
from bot.i18n.catalog import Catalogs
from bot.runtime import Runtime, crisis_matcher
from tests.flow.walk import Walk

DEV = ROOT / "tests" / "data" / "crisis" / "dev"
SHIPPED = ["en", "zh-TW", "es", "fr", "ar", "pt-BR", "vi", "ko"]


def kind(
    phrase: str, text: str, tier: str = "selfharm", exclusions: tuple[str, ...] = ()
) -> str | None:
    return CrisisMatcher({tier: [phrase]}, exclusions).match(text)


def caught(phrase: str, text: str) -> bool:
    return kind(phrase, text) is not None


# ---------------------------------------------------------------- folding


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("ya no puedo mas", "YA NO PUEDO MÁS"),  # case and accents
        ("không muốn sống", "khong muon song"),  # Vietnamese tones either way
        ("khong muon song", "không muốn sống nữa"),
        ("đánh em", "danh em"),
        ("please help", "pleeeease help"),  # letters repeated 3+ times
        ("kill myself", "kiiiilll myself"),
        ("don't want to live", "I don’t want to live"),  # curly apostrophe
        ("dont want to live", "i don't want to live"),
        ("overdose", "j'ai fait une l'overdose"),  # French elision
        ("أنا في خطر", "انا في خطر"),  # Arabic letter variants
        ("انا في خطر", "أنَا فِي خَطَر"),  # and short vowels
        ("ｋｉｌｌ ｍｙｓｅｌｆ", "kill myself"),  # width
    ],
)
def test_case_accents_variants_and_repeated_letters_are_ignored(phrase: str, text: str) -> None:
    assert caught(phrase, text)


def test_vietnamese_typed_with_tones_must_have_the_phrase_tones() -> None:
    m = CrisisMatcher({"danger": ["bắn em", "đánh* em"]})
    assert m.match("nó bắn em") == "danger"
    assert m.match("nó bạn em") is None  # "friend", not "shoot"
    assert m.match("no ban em") == "danger"  # typed without tones: may be either
    assert m.match("nó đánh em") == "danger"
    assert m.match("danh em") == "danger"
    m = CrisisMatcher({"danger": ["ban em", "me va a matar"]})  # written without tones
    assert m.match("nó bạn em") == "danger"
    assert m.match("él me vá a matar") == "danger"  # other languages' accents still fold


def test_marks_of_other_scripts_are_kept() -> None:
    assert normalize("หมอ") != normalize("หม")  # a Thai vowel sign is a letter, not an accent
    assert normalize("नहीं") == "नहीं"
    assert normalize("죽고") == "죽고"


@pytest.mark.parametrize("typo", ["suicde", "sucide", "suiicide", "suicidr", "suicdie"])
def test_words_of_six_letters_or_more_tolerate_one_typo(typo: str) -> None:
    assert caught("suicide", f"thinking about {typo}")
    assert caught("kill myself", "i will kill myslef")  # swap
    assert caught("suicid*", "i feel sucidal")  # in the stem of word*


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("kill me", "kil me"),  # short words are never corrected
        ("kill me", "bill me"),
        ("hurt me", "hunt me"),
        ("suicide", "suicidees"),  # two edits
        ("bridge", "fridge"),  # a typo keeps the first letter
    ],
)
def test_short_words_and_bigger_differences_are_not_corrected(phrase: str, text: str) -> None:
    assert not caught(phrase, text)


# ---------------------------------------------------------------- words and slots


def test_words_match_whole_words_only() -> None:
    assert not caught("die", "going on a diet")
    assert not caught("rope", "europe")
    assert caught("die", "i could die")


def test_a_star_matches_any_word_beginning_with_it() -> None:
    for text in ("me va a matar", "voy a matarme", "lo mato"):
        assert caught("mat*", text), text
    assert not caught("mat*", "automatico")


def test_parentheses_give_alternatives_for_one_word() -> None:
    phrase = "(kill*|hurt*|hit*|beat*) me"
    for text in ("he will kill me", "he's hurting me", "he hits me", "they beat me"):
        assert caught(phrase, text), text
    assert not caught(phrase, "he helped me")
    assert caught("(can't|can not) go on", "I can not go on")  # an alternative of two words
    assert caught("want (to)? die", "want die")  # (…)? may be left out
    assert caught("want (to)? die", "want to die")


def test_up_to_two_other_words_may_stand_between_words() -> None:
    assert caught("want to die", "i want to just die")
    assert caught("want to die", "want to really just die")
    assert not caught("want to die", "want to go out and die")  # three words between
    assert not caught("want to die", "die to want")  # order matters


def test_three_dots_allow_a_longer_gap() -> None:
    phrase = "my daughter said ... die"
    assert caught(phrase, "my daughter said last night that she wants to die")
    assert not caught(phrase, "my daughter said that it is fine, and then the phone would die")


def test_unspaced_scripts_match_inside_text_with_short_gaps_at_spaces() -> None:
    assert caught("不想 活", "我不想活了")
    assert caught("不想 活", "我不太想活了")
    assert caught("不想 活", "不想再這樣活")  # up to 3 characters at the space
    assert not caught("不想 活", "我不想去上課因為要活動")  # more than 3
    assert caught("想死", "我好想去死")  # one filler character inside a Chinese word
    assert caught("死にたい", "もう死にたいです")
    assert caught("อยาก ตาย", "ฉันอยากจะตาย")


def test_thai_typing_slips_that_look_the_same_on_screen_still_match() -> None:
    assert caught("ฆ่า", "มันจะฆา่กู")  # tone mark typed after the vowel
    assert caught("น้ำ", "ไม่กล้าออกจากห้องนำ้")  # tone mark typed after ำ
    assert caught("ที่", "ท่ีนี่")  # tone mark typed before the vowel above
    assert caught("มากที่สุด", "มากกกกที่สุด")  # a letter held down
    assert caught("ไม่อยาก อยู่แล้ว", "ไมอยากอยู่แล้ววว")  # a dropped tone mark, long word
    assert not caught("ไม่อยาก อยู่แล้ว", "ไม้อยากอยู่แล้ว")  # never a different tone mark
    assert caught("ไม่อยาก มีชีวิต", "ไม่อยากมีชิวิตแล้ว")  # a short vowel for a long one
    assert caught("อยู่บนโลก", "ไม่อยากอยุ่บนโลกนี้")
    assert not caught("ตี", "แฟนติว่าอ้วน")  # short words keep their vowels: ติ is "criticise"
    assert not caught("ล้อม", "แอคปลอม")  # short words keep their tone marks: "fake account"
    assert fold("กรรม") == "กรรม"  # a letter written twice is a spelling, not a slip


def test_thai_three_dots_span_a_few_thai_words() -> None:
    phrase = "กินยา ...หมดกระปุก"
    assert caught(phrase, "กินยาแก้ซึมเศร้าไปหมดกระปุก")  # 13 characters between
    assert not caught(phrase, "กินยาตามที่หมอสั่งแล้วค่ะ ส่วนยาเก่าทิ้งไปหมดกระปุก")  # 33
    # a not-a-crisis phrase keeps the short gap: what it covers, it hides
    m = CrisisMatcher({"danger": ["จะฆ่า"]}, ["ขู่ ...โพสต์"])
    assert m.match("มันขู่ว่าจะฆ่าเราแล้วก็โพสต์คลิปด้วย") == "danger"


def test_korean_spaces_are_optional_and_endings_free() -> None:
    for text in ("죽고싶어", "죽고 싶어요", "진짜 죽고 정말 싶다"):
        assert caught("죽고 싶*", text), text
    assert not caught("날 죽일", "날마다 죽일 듯이 공부해")


def test_a_korean_particle_attached_to_a_word_does_not_block_the_gap_after_it() -> None:
    assert caught("오늘 밤 ... 더 심할", "오늘 밤엔 더 심할 거야")
    assert caught("오늘 밤 ... 더 심할", "오늘 밤에는 아마 더 심할 것 같아")
    assert caught("날 죽일", "그 사람이 날을 죽일 거야")
    assert not caught("죽고 싶", "죽고요즘싶")  # only particles, and only before a space


def test_arabic_and_persian_prefixes_are_allowed_before_words() -> None:
    assert caught("اقتل نفسي", "وبدي اقتل نفسي")
    assert caught("انا في خطر", "وانا في خطر")
    assert caught("انا خطر", "فانا بخطر")
    assert caught("خواهم بمیرم", "میخواهم بمیرم")
    assert caught("خواهم بمیرم", "نمی\u200cخواهم بمیرم")


def test_persian_endings_written_after_a_zero_width_joiner_are_allowed() -> None:
    assert caught("حوصله زندگی ندارم", "حوصله\u200cی زندگی ندارم")
    assert caught("خسته از زندگی", "خسته\u200cام از زندگی")
    assert not caught("حوصله زندگی ندارم", "حوصله\u200cدار زندگی ندارم")  # not an ending


def test_finglish_x_and_q_stand_for_kh_and_gh() -> None:
    assert caught("khodamo mikosham", "xodamo mikosham")
    assert caught("ghorsa ro khordam", "qorsa ro xordam")
    assert not caught("khoa cua", "xoa anh cua toi")  # Vietnamese xóa is not khóa
    assert not caught("ghuiero", "quiero")  # a q before u stays


def test_arabic_article_may_stand_before_a_word_with_or_without_prefixes() -> None:
    for text in ("معه السكين", "هددني بالسكين", "والسكين بيده", "جاب سكين", "رجع للسكين"):
        assert caught("سكين", text), text
    assert caught("السكين", "معه السكين")
    assert not caught("سكين", "مسكين")  # another word


def test_phrases_of_every_language_are_matched_at_once() -> None:
    m = CrisisMatcher({"selfharm": ["want to die", "想死", "me quiero morir"]})
    assert m.match("honestly 我想死") == "selfharm"
    assert m.match("no sé, me quiero morir lol") == "selfharm"


def test_a_warmed_matcher_compiles_nothing_while_a_message_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = CrisisMatcher(
        {"danger": ["他 殺了我", "죽일 거"], "selfharm": ["不想 活", "死にたい"]}, ["想死你"]
    )
    m.warm()

    def no_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled while a message waited")

    monkeypatch.setattr(re, "compile", no_compile)
    assert m.match("他說要殺了我") == "danger"
    assert m.match("もう死にたい、我不想活了") == "selfharm"
    assert m.match("그가 날 죽일 거야") == "danger"
    assert m.match("想死你了") is None


def test_parse_list_keeps_bars_inside_a_phrase() -> None:
    assert CrisisMatcher.parse_list(" (a|b) me \n\n c* ") == ["(a|b) me", "c*"]


# ---------------------------------------------------------------- tiers and exclusions


def test_danger_comes_before_self_harm_before_possible() -> None:
    m = CrisisMatcher(
        {"possible": ["knife"], "selfharm": ["want to die"], "danger": ["(he|she) has a knife"]}
    )
    assert m.match("I bought a knife") == "possible"
    assert m.match("I want to die, I have a knife") == "selfharm"
    assert m.match("I want to die, he has a knife") == "danger"
    assert m.match("he has a plan") is None


def test_not_a_crisis_phrases_cancel_the_match_they_contain() -> None:
    m = CrisisMatcher(
        {"danger": ["in danger"], "possible": ["dying", "kill*", "dead"], "selfharm": ["想死"]},
        ["not in danger", "dying to know", "killing it", "kill time", "dead battery", "想死你"],
    )
    for text in ("I'm not in danger", "dying to know", "killing it!", "kill time", "dead battery"):
        assert m.match(text) is None, text
    assert m.match("想死你了") is None
    assert m.match("I'm not in danger but he is killing me") == "possible"  # the rest still counts
    assert m.match("I'm not in danger... now I am in danger") == "danger"


# ---------------------------------------------------------------- shipped lists


def test_every_shipped_locale_has_all_four_lists(runtime: Runtime) -> None:
    words = [*keys.CRISIS_WORDS.values(), keys.CRISIS_NOT]
    for code in SHIPPED:
        for key in words:
            assert runtime.catalogs.by_code[code].lookup(key, None), (code, key)


def test_a_new_locale_is_told_the_crisis_lists_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    monkeypatch.setenv("HELPLINE_FLOWS_DIR", str(tmp_path / "flows"))
    monkeypatch.setenv("HELPLINE_LOCALES_DIR", str(tmp_path / "locales"))
    assert CliRunner().invoke(main, ["locales", "new", "cy"]).exit_code == 0
    result = CliRunner().invoke(main, ["locales", "coverage", "--lang", "cy"])
    for key in [*keys.CRISIS_WORDS.values(), keys.CRISIS_NOT]:
        assert key in result.output, key


@pytest.mark.parametrize("code", SHIPPED)
def test_the_dev_set_is_caught_without_false_alarms(runtime: Runtime, code: str) -> None:
    s = score(runtime.engine.crisis, load_set(DEV)[code])
    assert s.danger >= 15 and s.selfharm >= 15 and s.ordinary >= 15
    assert s.danger_caught >= 0.9 * s.danger, s.misses
    assert s.selfharm_caught >= 0.9 * s.selfharm, s.misses
    assert s.false_alarms * 30 <= s.ordinary, s.misses


def test_sextortion_talk_alone_raises_nothing(runtime: Runtime) -> None:
    m = runtime.engine.crisis
    for text in (
        "he threatens to post my photos",
        "he'll ruin my life",
        "I'm scared he'll send them to my parents",
        "my parents will kill me if they find out",
    ):
        assert m.match(text) is None, text


def test_a_possible_sign_shows_the_crisis_screen_for_now(runtime: Runtime) -> None:
    m = runtime.engine.crisis
    assert m.match("there's no way out") == "possible"
    w = Walk(runtime).start().say("there's no way out")
    assert w.replies[0].kind == "crisis"  # until the engine learns the gentler check-in


def test_a_word_in_the_gap_of_a_not_a_crisis_phrase_is_not_hidden() -> None:
    m = CrisisMatcher(
        {"danger": ["(je suis|je me sens) pas en securite", "(pas|plus) en securite"]},
        ["je suis en securite", "not in danger"],
    )
    assert m.match("je suis en sécurité") is None
    assert m.match("je suis pas en sécurité") == "danger"  # "pas" stood in the gap
    m = CrisisMatcher({"selfharm": ["pengen mati"]}, ["kuat mati"])
    assert m.match("gk kuat pengen mati") == "selfharm"
    m = CrisisMatcher({"danger": ["in danger"]}, ["not in danger"])
    assert m.match("I'm not in any danger") is None  # the crisis words are the phrase's own


def test_three_dots_in_a_not_a_crisis_phrase_cover_its_gap() -> None:
    m = CrisisMatcher({"danger": ["is killing me"]}, ["(stress|this) ... is killing me"])
    assert m.match("this whole stupid thing is killing me") is None
    assert m.match("he is killing me") == "danger"


def test_not_a_crisis_lists_hide_no_crisis_of_the_tuning_sets() -> None:
    catalogs = Catalogs.load(Settings().locales_dir)
    lists = crisis_matcher(catalogs)  # as the bot runs: the model may still catch it
    without = crisis_matcher(catalogs, exclusions=False)
    hidden = [
        f"{folder}/{code}: {text}"
        for folder in ("dev", "dev2", "dev3")
        for code, messages in load_set(DEV.parent / folder).items()
        for kind in ("danger", "selfharm")
        for text in messages[kind]
        if lists.match(text) is None and without.match(text) is not None
    ]
    assert hidden == []


def test_not_a_crisis_phrases_tolerate_no_typos() -> None:
    m = CrisisMatcher({"selfharm": ["suicidal"]}, ["not suicidal"])
    assert m.match("i'm not suicidal") is None
    assert m.match("i'm not suicidl") == "selfharm"  # a typo errs on the side of the alarm
    m = CrisisMatcher({"selfharm": ["الانتحار"]}, ["الانتظار"])  # waiting, one letter from suicide
    assert m.match("افكر في الانتحار") == "selfharm"
    assert m.match("الانتظار صعب") is None


def test_explain_names_the_phrases_behind_a_match() -> None:
    m = CrisisMatcher(
        {"possible": ["(pills|rope)"], "danger": ["(he|she) has a knife", "不想 活"]}
    )
    assert m.explain("he has a knife and pills") == [
        ("danger", "(he|she) has a knife"),
        ("possible", "(pills|rope)"),
    ]
    assert m.explain("我不太想活了") == [("danger", "不想 活")]
    assert m.explain("hello") == []


def test_the_bench_fails_when_a_set_misses_its_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.flow.bench_crisis import main as bench

    ok, bad = tmp_path / "ok", tmp_path / "bad"
    ok.mkdir()
    bad.mkdir()
    (ok / "en.yaml").write_text(
        "danger: [he is going to kill me]\nselfharm: [i want to die]\nordinary: [hello there]\n"
    )
    (bad / "en.yaml").write_text(
        "danger: [the weather is nice]\nselfharm: [i want to die]\nordinary: [hello there]\n"
    )
    assert bench(["--dir", str(ok)]) == 0
    assert "all targets met" in capsys.readouterr().out
    assert bench(["--dir", str(bad), "--misses"]) == 1
    out = capsys.readouterr().out
    assert "danger missed: the weather is nice" in out and "MISSED" in out


def test_a_word_with_a_question_mark_may_be_left_out() -> None:
    assert caught("(困|關)在 他的? 車", "我被困在他的車上")
    assert caught("(困|關)在 他的? 車", "我被困在車上")
    assert caught("please? help me now", "help me now")
