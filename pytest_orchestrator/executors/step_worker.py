"""The step server's worker: a process forked by the server that runs Python steps one after
another, as long as each step leaves it as clean as it found it. It never imports pytest.

Forking a process per step costs ~3-7 ms of CPU (the copy-on-write faults of a Python
process), so a worker that finished a step cleanly takes the next one (~0.3 ms). *Clean* is
checked after every step, and a worker that is not is thrown away (the next step gets a fresh
fork). Reused only when, after the step:

* the step passed, and the worker did not crash, time out or get killed during it;
* the process has one thread, no child process (alive or zombie), and never reaped one (a
  reaped child's peak RSS would count in a later crashed step's);
* its open file descriptors, resource limits, signal handlers, blocked signals, interval
  timers, process group, CPU affinity, priority, locale, trace/profile hooks, recursion limit,
  switch interval and garbage-collector switch are those it started with; ``sys.stdin``,
  ``sys.stdout``, ``sys.stderr`` are the original objects, and file descriptors 1 and 2 the
  capture files;
* the context cache was not committed to, and its resident memory grew by at most
  :data:`RSS_GROWTH_LIMIT` since it was forked.

What every step is given afresh instead: the caller's cwd, environment and ``sys.path`` (sent
with each request), the umask the worker started with, and a new :class:`Context` view on the
cached context (the caller's view: the server forwards the same deltas it applies itself).
Module globals of imported modules survive from one step to the next in the same worker; a
scriptlet must not rely on that either way.

Each step's usage is its own: the CPU time of the worker and its children over the step, the
worker's RSS high-water mark reset before the step (``/proc/self/clear_refs``) and read
after it. A crashed worker's usage is taken by the server from ``wait4``, less what its
earlier steps used; its peak is then the worker's lifetime high-water mark, which is this
step's because a worker is only reused while no earlier mark can exceed the current RSS.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal.py wraps it
import contextlib
import copy
import faulthandler
import gc
import json
import locale
import os
import resource
import signal
import sys
import traceback
from typing import Any, NoReturn, TypedDict

from ..context import Context
from ..context.memory import MemoryBackend
from ..scriptlet import load_class
from .inprocess import invoke, watch_sigint
from .reaper import die_with_parent
from .resources import KIB, InProcessMeter, current_rss, reset_peak

#: A worker whose resident memory grew by more than this since it was forked is replaced: a
#: later step's peak RSS counts what an earlier one left allocated.
RSS_GROWTH_LIMIT = 32 * 1024 * 1024
#: Whether workers can be checked clean here (procfs lists threads, children and fds).
CAN_REUSE = sys.platform.startswith("linux") and os.path.isdir("/proc/self/task")
_SEED_STEP = "(visible)"
_RLIMITS = [getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")]
_TIMERS = [signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF]
#: The signals whose handlers are compared (as numbers: valid_signals() costs ~150 µs).
_SIGNALS = [int(sig) for sig in signal.valid_signals()
            if sig not in (signal.SIGKILL, signal.SIGSTOP)]
#: The handler of a signal as ``signal`` holds it: its getsignal() without the conversion
#: to an enum, which costs 0.5 µs a signal (30 µs a step).
_handler = getattr(_signal, "getsignal", signal.getsignal)


class ContextChange(TypedDict):
    """What changed in the context the steps see since the request before: keys to set,
    entries to add to a dict key (the runner's records grow by one entry a step), keys gone.
    The server keeps that context between steps; a new server starts from an empty one."""

    put: dict[str, Any]
    merge: dict[str, dict[str, Any]]
    drop: list[str]


class Request(TypedDict):
    """One step to run, in the caller's cwd, environment and ``sys.path``."""

    module: str
    function: str
    step: str
    params: dict[str, Any]
    path: list[str]
    cwd: str
    env: dict[str, str]
    context: ContextChange


class Report(TypedDict, total=False):
    """What the step process sends back: the outcome's fields and the staged writes."""

    envelope: list[Any] | None  # [status, raw]
    failure: str
    exit_code: int
    stderr: str
    stdout_logs: str
    traceback: str
    writes: dict[str, Any]
    error: str  # this module failed in the step process (a bug, or an unusable cwd)


class StepDone(TypedDict):
    """The worker's line after a step: the step's usage, the worker's own total CPU time so
    far (what a later crash's ``wait4`` is reduced by), whether it can take another step;
    ``report_bytes`` bytes of the step's Report follow."""

    cpu_user: float
    cpu_sys: float
    peak_rss: int
    total_user: float
    total_sys: float
    reusable: bool
    report_bytes: int


#: The context the steps see, kept between requests: the server's copy, and each worker's
#: (a worker inherits the server's by fork, then applies the same changes).
VISIBLE = MemoryBackend()


def apply(change: ContextChange) -> None:
    """Bring the kept context up to date. It lets any step overwrite any key: conflicts are
    the caller's to judge when it applies the writes, knowing who wrote what; shapes are
    still locked here, as the caller would lock them."""
    VISIBLE.forget("step", change["drop"])
    VISIBLE.load("step", change["put"], _SEED_STEP)
    for key, entries in change["merge"].items():
        state = VISIBLE.state("step", key)
        assert state is not None and isinstance(state.value, dict), key
        state.value.update(entries)  # its only writer's value is the same dict


def detach(stdout: int, stderr: int) -> None:
    """In a process the step server forked: killed with it, its own session, stdin empty,
    stdout and stderr the captured files."""
    die_with_parent()
    os.setsid()
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)


