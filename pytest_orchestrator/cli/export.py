"""``orchestrator export --xlsx FILE``: a stored run as an Excel workbook for people."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .output import DEFAULT_DB, open_store, positive


def add_commands(commands: Any) -> None:
    export = commands.add_parser(
        "export", help="write a stored run as an Excel workbook (summary, steps, metrics, "
                       "context, runs; native charts)")
    export.add_argument("--xlsx", type=Path, required=True, metavar="FILE",
                        help="the workbook to write (replaced if it exists)")
    export.add_argument("--run", metavar="RUN",
                        help="a run id, or a unique prefix of one (default: the latest run)")
    export.add_argument("--last", type=positive, default=10, metavar="N",
                        help="the Runs sheet: this run and the N-1 before it (default 10)")
    export.add_argument("--db", type=Path, default=DEFAULT_DB, metavar="PATH",
                        help=f"the results store (default: {DEFAULT_DB})")
    export.add_argument("--json", action="store_true",
                        help="print what was written as JSON instead of a sentence")
    export.add_argument("--artifacts", type=Path, metavar="DIR",
                        help="the runs' artifact folders, for links to the step logs "
                             "(default: artifacts/ beside the results store)")
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    from ..reporting.excel import write_workbook
    from ..reporting.stored_run import read_run

    with open_store(args.db) as store:
        run = read_run(store, args.run, args.last)
    artifacts = args.artifacts or args.db.parent / "artifacts"
    write_workbook(run, args.xlsx, artifacts / run.run_id)
    if args.json:
        print(json.dumps({"xlsx": str(args.xlsx), "run_id": run.run_id,
                          "steps": len(run.steps), "metrics": len(run.metrics),
                          "context_writes": len(run.writes), "runs": len(run.history)}))
    else:
        print(f"wrote {args.xlsx}: run {run.run_id} ({run.run['status']}), "
              f"{len(run.steps)} steps, {len(run.metrics)} metric values, "
              f"{len(run.writes)} context writes, {len(run.history)} runs")
    return 0
