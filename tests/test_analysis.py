"""History that answers questions, from the user's side: a recipe whose step reports a
throughput taken from an environment variable, run again and again in a tmp project."""

from __future__ import annotations

import fnmatch
import json
import sqlite3
import xml.etree.ElementTree as ET

import pytest

MEASURE = r"""#!/bin/sh
# NAME: measure  DESC: reports $MBPS as a metric and as net.throughput_v1.mean
echo "{\"status\":\"ok\",\"outputs\":[\"net.throughput_v1\"],\"metrics\":{\"mean_mbps\":$MBPS},\"set\":{\"net.throughput_v1\":{\"mean\":$MBPS}}}"
"""

DECLARED = """
    metrics:
      mean_mbps: {better: higher}
      net.throughput_v1.mean: {better: higher, tolerance: 10%}
"""


def recipe(project, declared: str = DECLARED, extra: str = "") -> None:
    project.script("scripts/measure.sh", MEASURE)
    project.recipe("net", "test_meta: {test_id: NET-1}\n"
                          "steps:\n"
                          "  - name: measure\n"
                          "    type: exec\n"
                          "    script: scripts/measure.sh\n"
                          '    args: {mbps: "${env:MBPS}"}\n' + extra + declared.lstrip("\n"))


def run_at(project, monkeypatch, mbps: float, *args: str) -> pytest.RunResult:
    monkeypatch.setenv("MBPS", str(mbps))
    return project.run("-p", "no:randomly", *args)


def steady(project, monkeypatch, values=(100, 101, 99, 100.5, 99.5, 100)) -> None:
    for value in values:
        result = run_at(project, monkeypatch, value)
        result.assert_outcomes(passed=1)
        assert "REGRESSION" not in result.stdout.str()


def flags(project) -> list[dict]:
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM flags ORDER BY id")]


def test_six_steady_runs_flag_nothing_and_a_halved_throughput_is_flagged_everywhere(
        project, monkeypatch, cli):
    recipe(project)
    steady(project, monkeypatch)
    assert flags(project) == []

    result = run_at(project, monkeypatch, 50, "--junitxml=junit.xml", "--html=html.html",
                    "--orch-report=run.html")

    assert result.ret == 0  # a warning by default
    result.stdout.fnmatch_lines([
        "*orchestrator: 2 regression(s), a warning*",
        "REGRESSION NET-1::measure mean_mbps = 50 (baseline 100 over 6 runs, -50.0 %, z *, "
        "higher is better)",
        "REGRESSION NET-1::measure net.throughput_v1.mean = 50 (baseline 100 over 6 runs, "
        "-50.0 %, z *, higher is better)"])
    stored = flags(project)
    assert [(f["test_id"], f["step"], f["row"], f["metric"], f["value"], f["baseline"],
             f["change_pct"], f["better"], f["runs"]) for f in stored] == [
        ("NET-1", "measure", "", "mean_mbps", 50.0, 100.0, -50.0, "higher", 6),
        ("NET-1", "measure", "", "net.throughput_v1.mean", 50.0, 100.0, -50.0, "higher", 6)]
    assert all(f["z"] > 3.5 and f["step_id"] for f in stored)
    properties = [p.get("value") for p in ET.parse(project.root / "junit.xml").iter("property")
                  if p.get("name") == "regression"]
    assert len(properties) == 2 and "mean_mbps = 50" in properties[0]
    html = (project.root / "html.html").read_text(encoding="utf-8")
    assert "regression mean_mbps" in html and "Regressions" in html
    report = (project.root / "run.html").read_text(encoding="utf-8")
    assert 'id="regressions"' in report and "net.throughput_v1.mean" in report
    assert report.count('<svg xmlns="http://www.w3.org/2000/svg" class="trend"') == 2

    trend = json.loads(cli("trend", "mean_mbps", "--json").stdout)
    assert [r["value"] for r in trend] == [100, 101, 99, 100.5, 99.5, 100, 50]
    assert [r["flagged"] for r in trend] == [False] * 6 + [True]
    assert trend[-1]["baseline"] == 100
    cli("trend", "mean_mbps", "--png", "trend.png", "--last", "4")
    assert (project.root / "trend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cli("export", "--xlsx", "run.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(project.root / "run.xlsx")["Analysis"]
    assert [c.value for c in sheet[2]][:5] == ["NET-1", "measure", "mean_mbps", 50, 100]


def test_a_constant_series_does_not_flag_a_one_percent_change_but_flags_ten(
        project, monkeypatch):
    recipe(project, declared="")  # undeclared: judged both ways, tolerance 5 %
    steady(project, monkeypatch, values=[100] * 6)

    assert "REGRESSION" not in run_at(project, monkeypatch, 101).stdout.str()
    result = run_at(project, monkeypatch, 90)

    result.stdout.fnmatch_lines(["REGRESSION NET-1::measure mean_mbps = 90 (baseline 100 over "
                                 "7 runs, -10.0 %, z inf (constant baseline), both is better)"])
    assert flags(project)[0]["note"].startswith("constant baseline")
    assert flags(project)[0]["z"] is None


def test_a_changed_step_definition_restarts_the_baseline_and_says_so(project, monkeypatch):
    recipe(project)
    steady(project, monkeypatch)
    recipe(project, extra="    timeout: 60\n")

    result = run_at(project, monkeypatch, 50, "--orch-report=run.html")

    assert "REGRESSION" not in result.stdout.str()
    assert "New baselines" in (project.root / "run.html").read_text(encoding="utf-8")
    result.stdout.fnmatch_lines([
        "*orchestrator: new baselines*",
        "recipes/net.yaml::measure: definition changed since run *: new baseline (0 of 5 runs "
        "before this one; nothing flagged until then)"])
    assert flags(project) == []


def test_declaring_a_metric_does_not_change_the_definition(project, monkeypatch):
    recipe(project, declared="")
    steady(project, monkeypatch, values=[100] * 5)
    recipe(project)

    result = run_at(project, monkeypatch, 50)

    assert "new baselines" not in result.stdout.str()
    assert [f["metric"] for f in flags(project)] == ["mean_mbps"]  # the context path is new


def test_fail_on_regression_makes_a_flagged_session_fail(project, monkeypatch):
    recipe(project)
    steady(project, monkeypatch)
    assert run_at(project, monkeypatch, 100, "--orch-fail-on-regression").ret == 0

    result = run_at(project, monkeypatch, 50, "--orch-fail-on-regression")

    assert result.ret == 1
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*2 regression(s), the session fails "
                                 "(--orch-fail-on-regression)*"])
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        assert db.execute("SELECT status FROM runs ORDER BY started DESC LIMIT 1").fetchone() \
            == ("failed",)


