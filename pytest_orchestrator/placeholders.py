"""``${ROOTDIR}`` ``${DATA}`` ``${ARTIFACTS}`` ``${RUN_ID}`` ``${env:NAME}`` ``${param:NAME}``:
checked at collection, expanded at run time. Nothing else is expanded; nothing is evaluated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import StepError

PLACEHOLDER_RE = re.compile(r"\$\{([^}]*)\}")
PLAIN = ("ROOTDIR", "DATA", "ARTIFACTS", "RUN_ID")
PREFIXED = ("env", "param")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Expansion:
    """The values placeholders expand to for one step of one run."""

    rootdir: str
    data: str
    artifacts: str
    run_id: str
    environ: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)

    def expand(self, value: Any, where: str = "args") -> Any:
        """Expand every placeholder in the strings of ``value`` (recursively)."""
        if isinstance(value, str):
            return PLACEHOLDER_RE.sub(lambda m: self._one(m.group(1), where), value)
        if isinstance(value, list):
            return [self.expand(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.expand(v, f"{where}.{k}") for k, v in value.items()}
        return value

    def _one(self, body: str, where: str) -> str:
        plain = {"ROOTDIR": self.rootdir, "DATA": self.data, "ARTIFACTS": self.artifacts,
                 "RUN_ID": self.run_id}
        if body in plain:
            return plain[body]
        kind, _, name = body.partition(":")
        if kind == "env":
            if name not in self.environ:
                raise StepError(f"{where}: ${{env:{name}}} is not set",
                                hint=f"export {name} before running pytest")
            return self.environ[name]
        return str(self.params[name])


def problems(value: Any, params: Mapping[str, Any],
             path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    """Every placeholder in ``value`` that could never expand: (path inside value, message)."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(value, str):
        for match in PLACEHOLDER_RE.finditer(value):
            message = _problem(match.group(1), params)
            if message:
                found.append((path, message))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += problems(item, params, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            found += problems(item, params, (*path, key))
    return found


def _problem(body: str, params: Mapping[str, Any]) -> str:
    if body in PLAIN:
        return ""
    kind, sep, name = body.partition(":")
    if sep and kind in PREFIXED and NAME_RE.match(name):
        if kind == "param" and name not in params:
            known = ", ".join(params) or "none"
            return (f"${{param:{name}}} names no parametrize key (known: {known}); "
                    "add it under 'parametrize'")
        return ""
    return (f"unknown placeholder ${{{body}}}; use ${{ROOTDIR}}, ${{DATA}}, ${{ARTIFACTS}}, "
            "${RUN_ID}, ${env:NAME} or ${param:NAME}")
