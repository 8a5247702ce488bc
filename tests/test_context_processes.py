"""The shared backends across real processes: two spawned processes commit to one SQLite file or
one Redis database at once. Conflicts and the shape lock hold across them, each sees what the
other committed, and no history record is lost. Also: opening these backends by URL."""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_orchestrator.context import Context, ContextBackend, open_backend
from pytest_orchestrator.errors import ContextError, OrchestratorError

ROUNDS = 40
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(params=[pytest.param("sqlite:///{tmp}/shared.db", id="sqlite"),
                        pytest.param("{redis}", id="redis")])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    template: str = request.param
    redis = request.getfixturevalue("redis_url") if "{redis}" in template else ""
    return template.format(tmp=tmp_path, redis=redis)


@pytest.fixture
def ns() -> str:
    return f"P-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def backend(url: str) -> Iterator[ContextBackend]:
    store = open_backend(url)
    yield store
    store.close()


# --- what the processes run (module level: spawn imports this module) ----------------------

def _start(url: str, go: Any) -> ContextBackend:
    store = open_backend(url)
    go.wait(30)  # both processes open first, then race
    return store


def race_writes(url: str, ns: str, me: str, go: Any, out: Any) -> None:
    """Per round: one shared key both processes write (fail_on_conflict: one wins), one key
    both write with different shapes (last_write_wins: the shape lock leaves one winner), and
    a key of my own, all in one step commit or, on a refusal, a commit of my own key alone."""
    store = _start(url, go)
    won, shapes_won = [], []
    for i in range(ROUNDS):
        step = f"{me}-{i}"
        ctx = Context(store, ns, step=step, run_id=me)
        try:
            ctx.set(f"race.k{i}_v1", me)
            ctx.set(f"mine.{me}{i}_v1", i)
            ctx.commit()
            won.append(i)
        except ContextError:
            ctx.rollback()
            solo = Context(store, ns, step=step, run_id=me)
            solo.set(f"mine.{me}{i}_v1", i)
            solo.commit()
        value: Any = 1 if me == "p0" else "one"
        shaped = Context(store, ns, step=step, run_id=me, policy="last_write_wins")
        try:
            shaped.set(f"shape.k{i}_v1", value)
            shaped.commit()
            shapes_won.append(i)
        except ContextError:
            shaped.rollback()
    store.close()
    out.put((me, (won, shapes_won)))


def ping_pong(url: str, ns: str, me: str, go: Any, out: Any) -> None:
    """p0 writes n0, p1 waits to see it and writes n1, p0 waits for n1 and writes n2..."""
    store = _start(url, go)
    first = 0 if me == "p0" else 1
    seen = []
    for i in range(first, 2 * 10, 2):
        if i > 0:
            reader = Context(store, ns, step=f"{me}-{i}", run_id=me)
            deadline = time.monotonic() + 30
            while (got := reader.get(f"pp.n{i - 1}_v1")) is None:
                if time.monotonic() > deadline:
                    out.put((me, f"never saw pp.n{i - 1}_v1"))
                    return
                time.sleep(0.002)
            seen.append(got)
        ctx = Context(store, ns, step=f"{me}-{i}", run_id=me)
        ctx.set(f"pp.n{i}_v1", {"by": me, "i": i})
        ctx.commit()
    store.close()
    out.put((me, seen))


def _run(target: Any, url: str, ns: str) -> dict[str, Any]:
    go, out = SPAWN.Barrier(2), SPAWN.Queue()  # both open their store, then both start
    procs = [SPAWN.Process(target=target, args=(url, ns, me, go, out)) for me in ("p0", "p1")]
    for proc in procs:
        proc.start()
    results: dict[str, Any] = {}
    deadline = time.monotonic() + 120
    while len(results) < len(procs):
        try:
            me, said = out.get(timeout=0.5)
            results[me] = said
        except queue.Empty:
            crashed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            assert not crashed and time.monotonic() < deadline, f"exit codes {crashed}"
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    return results


# --- the tests -----------------------------------------------------------------------------

def test_a_conflict_between_two_processes_has_exactly_one_winner_and_its_value_stays(
        backend: ContextBackend, url: str, ns: str) -> None:
    results = _run(race_writes, url, ns)
    won = {me: set(rounds) for me, (rounds, _) in results.items()}
    assert won["p0"] | won["p1"] == set(range(ROUNDS))
    assert not won["p0"] & won["p1"]
    for i in range(ROUNDS):
        winner = "p0" if i in won["p0"] else "p1"
        state = backend.state(ns, f"race.k{i}_v1")
        assert state is not None and state.value == winner
        assert [(r.after, r.step) for r in backend.history(ns, f"race.k{i}_v1")] == \
            [(winner, f"{winner}-{i}")]


def test_the_shape_lock_holds_between_two_processes(
        backend: ContextBackend, url: str, ns: str) -> None:
    results = _run(race_writes, url, ns)
    shapes = {me: set(rounds) for me, (_, rounds) in results.items()}
    for i in range(ROUNDS):
        state = backend.state(ns, f"shape.k{i}_v1")
        assert state is not None
        winners = [me for me in ("p0", "p1") if i in shapes[me]]
        assert winners, f"round {i}: nobody wrote shape.k{i}_v1"
        # the two shapes differ, so whoever commits second is refused
        assert len(winners) == 1
        assert state.shape == ("number" if winners == ["p0"] else "string")
        assert len(backend.history(ns, f"shape.k{i}_v1")) == 1


