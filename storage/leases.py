"""A lease record in MongoDB: at most one process at a time holds a named job (the deadline scheduler).

Every replica calls `acquire_or_renew` each round; the one holding the lease renews it before it
expires, and if that process dies the lease lapses and another takes over. Taking and renewing
is one atomic find-and-modify on the record `{_id: name, holder, expires_at, acquired_at, renewed_at}`,
so contenders at the same instant cannot both win.

The current time is passed in, never read here, so tests drive it. Expiry is judged by the
caller's clock: replicas need clocks in step (NTP) to well within the ttl.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.mongo import DuplicateKeyError, Mongo

COLLECTION = "leases"


class Lease:
    """One process's claim on the lease `name`; `holder` must be unique per process (host, pid, random)."""

    def __init__(self, mongo: Mongo, name: str, holder: str, ttl: timedelta) -> None:
        if not name or not holder:
            raise ValueError("a lease needs a name and a holder id")
        if ttl <= timedelta(0):
            raise ValueError(f"a lease ttl must be positive (got {ttl})")
        self.leases = mongo[COLLECTION]
        self.name = name
        self.holder = holder
        self.ttl = ttl

    async def acquire_or_renew(self, now: datetime) -> bool:
        """Take the lease if it is free, expired or already ours, and hold it until now + ttl.

        False when another holder's lease is still valid at `now`.
        """
        _require_aware(now)
        try:
            await self.leases.find_one_and_update(
                {"_id": self.name, "$or": [{"holder": self.holder}, {"expires_at": {"$lte": now}}]},
                self._take(now), upsert=True)
        except DuplicateKeyError:
            # The filter did not match, so the upsert tried to insert a second record with this
            # _id: the lease exists and is someone else's (or a contender inserted it first).
            return False
        return True

    def _take(self, now: datetime) -> list[dict[str, Any]]:
        """The update, as a pipeline so acquired_at can keep its value on a renewal in the same atomic step."""
        # $literal: a holder id starting with "$" would otherwise be read as a field path.
        ours = {"$eq": ["$holder", {"$literal": self.holder}]}
        return [{"$set": {
            "acquired_at": {"$cond": [ours, "$acquired_at", {"$literal": now}]},
            "holder": {"$literal": self.holder},
            "expires_at": {"$literal": now + self.ttl},
            "renewed_at": {"$literal": now},
        }}]

    async def release(self) -> None:
        """Give the lease up at once (at shutdown), so another process need not wait for it to lapse."""
        await self.leases.delete_one({"_id": self.name, "holder": self.holder})

    async def holder_of(self) -> dict[str, Any] | None:
        """The lease record (holder, acquired_at, renewed_at, expires_at), for status pages; None if free.

        An expired record may still be returned: compare expires_at with the time of interest.
        """
        return await self.leases.find_one({"_id": self.name})


def _require_aware(now: datetime) -> None:
    # A naive time would be stored as if it were UTC and compared wrongly with aware expiries.
    if now.utcoffset() is None:
        raise ValueError(f"now must be a timezone-aware datetime (got {now!r})")
