"""Reports of a stored 2,000-step run: ``orchestrator report --format html`` against
``orchestrator show RUN --json`` (reading the same run and printing it whole), both as the
console command a user runs. The size of the report is printed when the benchmark is set up."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from harness import Pair, benchmark

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
