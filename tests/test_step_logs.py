"""Per-step logs: what a step printed, its attempts and its trace, in
``.orchestrator/artifacts/<run>/logs/<test_id>/<step>.log``, masked, linked from the reports."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import step
from pytest_orchestrator.envelope import Envelope, ok_envelope
from pytest_orchestrator.executors import StepOutcome
from pytest_orchestrator.reporting.step_log import StepLog
from pytest_orchestrator.safety import Redactor
from pytest_orchestrator.store import SCHEMA_VERSION, ResultsStore

HEAD = "test_meta: {test_id: LOG-1}\nsteps:\n"


def logs_of(root: Path) -> dict[str, str]:
    """Every step log of the (only) run: 'test_id/file name' -> text."""
    runs = list((root / ".orchestrator" / "artifacts").iterdir())
    assert len(runs) == 1, runs
    return {f"{p.parent.name}/{p.name}": p.read_text()
            for p in (runs[0] / "logs").glob("*/*.log")}


def test_a_step_that_prints_to_stderr_has_a_log_with_what_it_printed(project):
    project.recipe("r", HEAD + step("produce"))
    project.run().assert_outcomes(passed=1)
    log = logs_of(project.root)["LOG-1/produce.log"]
    assert log.startswith("# LOG-1::produce (recipes/r.yaml:3), run ")
    assert "passed after 1 attempt(s), executor inprocess" in log
    assert "--- stderr ---\nproduced\n" in log


def test_a_step_that_printed_nothing_and_passed_at_once_writes_no_log(project):
    project.recipe("r", HEAD + step("produce") + step("double", "Double"))
    project.run().assert_outcomes(passed=2)
    assert list(logs_of(project.root)) == ["LOG-1/produce.log"]


def test_each_attempt_of_a_retried_step_is_in_its_log_with_its_reason_and_the_delay(project):
    project.recipe("r", HEAD + step("refuse", "Refuse",
                                    retry={"max": 2, "delay_sec": 0.01, "backoff": 3}))
    project.run().assert_outcomes(failed=1)
    lines = logs_of(project.root)["LOG-1/refuse.log"].splitlines()
    events = [line.split(" ", 1)[1] for line in lines if line[:4].isdigit()]
    assert events == ["attempt 1 of 3 failed (exit 1): Too few numbers (min=5)",
                      "retrying in 0.01s",
                      "attempt 2 of 3 failed (exit 1): Too few numbers (min=5)",
                      "retrying in 0.03s",
                      "attempt 3 of 3 failed (exit 1): Too few numbers (min=5)"]
    assert "# failed after 3 attempt(s)" in lines[1]


def test_a_scriptlet_that_raised_has_its_traceback_in_its_log(project):
    project.recipe("r", HEAD + step("explode", "Explode"))
    project.run().assert_outcomes(failed=1)
    log = logs_of(project.root)["LOG-1/explode.log"]
    assert "the step failed (exit 1): RuntimeError: device did not answer" in log
    assert "--- scriptlet traceback ---\nTraceback (most recent call last):" in log
    assert "pytest_orchestrator" not in log.split("scriptlet traceback", 1)[1]


def test_the_orch_debug_trace_of_a_step_goes_into_its_log(project):
    project.recipe("r", HEAD + step("produce", args={"value": 7}) + step("double", "Double"))
    project.run("--orch-debug").assert_outcomes(passed=2)
    log = logs_of(project.root)["LOG-1/double.log"]
    assert "[orch] LOG-1::double: params {}" in log
    assert "[orch] LOG-1::double: context demo.double_v1: null -> 14" in log


def test_a_secret_a_step_prints_is_masked_in_its_log(project):
    project.write("steps/leaky.py", """
        import sys
        from pytest_orchestrator import BaseScriptlet

        class Leaky(BaseScriptlet):
            def run(self, ctx, params):
                print("login with", params["password"], file=sys.stderr)
                return self.emit_ok()
        """)
    project.recipe("r", HEAD + "  - {name: login, module: steps.leaky, function: Leaky, "
                               "args: {password: hunter-2291}}\n")
    project.run("--orch-debug").assert_outcomes(passed=1)
    log = logs_of(project.root)["LOG-1/login.log"]
    assert "login with ***" in log and '"password": "***"' in log
    assert "hunter-2291" not in log


def test_each_row_of_a_parametrized_recipe_has_its_own_log(project):
    project.recipe("r", "test_meta: {test_id: LOG-1}\nparametrize: {dut: [leaf1, leaf2]}\n"
                   "steps:\n" + step("produce", args={"value": "${param:dut}"}))
    project.run().assert_outcomes(passed=2)
    assert sorted(logs_of(project.root)) == ["LOG-1/produce[leaf1].log",
                                             "LOG-1/produce[leaf2].log"]


def test_the_results_store_records_the_log_of_each_step_that_has_one(project):
    project.recipe("r", HEAD + step("produce") + step("double", "Double"))
    project.run().assert_outcomes(passed=2)
    with ResultsStore(project.root / ".orchestrator" / "results.db") as store:
        steps = {s["step"]: s["log"] for s in store.run(store.runs()[0]["run_id"])["steps"]}
    assert steps["double"] is None
    assert Path(steps["produce"]).read_text() == logs_of(project.root)["LOG-1/produce.log"]


def test_pytest_html_links_the_log_relative_to_the_report(project):
    project.recipe("r", HEAD + step("produce"))
    project.run("--html=out/report.html").assert_outcomes(passed=1)
    html = (project.root / "out" / "report.html").read_text()
    run_id = next((project.root / ".orchestrator" / "artifacts").iterdir()).name
    link = f"../.orchestrator/artifacts/{run_id}/logs/LOG-1/produce.log"
    assert link in html.replace("\\/", "/")
    assert "step log" in html


def test_under_xdist_the_workers_write_the_logs_of_the_steps_they_ran(project):
    project.recipe("r", HEAD + step("produce") + step("other", depends_on=[],
                                                      args={"key": "demo.other_v1"}))
    project.run_subprocess("-n", "2", "-p", "no:randomly").assert_outcomes(passed=2)
    assert sorted(logs_of(project.root)) == ["LOG-1/other.log", "LOG-1/produce.log"]


def test_a_project_without_recipes_writes_no_log_and_no_folder(project):
    project.write("test_plain.py", "import sys\n\ndef test_it():\n"
                                   "    print('to stderr', file=sys.stderr)\n")
    project.run("--orch-debug").assert_outcomes(passed=1)
    assert not (project.root / ".orchestrator").exists()


def test_a_results_store_of_version_1_gains_the_log_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "results.db"
    ResultsStore(path).close()
    old = sqlite3.connect(path)
    old.execute("ALTER TABLE steps DROP COLUMN log")
    old.execute("INSERT INTO steps (run_id, test_id, namespace, step, nodeid, outcome, envelope, "
                "writes) VALUES ('r1', 'T', 'T', 's', 'x.yaml::s', 'passed', '{}', '[]')")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    with ResultsStore(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION > 1
        assert store.in_run("r1", "x.yaml::s").log is None


def test_a_log_that_cannot_be_written_leaves_the_step_passed_and_says_so(tmp_path):
    (tmp_path / "logs").write_text("a file where the logs folder should be")
    outcome = StepOutcome("s", envelope=Envelope("ok", ok_envelope([])), stderr="hello\n")
    log = StepLog(tmp_path, "T-1", "s", where="recipes/r.yaml:3")
    log.attempt(1, 1, outcome, None)
    assert log.write(outcome, Redactor()) is None
    assert outcome.passed
    assert outcome.notes == [f"its log was not written: [Errno 20] Not a directory: "
                             f"'{tmp_path / 'logs' / 'T-1' / 's.log'}'"]
