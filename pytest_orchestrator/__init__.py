"""pytest-orchestrator: YAML recipes of reusable scriptlets, run as pytest tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ContextError, EnvelopeError, OrchestratorError, RecipeError, StepError

if TYPE_CHECKING:
    from .context import Context
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


def __getattr__(name: str) -> Any:
    """``Context`` and ``BaseScriptlet`` are imported on first use: pytest start-up in a
    project without recipes does not pay for them."""
    if name == "Context":
        from .context import Context

        return Context
    if name == "BaseScriptlet":
        from .scriptlet import BaseScriptlet

        return BaseScriptlet
    raise AttributeError(f"module 'pytest_orchestrator' has no attribute {name!r}")
