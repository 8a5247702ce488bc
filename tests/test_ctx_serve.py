"""``orchestrator ctx serve`` and ``ctx get|set --url`` as a user types them: the server in a
process of its own on a free loopback port, its token, and a graceful stop on SIGTERM with no
acknowledged write lost."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the context server needs the 'server' extra")

from pytest_orchestrator.context import open_backend
from pytest_orchestrator.errors import OrchestratorError
from pytest_orchestrator.server.client import ContextClient

TOKEN = "cli-test-token-abcdef"


class Serving:
    """``orchestrator ctx serve --port 0 ARGS`` running in ``cwd``; ``url`` from its banner."""

    def __init__(self, cwd: Path, *args: str, token: str | None = TOKEN) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORCH_")}
        if token:
            env["ORCH_CONTEXT_TOKEN"] = token
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pytest_orchestrator", "ctx", "serve", "--port", "0", *args],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.banner = [self.proc.stdout.readline() for _ in range(3)]  # '' once it ended
        found = re.search(r" at (http://\S+) ", self.banner[0])
        assert found, "".join(self.banner) + self.proc.stderr.read()  # type: ignore[union-attr]
        self.url = found.group(1)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal the server; its exit code and the rest of its output."""
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, "".join(self.banner) + out + err


@pytest.fixture
def serving(pytester: pytest.Pytester) -> Iterator[Callable[..., Serving]]:
    started: list[Serving] = []

    def start(*args: str, token: str | None = TOKEN) -> Serving:
        started.append(Serving(pytester.path, *args, token=token))
        return started[-1]

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.communicate()


