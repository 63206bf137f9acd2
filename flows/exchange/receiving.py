"""The receiving side: 签收, 退文, 登记 (which starts the 收文 flow), paper documents, and 会办.

Each action is one transaction through `ExchangeLog.move`, so the receipt, the sender's counts,
the audit record and the pushes change together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flows.exchange.dispatch import MAX_NOTE, DispatchService
from flows.exchange.moves import ExchangeLog
from flows.exchange.ports import ReceivingFlows
from flows.exchange.records import ReceiptStatus
from oa.clock import utcnow
from oa.documents import DocumentService, author_of
from oa.errors import Conflict, InvalidInput
from oa.incoming_numbers import IncomingNumbers
from oa.orgs import OrgService
from storage.mongo import SCHEMA_VERSION, Mongo, ReturnDocument, Session

RECEIVING_FLOWS = ("shouwen", "chuanyue")
REGISTER_NODE = "register"
MAX_NAME = 100
MAX_READERS = 100
# A document may be passed round for reading once the unit holds it (signed for, in 收文, or done).
CIRCULABLE = (ReceiptStatus.SIGNED.value, ReceiptStatus.HANDLING.value, ReceiptStatus.CLOSED.value)


def _text(value: Any, name: str, limit: int, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise InvalidInput(f"{name} is {'required, ' if required else ''}text of at most {limit} characters",
                           field=name)
    return value.strip()


class ReceiptService:
    def __init__(self, mongo: Mongo, orgs: OrgService, documents: DocumentService, log: ExchangeLog,
                 numbers: IncomingNumbers, dispatches: DispatchService, flows: ReceivingFlows,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.mongo = mongo
        self.orgs = orgs
        self.documents = documents
        self.log = log
        self.numbers = numbers
        self.dispatches = dispatches
        self.flows = flows
        self.clock = clock
        self.receipts = mongo["receipts"]

    async def do_sign(self, receipt_id: str, user: dict[str, Any], channel: str = "web") -> dict[str, Any]:
        receipt = await self.log.get_receipt(receipt_id)
        actor = {**author_of(user, receipt["unit_id"]), "channel": channel}
        now = self.clock()
        fields = {"signed_at": now, "signed_by": actor}

        async def work(session: Session) -> dict[str, Any]:
            signed = await self.log.move(receipt_id, ReceiptStatus.SIGNED, actor, "sign", now, session, fields=fields)
            # The same document's further routes to this unit (a county's 转发 of what the city sent it)
            # are signed for with it, so every sender's board shows the unit has it.
            further = await self.receipts.find({"also_of": receipt_id, "status": ReceiptStatus.PENDING.value},
                                               {"_id": 1}, session=session).to_list(None)
            for row in further:
                await self.log.move(row["_id"], ReceiptStatus.SIGNED, actor, "sign", now, session, fields=fields,
                                    detail={"with": receipt_id})
            return signed

        async with self.log.turn(receipt):
            return await self.mongo.run_transaction(work)

    async def do_return(self, receipt_id: str, user: dict[str, Any], reason: Any,
                        channel: str = "web") -> dict[str, Any]:
        """退文: send it back to the sender, with the reason the sender will read."""
        reason = _text(reason, "reason", MAX_NOTE)
        receipt = await self.log.get_receipt(receipt_id)
        if receipt["kind"] == "paper":
            raise Conflict("a paper document has no sender on the platform to return it to", code="receipt_state")
        actor = {**author_of(user, receipt["unit_id"]), "channel": channel}
        now = self.clock()
        async with self.log.turn(receipt):
            return await self.mongo.run_transaction(lambda session: self.log.move(
                receipt_id, ReceiptStatus.RETURNED, actor, "return", now, session,
                fields={"returned_at": now, "returned_by": actor, "return_reason": reason},
                detail={"reason": reason}))

    async def do_register(self, receipt_id: str, user: dict[str, Any], variables: dict[str, Any] | None = None,
                          flow: str = "shouwen", channel: str = "web") -> dict[str, Any]:
        """登记: the unit's next 收文编号, then the 收文 flow starts with the registrar's 登记 step done.

        If the flow could not start (say no 办公室主任 yet), the number stays and registering
        again only starts the flow.
        """
        if flow not in RECEIVING_FLOWS:
            raise InvalidInput(f"flow must be one of {', '.join(RECEIVING_FLOWS)}", field="flow")
        variables = variables or {}
        receipt = await self.log.get_receipt(receipt_id)
        if receipt["status"] == ReceiptStatus.SIGNED.value:
            receipt = await self._number(receipt, user, channel)
        elif receipt["status"] != ReceiptStatus.HANDLING.value or receipt["instance_id"]:
            raise Conflict(f"only a signed-for document can be registered; this one is {receipt['status']}",
                           code="receipt_state", receipt_status=receipt["status"])
        instance = await self.flows.start_on_received(
            flow, receipt["document_id"], variables, user, channel, unit_id=receipt["unit_id"], receipt_id=receipt_id,
            first_node=REGISTER_NODE, note=f"已登记，收文编号{receipt['registration']['text']}")
        return await self.receipts.find_one_and_update(
            {"_id": receipt_id}, {"$set": {"instance_id": instance["_id"]}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER)

    async def do_register_paper(self, document_id: str, version: int, user: dict[str, Any],
                                origin: dict[str, Any]) -> dict[str, Any]:
        """A paper document arrives: its scan (already attached to a draft) becomes a signed-for receipt."""
        if not isinstance(origin, dict) or set(origin) - {"sender_name", "doc_number", "received_date"}:
            raise InvalidInput("origin takes sender_name, doc_number and received_date", field="origin")
        cleaned = {"kind": "paper", "sender_name": _text(origin.get("sender_name"), "sender_name", MAX_NAME),
                   "doc_number": _text(origin.get("doc_number", ""), "doc_number", MAX_NAME, required=False),
                   "received_date": _text(origin.get("received_date", ""), "received_date", 10, required=False)}
        document = await self.documents.get(document_id)
        unit = await self.orgs.get(document["drafting_unit_id"])
        actor = author_of(user, unit["_id"])
        now = self.clock()

        async def attach(session: Session, stored: dict[str, Any]) -> None:
            content = stored["content"]
            record = {
                "_id": f"paper.{document_id}", "schema_version": SCHEMA_VERSION, "version": 1, "kind": "paper",
                "dispatch_id": None, "root_dispatch_id": None, "parent_receipt_id": None, "depth": 0,
                "document_id": document_id, "sender_unit_id": None, "sender_unit_name": cleaned["sender_name"],
                "unit_id": unit["_id"], "unit_name": unit["name"], "unit_path": [*unit["ancestors"], unit["_id"]],
                "role": "main", "title": content["title"], "doc_number": cleaned["doc_number"] or None,
                "doc_type": content["doc_type"], "urgency": content.get("urgency") or "", "note": "",
                "status": ReceiptStatus.SIGNED.value, "created_at": now, "due_at": None, "signed_at": now,
                "signed_by": actor, "returned_at": None, "returned_by": None, "return_reason": None,
                "registration": None, "instance_id": None, "closed_at": None, "last_urged_at": None,
                "urge_count": 0, "opinion": None, "reply_dispatch_id": None,
            }
            await self.receipts.insert_one(record, session=session)
            await self.log.record(record, "register_paper", actor, now, session, cleaned)

        await self.documents.do_receive_paper(document_id, version, cleaned, user, attach)
        return await self.log.get_receipt(f"paper.{document_id}")

    async def do_circulate(self, receipt_id: str, user: dict[str, Any], readers: Any,
                           channel: str = "web") -> dict[str, Any]:
        """传阅 of a received document: the unit's chosen people each read it and confirm 已阅.

        It runs beside any 收文 flow of the same receipt (the receipt's own flow stays as it is);
        the readers must be people of the receiving unit.
        """
        if not isinstance(readers, list) or not readers or len(readers) > MAX_READERS or not all(
                isinstance(reader, str) for reader in readers):
            raise InvalidInput(f"readers must be a list of 1–{MAX_READERS} person ids", field="readers")
        receipt = await self.log.get_receipt(receipt_id)
        if receipt["status"] not in CIRCULABLE or receipt.get("recall"):
            raise Conflict("sign for a document before passing it round for reading; this one is "
                           f"{receipt['status']}", code="receipt_state", receipt_status=receipt["status"])
        members = self.orgs.directory.members_of(receipt["unit_id"])
        outside = [reader for reader in dict.fromkeys(readers) if reader not in members]
        if outside:
            raise InvalidInput(f"readers must be people of {receipt['unit_name']}; not: {', '.join(outside[:5])}",
                               field="readers", code="reader_outside_unit")
        return await self.flows.start_on_received(
            "chuanyue", receipt["document_id"], {"readers": list(dict.fromkeys(readers))}, user, channel,
            unit_id=receipt["unit_id"], receipt_id=receipt_id, first_node="send", note="送阅")

    # 会办 ----------------------------------------------------------------------------------------

    async def do_opinion(self, receipt_id: str, user: dict[str, Any], text: Any) -> dict[str, Any]:
        """A 协办 unit sends its opinion to the 主办 unit; its part is then done."""
        text = _text(text, "opinion", MAX_NOTE)
        receipt = await self.log.get_receipt(receipt_id)
        if receipt["role"] != "co":
            raise Conflict("only a 协办 unit sends an opinion to the 主办 unit", code="not_co_handler")
        actor = author_of(user, receipt["unit_id"])
        now = self.clock()
        dispatch = await self.dispatches.get(receipt["dispatch_id"])
        lead = next(entry["unit_id"] for entry in dispatch["recipients"] if entry["role"] == "lead")
        clerks = (await self.log.clerks_of([lead]))[lead]
        event = {"dispatch_id": dispatch["_id"], "receipt_id": f"{dispatch['_id']}.{lead}",
                 "from_unit_name": receipt["unit_name"], "title": receipt["title"], "opinion": text}
        return await self.mongo.run_transaction(lambda session: self.log.move(
            receipt_id, ReceiptStatus.CLOSED, actor, "opinion", now, session,
            fields={"opinion": {"text": text, "by": actor, "at": now}, "closed_at": now}, detail={"opinion": text},
            events=[(clerk, "exchange.opinion", event) for clerk in clerks]))

    async def co_opinions(self, receipt: dict[str, Any]) -> list[dict[str, Any]]:
        """For the 主办: every 协办 unit of the same 会办 and its opinion (None while it has none)."""
        if receipt["role"] != "lead":
            return []
        rows = self.receipts.find({"dispatch_id": receipt["dispatch_id"], "role": "co"},
                                  {"unit_id": 1, "unit_name": 1, "status": 1, "opinion": 1})
        return [row async for row in rows]

    async def do_reply(self, receipt_id: str, user: dict[str, Any], document_id: str,
                       idempotency_key: str | None = None) -> dict[str, Any]:
        """The 主办 answers the sender with its own numbered document (a 会办意见), closing its part."""
        receipt = await self.log.get_receipt(receipt_id)
        if receipt["role"] != "lead":
            raise Conflict("only the 主办 unit answers the sender of a 会办", code="not_lead_handler")
        if receipt["status"] not in (ReceiptStatus.SIGNED.value, ReceiptStatus.HANDLING.value):
            raise Conflict(f"this 会办 is {receipt['status']}; sign for it before answering", code="receipt_state",
                           receipt_status=receipt["status"])
        reply = await self.documents.get(document_id)
        if reply["drafting_unit_id"] != receipt["unit_id"]:
            raise InvalidInput("the answer must be a document of your own unit", field="document_id")
        sent = await self.dispatches.do_dispatch(document_id, user, main=[{"unit": receipt["sender_unit_id"]}],
                                                 idempotency_key=idempotency_key, reply_to=receipt_id)
        actor = author_of(user, receipt["unit_id"])
        now = self.clock()
        await self.mongo.run_transaction(lambda session: self.log.move(
            receipt_id, ReceiptStatus.CLOSED, actor, "reply", now, session,
            fields={"reply_dispatch_id": sent["_id"], "closed_at": now}, detail={"dispatch_id": sent["_id"]}))
        return sent

    # Internals ---------------------------------------------------------------------------------

    async def _number(self, receipt: dict[str, Any], user: dict[str, Any], channel: str) -> dict[str, Any]:
        unit = await self.orgs.get(receipt["unit_id"])
        actor = {**author_of(user, unit["_id"]), "channel": channel}
        now = self.clock()

        async def work(session: Session) -> dict[str, Any]:
            number = await self.numbers.allocate(unit, now, session)
            return await self.log.move(receipt["_id"], ReceiptStatus.HANDLING, actor, "register", now, session,
                                       fields={"registration": {**number, "at": now, "by": actor}},
                                       detail={"number": number["text"]})

        async with self.log.turn(receipt):
            return await self.mongo.run_transaction(work)

