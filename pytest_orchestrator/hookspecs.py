"""Every ``pytest_orchestrator_*`` hook: how users add context backends and reporters without
touching the core. Implement them in a conftest.py or a plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .analysis.summary import RunFacts, Summary
    from .context import ContextBackend
    from .executors import StepOutcome
    from .recipe import Step


@pytest.hookspec(firstresult=True)
def pytest_orchestrator_context_backend(config: pytest.Config, url: str) -> ContextBackend | None:
    """Open the context backend for ``url`` (``--orch-context`` / ini ``orchestrator_context``).

    Return an object implementing :class:`pytest_orchestrator.context.ContextBackend`, or None
    to let another implementation (in the end the built-in one, ``trylast``) handle the URL.

    Example, in a conftest.py::

        def pytest_orchestrator_context_backend(config, url):
            if url.startswith("etcd://"):
                return EtcdBackend(url)
    """


@pytest.hookspec
def pytest_orchestrator_step_start(item: pytest.Item, step: Step) -> None:
    """Called just before a step runs (after its dependencies were checked).

    Example, a reporter that prints progress::

        def pytest_orchestrator_step_start(item, step):
            print(f"-> {item.nodeid} ({step.type})")
    """


@pytest.hookspec
def pytest_orchestrator_step_finish(item: pytest.Item, step: Step, outcome: StepOutcome) -> Any:
    """Called when a step has run and its writes were committed or dropped.

    ``outcome.passed``, ``outcome.envelope_dict``, ``outcome.stderr`` tell what happened.

    Example, a reporter that collects every envelope::

        def pytest_orchestrator_step_finish(item, step, outcome):
            ENVELOPES[item.nodeid] = outcome.envelope_dict
    """


@pytest.hookspec(firstresult=True)
def pytest_orchestrator_summarize(run: RunFacts) -> Summary | None:
    """Write the summary of a finished run (on the controller, before the reports).

    ``run`` is a :class:`pytest_orchestrator.analysis.summary.RunFacts`: ``run.figures``,
    ``run.steps``, ``run.flags`` (regressions), ``run.flaky``, and ``run.as_json()`` for a
    prompt. Return a :class:`pytest_orchestrator.analysis.summary.Summary` whose ``producer``
    names the model, or None to leave it to the next implementation (in the end the built-in
    heuristic one, ``trylast``). Every report shows the producer beside the summary.

    Example, a plugin that asks a language model (docs/hooks.md has the whole one)::

        from pytest_orchestrator.analysis.summary import Summary

        def pytest_orchestrator_summarize(run):
            text = my_llm_client.complete("Summarize this test run:\\n" + run.as_json())
            return Summary(text, producer="my-model-1")
    """
