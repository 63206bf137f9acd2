"""A lease record in MongoDB: at most one process at a time holds a named job (the deadline scheduler).

The holder renews before expiry; if it dies, the lease lapses and another process takes over.
The current time is passed in, never read here, so tests drive it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.mongo import DuplicateKeyError, Mongo


class Lease:
    def __init__(self, mongo: Mongo, name: str, holder: str, ttl: timedelta) -> None:
        self.leases = mongo["leases"]
        self.name = name
        self.holder = holder
        self.ttl = ttl

    async def acquire_or_renew(self, now: datetime) -> bool:
        """Take the lease if it is free, expired or already ours, and extend it; False if another holds it."""
        try:
            taken = await self.leases.find_one_and_update(
                {"_id": self.name, "$or": [{"holder": self.holder}, {"expires_at": {"$lte": now}}]},
                {"$set": {"holder": self.holder, "expires_at": now + self.ttl, "renewed_at": now},
                 "$setOnInsert": {"acquired_at": now}},
                upsert=True)
        except DuplicateKeyError:
            return False  # the record exists and is someone else's: the upsert collided with it
        if taken is not None and taken.get("holder") != self.holder:
            await self.leases.update_one({"_id": self.name, "holder": self.holder}, {"$set": {"acquired_at": now}})
        return True

    async def release(self) -> None:
        await self.leases.delete_one({"_id": self.name, "holder": self.holder})

    async def holder_of(self) -> dict[str, Any] | None:
        return await self.leases.find_one({"_id": self.name})
