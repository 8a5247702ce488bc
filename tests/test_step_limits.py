"""What one step may not do to the session: end it (``os._exit``, a KeyboardInterrupt of its
own), hang it (a loop without a timeout: the session's default timeout, pytest-timeout), or
stall it in a success check. A real Ctrl-C still interrupts the session."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import QUIET_PLUGINS, WARNINGS_ARE_ERRORS, Project, step

HEAD = "test_meta:\n  test_id: LIM-1\nsteps:\n"
WORKTREE = str(Path(__file__).resolve().parents[1])

STEPS = '''
import os
import time

from pytest_orchestrator import BaseScriptlet


class Exit(BaseScriptlet):
    def run(self, ctx, params):
        ctx.set("lim.partial_v1", 1)
        os._exit(3)


class Interrupt(BaseScriptlet):
    """Raises KeyboardInterrupt itself, as some libraries do on a lost connection."""

    def run(self, ctx, params):
        ctx.set("lim.partial_v1", 1)
        raise KeyboardInterrupt("the device closed the session")


class Wait(BaseScriptlet):
    """Says it started, then waits for ever (Python code: signals get through)."""

    def run(self, ctx, params):
        ctx.set("lim.partial_v1", 1)
        if params.get("flag"):
            open(params["flag"], "w").close()
        while True:
            time.sleep(0.05)


class Text(BaseScriptlet):
    def run(self, ctx, params):
        return {"lim.text_v1": params["text"]}
'''


@pytest.fixture
def limits(project: Project) -> Project:
    project.write("steps/limits.py", STEPS)
    return project


def limited(name: str, cls: str, **fields: object) -> str:
    lines = [f"  - name: {name}", "    module: steps.limits", f"    function: {cls}"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


NOTHING_WRITTEN = """
    def test_nothing_written(orchestrator_context):
        assert orchestrator_context.recipe("LIM-1").get("lim.partial_v1") is None
    """


def test_os_exit_in_an_inprocess_step_fails_only_that_step(limits: Project) -> None:
    limits.recipe("r", HEAD + limited("exits", "Exit") + step("after", depends_on=[]))
    limits.write("test_zz_check.py", NOTHING_WRITTEN)
    result = limits.run_subprocess()  # before the fix, os._exit ended pytest itself
    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines([
        "step 'exits' of LIM-1 failed (exit 3): the scriptlet called os._exit(3) in pytest's "
        "process; the step fails instead of the session. A step that must end its process "
        "runs in a child: set requires_process: true"])


def test_a_keyboard_interrupt_raised_by_a_scriptlet_fails_only_that_step(limits: Project) -> None:
    limits.recipe("r", HEAD + limited("interrupts", "Interrupt") + step("after", depends_on=[])
                  + limited("in_child", "Interrupt", requires_process=True, depends_on=[]))
    limits.write("test_zz_check.py", NOTHING_WRITTEN)
    result = limits.run()
    result.assert_outcomes(failed=2, passed=2)
    result.stdout.fnmatch_lines([
        "step 'interrupts' of LIM-1 failed (exit 1): KeyboardInterrupt raised by the scriptlet "
        "(no Ctrl-C was pressed): the device closed the session"])
    result.stdout.fnmatch_lines(["step 'in_child' of LIM-1 failed (exit 1): KeyboardInterrupt "
                                 "raised by the scriptlet (no Ctrl-C was pressed)*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_session_puts_back_the_sigint_handler_its_steps_watched_through(
        limits: Project) -> None:
    before = signal.getsignal(signal.SIGINT)
    limits.recipe("r", HEAD + limited("one", "Text", args={"text": "a"}) + step("two"))
    result = limits.run("-p", "no:randomly")  # in this process: its handler is ours to check
    result.assert_outcomes(passed=2)
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_during_an_inprocess_step_still_interrupts_the_session(limits: Project) -> None:
    flag = limits.root / "started"
    limits.recipe("r", HEAD + limited("waits", "Wait", args={"flag": str(flag)})
                  + step("after", depends_on=[]))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [WORKTREE, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])}
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *QUIET_PLUGINS, "-p", "no:randomly",
                             "-p", "no:cacheprovider", "recipes/r.yaml"],
                            cwd=limits.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60  # hang guard: the step starts within seconds
        while not flag.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the step never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "KeyboardInterrupt" in out


def test_a_step_without_a_timeout_is_killed_after_the_default_timeout(limits: Project) -> None:
    limits.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = steps\n"
                            "orchestrator_default_timeout = 1.5\n" + WARNINGS_ARE_ERRORS)
    limits.recipe("r", HEAD + limited("waits", "Wait") + step("after", depends_on=[])
                  + limited("own", "Text", timeout=30, args={"text": "x"}, depends_on=[]))
    limits.write("test_zz_check.py", NOTHING_WRITTEN)
    result = limits.run()
    result.assert_outcomes(failed=1, passed=3)
    result.stdout.fnmatch_lines(["step 'waits' of LIM-1 failed (exit 124): timeout after 1.5s"])
    plan = limits.run("--dry-run")
    plan.stdout.fnmatch_lines(["*waits*child*", "*after*child*", "*own*child*"])


@pytest.mark.parametrize("value", ["soon", "-1", "inf"])
def test_a_bad_default_timeout_is_one_clear_usage_error(limits: Project, value: str) -> None:
    limits.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = steps\n"
                            f"orchestrator_default_timeout = {value}\n")
    limits.recipe("r", HEAD + step("produce"))
    result = limits.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        f"ERROR: ini option orchestrator_default_timeout: '{value}' is not a number of "
        "seconds; give a positive number, or 0 (or nothing) for no default timeout"])
    assert "Traceback" not in result.stderr.str()


def test_pytest_timeout_fails_a_step_with_a_structured_reason_in_the_store(
        limits: Project) -> None:
    pytest.importorskip("pytest_timeout")
    limits.recipe("r", HEAD + limited("waits", "Wait") + step("after", depends_on=[]))
    limits.write("test_zz_check.py", NOTHING_WRITTEN)
    result = limits.run("--timeout", "1", "--timeout-method", "signal")
    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines([
        "step 'waits' of LIM-1 failed (exit 124): timeout after 1s (pytest-timeout)"])
    with sqlite3.connect(limits.root / ".orchestrator" / "results.db") as db:
        outcome, exit_code, executor, envelope = db.execute(
            "select outcome, exit_code, executor, envelope from steps where step = 'waits'"
        ).fetchone()
    assert (outcome, exit_code, executor) == ("failed", 124, "inprocess")
    assert json.loads(envelope)["reason"] == "timeout after 1s (pytest-timeout)"


def test_a_backtracking_pattern_in_a_success_check_fails_the_step_when_its_timeout_passes(
        limits: Project) -> None:
    schema = {"lim.text_v1": {"type": "string", "pattern": "(a+)+$"}}
    limits.recipe("r", HEAD + limited("text", "Text", args={"text": "a" * 40 + "!"}, timeout=2,
                                      success={"ctx_schema": schema})
                  + step("after", depends_on=[]))
    start = time.monotonic()
    result = limits.run()
    assert time.monotonic() - start < 60  # a hang guard: the pattern alone takes hours
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines([
        "step 'text' of LIM-1 failed (exit 1): success check exceeded 2s (the step's timeout) "
        "and was stopped: ctx_schema of 'lim.text_v1'; a regular expression that backtracks, "
        "such as (a+)+$, can run for ever: simplify the pattern"])


def test_a_success_check_with_a_pattern_still_judges_the_value(limits: Project) -> None:
    schema = {"lim.text_v1": {"type": "string", "pattern": "^[a-z]+$"}}
    head = HEAD.replace("steps:", "conflict: last_write_wins\nsteps:")
    limits.recipe("r", head + limited("good", "Text", args={"text": "abc"},
                                      success={"ctx_schema": schema})
                  + limited("bad", "Text", args={"text": "ABC"}, depends_on=[],
                            success={"ctx_schema": schema}))
    result = limits.run()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines([
        "step 'bad' of LIM-1 failed (exit 1): success check ctx_schema: lim.text_v1: "
        "'ABC' does not match '^[a-z]+$'"])


def test_a_schema_the_check_cannot_use_is_one_clear_collection_error(
        limits: Project) -> None:
    limits.recipe("r", HEAD + limited("text", "Text", args={"text": "abc"},
                                      success={"ctx_schema": {"lim.text_v1": {"type": "strin"}}}))
    result = limits.run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "recipes/r.yaml:*: steps[[]0[]].success.ctx_schema.lim.text_v1.type: not a valid JSON "
        "Schema: 'strin' is not valid under any of the given schemas*"])
    assert "Traceback" not in result.stdout.str()
