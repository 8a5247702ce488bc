"""Dependencies between steps: implicit rules, topological order, cycles, ancestry.
Pure functions, no pytest."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StepLink:
    """What dependency resolution needs to know of one step, in sequence order."""

    name: str
    depends_on: tuple[str, ...] | None
    parallel: bool


def resolve_dependencies(sequence: Sequence[StepLink]) -> dict[str, tuple[str, ...]]:
    """Apply SPEC section 4: explicit ``depends_on`` wins; otherwise a step depends on the step
    before it (on the whole run of parallel steps before it), and a parallel step depends on the
    last non-parallel step before it."""
    deps: dict[str, tuple[str, ...]] = {}
    parallel_run: list[str] = []
    last_serial: str | None = None
    for link in sequence:
        if link.depends_on is not None:
            deps[link.name] = link.depends_on
        elif link.parallel:
            deps[link.name] = (last_serial,) if last_serial else ()
        else:
            deps[link.name] = tuple(parallel_run) if parallel_run else \
                ((last_serial,) if last_serial else ())
        if link.parallel:
            parallel_run.append(link.name)
        else:
            parallel_run, last_serial = [], link.name
    return deps


def levels(steps: Iterable[tuple[str, Iterable[str]]]) -> dict[str, int]:
    """Parallel level of each step (given in topological order): 0 for roots, else one more
    than its deepest dependency. Steps of one level may run side by side under ``-n``; a
    dependency not among ``steps`` is ignored."""
    found: dict[str, int] = {}
    for name, deps in steps:
        found[name] = 1 + max((found[d] for d in deps if d in found), default=-1)
    return found


def topological_order(names: Sequence[str], deps: Mapping[str, Iterable[str]]) -> list[str]:
    """Dependencies first; among ready steps, the one earliest in ``names`` goes first.
    Raises ValueError naming a cycle when there is one."""
    rank = {name: i for i, name in enumerate(names)}
    waiting = {name: len(set(deps[name])) for name in names}
    children: dict[str, list[str]] = {name: [] for name in names}
    for name in names:
        for dep in set(deps[name]):
            children[dep].append(name)
    ready = [rank[n] for n in names if waiting[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = names[heapq.heappop(ready)]
        order.append(name)
        for child in children[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, rank[child])
    if len(order) < len(names):
        raise ValueError(" -> ".join(find_cycle(names, deps)))
    return order


def find_cycle(names: Sequence[str], deps: Mapping[str, Iterable[str]]) -> list[str]:
    """One dependency cycle, as a path that starts and ends on the same step."""
    state: dict[str, int] = {}
    for start in names:
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(deps[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop(0)
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(deps[nxt])))
    return []


class Ancestry:
    """Answers 'is A an ancestor of B?' in constant time, in memory that stays linear in the
    steps for chains and fans. The DAG is cut into paths, in topological order: a step
    continues the path of its first dependency that ends one, else starts a path. Every
    earlier step of a step's own path is its ancestor; for the other paths, a step keeps the
    furthest position it reaches (a dict shared with the dependency whose path it continues
    when that is its only dependency: a chain of any length holds one, empty)."""

    def __init__(self, order: Sequence[str], deps: Mapping[str, Iterable[str]]) -> None:
        self.rank = {name: i for i, name in enumerate(order)}
        self.deps = {name: tuple(deps[name]) for name in order}
        self._at: dict[str, tuple[int, int]] = {}  # step -> (its path, its position on it)
        self._reach: dict[str, dict[int, int]] = {}  # step -> {other path: furthest position}
        ends: dict[int, str] = {}  # path -> its last step so far
        for name in order:
            before = self.deps[name]
            after = next((d for d in before if ends.get(self._at[d][0]) == d), None)
            path, position = (self._at[after][0], self._at[after][1] + 1) if after \
                else (len(ends), 0)
            ends[path] = name
            self._at[name] = (path, position)
            if after is not None and len(before) == 1:
                self._reach[name] = self._reach[after]
            else:
                self._reach[name] = self._merged(before, path)

    def _merged(self, deps: Sequence[str], path: int) -> dict[int, int]:
        reach: dict[int, int] = {}
        for dep in deps:
            dep_path, dep_position = self._at[dep]
            for other, position in [*self._reach[dep].items(), (dep_path, dep_position)]:
                if reach.get(other, -1) < position:
                    reach[other] = position
        reach.pop(path, None)  # its own path's earlier steps are its ancestors anyway
        return reach

    def is_ancestor(self, candidate: str, step: str) -> bool:
        where, at = self._at.get(candidate), self._at.get(step)
        if where is None or at is None:
            return False
        if where[0] == at[0]:
            return where[1] < at[1]
        return self._reach[step].get(where[0], -1) >= where[1]

    def visible_writer(self, step: str, writers: Iterable[str]) -> str | None:
        """Among the steps that wrote a key, the ancestor of ``step`` latest in DAG order."""
        for writer in sorted(writers, key=lambda w: self.rank.get(w, -1), reverse=True):
            if self.is_ancestor(writer, step):
                return writer
        return None

    def visible_writers(self, step: str, writers: Iterable[str]) -> list[str]:
        """The steps among ``writers`` that are ancestors of ``step``, in DAG order."""
        return sorted((w for w in writers if self.is_ancestor(w, step)),
                      key=self.rank.__getitem__)

    def closure(self, step: str, known: Callable[[str], bool] | None = None) -> list[str]:
        """Every ancestor of ``step``, in topological order; with ``known``, an ancestor for
        which it is true is left out, and so are its own ancestors (unless another path
        leads to them): the walk stops there."""
        seen: set[str] = set()
        todo = [step]
        while todo:
            for dep in self.deps[todo.pop()]:
                if dep not in seen and not (known and known(dep)):
                    seen.add(dep)
                    todo.append(dep)
        return sorted(seen, key=self.rank.__getitem__)
