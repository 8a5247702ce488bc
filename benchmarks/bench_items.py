"""Collecting a recipe against collecting plain pytest functions (running them: bench_scale)."""

from __future__ import annotations

from pathlib import Path

from harness import Pair, benchmark, pytest_side
from projects import step_names, write_plain_project, write_recipe_project


def _twins(root: Path, count: int) -> tuple[Path, Path]:
    names = step_names(count)
    return write_plain_project(root / "plain", names), write_recipe_project(root / "recipe", names)


@benchmark("collect_5000", goal=1.3, items=5000,
           what="--co -q of a 5000-step recipe vs 5000 plain test functions")
def collect_5000(root: Path) -> Pair:
    plain, recipe = _twins(root, 5000)
    expect = "5000 tests collected"
    return Pair(baseline=pytest_side(plain, "--co", "test_functions.py", expect=expect),
                ours=pytest_side(recipe, "--co", "recipes/chain.yaml", expect=expect, ours=True))
