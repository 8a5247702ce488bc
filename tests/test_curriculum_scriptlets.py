"""The curriculum's scriptlets run standalone, as a user runs them: `python -m` and shell."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scriptlets.steps.prime_factor_analysis import (
    PrimeFactorAnalysis,
    nearest_integer,
    prime_factors,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "recipes" / "data"
SHELL = ROOT / "scriptlets" / "shell"
NUMBERS = [4, 8, 15, 16, 23, 42, 7, 9, 10.5, 12, 3, 20]  # recipes/data/numbers.csv
MEAN = sum(NUMBERS) / len(NUMBERS)
STD = math.sqrt(sum((x - MEAN) ** 2 for x in NUMBERS) / len(NUMBERS))


def envelope_of(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, f"expected one envelope line, got {proc.stdout!r}"
    return json.loads(lines[0])


def run_scriptlet(tmp_path: Path, module: str, params: dict[str, Any],
                  context: dict[str, Any] | None = None,
                  **env: str) -> tuple[dict[str, Any], int]:
    """Run `python -m scriptlets.steps.<module> --params ...` with ``env`` added to an
    environment free of the caller's ORCH_* variables; return (envelope, exit code)."""
    argv = [sys.executable, "-m", f"scriptlets.steps.{module}", "--params", json.dumps(params)]
    if context is not None:
        seed = tmp_path / "context.json"
        seed.write_text(json.dumps(context))
        argv += ["--context", str(seed)]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ORCH_")}
    environ.update(ORCH_ARTIFACTS=str(tmp_path / "artifacts"), **env)
    proc = subprocess.run(argv, cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=60)
    return envelope_of(proc), proc.returncode


def run_shell(script: str, **env: str) -> tuple[dict[str, Any], int]:
    """Run a shell scriptlet with mapping args as upper-case environment variables."""
    proc = subprocess.run([str(SHELL / script)], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)
    return envelope_of(proc), proc.returncode


def write_csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "input.csv"
    path.write_text(text)
    return str(path)


# load_numbers

def test_load_numbers_reads_every_value_and_skips_blank_lines(tmp_path: Path) -> None:
    src = write_csv(tmp_path, "value\n1\n\n2.5\n  \n-3\n")
    env, code = run_scriptlet(tmp_path, "load_numbers", {"src": src})
    assert code == 0
    assert env["status"] == "ok"
    assert env["outputs"] == ["numbers.raw_v1"]
    assert env["metrics"] == {"count": 3}


def test_load_numbers_names_the_line_of_a_row_that_is_not_a_number(tmp_path: Path) -> None:
    src = write_csv(tmp_path, "value\n1\n\n2\nseven\n3\n")
    env, code = run_scriptlet(tmp_path, "load_numbers", {"src": src})
    assert code == 1
    assert env["status"] == "error"
    assert env["reason"] == f"{src}:5: 'seven' is not a number"
    assert env["details"] == {"src": src, "line": 5, "text": "seven"}


def test_load_numbers_reads_the_path_held_by_a_context_key(tmp_path: Path) -> None:
    context = {"files.sanitized_csv_v1": str(DATA / "numbers.csv")}
    env, code = run_scriptlet(tmp_path, "load_numbers", {"src_key": "files.sanitized_csv_v1"},
                              context)
    assert (code, env["metrics"]) == (0, {"count": len(NUMBERS)})


def test_load_numbers_exits_2_when_the_src_key_is_not_in_the_context(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "load_numbers", {"src_key": "files.sanitized_csv_v1"})
    assert code == 2
    assert env["reason"] == "context key 'files.sanitized_csv_v1' holds no CSV path"


def test_load_numbers_wants_exactly_one_of_src_and_src_key(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "load_numbers", {})
    assert code == 1
    assert "exactly one of 'src'" in env["reason"]


# validate_numbers

def test_validate_numbers_refuses_three_numbers_with_a_structured_error(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "validate_numbers", {"src": str(DATA / "few_numbers.csv")})
    assert code == 1
    assert env["status"] == "error"
    assert env["reason"] == "Too few numbers (min=5)"
    assert env["details"]["count"] == 3
    assert env["exit_code"] == 1


def test_validate_numbers_accepts_numbers_read_from_the_context(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "validate_numbers", {"min_count": 2},
                              {"numbers.raw_v1": [1, 2]})
    assert (code, env["outputs"]) == (0, ["numbers.validated_v1"])


