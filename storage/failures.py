"""Counts of failed database commands and object-store calls in this process, for the operators' metrics.

Plain integers behind a lock (PyMongo calls listeners from its own threads too; MinIO calls run
in an executor); `web/metrics.py` reads them when /metrics is scraped. Counting never raises.
"""

from __future__ import annotations

import threading
from collections import Counter

from pymongo import monitoring

_lock = threading.Lock()
_mongo: Counter[str] = Counter()
_s3: Counter[str] = Counter()


class FailedCommands(monitoring.CommandListener):
    """Counts each failed MongoDB command by its name (insert, find, commitTransaction…)."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        with _lock:
            _mongo[event.command_name] += 1


def count_s3_error(operation: str) -> None:
    with _lock:
        _s3[operation] += 1


def mongo_failures() -> dict[str, int]:
    with _lock:
        return dict(_mongo)


def s3_failures() -> dict[str, int]:
    with _lock:
        return dict(_s3)
