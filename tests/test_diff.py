"""``orchestrator diff``: what changed between two real runs of a recipe — step outcomes, context
values per JSON path, metrics with their change in percent, durations — as text and JSON."""

from __future__ import annotations

import json
import re

import pytest

from pytest_orchestrator.analysis.diff import MISSING, NumberChange, diff_values

PROBE = '''
import os
from pytest_orchestrator import BaseScriptlet


class Measure(BaseScriptlet):
    """Reports the firmware, a password (when given) and the throughput the environment
    gives."""

    def run(self, ctx, params):
        ctx.set("dut.firmware_v1", {"version": os.environ["FW"],
                                    "ports": os.environ["PORTS"].split(",")})
        if os.environ["DUT_PASSWORD"]:
            ctx.set("dut.password_v1", os.environ["DUT_PASSWORD"])
        return self.emit_ok(["dut.firmware_v1"],
                            metrics={"mean_mbps": float(os.environ["MBPS"])})


class Check(BaseScriptlet):
    """Fails when CHECK is 'fail'."""

    def run(self, ctx, params):
        if os.environ.get("CHECK") == "fail":
            return self.emit_error("the link is down")
        return {"dut.checked_v1": True}
'''
RECIPE = """
test_meta: {test_id: PROBE}
steps:
  - {name: measure, module: steps.probe, function: Measure}
  - {name: check, module: steps.probe, function: Check}
"""


@pytest.fixture
def probe(project):
    project.write("steps/probe.py", PROBE)
    project.recipe("probe", RECIPE)
    return project


def run(project, monkeypatch, *args, fw="1.0", ports="e1,e2", mbps="100", password="hunter1",
        check="pass"):
    """One real pytest run of the project, the scriptlets reading these values."""
    for name, value in (("FW", fw), ("PORTS", ports), ("MBPS", mbps),
                        ("DUT_PASSWORD", password), ("CHECK", check)):
        monkeypatch.setenv(name, value)
    return project.run("-p", "no:randomly", *args)


@pytest.fixture
def two_runs(probe, monkeypatch, cli):
    """A passing run at firmware 1.0, then a run at 2.0 with half the throughput, one port
    fewer, another password and a failing check: the two run ids, oldest first."""
    run(probe, monkeypatch).assert_outcomes(passed=2)
    run(probe, monkeypatch, fw="2.0", ports="e1", mbps="50", password="hunter2",
        check="fail").assert_outcomes(passed=1, failed=1)
    runs = json.loads(cli("runs", "--json").stdout)
    return [r["run_id"] for r in reversed(runs)]


def section(text: str, title: str) -> list[str]:
    """The lines of one section of the text output: its title line to the blank line."""
    lines = text.split("\n\n")
    return next(part for part in lines if part.startswith(title)).splitlines()


def cells(line: str) -> list[str]:
    """The cells of a table line (columns are two spaces apart or more; empty ones vanish)."""
    return re.split(r"\s{2,}", line.strip())


def test_diff_shows_the_changed_value_the_failed_step_and_the_metric_drop(two_runs, cli):
    before, after = two_runs
    text = cli("diff", before, after).stdout
    assert text.splitlines()[0].startswith(f"before: {before} (passed, started ")
    assert text.splitlines()[1].startswith(f"after: {after} (failed, started ")
    assert [cells(line) for line in section(text, "steps")] == [
        ["steps: 1 changed, 1 unchanged"],
        ["recipe", "step", "before", "after"],
        ["PROBE", "check", "passed", "failed"]]
    assert [cells(line) for line in section(text, "context")] == [
        ["context: 3 changes"],
        ["namespace", "key", "path", "change", "before", "after"],
        ["PROBE", "dut.checked_v1", "$", "removed", "true"],
        ["PROBE", "dut.firmware_v1", "$.version", "changed", '"1.0"', '"2.0"'],
        ["PROBE", "dut.firmware_v1", "$.ports[1]", "removed", '"e2"']]
    metrics = section(text, "metrics")
    assert cells(metrics[1]) == ["recipe", "step", "metric", "before", "after", "change"]
    assert ["PROBE", "measure", "mean_mbps", "100", "50", "-50.0%"] in map(cells, metrics)
    assert {tuple(cells(line)[:3]) for line in metrics[2:]} >= {
        ("PROBE", "measure", "cpu"), ("PROBE", "measure", "peak_rss"), ("PROBE", "check", "cpu")}
    durations = [cells(line) for line in section(text, "durations")[2:]]
    assert [d[:2] for d in durations] == [["PROBE", "measure"], ["PROBE", "check"]]
    assert all(d[2].endswith("s") and d[3].endswith("s") for d in durations)


