"""Daily anchors: every unit's chain head (unit, seq, hash) written as one JSON object to the object store.

A separate bucket (OA_AUDIT_ANCHOR_BUCKET) keeps them away from the database and from the file bucket.
Where the store has S3 object lock (MinIO with a locked bucket) each anchor is put under retention
(COMPLIANCE by default) so nobody, an administrator included, can rewrite or delete it before it expires;
where it has none (the embedded JuiceFS gateway) the anchor says `"locked": false` and the log says so.
With OA_TSA_URL set, an RFC 3161 timestamp over the anchor's bytes is kept beside it (`<key>.tsr`).

What an anchor proves: whoever can change the database but not the anchor bucket cannot shorten or
rewrite a chain before the anchor's time without the verifier saying so. An unlocked anchor proves that
only as far as the anchor bucket's own access control holds; a timestamped one also fixes when the heads
existed. Nothing after the latest anchor is protected by it (only by the chain and its heads).

One replica writes them (the `audit_anchor` lease); each round writes one if the latest is a day old.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from oa.audit_chain.canonical import canonical_bytes, hash_bytes
from oa.audit_chain.chain import HEADS
from oa.audit_chain.timestamps import TimestampFailed, timestamp, token_time
from oa.clock import utcnow
from storage.blobs import BlobNotFound, MinioBlobStore
from storage.leases import Lease
from storage.mongo import Mongo

log = logging.getLogger("oa.audit")
PREFIX = "anchors/"
FORMAT = "oa-audit-anchor/1"
LEASE_TTL = timedelta(minutes=10)


class Anchors:
    def __init__(self, mongo: Mongo, store: MinioBlobStore, *, every: timedelta = timedelta(days=1),
                 retain: timedelta = timedelta(days=3650), lock_mode: str = "COMPLIANCE",
                 tsa_url: str | None = None, holder: str | None = None) -> None:
        self.mongo = mongo
        self.store = store
        self.every = every
        self.retain = retain
        self.lock_mode = lock_mode
        self.tsa_url = tsa_url
        self.lease = Lease(mongo, "audit_anchor", holder or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}",
                           LEASE_TTL)
        self._lockable: bool | None = None
        # Under the database's name: one anchor bucket may serve several databases (staging beside production).
        self.prefix = f"{PREFIX}{mongo.db.name}/"

    async def lockable(self) -> bool:
        if self._lockable is None:
            self._lockable = await self.store.ensure_locked_bucket()
            if not self._lockable:
                log.warning("the audit anchor bucket %s has no object lock: anchors are written unlocked and prove "
                            "only as much as that bucket's access control", self.store.bucket)
        return self._lockable

    async def write(self, now: datetime | None = None) -> dict[str, Any]:
        """Write an anchor of every unit's head now; returns what was written (without the heads)."""
        now = now or utcnow()
        heads = [{"unit": row["_id"], "seq": row["seq"], "hash": row["hash"]}
                 async for row in self.mongo[HEADS].find({}).sort("_id", 1)]
        locked = await self.lockable()
        at = now.isoformat()
        body = {"format": FORMAT, "at": at, "heads": heads,
                "digest": hash_bytes("sha256", canonical_bytes(heads)), "locked": locked,
                "retain_until": (now + self.retain).isoformat() if locked else None,
                "lock_mode": self.lock_mode if locked else None}
        data = json.dumps(body, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
        key = f"{self.prefix}{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z.json"
        until = now + self.retain if locked else None
        await self.store.put_retained(key, data, until, self.lock_mode)
        token_at = None
        if self.tsa_url:
            try:
                token = await timestamp(self.tsa_url, data)
                await self.store.put_retained(key + ".tsr", token, until, self.lock_mode, "application/timestamp-reply")
                token_at = token_time(token)
            except TimestampFailed:
                log.exception("audit anchor %s has no timestamp", key)
        log.info("audit anchor %s: %d unit heads, digest %s, %s%s", key, len(heads), body["digest"],
                 "locked" if locked else "UNLOCKED (the store has no object lock)",
                 f", timestamped {token_at}" if token_at else "")
        return {"key": key, "at": at, "digest": body["digest"], "units": len(heads), "locked": locked,
                "timestamped": token_at}

    async def latest(self) -> dict[str, Any] | None:
        """The latest anchor with its heads, and whether it carries a timestamp; None before the first."""
        keys = [key for key in await self.store.keys_under(self.prefix) if key.endswith(".json")]
        if not keys:
            return None
        return await self.read(keys[-1])

    async def read(self, key: str) -> dict[str, Any]:
        anchor = json.loads(await self.store.get(key))
        anchor["key"] = key
        try:
            anchor["timestamped"] = token_time(await self.store.get(key + ".tsr"))
        except BlobNotFound:
            anchor["timestamped"] = None
        return dict(anchor)

    async def listing(self, limit: int = 30) -> list[dict[str, Any]]:
        """The latest anchors (newest first), without their heads."""
        keys = [key for key in await self.store.keys_under(self.prefix) if key.endswith(".json")][-limit:]
        shown = []
        for key in reversed(keys):
            anchor = await self.read(key)
            shown.append({name: anchor.get(name) for name in ("key", "at", "digest", "locked", "timestamped")}
                         | {"units": len(anchor.get("heads", []))})
        return shown

    async def tick(self, now: datetime | None = None) -> dict[str, Any] | None:
        """One round: with the lease, write an anchor when the latest is older than `every`."""
        now = now or utcnow()
        if not await self.lease.acquire_or_renew(now):
            return None
        latest = await self.latest()
        if latest and now - datetime.fromisoformat(latest["at"]) < self.every:
            return None
        return await self.write(now)

    async def run_forever(self, interval_s: float = 600) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.tick()
            except Exception:  # the store or the database away: the next round tries again
                log.exception("audit anchor round failed")
            await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - started)))
