"""The working calendar's days and where each came from: /api/calendar/days, /official, /local.

Platform admins (re)import the State Council's days of a year; a unit's admin, or an ancestor's, adds and
removes the unit's own local days, which hold for the unit and every unit below it.
"""

from __future__ import annotations

from oa.errors import InvalidInput
from web.authz import authenticated, authorized
from web.base import APIHandler
from web.serialize import plain
from web.validation import optional, required

OFFICIAL_SHAPE = {"year": required(int)}
LOCAL_SHAPE = {"unit_id": required(str), "date": required(str), "kind": required(str), "name": optional(str)}
MIN_YEAR, MAX_YEAR = 2000, 2100


def year_argument(handler: APIHandler) -> int:
    year = handler.int_argument("year", handler.services.flows.clock().year)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"year must be between {MIN_YEAR} and {MAX_YEAR}", field="year")
    return year


async def unit_of_local_day(handler: APIHandler, *path: str) -> list[str | None]:
    unit_id = path[0] if path else handler.body(LOCAL_SHAPE)["unit_id"]
    await handler.services.orgs.get(unit_id)  # 404 for a unit that does not exist
    return [unit_id]


class CalendarDaysHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """?year=2026&unit_id=…: the year's holidays and 调休 workdays in force (for the unit, with its local
        days), each with its source; and whether next year's official days are known yet."""
        unit_id = self.get_query_argument("unit_id", None) or None
        if unit_id:
            await self.services.orgs.get(unit_id)
        calendars = self.services.calendars
        items = await calendars.days(year_argument(self), unit_id)
        status = await calendars.status(self.services.flows.clock())
        self.send_json(plain({"items": items, "total": len(items), **status}))


class OfficialHandler(APIHandler):
    @authorized("calendar", "write")
    async def post(self) -> None:
        """Import (again) one year's State Council holidays and 调休 workdays from the package."""
        body = self.body(OFFICIAL_SHAPE)
        user = self.require_user()
        await self.services.calendars.import_official(body["year"], f"{user['display_name']}（{user['_id']}）")
        self.send_json(plain(await self.services.calendars.status(self.services.flows.clock())))


class LocalDaysHandler(APIHandler):
    @authorized("calendar", "local", units=unit_of_local_day)
    async def post(self) -> None:
        body = self.body(LOCAL_SHAPE)
        user = self.require_user()
        entry = await self.services.calendars.add_local(body["unit_id"], body["date"], body["kind"],
                                                        body.get("name") or "", {"id": user["_id"],
                                                                                 "name": user["display_name"]})
        self.send_json(plain(entry), status=201)


class LocalDayHandler(APIHandler):
    @authorized("calendar", "local", units=unit_of_local_day)
    async def delete(self, unit_id: str, day: str) -> None:
        await self.services.calendars.remove_local(unit_id, day)
        self.set_status(204)
        self.finish()
