"""Resuming from the results store: a step whose dependencies are not run this time sees them as
the latest recorded run of its recipe left them — proved with a nonce made in run 1."""

from __future__ import annotations

import sqlite3

RESUME = """
import uuid
from pathlib import Path
from pytest_orchestrator import BaseScriptlet


class Make(BaseScriptlet):
    def run(self, ctx, params):
        with open("runs.log", "a") as log:
            log.write(self.step + "\\n")
        return {"demo.nonce_v1": uuid.uuid4().hex, "demo.size_v1": params.get("size", 1)}


class Use(BaseScriptlet):
    def run(self, ctx, params):
        with open("runs.log", "a") as log:
            log.write(self.step + "\\n")
        if Path("broken").exists():
            return self.emit_error("the device is broken")
        return {"demo.used_v1": ctx.get("demo.nonce_v1")}
"""

RECIPE = """
test_meta: {test_id: RS-1}
steps:
  - {name: make, module: steps.resume, function: Make, args: {size: SIZE}}
  - {name: use, module: steps.resume, function: Use}
  - {name: after, module: steps.demo, function: Seen}
"""

CHECK = """
def test_values(orchestrator_context):
    ctx = orchestrator_context.recipe("RS-1")
    print("NONCE", ctx.get("demo.nonce_v1"), "USED", ctx.get("demo.used_v1"))
"""


def setup(project, size: int = 1) -> None:
    project.write("steps/resume.py", RESUME)
    project.recipe("r", RECIPE.replace("SIZE", str(size)))
    project.write("test_zz_check.py", CHECK)


def runs(project) -> list[str]:
    log = project.root / "runs.log"
    return log.read_text().split() if log.exists() else []


def nonce_of_run_1(project) -> str:
    db = sqlite3.connect(project.root / ".orchestrator" / "results.db")
    (writes,) = db.execute("select writes from steps where step = 'make' and outcome = 'passed'"
                           " order by id desc limit 1").fetchone()
    import json

    return next(w["after"] for w in json.loads(writes) if w["key"] == "demo.nonce_v1")


def assert_resumed(project, result, ran: list[str]) -> None:
    nonce = nonce_of_run_1(project)
    result.stdout.fnmatch_lines([f"*NONCE {nonce} USED {nonce}*"])
    assert runs(project) == ["make", "use", *ran]


def test_k_runs_one_step_on_the_recorded_state_of_its_dependencies(project):
    setup(project)
    project.run().assert_outcomes(passed=4)
    result = project.run("-s", "-k", "use or values")
    result.assert_outcomes(passed=2)
    assert_resumed(project, result, ["use"])


def test_only_runs_the_named_steps_and_restores_the_rest(project):
    setup(project)
    project.run().assert_outcomes(passed=4)
    result = project.run("-s", "--only", "use", "--orch-only", "after")
    result.assert_outcomes(passed=3)
    assert_resumed(project, result, ["use"])


def test_skip_leaves_a_step_out_and_its_dependents_use_its_recorded_state(project):
    setup(project)
    project.run().assert_outcomes(passed=4)
    result = project.run("-s", "--skip", "make")
    result.assert_outcomes(passed=3)
    assert_resumed(project, result, ["use"])


def test_resume_from_deselects_what_comes_before_and_restores_it(project):
    setup(project)
    project.run().assert_outcomes(passed=4)
    result = project.run("-s", "--resume-from", "use")
    result.assert_outcomes(passed=3)
    assert_resumed(project, result, ["use"])


def test_with_deps_runs_the_dependencies_again_instead(project):
    setup(project)
    project.run().assert_outcomes(passed=4)
    result = project.run("-s", "--only", "use", "--with-deps")
    result.assert_outcomes(passed=3)
    assert runs(project) == ["make", "use", "make", "use"]


