"""The results store: every run, step result, context write and metric of a session, in one
SQLite file (sqlite-utils), written by the controller process only, one transaction per batch
of steps (see results.py for when a batch is written)."""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .errors import OrchestratorError
from .folders import make_folder, remove_folders, run_folders
from .wal import use_wal

#: ``PRAGMA user_version`` of the schema below. Opening a store of an earlier version adds the
#: tables, columns and indexes it lacks (columns a version adds go at the end of their table):
#: version 2 added ``steps.log``, version 3 the columns that draw a recipe's DAG (steps) and
#: the run's folders (runs), version 4 the tables ``flags`` and ``summaries`` (analysis),
#: version 5 the table ``planned`` (a running session's plan, for the live dashboard).
SCHEMA_VERSION = 5

_TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...]]] = {
    "runs": ({"run_id": str, "started": str, "ended": str, "status": str, "host": str,
              "git_rev": str, "args": str, "rootdir": str, "artifacts": str}, "run_id"),
    "recipes": ({"test_id": str, "namespace": str, "last_run": str}, "test_id"),
    "steps": ({"id": int, "run_id": str, "test_id": str, "namespace": str, "step": str,
               "nodeid": str, "outcome": str, "attempts": int, "started": str, "ended": str,
               "duration": float, "cpu_user": float, "cpu_sys": float, "peak_rss": int,
               "executor": str, "cache_hit": int, "exit_code": int, "worker": str,
               "envelope": str, "stderr_tail": str, "spec_hash": str, "writes": str,
               "log": str, "depends_on": str, "rank": int, "parallel": int, "finally": int,
               "exclusive": int}, "id"),
    "context_writes": ({"id": int, "run_id": str, "namespace": str, "key": str, "before": str,
                        "after": str, "who": str, "step": str, "ts": str}, "id"),
    "context_state": ({"namespace": str, "key": str, "value": str, "run_id": str, "step": str,
                       "ts": str}, ("namespace", "key")),
    "metrics": ({"id": int, "run_id": str, "step_id": int, "test_id": str, "step": str,
                 "name": str, "value": float}, "id"),
    "flags": ({"id": int, "run_id": str, "step_id": int, "test_id": str, "step": str,
               "row": str, "metric": str, "value": float, "baseline": float, "mad": float,
               "change_pct": float, "z": float, "better": str, "runs": int, "note": str}, "id"),
    "summaries": ({"run_id": str, "producer": str, "text": str, "figures": str,
                   "created": str}, "run_id"),
    "planned": ({"run_id": str, "nodeid": str, "test_id": str, "namespace": str, "step": str,
                 "depends_on": str, "rank": int, "parallel": int, "finally": int,
                 "exclusive": int, "started": str}, ("run_id", "nodeid")),
}
_INDEXES: dict[str, list[tuple[str, ...]]] = {
    "steps": [("test_id", "namespace", "step", "id"), ("run_id", "id"),
              ("test_id", "namespace", "step", "spec_hash", "outcome", "cache_hit", "id")],
    "context_writes": [("namespace", "id"), ("run_id", "id")],
    "metrics": [("name", "test_id", "step"), ("step_id",)],
    "flags": [("run_id", "id"), ("step_id",)],
}
_STEP_COLUMNS = [c for c in _TABLES["steps"][0] if c != "id"]
#: Columns of ``steps`` holding 0/1, and where a column's name is not its StepRecord field's.
_FLAGS = ("cache_hit", "parallel", "finally", "exclusive")
_FIELD = {"finally": "finally_"}
_INSERT_STEP = (f"INSERT INTO steps ({', '.join(_STEP_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_STEP_COLUMNS))})")
_INSERT_WRITE = ("INSERT INTO context_writes (run_id, namespace, key, before, after, who, step, "
                 "ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_METRIC = ("INSERT INTO metrics (run_id, step_id, test_id, step, name, value) "
                  "VALUES (?, ?, ?, ?, ?, ?)")
_UPSERT_RECIPE = ("INSERT INTO recipes (test_id, namespace, last_run) VALUES (?, ?, ?) "
                  "ON CONFLICT (test_id) DO UPDATE SET namespace = excluded.namespace, "
                  "last_run = excluded.last_run")
_UPSERT_STATE = ("INSERT INTO context_state (namespace, key, value, run_id, step, ts) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET "
                 "value = excluded.value, run_id = excluded.run_id, step = excluded.step, "
                 "ts = excluded.ts")
