"""Foreground writes: a long run of writes a person is waiting for (a dispatch's delivery, chunk after chunk)
marks itself here, and background writers that may wait (the 消息 records of the events it publishes) hold
their writes until no such run is in progress in this process, so they do not compete with it for the
database. They never wait longer than their own bound, so a run that stalls cannot hold them up for long.

Process-local on purpose: the competition it avoids is for this process's connection pool and for the
database's time while this process's run is writing; another replica's background writers go on as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class ForegroundWrites:
    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        return self._running

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Mark a run of foreground writes for as long as the block runs."""
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            if not self._running:
                self._idle.set()

    async def idle(self, at_most_s: float) -> bool:
        """Wait until no foreground run is in progress, at most `at_most_s`; True if none is."""
        if self._idle.is_set():
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), at_most_s)
        return self._idle.is_set()
