"""Cached steps: a warm run (every step restored from pytest's cache) against a cold one
(``--cache-clear``: every step runs and is recorded) of the same recipe."""

from __future__ import annotations

from pathlib import Path

from harness import Pair, benchmark, pytest_side
from projects import step_names, write_files

SCRIPTLET = '''
from pytest_orchestrator import BaseScriptlet


class Crunch(BaseScriptlet):
    """About 10 ms of CPU, then one context key."""

    def run(self, ctx, params):
        return {f"bench.{self.step}_v1": sum(i * i for i in range(params["n"]))}
'''
COUNT = 50


@benchmark("cache_hit_vs_cold", goal=1.0, items=COUNT,
           what=f"warm run of {COUNT} cached 10 ms steps vs the cold run (--cache-clear)")
def cache_hit_vs_cold(root: Path) -> Pair:
    steps = "".join(f"  - {{name: {n}, module: bench_steps.crunch, function: Crunch, "
                    "args: {n: 150000}, cache_key: auto}\n" for n in step_names(COUNT))
    project = write_files(root / "project", {
        "pytest.ini": "[pytest]\norchestrator_scriptlet_packages = bench_steps\n",
        "bench_steps/__init__.py": "", "bench_steps/crunch.py": SCRIPTLET,
        "recipes/cached.yaml": f"test_meta:\n  test_id: BENCH-CACHE\nsteps:\n{steps}"})
    expect = f"{COUNT} passed"
    return Pair(baseline=pytest_side(project, "--cache-clear", "recipes/cached.yaml",
                                     expect=expect, ours=True, cache=True),
                ours=pytest_side(project, "recipes/cached.yaml", expect=expect, ours=True,
                                 cache=True))
