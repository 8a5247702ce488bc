"""Start-up in a project without recipes: the plugin installed must cost (almost) nothing."""

from __future__ import annotations

from pathlib import Path

from harness import Pair, benchmark, pytest_side
from projects import step_names, write_plain_project


@benchmark("startup_help", goal=1.1, items=1, quick=True,
           what="pytest --help in a project without recipes, with vs without the plugin")
def startup_help(root: Path) -> Pair:
    plain = write_plain_project(root / "plain", step_names(10))
    return Pair(baseline=pytest_side(plain, "--help", expect="usage:"),
                ours=pytest_side(plain, "--help", expect="usage:", ours=True))


@benchmark("startup_collect", goal=1.1, items=10, quick=True,
           what="pytest --co of 10 plain tests without recipes, with vs without the plugin")
def startup_collect(root: Path) -> Pair:
    plain = write_plain_project(root / "plain", step_names(10))
    expect = "10 tests collected"
    return Pair(baseline=pytest_side(plain, "--co", expect=expect),
                ours=pytest_side(plain, "--co", expect=expect, ours=True))
