"""Turn engine replies into words: catalogs, plural forms, escaping and bidi isolation.

Output is Telegram's HTML subset. Catalog strings may carry <b>/<i> (checked by
`flows check`); every value inserted into them (survivor text, names, numbers) is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_date,
    format_skeleton,
    format_time,
    format_timedelta,
    get_timezone_location,
)

from bot.flow import keys
from bot.flow.replies import Join, Ltr, Param, Reply, Text
from bot.i18n.catalog import PLACEHOLDER, Catalogs, placeholders
from bot.i18n.codes import canonical, is_rtl
from bot.i18n.collate import sort_key

LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
_TAG = re.compile(r"<[^>]+>")
_COMMAND = re.compile(r"(?<![\w/])/[a-z]+\b")
# Markup the renderer must never put anything inside: tags, entities and {placeholders}.
_MARKUP = re.compile(r"<[^>]*>|&#?[a-zA-Z0-9]+;|\{[a-zA-Z_][a-zA-Z0-9_]*\}")
_ISOLATE_OPENERS = "\u2066\u2067\u2068"  # LRI, RLI, FSI
_OPEN_CLOSE_ISOLATE = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>|[\u2066-\u2069]")
# CLDR digit sets of the numbering systems a locale may default to (Persian: arabext). Babel
# names a locale's default system but formats with Latin digits, so counts, dates and times are
# transliterated here; phone numbers and links are text parameters and stay dialable as written.
_DIGITS = {
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "beng": "০১২৩৪৫৬৭৮৯",
    "deva": "०१२३४५६७८९",
    "mymr": "၀၁၂၃၄၅၆၇၈၉",
    "thai": "๐๑๒๓๔๕๖๗๘๙",
}


def _sorted_names(buttons: list[RenderedButton], lang: str | None) -> list[RenderedButton]:
    """Each run of name buttons (countries) in the order of their names in this language."""
    out: list[RenderedButton] = []
    run: list[RenderedButton] = []
    for b in [*buttons, None]:
        if b is not None and b.names:
            run.append(b)
            continue
        out.extend(sorted(run, key=lambda x: sort_key(x.label, lang)))
        run = []
        if b is not None:
            out.append(b)
    return out


@lru_cache(maxsize=64)
def _rtl(code: str | None) -> bool:
    return bool(code) and is_rtl(code or "")


def isolate_commands(template: str) -> str:
    """Wrap "/exit" and other commands in LRI…PDI so they read left to right inside
    right-to-left text; only in the words between tags, entities and placeholders, never in
    them (an isolate inside "</b>" makes Telegram refuse the whole message)."""
    out: list[str] = []
    last = 0
    for m in _MARKUP.finditer(template):
        out.append(_COMMAND.sub(_isolate, template[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_COMMAND.sub(_isolate, template[last:]))
    return "".join(out)


def _isolate(m: re.Match[str]) -> str:
    return f"{LRI}{m.group(0)}{PDI}"


@dataclass(frozen=True, slots=True)
class RenderedButton:
    id: str
    label: str  # plain text
    names: bool = False  # one of a list of names, sorted in the reader's language


@dataclass(frozen=True, slots=True)
class Rendered:
    messages: tuple[str, ...]  # HTML, each within the channel's length limit
    buttons: tuple[RenderedButton, ...]
    reply: Reply


class Renderer:
    __slots__ = ("_babel", "catalogs")

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self._babel: dict[str, Locale] = {}

    def __getstate__(self) -> Catalogs:
        """Without the locales looked up while serving (start-up cache)."""
        return self.catalogs

    def __setstate__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self._babel = {}

    def text(self, t: Text, lang: str | None) -> str:
        """One catalog message as HTML, with its parameters rendered and escaped."""
        loc = t.lang or lang
        template = self.catalogs.text(loc, t.key, self._count(t))
        values = {name: self._param(value, loc) for name, value in t.params}
        if _rtl(loc):  # keep "/exit" reading left to right inside Arabic text
            template = isolate_commands(template)
        out = PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)
        return f"<b>{out}</b>" if t.bold else out

    def _count(self, t: Text) -> int | None:
        """The plural count: given, or the number the English plural form counts."""
        if t.count is not None:
            return t.count
        source = self.catalogs.source().messages.get(t.key)
        if source is None or not source.source_plural:
            return None
        counted = placeholders(source.source_plural)
        return next((v for k, v in t.params if k in counted and isinstance(v, int)), None)

    def plain(self, t: Text, lang: str | None) -> str:
        """Button labels and other places that take no formatting."""
        return html.unescape(_TAG.sub("", self.text(t, lang)))

    def reply(self, reply: Reply, lang: str | None, limit: int = 4096) -> Rendered:
        blocks = [self.text(b, lang) for b in reply.body]
        buttons: list[RenderedButton] = []
        for b in reply.buttons:
            label = self.plain(b.label, lang)
            buttons.append(RenderedButton(b.id, f"✓ {label}" if b.selected else label, b.names))
        buttons = _sorted_names(buttons, lang)
        if reply.exit_button:
            buttons.append(RenderedButton("_exit", self.plain(Text.of(keys.EXIT), lang)))
        messages = pack(blocks, limit - 12)
        if len(messages) > 1:  # "(2/3)" first: a neutral first line for notification previews
            messages = [f"({i}/{len(messages)})\n{m}" for i, m in enumerate(messages, 1)]
        return Rendered(tuple(messages), tuple(buttons), reply)

    def _param(self, value: Param, loc: str | None) -> str:
        rtl = _rtl(loc)
        if isinstance(value, Text):
            return self.text(value, loc)
        if isinstance(value, Join):
            return value.sep.join(self._param(v, loc) for v in value.items)
        if isinstance(value, Ltr):
            return f"{LRI}{html.escape(value)}{PDI}" if rtl else html.escape(value)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return self._local_digits(str(value), loc)
        if isinstance(value, dt.timedelta):  # "12 minutes", "3 hours": how long, in words
            text = format_timedelta(value, threshold=2, locale=self._locale(loc))
            return html.escape(self._local_digits(text, loc))
        if isinstance(value, dt.datetime):
            return html.escape(self._local_digits(self._when(value, self._locale(loc)), loc))
        if isinstance(value, dt.date):
            text = format_date(value, format="long", locale=self._locale(loc))
            return html.escape(self._local_digits(text, loc))
        escaped = html.escape(str(value), quote=False)
        return f"{FSI}{escaped}{PDI}" if rtl else escaped

    @staticmethod
    def _when(value: dt.datetime, locale: Locale) -> str:
        """Weekday, date and time without seconds, in the value's own zone, which is named:
        "Mon, Mar 2, 9:00 AM (Taiwan Time)"."""
        pattern = locale.datetime_formats.get("medium", "{1}, {0}")
        date = format_skeleton("MMMEd", value, locale=locale)
        out = str(pattern).format(format_time(value, "short", locale=locale), date)
        zone = value.tzinfo
        if zone is dt.UTC or getattr(zone, "key", None) in ("UTC", "Etc/UTC"):
            return f"{out} (UTC)"
        if zone is not None:
            out += f" ({get_timezone_location(zone, locale=locale)})"
        return out

    def _local_digits(self, text: str, loc: str | None) -> str:
        """Latin digits in the locale's own (۱۲ in Persian), where CLDR says it writes them."""
        digits = _DIGITS.get(self._locale(loc).default_numbering_system)
        return text.translate(str.maketrans("0123456789", digits)) if digits else text

    def _locale(self, loc: str | None) -> Locale:
        code = loc or "en"
        if code not in self._babel:
            try:
                self._babel[code] = Locale.parse(canonical(code), sep="-")
            except (UnknownLocaleError, ValueError):
                self._babel[code] = Locale("en")
        return self._babel[code]


