"""A fan-in recipe under ``-n 2``: six independent 2-second steps, then an aggregate, against
the same recipe run sequentially and against xdist's own ``--dist load`` running six plain
test functions with the same sleeps (which honours no dependencies: the floor on this stack)."""

from __future__ import annotations

from pathlib import Path

from harness import Pair, benchmark, pytest_side
from projects import write_files

SLEEP = 2.0
SCRIPTLET = f'''
import time
from pytest_orchestrator import BaseScriptlet


class Sleep(BaseScriptlet):
    def run(self, ctx, params):
        time.sleep({SLEEP})
        return {{f"bench.{{self.step}}_v1": 1}}


class Total(BaseScriptlet):
    def run(self, ctx, params):
        values = [v for k, v in ctx.to_dict().items() if k.startswith("bench.")]
        return {{"bench.total_v1": sum(values)}}
'''
STEPS = "".join(f"  - {{name: s{i}, module: bench_steps.fan, function: Sleep, parallel: true}}\n"
                for i in range(6))
RECIPE = ("test_meta:\n  test_id: BENCH-FAN\nsteps:\n" + STEPS
          + "  - {name: total, module: bench_steps.fan, function: Total}\n")
PLAIN = "import time\n" + "".join(f"\n\ndef test_s{i}():\n    time.sleep({SLEEP})\n"
                                  for i in range(6))


def _projects(root: Path) -> tuple[Path, Path]:
    recipe = write_files(root / "recipe", {
        "pytest.ini": "[pytest]\norchestrator_scriptlet_packages = bench_steps\n",
        "bench_steps/__init__.py": "", "bench_steps/fan.py": SCRIPTLET,
        "recipes/fan.yaml": RECIPE})
    plain = write_files(root / "plain", {"pytest.ini": "[pytest]\n", "test_sleeps.py": PLAIN})
    return recipe, plain


@benchmark("fan_in_vs_xdist_load", goal=1.1, items=7,
           what="six 2 s steps + aggregate with -n 2 vs six 2 s plain tests with -n 2 "
                "--dist load (no dependencies honoured)")
def fan_in_vs_xdist_load(root: Path) -> Pair:
    recipe, plain = _projects(root)
    return Pair(baseline=pytest_side(plain, "-n", "2", "--dist", "load", "test_sleeps.py",
                                     expect="6 passed"),
                ours=pytest_side(recipe, "-n", "2", "recipes/fan.yaml", expect="7 passed",
                                 ours=True))


@benchmark("fan_in_vs_sequential", goal=0.7, items=7,
           what="the same fan-in recipe with -n 2 vs without xdist")
def fan_in_vs_sequential(root: Path) -> Pair:
    recipe, _ = _projects(root)
    return Pair(baseline=pytest_side(recipe, "recipes/fan.yaml", expect="7 passed", ours=True),
                ours=pytest_side(recipe, "-n", "2", "recipes/fan.yaml", expect="7 passed",
                                 ours=True))
