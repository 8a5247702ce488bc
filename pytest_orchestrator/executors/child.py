"""Run a Python step in a child process: hard timeouts, crash isolation, exact resources.

Per trivial step on our 2-core VM (medians; Python 3.11, the caller with pytest imported and a
thread running, as an xdist worker has; ``benchmarks/bench_executors.py`` for ours)::

    in-process invoke()                                    0.01 ms
    one reused worker, steps one after another (pipes)     0.02-0.08 ms
    reused ProcessPoolExecutor                             0.2 ms
    ours: the step server's reused worker, checked clean   0.5-1.5 ms (CPU ~0.65 ms in all)
    multiprocessing "fork" of the caller, per step         2.7 ms
    a server that forks a fresh process per step           2.4 ms bare, 3.1-4.0 ms here
    multiprocessing "forkserver" + preload, per step      13.7 ms (78 ms to start)
    multiprocessing "spawn", per step                     84 ms (340 ms if __main__ is pytest)

Forking the caller is unsafe: under xdist it has execnet threads, whose locks a child may
inherit held. So a server is started once (``subprocess``, safe with threads), stays
single-threaded, never runs user code, and forks a worker (``step_worker.py``) that runs
steps one after another as long as each passes and leaves it clean; any other step ends it,
and the next step gets a fresh fork (most of a fork's ~3-7 ms are copy-on-write faults, which
is why it is reused). The worker leads its own session, so ``killpg`` reaches all it started;
the server, a subreaper, kills whatever a step left. A step's CPU time and peak RSS are
measured by the worker around the step (the high-water mark reset before it), or, when it
crashed, by ``wait4`` less what its earlier steps used. Scriptlet modules are imported in the
worker (a small one costs ~0.7 ms, once per worker), never in the server: it has no threads
to fork with, cannot crash on an import, and never holds a stale module.

The server runs ``step_server.py``: it must never import pytest, even indirectly.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from ..context import Context, WriteRecord
from ..context.rules import RESERVED_PREFIX
from ..envelope import Envelope
from . import StepOutcome
from .reaper import REAP_LIMIT, kill_group
from .resources import Usage
from .step_server import CheckRequest, ContextChange, Done, Report

#: How long a killed step's server may take to report, before the server is replaced.
_KILL_GRACE = 10.0
#: How long starting the server and the step's process may take, past a shorter timeout.
_START_LIMIT = 60.0


@dataclass(frozen=True, slots=True)
class ChildResult:
    """A step run in a child process: its outcome (``usage`` filled, ``executor`` "child")
    and the context writes it staged, to be re-checked and committed by the caller."""

    outcome: StepOutcome
    writes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    """How one request to the step server ended: ``done`` (None when the deadline passed and
    the server did not answer even after the kill) and the report bytes that followed; whether
    the deadline passed; the wall time; ``lost`` if the server exited meanwhile."""

    done: dict[str, Any] | None
    report: bytes = b""
    timed_out: bool = False
    wall: float = 0.0
    lost: bool = False


def run_in_child(module: str, function: str, step: str, params: dict[str, Any],
                 visible: dict[str, Any] | Context, timeout: float | None) -> ChildResult:
    """Run scriptlet ``module.function`` as ``step`` in a child process that sees ``visible``
    (the values, or the step's context view: then only what changed since the last step is
    looked at, when that step's view is contained in this one's).

    Its cwd, environment and ``sys.path`` are this process's. On ``timeout`` (seconds) the
    step's whole process group is killed. Calls from several threads run one at a time.
    """
    fields = {"module": module, "function": function, "step": step, "params": params,
              "path": [str(p) for p in sys.path], "cwd": os.getcwd(), "env": dict(os.environ)}
    try:
        head = json.dumps(fields).encode()[:-1]
    except (TypeError, ValueError) as exc:
        outcome = StepOutcome(step, executor="child")
        return ChildResult(outcome.fail(f"cannot send the step to a child process: {exc}; "
                                        "params and context values must be JSON-safe"), {})

    def line(server: _Server) -> bytes:
        """The request for this server: the context as what changed since its last step
        (context values are JSON-safe: the context checked each when it was written)."""
        change: ContextChange = server.sent.change(visible) if isinstance(visible, dict) \
            else server.sent.change_for(visible)
        return head + b', "context": ' + json.dumps(change).encode() + b"}\n"
    return _result(step, ask(line, timeout), timeout)


def check_in_child(schema: dict[str, Any], value: Any, limit: float) -> str | None:
    """Validate ``value`` against a JSON Schema in a child process killed after ``limit``
    seconds (a pattern can backtrack for ever in C code no signal interrupts): the first
    problem found, "" if none, or None if the check did not finish in time."""
    request: CheckRequest = {"schema": schema, "value": value}
    try:
        line = json.dumps(request).encode() + b"\n"
    except (TypeError, ValueError) as exc:  # a YAML date in the schema, say
        return f"the check could not run: the schema is not JSON: {exc}"
    reply = ask(line, limit)
    if reply.timed_out or reply.done is None:
        return None
    report = json.loads(reply.report) if reply.report else {}
    if "failure" not in report:
        lines = str(report.get("error", "")).strip().splitlines()
        return "the check could not run: " + (lines[-1] if lines
                                               else _crash(reply.done["wait_status"])[0])
    return str(report["failure"])


def ask(request: bytes | Callable[[_Server], bytes], timeout: float | None) -> Reply:
    """Send one JSON request line to the step server and await its reply; past ``timeout``
    (seconds) the process it started is killed with its group. Calls from several threads
    run one at a time. A request made for the server that will take it is a function of it."""
    with _lock:
        return _exchange(request, timeout)


def shutdown() -> None:
    """Stop the step server (the next step starts a new one). Runs at interpreter exit."""
    global _server
    locked = _lock.acquire(timeout=5)  # at exit, a daemon thread may be stuck in a step
    try:
        if _server is not None:
            _server.close()
            _server = None
    finally:
        if locked:
            _lock.release()


# --- the caller's side --------------------------------------------------------------------

_lock = threading.Lock()
_server: _Server | None = None
atexit.register(shutdown)


class _Server:
    """The caller's handle on the step server: JSON lines and byte frames over its pipes."""

    def __init__(self) -> None:
        package_parent = str(Path(__file__).resolve().parents[2])
        # sys.path[0] is the cwd under -c: a user's select.py there must not shadow the stdlib
        code = (f"import sys; sys.path[0] = {package_parent!r}; "
                "from pytest_orchestrator.executors.step_server import serve; serve()")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, start_new_session=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in: IO[bytes] = self.proc.stdin
        self._replies: IO[bytes] = self.proc.stdout
        self._out = self._replies.fileno()
        self._buffer = bytearray()
        self.sent = SentContext()  # the context this server holds, as this side sent it

    def send(self, data: bytes) -> None:
        self._in.write(data)
        self._in.flush()

    def read_line(self, deadline: float | None) -> bytes | None:
        """The next line, or None at the deadline; EOFError if the server is gone."""
        while (end := self._buffer.find(b"\n")) < 0:
            if not self._fill(deadline):
                return None
        return self.read_exact(end + 1)[:-1]

    def read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill(None)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _fill(self, deadline: float | None) -> bool:
        wait = None if deadline is None else max(0.0, deadline - time.perf_counter())
        if not select.select([self._out], [], [], wait)[0]:
            return False
        chunk = os.read(self._out, 1 << 16)
        if not chunk:
            raise EOFError
        self._buffer += chunk
        return True

    def close(self) -> None:
        """End of input stops the server, after it killed whatever a running step started;
        one that does not stop is killed with its group."""
        with contextlib.suppress(OSError):
            self._in.close()
        try:
            self.proc.wait(REAP_LIMIT + 5)
        except subprocess.TimeoutExpired:
            kill_group(self.proc.pid)
            self.proc.wait()
        self._replies.close()


