"""What a context server does with one namespace, without HTTP: reads, history, and writes that
obey every context rule exactly as a step's do (:mod:`pytest_orchestrator.context.rules`)."""

from __future__ import annotations

from typing import Any

from ..context import Context, ContextBackend
from ..context.rules import check_json_safe, check_key
from ..errors import ContextError, ContextUnavailable

#: The longest ``who`` a write may give (it is stored with every history row).
MAX_WHO = 200


class Refused(Exception):
    """A request the server turns down: the HTTP status, the reason and what to do."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint

    def as_json(self) -> dict[str, str]:
        return {"error": self.message, "hint": self.hint}

    @classmethod
    def from_error(cls, status: int, exc: ContextError) -> Refused:
        return cls(status, exc.message, exc.hint)


class ServedNamespace:
    """One namespace of a backend as the server shows it. An agent's writes are committed at
    once, each as its own step named by ``who``: the conflict policy tells agents apart by it."""

    def __init__(self, backend: ContextBackend, namespace: str, *,
                 policy: str = "fail_on_conflict", run_id: str = "",
                 conflict_hint: str = "") -> None:
        self.backend = backend
        self.namespace = namespace
        self.policy = policy
        self.run_id = run_id
        self.conflict_hint = conflict_hint  # how this server's policy is changed, if not
        self.writes = 0                     # by the recipe the rules' own hint names

    def read(self, key: str) -> Any:
        """The value of ``key``; Refused(404) when it was never written."""
        missing = object()
        value = self._view().get(_key(key, read=True), missing)
        if value is missing:
            raise Refused(404, f"no key {key!r} in namespace {self.namespace!r}",
                          hint="GET /context lists the keys that are set")
        return value

    def values(self) -> dict[str, Any]:
        """Every key of the namespace and its value."""
        return self._view().to_dict()

    def history(self, key: str | None = None) -> list[dict[str, Any]]:
        """Every committed write (of one key), oldest first."""
        return self._view().history(None if key is None else _key(key, read=True))

    def write(self, key: str, value: Any, who: Any) -> dict[str, Any]:
        """Commit one write by agent ``who``; return its history record. Refused(422) for a bad
        key, value or who, Refused(409) for a write the key's state forbids (shape, conflict)."""
        _key(key)
        try:
            check_json_safe(value, key)
        except ContextError as exc:
            raise Refused.from_error(422, exc) from None
        ctx = Context(self.backend, self.namespace, run_id=self.run_id, step=_who(who),
                      policy=self.policy)
        try:
            ctx.set(key, value, who=ctx.step)
            ctx.commit()
        except ContextUnavailable:
            raise  # the backend is gone: 503, see server.app
        except ContextError as exc:
            refused = Refused.from_error(409, exc)
            if self.conflict_hint and "last_write_wins" in exc.hint:
                refused.hint = self.conflict_hint
            raise refused from None
        self.writes += 1
        return ctx.committed[0].as_dict()

    def _view(self) -> Context:
        return Context(self.backend, self.namespace, run_id=self.run_id)


def _key(key: str, *, read: bool = False) -> str:
    try:
        return check_key(key, runner=read)  # the runner's keys may be read, never written
    except ContextError as exc:
        raise Refused.from_error(422, exc) from None


def _who(who: Any) -> str:
    if not isinstance(who, str) or not who.strip():
        raise Refused(422, "a write needs 'who': the name of the agent writing",
                      hint='send {"value": ..., "who": "ops-client"}')
    if len(who) > MAX_WHO or not who.isprintable():
        raise Refused(422, f"'who' must be printable text of at most {MAX_WHO} characters")
    return who.strip()
