"""The pure parts of the analysis: baselines and the rules that flag, declared metric paths,
and what the store's history says (series, flaky steps, restarts) on a real SQLite file."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_orchestrator.analysis.baseline import (
    Baseline,
    StepHistory,
    judge,
    restarts,
    series,
)
from pytest_orchestrator.analysis.flaky import flaky_steps
from pytest_orchestrator.analysis.metrics import (
    Rule,
    Settings,
    declared_values,
    rules,
    tolerance_percent,
)
from pytest_orchestrator.analysis.summary import RunFacts, Summary, heuristic
from pytest_orchestrator.store import ResultsStore, StepRecord

STEADY = [100.0, 101.0, 99.0, 100.5, 99.5, 100.0]


def test_the_baseline_is_the_median_and_mad_and_z_is_robust():
    base = Baseline.of([10.0, 11.0, 9.0, 10.0, 50.0])  # one outlier does not move it
    assert (base.median, base.mad, base.runs) == (10.0, 1.0, 5)
    assert base.z(13.0) == pytest.approx(3 / 1.4826)
    assert base.change_pct(5.0) == -50.0
    assert Baseline.of([3.0] * 5).z(3.3) == math.inf
    assert Baseline.of([3.0] * 5).z(3.0) == 0.0


@pytest.mark.parametrize("value, rule, flagged", [
    (50.0, Rule("higher", 5.0), True),
    (150.0, Rule("higher", 5.0), False),  # better, not a regression
    (150.0, Rule("lower", 5.0), True),
    (150.0, Rule("both", 5.0), True),
    (50.0, Rule("both", 60.0), False),  # within the tolerance
    (99.0, Rule("both", 0.5), False),  # past the tolerance, not past the z threshold
    (50.0, Rule("higher", 5.0, min_change=60.0), False),  # under the smallest change
])
def test_a_value_is_flagged_only_on_the_bad_side_past_z_tolerance_and_floor(value, rule,
                                                                             flagged):
    assert (judge(value, STEADY, rule, 3.5) is not None) is flagged


def test_nothing_is_flagged_before_five_runs_and_a_constant_series_needs_the_tolerance():
    assert judge(1.0, STEADY[:4], Rule("both", 5.0), 3.5) is None
    assert judge(101.0, [100.0] * 6, Rule("both", 5.0), 3.5) is None
    assert judge(106.0, [100.0] * 6, Rule("both", 5.0), 3.5) is not None


def test_resources_are_lower_is_better_with_floors_and_a_declaration_overrides():
    found = rules({"duration": {"tolerance": "20%"}, "mean": {"better": "higher"}}, Settings())
    assert found["duration"] == Rule("lower", 20.0, 0.5)
    assert found["peak_rss"] == Rule("lower", 5.0, 32 * 1024 * 1024)
    assert found["mean"] == Rule("higher", 5.0, 0.0)
    # a 2 ms step that took 9 ms on a busy machine: noise, never a regression
    assert judge(0.009, [0.002] * 6, found["duration"], 3.5) is None


@given(value=st.floats(0, 2.0), history=st.lists(st.floats(0, 1e3), min_size=5, max_size=12),
       tolerance=st.floats(0, 50), floor=st.floats(0, 1.0))
def test_a_resource_value_below_its_floor_is_never_flagged_so_its_history_is_not_read(
        value, history, tolerance, floor):
    rule = Rule("lower", tolerance, floor)
    if not rule.may_flag(value, never_negative=True):
        assert judge(value, history, rule, 0.0) is None


def test_only_a_never_negative_lower_is_better_value_below_the_floor_skips_its_history():
    assert not Rule("lower", 5.0, 0.5).may_flag(0.4, never_negative=True)
    assert Rule("lower", 5.0, 0.5).may_flag(0.6, never_negative=True)
    assert Rule("lower", 5.0, 0.5).may_flag(0.4, never_negative=False)  # a baseline of -1
    assert Rule("both", 5.0, 0.5).may_flag(0.0, never_negative=True)
    assert Rule("higher", 5.0, 0.5).may_flag(0.0, never_negative=True)


@pytest.mark.parametrize("text, percent", [("5%", 5.0), ("12.5 %", 12.5), ("5", 5.0),
                                           (7, 7.0), ("lots", None), (-1, None)])
def test_a_tolerance_is_a_percentage(text, percent):
    assert tolerance_percent(text) == percent


def test_declared_json_paths_read_numbers_the_step_wrote():
    writes = [{"key": "net.throughput_v1", "after": {"mean": 941.5, "runs": [1, 2.5]}},
              {"key": "net.label_v1", "after": "uplink"},
              {"key": "net.flag_v1", "after": True}]
    declared = {name: {} for name in ("net.throughput_v1.mean", "net.throughput_v1.runs.1",
                                      "net.label_v1", "net.flag_v1", "net.throughput_v1.nope",
                                      "net.other_v1.mean", "mean_mbps")}
    assert declared_values(declared, writes) == {"net.throughput_v1.mean": 941.5,
                                                  "net.throughput_v1.runs.1": 2.5}


@pytest.fixture
def store(tmp_path):
    with ResultsStore(tmp_path / "results.db") as opened:
        yield opened


def record(store, run: int, value: float, *, outcome="passed", spec="h1", attempts=1,
           step="measure"):
    run_id = f"2026110{run // 10}T{run % 10:06d}-r{run}"
    store.begin_run(run_id, args=[], host="h", git_rev="", started=f"2026-11-01T00:00:{run:02d}Z")
    store.record_step(StepRecord(run_id, "NET-1", "NET-1", step, f"recipes/n.yaml::{step}",
                                 outcome, attempts=attempts, spec_hash=spec,
                                 metrics={"mean_mbps": value}))
    store.finish_run(run_id, "passed", f"2026-11-01T00:00:{run:02d}Z")
    return run_id


def test_a_step_history_is_its_last_passed_runs_of_one_definition_newest_first(store):
    for run, value in enumerate([1.0, 2.0, 3.0, 4.0]):
        record(store, run, value)
    record(store, 4, 9.0, outcome="failed")
    record(store, 5, 7.0, spec="h2")

    history = StepHistory.read(store, "NET-1", "NET-1", "measure", "h1", 3)

    assert (history.values["mean_mbps"], history.runs) == ([4.0, 3.0, 2.0], 3)


def test_series_gives_each_run_its_value_baseline_and_flag(store):
    for run, value in enumerate([*STEADY, 50.0]):
        record(store, run, value)
    store.add_rows("flags", [{"run_id": "x", "step_id": 7, "test_id": "NET-1",
                              "step": "measure", "row": "", "metric": "mean_mbps", "value": 50.0,
                              "baseline": 100.0, "mad": 0.5, "change_pct": -50.0, "z": 67.0,
                              "better": "both", "runs": 6, "note": ""}])

    rows = series(store, "mean_mbps", test_id="NET-1", step="measure")

    assert [r["baseline"] for r in rows] == [None] * 5 + [100.0, 100.0]
    assert [r["flagged"] for r in rows] == [False] * 6 + [True]
    assert [r["value"] for r in series(store.path, "mean_mbps", last=2)] == [100.0, 50.0]
    assert series(store, "mean_mbps", step="other") == []


def test_flaky_steps_flip_twice_or_pass_on_a_retry_and_restarts_are_named(store):
    for run, outcome in enumerate(["passed", "failed", "passed"]):
        record(store, run, 1.0, outcome=outcome)
    last = record(store, 3, 1.0, step="retried", attempts=2)
    assert [(f.step, f.outcomes) for f in flaky_steps(store, "2026110" + "0T000002-r2")] == [
        ("measure", ("passed", "failed", "passed"))]
    assert [f.line() for f in flaky_steps(store, last)] == [
        "NET-1::retried: passed only on a retry"]

    changed = record(store, 4, 1.0, spec="h2")

    assert restarts(store, changed) == [
        "recipes/n.yaml::measure: definition changed since run 20261100T000002-r2: new "
        "baseline (0 of 5 runs before this one; nothing flagged until then)"]


def test_the_heuristic_summary_is_labelled_and_a_model_is_named():
    facts = RunFacts("r1", "passed", {"steps": 2, "passed": 2, "failed": 0, "skipped": 0,
                                      "cached": 1, "regressions": 0, "flaky": 0,
                                      "duration": 1.5},
                     steps=[{"test_id": "T", "step": "a", "outcome": "passed", "duration": 1.5,
                             "cache_hit": 0}, {"test_id": "T", "step": "b",
                                               "outcome": "passed", "duration": 0.0,
                                               "cache_hit": 1}])
    summary = heuristic(facts)
    assert summary.label == "heuristic"
    assert summary.text.splitlines() == [
        "Run r1 passed: 2 steps, 2 passed, 0 failed, 0 skipped, in 1.5 s.",
        "Slowest: T::a 1.50 s.", "Cache hits: 1 step(s) restored from the step cache.",
        "Nothing failed, regressed or flaked."]
    assert Summary("text", producer="gpt-lab").label == "by gpt-lab"
