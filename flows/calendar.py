"""The platform's working calendar (holidays, 调休 workdays, office hours), stored as one record."""

from __future__ import annotations

from typing import Any

from flows.worktime import WorkCalendar, calendar_from_record
from oa.clock import utcnow
from oa.errors import InvalidInput
from storage.mongo import SCHEMA_VERSION, Mongo

CALENDAR_ID = "default"


class CalendarStore:
    def __init__(self, mongo: Mongo) -> None:
        self.calendars = mongo["work_calendar"]

    async def record(self) -> dict[str, Any]:
        found = await self.calendars.find_one({"_id": CALENDAR_ID}) or {}
        return {"holidays": found.get("holidays", []), "extra_workdays": found.get("extra_workdays", []),
                "hours": found.get("hours", [["08:30", "12:00"], ["14:00", "17:30"]])}

    async def load(self) -> WorkCalendar:
        return calendar_from_record(await self.record())

    async def save(self, record: dict[str, Any], by: str) -> dict[str, Any]:
        fields = {key: record[key] for key in ("holidays", "extra_workdays", "hours") if key in record}
        try:
            # The merged record is what every later deadline computation reads, so that is what
            # must be valid: a new holiday may clash with a stored 调休 workday.
            calendar_from_record({**await self.record(), **fields})
        except ValueError as error:
            raise InvalidInput(f"calendar: {error}", code="invalid_calendar") from None
        await self.calendars.update_one(
            {"_id": CALENDAR_ID},
            {"$set": {**fields, "updated_at": utcnow(), "updated_by": by},
             "$setOnInsert": {"schema_version": SCHEMA_VERSION}}, upsert=True)
        return await self.record()
