"""The Excel workbook of a run (``orchestrator export --xlsx``): Summary, Steps, Metrics, Context
and Runs sheets, formatted for people, with native charts. Reads a StoredRun, never a session."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import OrchestratorError
from . import xlsx
from .stored_run import OUTCOMES, MetricRow, StepRow, StoredRun, split_row, timestamp
from .xlsx import CLOCK, COUNT, MB, NUMBER, SECONDS, TIME, Column

#: The longest JSON text of a context value shown in a cell.
VALUE_LIMIT = 2000
#: Bars in one metric chart, and metric names charted (the table holds every value).
CHART_BARS = 25
CHARTED_METRICS = 4


def write_workbook(run: StoredRun, out: Path, run_artifacts: Path | None = None) -> None:
    """Write the workbook of ``run`` to ``out`` (replaced whole, never half-written). Steps
    link to their log files under ``run_artifacts`` when those exist."""
    wb = Workbook()
    wb.properties.title = f"pytest-orchestrator run {run.run_id}"
    wb.properties.creator = "pytest-orchestrator"
    summary = wb.active
    assert summary is not None
    _summary(summary, run)
    _steps(wb.create_sheet("Steps"), run, out, run_artifacts)
    _metrics(wb.create_sheet("Metrics"), run)
    _context(wb.create_sheet("Context"), run)
    _runs(wb.create_sheet("Runs"), run)
    if run.analysis is not None:
        from .excel_analysis import analysis_sheet

        analysis_sheet(wb.create_sheet("Analysis"), run.analysis)
    _save(wb, out)


def _save(wb: Workbook, out: Path) -> None:
    if not out.parent.is_dir():
        raise OrchestratorError(f"cannot write {out}: no folder {out.parent}",
                                hint="create it first, or name a file in an existing folder")
    fd, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    try:
        wb.save(partial)
        os.replace(partial, out)
    except OSError as exc:
        raise OrchestratorError(f"cannot write {out}: {exc.strerror or exc}",
                                hint="is it open in another program?") from None
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


# -- Summary ----------------------------------------------------------------------------------

RECIPES_TOP = 18


def _summary(ws: Worksheet, run: StoredRun) -> None:
    ws.title = "Summary"
    counts, recipes = run.counts(), run.recipes()
    ws["A1"] = f"Run {run.run_id}"
    ws["A1"].font = xlsx.TITLE_FONT
    ws["A2"] = (f"{run.run['status']}: {len(run.steps)} steps in {len(recipes)} recipe rows, "
                f"{_seconds_text(run.duration)}")
    ws["A2"].font = xlsx.NOTE_FONT
    _facts(ws, 4, run)
    shown = _shown_outcomes(counts)
    _section(ws, 13, "Outcomes")
    xlsx.write_table(ws, 14, [Column("steps", COUNT), *(Column(o, COUNT) for o in shown)],
                     [[len(run.steps), *(counts[o] for o in shown)]])
    for column, outcome in enumerate(shown, start=2):
        xlsx.tally(ws.cell(15, column), outcome)
    _section(ws, RECIPES_TOP - 1, "Recipes")
    columns = [Column("recipe", max_width=40), Column("steps", COUNT),
               *(Column(o, COUNT) for o in shown), Column("duration", SECONDS, min_width=9)]
    durations = _recipe_durations(run.steps)
    rows = [[name, sum(c[o] for o in OUTCOMES), *(c[o] for o in shown), durations[name]]
            for name, c in recipes.items()]
    xlsx.write_table(ws, RECIPES_TOP, columns, rows)
    for row in range(RECIPES_TOP + 1, RECIPES_TOP + 1 + len(rows)):
        for column, outcome in enumerate(shown, start=3):
            xlsx.tally(ws.cell(row, column), outcome)
    # column A also holds the labels of the facts above: "Started (UTC)" is the widest
    xlsx.fit_columns(ws, columns, [*rows, ["Started (UTC)", *[0] * (len(columns) - 1)]])
    _recipes_chart(ws, [o for o in shown if o != "cached" and counts[o]], shown, len(rows),
                   len(columns) + 2)
    xlsx.print_setup(ws, f"Run {run.run_id}")


def _facts(ws: Worksheet, top: int, run: StoredRun) -> None:
    """The run's identity as label/value lines. Values are text, so a narrow column B never
    shows ##### (text flows into the empty cells beside it)."""
    info = run.run
    facts = [("Run id", run.run_id), ("Status", info["status"]), ("Host", info["host"] or ""),
             ("Git revision", info["git_rev"] or "(not a git repository)"),
             ("Started (UTC)", _time_text(info["started"])),
             ("Ended (UTC)", _time_text(info["ended"]) or "(still running, or killed)"),
             ("Duration", _seconds_text(run.duration)),
             ("pytest args", " ".join(info["args"]) or "(none)")]
    for offset, (label, value) in enumerate(facts):
        ws.cell(top + offset, 1, label).font = xlsx.LABEL_FONT
        cell = ws.cell(top + offset, 2, xlsx.text(value, 250))
        cell.data_type = "s"
        cell.alignment = xlsx.LEFT
    status = {"passed": "passed", "failed": "failed"}.get(info["status"], "skipped")
    xlsx.outcome_style(ws.cell(top + 1, 2), status)


