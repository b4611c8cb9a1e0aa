"""Load a flow file: schema errors and broken references come back with file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from bot.flow.directory import _display, _validation_problems
from bot.flow.model import Ask, Branch, Flow, Input
from bot.flow.yamlsrc import Located, YamlError, load_located


class FlowError(Exception):
    def __init__(self, problems: list[YamlError]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_flow(path: Path) -> tuple[Flow, Located]:
    """Parse and validate one flow file; raise FlowError listing every problem found."""
    located = load_located(path, _display(path)) if path.exists() else None
    if located is None:
        raise FlowError([YamlError(str(path), None, "flow file not found")])
    try:
        flow = Flow.model_validate(located.data)
    except ValidationError as exc:
        raise FlowError(_node_problems(located, exc)) from None
    problems = list(reference_problems(flow, located))
    if problems:
        raise FlowError(problems)
    return flow, located


def _node_problems(located: Located, exc: ValidationError) -> list[YamlError]:
    """Pydantic puts the node type inside error paths ('nodes', id, 'ask', ...): drop it."""
    problems = _validation_problems(located, exc)
    out = []
    for err, problem in zip(exc.errors(include_input=False), problems, strict=True):
        loc = list(err["loc"])
        if (
            len(loc) > 2
            and loc[0] == "nodes"
            and loc[2] in {"say", "ask", "input", "route", "results", "handoff", "end"}
        ):
            del loc[2]
            where = ".".join(str(p) for p in loc)
            out.append(YamlError(located.file, located.line(tuple(loc)), f"{where}: {err['msg']}"))
        else:
            out.append(problem)
    return out


def reference_problems(flow: Flow, located: Located) -> Iterator[YamlError]:
    """Targets that do not exist and questions that cannot be answered or skipped."""
    nodes = flow.nodes

    def bad(path: tuple[str | int, ...], message: str) -> YamlError:
        return YamlError(located.file, located.line(path), message)

    if flow.start not in nodes:
        yield bad(("start",), f"start node '{flow.start}' does not exist")
    if flow.entry.human and flow.entry.human not in nodes:
        yield bad(("entry", "human"), f"entry node '{flow.entry.human}' does not exist")
    names: dict[str, str] = {}
    for nid, node in nodes.items():
        base = ("nodes", nid)
        for field in ("next", "default"):
            target = getattr(node, field, None)
            if target is not None and target not in nodes:
                yield bad((*base, field), f"node '{nid}': {field} '{target}' does not exist")
        if isinstance(node, Branch):
            for i, route in enumerate(node.routes):
                if route.next not in nodes:
                    yield bad(
                        (*base, "routes", i), f"node '{nid}': route to unknown '{route.next}'"
                    )
        if isinstance(node, Ask | Input):
            name = flow.answer_name(nid)
            if name in names:
                yield bad(base, f"node '{nid}' saves its answer as '{name}', like '{names[name]}'")
            names[name] = nid
            if name in {"channel", "storage", "staff", "kept", "any", "all", "not", "answered"}:
                yield bad(base, f"node '{nid}': '{name}' is reserved; use save_as")
        if isinstance(node, Ask):
            seen: set[str] = set()
            for i, opt in enumerate(node.options):
                if opt.id in seen:
                    yield bad(
                        (*base, "options", i), f"node '{nid}': option id '{opt.id}' repeated"
                    )
                seen.add(opt.id)
                if opt.next is not None and opt.next not in nodes:
                    yield bad(
                        (*base, "options", i, "next"),
                        f"node '{nid}': option '{opt.id}' goes to unknown '{opt.next}'",
                    )
                if (
                    opt.next is None
                    and node.next is None
                    and opt.effect not in ("restart", "quick_exit")
                ):
                    yield bad(
                        (*base, "options", i),
                        f"node '{nid}': option '{opt.id}' has no next and the node has none",
                    )
            if not node.options and not node.options_from:
                yield bad(base, f"node '{nid}' asks a question without options")
            if node.multi and node.next is None:
                yield bad(base, f"node '{nid}' is multiple-choice and needs a next")
