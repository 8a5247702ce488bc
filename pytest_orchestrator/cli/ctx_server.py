"""``orchestrator ctx serve`` and the clients ``ctx get|set --url``: a context namespace over
HTTP for agents outside pytest (the ``server`` extra)."""

from __future__ import annotations

import argparse
import json
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..context.rules import POLICIES
from ..errors import OrchestratorError

if TYPE_CHECKING:
    from ..server.client import ContextClient

#: Where ``ctx serve`` keeps a token it generated (0600), relative to the current directory.
DEFAULT_TOKEN_FILE = ".orchestrator/context-server.token"
DEFAULT_PORT = 8765


def add_serve(ctx_commands: Any) -> None:
    serve = ctx_commands.add_parser(
        "serve", help="serve a context namespace over HTTP to agents outside pytest")
    serve.add_argument("--context", metavar="URL", default="memory://",
                       help="the backend: memory:// (default), sqlite:///path.db, "
                            "redis://host:port/db")
    serve.add_argument("--namespace", metavar="NS", default="shared",
                       help="the namespace served (default: shared)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on "
                       "(default 127.0.0.1; another needs --allow-remote)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow a --host other machines can reach")
    serve.add_argument("--conflict", choices=POLICIES, default=POLICIES[0],
                       help="conflict policy of the writes (default: fail_on_conflict)")
    serve.add_argument("--run-id", default="", help="the run id recorded with each write")
    serve.add_argument("--token-file", default=DEFAULT_TOKEN_FILE,
                       help="where a generated token is kept, mode 0600 "
                            f"(default {DEFAULT_TOKEN_FILE})")
    serve.set_defaults(handler=_serve)


def add_client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="a context server's URL (`orchestrator ctx serve`); the "
                                      "token comes from $ORCH_CONTEXT_TOKEN or --token-file")
    parser.add_argument("--token-file", help="read the token from this file")


def add_set(ctx_commands: Any) -> None:
    put = ctx_commands.add_parser("set", help="write one key through a context server")
    put.add_argument("key")
    put.add_argument("value", help="a JSON value; a bare word is taken as a string")
    add_client_options(put)
    put.add_argument("--who", required=True, help="the agent writing (kept in the history)")
    put.set_defaults(handler=_set)


def get_remote(args: argparse.Namespace) -> Any:
    """``ctx get KEY --url``: the value, or ``--default`` when the key was never written."""
    with _client(args) as client:
        return client.get(args.key, args.default) if args.default is not None \
            else client.get(args.key)


def parse_value(text: str) -> Any:
    """VALUE of ``ctx set``: JSON, or a bare word taken as a string. Text that starts like a
    JSON object, array or string must be valid JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip()[:1] in ('{', '[', '"'):
            raise OrchestratorError(f"VALUE is not valid JSON: {exc}",
                                    hint="quote it for the shell, e.g. '{\"state\": \"up\"}'"
                                    ) from None
        return text


def _set(args: argparse.Namespace) -> int:
    if not args.url:
        raise OrchestratorError("ctx set writes through a context server: --url is required",
                                hint="start one with `orchestrator ctx serve`")
    with _client(args) as client:
        record = client.set(args.key, parse_value(args.value), args.who)
    print(f"{record['key']} = {json.dumps(record['after'])} (by {record['who']}, "
          f"{record['ts']})")
    return 0


def _client(args: argparse.Namespace) -> ContextClient:
    from ..server.access import client_token
    from ..server.client import ContextClient

    return ContextClient(args.url, client_token(args.token_file))


def _serve(args: argparse.Namespace) -> int:
    from ..context import open_backend
    from ..server.access import check_bind

    check_bind(args.host, args.allow_remote)
    app_module, running = _web_stack()
    from ..server.namespace import ServedNamespace

    token, token_line = _server_token(args)
    sock = running.listening_socket(args.host, args.port)
    backend = open_backend(args.context)
    space = ServedNamespace(backend, args.namespace, policy=args.conflict, run_id=args.run_id,
                            conflict_hint="write a new key, or serve with --conflict "
                                          "last_write_wins")
    announce = partial(_announce, args, running.url_of(sock), token_line)
    try:
        received = running.serve_until_signal(app_module.make_app(space, token), sock,
                                              announce)
    finally:
        backend.close()
    print(f"stopped on {received}: {space.writes} writes served, every one committed",
          flush=True)
    return 0


def _server_token(args: argparse.Namespace) -> tuple[str, str]:
    """``$ORCH_CONTEXT_TOKEN``, or a new token kept in ``--token-file``; and the banner's
    line about it (the only place a generated token is ever shown)."""
    from ..server.access import TOKEN_ENV, new_token, write_token_file

    given = os.environ.get(TOKEN_ENV, "").strip()
    if given:
        return given, f"token: from ${TOKEN_ENV}"
    token = new_token()
    write_token_file(Path(args.token_file), token)
    return token, f"token (shown once; also in {args.token_file}, mode 0600): {token}"


def _announce(args: argparse.Namespace, url: str, token_line: str) -> None:
    from ..safety import hide_url_password

    print(f"serving namespace '{args.namespace}' of {hide_url_password(args.context)} "
          f"at {url} (OpenAPI: {url}/openapi.json)")
    print(token_line)
    print("stop with Ctrl-C or SIGTERM", flush=True)


def _web_stack() -> tuple[Any, Any]:
    """The server's modules, or what to install (Starlette and uvicorn, the extra)."""
    try:
        import uvicorn  # noqa: F401

        from ..server import app, running
    except ImportError as exc:
        missing = (exc.name or "?").split(".")[0]
        raise OrchestratorError(f"the context server needs the web stack ({missing} is "
                                "missing)",
                                hint="pip install 'pytest-orchestrator[server]'") from None
    return app, running
