"""A small client of the context server (the standard library's ``http.client``, one kept-alive
connection): what ``orchestrator ctx get|set --url`` and the curriculum's steps use."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ..context.rules import check_json_safe
from ..errors import OrchestratorError

#: Seconds to wait for the server to answer one request.
TIMEOUT = 30.0
_REQUIRED: Any = object()


class ServerRefusal(OrchestratorError):
    """A request the server answered with an error: its HTTP status, reason and hint."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


class ContextClient:
    """``ContextClient("http://127.0.0.1:8765", token).set("ops.link_v1", "up", who="ops")``."""

    def __init__(self, url: str, token: str, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise OrchestratorError(f"bad context server URL {url!r}",
                                    hint="give the URL the server printed, e.g. "
                                         "http://127.0.0.1:8765")
        self.url = url.rstrip("/")
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port or 80,
                                                timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def get(self, key: str, default: Any = _REQUIRED) -> Any:
        """The value of ``key``; ``default`` when it was never written, if given."""
        try:
            return self.request("GET", f"/context/{quote(key)}")["value"]
        except ServerRefusal as exc:
            if exc.status != 404 or default is _REQUIRED:
                raise
            return default

    def values(self) -> dict[str, Any]:
        return dict(self.request("GET", "/context")["values"])

    def history(self, key: str | None = None) -> list[dict[str, Any]]:
        query = f"?{urlencode({'key': key})}" if key else ""
        return list(self.request("GET", f"/history{query}")["history"])

    def set(self, key: str, value: Any, who: str) -> dict[str, Any]:
        """Write ``key``; return the history record; ServerRefusal with the server's reason
        when the write is refused."""
        try:  # NaN goes through: the server refuses it with the rules' own words
            body = json.dumps({"value": value, "who": who}, allow_nan=True).encode()
        except TypeError:
            check_json_safe(value, key)  # says what the value is and how to convert it
            raise
        return self.request("PUT", f"/context/{quote(key)}", body)

    def shutdown(self) -> None:
        """Stop a server started with ``/shutdown`` enabled (the one a recipe starts)."""
        self.request("POST", "/shutdown")

    def request(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self._conn.request(method, path, body, headers)
            response = self._conn.getresponse()
            status, text = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._conn.close()
            raise OrchestratorError(f"the context server at {self.url} did not answer "
                                    f"{method} {path}: {exc}") from None
        return _answer(status, text, f"{method} {path}")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ContextClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _answer(status: int, text: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        data = {"error": text.decode(errors="replace")[:200]}
    if status == 200 and isinstance(data, dict):
        return data
    reason = data.get("error", "") if isinstance(data, dict) else str(data)
    hint = data.get("hint", "") if isinstance(data, dict) else ""
    raise ServerRefusal(status, f"the context server refused {what} ({status}): {reason}", hint)
