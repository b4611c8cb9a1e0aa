"""Message catalogs: gettext PO files under locales/, looked up by key with fallback chains.

Layout: `locales/helpline.pot` holds the English source (msgctxt = key, msgid = English text,
translator notes in `#.` comments, places in the flow in `#:` references). Each translation is
`locales/<code>.po` (zh-TW.po, pt-BR.po) with the same msgctxt, the English it was translated
from as msgid, and the translation as msgstr. A fuzzy, empty or missing translation falls back
along the chain (zh-HK -> zh-TW -> en), so a survivor never sees a raw key.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polib

from bot.i18n.codes import SOURCE, best_match, canonical, fallback_chain, is_rtl

TEMPLATE = "helpline.pot"
PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
HEADER_NAME = "X-Native-Name"
HEADER_REVIEWED = "X-Native-Review"  # "not yet" until a native speaker has reviewed it


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    source: str  # the English this entry was written from (msgid)
    source_plural: str | None
    forms: tuple[str, ...]  # translated text; one per plural form
    fuzzy: bool
    line: int
    comment: str = ""
    references: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[type[Message], tuple[Any, ...]]:
        """Unpickled much faster than by the dataclass's own __setstate__ (start-up cache)."""
        return Message, (self.key, self.source, self.source_plural, self.forms, self.fuzzy,
                         self.line, self.comment, self.references)  # fmt: skip

    @property
    def usable(self) -> bool:
        return not self.fuzzy and bool(self.forms) and all(self.forms)


@dataclass(slots=True)
class Catalog:
    code: str
    path: Path
    native_name: str
    reviewed: str
    plural: Callable[[int], int]
    nplurals: int
    messages: dict[str, Message] = field(default_factory=dict)

    @property
    def rtl(self) -> bool:
        return is_rtl(self.code)

    @property
    def is_source(self) -> bool:
        return self.code == SOURCE

    def lookup(self, key: str, count: int | None) -> str | None:
        msg = self.messages.get(key)
        if msg is None or not msg.usable:
            return None
        if len(msg.forms) == 1:
            return msg.forms[0]
        index = self.plural(count if count is not None else 1)
        return msg.forms[min(index, len(msg.forms) - 1)]


class CatalogError(Exception):
    """Catalog files that cannot be read; every line names a file and a line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Catalogs:
    """All shipped locales, English first. Immutable once loaded; safe to share."""

    __slots__ = ("_chains", "by_code", "codes")

    def __init__(self, catalogs: Sequence[Catalog]) -> None:
        self.by_code = {c.code: c for c in catalogs}
        self.codes = [c.code for c in catalogs]
        self._chains: dict[str, list[str]] = {}

    def __getstate__(self) -> tuple[dict[str, Catalog], list[str]]:
        """Without the chains looked up for clients' language codes (start-up cache)."""
        return self.by_code, self.codes

    def __setstate__(self, state: tuple[dict[str, Catalog], list[str]]) -> None:
        self.by_code, self.codes = state
        self._chains = {}

    @classmethod
    def load(cls, folder: Path) -> Catalogs:
        problems: list[str] = []
        template = folder / TEMPLATE
        catalogs: list[Catalog] = []
        try:
            catalogs.append(read_catalog(template, SOURCE))
        except CatalogError as exc:
            problems.extend(exc.problems)
        for path in sorted(folder.glob("*.po")):
            if path.name.startswith("_"):
                continue
            try:
                catalogs.append(read_catalog(path, canonical(path.stem)))
            except CatalogError as exc:
                problems.extend(exc.problems)
        if problems:
            raise CatalogError(problems)
        return cls(catalogs)

    def match(self, code: str | None) -> str | None:
        """The shipped locale for a client or typed language code, if any fits."""
        return best_match(code, self.codes)

    def chain(self, code: str | None) -> list[str]:
        key = code or SOURCE
        if key not in self._chains:
            self._chains[key] = fallback_chain(key, self.codes)
        return self._chains[key]

    def text(self, code: str | None, key: str, count: int | None = None) -> str:
        """The best text for `key`; English is the last resort and always complete."""
        for loc in self.chain(code):
            found = self.by_code[loc].lookup(key, count)
            if found is not None:
                return found
        raise KeyError(key)

    def source(self) -> Catalog:
        return self.by_code[SOURCE]

    def keys(self) -> Iterable[str]:
        return self.source().messages.keys()


