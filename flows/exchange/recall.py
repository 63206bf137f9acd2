"""追回: a sender takes back a dispatch that went to the wrong units.

A receipt not yet signed for is withdrawn: it leaves the recipient's inbox at once (its clerks
are pushed `exchange.recalled`) and the unit may be sent the document again. A receipt already
signed for cannot be unsent: it gets a recall notice (`recall`) that the recipient's clerk must
acknowledge, and until then the sender's board shows it as 追回待确认. The board shows every state
live through the dispatch's watchers.

A recall of many units runs RECALL_CHUNK receipts to a transaction: each receipt is several writes,
and ~1,300 of them in one transaction outlived MongoDB's transaction time limit on a loaded server.
If it stops half-way, recalling again finishes it (what is recalled already is left as it is).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flows.exchange.moves import ExchangeLog
from flows.exchange.records import ReceiptStatus
from oa.clock import utcnow
from oa.documents import author_of
from oa.errors import Conflict, InvalidInput
from storage.events import publish_many
from storage.mongo import Mongo, ReturnDocument, Session

MAX_REASON = 500
RECALL_CHUNK = 50
HELD = (ReceiptStatus.SIGNED.value, ReceiptStatus.HANDLING.value, ReceiptStatus.CLOSED.value)


class RecallService:
    def __init__(self, mongo: Mongo, log: ExchangeLog, clock: Callable[[], datetime] = utcnow) -> None:
        self.mongo = mongo
        self.log = log
        self.clock = clock

    async def do_recall(self, dispatch: dict[str, Any], user: dict[str, Any], reason: Any,
                        unit_ids: Any = None) -> dict[str, Any]:
        """Recall the dispatch from every recipient, or from `unit_ids` only."""
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
            raise InvalidInput(f"say why it is recalled (reason, at most {MAX_REASON} characters)", field="reason")
        query: dict[str, Any] = {"dispatch_id": dispatch["_id"]}
        if unit_ids is not None:
            if not isinstance(unit_ids, list) or not unit_ids or len(unit_ids) > 2000 or not all(
                    isinstance(unit, str) for unit in unit_ids):
                raise InvalidInput("unit_ids must be a non-empty list of unit ids", field="unit_ids")
            query["unit_id"] = {"$in": unit_ids}
        actor = author_of(user, dispatch["sender_unit_id"])
        now = self.clock()
        notice = {"reason": reason.strip(), "at": now, "by": actor, "acknowledged_at": None, "acknowledged_by": None}
        receipts = await self.log.receipts.find(query, {"_id": 1, "status": 1, "recall": 1}).to_list(None)
        pending = [row["_id"] for row in receipts if row["status"] == ReceiptStatus.PENDING.value]
        held = [row["_id"] for row in receipts if row["status"] in HELD and not row.get("recall")]
        if not pending and not held:
            raise Conflict("nothing to recall: these recipients sent it back or it was already recalled",
                           code="nothing_to_recall")
        clerks = await self.log.clerks_of(sorted({row["_id"].split(".", 1)[1] for row in receipts}))
        data = {"dispatch_id": dispatch["_id"], "document_id": dispatch["document_id"],
                "title": dispatch["summary"]["title"], "sender_unit_name": dispatch["sender_unit_name"],
                "reason": notice["reason"]}

        async def work(session: Session, pending: list[str], held: list[str]) -> dict[str, list[str]]:
            withdrawn, noticed = [], []
            # The dispatch as stored (the caller's copy lacks its watchers), so the board hears of each change.
            stored = await self.log.dispatches.find_one({"_id": dispatch["_id"]}, session=session)
            changed = []  # the board's events for all of them at the end: the receipts are counted once
            for receipt_id in pending:
                moved = await self.log.move(receipt_id, ReceiptStatus.RECALLED, actor, "recall", now, session,
                                            fields={"recall": notice}, detail={"reason": notice["reason"]},
                                            events=[(clerk, "exchange.recalled", {**data, "receipt_id": receipt_id,
                                                                                   "withdrawn": True})
                                                    for clerk in clerks.get(receipt_id.split(".", 1)[1], [])],
                                            board=False)
                withdrawn.append(moved["unit_id"])
                changed.append(moved)
            for receipt_id in held:
                marked = await self.log.receipts.find_one_and_update(
                    {"_id": receipt_id, "recall": None}, {"$set": {"recall": notice}, "$inc": {"version": 1}},
                    return_document=ReturnDocument.AFTER, session=session)
                if marked is None:
                    continue
                await self.log.record(marked, "recall_notice", actor, now, session, {"reason": notice["reason"]})
                await publish_many(self.mongo, session, [
                    (clerk, "exchange.recalled", {**data, "receipt_id": receipt_id, "withdrawn": False})
                    for clerk in clerks.get(marked["unit_id"], [])])
                noticed.append(marked["unit_id"])
                changed.append(marked)
            await publish_many(self.mongo, session, await self.log.board_events(stored or dispatch, changed, session))
            return {"withdrawn": withdrawn, "noticed": noticed}

        result: dict[str, list[str]] = {"withdrawn": [], "noticed": []}
        todo = [(receipt_id, True) for receipt_id in pending] + [(receipt_id, False) for receipt_id in held]
        for start in range(0, len(todo), RECALL_CHUNK):
            part = todo[start:start + RECALL_CHUNK]
            pending_part = [receipt_id for receipt_id, unsigned in part if unsigned]
            held_part = [receipt_id for receipt_id, unsigned in part if not unsigned]
            async with self.log.turn({"dispatch_id": dispatch["_id"], "sender_unit_id": dispatch["sender_unit_id"]}):
                done = await self.mongo.run_transaction(
                    lambda session, p=pending_part, h=held_part: work(session, p, h))
            result["withdrawn"] += done["withdrawn"]
            result["noticed"] += done["noticed"]
        return {**result, "at": now}

    async def do_acknowledge(self, receipt_id: str, user: dict[str, Any]) -> dict[str, Any]:
        """The recipient's clerk confirms they have seen the recall notice (the sender's board shows it)."""
        receipt = await self.log.get_receipt(receipt_id)
        if not receipt.get("recall"):
            raise Conflict("this document has not been recalled", code="not_recalled")
        if receipt["recall"].get("acknowledged_at"):
            return receipt
        actor = author_of(user, receipt["unit_id"])
        now = self.clock()

        async def work(session: Session) -> dict[str, Any]:
            acknowledged = await self.log.receipts.find_one_and_update(
                {"_id": receipt_id, "recall.acknowledged_at": None},
                {"$set": {"recall.acknowledged_at": now, "recall.acknowledged_by": actor}, "$inc": {"version": 1}},
                return_document=ReturnDocument.AFTER, session=session)
            if acknowledged is None:
                return await self.log.get_receipt(receipt_id, session)
            await self.log.record(acknowledged, "recall_acknowledged", actor, now, session)
            dispatch = await self.log.dispatches.find_one({"_id": acknowledged["dispatch_id"]}, session=session)
            await publish_many(self.mongo, session, await self.log.board_events(dispatch, [acknowledged], session))
            return acknowledged

        return await self.mongo.run_transaction(work)
