"""Baselines and regression flags: the median and MAD of a step's metric over its last passed
runs with an unchanged definition, the robust z-score of a new value, and the series of a
metric run after run (``orchestrator trend``, the reports, the dashboard)."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .metrics import MIN_RUNS, Rule, Settings

if TYPE_CHECKING:
    from ..store import ResultsStore

DEFAULT_RUNS = Settings().runs
#: MAD x this is the standard deviation of normally distributed values.
MAD_SCALE = 1.4826


@dataclass(frozen=True, slots=True)
class Baseline:
    median: float
    mad: float
    runs: int

    @classmethod
    def of(cls, values: list[float]) -> Baseline:
        median = statistics.median(values)
        return cls(median, statistics.median(abs(v - median) for v in values), len(values))

    def z(self, value: float) -> float:
        """The robust z-score ``|x - median| / (1.4826 MAD)``: infinite for any change of a
        constant series (MAD 0), which only the tolerance then judges."""
        spread = abs(value - self.median)
        if spread == 0:
            return 0.0
        return spread / (MAD_SCALE * self.mad) if self.mad else math.inf

    def change_pct(self, value: float) -> float:
        if self.median == 0:
            return 0.0 if value == 0 else math.copysign(math.inf, value)
        return (value - self.median) / abs(self.median) * 100


@dataclass(frozen=True, slots=True)
class Flag:
    """A metric of a step flagged as a regression: a row of the store's ``flags`` table.
    ``z`` and ``change_pct`` are None where infinite (a constant baseline, a zero median)."""

    test_id: str
    step: str  # the step's name, without the row
    row: str  # the parametrize row id, "" for none
    metric: str
    value: float
    baseline: float
    mad: float
    change_pct: float | None
    z: float | None
    better: str
    runs: int
    note: str = ""

    def line(self) -> str:
        """One line for the terminal and the JUnit property."""
        name = f"{self.test_id}::{self.step}" + (f"[{self.row}]" if self.row else "")
        change = "n/a" if self.change_pct is None else f"{self.change_pct:+.1f} %"
        z = "inf (constant baseline)" if self.z is None else f"{self.z:.1f}"
        return (f"{name} {self.metric} = {self.value:g} (baseline {self.baseline:g} over "
                f"{self.runs} runs, {change}, z {z}, {self.better} is better)")

    def as_row(self, run_id: str, step_id: int | None) -> dict[str, Any]:
        return {"run_id": run_id, "step_id": step_id, **asdict(self)}


def judge(value: float, history: list[float], rule: Rule, threshold: float
          ) -> tuple[Baseline, float, float] | None:
    """(baseline, z, change %) when ``value`` is a regression against ``history`` (newest
    first, at least MIN_RUNS values): on the bad side, past the z ``threshold``, past the
    tolerance and past the rule's smallest change; else None."""
    if len(history) < MIN_RUNS:
        return None
    base = Baseline.of(history)
    z, change = base.z(value), base.change_pct(value)
    if rule.worse(value, base.median) and z > threshold and abs(change) > rule.tolerance \
            and abs(value - base.median) >= rule.min_change:
        return base, z, change
    return None


def flag(test_id: str, step: str, row: str, metric: str, value: float,
         found: tuple[Baseline, float, float], rule: Rule, note: str = "") -> Flag:
    base, z, change = found
    if not note and base.mad == 0:
        note = "constant baseline (MAD 0): flagged on the tolerance alone"
    return Flag(test_id, step, row, metric, value, base.median, base.mad,
                change if math.isfinite(change) else None, z if math.isfinite(z) else None,
                rule.better, base.runs, note)


# -- a step's history, as a session reads it --------------------------------------------------

#: The step's last passed results of one definition, newest first (the index
#: ``steps_baseline`` covers the inner query), with their metrics.
_HISTORY = """
SELECT step_id, name, value FROM metrics WHERE step_id IN (
  SELECT id FROM steps WHERE test_id = ? AND namespace = ? AND step = ? AND spec_hash = ?
  AND outcome = 'passed' AND cache_hit = 0 ORDER BY id DESC LIMIT ?)
ORDER BY step_id DESC
"""


@dataclass
class StepHistory:
    """A step's metric values in its last passed runs of one definition, newest first."""

    values: dict[str, list[float]]
    runs: int

    @classmethod
    def read(cls, store: ResultsStore, test_id: str, namespace: str, step: str,
             spec_hash: str, runs: int) -> StepHistory:
        """One query: the last ``runs`` passed results recorded before this one (the run's own
        result is recorded after it is judged), cache hits left out."""
        values: dict[str, list[float]] = {}
        results = set()
        for step_id, name, value in store.read(
                _HISTORY, (test_id, namespace, step, spec_hash, runs)):
            results.add(step_id)
            values.setdefault(name, []).append(value)
        return cls(values, len(results))


