"""Login throttling per account and per client address, shared by every server process via MongoDB.

After `max_failures` failed logins within `window`, further attempts for that account (or from
that address) are refused with a Retry-After until the window since the first failure passes.
A successful login clears the account's counter.
"""

from __future__ import annotations

from datetime import timedelta

from oa.clock import utcnow
from oa.errors import Throttled
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo, find_one_and_update_after


class LoginThrottle:
    def __init__(self, mongo: Mongo, max_failures_per_account: int = 5, max_failures_per_address: int = 20,
                 window: timedelta = timedelta(minutes=15)) -> None:
        self.failures = mongo["login_failures"]
        self.limits = {"account": max_failures_per_account, "address": max_failures_per_address}
        self.window = window

    @staticmethod
    def _keys(username: str, client: str) -> dict[str, str]:
        return {"account": f"account:{username.lower()}", "address": f"address:{client}"}

    async def check(self, username: str, client: str) -> None:
        now = utcnow()
        for kind, key in self._keys(username, client).items():
            record = await self.failures.find_one({"key": key})
            if record and record["count"] >= self.limits[kind] and record["expires_at"] > now:
                retry_after = max(1, int((record["expires_at"] - now).total_seconds()) + 1)
                what = "this account" if kind == "account" else "your address"
                raise Throttled(f"too many failed logins for {what}; try again in {retry_after} s", retry_after)

    async def record_failure(self, username: str, client: str) -> None:
        now = utcnow()
        for key in self._keys(username, client).values():
            # Start a fresh window once the previous one has passed.
            await self.failures.delete_one({"key": key, "expires_at": {"$lte": now}})
            update = {"$inc": {"count": 1}, "$setOnInsert": {"first_at": now, "expires_at": now + self.window,
                                                             "schema_version": SCHEMA_VERSION}}
            try:
                await find_one_and_update_after(self.failures, {"key": key}, update, upsert=True)
            except DuplicateKeyError:
                # Two failures raced to create the counter; the other insert won, so just count this one.
                await self.failures.update_one({"key": key}, {"$inc": {"count": 1}})

    async def clear(self, username: str) -> None:
        await self.failures.delete_one({"key": self._keys(username, "")["account"]})
