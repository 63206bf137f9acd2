"""Which flow instance each task belongs to, remembered in memory.

A task never moves to another flow, so the pairing can be kept without ever going stale. An action
on a task needs it before its transaction, to take the instance's lock; remembering the pairings
of the tasks this process created, listed or opened spares that read in the usual journey (the
holder opens the task, then acts on it). Bounded: the oldest pairings are forgotten first, and a
forgotten one is simply read again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

DEFAULT_CAPACITY = 50_000  # ~10 MB of short strings


class TaskHomes:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._homes: OrderedDict[str, str] = OrderedDict()

    def get(self, task_id: str) -> str | None:
        home = self._homes.get(task_id)
        if home is not None:
            self._homes.move_to_end(task_id)
        return home

    def remember(self, tasks: Iterable[dict[str, Any]]) -> None:
        """Note the instance of each task record (records without `instance_id` are skipped)."""
        for task in tasks:
            instance_id = task.get("instance_id")
            if instance_id is None or "_id" not in task:
                continue
            self._homes[task["_id"]] = instance_id
            self._homes.move_to_end(task["_id"])
        while len(self._homes) > self.capacity:
            self._homes.popitem(last=False)

    def __len__(self) -> int:
        return len(self._homes)
