"""The ``--dry-run`` plan: for each recipe row, its steps in run order with their parallel
level, executor, cache state and dependencies. Nothing runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .dag import levels
from .runner import executor_for

if TYPE_CHECKING:
    from .items import StepItem


def plan_lines(items: list[StepItem], cache_state: Callable[[StepItem], str],
               default_timeout: float | None = None) -> list[str]:
    """The plan as terminal lines, one block per recipe row, in the order the items run."""
    rows: dict[tuple[str, str], list[StepItem]] = {}
    for item in items:
        parent = item.parent.nodeid if item.parent else ""
        rows.setdefault((parent, item.row_id), []).append(item)
    lines: list[str] = []
    for (parent, row_id), members in rows.items():
        recipe = members[0].recipe
        level = levels((s.name, s.deps) for s in recipe.steps)
        title = f"{parent}[{row_id}]" if row_id else parent
        lines.append(f"{title} ({recipe.test_id}): {len(members)} step(s)")
        width = max(len(m.name) for m in members)
        for item in members:
            step = item.step
            after = f"after {', '.join(step.deps)}" if step.deps else "root"
            lines.append(f"  level {level[step.name]}  {item.name:<{width}}  "
                         f"{executor_for(step, item.scriptlet, default_timeout):<10} "
                         f"{cache_state(item):<11} "
                         f"{after}")
    return lines
