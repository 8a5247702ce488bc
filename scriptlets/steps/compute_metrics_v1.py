"""compute_metrics_v1: the summary metrics of the numbers, version 1."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from scriptlets.numbers import Computed, Number, NumbersStep

#: The columns of metrics.summary_v1, in the order reports show them.
COLUMNS_V1 = ["count", "mean", "median", "min", "max"]


def summary_v1(numbers: Sequence[Number]) -> dict[str, Number]:
    """metrics.summary_v1: count, mean, median, min and max (needs at least one number)."""
    return {"count": len(numbers), "mean": statistics.fmean(numbers),
            "median": float(statistics.median(numbers)),
            "min": min(numbers), "max": max(numbers)}


class ComputeMetricsV1(NumbersStep):
    """Summarise the numbers: count, mean, median, min, max.

    Params:
      src  a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: metrics.summary_v1 = {count, mean, median, min, max};
    metrics.columns_v1 = the names of those columns, in report order.
    Exit codes: 0 ok; 1 an empty list or an unreadable src; 2 no input numbers.
    """

    empty_reason = "no numbers to summarise"

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        summary = summary_v1(numbers)
        return Computed({"metrics.summary_v1": summary, "metrics.columns_v1": COLUMNS_V1},
                        summary, f"compute_metrics_v1: {summary}")


if __name__ == "__main__":
    raise SystemExit(ComputeMetricsV1.main())
