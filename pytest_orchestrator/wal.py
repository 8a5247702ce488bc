"""Switching a SQLite file to WAL when several processes open it at once (xdist workers, the
controller, a reader): the switch does not wait on the busy handler, so it is tried again."""

from __future__ import annotations

import sqlite3
import time

#: Seconds between two tries of the switch.
_PAUSE = 0.01


def use_wal(db: sqlite3.Connection, timeout: float) -> None:
    """``PRAGMA journal_mode = WAL`` on ``db``, tried again while another process holds the
    file's lock (``database is locked``), for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(_PAUSE)
