"""Run a shell or exec step as a subprocess in its own process group, without a shell."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

from ..envelope import parse_envelope
from ..errors import OrchestratorError
from . import StepOutcome
from .inprocess import check_exit_code

STDERR_TAIL_BYTES = 64 * 1024


def run_command(step: str, argv: Sequence[str], env: Mapping[str, str], cwd: str,
                timeout: float | None) -> StepOutcome:
    """Run ``argv``; read one envelope from its stdout; kill the whole group on timeout."""
    outcome = StepOutcome(step, argv=list(argv))
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=dict(env), cwd=cwd,
                                start_new_session=True)
    except OSError as exc:
        return outcome.fail(f"cannot start {argv[0]}: {exc.strerror}", 126)
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        out, err = proc.communicate()
        timed_out = True
    _kill_group(proc.pid)
    outcome.stderr = err[-STDERR_TAIL_BYTES:].decode("utf-8", "replace")
    if timed_out:
        return outcome.fail(f"timeout after {timeout:g}s", 124)
    _read_stdout(outcome, out.decode("utf-8", "replace"), proc.returncode)
    return outcome


def _read_stdout(outcome: StepOutcome, stdout: str, code: int) -> None:
    if code < 0:
        outcome.exit_code = 128 - code
        outcome.fail(f"killed by signal {signal.Signals(-code).name}")
        return
    try:
        outcome.envelope = parse_envelope(stdout)
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
