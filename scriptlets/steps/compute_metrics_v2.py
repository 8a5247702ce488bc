"""compute_metrics_v2: extended summary metrics, written beside the unchanged version 1."""

from __future__ import annotations

import statistics
from typing import Any

from scriptlets.numbers import Computed, Number, NumbersStep
from scriptlets.steps.compute_metrics_v1 import summary_v1


class ComputeMetricsV2(NumbersStep):
    """Summarise the numbers twice: the v1 summary as it was, and an extended v2.

    A versioned key keeps its shape, so new fields go in a new key (metrics.summary_v2)
    while readers of metrics.summary_v1 keep working. v1 is computed by compute_metrics_v1's
    own function, so after compute_metrics_v1 this step writes the very same value.

    Params:
      src  a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: metrics.summary_v1 = {count, mean, median, min, max};
    metrics.summary_v2 = summary_v1 plus {sum, range, variance, std} (population).
    Exit codes: 0 ok; 1 an empty list or an unreadable src; 2 no input numbers.
    """

    empty_reason = "no numbers to summarise"

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        v1 = summary_v1(numbers)
        v2 = {**v1, "sum": sum(numbers), "range": v1["max"] - v1["min"],
              "variance": float(statistics.pvariance(numbers)),
              "std": statistics.pstdev(numbers)}
        return Computed({"metrics.summary_v1": v1, "metrics.summary_v2": v2}, v2,
                        f"compute_metrics_v2: {v2}")


if __name__ == "__main__":
    raise SystemExit(ComputeMetricsV2.main())
