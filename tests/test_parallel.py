"""Steps on pytest-xdist workers, scheduled by the recipe DAG: real `pytest -n` runs."""

from __future__ import annotations

import pytest

TIMED = """
import os, signal, time
from pytest_orchestrator import BaseScriptlet


def note(what, step):
    with open("times.log", "a") as log:
        log.write(f"{what} {step} {time.time():.6f} {os.environ.get('PYTEST_XDIST_WORKER')}\\n")


class Work(BaseScriptlet):
    def run(self, ctx, params):
        note("start", self.step)
        time.sleep(params.get("sleep", 0.2))
        if params.get("fail"):
            note("end", self.step)
            return self.emit_error("branch broke")
        if params.get("crash"):  # a real crash: os._exit() in a step only fails the step
            os.kill(os.getpid(), signal.SIGKILL)
        note("end", self.step)
        return {f"fan.{self.step}_v1": params.get("value", 1)}


class Next(BaseScriptlet):  # one more than what the step before wrote (0 for the first)
    def run(self, ctx, params):
        note("start", self.step)
        if params.get("fail"):
            note("end", self.step)
            return self.emit_error("chain broke")
        if params.get("crash"):
            os.kill(os.getpid(), signal.SIGKILL)
        value = ctx.get(f"fan.{params['prev']}_v1", -1) + 1 if "prev" in params else 0
        note("end", self.step)
        return {f"fan.{self.step}_v1": value}


class Total(BaseScriptlet):
    def run(self, ctx, params):
        note("start", self.step)
        values = {k: v for k, v in ctx.to_dict().items() if k.startswith("fan.")}
        note("end", self.step)
        return {"fan.total_v1": {"sum": sum(values.values()), "keys": sorted(values)}}
"""


def work(name: str, parallel: bool = False, **args: object) -> str:
    extra = ", ".join(f"{k}: {v}" for k, v in args.items())
    flag = ", parallel: true" if parallel else ""
    return (f"  - {{name: {name}, module: steps.timed, function: Work, "
            f"args: {{{extra}}}{flag}}}\n")


def times(project) -> dict[tuple[str, str], float]:
    found = {}
    for line in (project.root / "times.log").read_text().splitlines():
        what, step, when, _ = line.split()
        found[(what, step)] = float(when)
    return found


def run(project, *args: str) -> pytest.RunResult:
    return project.pytester.runpytest_subprocess("-p", "no:benchmark", "-p",
                                                 "no:hypothesispytest", *args, timeout=90)


def fan_in(project, **branch_args: dict[str, object]) -> None:
    project.write("steps/timed.py", TIMED)
    body = "".join(work(f"b{i}", parallel=True, value=i, **branch_args.get(f"b{i}", {}))
                   for i in range(1, 7))
    project.recipe("fan", "test_meta: {test_id: PAR-1}\nsteps:\n" + work("root", sleep=0.05)
                   + body + "  - {name: total, module: steps.timed, function: Total}\n")


def test_a_fan_in_runs_its_branches_side_by_side_and_the_aggregate_sees_them_all(project):
    fan_in(project)
    result = run(project, "-n", "2", "-v")
    result.assert_outcomes(passed=8)
    seen = times(project)
    branches = [f"b{i}" for i in range(1, 7)]
    assert all(seen[("start", b)] >= seen[("end", "root")] for b in branches)
    assert seen[("start", "total")] >= max(seen[("end", b)] for b in branches)
    # side by side: the branches were spread over both workers (not a timing: load-proof)
    workers = {line.split()[3] for line in (project.root / "times.log").read_text().splitlines()
               if line.split()[1] in branches}
    assert workers == {"gw0", "gw1"}, "branches did not run side by side"
    import sqlite3

    db = sqlite3.connect(project.root / ".orchestrator" / "results.db")
    (writes,) = db.execute("select writes from steps where step = 'total'").fetchone()
    assert '"sum": 22' in writes and '"fan.b6_v1", "fan.root_v1"]' in writes


