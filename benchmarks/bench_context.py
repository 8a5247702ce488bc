"""The shared context backends against the raw client doing the same writes: steps of five
context writes each, through ``Context.set``/``commit`` on our backend (state reads, rules,
one atomic commit per step), vs the same rows written directly, one transaction (SQLite) or
one pipeline (Redis) per step. The ratio is the price of our layer and of its atomicity."""

from __future__ import annotations

import atexit
import json
import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from itertools import count
from pathlib import Path
from typing import Any

from harness import Pair, benchmark

STEPS = 2000
WRITES = 5


def _values(n: int) -> list[tuple[str, dict[str, Any]]]:
    return [(f"bench.s{n}k{i}_v1", {"n": n, "i": i, "mean": n / 7}) for i in range(WRITES)]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _ours(url_of: Any) -> Any:
    """Every step: five ``ctx.set`` and one ``ctx.commit`` on a fresh backend per round."""
    from pytest_orchestrator.context import Context, open_backend

    def run() -> float:
        backend = open_backend(url_of())
        ns = f"bench-{uuid.uuid4().hex[:8]}"
        start = time.perf_counter()
        for n in range(STEPS):
            ctx = Context(backend, ns, step=f"s{n}", run_id="bench")
            for key, value in _values(n):
                ctx.set(key, value, who="bench.steps")
            ctx.commit()
        elapsed = time.perf_counter() - start
        backend.close()
        return elapsed
    return run


@benchmark("context_sqlite_vs_sqlite3", goal=3.0, items=STEPS,
           what=f"{STEPS} steps of {WRITES} context writes through Context on sqlite:/// vs raw "
                "sqlite3 writing the same rows, one transaction per step, same pragmas")
def context_sqlite_vs_sqlite3(root: Path) -> Pair:
    from pytest_orchestrator.context.sqlite_backend import SCHEMA, SQLiteBackend

    fresh = (root / f"ctx-{n}.db" for n in count())

    def baseline() -> float:
        path = next(fresh)
        SQLiteBackend(f"sqlite:///{path}").close()  # the same empty schema
        db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = NORMAL"):
            db.execute(f"PRAGMA {pragma}")
        assert "ctx_history" in SCHEMA
        start = time.perf_counter()
        for n in range(STEPS):
            step, values = f"s{n}", _values(n)
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO ctx_keys (namespace, key, value, shape, last_step) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET "
                "value = excluded.value, last_step = excluded.last_step",
                [("bench", k, _dumps(v), '{"n":"number"}', step) for k, v in values])
            db.executemany(
                "INSERT INTO ctx_writers (namespace, key, step, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (namespace, key, step) DO UPDATE SET value = excluded.value",
                [("bench", k, step, _dumps(v)) for k, v in values])
            db.executemany(
                "INSERT INTO ctx_history (namespace, key, before, after, who, step, run_id, ts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [("bench", k, "null", _dumps(v), "bench.steps", step, "bench",
                  "2026-11-23T10:00:00.000Z") for k, v in values])
            db.execute("COMMIT")
        elapsed = time.perf_counter() - start
        db.close()
        return elapsed

    return Pair(baseline=baseline, ours=_ours(lambda: f"sqlite:///{next(fresh)}"))


def _redis_server(root: Path) -> str:
    """A redis-server of our own on a free loopback port, stopped when the run ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(proc.terminate)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(64).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not answer PING")


def _have_redis() -> bool:
    try:
        import redis  # noqa: F401
    except ImportError:
        return False
    return shutil.which("redis-server") is not None


if _have_redis():  # without a server (or redis-py) this benchmark is not registered at all

    @benchmark("context_redis_vs_redis_py", goal=10.0, items=STEPS,
               what=f"{STEPS} steps of {WRITES} context writes through Context on redis:// "
                    "(reads, WATCH/MULTI/EXEC) vs raw redis-py writing the same keys, one "
                    "pipeline per step")
    def context_redis_vs_redis_py(root: Path) -> Pair:
        import redis

        url = _redis_server(root)
        client = redis.Redis.from_url(url, decode_responses=True)

        def baseline() -> float:
            ns = f"orch:ctx:{{raw-{uuid.uuid4().hex[:8]}}}"
            start = time.perf_counter()
            for n in range(STEPS):
                step, values = f"s{n}", _values(n)
                pipe = client.pipeline(transaction=True)
                pipe.hset(f"{ns}:state", mapping={
                    k: _dumps({"value": v, "shape": {"n": "number"}, "last_step": step,
                               "writers": [[step, v]]}) for k, v in values})
                pipe.rpush(f"{ns}:keys", *(k for k, _ in values))
                pipe.rpush(f"{ns}:history", *(_dumps(
                    {"key": k, "before": None, "after": v, "who": "bench.steps", "step": step,
                     "run_id": "bench", "ts": "2026-11-23T10:00:00.000Z"}) for k, v in values))
                pipe.incr(f"{ns}:version")
                pipe.execute()
            return time.perf_counter() - start

        def flushed() -> str:
            client.flushdb()
            return url

        return Pair(baseline=baseline, ours=_ours(flushed))
