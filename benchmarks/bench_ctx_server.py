"""The context server against the backend it serves: context writes through HTTP (``PUT``
from one kept-alive client to ``orchestrator ctx serve`` in a process of its own) vs the same
writes through ``Context.set`` + ``commit`` straight on the backend, one write per commit
both sides. The ratio is the price of HTTP, JSON, the token check and a second process; the
table's Δ ms/item is that price per write (writes per second = items / median)."""

from __future__ import annotations

import atexit
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from harness import Pair, benchmark

WRITES = 500
TOKEN = "bench-token-0123456789"


def _values(round_no: int) -> list[tuple[str, dict[str, int]]]:
    return [(f"bench.k{i % 50}_v1", {"round": round_no, "i": i}) for i in range(WRITES)]


def _server(url: str, root: Path) -> str:
    """``orchestrator ctx serve`` over ``url`` on a free loopback port, stopped at exit."""
    env = {**os.environ, "ORCH_CONTEXT_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_orchestrator", "ctx", "serve", "--context", url,
         "--namespace", "bench", "--port", "0"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    atexit.register(proc.terminate)
    assert proc.stdout is not None
    found = re.search(r" at (http://\S+) ", proc.stdout.readline())
    if not found:
        raise RuntimeError("orchestrator ctx serve did not start (is the 'server' extra "
                           "installed?)")
    return found.group(1)


@benchmark("ctx_server_vs_backend", goal=10.0, items=WRITES,
           what=f"{WRITES} context writes through the context server (HTTP PUT, one client, "
                "server in its own process) vs Context.set + commit on the same backend "
                "(sqlite:///), one write per commit")
def ctx_server_vs_backend(root: Path) -> Pair:
    from pytest_orchestrator.context import Context, open_backend
    from pytest_orchestrator.server.client import ContextClient

    backend = open_backend(f"sqlite:///{root / 'direct.db'}")
    client = ContextClient(_server(f"sqlite:///{root / 'served.db'}", root), TOKEN)
    rounds = iter(range(10**9))

    def direct() -> float:
        values = _values(next(rounds))
        start = time.perf_counter()
        for key, value in values:
            ctx = Context(backend, "bench", step="bench", run_id="bench")
            ctx.set(key, value, who="bench")
            ctx.commit()
        return time.perf_counter() - start

    def served() -> float:
        values = _values(next(rounds))
        start = time.perf_counter()
        for key, value in values:
            client.set(key, value, who="bench")
        return time.perf_counter() - start

    return Pair(baseline=direct, ours=served)
