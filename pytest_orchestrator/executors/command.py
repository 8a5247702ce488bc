"""In the step server: run a shell or exec step's command, without a shell, in its own process
group, reading its pipes as data arrives until it exits.

The command is the server's child, so it is reaped with ``os.wait4`` (its resource usage and
that of the descendants it waited for), and whatever it left running — in its group or not —
is killed as soon as it exits: a background grandchild can neither outlive the step nor hold
its pipes open. If the caller goes away meanwhile (pytest killed), the command and all it
started are killed and the server ends."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from typing import IO, Any, NoReturn, TypedDict

from ..envelope import MAX_STDOUT_BYTES
from .reaper import kill_all_children, kill_group
from .resources import from_rusage

STDERR_TAIL_BYTES = 64 * 1024


class CommandRequest(TypedDict):
    """A command to run: argv (no shell), its whole environment and working directory."""

    argv: list[str]
    env: dict[str, str]
    cwd: str


class CommandDone(TypedDict):
    """How the command ended: its wait status and usage, the head of its stdout (``stdout``,
    of ``stdout_bytes`` in all), the tail of its stderr; ``start_error`` if it never ran."""

    wait_status: int
    cpu_user: float
    cpu_sys: float
    peak_rss: int
    stdout: str
    stdout_bytes: int
    stderr: str
    start_error: str
    report_bytes: int


def serve_command(request: CommandRequest, replies: IO[bytes]) -> CommandDone:
    """Start the command, tell its pid (0 if it cannot start), read it to its end."""
    try:
        proc = subprocess.Popen(request["argv"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=request["env"], cwd=request["cwd"], start_new_session=True)
    except OSError as exc:
        replies.write(b'{"pid": 0}\n')
        return _done(0, None, _Pipe(None, 0), _Pipe(None, 0), exc.strerror or str(exc))
    replies.write(b'{"pid": %d}\n' % proc.pid)
    replies.flush()
    out, err, status, rusage = _communicate(proc)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return _done(status, rusage, out, err, "")


def _done(status: int, rusage: Any, out: _Pipe, err: _Pipe, start_error: str) -> CommandDone:
    usage = from_rusage(rusage, 0.0) if rusage is not None else None
    return {"wait_status": status, "cpu_user": usage.cpu_user if usage else 0.0,
            "cpu_sys": usage.cpu_sys if usage else 0.0, "peak_rss": usage.peak_rss if usage else 0,
            "stdout": out.text(), "stdout_bytes": out.total, "stderr": err.text(),
            "start_error": start_error, "report_bytes": 0}


def _communicate(proc: subprocess.Popen[bytes]) -> tuple[_Pipe, _Pipe, int, Any]:
    """Read both pipes until the command exits (a pidfd says when; elsewhere wait4 is polled
    every 10 ms) or the caller goes away. Then its group and every process it left are
    killed, the pipes read to their end, and its status and rusage returned."""
    assert proc.stdout is not None and proc.stderr is not None
    out = _Pipe(proc.stdout, MAX_STDOUT_BYTES + 1)
    err = _Pipe(proc.stderr, STDERR_TAIL_BYTES, tail=True)
    with selectors.DefaultSelector() as selector:
        for pipe in (out, err):
            selector.register(pipe.fd, selectors.EVENT_READ, pipe)
        selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "caller")
        pidfd = _pidfd(proc.pid)
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ, None)
        try:
            waited = _until_exit(proc.pid, selector, pidfd is not None)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        kill_group(proc.pid)
        if waited is None:
            waited = os.wait4(proc.pid, 0)
        kill_all_children()
        _drain(selector, time.monotonic() + 2.0)
    return out, err, waited[1], waited[2]


def _until_exit(pid: int, selector: selectors.BaseSelector, has_pidfd: bool
                ) -> tuple[int, int, Any] | None:
    while True:
        for key, _ in selector.select(None if has_pidfd else 0.01):
            if key.data == "caller":
                _caller_gone(pid)
            if isinstance(key.data, _Pipe):
                key.data.read(selector)
        done = os.wait4(pid, os.WNOHANG)
        if done[0] == pid:
            return done


def _caller_gone(pid: int) -> NoReturn:
    """The caller closed our input (it ended, or was killed): nothing of the step survives."""
    kill_group(pid)
    os.waitpid(pid, 0)
    kill_all_children()
    sys.exit(0)


def _drain(selector: selectors.BaseSelector, deadline: float) -> None:
    """Once the command's processes are killed the pipes close; one that escaped (where
    there is no subreaper) and still holds them is not waited for past ``deadline``."""
    while any(isinstance(key.data, _Pipe) for key in selector.get_map().values()):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        for key, _ in selector.select(remaining):
            if isinstance(key.data, _Pipe):
                key.data.read(selector)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class _Pipe:
    """One output pipe, read as data arrives, keeping at most ``keep`` bytes (head or tail)."""

    def __init__(self, stream: IO[bytes] | None, keep: int, tail: bool = False) -> None:
        self.stream, self.keep, self.tail = stream, keep, tail
        self.fd = stream.fileno() if stream is not None else -1
        self.total = 0
        self.data = bytearray()

    def read(self, selector: selectors.BaseSelector) -> None:
        chunk = os.read(self.fd, 65536)
        if not chunk:
            selector.unregister(self.fd)
            if self.stream is not None:
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