def test_the_server_prints_a_generated_token_once_and_keeps_it_in_a_0600_file(
        serving: Callable[..., Serving], pytester: pytest.Pytester, cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = serving("--context", "sqlite:///ctx.db", token=None)
    token_file = pytester.path / ".orchestrator" / "context-server.token"
    token = token_file.read_text().strip()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert len(token) >= 40 and server.banner[1].rstrip().endswith(token)
    monkeypatch.delenv("ORCH_CONTEXT_TOKEN", raising=False)
    cli("ctx", "set", "ops.link_state_v1", "up", "--url", server.url, "--who", "ops",
        "--token-file", str(token_file))
    code, output = server.stop()
    assert code == 0 and output.count(token) == 1
    assert "stopped on SIGTERM: 1 writes served, every one committed" in output


def test_a_token_from_the_environment_is_neither_printed_nor_written(
        serving: Callable[..., Serving], pytester: pytest.Pytester) -> None:
    server = serving()
    code, output = server.stop(signal.SIGINT)
    assert code == 0 and "token: from $ORCH_CONTEXT_TOKEN" in output and TOKEN not in output
    assert not (pytester.path / ".orchestrator").exists()


def test_listening_where_other_machines_reach_needs_allow_remote(cli: Callable[..., Any]) -> None:
    done = cli("ctx", "serve", "--host", "0.0.0.0", "--port", "0", code=2)
    assert done.stderr.splitlines() == [
        "orchestrator: --host 0.0.0.0 would let other machines reach the context",
        "hint: pass --allow-remote as well to listen there (anyone who has the token can then "
        "read and write the namespace), or keep the default 127.0.0.1"]


def test_ctx_set_and_get_speak_to_the_server_with_the_token_from_the_environment(
        serving: Callable[..., Serving], cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = serving("--namespace", "lab").url
    monkeypatch.setenv("ORCH_CONTEXT_TOKEN", TOKEN)
    said = cli("ctx", "set", "ops.link_state_v1", "up", "--url", url, "--who", "dut-7")
    assert re.fullmatch(r'ops\.link_state_v1 = "up" \(by dut-7, \S+Z\)\n', said.stdout)
    conflict = cli("ctx", "set", "ops.link_state_v1", "down", "--url", url, "--who", "ops",
                   code=2)
    assert conflict.stderr.splitlines() == [
        "orchestrator: the context server refused PUT /context/ops.link_state_v1 (409): "
        "ops.link_state_v1 in 'lab' was set to 'up' by step 'dut-7'; step 'ops' writes 'down'",
        "hint: write a new key, or serve with --conflict last_write_wins"]
    cli("ctx", "set", "ops.switch_v1", '{"port": "et-0/0/1", "admin": true}', "--url", url,
        "--who", "ops")
    assert cli("ctx", "get", "ops.link_state_v1", "--url", url).stdout == "up\n"
    assert cli("ctx", "get", "ops.link_state_v1", "--url", url, "--json").stdout == '"up"\n'
    assert json.loads(cli("ctx", "get", "ops.switch_v1", "--url", url).stdout) == {
        "port": "et-0/0/1", "admin": True}
    assert cli("ctx", "get", "ops.absent_v1", "--url", url, "--default", "none").stdout \
        == "none\n"
    missing = cli("ctx", "get", "ops.absent_v1", "--url", url, code=2)
    assert "(404): no key 'ops.absent_v1' in namespace 'lab'" in missing.stderr


@pytest.mark.parametrize(("args", "words"), [
    (["ops.switch_v1", '{"port": 7}'], "(409): ops.switch_v1 changes shape"),
    (["ops.switch_v1", '{"port": 7'], "VALUE is not valid JSON"),
    (["ops.level_v1", "NaN"], "(422): ops.level_v1: nan is not JSON-safe"),
    (["_runner.step_metrics_v1", "1"], "(422): key '_runner.step_metrics_v1' uses the reserved"),
])
def test_a_refused_write_exits_non_zero_with_the_servers_reason_and_writes_nothing(
        serving: Callable[..., Serving], cli: Callable[..., Any], pytester: pytest.Pytester,
        monkeypatch: pytest.MonkeyPatch, args: list[str], words: str) -> None:
    server = serving("--context", "sqlite:///ctx.db")
    monkeypatch.setenv("ORCH_CONTEXT_TOKEN", TOKEN)
    cli("ctx", "set", "ops.switch_v1", '{"port": "et-0/0/1"}', "--url", server.url,
        "--who", "ops")
    refused = cli("ctx", "set", *args, "--url", server.url, "--who", "ops", code=2)
    assert words in refused.stderr and refused.stdout == ""
    assert server.stop()[0] == 0
    backend = open_backend(f"sqlite:///{pytester.path / 'ctx.db'}")
    assert [r.after for r in backend.history("shared")] == [{"port": "et-0/0/1"}]
    backend.close()


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_client_without_the_right_token_is_told_so(
        serving: Callable[..., Serving], cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch, token: str | None) -> None:
    url = serving().url
    monkeypatch.delenv("ORCH_CONTEXT_TOKEN", raising=False)
    if token:
        monkeypatch.setenv("ORCH_CONTEXT_TOKEN", token)
    refused = cli("ctx", "set", "ops.level_v1", "1", "--url", url, "--who", "ops", code=2)
    expected = "(401): missing or wrong token" if token else "ORCH_CONTEXT_TOKEN is not set"
    assert expected in refused.stderr


def test_sigterm_under_load_stops_the_server_with_every_acknowledged_write_kept(
        serving: Callable[..., Serving], pytester: pytest.Pytester) -> None:
    server = serving("--context", "sqlite:///ctx.db", "--namespace", "lab")
    acked: dict[int, list[int]] = {n: [] for n in range(4)}
    busy = threading.Event()

    def agent(n: int) -> None:
        with ContextClient(server.url, TOKEN, timeout=60) as client:
            for i in range(100_000):
                try:
                    client.set(f"load.agent{n}_v1", {"i": i}, who=f"agent-{n}")
                except OrchestratorError:
                    return  # the server has stopped: this write was not acknowledged
                acked[n].append(i)
                if sum(map(len, acked.values())) >= 200:
                    busy.set()

    agents = [threading.Thread(target=agent, args=(n,)) for n in acked]
    for thread in agents:
        thread.start()
    assert busy.wait(timeout=300), "the agents could not write 200 times"
    code, output = server.stop()
    for thread in agents:
        thread.join(timeout=120)
    assert code == 0 and "stopped on SIGTERM" in output, output
    backend = open_backend(f"sqlite:///{pytester.path / 'ctx.db'}")
    for n, mine in acked.items():
        written = [r.after["i"] for r in backend.history("lab", f"load.agent{n}_v1")]
        assert written == mine == list(range(len(mine)))  # none lost, none twice, in order
    backend.close()


@pytest.mark.parametrize("missing", ["uvicorn", "starlette"])
def test_without_the_server_extra_serve_says_what_to_install(
        pytester: pytest.Pytester, missing: str) -> None:
    code = (f"import sys; sys.modules[{missing!r}] = None\n"
            "from pytest_orchestrator.cli import main\n"
            "sys.exit(main(['ctx', 'serve', '--port', '0']))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=pytester.path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"orchestrator: the context server needs the web stack ({missing} is missing)",
        "hint: pip install 'pytest-orchestrator[server]'"]
