"""Results written in batches: one transaction for the steps of a time slice, by a thread
that wakes once a slice, so a step that runs for long still has the results before it
written within a slice (a kill -9 loses at most the last slice, never a written one).

Under xdist the records come in the order the controller received them, each worker's in the
order it ran them, so the store never holds a dependent's result without its dependency's. A
dependent sent ahead to the worker running its dependency does not wait for the store (that
worker knows the outcome); one sent to another worker reads it there, so the DAG scheduler
:meth:`~Batches.flush`-es first (parallel.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import OrchestratorError

Record = TypeVar("Record")

#: Seconds a result may wait to be written.
SLICE = 0.2
#: Results written at once when they come faster than that.
MAX_BATCH = 500


class Batches(Generic[Record]):
    """Collects records and hands them to ``write`` in order, a batch at a time: every
    ``SLICE`` from a thread, at once when ``MAX_BATCH`` are waiting, on :meth:`flush` and on
    :meth:`close`. With ``at_once`` each record is written before :meth:`add` returns.
    ``write`` returns what it could not write, in lines for ``warn``; they are shown on the
    caller's thread, at its next call."""

    def __init__(self, write: Callable[[list[Record]], list[str]],
                 warn: Callable[[str], None], *,
                 at_once: bool = False, slice_seconds: float = SLICE) -> None:
        self._write, self._warn, self.at_once = write, warn, at_once
        self._slice = slice_seconds
        self._waiting: list[Record] = []
        self._lock = threading.Lock()  # guards _waiting
        self._writing = threading.Lock()  # one batch written at a time, in order
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._problems: list[str] = []

    def add(self, record: Record) -> None:
        with self._lock:
            self._waiting.append(record)
            full = len(self._waiting) >= MAX_BATCH
        if self.at_once or full:
            self.flush()
        else:
            self._start()
        self._report()

    def flush(self) -> None:
        """Write everything waiting, now."""
        with self._writing:
            with self._lock:
                batch, self._waiting = self._waiting, []
            if batch:
                try:
                    self._problems += self._write(batch)
                except OrchestratorError as exc:
                    self._problems.append(f"orchestrator: {len(batch)} step result(s) not "
                                          f"recorded: {exc}")

    def close(self) -> None:
        """Stop the thread and write what waits (again and again: it is idempotent)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        self.flush()
        self._report()

    def _start(self) -> None:
        if self._thread is None and not self._stop.is_set():
            self._thread = threading.Thread(target=self._run, name="orchestrator-results",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._slice):
            self.flush()

    def _report(self) -> None:
        while self._problems:
            self._warn(self._problems.pop(0))
