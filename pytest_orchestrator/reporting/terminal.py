"""The summary per recipe at the end of the session: steps, outcomes, duration, cache hits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecipeTally:
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    duration: float = 0.0
    cache_hits: int = 0


class RecipeSummary:
    """Fed by the controller with each step's record; printed at the end."""

    def __init__(self) -> None:
        self.recipes: dict[str, RecipeTally] = defaultdict(RecipeTally)

    def add(self, record: dict[str, Any]) -> None:
        tally = self.recipes[record["test_id"]]
        tally.outcomes[record["outcome"]] += 1
        tally.duration += float(record.get("duration") or 0.0)
        tally.cache_hits += bool(record.get("cache_hit"))

    def lines(self) -> list[str]:
        out = []
        width = max((len(t) for t in self.recipes), default=0)
        for test_id, tally in sorted(self.recipes.items()):
            steps = sum(tally.outcomes.values())
            counts = ", ".join(f"{n} {what}" for what, n in sorted(tally.outcomes.items()))
            cached = f", {tally.cache_hits} cached" if tally.cache_hits else ""
            out.append(f"{test_id:<{width}}  {steps} step(s): {counts}{cached}  "
                       f"in {tally.duration:.2f}s")
        return out
