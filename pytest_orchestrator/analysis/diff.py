"""What changed between two runs in the results store: step outcomes, context values (per JSON
path, before → after), metrics and durations with their change in percent."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import OrchestratorError

if TYPE_CHECKING:
    from ..store import ResultsStore

#: Names that stand for a run: the newest, and the one before it.
ALIASES = ("latest", "previous")
#: The runner's own records (timings of every step), which differ in every run: durations and
#: the metrics show them instead.
RUNNER_KEYS = "_runner."
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: What the diff says of each run (not its command line, which may hold a secret in a store
#: an older version wrote).
RUN_FIELDS = ("run_id", "status", "started", "ended", "host", "git_rev")
#: The side of a difference where the value does not exist.
MISSING = object()
#: A step of a run: (test_id, namespace, step name with its parametrize row).
_Step = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class StepChange:
    """A step whose outcome differs, or that ran in one of the runs only (outcome None)."""

    recipe: str  # its test_id; "test_id in NAMESPACE" for a shared namespace
    step: str  # with its parametrize row: ping[leaf1]
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One JSON path of a context key that was added, removed or changed."""

    namespace: str
    key: str
    path: str  # "$" for the whole value, then ".field" and "[index]"
    change: str  # added | removed | changed
    before: Any = None
    after: Any = None


@dataclass(frozen=True, slots=True)
class NumberChange:
    """A metric or a duration of one step in both runs (None where a run has none)."""

    recipe: str
    step: str
    name: str
    before: float | None
    after: float | None

    @property
    def change_pct(self) -> float | None:
        """(after - before) / |before| in percent; None when either is missing or before is 0
        and after is not."""
        if self.before is None or self.after is None:
            return None
        if self.before == 0:
            return 0.0 if self.after == 0 else None
        return (self.after - self.before) / abs(self.before) * 100


