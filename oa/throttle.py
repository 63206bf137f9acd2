"""Login throttling and account lockout, per account and per client address, shared by every server
process via MongoDB.

Each attempt is counted atomically *before* the password is checked, so parallel guesses
cannot all slip through while the first ones are still being verified. Once an account has
used `max_failures` attempts within `window` (or an address its larger budget), further
attempts are refused with a Retry-After: the account is *locked* (等级保护 level 3). The lock lasts
`lockout` from the last allowed attempt, then lifts by itself, so five bad guesses can never lock
anyone (an administrator included) out for good; an administrator may also lift it at once
(`unlock`). A successful login gives the attempt back: it clears the account's counter and
returns one to the address's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from oa.clock import utcnow
from oa.errors import Throttled
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo, find_in, find_one_and_update_after

LOCKED_MESSAGE = ("连续登录失败次数过多，账号已锁定，{minutes} 分钟后自动解锁，也可请管理员解锁。"
                  " Too many failed logins: this account is locked; try again in {seconds} s or ask an administrator"
                  " to unlock it.")


class LoginThrottle:
    def __init__(self, mongo: Mongo, max_failures_per_account: int = 5, max_failures_per_address: int = 20,
                 window: timedelta = timedelta(minutes=15), lockout: timedelta | None = None) -> None:
        self.failures = mongo["login_failures"]
        self.limits = {"account": max_failures_per_account, "address": max_failures_per_address}
        self.window = window
        self.lockout = lockout or window

    @staticmethod
    def _keys(username: str, client: str) -> dict[str, str]:
        return {"account": f"account:{username.lower()}", "address": f"address:{client}"}

    async def reserve(self, username: str, client: str) -> None:
        """Count one attempt for the account and the address; refuse it if either is over its budget."""
        for kind, key in self._keys(username, client).items():
            record = await self._count(key)
            if record["count"] == self.limits[kind]:
                # The last allowed attempt: if it fails too, the lock runs a full `lockout` from now.
                await self.failures.update_one({"_id": record["_id"]},
                                               {"$max": {"expires_at": utcnow() + self.lockout}})
            if record["count"] > self.limits[kind]:
                now = utcnow()
                retry_after = max(1, int((record["expires_at"] - now).total_seconds()) + 1)
                if kind == "account":
                    raise Throttled(LOCKED_MESSAGE.format(minutes=-(-retry_after // 60), seconds=retry_after),
                                    retry_after, locked="account")
                raise Throttled(f"too many failed logins for your address; try again in {retry_after} s",
                                retry_after)

    async def _count(self, key: str) -> dict:
        now = utcnow()
        # A window that has passed starts afresh.
        await self.failures.delete_one({"key": key, "expires_at": {"$lte": now}})
        # Create the counter at zero first, then increment: racing creators can then never count twice.
        fresh = {"count": 0, "first_at": now, "expires_at": now + self.window, "schema_version": SCHEMA_VERSION}
        try:
            await self.failures.update_one({"key": key}, {"$setOnInsert": fresh}, upsert=True)
        except DuplicateKeyError:
            pass  # another attempt created it a moment ago
        record = await find_one_and_update_after(self.failures, {"key": key}, {"$inc": {"count": 1}})
        if record is None:  # expired and removed in between: count this attempt in a fresh window
            return await self._count(key)
        return record

    async def succeeded(self, username: str, client: str) -> None:
        keys = self._keys(username, client)
        await self.failures.delete_one({"key": keys["account"]})
        await self.failures.update_one({"key": keys["address"], "count": {"$gt": 0}}, {"$inc": {"count": -1}})

    async def locked(self, usernames: list[str]) -> dict[str, datetime]:
        """Those of these accounts that are locked now, each with when the lock lifts by itself."""
        keys = {self._keys(username, "")["account"]: username for username in usernames}
        rows = await find_in(self.failures, "key", list(keys), {"count": {"$gte": self.limits["account"]}},
                             {"key": 1, "expires_at": 1})
        now = utcnow()
        return {keys[row["key"]]: row["expires_at"] for row in rows if row["expires_at"] > now}

    async def unlock(self, username: str) -> bool:
        """An administrator lifts the lock (and forgets the failures) at once; False if there was none."""
        result = await self.failures.delete_one({"key": self._keys(username, "")["account"]})
        return result.deleted_count > 0
