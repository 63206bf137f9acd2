"""委托: a person lets someone act on their tasks for a time window (leave, a business trip).

A delegate sees the delegator's tasks in their 待办 and may act on them while the window is open;
every action records both people. Nothing is copied: the task stays the delegator's, so when
the window closes it is simply theirs again.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from oa.clock import utcnow
from oa.directory import Directory
from oa.errors import InvalidInput, NotFound
from storage.mongo import SCHEMA_VERSION, Mongo

MAX_WINDOW = timedelta(days=366)


class DelegationService:
    def __init__(self, mongo: Mongo, directory: Directory) -> None:
        self.delegations = mongo["delegations"]
        self.directory = directory

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
        return record

    async def revoke(self, delegation_id: str, user: dict[str, Any]) -> dict[str, Any]:
        found = await self.delegations.find_one_and_update(
            {"_id": delegation_id, "from_user": user["_id"], "revoked_at": None},
            {"$set": {"revoked_at": utcnow()}})
        if found is None:
            raise NotFound(f"no delegation {delegation_id} of yours to revoke")
        return {**found, "revoked_at": utcnow()}

    async def of_user(self, user_id: str) -> list[dict[str, Any]]:
        query = {"$or": [{"from_user": user_id}, {"to_user": user_id}]}
        return await self.delegations.find(query).sort("starts_at", -1).to_list(200)

    async def delegators_of(self, user_id: str, now: datetime) -> list[str]:
        """Whose tasks `user_id` may act on right now."""
        query = {"to_user": user_id, "revoked_at": None, "starts_at": {"$lte": now}, "ends_at": {"$gt": now}}
        return sorted({row["from_user"] async for row in self.delegations.find(query, {"from_user": 1})})

    async def delegates_of(self, user_ids: list[str], now: datetime) -> dict[str, list[str]]:
        """For each person in `user_ids` with an open window: who acts for them now."""
        query = {"from_user": {"$in": user_ids}, "revoked_at": None, "starts_at": {"$lte": now},
                 "ends_at": {"$gt": now}}
        found: dict[str, list[str]] = {}
        async for row in self.delegations.find(query, {"from_user": 1, "to_user": 1}):
            found.setdefault(row["from_user"], []).append(row["to_user"])
        return found
