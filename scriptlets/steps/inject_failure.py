"""inject_failure: a step that fails on purpose, to show retries, skips and resume."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.safety import project_path
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import check_params

REASON = "injected failure (switch it off with enabled: false)"
#: ORCH_INJECT_FAILURE set to one of these switches the failure off for a whole run.
OFF = ("0", "false", "no", "off")
#: With ``enabled_env: NAME``, NAME set to one of these switches the failure on.
ON = ("1", "true", "yes", "on")


class StateFileError(Exception):
    """The state file holds something other than this scriptlet's call counter."""


def count_call(path: str) -> int:
    """Add one to the call counter kept in ``path`` (created at 0) and return the new count."""
    calls = 0
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as fh:
                calls = json.load(fh)["calls"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateFileError(f"state_file {path}: not a call counter ({exc})") from None
        if not isinstance(calls, int) or isinstance(calls, bool):
            raise StateFileError(f"state_file {path}: not a call counter ({calls!r})")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"calls": calls + 1}, fh)
    return calls + 1


class InjectFailure(BaseScriptlet):
    """Fail on purpose, unless switched off; or fail the first N calls and then pass.

    Params:
      enabled     false switches the failure off (default true). The environment variable
                  ORCH_INJECT_FAILURE=0 (or false/no/off) switches it off too.
      enabled_env the name of an environment variable that switches the failure on: the
                  step fails only while that variable is 1 (or true/yes/on) and passes when
                  it is unset or anything else. ``enabled_env: ORCH_INJECT_FAILURE`` makes a
                  step that passes by default and fails on ``ORCH_INJECT_FAILURE=1``.
      fail_times  fail only the first N calls, then pass (int >= 0; needs ``state_file``):
                  with ``retry: {max: 2}`` and fail_times 2 the step passes on its 3rd attempt.
      state_file  a JSON file counting the calls ({"calls": k}), created if missing; delete
                  it to start counting again. It must lie inside the project or the run's
                  artifact folder; a relative path is from the project root.
    Input: none.
    Outputs: resilience.inject_ok_v1 = {"attempt": k, "enabled": bool}, k being this call's
    number in the state file (1 without one).
    Exit codes: 0 passed (switched off, or past fail_times); 1 the injected failure, reason
    "injected failure (switch it off with enabled: false)" — with enabled_env, "injected
    failure (switched on by NAME=value)" — and details.attempt, or a refused param (a
    state_file outside the project...); 3 the state file holds something else than a call
    counter.
    """

    parallelizable = False  # the state file counts the calls of one step

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("enabled", "enabled_env", "fail_times", "state_file"))
        if not isinstance(params.get("enabled", True), bool):
            raise ValueError(f"enabled must be true or false, got {params['enabled']!r}")
        name = params.get("enabled_env")
        if name is not None and (not isinstance(name, str) or not name.isidentifier()):
            raise ValueError(f"enabled_env must name an environment variable, got {name!r}")
        fail_times = params.get("fail_times")
        if fail_times is not None and (not isinstance(fail_times, int)
                                       or isinstance(fail_times, bool) or fail_times < 0):
            raise ValueError(f"fail_times must be an integer >= 0, got {fail_times!r}")
        if fail_times is not None and not isinstance(params.get("state_file"), str):
            raise ValueError("fail_times needs a state_file (a path) to count the calls in")
        if "state_file" in params:
            if not isinstance(params["state_file"], str):
                raise ValueError(f"state_file must be a path, got {params['state_file']!r}")
            project_path(params["state_file"], "state_file")

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        enabled = params.get("enabled", True) and \
            os.environ.get("ORCH_INJECT_FAILURE", "1").strip().lower() not in OFF
        if "enabled_env" in params:
            enabled = enabled and \
                os.environ.get(params["enabled_env"], "").strip().lower() in ON
        try:
            attempt = count_call(str(project_path(params["state_file"], "state_file"))) \
                if "state_file" in params else 1
        except StateFileError as exc:
            return self.emit_error(str(exc), details={"state_file": params["state_file"]},
                                   exit_code=3)
        fail_times = params.get("fail_times")
        if enabled and (fail_times is None or attempt <= fail_times):
            print(f"inject_failure: failing call {attempt} on purpose", file=sys.stderr)
            reason = REASON
            if "enabled_env" in params:
                name = params["enabled_env"]
                reason = f"injected failure (switched on by {name}={os.environ[name]})"
            return self.emit_error(reason, details={"attempt": attempt, "fail_times": fail_times})
        ctx.set("resilience.inject_ok_v1", {"attempt": attempt, "enabled": bool(enabled)})
        print(f"inject_failure: call {attempt} passes (enabled={bool(enabled)})", file=sys.stderr)
        return self.emit_ok(["resilience.inject_ok_v1"], metrics={"attempt": attempt})


if __name__ == "__main__":
    raise SystemExit(InjectFailure.main())