def test_diff_json_has_every_change_with_paths_values_and_percentages(two_runs, cli):
    before, after = two_runs
    found = json.loads(cli("diff", before, after, "--json").stdout)
    assert (found["before"]["run_id"], found["after"]["run_id"]) == (before, after)
    assert (found["before"]["status"], found["after"]["status"]) == ("passed", "failed")
    assert found["steps"] == [{"recipe": "PROBE", "step": "check", "before": "passed",
                               "after": "failed"}]
    assert found["unchanged_steps"] == 1
    assert found["context"] == [
        {"namespace": "PROBE", "key": "dut.checked_v1", "path": "$", "change": "removed",
         "before": True, "after": None},
        {"namespace": "PROBE", "key": "dut.firmware_v1", "path": "$.version",
         "change": "changed", "before": "1.0", "after": "2.0"},
        {"namespace": "PROBE", "key": "dut.firmware_v1", "path": "$.ports[1]",
         "change": "removed", "before": "e2", "after": None}]
    [mean] = [m for m in found["metrics"] if m["name"] == "mean_mbps"]
    assert mean == {"recipe": "PROBE", "step": "measure", "name": "mean_mbps", "before": 100.0,
                    "after": 50.0, "change_pct": -50.0}
    assert {d["step"] for d in found["durations"]} == {"measure", "check"}
    assert all(d["name"] == "duration" and d["before"] >= 0 for d in found["durations"])


def test_a_secret_stays_masked_and_its_change_unseen(two_runs, cli):
    before, after = two_runs
    for args in ((before, after), (before, after, "--json")):
        out = cli("diff", *args).stdout
        assert "hunter" not in out
        assert "dut.password_v1" not in out  # "***" before and after: no change to show


def test_runs_are_named_by_prefix_or_as_latest_and_previous(two_runs, cli):
    before, after = two_runs
    by_id = json.loads(cli("diff", before, after, "--json").stdout)
    by_prefix = json.loads(cli("diff", before[:-2], after[:-2], "--json").stdout)
    by_alias = json.loads(cli("diff", "previous", "latest", "--json").stdout)
    by_default = json.loads(cli("diff", "--json").stdout)
    for found in (by_prefix, by_alias, by_default):
        assert (found["before"], found["after"], found["steps"], found["context"]) == (
            by_id["before"], by_id["after"], by_id["steps"], by_id["context"])
    backwards = json.loads(cli("diff", "latest", "previous", "--json").stdout)
    assert backwards["steps"] == [{"recipe": "PROBE", "step": "check", "before": "failed",
                                   "after": "passed"}]


def test_an_unknown_or_ambiguous_run_is_one_error_with_a_hint(two_runs, cli):
    assert cli("diff", "nope", "latest", code=2).stderr == (
        "orchestrator: no run 'nope' in .orchestrator/results.db\n"
        "hint: `orchestrator runs` lists them; `latest` and `previous` name the last two\n")
    common = two_runs[0][:2]
    assert cli("diff", common, "latest", code=2).stderr.startswith(
        f"orchestrator: run id '{common}' is ambiguous\nhint: it starts ")


def test_previous_needs_two_runs(probe, monkeypatch, cli):
    run(probe, monkeypatch).assert_outcomes(passed=2)
    assert cli("diff", code=2).stderr == (
        "orchestrator: there is no previous run: the store holds 1\n"
        "hint: run pytest on a recipe first\n")


def test_recipe_keeps_one_recipes_changes_and_an_unknown_one_is_named(probe, monkeypatch, cli):
    probe.recipe("other", RECIPE.replace("PROBE", "OTHER"))
    run(probe, monkeypatch).assert_outcomes(passed=4)
    run(probe, monkeypatch, fw="2.0").assert_outcomes(passed=4)
    both = json.loads(cli("diff", "--json").stdout)
    assert {c["namespace"] for c in both["context"]} == {"PROBE", "OTHER"}
    one = json.loads(cli("diff", "--recipe", "OTHER", "--json").stdout)
    assert [(c["namespace"], c["path"]) for c in one["context"]] == [("OTHER", "$.version")]
    assert {m["recipe"] for m in one["metrics"] + one["durations"]} == {"OTHER"}
    assert cli("diff", "--recipe", "NOPE", code=2).stderr == (
        "orchestrator: neither run has a step of recipe 'NOPE'\nhint: they ran OTHER, PROBE\n")