_STRING = r'"(?:[^"\\]|\\.)*"'
_LINE = re.compile(rf"^(?:(?:msgctxt|msgid|msgid_plural|msgstr|msgstr\[\d+\])\s+)?{_STRING}$")


def syntax_problems(text: str, shown: str) -> list[str]:
    """Strict line check: polib quietly accepts unterminated or unquoted strings."""
    problems = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not _LINE.match(line):
            problems.append(f"{shown}:{number}: not valid PO syntax: {line[:60]}")
    return problems


def read_catalog(path: Path, code: str) -> Catalog:
    shown = _display(path)
    try:
        problems = syntax_problems(path.read_text(encoding="utf-8"), shown)
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError([f"{shown}: cannot read: {exc}"]) from None
    if problems:
        raise CatalogError(problems)
    try:
        po = polib.pofile(str(path), wrapwidth=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CatalogError([_po_error(shown, exc)]) from None
    meta = po.metadata
    is_template = path.suffix == ".pot"
    nplurals, plural = _plural_rule(meta.get("Plural-Forms", ""), is_template)
    cat = Catalog(
        code=code,
        path=path,
        native_name=meta.get(HEADER_NAME, "English" if is_template else code),
        reviewed=meta.get(HEADER_REVIEWED, "source" if is_template else "not yet"),
        plural=plural,
        nplurals=nplurals,
    )
    for entry in po:
        if entry.obsolete:
            continue
        key = entry.msgctxt
        if not key:
            problems.append(f"{shown}:{entry.linenum}: entry has no msgctxt (the message key)")
            continue
        if key in cat.messages:
            problems.append(f"{shown}:{entry.linenum}: key '{key}' appears twice")
            continue
        if is_template:
            forms = (entry.msgid, entry.msgid_plural) if entry.msgid_plural else (entry.msgid,)
        elif entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            forms = (entry.msgstr,)
        cat.messages[key] = Message(
            key=key,
            source=entry.msgid,
            source_plural=entry.msgid_plural or None,
            forms=forms,
            fuzzy="fuzzy" in entry.flags,
            line=entry.linenum,
            comment=entry.comment,
            references=tuple(f"{f}:{n}" if n else f for f, n in entry.occurrences),
        )
    if problems:
        raise CatalogError(problems)
    return cat


class PluralRule:
    """A Plural-Forms expression as a function of n, kept as its text so that a loaded catalog
    can be cached (a compiled function cannot be pickled)."""

    __slots__ = ("_fn", "expr")

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self._fn = gettext.c2py(expr)

    def __call__(self, n: int) -> int:
        return int(self._fn(n))

    def __reduce__(self) -> tuple[type[PluralRule], tuple[str]]:
        return PluralRule, (self.expr,)


def _plural_rule(header: str, is_template: bool) -> tuple[int, PluralRule]:
    if is_template or not header:
        return 2, PluralRule("n != 1")
    m = re.search(r"nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*([^;]+);?", header)
    if not m:
        return 2, PluralRule("n != 1")
    try:
        return int(m.group(1)), PluralRule(m.group(2).strip())
    except (ValueError, SyntaxError):
        return int(m.group(1)), PluralRule("0")


def _po_error(shown: str, exc: Exception) -> str:
    text = str(exc)
    m = re.search(r"\(line (\d+)\)", text)
    if m:
        return f"{shown}:{m.group(1)}: {text[: m.start()].strip()}"
    return f"{shown}: {text}"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))
