"""Turn a scriptlet's stdout into an Envelope, or say precisely what was wrong with it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .errors import EnvelopeError

#: Stdout larger than this is refused: big data belongs in an artifact file.
MAX_STDOUT_BYTES = 1024 * 1024
#: How deep an envelope's lists and objects may nest.
MAX_DEPTH = 64

_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "outputs": (list,),
    "artifacts": (list,),
    "metrics": (dict,),
    "warnings": (list,),
    "reason": (str,),
    "details": (dict,),
    "exit_code": (int,),
    "step": (str,),
    "ts": (str,),
    "set": (dict,),
}

_JSON_NAMES: dict[type, str] = {list: "a list", dict: "an object", int: "an integer",
                                str: "a string", float: "a number", bool: "a boolean"}


@dataclass(frozen=True)
class Envelope:
    """One scriptlet result: ``status`` is ``ok`` or ``error``; ``raw`` is the parsed JSON."""

    status: str
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def reason(self) -> str:
        return str(self.raw.get("reason", ""))

    @property
    def exit_code(self) -> int:
        code = self.raw.get("exit_code", 0 if self.ok else 1)
        return int(code)

    @property
    def details(self) -> dict[str, Any]:
        return dict(self.raw.get("details") or {})

    @property
    def sets(self) -> dict[str, Any]:
        return dict(self.raw.get("set") or {})

    @property
    def artifacts(self) -> list[str]:
        return [str(a) for a in self.raw.get("artifacts") or []]


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ok_envelope(outputs: list[str], **extra: Any) -> dict[str, Any]:
    """The success envelope as a dict, ready for ``json.dumps``."""
    env: dict[str, Any] = {"status": "ok", "outputs": outputs, "artifacts": [], "metrics": {},
                           "warnings": []}
    env.update(extra)
    return env


def error_envelope(reason: str, *, step: str = "", exit_code: int = 1,
                   details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error envelope as a dict, ready for ``json.dumps``."""
    return {"status": "error", "reason": reason, "details": details or {},
            "exit_code": exit_code, "step": step, "ts": now_iso()}


def check_size(nbytes: int) -> None:
    """Refuse stdout over the envelope limit: big data belongs in an artifact file."""
    if nbytes > MAX_STDOUT_BYTES:
        raise EnvelopeError(
            f"stdout was {nbytes / 1e6:.1f} MB, over the {MAX_STDOUT_BYTES // 1024} KiB "
            "envelope limit",
            hint="write large data to a file under $ORCH_ARTIFACTS and list its path in "
                 "'artifacts'")


def parse_envelope(stdout: str) -> Envelope:
    """Parse stdout that must hold exactly one JSON envelope line."""
    if len(stdout) > MAX_STDOUT_BYTES // 4:
        check_size(len(stdout.encode("utf-8", "replace")))
    lines = [line for line in stdout.split("\n") if line.strip()]
    if not lines:
        raise EnvelopeError("printed no envelope on stdout",
                            hint="print exactly one JSON line such as {\"status\": \"ok\"}")
    if len(lines) > 1:
        raise EnvelopeError(
            f"printed {len(lines)} lines on stdout, expected exactly one JSON envelope line "
            f"(first: {_clip(lines[0])!r}, second: {_clip(lines[1])!r})",
            hint="send human logs to stderr")
    return _check(lines[0])


def _check(line: str) -> Envelope:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EnvelopeError(f"stdout is not JSON ({exc.msg} at column {exc.colno}): "
                            f"{_clip(line)!r}", hint="print the envelope with json.dumps") from None
    except RecursionError:
        raise EnvelopeError(f"the envelope nests lists or objects too deeply: {_clip(line)!r}",
                            hint="keep deep data in an artifact file") from None
    if not isinstance(raw, dict):
        raise EnvelopeError(f"the envelope must be a JSON object, got {type(raw).__name__}: "
                            f"{_clip(line)!r}")
    status = raw.get("status")
    if status is None:
        raise EnvelopeError(f"the envelope has no 'status': {_clip(line)!r}",
                            hint="add \"status\": \"ok\" or \"status\": \"error\"")
    if status not in ("ok", "error"):
        raise EnvelopeError(f"the envelope's status must be 'ok' or 'error', got {status!r}")
    for name, types in _FIELD_TYPES.items():
        value = raw.get(name)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            want = " or ".join(_JSON_NAMES[t] for t in types)
            raise EnvelopeError(f"the envelope's '{name}' must be {want}, "
                                f"got {_JSON_NAMES.get(type(value), type(value).__name__)}: "
                                f"{_clip(json.dumps(value))}")
    problem = _unstorable(raw)
    if problem:
        raise EnvelopeError(problem[0], hint=problem[1])
    return Envelope(status=status, raw=raw)


def _unstorable(raw: dict[str, Any]) -> tuple[str, str] | None:
    """What in the envelope no JSON store can hold, as (message, hint): a NaN or infinite
    number, an integer too large for a float, nesting past :data:`MAX_DEPTH`; None if none."""
    stack: list[tuple[str, Any, int]] = [("", raw, 0)]
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return (f"the envelope nests lists or objects more than {MAX_DEPTH} deep "
                    f"(at '{_clip(where, 60)}')", "keep deep data in an artifact file")
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v, depth + 1)
                         for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v, depth + 1) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            return (f"the envelope's '{_clip(where)}' is {json.dumps(value)}, not a finite number",
                    "JSON has no NaN or Infinity: report a number, or null")
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1023:
            return (f"the envelope's '{_clip(where)}' is an integer too large for a number "
                    f"({value.bit_length():,} bits)", "report it as text")
    return None


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
