"""A run as the results store keeps it, read for the reports that people open: its steps, metric
values, context writes and the runs before it. The store holds secrets masked already; the
command line is masked once more (a store written by an older version may hold it in clear)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import OrchestratorError
from ..safety import Redactor

if TYPE_CHECKING:
    from ..analysis.findings import Findings
    from ..store import ResultsStore

#: The outcomes a step can have in the store, in the order reports show them.
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "restored")
#: What the counts of a run or a recipe hold: the outcomes, and the passed steps that were
#: restored from the step cache.
COUNTS = (*OUTCOMES, "cached")
#: The metrics the runner records for every step that ran (the rest are the envelopes'); the
#: steps' columns hold them already.
RUNNER_METRICS = ("duration", "cpu", "peak_rss")
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StepRow:
    """One step result: a row of the Steps sheet."""

    test_id: str
    row: str  # the parametrize row id, "" for an unparametrized recipe
    step: str  # the step's name, without the row
    outcome: str
    duration: float
    attempts: int
    cached: bool
    executor: str
    worker: str
    cpu: float  # user + system seconds
    peak_rss_mb: float
    exit_code: int
    started: datetime | None
    ended: datetime | None
    reason: str

    @property
    def recipe(self) -> str:
        """The recipe row, ``test_id`` or ``test_id[row]``: what the reports group steps by."""
        return f"{self.test_id}[{self.row}]" if self.row else self.test_id

    def log(self, run_artifacts: Path) -> Path | None:
        """The step's log file under the run's artifact folder, when it exists."""
        name = f"{self.step}[{self.row}].log" if self.row else f"{self.step}.log"
        path = run_artifacts / "logs" / safe_name(self.test_id) / name
        return path if path.is_file() else None


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One value of a metric a step declared (its envelope's ``metrics``)."""

    test_id: str
    row: str
    step: str
    name: str
    value: float

    @property
    def recipe(self) -> str:
        return f"{self.test_id}[{self.row}]" if self.row else self.test_id


@dataclass(frozen=True)
class StoredRun:
    """Everything a report shows of one run."""

    run: dict[str, Any]  # the runs row; args masked
    steps: list[StepRow]
    metrics: list[MetricRow]  # the declared ones: the runner's are the steps' own columns
    writes: list[dict[str, Any]]  # context_writes rows; ``after`` as its JSON text
    history: list[dict[str, Any]]  # the runs up to this one, oldest first, with their counts
    analysis: Findings | None = None  # regressions, flaky steps, the summary

    @property
    def run_id(self) -> str:
        return str(self.run["run_id"])

    @property
    def duration(self) -> float | None:
        return seconds_between(self.run.get("started"), self.run.get("ended"))

    def counts(self) -> dict[str, int]:
        return count_outcomes(self.steps)

    def recipes(self) -> dict[str, dict[str, int]]:
        """Per recipe row, in the order they first ran: its counts."""
        rows: dict[str, list[StepRow]] = {}
        for step in self.steps:
            rows.setdefault(step.recipe, []).append(step)
        return {recipe: count_outcomes(steps) for recipe, steps in rows.items()}


def read_run(store: ResultsStore, run: str | None, last: int = 10) -> StoredRun:
    """The run ``run`` (a unique prefix is enough; the latest when None) and the ``last`` runs
    up to it. An unknown run id is an OrchestratorError."""
    found = store.run(run) if run else _latest(store)
    if found is None:
        raise OrchestratorError(f"no run '{run}' in {store.path}" if run
                                else f"no run in {store.path}",
                                hint="`orchestrator runs` lists them" if run
                                else "run pytest on a recipe first")
    from ..analysis.findings import findings

    redactor = Redactor(environ={})
    run_id, steps = found["run_id"], found.pop("steps")
    return StoredRun(run=_masked_run(found, redactor),
                     steps=[_step_row(s, redactor) for s in steps],
                     metrics=_metrics(store, run_id),
                     writes=_writes(store, run_id),
                     history=_history(store, found, last, redactor),
                     analysis=findings(store, run_id, charts=False))