@dataclass(frozen=True)
class RunDiff:
    """Everything that changed from run ``before`` to run ``after``."""

    before: dict[str, Any]  # the run's RUN_FIELDS
    after: dict[str, Any]
    steps: list[StepChange] = field(default_factory=list)
    unchanged_steps: int = 0
    context: list[ValueChange] = field(default_factory=list)
    metrics: list[NumberChange] = field(default_factory=list)
    durations: list[NumberChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, with each number change's ``change_pct``."""
        numbers = {name: [{**asdict(n), "change_pct": n.change_pct} for n in changes]
                   for name, changes in (("metrics", self.metrics),
                                         ("durations", self.durations))}
        return {"before": self.before, "after": self.after,
                "steps": [asdict(s) for s in self.steps], "unchanged_steps": self.unchanged_steps,
                "context": [asdict(c) for c in self.context], **numbers}


def diff_runs(store: ResultsStore, before: str, after: str, recipe: str | None = None) -> RunDiff:
    """The diff of two runs, each named by its id, a unique prefix of it, ``latest`` or
    ``previous``; ``recipe`` (a test_id, or a namespace) keeps that recipe's steps only."""
    runs = [find_run(store, name) for name in (before, after)]
    steps = _chosen_steps([run.pop("steps") for run in runs], recipe)
    metrics = [_metrics(store.step_metrics(run["run_id"]), side)
               for run, side in zip(runs, steps, strict=True)]
    durations = [{key: {"duration": row["duration"]} for key, row in side.items()}
                 for side in steps]
    return RunDiff(before={name: runs[0].get(name) for name in RUN_FIELDS},
                   after={name: runs[1].get(name) for name in RUN_FIELDS},
                   steps=list(_step_changes(*steps)),
                   unchanged_steps=sum(steps[0][key]["outcome"] == steps[1][key]["outcome"]
                                       for key in steps[0].keys() & steps[1].keys()),
                   context=list(diff_context(*(_context(side) for side in steps))),
                   metrics=list(_numbers(*metrics)), durations=list(_numbers(*durations)))


def find_run(store: ResultsStore, name: str) -> dict[str, Any]:
    """A run and its steps: by id, a unique prefix of one, ``latest`` or ``previous``."""
    if name in ALIASES:
        runs = store.runs(2)
        rank = ALIASES.index(name)
        if len(runs) <= rank:
            raise OrchestratorError(f"there is no {name} run: the store holds {len(runs)}",
                                    hint="run pytest on a recipe first")
        name = runs[rank]["run_id"]
    run = store.run(name)
    if run is None:
        raise OrchestratorError(f"no run '{name}' in {store.path}",
                                hint="`orchestrator runs` lists them; `latest` and `previous` "
                                     "name the last two")
    return run


def diff_context(before: dict[tuple[str, str], Any], after: dict[tuple[str, str], Any]
                 ) -> Iterator[ValueChange]:
    """Per (namespace, key), each JSON path whose value was added, removed or changed. The
    store holds secrets masked; a value under a secret-looking key or path, or a URL password,
    is masked once more here (a store an older version or another tool wrote may not be)."""
    from ..safety import Redactor

    redactor = Redactor(environ={})
    for namespace, key in sorted(before.keys() | after.keys()):
        for path, old, new in diff_values(before.get((namespace, key), MISSING),
                                          after.get((namespace, key), MISSING)):
            change = "added" if old is MISSING else "removed" if new is MISSING else "changed"
            old, new = (None if value is MISSING else redactor.value(value, key + path)
                        for value in (old, new))
            yield ValueChange(namespace, key, path, change, old, new)


def diff_values(old: Any, new: Any, path: str = "$") -> Iterator[tuple[str, Any, Any]]:
    """(JSON path, before, after) of each difference between two JSON values: mappings by key
    and lists by index, down to the values that differ; a side that lacks it is ``MISSING``."""
    if type(old) is type(new) and isinstance(old, dict):
        for name in list(old) + [k for k in new if k not in old]:
            yield from diff_values(old.get(name, MISSING), new.get(name, MISSING),
                                   f"{path}.{name}" if _NAME.fullmatch(name)
                                   else f"{path}[{json.dumps(name)}]")
    elif type(old) is type(new) and isinstance(old, list):
        for i in range(max(len(old), len(new))):
            yield from diff_values(old[i] if i < len(old) else MISSING,
                                   new[i] if i < len(new) else MISSING, f"{path}[{i}]")
    elif type(old) is not type(new) or old != new:  # 1 and 1.0, or 1 and true, are changes
        yield path, old, new


def _chosen_steps(runs: list[list[dict[str, Any]]], recipe: str | None
                  ) -> list[dict[_Step, Any]]:
    """Each run's steps by (test_id, namespace, step), the last result recorded of each; of
    ``recipe`` only (its test_id or namespace), which one of the runs at least must have."""
    chosen = [{(row["test_id"], row["namespace"], row["step"]): row for row in rows
               if recipe is None or recipe in (row["test_id"], row["namespace"])}
              for rows in runs]
    if recipe is not None and not any(chosen):
        ran = sorted({row["test_id"] for rows in runs for row in rows})
        raise OrchestratorError(f"neither run has a step of recipe '{recipe}'",
                                hint=f"they ran {', '.join(ran) or 'no recipe'}")
    return chosen


def _step_changes(before: dict[_Step, Any],
                  after: dict[_Step, Any]) -> Iterator[StepChange]:
    for key in _keys(before, after):
        old, new = (side[key]["outcome"] if key in side else None for side in (before, after))
        if old != new:
            yield StepChange(_recipe(key), key[2], old, new)


def _context(steps: dict[_Step, Any]) -> dict[tuple[str, str], Any]:
    """The context a run ended with, per (namespace, key): the last value its steps wrote or
    restored (the runner's records left out)."""
    state: dict[tuple[str, str], Any] = {}
    for row in sorted(steps.values(), key=lambda row: row["id"]):
        for write in row["writes"]:
            if not write["key"].startswith(RUNNER_KEYS):
                state[(row["namespace"], write["key"])] = write.get("after")
    return state


def _metrics(by_step_id: dict[int, dict[str, float]], steps: dict[_Step, Any]
             ) -> dict[_Step, dict[str, float]]:
    """The metrics of each step but its duration (the durations are compared apart)."""
    return {key: {name: value for name, value in by_step_id.get(row["id"], {}).items()
                  if name != "duration"} for key, row in steps.items()}


def _numbers(before: dict[_Step, dict[str, float]], after: dict[_Step, dict[str, float]]
             ) -> Iterator[NumberChange]:
    """Each number of each step of either run, before and after."""
    for key in _keys(before, after):
        old, new = before.get(key, {}), after.get(key, {})
        for name in list(old) + [n for n in new if n not in old]:
            yield NumberChange(_recipe(key), key[2], name, old.get(name), new.get(name))


def _keys(before: dict[Any, Any], after: dict[Any, Any]) -> list[Any]:
    """The keys of both, in the order of the run after, then those of the run before only."""
    return [*after, *(key for key in before if key not in after)]


def _recipe(key: _Step) -> str:
    """How a step's recipe is named: its ``test_id``, and ``in NAMESPACE`` when the recipe
    writes to a shared namespace (the step's name holds its parametrize row)."""
    test_id, namespace, _ = key
    if namespace == test_id or namespace.startswith(f"{test_id}["):
        return test_id
    return f"{test_id} in {namespace}"
