"""``orchestrator diff RUN_A RUN_B``: what changed between two stored runs, as tables or JSON."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from .output import cell, open_store, store_options, table

if TYPE_CHECKING:
    from ..analysis.diff import NumberChange, RunDiff, ValueChange


def add_commands(commands: Any) -> None:
    diff = commands.add_parser(
        "diff", help="what changed between two runs: step outcomes, context values, metrics, "
                     "durations")
    diff.add_argument("run_a", nargs="?", default="previous", metavar="RUN_A",
                      help="the run before: a run id, a unique prefix of one, latest or "
                           "previous (default: previous)")
    diff.add_argument("run_b", nargs="?", default="latest", metavar="RUN_B",
                      help="the run after, named the same way (default: latest)")
    diff.add_argument("--recipe", metavar="ID",
                      help="only this recipe's steps (its test_id, or a namespace)")
    store_options(diff)
    diff.set_defaults(handler=_diff)


def _diff(args: argparse.Namespace) -> int:
    from ..analysis.diff import diff_runs

    with open_store(args.db) as store:
        found = diff_runs(store, args.run_a, args.run_b, args.recipe)
    print(json.dumps(found.as_dict(), indent=2) if args.json else render(found))
    return 0


def render(found: RunDiff) -> str:
    """The diff as text: the two runs, then a table a section (or ``(none)``)."""
    sections = [_runs(found),
                _section(f"steps: {len(found.steps)} changed, {found.unchanged_steps} unchanged",
                         [[s.recipe, s.step, s.before or "(not run)", s.after or "(not run)"]
                          for s in found.steps], ["recipe", "step", "before", "after"]),
                _section(f"context: {len(found.context)} change"
                         f"{'s' * (len(found.context) != 1)}",
                         [[c.namespace, c.key, c.path, c.change, _json(c, c.before, "added"),
                           _json(c, c.after, "removed")] for c in found.context],
                         ["namespace", "key", "path", "change", "before", "after"]),
                _section("metrics", [[m.recipe, m.step, m.name, _number(m.before),
                                      _number(m.after), _percent(m)] for m in found.metrics],
                         ["recipe", "step", "metric", "before", "after", "change"]),
                _section("durations", [[d.recipe, d.step, _seconds(d.before), _seconds(d.after),
                                        _percent(d)] for d in found.durations],
                         ["recipe", "step", "before", "after", "change"])]
    return "\n\n".join(sections)


def _runs(found: RunDiff) -> str:
    return "\n".join(f"{side}: {run['run_id']} ({run['status']}, started {run['started']}"
                     f"{', git ' + run['git_rev'] if run.get('git_rev') else ''})"
                     for side, run in (("before", found.before), ("after", found.after)))


def _section(title: str, rows: list[list[str]], header: list[str]) -> str:
    body = table([[cell(value) for value in row] for row in rows], header) if rows else "(none)"
    return f"{title}\n{body}"


def _json(change: ValueChange, value: Any, absent: str) -> str:
    """A context value as compact JSON; nothing on the side where it does not exist."""
    return "" if change.change == absent else json.dumps(value, separators=(", ", ": "))


def _number(value: float | None) -> str:
    """A whole number with thousands separators (bytes), else six significant digits."""
    if value is None:
        return ""
    return f"{int(value):,}" if value.is_integer() else f"{value:.6g}"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}s"


def _percent(change: NumberChange) -> str:
    pct = change.change_pct
    return "" if pct is None else f"{pct:+.1f}%"
