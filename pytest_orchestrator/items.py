"""pytest nodes: a recipe file is a RecipeFile, each step of each row is a StepItem."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .errors import OrchestratorError, RecipeError
from .executors import StepOutcome
from .recipe import Recipe, Step, load_recipe
from .scriptlet import BaseScriptlet, resolve_steps
from .session import SESSION_KEY


class StepFailed(Exception):
    """A step's outcome was not a pass; carries the outcome for the failure text."""

    def __init__(self, outcome: StepOutcome) -> None:
        super().__init__(outcome.failure or outcome.envelope_dict.get("reason", "failed"))
        self.outcome = outcome


class RecipeFile(pytest.File):
    """A YAML recipe; collecting it checks it whole and yields its steps in DAG order."""

    def collect(self) -> Iterator[StepItem]:
        session = self.config.stash[SESSION_KEY]
        try:
            recipe = load_recipe(self.path, self.config.rootpath,
                                 max_rows=session.max_parametrize_rows)
            session.claim_test_id(recipe)
            overrides = self.config.pluginmanager.get_plugin("orchestrator-params")
            if overrides is not None:  # --orch-param
                recipe = overrides.apply(recipe)
            scriptlets = resolve_steps(recipe, session.allowed_packages,
                                       self.config.rootpath)
        except RecipeError as exc:
            raise self.CollectError(str(exc)) from None
        except OSError as exc:
            raise self.CollectError(f"{self.path}: cannot read the recipe: {exc}") from None
        # --lf: a recipe that failed to collect last time runs whole once fixed (pytest
        # would filter its steps out once another file's failures were collected)
        lastfailed = self._lastfailed()
        for row_id, params in recipe.rows(session.redactor.is_secret_name):
            session.register_recipe(recipe, row_id, self.nodeid)
            session.learn_secrets(recipe, row_id, params)
            for rank, step in enumerate(recipe.steps):
                name = f"{step.name}[{row_id}]" if row_id else step.name
                item = StepItem.from_parent(self, name=name, recipe=recipe, step=step,
                                            row_id=row_id, params=params,
                                            scriptlet=scriptlets.get(step.name), rank=rank)
                session.mark(item)
                if lastfailed is not None:  # keys are NodeIds on pytest 9.2, str before
                    lastfailed[getattr(item, "id", None) or item.nodeid] = True
                yield item

    def _lastfailed(self) -> dict[Any, bool] | None:
        lfplugin = self.config.pluginmanager.get_plugin("lfplugin")
        if not (lfplugin and self.config.getoption("lf", False)):
            return None
        failed: dict[Any, bool] = getattr(lfplugin, "lastfailed", {})
        return failed if any(str(key) == self.nodeid for key in failed) else None


class StepItem(pytest.Item):
    """One step of one recipe row, run as a pytest test."""

    def __init__(self, *, recipe: Recipe, step: Step, row_id: str, params: dict[str, Any],
                 scriptlet: type[BaseScriptlet] | None, rank: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.recipe = recipe
        self.step = step
        self.row_id = row_id
        self.params = params
        self.scriptlet = scriptlet
        self.outcome: StepOutcome | None = None
        self.log_file: Path | None = None  # its per-step log, when one was written
        self.extra_keyword_matches.add(recipe.test_id)
        session = self.config.stash[SESSION_KEY]
        for mark in (*recipe.tags, *step.markers):
            session.register_marker(mark)
            self.add_marker(mark)
        if step.requires_process or (scriptlet is not None and scriptlet.requires_process):
            self.add_marker("requires_process")
        if step.xfail:
            self.add_marker(pytest.mark.xfail(reason=step.xfail, strict=True))

    def dep_nodeid(self, dep: str) -> str:
        """The node id of a dependency in the same recipe row."""
        suffix = f"[{self.row_id}]" if self.row_id else ""
        return f"{self.parent.nodeid}::{dep}{suffix}" if self.parent else dep

    def setup(self) -> None:
        self.config.stash[SESSION_KEY].check_dependencies(self)

    def runtest(self) -> None:
        __tracebackhide__ = True
        self.outcome = self.config.stash[SESSION_KEY].run_step(self)
        if not self.outcome.passed:
            raise StepFailed(self.outcome)

    def teardown(self) -> None:
        # its reports are made: what they need of the outcome (its envelope, writes, usage)
        # is on them and in the store, and pytest keeps every item to the end of the session
        self.outcome = None

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        session = self.config.stash[SESSION_KEY]
        if isinstance(excinfo.value, (StepFailed, OrchestratorError)):
            return session.redactor.text(session.failure_text(self, excinfo.value))
        return session.redactor.text(str(super().repr_failure(excinfo, style)))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.step.line - 1, f"{self.recipe.test_id}::{self.name}"

