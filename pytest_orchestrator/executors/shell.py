"""Run a shell or exec step's command without a shell, in its own process group: the step
server starts it (``command.py``) and kills whatever it left running when it exits, in its
group or not; this side turns what it reports into the step's outcome."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping, Sequence
from typing import cast

from ..envelope import check_size, parse_envelope
from ..errors import OrchestratorError
from . import StepOutcome
from .command import CommandDone, CommandRequest
from .inprocess import check_exit_code
from .resources import Usage


def run_command(step: str, argv: Sequence[str], env: Mapping[str, str], cwd: str,
                timeout: float | None) -> StepOutcome:
    """Run ``argv``; read one envelope from its stdout; kill all it started on timeout."""
    from .child import ask

    outcome = StepOutcome(step, argv=list(argv))
    request: CommandRequest = {"argv": list(argv), "env": dict(env), "cwd": cwd}
    reply = ask(json.dumps(request).encode() + b"\n", timeout)
    outcome.usage = Usage(wall=reply.wall)
    if reply.lost:
        return outcome.fail("the step server exited during the step")
    if reply.done is None:
        return outcome.fail(f"timeout after {timeout or 0:g}s", 124)
    done = cast(CommandDone, reply.done)
    if done["start_error"]:
        return outcome.fail(f"cannot start {argv[0]}: {done['start_error']}", 126)
    outcome.usage = Usage(wall=reply.wall, cpu_user=done["cpu_user"], cpu_sys=done["cpu_sys"],
                          peak_rss=done["peak_rss"])
    outcome.stderr = done["stderr"]
    if reply.timed_out:
        return outcome.fail(f"timeout after {timeout or 0:g}s", 124)
    _read_stdout(outcome, done, os.waitstatus_to_exitcode(done["wait_status"]))
    return outcome


def _read_stdout(outcome: StepOutcome, done: CommandDone, code: int) -> None:
    if code < 0:
        outcome.exit_code = 128 - code
        outcome.fail(f"killed by signal {signal.Signals(-code).name}")
        return
    try:
        check_size(done["stdout_bytes"])
        outcome.envelope = parse_envelope(done["stdout"])
    except OrchestratorError as exc:
        outcome.exit_code = code
        prefix = f"exited with code {code} and " if code else ""
        outcome.fail(prefix + str(exc))
        return
    check_exit_code(outcome, code)
