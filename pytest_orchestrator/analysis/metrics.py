"""What is a metric: the numbers of a step compared with its history, and the rule that judges
each one (which way is better, the tolerance, the smallest change worth a flag)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pytest

#: The runner's metrics of every step that ran: lower is better, and a change smaller than
#: these floors is the noise of a busy machine, never a regression.
RESOURCE_FLOORS = {"duration": 0.5, "cpu": 0.5, "peak_rss": 32 * 1024 * 1024}
MIN_RUNS = 5  # a baseline needs this many runs before anything is flagged
_PERCENT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$")
_INDEX = re.compile(r"^[0-9]+$")


@dataclass(frozen=True, slots=True)
class Settings:
    """The session's defaults: ini ``orchestrator_baseline_runs``,
    ``orchestrator_regression_threshold`` and ``orchestrator_regression_tolerance``."""

    runs: int = 10
    threshold: float = 3.5
    tolerance: float = 5.0  # percent

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        """The ini values, checked: a bad one is a usage error naming the key."""
        runs = _ini(config, "orchestrator_baseline_runs", int)
        if runs < MIN_RUNS:
            raise pytest.UsageError(f"ini option orchestrator_baseline_runs: {runs} is fewer "
                                    f"than the {MIN_RUNS} runs a baseline needs; give "
                                    f"{MIN_RUNS} or more")
        threshold = _ini(config, "orchestrator_regression_threshold", float)
        tolerance = tolerance_percent(config.getini("orchestrator_regression_tolerance"))
        if tolerance is None or not threshold >= 0:
            raise pytest.UsageError("ini options orchestrator_regression_threshold and "
                                    "orchestrator_regression_tolerance: give a z-score such "
                                    "as 3.5 and a percentage such as 5%")
        return cls(runs, threshold, tolerance)


def _ini(config: pytest.Config, key: str, kind: type[Any]) -> Any:
    raw = str(config.getini(key)).strip()
    try:
        value = kind(raw)
    except ValueError:
        raise pytest.UsageError(f"ini option {key}: {raw!r} is not a {kind.__name__}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise pytest.UsageError(f"ini option {key}: give a finite number")
    return value


@dataclass(frozen=True, slots=True)
class Rule:
    """How one metric is judged. ``better``: higher, lower or both (a change either way);
    ``tolerance``: the smallest relative change flagged, in percent; ``min_change``: the
    smallest absolute change flagged."""

    better: str = "both"
    tolerance: float = 5.0
    min_change: float = 0.0

    def worse(self, value: float, baseline: float) -> bool:
        """Whether ``value`` is on the bad side of ``baseline``."""
        if self.better == "higher":
            return value < baseline
        if self.better == "lower":
            return value > baseline
        return value != baseline

    def may_flag(self, value: float, never_negative: bool) -> bool:
        """Whether any baseline could make ``value`` a regression: a lower-is-better value of
        a metric that is never negative (a resource) cannot be, when it is itself below the
        smallest change worth a flag. Then its history need not be read."""
        return not (self.better == "lower" and never_negative and value < self.min_change)


def tolerance_percent(text: Any) -> float | None:
    """``5%``, ``"5"`` or ``5`` -> 5.0; None when it is no percentage."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text) if math.isfinite(text) and text >= 0 else None
    found = _PERCENT.match(str(text))
    return float(found.group(1)) if found else None


def rules(declared: dict[str, dict[str, Any]], settings: Settings) -> dict[str, Rule]:
    """The rules a step declares (its recipe's ``metrics:``), over the defaults: resources
    lower-is-better with their floors, anything else both ways."""
    found = {name: Rule("lower", settings.tolerance, floor)
             for name, floor in RESOURCE_FLOORS.items()}
    for name, spec in declared.items():
        spec = spec or {}
        default = found.get(name, Rule("both", settings.tolerance))
        tolerance = tolerance_percent(spec.get("tolerance", default.tolerance))
        found[name] = Rule(spec.get("better", default.better),
                           default.tolerance if tolerance is None else tolerance,
                           float(spec.get("min_change", default.min_change)))
    return found


def rule_for(name: str, found: dict[str, Rule], settings: Settings) -> Rule:
    return found.get(name) or Rule("both", settings.tolerance)


def declared_values(declared: dict[str, Any], writes: list[dict[str, Any]]) -> dict[str, float]:
    """The numbers that declared JSON paths name in the context keys the step wrote:
    ``net.throughput_v1.mean`` is ``mean`` of the value the step wrote to ``net.throughput_v1``
    (list items by their index: ``net.samples_v1.0``). A path the step did not write, or that
    holds no number, gives nothing."""
    after = {w["key"]: w.get("after") for w in writes}
    found: dict[str, float] = {}
    for name in declared:
        key = next((k for k in after if name == k or name.startswith(k + ".")), None)
        if key is None:
            continue
        value = _follow(after[key], name[len(key) + 1:].split(".") if name != key else [])
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value):
            found[name] = float(value)
    return found


def _follow(value: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and _INDEX.match(part) and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
