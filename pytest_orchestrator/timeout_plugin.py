"""With pytest-timeout: its timeout on a step item (the signal method raises ``Failed`` in the
step) fails that step like the step's own timeout, with a structured reason the report and
the results store keep: ``timeout after Ns (pytest-timeout)``. Its thread method ends the
whole process, as it documents; a step's own ``timeout`` is the hard limit of one step."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

_NAME = "orchestrator-pytest-timeout"
_MESSAGE = re.compile(r"Timeout \(>(?P<seconds>[0-9.e+-]+)s\) from pytest-timeout\.")


def register(config: pytest.Config) -> None:
    """Once a recipe is collected, if pytest-timeout is installed."""
    if not config.pluginmanager.has_plugin(_NAME):
        config.pluginmanager.register(PytestTimeout(), _NAME)


class PytestTimeout:
    """Turns pytest-timeout's failure of a step item into the step's timeout."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        try:
            return (yield)
        except pytest.fail.Exception as exc:
            found = _MESSAGE.fullmatch(str(exc.msg))
            from .items import StepFailed, StepItem

            if found is None or not isinstance(item, StepItem):
                raise
            from .executors import StepOutcome
            from .runner import executor_for
            from .session import SESSION_KEY

            seconds = float(found["seconds"])
            executor = executor_for(item.step, item.scriptlet,
                                    item.config.stash[SESSION_KEY].default_timeout)
            item.outcome = StepOutcome(item.step.name, executor=executor).fail(
                f"timeout after {seconds:g}s (pytest-timeout)", 124)
            raise StepFailed(item.outcome) from None
