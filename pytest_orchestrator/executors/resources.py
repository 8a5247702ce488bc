"""What a step cost: wall time, CPU user+sys and peak RSS, for in-process and subprocess steps.

Peak RSS of this process is made per step on Linux by resetting the kernel's high-water mark
(``/proc/self/clear_refs``, value 5) before the step and reading ``VmHWM`` after it; elsewhere
it falls back to the process's lifetime peak (``ru_maxrss``)."""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import time
import weakref
from dataclasses import dataclass
from typing import IO, Any

KIB = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux


@dataclass
class Usage:
    """Resources of one step (or one attempt)."""

    wall: float = 0.0
    cpu_user: float = 0.0
    cpu_sys: float = 0.0
    peak_rss: int = 0

    def add(self, other: Usage) -> None:
        """Accumulate another attempt: times add up, the peak is the larger."""
        self.wall += other.wall
        self.cpu_user += other.cpu_user
        self.cpu_sys += other.cpu_sys
        self.peak_rss = max(self.peak_rss, other.peak_rss)


class _PeakRss:
    """This process's RSS high-water mark through procfs, the files kept open (opening them
    costs more than using them). Reading ``status`` costs ~100 µs, so :class:`InProcessMeter`
    reads it only when ``getrusage`` cannot tell the same number (see there)."""

    def __init__(self) -> None:
        self.pid = -1
        self.reset_file: IO[str] | None = None
        self.status_file: IO[bytes] | None = None
        self.statm_file: IO[bytes] | None = None

    def _open(self) -> None:
        self.pid = os.getpid()  # a forked child must not reuse its parent's handles
        try:
            self.reset_file = open("/proc/self/clear_refs", "w")  # noqa: SIM115
            self.status_file = open("/proc/self/status", "rb", buffering=0)  # noqa: SIM115
            self.statm_file = open("/proc/self/statm", "rb", buffering=0)  # noqa: SIM115
        except OSError:
            self.reset_file = self.status_file = self.statm_file = None
            return
        # closed with this object: a module imported again (pytester's in-process runs drop
        # it after each run) leaves no open file behind for the garbage collector to warn of
        weakref.finalize(self, _close, self.reset_file, self.status_file, self.statm_file)

    def reset(self) -> bool:
        """Start a new high-water mark; False where the OS can't."""
        if self.pid != os.getpid():
            self._open()
        if self.reset_file is None:
            return False
        try:
            self.reset_file.write("5")
            self.reset_file.flush()
        except OSError:
            return False
        return True

    def read(self) -> int:
        """The high-water mark in bytes (the lifetime peak where procfs is missing)."""
        if self.pid != os.getpid():
            self._open()
        if self.status_file is not None:
            self.status_file.seek(0)
            status = self.status_file.read()
            at = status.find(b"VmHWM:")
            if at >= 0:
                return int(status[at + 6:status.index(b"kB", at)]) * 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB


    def current(self) -> int:
        """This process's resident set now, in bytes (~3 µs); 0 where procfs is missing."""
        if self.pid != os.getpid():
            self._open()
        if self.statm_file is None:
            return 0
        self.statm_file.seek(0)
        return int(self.statm_file.read().split()[1]) * _PAGE


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _close(*files: IO[Any] | None) -> None:
    for file in files:
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()


_PEAK = _PeakRss()
reset_peak, read_peak, current_rss = _PEAK.reset, _PEAK.read, _PEAK.current


class InProcessMeter:
    """Measures a block of code run in this process (and any subprocess it waits for).

    The peak: after the reset, the kernel's high-water mark H is the step's peak, and
    ``getrusage``'s ``ru_maxrss`` is max(S, H), S an older mark it keeps (from the exec, or
    threads that ended). When ``ru_maxrss`` rose during the step, or was at most the resident
    set at its start (so S ≤ H), it is H, and the ~100 µs read of ``VmHWM`` is not needed."""

    def __enter__(self) -> InProcessMeter:
        self._exact = reset_peak()
        self._start_rss = current_rss() if self._exact else 0
        self._self = resource.getrusage(resource.RUSAGE_SELF)
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._start = time.perf_counter()
        self.usage = Usage()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._start
        me, was = resource.getrusage(resource.RUSAGE_SELF), self._self
        kids, kids_were = resource.getrusage(resource.RUSAGE_CHILDREN), self._children
        peak, floor = me.ru_maxrss * KIB, was.ru_maxrss * KIB
        if not (self._exact and (peak > floor or floor <= self._start_rss)):
            peak = read_peak()
        self.usage = Usage(
            wall=wall,
            cpu_user=me.ru_utime - was.ru_utime + kids.ru_utime - kids_were.ru_utime,
            cpu_sys=me.ru_stime - was.ru_stime + kids.ru_stime - kids_were.ru_stime,
            peak_rss=peak)


def from_rusage(ru: resource.struct_rusage, wall: float) -> Usage:
    """The usage of a waited-for child (``os.wait4``): it and its reaped descendants."""
    return Usage(wall=wall, cpu_user=ru.ru_utime, cpu_sys=ru.ru_stime,
                 peak_rss=ru.ru_maxrss * KIB)
