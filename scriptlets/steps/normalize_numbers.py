"""normalize_numbers: scale the numbers to [0, 1] and write them to normalized.json."""

from __future__ import annotations

import json
import os
from typing import Any

from pytest_orchestrator.context import Context
from scriptlets.numbers import Computed, Number, NumbersStep, out_dir, out_dir_of, stats_of


class NormalizeNumbers(NumbersStep):
    """Min-max normalise the numbers: (x - min) / (max - min); all 0.0 when max == min.

    Params:
      out_dir  folder for normalized.json (recipes pass ``${ARTIFACTS}``; default
               $ORCH_ARTIFACTS, else ./artifacts); created if missing. It must lie inside the
               project or the run's artifact folder; a relative one is from the project root.
      src      a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: numbers.normalized_v1 (list of floats), numbers.stats_v1 (mean, variance, min,
    max, count of the input numbers, as compute_numbers writes it).
    Artifacts: <out_dir>/normalized.json, {"normalized": [...], "stats": {...}}.
    Exit codes: 0 ok; 1 no numbers in the list, an unreadable src or an out_dir outside the
    project; 2 no input numbers.
    """

    takes = ("out_dir", "src")
    empty_reason = "no numbers to normalise"

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        super().validate(ctx, params)
        out_dir_of(params)

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        stats = stats_of(numbers)
        span = stats["max"] - stats["min"]
        normalized = [(x - stats["min"]) / span if span else 0.0 for x in numbers]
        path = os.path.join(out_dir(params), "normalized.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"normalized": normalized, "stats": stats}, fh, indent=2)
        return Computed({"numbers.normalized_v1": normalized, "numbers.stats_v1": stats},
                        {"count": len(numbers)},
                        f"normalize_numbers: {len(numbers)} numbers -> {path}", (path,))


if __name__ == "__main__":
    raise SystemExit(NormalizeNumbers.main())
