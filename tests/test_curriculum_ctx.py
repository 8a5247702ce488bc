"""Recipe example_ctx as a user meets it: real pytest processes on a copy of the curriculum,
with and without xdist; an ops client outside pytest writes through the context server, and
the server's token is never anywhere in clear but its 0600 file. Then its scriptlets on their
own, against a real server where they need one."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_curriculum_scriptlets import run_scriptlet, run_shell

from pytest_orchestrator.context import open_backend
from pytest_orchestrator.store import ResultsStore

pytest.importorskip("starlette", reason="the context server needs the 'server' extra")

from pytest_orchestrator.server.access import write_token_file
from pytest_orchestrator.server.namespace import ServedNamespace
from pytest_orchestrator.server.running import BackgroundServer

ROOT = Path(__file__).resolve().parents[1]
RECIPE = "recipes/example_ctx.yaml"
TOKEN = "curriculum-token-5f0c2d9e"
AGENT_STATE = {"ops.link_state_v1": "up", "ops.switch_v1": {"port": "et-0/0/1",
                                                            "admin": "enabled"}}


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A project made of the curriculum's scriptlets, data and recipe example_ctx."""
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("scriptlets", "recipes/data"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=ignore)
    shutil.copy(ROOT / RECIPE, tmp_path / "recipes")
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    return tmp_path


def run_pytest(lab: Path, *args: str, token: str | None = TOKEN
               ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCH_")}
    if token:
        env["ORCH_CONTEXT_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:benchmark",
                           "-p", "no:hypothesispytest", "-p", "no:randomly", "-p", "no:dash", RECIPE, *args],
                          cwd=lab, env=env, capture_output=True, text=True, timeout=300)


def context_of(lab: Path) -> dict[str, Any]:
    with ResultsStore(lab / ".orchestrator" / "results.db") as store:
        return store.context("ctx_demo")["ctx_demo"]


def files_holding(lab: Path, text: str) -> list[str]:
    """The files under ``lab`` whose bytes contain ``text``."""
    return sorted(str(p.relative_to(lab)) for p in lab.rglob("*")
                  if p.is_file() and text.encode() in p.read_bytes())


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_an_ops_client_updates_the_shared_state_through_the_context_server(
        lab: Path, workers: list[str]) -> None:
    result = run_pytest(lab, "-v", *workers)
    assert "6 passed" in result.stdout, result.stdout + result.stderr
    context = context_of(lab)
    url = context["context_server.url_v1"]
    assert url.startswith("http://127.0.0.1:")
    assert context["assert_context.seen_v1"] == {**AGENT_STATE, "published.stats_v1": context[
        "numbers.stats_v1"], "numbers.stats_v1": context["numbers.stats_v1"]}
    ack = context["publish_stats.ack_v1"]
    assert (ack["key"], ack["who"], ack["url"]) == ("published.stats_v1", "publish_stats", url)
    assert context["context_server.stopped_v1"] == url
    assert TOKEN not in result.stdout + result.stderr
    assert files_holding(lab, TOKEN) == []  # the access file went with the server
    assert not list(lab.rglob("context_server.token"))


def test_a_generated_token_is_only_in_its_0600_file(lab: Path) -> None:
    recipe = lab / RECIPE
    text = recipe.read_text()
    recipe.write_text(text[:text.index("  - name: stop_context_server")])  # keep the file
    result = run_pytest(lab, token=None)
    assert "5 passed" in result.stdout, result.stdout + result.stderr
    (access,) = lab.rglob("context_server.token")
    assert stat.S_IMODE(access.stat().st_mode) == 0o600
    token = access.read_text().strip()
    assert len(token) >= 40 and token not in result.stdout + result.stderr
    assert files_holding(lab, token) == [str(access.relative_to(lab))]


def test_a_state_the_agent_did_not_report_fails_the_check_and_the_server_still_stops(
        lab: Path) -> None:
    recipe = lab / RECIPE
    recipe.write_text(recipe.read_text().replace("link_state: up,", "link_state: down,"))
    result = run_pytest(lab, "-v")
    assert "1 failed, 5 passed" in result.stdout, result.stdout
    assert ("step 'check_agent_state' of CTX-001 failed (exit 1): 1 context value(s) not as "
            "expected: ops.link_state_v1 is 'down', expected 'up'") in result.stdout
    assert "stop_context_server PASSED" in result.stdout
    assert not list(lab.rglob("context_server.token"))


