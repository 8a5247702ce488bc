"""The results store as the live dashboard reads it: read only (``mode=ro``), one short
connection per look, never blocking the run writing it; no Dash here, so tested without one."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: How a step stands in its run, grouped the way the progress bars count them.
GROUPS = {"passed": "done", "xfailed": "done", "skipped": "done", "restored": "done",
          "failed": "failed", "error": "failed", "running": "running", "waiting": "waiting",
          "not run": "failed"}
#: The progress groups, in the order the page shows them.
PROGRESS = ("done", "running", "waiting", "failed")


@dataclass(frozen=True)
class RecipeProgress:
    """One recipe row of a run: its steps in run order, each with a ``status``."""

    title: str  # test_id, or test_id[row]
    steps: list[dict[str, Any]]

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(GROUPS.get(s["status"], "done") for s in self.steps)
        return {group: found[group] for group in PROGRESS}


@dataclass(frozen=True)
class Snapshot:
    """What one refresh of the page shows."""

    runs: list[dict[str, Any]]  # newest first
    run: dict[str, Any] | None  # the run shown
    recipes: list[RecipeProgress] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)  # the run's regression flags


class LiveStore:
    """The results store at ``path``, read only; a missing file reads as an empty store (the
    dashboard may be started before the first run, and creates nothing)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        if not self.path.is_file():
            yield None
            return
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
            conn.row_factory = sqlite3.Row
            conn.execute("BEGIN")  # one consistent view of the store for the whole look
            # a store being created has its file before its tables
            yield conn if _has_table(conn, "runs") else None

    def snapshot(self, run_id: str | None = None, limit: int = 10) -> Snapshot:
        """The latest runs, and the chosen run (default: the newest) with its steps."""
        with self._reading() as conn:
            if conn is None:
                return Snapshot([], None)
            runs = _rows(conn, "SELECT runs.*, (SELECT COUNT(*) FROM steps "
                               "WHERE steps.run_id = runs.run_id) AS steps, (SELECT COUNT(*) "
                               "FROM steps WHERE steps.run_id = runs.run_id AND outcome IN "
                               "('failed', 'error')) AS failed FROM runs "
                               "ORDER BY started DESC, rowid DESC LIMIT ?", (limit,))
            if run_id:
                run = next((r for r in runs if r["run_id"] == run_id), None) \
                    or _one(conn, "SELECT * FROM runs WHERE run_id = ?", (run_id,))
            else:
                run = runs[0] if runs else None
            if run is None:
                return Snapshot(runs, None)
            return Snapshot(runs, run, _progress(conn, run), _flags(conn, run["run_id"]))

    def metrics(self) -> list[dict[str, Any]]:
        """Every metric that has values: name, recipe and step, with how many values (and how
        many different ones)."""
        with self._reading() as conn:
            if conn is None:
                return []
            return _rows(conn, "SELECT name, test_id, step, COUNT(*) AS count, "
                               "COUNT(DISTINCT value) AS distinct_values FROM metrics "
                               "GROUP BY name, test_id, step ORDER BY test_id, step, name")

    def trend(self, name: str, test_id: str, step: str, limit: int = 50) -> list[dict[str, Any]]:
        """The metric's values in the last ``limit`` runs, oldest first, each with the run's
        start and, if the analysis flagged it, its flag."""
        with self._reading() as conn:
            if conn is None:
                return []
            points = _rows(conn, "SELECT metrics.run_id, metrics.value, runs.started, "
                                 "metrics.step_id FROM metrics JOIN runs USING (run_id) "
                                 "WHERE name = ? AND test_id = ? AND step = ? "
                                 "ORDER BY runs.started DESC, metrics.id DESC LIMIT ?",
                           (name, test_id, step, limit))
            flagged = {(f["step_id"], f["metric"]): f for f in _flags(conn, None)
                       if f["metric"] == name} if points else {}
        return [{**p, "flag": flagged.get((p["step_id"], name))} for p in reversed(points)]


def _progress(conn: sqlite3.Connection, run: dict[str, Any]) -> list[RecipeProgress]:
    """The run's steps by recipe row: the latest result of each, and the planned steps that
    have none yet (running once started, else waiting; ``not run`` once the run is over)."""
    run_id, live = run["run_id"], run["status"] == "running"
    results = {r["nodeid"]: r for r in _rows(conn, "SELECT * FROM steps WHERE run_id = ? "
                                                   "ORDER BY id", (run_id,))}
    steps: dict[str, dict[str, Any]] = {}
    if _has_table(conn, "planned"):
        for plan in _rows(conn, "SELECT * FROM planned WHERE run_id = ?", (run_id,)):
            steps[plan["nodeid"]] = {**plan, "status": _pending(plan, live), "duration":
                                     _since(plan["started"]) if live and plan["started"] else 0.0,
                                     "outcome": None, "worker": ""}
    for nodeid, result in results.items():
        steps[nodeid] = {**steps.get(nodeid, {}), **result, "status": result["outcome"]}
    rows: dict[str, list[dict[str, Any]]] = {}
    for step in steps.values():
        step["depends_on"] = json.loads(step.get("depends_on") or "[]")
        _, _, row = str(step["step"]).partition("[")
        title = f"{step['test_id']}[{row}" if row else str(step["test_id"])
        rows.setdefault(title, []).append(step)
    return [RecipeProgress(title, sorted(found, key=lambda s: s.get("rank") or 0))
            for title, found in rows.items()]


def _pending(plan: dict[str, Any], live: bool) -> str:
    if not live:
        return "not run"
    return "running" if plan["started"] else "waiting"


def _since(started: str) -> float:
    """Seconds since a UTC ISO time (a running step's duration so far)."""
    try:
        when = datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, (datetime.now(timezone.utc) - when).total_seconds())


def _flags(conn: sqlite3.Connection, run_id: str | None) -> list[dict[str, Any]]:
    """The regression flags the analysis recorded (table ``flags``), if it did."""
    if not _has_table(conn, "flags"):
        return []
    if run_id is None:
        return _rows(conn, "SELECT * FROM flags ORDER BY id")
    return _rows(conn, "SELECT * FROM flags WHERE run_id = ? ORDER BY id", (run_id,))


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return _one(conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                (name,)) is not None


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params)]


def _one(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    found = _rows(conn, sql, params)
    return found[0] if found else None
