"""Recipes run from Python (``run_recipe``) and by ``orchestrator run``: pytest in this process,
with a small plugin that keeps each step's outcome, the run id and the final context."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from .errors import OrchestratorError

if TYPE_CHECKING:
    from .context import Context


@dataclass(frozen=True)
class RecipeResult:
    """One ``run_recipe`` call: pytest's exit code, the run id, each step's outcome (``step``
    or ``step[row]`` → ``passed``, ``failed``, ``skipped``, ``xfailed``, ``error``) and each
    row's final context (row id → Context; ``""`` when the recipe is not parametrized)."""

    exit_code: int
    run_id: str
    outcomes: dict[str, str]
    contexts: dict[str, Context] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether pytest passed the run (exit code 0)."""
        return self.exit_code == 0

    @property
    def context(self) -> Context:
        """The recipe's final context: ``get``, ``to_dict``, ``history``. A copy, kept after
        the run; a parametrized recipe has one per row, in ``contexts``."""
        if len(self.contexts) == 1:
            return next(iter(self.contexts.values()))
        rows = ", ".join(repr(row) for row in self.contexts)
        raise OrchestratorError(
            f"this run has {len(self.contexts)} recipe rows{f' ({rows})' if rows else ''}, "
            "so no single context", hint="read result.contexts[row]" if rows else
            "no step was collected: pytest's output above says why")


def run_recipe(path: str | Path, *, only: Iterable[str] = (), skip: Iterable[str] = (),
               resume_from: str | None = None, params: Mapping[str, Any] | None = None,
               pytest_args: Iterable[str] = ()) -> RecipeResult:
    """Run one recipe with pytest in this process (the plugin, results store and reports of a
    ``pytest`` run) and return what it did. ``params`` replaces parametrize axes
    (``{"dut": ["leaf1"]}``). Safe to call again and again: each call is a fresh pytest
    session, and the scriptlet modules are imported afresh each time."""
    recipe = Path(path)
    if not recipe.is_file():
        raise OrchestratorError(f"no recipe file at {recipe}", where="run_recipe",
                                hint="give the path of one recipe YAML file")
    args = [str(recipe), *selection_args(_names(only), _names(skip), resume_from),
            *param_args(params or {}), *pytest_args]
    run = run_pytest(args)
    return RecipeResult(exit_code=run.exit_code, run_id=run.run_id,
                        outcomes=run.steps(),
                        contexts=run.contexts_by_row())


def selection_args(only: list[str], skip: list[str], resume_from: str | None) -> list[str]:
    """The plugin's selection options for these step names."""
    args = [f"--orch-only={name}" for name in only]
    args += [f"--orch-skip={name}" for name in skip]
    return [*args, f"--orch-resume-from={resume_from}"] if resume_from else args


def param_args(params: Mapping[str, Any]) -> list[str]:
    """``{"dut": ["a", "b"]}`` → ``--orch-param=dut="a"`` twice, each value checked here."""
    import argparse

    from .parametrize import param_value

    args = []
    for name, given in params.items():
        for value in given if isinstance(given, (list, tuple)) else [given]:
            try:
                text = f"{name}={json.dumps(value, allow_nan=False)}"
                param_value(text)
            except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
                raise OrchestratorError(f"params[{name!r}]: {exc}", where="run_recipe",
                                        hint="give a string, number or boolean, or a list of "
                                             "them, for a parametrize axis of the recipe") from None
            args.append(f"--orch-param={text}")
    return args


def run_pytest(args: list[str]) -> RunSummary:
    """``pytest.main(args)`` with a :class:`RunSummary` watching; ``sys.path`` and the modules
    of the scriptlet packages are as before once it returns."""
    summary = RunSummary()
    path = list(sys.path)
    try:
        summary.exit_code = int(pytest.main(args, plugins=[summary]))
    finally:
        sys.path[:] = path
        summary.restore_modules()
    return summary


