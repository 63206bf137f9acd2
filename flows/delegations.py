"""委托: a person lets someone act on their tasks for a time window (leave, a business trip).

A delegate sees the delegator's tasks in their 待办 and may act on them while the window is open;
every action records both people. Nothing is copied: the task stays the delegator's, so when
the window closes it is simply theirs again.

Every flow action asks who acts for whom, so the windows not yet over are held in memory: loaded
on first use, changed at once by this process's own writes, and by other processes' through the
change stream (`apply_change`; `reload` when the stream restarts without its resume point).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from oa.clock import utcnow
from oa.directory import Directory
from oa.errors import InvalidInput, NotFound
from storage.mongo import SCHEMA_VERSION, Mongo

COLLECTION = "delegations"

MAX_WINDOW = timedelta(days=366)


class DelegationService:
    COLLECTION = COLLECTION

    def __init__(self, mongo: Mongo, directory: Directory) -> None:
        self.delegations = mongo[COLLECTION]
        self.directory = directory
        self._open: dict[str, dict[str, Any]] | None = None  # not revoked, not over when last seen

    # The windows in memory ----------------------------------------------------------------

    async def _windows(self) -> dict[str, dict[str, Any]]:
        if self._open is None:
            await self.reload()
        assert self._open is not None
        return self._open

    async def reload(self) -> None:
        query = {"revoked_at": None, "ends_at": {"$gt": utcnow()}}
        fields = {"from_user": 1, "to_user": 1, "starts_at": 1, "ends_at": 1, "revoked_at": 1}
        self._open = {row["_id"]: row async for row in self.delegations.find(query, fields)}

    def apply_change(self, change: dict[str, Any]) -> None:
        """A change to `delegations` seen on the stream (inserts and updates carry the record)."""
        if self._open is None:
            return  # not loaded yet: the first use loads the current state
        record = change.get("fullDocument")
        if record is None:
            self._open.pop(str((change.get("documentKey") or {}).get("_id")), None)
        else:
            self._remember(record)

    def _remember(self, record: dict[str, Any]) -> None:
        if self._open is None:
            return
        if record.get("revoked_at") is None:
            self._open[record["_id"]] = record
        else:
            self._open.pop(record["_id"], None)

    # Actions --------------------------------------------------------------------------------

    async def create(self, from_user: dict[str, Any], to_user_id: str, starts_at: datetime, ends_at: datetime,
                     reason: str) -> dict[str, Any]:
        if to_user_id == from_user["_id"]:
            raise InvalidInput("you cannot delegate to yourself", field="to_user")
        target = self.directory.person(to_user_id)
        if target is None or not target.active:
            raise InvalidInput(f"no active person {to_user_id}", code="unknown_user", field="to_user")
        if ends_at <= starts_at:
            raise InvalidInput("ends_at must be after starts_at", field="ends_at")
        if ends_at - starts_at > MAX_WINDOW:
            raise InvalidInput("a delegation lasts at most a year", field="ends_at")
        if ends_at <= utcnow():
            raise InvalidInput("the window has already ended", field="ends_at")
        record = {"_id": f"dg-{secrets.token_hex(8)}", "schema_version": SCHEMA_VERSION,
                  "from_user": from_user["_id"], "to_user": to_user_id, "starts_at": starts_at, "ends_at": ends_at,
                  "reason": reason.strip(), "revoked_at": None, "created_at": utcnow()}
        await self.delegations.insert_one(record)
        self._remember(record)
        return record

    async def revoke(self, delegation_id: str, user: dict[str, Any]) -> dict[str, Any]:
        found = await self.delegations.find_one_and_update(
            {"_id": delegation_id, "from_user": user["_id"], "revoked_at": None},
            {"$set": {"revoked_at": utcnow()}})
        if found is None:
            raise NotFound(f"no delegation {delegation_id} of yours to revoke")
        revoked = {**found, "revoked_at": utcnow()}
        self._remember(revoked)
        return revoked

    async def of_user(self, user_id: str) -> list[dict[str, Any]]:
        """The person's delegations either way, newest first, each naming both people (`from`, `to`)."""
        query = {"$or": [{"from_user": user_id}, {"to_user": user_id}]}
        return [self.named(row) for row in await self.delegations.find(query).sort("starts_at", -1).to_list(200)]

    def named(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with both people as the screens show them: name, and unit · post of each post."""
        def who(user_id: str) -> dict[str, Any]:
            person = self.directory.person(user_id)
            if person is None:
                return {"user_id": user_id, "name": user_id, "posts": []}
            return {"user_id": user_id, "name": person.display_name,
                    "posts": [{"unit_name": post.unit_name, "title": post.title} for post in person.held()]}
        return {**record, "from": who(record["from_user"]), "to": who(record["to_user"])}

    async def delegators_of(self, user_id: str, now: datetime) -> list[str]:
        """Whose tasks `user_id` may act on right now."""
        return sorted({row["from_user"] for row in (await self._windows()).values()
                       if row["to_user"] == user_id and _open_at(row, now)})

    async def delegates_of(self, user_ids: list[str], now: datetime) -> dict[str, list[str]]:
        """For each person in `user_ids` with an open window: who acts for them now."""
        wanted = set(user_ids)
        found: dict[str, list[str]] = {}
        for row in (await self._windows()).values():
            if row["from_user"] in wanted and _open_at(row, now):
                found.setdefault(row["from_user"], []).append(row["to_user"])
        return found


def _open_at(row: dict[str, Any], now: datetime) -> bool:
    starts, ends = row["starts_at"], row["ends_at"]
    if starts.tzinfo is None:  # stored times come back naive (UTC)
        starts, ends = starts.replace(tzinfo=UTC), ends.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return starts <= now < ends
