"""``orchestrator schema``: where the recipe JSON Schema is, for editors."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_commands(commands: Any) -> None:
    schema = commands.add_parser("schema", help="print the path of the recipe JSON Schema")
    schema.add_argument("--print", action="store_true", dest="content",
                        help="print the schema itself instead of its path")
    schema.set_defaults(handler=_schema)


def _schema(args: argparse.Namespace) -> int:
    """The packaged schema's absolute path; its content with ``--print``."""
    from ..schema import schema_path

    path = schema_path()
    if args.content:
        sys.stdout.write(path.read_text("utf-8"))
    else:
        print(path)
    return 0
