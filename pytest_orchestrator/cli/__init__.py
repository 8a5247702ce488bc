"""The ``orchestrator`` command: a thin layer over the library for what is not a test run.
Each module of this package adds one group of subcommands (``add_commands``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import OrchestratorError
from . import ctx, report, schema, store

#: The modules whose ``add_commands(commands)`` add subcommands, in ``--help`` order.
GROUPS = (store, schema, ctx, report)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``orchestrator`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
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