def test_a_summarizer_plugin_supplies_the_summary_and_it_is_labelled(project, monkeypatch,
                                                                      cli):
    recipe(project)
    project.write("conftest.py", """
        from pytest_orchestrator.analysis.summary import Summary


        def pytest_orchestrator_summarize(run):
            facts = json.loads(run.as_json())
            return Summary(f"{facts['figures']['steps']} step(s), all fine.", producer="fake-llm")


        import json
        """)

    result = run_at(project, monkeypatch, 100, "--orch-summary", "--orch-report=run.html")

    result.stdout.fnmatch_lines(["*orchestrator: summary (by fake-llm)*", "1 step(s), all fine."])
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        assert db.execute("SELECT producer, text FROM summaries").fetchall() == [
            ("fake-llm", "1 step(s), all fine.")]
    report = (project.root / "run.html").read_text(encoding="utf-8")
    assert "by fake-llm" in report and "1 step(s), all fine." in report
    assert "<b>1</b> steps" in report  # the raw figures beside it


def test_the_heuristic_summary_says_what_failed_and_is_labelled(project, monkeypatch):
    recipe(project)
    project.recipe("broken", """
        test_meta: {test_id: BRK-1}
        steps:
          - name: refuse
            module: steps.demo
            function: Refuse
        """)

    result = run_at(project, monkeypatch, 100, "--orch-summary")

    result.stdout.fnmatch_lines([
        "*orchestrator: summary (heuristic)*",
        "Run * failed: 2 steps, 1 passed, 1 failed, 0 skipped, in * s.",
        "Failed: BRK-1::refuse (exit 1: Too few numbers (min=5)).",
        "Slowest: *"])


FLIP = r"""#!/bin/sh
# NAME: flip  DESC: fails when $FAIL is set, passes after a first failure when $ONCE names a file
if [ -n "$ONCE" ] && [ ! -e "$ONCE" ]; then touch "$ONCE"; echo '{"status":"error","reason":"first try","exit_code":1}'; exit 1; fi
if [ "$FAIL" = "1" ]; then echo '{"status":"error","reason":"link down","exit_code":1}'; exit 1; fi
echo '{"status":"ok","outputs":[]}'
"""


def test_flaky_steps_are_listed_with_their_history(project, monkeypatch, cli):
    project.script("scripts/flip.sh", FLIP)
    project.recipe("flaky", """
        test_meta: {test_id: FLK-1}
        steps:
          - name: ping
            type: exec
            script: scripts/flip.sh
            args: {fail: "${env:PING_DOWN}"}
          - name: retried
            type: exec
            script: scripts/flip.sh
            depends_on: []
            args: {once: "${ARTIFACTS}/tried"}
            retry: {max: 1}
        """)
    for fail in ("0", "1"):
        monkeypatch.setenv("PING_DOWN", fail)
        project.run("-p", "no:randomly")
    monkeypatch.setenv("PING_DOWN", "0")

    result = project.run("-p", "no:randomly", "--orch-report=run.html")

    result.stdout.fnmatch_lines([
        "*orchestrator: flaky steps*",
        "FLAKY FLK-1::ping: 2 flips in its last 3 runs (passed, failed, passed)",
        "FLAKY FLK-1::retried: passed only on a retry"])
    report = (project.root / "run.html").read_text(encoding="utf-8")
    assert "Flaky steps" in report and "2 flips in its last 3 runs" in report