def pack(blocks: list[str], limit: int) -> list[str]:
    """Join blocks into as few messages as fit, splitting only between blocks where possible."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _split(block, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return _balance(messages)


def _balance(messages: list[str]) -> list[str]:
    """A tag or a bidi isolate split across messages is closed at the end of one and opened
    again in the next, so every message is valid HTML and reads right on its own."""
    out: list[str] = []
    carried = ""  # start tags and isolates still open from the previous message
    for message in messages:
        text = carried + message
        stack: list[tuple[str, str]] = []  # (tag name or PDI, how it was opened)
        for m in _OPEN_CLOSE_ISOLATE.finditer(text):
            token = m.group(0)
            if token in _ISOLATE_OPENERS:
                stack.append((PDI, token))
            elif token == PDI:
                if stack and stack[-1][0] == PDI:
                    stack.pop()
            elif not m.group(1):
                stack.append((m.group(2).lower(), token))
            elif stack and stack[-1][0] == m.group(2).lower():
                stack.pop()
        closing = "".join(name if name == PDI else f"</{name}>" for name, _ in reversed(stack))
        out.append(text + closing)
        carried = "".join(opened for _, opened in stack)
    return out


def _split(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > limit:  # a single huge line: cut outside tags and entities
            cut = _safe_cut(line, limit)
            pieces.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces


def _safe_cut(line: str, limit: int) -> int:
    cut = limit
    for m in re.finditer(r"<[^>]*>|&[a-z#0-9]+;", line):
        if m.start() < cut < m.end():
            cut = m.start()
    return max(cut, 1)
