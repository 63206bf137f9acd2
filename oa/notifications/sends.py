"""The record of what was sent (collection `notification_sends`, owned here): one per notification and channel.

Its `_id` (notification id : channel) makes each channel's send happen once however many replicas
try: a send is claimed by a compare-and-set from `pending` to `sending` with a lease, and only the
claimer sends. Every attempt is appended with its time and outcome; a retryable failure puts the
send back to `pending` at a later `next_at` (backoff), a final one marks it `failed`. A claim whose
replica died mid-send is taken over when its lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from oa.clock import utcnow
from storage.mongo import SCHEMA_VERSION, BulkWriteError, Mongo, ReturnDocument

LEASE = timedelta(seconds=60)


class SendLog:
    COLLECTION = "notification_sends"

    def __init__(self, mongo: Mongo) -> None:
        self.sends = mongo["notification_sends"]

    async def create(self, rows: list[dict[str, Any]]) -> None:
        """Insert sends (of one or many notifications); ones that exist already (another replica's) are left alone."""
        if not rows:
            return
        now = utcnow()
        records = [{"schema_version": SCHEMA_VERSION, "created_at": now, "attempts": [], "lease_until": None,
                    **row, "_id": f"{row['notification_id']}:{row['channel']}"} for row in rows]
        try:
            await self.sends.insert_many(records, ordered=False)
        except BulkWriteError as failure:
            if any(error.get("code") != 11000 for error in failure.details.get("writeErrors", [])):
                raise

    async def claim(self, send_id: str, now: datetime) -> dict[str, Any] | None:
        """Take a send that is due (or whose sender's lease ran out); None when someone else has it or it is done."""
        return await self.sends.find_one_and_update(
            {"_id": send_id, "$or": [{"status": "pending", "next_at": {"$lte": now}},
                                     {"status": "sending", "lease_until": {"$lt": now}}]},
            {"$set": {"status": "sending", "lease_until": now + LEASE}}, return_document=ReturnDocument.AFTER)

    async def due(self, now: datetime, limit: int = 100) -> list[str]:
        cursor = self.sends.find({"$or": [{"status": "pending", "next_at": {"$lte": now}},
                                          {"status": "sending", "lease_until": {"$lt": now}}]},
                                 {"_id": 1}).sort("next_at", 1).limit(limit)
        return [row["_id"] for row in await cursor.to_list(None)]

    async def finish(self, send_id: str, status: str, attempt: dict[str, Any] | None = None,
                     next_at: datetime | None = None, why: str | None = None) -> None:
        """After a claimed send: `sent`, `failed`, `skipped`, or `pending` again at `next_at` (a retry)."""
        update: dict[str, Any] = {"$set": {"status": status, "lease_until": None, "next_at": next_at,
                                           "updated_at": utcnow()}}
        if why is not None:
            update["$set"]["why"] = why
        if attempt is not None:
            update["$push"] = {"attempts": attempt}
        await self.sends.update_one({"_id": send_id, "status": "sending"}, update)

    async def of_notification(self, notification_id: str) -> list[dict[str, Any]]:
        return await self.sends.find({"notification_id": notification_id}).sort("_id", 1).to_list(None)

    async def of_user(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return await self.sends.find({"user_id": user_id}).sort("created_at", -1).limit(limit).to_list(None)
