"""The rules every context write obeys, whatever the backend: key names, JSON-safety, shapes,
conflicts. Backends call :func:`check_write` inside their own atomic commit."""

from __future__ import annotations

import math
import os
import re
from typing import Any

from ..errors import ContextError
from .records import KeyState, WriteRecord

KEY_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\.[A-Za-z_]\w*_v[0-9]+$", re.ASCII)
RESERVED_PREFIX = "_runner."
POLICIES = ("fail_on_conflict", "last_write_wins")

_HINTS = {
    "datetime": "store value.isoformat() (a string)",
    "date": "store value.isoformat() (a string)",
    "time": "store value.isoformat() (a string)",
    "timedelta": "store value.total_seconds() (a number)",
    "Decimal": "store float(value) or str(value)",
    "set": "store sorted(value) (a list)",
    "frozenset": "store sorted(value) (a list)",
    "tuple": "store list(value)",
    "bytes": "store value.decode() or base64 text",
    "bytearray": "store base64 text",
    "ndarray": "store value.tolist()",
    "UUID": "store str(value)",
}
_SCALARS = (str, int, bool, type(None))


def check_key(key: object, *, runner: bool = False) -> str:
    """Return ``key`` if it is a valid context key name, else raise ContextError."""
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        raise ContextError(f"bad context key {key!r}",
                           hint="keys look like 'namespace.entity_vN', e.g. 'numbers.stats_v1'")
    if key.startswith(RESERVED_PREFIX) and not runner:
        raise ContextError(f"key {key!r} uses the reserved prefix '{RESERVED_PREFIX}'",
                           hint="only the runner writes '_runner.*' keys; pick another namespace")
    return key


def check_json_safe(value: Any, where: str) -> None:
    """Refuse anything that is not plain JSON, with a hint on how to convert it."""
    kind = type(value)
    if kind in _SCALARS:
        return
    if kind is float:
        if not math.isfinite(value):
            raise ContextError(f"{where}: {value!r} is not JSON-safe",
                               hint="store None or a string such as 'nan' instead")
        return
    if kind is list:
        for i, item in enumerate(value):
            check_json_safe(item, f"{where}[{i}]")
        return
    if kind is dict:
        for k, item in value.items():
            if type(k) is not str:
                raise ContextError(f"{where}: dict key {k!r} is {_a(type(k).__name__)}",
                                   hint="JSON objects have string keys: use str(key)")
            check_json_safe(item, f"{where}.{k}")
        return
    name = kind.__name__
    hint = _HINTS.get(name)
    if hint is None and kind.__module__ == "numpy":
        hint = "store value.item() or value.tolist()"
    if hint is None and isinstance(value, os.PathLike):
        hint = "store str(value) (a string)"
    if kind.__module__ != "builtins":
        name = f"{kind.__module__}.{name}"
    raise ContextError(f"{where}: {_a(name)} is not JSON-safe",
                       hint=hint or "store only None, bool, int, float, str, list and dict")


def shape_of(value: Any) -> Any:
    """The JSON shape of a value: the types of its fields, recursively for objects."""
    if isinstance(value, dict):
        return {k: shape_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


def check_shape(key: str, locked: Any, value: Any) -> None:
    """A versioned key keeps the shape of its first write."""
    if locked is None:
        return
    new = shape_of(value)
    if new != locked:
        raise ContextError(
            f"{key} changes shape: first written as {_describe(locked)}, now {_describe(new)}",
            hint=f"versioned keys keep their shape; create {_next_version(key)} instead")


def check_write(namespace: str, state: KeyState | None, record: WriteRecord, policy: str) -> None:
    """Raise ContextError if ``record`` may not be applied on top of ``state``."""
    if state is None or record.key.startswith(RESERVED_PREFIX):
        return  # the runner's keys hold one entry per step, each written by its own step
    check_shape(record.key, state.shape, record.after)
    if (policy == "fail_on_conflict" and state.last_step != record.step
            and state.value != record.after):
        raise ContextError(
            f"{record.key} in '{namespace}' was set to {_short(state.value)} by step "
            f"'{state.last_step}'; step '{record.step}' writes {_short(record.after)}",
            hint="write a new key, or declare 'conflict: last_write_wins' in the recipe")


def _a(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _describe(shape: Any) -> str:
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_describe(v)}" for k, v in shape.items()) + "}"
    return str(shape)


def _next_version(key: str) -> str:
    stem, _, number = key.rpartition("_v")
    return f"{stem}_v{int(number) + 1}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
