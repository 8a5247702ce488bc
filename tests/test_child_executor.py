"""The child-process executor: real processes, hard timeouts, crashes that fail only their step."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from pytest_orchestrator.executors.child import ChildResult, run_in_child, shutdown

STEPS = '''
import ctypes
import os
import signal
import subprocess
import sys
import time

from pytest_orchestrator import BaseScriptlet


class Produce(BaseScriptlet):
    """Classic: stages a write, logs to stderr, prints the envelope."""

    def run(self, ctx, params):
        ctx.set("demo.value_v1", params["value"])
        print("produced", file=sys.stderr)
        return self.emit_ok(["demo.value_v1"])


class Double(BaseScriptlet):
    """Short: reads a visible key, returns a new one."""

    def run(self, ctx, params):
        return {"demo.double_v1": ctx.get("demo.value_v1") * 2}


class Refuse(BaseScriptlet):
    """Stages a write, then reports a structured error."""

    def run(self, ctx, params):
        ctx.set("demo.partial_v1", "never committed")
        return self.emit_error("too few numbers", exit_code=2)


class Explode(BaseScriptlet):
    def run(self, ctx, params):
        raise ValueError("device did not answer")


class Look(BaseScriptlet):
    """Returns everything it sees, and whether its shapes are locked."""

    def run(self, ctx, params):
        return {"demo.seen_v1": ctx.to_dict()}


class Chatty(BaseScriptlet):
    """Writes through Python and, as C code or a subprocess would, to file descriptors 1 and 2."""

    def run(self, ctx, params):
        print("python log")
        print("python err", file=sys.stderr)
        subprocess.run(["sh", "-c", "echo fd out; echo fd err >&2"], check=True)
        return {"demo.chatty_v1": True}


class Spin(BaseScriptlet):
    """Starts a grandchild, records its pid, then loops forever."""

    def run(self, ctx, params):
        child = subprocess.Popen(["sleep", "300"])
        with open(params["pidfile"], "w") as fh:
            fh.write(str(child.pid))
        while True:
            pass


class LeaveBehind(BaseScriptlet):
    """Passes, leaving a background process running."""

    def run(self, ctx, params):
        child = subprocess.Popen(["sleep", "300"])
        return {"demo.left_v1": child.pid}


class Crash(BaseScriptlet):
    def run(self, ctx, params):
        ctx.set("demo.partial_v1", 1)
        how = params["how"]
        if how == "exit":
            os._exit(3)
        if how == "segfault":
            ctypes.string_at(0)
        os.kill(os.getpid(), signal.SIGKILL)


class Inspect(BaseScriptlet):
    """Reports what the child process is like."""

    def run(self, ctx, params):
        return {"demo.inside_v1": {"cwd": os.getcwd(), "env": os.environ.get("ORCH_TEST_VAR"),
                                   "pytest_loaded": "pytest" in sys.modules}}


class Leak(BaseScriptlet):
    """Passes, leaving its process changed in one way."""

    def run(self, ctx, params):
        import resource
        import threading

        how = params["how"]
        if how == "env":
            os.environ["ORCH_LEAKED"] = "yes"
        elif how == "cwd":
            os.chdir("/")
        elif how == "umask":
            os.umask(0o077)
        elif how == "signal":
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        elif how == "rlimit":
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 100), hard))
        elif how == "thread":
            threading.Thread(target=time.sleep, args=(300,), daemon=True).start()
        elif how == "fd":
            LEFT.append(open(os.devnull))
        elif how == "stdout":
            sys.__stdout__ = open(os.devnull, "w")
        elif how == "timer":
            signal.setitimer(signal.ITIMER_REAL, 300)
        elif how == "child":
            subprocess.run(["true"], check=True)
        elif how == "fork" and os.fork() == 0:
            return {"demo.pid_v1": -1}  # a copy of the step's process, returning too
        elif how == "context":
            ctx.snapshot()["demo.shared_v1"]["seen"] = "changed in place"
            ctx.set("demo.staged_v1", 1)
            ctx.commit()
        GLOBALS["set by"] = how
        return {"demo.pid_v1": os.getpid()}


LEFT = []
GLOBALS = {}


class Probe(BaseScriptlet):
    """Reports the state of its process a step could have left behind."""

    def run(self, ctx, params):
        import resource
        import threading

        mask = os.umask(0)
        os.umask(mask)
        return {"demo.probe_v1": {
            "pid": os.getpid(), "leaked": os.environ.get("ORCH_LEAKED"), "cwd": os.getcwd(),
            "umask": mask, "sigusr1": int(signal.getsignal(signal.SIGUSR1)),
            "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
            "threads": threading.active_count(),
            "timer": list(signal.getitimer(signal.ITIMER_REAL)), "context": ctx.to_dict()}}


class Burn(BaseScriptlet):
    """Holds 64 MiB and spends 0.2 s of CPU time."""

    def run(self, ctx, params):
        held = bytearray(b"x") * (64 * 1024 * 1024)
        start = time.process_time()
        while time.process_time() - start < 0.2:
            pass
        return {"demo.burnt_v1": len(held)}
'''


@pytest.fixture
def steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scriptlet module importable here and, through the sys.path it is given, in the child."""
    (tmp_path / "child_steps.py").write_text(textwrap.dedent(STEPS), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def run(function: str, params: dict[str, object] | None = None,
        visible: dict[str, object] | None = None, timeout: float | None = None) -> ChildResult:
    return run_in_child("child_steps", function, function.lower(), params or {}, visible or {},
                        timeout)


def gone(pid: int) -> bool:
    """Dead, or dying: SIGKILL is sent when the step ends but takes effect asynchronously, and
    a zombie counts as gone (in a container, PID 1 may never reap it)."""
    deadline = time.monotonic() + 30  # generous: it returns as soon as the process is gone
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.01)
    return False


