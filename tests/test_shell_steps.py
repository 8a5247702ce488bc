"""Shell and exec steps: real subprocesses, argv without a shell, env vars, the envelope's set."""

from __future__ import annotations

import json
import sys
import time

import psutil

from conftest import step

HEAD = "test_meta: {test_id: SH-1}\nsteps:\n"


def shell(name: str, script: str, **fields: object) -> str:
    lines = [f"  - name: {name}", "    type: shell", f"    script: {script}"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


REPORT_ENV = """
#!/usr/bin/env bash
# NAME: report_env  DESC: echoes what it was given into the context
echo "working on $DEVICE" >&2
printf '{"status":"ok","outputs":[],"set":{"env.seen_v1":{"device":"%s","count":"%s","run":"%s","recipe":"%s","step":"%s","artifacts":"%s","ctx":"%s"}}}\\n' \\
  "$DEVICE" "$COUNT" "$ORCH_RUN_ID" "$ORCH_RECIPE" "$ORCH_STEP" "$ORCH_ARTIFACTS" "$ORCH_CONTEXT_FILE"
"""

CHECK_SEEN = """
def test_seen(orchestrator_context):
    ctx = orchestrator_context.recipe("SH-1")
    seen = ctx.get("env.seen_v1")
    print("SEEN", seen)
    assert seen["device"] == "leaf1" and seen["count"] == "3"
    assert seen["run"] == orchestrator_context.run_id
    assert (seen["recipe"], seen["step"]) == ("SH-1", "report")
    assert seen["artifacts"].endswith("/SH-1") and seen["ctx"].endswith("report.json")
    record = ctx.history("env.seen_v1")[0]
    assert (record["who"], record["step"]) == ("report", "report")
"""


def test_mapping_args_and_orch_variables_reach_the_script_and_set_is_written(project):
    project.script("sh/report_env.sh", REPORT_ENV)
    project.recipe("r", HEAD + shell("report", "sh/report_env.sh",
                                     args={"device": "leaf1", "count": 3}))
    project.write("test_zz_check.py", CHECK_SEEN)
    result = project.run("-rA")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*Captured stderr call*", "working on leaf1"])


def test_list_args_are_passed_as_argv_without_shell_interpretation(project):
    project.script("sh/argv.sh", """
        #!/usr/bin/env bash
        printf '{"status":"ok","set":{"argv.count_v1":%d,"argv.first_v1":"%s","argv.second_v1":"%s"}}\\n' \\
          "$#" "$1" "$2"
        """)
    project.recipe("r", HEAD + shell("argv", "sh/argv.sh", args=["$(touch pwned)", "a b; ls"]))
    project.write("test_zz_check.py", """
        def test_argv(orchestrator_context):
            ctx = orchestrator_context.recipe("SH-1")
            assert ctx.get("argv.count_v1") == 2
            assert ctx.get("argv.first_v1") == "$(touch pwned)"
            assert ctx.get("argv.second_v1") == "a b; ls"
        """)
    project.run().assert_outcomes(passed=2)
    assert not (project.root / "pwned").exists()


def test_a_shell_step_reads_upstream_keys_with_orchestrator_ctx_get(project):
    project.script("sh/read.sh", """
        #!/usr/bin/env bash
        set -e
        value=$(orchestrator ctx get demo.value_v1)
        missing=$(orchestrator ctx get demo.nothing_v1 --default none)
        printf '{"status":"ok","set":{"demo.read_v1":"%s %s"}}\\n' "$value" "$missing"
        """)
    project.recipe("r", HEAD + step("produce", args={"value": "hello"})
                   + shell("read", "sh/read.sh"))
    project.write("test_zz_check.py", """
        def test_read(orchestrator_context):
            assert orchestrator_context.recipe("SH-1").get("demo.read_v1") == "hello none"
        """)
    project.run().assert_outcomes(passed=3)


def test_a_script_exiting_nonzero_without_an_envelope_fails_with_its_code_and_stderr(project):
    project.script("sh/fail.sh", """
        #!/usr/bin/env bash
        echo "interface et-0/0/1 is down" >&2
        exit 3
        """)
    project.recipe("r", HEAD + shell("fail", "sh/fail.sh"))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "step 'fail' of SH-1 failed (exit 3): exited with code 3 and printed no envelope*",
        "*Captured stderr call*",
        "interface et-0/0/1 is down",
    ])


