"""Executors compared on the same trivial scriptlet: what a step pays for its own process."""

from __future__ import annotations

import py_compile
import sys
import time
from pathlib import Path

from harness import Pair, Side, benchmark

from pytest_orchestrator.context import Context, open_backend
from pytest_orchestrator.executors.child import run_in_child
from pytest_orchestrator.executors.inprocess import invoke
from pytest_orchestrator.scriptlet import load_class

STEPS = 100
MODULE = "bench_executor_steps"
SCRIPTLET = '''
from pytest_orchestrator import BaseScriptlet


class Bump(BaseScriptlet):
    """Reads one key, writes the next: the smallest step that uses the context both ways."""

    def run(self, ctx, params):
        return {"bench.next_v1": ctx.get("bench.value_v1", 0) + params["n"]}
'''


# The ratio divides by a ~10 µs in-process step, so read Δ ms/item: what a child step pays for
# running outside pytest's process (the step server's reused worker, checked clean after each
# step). The goal, 150 (≈ 1.5 ms a step), is SPEC §14's for a child step; forking a process per
# step measured ~10 ms a step here (ratio ~500).
@benchmark("child_vs_inprocess", goal=150, items=STEPS, quick=True,
           what=f"{STEPS} trivial python steps as child steps (the step server's reused "
                "process) vs in-process invoke(); Δ ms/item is what a step pays for it")
def child_vs_inprocess(root: Path) -> Pair:
    source = root / f"{MODULE}.py"
    source.write_text(SCRIPTLET, encoding="utf-8")
    py_compile.compile(str(source), doraise=True)  # its bytecode cached, as on a user's machine
    sys.path.insert(0, str(root))
    return Pair(baseline=_inprocess_side(), ours=_child_side())


def _inprocess_side() -> Side:
    backend = open_backend("memory://")
    seed = Context(backend, "bench", step="seed")
    seed.set("bench.value_v1", 1)
    seed.commit()

    def run() -> float:
        start = time.perf_counter()
        scriptlet = load_class(MODULE, "Bump")
        for n in range(STEPS):
            ctx = Context(backend, "bench", step="bump")  # the runner's view of one step
            outcome = invoke(scriptlet, "bump", ctx, {"n": n})
            _check(outcome.passed and ctx.pending == {"bench.next_v1": n + 1}, outcome.failure)
        return time.perf_counter() - start
    return run


def _child_side() -> Side:
    def run() -> float:
        start = time.perf_counter()
        for n in range(STEPS):
            result = run_in_child(MODULE, "Bump", "bump", {"n": n}, {"bench.value_v1": 1}, 60)
            _check(result.outcome.passed and result.writes == {"bench.next_v1": n + 1},
                   result.outcome.failure)
        return time.perf_counter() - start
    return run


def _check(ok: bool, failure: str) -> None:
    """A broken step is reported, never timed as a fast one."""
    if not ok:
        raise RuntimeError(f"the benchmark step failed: {failure or 'unexpected writes'}")
