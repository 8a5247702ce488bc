"""Run the benchmarks: ``python benchmarks/run.py [--quick] [--only NAME] [--json FILE]``.

Each benchmark runs its sides (a plain-pytest baseline and ours, or more) interleaved, in the
same run, and reports each figure, a ratio of two of them, against its goal. Over goal is
reported, never an error."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pytest
from harness import REGISTRY, Benchmark, Figure, Result, measure

HERE = Path(__file__).parent
#: rounds per benchmark (a median of at least 5), after one warm-up of each side
REPS = 5


def load_benchmarks() -> None:
    """Every ``bench_*.py`` module next to this file registers its benchmarks on import."""
    for module in sorted(HERE.glob("bench_*.py")):
        importlib.import_module(module.stem)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the quick profile (under 2 minutes, what CI runs): the figures "
                             "at up to 2,000 items; without it, the full profile")
    parser.add_argument("--only", action="append", metavar="NAME", choices=sorted(REGISTRY),
                        help=f"run only this benchmark (repeatable): {', '.join(REGISTRY)}")
    parser.add_argument("--reps", type=_positive, default=REPS,
                        help=f"rounds per benchmark (default {REPS})")
    parser.add_argument("--json", metavar="FILE", type=Path,
                        help="also save the figures as JSON (benchmarks/.results/ is ignored "
                             "by git)")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def chosen(args: argparse.Namespace) -> list[Benchmark]:
    if args.only:
        return [REGISTRY[name] for name in args.only]
    return [b for b in REGISTRY.values() if (b.quick if args.quick else b.full)]


def print_table(results: list[Result]) -> None:
    rows = [("benchmark", "figure", "base", "ours", "value", "goal", "", "by CPU")]
    for result in results:
        for fig, value in result.rows():
            base, ours = fig.columns(result.sides)
            cpu = fig.cpu_value(result.sides)
            rows.append((result.bench.name, fig.label, base, ours, _shown(fig, value),
                         f"≤ {fig.goal}{fig.unit}", "ok" if value <= fig.goal else "over",
                         "" if cpu is None else _shown(fig, cpu)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _shown(fig: Figure, value: float) -> str:
    return f"{value:+.3f}{fig.unit}" if fig.measure == "ms" else f"{value:.2f}{fig.unit}"


def save_json(path: Path, results: list[Result], args: argparse.Namespace,
              wall: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "reps": args.reps,
        "profile": "quick" if args.quick else "full", "wall_seconds": round(wall, 1),
        "load_average": os.getloadavg(), "cpus": os.cpu_count(),
        "python": platform.python_version(), "pytest": pytest.__version__,
        "results": [r.as_json() for r in results]}, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    load_benchmarks()
    args = parse_args(argv)
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="orch-bench-") as tmp:
        for bench in chosen(args):
            print(f"{bench.name}: {bench.what}, {args.reps} rounds", file=sys.stderr,
                  flush=True)
            workdir = Path(tmp, bench.name)
            workdir.mkdir()
            try:
                results.append(measure(bench, workdir, args.reps))
            except RuntimeError as exc:  # a broken project, not a slow one
                print(f"{bench.name} could not run: {exc}", file=sys.stderr)
                return 1
    wall = time.perf_counter() - started
    print_table(results)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{len(results)} benchmarks in {wall:.0f} s ({'quick' if args.quick else 'full'} "
          f"profile, {args.reps} rounds; load average {load} on {os.cpu_count()} CPUs)")
    if args.json:
        save_json(args.json, results, args, wall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
