"""The DAG-aware pytest-xdist scheduler: a step goes to a worker only once every dependency
has finished on another worker, or is queued before it on the same one; ``exclusive`` steps
run with nothing beside them; anything else (plain tests) is a root. Controller side only; the
worker side is the sync item below.

The promise: a dependent starts only after every dependency passed (a failed or skipped one
makes it skip with the same message as sequentially), it sees the context its dependencies
wrote, and the results store never holds a dependent's result without its dependency's.
A chain's next step is sent ahead to the worker that runs (or holds) its dependency, up to
``AHEAD`` steps, so a chain runs without a round trip to the controller between its steps:
one worker runs its items in order and checks each dependency's outcome itself, its reports
reach the controller in order, and the controller stores them in arrival order. A dependent
whose dependency ran on another worker is dispatched only once that result is in the store,
where it reads it.

What we rely on in xdist 3.8 (see shared/notes/pytest-xdist-internals.md):
* a worker runs an item only once it knows the next one, so every dispatch ends with the
  sync item: the worker runs the steps at once and then holds the harmless sync item;
* every report of an item is processed on the controller before its completion event, so when
  ``mark_test_complete`` dispatches dependents, the step's result is with the results writer,
  which writes what it holds (batches.py) before a dependent goes to another worker;
* ``remove_node`` returns the crashed item's id (it counts as finished, failed: its
  dependents skip wherever they run, those sent ahead with it too) and None on a normal
  finish; the scheduler is only called on events, so the deadlock check runs inline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# recipe (and with it PyYAML and the schema) is imported only when a YAML file is collected:
# an -n run without recipes pays nothing for it, on the controller or on the workers
if TYPE_CHECKING:
    from .recipe import Recipe, Step

SYNC_NAME = "__orchestrator_sync__"
#: Steps of a chain a worker may hold queued behind the one it runs; refilled once half
#: of them ran, so one message (and one sync item) carries several steps.
AHEAD = 32
#: A recipe file read by the controller, with its steps by name.
Loaded = tuple["Recipe", dict[str, "Step"]]
#: The recipe files the controller read, by path: once for the plan and the scheduler both.
RECIPES = pytest.StashKey[dict[str, "Loaded | None"]]()


class SyncItem(pytest.Item):
    """Held by a worker after each step so it runs the step without waiting for the next;
    the worker side's ``pytest_runtest_protocol`` swallows it, nothing is reported."""

    def runtest(self) -> None:  # never called: WorkerSync.pytest_runtest_protocol takes it
        raise AssertionError("the orchestrator's sync item is not a test")


class WorkerSync:
    """Registered on xdist workers when the DAG scheduler is on."""

    @pytest.hookimpl(trylast=True)  # after xdist sent the ids: the count stays the real one
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from .session import SESSION_KEY

        steps = session.config.stash[SESSION_KEY].step_nodeids  # collected, maybe deselected
        if steps and any(item.nodeid in steps for item in session.items):
            session.items.append(SyncItem.from_parent(session, name=SYNC_NAME))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        if isinstance(item, SyncItem):
            # keep pytest's setup stack as if the sync item had run (private, no public API)
            item.session._setupstate.teardown_exact(nextitem)
            return True
        return None


#: Where each ``--dist`` mode keeps tests together: a scope key per node id, or None.
SCOPES: dict[str, Callable[[str], str | None]] = {
    "load": lambda nodeid: None,
    "worksteal": lambda nodeid: None,
    "each": lambda nodeid: None,
    "loadfile": lambda nodeid: nodeid.split("::", 1)[0],
    "loadscope": lambda nodeid: nodeid.rsplit("::", 1)[0],
    "loadgroup": lambda nodeid: nodeid.rsplit("@", 1)[1] if "@" in nodeid else None,
}


