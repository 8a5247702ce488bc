"""A good citizen: invisible in projects without recipes, and keeping pytest's and xdist's
promises for plain tests beside recipes. Real pytest runs, in subprocesses where xdist is on."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest

from conftest import QUIET_PLUGINS, Project, step

PLAIN = """
import os


def _note(name):
    with open("ran.log", "a") as log:
        log.write(f"{name} {os.environ.get('PYTEST_XDIST_WORKER', 'main')}\\n")


def test_one():
    _note("one")


def test_two():
    _note("two")


class TestGroup:
    def test_three(self):
        _note("three")

    def test_four(self):
        _note("four")
"""


def ran(project: Project) -> list[tuple[str, str]]:
    """(test, worker) of every plain test run, in the order they ran."""
    return [tuple(line.split()) for line in  # type: ignore[misc]
            (project.root / "ran.log").read_text().splitlines()]


def run(project: Project, *args: str, **env: str) -> pytest.RunResult:
    """pytest in a subprocess (file order: some tests look at the order plain tests ran)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return project.pytester.runpytest_subprocess(*QUIET_PLUGINS, "-p", "no:randomly",
                                                     *args, timeout=120)


def fan(project: Project) -> None:
    project.recipe("fan", "test_meta: {test_id: FAN-1}\nsteps:\n"
                   + step("make") + step("left", "Double", parallel=True)
                   + step("right", "Seen", parallel=True) + step("end", "Seen",
                                                                   args={"key": "demo.end_v1"}))


# -- inert without recipes ------------------------------------------------------------------

