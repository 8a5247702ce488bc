"""Run a Python scriptlet in this process, its stdout and stderr captured."""

from __future__ import annotations

import io
import os
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


def invoke(cls: type[BaseScriptlet], step: str, ctx: Context,
           params: dict[str, Any]) -> StepOutcome:
    """validate() then run() the scriptlet; turn what it printed or returned into an outcome."""
    out, err = io.StringIO(), io.StringIO()
    outcome = StepOutcome(step)
    returned: object = None
    try:
        with redirect_stdout(out), redirect_stderr(err):
            scriptlet = cls(step)
            scriptlet.validate(ctx, params)
            returned = scriptlet.run(ctx, params)
    except SystemExit as exc:  # a classic scriptlet may end with sys.exit(code)
        returned = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:
        if not isinstance(exc, Exception):  # KeyboardInterrupt, pytest's own outcomes
            ctx.rollback()
            raise
        ctx.rollback()
        outcome.stderr = err.getvalue()
        if isinstance(exc, ContextUnavailable):  # the store went away, not the scriptlet
            return outcome.fail(str(exc))
        outcome.traceback = scriptlet_traceback(exc)
        return outcome.fail(f"{type(exc).__name__}: {exc}")
    outcome.stderr = err.getvalue()
    _read_result(outcome, ctx, returned, out.getvalue())
    if not outcome.failure and outcome.envelope is not None:
        apply_sets(outcome, ctx)
    if not outcome.passed:
        ctx.rollback()
    return outcome


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
