"""The ``orchestrator`` command: a thin layer over the library for what is not a test run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import OrchestratorError

if TYPE_CHECKING:
    from .store import Pruned, ResultsStore

#: The results store the commands read unless ``--db`` names another.
DEFAULT_DB = Path(".orchestrator", "results.db")
#: The runs' artifact folders ``prune`` removes unless ``--artifacts`` names another place.
DEFAULT_ARTIFACTS = Path(".orchestrator", "artifacts")


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
    runs = commands.add_parser("runs", help="list the latest runs in the results store")
    _store_options(runs)
    runs.add_argument("--limit", type=_positive, default=20, help="how many runs (default 20)")
    runs.set_defaults(handler=_runs)
    show = commands.add_parser("show", help="one run and its steps")
    show.add_argument("run", metavar="RUN", help="a run id, or a unique prefix of one")
    _store_options(show)
    show.set_defaults(handler=_show)
    prune = commands.add_parser(
        "prune", help="remove old runs from the results store, and their artifact folders")
    prune.add_argument("--keep", type=_count, metavar="N", help="keep the newest N runs")
    prune.add_argument("--older-than", type=_days, metavar="DAYS",
                       help="remove runs that started more than DAYS ago")
    _store_options(prune)
    prune.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS, metavar="DIR",
                       help=f"the artifact folders (default: {DEFAULT_ARTIFACTS})")
    prune.add_argument("--dry-run", action="store_true",
                       help="print what would be removed, and remove nothing")
    prune.set_defaults(handler=_prune)
    schema = commands.add_parser("schema", help="print the path of the recipe JSON Schema")
    schema.add_argument("--print", action="store_true", dest="content",
                        help="print the schema itself instead of its path")
    schema.set_defaults(handler=_schema)
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
    dump = ctx_commands.add_parser(
        "dump", help="print a step's context snapshot, or the latest context in the store")
    dump.add_argument("--file", default=None,
                      help="the snapshot to read (default: $ORCH_CONTEXT_FILE, unless --db)")
    _store_options(dump, default=None)
    dump.add_argument("--recipe", metavar="NS", help="only this recipe's namespace")
    dump.set_defaults(handler=_ctx_dump)
    history = ctx_commands.add_parser("history", help="every context write in the store")
    _store_options(history)
    history.add_argument("--run", metavar="RUN", help="only this run (a unique prefix is enough)")
    history.add_argument("--recipe", metavar="NS", help="only this recipe's namespace")
    history.set_defaults(handler=_ctx_history)
    return parser


def _store_options(parser: argparse.ArgumentParser, default: Path | None = DEFAULT_DB) -> None:
    parser.add_argument("--db", type=Path, default=default, metavar="PATH",
                        help=f"the results store (default: {DEFAULT_DB})")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not 0 <= days < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days")
    return days


# -- the results store ------------------------------------------------------------------------

def _open_store(path: Path) -> ResultsStore:
    from .store import ResultsStore  # sqlite-utils only for the commands that read the store

    if not path.is_file():
        raise OrchestratorError(f"no results store at {path}",
                                hint="run pytest first, or pass --db PATH")
    return ResultsStore(path)


def _runs(args: argparse.Namespace) -> int:
    with _open_store(args.db) as store:
        runs = store.runs(args.limit)
    _print(args, runs, ["run_id", "status", "started", "ended", "steps", "failed", "host",
                        "git_rev"])
    return 0


def _show(args: argparse.Namespace) -> int:
    with _open_store(args.db) as store:
        run = store.run(args.run)
    if run is None:
        raise OrchestratorError(f"no run '{args.run}' in {args.db}",
                                hint="`orchestrator runs` lists them")
    if args.json:
        print(json.dumps(run, indent=2))
        return 0
    print(f"run {run['run_id']}: {run['status']}, {run['started']} to {run['ended'] or '?'}, "
          f"host {run['host']}, git {run['git_rev'] or '?'}")
    print(f"args: {' '.join(run['args'])}\n")
    steps = [{**s, "duration": f"{s['duration']:.3f}s", "cache": "hit" if s["cache_hit"]
              else ""} for s in run["steps"]]
    _print(args, steps, ["test_id", "step", "outcome", "duration", "attempts", "cache",
                         "executor", "worker"])
    return 0


def _ctx_history(args: argparse.Namespace) -> int:
    with _open_store(args.db) as store:
        run_id = None
        if args.run:
            run = store.run(args.run)
            if run is None:
                raise OrchestratorError(f"no run '{args.run}' in {args.db}")
            run_id = run["run_id"]
        writes = store.history(args.recipe, run_id)
    rows = writes if args.json else [{**w, "before": json.dumps(w["before"]),
                                      "after": json.dumps(w["after"])} for w in writes]
    _print(args, rows, ["ts", "run_id", "namespace", "step", "key", "before", "after"])
    return 0


def _prune(args: argparse.Namespace) -> int:
    if args.keep is None and args.older_than is None:
        raise OrchestratorError("prune needs --keep N or --older-than DAYS, or both",
                                hint="nothing is pruned by default")
    with _open_store(args.db) as store:
        pruned = store.prune(keep=args.keep, older_than=args.older_than,
                             artifacts=args.artifacts, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({"dry_run": pruned.dry_run, "run_ids": list(pruned.run_ids),
                          "rows": pruned.rows, "folders": [str(f) for f in pruned.folders]},
                         indent=2))
    elif not pruned.run_ids:
        print("nothing to prune")
    else:
        print(_pruned_text(pruned))
    return 0


def _pruned_text(pruned: Pruned) -> str:
    """``pruned 2 runs, oldest first:`` (``would prune`` in a dry run), the run ids, then the
    rows removed per table and the number of artifact folders."""
    runs = len(pruned.run_ids)
    verb = "would prune" if pruned.dry_run else "pruned"
    rows = ", ".join(f"{table} {count}" for table, count in pruned.rows.items())
    return "\n".join([f"{verb} {runs} run{'s' * (runs != 1)}, oldest first:",
                      *(f"  {run_id}" for run_id in pruned.run_ids),
                      f"rows: {rows}", f"artifact folders: {len(pruned.folders)}"])


def _schema(args: argparse.Namespace) -> int:
    """The packaged schema's absolute path; its content with ``--print``."""
    from .schema import schema_path

    path = schema_path()
    if args.content:
        sys.stdout.write(path.read_text("utf-8"))
    else:
        print(path)
    return 0


def _print(args: argparse.Namespace, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Rows as JSON (``--json``) or as a plain-text table of these columns."""
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("(none)")
    else:
        print(_table([[_cell(row[c]) for c in columns] for row in rows], columns))


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, *rows]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
                     .rstrip() for line in lines)


def _cell(value: Any, width: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[:width - 1] + "…"


# -- a step's context snapshot (inside shell steps) --------------------------------------------

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
    """A snapshot file (``--file`` or ``$ORCH_CONTEXT_FILE``) unless ``--db`` is given; the
    results store otherwise."""
    if args.file or (args.db is None and os.environ.get("ORCH_CONTEXT_FILE")):
        print(json.dumps(_snapshot(args.file), indent=2, sort_keys=True))
        return 0
    with _open_store(args.db or DEFAULT_DB) as store:
        state = store.context(args.recipe)
    if args.json:
        print(json.dumps(state, indent=2, sort_keys=True))
        return 0
    rows = [{"namespace": ns, "key": key, "value": json.dumps(value)}
            for ns, values in state.items() for key, value in values.items()]
    _print(args, rows, ["namespace", "key", "value"])
    return 0
