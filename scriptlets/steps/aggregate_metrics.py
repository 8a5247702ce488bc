"""aggregate_metrics: fan in the mean, median and std computed in parallel into one record."""

from __future__ import annotations

import statistics
import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import InputError, check_params, read_csv

#: The context key each part of the aggregate comes from.
PARTS = {"mean": "metrics.mean_v1", "median": "metrics.median_v1", "std": "metrics.std_v1"}


class AggregateMetrics(BaseScriptlet):
    """Combine mean, median and std into metrics.aggregate_v1.

    Params:
      src  a CSV file: compute the three metrics from it instead of reading them from the
           context (for standalone runs).
    Input: ``src`` when given, else metrics.mean_v1, metrics.median_v1 and metrics.std_v1
    (written by compute_mean, compute_median and compute_std).
    Outputs: metrics.aggregate_v1 = {mean, median, std, mean_minus_median} (the last is
    positive when a long tail of high values pulls the mean up).
    Exit codes: 0 ok; 1 an empty or unreadable src; 2 a metric key is missing (the details
    list which).
    """

    requires_process = False
    parallelizable = True

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("src",))

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        try:
            parts = self.parts(ctx, params)
        except InputError as exc:
            return self.emit_error(exc.reason, details=exc.details, exit_code=exc.exit_code)
        aggregate = {**parts, "mean_minus_median": parts["mean"] - parts["median"]}
        ctx.set("metrics.aggregate_v1", aggregate)
        print(f"aggregate_metrics: {aggregate}", file=sys.stderr)
        return self.emit_ok(outputs=["metrics.aggregate_v1"], metrics=aggregate)

    def parts(self, ctx: Context, params: dict[str, Any]) -> dict[str, float]:
        """The three metrics, from ``src`` or from the context."""
        if params.get("src") is not None:
            numbers = read_csv(params["src"])
            if not numbers:
                raise InputError("no numbers to aggregate", {"count": 0})
            return {"mean": statistics.fmean(numbers),
                    "median": float(statistics.median(numbers)),
                    "std": statistics.pstdev(numbers)}
        missing = [key for key in PARTS.values() if ctx.get(key) is None]
        if missing:
            raise InputError(f"missing {', '.join(missing)}: run compute_mean, compute_median "
                             "and compute_std first", {"missing": missing}, exit_code=2)
        return {name: float(ctx.get(key)) for name, key in PARTS.items()}


if __name__ == "__main__":
    raise SystemExit(AggregateMetrics.main())
