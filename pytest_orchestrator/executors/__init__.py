"""Executors run one step and return a :class:`StepOutcome`: in this process, or as a subprocess."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..envelope import Envelope, error_envelope
from .resources import Usage


@dataclass
class StepOutcome:
    """What a step's execution produced, before success checks and the context commit.

    ``failure`` is empty when the scriptlet ran and printed a valid envelope; otherwise it
    says what went wrong (no envelope, a crash, a timeout...). ``traceback`` is the
    scriptlet's own traceback when it raised.
    """

    step: str
    envelope: Envelope | None = None
    failure: str = ""
    exit_code: int = 0
    stderr: str = ""
    stdout_logs: str = ""
    traceback: str = ""
    argv: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    attempts: int = 1
    failed_attempts: list[str] = field(default_factory=list)
    executor: str = ""
    cache_hit: bool = False
    writes: list[dict[str, Any]] = field(default_factory=list)  # committed: WriteRecord dicts
    notes: list[str] = field(default_factory=list)  # for the user: e.g. why it was not cached

    @property
    def passed(self) -> bool:
        return not self.failure and self.envelope is not None and self.envelope.ok \
            and self.exit_code == 0

    @property
    def envelope_dict(self) -> dict[str, Any]:
        if self.envelope is not None and not self.failure:
            return self.envelope.raw
        return error_envelope(self.failure or "failed", step=self.step,
                              exit_code=self.exit_code or 1)

    def fail(self, message: str, exit_code: int = 1) -> StepOutcome:
        """Mark this outcome failed with ``message`` (keeps the first failure)."""
        if not self.failure:
            self.failure = message
            self.exit_code = self.exit_code or exit_code
        return self
