"""The ``sqlite:///path.db`` context backend: one host, many processes (xdist workers).

Every process opens its own connection (reopened after a ``fork``: a connection never crosses
one), in WAL mode with ``synchronous=NORMAL`` and a 30 s busy timeout. A step's commit is one
``BEGIN IMMEDIATE`` transaction: it takes the write lock first, then reads the current state of
the keys it writes, runs :func:`~.rules.check_write` on each record and writes them all, or
rolls back. The conflict policy and the shape lock therefore hold across processes: the second
of two racing commits sees the first one's writes before it is checked.

Tables: ``ctx_keys`` (the live value, locked shape and last writer of each key),
``ctx_writers`` (the last value each step committed to each key, in first-commit order) and
``ctx_history`` (every write). Values are JSON text.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ContextError
from ..wal import use_wal
from .memory import _applied
from .records import KeyState, WriteRecord
from .rules import check_write

#: Milliseconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS ctx_keys (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    shape TEXT NOT NULL,
    last_step TEXT NOT NULL,
    UNIQUE (namespace, key)
);
CREATE TABLE IF NOT EXISTS ctx_writers (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    step TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (namespace, key, step)
);
CREATE TABLE IF NOT EXISTS ctx_history (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    who TEXT NOT NULL,
    step TEXT NOT NULL,
    run_id TEXT NOT NULL,
    ts TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ctx_history_key ON ctx_history (namespace, key);
"""