class RunSummary:
    """A plugin for one pytest session: each step's outcome by node id, the run id, and at the
    end a copy of the recipes' contexts in a fresh memory backend (the run's own is closed)."""

    def __init__(self) -> None:
        self.exit_code = 0
        self.run_id = ""
        self.outcomes: dict[str, str] = {}
        self.namespaces: dict[str, tuple[str, str]] = {}  # node id → (row id, namespace)
        self.contexts: dict[str, Context] = {}  # namespace → its final context
        self._allowed: tuple[str, ...] = ()
        self._modules: dict[str, ModuleType] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """The scriptlet modules imported before are set aside: this run imports them afresh
        (edited since, or another project's package of the same name)."""
        from .session import SESSION_KEY

        session = config.stash.get(SESSION_KEY, None)
        if session is None:  # -p no:orchestrator
            return
        self.run_id = session.run_id
        self._allowed = session.allowed_packages
        self._modules = self._scriptlet_modules(drop=True)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from .session import SESSION_KEY

        orchestrator = session.config.stash.get(SESSION_KEY, None)
        steps = orchestrator.step_nodeids if orchestrator is not None else set()
        for item in session.items:
            if item.nodeid in steps:
                row = getattr(item, "row_id", "")
                self.namespaces[item.nodeid] = (row, item.recipe.namespace(row))  # type: ignore[attr-defined]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from .session import reran

        record = getattr(report, "orch_record", None)
        if record and not reran(report):
            self.outcomes[report.nodeid] = record["outcome"]
            if "namespace" in record:  # under xdist the controller collects nothing
                self.namespaces.setdefault(report.nodeid, (_row(report.nodeid),
                                                           record["namespace"]))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.namespaces:
            return
        from .context import Context
        from .context.memory import MemoryBackend
        from .session import SESSION_KEY

        live = session.config.stash[SESSION_KEY].backend
        copy = MemoryBackend()
        for namespace in sorted({ns for _, ns in self.namespaces.values()}):
            records = live.history(namespace)
            if records:
                copy.commit(namespace, records, "last_write_wins")
            self.contexts[namespace] = Context(copy, namespace, run_id=self.run_id)

    def contexts_by_row(self) -> dict[str, Context]:
        return {row: self.contexts[ns] for row, ns in sorted(set(self.namespaces.values()))
                if ns in self.contexts}

    def steps(self) -> dict[str, str]:
        """Outcomes by step (``step[row]`` for a parametrized recipe); by node id when steps
        of several recipe files ran."""
        files = {nodeid.split("::", 1)[0] for nodeid in self.outcomes}
        if len(files) > 1:
            return dict(self.outcomes)
        return {_name(nodeid): outcome for nodeid, outcome in self.outcomes.items()}

    def ctx_keys(self) -> list[str]:
        """The context keys the recipes' steps hold at the end (not the runner's records)."""
        return sorted({key for ctx in self.contexts.values()
                       for key in ctx.snapshot(runner=False)})

    def restore_modules(self) -> None:
        """Put back the scriptlet modules there were before the run, and only those."""
        self._scriptlet_modules(drop=True)
        sys.modules.update(self._modules)

    def _scriptlet_modules(self, drop: bool) -> dict[str, ModuleType]:
        from .safety import module_allowed

        found = {name: module for name, module in list(sys.modules.items())
                 if module_allowed(name, self._allowed)}
        for name in found if drop else ():
            del sys.modules[name]
        return found


def _names(given: Iterable[str]) -> list[str]:
    """Step names as a list: one name given as a string is one name, not its letters."""
    return [given] if isinstance(given, str) else list(given)


def _name(nodeid: str) -> str:
    """``recipes/x.yaml::step[row]`` → ``step[row]``."""
    return nodeid.split("::", 1)[-1]


def _row(nodeid: str) -> str:
    """The row id in ``recipes/x.yaml::step[row]`` (step names never hold a bracket)."""
    name = _name(nodeid)
    return name[name.index("[") + 1:-1] if name.endswith("]") and "[" in name else ""