def test_a_classic_step_returns_its_envelope_writes_and_resources(steps: Path) -> None:
    result = run("Produce", {"value": 42})
    outcome = result.outcome
    assert outcome.passed, outcome.failure
    assert result.writes == {"demo.value_v1": 42}
    assert outcome.envelope is not None and outcome.envelope.raw["outputs"] == ["demo.value_v1"]
    assert (outcome.step, outcome.executor, outcome.exit_code) == ("produce", "child", 0)
    assert outcome.usage.wall > 0 and outcome.usage.peak_rss > 0


def test_a_step_reads_the_visible_context_and_only_its_own_writes_come_back(steps: Path) -> None:
    result = run("Double", visible={"demo.value_v1": 21, "demo.other_v1": "x"})
    assert result.outcome.passed, result.outcome.failure
    assert result.writes == {"demo.double_v1": 42}


def test_an_error_envelope_fails_the_step_and_returns_no_writes(steps: Path) -> None:
    result = run("Refuse")
    outcome = result.outcome
    assert not outcome.passed and result.writes == {}
    assert outcome.envelope is not None and outcome.envelope.reason == "too few numbers"
    assert outcome.exit_code == 2


def test_a_scriptlet_that_raises_fails_with_its_own_traceback(steps: Path) -> None:
    result = run("Explode")
    outcome = result.outcome
    assert outcome.failure == "ValueError: device did not answer" and result.writes == {}
    assert 'child_steps.py", line' in outcome.traceback
    assert 'raise ValueError("device did not answer")' in outcome.traceback
    assert "pytest_orchestrator" not in outcome.traceback


def test_stdout_and_stderr_are_captured_from_python_and_from_file_descriptors(
        steps: Path) -> None:
    outcome = run("Chatty").outcome
    assert outcome.passed, outcome.failure
    assert outcome.stdout_logs == "python log\nfd out\n"
    assert outcome.stderr == "python err\nfd err\n"


