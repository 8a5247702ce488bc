"""Trend charts of a metric: a small inline SVG for the HTML reports (no library, a few hundred
bytes) and a PNG for ``orchestrator trend --png`` (matplotlib, the ``report`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from ..errors import OrchestratorError
from .baseline import MAD_SCALE

WIDTH, HEIGHT, PAD = 260, 64, 6


def band(baseline: float | None, mad: float | None, threshold: float) -> tuple[float, float]:
    """What the values must leave to be flagged on the z-score alone: median +- threshold
    robust standard deviations."""
    if baseline is None:
        return (0.0, 0.0)
    spread = threshold * MAD_SCALE * (mad or 0.0)
    return (baseline - spread, baseline + spread)


def trend_svg(points: Sequence[dict[str, Any]], title: str, threshold: float = 3.5) -> str:
    """A sparkline of ``points`` (rows of ``baseline.series``, oldest first): the values, the
    latest baseline's band, flagged points in red. Self-contained SVG text."""
    values = [float(p["value"]) for p in points]
    if not values:
        return ""
    last = points[-1]
    low, high = band(last.get("baseline"), last.get("mad"), threshold)
    scale = [*values, *((low, high) if last.get("baseline") is not None else ())]
    top, bottom = max(scale), min(scale)
    span = (top - bottom) or abs(top) or 1.0

    def x(i: int) -> float:
        return PAD + (WIDTH - 2 * PAD) * (i / max(1, len(values) - 1))

    def y(v: float) -> float:
        return float(PAD + (HEIGHT - 2 * PAD) * (1 - (v - bottom) / span))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{WIDTH}" '
             f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
             f"<title>{escape(title)}</title>"]
    if last.get("baseline") is not None:
        parts.append(f'<rect x="0" y="{y(high):.1f}" width="{WIDTH}" '
                     f'height="{max(1.0, y(low) - y(high)):.1f}" fill="#dbeafe"/>')
        parts.append(f'<line x1="0" x2="{WIDTH}" y1="{y(last["baseline"]):.1f}" '
                     f'y2="{y(last["baseline"]):.1f}" stroke="#3b82f6" stroke-dasharray="4 3"/>')
    path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts.append(f'<polyline points="{path}" fill="none" stroke="#334155" stroke-width="1.5"/>')
    for i, point in enumerate(points):
        colour = "#dc2626" if point.get("flagged") else "#334155"
        radius = 3.5 if point.get("flagged") else 2
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(values[i]):.1f}" r="{radius}" '
                     f'fill="{colour}"><title>{escape(str(point.get("run_id", "")))}: '
                     f"{values[i]:g}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


def trend_png(series: dict[str, list[dict[str, Any]]], metric: str, path: Path,
              threshold: float = 3.5) -> Path:
    """A PNG of each series (label -> rows of ``baseline.series``) with its baseline band and
    flagged points."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise OrchestratorError("--png draws with matplotlib: pip install "
                                "pytest-orchestrator[report]") from None
    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=110)
    try:
        for label, rows in series.items():
            _draw(axes, label, rows, threshold)
        axes.set_title(f"{metric}, run after run")
        axes.set_xlabel("run")
        axes.set_ylabel(metric)
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small", loc="best")
        figure.autofmt_xdate()
        figure.tight_layout()
        try:
            figure.savefig(path)
        except OSError as exc:
            raise OrchestratorError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(figure)
    return path


def _draw(axes: Any, label: str, rows: list[dict[str, Any]], threshold: float) -> None:
    xs = [str(r["run_id"])[:15] for r in rows]
    line = axes.plot(xs, [r["value"] for r in rows], marker="o", markersize=3, label=label)[0]
    based = [(x, r) for x, r in zip(xs, rows, strict=True) if r["baseline"] is not None]
    if based:
        lows, highs = zip(*(band(r["baseline"], r["mad"], threshold) for _, r in based),
                          strict=True)
        axes.fill_between([x for x, _ in based], lows, highs, color=line.get_color(),
                          alpha=0.15, label=f"{label}: baseline band")
    flagged = [(x, r["value"]) for x, r in zip(xs, rows, strict=True) if r["flagged"]]
    if flagged:
        axes.scatter(*zip(*flagged, strict=True), color="#dc2626", zorder=3, s=40,
                     label=f"{label}: flagged")
