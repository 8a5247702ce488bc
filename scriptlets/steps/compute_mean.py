"""compute_mean: the mean of the numbers, one branch of recipe 06's parallel fan-out."""

from __future__ import annotations

import statistics
from typing import Any

from scriptlets.numbers import Computed, Number, NumbersStep


class ComputeMean(NumbersStep):
    """Compute the arithmetic mean of the numbers.

    Params:
      src  a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: metrics.mean_v1 (a float).
    Exit codes: 0 ok; 1 an empty list or an unreadable src; 2 no input numbers.
    """

    empty_reason = "no numbers to take the mean of"

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        mean = statistics.fmean(numbers)
        return Computed({"metrics.mean_v1": mean}, {"mean": mean},
                        f"compute_mean: mean of {len(numbers)} numbers = {mean}")


if __name__ == "__main__":
    raise SystemExit(ComputeMean.main())