def test_a_cpu_loop_past_its_timeout_is_killed_with_its_grandchild(steps: Path) -> None:
    # the kill is asserted, not the time or CPU it took: those depend on the machine's load
    pidfile = steps / "grandchild.pid"
    result = run("Spin", {"pidfile": str(pidfile)}, timeout=1)
    assert result.outcome.failure == "timeout after 1s" and result.outcome.exit_code == 124
    assert result.writes == {} and not result.outcome.passed
    assert result.outcome.usage.cpu_user > 0  # the loop's CPU time is still counted
    assert gone(int(pidfile.read_text()))


def test_a_background_process_left_by_a_passing_step_does_not_outlive_it(steps: Path) -> None:
    result = run("LeaveBehind")
    assert result.outcome.passed, result.outcome.failure
    assert gone(result.writes["demo.left_v1"])


@pytest.mark.parametrize(("how", "failure", "exit_code"), [
    ("exit", "child process exited with code 3 without a result", 3),
    ("segfault", "child process killed by signal SIGSEGV", 139),
    ("kill", "child process killed by signal SIGKILL (out of memory, or killed from outside)",
     137),
], ids=["os._exit(3)", "segfault", "SIGKILL"])
def test_a_crash_fails_only_its_step_naming_the_code_or_signal(
        steps: Path, how: str, failure: str, exit_code: int) -> None:
    result = run("Crash", {"how": how})
    assert (result.outcome.failure, result.outcome.exit_code) == (failure, exit_code)
    assert result.writes == {}
    after = run("Produce", {"value": 1})
    assert after.outcome.passed and after.writes == {"demo.value_v1": 1}


def test_a_segfault_shows_where_the_scriptlet_crashed(steps: Path) -> None:
    stderr = run("Crash", {"how": "segfault"}).outcome.stderr
    assert "Fatal Python error: Segmentation fault" in stderr
    assert 'child_steps.py", line' in stderr


