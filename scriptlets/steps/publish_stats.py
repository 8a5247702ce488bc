"""publish_stats: publish the run's statistics through the context server, as an outside
consumer reads them, and keep the server's acknowledgement."""

from __future__ import annotations

import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.context.rules import check_key
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.context_server import access_file, client, server_url
from scriptlets.numbers import check_params

DEFAULTS = {"src_key": "numbers.stats_v1", "dest_key": "published.stats_v1",
            "who": "publish_stats"}


class PublishStats(BaseScriptlet):
    """Write the statistics to the context server over HTTP (a PUT, as any agent would).

    Params:
      src_key      the key holding the statistics (default numbers.stats_v1)
      dest_key     the key published through the server (default published.stats_v1)
      who          the writer the server records (default publish_stats)
      access_file  the server's token file (default ``$ORCH_ARTIFACTS/context_server.token``)
    Input: src_key (e.g. from compute_numbers), context_server.url_v1.
    Outputs: publish_stats.ack_v1 = {key, who, ts, url}: what the server acknowledged (its
    history record's writer and UTC time); dest_key itself is committed by the server at once.
    Exit codes: 0 ok; 1 the server refused the write (the reason is the server's);
    2 src_key or context_server.url_v1 missing.
    """

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, (*DEFAULTS, "access_file"))
        for name in DEFAULTS:
            if not isinstance(params.get(name, DEFAULTS[name]), str):
                raise ValueError(f"{name} must be text")
        check_key(self._param(params, "src_key"))
        check_key(self._param(params, "dest_key"))
        access_file(params)

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        from pytest_orchestrator.errors import OrchestratorError

        src, dest, who = (self._param(params, name) for name in DEFAULTS)
        stats = ctx.get(src)
        if stats is None or ctx.get("context_server.url_v1") is None:
            missing = src if stats is None else "context_server.url_v1"
            return self.emit_error(f"missing input {missing}", details={"key": missing},
                                   exit_code=2)
        try:
            with client(ctx, params) as server:
                record = server.set(dest, stats, who=who)
        except OrchestratorError as exc:
            return self.emit_error(str(exc), details={"key": dest})
        ack = {"key": dest, "who": record["who"], "ts": record["ts"], "url": server_url(ctx)}
        ctx.set("publish_stats.ack_v1", ack)
        print(f"publish_stats: {dest} acknowledged at {ack['ts']}", file=sys.stderr)
        return self.emit_ok(["publish_stats.ack_v1"])

    @staticmethod
    def _param(params: dict[str, Any], name: str) -> str:
        return str(params.get(name, DEFAULTS[name]))


if __name__ == "__main__":
    raise SystemExit(PublishStats.main())
