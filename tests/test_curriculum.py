"""The curriculum as a user meets it: real pytest processes on the shipped recipes, and a new
user's own package of scriptlets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "no:benchmark", "-p", "no:hypothesispytest", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_expected_failure_of_recipe_03_is_the_real_envelope(tmp_path):
    result = run_pytest("recipes/03_validation_errors.yaml", "--runxfail",
                        f"--orch-artifacts={tmp_path}")
    assert result.returncode == 1, result.stdout
    assert "step 'validate_numbers' of NUM-003 failed (exit 1): Too few numbers (min=5)" \
        in result.stdout
    assert 'details: {"count": 3, "min_count": 5}' in result.stdout
    assert "1 failed, 1 passed" in result.stdout
    assert "pytest_orchestrator" not in result.stdout


def test_the_fan_in_recipe_aggregates_every_parallel_branch(tmp_path):
    (tmp_path / "test_check.py").write_text(
        "def test_aggregate(orchestrator_context):\n"
        "    agg = orchestrator_context.recipe('NUM-006').get('metrics.aggregate_v1')\n"
        "    ctx = orchestrator_context.recipe('NUM-006')\n"
        "    assert agg['mean'] == ctx.get('metrics.mean_v1')\n"
        "    assert agg['median'] == ctx.get('metrics.median_v1')\n"
        "    assert agg['std'] == ctx.get('metrics.std_v1')\n")
    result = run_pytest("recipes/06_parallel_fan_in.yaml", str(tmp_path / "test_check.py"),
                        f"--orch-artifacts={tmp_path}", "--rootdir", str(ROOT))
    assert "6 passed" in result.stdout, result.stdout


USER_STEPS = '''
import json, sys
from pytest_orchestrator import BaseScriptlet


class Ping(BaseScriptlet):
    """Pretends to ping params['host']; fails with a structured reason when told to."""

    def run(self, ctx, params):
        if params.get("unreachable"):
            return self.emit_error(f"host {params['host']} unreachable",
                                   details={"loss_pct": 100}, exit_code=4)
        ctx.set("net.ping_v1", {"host": params["host"], "loss_pct": 0})
        return self.emit_ok(["net.ping_v1"])


class Report(BaseScriptlet):
    def run(self, ctx, params):
        ping = ctx.get("net.ping_v1")
        ctx.set("net.report_v1", f"{ping['host']}: {ping['loss_pct']}% loss, "
                                 f"mtu {ctx.get('net.mtu_v1')}")
        return self.emit_ok(["net.report_v1"])
'''

RECIPE = """
test_meta: {{test_id: LAB-1, tester: new-user}}
steps:
  - name: ping
    module: labsteps.net
    function: Ping
    args: {{host: leaf1, unreachable: {unreachable}}}
  - name: mtu
    type: shell
    script: tools/mtu.sh
    args: {{iface: et-0/0/1}}
  - name: report
    module: labsteps.net
    function: Report
"""


def test_a_new_users_own_package_runs_and_a_failure_shows_only_the_reason(tmp_path):
    (tmp_path / "labsteps").mkdir()
    (tmp_path / "labsteps" / "__init__.py").write_text("")
    (tmp_path / "labsteps" / "net.py").write_text(USER_STEPS)
    (tmp_path / "tools").mkdir()
    script = tmp_path / "tools" / "mtu.sh"
    script.write_text('#!/usr/bin/env bash\necho "checking $IFACE" >&2\n'
                      'echo \'{"status":"ok","set":{"net.mtu_v1":9214}}\'\n')
    (tmp_path / "pytest.ini").write_text("[pytest]\norchestrator_scriptlet_packages = labsteps\n")
    (tmp_path / "recipes").mkdir()
    recipe = tmp_path / "recipes" / "lab.yaml"
    recipe.write_text(RECIPE.format(unreachable="false"))
    (tmp_path / "test_report.py").write_text(
        "def test_report(orchestrator_context):\n"
        "    assert orchestrator_context.recipe('LAB-1').get('net.report_v1') == "
        "'leaf1: 0% loss, mtu 9214'\n")
    green = run_pytest("-v", cwd=tmp_path)
    assert "4 passed" in green.stdout, green.stdout
    assert "recipes/lab.yaml::mtu PASSED" in green.stdout

    recipe.write_text(RECIPE.format(unreachable="true"))
    red = run_pytest("recipes", cwd=tmp_path)
    assert "1 failed, 2 skipped" in red.stdout, red.stdout
    assert "step 'ping' of LAB-1 failed (exit 4): host leaf1 unreachable" in red.stdout
    assert 'details: {"loss_pct": 100}' in red.stdout
    assert "pytest_orchestrator" not in red.stdout and "Traceback" not in red.stdout
