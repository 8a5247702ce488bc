"""The ``orchestrator`` commands that read the results store, run as a user runs them: the
console script in a subprocess, against a store filled through the library."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ORCHESTRATOR
from pytest_orchestrator.context import WriteRecord
from pytest_orchestrator.store import ResultsStore, StepRecord

pytestmark = pytest.mark.skipif(ORCHESTRATOR is None, reason="the console script is not installed")

RUN_1 = "20261123-100000-ab12"
RUN_2 = "20261123-110000-cd34"


def write(key, before, after, step, run_id):
    return WriteRecord(key, before, after, who=f"scriptlets.steps.{step}", step=step,
                       run_id=run_id, ts=f"{run_id[:8]}T{step}").as_dict()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder whose default store holds two runs of NUM-001: load passed twice, stats
    failed then passed from the cache."""
    with ResultsStore(tmp_path / ".orchestrator" / "results.db") as store:
        for run_id, hour in ((RUN_1, 10), (RUN_2, 11)):
            store.begin_run(run_id, args=["-q", "recipes/numbers.yaml"], host="ci-1",
                            git_rev="8ae9d65", started=f"2026-11-23T{hour}:00:00.000Z")
        store.record_step(StepRecord(RUN_1, "NUM-001", "NUM-001", "load", "n::load", "passed",
                                     duration=0.25, executor="inprocess",
                                     writes=[write("numbers.raw_v1", None, [1, 2], "load", RUN_1)]))
        store.record_step(StepRecord(RUN_1, "NUM-001", "NUM-001", "stats", "n::stats", "failed",
                                     duration=1.5, attempts=3, executor="child"))
        store.finish_run(RUN_1, "failed", "2026-11-23T10:00:02.000Z")
        store.record_step(StepRecord(RUN_2, "NUM-001", "NUM-001", "load", "n::load", "passed",
                                     duration=0.5, executor="inprocess",
                                     writes=[write("numbers.raw_v1", [1, 2], [1, 2, 3], "load",
                                                   RUN_2)]))
        store.record_step(StepRecord(RUN_2, "TXT-002", "TXT-002", "words", "t::words", "passed",
                                     cache_hit=True, executor="subprocess",
                                     writes=[write("text.words_v1", None, ["a"], "words",
                                                   RUN_2)]))
    return tmp_path


