"""Keeps the garbage collector's full collections short and at quiet moments.

Python's automatic full collection walks every object the collector tracks. A process holding the
org directory (tens of thousands of people) and thousands of open sockets tracks ~700,000 of them,
and walking them pauses everything — every push included — for about a second, at whatever moment
the collector's counters happen to cross their threshold, typically in the middle of a dispatch's
fan-out.

`CollectorPacer` takes full collections out of the allocator's hands:
- automatic full collections are off (the oldest generation's threshold is raised out of reach;
  the young generations are collected as before, which is cheap);
- every `interval_s`, or sooner once `busy_after` young collections have passed since the last round
  (much was allocated: thousands of sockets opening, say) or the process has grown by `grown_bytes`
  since it (a dispatch to every unit's records and frames), it waits for a quiet moment (the loop woke
  on time for `quiet_s`) and runs one full collection, then freezes the survivors (`gc.freeze`), so
  the next round walks only what was allocated since: tens of milliseconds instead of a second. A
  round held back to its interval while 5,000 sockets opened walked their 570,000 objects in one
  pause of ~0.9-1.0 s, which fell in the middle of the next dispatch's pushes;
- every `thaw_every_s` (an hour) its round unfreezes everything first, so cyclic garbage among objects that
  were frozen while alive is reclaimed too; that round walks everything and waits for a longer
  quiet moment (`thaw_quiet_s`).
Objects freed by reference counting (nearly all) are freed at once whatever their generation; only
reference cycles wait for a round. So memory held by cycles is bounded by what one interval
allocates, and by `thaw_every_s` for cycles among long-lived objects.

After each round the C allocator is asked to give its free pages back (glibc's `malloc_trim`): a
dispatch to every unit allocates and frees tens of megabytes of records and frames, and without it
the process keeps that high-water mark for good (at 2,648 units and 5,000 sockets, ~27 MiB).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("oa.collector")

# The oldest generation's threshold counts young collections between full ones; this many never comes.
NEVER = 2**31 - 1
LOOP_TICK_S = 0.02
LATE_S = 0.005  # a tick that wakes this much late means the loop had other work


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's malloc_trim(0), or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is None:
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


RELEASE_FREE_MEMORY = _malloc_trim()
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int | None:
    """This process's resident memory (Linux), or None where /proc is not there."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class CollectorPacer:
    interval_s: float = 60.0
    # Middle-generation collections (each after ~7,000 allocations) since the last round that call for one
    # sooner; what a round walks is what of those allocations survived.
    busy_after: int = 25
    # Resident memory grown since the last round that calls for one sooner, so what a burst freed is given
    # back within seconds rather than at the next interval.
    grown_bytes: int = 16 * 2**20
    check_s: float = 1.0
    quiet_s: float = 0.1
    thaw_every_s: float = 3600.0
    thaw_quiet_s: float = 1.0
    rounds: int = 0
    last_pause_ms: float = 0.0
    _saved_threshold: tuple[int, int, int] | None = field(default=None, repr=False)
    _resident_after: int | None = field(default=None, repr=False)

    def start(self) -> None:
        """Collect and freeze what start-up loaded, and stop automatic full collections."""
        gc.collect()
        gc.freeze()
        threshold = gc.get_threshold()
        self._saved_threshold = threshold
        gc.set_threshold(threshold[0], threshold[1], NEVER)

    def stop(self) -> None:
        """Give full collections back to the allocator (for a process that stops serving but lives on)."""
        if self._saved_threshold is not None:
            gc.set_threshold(*self._saved_threshold)
            self._saved_threshold = None
        gc.unfreeze()

    def collect_now(self, *, thaw: bool = False) -> int:
        """One round: a full collection (of everything when `thaw`), then freeze the survivors."""
        started = time.perf_counter()
        if thaw:
            gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        if RELEASE_FREE_MEMORY is not None:
            RELEASE_FREE_MEMORY()
        self._resident_after = resident_bytes()
        self.rounds += 1
        self.last_pause_ms = (time.perf_counter() - started) * 1000
        return found

    def due(self, since_last_s: float) -> bool:
        """Time for a round: the interval is over, or much has been allocated or the process has grown since the
        last one."""
        if since_last_s >= self.interval_s or gc.get_count()[2] >= self.busy_after:
            return True
        resident, after = resident_bytes(), self._resident_after
        return resident is not None and after is not None and resident - after >= self.grown_bytes

    async def run_forever(self) -> None:
        last = thawed = time.monotonic()
        while True:
            await asyncio.sleep(self.check_s)
            if not self.due(time.monotonic() - last):
                continue
            thaw = self.thaw_every_s > 0 and time.monotonic() - thawed >= self.thaw_every_s
            await wait_for_quiet(self.thaw_quiet_s if thaw else self.quiet_s)
            found = self.collect_now(thaw=thaw)
            last = time.monotonic()
            if thaw:
                thawed = last
            if self.last_pause_ms > 100:
                log.info("full garbage collection (%s): %.0f ms, %d unreachable, %d frozen",
                         "all objects" if thaw else "since the last", self.last_pause_ms, found,
                         gc.get_freeze_count())


async def wait_for_quiet(quiet_s: float) -> None:
    """Return once the event loop has woken on time for `quiet_s` in a row (no work waiting)."""
    quiet_since = time.perf_counter()
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(LOOP_TICK_S)
        now = time.perf_counter()
        if now - asked > LOOP_TICK_S + LATE_S:
            quiet_since = now
        elif now - quiet_since >= quiet_s:
            return
