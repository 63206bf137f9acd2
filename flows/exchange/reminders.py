"""督办 of unsigned receipts: a supervising office chases documents its units have not signed for.

The sender's own 催办 (flows/exchange/dispatch.py) chases one dispatch's recipients; this one
chases single receipts wherever they came from, on behalf of the office that supervises the
receiving unit or sent the document. Each receipt is urged at most once per urge interval,
whoever urged it last, so a unit is not flooded from two directions.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flows.exchange.dispatch import MAX_NOTE
from flows.exchange.moves import ExchangeLog, audit_entry
from flows.exchange.records import ReceiptStatus
from oa.clock import utcnow
from oa.documents import author_of
from oa.errors import InvalidInput
from storage.events import publish_many
from storage.mongo import Mongo, Session


class ReceiptReminders:
    def __init__(self, mongo: Mongo, log: ExchangeLog, urge_interval: timedelta,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.mongo = mongo
        self.log = log
        self.receipts = mongo["receipts"]
        self.urge_interval = urge_interval
        self.clock = clock

    async def do_remind(self, receipt_ids: list[str], user: dict[str, Any], acting_unit: dict[str, Any],
                        message: str = "") -> dict[str, Any]:
        """Urge the clerks of each still unsigned receipt; returns which were urged and which were not, why."""
        if not isinstance(message, str) or len(message) > MAX_NOTE:
            raise InvalidInput(f"message must be text of at most {MAX_NOTE} characters", field="message")
        now = self.clock()
        cutoff = now - self.urge_interval
        actor = author_of(user, acting_unit["_id"])
        token = secrets.token_hex(8)
        query = {"_id": {"$in": receipt_ids}, "status": ReceiptStatus.PENDING.value,
                 "$or": [{"last_urged_at": None}, {"last_urged_at": {"$lte": cutoff}}]}

        async def work(session: Session) -> list[dict[str, Any]]:
            # The interval is part of the update, so two offices urging at once cannot both urge a receipt.
            await self.receipts.update_many(query, {"$set": {"last_urged_at": now, "last_urge_token": token},
                                                    "$inc": {"urge_count": 1, "version": 1}}, session=session)
            urged = await self.receipts.find({"_id": {"$in": receipt_ids}, "last_urge_token": token},
                                             session=session).to_list(None)
            if not urged:
                return []
            await self.log.write_audit(acting_unit["_id"], [
                audit_entry(row, "urge", actor, now, {"message": message, "supervised_by": acting_unit["name"]})
                for row in urged], session)
            clerks = await self.log.clerks_of([row["unit_id"] for row in urged], session)
            await publish_many(self.mongo, session, [
                (clerk, "exchange.urged", {"receipt_id": row["_id"], "dispatch_id": row.get("dispatch_id"),
                                           "document_id": row["document_id"], "title": row["title"],
                                           "sender_unit_name": acting_unit["name"], "message": message,
                                           "by": actor["name"]})
                for row in urged for clerk in clerks[row["unit_id"]]])
            return urged

        urged = await self.mongo.run_transaction(work)
        done = {row["_id"] for row in urged}
        rest = await self.receipts.find({"_id": {"$in": [rid for rid in receipt_ids if rid not in done]}},
                                        {"status": 1, "last_urged_at": 1}).to_list(None)
        refused = {row["_id"]: ("not_pending" if row["status"] != ReceiptStatus.PENDING.value else "urged_recently",
                                row["last_urged_at"] + self.urge_interval if row.get("last_urged_at") else None)
                   for row in rest}
        return {"urged": sorted(done), "refused": refused, "at": now}
