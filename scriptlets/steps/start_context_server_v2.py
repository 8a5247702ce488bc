"""start_context_server_v2: serve the recipe's shared namespace over HTTP for the rest of the
run, so agents outside pytest (a shell, curl, a vendor tool) can read and write it."""

from __future__ import annotations

import os
import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.context_server import URL_KEY, access_file
from scriptlets.numbers import check_params


class StartContextServerV2(BaseScriptlet):
    """Start a context server for the recipe's namespace in the background of this process.

    Params:
      access_file  where the server's token is written, mode 0600 (default
                   ``$ORCH_ARTIFACTS/context_server.token``); the token is
                   ``$ORCH_CONTEXT_TOKEN`` when set, else a fresh random one.
    Input: none. The recipe must declare ``context: shared:<ns>``, so that later steps see
    what agents write.
    Outputs: context_server.url_v1 = the server's URL on a free loopback port (the token is
    never in the context, the envelope or the logs).
    The server runs until stop_context_server (a ``finally`` step) or the end of the run;
    every write it takes obeys the recipe's context rules and conflict policy.
    Exit codes: 0 ok; 1 an isolated recipe, or the ``server`` extra not installed.
    """

    parallelizable = False  # later steps depend on the server being there

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("access_file",))
        access_file(params)
        if not ctx.live:
            raise ValueError("start_context_server_v2 serves the recipe's namespace to agents: "
                             "declare 'context: shared:<ns>' in the recipe, so that later "
                             "steps see what they write")
        try:
            import starlette  # noqa: F401
            import uvicorn  # noqa: F401
        except ImportError:
            raise ValueError("the context server needs the web stack: pip install "
                             "'pytest-orchestrator[server]'") from None

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        from pytest_orchestrator.server.access import TOKEN_ENV, new_token, write_token_file
        from pytest_orchestrator.server.namespace import ServedNamespace
        from pytest_orchestrator.server.running import BackgroundServer

        token = os.environ.get(TOKEN_ENV, "").strip() or new_token()
        space = ServedNamespace(ctx.backend, ctx.namespace, policy=ctx.policy,
                                run_id=ctx.run_id)
        server = BackgroundServer(space, token).start()
        write_token_file(access_file(params), token)
        ctx.set(URL_KEY, server.url)
        print(f"start_context_server_v2: namespace '{ctx.namespace}' served at {server.url}",
              file=sys.stderr)
        return self.emit_ok([URL_KEY])


if __name__ == "__main__":
    raise SystemExit(StartContextServerV2.main())
