"""One chunk of a dispatch's delivery: its receipts, their delivery guards and the recipients' pushes,
in one transaction. The dispatch record is written only when a unit turns out to be reached already
(rare); the sender's counts are derived from the receipts (counts.py), so sign-fors committing while
a long chunk runs do not make it start again.

Receipts already written (a repeated or resumed delivery) are skipped by their derived ids; a
unit this sender already reached with the same document is skipped and counted as such (the
guard is a unique delivery key, so two dispatches racing cannot both reach it); a unit that holds
the document from another sender keeps one inbox entry, the new receipt being a further route.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.exchange.moves import ExchangeLog, delivery_key
from flows.exchange.records import ReceiptStatus, receipt_record
from oa.orgs import OrgService
from storage.events import publish_many
from storage.mongo import DuplicateKeyError, Mongo, Session, find_in

# Receipts that no longer hold the document at the unit: it may be sent there again.
GONE = [ReceiptStatus.RETURNED.value, ReceiptStatus.RECALLED.value]


class ChunkDelivery:
    def __init__(self, mongo: Mongo, orgs: OrgService, log: ExchangeLog) -> None:
        self.mongo = mongo
        self.orgs = orgs
        self.log = log
        self.dispatches = mongo["dispatches"]
        self.receipts = mongo["receipts"]

    async def deliver(self, dispatch: dict[str, Any], chunk: list[dict[str, str]], now: datetime) -> None:
        """Receipts, deliveries and pushes of these recipients, in one transaction."""
        unit_ids = [entry["unit_id"] for entry in chunk]
        units = await self.orgs.get_many(unit_ids)
        clerks = await self.log.clerks_of(unit_ids)
        records = [receipt_record(dispatch, units[entry["unit_id"]], entry["role"], dispatch["due_at"], now)
                   for entry in chunk]

        async def work(session: Session) -> None:
            # Indexed equality reads over the whole dispatch, not `$in` over the chunk's ids (the embedded
            # server answers long `$in` lists slowly) nor an `_id` range (it scans the collection for one).
            present = {row["_id"] async for row in self.receipts.find({"dispatch_id": dispatch["_id"]}, {"_id": 1},
                                                                       session=session)}
            keys = {delivery_key(record): record for record in records if record["_id"] not in present}
            sent_before = {"document_id": dispatch["document_id"], "sender_unit_id": dispatch["sender_unit_id"]}
            guarded = {row["_id"] async for row in self.log.deliveries.find(sent_before, {"_id": 1}, session=session)}
            if exact[0]:  # rows written before they named their document and sender: ask for them by key
                guarded |= {row["_id"] for row in await find_in(self.log.deliveries, "_id", list(keys), None,
                                                                {"_id": 1}, session)}
            fresh = [record for key, record in keys.items() if key not in guarded]
            doubled = [record["unit_id"] for key, record in keys.items() if key in guarded]
            changes: dict[str, Any] = {}
            if doubled:  # another dispatch of this sender reached these units first
                changes = {"$inc": {"total": -len(doubled)}, "$pull": {"recipients": {"unit_id": {"$in": doubled}}},
                           "$addToSet": {"skipped": {"$each": doubled}}}
            if fresh:
                await self._link_routes(fresh, session)
                await self.receipts.insert_many(fresh, session=session)
                await self.log.deliveries.insert_many(
                    [{"_id": delivery_key(record), "receipt_id": record["_id"], "document_id": record["document_id"],
                      "sender_unit_id": record["sender_unit_id"], "at": now} for record in fresh],
                    session=session)
                await self.log.link_delivery(dispatch["sender_unit_id"], fresh, now, session)
                await publish_many(self.mongo, session, [
                    (clerk, "exchange.received", received_event(record)) for record in fresh
                    for clerk in clerks[record["unit_id"]]])
            if changes:
                await self.dispatches.update_one({"_id": dispatch["_id"]}, changes, session=session)
            self.log.counts.forget_on_commit(session, dispatch["_id"])

        exact = [False]
        for attempt in range(5):
            try:
                await self.mongo.run_transaction(work)
                return
            except DuplicateKeyError:  # a concurrent dispatch committed the same delivery: read again
                exact[0] = True
                if attempt == 4:
                    raise

    async def _link_routes(self, fresh: list[dict[str, Any]], session: Session) -> None:
        """A unit already holding this document from another sender (the city, then its county's 转发)
        keeps one inbox entry: the new receipt is a further route of that entry."""
        wanted = {record["unit_id"] for record in fresh}
        others = self.receipts.find({"document_id": fresh[0]["document_id"], "also_of": None,
                                     "dispatch_id": {"$ne": fresh[0]["dispatch_id"]}, "status": {"$nin": GONE}},
                                    {"unit_id": 1}, session=session)
        first = {row["unit_id"]: row["_id"] async for row in others if row["unit_id"] in wanted}
        for record in fresh:
            record["also_of"] = first.get(record["unit_id"])


def received_event(receipt: dict[str, Any]) -> dict[str, Any]:
    """What a recipient unit's 收发员 is pushed when a document arrives."""
    return {"receipt_id": receipt["_id"], "dispatch_id": receipt["dispatch_id"], "document_id": receipt["document_id"],
            "unit_id": receipt["unit_id"], "title": receipt["title"], "doc_number": receipt["doc_number"],
            "doc_type": receipt["doc_type"], "urgency": receipt["urgency"], "role": receipt["role"],
            "sender_unit_name": receipt["sender_unit_name"], "issuer_name": receipt.get("issuer_name"),
            "note": receipt["note"], "due_at": receipt["due_at"],
            # Set when the unit already holds this document: the same inbox entry, reached by one more route.
            "also_of": receipt.get("also_of")}
