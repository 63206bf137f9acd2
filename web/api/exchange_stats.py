"""Exchange statistics (JSON and CSV) and the saved recipient groups used to address documents."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from flows.exchange.stats import statistics_csv
from oa.clock import CHINA
from oa.errors import Forbidden, InvalidInput, NotFound
from oa.recipients import check_selectors
from web.authz import accessed, authenticated, authorized
from web.base import APIHandler, china_midnight
from web.serialize import plain
from web.validation import optional, required

GROUP_SHAPE = {"name": required(str), "selectors": required(list), "unit_id": optional(str, nullable=True)}
RESOLVE_SHAPE = {"selectors": required(list), "unit_id": optional(str)}


async def stats_unit(handler: APIHandler) -> list[str | None]:
    unit_id = handler.get_argument("unit_id", None)
    if not unit_id:
        raise InvalidInput("say which unit: ?unit_id=", field="unit_id")
    return [unit_id]


class StatisticsHandler(APIHandler):
    @authorized("exchange", "stats", units=stats_unit, denied=NotFound)
    async def get(self) -> None:
        """?unit_id=&from=YYYY-MM-DD&to=YYYY-MM-DD (inclusive; default this month)&children=1&format=csv."""
        today = datetime.now(CHINA).date()
        first, last = self.date_argument("from") or today.replace(day=1), self.date_argument("to") or today
        since, until = first.isoformat(), last.isoformat()
        start, end = china_midnight(first), china_midnight(last + timedelta(days=1))
        rows = await self.services.exchange_stats.for_unit(self.get_argument("unit_id"), start, end,
                                                           self.bool_argument("children"))
        if self.get_argument("format", "json") == "csv":
            name = f"公文交换统计_{since}_{until}.csv"
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
            self.finish(statistics_csv(rows))
            return
        self.send_json(plain({"from": since, "to": until, "items": rows}))


async def group_owner(handler: APIHandler) -> list[str | None]:
    """A unit's group is kept by that unit's clerks and the admins over it; a platform group (unit_id null)
    by platform-wide admins (flows/access.py)."""
    unit_id = handler.body(GROUP_SHAPE).get("unit_id")
    if not await handler.services.access.may_keep_groups(handler.require_user(), unit_id):
        raise Forbidden("you may not keep recipient groups " + (f"of unit {unit_id}" if unit_id else
                                                                 "for the whole platform"),
                        kind="recipient_group", action="write")
    return []


async def kept_group(handler: APIHandler, group_id: str) -> list[str | None]:
    handler.group = await handler.services.access.access_group(handler.require_user(), group_id)
    return []


class RecipientGroupsHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """The platform's groups and those of every unit where the caller may read the exchange."""
        units = await self.services.authorizer.units_allowing(self.require_user(), "exchange", "read")
        self.send_json(plain({"items": await self.services.recipients.list_groups(units)}))

    @accessed(group_owner)
    async def post(self) -> None:
        group = await self.services.recipients.do_save_group(self.body(GROUP_SHAPE), self.require_user()["_id"])
        self.send_json(plain(group), status=201)


class RecipientGroupHandler(APIHandler):
    @accessed(kept_group)
    async def delete(self, group_id: str) -> None:
        await self.services.recipients.do_delete_group(group_id)
        self.set_status(204)
        self.finish()


class ResolveRecipientsHandler(APIHandler):
    @authenticated
    async def post(self) -> None:
        """Preview which units a list of selectors reaches (before dispatching)."""
        body = self.body(RESOLVE_SHAPE)
        selectors = check_selectors(body["selectors"], "selectors")
        # Whose private groups count: the sending unit named, or the caller's first unit of the exchange.
        units = await self.services.authorizer.units_allowing(self.require_user(), "exchange", "read")
        for_unit = body.get("unit_id") or (units[0] if units else None)
        if body.get("unit_id") and for_unit not in units:
            raise Forbidden("you do not send for that unit", code="not_your_unit")
        unit_ids = await self.services.recipients.resolve(selectors, "selectors", for_unit=for_unit)
        self.send_json({"total": len(unit_ids), "unit_ids": unit_ids})
