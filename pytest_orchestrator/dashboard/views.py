"""What the live dashboard shows, as Dash components and Plotly figures, made from what
reading.py read: the runs, each recipe's progress and DAG, the steps, durations and trends."""

from __future__ import annotations

import base64
from typing import Any

from dash import html

from ..reporting.graph import OUTCOMES, PLAIN, from_steps
from ..reporting.graph_svg import to_svg
from .reading import PROGRESS, RecipeProgress

#: The colour of each progress group (the DAG's colours for the same states).
GROUP_COLOURS = {"done": OUTCOMES["passed"][1], "running": OUTCOMES["running"][1],
                 "waiting": "#cfd8dc", "failed": OUTCOMES["failed"][1]}
#: Past these many, the page shows the steps that say most, and no DAG picture: the page is
#: redrawn every few seconds beside a running session, and must stay cheap.
MOST_ROWS, MOST_BARS, MOST_DRAWN = 60, 40, 60
#: Run statuses (runs.status) shown with the colour of the step outcome they resemble.
RUN_COLOURS = {"running": "running", "passed": "passed", "failed": "failed",
               "interrupted": "error", "collection_error": "error", "no_tests": "skipped"}


def data(**values: str) -> dict[str, Any]:
    """``data-*`` attributes: what a test (or a user's script) finds an element by."""
    return {f"data-{name}": value for name, value in values.items()}


def badge(status: str, colour_of: str | None = None) -> html.Span:
    fill, stroke, _ = OUTCOMES.get(colour_of or status, PLAIN)
    return html.Span(status, className="badge",
                     style={"background": fill, "borderColor": stroke, "color": "#1b1b1b"})


def runs_table(runs: list[dict[str, Any]], shown: str | None) -> html.Table:
    head = html.Tr([html.Th(t) for t in ("run", "status", "started", "ended", "steps",
                                         "failed", "host")])
    rows = [html.Tr([html.Td(r["run_id"]), html.Td(badge(r["status"], RUN_COLOURS.get(
        r["status"]))), html.Td(_time(r["started"])), html.Td(_time(r["ended"]) or "…"),
        html.Td(r.get("steps", "")), html.Td(r.get("failed", "")), html.Td(r["host"] or "")],
        className="shown" if r["run_id"] == shown else "", **data(run=r["run_id"]))
        for r in runs]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="grid", id="runs-table")


def progress_cards(recipes: list[RecipeProgress]) -> list[html.Div]:
    return [html.Div([html.H3(recipe.title), progress_bar(recipe.counts), _dag(recipe)],
                     className="card", **data(recipe=recipe.title))
            for recipe in recipes]


def _dag(recipe: RecipeProgress) -> html.Img | html.P:
    picture = dag_picture(recipe)
    if not picture:
        return html.P(f"{len(recipe.steps)} steps: too many to draw live; `orchestrator graph` "
                      "draws the recipe", className="quiet")
    return html.Img(src=picture, alt=f"DAG of {recipe.title}", className="dag")


def progress_bar(counts: dict[str, int]) -> html.Div:
    total = sum(counts.values()) or 1
    parts = [html.Div(className=f"part {group}", title=f"{counts[group]} {group}",
                      style={"width": f"{100 * counts[group] / total:.2f}%",
                             "background": GROUP_COLOURS[group]})
             for group in PROGRESS if counts[group]]
    legend = html.Div([html.Span([html.I(style={"background": GROUP_COLOURS[group]}),
                                  f"{counts[group]} {group}"],
                                 className="count", **data(group=group))
                       for group in PROGRESS], className="counts")
    return html.Div([html.Div(parts, className="bar"), legend])


def dag_picture(recipe: RecipeProgress) -> str:
    """The recipe row's DAG coloured by status, as an SVG data URI ("" above MOST_DRAWN
    steps: too many boxes to read, and to redraw every few seconds)."""
    if len(recipe.steps) > MOST_DRAWN:
        return ""
    graphs = from_steps([{**step, "outcome": step["status"]} for step in recipe.steps])
    if not graphs:
        return ""
    svg = to_svg(graphs[0]).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def steps_table(recipes: list[RecipeProgress]) -> html.Div:
    """The steps, in run order; past MOST_ROWS, the ones that say most: running and failed,
    then the last finished, then the next waiting."""
    everyone = [(recipe, step) for recipe in recipes for step in recipe.steps]
    shown = everyone
    if len(everyone) > MOST_ROWS:
        order = {"running": 0, "failed": 1, "error": 1, "waiting": 3}
        ranked = sorted(range(len(everyone)), key=lambda i: (
            order.get(everyone[i][1]["status"], 2),
            -i if everyone[i][1]["status"] != "waiting" else i))
        shown = [everyone[i] for i in sorted(ranked[:MOST_ROWS])]
    head = html.Tr([html.Th(t) for t in ("recipe", "step", "status", "duration", "attempts",
                                         "worker")])
    rows = [html.Tr([html.Td(recipe.title), html.Td(step["step"]),
                     html.Td(badge(step["status"]), className="status"),
                     html.Td(f"{float(step.get('duration') or 0):.2f} s"
                             if step["status"] != "waiting" else ""),
                     html.Td(step.get("attempts") or ""), html.Td(step.get("worker") or "")],
                    **data(step=step["step"], recipe=recipe.title, status=step["status"]))
            for recipe, step in shown]
    note = [html.P(f"{len(shown)} of {len(everyone)} steps: the running and failed ones, the "
                   "last finished, the next waiting", className="quiet")] \
        if len(shown) < len(everyone) else []
    return html.Div([*note, html.Table([html.Thead(head), html.Tbody(rows)], className="grid",
                                       id="steps-table")])


