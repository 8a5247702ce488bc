"""The OpenAPI 3.1 description a context server serves at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from ..context.rules import KEY_RE

#: The routes anyone may call: nothing in them is read from the context.
OPEN_PATHS = frozenset({"/health", "/openapi.json"})

_KEY = {"name": "key", "in": "path", "required": True,
        "schema": {"type": "string", "pattern": KEY_RE.pattern},
        "description": "a context key, 'namespace.entity_vN' (e.g. ops.link_state_v1)"}
_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"}, "hint": {"type": "string"}}}
_RECORD = {"type": "object",
           "required": ["key", "before", "after", "who", "step", "run_id", "ts"],
           "properties": {"key": {"type": "string"}, "before": {}, "after": {},
                          "who": {"type": "string"}, "step": {"type": "string"},
                          "run_id": {"type": "string"},
                          "ts": {"type": "string", "description": "UTC, ISO 8601"}}}
_WRITE = {"type": "object", "required": ["value", "who"],
          "properties": {"value": {"description": "any JSON value (finite numbers)"},
                         "who": {"type": "string", "maxLength": 200,
                                 "description": "the agent writing; the conflict policy "
                                                "tells writers apart by it"}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": schema}}}


def _refusals(*codes: int, backend: bool = True) -> dict[str, Any]:
    why = {400: "the body is not a JSON object with 'value' and 'who'",
           401: "no token, or a wrong one: nothing was read or written",
           404: "the key was never written",
           409: "the key's state forbids the write: its shape is locked by its first "
                "write, or another writer set a different value (fail_on_conflict)",
           413: "the body is over 1 MiB",
           422: "a bad key name, a value that is not JSON-safe, or no 'who'",
           503: "the context backend cannot be reached (a Redis server gone): try again"}
    codes = (401, *codes, *((503,) if backend else ()))
    return {str(code): _json(_ERROR, why[code]) for code in codes}


def openapi(namespace: str, *, stoppable: bool = False) -> dict[str, Any]:
    """The description of a server of ``namespace`` (``/shutdown`` only when ``stoppable``)."""
    paths: dict[str, Any] = {
        "/health": {"get": {"summary": "Whether the server is up (no token needed)",
                            "security": [], "responses": {"200": _json(
                                {"type": "object"}, "up")}}},
        "/context": {"get": {"summary": "Every key of the namespace and its value",
                             "responses": {"200": _json({"type": "object", "properties": {
                                 "namespace": {"type": "string"},
                                 "values": {"type": "object"}}}, "the namespace"),
                                 **_refusals()}}},
        "/context/{key}": {
            "parameters": [_KEY],
            "get": {"summary": "One key's value",
                    "responses": {"200": _json({"type": "object", "properties": {
                        "key": {"type": "string"}, "value": {}}}, "the value"),
                        **_refusals(404, 422)}},
            "put": {"summary": "Write one key (committed at once, recorded in the history)",
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": _WRITE}}},
                    "responses": {"200": _json(_RECORD, "the write, as the history has it"),
                                  **_refusals(400, 409, 413, 422)}}},
        "/history": {"get": {
            "summary": "Every write of the namespace (or of one key), oldest first",
            "parameters": [{"name": "key", "in": "query", "required": False,
                            "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "object", "properties": {
                "namespace": {"type": "string"},
                "history": {"type": "array", "items": _RECORD}}}, "the writes"),
                **_refusals(422)}}},
    }
    if stoppable:
        paths["/shutdown"] = {"post": {
            "summary": "Stop the server once the requests in flight are answered",
            "responses": {"200": _json({"type": "object"}, "stopping"),
                          **_refusals(backend=False)}}}
    return {"openapi": "3.1.0",
            "info": {"title": "pytest-orchestrator context server", "version": "1",
                     "description": f"The context namespace '{namespace}' over HTTP."},
            "paths": paths,
            "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
            "security": [{"token": []}]}
