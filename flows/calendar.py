"""The platform's working calendar (holidays, 调休 workdays, office hours), stored as one record.

Every flow step computes deadlines with it, so it is held in memory: read once, replaced when this
process saves it, and dropped when the change stream reports that another process changed it.
"""

from __future__ import annotations

from typing import Any

from flows.worktime import WorkCalendar, calendar_from_record
from oa.clock import utcnow
from oa.errors import InvalidInput
from storage.mongo import SCHEMA_VERSION, Mongo

CALENDAR_ID = "default"


class CalendarStore:
    COLLECTION = "work_calendar"

    def __init__(self, mongo: Mongo) -> None:
        self.calendars = mongo[self.COLLECTION]
        self._held: tuple[dict[str, Any], WorkCalendar] | None = None
        self._generation = 0  # bumped by every forget, so a read that raced a change is not kept

    def forget(self, change: dict[str, Any] | None = None) -> None:
        """Another process changed the calendar (or the stream restarted): read it again when next needed."""
        self._held = None
        self._generation += 1

    async def reload(self) -> None:
        self.forget()

    async def record(self) -> dict[str, Any]:
        return dict((await self._current())[0])

    async def load(self) -> WorkCalendar:
        return (await self._current())[1]

    async def _current(self) -> tuple[dict[str, Any], WorkCalendar]:
        held = self._held
        if held is None:
            generation = self._generation
            found = await self.calendars.find_one({"_id": CALENDAR_ID}) or {}
            record = {"holidays": found.get("holidays", []), "extra_workdays": found.get("extra_workdays", []),
                      "hours": found.get("hours", [["08:30", "12:00"], ["14:00", "17:30"]])}
            held = (record, calendar_from_record(record))
            if generation == self._generation:  # not changed again while the read was under way
                self._held = held
        return held

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
        self.forget()
        return await self.record()
