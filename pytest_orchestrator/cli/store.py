"""``orchestrator runs|show|prune``: the results store, read and pruned."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import OrchestratorError
from .output import (
    DEFAULT_ARTIFACTS,
    count,
    csv_option,
    days,
    open_store,
    positive,
    print_rows,
    store_options,
)

if TYPE_CHECKING:
    from ..store import Pruned


def add_commands(commands: Any) -> None:
    runs = commands.add_parser("runs", help="list the latest runs in the results store")
    store_options(runs)
    csv_option(runs)
    runs.add_argument("--limit", type=positive, default=20, help="how many runs (default 20)")
    runs.set_defaults(handler=_runs)
    show = commands.add_parser("show", help="one run and its steps")
    show.add_argument("run", metavar="RUN", help="a run id, or a unique prefix of one")
    store_options(show)
    csv_option(show)
    show.set_defaults(handler=_show)
    prune = commands.add_parser(
        "prune", help="remove old runs from the results store, and their artifact folders")
    prune.add_argument("--keep", type=count, metavar="N", help="keep the newest N runs")
    prune.add_argument("--older-than", type=days, metavar="DAYS",
                       help="remove runs that started more than DAYS ago")
    store_options(prune)
    prune.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS, metavar="DIR",
                       help=f"the artifact folders (default: {DEFAULT_ARTIFACTS})")
    prune.add_argument("--dry-run", action="store_true",
                       help="print what would be removed, and remove nothing")
    prune.set_defaults(handler=_prune)


def _runs(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        runs = store.runs(args.limit)
    print_rows(args, runs, ["run_id", "status", "started", "ended", "steps", "failed", "host",
                        "git_rev"])
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        run = store.run(args.run)
    if run is None:
        raise OrchestratorError(f"no run '{args.run}' in {args.db}",
                                hint="`orchestrator runs` lists them")
    if args.json:
        print(json.dumps(run, indent=2))
        return 0
    if not args.csv:
        print(f"run {run['run_id']}: {run['status']}, {run['started']} to {run['ended'] or '?'}, "
              f"host {run['host']}, git {run['git_rev'] or '?'}")
        print(f"args: {' '.join(run['args'])}\n")
    steps = [{**s, "duration": f"{s['duration']:.3f}s", "cache": "hit" if s["cache_hit"]
              else ""} for s in run["steps"]]
    print_rows(args, steps, ["test_id", "step", "outcome", "duration", "attempts", "cache",
                         "executor", "worker"])
    return 0


def _prune(args: argparse.Namespace) -> int:
    if args.keep is None and args.older_than is None:
        raise OrchestratorError("prune needs --keep N or --older-than DAYS, or both",
                                hint="nothing is pruned by default")
    with open_store(args.db) as store:
        pruned = store.prune(keep=args.keep, older_than=args.older_than,
                             artifacts=args.artifacts, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({"dry_run": pruned.dry_run, "run_ids": list(pruned.run_ids),
                          "rows": pruned.rows, "folders": [str(f) for f in pruned.folders]},
                         indent=2))
    elif not pruned.run_ids:
        print("nothing to prune")
    else:
        print(_pruned_text(pruned))
    return 0


def _pruned_text(pruned: Pruned) -> str:
    """``pruned 2 runs, oldest first:`` (``would prune`` in a dry run), the run ids, then the
    rows removed per table and the number of artifact folders."""
    runs = len(pruned.run_ids)
    verb = "would prune" if pruned.dry_run else "pruned"
    rows = ", ".join(f"{table} {count}" for table, count in pruned.rows.items())
    return "\n".join([f"{verb} {runs} run{'s' * (runs != 1)}, oldest first:",
                      *(f"  {run_id}" for run_id in pruned.run_ids),
                      f"rows: {rows}", f"artifact folders: {len(pruned.folders)}"])