_STATE_SQL = """
SELECT k.value, k.shape, k.last_step, w.step, w.value
FROM ctx_keys AS k LEFT JOIN ctx_writers AS w ON w.namespace = k.namespace AND w.key = k.key
WHERE k.namespace = ? AND k.key = ? ORDER BY w.id
"""
_UPSERT_KEY = """
INSERT INTO ctx_keys (namespace, key, value, shape, last_step) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, last_step = excluded.last_step
"""
_UPSERT_WRITER = """
INSERT INTO ctx_writers (namespace, key, step, value) VALUES (?, ?, ?, ?)
ON CONFLICT (namespace, key, step) DO UPDATE SET value = excluded.value
"""
_INSERT_HISTORY = """
INSERT INTO ctx_history (namespace, key, before, after, who, step, run_id, ts)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""

#: Connections inherited through ``fork``: never used nor closed in the child (closing one
#: there could disturb the parent's locks), only kept from being garbage-collected.
_INHERITED: list[sqlite3.Connection] = []


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def path_of(url: str) -> Path:
    """``sqlite:///ctx.db`` is relative to the working directory, ``sqlite:////abs/ctx.db``
    (``sqlite:///`` + an absolute path) is absolute."""
    if not url.startswith("sqlite:///") or url == "sqlite:///":
        raise ContextError(f"bad SQLite context URL {url!r}",
                           hint="write sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return Path(url[len("sqlite:///"):])


class SQLiteBackend:
    """The context in one SQLite file, shared by every process on this host."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = path_of(url)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        with self._lock:
            self._conn()

    # --- the protocol -------------------------------------------------------------------

    def state(self, namespace: str, key: str) -> KeyState | None:
        with self._lock:
            return _state(self._conn(), namespace, key)

    def head(self, namespace: str, key: str) -> KeyState | None:
        """The key's value, shape and last writer, without its writers (the runner's keys
        have one per step): what a write needs."""
        with self._lock:
            return _head(self._conn(), namespace, key)

    def keys(self, namespace: str) -> list[str]:
        with self._lock:
            rows = self._conn().execute(
                "SELECT key FROM ctx_keys WHERE namespace = ? ORDER BY id", (namespace,))
            return [row[0] for row in rows]

    def commit(self, namespace: str, records: Sequence[WriteRecord], policy: str) -> None:
        if not records:
            return
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")  # the write lock first: the reads below are current
            try:
                self._apply(db, namespace, records, policy)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def history(self, namespace: str, key: str | None = None) -> list[WriteRecord]:
        sql = ("SELECT key, before, after, who, step, run_id, ts FROM ctx_history "
               "WHERE namespace = ?")
        args: tuple[str, ...] = (namespace,)
        if key is not None:
            sql += " AND key = ?"
            args += (key,)
        with self._lock:
            rows = self._conn().execute(sql + " ORDER BY id", args).fetchall()
        return [WriteRecord(k, json.loads(before), json.loads(after), who, step, run_id, ts)
                for k, before, after, who, step, run_id, ts in rows]

    def changes(self, namespace: str, since: int) -> tuple[int, list[tuple[str, Any]]]:
        """The writes committed after position ``since`` (0: all), as (key, value), and the
        position to ask from next time: what is new, without reading every key again."""
        with self._lock:
            # "+namespace": read the rows after ``since`` by id, not every row of the
            # namespace through its index (that made each look cost the whole history)
            rows = self._conn().execute(
                "SELECT id, key, after FROM ctx_history WHERE +namespace = ? AND id > ? "
                "ORDER BY id", (namespace, since)).fetchall()
        return (rows[-1][0] if rows else since), [(k, json.loads(v)) for _, k, v in rows]

    def namespaces(self) -> list[str]:
        with self._lock:
            rows = self._conn().execute(
                "SELECT namespace FROM ctx_keys GROUP BY namespace ORDER BY MIN(id)")
            return [row[0] for row in rows]

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
            self._db = None

    def __repr__(self) -> str:
        return f"<SQLiteBackend {self.url}>"

    # --- inside ------------------------------------------------------------------------

    def _apply(self, db: sqlite3.Connection, namespace: str,
               records: Sequence[WriteRecord], policy: str) -> None:
        staged: dict[str, KeyState] = {}
        for record in records:
            current = (staged[record.key] if record.key in staged
                       else _head(db, namespace, record.key))
            check_write(namespace, current, record, policy)
            staged[record.key] = _applied(current, record)
        db.executemany(_UPSERT_KEY, [
            (namespace, key, dumps(state.value), dumps(state.shape), state.last_step)
            for key, state in staged.items()])
        db.executemany(_UPSERT_WRITER, [
            (namespace, r.key, r.step, dumps(r.after)) for r in records])
        db.executemany(_INSERT_HISTORY, [
            (namespace, r.key, dumps(r.before), dumps(r.after), r.who, r.step, r.run_id, r.ts)
            for r in records])

    def _conn(self) -> sqlite3.Connection:
        """This process's connection, opened on first use and again after a fork."""
        pid = os.getpid()
        if self._db is not None and self._pid == pid:
            return self._db
        if self._db is not None:
            _INHERITED.append(self._db)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                             timeout=BUSY_TIMEOUT_MS / 1000)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        use_wal(db, BUSY_TIMEOUT_MS / 1000)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            _create(db)
        except BaseException:
            db.execute("ROLLBACK")
            db.close()
            raise
        db.execute("COMMIT")
        self._db, self._pid = db, pid
        return db


def _create(db: sqlite3.Connection) -> None:
    # executescript would COMMIT the open transaction first: run the statements one by one.
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _head(db: sqlite3.Connection, namespace: str, key: str) -> KeyState | None:
    row = db.execute("SELECT value, shape, last_step FROM ctx_keys WHERE namespace = ? AND "
                     "key = ?", (namespace, key)).fetchone()
    return None if row is None else KeyState(json.loads(row[0]), json.loads(row[1]), row[2], {})


def _state(db: sqlite3.Connection, namespace: str, key: str) -> KeyState | None:
    """One statement, so one consistent snapshot of the key and its writers."""
    rows = db.execute(_STATE_SQL, (namespace, key)).fetchall()
    if not rows:
        return None
    value, shape, last_step = rows[0][:3]
    writers = {step: json.loads(text) for *_, step, text in rows if step is not None}
    return KeyState(json.loads(value), json.loads(shape), last_step, writers)
