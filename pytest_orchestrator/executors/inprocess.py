"""Run a Python scriptlet in this process, its stdout and stderr captured; what it might do to
the process around it (``os._exit()``, a ``KeyboardInterrupt`` of its own, processes left
running) ends with the step."""

from __future__ import annotations

import io
import os
import signal
import threading
import traceback
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..envelope import Envelope, ok_envelope, parse_envelope
from ..errors import ContextUnavailable, OrchestratorError
from . import StepOutcome

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep

if TYPE_CHECKING:
    from ..context import Context
    from ..scriptlet import BaseScriptlet


def run_here(cls: type[BaseScriptlet], step: str, ctx: Context,
             params: dict[str, Any]) -> StepOutcome:
    """An in-process step: measured; ``os._exit()`` fails the step instead of ending pytest;
    the processes it started are killed and reaped when it ends, whatever they did."""
    from .reaper import StepChildren
    from .resources import InProcessMeter

    with InProcessMeter() as meter, StepChildren():
        outcome = invoke(cls, step, ctx, params, contain_exit=True)
    outcome.usage = meter.usage
    return outcome


def invoke(cls: type[BaseScriptlet], step: str, ctx: Context, params: dict[str, Any],
           contain_exit: bool = False) -> StepOutcome:
    """validate() then run() the scriptlet; turn what it printed or returned into an outcome.

    A KeyboardInterrupt the scriptlet raises fails the step; one from a real SIGINT (Ctrl-C)
    goes on interrupting the session. With ``contain_exit``, ``os._exit()`` called from this
    thread fails the step instead of ending this process."""
    out, err = io.StringIO(), io.StringIO()
    outcome = StepOutcome(step)
    returned: object = None
    guard = _Guard(contain_exit)
    try:
        with guard, redirect_stdout(out), redirect_stderr(err):
            scriptlet = cls(step)
            scriptlet.validate(ctx, params)
            returned = scriptlet.run(ctx, params)
    except SystemExit as exc:  # a classic scriptlet may end with sys.exit(code)
        returned = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:
        ctx.rollback()
        if not isinstance(exc, Exception) and not guard.owns(exc):
            raise  # a real Ctrl-C, pytest's own outcomes (skip, fail, exit)
        outcome.stderr = err.getvalue()
        if isinstance(exc, ContextUnavailable):  # the store went away, not the scriptlet
            return outcome.fail(str(exc))
        outcome.traceback = scriptlet_traceback(exc) if guard.owns(exc) is not _EXIT else ""
        return outcome.fail(*guard.failure(exc))
    outcome.stderr = err.getvalue()
    _read_result(outcome, ctx, returned, out.getvalue())
    if not outcome.failure and outcome.envelope is not None:
        apply_sets(outcome, ctx)
    if not outcome.passed:
        ctx.rollback()
    return outcome


class _Exit(BaseException):
    """``os._exit(code)`` called by an in-process scriptlet: it ends the step, not pytest."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


_EXIT = "exit"


class _SigintWatch:
    """Counts the SIGINTs (Ctrl-C) that arrive while in-process steps run and hands each on
    to the handler that was there before (pytest's raises KeyboardInterrupt). Put in place at
    the first step and left there until the session ends (:func:`release_sigint`), so a step
    costs one ``getsignal`` rather than two ``signal`` calls."""

    def __init__(self) -> None:
        self.handler: Any = None
        self.count = 0

    def arm(self) -> bool:
        """In place (again, if someone replaced it); False off the main thread, or where the
        handler is not Python's to wrap."""
        if threading.current_thread() is not threading.main_thread():
            return False
        current = signal.getsignal(signal.SIGINT)
        if current != self._note:
            if not callable(current):
                return False
            self.handler = current
            signal.signal(signal.SIGINT, self._note)
        return True

    def _note(self, signum: int, frame: Any) -> Any:
        self.count += 1
        return self.handler(signum, frame)

    def release(self) -> None:
        """The handler from before back in place."""
        if self.handler is not None and threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) == self._note:
            signal.signal(signal.SIGINT, self.handler)
        self.handler = None


_SIGINT = _SigintWatch()
release_sigint = _SIGINT.release
#: Put the watcher in place now (a reused child process does, before it takes the state each
#: step must leave it in).
watch_sigint = _SIGINT.arm


