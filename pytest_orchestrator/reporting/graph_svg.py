"""The DAG drawn by hand, no Graphviz needed: a row of boxes per level (top to bottom), each
row ordered to keep edges short, curved edges with arrows, a legend. ``layout`` places the
boxes; ``to_svg`` and graph_png draw them."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape as _escape

from .graph import OUTCOMES, Graph, Node

NAME_PX, DETAIL_PX = 7.6, 6.4  # average glyph widths of 13 px bold and 11 px sans-serif text
BOX_H, ROW_GAP, BOX_GAP = 46, 58, 22
LEFT, TOP, MARGIN = 96, 64, 24
FONT = "'Segoe UI', 'Helvetica Neue', Arial, sans-serif"


def escape(text: str) -> str:
    """XML text: &, < and > escaped (``html``'s, not ``xml.sax``'s, which imports urllib,
    http and ssl: ~15 ms and megabytes at the end of every run)."""
    return _escape(text, quote=False)


def quoteattr(text: str) -> str:
    """An XML attribute value, in double quotes."""
    return '"' + _escape(text, quote=True).replace("\n", "&#10;") + '"'


@dataclass(frozen=True, slots=True)
class Box:
    node: Node
    x: float
    y: float
    w: float

    @property
    def centre(self) -> float:
        return self.x + self.w / 2


@dataclass(frozen=True, slots=True)
class Layout:
    graph: Graph
    boxes: dict[str, Box]
    rows: list[list[Box]]
    width: float
    height: float  # without the legend
    legend: list[tuple[str, str, str, str]]  # (kind, fill, stroke, text)

    def row_y(self, level: int) -> float:
        return TOP + level * (BOX_H + ROW_GAP)


def box_width(node: Node) -> float:
    second = len(node.caption) * DETAIL_PX
    return max(112.0, len(node.name) * NAME_PX + 28, second + 28)


def layout(graph: Graph) -> Layout:
    """Place every box: rows by level, each row ordered by the mean position of its boxes'
    dependencies (then run order), rows centred on the widest."""
    placed: dict[str, float] = {}
    ordered: list[list[Node]] = []
    for row in graph.levels:
        def pull(node: Node) -> float:
            xs = [placed[d] for d in node.deps if d in placed]
            return sum(xs) / len(xs) if xs else float("inf")
        row = sorted(row, key=pull) if ordered else row
        ordered.append(row)
        x = 0.0
        for node in row:
            placed[node.name] = x + box_width(node) / 2
            x += box_width(node) + BOX_GAP
    widths = [sum(box_width(n) for n in row) + BOX_GAP * (len(row) - 1) for row in ordered]
    widest = max(widths, default=0.0)
    rows: list[list[Box]] = []
    for level, (row, used) in enumerate(zip(ordered, widths, strict=True)):
        x = LEFT + (widest - used) / 2
        rows.append([])
        for node in row:
            rows[-1].append(Box(node, x, TOP + level * (BOX_H + ROW_GAP), box_width(node)))
            x += box_width(node) + BOX_GAP
    height = TOP + len(rows) * (BOX_H + ROW_GAP) - ROW_GAP + MARGIN
    legend = _legend(graph)
    width = max(LEFT + widest + MARGIN, 360.0, MARGIN * 2 + sum(_legend_width(e) for e in legend))
    return Layout(graph, {b.node.name: b for row in rows for b in row}, rows, width, height,
                  legend)


def route(plan: Layout, start: Box, end: Box) -> list[tuple[float, float]]:
    """The points an edge passes: out of the bottom of ``start``, through the gap nearest its
    straight line in each row it crosses (never through a box), into the top of ``end``."""
    points = [(start.centre, start.y + BOX_H)]
    first, last = start.node.level, end.node.level
    for level in range(first + 1, last):
        share = (level - first) / (last - first)
        x = start.centre + (end.centre - start.centre) * share
        x = _free_x(plan.rows[level], x)
        y = plan.row_y(level)
        points += [(x, y - 10), (x, y + BOX_H + 10)]
    return [*points, (end.centre, end.y - 2)]


def _free_x(row: list[Box], x: float) -> float:
    for box in row:
        if box.x - 6 <= x <= box.x + box.w + 6:
            left, right = box.x - BOX_GAP / 2, box.x + box.w + BOX_GAP / 2
            return left if x - left < right - x else right
    return x


def curve(points: list[tuple[float, float]]) -> list[tuple[float, float, float, float, float,
                                                           float, float, float]]:
    """Cubic Bezier segments (x1, y1, c1x, c1y, c2x, c2y, x2, y2) through the points,
    leaving and entering each one vertically."""
    segments = []
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        bend = max(12.0, (y2 - y1) / 2) if abs(x2 - x1) > 0.5 else (y2 - y1) / 3
        segments.append((x1, y1, x1, y1 + bend, x2, y2 - bend, x2, y2))
    return segments


def _legend(graph: Graph) -> list[tuple[str, str, str, str]]:
    found = {n.outcome for n in graph.nodes if n.outcome}
    entries = [("outcome", fill, stroke, text) for outcome, (fill, stroke, text)
               in OUTCOMES.items() if outcome in found]
    if any(n.finally_ for n in graph.nodes):
        entries.append(("finally", "#ffffff", "#455a64", "finally: runs whatever came before"))
    if any(n.exclusive for n in graph.nodes):
        entries.append(("exclusive", "#ffffff", "#455a64", "exclusive: runs alone"))
    return entries


def _legend_width(entry: tuple[str, str, str, str]) -> float:
    return 40 + len(entry[3]) * 5.8


def slug(text: str) -> str:
    """An XML id made of ``text``: several pictures may share one HTML page."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "dag"


