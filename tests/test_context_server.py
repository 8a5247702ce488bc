"""The context server from an agent's side: a real server on a free loopback port over every
context backend, spoken to over HTTP; every context rule holds as for steps, and a request
without the token changes nothing."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conftest import redis_server

pytest.importorskip("starlette", reason="the context server needs the 'server' extra")

from pytest_orchestrator.context import ContextBackend
from pytest_orchestrator.errors import ContextError, OrchestratorError
from pytest_orchestrator.server.client import ContextClient, ServerRefusal
from pytest_orchestrator.server.namespace import ServedNamespace
from pytest_orchestrator.server.running import BackgroundServer

TOKEN = "test-token-0123456789"


class Served:
    """A server in this process over one backend namespace, and a client with the token."""

    def __init__(self, backend: ContextBackend, policy: str = "fail_on_conflict") -> None:
        self.backend = backend
        self.namespace = f"agents-{uuid.uuid4().hex[:8]}"
        space = ServedNamespace(backend, self.namespace, policy=policy, run_id="run-7")
        self.server = BackgroundServer(space, TOKEN).start()
        self.url = self.server.url

    def client(self, token: str = TOKEN) -> ContextClient:
        return ContextClient(self.url, token)

    def history(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.backend.history(self.namespace)]

    def raw(self, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        """One request as curl would send it: (status, JSON body)."""
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        text = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        try:
            conn.request(method, path, text, headers or {})
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.stop()
        assert self.server.join(timeout=60), "the server did not stop"


@pytest.fixture
def served(backend: ContextBackend) -> Iterator[Served]:
    server = Served(backend)
    yield server
    server.stop()


@pytest.fixture
def served_memory() -> Iterator[Served]:
    """For what does not depend on the backend (HTTP, the token): the memory backend."""
    from pytest_orchestrator.context import open_backend

    server = Served(open_backend("memory://"))
    yield server
    server.stop()


def refusal(call: Any) -> ServerRefusal:
    with pytest.raises(ServerRefusal) as caught:
        call()
    return caught.value


def test_a_value_written_over_http_reads_back_with_its_history(served: Served) -> None:
    with served.client() as agent:
        record = agent.set("ops.link_state_v1", "up", who="dut-agent")
        agent.set("ops.link_state_v1", "down", who="dut-agent")
        agent.set("ops.switch_v1", {"port": "et-0/0/1", "admin": True}, who="ops")
        assert agent.get("ops.link_state_v1") == "down"
        assert agent.values() == {"ops.link_state_v1": "down",
                                  "ops.switch_v1": {"port": "et-0/0/1", "admin": True}}
        history = agent.history("ops.link_state_v1")
    assert record["before"] is None and record["after"] == "up"
    assert [(r["before"], r["after"], r["who"], r["run_id"]) for r in history] == [
        (None, "up", "dut-agent", "run-7"), ("up", "down", "dut-agent", "run-7")]
    assert history[0]["ts"].endswith("Z") and history[0]["ts"] <= history[1]["ts"]
    assert served.history()[:2] == history  # the backend's own history, not a copy


def test_a_key_never_written_is_404_and_the_client_default_applies(served: Served) -> None:
    with served.client() as agent:
        assert refusal(lambda: agent.get("ops.absent_v1")).status == 404
        assert agent.get("ops.absent_v1", "unknown") == "unknown"


def test_a_versioned_key_keeps_its_first_shape_over_http(served: Served) -> None:
    with served.client() as agent:
        agent.set("ops.switch_v1", {"port": "et-0/0/1", "up": True}, who="ops")
        refused = refusal(lambda: agent.set("ops.switch_v1", {"port": 7, "up": True}, who="ops"))
        assert agent.get("ops.switch_v1") == {"port": "et-0/0/1", "up": True}
    assert refused.status == 409
    assert "changes shape" in refused.message and refused.hint.endswith(
        "create ops.switch_v2 instead")
    assert len(served.history()) == 1


def test_another_writer_cannot_change_a_value_under_fail_on_conflict(served: Served) -> None:
    with served.client() as agent:
        agent.set("ops.owner_v1", "alice", who="alice")
        refused = refusal(lambda: agent.set("ops.owner_v1", "bob", who="bob"))
        agent.set("ops.owner_v1", "alice", who="carol")  # the same value is no conflict
        assert agent.get("ops.owner_v1") == "alice"
    assert refused.status == 409
    assert "was set to 'alice' by step 'alice'; step 'bob' writes 'bob'" in refused.message
    assert [r["who"] for r in served.history()] == ["alice", "carol"]


def test_under_last_write_wins_every_writer_is_recorded(backend: ContextBackend) -> None:
    served = Served(backend, policy="last_write_wins")
    try:
        with served.client() as agent:
            agent.set("ops.owner_v1", "alice", who="alice")
            agent.set("ops.owner_v1", "bob", who="bob")
            assert agent.get("ops.owner_v1") == "bob"
    finally:
        served.stop()
    assert [(r["after"], r["who"]) for r in served.history()] == [("alice", "alice"),
                                                                  ("bob", "bob")]


@pytest.mark.parametrize(("body", "words"), [
    ('{"value": NaN, "who": "x"}', "nan is not JSON-safe"),
    ('{"value": [1, Infinity], "who": "x"}', "inf is not JSON-safe"),
    ('{"value": 1}', "a write needs 'who'"),
    ('{"value": 1, "who": "  "}', "a write needs 'who'"),
    ('{"value": 1, "who": "line\\nbreak"}', "printable text"),
])
def test_a_write_the_rules_refuse_is_422_with_the_reason(
        served_memory: Served, body: str, words: str) -> None:
    status, answer = served_memory.raw("PUT", "/context/ops.level_v1", body,
                                {"Authorization": f"Bearer {TOKEN}"})
    assert (status, words in answer["error"]) == (422, True), answer
    assert served_memory.history() == []


@pytest.mark.parametrize(("key", "words"), [
    ("level", "bad context key 'level'"),
    ("ops.level", "bad context key 'ops.level'"),
    ("_runner.step_metrics_v1", "reserved prefix '_runner.'"),
])
def test_a_bad_key_name_is_refused_before_anything_is_written(
        served_memory: Served, key: str, words: str) -> None:
    with served_memory.client() as agent:
        refused = refusal(lambda: agent.set(key, 1, who="ops"))
    assert refused.status == 422 and words in refused.message
    assert served_memory.history() == []


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"who": "ops"}'])
def test_a_body_that_is_not_a_write_is_400(served_memory: Served, body: str) -> None:
    status, answer = served_memory.raw("PUT", "/context/ops.level_v1", body,
                                {"Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and "value" in answer["hint"]
    assert served_memory.history() == []


@pytest.mark.parametrize("header", [
    None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}",
    "Bearer", "",
], ids=["none", "wrong", "basic", "longer", "shorter", "empty-bearer", "empty"])
@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/context/ops.level_v1"), ("GET", "/context/ops.level_v1"), ("GET", "/context"),
    ("GET", "/history"), ("POST", "/shutdown")])
def test_without_the_right_token_it_is_401_and_nothing_is_written(
        served_memory: Served, header: str | None, method: str, path: str) -> None:
    with served_memory.client() as agent:
        agent.set("ops.level_v1", 1, who="ops")
    headers = {} if header is None else {"Authorization": header}
    status, answer = served_memory.raw(method, path, {"value": 2, "who": "intruder"}, headers)
    assert status == 401 and "token" in answer["error"]
    assert "1" not in json.dumps(answer)  # not a word of the context leaks
    assert [r["after"] for r in served_memory.history()] == [1]
    with served_memory.client() as agent:
        assert agent.get("ops.level_v1") == 1  # and the server still serves


def test_a_client_with_a_wrong_token_fails_with_the_servers_reason(served_memory: Served) -> None:
    with served_memory.client("wrong") as agent:
        refused = refusal(lambda: agent.set("ops.level_v1", 1, who="ops"))
    assert refused.status == 401
    assert str(refused) == ("the context server refused PUT /context/ops.level_v1 (401): "
                            "missing or wrong token; send the header 'Authorization: Bearer "
                            "<token>'")


def test_health_and_the_openapi_description_need_no_token(served_memory: Served) -> None:
    assert served_memory.raw("GET", "/health") == (200, {"status": "ok"})
    status, described = served_memory.raw("GET", "/openapi.json")
    assert status == 200 and described["openapi"].startswith("3.")
    assert set(described["paths"]) == {"/health", "/context", "/context/{key}", "/history",
                                       "/shutdown"}
    put = described["paths"]["/context/{key}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "value", "who"]
    assert {"401", "409", "422"} <= set(put["responses"])
    assert described["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_eight_clients_writing_200_times_each_lose_and_duplicate_nothing(
        served: Served) -> None:
    clients, writes = 8, 200
    failures: list[BaseException] = []

    def agent(n: int) -> None:
        try:
            with served.client() as client:
                for i in range(writes):
                    client.set(f"load.agent{n}_v1", {"n": n, "i": i}, who=f"agent-{n}")
        except BaseException as exc:  # reported below, with the others
            failures.append(exc)

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert failures == [] and not any(t.is_alive() for t in threads)
    history = served.history()
    assert len(history) == clients * writes
    for n in range(clients):
        mine = [r for r in history if r["key"] == f"load.agent{n}_v1"]
        assert [r["after"]["i"] for r in mine] == list(range(writes))  # in order, each once
        assert [r["before"] for r in mine][1:] == [r["after"] for r in mine][:-1]
        assert {r["who"] for r in mine} == {f"agent-{n}"}


def test_racing_first_writers_of_one_key_leave_exactly_one_winner(served: Served) -> None:
    go = threading.Barrier(8)
    outcomes: dict[int, str] = {}

    def agent(n: int) -> None:
        with served.client() as client:
            go.wait(timeout=60)
            try:
                client.set("race.owner_v1", f"agent-{n}", who=f"agent-{n}")
                outcomes[n] = "won"
            except ServerRefusal as exc:
                outcomes[n] = str(exc.status)

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes.values()) == ["409"] * 7 + ["won"]
    (record,) = served.history()
    winner = next(n for n, outcome in outcomes.items() if outcome == "won")
    assert record["after"] == record["who"] == f"agent-{winner}"


def test_a_stopped_server_no_longer_answers(backend: ContextBackend) -> None:
    served = Served(backend)
    with served.client() as agent:
        agent.shutdown()
    assert served.server.join(timeout=60)
    with pytest.raises(OrchestratorError, match="did not answer GET /health"), \
            served.client() as agent:
        agent.request("GET", "/health")


def test_a_redis_backend_gone_is_503_with_one_line_and_the_server_lives_on(
        tmp_path: Path) -> None:
    from pytest_orchestrator.context import open_backend

    with redis_server(tmp_path) as (url, redis):
        served = Served(open_backend(url))
        with served.client() as agent:
            agent.set("ops.level_v1", 1, who="ops")
            redis.kill()
            redis.wait()
            gone = [refusal(lambda: agent.set("ops.level_v1", 2, who="ops")),
                    refusal(lambda: agent.get("ops.level_v1"))]
    assert [r.status for r in gone] == [503, 503]
    assert "unreachable" in gone[0].message and "redis-server" in gone[0].hint
    assert served.raw("GET", "/health") == (200, {"status": "ok"})
    served.stop()


def test_the_python_client_refuses_a_value_json_cannot_carry_with_the_rules_hint(
        served_memory: Served) -> None:
    from datetime import date

    with served_memory.client() as agent, pytest.raises(ContextError) as caught:
        agent.set("ops.day_v1", date(2026, 12, 2), who="ops")
    assert caught.value.hint == "store value.isoformat() (a string)"
    assert served_memory.history() == []
