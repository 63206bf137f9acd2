"""公文交换 over HTTP: dispatch and forward, the sender's board and lineage, 催办, and the receiving
side's inbox with 签收, 退文, 登记, paper registration and 会办.

A unit's exchange is its own: the receiving unit's readers see a receipt, the sending unit's
readers see the board, and anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from flows.access import SENDER_RECEIPT_ACTIONS, Side
from flows.exchange.moves import board_row
from oa.errors import NotFound
from oa.recipients import delivery_selectors
from web.api.documents import drafting_unit
from web.authz import accessed, authorized
from web.base import APIHandler
from web.serialize import page_json, plain
from web.validation import optional, required

SELECTORS = optional(list)
DISPATCH_SHAPE = {"main": SELECTORS, "copy": SELECTORS, "handling": optional(dict), "note": optional(str),
                  "idempotency_key": optional(str)}
FORWARD_SHAPE = {"main": SELECTORS, "copy": SELECTORS, "note": optional(str), "idempotency_key": optional(str)}
URGE_SHAPE = {"message": optional(str), "unit_ids": optional(list)}
RECALL_SHAPE = {"reason": required(str), "unit_ids": optional(list)}
RETURN_SHAPE = {"reason": required(str)}
REGISTER_SHAPE = {"flow": optional(str), "variables": optional(dict)}
OPINION_SHAPE = {"opinion": required(str)}
REPLY_SHAPE = {"document_id": required(str), "idempotency_key": optional(str)}
PAPER_SHAPE = {"version": required(int), "origin": required(dict)}


def idempotency_key(handler: APIHandler, body: dict[str, Any]) -> str | None:
    return body.get("idempotency_key") or handler.request.headers.get("Idempotency-Key")


async def _receipt(handler: APIHandler, receipt_id: str, action: str) -> list[str | None]:
    handler.receipt = await handler.services.access.access_receipt(handler.require_user(), receipt_id, action)
    return []


async def reading_receipt(handler: APIHandler, receipt_id: str, *_: str) -> list[str | None]:
    return await _receipt(handler, receipt_id, "read")


async def handling_receipt(handler: APIHandler, receipt_id: str, *_: str) -> list[str | None]:
    return await _receipt(handler, receipt_id, "handle")


async def urging_receipt(handler: APIHandler, receipt_id: str, *_: str) -> list[str | None]:
    return await _receipt(handler, receipt_id, "urge")


async def _dispatch(handler: APIHandler, dispatch_id: str, action: str) -> list[str | None]:
    handler.dispatch = await handler.services.access.access_dispatch(handler.require_user(), dispatch_id, action)
    return []


async def reading_dispatch(handler: APIHandler, dispatch_id: str, *_: str) -> list[str | None]:
    return await _dispatch(handler, dispatch_id, "read")


async def handling_dispatch(handler: APIHandler, dispatch_id: str, *_: str) -> list[str | None]:
    return await _dispatch(handler, dispatch_id, "handle")


async def units_in_question(handler: APIHandler) -> list[str | None]:
    """`?unit_id=` if given, else every unit where the caller may read the exchange."""
    unit_id = handler.get_argument("unit_id", None)
    if unit_id:
        handler.units = [unit_id]
        return [unit_id]
    handler.units = await handler.services.authorizer.units_allowing(handler.require_user(), "exchange", "read")
    return handler.units or [None]


class DispatchDocumentHandler(APIHandler):
    @authorized("exchange", "handle", units=drafting_unit, denied=NotFound, inherit=False)
    async def post(self, doc_id: str) -> None:
        """分发: to the selectors given, or by default to the document's own 主送 and 抄送 units."""
        body = self.body(DISPATCH_SHAPE)
        main, copy = body.get("main"), body.get("copy")
        if main is None and copy is None and body.get("handling") is None:
            main, copy = delivery_selectors(self.document["content"])
        dispatch = await self.services.dispatches.do_dispatch(
            doc_id, self.require_user(), main=main or [], copy=copy or [], handling=body.get("handling"),
            note=body.get("note", ""), idempotency_key=idempotency_key(self, body))
        self.set_header("Location", f"/api/dispatches/{dispatch['_id']}")
        self.send_json(plain(dispatch_json(dispatch)), status=201)


def dispatch_json(dispatch: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in dispatch.items()
            if key not in ("recipients", "fingerprint", "watchers", "root_watchers")}


class DispatchHandler(APIHandler):
    @accessed(reading_dispatch)
    async def get(self, dispatch_id: str) -> None:
        self.send_json(plain(self.dispatch))


class BoardHandler(APIHandler):
    @accessed(reading_dispatch)
    async def get(self, dispatch_id: str) -> None:
        """The live receipt board: one row per recipient, with the counts (updates come over /ws)."""
        offset, limit = self.paging()
        rows, total = await self.services.exchange_queries.board(dispatch_id, self.get_argument("status", None),
                                                                 offset, limit)
        self.send_json(plain({**page_json(rows, total, offset, limit), "counts": self.dispatch["counts"],
                              "dispatch": self.dispatch}))


class TreeHandler(APIHandler):
    @accessed(reading_dispatch)
    async def get(self, dispatch_id: str) -> None:
        """Who received it through whom: each recipient with the dispatches it forwarded, all the way down."""
        self.send_json(plain(await self.services.exchange_queries.tree(dispatch_id)))


class DispatchUrgeHandler(APIHandler):
    @accessed(handling_dispatch)
    async def post(self, dispatch_id: str) -> None:
        body = self.body(URGE_SHAPE) if self.request.body else {}
        result = await self.services.dispatches.do_urge(dispatch_id, self.require_user(), body.get("unit_ids"),
                                                        body.get("message", ""))
        self.send_json(plain(result))


