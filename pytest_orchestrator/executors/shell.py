"""Run a shell or exec step as a subprocess in its own process group, without a shell.

The step's process is reaped with ``os.wait4``, which gives its own resource usage (and that of
the descendants it waited for); whatever it left running in its group is killed as soon as it
exits, so a background grandchild can neither outlive the step nor hold its pipes open."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

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
    out, err, waited, timed_out = _communicate(proc, timeout)
    _, status, rusage = waited
    proc.returncode = os.waitstatus_to_exitcode(status)
    outcome.usage = from_rusage(rusage, time.perf_counter() - start)
    outcome.stderr = err.text()
    if timed_out:
        return outcome.fail(f"timeout after {timeout:g}s", 124)
    _read_stdout(outcome, out, proc.returncode)
    return outcome


def _communicate(proc: subprocess.Popen[bytes], timeout: float | None
                 ) -> tuple[_Pipe, _Pipe, tuple[int, int, Any], bool]:
    """Read both pipes until the process exits (or the timeout), in this thread: a pidfd
    (Linux) says when it exits; elsewhere wait4 is polled every 10 ms. Then the group is killed,
    the pipes are read to their end, and the process is reaped with its rusage."""
    assert proc.stdout is not None and proc.stderr is not None
    out = _Pipe(proc.stdout, MAX_STDOUT_BYTES + 1)
    err = _Pipe(proc.stderr, STDERR_TAIL_BYTES, tail=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        for pipe in (out, err):
            selector.register(pipe.fd, selectors.EVENT_READ, pipe)
        pidfd = _pidfd(proc.pid)
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ, None)
        try:
            waited, timed_out = _until_exit(proc.pid, selector, deadline, pidfd is not None)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        _kill_group(proc.pid)
        if waited is None:
            waited = os.wait4(proc.pid, 0)
        _drain(selector, time.monotonic() + 2.0)
    return out, err, waited, timed_out


def _until_exit(pid: int, selector: selectors.BaseSelector, deadline: float | None,
                has_pidfd: bool) -> tuple[tuple[int, int, Any] | None, bool]:
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return None, True
        wait = remaining if has_pidfd else min(remaining or 0.01, 0.01)
        for key, _ in selector.select(wait):
            if key.data is not None:
                key.data.read(selector)
        done = os.wait4(pid, os.WNOHANG)
        if done[0] == pid:
            return done, False


def _drain(selector: selectors.BaseSelector, deadline: float) -> None:
    """After the group is killed the pipes close; a descendant that left the group and still
    holds them is not waited for past ``deadline``."""
    while any(key.data is not None for key in selector.get_map().values()):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        for key, _ in selector.select(remaining):
            if key.data is not None:
                key.data.read(selector)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class _Pipe:
    """One output pipe, read as data arrives, keeping at most ``keep`` bytes (head or tail)."""

    def __init__(self, stream: IO[bytes], keep: int, tail: bool = False) -> None:
        self.stream, self.fd, self.keep, self.tail = stream, stream.fileno(), keep, tail
        self.total = 0
        self.data = bytearray()

    def read(self, selector: selectors.BaseSelector) -> None:
        chunk = os.read(self.fd, 65536)
        if not chunk:
            selector.unregister(self.fd)
            self.stream.close()
            return
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > 2 * self.keep:
            if self.tail:
                del self.data[:-self.keep]
            else:
                del self.data[self.keep:]

    def text(self) -> str:
        data = self.data[-self.keep:] if self.tail else self.data[:self.keep]
        return bytes(data).decode("utf-8", "replace")


def _read_stdout(outcome: StepOutcome, out: _Pipe, code: int) -> None:
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



