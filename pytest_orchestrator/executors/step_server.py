"""The step server that child.py starts: a worker process it forks that runs Python steps one
after another while each leaves it clean (``step_worker.py``), one forked process per success
check, and the commands of shell and exec steps. It never imports pytest, and never runs user
code itself. It is a child subreaper: whatever a step started is its descendant until it kills
it, when the step ends or when the caller goes away (pytest ended or was killed)."""

from __future__ import annotations

import contextlib
import faulthandler
import fcntl
import gc
import json
import os
import select
import sys
import tempfile
import traceback
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypedDict, cast

from .command import CommandRequest, serve_command
from .reaper import KEPT, kill_all_children, kill_group, set_subreaper
from .resources import from_rusage
from .step_worker import ContextChange, Report, Request, StepDone, apply, detach, work

if TYPE_CHECKING:
    import resource

__all__ = ["CheckRequest", "ContextChange", "Done", "Report", "Request", "serve"]

#: Of what a step wrote to its stdout/stderr file descriptors, the last bytes kept.
LOG_TAIL_BYTES = 64 * 1024


# --- what crosses the pipes ---------------------------------------------------------------

class CheckRequest(TypedDict):
    """A success check to run where it can be stopped: ``value`` against the JSON Schema."""

    schema: dict[str, Any]
    value: Any


class Done(TypedDict):
    """How the step ended: the worker's wait status (0 if it reported), the step's usage,
    the tails of what it wrote to file descriptors 1 and 2; ``report_bytes`` bytes of its
    Report follow (none if it did not report)."""

    wait_status: int
    cpu_user: float
    cpu_sys: float
    peak_rss: int
    stdout: str
    stderr: str
    report_bytes: int


# --- the server's side --------------------------------------------------------------------

def serve() -> NoReturn:
    """The step server's main loop: one JSON request line in (a Request, CheckRequest or
    CommandRequest) and its reply out.

    Replies ``{"pid": N}`` once the process running it is known (for a Python step, the
    worker's), then a line of how it ended and ``report_bytes`` bytes of its report. Ends
    when its input ends (the caller has gone), killing the running step and all it started
    first."""
    set_subreaper()
    gc.freeze()  # the imported modules stay shared with every forked process, unwritten
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while line := requests.readline():
        request = json.loads(line)
        if "argv" in request:
            replies.write(json.dumps(serve_command(cast(CommandRequest, request), replies))
                          .encode() + b"\n")
        elif "schema" in request:
            replies.write(_serve_check(cast(CheckRequest, request), replies))
        else:
            replies.write(_serve_step(cast(Request, request), line, replies))
        replies.flush()
    _retire_worker()
    sys.exit(0)


class _Worker:
    """The server's handle on its worker: request and reply pipes, the files its file
    descriptors 1 and 2 write to, a pidfd to see it die, and its CPU time at the end of its
    last step (a crash's ``wait4`` counts every step it ran)."""

    def __init__(self, first: Request) -> None:
        self.home = (first["path"], first["cwd"])
        to_worker, self._requests = os.pipe()
        self._replies, from_worker = os.pipe()
        self.out, self.err = _capture_file(), _capture_file()
        pid = os.fork()
        if pid == 0:
            work(first, to_worker, from_worker, self.out, self.err)
        os.close(to_worker)
        os.close(from_worker)
        self.pid = pid
        KEPT.add(pid)
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):  # not Linux ≥ 5.3: its death shows as end of file
            self.pidfd = None
        self.used = (0.0, 0.0)
        self._fds = [self._requests, self._replies, self.out, self.err,
                     *([] if self.pidfd is None else [self.pidfd])]

    def send(self, line: bytes) -> bool:
        """Give the idle worker its next request: False if it is gone."""
        if self.pidfd is not None and select.select([self.pidfd], [], [], 0)[0]:
            return False
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._requests, view):]
        except BrokenPipeError:
            return False
        return True

    def result(self) -> tuple[Done, bytes, bool]:
        """Wait for the step's report (or the worker's end): how it ended, the report, and
        whether the worker can take another step. If the caller goes away meanwhile, kill
        the worker and all it started, and stop."""
        data = bytearray()
        watched = [self._replies, sys.stdin.fileno()]
        if self.pidfd is not None:
            watched.append(self.pidfd)
        while True:
            ready = select.select(watched, [], [])[0]
            if self._replies in ready:
                chunk = os.read(self._replies, 1 << 16)
                if chunk:
                    data += chunk
                    if (end := data.find(b"\n")) >= 0:
                        step: StepDone = json.loads(data[:end])
                        if len(data) - end - 1 >= step["report_bytes"]:
                            return self._reported(step, bytes(data[end + 1:]))
                    continue
                watched.remove(self._replies)  # ended: the worker is dead or dying
                if self.pidfd is None:
                    return self._died(), b"", False
            if self.pidfd is not None and self.pidfd in ready:
                return self._died(), b"", False
            if sys.stdin.fileno() in ready:
                self.close()
                kill_all_children()
                sys.exit(0)

    def _reported(self, step: StepDone, body: bytes) -> tuple[Done, bytes, bool]:
        reusable = step["reusable"]
        if reusable:
            kill_all_children()  # none, normally: only the worker is left
            self.used = (step["total_user"], step["total_sys"])
        else:
            self._reap()  # it, and what its step left, before their output is read
        stdout, stderr = self._logs()
        done: Done = {"wait_status": 0, "cpu_user": step["cpu_user"],
                      "cpu_sys": step["cpu_sys"], "peak_rss": step["peak_rss"],
                      "stdout": stdout, "stderr": stderr, "report_bytes": len(body)}
        return done, body, reusable

    def _died(self) -> Done:
        """The worker ended during the step: its usage since its last step, from wait4."""
        status, rusage = self._reap()
        usage = from_rusage(rusage, 0.0)
        stdout, stderr = self._logs()
        return {"wait_status": status, "cpu_user": max(0.0, usage.cpu_user - self.used[0]),
                "cpu_sys": max(0.0, usage.cpu_sys - self.used[1]), "peak_rss": usage.peak_rss,
                "stdout": stdout, "stderr": stderr, "report_bytes": 0}

    def _logs(self) -> tuple[str, str]:
        """The tails of what the step wrote to its file descriptors 1 and 2, which then start
        empty for the next step (they append)."""
        return _tail(self.out), _tail(self.err)

    def _reap(self) -> tuple[int, resource.struct_rusage]:
        """Kill what is left of the worker's group before reaping it (while its zombie holds
        the group id, so the id cannot have been reused), then every process it left."""
        kill_group(self.pid)
        _, status, rusage = os.wait4(self.pid, 0)
        KEPT.discard(self.pid)
        kill_all_children()
        return status, rusage

    def close(self) -> None:
        """Kill the worker and all it started; release what this side holds of it."""
        if self.pid in KEPT:
            self._reap()
        fds, self._fds = self._fds, []
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


