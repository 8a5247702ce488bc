"""The curriculum's scriptlets run standalone, as a user runs them: `python -m` and shell."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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
                  context: dict[str, Any] | None = None) -> tuple[dict[str, Any], int]:
    """Run `python -m scriptlets.steps.<module> --params ...`; return (envelope, exit code)."""
    argv = [sys.executable, "-m", f"scriptlets.steps.{module}", "--params", json.dumps(params)]
    if context is not None:
        seed = tmp_path / "context.json"
        seed.write_text(json.dumps(context))
        argv += ["--context", str(seed)]
    env = {**os.environ, "ORCH_ARTIFACTS": str(tmp_path / "artifacts")}
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
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
                              {"src": str(DATA / "numbers.csv"), "out_dir": str(out)})
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
    run_scriptlet(tmp_path, "normalize_numbers", {**params, "out_dir": str(tmp_path)})
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


# every Python scriptlet

@pytest.mark.parametrize("module", [
    "validate_numbers", "normalize_numbers", "compute_numbers", "compute_metrics_v1",
    "compute_metrics_v2", "compute_mean", "compute_median", "compute_std",
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
                          OUT_DIR=str(tmp_path), ORCH_STEP="sanitize_csv")
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
    env, code = run_shell("enrich_csv.sh", SRC=src, OUT_DIR=str(tmp_path / "out"))
    out = tmp_path / "out" / "enriched.csv"
    assert code == 0
    assert out.read_text() == "value,squared\n2,4\n-3.5,12.25\n1e2,10000\n0.1,0.01\n"
    assert env["set"] == {"files.enriched_csv_v1": str(out)}
    assert env["artifacts"] == [str(out)]
    assert env["metrics"] == {"rows": 4}


def test_enrich_csv_names_the_line_of_a_value_that_is_not_a_number(tmp_path: Path) -> None:
    src = write_csv(tmp_path, "value\n2\nn/a\n")
    env, code = run_shell("enrich_csv.sh", SRC=src, OUT_DIR=str(tmp_path / "out"))
    assert code == 1
    assert env["reason"] == f'{src}:3: "n/a" is not a number'
    assert not (tmp_path / "out" / "enriched.csv").exists()


def test_sanitize_then_load_numbers_is_the_shell_to_python_hand_over(tmp_path: Path) -> None:
    shell_env, _ = run_shell("sanitize_csv.sh", SRC=str(DATA / "dirty_numbers.csv"),
                             OUT_DIR=str(tmp_path))
    env, code = run_scriptlet(tmp_path, "load_numbers", {"src_key": "files.sanitized_csv_v1"},
                              shell_env["set"])
    assert (code, env["metrics"]) == (0, {"count": 8})