def test_flags_are_judged_on_xdist_workers_and_stored_by_the_controller(project, monkeypatch):
    pytest.importorskip("xdist")
    recipe(project)
    steady(project, monkeypatch, values=[100] * 5)

    result = run_at(project, monkeypatch, 50, "-n", "2", "--junitxml=junit.xml")

    result.stdout.fnmatch_lines(["REGRESSION NET-1::measure mean_mbps = 50 *"])
    assert len(flags(project)) == 2 and all(f["step_id"] for f in flags(project))
    assert "mean_mbps = 50" in (project.root / "junit.xml").read_text(encoding="utf-8")


def test_a_bad_metric_rule_is_a_collection_error_naming_its_line(project, monkeypatch):
    recipe(project, declared="    metrics:\n      mean_mbps: {better: up}\n")

    result = run_at(project, monkeypatch, 100)

    result.stdout.fnmatch_lines(["recipes/net.yaml:8: steps[0].metrics.mean_mbps.better: "
                                 '"up" is not one of higher, lower, both'])
    assert result.ret == pytest.ExitCode.INTERRUPTED


@pytest.mark.parametrize("ini, message", [
    ("orchestrator_baseline_runs = 3", "*orchestrator_baseline_runs: 3 is fewer than the 5*"),
    ("orchestrator_regression_tolerance = lots", "*orchestrator_regression_tolerance*"),
    ("orchestrator_regression_threshold = x", "*orchestrator_regression_threshold: 'x'*"),
])
def test_a_bad_analysis_ini_value_is_one_clear_message(project, monkeypatch, ini, message):
    recipe(project)
    project.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = steps\n" + ini)

    result = run_at(project, monkeypatch, 100)

    assert result.ret != 0
    assert fnmatch.filter(result.stdout.lines + result.stderr.lines, message)


def test_a_summarizer_that_raises_costs_nothing_but_a_line(project, monkeypatch):
    recipe(project)
    project.write("conftest.py", """
        def pytest_orchestrator_summarize(run):
            raise ConnectionError("model at http://llm:hunter2@10.0.0.9 is down")
        """)

    result = run_at(project, monkeypatch, 100, "--orch-summary")

    assert result.ret == 0
    result.stdout.fnmatch_lines([
        "orchestrator: the summarizer failed (ConnectionError: model at http://llm:***@10.0.0.9 "
        "is down): the heuristic summary instead",
        "*orchestrator: summary (heuristic)*"])
    assert "hunter2" not in result.stdout.str()


HOG = '''
    import os

    from pytest_orchestrator import BaseScriptlet


    class Hog(BaseScriptlet):
        """Touches $HOG_MB megabytes, raising the process's peak RSS."""

        def run(self, ctx, params):
            block = bytearray(int(os.environ.get("HOG_MB", "0")) * 1024 * 1024)
            block[::4096] = b"x" * len(range(0, len(block), 4096))
            return self.emit_ok([])
    '''


def test_an_in_process_step_s_peak_rss_is_judged_only_where_the_recipe_declares_it(
        project, monkeypatch):
    """An in-process step's peak RSS is the whole session's high-water mark: what else ran
    moves it, so it is not held against the step unless its recipe asks for it."""
    project.write("steps/hog.py", HOG)
    body = "test_meta: {test_id: MEM-1}\nsteps:\n  - {name: hog, module: steps.hog, function: Hog%s}\n"
    project.recipe("mem", body % "")
    monkeypatch.setenv("HOG_MB", "0")
    for _ in range(6):  # each run in a process of its own: a baseline of a fresh interpreter
        project.run_subprocess("-p", "no:randomly").assert_outcomes(passed=1)
    monkeypatch.setenv("HOG_MB", "300")
    undeclared = project.run_subprocess("-p", "no:randomly")
    undeclared.assert_outcomes(passed=1)
    assert "MEM-1::hog peak_rss" not in undeclared.stdout.str()

    project.recipe("mem", body % ", metrics: {peak_rss: {better: lower}}")
    declared = project.run_subprocess("-p", "no:randomly")
    declared.assert_outcomes(passed=1)
    declared.stdout.fnmatch_lines(["REGRESSION MEM-1::hog peak_rss = * (baseline *, lower is better)"])
