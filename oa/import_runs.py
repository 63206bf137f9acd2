"""Import runs: the record that makes a large import all or nothing without one huge transaction.

An import writes its units, their history and its people in batches, each record tagged with
`import_pending: <run id>`. A tagged record is part of the org only once its run is committed:
the directory, logins and the unit lists ask `visible`. The run's record is the switch: when every
batch is written and counted, its status flips from `writing` to `committed` in one write, and
every record of the run is current at once (the tags stay: removing 65,000 of them would cost
twice the import). A run that fails, or whose process dies while writing (its lease runs out), is
rolled back by deleting its tagged records, so the current data is never touched. While a run is
writing, the units it hangs new units and people under are leased: admin edits to them are refused.

This module owns the `imports` collection; the directory follows it on the change stream.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from oa.clock import utcnow
from oa.errors import Conflict
from storage.mongo import SCHEMA_VERSION, Mongo

log = logging.getLogger("oa.imports")

PENDING = "import_pending"
TAGGED_COLLECTIONS = ("units", "unit_history", "users")
LEASE = timedelta(minutes=5)


def new_run_id() -> str:
    return "imp-" + secrets.token_hex(6)


def visible(committed: Iterable[str]) -> dict[str, Any]:
    """The query condition for records that belong to the org: untagged, or from a committed run."""
    runs = sorted(committed)
    return {"$or": [{PENDING: None}, {PENDING: {"$in": runs}}]} if runs else {PENDING: None}


class ImportRuns:
    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self.runs = mongo["imports"]

    async def begin(self, run_id: str, by: str | None, anchors: list[str], counts: dict[str, int]) -> None:
        now = utcnow()
        await self.runs.insert_one({"_id": run_id, "schema_version": SCHEMA_VERSION, "status": "writing", "by": by,
                                    "anchors": anchors, "counts": counts, "started_at": now,
                                    "lease_until": now + LEASE, "written": 0})

    async def renew(self, run_id: str, written: int) -> None:
        """Still writing: keep the lease (a run whose lease ran out is rolled back by the next start)."""
        await self.runs.update_one({"_id": run_id, "status": "writing"},
                                   {"$set": {"lease_until": utcnow() + LEASE, "written": written}})

    async def commit(self, run_id: str) -> None:
        """The switch: from here on the run's records are the org's."""
        flipped = await self.runs.update_one({"_id": run_id, "status": "writing"},
                                             {"$set": {"status": "committed", "committed_at": utcnow()}})
        if flipped.matched_count != 1:
            raise Conflict("the import took too long and was rolled back; nothing was imported", code="import_expired")

    async def committed_ids(self) -> set[str]:
        return {run["_id"] async for run in self.runs.find({"status": {"$in": ["committed", "done"]}}, {"_id": 1})}

    async def roll_back(self, run_id: str, reason: str) -> None:
        for name in TAGGED_COLLECTIONS:
            await self.mongo[name].delete_many({PENDING: run_id})
        await self.runs.update_one({"_id": run_id}, {"$set": {"status": "failed", "reason": reason,
                                                              "failed_at": utcnow()}})

    async def recover(self, now: datetime | None = None) -> int:
        """At start: roll back the runs whose writer stopped (its lease ran out) before the switch."""
        now = now or utcnow()
        handled = 0
        async for run in self.runs.find({"status": "writing", "lease_until": {"$lte": now}}, {"_id": 1}):
            log.warning("rolling back import %s: its writer stopped", run["_id"])
            await self.roll_back(run["_id"], "the importing process stopped")
            handled += 1
        return handled

    async def check_not_importing_under(self, unit_ids: list[str]) -> None:
        """409 if an import still being written hangs units or people under one of these units."""
        running = await self.runs.find_one({"status": "writing", "lease_until": {"$gt": utcnow()},
                                            "anchors": {"$in": unit_ids}}, {"_id": 1, "anchors": 1})
        if running is not None:
            busy = sorted(set(running["anchors"]) & set(unit_ids))
            raise Conflict(f"an import is adding units or people under {', '.join(busy)} right now; "
                           "try again when it has finished", code="import_running", import_id=running["_id"],
                           units=busy)
