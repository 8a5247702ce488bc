"""What a run leaves behind that may hold context values in clear: the shell steps' context
snapshots and the SQLite context file that xdist workers share. Both are removed when they are
no longer needed; with ``--orch-debug`` they are kept, with secrets masked."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .safety import Redactor

#: The tables and value columns of the SQLite context backend, keyed by their ``key`` column.
_CONTEXT_VALUES = {"ctx_keys": ("value",), "ctx_writers": ("value",),
                   "ctx_history": ("before", "after")}


#: Per snapshot folder, this process's snapshot file there: (descriptor, current path, pid).
#: Emptied when its step ends, written again and renamed for the folder's next shell step:
#: creating and removing a file a step costs ~0.3 ms of directory work (ext4), this ~0.03.
_REUSED: dict[Path, tuple[int, Path, int]] = {}


def write_snapshot(folder: Path, name: str, text: str, reuse: bool = True) -> Path:
    """Write a shell step's context snapshot as ``folder/name`` (FileNotFoundError if the
    folder is missing); ``reuse``: in this process's snapshot file of that folder."""
    path, data = folder / name, text.encode("utf-8")
    reused = _REUSED.pop(folder, None) if reuse else None
    if reused is not None and reused[2] == os.getpid():
        fd, old, _ = reused
        try:
            _write_all(fd, data)
            if old != path:
                os.rename(old, path)
        except OSError:
            os.close(fd)
        else:
            _REUSED[folder] = (fd, path, os.getpid())
            return path
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        _write_all(fd, data)
    finally:
        if reuse:
            _REUSED[folder] = (fd, path, os.getpid())
        else:
            os.close(fd)
    return path


def _write_all(fd: int, data: bytes) -> None:
    written = 0
    while written < len(data):
        written += os.pwrite(fd, data[written:], written)
    os.ftruncate(fd, len(data))


def drop_snapshot(path: Path, redactor: Redactor, keep: bool) -> None:
    """A shell step's context snapshot, once the step has ended: emptied (a reused file)
    or removed; with ``keep``, masked and left."""
    if keep:
        with contextlib.suppress(OSError, ValueError):
            masked = redactor.value(json.loads(path.read_text(encoding="utf-8")))
            path.write_text(json.dumps(masked), encoding="utf-8")
        return
    reused = _REUSED.get(path.parent)
    if reused is not None and reused[1] == path and reused[2] == os.getpid():
        try:
            os.ftruncate(reused[0], 0)  # its name stays for the folder's next shell step
            return
        except OSError:
            _forget(path.parent)
    with contextlib.suppress(OSError):
        path.unlink()  # its folder stays for the row's next shell step (see drop_folders)


def drop_folders(folders: Iterable[Path]) -> None:
    """The snapshot folders, at the end of the session: this process's snapshot file in
    each is removed, then those left empty go."""
    for folder in folders:
        _forget(folder)
        with contextlib.suppress(OSError):
            folder.rmdir()


def _forget(folder: Path) -> None:
    reused = _REUSED.pop(folder, None)
    if reused is not None and reused[2] == os.getpid():
        os.close(reused[0])
        with contextlib.suppress(OSError):
            reused[1].unlink()


@atexit.register
def _forget_all() -> None:
    """Snapshot files of folders no session dropped (a snapshot folder of its own)."""
    for folder in list(_REUSED):
        _forget(folder)


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
