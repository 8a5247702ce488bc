"""``orchestrator dashboard``: the live dashboard of the results store, in a browser."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import Any

from ..errors import OrchestratorError
from .output import DEFAULT_DB, positive

#: What the dashboard needs beyond our dependencies (the ``dashboard`` extra).
NEEDS = ("dash", "waitress")


def add_commands(commands: Any) -> None:
    dashboard = commands.add_parser(
        "dashboard", help="serve a live dashboard of the results store (runs, progress, the "
                          "DAG, durations, metric trends); needs the 'dashboard' extra")
    dashboard.add_argument("--db", type=Path, default=DEFAULT_DB, metavar="PATH",
                           help=f"the results store (default: {DEFAULT_DB}); read only, and "
                                "it may not exist yet")
    dashboard.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default 127.0.0.1; another needs "
                                "--allow-remote)")
    dashboard.add_argument("--port", type=port, default=8050,
                           help="port to listen on (default 8050; 0 picks a free one)")
    dashboard.add_argument("--allow-remote", action="store_true",
                           help="allow a --host other machines can reach")
    dashboard.add_argument("--refresh", type=positive, default=2, metavar="SECONDS",
                           help="how often the page reads the store again (default 2)")
    dashboard.set_defaults(handler=_dashboard)


def port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def _dashboard(args: argparse.Namespace) -> int:
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise OrchestratorError(f"the dashboard needs {', '.join(missing)}, not installed",
                                hint="pip install 'pytest-orchestrator[dashboard]'")
    from ..dashboard.app import serve

    serve(args.db, args.host, args.port, refresh=args.refresh, allow_remote=args.allow_remote)
    return 0
