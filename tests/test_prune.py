"""``orchestrator prune``: old runs leave the results store with everything of theirs (steps,
context writes, metrics, artifact folders), over a store filled by real pytest runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import step
from pytest_orchestrator import cli
from pytest_orchestrator.errors import OrchestratorError
from pytest_orchestrator.store import RUN_TABLES, ResultsStore

RECIPE = "test_meta: {test_id: PR-1}\nsteps:\n" + step("load", args={"value": 3}) \
    + step("double", "Double")
TABLES = (*RUN_TABLES, "context_state", "recipes")


@pytest.fixture
def three_runs(project) -> list[str]:
    """Three passed runs of a two-step recipe, oldest first: their run ids."""
    project.recipe("r", RECIPE)
    for _ in range(3):
        project.run().assert_outcomes(passed=2)
    return [row[0] for row in query(project, "SELECT run_id FROM runs ORDER BY started, rowid")]


def query(project, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        return db.execute(sql, params).fetchall()


def rows_of(project, run_id: str) -> dict[str, int]:
    return {table: query(project, f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", run_id)[0][0]
            for table in RUN_TABLES}


def counts(project) -> dict[str, int]:
    return {table: query(project, f"SELECT COUNT(*) FROM {table}")[0][0] for table in TABLES}


def backdate(project, run_id: str, days: int) -> None:
    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        db.execute("UPDATE runs SET started = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) "
                   "WHERE run_id = ?", (f"-{days} days", run_id))


def artifacts(project) -> set[str]:
    return {p.name for p in (project.root / ".orchestrator" / "artifacts").iterdir()}


def prune(capsys, *args: str) -> str:
    capsys.readouterr()  # what the pytest runs printed
    assert cli.main(["prune", *args]) == 0
    return capsys.readouterr().out


def test_keep_removes_the_older_runs_with_their_rows_and_artifact_folders(project, three_runs,
                                                                          capsys):
    old, older_kept, newest = three_runs
    before = rows_of(project, newest)
    assert before == {"runs": 1, "steps": 2, "context_writes": 2, "metrics": 6, "flags": 0,
                      "summaries": 1, "planned": 2}
    assert prune(capsys, "--keep", "1").splitlines() == [
        "pruned 2 runs, oldest first:", f"  {old}", f"  {older_kept}",
        "rows: runs 2, steps 4, context_writes 4, metrics 12, flags 0, summaries 2, planned 4",
        "artifact folders: 2"]
    assert rows_of(project, old) == rows_of(project, older_kept) == dict.fromkeys(RUN_TABLES, 0)
    assert rows_of(project, newest) == before
    assert artifacts(project) == {newest}


def test_the_latest_context_and_the_recipes_stay(project, three_runs, capsys):
    state = query(project, "SELECT * FROM context_state ORDER BY key")
    prune(capsys, "--keep", "0")
    assert query(project, "SELECT * FROM context_state ORDER BY key") == state
    assert query(project, "SELECT test_id, last_run FROM recipes") == [("PR-1", three_runs[-1])]


def test_a_resume_restores_from_the_kept_runs_only(project, three_runs, capsys):
    prune(capsys, "--keep", "1")
    project.run("-k", "double").assert_outcomes(passed=1)  # 'load' restored from the newest run
    prune(capsys, "--keep", "0")
    result = project.run("-k", "double")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*dependency 'load' has no recorded state: run it first or "
                                 "select it too*"])


def test_older_than_removes_only_the_runs_started_before_that_many_days(project, three_runs,
                                                                         capsys):
    backdate(project, three_runs[0], days=10)
    assert prune(capsys, "--older-than", "7").splitlines()[:2] == [
        "pruned 1 run, oldest first:", f"  {three_runs[0]}"]
    assert [r[0] for r in query(project, "SELECT run_id FROM runs ORDER BY started, rowid")] == three_runs[1:]
    assert artifacts(project) == set(three_runs[1:])


def test_keep_and_older_than_together_remove_a_run_only_when_both_allow_it(project, three_runs,
                                                                           capsys):
    old, middle, newest = three_runs
    backdate(project, old, days=10)
    out = prune(capsys, "--keep", "1", "--older-than", "7", "--json")
    assert json.loads(out)["run_ids"] == [old]  # --keep 1 alone would remove the middle run too
    assert artifacts(project) == {middle, newest}


def test_a_run_still_running_is_never_pruned(project, three_runs, capsys):
    with ResultsStore(project.root / ".orchestrator" / "results.db") as store:
        store.begin_run("live", args=[], host="h", git_rev="", started="2020-01-01T00:00:00Z")
    (project.root / ".orchestrator" / "artifacts" / "live").mkdir()
    assert json.loads(prune(capsys, "--keep", "0", "--older-than", "0", "--json"))["run_ids"] \
        == three_runs
    assert query(project, "SELECT run_id, status FROM runs") == [("live", "running")]
    assert artifacts(project) == {"live"}


def test_dry_run_prints_what_would_go_and_removes_nothing(project, three_runs, capsys):
    before = counts(project)
    dry = json.loads(prune(capsys, "--keep", "1", "--dry-run", "--json"))
    assert prune(capsys, "--keep", "1", "--dry-run").startswith("would prune 2 runs")
    assert counts(project) == before
    assert artifacts(project) == set(three_runs)
    done = json.loads(prune(capsys, "--keep", "1", "--json"))
    assert dry == {**done, "dry_run": True}
    assert done["folders"] == [str(Path(".orchestrator", "artifacts", r)) for r in three_runs[:2]]
    assert done["rows"] == {table: before[table] - counts(project)[table] for table in RUN_TABLES}


def test_nothing_to_prune_says_so(project, three_runs, capsys):
    assert prune(capsys, "--keep", "3") == "nothing to prune\n"
    assert counts(project)["runs"] == 3


def test_db_and_artifacts_name_another_store_and_folder(project, capsys, monkeypatch):
    project.recipe("r", RECIPE)
    for _ in range(2):
        project.run("--orch-db", "out/r.db", "--orch-artifacts", "out/art")
    monkeypatch.chdir(project.root / "out")
    with sqlite3.connect("r.db") as db:
        old, new = (r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY started, rowid"))
    out = json.loads(prune(capsys, "--db", "r.db", "--artifacts", "art", "--keep", "1", "--json"))
    assert out["run_ids"] == [old]
    assert [p.name for p in Path("art").iterdir()] == [new]


def test_prune_without_keep_or_older_than_is_an_error_and_prunes_nothing(project, three_runs,
                                                                         capsys):
    assert cli.main(["prune"]) == 2
    assert capsys.readouterr().err == ("orchestrator: prune needs --keep N or --older-than DAYS, "
                                       "or both\nhint: nothing is pruned by default\n")
    assert counts(project)["runs"] == 3


@pytest.mark.parametrize("args", [["--keep", "-1"], ["--keep", "x"], ["--older-than", "-2"],
                                  ["--older-than", "nan"], ["--older-than", "inf"]])
def test_a_negative_or_unreadable_count_is_a_usage_error(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["prune", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"orchestrator: argument {args[0]}: ")
    assert err.endswith("\nhint: `orchestrator prune --help` shows the usage\n")


def test_the_library_refuses_to_prune_when_told_nothing(tmp_path):
    with ResultsStore(tmp_path / "r.db") as store, pytest.raises(OrchestratorError,
                                                                match="needs keep or older_than"):
        store.prune()


def test_a_run_id_that_is_not_a_folder_name_never_reaches_outside_the_artifacts(tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "link").symlink_to(outside)
    with ResultsStore(tmp_path / "r.db") as store:
        for run_id in ("../precious", str(outside), "link"):
            store.begin_run(run_id, args=[], host="h", git_rev="", started="2020-01-01T00:00:00Z")
            store.finish_run(run_id, "passed", "2020-01-01T00:01:00Z")
        pruned = store.prune(keep=0, artifacts=tmp_path / "art")
    assert len(pruned.run_ids) == 3
    assert pruned.folders == (tmp_path / "art" / "link",)
    assert outside.is_dir() and not (tmp_path / "art" / "link").exists()