_worker: _Worker | None = None


def _serve_step(request: Request, line: bytes, replies: IO[bytes]) -> bytes:
    """Run the step in the idle worker, or in a new one if there is none (or it was started
    for another ``sys.path`` or cwd, whose modules it may hold); tell its pid, await it."""
    global _worker
    apply(request["context"])  # an idle worker applies it too; a new one inherits it
    worker = _worker
    if worker is not None and (worker.home != (request["path"], request["cwd"])
                               or not worker.send(line)):
        _retire_worker()
        worker = None
    if worker is None:
        worker = _worker = _Worker(request)
    replies.write(b'{"pid": %d}\n' % worker.pid)
    replies.flush()
    done, body, reusable = worker.result()
    if not reusable:
        worker.close()
        _worker = None
    return json.dumps(done).encode() + b"\n" + body


def _retire_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def _tail(fd: int) -> str:
    size = os.fstat(fd).st_size
    if not size:  # the common case: one system call
        return ""
    tail = os.pread(fd, LOG_TAIL_BYTES, max(0, size - LOG_TAIL_BYTES))
    os.ftruncate(fd, 0)
    return tail.decode("utf-8", "replace")


def _capture_file() -> int:
    """An unnamed file a step's file descriptor 1 or 2 writes to, always at its end."""
    with tempfile.TemporaryFile() as file:
        fd = os.dup(file.fileno())
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    return fd


# --- success checks: a fresh process each ------------------------------------------------

def _serve_check(request: CheckRequest, replies: IO[bytes]) -> bytes:
    """Fork the check's process, tell its pid, wait for it; return how it ended."""
    if "jsonschema" not in sys.modules:
        import jsonschema  # noqa: F401  (once here, not in every check's process)

        gc.freeze()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as report:
        pid = os.fork()
        if pid == 0:
            _check_process(request, out.fileno(), err.fileno(), report.fileno())
        replies.write(b'{"pid": %d}\n' % pid)
        replies.flush()
        status, rusage = _wait(pid)
        usage = from_rusage(rusage, 0.0)
        body = _read(report)
        done: Done = {"wait_status": status, "cpu_user": usage.cpu_user,
                      "cpu_sys": usage.cpu_sys, "peak_rss": usage.peak_rss,
                      "stdout": _read(out, LOG_TAIL_BYTES).decode("utf-8", "replace"),
                      "stderr": _read(err, LOG_TAIL_BYTES).decode("utf-8", "replace"),
                      "report_bytes": len(body)}
    return json.dumps(done).encode() + b"\n" + body


def _wait(pid: int) -> tuple[int, resource.struct_rusage]:
    """Wait for the check's process; kill what is left of its group before reaping it, then
    every process it left. If the caller goes away meanwhile, kill it all, and stop."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux ≥ 5.3: no way to watch both; just wait
        _, status, rusage = os.wait4(pid, 0)
        kill_group(pid)
        kill_all_children()
        return status, rusage
    try:
        ready = select.select([pidfd, sys.stdin.fileno()], [], [])[0]
    finally:
        os.close(pidfd)
    kill_group(pid)
    _, status, rusage = os.wait4(pid, 0)
    kill_all_children()
    if pidfd not in ready:
        _retire_worker()
        sys.exit(0)
    return status, rusage


def _read(file: IO[bytes], tail: int | None = None) -> bytes:
    size = file.seek(0, os.SEEK_END)
    file.seek(0 if tail is None else max(0, size - tail))
    return file.read()


def _check_process(request: CheckRequest, stdout: int, stderr: int, report: int) -> NoReturn:
    """In the forked process: own session, captured file descriptors, check, report, exit."""
    try:
        detach(stdout, stderr)
        faulthandler.enable()  # a crash prints the Python stack to the captured stderr
        from ..success import schema_problem

        data = json.dumps({"failure": schema_problem(request["schema"], request["value"])
                           or ""})
    except BaseException:
        data = json.dumps({"error": traceback.format_exc()})
    with open(report, "wb", closefd=False) as fh:
        fh.write(data.encode())
    os._exit(0)
