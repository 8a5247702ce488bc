"""``orchestrator scriptlets [--package PKG] [--check] [--json]``: the scriptlet catalogue."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from ..errors import OrchestratorError
from .output import csv_option, print_rows

COLUMNS = ["name", "kind", "location", "process", "params", "outputs", "summary"]


def add_commands(commands: Any) -> None:
    scriptlets = commands.add_parser(
        "scriptlets", help="list the scriptlets of the allowed packages, or --check them")
    scriptlets.add_argument("--package", action="append", metavar="PKG",
                            help="only this package (repeatable); it must be allowed "
                                 "(default: ini orchestrator_scriptlet_packages)")
    scriptlets.add_argument("--check", action="store_true",
                            help="print what is missing (a class's docstring, a script's "
                                 "header fields or run bit), one line each; exit 1 if any")
    scriptlets.add_argument("--json", action="store_true", help="print JSON instead of a table")
    csv_option(scriptlets)
    scriptlets.set_defaults(handler=_scriptlets)


def _scriptlets(args: argparse.Namespace) -> int:
    from ..catalogue import catalogue
    from ..project import read_project
    from ..safety import module_allowed

    project = read_project()
    allowed = project.scriptlet_packages
    for package in args.package or ():
        if not module_allowed(package, allowed):
            raise OrchestratorError(f"'{package}' is outside the allowed packages "
                                    f"({', '.join(allowed)})", hint="add it to the ini option "
                                    "orchestrator_scriptlet_packages")
    found = catalogue(args.package or allowed, project.rootdir)
    if args.check:
        return _check(args, len(found.scriptlets), found.problems())
    from . import print_error

    for problem in found.unreadable:
        print_error(problem)
    if args.json:
        print(json.dumps([dataclasses.asdict(s) for s in found.scriptlets], indent=2))
    else:
        print_rows(args, [s.row() for s in found.scriptlets], COLUMNS)
    return 0


def _check(args: argparse.Namespace, checked: int, problems: list[str]) -> int:
    if args.json:
        print(json.dumps(problems, indent=2))
    else:
        for problem in problems:
            print(problem)
        count = f"{len(problems)} problem{'s' * (len(problems) != 1)}" if problems \
            else "no problems"
        print(f"{checked} scriptlet{'s' * (checked != 1)} checked: {count}")
    return 1 if problems else 0
