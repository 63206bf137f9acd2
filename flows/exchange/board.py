"""What the exchange shows: the sender's board and lineage tree, a unit's inbox and sent list."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from flows.exchange.counts import ReceiptCounts
from flows.exchange.moves import board_row
from flows.exchange.records import GONE, STATUS_NAMES, ReceiptStatus
from oa.errors import InvalidInput, NotFound
from storage.mongo import Mongo, find_in

BOARD_FIELDS = {key: 1 for key in ("dispatch_id", "unit_id", "unit_name", "role", "status", "signed_at", "signed_by",
                                   "returned_at", "return_reason", "due_at", "last_urged_at", "urge_count",
                                   "closed_at", "parent_receipt_id", "recall", "opinion", "reply_dispatch_id")}
DISPATCH_LIST_FIELDS = {"recipients": 0, "fingerprint": 0, "watchers": 0, "root_watchers": 0}


def check_status(status: str | None) -> None:
    if status is not None and status not in STATUS_NAMES:
        raise InvalidInput(f"status must be one of {', '.join(STATUS_NAMES)} (got {status!r})", field="status")


ROUTE_FIELDS = {"_id": 1, "dispatch_id": 1, "sender_unit_id": 1, "sender_unit_name": 1, "note": 1, "status": 1,
                "created_at": 1, "depth": 1}


class ExchangeQueries:
    def __init__(self, mongo: Mongo, counts: ReceiptCounts) -> None:
        self.counts = counts
        self.dispatches = mongo["dispatches"]
        self.receipts = mongo["receipts"]
        self.audit = mongo["exchange_audit"]

    async def find_dispatch(self, dispatch_id: str) -> dict[str, Any] | None:
        """The dispatch with its counts (of its receipts by status), or None."""
        found = await self.dispatches.find_one({"_id": dispatch_id}, DISPATCH_LIST_FIELDS)
        return None if found is None else (await self.counts.attach([found]))[0]

    async def find_receipt(self, receipt_id: str) -> dict[str, Any] | None:
        return await self.receipts.find_one({"_id": receipt_id})

    async def receipt_places(self, receipt_ids: list[str]) -> list[dict[str, Any]]:
        """Which document each receipt is of, which unit holds it and its status (for the search index)."""
        return await find_in(self.receipts, "_id", receipt_ids, None, {"document_id": 1, "unit_id": 1, "status": 1})

    async def dispatch(self, dispatch_id: str) -> dict[str, Any]:
        found = await self.find_dispatch(dispatch_id)
        if found is None:
            raise NotFound(f"dispatch {dispatch_id} not found")
        return found

    async def board(self, dispatch_id: str, status: str | None, offset: int, limit: int,
                    ) -> tuple[list[dict[str, Any]], int]:
        """One row per recipient, in hierarchy order of delivery, optionally of one status."""
        check_status(status)
        query: dict[str, Any] = {"dispatch_id": dispatch_id}
        if status:
            query["status"] = status
        rows = [board_row(row) for row in
                await self.receipts.find(query, BOARD_FIELDS).sort("_id", 1).skip(offset).limit(limit).to_list(None)]
        replies = [row["reply_dispatch_id"] for row in rows if row.get("reply_dispatch_id")]
        if replies:  # a 会办's 主办 answered with a document of its own: name it on the sender's board
            found = {item["_id"]: item async for item in self.dispatches.find(
                {"_id": {"$in": replies}}, {"document_id": 1, "summary": 1, "recipients": 1})}
            for row in rows:
                reply = found.get(row.get("reply_dispatch_id") or "")
                if reply is not None:
                    to = reply["recipients"][0]["unit_id"] if reply.get("recipients") else None
                    row["reply"] = {"document_id": reply["document_id"], "title": reply["summary"]["title"],
                                    "doc_number": reply["summary"].get("doc_number"),
                                    "receipt_id": f"{reply['_id']}.{to}" if to else None}
        return rows, await self.receipts.count_documents(query)

    async def tree(self, dispatch_id: str) -> dict[str, Any]:
        """The dispatch and, under each recipient, the dispatches it forwarded, down the whole lineage."""
        top = await self.dispatch(dispatch_id)
        root = top["root_dispatch_id"]
        dispatches = await self.counts.attach(
            await self.dispatches.find({"root_dispatch_id": root}, DISPATCH_LIST_FIELDS).to_list(None))
        forwarded: dict[str, list[dict[str, Any]]] = {}
        for item in dispatches:
            if item.get("parent_receipt_id"):
                forwarded.setdefault(item["parent_receipt_id"], []).append(item)
        rows: dict[str, list[dict[str, Any]]] = {}
        async for row in self.receipts.find({"root_dispatch_id": root}, BOARD_FIELDS).sort("_id", 1):
            rows.setdefault(row["dispatch_id"], []).append(board_row(row))

        def node(item: dict[str, Any]) -> dict[str, Any]:
            recipients = [{**row, "forwarded": [node(child) for child in forwarded.get(row["receipt_id"], [])]}
                          for row in rows.get(item["_id"], [])]
            return {"dispatch": item, "recipients": recipients}

        return node(top)

    async def inbox(self, unit_ids: list[str], status: str | None, offset: int, limit: int,
                    ) -> tuple[list[dict[str, Any]], int]:
        """What was sent or forwarded to these units, newest first."""
        check_status(status)
        # A unit reached twice (by the city and again by its county's 转发) has one entry: the first
        # receipt, with every route the document took to it.
        query: dict[str, Any] = {"unit_id": {"$in": unit_ids}, "also_of": None}
        # A document recalled before it was signed for is no longer the unit's.
        query["status"] = status or {"$ne": ReceiptStatus.RECALLED.value}
        cursor = self.receipts.find(query).sort([("created_at", -1), ("_id", 1)]).skip(offset).limit(limit)
        rows = await cursor.to_list(None)
        further: dict[str, list[dict[str, Any]]] = {}
        if rows:
            async for row in self.receipts.find({"also_of": {"$in": [row["_id"] for row in rows]}},
                                                {**ROUTE_FIELDS, "also_of": 1}).sort("created_at", 1):
                further.setdefault(row["also_of"], []).append(row)
        for row in rows:
            row["routes"] = [{key: item.get(key) for key in ROUTE_FIELDS}
                             for item in [row, *further.get(row["_id"], [])]]
        return rows, await self.receipts.count_documents(query)

    async def sent(self, unit_ids: list[str], offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        query = {"sender_unit_id": {"$in": unit_ids}}
        cursor = self.dispatches.find(query, DISPATCH_LIST_FIELDS).sort([("created_at", -1), ("_id", 1)])
        page = await self.counts.attach(await cursor.skip(offset).limit(limit).to_list(None))
        return page, await self.dispatches.count_documents(query)

    async def received_by(self, document_id: str, unit_ids: list[str]) -> bool:
        """Did one of these units receive the document (and not send it back)?"""
        if not unit_ids:
            return False
        found = await self.receipts.find_one({"document_id": document_id, "unit_id": {"$in": unit_ids},
                                              "status": {"$nin": [ReceiptStatus.RETURNED.value,
                                                                  ReceiptStatus.RECALLED.value]}}, {"_id": 1})
        return found is not None

    async def receiving_units(self, document_ids: list[str], receipts_per_read: int | None = None,
                              between: Callable[[float], Awaitable[None]] | None = None) -> dict[str, set[str]]:
        """For each document, the units that received it and did not send it back (what `received_by` asks).

        With `receipts_per_read`, the documents are read in slices of about that many receipts (from their
        dispatches' totals; a document sent to every unit alone in its slice), and `between(seconds the
        slice took)` is awaited after each: a rebuild reading every receipt of the platform leaves the
        database free for people's requests between slices instead of holding it for one long read."""
        found: dict[str, set[str]] = {doc_id: set() for doc_id in document_ids}
        slices = [document_ids]
        if receipts_per_read is not None and document_ids:
            slices = await self._slices_by_receipts(document_ids, receipts_per_read)
        for index, part in enumerate(slices):
            started = time.monotonic()
            cursor = self.receipts.find({"document_id": {"$in": part}, "status": {"$nin": GONE}},
                                        {"document_id": 1, "unit_id": 1})
            async for receipt in cursor:
                found[receipt["document_id"]].add(receipt["unit_id"])
            if between is not None and index < len(slices) - 1:
                await between(time.monotonic() - started)
        return found

    async def _slices_by_receipts(self, document_ids: list[str], receipts_per_read: int) -> list[list[str]]:
        sent: dict[str, int] = {}
        fields = {"document_id": 1, "total": 1}
        for row in await find_in(self.dispatches, "document_id", document_ids, projection=fields):
            sent[row["document_id"]] = sent.get(row["document_id"], 0) + int(row.get("total") or 0)
        slices: list[list[str]] = [[]]
        weight = 0
        for doc_id in document_ids:
            receipts = sent.get(doc_id, 0) + 1  # a paper 来文 has one receipt and no dispatch
            if slices[-1] and weight + receipts > receipts_per_read:
                slices.append([])
                weight = 0
            slices[-1].append(doc_id)
            weight += receipts
        return slices

    async def due_receipts(self, under: list[str], senders: list[str], until: datetime, limit: int,
                           ) -> list[dict[str, Any]]:
        """Unsigned receipts due by `until` (overdue ones included): those of every unit under one of
        `under` (each an indexed walk of its unit path), and those sent by `senders`; earliest first."""
        fields = {**ROUTE_FIELDS, "unit_id": 1, "unit_name": 1, "title": 1, "doc_number": 1, "urgency": 1,
                  "due_at": 1, "last_urged_at": 1, "urge_count": 1, "document_id": 1}
        pending, due = ReceiptStatus.PENDING.value, {"$ne": None, "$lte": until}
        found: dict[str, dict[str, Any]] = {}
        queries = [{"unit_path": root, "status": pending, "due_at": due} for root in under]
        queries += [{"sender_unit_id": sender, "status": pending, "due_at": due} for sender in senders]
        for query in queries:
            async for row in self.receipts.find(query, fields).sort([("due_at", 1), ("_id", 1)]).limit(limit):
                found[row["_id"]] = row
        return sorted(found.values(), key=lambda row: (row["due_at"], row["_id"]))[:limit]

    async def closed_receipt(self, document_id: str, unit_ids: list[str]) -> dict[str, Any] | None:
        """The first receipt of the document by one of these units that was 办结 (for 收文 归档)."""
        if not unit_ids:
            return None
        return await self.receipts.find_one({"document_id": document_id, "unit_id": {"$in": unit_ids},
                                             "status": ReceiptStatus.CLOSED.value, "also_of": None},
                                            sort=[("closed_at", 1), ("_id", 1)])

    async def closed_receipts(self, unit_id: str, limit: int) -> list[dict[str, Any]]:
        """The unit's 办结 receipts, latest first (what its archivist may archive as 收文)."""
        cursor = self.receipts.find({"unit_id": unit_id, "status": ReceiptStatus.CLOSED.value, "also_of": None}).sort(
            [("closed_at", -1), ("_id", 1)]).limit(limit)
        return await cursor.to_list(None)

    async def history(self, receipt_id: str) -> list[dict[str, Any]]:
        return await self.audit.find({"receipt_id": receipt_id}, {"_id": 0}).sort("at", 1).to_list(None)
