"""The analysis against the run it analyses: a 2,000-step recipe run with 50 stored runs of
history, with the analysis (each step's metrics judged against its baseline, the flaky steps,
the restarted baselines and the summary at the end) and without it (``-p
no:orchestrator-analysis``), A/B in the same run; the goal is under 5 % more.

    python benchmarks/run.py --only analysis_2000
    python benchmarks/bench_analysis.py [--steps 2000] [--runs 50]

The second prints the analysis's own seconds, measured in this process on the same store,
beside a recorded run's overhead (what the orchestrator adds to plain pytest for the same
steps)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from harness import Pair, benchmark, pytest_side
from projects import step_names, write_plain_project, write_recipe_project

STEPS, RUNS = 2000, 50


@benchmark("analysis_2000", goal=1.05, items=STEPS,
           what=f"a {STEPS}-step run with {RUNS} stored runs of history, with the analysis "
                "vs without it (-p no:orchestrator-analysis)")
def analysis_2000(root: Path) -> Pair:
    project = write_recipe_project(root / "recipe", step_names(STEPS))
    fill_history(project, RUNS)
    expect = f"{STEPS} passed"
    return Pair(baseline=pytest_side(project, "recipes/chain.yaml", "-p",
                                     "no:orchestrator-analysis", expect=expect, ours=True),
                ours=pytest_side(project, "recipes/chain.yaml", expect=expect, ours=True))


def fill_history(project: Path, runs: int) -> Path:
    """``runs`` passed runs of the project's recipe in its results store, with the metrics a
    real run records (duration, cpu, peak_rss) and the steps' real definition hashes, so every
    step of the next run has a full baseline."""
    from pytest_orchestrator import store as stored
    from pytest_orchestrator.recipe import load_recipe
    from pytest_orchestrator.store import ResultsStore, StepRecord

    recipe = load_recipe(project / "recipes" / "chain.yaml", project)
    db = project / ".orchestrator" / "results.db"
    with ResultsStore(db) as store:
        for n in range(runs):
            run_id = f"20261101T{n:06d}-history"
            started = f"2026-11-01T{n // 60:02d}:{n % 60:02d}:00.000Z"
            store.begin_run(run_id, args=[], host="bench", git_rev="", started=started)
            store.conn.execute("BEGIN")
            for rank, step in enumerate(recipe.steps):
                record = StepRecord(run_id, recipe.test_id, recipe.test_id, step.name,
                                    f"recipes/chain.yaml::{step.name}", "passed",
                                    duration=0.001 + rank % 7 * 1e-5, spec_hash=step.spec_hash,
                                    executor="inprocess", rank=rank)
                step_id = store.conn.execute(stored._INSERT_STEP, record.step_row()).lastrowid
                store.conn.executemany(stored._INSERT_METRIC, [
                    (run_id, step_id, recipe.test_id, step.name, name, value) for name, value in
                    (("duration", 0.001), ("cpu", 0.001), ("peak_rss", 6e7 + n * 4096))])
            store.conn.execute("COMMIT")
            store.finish_run(run_id, "passed", started)
    return db


def analysis_seconds(db: Path, test_id: str, steps: list[tuple[str, str]]) -> dict[str, float]:
    """The analysis of one more run of these (step, spec_hash), as the session does it:
    each step's history read and judged, then the end of the session's queries."""
    from pytest_orchestrator.analysis.baseline import StepHistory, judge, restarts
    from pytest_orchestrator.analysis.flaky import flaky_steps
    from pytest_orchestrator.analysis.metrics import Settings, rules
    from pytest_orchestrator.store import ResultsStore

    settings = Settings()
    found = rules({}, settings)
    with ResultsStore(db) as store:
        start = time.perf_counter()
        for name, spec_hash in steps:
            history = StepHistory.read(store, test_id, test_id, name, spec_hash, settings.runs)
            for metric, value in (("duration", 0.0011), ("cpu", 0.001), ("peak_rss", 6.1e7)):
                judge(value, history.values.get(metric, []), found[metric], settings.threshold)
        judged = time.perf_counter() - start
        latest = store.runs(1)[0]["run_id"]
        start = time.perf_counter()
        flaky_steps(store, latest)
        restarts(store, latest)
        ended = time.perf_counter() - start
    return {"judge steps": judged, "end of session": ended}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    from pytest_orchestrator.recipe import load_recipe

    with tempfile.TemporaryDirectory(prefix="orch-bench-analysis-") as tmp:
        names = step_names(args.steps)
        project = write_recipe_project(Path(tmp, "recipe"), names)
        plain = write_plain_project(Path(tmp, "plain"), names)
        db = fill_history(project, args.runs)
        recipe = load_recipe(project / "recipes" / "chain.yaml", project)
        expect = f"{args.steps} passed"
        ours = pytest_side(project, "recipes/chain.yaml", "-p", "no:orchestrator-analysis",
                           expect=expect, ours=True)
        base = pytest_side(plain, "test_functions.py", expect=expect)
        ours(), base()  # warm-up
        overhead = min(ours() for _ in range(3)) - min(base() for _ in range(3))
        parts = analysis_seconds(db, recipe.test_id, [(s.name, s.spec_hash)
                                                      for s in recipe.steps])
    total = sum(parts.values())
    for what, seconds in parts.items():
        print(f"{what:16} {seconds:7.3f} s")
    print(f"{'analysis':16} {total:7.3f} s")
    print(f"{'run overhead':16} {overhead:7.3f} s  (ours - plain pytest, {args.steps} steps)")
    print(f"{'ratio':16} {total / overhead:7.1%}  (goal < 5 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
