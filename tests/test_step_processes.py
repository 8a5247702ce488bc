"""A step's processes end with it: those that left its process group or session (``setsid``, a
double fork), those an in-process step left behind, and all of them when pytest is killed.
Real processes and signals; each test records the pids it started and asserts they are gone."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from conftest import QUIET_PLUGINS, Project

HEAD = "test_meta:\n  test_id: PROC-1\nsteps:\n"
WORKTREE = str(Path(__file__).resolve().parents[1])

STEPS = '''
import os
import time

from pytest_orchestrator import BaseScriptlet


def record(params, name, pid):
    path = os.path.join(params["dir"], name + ".pid")
    with open(path + ".tmp", "w") as fh:
        fh.write(str(pid))
    os.replace(path + ".tmp", path)


def double_fork(params):
    """A classic daemon: fork, setsid, fork again, the middle process exits."""
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            record(params, "daemon", os.getpid())
            time.sleep(300)
        os._exit(0)
    os.waitpid(pid, 0)


class StartAndPass(BaseScriptlet):
    """Starts a child in a new session, a plain child and a daemon, then passes."""

    def run(self, ctx, params):
        # spawned, not Popen: a Popen object dropped with its process running warns
        record(params, "session", os.posix_spawnp("sleep", ["sleep", "300"], os.environ,
                                                  setsid=True))
        record(params, "plain", os.posix_spawnp("sleep", ["sleep", "300"], os.environ))
        double_fork(params)
        while not os.path.exists(os.path.join(params["dir"], "daemon.pid")):
            time.sleep(0.01)
        return {"procs.started_v1": True}


class StartAndHang(StartAndPass):
    """Starts the same, then sleeps (until its timeout, or for ever)."""

    def run(self, ctx, params):
        super().run(ctx, params)
        record(params, "step", os.getpid())
        while True:
            time.sleep(0.1)
'''

SCRIPT = """
#!/usr/bin/env bash
record() { echo "$2" > "$DIR/$1.pid.tmp"; mv "$DIR/$1.pid.tmp" "$DIR/$1.pid"; }
setsid sleep 300 &
record session $!
sleep 300 &
record plain $!
setsid bash -c 'sleep 300 & echo $! > "$DIR/daemon.pid.tmp"; mv "$DIR/daemon.pid.tmp" "$DIR/daemon.pid"' &
while [ ! -e "$DIR/daemon.pid" ]; do sleep 0.01; done
record step $$
if [ "$HANG" = 1 ]; then while true; do sleep 0.1; done; fi
echo '{"status": "ok"}'
"""

STARTED = ("session", "plain", "daemon")


@pytest.fixture
def procs(project: Project) -> Project:
    project.write("steps/procs.py", STEPS)
    project.script("sh/start.sh", SCRIPT)
    (project.root / "pids").mkdir()
    return project


def python_step(cls: str, **fields: object) -> str:
    extra = "".join(f"    {key}: {value}\n" for key, value in fields.items())
    return (f"  - name: start\n    module: steps.procs\n    function: {cls}\n"
            f"    args: {{dir: pids}}\n{extra}")


def shell_step(hang: bool, **fields: object) -> str:
    extra = "".join(f"    {key}: {value}\n" for key, value in fields.items())
    return (f"  - name: start\n    type: shell\n    script: sh/start.sh\n"
            f"    args: {{dir: pids, hang: '{int(hang)}'}}\n{extra}")


def recorded(root: Path, names: tuple[str, ...] = STARTED) -> dict[str, int]:
    return {name: int((root / "pids" / f"{name}.pid").read_text()) for name in names}


def survivors(pids: dict[str, int], within: float = 30.0) -> dict[str, int]:
    """Those of ``pids`` still running after ``within`` seconds (a hang guard: returns as soon
    as all are gone). A zombie runs nothing: it counts as gone."""
    deadline = time.monotonic() + within
    while True:
        alive = {name: pid for name, pid in pids.items() if _running(pid)}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(autouse=True)
def _no_strays(request: pytest.FixtureRequest) -> Iterator[None]:
    """Whatever a failing test leaves running is killed, so it cannot disturb the next."""
    yield
    project = request.node.funcargs.get("procs")
    for pid_file in project.root.glob("pids/*.pid") if project else ():
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.mark.parametrize("executor", ["child", "inprocess"])
def test_a_passing_python_steps_children_die_with_it_even_in_a_new_session_or_daemonized(
        procs: Project, executor: str) -> None:
    extra = {"requires_process": "true"} if executor == "child" else {}
    procs.recipe("r", HEAD + python_step("StartAndPass", **extra))
    result = procs.run()
    result.assert_outcomes(passed=1)
    assert survivors(recorded(procs.root)) == {}


def test_an_inprocess_steps_children_are_reaped_not_left_as_zombies(procs: Project) -> None:
    procs.recipe("r", HEAD + python_step("StartAndPass"))
    procs.run().assert_outcomes(passed=1)
    mine = {child.pid for child in psutil.Process().children()}
    assert not set(recorded(procs.root).values()) & mine


def test_a_timed_out_python_steps_children_die_with_it(procs: Project) -> None:
    procs.recipe("r", HEAD + python_step("StartAndHang", timeout=2))
    result = procs.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*failed (exit 124): timeout after 2s"])
    assert survivors(recorded(procs.root, (*STARTED, "step"))) == {}


@pytest.mark.parametrize("hang", [False, True], ids=["passing", "timed out"])
def test_a_shell_steps_children_die_with_it_even_in_a_new_session_or_daemonized(
        procs: Project, hang: bool) -> None:
    procs.recipe("r", HEAD + shell_step(hang, **({"timeout": 2} if hang else {})))
    result = procs.run()
    result.assert_outcomes(**({"failed": 1} if hang else {"passed": 1}))
    assert survivors(recorded(procs.root, (*STARTED, "step"))) == {}


def test_processes_started_before_a_step_are_not_the_steps(procs: Project) -> None:
    # e.g. a server a fixture started: it is this process's child, as the step's are
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        procs.recipe("r", HEAD + python_step("StartAndPass"))
        procs.run().assert_outcomes(passed=1)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.parametrize("kind", ["shell", "child"])
def test_a_running_steps_processes_die_when_pytest_is_killed(procs: Project, kind: str) -> None:
    step = shell_step(True) if kind == "shell" else python_step("StartAndHang",
                                                                requires_process="true")
    procs.recipe("r", HEAD + step)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [WORKTREE, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])}
    pytest_proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", *QUIET_PLUGINS, "-p", "no:randomly", "-q"],
        cwd=procs.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # hang guard: the step starts within seconds
        while not (procs.root / "pids" / "step.pid").exists():
            assert pytest_proc.poll() is None, "pytest ended before the step started"
            assert time.monotonic() < deadline, "the step did not start"
            time.sleep(0.05)
        pids = recorded(procs.root, (*STARTED, "step"))
    finally:
        pytest_proc.kill()  # as a user's kill -9: pytest alone, not its process group
        pytest_proc.wait()
    assert survivors(pids) == {}
