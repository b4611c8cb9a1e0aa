"""Crisis words typed at any point: matched in every supported language at once.

The word lists are catalog entries (translators own them, like button labels). A survivor may
write in a language other than the one the bot speaks, so every locale's lists are matched at
once. Three tiers, by priority: "danger" and "selfharm" are strong signals (the crisis screen),
"possible" an ambiguous one (a short "are you safe?" check-in). Phrases of `crisis.words.not`
are not a crisis: a crisis phrase using their words is hidden ("not in danger", "dying to
know", "dead battery"), unless it also uses a word standing in one of their short gaps: "je suis
en securite" does not hide "je suis pas en securite" (the words of a `...` gap are hidden too).
They are matched without typo tolerance, so that a slip of the keyboard never hides a crisis.
In Chinese, Japanese, Thai and Korean, the text they match is cut out, gaps included.

Phrase syntax (one phrase per line):

- Matching ignores case, width, Latin accents (``mas`` = ``más``, Vietnamese typed without
  tones), ``đ``/``d``, Arabic letter variants and short vowels, curly apostrophes, and letters
  repeated three times or more (``pleeease`` = ``please``). Marks of other scripts (Thai,
  Devanagari, Hangul) are kept. When both a phrase word and the text word carry marks only
  Vietnamese uses (hook, dot below, horn, breve, đ, a tone on â ê ô), they must be the same:
  ``bắn`` does not match bạn; ``ban`` typed without tones matches both. Apostrophes inside a
  word are dropped (``don't`` = ``dont``), and a French elision may be left out
  (``l'overdose`` also matches ``overdose``). Words of 6+ letters tolerate one typo with the
  same first letter (insertion, deletion, substitution or swap: ``suicde``, ``myslef``);
  shorter words never do. Thai: tone marks typed out of their written order (ฆา่, นำ้), a mark
  typed twice and a letter held down (มากกกก) are folded, and in a crisis phrase word of 4+
  letters the text may lack a tone mark (ไมอยาก), never have another, and may write a vowel
  short for long or long for short (อยุ่, ชิวิต).
- Hindi: nukta, anusvara and chandrabindu are ignored, short and long i and u are the same,
  and य before a vowel sign is the vowel (``नही`` = ``नहीं``, ``पिछा`` = ``पीछा``,
  ``गयी`` = ``गई``). A romanised Hindi list word also matches typed with its a's (or u's, if
  a vowel remains) left out, each between consonants (``nhi``, ``krna``, ``mr``, ``mjhe``;
  ``bhi`` is not bhai: an a next to a vowel stays).
- Words match whole words; ``word*`` matches any word beginning with ``word`` (``mat*`` matches
  matar, matarme, mato).
- ``(a|b|c*)`` gives alternatives for one word slot: ``(kill*|hurt*|hit*) me``. An alternative
  may also be several words: ``(can't|can not) go on``; ``(a|b)?`` and ``word?`` may be left
  out.
- Up to 2 other words may stand between consecutive words of a phrase (``want to die`` matches
  "want to just die"); ``...`` between two words allows up to 6.
- Scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar): a phrase
  matches inside the text; a space in the phrase allows up to 3 characters there (``不想 活``
  matches 不想活 and 不太想活了); ``...`` allows up to 10 (20 in Thai crisis phrases, whose
  words are longer; not in not-a-crisis ones). Between two Chinese characters of a
  phrase one filler character (了 太 很 要 真 就 還 也 都 再 去 會 快) may stand (``打我``
  matches 打了我). A group written against a word, ``(累|氣)死``, joins it without a gap.
- Korean: a phrase matches inside the text; a space in the phrase may be absent from the text
  or have up to 2 words in it (``죽고 싶`` matches 죽고싶어 and 죽고 싶어요), and a common
  particle may be attached before it (``오늘 밤 ... 더 심할`` matches 오늘 밤엔 더 심할; not
  마다: ``날 죽일`` does not match 날마다 죽일); ``*`` is allowed
  for endings but changes nothing (write the part of the word that does not change: 깨어 for
  깨어나/깨어났).
- Arabic and Persian: و ف ب ل (up to two of them) may be attached before any word, then the
  article ال (``سكين`` matches السكين, بالسكين, والسكين, للسكين), and Persian می / نمی before
  a verb; a Persian ending written after a zero-width non-joiner may be left out (``حوصله``
  matches حوصله‌ی). Persian in Latin letters: ``x`` and ``q`` in the text also stand for the
  ``kh`` and ``gh`` of a phrase (``khodam`` matches xodam), except in a word that could be one
  Vietnamese syllable and a ``q`` before ``u``.

A small on-device model (bot/flow/crisis_model.py) may be given as `possible`: when no phrase
matches and the model flags the text, `match` says "possible" (the check-in), never a strong
tier, so the translators' lists stay the authority.

`python -m bot.flow.bench_crisis --misses` measures the lists and names the phrase behind each
false alarm.
"""

from __future__ import annotations

import importlib
import itertools
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

CrisisKind = str  # "danger" | "selfharm" | "possible"

PRIORITY = ("danger", "selfharm", "possible")
WORD_GAP = 2  # other words allowed between two words of a phrase
LONG_GAP = 6  # ... with `...`
GLUED = -1  # two parts written without a space between them: (累|氣)死
CHAR_GAP = 3  # characters allowed at a space, in scripts written without spaces
LONG_CHAR_GAP = 10
THAI_LONG_CHAR_GAP = 20
TYPO_MIN = 6  # shortest word that tolerates a typo
THAI_LENIENT_MIN = 4  # shortest Thai phrase word (tone marks aside) that may lack a tone mark
MAX_CHARS = 4096
VOWELS_DROPPED = ("hi",)  # locales whose romanised list words also match typed without a/u

