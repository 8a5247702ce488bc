"""What the context server steps share: where the run's server keeps its access token (a 0600
file in the run's artifact folder, never the context), and a client of that server."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_orchestrator.context import Context
    from pytest_orchestrator.server.client import ContextClient

#: The key where start_context_server_v2 records the server's URL.
URL_KEY = "context_server.url_v1"
#: The token file's name in the run's artifact folder ($ORCH_ARTIFACTS).
ACCESS_FILE = "context_server.token"


def access_file(params: Mapping[str, Any]) -> Path:
    """The ``access_file`` param, else ``$ORCH_ARTIFACTS/context_server.token``."""
    given = params.get("access_file")
    if given is not None and not (isinstance(given, str) and given):
        raise ValueError(f"access_file must be a file path, got {given!r}")
    return Path(given or Path(os.environ.get("ORCH_ARTIFACTS", "artifacts"), ACCESS_FILE))


def server_url(ctx: Context) -> str:
    """The URL of the run's context server; ValueError when none was started."""
    url = ctx.get(URL_KEY)
    if not isinstance(url, str):
        raise ValueError(f"no context server: {URL_KEY} is not set; run "
                         "start_context_server_v2 before this step")
    return url


def client(ctx: Context, params: Mapping[str, Any]) -> ContextClient:
    """A client of the run's context server, with the token from its access file."""
    from pytest_orchestrator.server.access import read_token_file
    from pytest_orchestrator.server.client import ContextClient

    return ContextClient(server_url(ctx), read_token_file(access_file(params)))