def test_validate_numbers_refuses_a_min_count_that_is_not_a_positive_integer(
        tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "validate_numbers", {"min_count": "5"},
                              {"numbers.raw_v1": [1, 2]})
    assert code == 1
    assert "min_count must be an integer >= 1" in env["reason"]


# normalize_numbers and compute_numbers

def test_normalize_numbers_writes_normalized_json_into_out_dir(tmp_path: Path) -> None:
    out = tmp_path / "run" / "artifacts"
    env, code = run_scriptlet(tmp_path, "normalize_numbers",
                              {"src": str(DATA / "numbers.csv"), "out_dir": str(out)},
                              ORCH_ROOTDIR=str(tmp_path))
    assert code == 0
    assert env["outputs"] == ["numbers.normalized_v1", "numbers.stats_v1"]
    assert env["artifacts"] == [str(out / "normalized.json")]
    written = json.loads((out / "normalized.json").read_text())
    assert min(written["normalized"]) == 0.0
    assert max(written["normalized"]) == 1.0
    assert written["normalized"][0] == (4 - 3) / (42 - 3)
    assert written["stats"]["count"] == len(NUMBERS)


def test_normalize_numbers_defaults_out_dir_to_orch_artifacts(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "normalize_numbers", {}, {"numbers.raw_v1": [5, 5]})
    assert code == 0
    assert env["artifacts"] == [str(tmp_path / "artifacts" / "normalized.json")]
    assert json.loads((tmp_path / "artifacts" / "normalized.json").read_text())[
        "normalized"] == [0.0, 0.0]


def test_compute_numbers_and_normalize_numbers_write_stats_of_one_shape(tmp_path: Path) -> None:
    params = {"src": str(DATA / "numbers.csv")}
    stats, code = run_scriptlet(tmp_path, "compute_numbers", params)
    assert code == 0
    assert stats["metrics"] == pytest.approx(
        {"mean": MEAN, "variance": STD ** 2, "min": 3, "max": 42, "count": 12})
    run_scriptlet(tmp_path, "normalize_numbers", {**params, "out_dir": str(tmp_path)},
                  ORCH_ROOTDIR=str(tmp_path))
    normalized = json.loads((tmp_path / "normalized.json").read_text())["stats"]
    assert normalized == stats["metrics"]


# compute_metrics_v1 / v2

def test_compute_metrics_v1_summarises_count_mean_median_min_max(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "compute_metrics_v1", {"src": str(DATA / "numbers.csv")})
    assert code == 0
    assert env["outputs"] == ["metrics.summary_v1", "metrics.columns_v1"]
    assert env["metrics"] == {"count": 12, "mean": MEAN, "median": 11.25, "min": 3, "max": 42}


def test_compute_metrics_v2_extends_the_v1_summary_without_changing_it(tmp_path: Path) -> None:
    params = {"src": str(DATA / "numbers.csv")}
    v1, _ = run_scriptlet(tmp_path, "compute_metrics_v1", params)
    v2, code = run_scriptlet(tmp_path, "compute_metrics_v2", params)
    assert code == 0
    assert v2["outputs"] == ["metrics.summary_v1", "metrics.summary_v2"]
    assert {k: v2["metrics"][k] for k in v1["metrics"]} == v1["metrics"]
    assert v2["metrics"]["sum"] == sum(NUMBERS)
    assert v2["metrics"]["range"] == 39
    assert v2["metrics"]["std"] == pytest.approx(STD)


# the fan-out and the fan-in of recipe 06

@pytest.mark.parametrize(("module", "key", "expected"), [
    ("compute_mean", "mean", MEAN),
    ("compute_median", "median", 11.25),
    ("compute_std", "std", STD),
])
def test_each_fan_out_step_computes_its_metric_from_the_loaded_numbers(
        tmp_path: Path, module: str, key: str, expected: float) -> None:
    env, code = run_scriptlet(tmp_path, module, {}, {"numbers.raw_v1": NUMBERS})
    assert code == 0
    assert env["outputs"] == [f"metrics.{key}_v1"]
    assert env["metrics"][key] == pytest.approx(expected)



# the slow samples of recipe 09

