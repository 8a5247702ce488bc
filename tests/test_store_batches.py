"""The results store written in batches keeps its promises: written by the controller only,
intact after a kill -9 at any point, under -n a dependency's result stored before a dependent
on another worker starts, the results before a long step written while it runs, nothing lost at
the end of a session or on Ctrl+C."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from pytest_orchestrator.batches import Batches

PROBES = '''
import os, signal, sqlite3, time
from pathlib import Path
from pytest_orchestrator import BaseScriptlet


def _stored(step):
    """The outcome of ``step`` in this run's store rows, or None."""
    db = Path(os.environ["ORCH_ROOTDIR"], ".orchestrator", "results.db")
    if not db.exists():
        return None
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute("SELECT outcome FROM steps WHERE run_id = ? AND step = ?",
                           (os.environ["ORCH_RUN_ID"], step)).fetchone()
    return row and row[0]


class Stored(BaseScriptlet):
    """Passes if params['step'] is already in the results store (waits up to params['wait'])."""

    def run(self, ctx, params):
        deadline = time.monotonic() + params.get("wait", 0)
        while _stored(params["step"]) != "passed":
            if time.monotonic() > deadline:
                return self.emit_error(f"{params['step']} is not in the store")
            time.sleep(0.05)
        return {f"probe.{self.step}_v1": 1}


class Where(BaseScriptlet):
    """Writes which worker ran it; passes if every dependency in params['deps'] that ran on
    another worker is already in the results store."""

    def run(self, ctx, params):
        here = os.environ.get("PYTEST_XDIST_WORKER")
        time.sleep(params.get("sleep", 0))
        for dep in params.get("deps", []):
            if ctx.get(f"probe.{dep}_v1") != here and _stored(dep) != "passed":
                return self.emit_error(f"{dep} ran on another worker and is not in the store")
        return {f"probe.{self.step}_v1": here}


class Interrupt(BaseScriptlet):
    """Ctrl-C, as pressed at the terminal."""

    def run(self, ctx, params):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(60)


class One(BaseScriptlet):
    def run(self, ctx, params):
        return {f"probe.{self.step}_v1": 1}
'''


def probe(name: str, cls: str, **args: object) -> str:
    line = f"  - {{name: {name}, module: steps.probes, function: {cls}"
    line += f", args: {args!r}".replace("'", '"') if args else ""
    return line + "}\n"


@pytest.fixture
def probes(project):
    project.write("steps/probes.py", PROBES)
    return project


def rows(project, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        return db.execute(sql, args).fetchall()


def test_the_results_before_a_long_step_are_written_while_it_runs(probes):
    probes.recipe("long", "test_meta: {test_id: LONG}\nsteps:\n" + probe("first", "One")
                  + probe("long", "Stored", step="first", wait=120))
    probes.run_subprocess().assert_outcomes(passed=2)


def test_under_xdist_a_dependency_on_another_worker_is_stored_before_its_dependent_starts(
        probes):
    # root runs with a (sent ahead behind it), so b goes to the other worker; join needs both
    steps = (probe("root", "Where") + probe("a", "Where", sleep=0.5)[:-2] + ", parallel: true}\n"
             + probe("b", "Where")[:-2] + ", parallel: true}\n"
             + probe("join", "Where", deps=["a", "b"])[:-2] + ", depends_on: [a, b]}\n")
    probes.recipe("fan", "test_meta: {test_id: FAN}\nsteps:\n" + steps)
    result = probes.run_subprocess("-n", "2", "-p", "no:randomly")
    result.assert_outcomes(passed=4)
    workers = dict(rows(probes, "SELECT step, worker FROM steps"))
    assert workers["a"] != workers["b"]  # so join had a dependency on another worker


def test_ctrl_c_loses_no_result_and_marks_the_run_interrupted(probes):
    steps = "".join(probe(f"s{i}", "One") for i in range(30)) + probe("stop", "Interrupt") \
        + probe("after", "One")
    probes.recipe("stop", "test_meta: {test_id: STOP}\nsteps:\n" + steps)
    result = probes.run_subprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert rows(probes, "SELECT COUNT(*) FROM steps WHERE outcome = 'passed'") == [(30,)]
    assert rows(probes, "SELECT status FROM runs") == [("interrupted",)]


def test_every_result_is_written_by_the_end_of_the_session(probes):
    probes.recipe("many", "test_meta: {test_id: MANY}\nsteps:\n"
                  + "".join(probe(f"s{i}", "One") for i in range(700)))
    probes.run().assert_outcomes(passed=700)
    assert rows(probes, "SELECT COUNT(*), COUNT(DISTINCT step) FROM steps") == [(700, 700)]
    assert rows(probes, "SELECT COUNT(*) FROM context_writes") == [(700,)]


@pytest.mark.parametrize("written", [1, 150, 600])
def test_a_run_killed_at_any_point_leaves_an_intact_store_of_whole_steps(probes, written):
    """kill -9 once ``written`` results are in the store (or when the run ends first)."""
    probes.recipe("many", "test_meta: {test_id: MANY}\nsteps:\n"
                  + "".join(probe(f"s{i}", "One") for i in range(2000)))
    db = probes.root / ".orchestrator" / "results.db"
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                            "-p", "no:cacheprovider"], cwd=probes.root,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={k: v for k, v in os.environ.items()
                                if not k.startswith("PYTEST_")})
    deadline = time.monotonic() + 300
    while run.poll() is None and time.monotonic() < deadline:
        if db.exists() and _count(db) >= written:
            break
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=60)
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        steps = check.execute("SELECT COUNT(*) FROM steps").fetchone()[0]
        assert steps >= min(written, 2000)
        # each step row came with its context write and its resource metrics, or not at all
        assert check.execute("SELECT COUNT(*) FROM context_writes").fetchone()[0] == steps
        assert check.execute("SELECT COUNT(*) FROM steps s WHERE (SELECT COUNT(*) FROM "
                             "metrics m WHERE m.step_id = s.id) != 3").fetchone() == (0,)
        # in order: the stored steps are the first ones of the recipe
        names = [r[0] for r in check.execute("SELECT step FROM steps ORDER BY id")]
        assert names == [f"s{i}" for i in range(steps)]


def _count(db) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def test_batches_keep_the_order_and_report_what_could_not_be_written():
    written: list[list[int]] = []
    warned: list[str] = []

    def write(batch: list[int]) -> list[str]:
        written.append(batch)
        return [f"lost {n}" for n in batch if n == 3]

    batches = Batches(write, warned.append, slice_seconds=3600)
    for n in range(5):
        batches.add(n)
    assert written == []  # waiting for the slice
    batches.close()
    assert written == [[0, 1, 2, 3, 4]]
    assert warned == ["lost 3"]
    batches.add(5)  # after close: written at the next close
    batches.close()
    assert written[-1] == [5]


def test_at_once_writes_each_record_before_add_returns():
    written: list[list[int]] = []
    batches = Batches(lambda batch: written.append(batch) or [], print, at_once=True)
    batches.add(1)
    assert written == [[1]]
    batches.add(2)
    assert written == [[1], [2]]
    batches.close()