_INSERT_PLANNED = ("INSERT OR REPLACE INTO planned (run_id, nodeid, test_id, namespace, step, "
                   "depends_on, rank, parallel, finally, exclusive) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
#: The tables whose rows belong to one run, and go with it when it is pruned.
RUN_TABLES = ("runs", "steps", "context_writes", "metrics", "flags", "summaries", "planned")
_IN_RUNS = "run_id IN (SELECT value FROM json_each(?))"


@dataclass
class StepRecord:
    """One step result as the store keeps it; every field is JSON-safe."""

    run_id: str
    test_id: str
    namespace: str
    step: str
    nodeid: str
    outcome: str  # passed | failed | skipped | error | xfailed | restored
    attempts: int = 1
    started: str = ""
    ended: str = ""
    duration: float = 0.0
    cpu_user: float = 0.0
    cpu_sys: float = 0.0
    peak_rss: int = 0
    executor: str = ""
    cache_hit: bool = False
    exit_code: int = 0
    worker: str = ""
    envelope: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""
    spec_hash: str = ""  # identifies the step's definition and its ancestors'
    writes: list[dict[str, Any]] = field(default_factory=list)  # WriteRecord.as_dict()
    metrics: dict[str, float] = field(default_factory=dict)  # envelope metrics + resources
    log: str | None = None  # the step's log file, when one was written (version 2)
    # where the step sits in its recipe's DAG, so a report can draw it from the store (3)
    depends_on: list[str] = field(default_factory=list)  # step names, without the row
    rank: int = 0  # position in the recipe's run order
    parallel: bool = False
    finally_: bool = False
    exclusive: bool = False

    def step_row(self) -> tuple[Any, ...]:
        """The values of a ``steps`` row, in ``_STEP_COLUMNS`` order."""
        return (self.run_id, self.test_id, self.namespace, self.step, self.nodeid, self.outcome,
                self.attempts, self.started, self.ended, self.duration, self.cpu_user,
                self.cpu_sys, self.peak_rss, self.executor, int(self.cache_hit),
                self.exit_code, self.worker, json.dumps(self.envelope), self.stderr_tail,
                self.spec_hash, json.dumps(self.writes), self.log, json.dumps(self.depends_on),
                self.rank, int(self.parallel), int(self.finally_), int(self.exclusive))

    @classmethod
    def from_row(cls, row: dict[str, Any], metrics: dict[str, float]) -> StepRecord:
        values = {_FIELD.get(k, k): row[k] for k in _STEP_COLUMNS}
        values.update({_FIELD.get(k, k): bool(row[k]) for k in _FLAGS},
                      envelope=json.loads(row["envelope"]), writes=json.loads(row["writes"]),
                      depends_on=json.loads(row["depends_on"] or "[]"), rank=row["rank"] or 0,
                      metrics=metrics)
        return cls(**values)


@dataclass(frozen=True)
class Pruned:
    """What ``ResultsStore.prune`` removed, or with ``dry_run`` would remove."""

    run_ids: tuple[str, ...]  # oldest first
    rows: dict[str, int]  # table -> rows, for each of RUN_TABLES
    folders: tuple[Path, ...]  # the runs' artifact folders
    dry_run: bool = False


class ResultsStore:
    """The results database of every run under one rootdir (see docs/stores.md)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            make_folder(self.path.parent)
            # the results writer's flushing thread writes too: every transaction takes the lock
            self.conn = sqlite3.connect(self.path, isolation_level=None,
                                        check_same_thread=False)
            self._lock = threading.RLock()
            self._db: Any = None
            self._setup()
        except (OSError, sqlite3.Error) as exc:
            raise OrchestratorError(f"cannot open the results store: {exc}", where=str(path),
                                    hint="pass another path with --orch-db, or "
                                         "--orch-db off") from None

    def _setup(self) -> None:
        # WAL + NORMAL: a commit is not an fsync, and a killed writer never corrupts the file.
        self.conn.execute("PRAGMA busy_timeout = 5000")
        use_wal(self.conn, 5.0)
        self.conn.execute("PRAGMA synchronous = NORMAL")
        if self.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self._transaction():
            for name, (columns, pk) in _TABLES.items():
                table = self.db.table(name)
                table.create(columns, pk=pk, if_not_exists=True)
                # a store of an earlier version gains the columns added since, at the end
                # (its rows read them as NULL)
                for column, kind in columns.items():
                    if column not in table.columns_dict:
                        table.add_column(column, kind)
            for name, indexes in _INDEXES.items():
                for index in indexes:
                    self.db.table(name).create_index(index, if_not_exists=True,
                                                 index_name=f"{name}_{'_'.join(index)}")
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def db(self) -> Any:
        """sqlite-utils over the same connection, for the schema and the reading side;
        imported only then (~80 ms), so recording steps costs no more than sqlite3."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing (the controller) -------------------------------------------------------------

    def begin_run(self, run_id: str, *, args: list[str], host: str, git_rev: str,
                  started: str, rootdir: str = "", artifacts: str = "") -> None:
        """Record a new run; an earlier run that never ended (a killed pytest) is marked
        ``interrupted``."""
        with self._writing(), self._transaction() as conn:
            conn.execute("UPDATE runs SET status = 'interrupted' "
                         "WHERE ended IS NULL AND status = 'running' AND run_id != ?", (run_id,))
            conn.execute("INSERT INTO runs (run_id, started, ended, status, host, git_rev, args, "
                         "rootdir, artifacts) VALUES (?, ?, NULL, 'running', ?, ?, ?, ?, ?) "
                         "ON CONFLICT (run_id) DO UPDATE SET started = excluded.started, "
                         "ended = NULL, status = 'running', host = excluded.host, "
                         "git_rev = excluded.git_rev, args = excluded.args, "
                         "rootdir = excluded.rootdir, artifacts = excluded.artifacts",
                         (run_id, started, host, git_rev, json.dumps(args), rootdir, artifacts))

    def record_step(self, record: StepRecord) -> None:
        """Persist one step result in one transaction: its ``steps`` row, its context writes
        (history and latest state), its metrics and its recipe's ``last_run``."""
        self.record_steps([record])

    def record_steps(self, records: Sequence[StepRecord]) -> None:
        """Persist step results, in order, in one transaction: all of them or none."""
        rows = [(r.step_row(), [_write_row(r, w) for w in r.writes], _metric_values(r), r)
                for r in records]
        # the latest state of each recipe and key once a batch: the last write wins anyway
        recipes = {r.test_id: (r.test_id, r.namespace, r.run_id) for r in records}
        state = {(w[1], w[2]): (w[1], w[2], w[4], w[0], w[6], w[7])
                 for _, writes, _, _ in rows for w in writes}
        with self._writing(), self._transaction() as conn:
            for row, writes, metrics, record in rows:
                step_id = conn.execute(_INSERT_STEP, row).lastrowid
                conn.executemany(_INSERT_WRITE, writes)
                conn.executemany(_INSERT_METRIC, [(record.run_id, step_id, record.test_id,
                                                   record.step, name, value)
                                                  for name, value in metrics])
            conn.executemany(_UPSERT_RECIPE, recipes.values())
            conn.executemany(_UPSERT_STATE, state.values())

    def add_rows(self, table: str, rows: list[dict[str, Any]], *, replace: bool = False) -> None:
        """Insert rows of one table in one transaction (``replace``: a row with the same
        primary key is replaced): how the analysis records its flags and summaries."""
        if not rows:
            return
        columns = list(rows[0])
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        with self._writing(), self._transaction() as conn:
            conn.executemany(f"{verb} INTO {table} ({', '.join(columns)}) VALUES "
                             f"({', '.join('?' * len(columns))})",
                             [tuple(row[c] for c in columns) for row in rows])

    def plan_run(self, rows: list[tuple[Any, ...]]) -> None:
        """Record the steps a session is about to run, one ``planned`` row each (in its column
        order, without ``started``), in one transaction."""
        with self._writing(), self._transaction() as conn:
            conn.executemany(_INSERT_PLANNED, rows)

    def mark_started(self, rows: list[tuple[str, str, str]]) -> None:
        """Planned steps have started: ``(started, run_id, nodeid)`` each, in one
        transaction."""
        with self._writing(), self._transaction() as conn:
            conn.executemany("UPDATE planned SET started = ? WHERE run_id = ? AND nodeid = ?",
                             rows)

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """The rows of a query made while the run goes on: it waits for a batch being
        written, so it never runs inside the writer's transaction."""
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def last_step_id(self, run_id: str, nodeid: str) -> int | None:
        """The id of the run's latest step row, if it is ``nodeid``'s."""
        last = self.read("SELECT id, nodeid FROM steps WHERE run_id = ? ORDER BY id DESC "
                         "LIMIT 1", (run_id,))
        return int(last[0][0]) if last and last[0][1] == nodeid else None

    def finish_run(self, run_id: str, status: str, ended: str) -> None:
        with self._writing(), self._transaction() as conn:
            conn.execute("UPDATE runs SET status = ?, ended = ? WHERE run_id = ?",
                         (status, ended, run_id))

    def prune(self, *, keep: int | None = None, older_than: float | None = None,
              artifacts: Path | None = None, dry_run: bool = False,
              now: datetime | None = None) -> Pruned:
        """Remove old runs and everything of theirs: their rows in RUN_TABLES (one transaction)
        and their folders ``<artifacts>/<run_id>``. ``keep`` keeps the newest N runs,
        ``older_than`` (days) keeps runs started since; given both, a run goes only if both let
        it. A ``running`` run always stays, and so does ``context_state``, which resume reads."""
        cutoff = _cutoff(keep, older_than, now)
        with self._writing(), self._transaction() as conn:
            run_ids = _prunable(conn, keep, cutoff)
            rows = {table: _remove_rows(conn, table, run_ids, dry_run) for table in RUN_TABLES}
        folders = tuple(run_folders(artifacts, run_ids)) if artifacts is not None else ()
        if not dry_run:
            remove_folders(folders)
        return Pruned(tuple(run_ids), rows, folders, dry_run)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise OrchestratorError(f"cannot write to the results store: {exc}",
                                    where=str(self.path)) from exc

    # -- reading --------------------------------------------------------------------------------

    def latest_passed(self, test_id: str, step: str, namespace: str) -> StepRecord | None:
        """The most recent passed (or restored) result of this step: what a resume restores
        (read between two of the results writer's batches)."""
        with self._lock:
            for row in self.db.query(
                    "SELECT * FROM steps WHERE test_id = ? AND namespace = ? AND step = ? "
                    "AND outcome IN ('passed', 'restored') ORDER BY id DESC LIMIT 1",
                    (test_id, namespace, step)):
                metrics = {m["name"]: m["value"] for m in self.db.query(
                    "SELECT name, value FROM metrics WHERE step_id = ? ORDER BY id",
                    (row["id"],))}
                return StepRecord.from_row(row, metrics)
        return None

    def in_run(self, run_id: str, nodeid: str) -> StepRecord | None:
        """This run's latest result of a step: how a step on one xdist worker learns the
        outcome (and writes) of a dependency that ran on another."""
        with self._lock:
            rows = list(self.db.query("SELECT * FROM steps WHERE run_id = ? AND nodeid = ? "
                                      "ORDER BY id DESC LIMIT 1", (run_id, nodeid)))
        return StepRecord.from_row(rows[0], {}) if rows else None

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs, newest first, each with its count of steps and of failures."""
        rows = self.db.query(
            "SELECT runs.*, COUNT(steps.id) AS steps, "
            "COALESCE(SUM(steps.outcome IN ('failed', 'error')), 0) AS failed "
            "FROM runs LEFT JOIN steps USING (run_id) GROUP BY runs.run_id "
            "ORDER BY runs.started DESC, runs.rowid DESC LIMIT ?", (limit,))
        return [_run_dict(row) for row in rows]

    def run(self, run_id: str) -> dict[str, Any] | None:
        """A run and its steps in the order they were recorded; a unique prefix of the run id
        is enough."""
        matches = [r["run_id"] for r in self.db.query(
            "SELECT run_id FROM runs WHERE substr(run_id, 1, ?) = ? ORDER BY run_id",
            (len(run_id), run_id))]
        if run_id in matches:
            matches = [run_id]
        if len(matches) > 1:
            raise OrchestratorError(f"run id '{run_id}' is ambiguous",
                                    hint=f"it starts {', '.join(matches[:5])}")
        if not matches:
            return None
        run = _run_dict(next(self.db.query("SELECT * FROM runs WHERE run_id = ?", matches)))
        run["steps"] = [_step_dict(row) for row in self.db.query(
            "SELECT * FROM steps WHERE run_id = ? ORDER BY id", matches)]
        return run

    def step_metrics(self, run_id: str) -> dict[int, dict[str, float]]:
        """The metrics of a run's steps: ``steps.id`` -> {name: value}, in recording order."""
        found: dict[int, dict[str, float]] = {}
        for row in self.db.query("SELECT step_id, name, value FROM metrics WHERE step_id IN "
                                 "(SELECT id FROM steps WHERE run_id = ?) ORDER BY id",
                                 (run_id,)):
            found.setdefault(row["step_id"], {})[row["name"]] = row["value"]
        return found

    def context(self, namespace: str | None = None) -> dict[str, dict[str, Any]]:
        """The latest persisted context: namespace -> {key: value}."""
        where, params = _where(namespace=namespace)
        state: dict[str, dict[str, Any]] = {}
        for row in self.db.query(f"SELECT namespace, key, value FROM context_state {where} "
                                 "ORDER BY namespace, key", params):
            state.setdefault(row["namespace"], {})[row["key"]] = json.loads(row["value"])
        return state

    def history(self, namespace: str | None = None,
                run_id: str | None = None) -> list[dict[str, Any]]:
        """Every persisted context write, oldest first (the order they were committed)."""
        where, params = _where(namespace=namespace, run_id=run_id)
        return [{**row, "before": json.loads(row["before"]), "after": json.loads(row["after"])}
                for row in self.db.query(f"SELECT * FROM context_writes {where} ORDER BY id",
                                         params)]

    def close(self) -> None:
        self.conn.close()


def _write_row(record: StepRecord, write: dict[str, Any]) -> tuple[Any, ...]:
    return (write.get("run_id") or record.run_id, record.namespace, write["key"],
            json.dumps(write.get("before")), json.dumps(write.get("after")),
            write.get("who", record.step), write.get("step", record.step),
            write.get("ts") or record.ended)


def _metric_values(record: StepRecord) -> list[tuple[str, float]]:
    """The record's metrics as finite floats; anything else is refused before any write."""
    values = []
    for name, value in record.metrics.items():
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else None
        if number is None or not math.isfinite(number):
            raise OrchestratorError(f"metric '{name}' of step '{record.step}' is {value!r}, "
                                    "not a finite number", where=record.nodeid,
                                    hint="store numbers only; nothing of this step was stored")
        values.append((name, float(number)))
    return values


def _cutoff(keep: int | None, older_than: float | None,
            now: datetime | None) -> datetime | None:
    """When a run must have started before to be pruned by age; None: age does not matter."""
    if keep is None and older_than is None:
        raise OrchestratorError("prune needs keep or older_than",
                                hint="nothing is pruned by default: say which runs go")
    if (keep is not None and keep < 0) or (older_than is not None and older_than < 0):
        raise OrchestratorError("prune: keep and older_than cannot be negative")
    if older_than is None:
        return None
    return (now or datetime.now(timezone.utc)) - timedelta(days=older_than)


def _prunable(conn: sqlite3.Connection, keep: int | None, cutoff: datetime | None) -> list[str]:
    """The runs to prune, oldest first: past the newest ``keep``, started before ``cutoff``,
    and not running."""
    runs = conn.execute("SELECT run_id, started, status FROM runs "
                        "ORDER BY started DESC, rowid DESC").fetchall()
    return [run_id for rank, (run_id, started, status) in reversed(list(enumerate(runs)))
            if status != "running" and (keep is None or rank >= keep)
            and (cutoff is None or _started_before(started, cutoff))]


def _started_before(started: str | None, cutoff: datetime) -> bool:
    """Whether a run started before ``cutoff``; a start that cannot be read is never old."""
    try:
        when = datetime.fromisoformat(str(started).replace("Z", "+00:00"))
    except ValueError:
        return False
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)) < cutoff


def _remove_rows(conn: sqlite3.Connection, table: str, run_ids: list[str],
                 dry_run: bool) -> int:
    """Delete the rows of these runs from ``table``; with ``dry_run`` only count them."""
    ids = json.dumps(run_ids)
    if dry_run:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {_IN_RUNS}",
                                (ids,)).fetchone()[0])
    return conn.execute(f"DELETE FROM {table} WHERE {_IN_RUNS}", (ids,)).rowcount


def _where(**filters: str | None) -> tuple[str, tuple[str, ...]]:
    used = {k: v for k, v in filters.items() if v is not None}
    clause = " AND ".join(f"{k} = ?" for k in used)
    return (f"WHERE {clause}" if clause else "", tuple(used.values()))


def _run_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "args": json.loads(row["args"] or "[]")}


def _step_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A ``steps`` row with its JSON columns read and its flags as booleans; a row recorded
    before version 2 has no dependencies and rank 0."""
    return {**row, **{k: bool(row[k]) for k in _FLAGS}, "envelope": json.loads(row["envelope"]),
            "writes": json.loads(row["writes"]),
            "depends_on": json.loads(row["depends_on"] or "[]"), "rank": row["rank"] or 0}
