"""compute_median: the median of the numbers, one branch of recipe 06's parallel fan-out."""

from __future__ import annotations

import statistics
import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import InputError, check_params, numbers_input


class ComputeMedian(BaseScriptlet):
    """Compute the median of the numbers (the mean of the middle two for an even count).

    Params:
      src  a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: metrics.median_v1 (a float).
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
            return self.emit_error("no numbers to take the median of", details={"count": 0})
        median = float(statistics.median(numbers))
        ctx.set("metrics.median_v1", median)
        print(f"compute_median: median of {len(numbers)} numbers = {median}", file=sys.stderr)
        return self.emit_ok(outputs=["metrics.median_v1"], metrics={"median": median})


if __name__ == "__main__":
    raise SystemExit(ComputeMedian.main())
