"""Fault injection points for the crash tests (tests/test_crash_restart.py). Never active in service.

Each point is named by an environment variable that no deployment sets; while it is unset the point
does nothing. Set, it holds the step there for the given seconds so that a test can SIGKILL the
process in a window otherwise only milliseconds wide, and check that a restart finishes the work
with nothing missing or doubled. These are not settings: `oa config` does not list them.

- OA_FAULT_PAUSE_AFTER_SEAL_USE_S: the 生成正式文件 step pauses after the seals' use is entered in the
  用印 register and before the document notes its signed PDF.
"""

from __future__ import annotations

import asyncio
import logging
import os

log = logging.getLogger("oa.faults")

AFTER_SEAL_USE = "OA_FAULT_PAUSE_AFTER_SEAL_USE_S"


async def pause_at(point: str) -> None:
    """Sleep as long as the point's variable says; return at once when it is unset."""
    value = os.environ.get(point)
    if not value:
        return
    seconds = float(value)
    log.warning("fault injection point %s: pausing %.1f s", point, seconds)
    await asyncio.sleep(seconds)
