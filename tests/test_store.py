"""The results store over a real SQLite file: runs, one transaction per step result, the
latest context, history, resume look-ups, and a writer killed with SIGKILL at random moments."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from pytest_orchestrator.context import WriteRecord
from pytest_orchestrator.errors import OrchestratorError
from pytest_orchestrator.store import SCHEMA_VERSION, ResultsStore, StepRecord

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / ".orchestrator" / "results.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[ResultsStore]:
    with ResultsStore(db_path) as opened:
        yield opened


def begin(store: ResultsStore, run_id: str, started: str = "2026-11-23T10:00:00.000Z") -> None:
    store.begin_run(run_id, args=["-q", "recipes/x.yaml"], host="ci-1", git_rev="8ae9d65",
                    started=started)


def write(key: str, before: Any, after: Any, step: str = "load", run_id: str = "run-1",
          ts: str = "2026-11-23T10:00:01.000Z") -> dict[str, Any]:
    return WriteRecord(key, before, after, who=f"scriptlets.steps.{step}", step=step,
                       run_id=run_id, ts=ts).as_dict()


def record(step: str = "load", run_id: str = "run-1", outcome: str = "passed",
           **fields: Any) -> StepRecord:
    fields.setdefault("writes", [write("numbers.raw_v1", None, [1, 2, 3], step, run_id)])
    fields.setdefault("metrics", {"duration": 0.25, "peak_rss": 4096.0})
    return StepRecord(run_id=run_id, test_id="NUM-001", namespace="NUM-001", step=step,
                      nodeid=f"recipes/numbers.yaml::NUM-001::{step}", outcome=outcome,
                      **fields)


def test_opening_a_store_creates_its_folder_tables_and_indexes_in_wal_mode(db_path):
    ResultsStore(db_path).close()
    db = sqlite_utils.Database(db_path)
    assert set(db.table_names()) == {"runs", "recipes", "steps", "context_writes",
                                     "context_state", "metrics", "flags", "summaries", "planned"}
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sorted(i.name for i in db["steps"].indexes) == [
        "steps_run_id_id", "steps_test_id_namespace_step_id",
        "steps_test_id_namespace_step_spec_hash_outcome_cache_hit_id"]
    assert db["context_state"].pks == ["namespace", "key"]


def test_reopening_a_store_keeps_what_it_holds(db_path):
    with ResultsStore(db_path) as first:
        begin(first, "run-1")
    with ResultsStore(db_path) as again:
        assert [r["run_id"] for r in again.runs()] == ["run-1"]


def test_a_file_that_is_not_a_database_is_refused_with_its_path(tmp_path):
    bogus = tmp_path / "results.db"
    bogus.write_text("not sqlite, " * 100)
    with pytest.raises(OrchestratorError, match=r"results.db: cannot open the results store"):
        ResultsStore(bogus)


def test_a_run_is_recorded_running_then_finished(store):
    begin(store, "run-1")
    assert store.run("run-1") == {
        "run_id": "run-1", "started": "2026-11-23T10:00:00.000Z", "ended": None,
        "status": "running", "host": "ci-1", "git_rev": "8ae9d65",
        "args": ["-q", "recipes/x.yaml"], "rootdir": "", "artifacts": "", "steps": []}
    store.finish_run("run-1", "failed", "2026-11-23T10:00:09.000Z")
    assert store.runs()[0] | {"args": None} == {
        "run_id": "run-1", "started": "2026-11-23T10:00:00.000Z",
        "ended": "2026-11-23T10:00:09.000Z", "status": "failed", "host": "ci-1",
        "git_rev": "8ae9d65", "args": None, "rootdir": "", "artifacts": "", "steps": 0,
        "failed": 0}


def test_beginning_a_run_marks_earlier_unfinished_runs_interrupted(store):
    begin(store, "run-1")
    begin(store, "run-2", started="2026-11-23T11:00:00.000Z")
    store.finish_run("run-2", "passed", "2026-11-23T11:00:05.000Z")
    begin(store, "run-3", started="2026-11-23T12:00:00.000Z")
    assert [(r["run_id"], r["status"]) for r in store.runs()] == [
        ("run-3", "running"), ("run-2", "passed"), ("run-1", "interrupted")]


def test_runs_are_listed_newest_first_with_their_step_and_failure_counts(store):
    for n in range(1, 5):
        begin(store, f"run-{n}", started=f"2026-11-23T1{n}:00:00.000Z")
    store.record_step(record(run_id="run-2"))
    store.record_step(record("stats", run_id="run-2", outcome="failed", writes=[]))
    store.record_step(record("check", run_id="run-2", outcome="error", writes=[]))
    runs = store.runs(limit=3)
    assert [(r["run_id"], r["steps"], r["failed"]) for r in runs] == [
        ("run-4", 0, 0), ("run-3", 0, 0), ("run-2", 3, 2)]


def test_a_recorded_step_round_trips_every_field_through_json(store):
    begin(store, "run-1")
    full = record(attempts=2, started="2026-11-23T10:00:01.000Z",
                  ended="2026-11-23T10:00:02.500Z", duration=1.5, cpu_user=1.25, cpu_sys=0.125,
                  peak_rss=52_428_800, executor="child", cache_hit=True, exit_code=0,
                  worker="gw1", envelope={"status": "ok", "outputs": ["numbers.raw_v1"],
                                          "metrics": {"rows": 3}},
                  stderr_tail="loaded 3 rows\n", spec_hash="c0ffee",
                  metrics={"duration": 1.5, "rows": 3}, depends_on=["fetch"], rank=1,
                  parallel=True, finally_=True, exclusive=True)
    store.record_step(full)
    assert store.latest_passed("NUM-001", "load", "NUM-001") == full
    [step] = store.run("run-1")["steps"]
    assert step["cache_hit"] is True and step["envelope"]["metrics"] == {"rows": 3}
    assert step["writes"] == full.writes


V1_STEPS = ("id INTEGER PRIMARY KEY, run_id TEXT, test_id TEXT, namespace TEXT, step TEXT, "
            "nodeid TEXT, outcome TEXT, attempts INTEGER, started TEXT, ended TEXT, "
            "duration FLOAT, cpu_user FLOAT, cpu_sys FLOAT, peak_rss INTEGER, executor TEXT, "
            "cache_hit INTEGER, exit_code INTEGER, worker TEXT, envelope TEXT, "
            "stderr_tail TEXT, spec_hash TEXT, writes TEXT")


def test_a_store_of_version_1_gains_the_new_columns_and_its_old_rows_still_read(db_path):
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as old:
        old.execute("CREATE TABLE runs (run_id TEXT PRIMARY KEY, started TEXT, ended TEXT, "
                    "status TEXT, host TEXT, git_rev TEXT, args TEXT)")
        old.execute(f"CREATE TABLE steps ({V1_STEPS})")
        old.execute("INSERT INTO runs VALUES ('run-0', 's', 'e', 'passed', 'h', '', '[]')")
        old.execute("INSERT INTO steps (run_id, test_id, namespace, step, nodeid, outcome, "
                    "cache_hit, envelope, writes) VALUES ('run-0', 'NUM-001', 'NUM-001', "
                    "'load', 'n::load', 'passed', 0, '{}', '[]')")
        old.execute("PRAGMA user_version = 1")
    old.close()
    with ResultsStore(db_path) as store:
        [step] = store.run("run-0")["steps"]
        assert (step["depends_on"], step["rank"], step["parallel"], step["finally"]) == \
            ([], 0, False, False)
        assert store.run("run-0")["rootdir"] is None
        store.record_step(record(run_id="run-0", depends_on=["load"], rank=1))
        assert store.run("run-0")["steps"][1]["depends_on"] == ["load"]
    db = sqlite_utils.Database(db_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {"flags", "summaries", "planned"} <= set(db.table_names())
    assert list(db["steps"].columns_dict)[-5:] == ["depends_on", "rank", "parallel", "finally",
                                                    "exclusive"]


def test_one_step_writes_its_row_history_metrics_recipe_and_latest_state(store, db_path):
    begin(store, "run-1")
    store.record_step(record(writes=[write("numbers.raw_v1", None, [1, 2]),
                                     write("numbers.count_v1", None, 2)]))
    db = sqlite_utils.Database(db_path)
    assert db["steps"].count == 1 and db["context_writes"].count == 2
    assert [(m["name"], m["value"], m["step_id"]) for m in db["metrics"].rows] == [
        ("duration", 0.25, 1), ("peak_rss", 4096.0, 1)]
    assert list(db["recipes"].rows) == [
        {"test_id": "NUM-001", "namespace": "NUM-001", "last_run": "run-1"}]
    assert store.context() == {"NUM-001": {"numbers.count_v1": 2, "numbers.raw_v1": [1, 2]}}


def test_a_step_whose_metrics_fail_to_insert_leaves_nothing_behind(store, db_path):
    begin(store, "run-1")
    store.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON metrics "
                     "BEGIN SELECT RAISE(ABORT, 'metrics refused'); END")
    with pytest.raises(OrchestratorError, match="cannot write to the results store: metrics "
                                                "refused"):
        store.record_step(record())
    db = sqlite_utils.Database(db_path)
    for table in ("steps", "context_writes", "metrics", "recipes", "context_state"):
        assert db[table].count == 0, table
    store.db.execute("DROP TRIGGER refuse")
    store.record_step(record())
    assert db["steps"].count == 1


@pytest.mark.parametrize("value", ["fast", float("nan"), float("inf"), True, None])
def test_a_metric_that_is_not_a_finite_number_is_refused_before_anything_is_stored(store, value):
    begin(store, "run-1")
    with pytest.raises(OrchestratorError, match=r"metric 'rows' of step 'load' is .*not a finite"):
        store.record_step(record(metrics={"duration": 0.1, "rows": value}))
    assert store.run("run-1")["steps"] == []


def test_latest_passed_picks_the_newest_passed_or_restored_result_of_that_step(store):
    for n in range(1, 5):
        begin(store, f"run-{n}")
    store.record_step(record(run_id="run-1", spec_hash="old"))
    store.record_step(record(run_id="run-2", spec_hash="new"))
    store.record_step(record(run_id="run-3", outcome="failed", writes=[]))
    store.record_step(record("stats", run_id="run-4"))
    assert store.latest_passed("NUM-001", "load", "NUM-001").run_id == "run-2"
    store.record_step(record(run_id="run-4", outcome="restored", spec_hash="new"))
    assert store.latest_passed("NUM-001", "load", "NUM-001").run_id == "run-4"


def test_latest_passed_is_none_for_a_step_never_passed_or_another_row(store):
    begin(store, "run-1")
    store.record_step(record(outcome="failed", writes=[]))
    assert store.latest_passed("NUM-001", "load", "NUM-001") is None
    store.record_step(record())
    assert store.latest_passed("NUM-001", "load", "NUM-001[row2]") is None
    assert store.latest_passed("NUM-001", "stats", "NUM-001") is None


def test_the_latest_context_keeps_one_value_per_key_the_last_written(store, db_path):
    begin(store, "run-1")
    store.record_step(record(writes=[write("numbers.raw_v1", None, [1])]))
    store.record_step(record("grow", writes=[write("numbers.raw_v1", [1], [1, 2], "grow")]))
    store.record_step(StepRecord("run-1", "TXT-002", "TXT-002", "load", "t::load", "passed",
                                 writes=[write("text.words_v1", None, ["a"])]))
    assert store.context() == {"NUM-001": {"numbers.raw_v1": [1, 2]},
                               "TXT-002": {"text.words_v1": ["a"]}}
    assert store.context("TXT-002") == {"TXT-002": {"text.words_v1": ["a"]}}
    assert sqlite_utils.Database(db_path)["context_state"].count == 2
    row = sqlite_utils.Database(db_path)["context_state"].get(("NUM-001", "numbers.raw_v1"))
    assert (row["step"], row["run_id"]) == ("grow", "run-1")


def test_in_one_batch_the_latest_context_and_recipe_row_are_the_last_written(store, db_path):
    begin(store, "run-1")
    begin(store, "run-2")
    store.record_steps([
        record(writes=[write("numbers.raw_v1", None, [1])]),
        record("grow", writes=[write("numbers.raw_v1", [1], [1, 2], "grow")]),
        record("last", run_id="run-2", writes=[write("numbers.raw_v1", [1, 2], [3], "last")])])
    assert store.context() == {"NUM-001": {"numbers.raw_v1": [3]}}
    db = sqlite_utils.Database(db_path)
    assert db["context_state"].get(("NUM-001", "numbers.raw_v1"))["step"] == "last"
    assert list(db["recipes"].rows) == [
        {"test_id": "NUM-001", "namespace": "NUM-001", "last_run": "run-2"}]
    assert db["context_writes"].count == 3


def test_history_lists_writes_in_commit_order_filtered_by_recipe_and_run(store):
    begin(store, "run-1")
    begin(store, "run-2")
    store.record_step(record(writes=[write("numbers.raw_v1", None, [1])]))
    store.record_step(StepRecord("run-1", "TXT-002", "TXT-002", "load", "t::load", "passed",
                                 writes=[write("text.words_v1", None, ["a"])]))
    store.record_step(record("grow", run_id="run-2",
                             writes=[write("numbers.raw_v1", [1], [1, 2], "grow", "run-2")]))
    assert [(h["key"], h["before"], h["after"]) for h in store.history()] == [
        ("numbers.raw_v1", None, [1]), ("text.words_v1", None, ["a"]),
        ("numbers.raw_v1", [1], [1, 2])]
    assert [h["after"] for h in store.history("NUM-001")] == [[1], [1, 2]]
    assert [h["after"] for h in store.history(run_id="run-2")] == [[1, 2]]
    assert store.history("NUM-001", "run-1")[0] == {
        "id": 1, "run_id": "run-1", "namespace": "NUM-001", "key": "numbers.raw_v1",
        "before": None, "after": [1], "who": "scriptlets.steps.load", "step": "load",
        "ts": "2026-11-23T10:00:01.000Z"}


def test_a_run_is_found_by_a_unique_prefix_of_its_id(store):
    begin(store, "20261123-100000-ab12")
    begin(store, "20261123-110000-cd34")
    assert store.run("20261123-10")["run_id"] == "20261123-100000-ab12"
    assert store.run("nope") is None
    with pytest.raises(OrchestratorError, match="run id '20261123' is ambiguous"):
        store.run("20261123")


def test_an_exact_run_id_wins_over_longer_ids_it_prefixes(store):
    begin(store, "run-1")
    begin(store, "run-10")
    assert store.run("run-1")["run_id"] == "run-1"


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pytest_orchestrator.store import ResultsStore, StepRecord

    store = ResultsStore(Path(sys.argv[1]))
    run_id = sys.argv[2]
    store.begin_run(run_id, args=[], host="h", git_rev="", started=run_id)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        writes = [{"key": f"k.n{i}_v1", "before": n - 1, "after": n, "who": "w", "step": "s",
                   "run_id": run_id, "ts": "t"} for i in range(2)]
        store.record_step(StepRecord(run_id, "KILL", "KILL", f"s{n}", "x", "passed",
                                     stderr_tail="x" * 2000, writes=writes,
                                     metrics={"a": n, "b": 1.0, "c": 2.0}))
""")


