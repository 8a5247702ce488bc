"""Secrets never reach a file or a screen in clear text (SPEC 10): every sink, a cache hit,
every xdist worker, what a step writes to fd 1/2 itself, node ids, URLs, argv lists."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import step
from pytest_orchestrator.safety import Redactor

HEAD = "test_meta: {test_id: SEC-1}\nsteps:\n"

LEAKY = '''
import os, subprocess, sys
from pytest_orchestrator import BaseScriptlet


class Login(BaseScriptlet):
    """Uses params['password']: writes it on fd 1 and 2 itself and through a child process,
    and writes a session token derived from it to a secret-named key."""

    def run(self, ctx, params):
        secret = params["password"]
        os.write(1, f"fd1 {secret}\\n".encode())
        os.write(2, f"fd2 {secret}\\n".encode())
        subprocess.run([sys.executable, "-c", f"print('child {secret}')"], check=True)
        ctx.set("auth.api_token_v1", "tok-" + secret)
        return self.emit_ok(["auth.api_token_v1"])


class Greet(BaseScriptlet):
    """Writes nothing secret: a cached entry may keep it."""

    def run(self, ctx, params):
        return {"demo.greeting_v1": "hello " + params.get("who", "lab")}


class Tell(BaseScriptlet):
    """Prints the token a dependency wrote, then fails showing it."""

    def run(self, ctx, params):
        token = ctx.get("auth.api_token_v1")
        print("got", token, file=sys.stderr)
        return self.emit_error("refused " + token, details={"seen": token})
'''


def _files_holding(root: Path, *secrets: str) -> list[str]:
    """Every file under ``root`` whose bytes hold one of ``secrets``."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path.suffix != ".py" and path.suffix != ".yaml":
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}: {s}" for s in secrets if s.encode() in data]
    return found


def _cli(project, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pytest_orchestrator", *args],
                          cwd=project.root, capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


@pytest.fixture
def leaky(project):
    project.write("steps/leaky.py", LEAKY)
    return project


def test_a_step_that_writes_a_secret_is_not_cached_and_says_so(leaky):
    leaky.recipe("r", HEAD + "  - name: login\n    module: steps.leaky\n    function: Login\n"
                 "    args: {password: hunter2-lab}\n    cache_key: auto\n")
    first = leaky.run("-rA")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*not cached: its context writes or envelope hold a secret*"])
    second = leaky.run("-v")
    second.assert_outcomes(passed=1)
    assert "PASSED (cached)" not in second.stdout.str()
    assert _files_holding(leaky.root / ".pytest_cache", "hunter2-lab") == []


def test_a_cache_hit_masks_the_secret_args_the_original_run_masked(leaky):
    leaky.recipe("r", HEAD + "  - name: greet\n    module: steps.leaky\n    function: Greet\n"
                 "    args: {who: ops, api_key: k3y-material}\n    cache_key: auto\n"
                 "  - name: tell\n    module: steps.leaky\n    function: Tell\n"
                 "    args: {echo: k3y-material}\n")
    leaky.write("steps/leaky.py", LEAKY.replace('ctx.get("auth.api_token_v1")',
                                                'params["echo"]'))
    leaky.run().assert_outcomes(passed=1, failed=1)
    second = leaky.run("-rA", "-v", "--orch-debug")
    second.assert_outcomes(passed=1, failed=1)
    second.stdout.fnmatch_lines(["*::greet PASSED (cached)*", "*refused ****"])
    assert "k3y-material" not in second.stdout.str() + second.stderr.str()
    assert _files_holding(leaky.root, "k3y-material") == []


def test_output_a_step_writes_to_its_file_descriptors_or_through_a_child_is_masked(leaky):
    leaky.recipe("r", HEAD + "  - name: login\n    module: steps.leaky\n    function: Login\n"
                 "    args: {password: hunter2-lab}\n"
                 "  - name: fail\n    module: steps.demo\n    function: Refuse\n")
    result = leaky.run("-rA", "--junitxml=junit.xml", "--html=report.html")
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "fd1 ***" in text and "fd2 ***" in text and "child ***" in text
    assert "hunter2-lab" not in text
    assert _files_holding(leaky.root, "hunter2-lab") == []


def test_a_key_with_a_secret_name_is_masked_in_the_store_and_every_command(leaky):
    leaky.recipe("r", HEAD + "  - name: login\n    module: steps.leaky\n    function: Login\n"
                 "    args: {user_password: hunter2-lab}\n    success:\n"
                 "      ctx_has_keys: [auth.api_token_v1]\n")
    leaky.write("steps/leaky.py", LEAKY.replace('params["password"]', 'params["user_password"]'))
    result = leaky.run("--orch-debug")
    result.assert_outcomes(passed=1)
    assert "tok-hunter2-lab" not in result.stdout.str() + result.stderr.str()
    db = sqlite3.connect(leaky.root / ".orchestrator" / "results.db")
    value, = db.execute("SELECT value FROM context_state WHERE key = 'auth.api_token_v1'").fetchone()
    assert json.loads(value) == "***"
    run_id, = db.execute("SELECT run_id FROM runs").fetchone()
    for command in (["show", run_id, "--json"], ["ctx", "dump"], ["ctx", "history"]):
        shown = _cli(leaky, *command)
        assert "hunter2-lab" not in shown, command
    assert '"***"' in _cli(leaky, "ctx", "history", "--json")


def test_a_dependency_that_wrote_a_secret_is_not_restored_masked(leaky):
    leaky.recipe("r", HEAD + "  - name: login\n    module: steps.leaky\n    function: Login\n"
                 "    args: {password: hunter2-lab}\n"
                 "  - name: after\n    module: steps.demo\n    function: Seen\n")
    leaky.run().assert_outcomes(passed=2)
    result = leaky.run("-k", "after")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*dependency 'login' wrote a secret, which the results store "
                                 "holds only masked: run it first or select it too*"])


