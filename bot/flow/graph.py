"""A picture of the flow for reviewers (`helpline flows graph`): Mermaid, Graphviz DOT or SVG.

Nodes show their text in the chosen language and edges the buttons that lead along them, so
someone who does not read YAML can follow every branch, including questions that are skipped.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.flow.model import Ask, Branch, End, Flow, Handoff, Input, Results, Say, TextSpec

Describe = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class GNode:
    id: str
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class GEdge:
    src: str
    dst: str
    label: str
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Graph:
    nodes: list[GNode]
    edges: list[GEdge]
    start: str


def build(flow: Flow, describe: Describe) -> Graph:
    nodes: list[GNode] = []
    edges: list[GEdge] = []

    def first(spec: TextSpec) -> str:
        return describe(spec if isinstance(spec, str) else spec[-1].key)

    for nid, node in flow.nodes.items():
        kind = node.type
        if isinstance(node, Say):
            label = first(node.text[0])
            edges.append(GEdge(nid, node.next, ""))
        elif isinstance(node, Ask):
            label = first(node.text)
            if node.options_from:
                edges.append(GEdge(nid, node.next or "", describe("country.summary")))
            if node.multi:
                choices = ", ".join(describe(o.label) for o in node.options)
                edges.append(GEdge(nid, node.next or "", choices))
            else:
                for option in node.options:
                    target = option.next or node.next or ""
                    extra = f" [{option.effect}]" if option.effect else ""
                    extra += f" [crisis: {option.crisis}]" if option.crisis else ""
                    edges.append(GEdge(nid, target, describe(option.label) + extra))
        elif isinstance(node, Input):
            label = first(node.text)
            edges.append(GEdge(nid, node.next, ""))
        elif isinstance(node, Branch):
            label = "?"
            for route in node.routes:
                edges.append(GEdge(nid, route.next, condition(route.when)))
            edges.append(GEdge(nid, node.default, "otherwise"))
        elif isinstance(node, Results):
            titles = [describe(s.title) for s in node.sections if s.title]
            label = first(node.text) + "\n• " + "\n• ".join(titles)
            edges.append(GEdge(nid, node.next, ""))
        elif isinstance(node, Handoff):
            label = describe("next.talk")
            edges.append(GEdge(nid, node.next, ""))
        elif isinstance(node, End):
            label = first(node.text)
        else:  # pragma: no cover - the schema has no other node types
            label = ""
        if node.skip_if is not None:
            skip_to: str | None = getattr(node, "next", None) or getattr(node, "default", None)
            if skip_to is None and isinstance(node, Ask):
                skip_to = next((o.next for o in node.options if o.next), None)
            if skip_to:
                edges.append(GEdge(nid, skip_to, "skipped if " + condition(node.skip_if), True))
        nodes.append(GNode(nid, kind, label))
    known = {n.id for n in nodes}
    return Graph(nodes, [e for e in edges if e.dst in known], flow.start)


def condition(cond: dict[str, Any]) -> str:
    parts = []
    for key, value in cond.items():
        if key in ("any", "all"):
            joiner = " or " if key == "any" else " and "
            parts.append("(" + joiner.join(condition(c) for c in value) + ")")
        elif key == "not":
            parts.append("not " + condition(value))
        elif key == "answered":
            parts.append(f"{value} answered")
        else:
            shown = "|".join(str(v) for v in value) if isinstance(value, list) else str(value)
            parts.append(f"{key}={shown}")
    return " and ".join(parts)


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def to_mermaid(g: Graph) -> str:
    shapes = {
        "ask": ('["', '"]'),
        "input": ('[/"', '"/]'),
        "route": ('{"', '"}'),
        "results": ('[["', '"]]'),
        "end": ('(["', '"])'),
        "handoff": ('[("', '")]'),
        "say": ('("', '")'),
    }
    lines = ["flowchart TD"]
    for n in g.nodes:
        left, right = shapes.get(n.kind, ('["', '"]'))
        text = "<br/>".join(_mermaid(_short(part, 70)) for part in n.label.split("\n")[:8])
        lines.append(f"    {n.id}{left}<b>{n.id}</b><br/>{text}{right}")
    for e in g.edges:
        arrow = "-.->" if e.dashed else "-->"
        label = f"|{_mermaid(_short(e.label, 50))}|" if e.label else ""
        lines.append(f"    {e.src} {arrow}{label} {e.dst}")
    return "\n".join(lines) + "\n"


def _mermaid(text: str) -> str:
    return html.escape(text).replace("|", "&#124;")


def to_dot(g: Graph) -> str:
    shapes = {
        "ask": "box",
        "input": "parallelogram",
        "route": "diamond",
        "results": "box3d",
        "end": "oval",
        "handoff": "cylinder",
        "say": "note",
    }
    lines = ["digraph flow {", '  rankdir=TB; node [fontname="Helvetica", fontsize=10];']
    for n in g.nodes:
        label = "\\n".join(_dot(_short(p, 60)) for p in [n.id, *n.label.split("\n")[:8]])
        lines.append(f'  {n.id} [shape={shapes.get(n.kind, "box")}, label="{label}"];')
    for e in g.edges:
        style = ", style=dashed" if e.dashed else ""
        lines.append(f'  {e.src} -> {e.dst} [label="{_dot(_short(e.label, 50))}"{style}];')
    return "\n".join([*lines, "}"]) + "\n"


def _dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_svg(g: Graph) -> str:
    """A self-contained layered drawing: no Graphviz needed."""
    width, height, gap_x, gap_y = 240, 96, 40, 70
    layer = _layers(g)
    rows: dict[int, list[GNode]] = {}
    for n in g.nodes:
        rows.setdefault(layer[n.id], []).append(n)
    pos: dict[str, tuple[int, int]] = {}
    for depth, row in rows.items():
        for i, n in enumerate(row):
            pos[n.id] = (gap_x + i * (width + gap_x), gap_y + depth * (height + gap_y))
    total_w = max(x for x, _ in pos.values()) + width + gap_x + 200
    total_h = max(y for _, y in pos.values()) + height + gap_y
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
        f'font-family="sans-serif" font-size="11">',
        '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
        "</marker></defs>",
    ]
    for e in g.edges:
        (x1, y1), (x2, y2) = pos[e.src], pos[e.dst]
        sx, sy, tx, ty = x1 + width // 2, y1 + height, x2 + width // 2, y2
        if y2 <= y1:  # back edge: around the right-hand side
            sx, sy, tx, ty = x1 + width, y1 + height // 2, x2 + width, y2 + height // 2
            path = f"M{sx},{sy} C{sx + 120},{sy} {tx + 120},{ty} {tx},{ty}"
        else:
            path = f"M{sx},{sy} C{sx},{sy + 40} {tx},{ty - 40} {tx},{ty}"
        dash = ' stroke-dasharray="5,4"' if e.dashed else ""
        out.append(f'<path d="{path}" fill="none" stroke="#555"{dash} marker-end="url(#a)"/>')
        if e.label:
            mx, my = (sx + tx) / 2, (sy + ty) / 2
            words = html.escape(_short(e.label, 40))
            out.append(f'<text x="{mx + 4}" y="{my}" fill="#333">{words}</text>')
    colours = {
        "ask": "#e8f0fe",
        "input": "#fef7e0",
        "route": "#f1f3f4",
        "results": "#e6f4ea",
        "end": "#fce8e6",
        "handoff": "#f3e8fd",
        "say": "#ffffff",
    }
    for n in g.nodes:
        x, y = pos[n.id]
        out.append(
            f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="6" '
            f'fill="{colours.get(n.kind, "#fff")}" stroke="#888"/>'
        )
        out.append(f'<text x="{x + 8}" y="{y + 16}" font-weight="bold">{html.escape(n.id)}</text>')
        lines = textwrap.wrap(" ".join(n.label.split()), 40)[:5]
        for i, line in enumerate(lines):
            out.append(f'<text x="{x + 8}" y="{y + 32 + i * 13}">{html.escape(line)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _layers(g: Graph) -> dict[str, int]:
    """Breadth-first depth from the start; nodes not reachable go below everything."""
    out: dict[str, int] = {g.start: 0}
    queue = [g.start]
    forward: dict[str, list[str]] = {}
    for e in g.edges:
        forward.setdefault(e.src, []).append(e.dst)
    while queue:
        nid = queue.pop(0)
        for dst in forward.get(nid, []):
            if dst not in out:
                out[dst] = out[nid] + 1
                queue.append(dst)
    bottom = max(out.values(), default=0) + 1
    for n in g.nodes:
        out.setdefault(n.id, bottom)
    return out
