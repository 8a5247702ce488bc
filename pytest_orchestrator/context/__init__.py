"""The Context: a JSON-safe, versioned, attributed key/value store shared by a recipe's steps.

A step works on a :class:`Context` view of its namespace: reads see the committed writes of
its DAG ancestors (or, for a live ``shared:`` namespace, everything committed), writes stay
pending until the step passes and :meth:`Context.commit` applies them in one transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
from typing import Any

from ..envelope import now_iso
from .backend import ContextBackend, open_backend
from .records import KeyState, WriteRecord
from .rules import (
    RESERVED_PREFIX,
    check_json_safe,
    check_key,
    check_shape,
    check_write,
    shape_of,
)

__all__ = ["Context", "ContextBackend", "KeyState", "WriteRecord", "open_backend"]

#: Values that need no copy: nothing can change them in place.
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})

#: Given the steps that committed a key, the ones this view sees, in DAG order (last wins).
WriterFilter = Callable[[Collection[str]], "list[str]"]


class Context:
    """One namespace as one step (or one test) sees it, plus that step's pending writes."""

    def __init__(self, backend: ContextBackend, namespace: str, *, run_id: str = "",
                 step: str = "", policy: str = "fail_on_conflict",
                 sees: WriterFilter | None = None) -> None:
        self.backend = backend
        self.namespace = namespace
        self.run_id = run_id
        self.step = step
        self.policy = policy
        self._sees = sees
        self._pending: dict[str, tuple[Any, str]] = {}
        self.committed: list[WriteRecord] = []  # what the last commit wrote

    def get(self, key: str, default: Any = None) -> Any:
        """The value this step sees for ``key`` (its own pending write first)."""
        if key in self._pending:
            return copy.deepcopy(self._pending[key][0])
        found, value = self._visible(key)
        return copy.deepcopy(value) if found else default

    def set(self, key: str, value: Any, who: str | None = None) -> None:
        """Stage a write; it is checked now and applied only if the step passes."""
        self._stage(check_key(key), value, who)

    def to_dict(self) -> dict[str, Any]:
        """Every key this step sees, as plain JSON data."""
        return copy.deepcopy(self.snapshot())

    def snapshot(self, *, runner: bool = True) -> dict[str, Any]:
        """What :meth:`to_dict` returns, without copying: for serializing at once.
        ``runner=False`` leaves out the runner's ``_runner.*`` records."""
        out = {}
        for key in sorted(set(self.backend.keys(self.namespace)) | set(self._pending)):
            if not runner and key.startswith(RESERVED_PREFIX):
                continue
            if key in self._pending:
                out[key] = self._pending[key][0]
                continue
            found, value = self._visible(key)
            if found:
                out[key] = value
        return out

    def written_since(self, position: int) -> tuple[int, list[tuple[str, Any]]]:
        """The values written to the namespace after ``position`` (0: from the start), as
        (key, value) without the runner's keys, and the position to ask from next time. A
        backend that cannot tell (no ``changes``) gives every key this view sees."""
        changes = getattr(self.backend, "changes", None)
        if changes is None:
            return 0, list(self.snapshot(runner=False).items())
        position, written = changes(self.namespace, position)
        return position, [(k, v) for k, v in written if not k.startswith(RESERVED_PREFIX)]

    def history(self, key: str | None = None) -> list[dict[str, Any]]:
        """Every committed write of the namespace (or of one key), oldest first."""
        return copy.deepcopy([r.as_dict() for r in self.backend.history(self.namespace, key)])

    def get_committed(self, key: str, default: Any = None) -> Any:
        """The value this view sees for ``key``, ignoring this step's pending write."""
        found, value = self._visible(key)
        return copy.deepcopy(value) if found else default

    @property
    def sees(self) -> WriterFilter | None:
        """Given the steps that committed a key, the ones this view sees (None: all)."""
        return self._sees

    @property
    def live(self) -> bool:
        """Whether this view sees every commit to its namespace (a ``shared:`` namespace, or a
        context outside a run) rather than only its DAG ancestors' writes."""
        return self._sees is None

    @property
    def pending(self) -> dict[str, Any]:
        """The writes staged by this step, not yet committed."""
        return {k: v for k, (v, _) in self._pending.items()}

    def commit(self) -> list[str]:
        """Apply the staged writes atomically; return the keys written."""
        if not self._pending:
            return []
        ts = now_iso()
        records = []
        for key, (value, who) in self._pending.items():
            state = self._head(key)
            before = state.value if state is not None else None
            records.append(WriteRecord(key, before, value, who, self.step, self.run_id, ts))
        self.backend.commit(self.namespace, records, self.policy)
        keys = list(self._pending)
        self._pending.clear()
        self.committed = records
        return keys

    def rollback(self) -> None:
        """Forget the staged writes: a failed step leaves nothing behind."""
        self._pending.clear()

    def set_runner(self, key: str, value: Any) -> None:
        """Stage a write to a reserved ``_runner.*`` key (the runner's own records): a value
        the runner made for this write alone, so it is not copied."""
        self._stage(check_key(key, runner=True), value, "runner", copied=True)

    def _stage(self, key: str, value: Any, who: str | None, copied: bool = False) -> None:
        check_json_safe(value, key)
        if not (copied or type(value) in _IMMUTABLE):
            value = copy.deepcopy(value)
        state = self._head(key)
        if state is not None:
            record = WriteRecord(key, state.value, value, who or self.step, self.step,
                                 self.run_id, "")
            check_write(self.namespace, state, record, self.policy)
        elif key in self._pending:
            check_shape(key, shape_of(self._pending[key][0]), value)
        self._pending[key] = (value, who or self.step or "user")

    def _head(self, key: str) -> KeyState | None:
        """The key's value, shape and last writer, its other writers perhaps left out: a
        backend may offer ``head`` to read less than ``state`` does."""
        head = getattr(self.backend, "head", None)
        return head(self.namespace, key) if head else self.backend.state(self.namespace, key)

    def _visible(self, key: str) -> tuple[bool, Any]:
        state = self.backend.state(self.namespace, key)
        if state is None:
            return False, None
        # a copy of the names: another thread's commit may add a writer meanwhile
        writers = list(state.writers)
        if self._sees is not None:
            writers = self._sees(writers)
        if key.startswith(RESERVED_PREFIX):  # the runner's keys: each step adds its own entries
            merged: dict[str, Any] = {}
            for writer in writers:
                merged.update(state.writers[writer])
            return bool(writers), merged
        if self._sees is None:
            return True, state.value
        if not writers:
            return False, None
        return True, state.writers[writers[-1]]

    def __repr__(self) -> str:
        return f"<Context {self.namespace!r} step={self.step!r} on {self.backend.url}>"
