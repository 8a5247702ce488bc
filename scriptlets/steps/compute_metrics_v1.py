"""compute_metrics_v1: the summary metrics of the numbers, version 1."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import InputError, Number, check_params, numbers_input

#: The columns of metrics.summary_v1, in the order reports show them.
COLUMNS_V1 = ["count", "mean", "median", "min", "max"]


def summary_v1(numbers: Sequence[Number]) -> dict[str, Number]:
    """metrics.summary_v1: count, mean, median, min and max (needs at least one number)."""
    return {"count": len(numbers), "mean": statistics.fmean(numbers),
            "median": float(statistics.median(numbers)),
            "min": min(numbers), "max": max(numbers)}


class ComputeMetricsV1(BaseScriptlet):
    """Summarise the numbers: count, mean, median, min, max.

    Params:
      src  a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: metrics.summary_v1 = {count, mean, median, min, max};
    metrics.columns_v1 = the names of those columns, in report order.
    Exit codes: 0 ok; 1 an empty list or an unreadable src; 2 no input numbers.
    """

    requires_process = False
    parallelizable = True

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("src",))

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        try:
            numbers = numbers_input(ctx, params)
        except InputError as exc:
            return self.emit_error(exc.reason, details=exc.details, exit_code=exc.exit_code)
        if not numbers:
            return self.emit_error("no numbers to summarise", details={"count": 0})
        summary = summary_v1(numbers)
        ctx.set("metrics.summary_v1", summary)
        ctx.set("metrics.columns_v1", COLUMNS_V1)
        print(f"compute_metrics_v1: {summary}", file=sys.stderr)
        return self.emit_ok(outputs=["metrics.summary_v1", "metrics.columns_v1"],
                            metrics=summary)


if __name__ == "__main__":
    raise SystemExit(ComputeMetricsV1.main())