def test_secret_parametrize_values_never_show_in_node_ids(project):
    project.recipe("r", "test_meta: {test_id: SEC-2}\n"
                   "parametrize: {dut: [leaf1], admin_password: [pw-one-1, pw-two-2]}\n"
                   "steps:\n" + step("produce", args={"value": "${param:admin_password}"})
                   + step("fail", "Refuse"))
    listed = project.run("--co", "-q")
    assert {"recipes/r.yaml::produce[leaf1-admin_password0]",
            "recipes/r.yaml::produce[leaf1-admin_password1]"} <= set(listed.stdout.lines)
    plan = project.run("--orch-dry-run").stdout.str()
    result = project.run("-rA", "--junitxml=junit.xml")
    result.assert_outcomes(passed=2, failed=2)
    for text in (listed.stdout.str(), plan, result.stdout.str()):
        assert "pw-one-1" not in text and "pw-two-2" not in text
    assert _files_holding(project.root, "pw-one-1", "pw-two-2") == []


def test_an_argv_value_after_a_secret_named_flag_is_masked(project):
    project.script("scripts/login.sh", """
        #!/bin/bash
        echo "argv: $*" >&2
        echo '{"status": "error", "reason": "login failed with '"$2"' and '"${4#*=}"'"}'
        exit 1
        """)
    project.recipe("r", HEAD + "  - name: login\n    type: shell\n    script: scripts/login.sh\n"
                   '    args: ["--password", "hunter2-argv", "--user", "--token=t0k-argv"]\n')
    result = project.run("-rA")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "argv: --password *** --user --token=***" in text
    assert "hunter2-argv" not in text and "t0k-argv" not in text


