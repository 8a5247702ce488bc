"""The ``orchestrator`` command: a thin layer over the library for what is not a test run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from .errors import OrchestratorError


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
    ctx = commands.add_parser("ctx", help="read the context")
    ctx_commands = ctx.add_subparsers(required=True, metavar="ACTION")
    get = ctx_commands.add_parser(
        "get", help="print one key of a step's context snapshot ($ORCH_CONTEXT_FILE)")
    get.add_argument("key")
    get.add_argument("--file", default=None,
                     help="the snapshot to read (default: $ORCH_CONTEXT_FILE)")
    get.add_argument("--default", default=None,
                     help="print this instead of failing when the key is missing")
    get.set_defaults(handler=_ctx_get)
    dump = ctx_commands.add_parser("dump", help="print a step's whole context snapshot as JSON")
    dump.add_argument("--file", default=None)
    dump.set_defaults(handler=_ctx_dump)
    return parser


def _snapshot(path: str | None) -> dict[str, Any]:
    path = path or os.environ.get("ORCH_CONTEXT_FILE")
    if not path:
        raise OrchestratorError("no context snapshot: ORCH_CONTEXT_FILE is not set",
                                hint="run this inside a shell step, or pass --file")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise OrchestratorError(f"cannot read the context snapshot {path}: {exc}") from None
    return dict(data)


def _ctx_get(args: argparse.Namespace) -> int:
    data = _snapshot(args.file)
    if args.key not in data:
        if args.default is not None:
            print(args.default)
            return 0
        raise OrchestratorError(f"key '{args.key}' is not in this step's context",
                                hint=f"keys: {', '.join(sorted(data)) or 'none'}")
    value = data[args.key]
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


def _ctx_dump(args: argparse.Namespace) -> int:
    print(json.dumps(_snapshot(args.file), indent=2, sort_keys=True))
    return 0
