"""``orchestrator step`` and the ``run_scriptlet`` fixture: one scriptlet run on its own, from a
user's folder, exactly as a recipe step runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import Project
from pytest_orchestrator.cli import main

GREET = """\
#!/usr/bin/env bash
# NAME: greet.sh  RETURNS: 0 + {"set": {"demo.greeting_v1": ...}}; CODE on request
echo "greeting $NAME as step $ORCH_STEP" >&2
value=$(orchestrator ctx get demo.value_v1 --default none)
if [ -n "${CODE:-}" ]; then
  printf '{"status":"error","reason":"asked to fail","exit_code":%s}\\n' "$CODE"
  exit "$CODE"
fi
printf '{"status":"ok","set":{"demo.greeting_v1":"%s %s"}}\\n' "$NAME" "$value"
"""


def orchestrator_step(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_orchestrator", "step", *args],
                          cwd=project.root, text=True, capture_output=True, timeout=300)


def envelope(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    (line,) = done.stdout.splitlines()  # exactly one line: the envelope
    return dict(json.loads(line))


def test_step_runs_a_class_without_a_main_block_on_a_context_seeded_from_a_file(
        project: Project) -> None:
    project.write("ctx.json", '{"demo.value_v1": 21}')
    done = orchestrator_step(project, "steps.demo:Double", "--context", "ctx.json")
    assert done.returncode == 0, done.stderr
    assert envelope(done) == {"status": "ok", "outputs": ["demo.double_v1"], "artifacts": [],
                              "metrics": {}, "warnings": []}
    assert done.stderr.splitlines() == ["wrote demo.double_v1 = 42"]


def test_step_exits_with_the_scriptlets_code_and_shows_no_write_of_a_failed_step(
        project: Project) -> None:
    done = orchestrator_step(project, "steps.demo:Refuse", "--params", '{"code": 3}',
                             "--step", "check")
    assert done.returncode == 3
    assert {k: v for k, v in envelope(done).items() if k != "ts"} == {
        "status": "error", "reason": "Too few numbers (min=5)", "details": {"count": 3},
        "exit_code": 3, "step": "check"}
    assert "wrote" not in done.stderr  # demo.partial_v1 was never committed


def test_step_runs_a_shell_script_with_its_args_as_environment_variables(
        project: Project) -> None:
    project.script("scripts/greet.sh", GREET)
    project.write("ctx.json", '{"demo.value_v1": 5}')
    done = orchestrator_step(project, "scripts/greet.sh", "--args", '{"name": "leaf1"}',
                             "--context", "ctx.json")
    assert done.returncode == 0, done.stderr
    assert envelope(done) == {"status": "ok", "set": {"demo.greeting_v1": "leaf1 5"}}
    assert done.stderr.splitlines() == ["greeting leaf1 as step greet",
                                        'wrote demo.greeting_v1 = "leaf1 5"']
    failed = orchestrator_step(project, "scripts/greet.sh", "--args", '{"code": 4}')
    assert (failed.returncode, envelope(failed)["reason"]) == (4, "asked to fail")


def test_a_module_outside_the_allow_list_is_refused_with_a_hint_before_any_import(
        project: Project) -> None:
    done = orchestrator_step(project, "os.path:Join")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "orchestrator: os.path:Join: module: 'os.path' is outside the allowed packages (steps)",
        "hint: add its package to the ini option orchestrator_scriptlet_packages"]


@pytest.mark.parametrize(("args", "message"), [
    (["/etc/hostname"], "orchestrator: /etc/hostname: script: '/etc/hostname' is outside the "
                        "project"),
    (["scripts/none.sh"], "orchestrator: scripts/none.sh: script: 'scripts/none.sh' does not "
                          "exist"),
    (["steps.demo:Nope"], "orchestrator: steps.demo:Nope: function: module 'steps.demo' has no "
                          "class 'Nope'"),
    (["steps.demo:Double", "--params", "{src"], "orchestrator: --params: not JSON"),
    (["steps.demo:Double", "--params", "[1]"], "orchestrator: steps.demo:Double: args: a python "
                                               "step takes its args as a mapping of params"),
    (["steps.demo:Double", "--context", "none.json"], "orchestrator: none.json: cannot read the "
                                                      "context file"),
    (["steps.demo:Double", "--context", "bad.json"], "orchestrator: bad.json: bad context key "
                                                     "'value'"),
])
def test_bad_input_is_a_message_naming_what_and_exit_code_2(
        project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: list[str], message: str) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the project's rootdir goes on it
    project.write("bad.json", '{"value": 1}')
    assert main(["step", *args]) == 2
    line, *hint = capsys.readouterr().err.splitlines()
    assert line.startswith(message)
    assert len(hint) <= 1 and all(h.startswith("hint: ") for h in hint)


FIXTURE_TESTS = """
from steps.demo import Double, Produce


def test_a_class_reads_its_seeded_context_and_writes(run_scriptlet):
    result = run_scriptlet(Double, {}, context={"demo.value_v1": 4})
    assert (result.passed, result.exit_code) == (True, 0)
    assert result.writes == {"demo.double_v1": 8}
    assert result.context.history("demo.double_v1")[0]["who"] == "Double"


def test_a_failed_step_writes_nothing(run_scriptlet):
    result = run_scriptlet("steps.demo:Refuse", {"code": 3})
    assert (result.passed, result.exit_code, result.writes) == (False, 3, {})
    assert result.envelope["details"] == {"count": 3}


def test_a_raising_step_shows_its_own_traceback(run_scriptlet):
    result = run_scriptlet("steps.demo:Explode", {})
    assert result.envelope["reason"] == "RuntimeError: device did not answer"
    assert 'steps/demo.py", line' in result.traceback


def test_a_shell_script_and_its_artifacts_folder(run_scriptlet, tmp_path):
    result = run_scriptlet("scripts/greet.sh", {"name": "leaf2"},
                           context={"demo.value_v1": 9})
    assert result.writes == {"demo.greeting_v1": "leaf2 9"}
    assert result.stderr == "greeting leaf2 as step greet\\n"
    assert (tmp_path / "artifacts").is_dir()


def test_a_step_that_requires_a_process_runs_in_a_child(run_scriptlet):
    result = run_scriptlet(Produce, {"value": 2}, step="in_child")
    assert result.context.get("_runner.step_metrics_v1")["in_child"]["executor"] == "inprocess"
"""


def test_the_run_scriptlet_fixture_runs_steps_from_a_projects_test_file(
        project: Project) -> None:
    project.script("scripts/greet.sh", GREET)
    project.write("steps/slow.py", """
        from pytest_orchestrator import BaseScriptlet


        class Isolated(BaseScriptlet):
            requires_process = True

            def run(self, ctx, params):
                import os
                return {"demo.pid_v1": os.getpid()}
        """)
    project.write("test_scriptlets.py", FIXTURE_TESTS + """

def test_requires_process_runs_in_a_child_process(run_scriptlet):
    import os
    from steps.slow import Isolated

    result = run_scriptlet(Isolated)
    assert result.writes["demo.pid_v1"] != os.getpid()
    assert result.context.get("_runner.step_metrics_v1")["Isolated"]["executor"] == "child"


def test_a_class_outside_the_allow_list_is_refused(run_scriptlet):
    import pytest
    from pytest_orchestrator import BaseScriptlet, OrchestratorError

    class Local(BaseScriptlet):
        def run(self, ctx, params):
            return None

    with pytest.raises(OrchestratorError, match="'test_scriptlets' is outside the allowed "
                                                "packages"):
        run_scriptlet(Local)
""")
    project.run("-p", "no:randomly").assert_outcomes(passed=7)