def _recipes_chart(ws: Worksheet, charted: Sequence[str], shown: Sequence[str], recipes: int,
                   left: int) -> None:
    """Steps per recipe row, stacked by outcome (horizontal bars, in the table's order)."""
    if not recipes:
        return
    chart = xlsx.bar_chart("Steps per recipe by outcome", "recipe", "steps", horizontal=True,
                           stacked=True)
    for outcome in charted:
        column = 3 + list(shown).index(outcome)
        xlsx.add_series(chart, ws, column, RECIPES_TOP, RECIPES_TOP + recipes,
                        xlsx.OUTCOME_SERIES[outcome])
    xlsx.categories(chart, ws, 1, RECIPES_TOP + 1, RECIPES_TOP + recipes)
    chart.y_axis.majorGridlines = None
    xlsx.place(ws, chart, f"{_letter(left)}3", 16, min(7.5 + 0.55 * recipes, 40))


def _shown_outcomes(counts: dict[str, int]) -> list[str]:
    """Every usual outcome, and ``restored`` only in a run that restored steps."""
    return [o for o in ("passed", "failed", "error", "skipped", "xfailed", "restored", "cached")
            if o != "restored" or counts[o]]


def _recipe_durations(steps: Sequence[StepRow]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for step in steps:
        totals[step.recipe] = totals.get(step.recipe, 0.0) + step.duration
    return totals


# -- Steps ------------------------------------------------------------------------------------

STEP_COLUMNS = [
    Column("recipe", max_width=30), Column("row", max_width=20), Column("step", max_width=32),
    Column("outcome", min_width=8), Column("duration", SECONDS, min_width=9),
    Column("attempts", COUNT), Column("cached"), Column("executor"), Column("worker"),
    Column("CPU", SECONDS, min_width=9), Column("peak RSS", MB, min_width=9),
    Column("exit code", COUNT), Column("started (UTC)", TIME), Column("ended (UTC)", CLOCK),
    Column("reason", max_width=45, wrap=True), Column("log", min_width=3, max_width=3)]


def _steps(ws: Worksheet, run: StoredRun, out: Path, run_artifacts: Path | None) -> None:
    rows = [_step_values(s) for s in run.steps]
    table = xlsx.write_table(ws, 1, STEP_COLUMNS, rows)
    xlsx.filtered_table(ws, table)
    xlsx.outcome_cells(ws, table, 3)
    xlsx.tint_failed_rows(ws, table, 3)
    xlsx.fit_columns(ws, STEP_COLUMNS, rows)
    links = _log_links(ws, run.steps, run_artifacts, out, len(STEP_COLUMNS)) \
        if run_artifacts is not None else 0
    # columns with nothing to say in this run stay out of sight (and off the printed page)
    ws.column_dimensions["B"].hidden = not any(s.row for s in run.steps)
    ws.column_dimensions[_letter(len(STEP_COLUMNS))].hidden = not links
    xlsx.print_setup(ws, f"Steps of run {run.run_id}")


def _step_values(s: StepRow) -> list[Any]:
    return [s.test_id, s.row, s.step, s.outcome, s.duration, s.attempts,
            "yes" if s.cached else "", s.executor, s.worker, s.cpu, s.peak_rss_mb,
            s.exit_code, s.started, s.ended, s.reason, ""]


def _log_links(ws: Worksheet, steps: Sequence[StepRow], run_artifacts: Path, out: Path,
               column: int) -> int:
    """A link to each step's log file, relative to the workbook, when the file exists; how
    many there are."""
    links = 0
    for row, step in enumerate(steps, start=2):
        log = step.log(run_artifacts)
        if log is not None:
            cell = ws.cell(row, column, "log")
            cell.hyperlink = Path(os.path.relpath(log.resolve(), out.resolve().parent)).as_posix()
            cell.style = "Hyperlink"
            links += 1
    return links


# -- Metrics ----------------------------------------------------------------------------------

METRIC_COLUMNS = [Column("recipe", max_width=30), Column("step", max_width=32),
                  Column("metric", max_width=30),
                  Column("value", NUMBER, min_width=12, max_width=12)]  # General fits in it
#: Where the charted figures go, beside the table: label, value; the charts right of them.
CHART_DATA_COLUMN = 7
CHART_COLUMN = "J"


def _metrics(ws: Worksheet, run: StoredRun) -> None:
    """Every value of the metrics the steps declared, as rows grouped by metric (wall time, CPU
    and peak RSS are columns of Steps); beside it, the slowest steps and the first few declared
    metrics, each a small table and a bar chart."""
    metrics = sorted(run.metrics, key=lambda m: m.name)
    rows = [[m.recipe, m.step, m.name, m.value] for m in metrics]
    xlsx.filtered_table(ws, xlsx.write_table(ws, 1, METRIC_COLUMNS, rows))
    xlsx.fit_columns(ws, METRIC_COLUMNS, rows)
    blocks = [("Slowest steps (wall time)", "seconds", SECONDS,
               [(f"{s.recipe} · {s.step}", s.duration)
                for s in sorted(run.steps, key=lambda s: -s.duration)[:CHART_BARS]])]
    blocks += _declared(metrics)
    top, widest = 1, 0
    for title, axis, number_format, figures in blocks:
        if figures:
            top = _chart_block(ws, top, title, axis, number_format, figures)
            widest = max([widest, *(len(label) for label, _ in figures)])
    ws.column_dimensions[_letter(CHART_DATA_COLUMN)].width = min(max(widest, 12), 45) + 2
    ws.column_dimensions[_letter(CHART_DATA_COLUMN + 1)].width = 14
    xlsx.print_setup(ws, f"Metrics of run {run.run_id}")


def _declared(metrics: Sequence[MetricRow]) -> list[tuple[str, str, str,
                                                          list[tuple[str, float]]]]:
    """The first metrics the steps declared that have several values: their first values."""
    values: dict[str, list[tuple[str, float]]] = {}
    for m in metrics:
        values.setdefault(m.name, []).append((f"{m.recipe} · {m.step}", m.value))
    charted = [(name, figures) for name, figures in values.items() if len(figures) > 1]
    return [(name if len(figures) <= CHART_BARS
             else f"{name} (first {CHART_BARS} of {len(figures)})", name, NUMBER,
             figures[:CHART_BARS]) for name, figures in charted[:CHARTED_METRICS]]


def _chart_block(ws: Worksheet, top: int, title: str, axis: str, number_format: str,
                 figures: Sequence[tuple[str, float]]) -> int:
    """A two-column table of figures at ``top`` and a horizontal bar chart of it beside;
    returns the first free row below both."""
    left = CHART_DATA_COLUMN
    columns = [Column(title, max_width=45), Column(axis, number_format)]
    xlsx.write_table(ws, top, columns, figures, left=left)
    chart = xlsx.bar_chart(title, "", axis, horizontal=True)
    xlsx.add_series(chart, ws, left + 1, top + 1, top + len(figures), "2E75B6",
                    title_from_header=False)
    xlsx.categories(chart, ws, left, top + 1, top + len(figures))
    chart.legend = None
    height = 3.5 + 0.5 * len(figures)
    xlsx.place(ws, chart, f"{CHART_COLUMN}{top}", 16, height)
    return top + max(len(figures) + 2, math.ceil(height / 0.53) + 2)


# -- Context ----------------------------------------------------------------------------------

CONTEXT_COLUMNS = [Column("recipe", max_width=30), Column("key", max_width=36),
                   Column("value", max_width=60), Column("who", max_width=36),
                   Column("step", max_width=32), Column("time (UTC)", TIME)]


def _context(ws: Worksheet, run: StoredRun) -> None:
    """The context writes of the run, in commit order (values as stored: secrets masked)."""
    rows = [[w["namespace"], w["key"], _json_text(w["after"]), w["who"],
             split_row(w["step"] or "")[0], timestamp(w["ts"])] for w in run.writes]
    xlsx.filtered_table(ws, xlsx.write_table(ws, 1, CONTEXT_COLUMNS, rows))
    xlsx.fit_columns(ws, CONTEXT_COLUMNS, rows)
    xlsx.print_setup(ws, f"Context writes of run {run.run_id}")


def _json_text(stored: str) -> str:
    """A stored JSON value as people read it: non-ASCII characters as themselves, not \\u
    escapes (decoded only when there is one), cut at VALUE_LIMIT characters."""
    if "\\u" in stored:
        stored = json.dumps(json.loads(stored), ensure_ascii=False)
    return str(xlsx.text(stored, VALUE_LIMIT))


# -- Runs -------------------------------------------------------------------------------------

RUN_COUNTS = ("passed", "failed", "error", "skipped", "xfailed", "cached")
RUN_COLUMNS = [Column("run", max_width=28), Column("status", min_width=8),
               Column("started (UTC)", TIME), Column("ended (UTC)", TIME),
               Column("duration", SECONDS, min_width=10), Column("steps", COUNT),
               *(Column(c, COUNT) for c in RUN_COUNTS), Column("host", max_width=24),
               Column("git revision", max_width=14)]


def _runs(ws: Worksheet, run: StoredRun) -> None:
    """The last runs up to this one, oldest first: a duration line and the outcomes per run."""
    rows = [[r["run_id"], r["status"], timestamp(r["started"]), timestamp(r["ended"]),
             r["duration"], r["steps"], *(r[c] for c in RUN_COUNTS), r["host"],
             r["git_rev"] or ""] for r in run.history]
    table = xlsx.write_table(ws, 1, RUN_COLUMNS, rows)
    xlsx.filtered_table(ws, table)
    xlsx.fit_columns(ws, RUN_COLUMNS, rows)
    xlsx.outcome_cells(ws, table, 1)
    for row in range(2, len(rows) + 2):
        for column, outcome in enumerate(RUN_COUNTS, start=7):
            xlsx.tally(ws.cell(row, column), outcome)
    if rows:
        ws.cell(len(rows) + 1, 1).font = xlsx.LABEL_FONT  # the exported run, the last row
        _runs_charts(ws, len(rows))
    xlsx.print_setup(ws, f"The runs up to {run.run_id}")


def _runs_charts(ws: Worksheet, runs: int) -> None:
    """Both over the runs' start times (column C), oldest on the left."""
    below = runs + 3
    line = xlsx.line_chart("Run duration", "run started (UTC)", "seconds")
    xlsx.add_series(line, ws, 5, 1, 1 + runs, "2E75B6")
    line.y_axis.scaling.min = 0
    bars = xlsx.bar_chart("Steps per run by outcome", "run started (UTC)", "steps",
                          stacked=True)
    for column, outcome in enumerate(RUN_COUNTS[:-1], start=7):
        xlsx.add_series(bars, ws, column, 1, 1 + runs, xlsx.OUTCOME_SERIES[outcome])
    for chart, anchor in ((line, f"A{below}"), (bars, f"G{below}")):
        xlsx.categories(chart, ws, 3, 2, 1 + runs)
        chart.x_axis.number_format = "mm-dd hh:mm"
        xlsx.place(ws, chart, anchor, 16, 8)
    line.legend = None


# -- shared -----------------------------------------------------------------------------------

def _section(ws: Worksheet, row: int, title: str) -> None:
    ws.cell(row, 1, title).font = xlsx.SECTION_FONT


def _letter(column: int) -> str:
    return str(get_column_letter(column))


def _time_text(value: Any) -> str:
    when = timestamp(value)
    return when.strftime("%Y-%m-%d %H:%M:%S") if when else ""


def _seconds_text(seconds: float | None) -> str:
    if seconds is None:
        return "duration unknown"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d} ({seconds:,.0f} s)"