class RecallHandler(APIHandler):
    @accessed(handling_dispatch)
    async def post(self, dispatch_id: str) -> None:
        """追回: unsigned receipts leave the recipients' inboxes; signed ones get a notice to acknowledge."""
        body = self.body(RECALL_SHAPE)
        result = await self.services.recalls.do_recall(self.dispatch, self.require_user(), body["reason"],
                                                       body.get("unit_ids"))
        self.send_json(plain(result))


class AcknowledgeRecallHandler(APIHandler):
    @accessed(handling_receipt)
    async def post(self, receipt_id: str) -> None:
        self.send_json(plain(await self.services.recalls.do_acknowledge(receipt_id, self.require_user())))


class InboxHandler(APIHandler):
    @authorized("exchange", "read", units=units_in_question, denied=NotFound, inherit=False)
    async def get(self) -> None:
        offset, limit = self.paging()
        rows, total = await self.services.exchange_queries.inbox(self.units, self.get_argument("status", None),
                                                                 offset, limit)
        self.send_json(plain(page_json(rows, total, offset, limit)))


class SentHandler(APIHandler):
    @authorized("exchange", "read", units=units_in_question, denied=NotFound, inherit=False)
    async def get(self) -> None:
        offset, limit = self.paging()
        rows, total = await self.services.exchange_queries.sent(self.units, offset, limit)
        self.send_json(plain(page_json(rows, total, offset, limit)))


class ReceiptHandler(APIHandler):
    @accessed(reading_receipt)
    async def get(self, receipt_id: str) -> None:
        """The incoming document: its state, its history, and for a 主办 the 协办 units' opinions."""
        receipt = self.receipt
        history = await self.services.exchange_queries.history(receipt_id)
        if await self.services.access.receipt_side(self.require_user(), receipt) == Side.DRAFTING:
            # The sender's view: its board row and the exchange between the two units, nothing internal.
            self.send_json(plain({**board_row(receipt), "id": receipt["_id"], "document_id": receipt["document_id"],
                                  "history": [entry for entry in history
                                              if entry["action"] in SENDER_RECEIPT_ACTIONS]}))
            return
        self.send_json(plain({**receipt, "history": history,
                              "co_opinions": await self.services.receipts.co_opinions(receipt)}))


class SignHandler(APIHandler):
    @accessed(handling_receipt)
    async def post(self, receipt_id: str) -> None:
        self.send_json(plain(await self.services.receipts.do_sign(receipt_id, self.require_user(), self.channel)))


class ReturnHandler(APIHandler):
    @accessed(handling_receipt)
    async def post(self, receipt_id: str) -> None:
        body = self.body(RETURN_SHAPE)
        self.send_json(plain(await self.services.receipts.do_return(receipt_id, self.require_user(), body["reason"],
                                                                    self.channel)))


class RegisterHandler(APIHandler):
    @accessed(handling_receipt)
    async def post(self, receipt_id: str) -> None:
        body = self.body(REGISTER_SHAPE) if self.request.body else {}
        receipt = await self.services.receipts.do_register(receipt_id, self.require_user(), body.get("variables"),
                                                           body.get("flow", "shouwen"), self.channel)
        self.send_json(plain(receipt))


class ForwardHandler(APIHandler):
    @accessed(handling_receipt)
    async def post(self, receipt_id: str) -> None:
        """转发 down: the same document with this unit's cover note, keeping the lineage."""
        body = self.body(FORWARD_SHAPE)
        dispatch = await self.services.dispatches.do_dispatch(
            self.receipt["document_id"], self.require_user(), main=body.get("main") or [],
            copy=body.get("copy") or [], note=body.get("note", ""), idempotency_key=idempotency_key(self, body),
            via_receipt_id=receipt_id)
        self.set_header("Location", f"/api/dispatches/{dispatch['_id']}")
        self.send_json(plain(dispatch_json(dispatch)), status=201)


class ReceiptUrgeHandler(APIHandler):
    @accessed(urging_receipt)
    async def post(self, receipt_id: str) -> None:
        body = self.body(URGE_SHAPE) if self.request.body else {}
        result = await self.services.dispatches.do_urge(self.receipt["dispatch_id"], self.require_user(),
                                                        [self.receipt["unit_id"]], body.get("message", ""))
        self.send_json(plain(result))


class OpinionHandler(APIHandler):
    @accessed(handling_receipt)
    async def post(self, receipt_id: str) -> None:
        body = self.body(OPINION_SHAPE)
        self.send_json(plain(await self.services.receipts.do_opinion(receipt_id, self.require_user(),
                                                                     body["opinion"])))


class ReplyHandler(APIHandler):
    @accessed(handling_receipt)
    async def post(self, receipt_id: str) -> None:
        body = self.body(REPLY_SHAPE)
        dispatch = await self.services.receipts.do_reply(receipt_id, self.require_user(), body["document_id"],
                                                         idempotency_key(self, body))
        self.send_json(plain(dispatch_json(dispatch)), status=201)


class PaperHandler(APIHandler):
    @authorized("exchange", "handle", units=drafting_unit, denied=NotFound, inherit=False)
    async def post(self, doc_id: str) -> None:
        """A paper document: the draft holding its scan becomes a signed-for incoming document."""
        body = self.body(PAPER_SHAPE)
        receipt = await self.services.receipts.do_register_paper(doc_id, body["version"], self.require_user(),
                                                                 body["origin"])
        self.send_json(plain(receipt), status=201)
