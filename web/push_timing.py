"""An opt-in record of how long each pushed event took from its transaction to its /ws frame, for the benchmarks.

With `OA_BENCH_PUSH_TIMING=/some/path` set, `record(event)` — called by web/push.py right after a
frame is written to a socket — appends one JSON line per frame:

    {"t": when the frame was written (Unix time, s), "ms": written − event["at"],
     "commit_ms": written − the commit, "type": "exchange.received", "user": "p-…", "seq": 12}

`event["at"]` is set when the event is written inside the transaction of the change it describes
(storage/events.py, millisecond precision), so `ms` runs from inside that transaction to the frame
being handed to the socket. `event["committed_at"]` is the change stream's `wallTime` of the
event's insert, which is the time its transaction committed (millisecond precision), so
`commit_ms` runs from the commit to the frame; it is absent (null) for events read back from the
database by a catch-up. bench/push_sockets.py reads the file. Unset (the default), `record`
returns at once.
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
    committed = event.get("committed_at")
    if isinstance(committed, datetime) and committed.tzinfo is None:
        committed = committed.replace(tzinfo=UTC)
    commit_ms = round((now - committed.timestamp()) * 1000, 3) if isinstance(committed, datetime) else None
    _out.write(json.dumps({"t": now, "ms": round((now - at.timestamp()) * 1000, 3), "commit_ms": commit_ms,
                           "type": event.get("type"), "user": event.get("user_id"), "seq": event.get("seq")}) + "\n")