def test_a_step_new_in_the_second_run_shows_as_not_run_before(probe, monkeypatch, cli):
    run(probe, monkeypatch).assert_outcomes(passed=2)
    probe.recipe("probe", RECIPE + "  - {name: again, module: steps.probe, function: Check}\n")
    run(probe, monkeypatch).assert_outcomes(passed=3)
    text = cli("diff").stdout
    assert ["PROBE", "again", "(not run)", "passed"] in map(cells, section(text, "steps"))
    found = json.loads(cli("diff", "--json").stdout)
    [again] = [d for d in found["durations"] if d["step"] == "again"]
    assert again["before"] is None and again["change_pct"] is None
    assert found["context"] == []  # the same values, written by one more step


def test_a_resumed_run_compares_the_values_it_restored(probe, monkeypatch, cli):
    """``--only check`` restores measure's writes from the store: they are the run's context,
    unchanged, even though measure did not run (a step that wrote a secret is never restored:
    no password here)."""
    run(probe, monkeypatch, password="").assert_outcomes(passed=2)
    run(probe, monkeypatch, "--only", "check", fw="9.9", password="").assert_outcomes(passed=1)
    found = json.loads(cli("diff", "--json").stdout)
    assert found["context"] == []
    assert found["steps"] == [{"recipe": "PROBE", "step": "measure", "before": "passed",
                               "after": "restored"}]


def test_json_values_differ_by_path_down_to_the_values_that_differ():
    before = {"a": 1, "b": {"c": [1, 2, 3], "d": "x"}, "odd key": 1, "t": 1}
    after = {"a": 1, "b": {"c": [1, 5], "e": None}, "odd key": 2, "t": 1.0}
    assert [(path, old, new) for path, old, new in diff_values(before, after)] == [
        ("$.b.c[1]", 2, 5), ("$.b.c[2]", 3, MISSING), ("$.b.d", "x", MISSING),
        ("$.b.e", MISSING, None), ('$["odd key"]', 1, 2), ("$.t", 1, 1.0)]
    assert list(diff_values([1], {"0": 1})) == [("$", [1], {"0": 1})]
    assert list(diff_values(True, 1)) == [("$", True, 1)]
    assert list(diff_values({"x": [1, {"y": 2}]}, {"x": [1, {"y": 2}]})) == []


@pytest.mark.parametrize(("before", "after", "pct"), [
    (100.0, 50.0, -50.0), (-4.0, -2.0, 50.0), (0.0, 0.0, 0.0), (0.0, 1.0, None),
    (None, 1.0, None), (1.0, None, None)])
def test_the_change_in_percent_is_relative_to_the_size_of_the_value_before(before, after, pct):
    assert NumberChange("R", "s", "m", before, after).change_pct == pct


def test_secrets_a_store_holds_in_clear_are_masked_in_the_diff(tmp_path, cli, pytester):
    """A store another tool (or an older version) wrote, with secrets in clear: the diff shows
    them masked all the same, under a secret-looking key or path, or in a URL."""
    from pytest_orchestrator.context import WriteRecord
    from pytest_orchestrator.store import ResultsStore, StepRecord

    values = [{"user": "bob", "token": "tok-first", "url": "https://bob:pw-first@dut/"},
              {"user": "ann", "token": "tok-second", "url": "https://ann:pw-second@dut/"}]
    with ResultsStore(pytester.path / ".orchestrator" / "results.db") as store:
        for hour, value in enumerate(values):
            run_id = f"2026120{hour}T100000-ab12"
            store.begin_run(run_id, args=[], host="h", git_rev="", started=f"2026-12-0{hour}")
            writes = [WriteRecord("dut.login_v1", None, value, who="s", step="login",
                                  run_id=run_id, ts="t").as_dict(),
                      WriteRecord("dut.api_key_v1", None, f"key-{hour}", who="s", step="login",
                                  run_id=run_id, ts="t").as_dict()]
            store.record_step(StepRecord(run_id, "SEC", "SEC", "login", "s::login", "passed",
                                         writes=writes))
            store.finish_run(run_id, "passed", f"2026-12-0{hour}")
    for args in ((), ("--json",)):
        out = cli("diff", *args).stdout
        assert not [word for word in ("tok-", "pw-", "key-") if word in out], out
    found = json.loads(cli("diff", "--json").stdout)["context"]
    assert [(c["key"], c["path"], c["before"], c["after"]) for c in found] == [
        ("dut.api_key_v1", "$", "***", "***"),
        ("dut.login_v1", "$.user", "bob", "ann"),
        ("dut.login_v1", "$.token", "***", "***"),
        ("dut.login_v1", "$.url", "https://bob:***@dut/", "https://ann:***@dut/")]