def test_no_history_record_is_lost_and_every_write_is_visible(
        backend: ContextBackend, url: str, ns: str) -> None:
    _run(race_writes, url, ns)
    history = backend.history(ns)
    keys = set(backend.keys(ns))
    for me in ("p0", "p1"):
        for i in range(ROUNDS):
            key = f"mine.{me}{i}_v1"
            assert key in keys
            assert Context(backend, ns, step="reader").get(key) == i
    # per round: each process's own key, one race winner, one shape winner
    assert len(history) == ROUNDS * 4
    assert len({(r.key, r.step) for r in history}) == len(history)
    assert len(keys) == ROUNDS * 4


def test_each_process_sees_what_the_other_committed(
        backend: ContextBackend, url: str, ns: str) -> None:
    results = _run(ping_pong, url, ns)
    assert results["p1"] == [{"by": "p0", "i": i} for i in range(0, 20, 2)]
    assert results["p0"] == [{"by": "p1", "i": i} for i in range(1, 19, 2)]
    assert [r.key for r in backend.history(ns)] == [f"pp.n{i}_v1" for i in range(20)]


def test_a_commit_from_another_process_is_checked_against_this_ones(
        backend: ContextBackend, url: str, ns: str) -> None:
    first = Context(backend, ns, step="a")
    first.set("numbers.stats_v1", {"mean": 1.0})
    first.commit()
    go, out = SPAWN.Event(), SPAWN.Queue()
    go.set()
    proc = SPAWN.Process(target=late_writer, args=(url, ns, go, out))
    proc.start()
    said = out.get(timeout=60)
    proc.join(30)
    assert "create numbers.stats_v2 instead" in said["shape"]
    assert "by step 'a'" in said["conflict"]
    assert backend.history(ns, "numbers.stats_v1")[0].after == {"mean": 1.0}
    assert len(backend.history(ns)) == 1


def late_writer(url: str, ns: str, go: Any, out: Any) -> None:
    store = _start(url, go)
    said = {}
    for name, value, policy in (("shape", {"mean": "1"}, "last_write_wins"),
                                ("conflict", {"mean": 2.0}, "fail_on_conflict")):
        try:
            store.commit(ns, [_record(value)], policy)
            said[name] = "accepted"
        except ContextError as exc:
            said[name] = str(exc)
    store.close()
    out.put(said)


def _record(value: Any) -> Any:
    from pytest_orchestrator.context import WriteRecord

    return WriteRecord("numbers.stats_v1", None, value, "b", "b", "run-2", "")


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_a_forked_child_opens_its_own_sqlite_connection(tmp_path: Path) -> None:
    store = open_backend(f"sqlite:///{tmp_path}/fork.db")
    parent = Context(store, "ns", step="parent")
    parent.set("x.a_v1", 1)
    parent.commit()
    pid = os.fork()
    if pid == 0:  # the child uses the same object: it must reopen, not share the connection
        code = 1
        try:
            child = Context(store, "ns", step="child")
            child.set("x.b_v1", child.get("x.a_v1") + 1)
            child.commit()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert Context(store, "ns", step="reader").to_dict() == {"x.a_v1": 1, "x.b_v1": 2}
    store.close()


# --- URLs ----------------------------------------------------------------------------------

def test_a_relative_sqlite_path_is_under_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_backend("sqlite:///sub/ctx.db")
    store.close()
    assert (tmp_path / "sub" / "ctx.db").is_file()


def test_a_sqlite_url_without_a_path_is_refused() -> None:
    with pytest.raises(ContextError, match="bad SQLite context URL") as excinfo:
        open_backend("sqlite://")
    assert "sqlite:///" in excinfo.value.hint


def test_without_redis_py_the_redis_backend_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    with pytest.raises(OrchestratorError) as excinfo:
        open_backend("redis://127.0.0.1:1/0")
    assert "pip install pytest-orchestrator[redis]" in str(excinfo.value)


def test_an_unreachable_redis_is_a_clear_context_error() -> None:
    pytest.importorskip("redis")
    with pytest.raises(ContextError, match="cannot reach the Redis context"):
        open_backend("redis://127.0.0.1:1/0")


def test_a_prefix_in_the_redis_url_keeps_contexts_apart(redis_url: str, ns: str) -> None:
    one, two = open_backend(f"{redis_url}?prefix=one"), open_backend(f"{redis_url}?prefix=two")
    ctx = Context(one, ns, step="a")
    ctx.set("x.a_v1", 1)
    ctx.commit()
    assert Context(two, ns, step="b").to_dict() == {}
    assert ns in one.namespaces() and ns not in two.namespaces()
    one.close()
    two.close()


FORK = multiprocessing.get_context("fork") if sys.platform != "win32" else None


def _open_at_once(url: str, barrier: Any, answers: Any) -> None:
    barrier.wait()  # every process opens the new file in the same instant
    try:
        open_backend(url).close()
        answers.put("ok")
    except Exception as exc:  # reported to the test, whatever it is
        answers.put(repr(exc))


@pytest.mark.skipif(FORK is None, reason="fork")
def test_many_processes_opening_a_new_sqlite_context_at_once_all_get_it(tmp_path: Path) -> None:
    """xdist workers open the run's context file together: switching it to WAL does not wait
    on SQLite's busy handler, so one of them used to fail with 'database is locked'."""
    assert FORK is not None
    answers = []
    for attempt in range(50):
        barrier, found = FORK.Barrier(8), FORK.Queue()
        url = f"sqlite:///{tmp_path}/race-{attempt}.db"
        procs = [FORK.Process(target=_open_at_once, args=(url, barrier, found)) for _ in range(8)]
        for proc in procs:
            proc.start()
        answers += [found.get(timeout=120) for _ in procs]
        for proc in procs:
            proc.join(timeout=120)
    assert answers == ["ok"] * 400