_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
_KO_PARTICLE = (
    "(?:에서|에는|에게|한테|으로|이랑|까지|부터|처럼|이는|이가|이도|이를|"
    "[은는이가을를에엔도만의로요랑께])"
)
_IS_HANGUL = re.compile(f"[{_HANGUL}]")
_IS_UNSPACED = re.compile(f"[{_UNSPACED}]")
_IS_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_IS_THAI = re.compile(r"[\u0e00-\u0e7f]")
_HAN_FILLERS = "了太很要真就還还也都再去會会快"
_IS_ARABIC = re.compile(r"[\u0600-\u06ff]")
# Word characters, with the combining marks of scripts whose words would otherwise break apart.
_TOKEN = re.compile(
    r"[\w\u0591-\u05c7\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u200c\u200d']+"
)

_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ک": "ك",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "đ": "d",
        "\u0640": None,
    }
)
_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0300-\u036f]")  # Arabic short vowels, Latin accents
_RUNS = re.compile(r"(\w)\1{2,}")
_ARABIC_PREFIXES = ("و", "ف", "ب", "ل")
_PERSIAN_VERB = ("نمي", "مي")  # نمی, می after folding
# Persian endings written after a zero-width non-joiner: حوصله‌ی, خسته‌ام, شقیقه‌م (after folding).
_PERSIAN_ENDINGS = {"ي", "اي", "ام", "ات", "اش", "م", "ت", "ش", "ها", "هاي", "هام", "هات", "هاش",
                    "ست", "اند", "ايم", "ايد", "مون", "تون", "شون"}  # fmt: skip
# A word that could be one Vietnamese syllable (xoa, xong, xin): never folded as Finglish.
_VIET_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
                            r"[aeiouy]{1,3}(?:ng|nh|ch|[cmnptiouy])?")  # fmt: skip


_FOLD_KEEP_D = {k: v for k, v in _FOLD.items() if k != ord("đ")}
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670]")
# Marks only Vietnamese writes (hook above, dot below, horn, breve), or a tone on a circumflex.
_VIET = re.compile(r"[\u0309\u0323\u031b\u0306]|\u0302[\u0300\u0301\u0303]|đ")


# Thai typing slips that look the same on screen: a tone mark (or ์) typed before the vowel
# above or below its letter (ท่ี for ที่), or after า/ำ (ฆา่ for ฆ่า, นำ้ for น้ำ); a mark typed twice;
# a letter held down (มากกกก, ค่ะะะ: three or more become one).
_THAI_TONE_FIRST = re.compile(r"([\u0e48-\u0e4c]+)([\u0e31\u0e34-\u0e3a\u0e47])")
_THAI_TONE_LATE = re.compile(r"(\u0e4d?[\u0e32\u0e33]|\u0e4d)([\u0e48-\u0e4b])")  # ำ is ํ + า
_THAI_MARK_TWICE = re.compile(r"([\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])\1+")
_THAI_HELD = re.compile(r"([\u0e01-\u0e30\u0e32\u0e33\u0e40-\u0e46])\1{2,}")
_THAI_TONES = "\u0e48\u0e49\u0e4a\u0e4b"
_NO_TONES = str.maketrans(dict.fromkeys(_THAI_TONES))
_THAI_TWINS = ("\u0e34\u0e35", "\u0e36\u0e37", "\u0e38\u0e39")  # ิี ึื ุู: short and long
_THAI_VOWEL_TWINS = {v: f"[{pair}]" for pair in _THAI_TWINS for v in pair}


def _thai(text: str) -> str:
    """Thai as it looks: marks in their written order, held-down letters once."""
    text = _THAI_MARK_TWICE.sub(r"\1", text)
    text = _THAI_TONE_FIRST.sub(r"\2\1", text)
    text = _THAI_TONE_LATE.sub(r"\2\1", text)
    return _THAI_HELD.sub(r"\1", text)