#: The run's passed steps with fewer than 5 earlier passed results of their definition, and
#: the run of the latest passed result of another definition, if there is one.
_RESTARTS = """
SELECT nodeid, same, (
  SELECT p.run_id FROM steps AS p WHERE p.test_id = counted.test_id
    AND p.namespace = counted.namespace AND p.step = counted.step
    AND p.spec_hash != counted.spec_hash AND p.outcome = 'passed' AND p.id < counted.id
  ORDER BY p.id DESC LIMIT 1) AS other
FROM (
  SELECT s.id, s.nodeid, s.test_id, s.namespace, s.step, s.spec_hash, (
    SELECT COUNT(*) FROM (SELECT 1 FROM steps AS p WHERE p.test_id = s.test_id
      AND p.namespace = s.namespace AND p.step = s.step AND p.spec_hash = s.spec_hash
      AND p.outcome = 'passed' AND p.id < s.id LIMIT ?)) AS same
  FROM steps AS s WHERE s.run_id = ? AND s.outcome = 'passed') AS counted
WHERE same < ? AND other IS NOT NULL ORDER BY nodeid
"""


def restarts(store: ResultsStore, run_id: str) -> list[str]:
    """The run's steps whose baseline started again because their definition changed (the
    step's or an ancestor's), while the new one has fewer than 5 runs: one line each."""
    return [f"{nodeid}: definition changed since run {other}: new baseline "
            f"({same} of {MIN_RUNS} runs before this one; nothing flagged until then)"
            for nodeid, same, other in store.conn.execute(_RESTARTS,
                                                          (MIN_RUNS, run_id, MIN_RUNS))]


# -- a metric run after run -------------------------------------------------------------------

_SERIES = """
SELECT runs.started AS time, steps.run_id, steps.id AS step_id, steps.test_id, steps.step,
       steps.spec_hash, steps.outcome, steps.cache_hit, metrics.value,
       EXISTS (SELECT 1 FROM flags WHERE flags.step_id = steps.id AND flags.metric = ?) AS flagged
FROM metrics JOIN steps ON steps.id = metrics.step_id JOIN runs ON runs.run_id = steps.run_id
WHERE metrics.name = ? {where} ORDER BY steps.id
"""


def series(db: ResultsStore | Path | str, metric: str, *, test_id: str | None = None,
           step: str | None = None, last: int | None = None,
           runs: int = DEFAULT_RUNS) -> list[dict[str, Any]]:
    """One row per run of ``metric`` (oldest first), for each recipe step that has it (narrow
    it with ``test_id`` and ``step``, a step's name with or without its ``[row]``): ``time``
    (the run's start), ``run_id``, ``test_id``, ``step``, ``row``, ``value``, ``baseline``
    (the median of the ``runs`` passed values before it with the same step definition; None
    until there are 5), ``mad``, ``flagged`` (the run flagged it). ``last`` keeps the last N
    rows of each step. ``db``: a ResultsStore or the path of one."""
    from ..reporting.stored_run import split_row

    rows = _series_rows(db, metric, test_id, step)
    found: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], list[float]] = {}
    for row in rows:
        before = seen.setdefault((row["test_id"], row["step"], row["spec_hash"]), [])
        base = Baseline.of(before[-runs:]) if len(before) >= MIN_RUNS else None
        name, row_id = split_row(row["step"])
        found.append({"time": row["time"], "run_id": row["run_id"], "test_id": row["test_id"],
                      "step": name, "row": row_id, "value": row["value"],
                      "baseline": base.median if base else None,
                      "mad": base.mad if base else None, "flagged": bool(row["flagged"])})
        if row["outcome"] == "passed" and not row["cache_hit"]:
            before.append(row["value"])
    return _last(found, last) if last else found


def _series_rows(db: ResultsStore | Path | str, metric: str, test_id: str | None,
                 step: str | None) -> list[dict[str, Any]]:
    from ..store import ResultsStore

    where, params = "", [metric, metric]
    if test_id is not None:
        where += " AND metrics.test_id = ?"
        params.append(test_id)
    if step is not None:
        where += " AND (metrics.step = ? OR metrics.step LIKE ? ESCAPE '\\')"
        params += [step, step.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                   + "[%"]
    store = db if isinstance(db, ResultsStore) else ResultsStore(Path(db))
    try:
        return list(store.db.query(_SERIES.format(where=where), params))
    finally:
        if store is not db:
            store.close()


def _last(rows: list[dict[str, Any]], last: int) -> list[dict[str, Any]]:
    kept: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        kept.setdefault((row["test_id"], row["step"], row["row"]), []).append(row)
    chosen = {id(r) for group in kept.values() for r in group[-last:]}
    return [row for row in rows if id(row) in chosen]
