"""validate_numbers: refuse too short a list of numbers with a structured error."""

from __future__ import annotations

from typing import Any

from pytest_orchestrator.context import Context
from scriptlets.numbers import Computed, InputError, Number, NumbersStep


def min_count(params: dict[str, Any]) -> Any:
    """The ``min_count`` param, 5 when absent (``validate`` checks it is an int >= 1)."""
    return params.get("min_count", 5)


class ValidateNumbers(NumbersStep):
    """Check there are at least ``min_count`` numbers and pass them on as validated.

    Params:
      min_count  the fewest numbers accepted (int >= 1, default 5).
      src        a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.raw_v1.
    Outputs: numbers.validated_v1 (the same list, now known to be long enough).
    Exit codes: 0 ok; 1 too few numbers, reason ``Too few numbers (min=N)`` with
    ``details.count`` and ``details.min_count``, or an unreadable src; 2 no numbers.raw_v1.
    """

    takes = ("min_count", "src")
    input_keys = ("numbers.raw_v1",)

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        super().validate(ctx, params)
        wanted = min_count(params)
        if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {wanted!r}")

    def check(self, numbers: list[Number], params: dict[str, Any]) -> None:
        least = min_count(params)
        if len(numbers) < least:
            raise InputError(f"Too few numbers (min={least})",
                             {"count": len(numbers), "min_count": least})

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        return Computed({"numbers.validated_v1": numbers}, {"count": len(numbers)},
                        f"validate_numbers: {len(numbers)} numbers, min {min_count(params)}")


if __name__ == "__main__":
    raise SystemExit(ValidateNumbers.main())