class SentContext:
    """The caller's copy of the context a step server holds (the values themselves: the
    context gives the same objects while a key is unchanged), to send only what changed.

    Given a step's :class:`Context` view rather than its values, it reads only the writes
    committed since the step before, when the view it holds is contained in this one's: the
    step before is an ancestor of this one (so all it saw, this one sees) and none of the
    writers it did not see is seen now. A chain's step then costs the same at any length.
    Elsewhere (the first step, another recipe row, a backend that cannot list its writes
    since a position, another branch of the DAG) the whole view is compared."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._backend: Any = None  # held: a new backend must not be taken for it by its id
        self._view: tuple[str, str] | None = None  # (namespace, step) of the values
        self._position = 0
        self._hidden: set[str] = set()  # the steps that wrote what that step did not see

    def change_for(self, ctx: Context) -> ContextChange:
        """What to send for the server to hold what ``ctx`` sees; from now on it holds that."""
        since = getattr(ctx.backend, "since", None)
        if since is None or ctx.pending or not self._follows(ctx):
            position = since(ctx.namespace, 0)[0] if since else 0
            change = self.change(ctx.snapshot())
            if since is not None and not ctx.pending:
                self._backend, self._view, self._position = ctx.backend, (ctx.namespace,
                                                                          ctx.step), position
                self._hidden = _hidden_writers(ctx)
            return change
        self._position, records = since(ctx.namespace, self._position)
        self._view = (ctx.namespace, ctx.step)
        return self._apply_records(ctx, records)

    def _follows(self, ctx: Context) -> bool:
        if self._view is None or ctx.backend is not self._backend \
                or self._view[0] != ctx.namespace:
            return False
        sees = ctx.sees
        before = self._view[1]
        return sees is None or (sees([before]) == [before] and not sees(list(self._hidden)))

    def _apply_records(self, ctx: Context, records: list[WriteRecord]) -> ContextChange:
        sees, held = ctx.sees, self.values
        seen: dict[str, bool] = {}
        put: dict[str, Any] = {}
        merge: dict[str, dict[str, Any]] = {}
        again: set[str] = set()  # keys to read whole
        for record in records:
            writer, key = record.step, record.key
            if writer not in seen:
                seen[writer] = sees is None or bool(sees([writer]))
            if not seen[writer]:
                self._hidden.add(writer)
            elif not key.startswith(RESERVED_PREFIX) or key not in held or key in again:
                again.add(key)
            elif any(entry in held[key] for entry in record.after):
                again.add(key)  # an entry written again: which one wins is the DAG's call
            else:
                merge.setdefault(key, {}).update(record.after)
        for key in again:
            merge.pop(key, None)
            value = ctx.get_committed(key, _NOTHING)  # a copy: this one holds it
            if value is not _NOTHING:
                put[key] = value
        for key, entries in merge.items():
            held[key].update(entries)  # a dict made for this copy alone
        held.update(put)
        return {"put": put, "merge": merge, "drop": []}

    def change(self, visible: dict[str, Any]) -> ContextChange:
        """What to send for the server to hold ``visible``; from now on it holds that."""
        self._view = None
        put: dict[str, Any] = {}
        merge: dict[str, dict[str, Any]] = {}
        held = self.values
        for key, value in visible.items():
            old = held.get(key, _NOTHING)
            if old is value:
                continue
            added = _added(old, value)
            if added is not None:
                merge[key] = added
            elif old != value:
                put[key] = value
        drop = [key for key in held if key not in visible]
        self.values = dict(visible)
        return {"put": put, "merge": merge, "drop": drop}


_NOTHING = object()


def _hidden_writers(ctx: Context) -> set[str]:
    """The steps that committed a key of the namespace that ``ctx`` does not see."""
    sees = ctx.sees
    if sees is None:
        return set()
    hidden: set[str] = set()
    for key in ctx.backend.keys(ctx.namespace):
        state = ctx.backend.state(ctx.namespace, key)
        if state is not None:
            writers = list(state.writers)
            hidden.update(set(writers) - set(sees(writers)))
    return hidden


def _added(old: Any, new: Any) -> dict[str, Any] | None:
    """The entries ``new`` adds to ``old`` when it only adds some (both dicts, every entry
    of ``old`` the same object in ``new``, and at least one more), else None."""
    if not (isinstance(old, dict) and isinstance(new, dict)) or len(new) <= len(old):
        return None
    if any(new.get(k, _NOTHING) is not v for k, v in old.items()):
        return None
    return {k: v for k, v in new.items() if k not in old}


def _started_server() -> _Server:
    global _server
    if _server is None or _server.proc.poll() is not None:
        if _server is not None:
            _server.close()
        _server = _Server()
    return _server


def _discard_server() -> None:
    global _server
    if _server is not None:
        _server.close()
        _server = None


def _exchange(request: bytes | Callable[[_Server], bytes], timeout: float | None) -> Reply:
    """The timeout counts from the moment the step's process exists: starting the server
    (once, slower on a loaded machine) is not the step's time, though it is bounded too."""
    start = time.perf_counter()
    pid, header = 0, None
    try:
        server, started, timed_out = _start_step(
            request, None if timeout is None else start + max(timeout, _START_LIMIT))
        if started is not None:
            pid = int(json.loads(started)["pid"])
            deadline = None if timeout is None else time.perf_counter() + timeout
            if timed_out:
                kill_group(pid)
                header = server.read_line(time.perf_counter() + _KILL_GRACE)
            else:
                header, timed_out = _await(server, deadline, pid)
        if header is None:  # the server did not answer even after the kill
            kill_group(pid)
            _discard_server()
            return Reply(None, timed_out=True, wall=time.perf_counter() - start)
        done = json.loads(header)
        report = server.read_exact(done["report_bytes"])
    except (EOFError, BrokenPipeError):
        kill_group(pid)
        _discard_server()
        return Reply(None, wall=time.perf_counter() - start, lost=True)
    except BaseException:  # KeyboardInterrupt: nothing of the step may survive
        kill_group(pid)
        _discard_server()  # the server kills what the step started, then ends
        raise
    return Reply(done, report, timed_out, time.perf_counter() - start)


