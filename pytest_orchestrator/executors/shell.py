"""Run a shell or exec step as a subprocess in its own process group, without a shell.

The step's process is reaped with ``os.wait4``, which gives its own resource usage (and that of
the descendants it waited for); whatever it left running in its group is killed as soon as it
exits, so a background grandchild can neither outlive the step nor hold its pipes open."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ..envelope import MAX_STDOUT_BYTES, check_size, parse_envelope
from ..errors import OrchestratorError
from . import StepOutcome
from .inprocess import check_exit_code
from .resources import from_rusage

STDERR_TAIL_BYTES = 64 * 1024


def run_command(step: str, argv: Sequence[str], env: Mapping[str, str], cwd: str,
                timeout: float | None) -> StepOutcome:
    """Run ``argv``; read one envelope from its stdout; kill the whole group on timeout."""
    outcome = StepOutcome(step, argv=list(argv))
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=dict(env), cwd=cwd,
                                start_new_session=True)
    except OSError as exc:
        return outcome.fail(f"cannot start {argv[0]}: {exc.strerror}", 126)
    assert proc.stdout is not None and proc.stderr is not None
    out = _Drain(cast(io.BufferedReader, proc.stdout), MAX_STDOUT_BYTES + 1)
    err = _Drain(cast(io.BufferedReader, proc.stderr), STDERR_TAIL_BYTES)
    waited: list[tuple[int, int, Any]] = []
    waiter = threading.Thread(target=lambda: waited.append(os.wait4(proc.pid, 0)), daemon=True)
    waiter.start()
    waiter.join(timeout)
    timed_out = waiter.is_alive()
    _kill_group(proc.pid)
    waiter.join()
    out.join()
    err.join()
    _, status, rusage = waited[0]
    proc.returncode = os.waitstatus_to_exitcode(status)
    outcome.usage = from_rusage(rusage, time.perf_counter() - start)
    outcome.stderr = err.text(tail=True)
    if timed_out:
        return outcome.fail(f"timeout after {timeout:g}s", 124)
    _read_stdout(outcome, out, proc.returncode)
    return outcome


class _Drain(threading.Thread):
    """Reads a pipe to its end, keeping at most ``keep`` bytes (the head, or the tail)."""

    def __init__(self, stream: io.BufferedReader, keep: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.keep, self.total = stream, keep, 0
        self.data = bytearray()
        self.start()

    def run(self) -> None:
        with self.stream:
            for chunk in iter(lambda: self.stream.read1(65536), b""):
                self.total += len(chunk)
                self.data += chunk
                if len(self.data) > 2 * self.keep:
                    del self.data[:-self.keep]

    def text(self, tail: bool = False) -> str:
        data = self.data[-self.keep:] if tail else self.data[:self.keep]
        return bytes(data).decode("utf-8", "replace")


def _read_stdout(outcome: StepOutcome, out: _Drain, code: int) -> None:
    if code < 0:
        outcome.exit_code = 128 - code
        outcome.fail(f"killed by signal {signal.Signals(-code).name}")
        return
    try:
        check_size(out.total)
        outcome.envelope = parse_envelope(out.text())
    except OrchestratorError as exc:
        outcome.exit_code = code
        prefix = f"exited with code {code} and " if code else ""
        outcome.fail(prefix + str(exc))
        return
    check_exit_code(outcome, code)


def _kill_group(pgid: int) -> None:
    """Nothing the step started may outlive it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)



