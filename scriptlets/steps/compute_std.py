"""compute_std: the population standard deviation, one branch of recipe 06's fan-out."""

from __future__ import annotations

import statistics
from typing import Any

from scriptlets.numbers import Computed, Number, NumbersStep


class ComputeStd(NumbersStep):
    """Compute the population standard deviation of the numbers.

    Params:
      src  a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: metrics.std_v1 (a float).
    Exit codes: 0 ok; 1 an empty list or an unreadable src; 2 no input numbers.
    """

    empty_reason = "no numbers to take the std of"

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        std = statistics.pstdev(numbers)
        return Computed({"metrics.std_v1": std}, {"std": std},
                        f"compute_std: std of {len(numbers)} numbers = {std}")


if __name__ == "__main__":
    raise SystemExit(ComputeStd.main())
