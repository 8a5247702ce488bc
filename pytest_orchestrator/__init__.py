"""pytest-orchestrator: YAML recipes of reusable scriptlets, run as pytest tests."""

from __future__ import annotations

from .context import Context
from .errors import ContextError, EnvelopeError, OrchestratorError, RecipeError, StepError
from .scriptlet import BaseScriptlet

__all__ = [
    "BaseScriptlet",
    "Context",
    "ContextError",
    "EnvelopeError",
    "OrchestratorError",
    "RecipeError",
    "StepError",
]
__version__ = "0.1.0"