@pytest.mark.parametrize(("stat", "expected"), [
    ("mean", MEAN), ("median", 11.25), ("min", 3.0), ("max", 42.0), ("std", STD)])
def test_sample_metrics_measures_its_stat_under_its_name(
        tmp_path: Path, stat: str, expected: float) -> None:
    env, code = run_scriptlet(tmp_path, "sample_metrics",
                              {"name": "probe", "stat": stat, "pause_sec": "0"},
                              {"numbers.raw_v1": NUMBERS})
    assert code == 0
    assert env["outputs"] == ["dashboard.probe_v1"]
    assert env["metrics"] == {"probe": pytest.approx(expected)}


@pytest.mark.parametrize(("params", "reason"), [
    ({"stat": "mean"}, "name must be lower case letters, digits and _, got None"),
    ({"name": "Bad Name"}, "name must be lower case letters, digits and _, got 'Bad Name'"),
    ({"name": "x", "stat": "mode"}, "stat must be one of mean, median, min, max, std, got 'mode'"),
    ({"name": "x", "pause_sec": "soon"},
     "pause_sec must be a number of seconds from 0 to 60, got 'soon'"),
    ({"name": "x", "pause_sec": 600},
     "pause_sec must be a number of seconds from 0 to 60, got 600"),
])
def test_sample_metrics_refuses_bad_params_before_measuring(
        tmp_path: Path, params: dict[str, Any], reason: str) -> None:
    env, code = run_scriptlet(tmp_path, "sample_metrics", params, {"numbers.raw_v1": NUMBERS})
    assert (code, env["reason"]) == (1, f"ValueError: {reason}")

def test_aggregate_metrics_fans_in_the_three_metrics_from_the_context(tmp_path: Path) -> None:
    context = {"metrics.mean_v1": 5.0, "metrics.median_v1": 4.0, "metrics.std_v1": 1.5}
    env, code = run_scriptlet(tmp_path, "aggregate_metrics", {}, context)
    assert code == 0
    assert env["outputs"] == ["metrics.aggregate_v1"]
    assert env["metrics"] == {"mean": 5.0, "median": 4.0, "std": 1.5, "mean_minus_median": 1.0}


def test_aggregate_metrics_computes_the_three_metrics_itself_from_src(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "aggregate_metrics", {"src": str(DATA / "numbers.csv")})
    assert code == 0
    assert env["metrics"] == pytest.approx(
        {"mean": MEAN, "median": 11.25, "std": STD, "mean_minus_median": MEAN - 11.25})


def test_aggregate_metrics_exits_2_naming_the_metrics_not_yet_computed(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "aggregate_metrics", {}, {"metrics.mean_v1": 5.0})
    assert code == 2
    assert env["details"] == {"missing": ["metrics.median_v1", "metrics.std_v1"]}


# prime_factor_analysis (recipe 07)

@pytest.mark.parametrize(("n", "factors"), [
    (12, [2, 2, 3]), (97, [97]), (1, []), (0, []), (-12, [2, 2, 3]), (2 ** 10, [2] * 10),
    (999985999949, [999983, 1000003]),
])
def test_prime_factors_are_found_by_trial_division_smallest_first(
        n: int, factors: list[int]) -> None:
    assert prime_factors(n) == factors


@pytest.mark.parametrize(("x", "n"), [(10.5, 11), (-3.5, -4), (2.4, 2), (100.0, 100), (7, 7)])
def test_a_number_that_is_not_an_integer_is_rounded_halves_away_from_zero(
        x: float, n: int) -> None:
    assert nearest_integer(x) == n


def test_prime_factor_analysis_asks_for_a_process_of_its_own() -> None:
    assert PrimeFactorAnalysis.requires_process is True


def test_prime_factor_analysis_factors_the_numbers_then_the_extra_ones(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "prime_factor_analysis",
                              {"src": str(DATA / "numbers.csv"), "extra": [999985999949, 12]})
    assert code == 0
    assert env["outputs"] == ["numbers.prime_factors_v1"]
    # 12 numbers, 10.5 rounded to 11; 12 of the extra ones is already there
    assert env["metrics"] == {"factored": 13, "rounded": 1, "largest_factor": 1000003}


