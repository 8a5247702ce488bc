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

#: Each of the run's steps with its last outcomes of the same definition, newest first: one
#: index range a step, as the resume look-up.
_OUTCOMES = """
SELECT test_id, step, attempts, outcome, (
  SELECT group_concat(outcome, ' ') FROM (
    SELECT before.outcome FROM steps AS before WHERE before.test_id = mine.test_id
      AND before.namespace = mine.namespace AND before.step = mine.step
      AND before.id <= mine.id AND before.spec_hash = mine.spec_hash
      AND before.outcome IN ('passed', 'failed', 'error')
    ORDER BY before.id DESC LIMIT ?))
FROM steps AS mine WHERE run_id = ? AND outcome IN ('passed', 'failed', 'error') ORDER BY id
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
    steps = []
    for test_id, step, attempts, outcome, history in store.conn.execute(_OUTCOMES,
                                                                          (runs, run_id)):
        outcomes = ["passed" if o == "passed" else "failed" for o in history.split()][::-1]
        steps.append(Flaky(test_id, step, tuple(outcomes),
                           outcome == "passed" and (attempts or 1) > 1))
    return [s for s in steps if s.retried or s.flips >= FLIPS]
