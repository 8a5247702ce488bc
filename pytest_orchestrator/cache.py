"""Step caching (``cache_key``): a step's fingerprint, and its recorded result kept in pytest's
cache directory under ``orchestrator/steps/``, so ``--cache-clear`` empties it."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import pytest

from .context.rules import RESERVED_PREFIX
from .envelope import now_iso

if TYPE_CHECKING:
    from .recipe import Step
    from .scriptlet import BaseScriptlet

NAMESPACE = "orchestrator/steps"
#: Bump when the fingerprint or the stored entry changes meaning: old entries then miss.
FORMAT = 1
#: Files over this size are fingerprinted by size and mtime, not read.
MAX_HASHED_BYTES = 256 * 1024 * 1024
#: Longer strings are not taken for paths: no stat() of every blob an arg may hold.
MAX_PATH_CHARS = 4096
RUN_ID_TOKEN = "${RUN_ID}"

_CHUNK = 1024 * 1024
_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def fingerprint(*, code: bytes, args: Any, rootdir: Path, upstream: Mapping[str, Any],
                run_id: str = "", extra: str = "") -> str:
    """The sha256 (hex) of what a step's result depends on.

    ``code`` comes from :func:`code_of`; ``args`` are the step's args after placeholder
    expansion; ``upstream`` is the context the step sees before it runs (``_runner.*`` keys
    are left out: they hold timings). Every string in ``args`` and ``upstream`` that names an
    existing file (relative to ``rootdir``, or absolute) adds that file's bytes. ``run_id`` is
    written as ``${RUN_ID}`` wherever it appears, so ``${ARTIFACTS}`` paths, which hold it, are
    the same from one run to the next. Mapping order is irrelevant.
    """
    upstream = {k: v for k, v in upstream.items() if not k.startswith(RESERVED_PREFIX)}
    named = {*_strings(args), *_strings(upstream)}
    files = sorted([_stable(name, run_id), file_digest(path)]
                   for name, path in _existing_files(named, rootdir))
    digest = hashlib.sha256(f"pytest-orchestrator cache v{FORMAT}\0".encode())
    for label, payload in (("code", code), ("args", _canonical(args, run_id)),
                           ("files", _canonical(files, "")),
                           ("upstream", _canonical(upstream, run_id)),
                           ("extra", extra.encode())):
        digest.update(f"{label}:{len(payload)}\0".encode())
        digest.update(payload)
    return digest.hexdigest()


def code_of(step: Step, scriptlet: type[BaseScriptlet] | None, rootdir: Path, *,
            script: str | None = None) -> bytes:
    """What a step runs: for a Python step, the class and the source files of its module and
    of the modules of its base classes (a shared base such as ``NumbersStep`` is code too;
    ``BaseScriptlet`` is not); for shell/exec, the type and the script's bytes. ``script`` is
    the script path after placeholder expansion (default: ``step.script`` as written)."""
    if scriptlet is not None:
        lines = [f"python {scriptlet.__module__}:{scriptlet.__qualname__}"]
        lines += [f"{module} {file_digest(path)}" for module, path in _source_files(scriptlet)]
    else:
        relative = (step.script or "") if script is None else script
        lines = [f"{step.type} {relative}", file_digest(Path(rootdir, relative))]
    return "\n".join(lines).encode()


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file read in chunks; ``large:<size>:<mtime_ns>`` over the size
    limit; ``missing`` or ``unreadable`` rather than an error."""
    try:
        info = path.stat()
        if info.st_size > MAX_HASHED_BYTES:
            return f"large:{info.st_size}:{info.st_mtime_ns}"
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError):
        return "unreadable"
    return f"sha256:{digest.hexdigest()}"


def _source_files(cls: type) -> Iterator[tuple[str, Path]]:
    seen: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.partition(".")[0] in sys.stdlib_module_names:  # abc, builtins
            continue
        filename = getattr(sys.modules.get(klass.__module__), "__file__", None)
        if not filename or filename in seen or filename.startswith(_PACKAGE_DIR):
            continue
        seen.add(filename)
        yield klass.__module__, Path(filename)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _existing_files(names: set[str], rootdir: Path) -> Iterator[tuple[str, Path]]:
    """The strings that name a regular file (directories, FIFOs and devices are ignored)."""
    for name in names:
        if not name or len(name) > MAX_PATH_CHARS or "\n" in name or "\0" in name:
            continue
        path = Path(rootdir, name)  # an absolute name replaces rootdir
        try:
            if stat.S_ISREG(path.stat().st_mode):
                yield name, path
        except (OSError, ValueError):
            continue


