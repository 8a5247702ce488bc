"""Flaky steps: a step whose outcome flips back and forth across its recent runs with an
unchanged definition, or that passed only on a retry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..store import ResultsStore

#: Flips (passed <-> failed) in the recent runs that make a step flaky: one flip is a step
#: that broke, or was mended; two are a step that cannot make up its mind.
FLIPS = 2

_OUTCOMES = """
WITH mine AS (SELECT id, test_id, namespace, step, spec_hash, attempts, outcome FROM steps
              WHERE run_id = ? AND outcome IN ('passed', 'failed', 'error')),
     ranked AS (
  SELECT mine.id AS mine, before.outcome,
         ROW_NUMBER() OVER (PARTITION BY mine.id ORDER BY before.id DESC) AS n
  FROM mine JOIN steps AS before ON before.test_id = mine.test_id
    AND before.namespace = mine.namespace AND before.step = mine.step
    AND before.spec_hash = mine.spec_hash AND before.id <= mine.id
    AND before.outcome IN ('passed', 'failed', 'error'))
SELECT mine.id, mine.test_id, mine.step, mine.attempts, mine.outcome, ranked.outcome, ranked.n
FROM mine JOIN ranked ON ranked.mine = mine.id WHERE ranked.n <= ? ORDER BY mine.id, ranked.n DESC
"""


@dataclass(frozen=True, slots=True)
class Flaky:
    test_id: str
    step: str  # with its [row]
    outcomes: tuple[str, ...]  # oldest first, this run's last
    retried: bool  # passed in this run only on a retry

    @property
    def flips(self) -> int:
        return sum(a != b for a, b in zip(self.outcomes, self.outcomes[1:], strict=False))

    def line(self) -> str:
        why = [f"{self.flips} flips in its last {len(self.outcomes)} runs "
               f"({', '.join(self.outcomes)})"] if self.flips >= FLIPS else []
        if self.retried:
            why.append("passed only on a retry")
        return f"{self.test_id}::{self.step}: {'; '.join(why)}"


def flaky_steps(store: ResultsStore, run_id: str, runs: int = 10) -> list[Flaky]:
    """The run's flaky steps, judged on their last ``runs`` results (this run's included) with
    the definition they have in this run."""
    found: dict[int, tuple[str, str, bool, list[str]]] = {}
    for step_id, test_id, step, attempts, outcome, before, _n in store.conn.execute(
            _OUTCOMES, (run_id, runs)):
        retried = outcome == "passed" and (attempts or 1) > 1
        found.setdefault(step_id, (test_id, step, retried, []))[3].append(
            "passed" if before == "passed" else "failed")
    steps = [Flaky(test_id, step, tuple(outcomes), retried)
             for test_id, step, retried, outcomes in found.values()]
    return [s for s in steps if s.retried or s.flips >= FLIPS]
