"""pytest-orchestrator: YAML recipes of reusable scriptlets, run as pytest tests.

PYTEST_DONT_REWRITE: ``run_recipe`` imports this package before it starts pytest, which would
otherwise warn that the plugin's package cannot be rewritten (it holds no assert).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ContextError, EnvelopeError, OrchestratorError, RecipeError, StepError

if TYPE_CHECKING:
    from .api import RecipeResult, run_recipe
    from .context import Context
    from .scriptlet import BaseScriptlet

__all__ = [
    "BaseScriptlet",
    "Context",
    "ContextError",
    "EnvelopeError",
    "OrchestratorError",
    "RecipeError",
    "RecipeResult",
    "StepError",
    "run_recipe",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``Context``, ``BaseScriptlet`` and ``run_recipe`` are imported on first use: pytest
    start-up in a project without recipes does not pay for them."""
    if name == "Context":
        from .context import Context

        return Context
    if name == "BaseScriptlet":
        from .scriptlet import BaseScriptlet

        return BaseScriptlet
    if name in ("run_recipe", "RecipeResult"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'pytest_orchestrator' has no attribute {name!r}")
