"""What every command shares: the default places, argument types, the results store, and rows
printed as a table or as JSON."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import OrchestratorError

if TYPE_CHECKING:
    from ..store import ResultsStore

#: The results store the commands read unless ``--db`` names another.
DEFAULT_DB = Path(".orchestrator", "results.db")
#: The runs' artifact folders ``prune`` removes unless ``--artifacts`` names another place.
DEFAULT_ARTIFACTS = Path(".orchestrator", "artifacts")


def store_options(parser: argparse.ArgumentParser, default: Path | None = DEFAULT_DB) -> None:
    parser.add_argument("--db", type=Path, default=default, metavar="PATH",
                        help=f"the results store (default: {DEFAULT_DB})")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not 0 <= days < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days")
    return days


def open_store(path: Path) -> ResultsStore:
    from ..store import ResultsStore  # sqlite-utils only for the commands that read the store

    if not path.is_file():
        raise OrchestratorError(f"no results store at {path}",
                                hint="run pytest first, or pass --db PATH")
    return ResultsStore(path)


def csv_option(parser: argparse.ArgumentParser) -> None:
    """``--csv`` for a command that prints a table (beside ``--json``)."""
    parser.add_argument("--csv", action="store_true",
                        help="print the table as CSV (a header row, values in full)")


def print_rows(args: argparse.Namespace, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Rows as JSON (``--json``), CSV of these columns (``--csv``) or a plain-text table."""
    if args.json:
        print(json.dumps(rows, indent=2))
    elif getattr(args, "csv", False):
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_csv_cell(row[c]) for c in columns] for row in rows])
    elif not rows:
        print("(none)")
    else:
        print(table([[cell(row[c]) for c in columns] for row in rows], columns))


def table(rows: list[list[str]], header: list[str]) -> str:
    """A plain-text table: the header, then a line a row, in left-aligned columns."""
    from tabulate import tabulate

    text = tabulate(rows, headers=header, tablefmt="plain", disable_numparse=True)
    return "\n".join(line.rstrip() for line in text.splitlines())


def cell(value: Any, width: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return "" if value is None else value
