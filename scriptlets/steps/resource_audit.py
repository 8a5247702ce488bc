"""resource_audit: sum up what the steps before it cost, from the runner's step metrics."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import check_params

METRICS_KEY = "_runner.step_metrics_v1"
MIB = 1024 * 1024


def audit_of(metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """resource.audit_v1 of the runner's entries, one per step (at least one); a field an
    entry lacks counts as 0 (its executor as "unknown")."""
    def total(*fields: str) -> float:
        return round(sum(entry.get(f) or 0 for entry in metrics.values() for f in fields), 6)

    return {"steps": len(metrics),
            "total_duration": total("duration"),
            "total_cpu": total("cpu_user", "cpu_sys"),
            "max_peak_rss": max(entry.get("peak_rss") or 0 for entry in metrics.values()),
            "slowest_step": max(metrics, key=lambda name: metrics[name].get("duration") or 0),
            "executors": dict(Counter(entry.get("executor") or "unknown"
                                      for entry in metrics.values()))}


class ResourceAudit(BaseScriptlet):
    """Audit the wall time, CPU and memory of the steps that ran before this one.

    Params:
      max_rss_mb  fail when a step's peak RSS went above this many MiB (a number > 0).
    Input: _runner.step_metrics_v1, the runner's entry for each step before this one:
    {step: {start, end, duration, cpu_user, cpu_sys, peak_rss, exit_code, attempts,
    cache_hit, executor, host, worker}}. Standalone, seed it with ``--context FILE``.
    Outputs: resource.audit_v1 = {steps, total_duration, total_cpu (user + sys, seconds),
    max_peak_rss (bytes), slowest_step, executors ({executor: count of steps})}.
    Exit codes: 0 ok; 1 a step's peak RSS above max_rss_mb (details name the step);
    2 no step metrics in the context (run it after other steps).
    """

    parallelizable = False  # it audits what ran before it

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("max_rss_mb",))
        limit = params.get("max_rss_mb", 1)
        if not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit <= 0:
            raise ValueError(f"max_rss_mb must be a number > 0, got {limit!r}")

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        metrics = ctx.get(METRICS_KEY)
        if not isinstance(metrics, dict) or not metrics:
            return self.emit_error("no step metrics in the context: run it after other steps",
                                   details={"looked_for": METRICS_KEY}, exit_code=2)
        audit = audit_of(metrics)
        print(f"resource_audit: {audit}", file=sys.stderr)
        limit = params.get("max_rss_mb")
        if limit is not None and audit["max_peak_rss"] > limit * MIB:
            heaviest = max(metrics, key=lambda name: metrics[name].get("peak_rss") or 0)
            peak_mb = round(audit["max_peak_rss"] / MIB, 1)
            return self.emit_error(
                f"step {heaviest!r} peaked at {peak_mb} MiB RSS, above max_rss_mb={limit}",
                details={"step": heaviest, "peak_rss": audit["max_peak_rss"],
                         "max_rss_mb": limit})
        ctx.set("resource.audit_v1", audit)
        return self.emit_ok(["resource.audit_v1"], metrics=audit)


if __name__ == "__main__":
    raise SystemExit(ResourceAudit.main())