def orchestrator(cwd: Path, *args: str, code: int = 0, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "ORCH_CONTEXT_FILE"} | env
    done = subprocess.run([ORCHESTRATOR, *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == code, done.stderr
    return done.stdout if code == 0 else done.stderr


def test_runs_lists_the_latest_runs_newest_first_as_a_table(project):
    lines = orchestrator(project, "runs").splitlines()
    assert lines[0].split() == ["run_id", "status", "started", "ended", "steps", "failed",
                                "host", "git_rev"]
    assert lines[1].split() == [RUN_2, "running", "2026-11-23T11:00:00.000Z", "2", "0",
                                "ci-1", "8ae9d65"]
    assert lines[2].split() == [RUN_1, "failed", "2026-11-23T10:00:00.000Z",
                                "2026-11-23T10:00:02.000Z", "2", "1", "ci-1", "8ae9d65"]
    assert len(lines) == 3


def test_runs_limit_and_json_give_the_newest_runs_as_json(project):
    [run] = json.loads(orchestrator(project, "runs", "--limit", "1", "--json"))
    assert (run["run_id"], run["args"], run["steps"]) == (RUN_2, ["-q", "recipes/numbers.yaml"], 2)


def test_runs_reads_the_store_that_db_names(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    out = orchestrator(elsewhere, "runs", "--db", str(project / ".orchestrator/results.db"))
    assert RUN_1 in out and RUN_2 in out


def test_show_prints_a_run_found_by_prefix_with_its_steps(project):
    out = orchestrator(project, "show", "20261123-10")
    assert out.splitlines()[0] == (f"run {RUN_1}: failed, 2026-11-23T10:00:00.000Z to "
                                   "2026-11-23T10:00:02.000Z, host ci-1, git 8ae9d65")
    table = [line.split() for line in out.split("\n\n", 1)[1].splitlines()]
    assert table == [
        ["test_id", "step", "outcome", "duration", "attempts", "cache", "executor", "worker"],
        ["NUM-001", "load", "passed", "0.250s", "1", "inprocess"],
        ["NUM-001", "stats", "failed", "1.500s", "3", "child"]]


def test_show_marks_cache_hits_and_prints_json_on_request(project):
    last = orchestrator(project, "show", RUN_2).splitlines()[-1]
    assert last.split() == ["TXT-002", "words", "passed", "0.000s", "1", "hit", "subprocess"]
    run = json.loads(orchestrator(project, "show", RUN_2, "--json"))
    assert [(s["step"], s["cache_hit"]) for s in run["steps"]] == [("load", False),
                                                                    ("words", True)]


def test_show_of_an_unknown_or_ambiguous_run_is_an_error_and_a_hint(project):
    assert orchestrator(project, "show", "nope", code=2) == (
        "orchestrator: no run 'nope' in .orchestrator/results.db\n"
        "hint: `orchestrator runs` lists them\n")
    assert orchestrator(project, "show", "2026", code=2) == (
        f"orchestrator: run id '2026' is ambiguous\nhint: it starts {RUN_1}, {RUN_2}\n")


def test_a_missing_store_is_an_error_and_a_hint(tmp_path):
    assert orchestrator(tmp_path, "runs", code=2) == (
        "orchestrator: no results store at .orchestrator/results.db\n"
        "hint: run pytest first, or pass --db PATH\n")
    assert not (tmp_path / ".orchestrator").exists()


def test_ctx_dump_prints_the_latest_context_of_every_recipe(project):
    assert orchestrator(project, "ctx", "dump", "--db", ".orchestrator/results.db").splitlines() \
        == ["namespace    key             value",
            "NUM-001      numbers.raw_v1  [1, 2, 3]",
            'TXT-002      text.words_v1   ["a"]']


def test_ctx_dump_of_one_recipe_as_json(project):
    assert json.loads(orchestrator(project, "ctx", "dump", "--recipe", "NUM-001", "--json")) \
        == {"NUM-001": {"numbers.raw_v1": [1, 2, 3]}}


def test_ctx_dump_still_reads_a_step_snapshot_inside_a_shell_step(project):
    snapshot = project / "snapshot.json"
    snapshot.write_text(json.dumps({"demo.value_v1": 7}))
    out = orchestrator(project, "ctx", "dump", ORCH_CONTEXT_FILE=str(snapshot))
    assert json.loads(out) == {"demo.value_v1": 7}
    out = orchestrator(project, "ctx", "dump", "--db", ".orchestrator/results.db", "--json",
                       ORCH_CONTEXT_FILE=str(snapshot))
    assert "NUM-001" in json.loads(out)


def test_ctx_history_lists_every_write_oldest_first(project):
    lines = orchestrator(project, "ctx", "history").splitlines()
    assert [line.split()[1:] for line in lines] == [
        ["run_id", "namespace", "step", "key", "before", "after"],
        [RUN_1, "NUM-001", "load", "numbers.raw_v1", "null", "[1,", "2]"],
        [RUN_2, "NUM-001", "load", "numbers.raw_v1", "[1,", "2]", "[1,", "2,", "3]"],
        [RUN_2, "TXT-002", "words", "text.words_v1", "null", '["a"]']]


def test_ctx_history_filters_by_run_prefix_and_recipe(project):
    writes = json.loads(orchestrator(project, "ctx", "history", "--run", "20261123-11",
                                     "--recipe", "NUM-001", "--json"))
    assert [(w["key"], w["before"], w["after"]) for w in writes] == [
        ("numbers.raw_v1", [1, 2], [1, 2, 3])]
    assert orchestrator(project, "ctx", "history", "--recipe", "NOPE") == "(none)\n"
