"""The platform's working calendar (holidays, 调休 workdays, office hours), stored as one record.

The record holds three layers (see `flows/calendar_days.py`): the State Council's days per year, filled
in from the `chinese-calendar` package at start and on an admin's demand; days an admin typed in for
everyone (`holidays`, `extra_workdays`, each remembered with who added it); and units' own local days,
which hold for the unit's whole subtree. Every flow step computes deadlines with it, so it is held in
memory: read once, replaced when this process saves it, and dropped when the change stream reports
that another process changed it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flows.calendar_days import (
    HOLIDAY,
    KINDS,
    LIBRARY,
    MAX_NAME,
    SOURCE_LABELS,
    calendar_of,
    check_day,
    december_warning,
    known_years,
    layered_days,
    local_units,
    official_year,
)
from flows.worktime import WorkCalendar, calendar_from_record
from oa.clock import CHINA, utcnow
from oa.directory import Directory
from oa.errors import Conflict, InvalidInput, NotFound
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo

CALENDAR_ID = "default"
MAX_LOCAL_DAYS = 2000  # a few dozen per county and year; far more means something is wrong


class CalendarStore:
    COLLECTION = "work_calendar"

    def __init__(self, mongo: Mongo, directory: Directory | None = None) -> None:
        self.calendars = mongo[self.COLLECTION]
        self.directory = directory
        self._held: tuple[dict[str, Any], WorkCalendar] | None = None
        self._by_scope: dict[tuple[str, ...], WorkCalendar] = {}  # units' calendars, by the local units on their path
        self._generation = 0  # bumped by every forget, so a read that raced a change is not kept

    def forget(self, change: dict[str, Any] | None = None) -> None:
        """Another process changed the calendar (or the stream restarted): read it again when next needed."""
        self._held = None
        self._by_scope = {}
        self._generation += 1

    async def reload(self) -> None:
        self.forget()

    async def record(self) -> dict[str, Any]:
        return dict((await self._current())[0])

    async def load(self, unit_id: str | None = None) -> WorkCalendar:
        """The platform's calendar, or a unit's: the platform's with the local days of the unit and its ancestors."""
        record, platform = await self._current()
        if unit_id is None or self.directory is None or not record["local"]:
            return platform
        scope = tuple(unit for unit in self.directory.path_ids(unit_id) if unit in local_units(record))
        if not scope:
            return platform
        if scope not in self._by_scope:
            self._by_scope[scope] = calendar_of(record, scope)
        return self._by_scope[scope]

    async def _current(self) -> tuple[dict[str, Any], WorkCalendar]:
        held = self._held
        if held is None:
            generation = self._generation
            found = await self.calendars.find_one({"_id": CALENDAR_ID}) or {}
            record = {"holidays": found.get("holidays", []), "extra_workdays": found.get("extra_workdays", []),
                      "hours": found.get("hours", [["08:30", "12:00"], ["14:00", "17:30"]]),
                      "official": found.get("official", {}), "local": found.get("local", []),
                      "manual_by": found.get("manual_by", {})}
            held = (record, calendar_of(record))
            if generation == self._generation:  # not changed again while the read was under way
                self._held = held
        return held

    async def save(self, record: dict[str, Any], by: str) -> dict[str, Any]:
        fields: dict[str, Any] = {key: record[key] for key in ("holidays", "extra_workdays", "hours") if key in record}
        try:
            # The merged record is what every later deadline computation reads, so that is what
            # must be valid: a new holiday may clash with a stored 调休 workday.
            calendar_from_record({**await self.record(), **fields})
        except ValueError as error:
            raise InvalidInput(f"calendar: {error}", code="invalid_calendar") from None
        current = await self.record()
        # Who added each manual day, so the admin screen can say where it came from.
        kept = {*fields.get("holidays", current["holidays"]), *fields.get("extra_workdays", current["extra_workdays"])}
        fields["manual_by"] = {day: current["manual_by"].get(day, by) for day in sorted(kept)}
        await self.calendars.update_one(
            {"_id": CALENDAR_ID},
            {"$set": {**fields, "updated_at": utcnow(), "updated_by": by},
             "$setOnInsert": {"schema_version": SCHEMA_VERSION}}, upsert=True)
        self.forget()
        return await self.record()

    async def prefill_official(self, today: date, by: str = f"系统（{LIBRARY}）") -> list[int]:
        """At start: store the State Council's days of this year and the next, for each year the package knows
        and the calendar lacks (an admin's reimport or edits are never overwritten). Returns the years added."""
        stored = (await self.record())["official"]
        added = [year for year in (today.year, today.year + 1) if str(year) not in stored and official_year(year)]
        for year in added:
            await self._store_official(year, by, only_if_missing=True)
        return added

    async def import_official(self, year: int, by: str) -> dict[str, Any]:
        """An admin's explicit (re)import of one year's official days from the package."""
        if official_year(year) is None:
            raise NotFound(f"{year}年的国务院办公厅节假日安排尚未收录（{LIBRARY} 收录了 "
                           f"{'、'.join(map(str, known_years()))} 年）", code="holidays_not_published")
        await self._store_official(year, by, only_if_missing=False)
        return await self.record()

    async def _store_official(self, year: int, by: str, *, only_if_missing: bool) -> None:
        days = official_year(year)
        assert days is not None
        stored = {**days, "loaded_at": utcnow(), "loaded_by": by, "library": LIBRARY}
        query: dict[str, Any] = {"_id": CALENDAR_ID}
        if only_if_missing:
            query[f"official.{year}"] = {"$exists": False}
        try:
            await self.calendars.update_one(query, {"$set": {f"official.{year}": stored},
                                                    "$setOnInsert": {"schema_version": SCHEMA_VERSION}}, upsert=True)
        except DuplicateKeyError:  # the year is already stored (or another process stored it just now)
            if not only_if_missing:
                raise
        self.forget()

    async def add_local(self, unit_id: str, raw_day: Any, kind: str, name: str, by: dict[str, Any]) -> dict[str, Any]:
        """A unit's own holiday or working day, for the unit and every unit below it."""
        try:
            day = check_day(raw_day).isoformat()
        except ValueError as error:
            raise InvalidInput(str(error).replace("holidays[0]", "date"), field="date") from None
        if kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidInput(f"name the day (1–{MAX_NAME} characters), e.g. 盘王节", field="name")
        record = await self.record()
        if any(entry["unit_id"] == unit_id and entry["date"] == day for entry in record["local"]):
            raise Conflict(f"{day} is already a local day of this unit; remove it first", code="local_day_exists")
        if len(record["local"]) >= MAX_LOCAL_DAYS:
            raise Conflict(f"the calendar holds at most {MAX_LOCAL_DAYS} local days", code="too_many_local_days")
        entry = {"date": day, "kind": kind, "name": name, "unit_id": unit_id, "by": by, "at": utcnow()}
        await self.calendars.update_one({"_id": CALENDAR_ID}, {"$push": {"local": entry},
                                                               "$setOnInsert": {"schema_version": SCHEMA_VERSION}},
                                        upsert=True)
        self.forget()
        return entry

    async def remove_local(self, unit_id: str, raw_day: str) -> None:
        result = await self.calendars.update_one({"_id": CALENDAR_ID},
                                                 {"$pull": {"local": {"unit_id": unit_id, "date": raw_day}}})
        self.forget()
        if result.modified_count == 0:
            raise NotFound(f"{raw_day} is not a local day of this unit")

    async def days(self, year: int, unit_id: str | None = None) -> list[dict[str, Any]]:
        """The special days of `year` in force for a unit (or the platform), each with where it came from."""
        record = await self.record()
        path = self.directory.path_ids(unit_id) if unit_id and self.directory else []
        prefix = f"{year:04d}-"
        shown = []
        for day, entry in sorted(layered_days(record, path).items()):
            if not day.startswith(prefix):
                continue
            by = entry.get("by")
            if isinstance(by, str) and self.directory and (person := self.directory.person(by)):
                by = {"id": by, "name": person.display_name}
            unit = self.directory.unit(entry["unit_id"]) if entry.get("unit_id") and self.directory else None
            shown.append({"date": day, "kind": entry["kind"], "name": entry.get("name"), "source": entry["source"],
                          "source_label": SOURCE_LABELS[entry["source"]] + (f"（{unit['name']}）" if unit else ""),
                          "unit_id": entry.get("unit_id"), "by": by, "at": entry.get("at"),
                          "weekday": date.fromisoformat(day).isoweekday(), "off": entry["kind"] == HOLIDAY})
        return shown

    async def status(self, now_utc: Any) -> dict[str, Any]:
        """Which years' official days are stored and known, and the December warning if it applies."""
        official = (await self.record())["official"]
        today = now_utc.astimezone(CHINA).date()
        return {"official_years": sorted(int(year) for year in official), "known_years": known_years(),
                "library": LIBRARY, "warning": december_warning(today, official), "today": today.isoformat()}
