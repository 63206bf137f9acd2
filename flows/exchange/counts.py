"""How many of a dispatch's receipts are in each state: derived from the receipts, never kept as totals.

A running total on the dispatch record would make every 签收 and every delivery chunk write that one
record. On a replica set a transaction that meets another's write to the same record aborts and
starts again, so a 200-receipt delivery chunk (seconds of work) would keep losing to the sign-fors
that commit while it runs. Instead the counts are an indexed count of the dispatch's receipts by
status (index `dispatch_id, status`), which no transaction writes.

A process keeps the counts it computed in memory for a few seconds and forgets a dispatch's as soon
as a receipt of it changes: at once for its own commits (`forget_on_commit`), and for other
processes' through the change stream, which carries the events every receipt change publishes (each
names its dispatch). A read in a transaction always counts afresh, inside the transaction's snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flows.exchange.records import empty_counts
from storage.mongo import Mongo, Session

# The backstop for a change whose event this process missed (its change stream had to start afresh).
CACHE_SECONDS = 30.0
CACHE_MAX = 5000


class ReceiptCounts:
    def __init__(self, mongo: Mongo, ttl_s: float = CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.mongo = mongo
        self.receipts = mongo["receipts"]
        self.ttl_s = ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, int]]] = {}
        # Bumped by every forget (and `_epoch` when the maps are emptied): a count read before a
        # change must not be stored after it.
        self._generation: dict[str, int] = {}
        self._epoch = 0

    async def of(self, dispatch_id: str, session: Session | None = None) -> dict[str, int]:
        return (await self.of_many([dispatch_id], session))[dispatch_id]

    async def of_many(self, dispatch_ids: list[str], session: Session | None = None) -> dict[str, dict[str, int]]:
        """Per dispatch, {status: number of its receipts}, every status present (zeros included)."""
        now = self.clock()
        found: dict[str, dict[str, int]] = {}
        wanted = []
        for dispatch_id in dict.fromkeys(dispatch_ids):
            cached = self._cache.get(dispatch_id) if session is None else None
            if cached is not None and now - cached[0] < self.ttl_s:
                found[dispatch_id] = dict(cached[1])
            else:
                wanted.append(dispatch_id)
        if not wanted:
            return found
        epoch, generations = self._epoch, {dispatch_id: self._generation.get(dispatch_id, 0) for dispatch_id in wanted}
        counted = {dispatch_id: empty_counts() for dispatch_id in wanted}
        pipeline = [{"$match": {"dispatch_id": {"$in": wanted}}},
                    {"$group": {"_id": {"d": "$dispatch_id", "s": "$status"}, "n": {"$sum": 1}}}]
        cursor = await self.receipts.aggregate(pipeline, session=session)
        async for row in cursor:
            counted[row["_id"]["d"]][row["_id"]["s"]] = row["n"]
        if session is None and epoch == self._epoch:
            if len(self._cache) > CACHE_MAX:
                self._cache.clear()
            for dispatch_id, counts in counted.items():
                if self._generation.get(dispatch_id, 0) == generations[dispatch_id]:
                    self._cache[dispatch_id] = (now, dict(counts))
        found.update(counted)
        return found

    async def attach(self, dispatches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The dispatches with their `counts` (what the API shows), in one count for all of them."""
        counts = await self.of_many([item["_id"] for item in dispatches])
        for item in dispatches:
            item["counts"] = counts[item["_id"]]
        return dispatches

    def forget(self, dispatch_id: str | None) -> None:
        if dispatch_id:
            self._cache.pop(dispatch_id, None)
            self._generation[dispatch_id] = self._generation.get(dispatch_id, 0) + 1
            if len(self._generation) > CACHE_MAX:
                self._generation.clear()
                self._cache.clear()
                self._epoch += 1

    def forget_on_commit(self, session: Session, dispatch_id: str | None) -> None:
        """Forget the dispatch's counts once this transaction (which changes its receipts) commits."""
        self.forget(dispatch_id)
        self.mongo.after_commit(session, lambda: self.forget(dispatch_id))

    def on_event(self, event: dict[str, Any]) -> None:
        """Every event this process is handed (its own and, by the change stream, other processes'):
        one naming a dispatch means a receipt of it may have changed."""
        data = event.get("data")
        if isinstance(data, dict):
            self.forget(data.get("dispatch_id"))
