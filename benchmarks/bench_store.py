"""The results store against raw sqlite3: persisting step results with their context writes and
metrics, one transaction per step on both sides, so the ratio is the price of our layer."""

from __future__ import annotations

import json
import sqlite3
import time
from itertools import count
from pathlib import Path

from harness import Pair, benchmark

COUNT = 10_000


@benchmark("store_vs_sqlite3", goal=1.3, items=COUNT,
           what=f"{COUNT} step results (2 context writes + 3 metrics each) through "
                "ResultsStore.record_step vs raw sqlite3 inserts of the same rows")
def store_vs_sqlite3(root: Path) -> Pair:
    from pytest_orchestrator.context import WriteRecord
    from pytest_orchestrator.store import ResultsStore, StepRecord

    def record(n: int) -> StepRecord:
        writes = [WriteRecord(f"bench.k{i}_v1", n - 1, {"n": n, "i": i}, who="bench.steps",
                              step=f"s{n}", run_id="bench", ts="2026-11-23T10:00:00.000Z")
                  .as_dict() for i in range(2)]
        return StepRecord("bench", f"BENCH-{n % 10}", f"BENCH-{n % 10}", f"s{n}",
                          f"recipes/b.yaml::s{n}", "passed", started="2026-11-23T10:00:00.000Z",
                          ended="2026-11-23T10:00:00.010Z", duration=0.01, cpu_user=0.01,
                          executor="inprocess", worker="main",
                          envelope={"status": "ok", "outputs": ["bench.k0_v1", "bench.k1_v1"]},
                          writes=writes, metrics={"duration": 0.01, "cpu_user": 0.01,
                                                  "peak_rss": 52428800.0})
    records = [record(n) for n in range(COUNT)]
    fresh = (root / f"store-{n}.db" for n in count())

    def opened() -> ResultsStore:
        """A new store for each round: both sides start from the same empty schema."""
        store = ResultsStore(next(fresh))
        store.begin_run("bench", args=[], host="h", git_rev="", started="")
        return store

    def ours() -> float:
        store = opened()
        start = time.perf_counter()
        for rec in records:
            store.record_step(rec)
        elapsed = time.perf_counter() - start
        store.close()
        return elapsed

    def baseline() -> float:
        store = opened()  # the same empty schema, then a plain connection with the same pragmas
        store.close()
        conn = sqlite3.connect(store.path, isolation_level=None)
        for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "synchronous = NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        start = time.perf_counter()
        for rec in records:
            conn.execute("BEGIN IMMEDIATE")
            step_id = conn.execute(
                "INSERT INTO steps (run_id, test_id, namespace, step, nodeid, outcome, attempts,"
                " started, ended, duration, cpu_user, cpu_sys, peak_rss, executor, cache_hit,"
                " exit_code, worker, envelope, stderr_tail, spec_hash, writes) VALUES (?, ?, ?,"
                " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.run_id, rec.test_id, rec.namespace, rec.step, rec.nodeid, rec.outcome,
                 rec.attempts, rec.started, rec.ended, rec.duration, rec.cpu_user, rec.cpu_sys,
                 rec.peak_rss, rec.executor, int(rec.cache_hit), rec.exit_code, rec.worker,
                 json.dumps(rec.envelope), rec.stderr_tail, rec.spec_hash,
                 json.dumps(rec.writes))).lastrowid
            for w in rec.writes:
                after = json.dumps(w["after"])
                conn.execute("INSERT INTO context_writes (run_id, namespace, key, before, after,"
                             " who, step, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (w["run_id"], rec.namespace, w["key"], json.dumps(w["before"]),
                              after, w["who"], w["step"], w["ts"]))
                conn.execute("INSERT INTO context_state (namespace, key, value, run_id, step, ts)"
                             " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE"
                             " SET value = excluded.value, run_id = excluded.run_id,"
                             " step = excluded.step, ts = excluded.ts",
                             (rec.namespace, w["key"], after, w["run_id"], w["step"], w["ts"]))
            for name, value in rec.metrics.items():
                conn.execute("INSERT INTO metrics (run_id, step_id, test_id, step, name, value)"
                             " VALUES (?, ?, ?, ?, ?, ?)",
                             (rec.run_id, step_id, rec.test_id, rec.step, name, value))
            conn.execute("INSERT INTO recipes (test_id, namespace, last_run) VALUES (?, ?, ?)"
                         " ON CONFLICT (test_id) DO UPDATE SET namespace = excluded.namespace,"
                         " last_run = excluded.last_run", (rec.test_id, rec.namespace,
                                                           rec.run_id))
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed

    return Pair(baseline=baseline, ours=ours)