def test_the_child_has_the_callers_cwd_and_environment_and_no_pytest(
        steps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(steps)
    monkeypatch.setenv("ORCH_TEST_VAR", "from the caller")
    result = run("Inspect")
    assert result.writes["demo.inside_v1"] == {
        "cwd": str(steps), "env": "from the caller", "pytest_loaded": False}


def test_cpu_time_and_peak_memory_are_those_of_the_step(steps: Path) -> None:
    usage = run("Burn").outcome.usage
    assert usage.cpu_user + usage.cpu_sys >= 0.19
    assert usage.peak_rss > 64 * 1024 * 1024
    assert run("Produce", {"value": 1}).outcome.usage.peak_rss < 64 * 1024 * 1024


def test_an_unknown_scriptlet_fails_with_the_loaders_message(steps: Path) -> None:
    outcome = run_in_child("child_steps", "Missing", "missing", {}, {}, None).outcome
    assert outcome.failure.startswith("module 'child_steps' has no class 'Missing'")


def test_params_that_are_not_json_safe_fail_before_a_process_starts(steps: Path) -> None:
    outcome = run("Produce", {"value": {1, 2}}).outcome
    assert outcome.failure.startswith("cannot send the step to a child process:")
    assert "JSON-safe" in outcome.failure


def children_since(before: set[int]) -> list[psutil.Process]:
    """Live children of this process started since ``before`` (the session may have others,
    e.g. the Redis server of the Redis tests)."""
    return [p for p in psutil.Process().children()
            if p.pid not in before and p.status() != psutil.STATUS_ZOMBIE]


def test_shutdown_stops_the_step_server_and_the_next_step_starts_another(steps: Path) -> None:
    shutdown()
    before = {p.pid for p in psutil.Process().children()}
    run("Produce", {"value": 1})
    assert children_since(before)
    shutdown()
    assert not children_since(before)
    assert run("Produce", {"value": 2}).writes == {"demo.value_v1": 2}


def test_the_server_is_replaced_when_it_dies_between_steps(steps: Path) -> None:
    shutdown()
    before = {p.pid for p in psutil.Process().children()}
    run("Produce", {"value": 1})
    (server,) = children_since(before)
    server.kill()
    while server.status() != psutil.STATUS_ZOMBIE:  # dead, and not yet reaped by its parent
        time.sleep(0.01)
    assert run("Produce", {"value": 3}).writes == {"demo.value_v1": 3}



def test_the_child_sees_exactly_the_context_given_however_it_changes_between_steps(steps):
    """The server keeps the context between steps and is sent what changed: every step
    still sees exactly what it is given (new, changed, dropped keys, a growing dict)."""
    runner = {"_runner.step_metrics_v1": {"s0": {"n": 0}}}
    seen = [
        {"a.x_v1": 1, **runner},
        {"a.x_v1": 1, "a.y_v1": [1, 2], **runner},
        {"a.x_v1": 2, "a.y_v1": [1, 2]},
        {"a.y_v1": [1, 2], "_runner.step_metrics_v1": {"s0": {"n": 0}, "s1": {"n": 1}}},
        {},
        {"a.x_v1": {"deep": [1, {"b": None}]}},
    ]
    grown = seen[3]["_runner.step_metrics_v1"]
    seen.append({"_runner.step_metrics_v1": {**grown, "s2": {"n": 2}}})
    for visible in seen:
        result = run("Look", visible=visible)
        assert result.outcome.passed, result.outcome.failure
        assert result.writes == {"demo.seen_v1": visible}


def test_only_what_changed_is_sent_to_the_server():
    from pytest_orchestrator.executors.child import SentContext

    sent = SentContext()
    metrics = {"s0": {"n": 0}}
    first = {"a.x_v1": [1, 2], "_runner.step_metrics_v1": metrics}
    assert sent.change(first) == {"put": first, "merge": {}, "drop": []}
    assert sent.change(dict(first)) == {"put": {}, "merge": {}, "drop": []}
    grown = {"a.x_v1": first["a.x_v1"], "a.y_v1": 3,
             "_runner.step_metrics_v1": {**metrics, "s1": {"n": 1}}}
    assert sent.change(grown) == {"put": {"a.y_v1": 3},
                                  "merge": {"_runner.step_metrics_v1": {"s1": {"n": 1}}},
                                  "drop": []}
    assert sent.change({"a.y_v1": 4}) == {"put": {"a.y_v1": 4}, "merge": {},
                                          "drop": ["a.x_v1", "_runner.step_metrics_v1"]}


def test_a_step_that_left_its_process_clean_runs_the_next_step_in_the_same_process(
        steps: Path) -> None:
    first = run("Leak", {"how": "nothing"})
    second = run("Probe")
    assert first.outcome.passed and second.outcome.passed, second.outcome.failure
    assert second.writes["demo.probe_v1"]["pid"] == first.writes["demo.pid_v1"]


def probe_after(how: str, visible: dict[str, object] | None = None) -> tuple[int, dict]:
    left = run("Leak", {"how": how}, visible)
    assert left.outcome.passed, left.outcome.failure
    probe = run("Probe", visible=visible)
    assert probe.outcome.passed, probe.outcome.failure
    return left.writes["demo.pid_v1"], probe.writes["demo.probe_v1"]


@pytest.mark.parametrize("how", ["env", "cwd", "umask"])
def test_what_a_step_changed_and_each_step_is_given_afresh_is_put_back(
        steps: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(steps)
    monkeypatch.delenv("ORCH_LEAKED", raising=False)
    mask = os.umask(0o022)
    try:
        _, seen = probe_after(how)
    finally:
        os.umask(mask)
    assert (seen["leaked"], seen["cwd"], seen["umask"]) == (None, str(steps), 0o022)


@pytest.mark.parametrize("how", ["signal", "rlimit", "thread", "fd", "stdout", "timer",
                                 "child", "fork"])
def test_a_step_that_left_its_process_changed_is_followed_by_a_fresh_process(
        steps: Path, how: str) -> None:
    import resource

    pid, seen = probe_after(how)
    assert seen["pid"] != pid
    assert seen["sigusr1"] == int(signal.SIG_DFL) and seen["threads"] == 1
    assert seen["nofile"] == list(resource.getrlimit(resource.RLIMIT_NOFILE))
    assert seen["timer"] == [0.0, 0.0]


def test_a_step_cannot_change_the_context_the_next_step_sees(steps: Path) -> None:
    visible = {"demo.shared_v1": {"seen": "as given"}}
    _, seen = probe_after("context", visible)
    assert seen["context"] == visible


@pytest.mark.parametrize("end", [
    {"function": "Refuse"}, {"function": "Explode"},
    {"function": "Crash", "params": {"how": "exit"}},
    {"function": "Spin", "timeout": 1},
], ids=["error envelope", "exception", "crash", "timeout"])
def test_after_a_failed_step_the_next_one_runs_in_a_fresh_process(
        steps: Path, end: dict) -> None:
    before = run("Leak", {"how": "nothing"}).writes["demo.pid_v1"]
    params = {"pidfile": str(steps / "spin.pid"), **end.get("params", {})}
    assert not run(end["function"], params, timeout=end.get("timeout")).outcome.passed
    after = run("Probe").writes["demo.probe_v1"]["pid"]
    assert after != before and gone(before)


def test_cpu_time_peak_memory_and_exit_code_are_each_steps_own_in_a_reused_process(
        steps: Path) -> None:
    burn = run("Burn").outcome
    small = run("Produce", {"value": 1}).outcome
    assert burn.usage.cpu_user + burn.usage.cpu_sys >= 0.19
    assert small.usage.cpu_user + small.usage.cpu_sys < 0.19
    assert small.usage.peak_rss < 64 * 1024 * 1024 < burn.usage.peak_rss
    assert (burn.exit_code, small.exit_code) == (0, 0)
    run("Burn")
    crash = run("Crash", {"how": "segfault"}).outcome
    assert crash.exit_code == 139
    assert crash.usage.cpu_user + crash.usage.cpu_sys < 0.19  # not the Burn before it
    assert crash.usage.peak_rss < 64 * 1024 * 1024


@pytest.mark.parametrize("order", [["a", "b", "c", "d", "e"], ["a", "c", "b", "e", "d"]],
                         ids=["chain order", "branches interleaved"])
def test_a_step_given_its_context_view_sees_exactly_that_view(
        steps: Path, order: list[str]) -> None:
    """Only the writes since the step before are looked at when that step's view is
    contained in this one's; across branches of the DAG the whole view is compared. Either
    way each step sees what its view shows: here a diamond a → (b, c) → d, then e after d,
    each step writing a key, rewriting a shared one and adding its runner record."""
    from pytest_orchestrator.context import Context
    from pytest_orchestrator.context.memory import MemoryBackend

    ancestors = {"a": [], "b": ["a"], "c": ["a"], "d": ["a", "b", "c"],
                 "e": ["a", "b", "c", "d"]}
    backend = MemoryBackend()

    def view(step: str) -> Context:
        return Context(backend, "row", step=step, policy="last_write_wins",
                       sees=lambda writers: [w for w in "abcde"
                                             if w in writers and w in ancestors[step]])
    for step in order:
        ctx = view(step)
        result = run_in_child("child_steps", "Look", step, {}, ctx, None)
        assert result.outcome.passed, result.outcome.failure
        assert result.writes == {"demo.seen_v1": ctx.snapshot()}
        ctx.set(f"demo.{step}_v1", [step])
        ctx.set("demo.last_v1", step)
        ctx.set_runner("_runner.step_metrics_v1", {step: {"n": len(step)}})
        ctx.commit()
