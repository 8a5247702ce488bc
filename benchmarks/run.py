"""Run the benchmarks: ``python benchmarks/run.py [--quick] [--only NAME] [--json FILE]``.

Each benchmark times a plain-pytest baseline and ours, interleaved, in the same run, and
reports the ratio of medians against its goal. Over goal is reported, never an error."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import pytest
from harness import REGISTRY, Result, measure

HERE = Path(__file__).parent
REPS = {"full": 9, "quick": 3}


def load_benchmarks() -> None:
    """Every ``bench_*.py`` module next to this file registers its benchmarks on import."""
    for module in sorted(HERE.glob("bench_*.py")):
        importlib.import_module(module.stem)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{REPS['quick']} rounds instead of {REPS['full']}")
    parser.add_argument("--only", action="append", metavar="NAME", choices=sorted(REGISTRY),
                        help=f"run only this benchmark (repeatable): {', '.join(REGISTRY)}")
    parser.add_argument("--reps", type=_positive, help="rounds per benchmark")
    parser.add_argument("--json", metavar="FILE", type=Path,
                        help="also save the figures as JSON (benchmarks/.results/ is ignored "
                             "by git)")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def print_table(results: list[Result]) -> None:
    rows = [("benchmark", "base med", "base min", "ours med", "ours min", "ratio", "goal",
             "Δ ms/item", "")]
    rows += [(r.bench.name, f"{r.baseline.median:.3f}s", f"{r.baseline.min:.3f}s",
              f"{r.ours.median:.3f}s", f"{r.ours.min:.3f}s", f"{r.ratio:.2f}",
              f"≤ {r.bench.goal}", f"{r.extra_ms_per_item:+.3f}", "ok" if r.ok else "over")
             for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def save_json(path: Path, results: list[Result], reps: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "reps": reps,
        "python": platform.python_version(), "pytest": pytest.__version__,
        "results": [r.as_json() for r in results]}, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    load_benchmarks()
    args = parse_args(argv)
    reps = args.reps or REPS["quick" if args.quick else "full"]
    results = []
    with tempfile.TemporaryDirectory(prefix="orch-bench-") as tmp:
        for name in args.only or REGISTRY:
            bench = REGISTRY[name]
            print(f"{name}: {bench.what}, {reps} rounds", file=sys.stderr, flush=True)
            workdir = Path(tmp, name)
            workdir.mkdir()
            try:
                results.append(measure(bench, workdir, reps))
            except RuntimeError as exc:  # a broken project, not a slow one
                print(f"{name} could not run: {exc}", file=sys.stderr)
                return 1
    print_table(results)
    if args.json:
        save_json(args.json, results, reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
