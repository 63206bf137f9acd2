"""Waiting in tests for something another process learns from its change stream, with a bound that fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def answers_within(seconds: float, ask: Callable[[], Awaitable[object]], expected: object) -> None:
    """Fails unless `await ask()` returned `expected` within `seconds`."""
    started = time.monotonic()
    while (answer := await ask()) != expected:
        assert time.monotonic() - started < seconds, f"still {answer!r} after {seconds} s, expected {expected!r}"
        await asyncio.sleep(0.01)
