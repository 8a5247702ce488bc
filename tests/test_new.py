"""``orchestrator new scriptlet|recipe``: scaffolds that work as generated, in a user's folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from pytest_orchestrator.catalogue import REQUIRED_FIELDS, shell_header
from pytest_orchestrator.schema import schema_path


def run_pytest(project, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in the project's folder, in a process of its own, as the user runs it."""
    return subprocess.run([sys.executable, "-m", "pytest", *args],
                          cwd=project.root, capture_output=True, text=True, timeout=600)


def test_a_new_python_scriptlet_passes_the_tests_generated_with_it(project, cli):
    done = cli("new", "scriptlet", "ping_check", "--package", "steps")
    assert done.stdout.splitlines() == [
        "wrote steps/ping_check.py", "wrote tests/test_ping_check.py",
        "wrote tests/recipes/ping_check.yaml", "next: pytest tests/test_ping_check.py"]
    source = (project.root / "steps" / "ping_check.py").read_text()
    for part in ("class PingCheck(BaseScriptlet):", "Params:", "Outputs: steps.ping_check_v1",
                 "Exit codes:", "def validate(", "def run("):
        assert part in source
    tests = run_pytest(project, "tests/test_ping_check.py", "-v")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout
    assert "test_a_recipe_runs_it_as_a_step PASSED" in tests.stdout


def test_a_new_shell_scriptlet_has_the_header_its_run_bit_and_passes_check(project, cli):
    cli("new", "scriptlet", "link_up", "--package", "steps.shell", "--shell")
    script = project.root / "steps" / "shell" / "link_up.sh"
    assert script.stat().st_mode & stat.S_IXUSR
    header = shell_header(script.read_text())
    assert [name for name in ("NAME", "DESC", "USAGE", "LIMITATIONS", "EXAMPLES", "RETURNS")
            if header.get(name)] == ["NAME", "DESC", "USAGE", "LIMITATIONS", "EXAMPLES",
                                     "RETURNS"]
    assert header["NAME"] == "link_up.sh"
    assert set(REQUIRED_FIELDS) <= set(header)
    assert cli("scriptlets", "--check").stdout.endswith("checked: no problems\n")
    tests = run_pytest(project, "tests/test_link_up.py")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_a_new_scriptlet_in_a_new_package_makes_it_a_package(project, cli):
    project.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = lab\n")
    cli("new", "scriptlet", "probe", "--package", "lab.checks")
    assert (project.root / "lab" / "__init__.py").is_file()
    assert (project.root / "lab" / "checks" / "__init__.py").is_file()
    assert (project.root / "lab" / "checks" / "probe.py").is_file()
    assert not (project.root / "tests" / "__init__.py").exists()


def test_new_refuses_to_overwrite_and_writes_nothing(project, cli):
    project.write("tests/test_ping_check.py", "# mine\n")
    done = cli("new", "scriptlet", "ping_check", "--package", "steps", code=2)
    assert done.stderr == ("orchestrator: tests/test_ping_check.py already exists\n"
                           "hint: choose another name, or move that file away first\n")
    assert not (project.root / "steps" / "ping_check.py").exists()
    assert (project.root / "tests" / "test_ping_check.py").read_text() == "# mine\n"


@pytest.mark.parametrize("name", ["1st", "class", "ping-check", "ping.check"])
def test_a_name_that_is_not_an_identifier_is_refused(project, cli, name):
    done = cli("new", "scriptlet", name, "--package", "steps", code=2)
    assert done.stderr.startswith(f"orchestrator: '{name}' cannot name a scriptlet\nhint: ")
    assert sorted(os.listdir(project.root / "steps")) == ["__init__.py", "demo.py"]


def test_a_package_outside_the_allow_list_is_refused(project, cli):
    done = cli("new", "scriptlet", "probe", "--package", "elsewhere", code=2)
    assert done.stderr.startswith("orchestrator: 'elsewhere' is outside the allowed packages "
                                  "(steps)\nhint: ")
    assert not (project.root / "elsewhere").exists()


def test_a_new_recipe_names_the_schema_and_its_steps_and_lints_clean(project, cli):
    project.script("sh/probe.sh", "#!/bin/sh\necho '{\"status\": \"ok\"}'\n")
    done = cli("new", "recipe", "smoke", "--step", "steps.demo:Produce", "--step", "sh/probe.sh")
    assert done.stdout == "wrote recipes/smoke.yaml\nnext: orchestrator lint recipes/smoke.yaml\n"
    text = (project.root / "recipes" / "smoke.yaml").read_text()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={schema_path()}"
    assert "  - name: demo\n    module: steps.demo\n    function: Produce\n" in text
    assert '  - name: probe\n    type: shell\n    script: "sh/probe.sh"\n' in text
    assert cli("lint", "recipes/smoke.yaml").stdout == "1 recipe checked: no problems\n"
    assert cli("new", "recipe", "smoke", code=2).stderr.startswith(
        "orchestrator: recipes/smoke.yaml already exists\n")


def test_a_new_recipe_without_steps_leaves_one_to_fill_in_that_lint_points_at(project, cli):
    done = cli("new", "recipe", "blank")
    assert done.stdout.endswith("next: fill in the step, then: orchestrator lint "
                                "recipes/blank.yaml\n")
    found = cli("lint", "recipes/blank.yaml", code=1).stdout
    assert found.startswith("recipes/blank.yaml:11: steps[0].module: module 'steps.your_module' "
                            "cannot be imported")
