"""The clerks' exchange actions over several receipts or beside the 收文 flow: 批量签收, and 传阅 with the
list of those a person started.

批量签收 signs each chosen receipt on its own, with the same access check as one 签收, and answers
per receipt: one recalled or already signed meanwhile is reported, never silently skipped, and does
not stop the others.
"""

from __future__ import annotations

from typing import Any

from oa.errors import InvalidInput, OAError
from web.api.exchange import handling_receipt
from web.authz import accessed, authenticated
from web.base import APIHandler
from web.serialize import page_json, plain
from web.validation import required

BATCH_SIGN_SHAPE = {"receipt_ids": required(list, items=str)}
CIRCULATE_SHAPE = {"readers": required(list, items=str)}
MAX_BATCH = 100


class BatchSignHandler(APIHandler):
    @authenticated
    async def post(self) -> None:
        ids = self.body(BATCH_SIGN_SHAPE)["receipt_ids"]
        if not 0 < len(ids) <= MAX_BATCH:
            raise InvalidInput(f"receipt_ids must name 1–{MAX_BATCH} receipts", field="receipt_ids")
        user = self.require_user()
        results: list[dict[str, Any]] = []
        for receipt_id in dict.fromkeys(ids):
            try:
                await self.services.access.access_receipt(user, receipt_id, "handle")
                signed = await self.services.receipts.do_sign(receipt_id, user, self.channel)
                results.append({"receipt_id": receipt_id, "ok": True, "status": signed["status"]})
            except OAError as error:
                results.append({"receipt_id": receipt_id, "ok": False, **error.to_json()})
        self.send_json(plain({"items": results, "signed": sum(1 for item in results if item["ok"])}))


class CirculateHandler(APIHandler):
    @accessed(handling_receipt)
    async def post(self, receipt_id: str) -> None:
        """传阅 of a received document among the unit's people (a 传阅 flow beside its 收文)."""
        body = self.body(CIRCULATE_SHAPE)
        instance = await self.services.receipts.do_circulate(receipt_id, self.require_user(), body["readers"],
                                                             self.channel)
        self.set_header("Location", f"/api/instances/{instance['_id']}")
        self.send_json(plain(instance), status=201)


class CirculationsHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """The 传阅 the caller started, newest first (each one's readers: GET /api/instances/{id})."""
        offset, limit = self.paging()
        items, total = await self.services.flow_queries.started_by(self.require_user()["_id"], "传阅", offset, limit)
        self.send_json(plain(page_json(items, total, offset, limit)))