def normalize(text: str, tones: bool = False) -> str:
    """Case, width, accents, apostrophes and Arabic letter variants folded; spaces collapsed.
    With `tones`, Latin accents and đ are kept (to tell Vietnamese words apart)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if tones:
        text = text.translate(_FOLD_KEEP_D)
        text = unicodedata.normalize("NFC", _ARABIC_MARKS.sub("", text))
    else:
        text = unicodedata.normalize("NFD", text.translate(_FOLD))
        text = unicodedata.normalize("NFC", _MARKS.sub("", text))
    return " ".join(text.split())


def fold(text: str, tones: bool = False) -> str:
    """What the phrases see: `normalize`, and Thai slips that look the same on screen folded
    (see _thai). The model reads `normalize` alone, the text it was trained on."""
    text = normalize(text, tones)
    return _thai(text) if _IS_THAI.search(text) else text


_IS_DEVANAGARI = re.compile("[\u0900-\u097f]")
# Spellings Hindi writers mix up: nukta or not (ज़/ज), chandrabindu, anusvara or none (हूँ/हूं/हू,
# नहीं/नही), short or long i and u (पिछा/पीछा, हु/हू), and य before a vowel sign (गयी/गई, लिये/लिए).
_DEVANAGARI_FOLD = str.maketrans(
    {"\u093c": None, "\u0901": None, "\u0902": None, "\u093f": "\u0940", "\u0941": "\u0942"}
)
_DEVANAGARI_YA = re.compile("(?<=[\u0900-\u094c\u094e-\u097f])\u092f(\u0940|\u0947)")


def _devanagari(word: str) -> str:
    """A Hindi word as list words and text words are compared: spelling variants folded."""
    if not _IS_DEVANAGARI.search(word):
        return word
    word = word.translate(_DEVANAGARI_FOLD)
    return _DEVANAGARI_YA.sub(lambda m: "\u0908" if m[1] == "\u0940" else "\u090f", word)


def _vietnamese(word: str) -> bool:
    """Whether a word (kept with its tones) carries marks only Vietnamese writes."""
    return bool(_VIET.search(unicodedata.normalize("NFD", word)))


# ---------------------------------------------------------------- phrases


@dataclass(frozen=True, slots=True)
class _Alt:
    word: str
    prefix: bool  # word*
    tones: str = ""  # a Vietnamese word as written, with its tones


_Slot = tuple[_Alt, ...]


def _parse(phrase: str) -> Iterator[list[tuple[_Slot, int]]]:
    """A normalized phrase as word slots, each with the gap allowed before it; alternatives of
    several words make several phrases."""
    text = phrase.replace("...", " ... ")
    parts = [(m.group(), m.start() > 0 and not text[m.start() - 1].isspace())
             for m in re.finditer(r"\([^()]*\)[*?]*|[^\s()]+", text)]  # fmt: skip
    choices: list[list[list[str]]] = []  # per part: alternatives, each a list of words
    glued: list[bool] = []  # written right after the previous part, without a space
    for part, stuck in parts:
        glued.append(stuck)
        if part.startswith("(") and ")" in part:
            tail = part[part.rindex(")") + 1 :]
            inner = part[1 : part.rindex(")")]
            alts = [a.split() for a in inner.split("|") if a.split()]
            if "*" in tail:
                alts = [[*a[:-1], a[-1] + "*"] for a in alts]
            if "?" in tail and alts:
                alts.append([])  # (a|b)? : the slot may be left out
            if alts:
                choices.append(alts)
            else:
                glued.pop()
        elif part.endswith("?") and len(part) > 1:
            choices.append([[part[:-1]], []])  # word? : the word may be left out
        else:
            choices.append([[part]])
    # Single-word alternatives stay one slot; several-word ones expand into separate phrases.
    grouped: list[list[list[list[str]]]] = []
    for alts in choices:
        singles = [a for a in alts if len(a) == 1]
        multis = [a for a in alts if len(a) != 1]
        options: list[list[list[str]]] = []
        if singles:
            options.append([[a[0] for a in singles]])
        options.extend([[w] for w in a] for a in multis)
        grouped.append(options)
    made: dict[tuple[str, ...], _Slot] = {}  # the same slots recur in every expansion
    for combo in itertools.product(*grouped):
        slots: list[tuple[_Slot, int]] = []
        gap = WORD_GAP
        for seq, stuck in zip(combo, glued, strict=True):
            if seq and stuck and gap == WORD_GAP:
                gap = GLUED
            for words in seq:
                if words == ["..."]:
                    gap = LONG_GAP
                    continue
                key = tuple(words)
                slot = made.get(key)
                if slot is None:
                    slot = made[key] = tuple(_alt(w) for w in words if w.rstrip("*"))
                if slot:
                    slots.append((slot, gap if slots else 0))
                    gap = WORD_GAP
        if slots:
            yield slots


def _alt(word: str) -> _Alt:
    """A word of a phrase written with its tones: folded, and its tones kept if Vietnamese."""
    bare = word.rstrip("*")
    folded = _devanagari(fold(bare))
    return _Alt(folded, word.endswith("*"), bare if _vietnamese(bare) else "")


def _plain(word: str) -> str:
    return word.replace("'", "")


def _literal(word: str, lenient: bool = False) -> str:
    """A word of a phrase in a regex; Chinese words allow one filler character between their
    characters (不想 matches 不太想, 打我 matches 打了我). `lenient`: in a Thai word of 4+
    other characters a tone mark may be missing from the text (ไมอยาก for ไม่อยาก), never a
    different one, and a short vowel may stand for its long twin (อยุ่, ชิวิต); shorter words
    stay exact (ล้อม without its tone is inside ปลอม, "fake")."""
    out = re.escape(word[0]) if word else ""
    lenient = lenient and len(word.translate(_NO_TONES)) >= THAI_LENIENT_MIN
    for a, b in itertools.pairwise(word):
        if _IS_HAN.match(a) and _IS_HAN.match(b):
            out += f"[{_HAN_FILLERS}]?"
        if lenient and b in _THAI_TONES:
            out += re.escape(b) + "?"
        elif lenient and b in _THAI_VOWEL_TWINS:
            out += _THAI_VOWEL_TWINS[b]
        else:
            out += re.escape(b)
    return out


def _regex(
    slots: list[tuple[_Slot, int]], hangul: bool, lenient: bool = False
) -> list[tuple[str, str]]:
    """The phrase as regex branches, one per alternative of its first word, each split into
    its first character and the rest (so that branches can be grouped by first character).
    `lenient` (crisis phrases, not the not-a-crisis ones, whose gaps hide what they cover):
    Thai tone marks may be missing, and a Thai `...` spans THAI_LONG_CHAR_GAP characters."""
    out = []
    for (before, _), (alts, gap) in itertools.pairwise(slots):
        if gap == GLUED:
            ends = {_plain(a.word)[-1:] for a in before}
            starts = {_plain(a.word)[:1] for a in alts}
            if any(_IS_HAN.match(c) for c in ends) and any(_IS_HAN.match(c) for c in starts):
                out.append(f"[{_HAN_FILLERS}]?")
        elif hangul:
            n = LONG_GAP if gap == LONG_GAP else WORD_GAP
            if all(_IS_HANGUL.match(_plain(a.word)[-1:]) for a in before):
                # a particle may follow the word: 밤엔, 밤에는 (not 마다: 날마다 is "every day")
                out.append(rf"(?:{_KO_PARTICLE}? (?:\S+ ){{0,{n}}}|)")
            else:
                out.append(rf"(?: ?| (?:\S+ ){{1,{n}}})")
        else:
            n = CHAR_GAP
            if gap == LONG_GAP:  # Thai words are longer than Chinese or Japanese ones
                thai = lenient and any(_IS_THAI.search(a.word) for a in (*before, *alts))
                n = THAI_LONG_CHAR_GAP if thai else LONG_CHAR_GAP
            out.append(f".{{0,{n}}}?")
        words = sorted({_literal(_plain(a.word), lenient) for a in alts}, key=len, reverse=True)
        out.append(words[0] if len(words) == 1 else f"(?:{'|'.join(words)})")
    rest = "".join(out)
    firsts = {_plain(a.word) for a in slots[0][0]} - {""}
    return [(w[0], _literal(w, lenient)[len(re.escape(w[0])) :] + rest) for w in firsts]


# A compiled regex's program, which a start-up cache can keep: rebuilding a pattern from it
# skips the regex parser, which is ~99% of compiling (3.7 s for all the lists, against 0.02 s).
# CPython's own internals (re._parser, re._compiler, _sre): anything unexpected falls back to
# re.compile, and caches are keyed by the exact Python version.
_Program = tuple[str, int, bytes, int]  # source, flags, code words, groups


def _internals() -> tuple[Any, Any, Any] | None:
    try:
        parser, compiler, sre = (
            importlib.import_module(m) for m in ("re._parser", "re._compiler", "_sre")
        )
    except ImportError:
        return None
    return (parser, compiler, sre) if array("I").itemsize == getattr(sre, "CODESIZE", 0) else None


_SRE = _internals()


def _compile_program(source: str) -> tuple[re.Pattern[str], _Program | None]:
    """`re.compile(source)`, and the program behind it when CPython lets us keep it."""
    if _SRE is not None:
        parser, compiler, sre = _SRE
        try:
            parsed = parser.parse(source, 0)
            code = compiler._code(parsed, 0)
            groups = parsed.state.groups
            if not parsed.state.groupdict:  # named groups: not used by the lists
                flags = parsed.state.flags
                pattern: re.Pattern[str] = sre.compile(
                    source, flags, code, groups - 1, {}, (None,) * groups
                )
                return pattern, (source, flags, array("I", code).tobytes(), groups)
        except Exception:  # the internals changed: compile as usual
            pass
    return re.compile(source), None


def _from_program(program: _Program) -> re.Pattern[str]:
    """A pattern rebuilt from its program (the same object `re.compile` would give)."""
    source, flags, words, groups = program
    if _SRE is not None:
        try:
            code = array("I", words).tolist()
            pattern: re.Pattern[str] = _SRE[2].compile(
                source, flags, code, groups - 1, {}, (None,) * groups
            )
            return pattern
        except Exception:  # _sre refused the program: compile as usual
            pass
    return re.compile(source)


class _Alternation:
    """One alternation whose branches each start with a literal character, compiled lazily: the
    branches of one first character become a regex when that character first occurs in a text
    (compiling every branch of every language up front took seconds). Matches exactly as the
    single regex `first1(?:rests1)|first2(?:rests2)|...` would with finditer/search.
    Pickled (the start-up cache) with the programs of the groups `warm` compiled."""

    __slots__ = ("_compiled", "_programs", "_sources", "_starts")

    def __init__(self, branches: Iterable[tuple[str, str]]) -> None:
        by_first: dict[str, set[str]] = {}
        for first, rest in branches:
            by_first.setdefault(first, set()).add(rest)
        self._sources: dict[str, str] = {}
        for first, rests in by_first.items():
            ordered = sorted(rests, key=len, reverse=True)  # longest first; "" (the char) last
            self._sources[first] = re.escape(first) + (
                f"(?:{'|'.join(ordered)})" if ordered != [""] else ""
            )
        self._compiled: dict[str, re.Pattern[str]] = {}
        self._programs: dict[str, _Program] = {}  # kept by `warm` until pickled
        self._starts: re.Pattern[str] | None = None  # any first character

    def __getstate__(self) -> tuple[dict[str, str], dict[str, _Program]]:
        return self._sources, dict(self._programs)

    def __setstate__(self, state: tuple[dict[str, str], dict[str, _Program]]) -> None:
        self._sources, programs = state
        self._compiled = {first: _from_program(p) for first, p in programs.items()}
        self._programs = {}
        self._starts = None
        if programs:
            self._first_chars()

    def _group(self, first: str) -> re.Pattern[str]:
        pattern = self._compiled.get(first)
        if pattern is None:
            pattern = self._compiled[first] = re.compile(self._sources[first])
        return pattern

    def warm(self, keep: bool = False) -> None:
        """Compile every group now (start-up), so no message waits for it; with `keep`, keep
        their programs for the start-up cache."""
        for first, source in self._sources.items():
            if first in self._compiled and (not keep or first in self._programs):
                continue
            pattern, program = _compile_program(source)
            self._compiled.setdefault(first, pattern)
            if keep and program is not None:
                self._programs[first] = program
        self._first_chars()

    def drop_programs(self) -> None:
        self._programs = {}

    def _first_chars(self) -> re.Pattern[str]:
        if self._starts is None:
            chars = "".join(sorted(self._sources))
            self._starts = re.compile(f"[{re.escape(chars)}]")
        return self._starts

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if not self._sources:
            return
        starts = self._first_chars()
        at = 0
        while (start := starts.search(text, at)) is not None:
            i = start.start()
            m = self._group(text[i]).match(text, i)
            if m is None:
                at = i + 1
            else:
                yield m
                at = max(m.end(), i + 1)

    def search(self, text: str) -> re.Match[str] | None:
        return next(self.finditer(text), None)


def _compile(branches: Iterable[tuple[str, str]]) -> _Alternation:
    return _Alternation(branches)


# ---------------------------------------------------------------- words


def _within_one(a: str, b: str) -> bool:
    """Damerau (adjacent swap) distance of at most 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def _deletes(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


_LATIN_WORD = re.compile("[a-z]{2,}")
_VOWELS = frozenset("aeiou")


def _squeeze(word: str) -> str:
    """Doubled letters as one (maar: mar, chakkar: chakar)."""
    return re.sub(r"(.)\1+", r"\1", word)


def _skeleton(word: str) -> str:
    """The word without the a's and u's that texting may leave out (nahi: nhi, mujhe: mjhe)."""
    return word[:1] + "".join(c for c in word[1:] if c not in "au")


def _vowels_dropped(word: str, typed: str) -> bool:
    """Whether `typed` is `word` (both squeezed) with some a's or u's left out, each between two
    consonants (Hinglish texting: nahi: nhi, karna: krna, ghar: ghr, mar: mr, mujhe: mjhe). An
    a or u next to another vowel stays (bhai is not bhi, main not min), as do the first and
    last letters; a word left without vowels has lost only a's (pulis is not pls)."""
    if len(typed) >= len(word) or typed[:1] != word[:1] or typed[-1:] != word[-1:]:
        return False
    j = 0
    lost_u = False
    for i, c in enumerate(word):
        if j < len(typed) and c == typed[j]:
            j += 1
        elif c not in "au" or word[i - 1] in _VOWELS or word[i + 1 : i + 2] in _VOWELS:
            return False
        else:
            lost_u = lost_u or c == "u"
    return j == len(typed) and (not lost_u or not _VOWELS.isdisjoint(typed))


class _Words:
    """Which vocabulary entries (exact words, stems*) a text word stands for."""

    __slots__ = (
        "any_tone",
        "dropped",
        "exact",
        "fuzzy",
        "fuzzy_stems",
        "stem_lengths",
        "stems",
        "tones",
        "typos",
    )

    def __init__(self, typos: bool) -> None:
        self.typos = typos
        self.tones: dict[int, set[tuple[str, bool]]] = {}  # Vietnamese spellings of an entry
        self.any_tone: set[int] = set()  # entries also written without Vietnamese tones
        self.exact: dict[str, int] = {}
        self.stems: dict[str, int] = {}
        self.stem_lengths: list[int] = []
        self.fuzzy: dict[str, set[str]] = {}  # deletion neighbourhood -> words of 6+ letters
        self.fuzzy_stems: dict[str, list[str]] = {}  # first letter -> stems of 6+ letters
        self.dropped: dict[str, list[tuple[str, int]]] = {}  # skeleton -> Hinglish words

    def id_of(self, alt: _Alt) -> int:
        table = self.stems if alt.prefix else self.exact
        word = _plain(alt.word)
        if word not in table:
            table[word] = len(self.exact) + len(self.stems)
        wid = table[word]
        if alt.tones:
            self.tones.setdefault(wid, set()).add((_plain(alt.tones), alt.prefix))
        else:
            self.any_tone.add(wid)
        return wid

    def same_tones(self, ids: frozenset[int], written: str) -> frozenset[int]:
        """The entries a Vietnamese word written with tones stands for: those written with the
        same tones, or without (bạn is not bắn; ban may be either)."""
        word = _plain(written)
        return frozenset(
            i
            for i in ids
            if i in self.any_tone
            or i not in self.tones
            or any(word.startswith(t) if stem else word == t for t, stem in self.tones[i])
        )

    def drop_vowels(self, alt: _Alt) -> None:
        """Let a romanised word also match typed with its a's or u's left out (nahi: nhi)."""
        word = _plain(alt.word)
        if alt.prefix or word not in self.exact or not _LATIN_WORD.fullmatch(word):
            return
        squeezed = _squeeze(word)
        if len(squeezed) >= 3:
            entry = (squeezed, self.exact[word])
            self.dropped.setdefault(_skeleton(squeezed), []).append(entry)

    def freeze(self) -> None:
        self.stem_lengths = sorted({len(s) for s in self.stems})
        if not self.typos:
            return
        for word in self.exact:
            if len(word) >= TYPO_MIN and not _IS_UNSPACED.search(word):
                for d in _deletes(word):
                    self.fuzzy.setdefault(d, set()).add(word)
        for stem in self.stems:  # few: compared directly with the start of a word
            if len(stem) >= TYPO_MIN and not _IS_UNSPACED.search(stem):
                self.fuzzy_stems.setdefault(stem[0], []).append(stem)

    def ids(self, forms: Iterable[str]) -> frozenset[int]:
        return frozenset(i for form in forms for i in self._lookup(form))

    def _lookup(self, form: str) -> Iterator[int]:
        if form in self.exact:
            yield self.exact[form]
        if self.dropped and _LATIN_WORD.fullmatch(form):
            typed = _squeeze(form)
            for word, wid in self.dropped.get(_skeleton(typed), ()):
                if _vowels_dropped(word, typed):
                    yield wid
        for n in self.stem_lengths:
            if n > len(form):
                break
            if form[:n] in self.stems:
                yield self.stems[form[:n]]
        if not self.typos or len(form) < TYPO_MIN or _IS_UNSPACED.search(form):
            return
        for d in _deletes(form):
            for word in self.fuzzy.get(d, ()):
                if word[0] == form[0] and _within_one(word, form):
                    yield self.exact[word]
        for stem in self.fuzzy_stems.get(form[0], ()):
            n = len(stem)
            if any(_within_one(stem, form[:k]) for k in (n - 1, n, n + 1) if k <= len(form)):
                yield self.stems[stem]


def _forms(token: str) -> set[str]:
    """The spellings a text word may stand for: as typed, apostrophes dropped, without an
    elided French article, with repeated letters squeezed, without Arabic/Persian prefixes."""
    forms = {_devanagari(token.replace("'", ""))}
    head, sep, tail = token.partition("'")
    if sep and len(head) <= 3 and tail:
        forms.add(tail.replace("'", ""))
    for f in list(forms):
        runs = _RUNS.findall(f)
        if runs:  # each run of a letter may stand for one or two ("pleeease", "kiiilll")
            pieces = _RUNS.split(f)[::2]
            for counts in itertools.islice(itertools.product((1, 2), repeat=len(runs)), 16):
                forms.add(
                    pieces[0]
                    + "".join(c * n + p for c, n, p in zip(runs, counts, pieces[1:], strict=True))
                )
    if token.isascii() and ("x" in token or "q" in token):
        forms |= {_finglish(f) for f in forms}
    if _IS_ARABIC.search(token):
        for f in list(forms):
            head, zwnj, tail = f.partition("\u200c")
            if zwnj and tail in _PERSIAN_ENDINGS and len(head) > 1:
                forms.add(head)  # حوصله‌ی: حوصله
            f = f.replace("\u200c", "")
            forms.add(f)
            for p in _PERSIAN_VERB:
                if f.startswith(p) and len(f) > len(p) + 1:
                    forms.add(f[len(p) :])
            rest = f
            for _ in range(3):  # up to two of و ف ب ل, then the article ال
                if rest.startswith(("ال", "لل")) and len(rest) > 3:
                    forms.add(rest[2:])  # السكين, بالسكين, للسكين: سكين
                if rest[:1] in _ARABIC_PREFIXES and len(rest) > 2:
                    rest = rest[1:]
                    forms.add(rest)
    forms.discard("")
    return forms


def _finglish(word: str) -> str:
    """Persian in Latin letters spelt the way the lists spell it: x for kh (xodam: khodam), q
    for gh (qors: ghors), except a q before u (quiero, qua) and words that could be one
    Vietnamese syllable (xoa is not khoa)."""
    word = re.sub(r"q(?!u)", "gh", word)
    return word if _VIET_SYLLABLE.fullmatch(word) else word.replace("x", "kh")


@dataclass(frozen=True, slots=True)
class _Phrase:
    kind: str
    slots: tuple[tuple[frozenset[int], int], ...]  # word ids, gap allowed before
    source: str  # as the translator wrote it

    def __reduce__(self) -> tuple[type[_Phrase], tuple[str, Any, str]]:
        """Unpickled 15x faster than by the dataclass's own __setstate__ (the start-up cache
        holds 30,000 of them)."""
        return _Phrase, (self.kind, self.slots, self.source)


_Cut = tuple[frozenset[int], frozenset[int]]  # words exclusions said; words in their gaps


def _span(slots: tuple[tuple[frozenset[int], int], ...], found: list[frozenset[int]],
          slot: int, at: int, cut: _Cut | None = None, said: bool = False,
          gap: bool = False) -> int | None:  # fmt: skip
    """End index of the phrase's slots from `slot` on, the previous one matched at `at`. With
    `cut`, a match using a word of a not-a-crisis phrase (`said` so far) counts only if it also
    uses a word standing in that phrase's gaps (`gap` so far)."""
    if slot == len(slots):
        return at if gap or not said else None
    ids, allowed = slots[slot]
    for j in range(at + 1, min(at + 2 + allowed, len(found))):
        if not ids.isdisjoint(found[j]):
            if cut is None:
                end = _span(slots, found, slot + 1, j)
            else:
                end = _span(
                    slots, found, slot + 1, j, cut, said or j in cut[0], gap or j in cut[1]
                )
            if end is not None:
                return end
    return None


def _first(cut: _Cut | None, i: int) -> tuple[bool, bool]:
    return (False, False) if cut is None else (i in cut[0], i in cut[1])


def _paths(slots: tuple[tuple[frozenset[int], int], ...], found: list[frozenset[int]],
           path: list[int]) -> Iterator[list[int]]:  # fmt: skip
    """Every way the phrase's slots after `path` match: the positions of their words."""
    if len(path) == len(slots):
        yield path
        return
    ids, gap = slots[len(path)]
    for j in range(path[-1] + 1, min(path[-1] + 2 + gap, len(found))):
        if not ids.isdisjoint(found[j]):
            yield from _paths(slots, found, [*path, j])


def _rank(kind: str) -> int:
    return PRIORITY.index(kind) if kind in PRIORITY else len(PRIORITY)


class _Engine:
    """Every phrase of some kinds: words for spaced scripts, regexes for the others."""

    __slots__ = ("_by_anchor", "_regexes", "_sources")

    def __init__(self, phrases: Iterable[tuple[str, str]], words: _Words) -> None:
        # A word phrase is looked at only when its rarest-looking word (longest) is in the text.
        self._by_anchor: dict[int, list[_Phrase]] = {}
        branches: dict[str, list[tuple[str, str]]] = {}
        self._sources: list[tuple[str, str, list[tuple[str, str]]]] = []  # regex phrases
        # The expansions of one phrase share their slot objects: their ids and length are
        # worked out once per phrase (keyed by identity, the slots living as long as the phrase).
        known: dict[int, frozenset[int]] = {}
        lengths: dict[int, int] = {}

        def slot_ids(alts: _Slot) -> frozenset[int]:
            found = known.get(id(alts))
            if found is None:
                found = known[id(alts)] = frozenset(words.id_of(a) for a in alts)
            return found

        def shortest(alts: _Slot) -> int:
            n = lengths.get(id(alts))
            if n is None:
                n = lengths[id(alts)] = min(len(a.word) - a.prefix for a in alts)
            return n

        for kind, raw in phrases:
            phrase = fold(raw, tones=True)
            if not phrase:
                continue
            known.clear()
            lengths.clear()
            for slots in _parse(phrase):
                text = " ".join(a.word for alts, _ in slots for a in alts)
                if _IS_UNSPACED.search(text) or _IS_HANGUL.search(text):
                    mine = _regex(slots, bool(_IS_HANGUL.search(text)), words.typos)
                    branches.setdefault(kind, []).extend(mine)
                    self._sources.append((kind, raw.strip(), mine))
                    continue
                ids = tuple(
                    (slot_ids(alts), WORD_GAP if gap == GLUED else gap) for alts, gap in slots
                )
                p = _Phrase(kind, ids, raw.strip())
                anchor = max(range(len(slots)), key=lambda i: shortest(slots[i][0]))
                for wid in ids[anchor][0]:
                    self._by_anchor.setdefault(wid, []).append(p)
        self._regexes = [(kind, _compile(branches[kind])) for kind in (*PRIORITY, "not")
                         if kind in branches]  # fmt: skip
        self._regexes += [
            (k, _compile(b)) for k, b in branches.items() if k not in (*PRIORITY, "not")
        ]

    def explain(
        self, text: str, found: list[frozenset[int]], free: _Cut | None = None
    ) -> list[tuple[str, str]]:
        """Every phrase found, as written (slow: for people tuning the lists)."""
        out = [(k, raw) for k, raw, b in self._sources if _compile(b).search(text)]
        phrases = {id(p): p for ps in self._by_anchor.values() for p in ps}.values()
        for p in phrases:
            starts = [i for i, ids in enumerate(found) if not p.slots[0][0].isdisjoint(ids)]
            if any(
                _span(p.slots, found, 1, i, free, *_first(free, i)) is not None for i in starts
            ):
                out.append((p.kind, p.source))
        return sorted(set(out), key=lambda kp: (_rank(kp[0]), kp[1]))

    def warm(self, keep: bool = False) -> None:
        for _, pattern in self._regexes:
            pattern.warm(keep)

    def drop_programs(self) -> None:
        for _, pattern in self._regexes:
            pattern.drop_programs()

    def regex_matches(self, text: str) -> Iterator[tuple[str, re.Match[str]]]:
        for kind, pattern in self._regexes:
            for m in pattern.finditer(text):
                yield kind, m

    def _candidates(self, found: list[frozenset[int]]) -> Iterator[tuple[_Phrase, list[int]]]:
        """Phrases whose every slot has a word in the text, with where their first word is."""
        where: dict[int, list[int]] = {}
        for i, ids in enumerate(found):
            for wid in ids:
                where.setdefault(wid, []).append(i)
        present = set(where)
        seen: set[int] = set()
        for wid in where:
            for p in self._by_anchor.get(wid, ()):
                if id(p) in seen:
                    continue
                seen.add(id(p))
                if any(ids.isdisjoint(present) for ids, _ in p.slots):
                    continue
                yield p, sorted({i for w in p.slots[0][0] & present for i in where[w]})

    def word_matches(
        self, found: list[frozenset[int]], free: _Cut | None = None
    ) -> Iterator[tuple[str, int, int]]:
        """(kind, first, last word) of phrases in the text, once per phrase (`free`: see _span)."""
        for p, starts in self._candidates(found):
            for i in starts:
                end = _span(p.slots, found, 1, i, free, *_first(free, i))
                if end is not None:
                    yield p.kind, i, end
                    break

    def word_cuts(self, found: list[frozenset[int]]) -> Iterator[tuple[set[int], set[int]]]:
        """Every phrase found: the positions it covers (its words and its `...` gaps) and those
        in its short gaps."""
        for p, starts in self._candidates(found):
            for i in starts:
                for path in _paths(p.slots, found, [i]):
                    said, gaps = set(path), set[int]()
                    for (a, b), (_, allowed) in zip(
                        itertools.pairwise(path), p.slots[1:], strict=True
                    ):
                        (said if allowed == LONG_GAP else gaps).update(range(a + 1, b))
                    yield said, gaps


class CrisisMatcher:
    """The most urgent crisis kind whose phrases occur in a text: danger, selfharm, possible."""

    __slots__ = ("_cache", "_engine", "_not", "_not_words", "_possible", "_words")

    def __init__(
        self,
        phrases: Mapping[CrisisKind, Iterable[str]],
        exclusions: Iterable[str] = (),
        possible: Callable[[str], bool] | None = None,
        texting: Iterable[str] = (),
    ) -> None:
        """`texting`: phrases (also given in `phrases`) of a language typed romanised with its
        a's and u's left out (Hinglish: nhi, krna, mjhe); their words also match so."""
        self._possible = possible  # a model's verdict: at most the "possible" tier
        self._words = _Words(typos=True)
        self._engine = _Engine(
            ((kind, p) for kind in phrases for p in phrases[kind] if p.strip()), self._words
        )
        for raw in texting:
            for slots in _parse(normalize(raw, tones=True)):
                for alts, _ in slots:
                    for alt in alts:
                        self._words.drop_vowels(alt)
        # Not-a-crisis phrases are matched without typos: they must never hide a crisis by chance.
        self._not_words = _Words(typos=False)
        self._not = _Engine((("not", p) for p in exclusions if p.strip()), self._not_words)
        self._words.freeze()
        self._not_words.freeze()
        self._cache: dict[str, tuple[frozenset[int], frozenset[int]]] = {}  # word -> ids

    def _ids(self, token: str) -> tuple[frozenset[int], frozenset[int]]:
        """Vocabulary of the lists, and of the not-a-crisis list, a text word stands for."""
        found = self._cache.get(token)
        if found is None:
            forms = _forms(token)
            found = (self._words.ids(forms), self._not_words.ids(forms))
            if len(self._cache) > 50_000:  # bounded memory
                self._cache.clear()
            self._cache[token] = found
        return found

    def match(self, text: str) -> CrisisKind | None:
        clean, unspaced, found, free = self._prepare(text)
        kinds: set[str] = set()
        if unspaced:
            for kind, _ in self._engine.regex_matches(clean):
                if kind == "danger":
                    return kind
                kinds.add(kind)
        for kind, _, _ in self._engine.word_matches(found, free):
            if kind == "danger":
                return kind
            kinds.add(kind)
        if kinds:
            return min(kinds, key=_rank)
        if self._possible is not None and self._possible(text[:MAX_CHARS]):
            return "possible"
        return None

    def warm(self, keep: bool = False) -> None:
        """Compile every regex now: at bot start-up, so that the first Chinese, Japanese, Thai
        or Korean message (a crisis one too) does not wait a second or more for it. With
        `keep`, the regexes' programs are kept for the start-up cache (bot/runtime.py), which
        then rebuilds them in milliseconds."""
        self._engine.warm(keep)
        self._not.warm(keep)

    def drop_programs(self) -> None:
        """Free the programs `warm(keep=True)` kept, once the cache has them."""
        self._engine.drop_programs()
        self._not.drop_programs()

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the words remembered from survivors' messages: those never reach
        the start-up cache."""
        return {name: getattr(self, name) for name in self.__slots__ if name != "_cache"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self._cache = {}

    def explain(self, text: str) -> list[tuple[CrisisKind, str]]:
        """Which phrases a text contains, most urgent first: for people tuning the lists."""
        clean, _, found, free = self._prepare(text)
        found_phrases = self._engine.explain(clean, found, free)
        if not found_phrases and self._possible is not None and self._possible(text[:MAX_CHARS]):
            found_phrases.append(("possible", "(the on-device model)"))
        return found_phrases

    def _prepare(self, text: str) -> tuple[str, bool, list[frozenset[int]], _Cut | None]:
        """The folded text (without not-a-crisis phrases of unspaced scripts), its words, and
        the words not-a-crisis phrases said and those in their gaps (None: no such phrase)."""
        clean = fold(text[:MAX_CHARS])
        unspaced = bool(_IS_UNSPACED.search(clean) or _IS_HANGUL.search(clean))
        if unspaced:
            spans = [m.span() for _, m in self._not.regex_matches(clean)]
            for start, end in reversed(spans):
                clean = f"{clean[:start]} {clean[end:]}"
        tokens = [t for t in (t.strip("'") for t in _TOKEN.findall(clean)) if t]
        both = [self._ids(t) for t in tokens]
        found = [ids for ids, _ in both]
        excluded = [ids for _, ids in both]
        if self._words.tones and _VIET.search(unicodedata.normalize("NFD", text[:MAX_CHARS])):
            found = self._same_tones(text, found)
        # A phrase using a word a not-a-crisis phrase matched is hidden, unless it also uses a word
        # standing in that phrase's gaps ("je suis pas en securite" is not "je suis en securite").
        said: set[int] = set()
        gaps: set[int] = set()
        for words, between in self._not.word_cuts(excluded):
            said |= words
            gaps |= between
        if not said:
            return clean, unspaced, found, None
        return clean, unspaced, found, (frozenset(said), frozenset(gaps - said))

    def _same_tones(self, text: str, found: list[frozenset[int]]) -> list[frozenset[int]]:
        """Vietnamese words typed with tones match only phrase words with the same tones."""
        written = fold(text[:MAX_CHARS], tones=True)
        tokens = [t for t in (t.strip("'") for t in _TOKEN.findall(written)) if t]
        if len(tokens) != len(found):  # should not happen: then tones are ignored
            return found
        return [
            self._words.same_tones(ids, word) if ids and _vietnamese(word) else ids
            for ids, word in zip(found, tokens, strict=True)
        ]

    def forget(self) -> None:
        """Drop the words remembered from earlier messages (for measurements)."""
        self._cache.clear()

    @staticmethod
    def parse_list(catalog_text: str) -> list[str]:
        """One phrase per line ("|" is syntax now: alternatives inside parentheses)."""
        return [line.strip() for line in catalog_text.splitlines() if line.strip()]
