"""The context server's HTTP application (Starlette): JSON in and out, a bearer token on every
route but ``/health`` and ``/openapi.json``, the backend's blocking calls in worker threads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ContextUnavailable
from .access import token_matches
from .namespace import Refused, ServedNamespace
from .openapi import OPEN_PATHS, openapi

#: The largest request body accepted (one value and its writer).
MAX_BODY = 1024 * 1024


def make_app(space: ServedNamespace, token: str,
             on_stop: Callable[[], None] | None = None) -> Starlette:
    """The application serving ``space``. With ``on_stop``, ``POST /shutdown`` calls it (the
    servers a recipe starts are stopped that way; ``orchestrator ctx serve`` by a signal)."""
    description = openapi(space.namespace, stoppable=on_stop is not None)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def schema(request: Request) -> Response:
        return JSONResponse(description)

    async def values(request: Request) -> Response:
        found = await run_in_threadpool(space.values)
        return JSONResponse({"namespace": space.namespace, "values": found})

    async def read(request: Request) -> Response:
        key = request.path_params["key"]
        value = await run_in_threadpool(space.read, key)
        return JSONResponse({"key": key, "value": value})

    async def write(request: Request) -> Response:
        body = await _json_body(request)
        record = await run_in_threadpool(space.write, request.path_params["key"],
                                         body.get("value"), body.get("who"))
        return JSONResponse(record)

    async def history(request: Request) -> Response:
        records = await run_in_threadpool(space.history, request.query_params.get("key"))
        return JSONResponse({"namespace": space.namespace, "history": records})

    routes = [Route("/health", health), Route("/openapi.json", schema),
              Route("/context", values), Route("/context/{key}", read, methods=["GET"]),
              Route("/context/{key}", write, methods=["PUT"]), Route("/history", history)]
    if on_stop is not None:
        async def shutdown(request: Request) -> Response:
            on_stop()
            return JSONResponse({"status": "stopping"})
        routes.append(Route("/shutdown", shutdown, methods=["POST"]))
    app = Starlette(routes=routes, exception_handlers={Refused: _refused,
                                                       ContextUnavailable: _unavailable})
    app.add_middleware(BearerToken, token=token)
    return app


class BearerToken:
    """401 before any route runs when the request lacks ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS:
            header = Headers(scope=scope).get("authorization", "")
            if not token_matches(header, self.token):
                refused = Refused(401, "missing or wrong token" if header else "no token",
                                  hint="send the header 'Authorization: Bearer <token>'")
                response = _refused_response(refused, {"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _json_body(request: Request) -> dict[str, Any]:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, f"the request body is over {MAX_BODY} bytes")
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(400, f"the request body is not JSON: {exc}",
                      hint='send {"value": <JSON value>, "who": "<agent name>"}') from None
    if not isinstance(body, dict) or "value" not in body:
        raise Refused(400, "the request body must be an object with 'value' and 'who'",
                      hint='send {"value": <JSON value>, "who": "<agent name>"}')
    return body


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return _refused_response(exc)


async def _unavailable(request: Request, exc: Exception) -> Response:
    """The backend went away (a Redis server stopped): the agent may try again later."""
    assert isinstance(exc, ContextUnavailable)
    return _refused_response(Refused(503, exc.message, exc.hint))


def _refused_response(refused: Refused, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(refused.as_json(), status_code=refused.status, headers=headers)