def chain(project, length: int, **step_args: dict[str, object]) -> None:
    """A recipe CH of steps c0..c{length-1}, each one more than the one before."""
    project.write("steps/timed.py", TIMED)
    steps = "".join(
        f"  - {{name: c{i}, module: steps.timed, function: Next, "
        f"args: {{{', '.join(f'{k}: {v}' for k, v in step_args.get(f'c{i}', {}).items())}"
        f"{', ' if step_args.get(f'c{i}') and i else ''}{f'prev: c{i - 1}' if i else ''}}}}}\n"
        for i in range(length))
    project.recipe("chain", "test_meta: {test_id: CH}\nsteps:\n" + steps)


def stored(project, sql: str = "select step, outcome, worker from steps order by id"
           ) -> list[tuple[str, ...]]:
    import sqlite3

    with sqlite3.connect(project.root / ".orchestrator" / "results.db") as db:
        return db.execute(sql).fetchall()


def skip_lines(result: pytest.RunResult) -> list[str]:
    return sorted(line for line in result.stdout.lines if line.startswith("SKIPPED"))


def test_a_chain_sent_ahead_sees_its_dependencies_writes_and_stores_them_in_order(project):
    chain(project, 12)
    run(project, "-n", "2").assert_outcomes(passed=12)
    rows = stored(project)
    assert [step for step, _, _ in rows] == [f"c{i}" for i in range(12)]  # dependency first
    import json

    last = stored(project, "select writes from steps where step = 'c11'")[0][0]
    assert [w["after"] for w in json.loads(last) if w["key"] == "fan.c11_v1"] == [11]


def test_a_failing_step_in_a_chain_sent_ahead_skips_the_rest_as_sequentially(project):
    chain(project, 6, c2={"fail": "true"})
    sequential = run(project, "-rs")
    sequential.assert_outcomes(passed=2, failed=1, skipped=3)
    result = run(project, "-n", "2", "-rs")
    result.assert_outcomes(passed=2, failed=1, skipped=3)
    assert skip_lines(result) == skip_lines(sequential)
    assert any("dependency 'c2' failed" in line for line in skip_lines(result))
    last_run = stored(project)[-6:]
    assert [(step, outcome) for step, outcome, _ in last_run] == [
        ("c0", "passed"), ("c1", "passed"), ("c2", "failed"),
        ("c3", "skipped"), ("c4", "skipped"), ("c5", "skipped")]
    assert not (project.root / "times.log").read_text().count("start c3")  # never started


def test_a_worker_killed_mid_chain_keeps_what_ran_and_skips_what_it_held(project):
    chain(project, 6, c2={"crash": "true"})
    result = run(project, "-n", "2", "-rs")
    result.assert_outcomes(passed=2, failed=1, skipped=3)
    result.stdout.fnmatch_lines(["*worker*crashed while running*c2*"])
    assert any("dependency 'c2' failed" in line for line in skip_lines(result))
    rows = stored(project)
    assert [(step, outcome) for step, outcome, _ in rows[:2]] == [("c0", "passed"),
                                                                  ("c1", "passed")]
    assert {step for step, outcome, _ in rows if outcome == "skipped"} == {"c3", "c4", "c5"}
    assert "start c3" not in (project.root / "times.log").read_text()


def test_a_pure_chain_and_a_lone_root_do_not_hang(project):
    project.write("steps/timed.py", TIMED)
    project.recipe("chain", "test_meta: {test_id: PAR-2}\nsteps:\n"
                   + "".join(work(f"c{i}", sleep=0.05) for i in range(4)))
    project.recipe("lone", "test_meta: {test_id: PAR-3}\nsteps:\n" + work("alone", sleep=0.05))
    project.write("test_plain.py", "def test_plain_tests_still_run():\n    assert True\n")
    result = run(project, "-n", "4")
    result.assert_outcomes(passed=6)
    seen = times(project)
    assert [seen[("start", f"c{i}")] >= seen[("end", f"c{i - 1}")] for i in range(1, 4)] \
        == [True] * 3


