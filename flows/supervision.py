"""督办 board: for a unit's office, everything overdue or near its deadline — open flow tasks and
unsigned incoming documents — across the unit and the units below it (and below the organs it
drafts for: a county's 政府办公室 supervises the county's towns), by unit and by person, with 催办
and a CSV export.

Promises: the reads are bounded (indexed ranges on unit and deadline, at most `MAX_ROWS` rows,
`truncated` says when more exist); an urge only reaches items inside the office's scope, each
item answered on its own (one already signed or urged recently does not stop the others).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flows.actions import FlowService
from flows.exchange.board import ExchangeQueries
from flows.exchange.reminders import ReceiptReminders
from flows.queries import FlowQueries
from oa.clock import CHINA, utcnow
from oa.directory import Directory
from oa.errors import InvalidInput, NotFound, OAError

MAX_ROWS = 500
MAX_URGE = 100
MAX_WITHIN_HOURS = 24 * 14
CSV_COLUMNS = [("unit_name", "单位"), ("people", "办理人"), ("kind_name", "类别"), ("title", "事项"),
               ("step", "环节"), ("due", "截止时间"), ("state", "状态"), ("urge_count", "已催办次数")]


class Supervision:
    def __init__(self, directory: Directory, flow_queries: FlowQueries, exchange_queries: ExchangeQueries,
                 flows: FlowService, reminders: ReceiptReminders, clock: Callable[[], datetime] = utcnow) -> None:
        self.directory = directory
        self.flow_queries = flow_queries
        self.exchange_queries = exchange_queries
        self.flows = flows
        self.reminders = reminders
        self.clock = clock

    def scope(self, unit_id: str) -> tuple[list[str], list[str]]:
        """(the unit and the organs it drafts for, every unit at or below those): what the office supervises."""
        unit = self.directory.unit(unit_id)
        if unit is None:
            raise NotFound(f"unit {unit_id} not found")
        roots = list(dict.fromkeys([unit_id, *(unit.get("drafts_for") or [])]))
        units = dict.fromkeys(roots)
        for root in roots:
            units.update(dict.fromkeys(child["_id"] for child in self.directory.descendants(root)
                                       if not child.get("dissolved_at")))
        return roots, list(units)

    async def board(self, unit_id: str, within_hours: int = 24) -> dict[str, Any]:
        if not isinstance(within_hours, int) or not 0 < within_hours <= MAX_WITHIN_HOURS:
            raise InvalidInput(f"within must be 1–{MAX_WITHIN_HOURS} hours", field="within")
        now = self.clock()
        until = now + timedelta(hours=within_hours)
        roots, units = self.scope(unit_id)
        tasks = await self.flow_queries.due_tasks(units, until, MAX_ROWS + 1)
        receipts = await self.exchange_queries.due_receipts(roots, roots, until, MAX_ROWS + 1)
        rows = [self._task_row(task, now) for task in tasks] + [self._receipt_row(row, now, set(roots))
                                                                 for row in receipts]
        rows.sort(key=lambda row: (row["due_at"], row["id"]))
        truncated = len(rows) > MAX_ROWS
        rows = rows[:MAX_ROWS]
        rows.sort(key=lambda row: (row["unit_path_names"], row["due_at"], row["id"]))
        return {"unit_id": unit_id, "at": now, "until": until, "within_hours": within_hours, "items": rows,
                "truncated": truncated, "by_unit": _counts(rows, lambda row: [(row["unit_id"], row["unit_name"])]),
                "by_person": _counts(rows, lambda row: [(person["user_id"], f"{person['name']}（{row['unit_name']}）")
                                                        for person in row["people"]])}

    async def do_urge(self, unit_id: str, user: dict[str, Any], items: Any, message: str = "",
                      channel: str = "web") -> dict[str, Any]:
        """催办 the chosen rows; each answered with `ok` or the reason it was not urged."""
        if not isinstance(items, list) or not 0 < len(items) <= MAX_URGE or not all(
                isinstance(item, dict) and set(item) == {"kind", "id"} and item["kind"] in ("task", "receipt")
                and isinstance(item["id"], str) for item in items):
            raise InvalidInput(f"items must be 1–{MAX_URGE} of {{kind: task|receipt, id}}", field="items")
        if not isinstance(message, str) or len(message) > 2000:
            raise InvalidInput("message must be text of at most 2000 characters", field="message")
        roots, units = self.scope(unit_id)
        acting_unit = self.directory.unit(unit_id) or {"_id": unit_id, "name": unit_id}
        results: list[dict[str, Any]] = []
        receipts: list[str] = []
        for item in items:
            if item["kind"] == "receipt":
                found = await self.exchange_queries.find_receipt(item["id"])
                if found is None or not (set(found.get("unit_path", [])) & set(roots)
                                         or found.get("sender_unit_id") in roots):
                    results.append(_refused(item, NotFound(f"incoming document {item['id']} not found")))
                else:
                    receipts.append(item["id"])
                continue
            task = await self.flow_queries.find_task(item["id"])
            if task is None or task["unit_id"] not in units:
                results.append(_refused(item, NotFound(f"task {item['id']} not found")))
                continue
            try:
                await self.flows.do_urge_task(item["id"], user, acting_unit, message, channel)
                results.append({**item, "ok": True})
            except OAError as error:
                results.append(_refused(item, error))
        if receipts:
            reminded = await self.reminders.do_remind(receipts, user, acting_unit, message)
            for receipt_id in receipts:
                if receipt_id in reminded["urged"]:
                    results.append({"kind": "receipt", "id": receipt_id, "ok": True})
                    continue
                code, allowed = reminded["refused"].get(receipt_id, ("not_pending", None))
                text = ("already urged; you can urge again after " + allowed.astimezone(CHINA).strftime("%H:%M")
                        if code == "urged_recently" and allowed else "it is no longer waiting to be signed for")
                results.append({"kind": "receipt", "id": receipt_id, "ok": False, "code": code, "message": text})
        order = {(item["kind"], item["id"]): index for index, item in enumerate(items)}
        results.sort(key=lambda result: order.get((result["kind"], result["id"]), 0))
        return {"items": results, "urged": sum(1 for result in results if result["ok"])}

    # Rows -------------------------------------------------------------------------------------

    def _where(self, unit_id: str) -> tuple[str, str]:
        unit = self.directory.unit(unit_id)
        if unit is None:
            return unit_id, unit_id
        names = [self.directory.unit(ancestor) for ancestor in unit["ancestors"]]
        return unit["name"], "/".join([*(item["name"] for item in names if item), unit["name"]])

    def _people(self, user_ids: list[str]) -> list[dict[str, str]]:
        found = self.directory.people(user_ids)
        return [{"user_id": uid, "name": found[uid].display_name if uid in found else uid} for uid in user_ids]

    def _task_row(self, task: dict[str, Any], now: datetime) -> dict[str, Any]:
        name, path = self._where(task["unit_id"])
        return {"kind": "task", "id": task["_id"], "title": task["title"], "urgency": task.get("urgency") or "",
                "step": f"{task['flow_name']} · {task['node_name']}", "unit_id": task["unit_id"], "unit_name": name,
                "unit_path_names": path, "people": self._people(task["assignees"]), "due_at": task["due_at"],
                "overdue": task["due_at"] <= now, "urge_count": task.get("urge_count", 0),
                "last_urged_at": task.get("urged_at"), "document_id": task["document_id"],
                "instance_id": task["instance_id"]}

    def _receipt_row(self, receipt: dict[str, Any], now: datetime, roots: set[str]) -> dict[str, Any]:
        name, path = self._where(receipt["unit_id"])
        clerks = self.directory.clerks_of([receipt["unit_id"]])[receipt["unit_id"]]
        sent = receipt.get("sender_unit_id") in roots
        origin = "本单位发出" if sent else "来自" + (receipt.get("sender_unit_name") or "")
        return {"kind": "receipt", "id": receipt["_id"], "title": receipt["title"],
                "urgency": receipt.get("urgency") or "",
                "step": f"公文交换 · 签收（{origin}）",
                "unit_id": receipt["unit_id"], "unit_name": name, "unit_path_names": path,
                "people": self._people(clerks), "due_at": receipt["due_at"], "overdue": receipt["due_at"] <= now,
                "urge_count": receipt.get("urge_count", 0), "last_urged_at": receipt.get("last_urged_at"),
                "document_id": receipt["document_id"], "sent": sent}


def _refused(item: dict[str, Any], error: OAError) -> dict[str, Any]:
    return {"kind": item["kind"], "id": item["id"], "ok": False, "code": error.code, "message": error.message}


def _counts(rows: list[dict[str, Any]], keys: Callable[[dict[str, Any]], list[tuple[str, str]]],
            ) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}
    for row in rows:
        for key, name in keys(row):
            entry = counts.setdefault(key, {"id": key, "name": name, "overdue": 0, "due_soon": 0})
            entry["overdue" if row["overdue"] else "due_soon"] += 1
    return sorted(counts.values(), key=lambda entry: (-entry["overdue"], -entry["due_soon"], entry["name"]))


def board_csv(board: dict[str, Any]) -> str:
    """The board as CSV with Chinese headers and a BOM, so Excel on a clerk's PC opens it right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in CSV_COLUMNS])
    for row in board["items"]:
        writer.writerow([
            row["unit_name"], "、".join(person["name"] for person in row["people"]),
            "流程待办" if row["kind"] == "task" else "未签收来文", row["title"], row["step"],
            row["due_at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), "已超期" if row["overdue"] else "即将到期",
            row["urge_count"]])
    return "\ufeff" + out.getvalue()
