"""The 消息 centre's records (collection `notifications`, owned here): one per event and person.

`record` is also the claim that makes a notification go out once with several replicas: every
replica that sees the event upserts the same record (`_id` = the event's id), and only the one
whose upsert inserted it goes on to send. A replica where the person has the app open marks it
`app_open`, so whichever replica sends knows the page has shown it. Read state lives here too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oa.clock import utcnow
from oa.errors import NotFound
from oa.notifications.messages import Message
from storage.mongo import SCHEMA_VERSION, BulkWriteError, Mongo

KEEP_DAYS = 180


class Inbox:
    COLLECTION = "notifications"

    def __init__(self, mongo: Mongo) -> None:
        self.notifications = mongo["notifications"]

    async def record(self, event: dict[str, Any], message: Message, app_open: bool) -> bool:
        """Keep the notification of `event`; True for the one caller that created it (and so sends it)."""
        return event["_id"] in await self.record_many([(event, message, app_open)])

    async def record_many(self, items: list[tuple[dict[str, Any], Message, bool]]) -> set[str]:
        """Keep the notifications of several events in one bulk write; the ids of those this caller created.

        A dispatch to every unit hands over ~1,300 such events at once: one unordered insert for all of
        them (an insert costs the database a third of an upsert), so the 消息 records do not compete with
        the dispatch. A record another replica inserted first is a duplicate key: not this caller's; if
        the person's app is open here, one more update marks those records `app_open`."""
        now = utcnow()
        records, open_here = [], set()
        for event, message, app_open in items:
            records.append({"_id": event["_id"], "schema_version": SCHEMA_VERSION, "user_id": event["user_id"],
                            "event_seq": event["seq"], "at": event.get("at") or now, "recorded_at": now,
                            "read_at": None, **message.as_record(), **({"app_open": True} if app_open else {})})
            if app_open:
                open_here.add(event["_id"])
        if not records:
            return set()
        ids = [record["_id"] for record in records]
        try:
            await self.notifications.insert_many(records, ordered=False)
            return set(ids)
        except BulkWriteError as failure:
            errors = failure.details.get("writeErrors", [])
            if any(error.get("code") != 11000 for error in errors):
                raise
            taken = {ids[error["index"]] for error in errors}
        if taken & open_here:
            await self.notifications.update_many({"_id": {"$in": sorted(taken & open_here)}},
                                                 {"$set": {"app_open": True}})
        return set(ids) - taken

    async def recorded_between(self, first: datetime, last: datetime) -> set[str]:
        """The ids of the records of events written from `first` to `last` (a record keeps its event's time): one
        range read of the time index, where asking by id would be a long `$in` per few hundred events."""
        rows = self.notifications.find({"at": {"$gte": first, "$lte": last}}, {"_id": 1})
        return {row["_id"] async for row in rows}

    async def get(self, notification_id: str) -> dict[str, Any] | None:
        return await self.notifications.find_one({"_id": notification_id})

    async def page(self, user_id: str, offset: int, limit: int, unread_only: bool = False
                   ) -> tuple[list[dict[str, Any]], int, int]:
        """The person's notifications, unread first then newest first; with the total and the unread count."""
        query: dict[str, Any] = {"user_id": user_id}
        if unread_only:
            query["read_at"] = None
        # Unread first: two indexed queries, the unread ones, then the read ones (each newest first).
        unread_query = {"user_id": user_id, "read_at": None}
        unread = await self.notifications.count_documents(unread_query)
        total = await self.notifications.count_documents(query)
        items: list[dict[str, Any]] = []
        if offset < unread:
            cursor = self.notifications.find(unread_query).sort([("at", -1), ("_id", -1)]).skip(offset).limit(limit)
            items = await cursor.to_list(None)
        if not unread_only and len(items) < limit:
            skip = max(0, offset - unread)
            cursor = self.notifications.find({"user_id": user_id, "read_at": {"$ne": None}}).sort(
                [("at", -1), ("_id", -1)]).skip(skip).limit(limit - len(items))
            items += await cursor.to_list(None)
        return items, total, unread

    async def unread_count(self, user_id: str) -> int:
        return await self.notifications.count_documents({"user_id": user_id, "read_at": None})

    async def mark_read(self, user_id: str, ids: list[str] | None, now: datetime | None = None) -> int:
        """Mark the person's notifications read (all of them when `ids` is None); returns how many changed."""
        query: dict[str, Any] = {"user_id": user_id, "read_at": None}
        if ids is not None:
            query["_id"] = {"$in": ids}
            owned = await self.notifications.count_documents({"user_id": user_id, "_id": {"$in": ids}})
            if owned < len(set(ids)):
                raise NotFound("没有这条消息")
        result = await self.notifications.update_many(query, {"$set": {"read_at": now or utcnow()}})
        return result.modified_count
