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
from flows.exchange.records import GONE, receipt_record
from oa.orgs import OrgService
from storage.events import publish_many
from storage.mongo import BulkWriteError, DuplicateKeyError, Mongo, Session, find_in, only_duplicates


class ChunkDelivery:
    def __init__(self, mongo: Mongo, orgs: OrgService, log: ExchangeLog) -> None:
        self.mongo = mongo
        self.orgs = orgs
        self.log = log
        self.dispatches = mongo["dispatches"]
        self.receipts = mongo["receipts"]

    async def deliver(self, dispatch: dict[str, Any], chunk: list[dict[str, str]], now: datetime) -> None:
        """Receipts, deliveries and pushes of these recipients, in one transaction.

        The first attempt reads nothing back: the caller left out the receipts it found written and the
        units this sender had reached, and the unique receipt ids and delivery keys refuse anything a
        concurrent delivery wrote meanwhile. Only then (a duplicate key, rare) is the transaction run
        again reading what is there, so a dispatch's chunk costs its writes and not reads that grow with
        every chunk before it."""
        unit_ids = [entry["unit_id"] for entry in chunk]
        units = await self.orgs.get_many(unit_ids)
        clerks = await self.log.clerks_of(unit_ids)
        records = [receipt_record(dispatch, units[entry["unit_id"]], entry["role"], dispatch["due_at"], now)
                   for entry in chunk]

        async def work(session: Session) -> None:
            keys = {delivery_key(record): record for record in records}
            doubled: list[str] = []
            if careful:
                keys, doubled = await self._not_written(dispatch, keys, session)
            fresh = list(keys.values())
            changes: dict[str, Any] = {}
            if doubled:  # another dispatch of this sender reached these units first
                changes = {"$inc": {"total": -len(doubled)}, "$pull": {"recipients": {"unit_id": {"$in": doubled}}},
                           "$addToSet": {"skipped": {"$each": doubled}}}
            if fresh:
                await self._link_routes(dispatch, fresh, session)
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

        careful = False  # read what is written first
        for attempt in range(5):
            try:
                await self.mongo.run_transaction(work)
                return
            except (DuplicateKeyError, BulkWriteError) as failure:
                if not only_duplicates(failure):
                    raise
                careful = True  # a concurrent delivery committed some of these: read, then write the rest
                if attempt == 4:
                    raise

    async def _not_written(self, dispatch: dict[str, Any], keys: dict[str, dict[str, Any]],
                           session: Session) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Of these receipts (by delivery key), the ones neither written by this dispatch nor reached by
        this sender before; and the units found reached before (by another dispatch of this sender)."""
        # Indexed equality reads over the whole dispatch, not `$in` over the chunk's ids (the embedded
        # server answers long `$in` lists slowly) nor an `_id` range (it scans the collection for one).
        present = {row["_id"] async for row in self.receipts.find({"dispatch_id": dispatch["_id"]}, {"_id": 1},
                                                                   session=session)}
        keys = {key: record for key, record in keys.items() if record["_id"] not in present}
        sent_before = {"document_id": dispatch["document_id"], "sender_unit_id": dispatch["sender_unit_id"]}
        guarded = {row["_id"] async for row in self.log.deliveries.find(sent_before, {"_id": 1}, session=session)}
        # Rows written before they named their document and sender: asked for by key.
        guarded |= {row["_id"] for row in await find_in(self.log.deliveries, "_id", list(keys), None,
                                                        {"_id": 1}, session)}
        # Counted once: another replica finishing this dispatch may have skipped them already.
        stored = await self.dispatches.find_one({"_id": dispatch["_id"]}, {"skipped": 1}, session=session) or {}
        doubled = [record["unit_id"] for key, record in keys.items()
                   if key in guarded and record["unit_id"] not in stored.get("skipped", ())]
        return {key: record for key, record in keys.items() if key not in guarded}, doubled

    async def _link_routes(self, dispatch: dict[str, Any], fresh: list[dict[str, Any]], session: Session) -> None:
        """A unit already holding this document from another sender (the city, then its county's 转发)
        keeps one inbox entry: the new receipt is a further route of that entry. The other dispatches of
        the document are found first (usually none), so a dispatch does not re-read its own receipts."""
        others = [row["_id"] async for row in self.dispatches.find(
            {"document_id": dispatch["document_id"], "_id": {"$ne": dispatch["_id"]}}, {"_id": 1}, session=session)]
        first: dict[str, str] = {}
        if others:
            wanted = {record["unit_id"] for record in fresh}
            rows = self.receipts.find({"dispatch_id": {"$in": others}, "also_of": None, "status": {"$nin": GONE}},
                                      {"unit_id": 1}, session=session)
            first = {row["unit_id"]: row["_id"] async for row in rows if row["unit_id"] in wanted}
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