def test_a_failing_branch_skips_only_its_dependents(project):
    fan_in(project, b3={"fail": "true"})
    project.recipe("other", "test_meta: {test_id: PAR-4}\nsteps:\n" + work("independent"))
    result = run(project, "-n", "2", "-rs")
    result.assert_outcomes(passed=7, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*dependency 'b3' failed*"])


def test_a_worker_crash_inside_a_step_fails_it_and_skips_its_dependents(project):
    fan_in(project, b2={"crash": "true"})
    result = run(project, "-n", "2")
    result.assert_outcomes(passed=6, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*worker*crashed while running*b2*"])


def test_the_reports_say_which_worker_ran_each_step(project):
    import xml.etree.ElementTree as ET

    fan_in(project)
    run(project, "-n", "2", "--junitxml=out.xml", "--html=report.html").assert_outcomes(passed=8)
    workers = {p.get("value") for p in ET.parse(project.root / "out.xml").iter("property")
               if p.get("name") == "worker"}
    assert workers == {"gw0", "gw1"}
    html = (project.root / "report.html").read_text()
    assets = " ".join(p.read_text() for p in (project.root / "assets").glob("*.txt"))
    assert "worker gw1@" in assets and "col-worker" not in html  # in the resources extra


def test_under_xdist_the_workers_share_one_sqlite_context(project):
    from pytest_orchestrator.context import open_backend

    fan_in(project)
    run(project, "-n", "2", "--orch-debug").assert_outcomes(passed=8)  # keeps the file
    (db,) = (project.root / ".orchestrator" / "context").glob("*.db")
    store = open_backend(f"sqlite:///{db}")
    keys = set(store.keys("PAR-1"))
    assert {f"fan.b{i}_v1" for i in range(1, 7)} | {"fan.root_v1", "fan.total_v1"} <= keys
    store.close()


SHARED = """
test_meta: {{test_id: {test_id}}}
context: shared:lab
conflict: last_write_wins
steps:
  - {{name: {name}, module: steps.timed, function: Work, args: {{value: 1, sleep: 0.3}}}}
"""


def test_several_gateways_share_a_redis_context(project, redis_url):
    import sqlite3

    from pytest_orchestrator.context import open_backend

    project.write("steps/timed.py", TIMED)
    for n in range(4):
        project.recipe(f"host{n}", SHARED.format(test_id=f"HOST-{n}", name=f"probe{n}"))
    result = run(project, "--dist", "load", "--tx", "popen//id=lab1", "--tx", "popen//id=lab2",
                 "--orch-context", redis_url)
    result.assert_outcomes(passed=4)
    store = open_backend(redis_url)
    assert {f"fan.probe{n}_v1" for n in range(4)} <= set(store.keys("lab"))
    writers = {r.step for r in store.history("lab") if r.key.startswith("fan.")}
    assert writers == {f"HOST-{n}::probe{n}" for n in range(4)}
    store.close()
    db = sqlite3.connect(project.root / ".orchestrator" / "results.db")
    assert {w for (w,) in db.execute("select worker from steps")} == {"lab1", "lab2"}


def test_an_exclusive_step_runs_with_nothing_beside_it(project):
    project.write("steps/timed.py", TIMED)
    steps = "".join(
        f"  - {{name: p{i}, module: steps.timed, function: Work, args: {{sleep: 0.3}}, "
        f"parallel: true{', exclusive: true' if i == 2 else ''}}}\n" for i in range(5))
    project.recipe("ex", "test_meta: {test_id: PAR-5}\nsteps:\n" + steps)
    # a chain beside it: its steps are sent ahead, yet none runs beside the exclusive one
    project.recipe("other", "test_meta: {test_id: PAR-6}\nsteps:\n"
                   + "".join(work(f"q{i}", sleep=0.1) for i in range(4)))
    run(project, "-n", "2").assert_outcomes(passed=9)
    seen = times(project)
    alone = (seen[("start", "p2")], seen[("end", "p2")])
    for name in ["p0", "p1", "p3", "p4", "q0", "q1", "q2", "q3"]:
        start, end = seen[("start", name)], seen[("end", name)]
        assert end <= alone[0] or start >= alone[1], f"{name} ran beside the exclusive step"