def test_an_error_envelope_from_a_script_is_the_failure_text(project):
    project.script("sh/refuse.sh", """
        #!/usr/bin/env bash
        echo '{"status":"error","reason":"link flapped 4 times","details":{"flaps":4},"exit_code":5}'
        exit 5
        """)
    project.recipe("r", HEAD + shell("refuse", "sh/refuse.sh"))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["step 'refuse' of SH-1 failed (exit 5): link flapped 4 times",
                                 'details: {"flaps": 4}'])


def test_a_script_killed_by_a_signal_names_the_signal(project):
    project.script("sh/segv.sh", "#!/usr/bin/env bash\nkill -SEGV $$\n")
    project.recipe("r", HEAD + shell("segv", "sh/segv.sh") + step("independent", depends_on=[]))
    result = project.run()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*failed (exit 139): killed by signal SIGSEGV"])


def test_a_hung_script_is_killed_with_its_children_after_the_timeout(project):
    project.script("sh/hang.sh", """
        #!/usr/bin/env bash
        sleep 300 &
        echo $! > "$ORCH_ARTIFACTS/child.pid"
        wait
        """)
    project.recipe("r", HEAD + shell("hang", "sh/hang.sh", timeout=1))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*failed (exit 124): timeout after 1s"])
    pid = int(next(project.root.glob(".orchestrator/artifacts/*/SH-1/child.pid")).read_text())
    assert not alive(pid), f"the background child {pid} survived the timeout"


def alive(pid: int, grace: float = 3.0) -> bool:
    """Whether ``pid`` still runs ``grace`` seconds on (SIGKILL is delivered asynchronously).
    A killed child nobody reaped yet is a zombie: it holds no resources and runs nothing."""
    deadline = time.monotonic() + grace
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.05)


def test_an_exec_step_runs_any_executable_with_its_shebang(project):
    project.script("bin/probe.py", f"""
        #!{sys.executable}
        import json, os, sys
        print(json.dumps({{"status": "ok", "set": {{"probe.args_v1": sys.argv[1:]}}}}))
        """)
    project.recipe("r", HEAD + "  - {name: probe, type: exec, cmd: bin/probe.py, "
                   "args: [--count, 3]}\n")
    project.write("test_zz_check.py", """
        def test_probe(orchestrator_context):
            assert orchestrator_context.recipe("SH-1").get("probe.args_v1") == ["--count", "3"]
        """)
    project.run().assert_outcomes(passed=2)


def test_a_set_that_breaks_a_context_rule_fails_the_step(project):
    project.script("sh/badkey.sh", """
        #!/usr/bin/env bash
        echo '{"status":"ok","set":{"NoVersion":1}}'
        """)
    project.recipe("r", HEAD + shell("badkey", "sh/badkey.sh"))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*envelope 'set': bad context key 'NoVersion'*"])


def test_a_script_that_leaves_a_child_holding_its_pipes_ends_when_it_exits(project):
    project.script("sh/daemon.sh", """
        #!/usr/bin/env bash
        sleep 300 &
        echo $! > "$ORCH_ARTIFACTS/daemon.pid"
        echo '{"status": "ok"}'
        """)
    project.recipe("r", HEAD + shell("daemon", "sh/daemon.sh"))
    project.run().assert_outcomes(passed=1)
    pid = int(next(project.root.glob(".orchestrator/artifacts/*/SH-1/daemon.pid")).read_text())
    assert not alive(pid), f"the step's background child {pid} outlived it"


def test_a_script_flooding_stdout_fails_with_the_size_and_keeps_running_nothing(project):
    project.script("sh/flood.sh", "#!/usr/bin/env bash\nhead -c 30000000 /dev/zero | tr '\\\\0' x\n")
    project.recipe("r", HEAD + shell("flood", "sh/flood.sh"))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*stdout was 30.0 MB, over the 1024 KiB envelope limit*"])


DECLARED = """
#!/usr/bin/env bash
# NAME     declared.sh
# DESC     says whether it was given a context snapshot
# USAGE    declared.sh
# RETURNS  {"set": {"snap.KEY_v1": "unset" or how often demo.value_v1 is in the snapshot}}
# ENV      DEVICE  the device
ENV_MORE
if [ -z "${ORCH_CONTEXT_FILE:-}" ]; then seen=unset; else seen=$(grep -c demo.value_v1 "$ORCH_CONTEXT_FILE"); fi
printf '{"status":"ok","set":{"snap.%s_v1":"%s"}}\\n' "$ORCH_STEP" "$seen"
"""


