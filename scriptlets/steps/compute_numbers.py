"""compute_numbers: the basic statistics of the numbers."""

from __future__ import annotations

import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import InputError, check_params, numbers_input, stats_of


class ComputeNumbers(BaseScriptlet):
    """Compute mean, population variance, min, max and count of the numbers.

    Params:
      src  a CSV file of numbers (``value`` column); when absent the numbers come from
           the context.
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: numbers.stats_v1 = {mean, variance, min, max, count}.
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
            return self.emit_error("no numbers to compute statistics of", details={"count": 0})
        stats = stats_of(numbers)
        ctx.set("numbers.stats_v1", stats)
        print(f"compute_numbers: {stats}", file=sys.stderr)
        return self.emit_ok(outputs=["numbers.stats_v1"], metrics=stats)


if __name__ == "__main__":
    raise SystemExit(ComputeNumbers.main())
