"""Static checks over flows, the resource directory and the catalogs (`helpline flows check`).

Everything an NGO can break by editing data is caught here, with file and line, before a
survivor could meet it: schema errors, unreachable nodes, dead ends, unknown resources, missing
or broken translations, button data too long for Telegram.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.flow import keys
from bot.flow.coverage import coverage
from bot.flow.directory import TAGS, Directory, DirectoryError, load_directory
from bot.flow.loader import FlowError, load_flow
from bot.flow.model import (
    Ask,
    Branch,
    End,
    Flow,
    Handoff,
    Input,
    Results,
    Say,
    Selector,
    TextSpec,
)
from bot.flow.yamlsrc import Located, YamlError
from bot.i18n.catalog import Catalog, CatalogError, Catalogs, placeholders

CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts
TURN_DIGITS = 9  # room kept for the question counter in "<turn>.<option>"
ALLOWED_TAGS = {"b", "i", "u", "s", "code"}
_TAG = re.compile(r"<(/?)([a-zA-Z0-9-]+)[^>]*>")
SKIP_IDS = {"unsure", "skip", "other"}


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if not self.file:
            return self.message
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )


@dataclass(slots=True)
class Report:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    nodes: int = 0
    resources: int = 0
    keys: int = 0
    locales: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Loaded:
    flow: Flow
    located: Located
    directory: Directory
    catalogs: Catalogs


def check_all(
    flow_path: Path, resources_dir: Path, locales_dir: Path, *, every_path: bool = True
) -> tuple[Report, Loaded | None]:
    """Every check; `every_path=False` skips the walk of every path x every country (seconds
    of work that `helpline flows check` and CI do, not every start of the bot)."""
    report = Report()
    flow = located = directory = catalogs = None
    try:
        flow, located = load_flow(flow_path)
    except FlowError as exc:
        report.problems.extend(_from_yaml(exc.problems))
    except YamlError as exc:
        report.problems.extend(_from_yaml([exc]))
    try:
        directory = load_directory(resources_dir)
    except DirectoryError as exc:
        report.problems.extend(_from_yaml(exc.problems))
    except YamlError as exc:
        report.problems.extend(_from_yaml([exc]))
    try:
        catalogs = Catalogs.load(locales_dir)
    except CatalogError as exc:
        report.problems.extend(_from_text(exc.problems))
    if flow is None or located is None or directory is None or catalogs is None:
        return report, None
    report.nodes = len(flow.nodes)
    report.resources = len(directory.resources)
    report.keys = len(catalogs.source().messages)
    report.locales = list(catalogs.codes)
    report.unverified = sorted(
        r.id
        for r in directory.resources.values()
        if not r.verified or any(c.verified is False for c in r.contacts)
    ) + [  # emergency numbers the research found only second-hand
        f"{c.option_id} emergency {e.number}"
        for c in directory.national()
        for e in c.emergency
        if not e.verified
    ]
    report.problems.extend(graph_problems(flow, located))
    report.problems.extend(resource_problems(flow, located, directory))
    report.problems.extend(crisis_problems(directory))
    used = dict(used_keys(flow, located, directory))
    report.problems.extend(catalog_problems(catalogs, used))
    report.problems.extend(callback_problems(flow, located, directory, catalogs))
    if every_path:
        report.problems.extend(coverage_problems(flow, located, directory, catalogs))
    report.notes.extend(
        f"{c.option_id}: no services of its own yet, so its survivors see global ones only"
        for c in directory.national()
        if not c.resources
    )
    return report, Loaded(flow, located, directory, catalogs)


# ---------------------------------------------------------------- the flow graph


def edges(flow: Flow, nid: str) -> list[str]:
    node = flow.nodes[nid]
    out = [t for t in (getattr(node, "next", None), getattr(node, "default", None)) if t]
    if isinstance(node, Branch):
        out.extend(r.next for r in node.routes)
    if isinstance(node, Ask):
        out.extend(o.next for o in node.options if o.next)
    return [t for t in out if t in flow.nodes]


def graph_problems(flow: Flow, located: Located) -> Iterator[Problem]:
    roots = [flow.start, *([flow.entry.human] if flow.entry.human else [])]
    seen: set[str] = set()
    todo = [r for r in roots if r in flow.nodes]
    while todo:
        nid = todo.pop()
        if nid in seen:
            continue
        seen.add(nid)
        todo.extend(edges(flow, nid))
    for nid in flow.nodes:
        if nid not in seen:
            yield _p(located, ("nodes", nid), f"node '{nid}' can never be reached")

    # A node is finished when it can reach an end, or a button that restarts or leaves.
    finishing = {
        nid
        for nid, n in flow.nodes.items()
        if isinstance(n, End)
        or (isinstance(n, Ask) and any(o.effect in ("restart", "quick_exit") for o in n.options))
    }
    changed = True
    while changed:
        changed = False
        for nid in flow.nodes:
            if nid not in finishing and any(t in finishing for t in edges(flow, nid)):
                finishing.add(nid)
                changed = True
    for nid in flow.nodes:
        if nid in seen and nid not in finishing:
            yield _p(located, ("nodes", nid), f"node '{nid}' is a dead end: no way on to an end")

    # Loops that never stop for an answer would spin forever.
    passive = {
        nid for nid, n in flow.nodes.items() if isinstance(n, Say | Branch | Results | Handoff)
    }
    for nid in sorted(passive):
        if _cycles_through(flow, nid, passive):
            yield _p(
                located, ("nodes", nid), f"node '{nid}' loops back to itself without a question"
            )

    for nid, node in flow.nodes.items():
        if isinstance(node, Ask) and node.progress and not node.multi:
            ids = {o.id for o in node.options}
            if not ids & SKIP_IDS:
                yield _p(
                    located,
                    ("nodes", nid, "options"),
                    f"question '{nid}' needs a way not to answer: an option with id "
                    f"{', '.join(sorted(SKIP_IDS))}",
                )


def _cycles_through(flow: Flow, start: str, passive: set[str]) -> bool:
    todo = [t for t in edges(flow, start) if t in passive]
    seen: set[str] = set()
    while todo:
        nid = todo.pop()
        if nid == start:
            return True
        if nid in seen:
            continue
        seen.add(nid)
        todo.extend(t for t in edges(flow, nid) if t in passive)
    return False


# ---------------------------------------------------------------- resources


def resource_problems(flow: Flow, located: Located, directory: Directory) -> Iterator[Problem]:
    for nid, node in flow.nodes.items():
        if not isinstance(node, Results):
            continue
        for i, section in enumerate(node.sections):
            sel = section.resources
            if sel is None:
                continue
            path = ("nodes", nid, "sections", i, "resources")
            for rid in sel.ids:
                if rid not in directory.resources:
                    yield _p(located, path, f"section '{section.id}': unknown resource id '{rid}'")
            for tag in [*sel.tags, *sel.not_tags, *sel.any_tags]:
                if tag not in TAGS:
                    yield _p(located, path, f"section '{section.id}': unknown tag '{tag}'")
    for nid, node in flow.nodes.items():
        if isinstance(node, Results):
            yield from _results_problems(nid, node, located, directory)
        if isinstance(node, Ask) and node.options_from == "sections":
            folds = {f.id for r in flow.nodes.values() if isinstance(r, Results) for f in r.folds}
            for cid in sorted({o.id for o in node.options} & folds):
                yield _p(located, ("nodes", nid), f"option '{cid}' clashes with a results fold")
            if not any(isinstance(r, Results) for r in flow.nodes.values()):
                yield _p(located, ("nodes", nid), "options_from: sections needs a results node")
        if (
            isinstance(node, Ask)
            and node.options_after
            and node.options_after not in {o.id for o in node.options}
        ):
            yield _p(located, ("nodes", nid), f"options_after: no option '{node.options_after}'")
    for nid, node in flow.nodes.items():
        if isinstance(node, Ask) and node.options_from == "countries":
            clash = {o.id for o in node.options} & {c.option_id for c in directory.national()}
            for cid in sorted(clash):
                yield _p(located, ("nodes", nid), f"option '{cid}' clashes with a country file")


def _selector_problems(
    sel: Selector, what: str, path: tuple[str | int, ...], located: Located, directory: Directory
) -> Iterator[Problem]:
    current: Selector | None = sel
    while current is not None:
        for rid in current.ids:
            if rid not in directory.resources:
                yield _p(located, path, f"{what}: unknown resource id '{rid}'")
        for tag in [*current.tags, *current.not_tags, *current.any_tags]:
            if tag not in TAGS:
                yield _p(located, path, f"{what}: unknown tag '{tag}'")
        current = current.fallback


def _results_problems(
    nid: str, node: Results, located: Located, directory: Directory
) -> Iterator[Problem]:
    folds = {f.id for f in node.folds}
    for i, section in enumerate(node.sections):
        if section.fold is not None and section.fold not in folds:
            yield _p(
                located,
                ("nodes", nid, "sections", i),
                f"section '{section.id}': no fold '{section.fold}' in folds",
            )
        if section.resources is not None and section.resources.fallback is not None:
            yield from _selector_problems(
                section.resources.fallback,
                f"section '{section.id}' fallback",
                ("nodes", nid, "sections", i, "resources"),
                located,
                directory,
            )
    for i, lead in enumerate(node.lead):
        if lead.resources is not None:
            yield from _selector_problems(
                lead.resources,
                f"start here rule {i + 1}",
                ("nodes", nid, "lead", i),
                located,
                directory,
            )
    for i, rule in enumerate(node.order):
        for rid in rule.first:
            if rid not in directory.resources:
                yield _p(
                    located, ("nodes", nid, "order", i), f"order: unknown resource id '{rid}'"
                )
    for i, fold in enumerate(node.folds):
        if not any(s.fold == fold.id for s in node.sections):
            yield _p(located, ("nodes", nid, "folds", i), f"fold '{fold.id}' has no section")


def coverage_problems(
    flow: Flow, located: Located, directory: Directory, catalogs: Catalogs
) -> Iterator[Problem]:
    """Every path × every country: no heading over nothing, no service shown to someone it
    excludes, no service whose text sends someone to a service they cannot use."""
    english = {k: m.source for k, m in catalogs.source().messages.items()}
    for nid, node in flow.nodes.items():
        if isinstance(node, Results):
            for hole in coverage(flow, directory, english):
                yield _p(located, ("nodes", nid), str(hole))
            break


def crisis_problems(directory: Directory) -> Iterator[Problem]:
    """Every country's crisis screens must have numbers: an emergency number, a danger line
    and a self-harm line (its own or a global one); global.yaml needs both lines too, for the
    screen shown before the country is known. Unknown ids fail when the directory loads."""
    g = directory.global_
    for need, what in (("danger", "danger"), ("selfharm", "self-harm")):
        if not getattr(g.crisis, need):
            yield Problem(
                g.file,
                g.lines.get(f"crisis.{need}") or g.lines.get("country"),
                f"global.yaml has no international {what} line (crisis: {{{need}: [ids]}}): "
                "it is all someone sees before choosing a country",
            )
    for c in directory.national():
        if not c.emergency:
            yield Problem(
                c.file,
                c.lines.get("emergency") or c.lines.get("country"),
                f"country {c.code} has no emergency number "
                '(emergency: [{number: "...", for: all, verified: ..., sources: [...]}])',
            )
        for need, what in (("danger", "danger"), ("selfharm", "self-harm")):
            if not getattr(c.crisis, need):
                yield Problem(
                    c.file,
                    c.lines.get(f"crisis.{need}") or c.lines.get("country"),
                    f"country {c.code} has no {what} line (crisis: {{{need}: [resource ids]}})",
                )


# ---------------------------------------------------------------- catalogs


def used_keys(flow: Flow, located: Located, directory: Directory) -> Iterator[tuple[str, str]]:
    """Every catalog key the data can show, with where it is used (for references too)."""
    for key in sorted(keys.ALL):
        yield key, "bot/flow/keys.py"
    for nid, node in flow.nodes.items():
        where = f"{located.file}:{located.line(('nodes', nid))}"
        specs: list[TextSpec] = []
        if isinstance(node, Say):
            specs.extend(node.text)
        if isinstance(node, Ask | Input | End | Results) and not isinstance(node, Say):
            specs.append(node.text)
        for spec in specs:
            for k in _spec_keys(spec):
                yield k, where
        if isinstance(node, Ask | Input) and node.summary:
            yield node.summary, where
        if isinstance(node, Ask):
            for i, opt in enumerate(node.options):
                yield opt.label, f"{located.file}:{located.line(('nodes', nid, 'options', i))}"
        if isinstance(node, Results):
            for i, lead in enumerate(node.lead):
                for spec in lead.text:
                    for k in _spec_keys(spec):
                        yield k, f"{located.file}:{located.line(('nodes', nid, 'lead', i))}"
            for i, fold in enumerate(node.folds):
                yield fold.label, f"{located.file}:{located.line(('nodes', nid, 'folds', i))}"
            for i, sec in enumerate(node.sections):
                swhere = f"{located.file}:{located.line(('nodes', nid, 'sections', i))}"
                if sec.title:
                    yield sec.title, swhere
                for spec in sec.text:
                    for k in _spec_keys(spec):
                        yield k, swhere
    for country in directory.countries.values():
        if country.code != "global":
            yield country.name_key, country.file
        for r in country.resources:
            yield r.description_key, country.file
            if r.description_helper:
                yield r.description_helper, country.file
            for extra in r.extra:
                yield extra, country.file


def _spec_keys(spec: TextSpec) -> list[str]:
    return [spec] if isinstance(spec, str) else [v.key for v in spec]


def catalog_problems(catalogs: Catalogs, used: dict[str, str]) -> Iterator[Problem]:
    source = catalogs.source()
    src_file = _rel(source.path)
    for key, where in sorted(used.items()):
        if key not in source.messages:
            yield Problem(src_file, None, f"key '{key}' (used at {where}) has no English text")
    for key, msg in source.messages.items():
        yield from _markup_problems(src_file, msg.line, key, msg.forms, None)
    for code in catalogs.codes:
        cat = catalogs.by_code[code]
        if cat.is_source:
            continue
        yield from locale_problems(cat, source)


def locale_problems(cat: Catalog, source: Catalog) -> Iterator[Problem]:
    """Missing, unknown, wrongly pluralised or mis-placeholdered entries in one locale."""
    file = _rel(cat.path)
    for key, msg in cat.messages.items():
        if key not in source.messages:
            yield Problem(file, msg.line, f"unknown key '{key}' (not in the English source)")
    for key, src in source.messages.items():
        found_msg = cat.messages.get(key)
        if found_msg is None:
            yield Problem(file, None, f"key '{key}' is missing")
            continue
        msg = found_msg
        if src.source_plural and len(msg.forms) != cat.nplurals:
            yield Problem(
                file,
                msg.line,
                f"key '{key}': {len(msg.forms)} plural forms, this language needs {cat.nplurals}",
            )
        if not msg.usable:
            continue
        wanted = placeholders(src.source) | placeholders(src.source_plural or "")
        found: set[str] = set()
        for form in msg.forms:
            extra = placeholders(form) - wanted
            if extra:
                yield Problem(
                    file,
                    msg.line,
                    f"key '{key}': unknown placeholder {{{', '.join(sorted(extra))}}}",
                )
            found |= placeholders(form)
        lost = wanted - found - ({"count"} if src.source_plural else set())
        if lost:
            yield Problem(
                file,
                msg.line,
                f"key '{key}': placeholder {{{', '.join(sorted(lost))}}} is missing",
            )
        yield from _markup_problems(file, msg.line, key, msg.forms, src.forms)


def _markup_problems(
    file: str, line: int, key: str, forms: Iterable[str], source_forms: Iterable[str] | None
) -> Iterator[Problem]:
    for form in forms:
        stack: list[str] = []
        for m in _TAG.finditer(form):
            closing, tag = m.group(1) == "/", m.group(2).lower()
            if tag not in ALLOWED_TAGS:
                yield Problem(
                    file,
                    line,
                    f"key '{key}': tag <{tag}> is not allowed "
                    f"(only {', '.join(sorted(ALLOWED_TAGS))})",
                )
                continue
            if not closing:
                stack.append(tag)
            elif not stack or stack.pop() != tag:
                yield Problem(file, line, f"key '{key}': </{tag}> does not close an open tag")
        if stack:
            yield Problem(file, line, f"key '{key}': <{stack[-1]}> is never closed")
        stray = re.sub(r"<[^<>]*>|&[a-zA-Z#0-9]+;", "", form)
        if "<" in stray or ">" in stray:
            yield Problem(file, line, f"key '{key}': write < and > as &lt; and &gt;")
    if source_forms is not None and _tags(next(iter(source_forms), "")) != _tags(
        next(iter(forms), "")
    ):
        yield Problem(file, line, f"key '{key}': formatting tags differ from the English")


def _tags(text: str) -> Counter[str]:
    return Counter(m.group(2).lower() for m in _TAG.finditer(text))


# ---------------------------------------------------------------- Telegram limits


def callback_problems(
    flow: Flow, located: Located, directory: Directory, catalogs: Catalogs
) -> Iterator[Problem]:
    def too_long(data: str) -> bool:
        return len(f"{'9' * TURN_DIGITS}.{data}".encode()) > CALLBACK_LIMIT

    for nid, node in flow.nodes.items():
        if isinstance(node, Ask):
            for i, opt in enumerate(node.options):
                if too_long(opt.id):
                    yield _p(
                        located,
                        ("nodes", nid, "options", i),
                        f"option id '{opt.id}' is too long for Telegram's 64-byte buttons",
                    )
    for c in directory.national():
        if too_long(f"_cc:{c.option_id}"):
            yield Problem(c.file, 1, f"country code '{c.option_id}' too long for a button")
    for code in catalogs.codes:
        if too_long(f"_lang:{code}"):
            yield Problem(_rel(catalogs.by_code[code].path), 1, f"locale code '{code}' too long")


# ---------------------------------------------------------------- helpers


def _p(located: Located, path: tuple[str | int, ...], message: str) -> Problem:
    return Problem(located.file, located.line(path), message)


def _from_yaml(errors: Iterable[YamlError]) -> list[Problem]:
    return [Problem(e.file, e.line, e.message) for e in errors]


def _from_text(lines: Iterable[str]) -> list[Problem]:
    out = []
    for text in lines:
        m = re.match(r"^(.*?):(\d+): (.*)$", text)
        out.append(
            Problem(m.group(1), int(m.group(2)), m.group(3)) if m else Problem("", None, text)
        )
    return out


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