def test_prime_factor_analysis_refuses_an_extra_that_is_not_a_list_of_integers(
        tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "prime_factor_analysis", {"extra": [12, "13"]},
                              {"numbers.raw_v1": [4]})
    assert code == 1
    assert env["reason"] == "ValueError: extra must be a list of integers, got [12, '13']"


def test_prime_factor_analysis_of_an_empty_list_fails(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "prime_factor_analysis", {}, {"numbers.raw_v1": []})
    assert (code, env["reason"]) == (1, "no numbers to factor")


# inject_failure (recipe 11)

def test_inject_failure_fails_on_purpose_by_default(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "inject_failure", {})
    assert code == 1
    assert env["status"] == "error"
    assert env["reason"] == "injected failure (switch it off with enabled: false)"
    assert env["exit_code"] == 1
    assert env["details"] == {"attempt": 1, "fail_times": None}


def test_inject_failure_passes_when_switched_off_by_its_param(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "inject_failure", {"enabled": False})
    assert code == 0
    assert env["outputs"] == ["resilience.inject_ok_v1"]
    assert env["metrics"] == {"attempt": 1}


def test_inject_failure_passes_when_orch_inject_failure_is_0(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "inject_failure", {}, ORCH_INJECT_FAILURE="0")
    assert (code, env["outputs"]) == (0, ["resilience.inject_ok_v1"])


@pytest.mark.parametrize(("value", "code"), [(None, 0), ("0", 0), ("", 0), ("1", 1),
                                             ("yes", 1)])
def test_inject_failure_with_enabled_env_fails_only_while_that_variable_is_on(
        tmp_path: Path, value: str | None, code: int) -> None:
    env = {} if value is None else {"LAB_FAULT": value}
    envelope, exit_code = run_scriptlet(tmp_path, "inject_failure",
                                        {"enabled_env": "LAB_FAULT"}, **env)
    assert exit_code == code
    if code:
        assert envelope["reason"] == f"injected failure (switched on by LAB_FAULT={value})"
    else:
        assert envelope["outputs"] == ["resilience.inject_ok_v1"]


def test_inject_failure_enabled_env_yields_to_the_other_switches(tmp_path: Path) -> None:
    on = {"enabled_env": "LAB_FAULT"}
    assert run_scriptlet(tmp_path, "inject_failure", {**on, "enabled": False},
                         LAB_FAULT="1")[1] == 0
    assert run_scriptlet(tmp_path, "inject_failure", on, LAB_FAULT="1",
                         ORCH_INJECT_FAILURE="0")[1] == 0


def test_inject_failure_enabled_env_must_name_a_variable(tmp_path: Path) -> None:
    envelope, code = run_scriptlet(tmp_path, "inject_failure", {"enabled_env": "NOT A NAME"})
    assert code == 1
    assert envelope["reason"] == \
        "ValueError: enabled_env must name an environment variable, got 'NOT A NAME'"


def test_inject_failure_fails_the_first_fail_times_calls_then_passes(tmp_path: Path) -> None:
    state = tmp_path / "state" / "flaky.json"
    params = {"fail_times": 2, "state_file": str(state)}
    calls = [run_scriptlet(tmp_path, "inject_failure", params, ORCH_ROOTDIR=str(tmp_path))
             for _ in range(3)]
    assert [code for _, code in calls] == [1, 1, 0]
    assert [env["details"]["attempt"] for env, _ in calls[:2]] == [1, 2]
    assert calls[2][0]["metrics"] == {"attempt": 3}
    assert json.loads(state.read_text()) == {"calls": 3}


def test_inject_failure_wants_a_state_file_to_count_fail_times_in(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "inject_failure", {"fail_times": 2})
    assert code == 1
    assert env["reason"] == "ValueError: fail_times needs a state_file (a path) to count the calls in"


