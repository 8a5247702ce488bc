"""compute_median: the median of the numbers, one branch of recipe 06's parallel fan-out."""

from __future__ import annotations

import statistics
from typing import Any

from scriptlets.numbers import Computed, Number, NumbersStep


class ComputeMedian(NumbersStep):
    """Compute the median of the numbers (the mean of the middle two for an even count).

    Params:
      src  a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: metrics.median_v1 (a float).
    Exit codes: 0 ok; 1 an empty list or an unreadable src; 2 no input numbers.
    """

    empty_reason = "no numbers to take the median of"

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        median = float(statistics.median(numbers))
        return Computed({"metrics.median_v1": median}, {"median": median},
                        f"compute_median: median of {len(numbers)} numbers = {median}")


if __name__ == "__main__":
    raise SystemExit(ComputeMedian.main())