def test_lf_reruns_the_failure_and_its_skipped_dependents_not_its_passed_dependency(project):
    setup(project)
    (project.root / "broken").write_text("")
    project.run().assert_outcomes(passed=2, failed=1, skipped=1)
    (project.root / "broken").unlink()
    result = project.run("-s", "--lf", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["recipes/r.yaml::use PASSED*", "recipes/r.yaml::after PASSED*"])
    assert runs(project) == ["make", "use", "use"]


def test_without_a_recorded_run_the_step_errors_saying_what_to_do(project):
    setup(project)
    result = project.run("-k", "use")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*dependency 'make' has no recorded state: run it first or "
                                 "select it too*"])
    assert runs(project) == []


def test_an_edited_dependency_must_run_again(project):
    setup(project)
    project.run().assert_outcomes(passed=4)
    project.recipe("r", RECIPE.replace("SIZE", "2"))
    result = project.run("-k", "use")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*dependency 'make' changed since its recorded run *: run it "
                                 "first or select it too*"])


def test_orch_db_off_records_nothing_and_cannot_resume(project):
    setup(project)
    project.run("--orch-db", "off").assert_outcomes(passed=4)
    assert not (project.root / ".orchestrator" / "results.db").exists()
    project.run("--orch-db", "off", "-k", "use").assert_outcomes(errors=1)


def _stored_steps(project) -> int:
    try:
        with sqlite3.connect(project.root / ".orchestrator" / "results.db", timeout=5) as db:
            return int(db.execute("select count(*) from steps").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_a_pytest_killed_mid_step_leaves_an_intact_store_and_the_next_run_resumes(project):
    import os
    import signal
    import subprocess
    import sys
    import time

    setup(project)
    project.write("steps/hang.py", """
        import time
        from pathlib import Path
        from pytest_orchestrator import BaseScriptlet

        class Hang(BaseScriptlet):
            def run(self, ctx, params):
                Path("hanging").write_text("")
                time.sleep(60)
                return 0
        """)
    project.recipe("r", RECIPE.replace("SIZE", "1").replace(
        "function: Use}", "function: Use}\n  - {name: hang, module: steps.hang, function: Hang}"))
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:hypothesispytest",
                             "recipes"], cwd=project.root, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (project.root / "hanging").exists():
        assert time.monotonic() < deadline and proc.poll() is None, "the run never got to hang"
        time.sleep(0.05)
    # results are written in batches, at least once a time slice: the two before the
    # hanging step get there while it hangs
    while _stored_steps(project) < 2:
        assert time.monotonic() < deadline + 60, "the results before the hang were not written"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    db = sqlite3.connect(project.root / ".orchestrator" / "results.db")
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    assert [r[0] for r in db.execute("select step from steps order by id")] == ["make", "use"]
    db.close()
    result = project.run("-s", "-k", "use or values")
    result.assert_outcomes(passed=2)
    assert_resumed(project, result, ["use"])
    db = sqlite3.connect(project.root / ".orchestrator" / "results.db")
    statuses = [r[0] for r in db.execute("select status from runs order by started")]
    assert statuses == ["interrupted", "passed"]


def test_lf_runs_a_recipe_whole_once_its_collection_error_is_fixed(project):
    setup(project)
    project.recipe("20_failing", "test_meta: {test_id: F-1}\nsteps:\n"
                   "  - {name: refuse, module: steps.demo, function: Refuse}\n")
    project.recipe("30_bad", "test_meta: {test_id: B-1}\nsteps:\n"
                   "  - {name: a, module: steps.demo, function: Produce, depend_on: []}\n")
    project.run("recipes", "--continue-on-collection-errors").assert_outcomes(
        passed=3, failed=1, errors=1)
    project.recipe("30_bad", "test_meta: {test_id: B-1}\nsteps:\n"
                   "  - {name: a, module: steps.demo, function: Produce}\n"
                   "  - {name: b, module: steps.demo, function: Double}\n")
    result = project.run("recipes", "--lf", "-v")
    result.stdout.fnmatch_lines(["recipes/30_bad.yaml::a PASSED*", "recipes/30_bad.yaml::b PASSED*"])
