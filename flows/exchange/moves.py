"""Every change of a receipt's status goes through here: the transition check, the audit record and
the live-board event, all in the caller's transaction.

The sender's counts are neither written nor counted here (see `flows/exchange/counts.py`): a board
event carries the receipt's new row, and a live board tallies its rows. Counting in the transaction
would give two recipients acting at the same instant each a total that misses the other's change.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from flows.exchange.counts import ReceiptCounts
from flows.exchange.records import GONE, ReceiptStatus, check_receipt_move
from flows.locks import KeyedLocks
from oa.audit_chain import chain_of, cover, cover_many
from oa.directory import Directory
from oa.errors import Conflict, NotFound
from storage.events import publish_many
from storage.mongo import SCHEMA_VERSION, Mongo, ReturnDocument, Session

Event = tuple[str, str, dict[str, Any]]
# What a delivery link vouches for in each receipt: the fields set when it is made and never changed.
RECEIPT_FACTS = ("_id", "dispatch_id", "document_id", "sender_unit_id", "unit_id", "role", "created_at")
# Who handles incoming documents for a unit: its 收发员, or the office head where there is none.


class ExchangeLog:
    def __init__(self, mongo: Mongo, directory: Directory) -> None:
        self.mongo = mongo
        self.receipts = mongo["receipts"]
        self.dispatches = mongo["dispatches"]
        self.audit = mongo["exchange_audit"]
        self.directory = directory
        # One row per (document, sender, recipient unit) with a live receipt: its _id is the guarantee
        # that no dispatch, retried or concurrent, on any replica, delivers the same document twice.
        self.deliveries = mongo["deliveries"]
        # Per dispatch, its receipts by status (derived, cached; see counts.py).
        self.counts = ReceiptCounts(mongo)
        self._turns = KeyedLocks()

    async def clerks_of(self, unit_ids: list[str], session: Session | None = None) -> dict[str, list[str]]:
        """Per unit, the people who receive for it: every 收发员, else every 办公室主任 (from memory)."""
        return self.directory.clerks_of(unit_ids)

    def turn(self, receipt: dict[str, Any]) -> AbstractAsyncContextManager[None]:
        """Hold while moving a receipt in a transaction. Every move publishes to the sender's watchers,
        writing their event counters, so a hundred towns signing for one dispatch at once would be a
        hundred transactions conflicting on those records, retried until they time out. In this
        process they take turns instead (flows/locks.py); across replicas the conflicts that remain
        are few and retried."""
        if not receipt.get("dispatch_id"):
            return contextlib.nullcontext()
        return self._turns.hold(f"board:{receipt.get('sender_unit_id')}")

    async def get_receipt(self, receipt_id: str, session: Session | None = None) -> dict[str, Any]:
        receipt = await self.receipts.find_one({"_id": receipt_id}, session=session)
        if receipt is None:
            raise NotFound(f"incoming document {receipt_id} not found")
        return receipt

    async def move(self, receipt_id: str, to: ReceiptStatus, actor: dict[str, Any], action: str,
                   now: datetime, session: Session, fields: dict[str, Any] | None = None,
                   detail: dict[str, Any] | None = None, events: list[Event] | None = None,
                   board: bool = True) -> dict[str, Any]:
        """Move one receipt to `to`, or raise 409 naming its current status.

        `board=False`: the caller moves many receipts of one dispatch and sends the board's events for
        all of them at the end (`board_events`), counting the dispatch's receipts once, not per receipt."""
        receipt = await self.get_receipt(receipt_id, session)
        check_receipt_move(receipt["status"], to, receipt_id)
        moved = await self.receipts.find_one_and_update(
            {"_id": receipt_id, "status": receipt["status"]},
            {"$set": {"status": to.value, **(fields or {})}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER, session=session)
        if moved is None:
            raise Conflict("this document changed while you acted; reload it", code="stale_receipt")
        if to in (ReceiptStatus.RETURNED, ReceiptStatus.RECALLED):
            # Sent back: the sender may send it to this unit again.
            await self.deliveries.delete_one({"_id": delivery_key(moved), "receipt_id": receipt_id}, session=session)
            if moved.get("also_of") is None:
                await self._hand_on_entry(moved, session)
        await self.record(moved, action, actor, now, session, detail)
        board = await self._board(moved, session) if board else []
        await publish_many(self.mongo, session, [*(events or []), *board])
        return moved

    async def _hand_on_entry(self, gone: dict[str, Any], session: Session) -> None:
        """An inbox entry whose first route was sent back or recalled: the unit still holds the document
        by its other routes (another sender's), so the earliest live one becomes the entry, and the
        rest its routes. Only the route taken back leaves the inbox."""
        routes = await self.receipts.find(
            {"also_of": gone["_id"], "status": {"$nin": GONE}},
            {"_id": 1}, session=session).sort([("created_at", 1), ("_id", 1)]).to_list(None)
        if not routes:
            return
        head = routes[0]["_id"]
        await self.receipts.update_one({"_id": head}, {"$set": {"also_of": None}, "$inc": {"version": 1}},
                                       session=session)
        if len(routes) > 1:
            await self.receipts.update_many({"_id": {"$in": [row["_id"] for row in routes[1:]]}},
                                            {"$set": {"also_of": head}, "$inc": {"version": 1}}, session=session)

    async def close_after_flow(self, receipt_id: str, instance_id: str, actor: dict[str, Any],
                               now: datetime) -> None:
        """The 收文 flow reached 归档: its receipt is closed (idempotent: a second call changes nothing)."""
        receipt = await self.get_receipt(receipt_id)
        if receipt["status"] != ReceiptStatus.HANDLING.value:
            return
        async with self.turn(receipt):
            await self.mongo.run_transaction(lambda session: self.move(
                receipt_id, ReceiptStatus.CLOSED, actor, "close", now, session, fields={"closed_at": now},
                detail={"instance_id": instance_id}))

    async def record(self, receipt: dict[str, Any], action: str, actor: dict[str, Any], now: datetime,
                     session: Session, detail: dict[str, Any] | None = None) -> None:
        await self.write_audit(receipt["unit_id"], [audit_entry(receipt, action, actor, now, detail)], session)

    async def write_audit(self, unit_id: str, entries: list[dict[str, Any]], session: Session) -> None:
        """Audit lines and their one link in `unit_id`'s audit chain, in the caller's transaction: a receipt's
        move chains in the receiving unit, an urge in the unit that urged."""
        if entries:
            await self.audit.insert_many(entries, session=session)  # the driver gives each its _id, then it is hashed
            await chain_of(self.mongo).link(session, unit_id, "exchange",
                                            [cover("exchange_audit", entry) for entry in entries], entries[0]["at"])

    async def link_delivery(self, sender_unit_id: str, receipts: list[dict[str, Any]], now: datetime,
                            session: Session) -> None:
        """One link for a delivered chunk, in the sending unit's chain: a digest over its receipts' facts that
        never change (which unit got which document from whom, when, in which role)."""
        await chain_of(self.mongo).link(session, sender_unit_id, "delivery",
                                        [cover_many("receipts", receipts, RECEIPT_FACTS)], now)

    async def board_events(self, dispatch: dict[str, Any], receipts: list[dict[str, Any]], session: Session,
                           kind: str = "exchange.receipt") -> list[Event]:
        """One event per watcher of the dispatch (and of the dispatch its tree started from) per receipt.
        The dispatch's cached counts are dropped when the transaction commits."""
        self.counts.forget_on_commit(session, dispatch["_id"])
        watchers = sorted({*dispatch.get("watchers", []), *dispatch.get("root_watchers", [])})
        return [(user_id, kind, board_row(receipt, dispatch)) for receipt in receipts for user_id in watchers]

    async def _board(self, receipt: dict[str, Any], session: Session) -> list[Event]:
        if not receipt.get("dispatch_id"):
            return []  # a paper document has no sender on the platform
        # Read, not written: the dispatch record stays out of every receipt's transaction.
        dispatch = await self.dispatches.find_one({"_id": receipt["dispatch_id"]}, {"watchers": 1, "root_watchers": 1,
                                                                                  "root_dispatch_id": 1},
                                                  session=session)
        return await self.board_events(dispatch, [receipt], session)


def delivery_key(receipt: dict[str, Any]) -> str:
    """(document, sender unit, recipient unit): what may hold at most one live receipt."""
    return f"{receipt['document_id']}|{receipt.get('sender_unit_id')}|{receipt['unit_id']}"


def audit_entry(receipt: dict[str, Any], action: str, actor: dict[str, Any], now: datetime,
                detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "receipt_id": receipt["_id"], "dispatch_id": receipt.get("dispatch_id"),
            "document_id": receipt["document_id"], "unit_id": receipt["unit_id"], "action": action,
            "by": actor, "at": now, "detail": detail or {}}


def board_row(receipt: dict[str, Any], dispatch: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the sender's board shows of one recipient (also the live event's data)."""
    row = {"dispatch_id": receipt.get("dispatch_id"), "receipt_id": receipt["_id"], "unit_id": receipt["unit_id"],
           "unit_name": receipt["unit_name"], "role": receipt["role"], "status": receipt["status"],
           "signed_at": receipt["signed_at"], "signed_by": receipt["signed_by"],
           "returned_at": receipt["returned_at"], "return_reason": receipt["return_reason"],
           "due_at": receipt["due_at"], "last_urged_at": receipt["last_urged_at"],
           "urge_count": receipt["urge_count"], "closed_at": receipt["closed_at"],
           "parent_receipt_id": receipt.get("parent_receipt_id"), "recall": receipt.get("recall"),
           # 会办: what each unit answered the sender — a 协办's opinion, the 主办's reply document.
           "opinion": receipt.get("opinion"), "reply_dispatch_id": receipt.get("reply_dispatch_id")}
    if dispatch is not None:
        row["root_dispatch_id"] = dispatch["root_dispatch_id"]
    return row
