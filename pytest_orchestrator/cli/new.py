"""``orchestrator new scriptlet|recipe NAME``: start a scriptlet with its tests, or a recipe."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import OrchestratorError


def add_commands(commands: Any) -> None:
    new = commands.add_parser(
        "new", help="write a new scriptlet (with its tests and a recipe) or a new recipe")
    kinds = new.add_subparsers(required=True, metavar="KIND")
    scriptlet = kinds.add_parser(
        "scriptlet", help="a scriptlet PKG/NAME.py (or .sh), tests/test_NAME.py and the "
                          "recipe tests/recipes/NAME.yaml they run")
    scriptlet.add_argument("name", metavar="NAME", help="the module's name (an identifier)")
    scriptlet.add_argument("--package", required=True, metavar="PKG",
                           help="an allowed package (ini orchestrator_scriptlet_packages) or "
                                "one inside it, e.g. scriptlets.steps")
    scriptlet.add_argument("--shell", action="store_true",
                           help="a shell scriptlet PKG/NAME.sh with its header")
    scriptlet.set_defaults(handler=_new_scriptlet)
    recipe = kinds.add_parser("recipe", help="a recipe recipes/NAME.yaml")
    recipe.add_argument("name", metavar="NAME", help="the recipe's name and test_id")
    recipe.add_argument("--step", action="append", default=[], metavar="MODULE:CLASS|SCRIPT",
                        help="a step running this scriptlet class or script (repeatable, in "
                             "order); without any, a step to fill in")
    recipe.set_defaults(handler=_new_recipe)


def _new_scriptlet(args: argparse.Namespace) -> int:
    from ..project import read_project
    from ..safety import module_allowed
    from ..scaffold import check_name, scriptlet_files, write

    check_name(args.name, "scriptlet")
    project = read_project()
    allowed = project.scriptlet_packages
    if not module_allowed(args.package, allowed):
        raise OrchestratorError(f"'{args.package}' is outside the allowed packages "
                                f"({', '.join(allowed)})", hint="add it to the ini option "
                                "orchestrator_scriptlet_packages, or name one of those")
    planned = scriptlet_files(args.name, args.package, shell=args.shell)
    write(project.rootdir, planned)
    _written([str(file.path) for file in planned], f"pytest {planned[1].path}")
    return 0


def _new_recipe(args: argparse.Namespace) -> int:
    from ..project import read_project
    from ..scaffold import recipe_files, write

    project = read_project()
    planned = recipe_files(args.name, args.step, project.scriptlet_packages[0])
    write(project.rootdir, planned)
    path = planned[0].path
    _written([str(path)], f"orchestrator lint {path}" if args.step else
             f"fill in the step, then: orchestrator lint {path}")
    return 0


def _written(paths: list[str], next_step: str) -> None:
    for path in paths:
        print(f"wrote {path}")
    print(f"next: {next_step}")
