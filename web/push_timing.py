"""An opt-in record of how long each pushed event took from its transaction to its /ws frame, for the benchmarks.

With `OA_BENCH_PUSH_TIMING=/some/path` set, `record(event)` — called by web/push.py right after a
frame is handed to its socket (written to the kernel, or queued in Tornado's buffer when the
kernel's is full) — notes the time, and a quarter of a second after the burst appends one JSON line per frame:

    {"t": when the frame was written (Unix time, s), "ms": written − event["at"],
     "commit_ms": written − the commit, "committed": the commit (Unix time, s), "type": "exchange.received",
     "user": "p-…", "seq": 12}

`event["at"]` is set when the event is written inside the transaction of the change it describes
(storage/events.py, millisecond precision), so `ms` runs from inside that transaction to the frame
being handed to the socket. `event["committed_at"]` is when its transaction committed: the moment
the commit returned, for events this process committed (storage/events.py hands them over then),
or the change stream's `wallTime` of the insert for events from other processes (millisecond
precision); so `commit_ms` runs from the commit to the frame. It is null for events read back
from the database by a catch-up. It also writes a line per collection of the oldest
garbage-collector generation ({"t", "gc_ms", "collected"}), since such a collection pauses the
whole process. bench/push_sockets.py reads the file. Unset (the default), `record` returns at
once and nothing else is hooked.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from datetime import UTC, datetime
from typing import IO, Any

ENV = "OA_BENCH_PUSH_TIMING"

_path = os.environ.get(ENV) or None
_out: IO[str] | None = None


FLUSH_AFTER_S = 0.25
_pending: list[tuple[Any, ...]] = []


def record(event: dict[str, Any]) -> None:
    """Note that `event`'s frame has just been written (a no-op unless OA_BENCH_PUSH_TIMING is set).

    The line is made and written a moment later, after the burst of frames it belongs to: encoding and
    writing it here, between one socket's frame and the next, made each frame ~20 % slower, and so
    measured a slower push than the one it records."""
    if _path is None:
        return
    at = event.get("at")
    if not isinstance(at, datetime):
        return
    now = time.time()
    committed = event.get("committed_at")
    _pending.append((now, at, committed, event.get("type"), event.get("user_id"), event.get("seq")))
    if len(_pending) == 1:
        try:
            asyncio.get_running_loop().call_later(FLUSH_AFTER_S, _flush)
        except RuntimeError:  # no loop (a tool calling it directly): write now
            _flush()


def _flush() -> None:
    global _out
    if _out is None:
        _out = open(_path, "a", encoding="utf-8", buffering=1)  # type: ignore[arg-type]  # noqa: SIM115
    rows, _pending[:] = list(_pending), []
    for now, at, committed, kind, user, seq in rows:
        if at.tzinfo is None:  # stored times are UTC
            at = at.replace(tzinfo=UTC)
        if isinstance(committed, datetime) and committed.tzinfo is None:
            committed = committed.replace(tzinfo=UTC)
        stamped = isinstance(committed, datetime)
        _out.write(json.dumps({"t": now, "ms": round((now - at.timestamp()) * 1000, 3),
                               "commit_ms": round((now - committed.timestamp()) * 1000, 3) if stamped else None,
                               "committed": committed.timestamp() if stamped else None,
                               "type": kind, "user": user, "seq": seq}) + "\n")


_gc_started: float | None = None


def _time_collections(phase: str, info: dict[str, Any]) -> None:
    """Each collection of the oldest generation, as {"t", "gc_ms", "collected", "tracked" (objects the
    collector still tracks)}: a pause of the whole process."""
    global _gc_started, _out
    if info.get("generation") != 2:
        return
    if phase == "start":
        _gc_started = time.perf_counter()
    elif _gc_started is not None:
        if _out is None:
            _out = open(_path, "a", encoding="utf-8", buffering=1)  # type: ignore[arg-type]  # noqa: SIM115
        _out.write(json.dumps({"t": time.time(), "gc_ms": round((time.perf_counter() - _gc_started) * 1000, 3),
                               "collected": info.get("collected"), "tracked": len(gc.get_objects())}) + "\n")
        _gc_started = None


if _path is not None:
    gc.callbacks.append(_time_collections)
