"""The few error classes of the orchestrator; each says where it happened and what to do."""

from __future__ import annotations

from typing import NoReturn


class OrchestratorError(Exception):
    """Base class: a message, where it happened (file:line or step) and a hint."""

    def __init__(self, message: str, *, where: str = "", hint: str = "") -> None:
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}; {self.hint}" if self.hint else text


class RecipeError(OrchestratorError):
    """A recipe that cannot run: YAML, schema, DAG, allow-list or path problems. Always one
    line: a newline or other control character quoted from the recipe is shown escaped."""

    def __str__(self) -> str:
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in super().__str__())


class ContextError(OrchestratorError):
    """A context write that breaks a rule: JSON-safety, key naming, shape lock, conflict."""


class ContextUnavailable(ContextError):
    """The context backend cannot be reached (a Redis server gone mid-run): the step that
    needed it fails with this one line, never with a traceback."""


class EnvelopeError(OrchestratorError):
    """A scriptlet's stdout that is not exactly one valid JSON envelope line."""


class StepError(OrchestratorError):
    """A step that cannot be run as configured (missing env var, bad placeholder value...)."""


class Problems:
    """Where the checks of a recipe put what they find. Collection wants the first problem
    raised (the default); ``orchestrator lint`` keeps them all (``keep_all``)."""

    def __init__(self, *, keep_all: bool = False) -> None:
        self.keep_all = keep_all
        self.found: list[RecipeError] = []

    def add(self, problem: RecipeError) -> None:
        """Keep ``problem``, or raise it."""
        if not self.keep_all:
            raise problem
        self.found.append(problem)

    def stop(self, problems: list[RecipeError]) -> NoReturn:
        """Problems after which nothing more can be checked (a document that breaks the
        schema): raise the first, saying how many more there are; or keep them all, in
        order, and raise the first."""
        first, *others = problems
        if self.keep_all:
            self.found += problems
            raise first
        more = f" (and {len(others)} more problem{'s' * (len(others) > 1)})" if others else ""
        raise RecipeError(first.message + more, where=first.where, hint=first.hint)
