"""Reports of a large stored run: seconds and file size. No baseline to divide by, so these are
figures, not ratios (``run.py`` imports this module and registers nothing from it).

    python benchmarks/bench_reports.py [--steps 2000] [--reps 3] [--only export_xlsx]

Fills a fresh results store with one run of STEPS step results (20 recipes, 3 context writes
and 5 metric values per step, one step in 50 failed), plus 9 earlier small runs for the Runs
sheet, then times each report command on it as a user runs it (the console script in a
subprocess: start-up included) and prints the median wall and CPU seconds and the file size."""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

#: name -> how to run it: (store, output folder) -> (argv, the file it writes).
FIGURES: dict[str, Callable[[Path, Path], tuple[list[str], Path]]] = {}


def figure(name: str) -> Callable[[Callable[[Path, Path], tuple[list[str], Path]]],
                                  Callable[[Path, Path], tuple[list[str], Path]]]:
    def register(command: Callable[[Path, Path], tuple[list[str], Path]]) -> Callable[
            [Path, Path], tuple[list[str], Path]]:
        FIGURES[name] = command
        return command
    return register


@figure("export_xlsx")
def export_xlsx(db: Path, out: Path) -> tuple[list[str], Path]:
    target = out / "run.xlsx"
    return ["export", "--xlsx", str(target), "--db", str(db)], target


def fill_store(db: Path, steps: int) -> None:
    """One large run (the latest) and nine small ones before it."""
    from pytest_orchestrator.context import WriteRecord
    from pytest_orchestrator.store import ResultsStore, StepRecord

    with ResultsStore(db) as store:
        for n in range(10):
            run_id = f"20261123T1{n}0000-bench{n}"
            count = steps if n == 9 else 20
            store.begin_run(run_id, args=["-q", "recipes/"], host="lab-ci-1", git_rev="8ae9d65",
                            started=f"2026-11-23T1{n}:00:00.000Z")
            for i in range(count):
                test_id, name = f"LAB-{i % 20:03d}", f"step_{i:05d}"
                failed = i % 50 == 49
                writes = [WriteRecord(f"lab.k{k}_v1", None, {"i": i, "k": k, "ok": True},
                                      who=f"scriptlets.steps.{name}", step=name, run_id=run_id,
                                      ts=f"2026-11-23T1{n}:00:01.000Z").as_dict()
                          for k in range(3)]
                store.record_step(StepRecord(
                    run_id, test_id, test_id, name, f"recipes/{test_id}.yaml::{name}",
                    "failed" if failed else "passed", started=f"2026-11-23T1{n}:00:00.500Z",
                    ended=f"2026-11-23T1{n}:00:01.000Z", duration=0.01 + (i % 97) / 100,
                    cpu_user=0.01, cpu_sys=0.002, peak_rss=50_000_000 + i * 1000,
                    executor="inprocess", worker=f"gw{i % 2}", exit_code=int(failed),
                    envelope={"status": "error", "reason": "link down on eth3"} if failed
                    else {"status": "ok", "outputs": ["lab.k0_v1"]},
                    writes=[] if failed else writes,
                    metrics={"throughput_mbps": 900.0 + i % 40, "latency_ms": 1.0 + i % 7 / 10,
                             "duration": 0.01, "cpu": 0.012, "peak_rss": 5e7}))
            store.finish_run(run_id, "failed", f"2026-11-23T1{n}:05:00.000Z")


def measure(name: str, db: Path, out: Path, reps: int) -> tuple[float, float, int]:
    """Median wall and CPU (user + system) seconds of the command, and the file's size. On a
    busy machine the wall time grows with the load; the CPU time much less."""
    argv, target = FIGURES[name](db, out)
    wall, cpu = [], []
    for _ in range(reps):
        before = _children_cpu()
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest_orchestrator", *argv], check=True,
                       stdout=subprocess.DEVNULL)
        wall.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - before)
    return statistics.median(wall), statistics.median(cpu), target.stat().st_size


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", action="append", choices=sorted(FIGURES))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp, "results.db")
        fill_store(db, args.steps)
        print(f"{'report':<14} {'steps':>6} {'wall s':>8} {'CPU s':>8} {'size':>10}")
        for name in args.only or FIGURES:
            wall, cpu, size = measure(name, db, Path(tmp), args.reps)
            print(f"{name:<14} {args.steps:>6} {wall:>8.2f} {cpu:>8.2f} {size / 1024:>7.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
