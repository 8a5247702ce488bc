"""stop_context_server: stop the run's context server (a ``finally`` step) and remove its token."""

from __future__ import annotations

import sys
import time
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.errors import OrchestratorError
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.context_server import URL_KEY, access_file, client
from scriptlets.numbers import check_params

#: Seconds the server may take to answer the requests in flight and stop.
STOP_DEADLINE = 30.0


class StopContextServer(BaseScriptlet):
    """Stop the server start_context_server_v2 started, once the requests in flight are answered.

    Params:
      access_file  the server's token file (default ``$ORCH_ARTIFACTS/context_server.token``);
                   it is removed.
    Input: context_server.url_v1 (none: nothing to stop, a warning says so).
    Outputs: context_server.stopped_v1 = the URL of the server stopped, or None.
    Exit codes: 0 ok (also when the server was already gone); 1 the server still answers
    after 30 s.
    """

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("access_file",))
        access_file(params)

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        url = ctx.get(URL_KEY)
        warnings = [] if url else [f"no context server to stop: {URL_KEY} is not set"]
        if url and not _stop(ctx, params):
            return self.emit_error(f"the context server at {url} still answers after "
                                   f"{STOP_DEADLINE:.0f} s", details={"url": url})
        access_file(params).unlink(missing_ok=True)
        ctx.set("context_server.stopped_v1", url)
        print(f"stop_context_server: {url or 'nothing to stop'}", file=sys.stderr)
        return self.emit_ok(["context_server.stopped_v1"], warnings=warnings)


def _stop(ctx: Context, params: dict[str, Any]) -> bool:
    """Ask the server to stop, then wait until it no longer answers."""
    try:
        with client(ctx, params) as server:
            server.shutdown()
    except OrchestratorError:
        return True  # gone already (its process ended), or its token file is gone with it
    deadline = time.monotonic() + STOP_DEADLINE
    while time.monotonic() < deadline:
        try:
            with client(ctx, params) as server:
                server.request("GET", "/health")
        except OrchestratorError:
            return True
        time.sleep(0.05)
    return False


if __name__ == "__main__":
    raise SystemExit(StopContextServer.main())