class _Guard:
    """While a scriptlet runs in this thread: notes whether a real SIGINT arrived (before the
    handler pytest expects raises KeyboardInterrupt), and may turn ``os._exit()`` from this
    thread of this process into an exception (other threads, and forked children, still
    exit)."""

    def __init__(self, contain_exit: bool) -> None:
        self.contain_exit = contain_exit
        self._armed = False
        self._count = 0

    @property
    def interrupted(self) -> bool:
        return self._armed and _SIGINT.count != self._count

    def __enter__(self) -> None:
        self._thread, self._pid, self._exit = threading.get_ident(), os.getpid(), os._exit
        if self.contain_exit:
            os._exit = self._contained_exit  # type: ignore[assignment]
        self._armed = _SIGINT.arm()
        self._count = _SIGINT.count

    def __exit__(self, *exc: object) -> None:
        os._exit = self._exit

    def _contained_exit(self, code: int) -> None:
        if threading.get_ident() == self._thread and os.getpid() == self._pid:
            raise _Exit(code)
        self._exit(code)

    def owns(self, exc: BaseException) -> str | None:
        """Whether ``exc`` is the scriptlet's doing, not the session's: what it is."""
        if isinstance(exc, _Exit):
            return _EXIT
        if isinstance(exc, KeyboardInterrupt) and not self.interrupted:
            return "interrupt"
        return None

    def failure(self, exc: BaseException) -> tuple[str, int]:
        """The step's failure message and exit code for what the scriptlet raised."""
        if isinstance(exc, _Exit):
            return (f"the scriptlet called os._exit({exc.code}) in pytest's process; the step "
                    "fails instead of the session. A step that must end its process runs in a "
                    "child: set requires_process: true", exc.code or 1)
        if isinstance(exc, KeyboardInterrupt):
            return ("KeyboardInterrupt raised by the scriptlet (no Ctrl-C was pressed): "
                    f"{exc}".rstrip(": "), 1)
        return f"{type(exc).__name__}: {exc}", 1


def scriptlet_traceback(exc: BaseException) -> str:
    """The traceback of the scriptlet's own frames: none of the framework's."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if not frame.filename.startswith(_PACKAGE_DIR)]
    body = "".join(traceback.StackSummary.from_list(frames).format())
    return f"Traceback (most recent call last):\n{body}{type(exc).__name__}: {exc}\n"


def _read_result(outcome: StepOutcome, ctx: Context, returned: object, stdout: str) -> None:
    if isinstance(returned, Mapping):
        outcome.stdout_logs = stdout
        try:
            for key, value in returned.items():
                ctx.set(key, value)
        except OrchestratorError as exc:
            outcome.fail(str(exc))
            return
        outcome.envelope = Envelope("ok", ok_envelope(list(returned)))
        return
    if returned is None and not stdout.strip():
        outcome.envelope = Envelope("ok", ok_envelope(list(ctx.pending)))
        return
    if returned is not None and (not isinstance(returned, int) or isinstance(returned, bool)):
        outcome.fail(f"run() returned a {type(returned).__name__}; return an int exit code "
                     "(classic) or a mapping of outputs")
        return
    try:
        outcome.envelope = parse_envelope(stdout)
    except OrchestratorError as exc:
        outcome.exit_code = returned or 0
        outcome.fail(str(exc))
        return
    check_exit_code(outcome, returned)


def check_exit_code(outcome: StepOutcome, code: int | None) -> None:
    """The exit code and the envelope's status must agree."""
    env = outcome.envelope
    assert env is not None
    if env.ok:
        outcome.exit_code = code or 0
        if outcome.exit_code != 0:
            outcome.fail(f"exit code {outcome.exit_code} with an 'ok' envelope",
                         outcome.exit_code)
    else:
        outcome.exit_code = code or env.exit_code or 1
        outcome.failure = ""


def apply_sets(outcome: StepOutcome, ctx: Context) -> None:
    """Write the envelope's ``set`` mapping into the step's transaction, as the step."""
    assert outcome.envelope is not None
    try:
        for key, value in outcome.envelope.sets.items():
            ctx.set(key, value, who=outcome.step)
    except OrchestratorError as exc:
        outcome.fail(f"envelope 'set': {exc}")
