"""Exchange statistics per unit and period: sent, received, signed within the deadline, overdue,
average time to sign for — as rows for the JSON API and as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

from oa.clock import utcnow
from oa.errors import InvalidInput
from oa.orgs import OrgService
from storage.mongo import Mongo

COLUMNS = [("unit_name", "单位"), ("unit_id", "单位编号"), ("sent", "发文次数"), ("sent_copies", "发出份数"),
           ("received", "收文数"), ("signed", "已签收"), ("signed_in_time", "按时签收"), ("signed_late", "超时签收"),
           ("overdue_unsigned", "逾期未签收"), ("returned", "退文"), ("avg_sign_minutes", "平均签收用时（分钟）")]


def _empty(unit: dict[str, Any]) -> dict[str, Any]:
    return {"unit_id": unit["_id"], "unit_name": unit["name"], "sent": 0, "sent_copies": 0, "received": 0,
            "signed": 0, "signed_in_time": 0, "signed_late": 0, "overdue_unsigned": 0, "returned": 0,
            "avg_sign_minutes": None}


async def unit_statistics(mongo: Mongo, units: list[dict[str, Any]], start: datetime, end: datetime,
                          now: datetime) -> list[dict[str, Any]]:
    """One row per unit for documents sent or received in [start, end)."""
    rows = {unit["_id"]: _empty(unit) for unit in units}
    ids = list(rows)
    period = {"$gte": start, "$lt": end}
    async for sent in mongo["dispatches"].find({"sender_unit_id": {"$in": ids}, "created_at": period},
                                               {"sender_unit_id": 1, "total": 1}):
        row = rows[sent["sender_unit_id"]]
        row["sent"] += 1
        row["sent_copies"] += sent["total"]
    durations_by_unit: dict[str, list[float]] = {unit_id: [] for unit_id in ids}
    fields = {"unit_id": 1, "status": 1, "created_at": 1, "signed_at": 1, "due_at": 1, "kind": 1}
    async for receipt in mongo["receipts"].find({"unit_id": {"$in": ids}, "created_at": period}, fields):
        row = rows[receipt["unit_id"]]
        row["received"] += 1
        due = receipt.get("due_at")
        if receipt["status"] == "returned":
            row["returned"] += 1
        if receipt.get("signed_at") and receipt["kind"] != "paper":
            row["signed"] += 1
            if due is None or receipt["signed_at"] <= due:
                row["signed_in_time"] += 1
            else:
                row["signed_late"] += 1
            durations_by_unit[receipt["unit_id"]].append((receipt["signed_at"] - receipt["created_at"]).total_seconds())
        elif receipt["status"] == "pending" and due is not None and due < now:
            row["overdue_unsigned"] += 1
    for unit_id, durations in durations_by_unit.items():
        if durations:
            rows[unit_id]["avg_sign_minutes"] = round(sum(durations) / len(durations) / 60, 1)
    return [rows[unit_id] for unit_id in ids]


def statistics_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with Chinese headers and a BOM, so Excel on a clerk's PC opens it with the right encoding."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow(["" if row[key] is None else row[key] for key, _ in COLUMNS])
    return "\ufeff" + out.getvalue()


class ExchangeStatistics:
    def __init__(self, mongo: Mongo, orgs: OrgService, clock: Callable[[], datetime] = utcnow) -> None:
        self.mongo = mongo
        self.orgs = orgs
        self.clock = clock

    async def for_unit(self, unit_id: str, start: datetime, end: datetime, children: bool) -> list[dict[str, Any]]:
        """The unit's row, then (with `children`) one row per active unit directly below it."""
        if end <= start:
            raise InvalidInput("the period must end after it starts (to is inclusive)", field="to")
        units = [await self.orgs.get(unit_id)]
        if children:
            below, _ = await self.orgs.children(unit_id, 0, 10_000)
            units += below
        return await unit_statistics(self.mongo, units, start, end, self.clock())
