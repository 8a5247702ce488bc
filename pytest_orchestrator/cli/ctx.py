"""``orchestrator ctx get|set|dump|history|serve``: a step's context snapshot (inside shell
steps), the context recorded in the results store, and a context server's namespace."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from ..errors import OrchestratorError
from . import ctx_server
from .output import DEFAULT_DB, csv_option, open_store, print_rows, store_options


def add_commands(commands: Any) -> None:
    ctx = commands.add_parser("ctx", help="read the context, or serve it over HTTP")
    ctx_commands = ctx.add_subparsers(required=True, metavar="ACTION")
    get = ctx_commands.add_parser(
        "get", help="print one key of a step's context snapshot ($ORCH_CONTEXT_FILE), or of "
                    "a context server (--url)")
    get.add_argument("key")
    get.add_argument("--file", default=None,
                     help="the snapshot to read (default: $ORCH_CONTEXT_FILE)")
    get.add_argument("--default", default=None,
                     help="print this instead of failing when the key is missing")
    get.add_argument("--json", action="store_true",
                     help="print the value as JSON, strings too")
    ctx_server.add_client_options(get)
    get.set_defaults(handler=_ctx_get)
    ctx_server.add_set(ctx_commands)
    dump = ctx_commands.add_parser(
        "dump", help="print a step's context snapshot, or the latest context in the store")
    dump.add_argument("--file", default=None,
                      help="the snapshot to read (default: $ORCH_CONTEXT_FILE, unless --db)")
    store_options(dump, default=None)
    csv_option(dump)
    dump.add_argument("--recipe", metavar="NS", help="only this recipe's namespace")
    dump.set_defaults(handler=_ctx_dump)
    history = ctx_commands.add_parser("history", help="every context write in the store")
    store_options(history)
    csv_option(history)
    history.add_argument("--run", metavar="RUN", help="only this run (a unique prefix is enough)")
    history.add_argument("--recipe", metavar="NS", help="only this recipe's namespace")
    history.set_defaults(handler=_ctx_history)
    ctx_server.add_serve(ctx_commands)


def _ctx_history(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        run_id = None
        if args.run:
            run = store.run(args.run)
            if run is None:
                raise OrchestratorError(f"no run '{args.run}' in {args.db}")
            run_id = run["run_id"]
        writes = store.history(args.recipe, run_id)
    rows = writes if args.json else [{**w, "before": json.dumps(w["before"]),
                                      "after": json.dumps(w["after"])} for w in writes]
    print_rows(args, rows, ["ts", "run_id", "namespace", "step", "key", "before", "after"])
    return 0


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
    if args.url:
        _print_value(ctx_server.get_remote(args), args.json)
        return 0
    data = _snapshot(args.file)
    if args.key not in data:
        if args.default is not None:
            print(args.default)
            return 0
        raise OrchestratorError(f"key '{args.key}' is not in this step's context",
                                hint=f"keys: {', '.join(sorted(data)) or 'none'}")
    _print_value(data[args.key], args.json)
    return 0


def _print_value(value: object, as_json: bool) -> None:
    print(value if isinstance(value, str) and not as_json else json.dumps(value))


def _ctx_dump(args: argparse.Namespace) -> int:
    """A snapshot file (``--file`` or ``$ORCH_CONTEXT_FILE``) unless ``--db`` is given; the
    results store otherwise."""
    if args.file or (args.db is None and os.environ.get("ORCH_CONTEXT_FILE")):
        print(json.dumps(_snapshot(args.file), indent=2, sort_keys=True))
        return 0
    with open_store(args.db or DEFAULT_DB) as store:
        state = store.context(args.recipe)
    if args.json:
        print(json.dumps(state, indent=2, sort_keys=True))
        return 0
    rows = [{"namespace": ns, "key": key, "value": json.dumps(value)}
            for ns, values in state.items() for key, value in values.items()]
    print_rows(args, rows, ["namespace", "key", "value"])
    return 0