def test_a_url_password_is_masked_in_usage_errors_and_in_the_stored_args(project):
    project.recipe("r", HEAD + step("produce"))
    result = project.run("--orch-context", "redis://:hunter2-url@127.0.0.1:1/0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "redis://:***@127.0.0.1:1/0" in result.stderr.str()
    assert "hunter2-url" not in result.stdout.str() + result.stderr.str()
    project.run("--metadata", "lab", "https://ops:hunter2-url@lab.example/").assert_outcomes(
        passed=1)
    db = sqlite3.connect(project.root / ".orchestrator" / "results.db")
    args, = db.execute("SELECT args FROM runs").fetchone()
    assert "https://ops:***@lab.example/" in args and "hunter2-url" not in args


def test_under_xdist_every_worker_masks_every_secret_and_no_context_file_stays(leaky):
    leaky.recipe("r", HEAD + "  - name: login\n    module: steps.leaky\n    function: Login\n"
                 "    args: {password: hunter2-lab}\n"
                 + "".join(f"  - {{name: tell{i}, module: steps.leaky, function: Tell, "
                           "depends_on: [login]}\n" for i in range(4)))
    result = leaky.run("-n", "2", "-rA")
    result.assert_outcomes(passed=1, failed=4)
    assert "hunter2-lab" not in result.stdout.str()
    assert result.stdout.str().count("got ***") == 4
    assert not (leaky.root / ".orchestrator" / "context").exists()
    assert _files_holding(leaky.root, "hunter2-lab") == []


def test_with_orch_debug_the_leftovers_are_kept_masked(leaky):
    leaky.script("scripts/show.sh", """
        #!/bin/bash
        echo '{"status": "ok"}'
        """)
    leaky.recipe("r", HEAD + "  - name: login\n    module: steps.leaky\n    function: Login\n"
                 "    args: {password: hunter2-lab}\n"
                 "  - {name: show, type: shell, script: scripts/show.sh}\n")
    leaky.run("-n", "2", "--orch-debug").assert_outcomes(passed=2)
    kept = list((leaky.root / ".orchestrator" / "context").glob("*.db"))
    snapshots = list((leaky.root / ".orchestrator").rglob("_context/show.json"))
    assert len(kept) == 1 and len(snapshots) == 1
    assert json.loads(snapshots[0].read_text())["auth.api_token_v1"] == "***"
    assert _files_holding(leaky.root, "hunter2-lab") == []


def test_shell_snapshots_are_removed_when_their_step_ends(project):
    project.script("scripts/show.sh", """
        #!/bin/bash
        cat "$ORCH_CONTEXT_FILE" >&2
        echo '{"status": "ok"}'
        """)
    project.recipe("r", HEAD + step("produce") + "  - {name: show, type: shell, "
                   "script: scripts/show.sh}\n")
    project.write("test_zz_between.py", """
        from pathlib import Path

        def test_no_snapshot_holds_anything_once_its_step_ended():
            files = list(Path(".orchestrator").rglob("_context/*"))
            assert [f.read_bytes() for f in files] == [b""] * len(files)
        """)
    result = project.run("-rA")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(['*"demo.value_v1": 1*'])
    assert list(project.root.rglob("_context")) == []


def test_the_redactor_masks_argv_lists_urls_and_secret_named_records():
    redactor = Redactor(environ={})
    redactor.add_args({"cmd": ["ssh", "--password", "pw-123", "--api_key=k-456", "host"],
                       "device": {"credentials": {"user": "admin-x", "pin": 1234}}})
    assert redactor.text("pw-123 k-456 admin-x 1234 host") == "*** *** *** *** host"
    assert redactor.text("redis://:pa55@h:1/0 and https://u:pw@h/x") \
        == "redis://:***@h:1/0 and https://u:***@h/x"
    record = {"key": "auth.api_token_v1", "before": None, "after": {"v": "x"}, "who": "s"}
    assert redactor.value(record) == {**record, "after": {"v": "***"}}
    assert redactor.value({"key": "demo.v1", "after": "plain"})["after"] == "plain"


def test_the_whole_sweep_finds_no_clear_secret_anywhere(leaky, monkeypatch):
    """Secret args, env, parametrize, a cache hit, fd-2 writes, a child process and -n 2,
    then every file under the rootdir and every output is searched for the clear values."""
    monkeypatch.setenv("LAB_SECRET", "env-s3cret-val")
    leaky.script("scripts/echo.sh", """
        #!/bin/bash
        echo "shell sees $LAB_SECRET $1" >&2
        cat "$ORCH_CONTEXT_FILE" >&2
        echo '{"status": "ok", "set": {"demo.shell_v1": "done"}}'
        """)
    leaky.recipe("r", "test_meta: {test_id: SEC-9}\n"
                 "parametrize: {site_token: [par-tok-111]}\nsteps:\n"
                 "  - name: login\n    module: steps.leaky\n    function: Login\n"
                 "    args: {password: hunter2-lab}\n"
                 "  - name: greet\n    module: steps.leaky\n    function: Greet\n"
                 "    args: {who: ops, api_key: k3y-material}\n"
                 "    cache_key: auto\n    depends_on: []\n"
                 "  - name: child\n    module: steps.leaky\n    function: Tell\n"
                 "    requires_process: true\n    depends_on: [login]\n"
                 "    args: {site: '${param:site_token}'}\n"
                 "  - name: echo\n    type: shell\n    script: scripts/echo.sh\n"
                 "    args: ['--secret', '${env:LAB_SECRET}']\n    depends_on: [login]\n")
    clear = ("hunter2-lab", "env-s3cret-val", "par-tok-111", "k3y-material")
    outputs = []
    for args in (["-n", "2"], ["-n", "2"], [], ["--co"], ["--orch-dry-run"]):
        result = leaky.run("-rA", "--junitxml=junit.xml", "--html=report.html", *args)
        outputs.append(result.stdout.str() + result.stderr.str())
    assert "PASSED (cached)" in outputs[2]
    db = leaky.root / ".orchestrator" / "results.db"
    for command in (["runs"], ["ctx", "dump"], ["ctx", "history", "--json"]):
        outputs.append(_cli(leaky, *command, "--db", str(db)))
    for text in outputs:
        assert not [s for s in clear if s in text], text
    assert "got ***" in outputs[0]
    assert _files_holding(leaky.root, *clear) == []
