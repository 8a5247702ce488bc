"""validate_numbers: refuse too short a list of numbers with a structured error."""

from __future__ import annotations

import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import InputError, check_params, numbers_input


class ValidateNumbers(BaseScriptlet):
    """Check there are at least ``min_count`` numbers and pass them on as validated.

    Params:
      min_count  the fewest numbers accepted (int >= 1, default 5).
      src        a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.raw_v1.
    Outputs: numbers.validated_v1 (the same list, now known to be long enough).
    Exit codes: 0 ok; 1 too few numbers, reason ``Too few numbers (min=N)`` with
    ``details.count`` and ``details.min_count``, or an unreadable src; 2 no numbers.raw_v1.
    """

    requires_process = False
    parallelizable = True

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("min_count", "src"))
        min_count = params.get("min_count", 5)
        if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        min_count = params.get("min_count", 5)
        try:
            numbers = numbers_input(ctx, params, keys=("numbers.raw_v1",))
        except InputError as exc:
            return self.emit_error(exc.reason, details=exc.details, exit_code=exc.exit_code)
        if len(numbers) < min_count:
            return self.emit_error(f"Too few numbers (min={min_count})",
                                   details={"count": len(numbers), "min_count": min_count})
        ctx.set("numbers.validated_v1", numbers)
        print(f"validate_numbers: {len(numbers)} numbers, min {min_count}", file=sys.stderr)
        return self.emit_ok(outputs=["numbers.validated_v1"], metrics={"count": len(numbers)})


if __name__ == "__main__":
    raise SystemExit(ValidateNumbers.main())