def test_a_script_whose_header_does_not_declare_the_snapshot_gets_none(project):
    """Its ``# ENV`` lists what it reads: without ORCH_CONTEXT_FILE, no snapshot is written
    for it; with it (or with no header), the snapshot is there as before."""
    project.script("sh/lean.sh", DECLARED.replace("ENV_MORE\n", ""))
    project.script("sh/reader.sh", DECLARED.replace(
        "ENV_MORE", "#          ORCH_CONTEXT_FILE  the context snapshot"))
    project.script("sh/plain.sh", "\n".join(
        line for line in DECLARED.splitlines() if not line.startswith("# ")
        and line != "ENV_MORE"))
    project.recipe("r", HEAD + step("produce", args={"value": "hello"})
                   + shell("lean", "sh/lean.sh") + shell("reader", "sh/reader.sh")
                   + shell("plain", "sh/plain.sh"))
    project.write("test_zz_check.py", """
        def test_snapshots(orchestrator_context):
            ctx = orchestrator_context.recipe("SH-1")
            assert [ctx.get(f"snap.{s}_v1") for s in ("lean", "reader", "plain")] == \\
                ["unset", "1", "1"]
        """)
    project.run().assert_outcomes(passed=5)


def test_a_script_runs_as_from_a_terminal_pipes_end_with_sigpipe_and_stdin_is_empty(project):
    """The step server (Python) ignores SIGPIPE; the script gets it at its default, so `yes`
    piped into `head` ends killed by it (141); reading stdin finds its end at once; it runs
    in the rootdir."""
    project.script("sh/pipe.sh", """
        #!/usr/bin/env bash
        yes | head -c 1 > /dev/null
        status="${PIPESTATUS[*]}"
        if read -r line; then stdin=data; else stdin=empty; fi
        if [ "$PWD" = "$ORCH_ROOTDIR" ]; then cwd=rootdir; else cwd="$PWD"; fi
        printf '{"status":"ok","set":{"pipe.seen_v1":"%s %s %s"}}\\n' "$status" "$stdin" "$cwd"
        """)
    project.recipe("r", HEAD + shell("pipe", "sh/pipe.sh"))
    project.write("test_zz_check.py", """
        def test_pipe(orchestrator_context):
            seen = orchestrator_context.recipe("SH-1").get("pipe.seen_v1")
            assert seen == "141 0 empty rootdir", seen
        """)
    project.run().assert_outcomes(passed=2)


def test_an_exec_step_that_cannot_start_fails_with_126_and_why(project):
    project.script("bin/nobang.txt", "just text, no shebang\n")
    (project.root / "bin/notexec.sh").write_text("#!/bin/sh\necho hi\n", encoding="utf-8")
    project.recipe("r", HEAD + "  - {name: nobang, type: exec, cmd: bin/nobang.txt}\n"
                   "  - {name: notexec, type: exec, cmd: bin/notexec.sh, depends_on: []}\n")
    result = project.run()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random([
        "*'nobang' of SH-1 failed (exit 126): cannot start */bin/nobang.txt: Exec format error",
        "*'notexec' of SH-1 failed (exit 126): cannot start */bin/notexec.sh: Permission denied"])


SEES = """
#!/usr/bin/env bash
keys=$("$ORCH_PYTHON" -c 'import json, os; print(",".join(sorted(json.load(open(os.environ["ORCH_CONTEXT_FILE"])))))')
printf '{"status":"ok","set":{"sees.%s_v1":"%s"}}\\n' "$ORCH_STEP" "$keys"
"""


def test_each_shell_step_reads_its_own_snapshot_a_shorter_one_after_a_longer_one(project):
    """A row's shell steps share one snapshot file, rewritten for each: a step seeing less
    than the one before reads exactly what it sees, no tail of the longer one."""
    project.script("sh/sees.sh", SEES)
    project.script("sh/big.sh", """
        #!/usr/bin/env bash
        printf '{"status":"ok","set":{"big.text_v1":"%s"}}\\n' "$(head -c 5000 /dev/zero | tr '\\\\0' x)"
        """)
    project.recipe("r", HEAD + step("produce", args={"value": "hello"})
                   + shell("big", "sh/big.sh") + shell("long", "sh/sees.sh")
                   + shell("short", "sh/sees.sh", depends_on=["produce"]))
    project.write("test_zz_check.py", """
        def test_sees(orchestrator_context):
            ctx = orchestrator_context.recipe("SH-1")
            assert ctx.get("sees.long_v1") == "big.text_v1,demo.value_v1"
            assert ctx.get("sees.short_v1") == "demo.value_v1"
        """)
    project.run().assert_outcomes(passed=5)
