"""compute_numbers: the basic statistics of the numbers."""

from __future__ import annotations

from typing import Any

from scriptlets.numbers import Computed, Number, NumbersStep, stats_of


class ComputeNumbers(NumbersStep):
    """Compute mean, population variance, min, max and count of the numbers.

    Params:
      src  a CSV file of numbers (``value`` column); when absent the numbers come from
           the context.
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: numbers.stats_v1 = {mean, variance, min, max, count}.
    Exit codes: 0 ok; 1 an empty list or an unreadable src; 2 no input numbers.
    """

    empty_reason = "no numbers to compute statistics of"

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        stats = stats_of(numbers)
        return Computed({"numbers.stats_v1": stats}, stats, f"compute_numbers: {stats}")


if __name__ == "__main__":
    raise SystemExit(ComputeNumbers.main())
