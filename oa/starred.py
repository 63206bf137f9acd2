"""常用联系人: each person's starred contacts, kept on the server so the phone and the desk show the same.

Promises:
- One record per person (`_id` = their user id) holding the starred people's ids in the order they
  were starred; starring twice keeps one entry, unstarring someone not starred is a no-op.
- At most MAX_STARRED contacts: a 常用 list longer than that is no longer a short list, and the record
  stays small.
- Only this module reads or writes the `starred_contacts` collection.
"""

from __future__ import annotations

from typing import Any

from oa.clock import utcnow
from oa.errors import Conflict
from storage.mongo import SCHEMA_VERSION, Mongo

MAX_STARRED = 100


class StarredContacts:
    COLLECTION = "starred_contacts"

    def __init__(self, mongo: Mongo) -> None:
        self.records = mongo["starred_contacts"]

    async def of(self, user_id: str) -> list[str]:
        """The ids the person starred, oldest first (one read by primary key)."""
        record: dict[str, Any] | None = await self.records.find_one({"_id": user_id})
        return list(record.get("ids", [])) if record else []

    async def star(self, user_id: str, contact_id: str) -> list[str]:
        starred = await self.of(user_id)
        if contact_id in starred:
            return starred
        if len(starred) >= MAX_STARRED:
            raise Conflict(f"at most {MAX_STARRED} 常用联系人; remove one first", limit=MAX_STARRED)
        await self.records.update_one(
            {"_id": user_id},
            {"$addToSet": {"ids": contact_id}, "$set": {"updated_at": utcnow()},
             "$setOnInsert": {"schema_version": SCHEMA_VERSION}},
            upsert=True)
        return [*starred, contact_id]

    async def unstar(self, user_id: str, contact_id: str) -> list[str]:
        await self.records.update_one({"_id": user_id},
                                      {"$pull": {"ids": contact_id}, "$set": {"updated_at": utcnow()}})
        return [starred for starred in await self.of(user_id) if starred != contact_id]
