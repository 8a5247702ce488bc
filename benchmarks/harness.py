"""The benchmark registry and the A/B timing loop: baseline and ours alternate, several times."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

#: Both sides load only the pytest plugins every user of ours has, those of our dependencies;
#: any other installed plugin would add the same start-up to both and flatter the ratio.
SHARED_PLUGINS = ("pytest-xdist", "pytest-html", "pytest-metadata")
OURS = "pytest-orchestrator"

#: One side of a comparison: runs once, returns the elapsed wall time in seconds.
Side = Callable[[], float]


@dataclass(frozen=True)
class Pair:
    """What a benchmark compares: a baseline (plain pytest) and ours."""

    baseline: Side
    ours: Side


@dataclass(frozen=True)
class Benchmark:
    name: str
    goal: float
    items: int
    what: str
    setup: Callable[[Path], Pair]


@dataclass(frozen=True)
class Figures:
    """The wall times of one side, in seconds."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def min(self) -> float:
        return min(self.runs)

    def as_json(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "runs": self.runs}


@dataclass(frozen=True)
class Result:
    bench: Benchmark
    baseline: Figures
    ours: Figures

    @property
    def ratio(self) -> float:
        """Ours over baseline, medians: what the goal is about."""
        return self.ours.median / self.baseline.median

    @property
    def ok(self) -> bool:
        return self.ratio <= self.bench.goal

    @property
    def extra_ms_per_item(self) -> float:
        """What ours costs more, spread over the items (start-up included)."""
        return (self.ours.median - self.baseline.median) / self.bench.items * 1000

    def as_json(self) -> dict[str, Any]:
        bench = self.bench
        return {"name": bench.name, "what": bench.what, "goal": bench.goal,
                "items": bench.items, "baseline": self.baseline.as_json(),
                "ours": self.ours.as_json(), "ratio": round(self.ratio, 3),
                "extra_ms_per_item": round(self.extra_ms_per_item, 4), "ok": self.ok}


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, *, goal: float, items: int, what: str) -> Callable[
        [Callable[[Path], Pair]], Callable[[Path], Pair]]:
    """Register ``setup(workdir) -> Pair`` under ``name``; the goal is the highest good ratio."""
    def register(setup: Callable[[Path], Pair]) -> Callable[[Path], Pair]:
        REGISTRY[name] = Benchmark(name, goal, items, what, setup)
        return setup
    return register


def measure(bench: Benchmark, workdir: Path, reps: int) -> Result:
    """Set up in ``workdir``, one discarded warm-up each (bytecode, page cache), then ``reps``
    interleaved rounds; every other round runs ours first, so a drift in machine speed hits
    both sides alike."""
    pair = bench.setup(workdir)
    pair.baseline(), pair.ours()
    base: list[float] = []
    ours: list[float] = []
    for rep in range(reps):
        rounds = [(pair.baseline, base), (pair.ours, ours)]
        for side, runs in rounds if rep % 2 == 0 else reversed(rounds):
            runs.append(side())
    return Result(bench, Figures(base), Figures(ours))


def pytest_side(project: Path, *args: str, expect: str, ours: bool = False,
                cache: bool = False) -> Side:
    """A fresh ``python -m pytest -q -p no:cacheprovider ARGS`` in ``project``, with our plugin
    only if ``ours`` (and pytest's cache only if ``cache``). The run must exit 0 and print
    ``expect``, so a broken project is never timed as a fast one."""
    plugins = plugin_options(*SHARED_PLUGINS, *((OURS,) if ours else ()))
    no_cache = [] if cache else ["-p", "no:cacheprovider"]
    argv = [sys.executable, "-m", "pytest", "-q", *no_cache, *plugins, *args]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k != "PYTHONDONTWRITEBYTECODE"}
    # Bytecode cached as on a user's machine, but kept in the project: the warm-up writes it.
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONPYCACHEPREFIX=str(project / ".pyc"))

    def run() -> float:
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0 or expect not in done.stdout:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise RuntimeError(f"{' '.join(args)} in {project}: exit {done.returncode}, "
                               f"expected {expect!r}:\n{tail}")
        return elapsed
    return run


def plugin_options(*dists: str) -> list[str]:
    """``-p NAME`` for every pytest11 entry point of these distributions."""
    wanted = {_normal(dist) for dist in dists}
    return [f"-p{ep.name}" for ep in entry_points(group="pytest11")
            if ep.dist is not None and _normal(ep.dist.name) in wanted]


def _normal(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()