def _start_step(request: bytes | Callable[[_Server], bytes], deadline: float | None
                ) -> tuple[_Server, bytes | None, bool]:
    """Send the request and await the step's pid. A server found dead before the step
    started (killed since the last step) is replaced, once."""
    try:
        server = _started_server()
        server.send(request if isinstance(request, bytes) else request(server))
        return server, *_await(server, deadline, 0)
    except (EOFError, BrokenPipeError):
        _discard_server()
    server = _started_server()
    server.send(request if isinstance(request, bytes) else request(server))
    return server, *_await(server, deadline, 0)


def _await(server: _Server, deadline: float | None, pid: int) -> tuple[bytes | None, bool]:
    """The server's next line, and whether the deadline passed: then the step's group is
    killed and the server has a grace period to report how the step ended."""
    line = server.read_line(deadline)
    if line is not None:
        return line, False
    kill_group(pid)
    return server.read_line(time.perf_counter() + _KILL_GRACE), True


def _result(step: str, reply: Reply, timeout: float | None) -> ChildResult:
    if reply.done is None:
        outcome = StepOutcome(step, executor="child", usage=Usage(wall=reply.wall))
        if reply.lost:
            return ChildResult(outcome.fail("the child-process server exited during the step"),
                               {})
        return ChildResult(outcome.fail(f"timeout after {timeout or 0:g}s", 124), {})
    done = cast(Done, reply.done)
    report = cast(Report, json.loads(reply.report)) if reply.report else None
    outcome = StepOutcome(step, executor="child", usage=Usage(
        wall=reply.wall, cpu_user=done["cpu_user"], cpu_sys=done["cpu_sys"],
        peak_rss=done["peak_rss"]))
    writes: dict[str, Any] = {}
    if reply.timed_out:  # even if it ended just before the kill: it was too late
        outcome.fail(f"timeout after {timeout or 0:g}s", 124)
    elif report is None or done["wait_status"] != 0:
        outcome.fail(*_crash(done["wait_status"]))
    elif "error" in report:
        outcome.stderr = report["error"]
        outcome.fail("the child process could not run the step: "
                     + report["error"].strip().splitlines()[-1])
    else:
        _fill_outcome(outcome, report)
        writes = report.get("writes", {}) if outcome.passed else {}
    outcome.stderr += done["stderr"]
    outcome.stdout_logs += done["stdout"]
    return ChildResult(outcome, writes)


def _fill_outcome(outcome: StepOutcome, report: Report) -> None:
    envelope = report.get("envelope")
    if envelope is not None:
        outcome.envelope = Envelope(str(envelope[0]), dict(envelope[1]))
    outcome.failure = report.get("failure", "")
    outcome.exit_code = report.get("exit_code", 0)
    outcome.stderr = report.get("stderr", "")
    outcome.stdout_logs = report.get("stdout_logs", "")
    outcome.traceback = report.get("traceback", "")


def _crash(wait_status: int) -> tuple[str, int]:
    """The failure message and exit code of a step process that sent no result."""
    code = os.waitstatus_to_exitcode(wait_status)
    if code >= 0:
        return f"child process exited with code {code} without a result", code or 1
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = str(-code)
    hint = " (out of memory, or killed from outside)" if -code == signal.SIGKILL else ""
    return f"child process killed by signal {name}{hint}", 128 - code
