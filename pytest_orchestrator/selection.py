"""Step selection beyond ``-k``/``-m``/``--lf``: ``--only``, ``--skip``, ``--resume-from``, and
``--with-deps`` pulling every selected step's dependencies back into the run."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Generator
from typing import Any

import pytest

from .session import SESSION_KEY


class Selection:
    """Registered from pytest_configure, after the lastfailed plugin: its tryfirst wrapper
    sees the items once -k, -m, --deselect and --lf have had their say."""

    def __init__(self, config: pytest.Config) -> None:
        self.only = _names(config.getoption("orch_only"))
        self.skip = _names(config.getoption("orch_skip"))
        self.resume_from = config.getoption("orch_resume_from")
        self.with_deps = config.getoption("orch_with_deps")

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> Generator[None, Any, Any]:
        full = list(items)
        result = yield
        if config.stash[SESSION_KEY].step_nodeids:  # recipe steps were collected
            self._select(config, items, full)
            keep_dag_order(items)
        return result

    def _select(self, config: pytest.Config, items: list[pytest.Item],
                full: list[pytest.Item]) -> None:
        if not (self.only or self.skip or self.resume_from or self.with_deps):
            return
        self._check_names(full)
        kept = [i for i in items if self._keeps(i, full)]
        if self.with_deps:
            kept = _with_dependencies(kept, full)
        keep = set(kept)
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept

    def _check_names(self, full: list[pytest.Item]) -> None:
        """A step name that no collected recipe has is a usage error, with the closest ones."""
        from .items import StepItem

        known = {i.step.name for i in full if isinstance(i, StepItem)}
        if not known and not full:
            return  # nothing collected (a collection error says why)
        wanted = self.only | self.skip | ({self.resume_from} if self.resume_from else set())
        for name in sorted(wanted - known):
            close = difflib.get_close_matches(name, sorted(known), n=3)
            hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else \
                f"the collected steps are: {', '.join(sorted(known)[:20]) or 'none'}"
            raise pytest.UsageError(f"no step named '{name}' in the collected recipes; {hint}")

    def _keeps(self, item: pytest.Item, full: list[pytest.Item]) -> bool:
        from .items import StepItem

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


def keep_dag_order(items: list[pytest.Item]) -> None:
    """Whatever reordered the items (--ff, --nf, random order plugins), each recipe row keeps
    its steps in DAG order: they go back to the slots the row occupies. Plain tests that read
    a recipe's context (the ``orchestrator_context`` fixture) run after every step."""
    from .items import StepItem

    slots: dict[Any, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        if isinstance(item, StepItem):
            slots[_row(item)].append(i)
    for positions in slots.values():
        steps = sorted((items[i] for i in positions), key=lambda it: getattr(it, "rank", 0))
        for i, item in zip(positions, steps, strict=True):
            items[i] = item
    readers = [i for i in items if "orchestrator_context" in getattr(i, "fixturenames", ())]
    if readers:
        reading = set(readers)
        items[:] = [i for i in items if i not in reading] + readers


def _names(values: list[str] | None) -> set[str]:
    """``--only a --only b,c`` -> {a, b, c}."""
    return {name.strip() for value in values or () for name in value.split(",") if name.strip()}


def _row(item: pytest.Item) -> tuple[Any, str]:
    return item.path, getattr(item, "row_id", "")


def _with_dependencies(kept: list[pytest.Item], full: list[pytest.Item]) -> list[pytest.Item]:
    """``kept`` plus the ancestors of its steps, in collection (DAG) order."""
    from .items import StepItem

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
