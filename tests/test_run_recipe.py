"""``pytest_orchestrator.run_recipe`` from a user's folder: in this process, again and again,
and from a script; and ``--orch-param``, which its ``params`` use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import QUIET_PLUGINS, Project, step
from pytest_orchestrator import OrchestratorError, RecipeResult, run_recipe

CHAIN = ("test_meta: {test_id: CHAIN}\nsteps:\n" + step("produce", args={"value": 3})
         + step("double", "Double") + step("seen", "Seen"))
FAILING = ("test_meta: {test_id: FAIL}\nsteps:\n" + step("produce")
           + step("refuse", "Refuse") + step("after", "Seen"))
ROWS = ("test_meta: {test_id: ROWS}\nparametrize: {dut: [leaf1, leaf2], speed: [10]}\nsteps:\n"
        + step("produce", args={"key": "demo.dut_v1", "value": "${param:dut}"}))


def run(path: str, **kwargs: object) -> RecipeResult:
    kwargs.setdefault("pytest_args", [*QUIET_PLUGINS, "-p", "no:randomly"])
    return run_recipe(path, **kwargs)  # type: ignore[arg-type]


def scriptlet_modules() -> list[str]:
    return sorted(name for name in sys.modules if name == "steps" or name.startswith("steps."))


def test_run_recipe_twice_with_different_only_gives_two_independent_results(
        project: Project) -> None:
    project.recipe("chain", CHAIN)
    first = run("recipes/chain.yaml")
    second = run("recipes/chain.yaml", only=["double"])
    assert first.passed and second.passed
    assert first.outcomes == {"produce": "passed", "double": "passed", "seen": "passed"}
    assert second.outcomes == {"double": "passed"}
    assert second.run_id != first.run_id
    assert first.context.get("demo.seen_v1") == ["demo.double_v1", "demo.value_v1"]
    assert second.context.get("demo.seen_v1") is None  # seen did not run the second time
    assert second.context.get("demo.double_v1") == 6
    # produce was restored from the first run's record, not run again
    assert [w["run_id"] for w in second.context.history("demo.value_v1")] == [first.run_id]
    assert [w["run_id"] for w in first.context.history("demo.value_v1")] == [first.run_id]


def test_three_calls_with_skip_resume_from_and_a_failure_each_report_their_own_run(
        project: Project) -> None:
    project.recipe("chain", CHAIN)
    project.recipe("failing", FAILING)
    skipped = run("recipes/chain.yaml", skip="seen")
    failed = run("recipes/failing.yaml")
    resumed = run("recipes/chain.yaml", resume_from="seen")
    assert skipped.outcomes == {"produce": "passed", "double": "passed"}
    assert (failed.passed, failed.exit_code) == (False, 1)
    assert failed.outcomes == {"produce": "passed", "refuse": "failed", "after": "skipped"}
    assert failed.context.to_dict().keys() == {"demo.value_v1", "_runner.step_metrics_v1"}
    assert resumed.outcomes == {"seen": "passed"}
    assert resumed.context.get("demo.seen_v1") == ["demo.double_v1", "demo.value_v1"]
    assert len({skipped.run_id, failed.run_id, resumed.run_id}) == 3


def test_each_call_imports_the_scriptlets_afresh_and_leaves_sys_path_and_modules_as_before(
        project: Project) -> None:
    project.recipe("chain", CHAIN)
    path, modules = list(sys.path), scriptlet_modules()
    before = run("recipes/chain.yaml", only=["produce"])
    edited = project.root / "steps" / "demo.py"
    edited.write_text(edited.read_text().replace('params.get("value", 1)',
                                                 'params.get("value", 1) * 100'))
    after = run("recipes/chain.yaml", only=["produce"])
    assert (before.context.get("demo.value_v1"), after.context.get("demo.value_v1")) == (3, 300)
    assert (sys.path, scriptlet_modules()) == (path, modules)


def test_a_script_can_call_run_recipe_twice(project: Project) -> None:
    project.recipe("chain", CHAIN)
    project.write("notebook.py", f"""
        import json
        from pytest_orchestrator import run_recipe

        args = {list(QUIET_PLUGINS)!r} + ["-q"]
        for only in ([], ["double"]):
            result = run_recipe("recipes/chain.yaml", only=only, pytest_args=args)
            print(json.dumps({{"passed": result.passed, "outcomes": result.outcomes,
                              "double": result.context.get("demo.double_v1")}}))
        """)
    done = subprocess.run([sys.executable, "notebook.py"], cwd=project.root, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert results == [
        {"passed": True, "outcomes": {"produce": "passed", "double": "passed",
                                      "seen": "passed"}, "double": 6},
        {"passed": True, "outcomes": {"double": "passed"}, "double": 6}]
    assert "cannot be rewritten" not in done.stdout + done.stderr


def test_params_replace_a_parametrize_axis_and_each_row_has_its_context(
        project: Project) -> None:
    project.recipe("rows", ROWS)
    one = run("recipes/rows.yaml", params={"dut": ["spine1"]})
    both = run("recipes/rows.yaml", params={"dut": ["spine1", "spine2"], "speed": 40})
    assert one.outcomes == {"produce[spine1-10]": "passed"}
    assert one.context.get("demo.dut_v1") == "spine1"
    assert sorted(both.outcomes) == ["produce[spine1-40]", "produce[spine2-40]"]
    assert {row: ctx.get("demo.dut_v1") for row, ctx in both.contexts.items()} == {
        "spine1-40": "spine1", "spine2-40": "spine2"}
    with pytest.raises(OrchestratorError, match=r"2 recipe rows \('spine1-40', 'spine2-40'\)"
                                                r".*read result.contexts\[row\]"):
        _ = both.context


def test_a_param_value_that_is_not_a_string_number_or_boolean_is_refused_before_running(
        project: Project) -> None:
    project.recipe("rows", ROWS)
    with pytest.raises(OrchestratorError, match=r"params\['dut'\]: .*string, number or boolean"):
        run("recipes/rows.yaml", params={"dut": [{"name": "leaf1"}]})
    assert not (project.root / ".orchestrator").exists()


def test_a_missing_recipe_file_is_one_error_naming_it(project: Project) -> None:
    with pytest.raises(OrchestratorError, match=r"run_recipe: no recipe file at recipes/nope\.yaml"):
        run("recipes/nope.yaml")


def test_orch_param_on_the_pytest_command_line_picks_the_rows(project: Project) -> None:
    project.recipe("rows", ROWS)
    result = project.run("--co", "-q", "--orch-param", "dut=leaf9", "--orch-param", "dut=7")
    result.stdout.fnmatch_lines(["recipes/rows.yaml::produce[leaf9-10]",
                                 "recipes/rows.yaml::produce[7-10]"])


def test_an_orch_param_no_recipe_parametrizes_is_a_usage_error_naming_the_axes(
        project: Project) -> None:
    project.recipe("rows", ROWS)
    result = project.run("--orch-param", "dutt=leaf1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--orch-param dutt: no collected recipe parametrizes 'dutt' "
                                 "(they parametrize: dut, speed)*"])


def test_an_orch_param_without_a_value_is_refused_where_it_is_given(project: Project) -> None:
    project.recipe("rows", ROWS)
    result = project.run("--orch-param", "dut")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'dut' is not NAME=VALUE*"])