def count_outcomes(steps: list[StepRow]) -> dict[str, int]:
    counts = dict.fromkeys(COUNTS, 0)
    for step in steps:
        counts[step.outcome] = counts.get(step.outcome, 0) + 1
        counts["cached"] += step.cached
    return counts


def split_row(name: str) -> tuple[str, str]:
    """``ping[leaf1]`` -> (``ping``, ``leaf1``); a name without a row -> (name, "")."""
    if name.endswith("]") and "[" in name:
        step, _, row = name[:-1].partition("[")
        return step, row
    return name, ""


def safe_name(name: str) -> str:
    """A recipe's namespace, test_id or step as one plain file or folder name, as the run's
    artifact folders are named."""
    from ..folders import folder_name

    return folder_name(name)


def timestamp(text: Any) -> datetime | None:
    """A stored UTC ISO timestamp as a naive datetime (spreadsheets have no time zones)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=None)


def seconds_between(start: Any, end: Any) -> float | None:
    began, ended = timestamp(start), timestamp(end)
    return (ended - began).total_seconds() if began and ended else None


def _latest(store: ResultsStore) -> dict[str, Any] | None:
    latest = store.runs(1)
    return store.run(latest[0]["run_id"]) if latest else None


def _masked_run(run: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """The run's row; its command line masked once more (a store written by an older version,
    or another tool, may hold ``--password x``)."""
    args = [str(a) for a in run.get("args") or []]
    redactor.add_args(args)
    return {**run, "args": [redactor.text(a) for a in args]}


def _step_row(step: dict[str, Any], redactor: Redactor) -> StepRow:
    name, row = split_row(step["step"])
    envelope = step["envelope"] if isinstance(step["envelope"], dict) else {}
    return StepRow(
        test_id=step["test_id"], row=row, step=name, outcome=step["outcome"],
        duration=step["duration"] or 0.0, attempts=step["attempts"] or 0,
        cached=bool(step["cache_hit"]), executor=step["executor"] or "",
        worker=step["worker"] or "", cpu=(step["cpu_user"] or 0.0) + (step["cpu_sys"] or 0.0),
        peak_rss_mb=(step["peak_rss"] or 0) / MB, exit_code=step["exit_code"] or 0,
        started=timestamp(step["started"]), ended=timestamp(step["ended"]),
        reason=redactor.text(str(envelope.get("reason") or "")))


def _metrics(store: ResultsStore, run_id: str) -> list[MetricRow]:
    rows = store.db.query("SELECT test_id, step, name, value FROM metrics WHERE run_id = ? "
                          f"AND name NOT IN {RUNNER_METRICS} ORDER BY id", (run_id,))
    metrics = []
    for m in rows:
        step, row = split_row(m["step"])
        metrics.append(MetricRow(m["test_id"], row, step, m["name"], m["value"]))
    return metrics


def _writes(store: ResultsStore, run_id: str) -> list[dict[str, Any]]:
    """The run's context writes in commit order; values stay the JSON text they are stored as
    (masked at write time), nothing to decode for a report that shows JSON."""
    return list(store.db.query("SELECT namespace, key, after, who, step, ts FROM context_writes "
                               "WHERE run_id = ? ORDER BY id", (run_id,)))


_HISTORY = (
    "SELECT runs.run_id, runs.started, runs.ended, runs.status, runs.host, runs.git_rev, "
    "COUNT(steps.id) AS steps, "
    + ", ".join(f"COALESCE(SUM(steps.outcome = '{o}'), 0) AS {o}" for o in OUTCOMES)
    + ", COALESCE(SUM(steps.cache_hit), 0) AS cached "
    "FROM runs LEFT JOIN steps USING (run_id) WHERE runs.started <= ? "
    "GROUP BY runs.run_id ORDER BY runs.started DESC, runs.rowid DESC LIMIT ?")


def _history(store: ResultsStore, run: dict[str, Any], last: int,
             redactor: Redactor) -> list[dict[str, Any]]:
    """The run and the ``last - 1`` runs that started before it, oldest first."""
    rows = [dict(r) for r in store.db.query(_HISTORY, (run["started"], last))]
    for row in rows:
        row["duration"] = seconds_between(row["started"], row["ended"])
        row["host"] = redactor.text(row["host"] or "")
    return rows[::-1]
