"""``orchestrator run`` from a user's folder: pytest's output, then the seed runner's JSON line,
and pytest's exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from conftest import QUIET_PLUGINS, Project, step
from pytest_orchestrator.cli import main

CHAIN = ("test_meta: {test_id: CHAIN}\nsteps:\n" + step("produce", args={"value": 3})
         + step("double", "Double") + step("seen", "Seen"))
FAILING = ("test_meta: {test_id: FAIL}\nsteps:\n" + step("produce")
           + step("refuse", "Refuse") + step("after", "Seen"))


def orchestrator_run(project: Project, *args: str) -> tuple[subprocess.CompletedProcess[str],
                                                            dict[str, Any]]:
    """``orchestrator run ARGS -- <quiet plugins>`` in the project: the process and its last
    stdout line, read as JSON."""
    argv = [sys.executable, "-m", "pytest_orchestrator", "run", *args]
    argv += [] if "--" in args else ["--"]
    done = subprocess.run([*argv, *QUIET_PLUGINS], cwd=project.root, text=True,
                          capture_output=True, timeout=300)
    return done, json.loads(done.stdout.splitlines()[-1])


def test_only_after_the_paths_runs_those_steps_on_their_recorded_dependency(
        project: Project) -> None:
    project.recipe("chain", CHAIN)
    first, full = orchestrator_run(project, "recipes/chain.yaml")
    done, summary = orchestrator_run(project, "recipes/chain.yaml", "--only", "double", "seen",
                                     "--", "-v")
    assert (first.returncode, done.returncode) == (0, 0)
    assert summary == {"status": "ok", "run_id": summary["run_id"],
                       "ctx_keys": ["demo.double_v1", "demo.seen_v1", "demo.value_v1"],
                       "steps": {"double": "passed", "seen": "passed"}}
    assert summary["run_id"] != full["run_id"]
    assert "recipes/chain.yaml::double PASSED" in done.stdout  # pytest's -v output came first
    assert "1 deselected" in done.stdout  # produce: restored, not run


def test_a_failing_recipe_exits_1_with_status_failed(project: Project) -> None:
    project.recipe("failing", FAILING)
    done, summary = orchestrator_run(project, "recipes/failing.yaml")
    assert done.returncode == 1
    assert summary["status"] == "failed"
    assert summary["steps"] == {"produce": "passed", "refuse": "failed", "after": "skipped"}
    assert summary["ctx_keys"] == ["demo.value_v1"]
    assert "Too few numbers (min=5)" in done.stdout


def test_steps_of_several_recipes_are_named_by_node_id_and_skip_takes_names(
        project: Project) -> None:
    project.recipe("chain", CHAIN)
    project.recipe("failing", FAILING)
    done, summary = orchestrator_run(project, "recipes/chain.yaml", "recipes/failing.yaml",
                                     "--skip", "seen", "refuse", "after")
    assert done.returncode == 0
    assert summary["steps"] == {"recipes/chain.yaml::produce": "passed",
                                "recipes/chain.yaml::double": "passed",
                                "recipes/failing.yaml::produce": "passed"}


def test_under_n_2_the_summary_has_every_step_and_the_context(project: Project) -> None:
    project.recipe("chain", CHAIN)
    done, summary = orchestrator_run(project, "recipes/chain.yaml", "-n", "2")
    assert done.returncode == 0, done.stdout
    assert "2 workers" in done.stdout
    assert summary["steps"] == {"produce": "passed", "double": "passed", "seen": "passed"}
    assert summary["ctx_keys"] == ["demo.double_v1", "demo.seen_v1", "demo.value_v1"]


def test_dry_run_prints_the_plan_and_a_summary_of_no_steps(project: Project) -> None:
    project.recipe("chain", CHAIN)
    done, summary = orchestrator_run(project, "recipes/chain.yaml", "--dry-run")
    assert done.returncode == 0
    assert "orchestrator plan (dry run: nothing runs)" in done.stdout
    assert (summary["status"], summary["steps"], summary["ctx_keys"]) == ("ok", {}, [])


def test_a_path_given_to_only_is_refused_with_a_hint_saying_where_paths_go(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.recipe("chain", CHAIN)
    assert main(["run", "recipes/chain.yaml", "--only", "double", "recipes/chain.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "orchestrator: 'recipes/chain.yaml' is a path, not a step name",
        "hint: put the recipe paths first: orchestrator run RECIPE… --only NAME…"]


def test_a_missing_recipe_path_is_refused_with_the_usage_as_hint(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "recipes/nope.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "orchestrator: no recipe file or folder at recipes/nope.yaml",
        "hint: orchestrator run RECIPE… [--only NAME…] [-- PYTEST_ARGS]"]


def test_arguments_after_double_dash_belong_to_run_only(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["runs", "--", "-x"])
    assert exit_.value.code == 2
    assert "only `orchestrator run` takes arguments after --" in capsys.readouterr().err
