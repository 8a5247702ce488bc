"""normalize_numbers: scale the numbers to [0, 1] and write them to normalized.json."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import InputError, check_params, numbers_input, out_dir, stats_of


class NormalizeNumbers(BaseScriptlet):
    """Min-max normalise the numbers: (x - min) / (max - min); all 0.0 when max == min.

    Params:
      out_dir  folder for normalized.json (recipes pass ``${ARTIFACTS}``; default
               $ORCH_ARTIFACTS, else ./artifacts); created if missing.
      src      a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: numbers.normalized_v1 (list of floats), numbers.stats_v1 (mean, variance, min,
    max, count of the input numbers, as compute_numbers writes it).
    Artifacts: <out_dir>/normalized.json, {"normalized": [...], "stats": {...}}.
    Exit codes: 0 ok; 1 no numbers in the list or an unreadable src; 2 no input numbers.
    """

    requires_process = False
    parallelizable = True

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("out_dir", "src"))

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        try:
            numbers = numbers_input(ctx, params)
        except InputError as exc:
            return self.emit_error(exc.reason, details=exc.details, exit_code=exc.exit_code)
        if not numbers:
            return self.emit_error("no numbers to normalise", details={"count": 0})
        stats = stats_of(numbers)
        span = stats["max"] - stats["min"]
        normalized = [(x - stats["min"]) / span if span else 0.0 for x in numbers]
        path = os.path.join(out_dir(params), "normalized.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"normalized": normalized, "stats": stats}, fh, indent=2)
        ctx.set("numbers.normalized_v1", normalized)
        ctx.set("numbers.stats_v1", stats)
        print(f"normalize_numbers: {len(numbers)} numbers -> {path}", file=sys.stderr)
        return self.emit_ok(outputs=["numbers.normalized_v1", "numbers.stats_v1"],
                            artifacts=[path], metrics={"count": len(numbers)})


if __name__ == "__main__":
    raise SystemExit(NormalizeNumbers.main())