def _stable(text: str, run_id: str) -> str:
    return text.replace(run_id, RUN_ID_TOKEN) if run_id else text


def _plain(value: Any, run_id: str) -> Any:
    if isinstance(value, str):
        return _stable(value, run_id)
    if isinstance(value, Mapping):
        return {_stable(str(k), run_id): _plain(v, run_id) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, run_id) for v in value]
    return value


def _canonical(value: Any, run_id: str) -> bytes:
    return json.dumps(_plain(value, run_id), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=repr).encode()


class _Entry(TypedDict):
    """A cache entry as pytest stores it (JSON)."""

    format: int
    writes: dict[str, Any]
    envelope: dict[str, Any]
    recorded_at: str
    run_id: str


@dataclass(frozen=True, slots=True)
class CachedResult:
    """What a cache hit restores: the step's context writes and its envelope."""

    writes: dict[str, Any]
    envelope: dict[str, Any]
    recorded_at: str = field(default_factory=now_iso)
    run_id: str = ""


class StepCache:
    """Recorded step results in pytest's cache; ``StepCache(None)`` is caching switched off
    (``-p no:cacheprovider``): every lookup misses and nothing is stored."""

    def __init__(self, cache: pytest.Cache | None) -> None:
        self.cache = cache

    @classmethod
    def for_config(cls, config: pytest.Config) -> StepCache:
        return cls(getattr(config, "cache", None))

    @property
    def enabled(self) -> bool:
        return self.cache is not None

    def key(self, test_id: str, step: Step, fp: str = "") -> str:
        """The entry of ``step`` in recipe ``test_id``: ``fp`` (from :func:`fingerprint`) for
        ``cache_key: auto``; a string ``cache_key`` is used as given and ``fp`` is ignored."""
        if step.cache_key is None:
            raise ValueError(f"step '{step.name}' has no cache_key")
        if step.cache_key == "auto":
            if not fp:
                raise ValueError(f"step '{step.name}' has cache_key: auto; give its fingerprint")
            entry = f"fp-{fp}"
        else:
            entry = f"key-{_component(step.cache_key)}"
        return f"{NAMESPACE}/{_component(test_id)}/{_component(step.name)}/{entry}"

    def get(self, key: str) -> CachedResult | None:
        """The recorded result, or None (no entry, caching off, an unreadable or old entry)."""
        if self.cache is None:
            return None
        entry = self.cache.get(key, None)
        if not (isinstance(entry, dict) and entry.get("format") == FORMAT
                and isinstance(entry.get("writes"), dict)
                and isinstance(entry.get("envelope"), dict)):
            return None
        return CachedResult(writes=entry["writes"], envelope=entry["envelope"],
                            recorded_at=str(entry.get("recorded_at", "")),
                            run_id=str(entry.get("run_id", "")))

    def put(self, key: str, result: CachedResult) -> None:
        """Record a passed step's result; ``_runner.*`` writes are the runner's, not kept."""
        if self.cache is None:
            return
        if result.envelope.get("status") != "ok":
            raise ValueError("only a passed step is cached; its envelope's status is "
                             f"{result.envelope.get('status')!r}")
        entry: _Entry = {"format": FORMAT, "recorded_at": result.recorded_at,
                         "run_id": result.run_id, "envelope": result.envelope,
                         "writes": {k: v for k, v in result.writes.items()
                                    if not k.startswith(RESERVED_PREFIX)}}
        self.cache.set(key, entry)


def _component(name: str) -> str:
    """``name`` as one safe path segment; a name that had to be changed gets a short hash so
    that ``a b`` and ``a_b`` stay apart."""
    safe = _UNSAFE.sub("_", name)[:80]
    if safe == name and not name.startswith("."):
        return name
    return f"{safe.lstrip('.') or '_'}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
