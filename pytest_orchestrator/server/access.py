"""Who may use a context server: a bearer token (generated, or ``ORCH_CONTEXT_TOKEN``) compared
in constant time, kept in a 0600 file, and loopback addresses unless told otherwise."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from pathlib import Path

from ..errors import OrchestratorError

#: The environment variable that gives a server its token, and a client the token to send.
TOKEN_ENV = "ORCH_CONTEXT_TOKEN"


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def token_matches(header: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant-time)."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), token.encode())


def write_token_file(path: Path, token: str) -> None:
    """Write ``token`` to ``path``, readable by its owner only: created 0600 under a temporary
    name, then renamed over the old file, so it is never readable by others, even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask, or a file left there before
        os.write(fd, token.encode() + b"\n")
    finally:
        os.close(fd)
    os.replace(part, path)


def read_token_file(path: Path) -> str:
    """The token kept in ``path``, or a message naming the file."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise OrchestratorError(f"cannot read the token file {path}: {exc.strerror}",
                                hint="the server writes it when it starts") from None
    if not token:
        raise OrchestratorError(f"the token file {path} is empty")
    return token


def client_token(token_file: str | None) -> str:
    """The token a client sends: from ``--token-file``, else ``ORCH_CONTEXT_TOKEN``."""
    if token_file:
        return read_token_file(Path(token_file))
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise OrchestratorError(
            f"no token for the context server: {TOKEN_ENV} is not set",
            hint=f"export {TOKEN_ENV}=... (the server printed it and wrote it to its token "
                 "file), or pass --token-file")
    return token


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool, *, exposes: str = "the context",
               risk: str = "anyone who has the token can then read and write the namespace"
               ) -> None:
    """Refuse to listen on a non-loopback address unless ``allow_remote`` was given (the
    context server and the dashboard: ``exposes`` says what others would reach)."""
    if not allow_remote and not is_loopback(host):
        raise OrchestratorError(
            f"--host {host} would let other machines reach {exposes}",
            hint=f"pass --allow-remote as well to listen there{f' ({risk})' if risk else ''}, "
                 "or keep the default 127.0.0.1")
