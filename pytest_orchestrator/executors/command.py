"""In the step server: run a shell or exec step's command, without a shell, in its own process
group, reading its pipes as data arrives until it exits.

The command is the server's child, so it is reaped with ``os.wait4`` (its resource usage and
that of the descendants it waited for), and whatever it left running — in its group or not —
is killed as soon as it exits: a background grandchild can neither outlive the step nor hold
its pipes open. If the caller goes away meanwhile (pytest killed), the command and all it
started are killed and the server ends.

It is started with ``posix_spawn`` (glibc's clone-and-exec, as ``subprocess`` does, without
``Popen``'s Python-side cost: ~0.1 ms less a step), in a new session, with SIGPIPE and
SIGXFSZ at their defaults (``Popen``'s ``restore_signals``). No descriptor is closed for it:
the server holds none it could inherit (Python opens every file close-on-exec, and the server
is started with ``close_fds``) but 0, 1 and 2, which the command gets anew."""

from __future__ import annotations

import functools
import os
import select
import shutil
import signal
import sys
import time
from typing import IO, Any, NoReturn, TypedDict

from ..envelope import MAX_STDOUT_BYTES
from .reaper import kill_all_children, kill_group
from .resources import from_rusage

STDERR_TAIL_BYTES = 64 * 1024
_DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)  # ignored by Python, not by the command
_CALLER = 0  # the server's stdin: readable only when the caller has gone
#: The caller needs the command's pid only to kill it (a timeout, the server not answering):
#: it is sent at once with how the command ended when it ends within this long (the caller
#: is woken once for a short step, not twice), else as soon as this has passed.
PID_AFTER = 0.02


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
        pid, out_fd, err_fd = _spawn(request)
    except OSError as exc:
        replies.write(b'{"pid": 0}\n')
        return _done(0, None, _Pipe(-1, 0), _Pipe(-1, 0), exc.strerror or str(exc))
    replies.write(b'{"pid": %d}\n' % pid)
    out = _Pipe(out_fd, MAX_STDOUT_BYTES + 1)
    err = _Pipe(err_fd, STDERR_TAIL_BYTES, tail=True)
    status, rusage = _communicate(pid, out, err, replies)
    return _done(status, rusage, out, err, "")


def _spawn(request: CommandRequest) -> tuple[int, int, int]:
    """The command's pid and the read ends of its stdout and stderr pipes; its stdin is
    ``/dev/null``, its working directory ``cwd`` (the server's too, from now on: nothing in
    it depends on its own)."""
    argv, env = request["argv"], request["env"]
    os.chdir(request["cwd"])
    path = _executable(argv[0], os.pathsep.join(os.get_exec_path(env)), request["cwd"])
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawn(path, argv, env, setsid=True, setsigdef=_DEFAULT_SIGNALS,
                             file_actions=[(os.POSIX_SPAWN_DUP2, _devnull(), 0),
                                           (os.POSIX_SPAWN_DUP2, out_w, 1),
                                           (os.POSIX_SPAWN_DUP2, err_w, 2)])
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    return pid, out_r, err_r


def _executable(name: str, search: str, cwd: str) -> str:
    """``name`` found on the command's PATH as ``Popen`` finds it (the first executable file
    of that name), remembered while it stays executable: no failed exec a step."""
    if os.sep in name:
        return name
    found = _search(name, search, cwd)
    if found is None or not os.access(found, os.X_OK):
        _search.cache_clear()
        found = _search(name, search, cwd)
    if found is None:
        raise FileNotFoundError(2, os.strerror(2), name)
    return found


@functools.lru_cache(maxsize=64)
def _search(name: str, search: str, cwd: str) -> str | None:
    return shutil.which(name, path=search)  # relative PATH entries: from cwd, the server's


@functools.cache
def _devnull() -> int:
    return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