def durations_figure(recipes: list[RecipeProgress]) -> dict[str, Any]:
    """A horizontal bar per step, the longest first: its wall time (so far, while running),
    coloured by status. A plain Plotly figure dict: building one is cheap, refreshed live."""
    steps = sorted(((f"{recipe.title} · {s['step']}", float(s.get("duration") or 0),
                     s["status"]) for recipe in recipes for s in recipe.steps
                    if s["status"] != "waiting"), key=lambda bar: -bar[1])
    shown = steps[:MOST_BARS]
    title = "step durations (s)" + (f", the {MOST_BARS} longest of {len(steps)}"
                                     if len(steps) > MOST_BARS else "")
    bars = {"type": "bar", "orientation": "h", "y": [name for name, _, _ in shown],
            "x": [seconds for _, seconds, _ in shown],
            "marker": {"color": [OUTCOMES.get(st, PLAIN)[1] for _, _, st in shown]},
            "hovertemplate": "%{y}: %{x:.3f} s<extra></extra>"}
    return {"data": [bars], "layout": {**_layout(title), "height": max(220, 26 * len(shown) + 80),
                                       "yaxis": {"autorange": "reversed", "automargin": True}}}


def trend_figure(points: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """A metric over runs; the runs the analysis flagged as regressions marked in red."""
    traces: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines+markers", "name": label,
        "x": [p["started"] for p in points], "y": [p["value"] for p in points],
        "customdata": [p["run_id"] for p in points], "line": {"color": "#1e63b5"},
        "hovertemplate": "run %{customdata}<br>%{y}<extra></extra>"}]
    flagged = [p for p in points if p["flag"]]
    if flagged:
        traces.append({
            "type": "scatter", "mode": "markers", "name": "regression",
            "x": [p["started"] for p in flagged], "y": [p["value"] for p in flagged],
            "marker": {"color": OUTCOMES["failed"][1], "size": 13, "symbol": "x"},
            "text": [_flag_text(p["flag"]) for p in flagged],
            "hovertemplate": "%{text}<extra>regression</extra>"})
    return {"data": traces, "layout": {**_layout(label or "no metric recorded yet"),
                                       "height": 320, "showlegend": bool(flagged)}}


def flags_table(flags: list[dict[str, Any]]) -> html.Div | html.Table:
    if not flags:
        return html.Div("no regression flagged in this run", className="quiet",
                        id="flags-none")
    head = html.Tr([html.Th(t) for t in ("recipe", "step", "metric", "value", "baseline",
                                         "change", "z", "note")])
    rows = [html.Tr([html.Td(f["test_id"]), html.Td(f["step"]), html.Td(f["metric"]),
                     html.Td(_number(f["value"])), html.Td(_number(f["baseline"])),
                     html.Td(f"{_number(f['change_pct'])} %"), html.Td(_number(f["z"])),
                     html.Td(f.get("note") or "")]) for f in flags]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="grid flags",
                      id="flags-table")


def _flag_text(flag: dict[str, Any]) -> str:
    return (f"{flag['metric']} {_number(flag['value'])} against a baseline of "
            f"{_number(flag['baseline'])} ({_number(flag['change_pct'])} %, "
            f"z {_number(flag['z'])})")


def _layout(title: str) -> dict[str, Any]:
    return {"title": {"text": title, "font": {"size": 14}}, "template": "plotly_white",
            "margin": {"l": 10, "r": 10, "t": 40, "b": 30}, "yaxis": {"automargin": True}}


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else str(value or "")


def _time(text: str | None) -> str:
    """``2026-12-02 14:35:01``: a stored UTC time, shorter."""
    return (text or "").replace("T", " ")[:19]