def test_inject_failure_exits_3_on_a_state_file_that_is_not_its_counter(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("[1, 2]")
    env, code = run_scriptlet(tmp_path, "inject_failure",
                              {"fail_times": 1, "state_file": str(state)},
                              ORCH_ROOTDIR=str(tmp_path))
    assert code == 3
    assert env["reason"].startswith(f"state_file {state}: not a call counter")
    assert state.read_text() == "[1, 2]"


# cache_numbers (recipe 12)

def test_cache_numbers_misses_then_hits_on_the_same_numbers(tmp_path: Path) -> None:
    params = {"src": str(DATA / "numbers.csv"), "cache_dir": str(tmp_path / "cache")}
    first, code1 = run_scriptlet(tmp_path, "cache_numbers", params, ORCH_ROOTDIR=str(tmp_path))
    second, code2 = run_scriptlet(tmp_path, "cache_numbers", params, ORCH_ROOTDIR=str(tmp_path))
    assert (code1, code2) == (0, 0)
    assert first["outputs"] == ["cache.numbers_hash_v1", "cache.numbers_hit_v1"]
    assert first["metrics"] == {"hit": False, "count": 12}
    assert second["metrics"] == {"hit": True, "count": 12}
    digest = hashlib.sha256(json.dumps(NUMBERS, separators=(",", ":")).encode()).hexdigest()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"{digest}.json"]
    assert json.loads((tmp_path / "cache" / f"{digest}.json").read_text()) == NUMBERS


def test_cache_numbers_misses_on_other_numbers(tmp_path: Path) -> None:
    params = {"cache_dir": str(tmp_path / "cache")}
    run_scriptlet(tmp_path, "cache_numbers", params, {"numbers.raw_v1": [1, 2]},
                  ORCH_ROOTDIR=str(tmp_path))
    env, code = run_scriptlet(tmp_path, "cache_numbers", params, {"numbers.raw_v1": [2, 1]},
                              ORCH_ROOTDIR=str(tmp_path))
    assert (code, env["metrics"]["hit"]) == (0, False)
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_cache_numbers_refuses_a_cache_dir_that_is_not_a_path(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "cache_numbers", {"cache_dir": 3},
                              {"numbers.raw_v1": [1]})
    assert (code, env["reason"]) == (1, "ValueError: cache_dir must be a path, got 3")


# resource_audit (recipe 12)

def step_entry(duration: float, cpu: float, rss: int, executor: str) -> dict[str, Any]:
    return {"start": "2026-11-24T10:00:00.000Z", "end": "2026-11-24T10:00:01.000Z",
            "duration": duration, "cpu_user": cpu, "cpu_sys": cpu / 2, "peak_rss": rss,
            "exit_code": 0, "attempts": 1, "cache_hit": False, "executor": executor,
            "host": "bench-3", "worker": "main"}


STEP_METRICS = {"_runner.step_metrics_v1": {
    "load_numbers": step_entry(0.01, 0.02, 40 * 2 ** 20, "inprocess"),
    "prime_factor_analysis": step_entry(0.5, 0.4, 60 * 2 ** 20, "child"),
    "sanitize_csv": step_entry(0.03, 0.01, 5 * 2 ** 20, "subprocess"),
    "compute_mean": step_entry(0.02, 0.01, 40 * 2 ** 20, "inprocess"),
}}


def test_resource_audit_sums_up_the_step_metrics_of_the_steps_before_it(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "resource_audit", {}, STEP_METRICS)
    assert code == 0
    assert env["outputs"] == ["resource.audit_v1"]
    assert env["metrics"] == {
        "steps": 4, "total_duration": 0.56, "total_cpu": pytest.approx(0.66),
        "max_peak_rss": 60 * 2 ** 20, "slowest_step": "prime_factor_analysis",
        "executors": {"inprocess": 2, "child": 1, "subprocess": 1}}


def test_resource_audit_fails_naming_the_step_above_max_rss_mb(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "resource_audit", {"max_rss_mb": 50}, STEP_METRICS)
    assert code == 1
    assert env["reason"] == ("step 'prime_factor_analysis' peaked at 60.0 MiB RSS, "
                             "above max_rss_mb=50")
    assert env["details"] == {"step": "prime_factor_analysis", "peak_rss": 60 * 2 ** 20,
                              "max_rss_mb": 50}


def test_resource_audit_passes_under_max_rss_mb(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "resource_audit", {"max_rss_mb": 64}, STEP_METRICS)
    assert (code, env["metrics"]["steps"]) == (0, 4)


def test_resource_audit_alone_exits_2_with_no_step_metrics(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "resource_audit", {})
    assert code == 2
    assert env["reason"] == "no step metrics in the context: run it after other steps"


def test_resource_audit_refuses_a_max_rss_mb_that_is_not_a_positive_number(
        tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "resource_audit", {"max_rss_mb": 0}, STEP_METRICS)
    assert (code, env["reason"]) == (1, "ValueError: max_rss_mb must be a number > 0, got 0")


