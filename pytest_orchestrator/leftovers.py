"""What a run leaves behind that may hold context values in clear: the shell steps' context
snapshots and the SQLite context file that xdist workers share. Both are removed when they are
no longer needed; with ``--orch-debug`` they are kept, with secrets masked."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .safety import Redactor

#: The tables and value columns of the SQLite context backend, keyed by their ``key`` column.
_CONTEXT_VALUES = {"ctx_keys": ("value",), "ctx_writers": ("value",),
                   "ctx_history": ("before", "after")}


def drop_snapshot(path: Path, redactor: Redactor, keep: bool) -> None:
    """A shell step's context snapshot, once the step has ended."""
    if keep:
        with contextlib.suppress(OSError, ValueError):
            masked = redactor.value(json.loads(path.read_text(encoding="utf-8")))
            path.write_text(json.dumps(masked), encoding="utf-8")
        return
    with contextlib.suppress(OSError):
        path.unlink()  # its folder stays for the row's next shell step (see drop_folders)


def drop_folders(folders: Iterable[Path]) -> None:
    """The snapshot folders, at the end of the session: those left empty go."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def drop_context_file(path: Path, redactor: Redactor, keep: bool) -> None:
    """The run's shared SQLite context, once every worker is done with it."""
    if not path.exists():
        return
    if keep:
        _mask_context_file(path, redactor)
        return
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        with contextlib.suppress(OSError):
            Path(path.parent, name).unlink()
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def _mask_context_file(path: Path, redactor: Redactor) -> None:
    db = sqlite3.connect(path)
    try:
        with db:
            for table, columns in _CONTEXT_VALUES.items():
                rows = db.execute(f"SELECT id, key, {', '.join(columns)} FROM {table}").fetchall()
                for row_id, key, *values in rows:
                    masked = [json.dumps(redactor.value(json.loads(v), key)) for v in values]
                    sets = ", ".join(f"{c} = ?" for c in columns)
                    db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*masked, row_id))
        db.execute("VACUUM")  # no page of the file keeps the clear values
    finally:
        db.close()
