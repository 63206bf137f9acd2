"""An opt-in record of how long each pushed event took from its transaction to its /ws frame, for the benchmarks.

With `OA_BENCH_PUSH_TIMING=/some/path` set, `record(event)` — called by web/push.py right after a
frame is written to a socket — appends one JSON line per frame:

    {"t": when the frame was written (Unix time, s), "ms": written − event["at"], "type": "exchange.received",
     "user": "p-…", "seq": 12}

`event["at"]` is set when the event is written inside the transaction of the change it describes
(storage/events.py, millisecond precision), so `ms` runs from that transaction (its commit a few ms
later) to the frame being handed to the socket. bench/push_sockets.py reads the file. Unset (the
default), `record` returns at once.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import IO, Any

ENV = "OA_BENCH_PUSH_TIMING"

_path = os.environ.get(ENV) or None
_out: IO[str] | None = None


def record(event: dict[str, Any]) -> None:
    """Note that `event`'s frame has just been written (a no-op unless OA_BENCH_PUSH_TIMING is set)."""
    if _path is None:
        return
    at = event.get("at")
    if not isinstance(at, datetime):
        return
    global _out
    if _out is None:
        _out = open(_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - kept open; a line at a time
    if at.tzinfo is None:  # stored times are UTC
        at = at.replace(tzinfo=UTC)
    now = time.time()
    _out.write(json.dumps({"t": now, "ms": round((now - at.timestamp()) * 1000, 3), "type": event.get("type"),
                           "user": event.get("user_id"), "seq": event.get("seq")}) + "\n")