def test_an_isolated_recipe_is_told_to_share_its_namespace(lab: Path) -> None:
    recipe = lab / RECIPE
    recipe.write_text(recipe.read_text().replace("context: shared:ctx_demo\n", ""))
    result = run_pytest(lab)
    assert "1 failed, 2 passed, 3 skipped" in result.stdout, result.stdout
    assert ("start_context_server_v2 serves the recipe's namespace to agents: declare "
            "'context: shared:<ns>' in the recipe") in result.stdout
    assert "pytest_orchestrator" not in result.stdout  # only the scriptlet's own frames


# The context server's scriptlets on their own, as a user runs them (`python -m`, bash).

@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[BackgroundServer, dict[str, str]]]:
    """A context server in this process over a memory backend, and the environment of a
    shell step that reaches it: a context snapshot holding its URL, and its token file."""
    space = ServedNamespace(open_backend("memory://"), "ctx_demo")
    server = BackgroundServer(space, TOKEN).start()
    snapshot = tmp_path / "context.json"
    snapshot.write_text(json.dumps({"context_server.url_v1": server.url}))
    access = tmp_path / "artifacts" / "context_server.token"
    write_token_file(access, TOKEN)
    env = {"ORCH_CONTEXT_FILE": str(snapshot), "ORCH_ARTIFACTS": str(access.parent),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    yield server, env
    server.stop()
    assert server.join(timeout=60)


def test_demo_update_state_writes_through_the_server_as_the_ops_client(
        live_server: tuple[BackgroundServer, dict[str, str]]) -> None:
    server, env = live_server
    envelope, code = run_shell("demo_update_state.sh", **env, LINK_STATE="degraded")
    assert (code, envelope["status"], envelope["metrics"]) == (0, "ok", {"writes": 2})
    history = server.space.history()
    assert [(r["key"], r["after"], r["who"]) for r in history] == [
        ("ops.link_state_v1", "degraded", "ops-client"),
        ("ops.switch_v1", {"port": "et-0/0/1", "admin": "enabled"}, "ops-client")]


def test_demo_update_state_refused_by_the_server_is_its_error_envelope(
        live_server: tuple[BackgroundServer, dict[str, str]]) -> None:
    server, env = live_server
    server.space.write("ops.link_state_v1", "down", "dut-leaf1")
    envelope, code = run_shell("demo_update_state.sh", **env)
    assert (code, envelope["status"]) == (1, "error")
    assert envelope["reason"].startswith(
        "orchestrator: the context server refused PUT /context/ops.link_state_v1 (409): "
        "ops.link_state_v1 in 'ctx_demo' was set to 'down' by step 'dut-leaf1'")
    assert [r["who"] for r in server.space.history()] == ["dut-leaf1"]


def test_demo_update_state_without_a_server_says_what_to_run_first(tmp_path: Path) -> None:
    snapshot = tmp_path / "context.json"
    snapshot.write_text("{}")
    envelope, code = run_shell("demo_update_state.sh", ORCH_CONTEXT_FILE=str(snapshot),
                               PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                    f"{os.environ['PATH']}")
    assert (code, envelope["reason"]) == (1, "no context server: context_server.url_v1 is "
                                             "not set; run start_context_server_v2 first")


def test_assert_context_names_every_value_not_as_expected(tmp_path: Path) -> None:
    params = {"equals": {"ops.link_state_v1": "up", "ops.mtu_v1": 9214},
              "same": [["published.stats_v1", "numbers.stats_v1"]]}
    context = {"ops.link_state_v1": "down", "ops.mtu_v1": 9214,
               "numbers.stats_v1": {"mean": 1}}
    envelope, code = run_scriptlet(tmp_path, "assert_context", params, context)
    assert code == 1
    assert envelope["details"]["mismatches"] == [
        "ops.link_state_v1 is 'down', expected 'up'",
        "published.stats_v1 is None but numbers.stats_v1 is {'mean': 1}"]


def test_publish_stats_without_a_server_is_a_missing_input(tmp_path: Path) -> None:
    envelope, code = run_scriptlet(tmp_path, "publish_stats", {},
                                   {"numbers.stats_v1": {"mean": 1}})
    assert (code, envelope["reason"]) == (2, "missing input context_server.url_v1")


def test_stop_context_server_with_nothing_to_stop_passes_with_a_warning(tmp_path: Path) -> None:
    envelope, code = run_scriptlet(tmp_path, "stop_context_server", {})
    assert (code, envelope["warnings"]) == (
        0, ["no context server to stop: context_server.url_v1 is not set"])
