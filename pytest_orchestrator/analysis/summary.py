"""Summaries of a run: the facts a summarizer is given (RunFacts), the heuristic summarizer, and
the summary as the results store keeps it (``summaries``), always with who wrote it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .baseline import Flag
from .flaky import Flaky

if TYPE_CHECKING:
    from ..store import ResultsStore

HEURISTIC = "heuristic"
SHOWN = 5  # failures and slowest steps named in a summary

_STEPS = """
SELECT test_id, step, outcome, duration, cache_hit, attempts, exit_code,
       json_extract(envelope, '$.reason') AS reason
FROM steps WHERE run_id = ? ORDER BY id
"""


@dataclass(frozen=True)
class Summary:
    """A written summary of a run and who wrote it: ``producer`` is ``heuristic`` or the name
    of the model (or tool) that wrote ``text``."""

    text: str
    producer: str = HEURISTIC

    @property
    def label(self) -> str:
        """How every report names the producer: ``heuristic`` or ``by <model>``."""
        return HEURISTIC if self.producer == HEURISTIC else f"by {self.producer}"


@dataclass(frozen=True)
class RunFacts:
    """What a summarizer gets (``pytest_orchestrator_summarize(run)``): the run's figures, its
    steps (test_id, step, outcome, duration, cache_hit, attempts, exit_code, reason), its
    regression flags and flaky steps. ``as_json()`` is all of it, for a prompt."""

    run_id: str
    status: str
    figures: dict[str, float]
    steps: list[dict[str, Any]] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    flaky: list[Flaky] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps({"run_id": self.run_id, "status": self.status,
                           "figures": self.figures, "steps": self.steps,
                           "regressions": [asdict(f) for f in self.flags],
                           "flaky": [f.line() for f in self.flaky]}, sort_keys=True)


def run_facts(store: ResultsStore, run_id: str, status: str, flags: list[Flag],
              flaky: list[Flaky]) -> RunFacts:
    steps = [dict(zip(("test_id", "step", "outcome", "duration", "cache_hit", "attempts",
                       "exit_code", "reason"), row, strict=True))
             for row in store.conn.execute(_STEPS, (run_id,))]
    count = {o: sum(s["outcome"] == o for s in steps) for o in ("passed", "skipped")}
    figures = {"steps": len(steps), **count,
               "failed": sum(s["outcome"] in ("failed", "error") for s in steps),
               "cached": sum(bool(s["cache_hit"]) for s in steps),
               "regressions": len(flags), "flaky": len(flaky),
               "duration": round(sum(s["duration"] or 0.0 for s in steps), 3)}
    return RunFacts(run_id, status, figures, steps, flags, flaky)


def heuristic(run: RunFacts) -> Summary:
    """A few plain lines: the verdict and figures, what failed and why, regressions, flaky
    steps, the slowest steps and the cache hits."""
    f = run.figures
    lines = [f"Run {run.run_id} {run.status}: {f['steps']} steps, {f['passed']} passed, "
             f"{f['failed']} failed, {f['skipped']} skipped, in {f['duration']:.1f} s."]
    failed = [s for s in run.steps if s["outcome"] in ("failed", "error")]
    if failed:
        lines.append("Failed: " + "; ".join(
            f"{s['test_id']}::{s['step']} (exit {s['exit_code']}: {s['reason'] or 'no reason'})"
            for s in failed[:SHOWN]) + (f"; and {len(failed) - SHOWN} more" if
                                        len(failed) > SHOWN else "") + ".")
    if run.flags:
        lines.append(f"Regressions ({len(run.flags)}): " + "; ".join(
            flag.line() for flag in run.flags[:SHOWN]) + ".")
    if run.flaky:
        lines.append("Flaky: " + "; ".join(s.line() for s in run.flaky[:SHOWN]) + ".")
    ran = sorted((s for s in run.steps if not s["cache_hit"] and s["duration"]),
                 key=lambda s: -s["duration"])
    if ran:
        lines.append("Slowest: " + ", ".join(f"{s['test_id']}::{s['step']} {s['duration']:.2f} s"
                                             for s in ran[:3]) + ".")
    if f["cached"]:
        lines.append(f"Cache hits: {f['cached']} step(s) restored from the step cache.")
    if not (failed or run.flags or run.flaky):
        lines.append("Nothing failed, regressed or flaked.")
    return Summary("\n".join(lines))


def save(store: ResultsStore, run: RunFacts, summary: Summary) -> None:
    store.add_rows("summaries", [{
        "run_id": run.run_id, "producer": summary.producer, "text": summary.text,
        "figures": json.dumps(run.figures),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}], replace=True)


def stored(store: ResultsStore, run_id: str) -> dict[str, Any] | None:
    """The run's stored summary: text, producer, label and figures; None if it has none."""
    for text, producer, figures in store.conn.execute(
            "SELECT text, producer, figures FROM summaries WHERE run_id = ?", (run_id,)):
        return {"text": text, "producer": producer, "label": Summary(text, producer).label,
                "figures": json.loads(figures or "{}")}
    return None
