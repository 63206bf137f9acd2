"""An opt-in log of every command this process sends to the database, for the benchmarks.

With `OA_BENCH_COMMAND_LOG=/some/path` set, `listeners()` returns a PyMongo CommandListener to pass
to the AsyncMongoClient (`event_listeners=command_log.listeners()`); unset (the default) it returns
no listener and costs nothing. Each command is appended to the file as one JSON line when it ends:

    {"t": start (Unix time, s), "name": "update", "db": "oa", "collection": "tasks", "ms": 1.93,
     "ok": true, "task": "Task-812", "coro": "RequestHandler._execute", "lsid": "9f…", "txn": 4,
     "command": {…}}

`command` — the full command document as sent, in relaxed extended JSON — is written only for
insert, update, delete, findAndModify and commitTransaction, so bench/scale_actions.py can replay
an action's writes; `task`/`coro` name the asyncio task that sent it, so the bench can tell an
HTTP request's commands from those of the background loops (change stream, deadlines) running at
the same moment. The listener runs inside the event loop, so it only copies the command to BSON
(fast, in C); a writer thread turns it into JSON and writes it, a flushed line at a time.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import queue
import threading
import time
from typing import Any

import bson
from bson import json_util
from pymongo import monitoring

ENV = "OA_BENCH_COMMAND_LOG"
LOGGED_IN_FULL = frozenset({"insert", "update", "delete", "findAndModify", "commitTransaction"})
JSON_OPTIONS = json_util.RELAXED_JSON_OPTIONS

_instance: CommandLog | None = None
_lock = threading.Lock()


def listeners() -> list[monitoring.CommandListener]:
    """The process's command log as a one-item list when OA_BENCH_COMMAND_LOG is set, else []."""
    path = os.environ.get(ENV)
    if not path:
        return []
    global _instance
    with _lock:
        if _instance is None:
            _instance = CommandLog(path)
        return [_instance]


def _task() -> tuple[str | None, str | None]:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # not in an event loop (a synchronous client in another thread)
        return None, None
    if task is None:
        return None, None
    coro = task.get_coro()
    return task.get_name(), getattr(coro, "__qualname__", None)


def _collection(name: str, command: Any) -> str | None:
    if name == "getMore":
        return str(command.get("collection"))
    value = command.get(name)
    return value if isinstance(value, str) else None


class CommandLog(monitoring.CommandListener):
    def __init__(self, path: str) -> None:
        self.path = path
        self._started: dict[tuple[Any, int], dict[str, Any]] = {}
        self._lines: queue.SimpleQueue[tuple[dict[str, Any], bytes | None] | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_lines, name="oa-command-log", daemon=True)
        self._writer.start()
        atexit.register(self.close)

    # Called by PyMongo inside the event loop: keep these cheap.

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        task, coro = _task()
        command = event.command
        lsid = command.get("lsid", {}).get("id")
        entry: dict[str, Any] = {
            "t": time.time(), "name": name, "db": event.database_name, "collection": _collection(name, command),
            "task": task, "coro": coro, "lsid": lsid.hex() if isinstance(lsid, bytes) else None,
            "txn": command.get("txnNumber"),
        }
        if name in LOGGED_IN_FULL:
            entry["raw"] = bson.encode(command)
        self._started[(event.connection_id, event.request_id)] = entry

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._end(event, True)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._end(event, False)

    def _end(self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent, ok: bool) -> None:
        entry = self._started.pop((event.connection_id, event.request_id), None)
        if entry is None:
            return
        entry["ms"] = event.duration_micros / 1000
        entry["ok"] = ok
        raw = entry.pop("raw", None)
        self._lines.put((entry, raw))

    # The writer thread.

    def _write_lines(self) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            while True:
                item = self._lines.get()
                if item is None:
                    return
                entry, raw = item
                line = json.dumps(entry, ensure_ascii=False)
                if raw is not None:
                    command = json_util.dumps(bson.decode(raw), json_options=JSON_OPTIONS, ensure_ascii=False)
                    line = line[:-1] + ', "command": ' + command + "}"
                out.write(line + "\n")
                out.flush()

    def close(self) -> None:
        """Write what is queued, then stop the writer (at exit)."""
        if self._writer.is_alive():
            self._lines.put(None)
            with contextlib.suppress(RuntimeError):
                self._writer.join(timeout=10)