def test_a_writer_killed_at_random_moments_leaves_an_intact_store_that_marks_it_interrupted(
        tmp_path, db_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    rng = random.Random()
    killed: list[str] = []
    for n in range(6):
        run_id = f"2026-11-23T10:00:0{n}"
        writer = subprocess.Popen([sys.executable, str(script), str(db_path), run_id],
                                  cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if n % 3:  # mostly while steps are being recorded, sometimes while starting up
            assert writer.stdout.readline() == "ready\n"
            killed.append(run_id)
        time.sleep(rng.uniform(0, 0.15 if n % 3 else 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        writer.stdout.close()
        if not db_path.exists():
            continue  # killed before it opened the store
        check = sqlite3.connect(db_path)
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        if not check.execute("SELECT 1 FROM sqlite_master WHERE name = 'steps'").fetchone():
            check.close()
            continue  # killed while creating the schema: that transaction left nothing
        # Every step row is whole: its three metrics and two writes went in with it.
        assert check.execute("SELECT COUNT(*) FROM steps s WHERE (SELECT COUNT(*) FROM "
                             "metrics m WHERE m.step_id = s.id) != 3").fetchone() == (0,)
        assert check.execute("SELECT COUNT(*) * 2 FROM steps").fetchone() == check.execute(
            "SELECT COUNT(*) FROM context_writes").fetchone()
        check.close()
    with ResultsStore(db_path) as store:
        begin(store, "after")
        status = {r["run_id"]: r["status"] for r in store.runs(limit=100)}
        store.record_step(record(run_id="after"))
    assert {run_id: status[run_id] for run_id in killed} == dict.fromkeys(killed, "interrupted")
    assert [run_id for run_id, s in status.items() if s == "running"] == ["after"]
