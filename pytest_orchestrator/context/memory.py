"""The default context backend: dictionaries in this process."""

from __future__ import annotations

import threading
from collections.abc import Sequence

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
            staged: dict[str, KeyState] = {}
            for record in records:
                current = staged.get(record.key) or space.get(record.key)
                check_write(namespace, current, record, policy)
                staged[record.key] = _applied(current, record)
            space.update(staged)
            self._history.setdefault(namespace, []).extend(records)

    def history(self, namespace: str, key: str | None = None) -> list[WriteRecord]:
        records = self._history.get(namespace, [])
        return [r for r in records if key is None or r.key == key]

    def namespaces(self) -> list[str]:
        return list(self._data)

    def close(self) -> None:
        """Nothing to release."""


def _applied(current: KeyState | None, record: WriteRecord) -> KeyState:
    value = record.after  # a private copy: Context staged it with deepcopy
    if current is None:
        return KeyState(value, shape_of(value), record.step, {record.step: value})
    writers = dict(current.writers)
    writers[record.step] = value
    return KeyState(value, current.shape, record.step, writers)
