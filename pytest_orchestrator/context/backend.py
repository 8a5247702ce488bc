"""The small interface every context backend implements, and opening one by URL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..errors import ContextError
from .records import KeyState, WriteRecord


class ContextBackend(Protocol):
    """Stores namespaces of keys with their history. ``commit`` is atomic: it applies every
    record of one step after :func:`~.rules.check_write` accepted each, or none of them."""

    url: str

    def state(self, namespace: str, key: str) -> KeyState | None: ...

    def keys(self, namespace: str) -> list[str]: ...

    def commit(self, namespace: str, records: Sequence[WriteRecord], policy: str) -> None: ...

    def history(self, namespace: str, key: str | None = None) -> list[WriteRecord]: ...

    def namespaces(self) -> list[str]: ...

    def close(self) -> None: ...


def open_backend(url: str) -> ContextBackend:
    """Open the backend a URL names; the pytest plugin goes through the hook instead."""
    if url == "memory://" or url.startswith("memory:"):
        from .memory import MemoryBackend

        return MemoryBackend(url)
    if url.startswith("sqlite:"):
        from .sqlite_backend import SQLiteBackend

        return SQLiteBackend(url)
    if url.startswith(("redis:", "rediss:", "unix:")):
        from .redis_backend import RedisBackend

        return RedisBackend(url)
    scheme = url.split(":", 1)[0]
    raise ContextError(f"no context backend for {url!r} (scheme '{scheme}')",
                       hint="use memory://, sqlite:///path.db or redis://host:port/db, or "
                            "install a plugin implementing pytest_orchestrator_context_backend "
                            "for this scheme")
