"""Safety rules: allow-listed scriptlet packages (checked before any import), scripts only inside
the project, and redaction of secrets in everything we print."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_PACKAGES = ("scriptlets",)
DEFAULT_SECRET_PATTERNS = ("password", "passwd", "secret", "token", "api_key", "credential")
MASK = "***"


def module_allowed(module: str, packages: Iterable[str]) -> bool:
    """True when ``module`` is one of the allowed packages or inside one."""
    return any(module == pkg or module.startswith(pkg + ".") for pkg in packages)


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` (resolved, links followed) lies under ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def script_problem(root: Path, script: str) -> tuple[str, str] | None:
    """Why ``script`` cannot run as a step (outside the project, missing), or None."""
    path = Path(root, script)
    if not inside(path, root):
        return (f"'{script}' is outside the project ({root})",
                "copy the script into the project and name it by a path relative to the rootdir")
    if not path.is_file():
        return f"'{script}' does not exist", "paths are relative to the rootdir"
    return None


class Redactor:
    """Replaces secret values (args and environment variables whose names look secret) by ***."""

    def __init__(self, patterns: Sequence[str] = DEFAULT_SECRET_PATTERNS,
                 environ: Mapping[str, str] | None = None) -> None:
        self._name_re = re.compile("|".join(re.escape(p) for p in patterns), re.IGNORECASE) \
            if patterns else None
        self._secrets: set[str] = set()
        env = os.environ if environ is None else environ
        for name, value in env.items():
            if self.is_secret_name(name):
                self.add(value)

    def is_secret_name(self, name: str) -> bool:
        return bool(self._name_re and self._name_re.search(name))

    def add(self, value: str) -> None:
        if len(value) >= 3:
            self._secrets.add(value)

    def add_args(self, args: Any) -> None:
        """Remember the values of secret-looking args (in a mapping, at any depth)."""
        if isinstance(args, dict):
            for name, value in args.items():
                if self.is_secret_name(str(name)) and isinstance(value, (str, int, float)):
                    self.add(str(value))
                else:
                    self.add_args(value)
        elif isinstance(args, list):
            for item in args:
                self.add_args(item)

    def text(self, text: str) -> str:
        """``text`` with every known secret value replaced by ***."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def value(self, value: Any, name: str = "") -> Any:
        """A copy of a JSON value with secret-named fields and secret values masked."""
        if name and self.is_secret_name(name) and not isinstance(value, (dict, list)):
            return MASK
        if isinstance(value, dict):
            return {k: self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
