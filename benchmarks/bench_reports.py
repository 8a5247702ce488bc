"""Reports of a large stored run: seconds and file size, as figures (``export_xlsx``,
``report_html``), and ``report_html`` also as a ratio that ``run.py`` runs: the HTML report
against ``orchestrator show RUN --json`` of the same run.

    python benchmarks/bench_reports.py [--steps 2000] [--reps 3] [--only export_xlsx]
    python benchmarks/run.py --only report_html

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

from harness import Pair, benchmark

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


@figure("report_html")
def report_html_figure(db: Path, out: Path) -> tuple[list[str], Path]:
    target = out / "run.html"
    return ["report", "--format", "html", "-o", str(target), "--db", str(db)], target


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



# -- report_html as a ratio (run.py): the HTML report against reading the same run --------

#: report_html's run: 20 recipes of 25 levels of 4 parallel steps
HTML_RECIPES, HTML_PER_RECIPE, HTML_WIDTH = 20, 100, 4
HTML_RUN_ID = "20261123T100000-bench1"


def fill_dag_run(db: Path) -> None:
    """One run of HTML_RECIPES x HTML_PER_RECIPE steps, each with an envelope, a context
    write, a stderr tail and metrics; one step in 50 failed."""
    from pytest_orchestrator.context import WriteRecord
    from pytest_orchestrator.store import ResultsStore, StepRecord

    with ResultsStore(db) as store:
        store.begin_run(HTML_RUN_ID, args=["recipes/"], host="bench", git_rev="8ae9d65",
                        started="2026-11-23T10:00:00.000Z")
        for r in range(HTML_RECIPES):
            test_id = f"BENCH-{r:02d}"
            for n in range(HTML_PER_RECIPE):
                level = n // HTML_WIDTH
                deps = [f"s{m}" for m in range((level - 1) * HTML_WIDTH, level * HTML_WIDTH)] \
                    if level else []
                key = f"bench.k{n}_v1"
                write = WriteRecord(key, None, {"n": n, "rows": list(range(8))},
                                    who="bench.steps", step=f"s{n}", run_id=HTML_RUN_ID,
                                    ts="2026-11-23T10:00:01.000Z").as_dict()
                failed = n % 50 == 49
                store.record_step(StepRecord(
                    HTML_RUN_ID, test_id, test_id, f"s{n}", f"recipes/b{r}.yaml::s{n}",
                    "failed" if failed else "passed", started="2026-11-23T10:00:01.000Z",
                    ended="2026-11-23T10:00:01.010Z", duration=0.01, cpu_user=0.008,
                    peak_rss=52_428_800, executor="inprocess", worker=f"gw{n % 2}",
                    envelope={"status": "error", "reason": "device did not answer"} if failed
                    else {"status": "ok", "outputs": [key], "metrics": {"rows": 8}},
                    stderr_tail=f"step s{n}: processed 8 rows\n" * 3,
                    writes=[] if failed else [write],
                    metrics={"duration": 0.01, "cpu": 0.008, "peak_rss": 52428800.0,
                             "rows": 8.0},
                    depends_on=deps, rank=n, parallel=True))
        store.finish_run(HTML_RUN_ID, "failed", "2026-11-23T10:05:00.000Z")


def timed(root: Path, *args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest_orchestrator", *args], cwd=root,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"orchestrator {' '.join(args)}: {done.stderr}")
    return elapsed


@benchmark("report_html", goal=10.0, items=HTML_RECIPES * HTML_PER_RECIPE,
           what="orchestrator report --format html of a stored "
                f"{HTML_RECIPES * HTML_PER_RECIPE}-step run vs orchestrator show RUN --json of "
                "the same run")
def report_html(root: Path) -> Pair:
    fill_dag_run(root / ".orchestrator" / "results.db")
    seconds = timed(root, "report", "--format", "html", "-o", "report.html")
    size = (root / "report.html").stat().st_size
    print(f"report_html: {size / 1e6:.1f} MB in {seconds:.2f} s (first run)", file=sys.stderr)
    return Pair(baseline=lambda: timed(root, "show", HTML_RUN_ID, "--json"),
                ours=lambda: timed(root, "report", "--format", "html", "-o", "report.html"))

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
