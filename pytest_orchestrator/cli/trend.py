"""``orchestrator trend METRIC``: a metric run after run, with its baseline and flags; ``--png``
draws it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import OrchestratorError
from .output import csv_option, open_store, positive, print_rows, store_options

COLUMNS = ["time", "run_id", "test_id", "step", "row", "value", "baseline", "flag"]


def add_commands(commands: Any) -> None:
    trend = commands.add_parser(
        "trend", help="a metric run after run: value, baseline (median of the passed runs "
                      "before), flagged or not")
    trend.add_argument("metric", metavar="METRIC",
                       help="duration, cpu, peak_rss, an envelope metric or a declared "
                            "context path")
    trend.add_argument("--recipe", metavar="ID", help="only this recipe (its test_id)")
    trend.add_argument("--step", metavar="NAME", help="only this step (NAME or NAME[row])")
    trend.add_argument("--last", type=positive, metavar="N",
                       help="the last N runs of each step (default: all)")
    trend.add_argument("--png", type=Path, metavar="FILE",
                       help="also draw the series, baseline band and flags to FILE "
                            "(matplotlib: the report extra)")
    store_options(trend)
    csv_option(trend)
    trend.set_defaults(handler=_trend)


def _trend(args: argparse.Namespace) -> int:
    from ..analysis.baseline import series

    with open_store(args.db) as store:
        rows = series(store, args.metric, test_id=args.recipe, step=args.step, last=args.last)
    if not rows:
        raise OrchestratorError(f"no values of metric '{args.metric}' in {args.db}"
                                + (" for that recipe or step" if args.recipe or args.step
                                   else ""),
                                hint="`orchestrator show RUN` lists a run's steps; metrics are "
                                     "duration, cpu, peak_rss and what envelopes declare")
    for row in rows:
        row["flag"] = "REGRESSION" if row["flagged"] else ""
    if args.png:
        from ..analysis.chart import trend_png

        trend_png(_by_step(rows), args.metric, args.png)
    if args.json:
        print_rows(args, [{k: v for k, v in row.items() if k != "flag"} for row in rows],
                   COLUMNS)
    else:
        print_rows(args, [{**row, "value": f"{row['value']:g}",
                           "baseline": "" if row["baseline"] is None
                           else f"{row['baseline']:g}"} for row in rows], COLUMNS)
    if args.png and not args.json:
        print(f"wrote {args.png}")
    return 0


def _by_step(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        label = f"{row['test_id']}::{row['step']}" + (f"[{row['row']}]" if row["row"] else "")
        found.setdefault(label, []).append(row)
    return found
