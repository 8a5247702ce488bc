"""The default context backend: dictionaries in this process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .records import KeyState, WriteRecord
from .rules import check_write, shape_of


class MemoryBackend:
    """One process, many threads: a lock makes each step's commit atomic."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._data: dict[str, dict[str, KeyState]] = {}
        self._history: dict[str, list[WriteRecord]] = {}
        self._lock = threading.Lock()

    def state(self, namespace: str, key: str) -> KeyState | None:
        return self._data.get(namespace, {}).get(key)

    def keys(self, namespace: str) -> list[str]:
        return list(self._data.get(namespace, {}))

    def commit(self, namespace: str, records: Sequence[WriteRecord], policy: str) -> None:
        with self._lock:
            space = self._data.setdefault(namespace, {})
            check_records(namespace, space.get, records, policy)
            for record in records:  # all accepted: now each key's state changes in place
                space[record.key] = _applied(space.get(record.key), record)
            self._history.setdefault(namespace, []).extend(records)

    def head(self, namespace: str, key: str) -> KeyState | None:
        """The key's state (here, writers included: it costs nothing)."""
        return self.state(namespace, key)

    def load(self, namespace: str, values: Mapping[str, Any], writer: str) -> None:
        """Set keys as if ``writer`` had written them, without rules or history: a copy of
        what another process's context shows (the step server's)."""
        with self._lock:
            space = self._data.setdefault(namespace, {})
            for key, value in values.items():
                space[key] = KeyState(value, shape_of(value), writer, {writer: value})

    def forget(self, namespace: str, keys: Iterable[str]) -> None:
        """Remove keys, without history (the counterpart of :meth:`load`)."""
        with self._lock:
            space = self._data.get(namespace, {})
            for key in keys:
                space.pop(key, None)

    def history(self, namespace: str, key: str | None = None) -> list[WriteRecord]:
        records = self._history.get(namespace, [])
        return [r for r in records if key is None or r.key == key]

    def since(self, namespace: str, position: int) -> tuple[int, list[WriteRecord]]:
        """The records committed to ``namespace`` after ``position`` (0: all), and the
        position to ask from next time: what changed, without reading every key."""
        records = self._history.get(namespace, [])
        end = len(records)
        return end, records[position:end]

    def namespaces(self) -> list[str]:
        return list(self._data)

    def close(self) -> None:
        """Nothing to release."""


def check_records(namespace: str, current: Callable[[str], KeyState | None],
                  records: Sequence[WriteRecord], policy: str) -> None:
    """Check each record on top of the one before it (of the same key), changing nothing:
    raises ContextError at the first one refused."""
    heads: dict[str, KeyState | None] = {}
    for record in records:
        state = heads[record.key] if record.key in heads else current(record.key)
        check_write(namespace, state, record, policy)
        heads[record.key] = KeyState(record.after, state.shape if state else
                                     shape_of(record.after), record.step, {})


def _applied(current: KeyState | None, record: WriteRecord) -> KeyState:
    """``current`` with ``record`` applied, changed in place (its writers too: O(1), however
    many steps wrote the key before), or a new state for a new key."""
    value = record.after  # a private copy: Context staged it with deepcopy
    if current is None:
        return KeyState(value, shape_of(value), record.step, {record.step: value})
    current.writers[record.step] = value
    current.value, current.last_step = value, record.step
    return current
