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


#: ``scheme://user:password@host``: the password part of any URL.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)@")


def hide_url_password(text: str) -> str:
    """``text`` with the password of every URL in it shown as ***."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)


class Redactor:
    """Replaces secret values by ***: values of args, parametrize parameters, environment
    variables and context keys whose names look secret, argv values after a secret-named
    flag, URL passwords; and every later appearance of a value once known as a secret."""

    def __init__(self, patterns: Sequence[str] = DEFAULT_SECRET_PATTERNS,
                 environ: Mapping[str, str] | None = None) -> None:
        self._name_re = re.compile("|".join(re.escape(p) for p in patterns), re.IGNORECASE) \
            if patterns else None
        self._secrets: set[str] = set()
        self._ordered: list[str] | None = []
        env = os.environ if environ is None else environ
        for name, value in env.items():
            if self.is_secret_name(name):
                self.add(value)
            self.add_url(value)

    def is_secret_name(self, name: str) -> bool:
        return bool(self._name_re and self._name_re.search(name))

    @property
    def secrets(self) -> frozenset[str]:
        """The secret values known so far (to hand to another process)."""
        return frozenset(self._secrets)

    def add(self, value: str) -> None:
        if len(value) >= 3 and value not in self._secrets:
            self._secrets.add(value)
            self._ordered = None

    def add_url(self, text: str) -> None:
        """Remember the passwords of the URLs in ``text``."""
        if "://" in text:
            for match in _URL_PASSWORD.finditer(text):
                self.add(match.group(2))

    def add_args(self, args: Any, secret: bool = False) -> None:
        """Remember the secret values in ``args`` (any JSON value, any depth): every scalar
        under a secret-looking name, every argv item after a secret-looking flag
        (``--password x``, ``--password=x``), every URL password."""
        if isinstance(args, dict):
            for name, value in args.items():
                self.add_args(value, secret or self.is_secret_name(str(name)))
        elif isinstance(args, list):
            flagged = False
            for item in args:
                if isinstance(item, str) and item.startswith("-") and not secret:
                    flag, eq, value = item.partition("=")
                    flagged = self.is_secret_name(flag)
                    if flagged and eq:
                        self.add(value)
                        flagged = False
                    continue
                self.add_args(item, secret or flagged)
                flagged = False
        elif isinstance(args, (str, int, float)) and not isinstance(args, bool):
            if secret:
                self.add(str(args))
            elif isinstance(args, str):
                self.add_url(args)

    def text(self, text: str) -> str:
        """``text`` with every known secret value and every URL password replaced by ***."""
        if self._ordered is None:
            self._ordered = sorted(self._secrets, key=len, reverse=True)
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return hide_url_password(text) if "://" in text else text

    def value(self, value: Any, name: str = "") -> Any:
        """A copy of a JSON value with secret values masked: everything under a secret-looking
        name, and in a context record (``{"key": ..., "value"/"before"/"after": ...}``) of a
        secret-looking key, its values."""
        if name and self.is_secret_name(name):
            return self._masked(value)
        if isinstance(value, dict):
            key = value.get("key")
            hidden = isinstance(key, str) and self.is_secret_name(key)
            return {k: self._masked(v) if hidden and k in _RECORD_VALUES
                    else self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _masked(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._masked(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._masked(v) for v in value]
        return MASK if value is not None else None


#: The fields of a context record that hold the key's value.
_RECORD_VALUES = frozenset({"value", "before", "after"})


def holds_mask(value: Any) -> bool:
    """Whether a stored JSON value had a secret masked in it (it cannot be restored)."""
    if isinstance(value, dict):
        return any(holds_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_mask(v) for v in value)
    return isinstance(value, str) and MASK in value
