"""Nothing a step starts outlives it. On Linux the process that starts a step's processes is a
child subreaper while the step runs: a process of the step that calls ``setsid`` or is
double-forked still re-parents to it when its parent exits, so every one of them is found in
its subtree when the step ends, killed and reaped. Elsewhere only the step's process group is
reached.

Two users: the step server, whose every child belongs to the step it runs
(:func:`kill_all_children`); and the process that runs in-process Python steps, whose children
started before the step (a fixture's server, the step server, xdist's workers) are left alone
(:class:`StepChildren`)."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
#: A killed process may take a moment to die; one stuck in the kernel (state D) is given up
#: on after this long, rather than hang the run (it dies when the kernel lets it go).
REAP_LIMIT = 10.0
_LAST_PID = "/proc/sys/kernel/ns_last_pid"
_FEW = 2000


@functools.cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _prctl(option: int, value: int) -> bool:
    libc = _libc()
    return libc is not None and libc.prctl(option, value, 0, 0, 0) == 0


def set_subreaper(on: bool = True) -> bool:
    """Make this process the one orphaned descendants re-parent to (Linux ≥ 3.4)."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, int(on))


def is_subreaper() -> bool:
    libc, flag = _libc(), ctypes.c_int(0)
    return libc is not None and libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(flag),
                                           0, 0, 0) == 0 and flag.value != 0


def die_with_parent() -> None:
    """SIGKILL this process when the thread that forked it ends (for a process forked by the
    single-threaded step server: when the server ends)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_group(pgid: int) -> None:
    """SIGKILL the process group ``pgid`` (a step's process leads its own), if it is there."""
    if pgid > 0:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


#: Children of this process that outlive a step (the step server's worker, between steps):
#: :func:`kill_all_children` leaves them, and theirs, alone; the process that keeps one
#: reaps it itself.
KEPT: set[int] = set()


def kill_all_children() -> None:
    """Kill and reap every descendant of this process but those :data:`KEPT`: all of them
    belong to the step that just ended (the step server, a subreaper, has no other children
    between steps). Without such children (the common case) this costs one waitpid, or one
    read of procfs while a child is kept."""
    me = os.getpid()
    if KEPT:
        children = _children()
        if children is not None and children <= KEPT:
            return

        def doomed() -> set[int]:
            tree = _process_tree()
            kept = set().union(*(_subtree(tree, pid) for pid in KEPT))
            return _subtree(tree, me) - kept - {me}
        _kill_and_reap(doomed)
        return
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break  # some are running
        except ChildProcessError:
            return
    _kill_and_reap(lambda: _subtree(_process_tree(), me) - {me})


class StepChildren:
    """The processes started while a block of code runs in this process (an in-process step),
    and their descendants: killed and reaped when it ends, even those that left its process
    group or session. Children that existed before are not touched.

    Cheap: the kernel hands out pids in turn, so a step that started nothing handed out none
    (one procfs read at each end says so). Otherwise this process's children are listed, and
    only those started since the step began (by their start time) are the step's: a step's
    process that re-parented here when its parent exited is one of them."""

    def __init__(self) -> None:
        self.active = self.was_subreaper = False
        self.first_pid = 0
        self.since = 0.0

    def __enter__(self) -> StepChildren:
        self.first_pid = _last_pid()
        self.was_subreaper = is_subreaper()
        self.active = self.first_pid > 0 and (self.was_subreaper or set_subreaper(True))
        self.since = time.clock_gettime(time.CLOCK_BOOTTIME) if self.active else 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.active:
            return
        try:
            # pids were handed out (on a busy machine, often to others): look further only if
            # this process has a child started since; anything the step left, even a daemon
            # whose parent exited, is a child of this process, a subreaper, until it is reaped
            if _last_pid() != self.first_pid and self._new_child():
                _kill_and_reap(self._started)
        finally:
            if not self.was_subreaper:
                set_subreaper(False)

    def _new_child(self) -> bool:
        """Whether a child of this process started since ``__enter__`` (True when that
        cannot be told). Children from before (a fixture's server, the step server) are a
        few start times to read."""
        children = _children()
        if not children:
            return children is None
        import psutil

        since = psutil.boot_time() + self.since - 0.02  # start times count in 10 ms ticks
        for pid in children:
            with contextlib.suppress(psutil.Error):
                if psutil.Process(pid).create_time() >= since:
                    return True
        return False

    def _started(self) -> set[int]:
        """This process's children started since ``__enter__`` and all their descendants
        (started since, too: after their parents)."""
        import psutil

        me = os.getpid()
        since = psutil.boot_time() + self.since - 0.02  # start times count in 10 ms ticks
        tree = _process_tree(_handed_out_since(self.first_pid))
        found: set[int] = set()
        for pid, (ppid, started) in tree.items():
            if ppid == me and started >= since:
                found |= _subtree(tree, pid)
        return found


def _kill_and_reap(select: Callable[[], set[int]]) -> None:
    """Kill what ``select()`` picks until it picks nothing: a process forked meanwhile, or
    the children of a killed one re-parenting here, are found on the next round. Our own
    children among them are reaped (waitpid: the others are their parents' to reap)."""
    deadline = time.monotonic() + REAP_LIMIT
    pause = 0.001
    while (doomed := select()) and time.monotonic() < deadline:
        for pid in doomed:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
        for pid in doomed:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def _process_tree(pids: Iterable[int] | None = None) -> dict[int, tuple[int, float]]:
    """pid: (parent pid, start time) of every process, or of those of ``pids`` that exist."""
    import psutil

    tree: dict[int, tuple[int, float]] = {}
    if pids is None:
        for proc in psutil.process_iter(["ppid", "create_time"]):
            info = proc.info
            if info["ppid"] is not None and info["create_time"] is not None:
                tree[proc.pid] = (info["ppid"], info["create_time"])
        return tree
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            with proc.oneshot():
                tree[pid] = (proc.ppid(), proc.create_time())
    return tree


def _subtree(tree: dict[int, tuple[int, float]], root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in tree.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@functools.cache
def _last_pid_file() -> int:
    try:
        return os.open(_LAST_PID, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1


def _children() -> set[int] | None:
    """This process's children, from procfs (every thread's list), or None where Linux
    does not list them."""
    found: set[int] = set()
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", "rb") as fh:
                found.update(int(pid) for pid in fh.read().split())
    except (OSError, ValueError):
        return None
    return found


def _last_pid() -> int:
    """The last pid the kernel handed out in this pid namespace (1 µs), or 0 if unknown."""
    fd = _last_pid_file()
    try:
        return int(os.pread(fd, 32, 0)) if fd >= 0 else 0
    except (OSError, ValueError):
        return 0


def _handed_out_since(first: int) -> Iterable[int]:
    """The pids handed out after ``first`` (and still in use, for the most part): counted
    when they are few, else looked up in the process table; pids wrap around."""
    last = _last_pid()
    if first <= last and last - first <= _FEW:
        return range(first + 1, last + 1)
    running = (int(name) for name in os.listdir("/proc") if name.isdigit())
    if first <= last:
        return [pid for pid in running if first < pid <= last]
    return [pid for pid in running if pid > first or pid <= last]
