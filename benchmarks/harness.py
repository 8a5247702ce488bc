"""The benchmark registry and the interleaved timing loop: every side of a benchmark runs in
turn, several rounds, so each figure is a ratio of two sides measured in the same run."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

#: Both sides load only the pytest plugins every user of ours has, those of our dependencies;
#: any other installed plugin would add the same start-up to both and flatter the ratio.
SHARED_PLUGINS = ("pytest-xdist", "pytest-html", "pytest-metadata")
OURS = "pytest-orchestrator"


@dataclass(frozen=True)
class Sample:
    """One run of one side: its wall time; when it ran a process, that process's peak RSS and
    the CPU time (user + system) of it and of every process it waited for."""

    seconds: float
    peak_rss_kb: int = 0
    cpu_seconds: float = 0.0


#: One side of a comparison: runs once, returns its wall time in seconds (or a Sample).
Side = Callable[[], "float | Sample"]


@dataclass(frozen=True)
class Pair:
    """What a two-sided benchmark compares: a baseline (plain pytest) and ours."""

    baseline: Side
    ours: Side


@dataclass(frozen=True)
class Figures:
    """The samples of one side."""

    samples: list[Sample]

    @property
    def runs(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def min(self) -> float:
        return min(self.runs)

    @property
    def rss_kb(self) -> float:
        return statistics.median(s.peak_rss_kb for s in self.samples)

    @property
    def cpu(self) -> float:
        """The median CPU seconds (0 when the side ran no process of its own)."""
        return statistics.median(s.cpu_seconds for s in self.samples)

    def on_cpu(self) -> Figures:
        """The same runs, timed by CPU instead of wall time: a busy machine makes a process
        wait for a CPU, which its wall time counts and its CPU time does not."""
        return Figures([Sample(s.cpu_seconds, s.peak_rss_kb) for s in self.samples])

    def as_json(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "runs": self.runs,
                **({"peak_rss_kb": [s.peak_rss_kb for s in self.samples],
                    "cpu_seconds": [s.cpu_seconds for s in self.samples]}
                   if self.rss_kb else {})}


@dataclass(frozen=True)
class Figure:
    """One row of the table: ``ours`` against ``base`` (side names), by one measure.

    ``measure``: ``ratio`` of the median wall times; ``rss`` ratio of the median peak RSS;
    ``ms`` the difference of the medians in ms per item; ``slope`` the ratio of what each
    added item costs, (ours[1] - ours[0]) / (base[1] - base[0]) with two sides on each part;
    ``growth`` how the Δ ms per item grows from one size to the next,
    Δ(ours[1], base[1]) / Δ(ours[0], base[0]). The goal is the highest value accepted."""

    label: str
    ours: str | tuple[str, str]
    base: str | tuple[str, str]
    goal: float
    items: int | tuple[int, int] = 1
    measure: str = "ratio"

    def value(self, figs: Mapping[str, Figures]) -> float:
        if self.measure == "ratio":
            return figs[self.ours].median / figs[self.base].median  # type: ignore[index]
        if self.measure == "rss":
            return figs[self.ours].rss_kb / figs[self.base].rss_kb  # type: ignore[index]
        if self.measure == "ms":
            return _delta_ms(figs, self.ours, self.base, self.items)  # type: ignore[arg-type]
        (o0, o1), (b0, b1) = self.ours, self.base
        if self.measure == "slope":
            return (figs[o1].median - figs[o0].median) / (figs[b1].median - figs[b0].median)
        n0, n1 = self.items  # type: ignore[misc]
        return _delta_ms(figs, o1, b1, n1) / _delta_ms(figs, o0, b0, n0)

    def cpu_value(self, figs: Mapping[str, Figures]) -> float | None:
        """The same figure by CPU time, when every side it reads ran a process (not for
        RSS)."""
        names = [n for pair in (self.ours, self.base)
                 for n in ((pair,) if isinstance(pair, str) else pair)]
        if self.measure == "rss" or not all(figs[n].cpu for n in names):
            return None
        return self.value({n: figs[n].on_cpu() for n in names})

    def columns(self, figs: Mapping[str, Figures]) -> tuple[str, str]:
        """What the base and ours columns show for this figure."""
        if self.measure == "rss":
            return (f"{figs[self.base].rss_kb / 1024:.1f}MB",  # type: ignore[index]
                    f"{figs[self.ours].rss_kb / 1024:.1f}MB")  # type: ignore[index]
        if self.measure in ("slope", "growth"):
            names = (self.base, self.ours)
            return tuple("→".join(f"{figs[n].median:.2f}" for n in pair)  # type: ignore[return-value]
                         for pair in names)
        return f"{figs[self.base].median:.3f}s", f"{figs[self.ours].median:.3f}s"  # type: ignore[index]

    @property
    def unit(self) -> str:
        return " ms" if self.measure == "ms" else "x"


def _delta_ms(figs: Mapping[str, Figures], ours: str, base: str, items: int) -> float:
    return (figs[ours].median - figs[base].median) / items * 1000


@dataclass(frozen=True)
class Benchmark:
    name: str
    what: str
    setup: Callable[[Path], Mapping[str, Side]]
    figures: tuple[Figure, ...]
    quick: bool = False
    full: bool = True


@dataclass(frozen=True)
class Result:
    bench: Benchmark
    sides: dict[str, Figures] = field(default_factory=dict)

    def rows(self) -> list[tuple[Figure, float]]:
        return [(fig, fig.value(self.sides)) for fig in self.bench.figures]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.bench.name, "what": self.bench.what,
                "sides": {name: f.as_json() for name, f in self.sides.items()},
                "figures": [{"figure": fig.label, "measure": fig.measure, "goal": fig.goal,
                             "value": round(value, 4), "ok": value <= fig.goal,
                             "cpu_value": fig.cpu_value(self.sides)}
                            for fig, value in self.rows()]}


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, *, goal: float, items: int, what: str, quick: bool = False,
              measure: str = "ratio") -> Callable[[Callable[[Path], Pair]],
                                                  Callable[[Path], Pair]]:
    """Register ``setup(workdir) -> Pair`` under ``name``: one figure, ours against the
    baseline; the goal is the highest good value. ``quick``: in the quick profile too."""
    def register(setup: Callable[[Path], Pair]) -> Callable[[Path], Pair]:
        def sides(root: Path) -> dict[str, Side]:
            pair = setup(root)
            return {"baseline": pair.baseline, "ours": pair.ours}
        figure = Figure(name, "ours", "baseline", goal, items, measure)
        REGISTRY[name] = Benchmark(name, what, sides, (figure,), quick=quick)
        return setup
    return register


def figures(name: str, *, what: str, figures: tuple[Figure, ...], quick: bool = False,
            full: bool = True) -> \
        Callable[[Callable[[Path], Mapping[str, Side]]], Callable[[Path], Mapping[str, Side]]]:
    """Register ``setup(workdir) -> {side name: Side}`` under ``name``, with the figures
    (rows of the table) computed from those sides; ``quick``/``full``: in which profiles."""
    def register(setup: Callable[[Path], Mapping[str, Side]]) -> \
            Callable[[Path], Mapping[str, Side]]:
        REGISTRY[name] = Benchmark(name, what, setup, figures, quick, full)
        return setup
    return register


def measure(bench: Benchmark, workdir: Path, reps: int) -> Result:
    """Set up in ``workdir``, one discarded warm-up of each side (bytecode, page cache), then
    ``reps`` rounds of every side in turn; each round starts one side further on, so a drift
    in machine speed hits every side alike."""
    sides = dict(bench.setup(workdir))
    names = list(sides)
    for name in names:
        sides[name]()
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for rep in range(reps):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            got = sides[name]()
            samples[name].append(got if isinstance(got, Sample) else Sample(got))
    return Result(bench, {name: Figures(runs) for name, runs in samples.items()})


def pytest_side(project: Path, *args: str, expect: str, ours: bool = False,
                cache: bool = False) -> Side:
    """A fresh ``python -m pytest -q -p no:cacheprovider ARGS`` in ``project``, with our plugin
    only if ``ours`` (and pytest's cache only if ``cache``). The run must exit 0 and print
    ``expect``, so a broken project is never timed as a fast one. Gives the wall time and
    the peak RSS of the pytest process (its xdist workers not included)."""
    plugins = plugin_options(*SHARED_PLUGINS, *((OURS,) if ours else ()))
    no_cache = [] if cache else ["-p", "no:cacheprovider"]
    argv = [sys.executable, "-m", "pytest", "-q", *no_cache, *plugins, *args]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k != "PYTHONDONTWRITEBYTECODE"}
    # Bytecode cached as on a user's machine, but kept in the project: the warm-up writes it.
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONPYCACHEPREFIX=str(project / ".pyc"))

    def run() -> Sample:
        with tempfile.TemporaryFile() as out:
            start = time.perf_counter()
            child = subprocess.Popen(argv, cwd=project, env=env, stdout=out,
                                     stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(child.pid, 0)
            elapsed = time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        if child.returncode != 0 or expect not in text:
            tail = "\n".join(text.splitlines()[-15:])
            raise RuntimeError(f"{' '.join(args)} in {project}: exit {child.returncode}, "
                               f"expected {expect!r}:\n{tail}")
        return Sample(elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
    return run


def plugin_options(*dists: str) -> list[str]:
    """``-p NAME`` for every pytest11 entry point of these distributions."""
    wanted = {_normal(dist) for dist in dists}
    return [f"-p{ep.name}" for ep in entry_points(group="pytest11")
            if ep.dist is not None and _normal(ep.dist.name) in wanted]


def _normal(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()