def to_svg(graph: Graph) -> str:
    """A standalone SVG document (also fine inline in HTML)."""
    return "".join(svg_lines(graph))


def svg_lines(graph: Graph) -> Iterator[str]:
    """:func:`to_svg`'s document a line at a time (each ends with a newline), to write a
    large DAG's picture without holding it whole."""
    plan = layout(graph)
    ident = slug(graph.title)
    legend_y = plan.height + 8
    total_h = legend_y + (30 if plan.legend else 0) + MARGIN / 2
    head = [f'<svg xmlns="http://www.w3.org/2000/svg" class="dag" '
            f'width="{plan.width:.0f}" height="{total_h:.0f}" '
            f'viewBox="0 0 {plan.width:.0f} {total_h:.0f}" font-family="{FONT}" '
            f'role="img" aria-label={quoteattr("DAG of " + graph.title)}>',
            f'<defs><marker id="arrow-{ident}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#78909c"/></marker></defs>',
            '<rect width="100%" height="100%" fill="#ffffff"/>',
            f'<text x="{MARGIN}" y="28" font-size="16" font-weight="700" fill="#1b1b1b">'
            f'{escape(graph.title)}</text>',
            f'<text x="{MARGIN}" y="46" font-size="12" fill="#546e7a">'
            f'{escape(graph.summary())}</text>']
    parts = itertools.chain(
        head, _svg_levels(plan),
        (_svg_edge(plan, plan.boxes[dep], plan.boxes[name], ident)
         for dep, name in graph.edges),
        (_svg_box(box) for row in plan.rows for box in row),
        _svg_legend(plan, legend_y), ["</svg>"])
    return (part + "\n" for part in parts)


def _svg_levels(plan: Layout) -> list[str]:
    out = []
    for level, row in enumerate(plan.rows):
        y = plan.row_y(level)
        if len(row) > 1:
            out.append(f'<rect x="{LEFT - 10}" y="{y - 8}" width="{plan.width - LEFT - 6:.0f}" '
                       f'height="{BOX_H + 16}" rx="8" fill="#f3f6f9"/>')
        label = f"level {level}"
        out.append(f'<text x="{MARGIN}" y="{y + BOX_H / 2 - 2:.0f}" font-size="11" '
                   f'fill="#78909c">{label}</text>')
        if len(row) > 1:
            out.append(f'<text x="{MARGIN}" y="{y + BOX_H / 2 + 12:.0f}" font-size="10" '
                       'fill="#90a4ae">parallel</text>')
    return out


def _svg_edge(plan: Layout, start: Box, end: Box, ident: str) -> str:
    segments = curve(route(plan, start, end))
    path = f"M{segments[0][0]:.1f},{segments[0][1]:.1f} " + " ".join(
        f"C{a:.1f},{b:.1f} {c:.1f},{d:.1f} {x2:.1f},{y2:.1f}"
        for _, _, a, b, c, d, x2, y2 in segments)
    dashed = ' stroke-dasharray="5 4"' if end.node.finally_ else ""
    return (f'<path class="edge" data-from={quoteattr(start.node.name)} '
            f'data-to={quoteattr(end.node.name)} d="{path}" fill="none" stroke="#90a4ae" '
            f'stroke-width="1.4"{dashed} marker-end="url(#arrow-{ident})"/>')


def _svg_box(box: Box) -> str:
    node = box.node
    fill, stroke, _ = node.colours
    dash = ' stroke-dasharray="6 3"' if node.finally_ else ""
    tip = "\n".join([node.name, *([f"after {', '.join(node.deps)}"] if node.deps else []),
                     *([node.detail] if node.detail else []), *node.marks])
    outer = (f'<rect x="{box.x - 4:.1f}" y="{box.y - 4}" width="{box.w + 8:.1f}" '
             f'height="{BOX_H + 8}" rx="11" fill="none" stroke="{stroke}" '
             'stroke-width="1.2"/>') if node.exclusive else ""
    return (f'<g class="step" data-step={quoteattr(node.name)} '
            f'data-outcome={quoteattr(node.outcome or "")}><title>{escape(tip)}</title>{outer}'
            f'<rect x="{box.x:.1f}" y="{box.y}" width="{box.w:.1f}" height="{BOX_H}" rx="8" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.6"{dash}/>'
            f'<text x="{box.centre:.1f}" y="{box.y + 19}" text-anchor="middle" font-size="13" '
            f'font-weight="600" fill="#1b1b1b">{escape(node.name)}</text>'
            f'<text x="{box.centre:.1f}" y="{box.y + 35}" text-anchor="middle" font-size="11" '
            f'fill="#455a64">{escape(node.caption)}</text></g>')


def _svg_legend(plan: Layout, y: float) -> list[str]:
    out, x = [], float(MARGIN)
    for kind, fill, stroke, text in plan.legend:
        dash = ' stroke-dasharray="4 2"' if kind == "finally" else ""
        if kind == "exclusive":
            out.append(f'<rect x="{x - 2:.0f}" y="{y - 2:.0f}" width="26" height="18" rx="5" '
                       f'fill="none" stroke="{stroke}"/>')
        out.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="22" height="14" rx="4" fill="{fill}" '
                   f'stroke="{stroke}" stroke-width="1.4"{dash}/>')
        out.append(f'<text x="{x + 30:.0f}" y="{y + 11:.0f}" font-size="11" fill="#37474f">'
                   f'{escape(text)}</text>')
        x += _legend_width((kind, fill, stroke, text))
    return out
