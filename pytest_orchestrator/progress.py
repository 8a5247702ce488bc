"""A running session's plan in the results store (``planned``): the steps it will run and when
each starts, so a reader of the store (the live dashboard) tells running from waiting."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from .batches import Batches
from .errors import OrchestratorError

if TYPE_CHECKING:
    from .recipe import Recipe, Step
    from .results import Results
    from .store import ResultsStore


class Progress:
    """Registered beside the controller's Results writer (never on an xdist worker)."""

    def __init__(self, results: Results) -> None:
        self.results = results
        self.planned: set[str] = set()
        self.started: Batches[tuple[float, str, str]] = Batches(self._write_started,
                                                              results.warn)

    @pytest.hookimpl(trylast=True)  # after the session's checks: a usage error plans nothing
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist: the selected step items, as collected."""
        from .items import StepItem

        self._plan((item.nodeid, item.recipe, item.step, item.row_id, item.rank)
                   for item in session.items if isinstance(item, StepItem))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        """Under xdist the controller sees node ids only: the steps are read from their
        recipe files. Every worker collects the same items; the first one's are the plan."""
        if self.planned:
            return
        from .parallel import collected_step

        ranks: dict[str, dict[str, int]] = {}  # per recipe file, each step's place in it
        steps = []
        for nodeid in ids:
            found = collected_step(self.results.config, nodeid)
            if found is not None:
                recipe, step, row = found
                if recipe.test_id not in ranks:
                    ranks[recipe.test_id] = {s.name: i for i, s in enumerate(recipe.steps)}
                steps.append((nodeid, recipe, step, row, ranks[recipe.test_id][step.name]))
        self._plan(steps)

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        if nodeid in self.planned:
            self.started.add((time.time(), self.results.run_id, nodeid))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        try:
            return (yield)
        finally:
            self.started.close()

    def _write_started(self, rows: list[tuple[float, str, str]]) -> list[str]:
        """Start times are written a time slice at a time, like the results: a reader polling
        every second or two sees a step running without a commit per step."""
        from .results import iso

        try:
            self.results.begun().mark_started([(iso(started), run_id, nodeid)
                                               for started, run_id, nodeid in rows])
        except OrchestratorError as exc:
            return [f"orchestrator: the run's progress was not recorded: {exc}"]
        return []

    def _plan(self, steps: Iterable[tuple[str, Recipe, Step, str, int]]) -> None:
        run_id = self.results.run_id
        rows = [(run_id, nodeid, recipe.test_id, recipe.namespace(row), _name(step, row),
                 json.dumps(list(step.deps)), rank, int(step.parallel), int(step.finally_),
                 int(step.exclusive)) for nodeid, recipe, step, row, rank in steps]
        if rows:
            self.planned = {row[1] for row in rows}
            self._write(lambda store: store.plan_run(rows))

    def _write(self, write: Callable[[ResultsStore], None]) -> None:
        """The run goes on if the store cannot take it: the dashboard just knows less."""
        try:
            write(self.results.begun())
        except OrchestratorError as exc:
            self.results.warn(f"orchestrator: the run's progress was not recorded: {exc}")
            self.planned = set()


def _name(step: Step, row: str) -> str:
    """The step's name as ``steps.step`` records it: ``name[row]`` in a parametrized recipe."""
    return f"{step.name}[{row}]" if row else step.name
