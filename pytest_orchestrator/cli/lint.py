"""``orchestrator lint PATH…``: check recipes without running them, every problem of every file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import OrchestratorError

FORMATS = ("text", "json", "github")


def add_commands(commands: Any) -> None:
    lint = commands.add_parser(
        "lint", help="check recipes without running anything: every problem of every file")
    lint.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH",
                      help="recipe files, or folders searched for recipes (default: .)")
    lint.add_argument("--format", choices=FORMATS, default="text",
                      help="text (path:line: field: message (hint)), json, or github "
                           "(GitHub Actions annotations)")
    lint.set_defaults(handler=_lint)


def _lint(args: argparse.Namespace) -> int:
    from ..lint import lint, render
    from ..project import read_project

    project = read_project([str(path) for path in args.paths])
    if project.problem:
        raise project.problem
    recipes = project.recipes(args.paths)
    if not recipes:
        raise OrchestratorError(
            f"no recipe in {' '.join(str(path) for path in args.paths)}",
            hint="a folder's recipes are the YAML files that the ini option "
                 "orchestrator_recipes matches (default recipes/*.yaml); a file named is "
                 "linted whatever its name")
    problems = lint(recipes, project)
    output = render(problems, args.format, len(recipes))
    if output:
        print(output)
    return 1 if problems else 0
