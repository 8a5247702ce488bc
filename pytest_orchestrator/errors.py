"""The few error classes of the orchestrator; each says where it happened and what to do."""

from __future__ import annotations


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
