"""Step selection beyond ``-k``/``-m``/``--lf``: ``--only``, ``--skip``, ``--resume-from``, and
``--with-deps`` pulling every selected step's dependencies back into the run."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from .items import StepItem


class Selection:
    """Registered from pytest_configure, after the lastfailed plugin: its tryfirst wrapper
    sees the items once -k, -m, --deselect and --lf have had their say."""

    def __init__(self, config: pytest.Config) -> None:
        self.only = set(config.getoption("orch_only") or ())
        self.skip = set(config.getoption("orch_skip") or ())
        self.resume_from = config.getoption("orch_resume_from")
        self.with_deps = config.getoption("orch_with_deps")

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> Generator[None, Any, Any]:
        full = list(items)
        result = yield
        if not (self.only or self.skip or self.resume_from or self.with_deps):
            return result
        kept = [i for i in items if self._keeps(i, full)]
        if self.with_deps:
            kept = _with_dependencies(kept, full)
        keep = set(kept)
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        return result

    def _keeps(self, item: pytest.Item, full: list[pytest.Item]) -> bool:
        if not isinstance(item, StepItem):
            return True
        name = item.step.name
        if (self.only and name not in self.only) or name in self.skip:
            return False
        if self.resume_from:
            start = next((i for i in full if isinstance(i, StepItem) and _row(i) == _row(item)
                          and i.step.name == self.resume_from), None)
            if start is not None and item.rank < start.rank:
                return False
        return True


def _row(item: pytest.Item) -> tuple[Any, str]:
    return item.path, getattr(item, "row_id", "")


def _with_dependencies(kept: list[pytest.Item], full: list[pytest.Item]) -> list[pytest.Item]:
    """``kept`` plus the ancestors of its steps, in collection (DAG) order."""
    wanted = set(kept)
    by_name = {(_row(i), i.step.name): i for i in full if isinstance(i, StepItem)}
    todo = [i for i in kept if isinstance(i, StepItem)]
    while todo:
        item = todo.pop()
        for dep in item.step.deps:
            found = by_name.get((_row(item), dep))
            if found is not None and found not in wanted:
                wanted.add(found)
                todo.append(found)
    return [i for i in full if i in wanted]
