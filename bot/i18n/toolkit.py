"""The translators' toolkit behind `helpline locales ...`: new, update, coverage, export, import.

Files are gettext PO, which Poedit, Weblate, Crowdin and Transifex open directly. Every file
is written in one canonical form (template order, wrapped at 78 columns), so an export followed
by an import changes nothing, and a file a translator reordered or re-wrapped imports cleanly.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polib
from babel import Locale, UnknownLocaleError
from babel.plural import to_gettext

from bot.i18n.catalog import (
    HEADER_NAME,
    HEADER_REVIEWED,
    TEMPLATE,
    Catalog,
    Catalogs,
    placeholders,
    read_catalog,
)
from bot.i18n.codes import SOURCE, canonical, same_locale

WRAP = 78
OWN_LISTS = "crisis.words."  # word lists each language writes for itself, not translations


def is_own_list(key: str) -> bool:
    """A change to the English crisis words is no change to another language's own list, so it
    must never turn that list fuzzy (which would switch it off)."""
    return key.startswith(OWN_LISTS)


class ToolkitError(Exception):
    """A problem to show the NGO user in one or a few plain lines."""


def template_path(locales: Path) -> Path:
    return locales / TEMPLATE


def locale_path(locales: Path, code: str) -> Path:
    """The file for a locale asked for in any form: zh_TW, zh-Hant-TW and ZH-tw all match.

    Only the same language in the same script matches: zh-Hans never finds zh-TW.po (the
    survivors' fallback, best_match, may serve one Chinese for the other; files may not).
    Without a match, the file the exact code would have.
    """
    code = canonical(code)
    stems = sorted(p.stem for p in locales.glob("*.po"))
    match = next((s for s in stems if s.lower() == code.lower()), None)
    match = match or next((s for s in stems if same_locale(s, code)), None)
    return locales / f"{match or code}.po"


DEFAULT_PLURALS = "nplurals=2; plural=(n != 1);"
_FAMILIAR_PLURALS = (
    "nplurals=1; plural=0;",
    DEFAULT_PLURALS,
    "nplurals=2; plural=(n > 1);",
    "nplurals=2; plural=(n != 1 && n != 2 && n != 3"
    " && (n % 10 == 4 || n % 10 == 6 || n % 10 == 9));",
)
_PLURAL_PROBES = (*range(0, 1001), 10_000, 100_000, 1_000_000, 10_000_000)


def plural_header(code: str) -> str:
    """Plural-Forms from CLDR (Babel's locale data), e.g. one form for id, ja, th, zh.

    Babel's own gettext table (babel.messages.plurals) lacks many languages and silently
    answers English for them; the CLDR rules cover every locale Babel knows. CLDR's "e"
    operand (compact exponent, as in "1.2M") is always 0 for gettext's integer n.
    """
    try:
        loc = Locale.parse(canonical(code), sep="-")
    except (UnknownLocaleError, ValueError):
        return DEFAULT_PLURALS
    header = re.sub(r"\be\b", "0", to_gettext(loc.plural_form))
    header = header if header.endswith(";") else header + ";"
    # The familiar spelling when it is the same rule, so files read as translators expect.
    formula = gettext.c2py(header.split("plural=", 1)[1].rstrip(";"))
    for known in _FAMILIAR_PLURALS:
        rule = gettext.c2py(known.split("plural=", 1)[1].rstrip(";"))
        if known.split(";")[0] == header.split(";")[0] and all(
            formula(n) == rule(n) for n in _PLURAL_PROBES
        ):
            return known
    return header


def native_name(code: str) -> str:
    """The language's own name from Babel (CLDR): 日本語, ไทย, فارسی, 中文 (简体)."""
    canon = canonical(code)
    try:
        loc = Locale.parse(canon, sep="-")
    except (UnknownLocaleError, ValueError):
        return code
    if not any(len(p) in (2, 3) and not p.islower() for p in canon.split("-")[1:]):
        loc = Locale(loc.language, script=loc.script)  # "tl": Filipino, not "(Pilipinas)"
    name = loc.get_display_name(loc) or code
    return name[:1].upper() + name[1:]


def load_template(locales: Path) -> polib.POFile:
    path = template_path(locales)
    if not path.exists():
        raise ToolkitError(f"{path} not found")
    return polib.pofile(str(path), wrapwidth=WRAP)


def new_locale(locales: Path, code: str) -> Path:
    """Start a locale from the template with every key listed and nothing translated."""
    code = canonical(code)
    if code == SOURCE:
        raise ToolkitError("English is the source language: edit locales/helpline.pot instead")
    path = locale_path(locales, code)
    if path.exists():
        raise ToolkitError(f"{path} already exists; use `helpline locales update`")
    template = load_template(locales)
    po = polib.POFile(wrapwidth=WRAP)
    po.header = f"{native_name(code)} translation of the helpline bot."
    po.metadata = {
        "Project-Id-Version": template.metadata.get("Project-Id-Version", "helpline-bot"),
        "Language": code.replace("-", "_"),
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_header(code),
        HEADER_NAME: native_name(code),
        HEADER_REVIEWED: "not yet",
    }
    nplurals = _nplurals(po)
    for entry in template:
        po.append(_fresh(entry, nplurals))
    write(po, path)
    return path


def update_locale(locales: Path, code: str) -> tuple[int, int, int]:
    """Bring a locale in line with the template; returns (added, now fuzzy, obsolete).

    A translation whose English changed is kept but marked fuzzy, with the old English as
    the previous msgid, so tools show the translator exactly what changed.
    """
    path = locale_path(locales, code)
    if not path.exists():
        raise ToolkitError(f"{path} not found; start it with `helpline locales new {code}`")
    template = load_template(locales)
    old = polib.pofile(str(path), wrapwidth=WRAP)
    merged, counts = merge(template, old)
    write(merged, path)
    return counts


def merge(template: polib.POFile, old: polib.POFile) -> tuple[polib.POFile, tuple[int, int, int]]:
    by_key = {e.msgctxt: e for e in old if e.msgctxt and not e.obsolete}
    po = polib.POFile(wrapwidth=WRAP)
    po.header = old.header
    po.metadata = dict(old.metadata)
    nplurals = _nplurals(po)
    added = fuzzied = 0
    for src in template:
        prev = by_key.pop(src.msgctxt, None)
        entry = _fresh(src, nplurals)
        if prev is None:
            added += 1
        else:
            entry.msgstr = prev.msgstr
            if src.msgid_plural:
                entry.msgstr_plural = {i: prev.msgstr_plural.get(i, "") for i in range(nplurals)}
                if not prev.msgid_plural and prev.msgstr:
                    entry.msgstr_plural[0] = prev.msgstr
            elif prev.msgid_plural:
                entry.msgstr = prev.msgstr_plural.get(0, "")
            entry.tcomment = prev.tcomment
            changed = (prev.msgid, prev.msgid_plural or "") != (src.msgid, src.msgid_plural or "")
            if is_own_list(src.msgctxt or ""):  # its own list: the English is only an example
                changed = False
            translated = bool(entry.msgstr or any(entry.msgstr_plural.values()))
            if translated and (changed or "fuzzy" in prev.flags):
                entry.flags.append("fuzzy")
                entry.previous_msgid = prev.previous_msgid if not changed else prev.msgid
                fuzzied += changed
        po.append(entry)
    obsolete = 0
    for leftover in by_key.values():
        if leftover.msgstr or any(leftover.msgstr_plural.values()):
            leftover.obsolete = True
            po.append(leftover)
            obsolete += 1
    return po, (added, fuzzied, obsolete)


def _fresh(src: polib.POEntry, nplurals: int) -> polib.POEntry:
    entry = polib.POEntry(
        msgctxt=src.msgctxt,
        msgid=src.msgid,
        msgid_plural=src.msgid_plural,
        comment=src.comment,
        occurrences=list(src.occurrences),
        flags=[f for f in src.flags if f != "fuzzy"],
    )
    if src.msgid_plural:
        entry.msgstr_plural = {i: "" for i in range(nplurals)}
    return entry


def _nplurals(po: polib.POFile) -> int:
    header = po.metadata.get("Plural-Forms", "nplurals=2;")
    try:
        return int(header.split("nplurals=")[1].split(";")[0])
    except (IndexError, ValueError):
        return 2


def write(po: polib.POFile, path: Path) -> None:
    path.write_text(render(po), encoding="utf-8")


def render(po: polib.POFile) -> str:
    po.wrapwidth = WRAP
    text = str(po)
    return text if text.endswith("\n") else text + "\n"


def extract(locales: Path, used: Iterable[tuple[str, str]]) -> int:
    """Refresh the template's references (#:) to where each key appears in flows/."""
    template = load_template(locales)
    where: dict[str, list[tuple[str, str]]] = {}
    for key, place in used:
        file, _, line = place.partition(":")
        where.setdefault(key, []).append((file, line))
    changed = 0
    for entry in template:
        refs = sorted(
            set(where.get(entry.msgctxt or "", [])),
            key=lambda ref: (ref[0], int(ref[1]) if ref[1].isdigit() else 0),
        )
        if refs != list(entry.occurrences):
            entry.occurrences = refs
            changed += 1
    write(template, template_path(locales))
    return changed


@dataclass(frozen=True, slots=True)
class Coverage:
    code: str
    file: str
    total: int
    translated: int
    missing: list[str]
    fuzzy: list[str]
    outdated: list[str]  # translated from English that has since changed
    placeholder_errors: list[str]
    reviewed: str

    @property
    def complete(self) -> bool:
        return not (self.missing or self.fuzzy or self.outdated or self.placeholder_errors)


def coverage(catalogs: Catalogs) -> list[Coverage]:
    source = catalogs.source()
    return [locale_coverage(catalogs.by_code[c], source) for c in catalogs.codes if c != SOURCE]


def locale_coverage(cat: Catalog, source: Catalog) -> Coverage:
    missing, fuzzy, outdated, bad = [], [], [], []
    translated = 0
    for key, src in source.messages.items():
        msg = cat.messages.get(key)
        if msg is None or not any(msg.forms):
            missing.append(key)
            continue
        if msg.fuzzy or not all(msg.forms):
            fuzzy.append(key)
            continue
        translated += 1
        if (msg.source, msg.source_plural) != (src.source, src.source_plural):
            outdated.append(key)
        wanted = placeholders(src.source) | placeholders(src.source_plural or "")
        found = set().union(*(placeholders(f) for f in msg.forms))
        if found != wanted or len(msg.forms) != (cat.nplurals if src.source_plural else 1):
            bad.append(key)
    return Coverage(
        cat.code,
        cat.path.name,
        len(source.messages),
        translated,
        missing,
        fuzzy,
        outdated,
        bad,
        cat.reviewed,
    )


def export_locale(locales: Path, code: str) -> str:
    """The locale as a translator's tools should receive it: merged with the current English."""
    path = locale_path(locales, code)
    template = load_template(locales)
    if path.exists():
        po, _ = merge(template, polib.pofile(str(path), wrapwidth=WRAP))
    else:
        raise ToolkitError(f"{path} not found; start it with `helpline locales new {code}`")
    return render(po)


def import_locale(locales: Path, source_file: Path, code: str | None = None) -> tuple[str, Path]:
    """Take a file back from a translator: any order, any wrapping; checked before it lands."""
    try:
        incoming = polib.pofile(str(source_file), wrapwidth=WRAP)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ToolkitError(f"{source_file}: {exc}") from None
    lang = code or incoming.metadata.get("Language", "")
    if not lang:
        raise ToolkitError(f"{source_file}: no Language header; pass --lang")
    code = canonical(lang)
    template = load_template(locales)
    unknown = sorted(
        e.msgctxt or e.msgid
        for e in incoming
        if not e.obsolete and e.msgctxt not in {t.msgctxt for t in template}
    )
    if unknown:
        raise ToolkitError(
            f"{source_file}: unknown keys {', '.join(unknown[:5])}"
            + (" ..." if len(unknown) > 5 else "")
        )
    incoming.metadata.setdefault("Plural-Forms", plural_header(code))
    merged, _ = merge(template, incoming)
    target = locale_path(locales, code)
    text = render(merged)
    tmp = target.with_suffix(".po.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        read_catalog(tmp, code)
    finally:
        tmp.unlink(missing_ok=True)
    target.write_text(text, encoding="utf-8")
    return code, target
