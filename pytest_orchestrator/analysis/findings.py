"""What the analysis found in one stored run, as the reports show it: its regression flags
(each with a trend chart), flaky steps, restarted baselines and its written summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .baseline import Flag, restarts, series
from .chart import trend_svg
from .flaky import Flaky, flaky_steps
from .summary import stored

if TYPE_CHECKING:
    from ..store import ResultsStore

CHART_RUNS = 20  # the runs a report's trend chart shows, this one included
_FLAG_COLUMNS = ("test_id", "step", "row", "metric", "value", "baseline", "mad", "change_pct",
                 "z", "better", "runs", "note")


@dataclass
class Findings:
    run_id: str
    flags: list[Flag] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # one SVG per flag
    flaky: list[Flaky] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    summary: dict[str, Any] | None = None  # text, producer, label, figures

    def as_dict(self) -> dict[str, Any]:
        """The template variable ``analysis`` (docs/reports.md)."""
        return {"flags": [{**vars_of(f), "line": f.line(), "chart": chart}
                          for f, chart in zip(self.flags, self.charts, strict=True)],
                "flaky": [{"step": f"{f.test_id}::{f.step}", "line": f.line(),
                           "outcomes": list(f.outcomes), "retried": f.retried}
                          for f in self.flaky],
                "restarted": self.restarted, "summary": self.summary}


def vars_of(flag: Flag) -> dict[str, Any]:
    return {name: getattr(flag, name) for name in _FLAG_COLUMNS}


def findings(store: ResultsStore, run_id: str, *, charts: bool = True) -> Findings:
    """Read what the analysis recorded of ``run_id`` (flags, summary) and what it derives from
    the store (flaky steps, restarted baselines)."""
    flags = [Flag(*row) for row in store.conn.execute(
        f"SELECT {', '.join(_FLAG_COLUMNS)} FROM flags WHERE run_id = ? ORDER BY id",
        (run_id,))]
    return Findings(run_id, flags, [_chart(store, run_id, f) if charts else "" for f in flags],
                    flaky_steps(store, run_id), restarts(store, run_id), stored(store, run_id))


def _chart(store: ResultsStore, run_id: str, flag: Flag) -> str:
    """The flagged metric over the runs up to this one."""
    step = f"{flag.step}[{flag.row}]" if flag.row else flag.step
    points = series(store, flag.metric, test_id=flag.test_id, step=step)
    upto = next((i for i, p in enumerate(points) if p["run_id"] == run_id), len(points) - 1)
    shown = points[max(0, upto + 1 - CHART_RUNS):upto + 1]
    return trend_svg(shown, f"{flag.metric} of {flag.test_id}::{step}")
