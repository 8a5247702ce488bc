"""Executing steps: retries, resource metrics, what the terminal shows of them."""

from __future__ import annotations

from conftest import step

HEAD = "test_meta: {test_id: EX-1}\nsteps:\n"

FLAKY = """
from pathlib import Path
from pytest_orchestrator import BaseScriptlet


class Flaky(BaseScriptlet):
    \"\"\"Fails until its counter file reaches params['passes_at'].\"\"\"

    def run(self, ctx, params):
        counter = Path(params["state"])
        attempt = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(attempt))
        ctx.set("flaky.attempt_v1", attempt)
        if attempt < params["passes_at"]:
            return self.emit_error(f"link not up yet (attempt {attempt})")
        return self.emit_ok(["flaky.attempt_v1"])
"""


def flaky(name: str, passes_at: int, retry: dict[str, object]) -> str:
    return ("  - name: " + name + "\n    module: steps.flaky\n    function: Flaky\n"
            f"    args: {{state: '${{ARTIFACTS}}/{name}.count', passes_at: {passes_at}}}\n"
            f"    retry: {retry}\n".replace("'", '"'))


def test_a_flaky_step_passes_on_its_third_attempt_and_says_so(project):
    project.write("steps/flaky.py", FLAKY)
    project.recipe("r", HEAD + flaky("link_up", 3, {"max": 2, "delay_sec": 0}) + step("after", "Seen"))
    project.write("test_zz_check.py", """
        def test_history(orchestrator_context):
            ctx = orchestrator_context.recipe("EX-1")
            assert [r["after"] for r in ctx.history("flaky.attempt_v1")] == [3]
            assert ctx.get("_runner.step_metrics_v1")["link_up"]["attempts"] == 3
        """)
    result = project.run("-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["recipes/r.yaml::link_up PASSED (attempt 3)*",
                                 "recipes/r.yaml::after PASSED*"])


def test_a_step_out_of_retries_fails_listing_every_attempt(project):
    project.write("steps/flaky.py", FLAKY)
    project.recipe("r", HEAD + flaky("link_up", 5, {"max": 1, "delay_sec": 0.01, "backoff": 2}))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "step 'link_up' of EX-1 failed (exit 1): link not up yet (attempt 2)",
        "attempts: 2, each failed: 1) link not up yet (attempt 1); "
        "2) link not up yet (attempt 2)",
    ])


def test_every_passed_step_records_its_metrics_for_the_steps_after_it(project):
    project.script("sh/work.sh", """
        #!/usr/bin/env bash
        python3 -c "x = bytearray(30_000_000); sum(range(300_000))"
        echo '{"status": "ok"}'
        """)
    project.recipe("r", HEAD + step("produce")
                   + "  - {name: work, type: shell, script: sh/work.sh}\n"
                   + step("audit", "Seen", args={"key": "demo.audit_v1"}))
    project.write("test_zz_check.py", """
        def test_metrics(orchestrator_context):
            metrics = orchestrator_context.recipe("EX-1").get("_runner.step_metrics_v1")
            assert sorted(metrics) == ["audit", "produce", "work"]
            work, produce = metrics["work"], metrics["produce"]
            assert (work["executor"], produce["executor"]) == ("subprocess", "inprocess")
            assert work["peak_rss"] > 30_000_000
            assert work["cpu_user"] + work["cpu_sys"] > 0
            assert work["duration"] >= work["cpu_user"] * 0.5
            assert produce["attempts"] == 1 and produce["exit_code"] == 0
            assert produce["start"] <= produce["end"] <= work["start"]
            assert {"host", "worker", "cache_hit"} <= set(produce)
        """)
    project.run().assert_outcomes(passed=4)


def test_a_step_sees_the_metrics_of_its_ancestors_only(project):
    project.write("steps/peek.py", """
        from pytest_orchestrator import BaseScriptlet

        class Peek(BaseScriptlet):
            def run(self, ctx, params):
                return {params["key"]: sorted(ctx.get("_runner.step_metrics_v1", {}))}
        """)
    peek = "    module: steps.peek\n    function: Peek\n"
    project.recipe("r", HEAD + step("root")
                   + "  - name: left\n" + peek + "    parallel: true\n    args: {key: m.left_v1}\n"
                   + "  - name: right\n" + peek + "    parallel: true\n    args: {key: m.right_v1}\n"
                   + "  - name: join\n" + peek + "    args: {key: m.join_v1}\n")
    project.write("test_zz_check.py", """
        def test_views(orchestrator_context):
            ctx = orchestrator_context.recipe("EX-1")
            assert ctx.get("m.right_v1") == ["root"]
            assert ctx.get("m.join_v1") == ["left", "right", "root"]
        """)
    project.run().assert_outcomes(passed=5)


def test_dry_run_prints_the_plan_and_runs_nothing(project):
    project.script("sh/touch.sh", "#!/usr/bin/env bash\ntouch ran.txt\necho '{\"status\":\"ok\"}'\n")
    project.recipe("r", HEAD + step("root")
                   + step("left", parallel=True) + step("right", parallel=True, timeout=5)
                   + "  - {name: join, type: shell, script: sh/touch.sh}\n")
    result = project.run("--dry-run")
    assert result.ret == 0
    result.stdout.fnmatch_lines([
        "*orchestrator plan (dry run: nothing runs)*",
        "recipes/r.yaml (EX-1): 4 step(s)",
        "  level 0  root   inprocess  cache: off  root",
        "  level 1  left   inprocess  cache: off  after root",
        "  level 1  right  child      cache: off  after root",
        "  level 2  join   subprocess cache: off  after left, right",
        "*no tests ran*",
    ])
    assert not (project.root / "ran.txt").exists()
    assert not list(project.root.glob(".orchestrator/artifacts/*/EX-1/*"))


