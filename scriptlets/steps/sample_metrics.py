"""sample_metrics: one measurement of the numbers that takes its time, for recipe 09, which a
live dashboard watches."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from pytest_orchestrator.context import Context
from scriptlets.numbers import Computed, Number, NumbersStep

#: The statistics a sample can take.
STATS: dict[str, Callable[[Sequence[Number]], float]] = {
    "mean": statistics.fmean, "median": lambda n: float(statistics.median(n)),
    "min": lambda n: float(min(n)), "max": lambda n: float(max(n)), "std": statistics.pstdev}
MAX_PAUSE = 60.0
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class SampleMetrics(NumbersStep):
    """Measure one statistic of the numbers after a pause: a stand-in for a measurement on a
    device that lasts a while, so a live dashboard shows the step running.

    Params:
      name       the measurement's name (lower case letters, digits, _); required.
      stat       mean | median | min | max | std (default mean).
      pause_sec  seconds to wait before measuring, 0 to 60 (default 0); a number or its text
                 (``${param:...}`` and ``${env:...}`` expand to text).
      src        a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: dashboard.<name>_v1 = {stat, value, count}; the envelope metric <name>.
    Exit codes: 0 ok; 1 bad params, an empty list or an unreadable src; 2 no input numbers.
    """

    takes = ("src", "name", "stat", "pause_sec")
    empty_reason = "no numbers to sample"

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        super().validate(ctx, params)
        name = params.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError(f"name must be lower case letters, digits and _, got {name!r}")
        if params.get("stat", "mean") not in STATS:
            raise ValueError(f"stat must be one of {', '.join(STATS)}, got "
                             f"{params.get('stat')!r}")
        pause_of(params)

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        time.sleep(pause_of(params))
        name, stat = params["name"], params.get("stat", "mean")
        value = STATS[stat](numbers)
        return Computed({f"dashboard.{name}_v1": {"stat": stat, "value": value,
                                                  "count": len(numbers)}}, {name: value},
                        f"sample_metrics: {name} = {stat} of {len(numbers)} numbers = {value}")


def pause_of(params: dict[str, Any]) -> float:
    """The ``pause_sec`` param in seconds; ValueError naming it when it is not 0 to 60."""
    raw = params.get("pause_sec", 0)
    try:
        pause = float(raw) if not isinstance(raw, bool) else -1.0
    except (TypeError, ValueError):
        pause = -1.0
    if not 0 <= pause <= MAX_PAUSE:
        raise ValueError(f"pause_sec must be a number of seconds from 0 to {MAX_PAUSE:g}, got "
                         f"{raw!r}")
    return pause


if __name__ == "__main__":
    raise SystemExit(SampleMetrics.main())