# cleanup_intermediate (recipe 12)

def intermediate_files(folder: Path) -> Path:
    for name in ("a.tmp", "sanitized.csv", "keep.csv", "sub/b.tmp"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    return folder


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_cleanup_intermediate_removes_the_default_patterns_then_nothing(tmp_path: Path) -> None:
    run = intermediate_files(tmp_path / "run")
    params = {"dir": str(run)}
    first, code1 = run_scriptlet(tmp_path, "cleanup_intermediate", params,
                                 ORCH_ROOTDIR=str(tmp_path))
    assert (code1, first["outputs"], first["metrics"]) == (0, ["cleanup.removed_v1"],
                                                           {"removed": 2})
    assert files_in(run) == ["keep.csv", "sub/b.tmp"]
    second, code2 = run_scriptlet(tmp_path, "cleanup_intermediate", params,
                                  ORCH_ROOTDIR=str(tmp_path))
    assert (code2, second["metrics"]) == (0, {"removed": 0})


def test_cleanup_intermediate_reaches_subfolders_with_a_double_star(tmp_path: Path) -> None:
    run = intermediate_files(tmp_path / "run")
    env, code = run_scriptlet(tmp_path, "cleanup_intermediate",
                              {"dir": str(run), "patterns": ["**/*.tmp"]},
                              ORCH_ROOTDIR=str(tmp_path))
    assert (code, env["metrics"]) == (0, {"removed": 2})
    assert files_in(run) == ["keep.csv", "sanitized.csv"]


def test_cleanup_intermediate_removes_a_link_and_not_what_it_points_to(tmp_path: Path) -> None:
    outside = tmp_path / "precious.tmp"
    outside.write_text("keep me")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "link.tmp").symlink_to(outside)
    env, code = run_scriptlet(tmp_path, "cleanup_intermediate", {"dir": str(tmp_path / "run")},
                              ORCH_ROOTDIR=str(tmp_path))
    assert (code, env["metrics"]) == (0, {"removed": 1})
    assert outside.read_text() == "keep me"


def test_cleanup_intermediate_of_a_missing_dir_removes_nothing_and_warns(
        tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "cleanup_intermediate", {"dir": str(tmp_path / "gone")},
                              ORCH_ROOTDIR=str(tmp_path))
    assert (code, env["metrics"]) == (0, {"removed": 0})
    assert env["warnings"] == [f"dir {str(tmp_path / 'gone')!r} does not exist"]


def test_cleanup_intermediate_refuses_a_dir_outside_the_project(tmp_path: Path) -> None:
    run = intermediate_files(tmp_path / "run")
    env, code = run_scriptlet(tmp_path, "cleanup_intermediate", {"dir": str(run)})
    assert code == 1
    assert env["reason"].startswith(f"ValueError: refusing to clean: dir {str(run)!r} is "
                                    "outside the project")
    assert files_in(run) == ["a.tmp", "keep.csv", "sanitized.csv", "sub/b.tmp"]


def test_cleanup_intermediate_refuses_the_filesystem_root(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "cleanup_intermediate", {"dir": "/"}, ORCH_ROOTDIR="/")
    assert code == 1
    assert env["reason"] == "ValueError: refusing to clean: dir '/' is a filesystem root"


@pytest.mark.parametrize(("params", "reason"), [
    ({}, "dir is required: the folder to clean, e.g. ${ARTIFACTS}"),
    ({"dir": "run", "patterns": ["../*.tmp"]}, "pattern '../*.tmp' must be a glob relative to dir"),
    ({"dir": "run", "patterns": "*.tmp"}, "patterns must be a list of globs, got '*.tmp'"),
])
def test_cleanup_intermediate_refuses_a_missing_dir_or_a_bad_pattern(
        tmp_path: Path, params: dict[str, Any], reason: str) -> None:
    env, code = run_scriptlet(tmp_path, "cleanup_intermediate", params)
    assert (code, env["reason"]) == (1, f"ValueError: {reason}")


# every Python scriptlet