def _done(status: int, rusage: Any, out: _Pipe, err: _Pipe, start_error: str) -> CommandDone:
    usage = from_rusage(rusage, 0.0) if rusage is not None else None
    return {"wait_status": status, "cpu_user": usage.cpu_user if usage else 0.0,
            "cpu_sys": usage.cpu_sys if usage else 0.0, "peak_rss": usage.peak_rss if usage else 0,
            "stdout": out.text(), "stdout_bytes": out.total, "stderr": err.text(),
            "start_error": start_error, "report_bytes": 0}


def _communicate(pid: int, out: _Pipe, err: _Pipe, replies: IO[bytes]) -> tuple[int, Any]:
    """Read both pipes until the command exits (a pidfd says when; elsewhere wait4 is polled
    every 10 ms) or the caller goes away, sending the pid line written to ``replies`` after
    :data:`PID_AFTER`. Then its group and every process it left are killed, the pipes read
    to their end, and its status and rusage returned."""
    poller = select.poll()
    pipes = {out.fd: out, err.fd: err}
    for fd in (out.fd, err.fd, _CALLER):
        poller.register(fd, select.POLLIN)
    pidfd = _pidfd(pid)
    try:
        if pidfd is not None:
            poller.register(pidfd, select.POLLIN)
        waited = _until_exit(pid, poller, pipes, pidfd, replies)
        kill_group(pid)
        if waited is None:
            waited = os.wait4(pid, 0)
        kill_all_children()
        _drain(poller, pipes, time.monotonic() + 2.0)
    finally:
        for fd in (*pipes, *([] if pidfd is None else [pidfd])):
            os.close(fd)
    return waited[1], waited[2]


def _until_exit(pid: int, poller: select.poll, pipes: dict[int, _Pipe], pidfd: int | None,
                replies: IO[bytes]) -> tuple[int, int, Any] | None:
    unsent = time.monotonic() + PID_AFTER  # when the pid line goes, if it has not yet
    while True:
        wait: float | None = None if pidfd is not None else 10.0
        if unsent:
            left = max(0.0, (unsent - time.monotonic()) * 1000)
            wait = left if wait is None else min(wait, left)
        ready = poller.poll(wait)
        if unsent and time.monotonic() >= unsent:
            replies.flush()
            unsent = 0.0
        for fd, _ in ready:
            if fd == _CALLER:
                _caller_gone(pid)
            if fd in pipes:
                _read(poller, pipes, fd)
        if pidfd is None or any(fd == pidfd for fd, _ in ready):
            done = os.wait4(pid, os.WNOHANG)
            if done[0] == pid:
                return done


def _caller_gone(pid: int) -> NoReturn:
    """The caller closed our input (it ended, or was killed): nothing of the step survives."""
    kill_group(pid)
    os.waitpid(pid, 0)
    kill_all_children()
    sys.exit(0)


def _drain(poller: select.poll, pipes: dict[int, _Pipe], deadline: float) -> None:
    """Once the command's processes are killed the pipes close; one that escaped (where
    there is no subreaper) and still holds them is not waited for past ``deadline``."""
    while pipes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        for fd, _ in poller.poll(remaining * 1000):
            if fd in pipes:
                _read(poller, pipes, fd)


def _read(poller: select.poll, pipes: dict[int, _Pipe], fd: int) -> None:
    """Read what the pipe holds; at its end, stop watching it and close it."""
    if not pipes[fd].read():
        poller.unregister(fd)
        os.close(fd)
        del pipes[fd]


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class _Pipe:
    """One output pipe, read as data arrives, keeping at most ``keep`` bytes (head or tail)."""

    def __init__(self, fd: int, keep: int, tail: bool = False) -> None:
        self.fd, self.keep, self.tail = fd, keep, tail
        self.total = 0
        self.data = bytearray()

    def read(self) -> bool:
        """Read one chunk; False at the end of the pipe."""
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return False
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > 2 * self.keep:
            if self.tail:
                del self.data[:-self.keep]
            else:
                del self.data[self.keep:]
        return True

    def text(self) -> str:
        data = self.data[-self.keep:] if self.tail else self.data[:self.keep]
        return bytes(data).decode("utf-8", "replace")