def test_orch_debug_traces_params_context_changes_and_argv_with_secrets_masked(project):
    project.script("sh/login.sh", "#!/usr/bin/env bash\necho '{\"status\":\"ok\",\"set\":{\"dev.session_v1\":\"s-1\"}}'\n")
    project.recipe("r", HEAD + step("produce", args={"value": 7, "api_token": "tk-123456"})
                   + "  - {name: login, type: shell, script: sh/login.sh, "
                     "args: [--user, admin]}\n")
    result = project.run("--orch-debug")
    result.assert_outcomes(passed=2)
    result.stderr.fnmatch_lines([
        '[[]orch] EX-1::produce: params {"api_token": "***", "value": 7}',
        "[[]orch] EX-1::produce: context demo.value_v1: null -> 7",
        '[[]orch] EX-1::login: argv [[]"bash", "*/sh/login.sh", "--user", "admin"[]]',
        "[[]orch] EX-1::login: exit code 0",
        '[[]orch] EX-1::login: context dev.session_v1: null -> "s-1"',
    ])
    assert "tk-123456" not in result.stderr.str() + result.stdout.str()


CRASHERS = """
import ctypes, os, signal, subprocess, sys, time
from pytest_orchestrator import BaseScriptlet


class Spin(BaseScriptlet):
    \"\"\"Starts a grandchild, then burns CPU forever.\"\"\"

    def run(self, ctx, params):
        child = subprocess.Popen(["sleep", "300"])
        with open(params["pidfile"], "w") as fh:
            fh.write(str(child.pid))
        ctx.set("crash.partial_v1", 1)
        while True:
            pass


class Exit(BaseScriptlet):
    def run(self, ctx, params):
        ctx.set("crash.partial_v1", 1)
        os._exit(3)


class Segfault(BaseScriptlet):
    def run(self, ctx, params):
        ctx.set("crash.partial_v1", 1)
        ctypes.string_at(0)


class Heavy(BaseScriptlet):
    requires_process = True

    def run(self, ctx, params):
        blob = bytearray(40_000_000)
        return {"crash.heavy_v1": {"pid": os.getpid(), "size": len(blob),
                                   "saw": ctx.get("demo.value_v1")}}
"""


def crasher(name: str, cls: str, **fields: object) -> str:
    extra = "".join(f"    {k}: {v}\n" for k, v in fields.items())
    return f"  - name: {name}\n    module: steps.crash\n    function: {cls}\n{extra}"


def test_a_cpu_bound_step_with_a_timeout_is_killed_with_its_children(project):
    import time

    from test_shell_steps import alive

    project.write("steps/crash.py", CRASHERS)
    project.recipe("r", HEAD + crasher("spin", "Spin", timeout=2,
                                       args='{pidfile: "${ARTIFACTS}/spin.pid"}')
                   + step("independent", depends_on=[]))
    project.write("test_zz_check.py", """
        def test_nothing_written(orchestrator_context):
            assert orchestrator_context.recipe("EX-1").get("crash.partial_v1") is None
        """)
    start = time.monotonic()
    result = project.run()
    assert time.monotonic() - start < 10
    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines(["step 'spin' of EX-1 failed (exit 124): timeout after 2s"])
    pid = int(next(project.root.glob(".orchestrator/artifacts/*/EX-1/spin.pid")).read_text())
    assert not alive(pid)


def test_crashing_children_fail_only_their_step_and_name_the_cause(project):
    project.write("steps/crash.py", CRASHERS)
    project.recipe("r", HEAD
                   + crasher("exits", "Exit", requires_process="true")
                   + crasher("segfaults", "Segfault", requires_process="true",
                             depends_on="[]")
                   + step("independent", depends_on=[]))
    project.write("test_zz_check.py", """
        def test_nothing_written(orchestrator_context):
            assert orchestrator_context.recipe("EX-1").get("crash.partial_v1") is None
        """)
    result = project.run()
    result.assert_outcomes(failed=2, passed=2)
    result.stdout.fnmatch_lines(["step 'exits' of EX-1 failed (exit 3): *code 3*"])
    result.stdout.fnmatch_lines(["step 'segfaults' of EX-1 failed (exit 139): *SIGSEGV*"])


def test_a_requires_process_scriptlet_runs_in_a_child_and_its_writes_come_back(project):
    import os

    project.write("steps/crash.py", CRASHERS)
    project.recipe("r", HEAD + step("produce", args={"value": 5}) + crasher("heavy", "Heavy"))
    project.write("test_zz_check.py", f"""
        def test_child(orchestrator_context):
            ctx = orchestrator_context.recipe("EX-1")
            heavy = ctx.get("crash.heavy_v1")
            assert heavy["pid"] != {os.getpid()} and heavy["saw"] == 5
            metrics = ctx.get("_runner.step_metrics_v1")["heavy"]
            assert metrics["executor"] == "child"
            assert metrics["peak_rss"] > 40_000_000
        """)
    project.run().assert_outcomes(passed=3)
