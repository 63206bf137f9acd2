"""收文编号: each unit numbers the documents it registers, per year, from 1, with no gap and no repeat.

The counter moves inside the caller's transaction (the registration itself), so a number exists
exactly when its registration does; concurrent registrations in one unit conflict and retry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oa.numbering import year_of
from storage.mongo import SCHEMA_VERSION, Mongo, Session, find_one_and_update_after


def incoming_text(unit: dict[str, Any], year: int, seq: int) -> str:
    return f"{unit.get('code') or ''}收〔{year}〕{seq}号"


class IncomingNumbers:
    def __init__(self, mongo: Mongo) -> None:
        self.counters = mongo["incoming_counters"]

    async def allocate(self, unit: dict[str, Any], at: datetime, session: Session) -> dict[str, Any]:
        year = year_of(at)
        counter = await find_one_and_update_after(
            self.counters, {"_id": f"{unit['_id']}:{year}"},
            {"$inc": {"last": 1}, "$setOnInsert": {"unit_id": unit["_id"], "year": year,
                                                   "schema_version": SCHEMA_VERSION}},
            upsert=True, session=session)
        seq = int(counter["last"])
        return {"year": year, "seq": seq, "text": incoming_text(unit, year, seq)}
