"""``orchestrator completion bash|zsh``: a shell completion script, generated from the parser."""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "tcsh")


def add_commands(commands: Any) -> None:
    completion = commands.add_parser(
        "completion", help="print a shell completion script for orchestrator")
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    completion.set_defaults(handler=_completion)


def _completion(args: argparse.Namespace) -> int:
    import shtab

    from . import build_parser

    print(shtab.complete(build_parser(), shell=args.shell), end="")
    return 0
