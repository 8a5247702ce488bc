"""The step server that child.py starts: one forked process per Python step or success check,
and the commands of shell and exec steps. It never imports pytest. It is a child subreaper:
whatever a step started is its descendant until it kills it, when the step ends or when the
caller goes away (pytest ended or was killed)."""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import json
import os
import select
import sys
import tempfile
import traceback
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypedDict, cast

from ..context import Context
from ..context.memory import MemoryBackend
from ..scriptlet import load_class
from .command import CommandRequest, serve_command
from .inprocess import invoke
from .reaper import die_with_parent, kill_all_children, kill_group, set_subreaper
from .resources import from_rusage

if TYPE_CHECKING:
    import resource

#: Of what a step wrote to its stdout/stderr file descriptors, the last bytes kept.
LOG_TAIL_BYTES = 64 * 1024
_SEED_STEP = "(visible)"


# --- what crosses the pipes ---------------------------------------------------------------

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


class CheckRequest(TypedDict):
    """A success check to run where it can be stopped: ``value`` against the JSON Schema."""

    schema: dict[str, Any]
    value: Any


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


class Done(TypedDict):
    """How the step process ended; ``report_bytes`` bytes of its Report follow."""

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
    CommandRequest), one fresh process for each.

    Replies ``{"pid": N}`` once the process exists, then a line of how it ended and
    ``report_bytes`` bytes of its report. Ends when its input ends (the caller has gone),
    killing the running step and all it started first."""
    set_subreaper()
    gc.freeze()  # the imported modules stay shared with every step process, unwritten
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while line := requests.readline():
        request = json.loads(line)
        if "argv" in request:
            replies.write(json.dumps(serve_command(cast(CommandRequest, request), replies))
                          .encode() + b"\n")
        else:
            replies.write(_serve_one(request, replies))
        replies.flush()
    sys.exit(0)


#: The context the steps see, kept between requests; a step process inherits it by fork.
_VISIBLE = MemoryBackend()


def _serve_one(request: Request | CheckRequest, replies: IO[bytes]) -> bytes:
    """Fork the step's process, tell its pid, wait for it; return how it ended."""
    if "context" in request:
        _apply(cast(Request, request)["context"])
    if "schema" in request and "jsonschema" not in sys.modules:
        import jsonschema  # noqa: F401  (once here, not in every check's process)

        gc.freeze()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as report:
        pid = os.fork()
        if pid == 0:
            _step_process(request, out.fileno(), err.fileno(), report.fileno())
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
    """Wait for the step process; kill what is left of its group before reaping it (while
    its zombie holds the group id, so the id cannot have been reused), then every process
    it left. If the caller goes away meanwhile, kill the step and all it started, and stop."""
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
        sys.exit(0)
    return status, rusage


def _read(file: IO[bytes], tail: int | None = None) -> bytes:
    size = file.seek(0, os.SEEK_END)
    file.seek(0 if tail is None else max(0, size - tail))
    return file.read()


def _step_process(request: Request | CheckRequest, stdout: int, stderr: int,
                  report: int) -> NoReturn:
    """In the forked process: own session, captured file descriptors, run, report, exit."""
    try:
        die_with_parent()
        os.setsid()
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        faulthandler.enable()  # a crash prints the Python stack to the captured stderr
        data = json.dumps(_run_check(cast(CheckRequest, request)) if "schema" in request
                          else _run_step(request))
    except BaseException:
        data = json.dumps({"error": traceback.format_exc()})
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    with open(report, "wb", closefd=False) as fh:
        fh.write(data.encode())
    os._exit(0)


def _run_step(request: Request) -> Report:
    sys.path[:] = request["path"]
    os.chdir(request["cwd"])
    if dict(os.environ) != request["env"]:
        os.environ.clear()
        os.environ.update(request["env"])
    step = request["step"]
    ctx = Context(_VISIBLE, "step", step=step, policy="last_write_wins")
    try:
        cls = load_class(request["module"], request["function"])
    except LookupError as exc:
        return {"failure": str(exc.args[0]), "exit_code": 1}
    outcome = invoke(cls, step, ctx, request["params"])
    envelope = None if outcome.envelope is None else [outcome.envelope.status,
                                                      outcome.envelope.raw]
    return {"envelope": envelope, "failure": outcome.failure, "exit_code": outcome.exit_code,
            "stderr": outcome.stderr, "stdout_logs": outcome.stdout_logs,
            "traceback": outcome.traceback,
            "writes": ctx.pending if outcome.passed else {}}


def _run_check(request: CheckRequest) -> dict[str, str]:
    from ..success import schema_problem

    return {"failure": schema_problem(request["schema"], request["value"]) or ""}


def _apply(change: ContextChange) -> None:
    """Bring the kept context up to date. It lets any step overwrite any key: conflicts are
    the caller's to judge when it applies the writes, knowing who wrote what; shapes are
    still locked here, as the caller would lock them."""
    _VISIBLE.forget("step", change["drop"])
    _VISIBLE.load("step", change["put"], _SEED_STEP)
    for key, entries in change["merge"].items():
        state = _VISIBLE.state("step", key)
        assert state is not None and isinstance(state.value, dict), key
        state.value.update(entries)  # its only writer's value is the same dict
