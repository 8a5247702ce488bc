"""Recipes 10 and 12 as a user meets them: real pytest processes on a copy of the curriculum (its
scriptlets, templates, recipes and data), so each test has its own caches and artifacts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import WARNINGS_ARE_ERRORS
from pytest_orchestrator.store import ResultsStore

ROOT = Path(__file__).resolve().parents[1]
#: The keys SPEC 13 says recipe 12 must produce (cache.*, metrics.*, and the rest by name).
SPEC_12_KEYS = {"cache.numbers_hash_v1", "cache.numbers_hit_v1", "metrics.summary_v1",
                "metrics.columns_v1", "metrics.summary_v2", "metrics.mean_v1",
                "metrics.median_v1", "metrics.std_v1", "metrics.aggregate_v1",
                "resource.audit_v1", "report.path_v1", "cleanup.removed_v1"}
#: The steps of recipe 12 with ``cache_key: auto``.
CACHED_12 = ["load_numbers", "compute_metrics_v1", "compute_metrics_v2", "compute_mean",
             "compute_median", "compute_std", "aggregate_metrics", "prime_factor_analysis"]


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A project made of the curriculum: scriptlets/, templates/, recipes 10 and 12, data."""
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("scriptlets", "templates", "recipes/data"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=ignore)
    for recipe in ("10_reporting.yaml", "12_advanced_full.yaml"):
        shutil.copy(ROOT / "recipes" / recipe, tmp_path / "recipes")
    (tmp_path / "pytest.ini").write_text("[pytest]\n" + WARNINGS_ARE_ERRORS)
    return tmp_path


def run_pytest(lab: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:benchmark",
                           "-p", "no:hypothesispytest", "-p", "no:randomly", *args],
                          cwd=lab, capture_output=True, text=True, timeout=300)


def context_of(lab: Path, test_id: str) -> dict[str, Any]:
    with ResultsStore(lab / ".orchestrator" / "results.db") as store:
        return store.context(test_id)[test_id]


def artifacts_of(lab: Path, test_id: str) -> list[Path]:
    """The recipe's artifact folder of each run, oldest first."""
    return sorted((lab / ".orchestrator" / "artifacts").glob(f"*/{test_id}"))


def test_recipe_10_renders_report_md_from_the_numbers_in_the_context(lab):
    result = run_pytest(lab, "recipes/10_reporting.yaml")
    assert "3 passed" in result.stdout, result.stdout
    context = context_of(lab, "NUM-010")
    report = artifacts_of(lab, "NUM-010")[0] / "report.md"
    assert context["report.path_v1"] == str(report)
    summary = context["metrics.summary_v2"]
    text = report.read_text()
    assert text.startswith("# Numbers report\n")
    assert (f"| {summary['count']} | {round(summary['mean'], 4)} | "
            f"{round(summary['median'], 4)} | {round(summary['std'], 4)} |") in text
    with ResultsStore(lab / ".orchestrator" / "results.db") as store:
        steps = store.run(store.runs()[0]["run_id"])["steps"]
    assert steps[-1]["envelope"]["artifacts"] == [str(report)]


def test_recipe_10_without_the_v2_metrics_fails_naming_the_key_and_its_step(lab):
    recipe = lab / "recipes" / "10_reporting.yaml"
    text = recipe.read_text()
    start = text.index("  - name: compute_metrics_v2")
    recipe.write_text(text[:start] + text[text.index("  - name: generate_report"):])
    result = run_pytest(lab, "recipes/10_reporting.yaml")
    assert "1 failed, 1 passed" in result.stdout, result.stdout
    assert ("step 'generate_report' of NUM-010 failed (exit 2): missing input "
            "metrics.summary_v2 (templates/report_template.md:") in result.stdout
    assert "it is written by compute_metrics_v2; run that step before this one" in result.stdout


def test_recipe_12_produces_every_key_and_a_second_run_is_served_by_the_caches(lab):
    first = run_pytest(lab, "recipes/12_advanced_full.yaml", "-v")
    assert "13 passed" in first.stdout, first.stdout
    assert "(cached)" not in first.stdout
    assert SPEC_12_KEYS - set(context_of(lab, "NUM-012")) == set()
    assert context_of(lab, "NUM-012")["cache.numbers_hit_v1"] is False

    second = run_pytest(lab, "recipes/12_advanced_full.yaml", "-v")
    assert "13 passed" in second.stdout, second.stdout
    for name in CACHED_12:
        assert f"recipes/12_advanced_full.yaml::{name} PASSED (cached)" in second.stdout
    assert "::cache_numbers PASSED (cached)" not in second.stdout
    assert "NUM-012  13 step(s): 13 passed, 8 cached" in second.stdout
    context = context_of(lab, "NUM-012")
    assert context["cache.numbers_hit_v1"] is True
    assert context["cleanup.removed_v1"] == ["normalized.json"]
    latest = artifacts_of(lab, "NUM-012")[-1]
    # cleanup left the report; the run's DAG picture is drawn after the last step
    assert sorted(p.name for p in latest.iterdir()) == ["report.md", "step_sequence.svg"]
    assert "seen before: a cache hit" in (latest / "report.md").read_text()


def test_recipe_12_is_green_under_xdist_with_every_key(lab):
    result = run_pytest(lab, "recipes/12_advanced_full.yaml", "-n", "2")
    assert "13 passed" in result.stdout, result.stdout
    context = context_of(lab, "NUM-012")
    assert SPEC_12_KEYS - set(context) == set()
    assert context["resource.audit_v1"]["steps"] == 10  # every step before resource_audit
    assert Path(context["report.path_v1"]).is_file()