class DagScheduling:
    """xdist's Scheduling protocol, honouring the recipes' dependencies. It holds xdist's own
    scheduler for the ``--dist`` mode and hands everything to it when no recipe step was
    collected; with steps, it keeps that mode's promises for plain tests itself: ``each``
    runs them on every worker, ``loadscope``/``loadfile``/``loadgroup`` keep a scope on one."""

    def __init__(self, config: pytest.Config, log: Any, xdist_own: Any) -> None:
        from xdist.workermanage import parse_tx_spec_config

        self.config, self.log, self.xdist_own = config, log, xdist_own
        self.delegate: Any = None
        self.dist = str(config.getoption("dist", "load"))
        self.numnodes = len(parse_tx_spec_config(config))
        self.node2collection: dict[Any, list[str]] = {}
        self.node2pending: dict[Any, list[int]] = {}
        self.collection: list[str] | None = None
        self.sync: int | None = None
        self.deps: dict[int, set[int]] = {}
        self.exclusive: set[int] = set()
        #: items not sent yet, in the order they go (a dict as an ordered set), and those of
        #: them whose dependencies all finished
        self.waiting: dict[int, None] = {}
        self.ready: dict[int, None] = {}
        self.done: set[int] = set()
        self.pinned: dict[str, Any] = {}
        self.each: dict[Any, list[int]] = {}
        self.plain: list[int] = []
        #: each item's dependents, in collection order (for the chains sent ahead)
        self.dependents: dict[int, list[int]] = {}
        #: the worker that ran (or runs) each item sent
        self.ran_on: dict[int, Any] = {}

    @property
    def nodes(self) -> list[Any]:
        return list(self.delegate.nodes) if self.delegate else list(self.node2pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.node2collection) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        if self.delegate:
            return bool(self.delegate.tests_finished)
        if not self.collection_is_completed or self.collection is None:
            return False
        return not self.has_pending

    @property
    def has_pending(self) -> bool:
        if self.delegate:
            return bool(self.delegate.has_pending)
        return bool(self.waiting) or any(map(self._running, self.nodes)) \
            or any(self.each.values())

    def add_node(self, node: Any) -> None:
        if self.collection is None:  # undecided, or xdist's own in charge
            self.xdist_own.add_node(node)
        self.node2pending[node] = []
        if self.collection is not None and not self.delegate and self.dist == "each":
            self.each[node] = list(self.plain)

    def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
        if self.collection is None:
            self.xdist_own.add_node_collection(node, collection)
        self.node2collection[node] = list(collection)

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        if self.delegate:
            return self.delegate.mark_test_complete(node, item_index, duration)  # type: ignore[no-any-return]
        self.node2pending[node].remove(item_index)
        if item_index != self.sync:
            self._finish(item_index)
        self._dispatch()
        return None

    def mark_test_pending(self, item: str) -> None:
        if self.delegate:
            self.delegate.mark_test_pending(item)
            return
        assert self.collection is not None
        index = self.collection.index(item)
        self.done.discard(index)
        for dependent in self.dependents.get(index, ()):
            self.ready.pop(dependent, None)
        self._wait([index], front=True)
        self._dispatch()

    def remove_pending_tests_from_node(self, node: Any, indices: Sequence[int]) -> None:
        if self.delegate:
            self.delegate.remove_pending_tests_from_node(node, indices)
            return
        for index in indices:
            self.node2pending[node].remove(index)
        self._wait([i for i in indices if i != self.sync], front=True)

    def remove_node(self, node: Any) -> str | None:
        if self.delegate:
            return self.delegate.remove_node(node)  # type: ignore[no-any-return]
        steps = self._running(node)
        self.node2pending.pop(node)
        self.each.pop(node, None)
        if not steps:
            return None
        crashed = steps[0]  # it counts as finished (failed): its dependents skip
        self._finish(crashed)
        # what it held behind the crashed step goes to another worker, to skip there
        self._wait([i for i in steps[1:] if i not in self.plain or self.dist != "each"],
                   front=True)
        self._dispatch()
        assert self.collection is not None
        return self.collection[crashed]

    def schedule(self) -> None:
        if self.delegate:
            self.delegate.schedule()
            return
        if self.collection is None:
            collections = list(self.node2collection.values())
            same = all(c == collections[0] for c in collections[1:])
            planned = [self._plan(c) for c in (collections[:1] if same else collections)]
            self.config.stash[RECIPES] = {}  # read: the plan (progress.py) has them too
            if not any(planned):
                self.delegate = self.xdist_own  # no recipe steps: xdist as if we were absent
                self.delegate.schedule()  # it judges different collections its own way
                return
            if not same:
                raise pytest.UsageError("xdist workers collected different items; the "
                                        "orchestrator's DAG scheduler needs identical ones")
            if self.dist not in SCOPES:
                raise pytest.UsageError(
                    f"--dist {self.dist}: the orchestrator's DAG scheduler cannot keep that "
                    "mode's promises with recipe steps; use --dist load (or each, loadscope, "
                    "loadfile, loadgroup, worksteal), or --no-dag-scheduler")
            self.collection = collections[0]
            self.sync = len(self.collection)  # the workers' sync item follows their ids
        self._dispatch()

    def _plan(self, collection: list[str]) -> bool:
        """Dependencies of every step; False when the collection holds no recipe step."""
        index = {nodeid: i for i, nodeid in enumerate(collection)}
        found = False
        waiting = []
        for i, nodeid in enumerate(collection):
            self.deps[i] = set()
            collected = collected_step(self.config, nodeid)
            if collected is None:
                self.plain.append(i)
                if self.dist != "each":
                    waiting.append(i)
                continue
            found = True
            waiting.append(i)
            _, step, row = collected
            if step.exclusive:
                self.exclusive.add(i)
            path = nodeid.partition("::")[0]
            suffix = f"[{row}]" if row else ""
            for dep in step.deps:
                dep_index = index.get(f"{path}::{dep}{suffix}")
                if dep_index is not None:
                    self.deps[i].add(dep_index)
                    self.dependents.setdefault(dep_index, []).append(i)
        self._wait(waiting)
        if self.dist == "each":
            self.each = {node: list(self.plain) for node in self.node2pending}
        return found

    def _wait(self, indices: Iterable[int], front: bool = False) -> None:
        """Items (back) among the waiting ones, last or first; ready if their dependencies
        finished."""
        added = dict.fromkeys(indices)
        ready = {i: None for i in added if self.deps[i] <= self.done}
        if front:
            self.waiting, self.ready = {**added, **self.waiting}, {**ready, **self.ready}
        else:
            self.waiting.update(added)
            self.ready.update(ready)

    def _take(self, index: int) -> None:
        """An item is sent to a worker."""
        del self.waiting[index]
        self.ready.pop(index, None)

    def _finish(self, index: int) -> None:
        """An item finished (or crashed): its dependents may be ready."""
        self.done.add(index)
        for dependent in self.dependents.get(index, ()):
            if dependent in self.waiting and self.deps[dependent] <= self.done:
                self.ready[dependent] = None

    def _running(self, node: Any) -> list[int]:
        return [i for i in self.node2pending.get(node, []) if i != self.sync]

    def _ready(self, node: Any, busy: bool) -> int | None:
        for i in self.ready:
            if not self._may_run_on(i, node):
                continue
            if i in self.exclusive and busy:
                return None  # it waits for the others to finish, and holds the queue
            return i
        return None

    def _dispatch(self) -> None:
        if self.collection is None:
            return
        running = {node: self._running(node) for node in self.nodes}
        alone = [node for node, steps in running.items()
                 if any(i in self.exclusive for i in steps)]
        held = self._exclusive_held()
        for node in self.nodes:
            if getattr(node, "shutting_down", False) or (alone and node is not alone[0]):
                continue
            if running[node]:
                batch = [] if held else self._ahead(node, running[node])
            else:
                index = self._ready(node, busy=any(running.values()))
                if index is None and self.each.get(node):
                    index = self.each[node].pop(0)
                elif index is None:
                    continue
                else:
                    self._take(index)
                self._pin(index, node)
                batch = [index]
                if index in self.exclusive:
                    alone = [node]
                if index not in self.exclusive and not held:
                    batch += self._ahead(node, batch)
                running[node] = [index]
            if batch:
                self._send(node, batch)
        self._unblock()

    def _send(self, node: Any, batch: list[int]) -> None:
        """Send items to a worker, after the results they read from the store: those of
        dependencies that ran on another worker (one on this worker is known there)."""
        if any(self.ran_on.get(dep, node) is not node for i in batch for dep in self.deps[i]):
            self._store_results()
        for i in batch:
            self.ran_on[i] = node
        if self.sync is not None:
            batch.append(self.sync)
        self.node2pending[node].extend(batch)
        node.send_runtest_some(batch)

    def _store_results(self) -> None:
        """Write the results the controller holds back (see batches.py) to the store now."""
        writer = self.config.pluginmanager.get_plugin("orchestrator-results")
        if writer is not None:
            writer.batches.flush()

    def _ahead(self, node: Any, queued: list[int]) -> list[int]:
        """The chain after the last step ``node`` holds: each next step whose dependencies
        all finished or are queued on ``node`` before it, up to ``AHEAD`` held steps (none
        while more than half that are held, so refills come a batch at a time). One chain:
        a fan-out's other branches wait for their dependency, then go to any free worker."""
        if len(queued) > AHEAD // 2:
            return []
        sent: list[int] = []
        on_node = set(queued)
        tail = queued[-1]
        while len(queued) + len(sent) <= AHEAD:
            follower = next((i for i in self.dependents.get(tail, ())
                             if i not in self.exclusive and i in self.waiting
                             and all(d in self.done or d in on_node for d in self.deps[i])
                             and self._may_run_on(i, node)), None)
            if follower is None:
                break
            self._take(follower)
            self._pin(follower, node)
            sent.append(follower)
            on_node.add(follower)
            tail = follower
        return sent

    def _exclusive_held(self) -> bool:
        """An exclusive step is ready and waits for the workers to empty: nothing is sent
        ahead meanwhile, so they do."""
        return any(i in self.ready for i in self.exclusive)

    def _may_run_on(self, index: int, node: Any) -> bool:
        assert self.collection is not None
        scope = SCOPES[self.dist](self.collection[index])
        return scope is None or self.pinned.get(scope, node) is node

    def _pin(self, index: int, node: Any) -> None:
        assert self.collection is not None
        scope = SCOPES[self.dist](self.collection[index])
        if scope is not None:
            self.pinned.setdefault(scope, node)

    def _unblock(self) -> None:
        """Nothing runs and nothing is ready, yet steps wait: their dependency is outside this
        run or failed to finish. Send the first one: its setup skips or errors with a reason,
        instead of a silent hang."""
        open_nodes = [n for n in self.nodes if not getattr(n, "shutting_down", False)]
        if self.waiting and open_nodes and not any(map(self._running, self.nodes)) \
                and not self.ready:
            index = next(iter(self.waiting))
            self.deps[index] = set()
            self.ready[index] = None
            self._store_results()  # its setup looks for its dependencies there
            self._dispatch()


def collected_step(config: pytest.Config, nodeid: str) -> tuple[Recipe, Step, str] | None:
    """The recipe, step and parametrize row a collected node id names, read from the recipe
    file (once per file: ``RECIPES``), for the controller, which under xdist sees node ids only;
    None for anything else (a plain test, a recipe that does not load)."""
    path, _, name = nodeid.partition("::")
    if not path.endswith((".yaml", ".yml")):
        return None
    cache = config.stash.setdefault(RECIPES, {})
    if path not in cache:
        from .errors import OrchestratorError
        from .recipe import load_recipe
        from .session import SESSION_KEY

        try:
            recipe = load_recipe(Path(config.rootpath, path), config.rootpath,
                                 max_rows=config.stash[SESSION_KEY].max_parametrize_rows)
        except (OrchestratorError, OSError):  # the workers report it as an error
            cache[path] = None
        else:
            cache[path] = (recipe, {s.name: s for s in recipe.steps})
    loaded = cache[path]
    base, _, row = name.partition("[")
    step = loaded[1].get(base) if loaded else None
    return None if loaded is None or step is None else (loaded[0], step, row[:-1])
