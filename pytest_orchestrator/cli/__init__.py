"""The ``orchestrator`` command: a thin layer over the library for what is not a test run.
Each module of this package adds one group of subcommands (``add_commands``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import OrchestratorError
from . import ctx, export, report, run, schema, step, store

#: The modules whose ``add_commands(commands)`` add subcommands, in ``--help`` order.
GROUPS = (run, step, store, schema, ctx, export, report)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``orchestrator`` console script."""
    parser = _parser()
    own, pytest_args = run.split_pytest_args(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(own)
    if pytest_args is not None:  # what follows "--" is for the command that runs pytest
        if not hasattr(args, "pytest_args"):
            parser.error("only `orchestrator run` takes arguments after --")
        args.pytest_args = pytest_args
    try:
        return int(args.handler(args))
    except OrchestratorError as exc:
        print(f"orchestrator: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orchestrator",
                                     description="pytest-orchestrator tools beside pytest")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(commands)
    return parser