@pytest.mark.parametrize("args", [(), ("-n", "2"), ("--co",), ("--help",)])
def test_a_project_without_recipes_gets_no_files_no_git_and_no_section(
        project: Project, args: tuple[str, ...]) -> None:
    project.write("test_plain.py", PLAIN)
    bin_dir = project.root / "fakebin"
    project.script("fakebin/git", f"#!/bin/sh\ntouch {project.root}/git-was-called\nexit 1\n")
    result = run(project, *args, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert result.ret == 0, result.stdout.str()
    assert not (project.root / ".orchestrator").exists()
    assert not (project.root / "git-was-called").exists()
    assert "orchestrator: recipes" not in result.stdout.str()


def test_under_xdist_without_recipes_the_item_count_is_exact(project: Project) -> None:
    project.write("test_plain.py", PLAIN)
    result = run(project, "-n", "2", "-v")
    result.stdout.fnmatch_lines(["2 workers [[]4 items[]]"])
    result.assert_outcomes(passed=4)


def test_dist_each_without_recipes_runs_every_test_on_every_worker(project: Project) -> None:
    project.write("test_plain.py", PLAIN)
    run(project, "-n", "2", "--dist", "each").assert_outcomes(passed=8)
    assert sorted(ran(project)) == sorted((t, w) for t in ("one", "two", "three", "four")
                                          for w in ("gw0", "gw1"))


SHUFFLED = """
import random

import pytest

VALUES = list(range(10))
random.shuffle(VALUES)  # each worker collects its own order


@pytest.mark.parametrize("x", VALUES)
def test_foo(x):
    pass
"""


def test_without_recipes_different_collections_are_judged_by_xdist_not_by_us(
        project: Project) -> None:
    """Found by pytest-xdist's own suite (test_issue_594_random_parametrize)."""
    project.write("test_shuffled.py", SHUFFLED)
    loaded = project.run("-n", "2", "-p", "no:randomly")
    assert loaded.ret == pytest.ExitCode.TESTS_FAILED  # xdist's verdict, not a usage error
    loaded.stdout.fnmatch_lines(["*Different tests were collected between gw* and gw*"])
    project.run("-n", "2", "--dist", "each", "-p", "no:randomly").assert_outcomes(passed=20)


@pytest.mark.parametrize("with_recipes", [False, True])
def test_dist_loadfile_and_loadscope_keep_a_file_or_class_on_one_worker(
        project: Project, with_recipes: bool) -> None:
    project.write("test_plain.py", PLAIN)
    project.write("test_other.py", PLAIN.replace("_note(\"", "_note(\"other-"))
    if with_recipes:
        fan(project)
    for mode, together in (("loadfile", [{"one", "two", "three", "four"}]),
                           ("loadscope", [{"three", "four"}])):
        (project.root / "ran.log").unlink(missing_ok=True)
        result = run(project, "-n", "2", "--dist", mode)
        result.assert_outcomes(passed=8 + (4 if with_recipes else 0))
        workers = dict(ran(project))
        for names in together:
            assert len({workers[n] for n in names}) == 1, (mode, ran(project))
            assert len({workers[f"other-{n}"] for n in names}) == 1, (mode, ran(project))


def test_dist_each_with_recipes_runs_plain_tests_everywhere_and_steps_once(
        project: Project) -> None:
    project.write("test_plain.py", PLAIN)
    fan(project)
    result = run(project, "-n", "2", "--dist", "each")
    result.assert_outcomes(passed=8 + 4)
    assert len(ran(project)) == 8
    assert {w for _, w in ran(project)} == {"gw0", "gw1"}


def test_with_recipes_under_xdist_the_item_count_has_no_hidden_item(project: Project) -> None:
    project.write("test_plain.py", PLAIN)
    fan(project)
    project.write("conftest.py", """
        def pytest_collection_modifyitems(items):
            with open("collected.log", "a") as log:
                log.write(f"{len(items)}\\n")
    """)
    result = run(project, "-n", "2")
    result.stdout.fnmatch_lines(["2 workers [[]8 items[]]"])
    result.assert_outcomes(passed=8)
    assert set((project.root / "collected.log").read_text().split()) == {"8"}
    assert "100%" in result.stdout.str()


def test_the_html_report_of_a_project_without_recipes_has_no_column_of_ours(
        project: Project) -> None:
    project.write("test_plain.py", PLAIN)
    run(project, "--html=report.html", "--self-contained-html").assert_outcomes(passed=4)
    html = (project.root / "report.html").read_text()
    assert "Worker" not in html and "col-worker" not in html


# -- options ------------------------------------------------------------------------------

OWNER = """
def pytest_addoption(parser):
    parser.addoption("--only", action="store_true", help="owned by another plugin")
"""


@pytest.mark.parametrize("order", ["theirs-first", "ours-first", "conftest"])
def test_pytest_starts_beside_a_plugin_owning_only_and_orch_only_still_works(
        project: Project, order: str) -> None:
    fan(project)
    project.write("test_plain.py", PLAIN)
    if order == "conftest":
        project.write("conftest.py", OWNER)
        plugins: tuple[str, ...] = ()
    else:
        project.write("only_owner.py", OWNER)
        ours = ("-p", "no:orchestrator", "-p", "pytest_orchestrator.plugin")
        theirs = ("-p", "only_owner")
        plugins = theirs + ours if order == "theirs-first" else ours + theirs
    path = {"PYTHONPATH": str(project.root)}
    run(project, *plugins, "recipes/fan.yaml", **path).assert_outcomes(passed=4)
    result = run(project, *plugins, "--orch-only", "end", "--orch-with-deps",
                 "recipes/fan.yaml", **path)
    result.assert_outcomes(passed=4)
    result = run(project, *plugins, "--orch-only", "make", "recipes/fan.yaml", "-v", **path)
    result.assert_outcomes(passed=1)


def test_only_takes_one_name_and_never_swallows_a_path(project: Project) -> None:
    fan(project)
    project.write("test_plain.py", PLAIN)
    result = run(project, "--only", "make", "recipes/fan.yaml", "-v")
    result.assert_outcomes(passed=1)
    assert not (project.root / "ran.log").exists()
    result = run(project, "--only", "make,left", "--skip", "right", "recipes/fan.yaml", "-v")
    result.stdout.fnmatch_lines(["*::make PASSED*", "*::left PASSED*"])
    result.assert_outcomes(passed=2)


def test_an_unknown_step_name_is_a_usage_error_with_the_closest_names(
        project: Project) -> None:
    fan(project)
    result = run(project, "--only", "lefft", "recipes/fan.yaml")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*no step named 'lefft'*did you mean 'left'?*"])


# -- the bugs a new user hit ------------------------------------------------------------------

def test_failed_first_keeps_a_failed_step_after_its_dependencies(project: Project) -> None:
    project.recipe("ff", "test_meta: {test_id: FF-1}\nsteps:\n" + step("make")
                   + step("check", "Refuse"))
    project.write("test_plain.py", PLAIN)
    run(project).assert_outcomes(passed=5, failed=1)
    result = run(project, "--ff", "-v")
    result.stdout.fnmatch_lines(["*ff.yaml::make PASSED*", "*ff.yaml::check FAILED*"])


def test_the_store_has_start_and_end_times_of_steps_that_ran(project: Project) -> None:
    fan(project)
    run(project).assert_outcomes(passed=4)
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        rows = db.execute("SELECT started, ended FROM steps").fetchall()
    assert len(rows) == 4
    assert all(start and end and start <= end for start, end in rows), rows


def test_under_xdist_without_the_store_dependents_on_other_workers_get_their_results(
        project: Project) -> None:
    fan(project)
    run(project, "-n", "2", "--orch-db", "off").assert_outcomes(passed=4)
    assert not (project.root / ".orchestrator" / "results.db").exists()


def test_a_test_id_used_by_two_recipes_is_a_collection_error_naming_both(
        project: Project) -> None:
    project.recipe("a", "test_meta: {test_id: SAME}\nsteps:\n" + step("make"))
    project.recipe("b", "test_meta: {test_id: SAME}\nsteps:\n" + step("make"))
    result = run(project)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*recipes/b.yaml:1*test_id 'SAME' is already the test_id of "
                                 "recipes/a.yaml*"])


