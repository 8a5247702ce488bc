"""The seeds' live dashboard, now a thin entry into ``orchestrator dashboard``:
``python apps/live_dashboard.py [--db PATH] [--host H] [--port N]`` (same options)."""

from __future__ import annotations

import sys

from pytest_orchestrator.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["dashboard", *sys.argv[1:]]))
