"""The ``redis://host:port/db`` context backend: a context shared by processes on many hosts.

Needs redis-py (``pip install pytest-orchestrator[redis]``). A namespace lives under
``{prefix}:{namespace}:...`` (prefix ``orch:ctx`` unless the URL says ``?prefix=...``; the
braces are a Redis Cluster hash tag, so one namespace's keys share a slot):

* ``...:version``: bumped by every commit to the namespace,
* ``...:state``: a hash, key -> JSON ``{value, shape, last_step, writers: [[step, value]...]}``,
* ``...:keys``: a list of the namespace's keys in first-commit order,
* ``...:history``: a list of JSON write records, oldest first;

plus ``{prefix}:namespaces``, a sorted set of the namespaces by first commit time.

A commit is optimistic: WATCH the version key, read the current states of the keys it writes
(one HMGET), run :func:`~.rules.check_write` here, then MULTI/EXEC the new states, the history
records and the version bump. If another process committed to the namespace in between, EXEC
fails (WatchError) and the commit starts again from fresh reads, a bounded number of times. So
the conflict policy and the shape lock hold across processes and hosts, and a commit applies
every record or none.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ContextError, ContextUnavailable, OrchestratorError
from .memory import _applied
from .records import KeyState, WriteRecord
from .rules import check_write

if TYPE_CHECKING:
    import redis

DEFAULT_PREFIX = "orch:ctx"
#: Commits retried after losing a race before giving up (each race means another commit won).
MAX_ATTEMPTS = 200


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def split_url(url: str) -> tuple[str, str]:
    """The URL redis-py understands, and our key prefix (``?prefix=...``, taken out)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = DEFAULT_PREFIX
    rest = []
    for name, value in query:
        if name == "prefix":
            prefix = value
        else:
            rest.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(rest))), prefix


def shown_url(url: str) -> str:
    """``url`` with its password (``redis://:PASSWORD@host``) shown as ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:" if parts.username else ":"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}***@{host}"))


class RedisBackend:
    """The context in a Redis database; each process has its own connection pool (redis-py
    makes a new one after a fork)."""

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError as exc:
            raise OrchestratorError(
                f"the Redis context backend ({url}) needs the redis package",
                hint="pip install pytest-orchestrator[redis]") from exc
        self.url = url
        server_url, self.prefix = split_url(url)
        self._redis = redis
        self.client: redis.Redis = redis.Redis.from_url(server_url, decode_responses=True)
        try:
            self.client.ping()
        except redis.RedisError as exc:
            self.client.close()
            raise ContextError(f"cannot reach the Redis context at {shown_url(url)}: {exc}",
                               hint="start redis-server there, or choose another "
                                    "--orch-context") from None

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        """A server that went away (killed, restarted, network down) mid-run fails the step
        that needed it with one line, not the client library's traceback."""
        try:
            yield
        except (self._redis.ConnectionError, self._redis.TimeoutError) as exc:
            raise ContextUnavailable(f"context backend {shown_url(self.url)} unreachable: {exc}",
                               hint="check that redis-server is running and reachable, then "
                                    "run again") from None

    def _key(self, namespace: str, part: str) -> str:
        return f"{self.prefix}:{{{namespace}}}:{part}"

    # --- the protocol -------------------------------------------------------------------

    def state(self, namespace: str, key: str) -> KeyState | None:
        with self._reachable():
            raw = self.client.hget(self._key(namespace, "state"), key)
        return None if raw is None else _state(raw)

    def keys(self, namespace: str) -> list[str]:
        with self._reachable():
            return [str(k) for k in self.client.lrange(self._key(namespace, "keys"), 0, -1)]

    def commit(self, namespace: str, records: Sequence[WriteRecord], policy: str) -> None:
        if not records:
            return
        with self._reachable():
            self._commit(namespace, records, policy)

    def _commit(self, namespace: str, records: Sequence[WriteRecord], policy: str) -> None:
        version = self._key(namespace, "version")
        unique = list(dict.fromkeys(r.key for r in records))
        for attempt in range(MAX_ATTEMPTS):
            with self.client.pipeline() as pipe:
                try:
                    pipe.watch(version)  # type: ignore[no-untyped-call]
                    raw = pipe.hmget(self._key(namespace, "state"), unique)
                    current = {k: None if v is None else _state(v)
                               for k, v in zip(unique, raw, strict=True)}
                    staged = _staged(namespace, current, records, policy)
                    pipe.multi()
                    self._write(pipe, namespace, current, staged, records)
                    pipe.execute()
                    return
                except self._redis.WatchError:
                    time.sleep(random.uniform(0, 0.001 * min(attempt + 1, 20)))
        raise ContextError(
            f"could not commit to '{namespace}' on {shown_url(self.url)}: other processes "
            f"committed first {MAX_ATTEMPTS} times in a row",
            hint="fewer steps writing one shared namespace at once")

    def history(self, namespace: str, key: str | None = None) -> list[WriteRecord]:
        with self._reachable():
            raw = self.client.lrange(self._key(namespace, "history"), 0, -1)
        records = [WriteRecord(**json.loads(item)) for item in raw]
        return [r for r in records if key is None or r.key == key]

    def changes(self, namespace: str, since: int) -> tuple[int, list[tuple[str, Any]]]:
        """The writes committed after position ``since`` (0: all), as (key, value), and the
        position to ask from next time."""
        with self._reachable():
            raw = self.client.lrange(self._key(namespace, "history"), since, -1)
        records = [json.loads(item) for item in raw]
        return since + len(records), [(r["key"], r["after"]) for r in records]

    def namespaces(self) -> list[str]:
        with self._reachable():
            return [str(n) for n in self.client.zrange(f"{self.prefix}:namespaces", 0, -1)]

    def close(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"<RedisBackend {shown_url(self.url)}>"

    # --- inside ------------------------------------------------------------------------

    def _write(self, pipe: redis.client.Pipeline, namespace: str,
               current: dict[str, KeyState | None], staged: dict[str, KeyState],
               records: Sequence[WriteRecord]) -> None:
        pipe.hset(self._key(namespace, "state"), mapping={
            key: _dumps({"value": s.value, "shape": s.shape, "last_step": s.last_step,
                         "writers": list(s.writers.items())})
            for key, s in staged.items()})
        new = [key for key in staged if current[key] is None]
        if new:
            pipe.rpush(self._key(namespace, "keys"), *new)
        pipe.rpush(self._key(namespace, "history"), *(_dumps(r.as_dict()) for r in records))
        pipe.incr(self._key(namespace, "version"))
        pipe.zadd(f"{self.prefix}:namespaces", {namespace: time.time()}, nx=True)


def _staged(namespace: str, current: dict[str, KeyState | None],
            records: Sequence[WriteRecord], policy: str) -> dict[str, KeyState]:
    """The new states of the keys, each record checked on top of the one before."""
    staged: dict[str, KeyState] = {}
    for record in records:
        state = staged[record.key] if record.key in staged else current[record.key]
        check_write(namespace, state, record, policy)
        staged[record.key] = _applied(state, record)
    return staged


def _state(raw: str | bytes) -> KeyState:
    data = json.loads(raw)
    return KeyState(data["value"], data["shape"], data["last_step"],
                    {step: value for step, value in data["writers"]})