def test_this_repository_runs_with_the_plugin_disabled() -> None:
    import subprocess

    root = Path(__file__).parent.parent
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:orchestrator", "--co",
                           "-q", "-p", "no:randomly", "tests/test_dag.py"], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INTERNALERROR" not in done.stdout + done.stderr


def test_a_rerun_of_pytest_rerunfailures_is_not_a_failed_step(project: Project) -> None:
    project.script("flaky.sh", """
        #!/bin/sh
        if [ -e tried ]; then echo '{"status": "ok", "outputs": []}'; exit 0; fi
        touch tried
        echo '{"status": "error", "reason": "first try fails", "exit_code": 1}'
        exit 1
    """)
    project.recipe("flaky", "test_meta: {test_id: FLAKY-1}\nsteps:\n"
                   "  - {name: flaky, type: shell, script: flaky.sh}\n")
    result = run(project, "--reruns", "1", "-v")
    assert result.parseoutcomes() == {"passed": 1, "rerun": 1}
    result.stdout.fnmatch_lines(["FLAKY-1  1 step(s): 1 passed*"])
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        assert db.execute("SELECT outcome FROM steps").fetchall() == [("passed",)]
        assert db.execute("SELECT status FROM runs").fetchall() == [("passed",)]


def test_a_step_that_passes_on_a_retry_has_its_own_letter(project: Project) -> None:
    project.script("flaky.sh", """
        #!/bin/sh
        if [ -e tried ]; then echo '{"status": "ok", "outputs": []}'; exit 0; fi
        touch tried
        exit 1
    """)
    project.recipe("flaky", "test_meta: {test_id: FLAKY-1}\nsteps:\n"
                   "  - {name: flaky, type: shell, script: flaky.sh, retry: {max: 1}}\n")
    result = run(project)
    result.stdout.fnmatch_lines(["recipes/flaky.yaml a*"])


def test_a_shell_step_finds_orchestrator_without_an_activated_venv(project: Project) -> None:
    project.script("read.sh", """
        #!/bin/sh
        value=$(orchestrator ctx get demo.value_v1) || exit 9
        echo "{\\"status\\": \\"ok\\", \\"set\\": {\\"demo.read_v1\\": $value}}"
    """)
    project.recipe("path", "test_meta: {test_id: PATH-1}\nsteps:\n" + step("make")
                   + "  - {name: read, type: shell, script: read.sh}\n")
    run(project, PATH="/usr/bin:/bin").assert_outcomes(passed=2)


def test_a_run_with_a_recipe_collection_error_has_its_own_status(project: Project) -> None:
    fan(project)
    project.recipe("broken", "test_meta: {test_id: BROKEN}\nsteps: [}\n")
    assert run(project).ret == 2
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("collection_error",)]


def test_orchestrator_context_readers_run_after_the_recipe_in_any_order(
        project: Project) -> None:
    project.recipe("make", "test_meta: {test_id: MAKE-1}\nsteps:\n"
                   + step("make", args={"value": 21}))
    project.write("test_reader.py", """
        def test_reads_the_value(orchestrator_context):
            assert orchestrator_context.recipe("MAKE-1").get("demo.value_v1") == 21
    """)
    for seed in ("1", "2", "3"):
        result = project.pytester.runpytest_subprocess(
            *QUIET_PLUGINS, "-p", "randomly", f"--randomly-seed={seed}", "test_reader.py",
            "recipes/make.yaml", timeout=120)
        result.assert_outcomes(passed=2)
