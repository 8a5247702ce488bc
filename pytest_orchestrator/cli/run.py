"""``orchestrator run``: pytest on recipes, called the way the seeds' stand-alone runner was
(``--only a b`` after the recipe paths), ending with that runner's JSON summary line."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import OrchestratorError


def add_commands(commands: Any) -> None:
    run = commands.add_parser(
        "run", help="run recipes with pytest; the last line printed is a JSON summary",
        epilog="Everything after -- goes to pytest as it is: orchestrator run r.yaml -- -x -v")
    run.add_argument("recipes", nargs="+", metavar="RECIPE",
                     help="recipe files or folders of recipes, before any option")
    run.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME",
                     help="run only these steps (names up to the next option); their "
                          "dependencies are restored from the results store")
    run.add_argument("--skip", nargs="+", action="extend", default=[], metavar="NAME",
                     help="do not run these steps; the steps after them use their recorded "
                          "state")
    run.add_argument("--resume-from", metavar="NAME",
                     help="start at this step; what comes before it is restored")
    run.add_argument("--dry-run", action="store_true",
                     help="print the plan of the selected steps and run nothing")
    run.add_argument("-n", dest="workers", metavar="N",
                     help="run independent steps on N pytest-xdist workers (or auto)")
    run.set_defaults(handler=_run, pytest_args=[])


def split_pytest_args(argv: Sequence[str]) -> tuple[list[str], list[str] | None]:
    """``run r.yaml --only a -- -x`` → (``run r.yaml --only a``, ``-x``): argparse cannot take
    a free list after options; None when there is no ``--``."""
    argv = list(argv)
    if "--" not in argv:
        return argv, None
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def _run(args: argparse.Namespace) -> int:
    from ..api import run_pytest, selection_args

    for path in args.recipes:
        if not Path(path).exists():
            raise OrchestratorError(f"no recipe file or folder at {path}",
                                    hint="orchestrator run RECIPE… [--only NAME…] [-- PYTEST_ARGS]")
    for name in (*args.only, *args.skip):
        if name.endswith((".yaml", ".yml")) or "/" in name:
            raise OrchestratorError(f"'{name}' is a path, not a step name",
                                    hint="put the recipe paths first: orchestrator run "
                                         "RECIPE… --only NAME…")
    pytest_args = [*args.recipes, *selection_args(args.only, args.skip, args.resume_from)]
    pytest_args += ["--orch-dry-run"] if args.dry_run else []
    pytest_args += [f"--numprocesses={args.workers}"] if args.workers else []
    summary = run_pytest([*pytest_args, *args.pytest_args])
    print(json.dumps({"status": "ok" if summary.exit_code == 0 else "failed",
                      "ctx_keys": summary.ctx_keys(), "run_id": summary.run_id,
                      "steps": summary.steps()}), flush=True)
    return summary.exit_code