def work(first: Request, requests: int, replies: int, stdout: int, stderr: int) -> NoReturn:
    """In the forked worker: own session, captured file descriptors; run ``first``, then
    every request read from ``requests`` while it stays clean; reply on ``replies``."""
    try:
        detach(stdout, stderr)
        _close_all_but({0, 1, 2, requests, replies})
        faulthandler.enable()  # a crash prints the Python stack to the captured stderr
        reset_peak()  # opens the procfs files it keeps, before the state is taken
        watch_sigint()  # the in-process steps' SIGINT watcher stays in place between steps
        clean = _State()
    except BaseException:
        os._exit(70)
    incoming = os.fdopen(requests, "rb")
    request, me = first, os.getpid()
    while True:
        done, body = _run_one(request, clean)
        if os.getpid() != me:  # a copy the step forked, back from the step: it must not reply
            os._exit(0)
        _write_all(replies, json.dumps(done).encode() + b"\n" + body)
        line = incoming.readline()
        if not line:
            os._exit(0)
        request = json.loads(line)
        apply(request["context"])


def _run_one(request: Request, clean: _State) -> tuple[StepDone, bytes]:
    passed = False
    try:
        with InProcessMeter() as meter:
            report, passed = _run_step(request)
    except BaseException:
        report = {"error": traceback.format_exc()}
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a stream the step closed: not reusable then
            stream.flush()
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        body = json.dumps(report).encode()
    except (TypeError, ValueError):  # a write the context should have refused
        body, passed = json.dumps({"error": traceback.format_exc()}).encode(), False
    done: StepDone = {
        "cpu_user": meter.usage.cpu_user, "cpu_sys": meter.usage.cpu_sys,
        "peak_rss": max(meter.usage.peak_rss, kids.ru_maxrss * KIB),
        "total_user": me.ru_utime + kids.ru_utime, "total_sys": me.ru_stime + kids.ru_stime,
        "reusable": passed and CAN_REUSE and clean.holds(kids), "report_bytes": len(body)}
    return done, body


def _run_step(request: Request) -> tuple[Report, bool]:
    sys.path[:] = request["path"]
    os.chdir(request["cwd"])
    if os.environ != request["env"]:
        os.environ.clear()
        os.environ.update(request["env"])
    step = request["step"]
    ctx = _StepView(VISIBLE, "step", step=step, policy="last_write_wins")
    try:
        cls = load_class(request["module"], request["function"])
    except LookupError as exc:
        return {"failure": str(exc.args[0]), "exit_code": 1}, False
    outcome = invoke(cls, step, ctx, request["params"])
    envelope = None if outcome.envelope is None else [outcome.envelope.status,
                                                      outcome.envelope.raw]
    return {"envelope": envelope, "failure": outcome.failure, "exit_code": outcome.exit_code,
            "stderr": outcome.stderr, "stdout_logs": outcome.stdout_logs,
            "traceback": outcome.traceback,
            "writes": ctx.pending if outcome.passed else {}}, outcome.passed


class _StepView(Context):
    """The step's view of the cached context: what it reads is a copy, so nothing the step
    does to it reaches the next step's view."""

    def snapshot(self, *, runner: bool = True) -> dict[str, Any]:
        return copy.deepcopy(super().snapshot(runner=runner))


class _State:
    """What a worker is like when it starts, to tell whether a step left it so."""

    def __init__(self) -> None:
        self.umask = os.umask(0)
        os.umask(self.umask)
        self.settings = _settings()
        self.rss = current_rss()
        self.streams = (sys.stdin, sys.stdout, sys.stderr)

    def holds(self, kids: resource.struct_rusage) -> bool:
        """Whether the worker is as it started (the umask is put back, not judged)."""
        os.umask(self.umask)
        return (len(os.listdir("/proc/self/task")) == 1 and not _children()
                and kids.ru_maxrss == 0
                and (sys.stdin, sys.stdout, sys.stderr) == self.streams
                and VISIBLE.history("step") == []
                and current_rss() - self.rss <= RSS_GROWTH_LIMIT
                and _no_older_peak() and _settings() == self.settings)


def _settings() -> tuple[Any, ...]:
    """The process-wide settings a step could change and leave changed (~60 µs)."""
    return (sorted(os.listdir("/proc/self/fd")),
            [resource.getrlimit(limit) for limit in _RLIMITS],
            [_handler(sig) for sig in _SIGNALS],
            signal.pthread_sigmask(signal.SIG_BLOCK, []),
            [signal.getitimer(timer) for timer in _TIMERS],
            os.getpgrp(), os.sched_getaffinity(0), os.getpriority(os.PRIO_PROCESS, 0),
            locale.setlocale(locale.LC_ALL), sys.gettrace(), sys.getprofile(),
            sys.getrecursionlimit(), sys.getswitchinterval(), gc.isenabled(),
            _file_id(1), _file_id(2))


def _file_id(fd: int) -> tuple[int, int] | None:
    try:
        info = os.fstat(fd)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _children() -> bool:
    """Whether this (single-threaded) process has a child, running or not yet reaped."""
    with open(f"/proc/self/task/{os.getpid()}/children", "rb") as fh:
        return bool(fh.read().strip())


def _no_older_peak() -> bool:
    """Whether no high-water mark older than now (left by a thread that ended) exceeds the
    current RSS: else a later crash's ``wait4`` peak could be that mark, not its step's."""
    reset_peak()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB <= current_rss()


def _close_all_but(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd") if CAN_REUSE else []:
        fd = int(name)
        if fd not in keep:
            with contextlib.suppress(OSError):  # the listing's own descriptor, closed
                os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
