"""The ``orchestrator`` command: a thin layer over the library for what is not a test run.
Each module of this package adds one group of subcommands (``add_commands``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..errors import OrchestratorError
from . import (
    completion,
    ctx,
    dashboard,
    diff,
    export,
    lint,
    new,
    report,
    run,
    schema,
    scriptlets,
    step,
    store,
    trend,
)

#: The modules whose ``add_commands(commands)`` add subcommands, in ``--help`` order.
GROUPS = (run, step, store, diff, trend, schema, ctx, export, report, lint, new, scriptlets,
          dashboard,
          completion)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``orchestrator`` console script."""
    parser = build_parser()
    own, pytest_args = run.split_pytest_args(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(own)
    if pytest_args is not None:  # what follows "--" is for the command that runs pytest
        if not hasattr(args, "pytest_args"):
            parser.error("only `orchestrator run` takes arguments after --")
        args.pytest_args = pytest_args
    try:
        return int(args.handler(args))
    except OrchestratorError as exc:
        print_error(f"{exc.where}: {exc.message}" if exc.where else exc.message, exc.hint)
        return 2


def print_error(message: str, hint: str = "") -> None:
    """The one error style of every command: ``orchestrator: message``, then the hint."""
    print(f"orchestrator: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """Usage errors in the commands' error style (exit code 2, as argparse)."""

    def error(self, message: str) -> NoReturn:
        print_error(message, f"`{self.prog} --help` shows the usage")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The ``orchestrator`` parser with every group's subcommands (completion scripts read it)."""
    from .. import __version__

    parser = _Parser(prog="orchestrator", description="pytest-orchestrator tools beside pytest")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s (pytest-orchestrator) {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(commands)
    return parser
