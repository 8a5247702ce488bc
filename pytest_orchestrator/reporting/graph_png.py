"""The DAG as a PNG, drawn with Pillow from the same layout as the SVG: no Cairo, no Graphviz,
nothing but a wheel (``pip install pytest-orchestrator[report]``)."""

from __future__ import annotations

import io
import itertools
from typing import Any

from ..errors import OrchestratorError
from .graph import Graph
from .graph_svg import BOX_H, MARGIN, Box, Layout, curve, layout, route

SCALE = 2  # pixels per SVG unit: sharp on a high-density screen and in a printed document


def to_png(graph: Graph) -> bytes:
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise OrchestratorError("a PNG needs Pillow: pip install pytest-orchestrator[report]",
                                hint="or use --format svg, which needs nothing") from None
    plan = layout(graph)
    height = plan.height + (38 if plan.legend else 8)
    image = Image.new("RGB", (int(plan.width * SCALE), int(height * SCALE)), "#ffffff")
    draw = ImageDraw.Draw(image)
    pen = _Pen(draw)
    pen.text(MARGIN, 14, graph.title, 16, "#1b1b1b", bold=True)
    pen.text(MARGIN, 34, graph.summary(), 12, "#546e7a")
    _levels(pen, plan)
    for dep, name in graph.edges:
        _edge(pen, plan, plan.boxes[dep], plan.boxes[name])
    for row in plan.rows:
        for box in row:
            _box(pen, box)
    _legend(pen, plan, plan.height + 8)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class _Pen:
    """Draws in SVG units on a Pillow image SCALE times larger."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self._fonts: dict[tuple[int, bool], Any] = {}

    def font(self, size: int, bold: bool = False) -> Any:
        from PIL import ImageFont

        key = (size, bold)
        if key not in self._fonts:
            # Arial's metrics, which the layout assumes; DejaVu, wider, on most Linux
            names = ["LiberationSans-Bold.ttf", "arialbd.ttf", "Arial Bold.ttf",
                     "DejaVuSans-Bold.ttf"] if bold else \
                ["LiberationSans-Regular.ttf", "arial.ttf", "Arial.ttf", "DejaVuSans.ttf"]
            for name in names:
                try:
                    self._fonts[key] = ImageFont.truetype(name, size * SCALE)
                    break
                except OSError:
                    continue
            else:
                self._fonts[key] = ImageFont.load_default(size * SCALE)
        return self._fonts[key]

    def text(self, x: float, y: float, text: str, size: int, fill: str, bold: bool = False,
             centre: bool = False, fit: float = 0.0) -> None:
        font = self.font(size, bold)
        while fit and size > 7 and self.draw.textlength(text, font=font) / SCALE > fit:
            size -= 1  # a font wider than the layout assumed: smaller, never outside the box
            font = self.font(size, bold)
        if centre:
            x -= self.draw.textlength(text, font=font) / SCALE / 2
        self.draw.text((x * SCALE, y * SCALE), text, fill=fill, font=font)

    def box(self, x: float, y: float, w: float, h: float, fill: str | None, stroke: str,
            radius: float = 8, width: float = 1.6, dashed: bool = False) -> None:
        xy = [x * SCALE, y * SCALE, (x + w) * SCALE, (y + h) * SCALE]
        self.draw.rounded_rectangle(xy, radius * SCALE, fill=fill,
                                    outline=None if dashed else stroke,
                                    width=int(width * SCALE))
        if dashed:
            self._dashes([(x + radius, y), (x + w - radius, y)], stroke, width)
            self._dashes([(x + radius, y + h), (x + w - radius, y + h)], stroke, width)
            self._dashes([(x, y + radius), (x, y + h - radius)], stroke, width)
            self._dashes([(x + w, y + radius), (x + w, y + h - radius)], stroke, width)

    def line(self, points: list[tuple[float, float]], colour: str, width: float = 1.4,
             dashed: bool = False) -> None:
        if dashed:
            self._dashes(points, colour, width)
        else:
            self.draw.line([(px * SCALE, py * SCALE) for px, py in points], fill=colour,
                           width=int(width * SCALE), joint="curve")

    def _dashes(self, points: list[tuple[float, float]], colour: str, width: float) -> None:
        for i, (a, b) in enumerate(itertools.pairwise(points)):
            steps = max(1, int(((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5 / 3))
            for j in range(steps):
                if (i + j) % 3 == 2:
                    continue
                p = (a[0] + (b[0] - a[0]) * j / steps, a[1] + (b[1] - a[1]) * j / steps)
                q = (a[0] + (b[0] - a[0]) * (j + 1) / steps,
                     a[1] + (b[1] - a[1]) * (j + 1) / steps)
                self.draw.line([(p[0] * SCALE, p[1] * SCALE), (q[0] * SCALE, q[1] * SCALE)],
                               fill=colour, width=int(width * SCALE))

    def arrow(self, x: float, y: float, colour: str) -> None:
        self.draw.polygon([((x - 4.5) * SCALE, (y - 8) * SCALE), ((x + 4.5) * SCALE,
                           (y - 8) * SCALE), (x * SCALE, y * SCALE)], fill=colour)


def _levels(pen: _Pen, plan: Layout) -> None:
    from .graph_svg import LEFT

    for level, row in enumerate(plan.rows):
        y = plan.row_y(level)
        if len(row) > 1:
            pen.box(LEFT - 10, y - 8, plan.width - LEFT - 6, BOX_H + 16, "#f3f6f9", "#f3f6f9")
            pen.text(MARGIN, y + BOX_H / 2 + 3, "parallel", 10, "#90a4ae")
        pen.text(MARGIN, y + BOX_H / 2 - 12, f"level {level}", 11, "#78909c")


def _edge(pen: _Pen, plan: Layout, start: Box, end: Box) -> None:
    points: list[tuple[float, float]] = []
    for x1, y1, a, b, c, d, x2, y2 in curve(route(plan, start, end)):
        segments = 1 if abs(x2 - x1) < 1 else 16
        for i in range(segments + 1):  # each cubic Bezier as straight segments
            t = i / segments
            w = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3)
            points.append((w[0] * x1 + w[1] * a + w[2] * c + w[3] * x2,
                           w[0] * y1 + w[1] * b + w[2] * d + w[3] * y2))
    pen.line(points, "#90a4ae", dashed=end.node.finally_)
    pen.arrow(points[-1][0], points[-1][1], "#78909c")


def _box(pen: _Pen, box: Box) -> None:
    node = box.node
    fill, stroke, _ = node.colours
    if node.exclusive:
        pen.box(box.x - 4, box.y - 4, box.w + 8, BOX_H + 8, None, stroke, 11, 1.2)
    pen.box(box.x, box.y, box.w, BOX_H, fill, stroke, dashed=node.finally_)
    pen.text(box.centre, box.y + 6, node.name, 13, "#1b1b1b", bold=True, centre=True,
             fit=box.w - 12)
    pen.text(box.centre, box.y + 25, node.caption, 11, "#455a64", centre=True,
             fit=box.w - 12)


def _legend(pen: _Pen, plan: Layout, y: float) -> None:
    x = float(MARGIN)
    for kind, fill, stroke, text in plan.legend:
        if kind == "exclusive":
            pen.box(x - 2, y - 2, 26, 18, None, stroke, 5, 1.0)
        pen.box(x, y, 22, 14, fill, stroke, 2 if kind == "finally" else 4, 1.4,
                dashed=kind == "finally")
        pen.text(x + 30, y, text, 11, "#37474f")
        x += 30 + pen.draw.textlength(text, font=pen.font(11)) / SCALE + 24