@pytest.mark.parametrize("module", [
    "validate_numbers", "normalize_numbers", "compute_numbers", "compute_metrics_v1",
    "compute_metrics_v2", "compute_mean", "compute_median", "compute_std",
    "prime_factor_analysis", "cache_numbers",
])
def test_a_scriptlet_without_input_numbers_exits_2_dependency_not_satisfied(
        tmp_path: Path, module: str) -> None:
    env, code = run_scriptlet(tmp_path, module, {})
    assert code == 2
    assert env["status"] == "error"
    assert env["reason"].startswith("no numbers: pass 'src' or run a step that writes")


def test_a_misspelt_param_is_refused_with_the_names_the_scriptlet_takes(tmp_path: Path) -> None:
    env, code = run_scriptlet(tmp_path, "compute_mean", {"scr": "numbers.csv"})
    assert code == 1
    assert env["reason"] == "ValueError: unknown param 'scr'; this scriptlet takes: src"


# shell scriptlets

def test_sanitize_csv_keeps_only_the_numbers_of_a_dirty_csv(tmp_path: Path) -> None:
    env, code = run_shell("sanitize_csv.sh", SRC=str(DATA / "dirty_numbers.csv"),
                          OUT_DIR=str(tmp_path), ORCH_STEP="sanitize_csv",
                          ORCH_ROOTDIR=str(tmp_path))
    out = tmp_path / "sanitized.csv"
    assert code == 0
    assert out.read_text() == "value\n4\n8\n15\n16\n23\n42\n-3.5\n1e2\n"
    assert env == {"status": "ok", "outputs": ["files.sanitized_csv_v1"],
                   "artifacts": [str(out)], "metrics": {"kept": 8, "dropped": 2},
                   "warnings": [], "set": {"files.sanitized_csv_v1": str(out)}}


def test_sanitize_csv_writes_into_orch_artifacts_when_no_out_dir_is_given(
        tmp_path: Path) -> None:
    env, code = run_shell("sanitize_csv.sh", SRC=str(DATA / "few_numbers.csv"),
                          ORCH_ARTIFACTS=str(tmp_path / "run"))
    assert code == 0
    assert env["set"] == {"files.sanitized_csv_v1": str(tmp_path / "run" / "sanitized.csv")}
    assert (tmp_path / "run" / "sanitized.csv").read_text() == "value\n4\n8\n15\n"


def test_sanitize_csv_without_src_prints_an_error_envelope_and_exits_1() -> None:
    env, code = run_shell("sanitize_csv.sh", SRC="")
    assert code == 1
    assert env["status"] == "error"
    assert env["reason"] == "SRC is not set: pass args {src: PATH}"
    assert env["exit_code"] == 1


def test_enrich_csv_adds_a_squared_column(tmp_path: Path) -> None:
    src = write_csv(tmp_path, "value\n2\n\n-3.5\n1e2\n0.1\n")
    env, code = run_shell("enrich_csv.sh", SRC=src, OUT_DIR=str(tmp_path / "out"),
                          ORCH_ROOTDIR=str(tmp_path))
    out = tmp_path / "out" / "enriched.csv"
    assert code == 0
    assert out.read_text() == "value,squared\n2,4\n-3.5,12.25\n1e2,10000\n0.1,0.01\n"
    assert env["set"] == {"files.enriched_csv_v1": str(out)}
    assert env["artifacts"] == [str(out)]
    assert env["metrics"] == {"rows": 4}


def test_enrich_csv_names_the_line_of_a_value_that_is_not_a_number(tmp_path: Path) -> None:
    src = write_csv(tmp_path, "value\n2\nn/a\n")
    env, code = run_shell("enrich_csv.sh", SRC=src, OUT_DIR=str(tmp_path / "out"),
                          ORCH_ROOTDIR=str(tmp_path))
    assert code == 1
    assert env["reason"] == f'{src}:3: "n/a" is not a number'
    assert not (tmp_path / "out" / "enriched.csv").exists()


def test_sanitize_then_load_numbers_is_the_shell_to_python_hand_over(tmp_path: Path) -> None:
    shell_env, _ = run_shell("sanitize_csv.sh", SRC=str(DATA / "dirty_numbers.csv"),
                             OUT_DIR=str(tmp_path), ORCH_ROOTDIR=str(tmp_path))
    env, code = run_scriptlet(tmp_path, "load_numbers", {"src_key": "files.sanitized_csv_v1"},
                              shell_env["set"])
    assert (code, env["metrics"]) == (0, {"count": 8})
