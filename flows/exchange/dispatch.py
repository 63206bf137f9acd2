"""分发 and 转发: one action sends a document to every unit it is meant for, and 催办 chases them.

A dispatch is written first with its full list of recipient units (status `delivering`), then
the receipts are created chunk by chunk, each chunk in one transaction together with the
recipients' push events. The sender's counts are derived from the receipts (counts.py), never
written, so no record is shared by a chunk and the sign-fors that arrive while it runs.
Receipt ids are derived from the dispatch and the unit, so delivery can be repeated — a retried
request with the same idempotency key, or `resume_unfinished` after a process died half-way —
without a unit missed or served twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flows.calendar import CalendarStore
from flows.exchange.delivery import ChunkDelivery
from flows.exchange.moves import ExchangeLog, audit_entry
from flows.exchange.records import (
    GONE,
    SIGN_FOR_DEADLINES,
    ReceiptStatus,
    new_dispatch_id,
    receipt_id,
)
from flows.locks import KeyedLocks
from oa.clock import CHINA, utcnow
from oa.documents import DocumentService, author_of
from oa.errors import Conflict, Forbidden, InvalidInput, NotFound
from oa.orgs import OrgService
from oa.recipients import RecipientService
from storage.events import publish_many
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo, Session

DISPATCHABLE_STATUSES = ("numbered", "issued")
FORWARDABLE_STATUSES = (ReceiptStatus.SIGNED.value, ReceiptStatus.HANDLING.value, ReceiptStatus.CLOSED.value)
MAX_NOTE = 2000
MAX_KEY = 200

log = logging.getLogger("oa.exchange")


def fingerprint(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def beijing_hm(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


class DispatchService:
    # Receipts per transaction. Each commit pushes its chunk to the recipients' open sockets at once;
    # at 200 that fan-out stays under ~75 ms (~370 frames at 2,600 units), at 400 it took ~150 ms,
    # for ~10% more dispatch time (benchmarks: BENCHMARKS.md, scale).
    chunk_size = 200

    def __init__(self, mongo: Mongo, orgs: OrgService, documents: DocumentService, recipients: RecipientService,
                 calendars: CalendarStore, log: ExchangeLog, urge_interval: timedelta,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.mongo = mongo
        self.orgs = orgs
        self.documents = documents
        self.recipients = recipients
        self.calendars = calendars
        self.log = log
        self.urge_interval = urge_interval
        self.clock = clock
        self.dispatches = mongo["dispatches"]
        self.receipts = mongo["receipts"]
        self._locks = KeyedLocks()
        self.delivery = ChunkDelivery(mongo, orgs, log)

    async def get(self, dispatch_id: str) -> dict[str, Any]:
        dispatch = await self.dispatches.find_one({"_id": dispatch_id})
        if dispatch is None:
            raise NotFound(f"dispatch {dispatch_id} not found")
        return dispatch

    # Sending ---------------------------------------------------------------------------------

    async def do_dispatch(self, document_id: str, user: dict[str, Any], *, main: list[dict[str, Any]],
                          copy: list[dict[str, Any]] | None = None, idempotency_key: str | None = None,
                          note: str = "", handling: dict[str, Any] | None = None,
                          via_receipt_id: str | None = None, reply_to: str | None = None) -> dict[str, Any]:
        """Send the document to the units the selectors choose; returns the dispatch once delivered.

        `via_receipt_id`: a 转发 of a document this unit received, with `note` as its cover note.
        `handling`: a 会办 — {"lead": unit, "co": [units]} instead of 主送/抄送.
        """
        copy = copy or []
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise InvalidInput(f"note must be text of at most {MAX_NOTE} characters", field="note")
        if idempotency_key is not None and (not isinstance(idempotency_key, str) or not 0 < len(idempotency_key)
                                            <= MAX_KEY):
            raise InvalidInput(f"idempotency_key must be 1–{MAX_KEY} characters", field="idempotency_key")
        document = await self.documents.get(document_id)
        parent = await self.log.get_receipt(via_receipt_id) if via_receipt_id else None
        sender_unit_id = parent["unit_id"] if parent else document["drafting_unit_id"]
        self._check_sendable(document, parent)
        request = {"document_id": document_id, "main": main, "copy": copy, "note": note.strip(),
                   "handling": handling, "via": via_receipt_id, "reply_to": reply_to}
        if idempotency_key:
            existing = await self.dispatches.find_one({"sender_unit_id": sender_unit_id,
                                                       "idempotency_key": idempotency_key})
            if existing is not None:
                return await self._replay(existing, request)
        roles = await self._roles(main, copy, handling, sender_unit_id)
        if parent is not None:
            await self._check_forward_reach(sender_unit_id, list(roles))
        # One send of a document by a unit at a time in this process (a double click waits and then
        # finds everything sent); the deliveries' unique ids hold the same line across replicas.
        async with self._locks.hold(f"send:{document_id}:{sender_unit_id}"):
            return await self._send(document, sender_unit_id, user, roles, parent, request, idempotency_key,
                                    reply_to)

    async def _send(self, document: dict[str, Any], sender_unit_id: str, user: dict[str, Any],
                    roles: dict[str, str], parent: dict[str, Any] | None, request: dict[str, Any],
                    idempotency_key: str | None, reply_to: str | None) -> dict[str, Any]:
        document_id = document["_id"]
        if idempotency_key:
            existing = await self.dispatches.find_one({"sender_unit_id": sender_unit_id,
                                                       "idempotency_key": idempotency_key})
            if existing is not None:
                return await self._replay(existing, request)
        already = await self._already_sent(document_id, sender_unit_id, list(roles))
        targets = {unit_id: role for unit_id, role in roles.items() if unit_id not in already and
                   unit_id != sender_unit_id}
        if not targets:
            raise InvalidInput("no recipients: the selectors chose no unit that has not already received it",
                               code="no_recipients", already_sent=len(already))
        # Without a client key the dispatch gets a key of its own, so every record has one (unique index).
        dispatch = await self._new_dispatch(document, sender_unit_id, user, targets, parent, request,
                                            idempotency_key or "auto:" + secrets.token_hex(8), reply_to)
        dispatch["skipped"] = sorted(already)
        try:
            await self.dispatches.insert_one(dispatch)
        except DuplicateKeyError:  # the same key raced in from another request
            existing = await self.dispatches.find_one({"sender_unit_id": sender_unit_id,
                                                       "idempotency_key": idempotency_key})
            return await self._replay(existing, request)
        delivered = await self.deliver(dispatch["_id"])
        if delivered["total"] == 0:  # a concurrent dispatch (another replica) delivered every unit first
            await self.dispatches.delete_one({"_id": delivered["_id"], "total": 0})
            raise InvalidInput("no recipients: every chosen unit has already received it from your unit",
                               code="no_recipients", already_sent=len(delivered.get("skipped", [])))
        return delivered

    async def deliver(self, dispatch_id: str) -> dict[str, Any]:
        """Create every receipt the dispatch still lacks; safe to run again at any point."""
        async with self._locks.hold(dispatch_id):
            dispatch = await self.get(dispatch_id)
            if dispatch["status"] == "delivered":
                return (await self.log.counts.attach([dispatch]))[0]
            have = {row["_id"] async for row in self.receipts.find({"dispatch_id": dispatch_id}, {"_id": 1})}
            missing = [entry for entry in dispatch["recipients"]
                       if receipt_id(dispatch_id, entry["unit_id"]) not in have]
            # Foreground: the 消息 of its events wait until the last chunk is in (storage/foreground.py).
            async with self.mongo.foreground.hold():
                for start in range(0, len(missing), self.chunk_size):
                    await self.delivery.deliver(dispatch, missing[start:start + self.chunk_size], self.clock())
            return await self._finish(dispatch)

    async def resume_unfinished(self, older_than: timedelta = timedelta(0)) -> int:
        """Finish every dispatch a stopped process left half-delivered (run at start-up and periodically;
        `older_than` leaves alone the ones a live process is probably still delivering)."""
        finished = 0
        query = {"status": "delivering", "created_at": {"$lte": self.clock() - older_than}}
        ids = [row["_id"] async for row in self.dispatches.find(query, {"_id": 1})]
        for dispatch_id in ids:
            try:
                await self.deliver(dispatch_id)
            except Exception:  # one dispatch that cannot finish must not stop the others, nor a
                # start-up (a crash loop); the deadline round tries it again
                log.exception("dispatch %s left half-delivered could not be finished now", dispatch_id)
                continue
            finished += 1
        return finished

    # 催办 --------------------------------------------------------------------------------------

    async def do_urge(self, dispatch_id: str, user: dict[str, Any], unit_ids: list[str] | None = None,
                      message: str = "") -> dict[str, Any]:
        """Urge every recipient that has not signed for it (or only `unit_ids`), at most once per interval."""
        if not isinstance(message, str) or len(message) > MAX_NOTE:
            raise InvalidInput(f"message must be text of at most {MAX_NOTE} characters", field="message")
        dispatch = await self.get(dispatch_id)
        now = self.clock()
        query: dict[str, Any] = {"dispatch_id": dispatch_id, "status": ReceiptStatus.PENDING.value}
        if unit_ids is not None:
            if not isinstance(unit_ids, list) or len(unit_ids) > 100 or not all(
                    isinstance(unit, str) for unit in unit_ids):
                raise InvalidInput("unit_ids must be a list of at most 100 unit ids", field="unit_ids")
            query["unit_id"] = {"$in": unit_ids}
        pending = await self.receipts.find(query, {"unit_id": 1, "unit_name": 1, "last_urged_at": 1}).to_list(None)
        if not pending:
            raise Conflict("nothing to urge: every recipient has signed for it or sent it back",
                           code="nothing_to_urge")
        cutoff = now - self.urge_interval
        due = [row for row in pending if row["last_urged_at"] is None or row["last_urged_at"] <= cutoff]
        refused = [{"unit_id": row["unit_id"], "unit_name": row["unit_name"],
                    "allowed_at": row["last_urged_at"] + self.urge_interval}
                   for row in pending if row not in due]
        if not due:
            first = min(entry["allowed_at"] for entry in refused)
            raise Conflict(f"already urged within the last {int(self.urge_interval.total_seconds() // 60)} "
                           f"minutes; you can urge again after {beijing_hm(first)} (Beijing time)",
                           code="urge_too_soon", allowed_at=first.isoformat(), refused=len(refused))
        actor = author_of(user, dispatch["sender_unit_id"])
        token = secrets.token_hex(8)

        async def work(session: Session) -> list[dict[str, Any]]:
            # The same query as above plus the interval, so a concurrent urge cannot urge a unit twice;
            # the token then tells which receipts this call (and not a concurrent one) urged.
            await self.receipts.update_many(
                {**query, "$or": [{"last_urged_at": None}, {"last_urged_at": {"$lte": cutoff}}]},
                {"$set": {"last_urged_at": now, "last_urge_token": token}, "$inc": {"urge_count": 1, "version": 1}},
                session=session)
            urged = await self.receipts.find({"dispatch_id": dispatch_id, "last_urge_token": token},
                                             session=session).to_list(None)
            if urged:
                await self.log.write_audit(dispatch["sender_unit_id"],
                                           [audit_entry(row, "urge", actor, now, {"message": message})
                                            for row in urged], session)
                clerks = await self.log.clerks_of([row["unit_id"] for row in urged], session)
                data = {"dispatch_id": dispatch_id, "document_id": dispatch["document_id"],
                        "title": dispatch["summary"]["title"], "sender_unit_name": dispatch["sender_unit_name"],
                        "message": message, "by": actor["name"]}
                events = [(clerk, "exchange.urged", {**data, "receipt_id": row["_id"]})
                          for row in urged for clerk in clerks[row["unit_id"]]]
                # The sender's board gets one event for the whole urge, not one per unit.
                watchers = sorted({*dispatch.get("watchers", []), *dispatch.get("root_watchers", [])})
                events += [(user_id, "exchange.urge_sent", {
                    "dispatch_id": dispatch_id, "at": now, "unit_ids": [row["unit_id"] for row in urged]})
                    for user_id in watchers]
                await publish_many(self.mongo, session, events)
            return urged

        urged = await self.mongo.run_transaction(work)
        return {"urged": [row["unit_id"] for row in urged], "refused": refused, "at": now}

    # Internals -----------------------------------------------------------------------------

    def _check_sendable(self, document: dict[str, Any], parent: dict[str, Any] | None) -> None:
        if parent is not None:
            if parent["status"] not in FORWARDABLE_STATUSES:
                raise Conflict("sign for a document before forwarding it", code="receipt_state",
                               receipt_status=parent["status"])
            if parent.get("recall"):
                # Its sender took it back (sent by mistake): the unit keeps its copy but passes it on no further.
                raise Conflict(f"{parent['sender_unit_name']} recalled this document ({parent['recall']['reason']}); "
                               "it is not forwarded", code="recalled")
            return
        if document["status"] not in DISPATCHABLE_STATUSES or not document["content"].get("doc_number"):
            raise Conflict(f"only a signed and numbered document can be dispatched; this one is {document['status']}",
                           code="not_dispatchable", status=document["status"])

    async def _check_forward_reach(self, sender_unit_id: str, unit_ids: list[str]) -> None:
        """转发 reaches only the forwarder's own subtree (with that of the organ it drafts for, so a
        county's 政府办公室 forwards to the county's towns)."""
        sender = await self.orgs.get(sender_unit_id)
        roots = {sender_unit_id, *(sender.get("drafts_for") or [])}
        units = await self.orgs.get_many(unit_ids)
        outside = [unit_id for unit_id in unit_ids
                   if unit_id not in roots and not roots & set(units[unit_id]["ancestors"])]
        if outside:
            names = "、".join(units[unit_id]["name"] for unit_id in outside[:5])
            raise Forbidden(f"转发 reaches only units under {sender['name']}; {len(outside)} chosen units are "
                            f"outside it ({names}{'…' if len(outside) > 5 else ''})",
                            code="forward_outside_subtree", units=outside[:100])

    async def _roles(self, main: list[dict[str, Any]], copy: list[dict[str, Any]],
                     handling: dict[str, Any] | None, sender_unit_id: str) -> dict[str, str]:
        """unit id -> main / copy / lead / co; a unit both 主送 and 抄送 is 主送."""
        if handling is not None:
            if main or copy:
                raise InvalidInput("a 会办 names its lead and co units instead of main/copy", field="handling")
            if not isinstance(handling, dict) or set(handling) - {"lead", "co"} or not isinstance(
                    handling.get("lead"), str) or not isinstance(handling.get("co", []), list):
                raise InvalidInput("handling must be {'lead': unit id, 'co': [unit ids]}", field="handling")
            lead = await self.recipients.resolve([{"unit": handling["lead"]}], "handling.lead")
            co = await self.recipients.resolve([{"unit": unit} for unit in handling.get("co", [])], "handling.co")
            return {**{unit: "co" for unit in co if unit not in lead}, lead[0]: "lead"}
        main_units = await self.recipients.resolve(main, "main", for_unit=sender_unit_id)
        copy_units = await self.recipients.resolve(copy, "copy", for_unit=sender_unit_id)
        roles = {unit: "copy" for unit in copy_units}
        roles.update({unit: "main" for unit in main_units})
        return roles

    async def _already_sent(self, document_id: str, sender_unit_id: str, unit_ids: list[str]) -> set[str]:
        rows = self.receipts.find({"document_id": document_id, "sender_unit_id": sender_unit_id,
                                   "status": {"$nin": GONE}}, {"unit_id": 1})
        wanted = set(unit_ids)
        return {row["unit_id"] async for row in rows if row["unit_id"] in wanted}

    async def _new_dispatch(self, document: dict[str, Any], sender_unit_id: str, user: dict[str, Any],
                            targets: dict[str, str], parent: dict[str, Any] | None, request: dict[str, Any],
                            idempotency_key: str, reply_to: str | None) -> dict[str, Any]:
        now = self.clock()
        sender = await self.orgs.get(sender_unit_id)
        content = document["content"]
        urgency = content.get("urgency") or ""
        calendar = await self.calendars.load()
        watchers = {user["_id"], *(await self.log.clerks_of([sender_unit_id]))[sender_unit_id]}
        root_watchers: list[str] = []
        if parent is not None:
            root = await self.get(parent["root_dispatch_id"])
            root_watchers = sorted({*root["watchers"], *root.get("root_watchers", [])})
        dispatch_id = new_dispatch_id()
        return {
            "_id": dispatch_id, "schema_version": SCHEMA_VERSION, "status": "delivering",
            "document_id": document["_id"], "sender_unit_id": sender_unit_id, "sender_unit_name": sender["name"],
            "sender_unit_path": [*sender["ancestors"], sender_unit_id], "by": author_of(user, sender_unit_id),
            "idempotency_key": idempotency_key, "fingerprint": fingerprint(request),
            "kind": "forward" if parent else "reply" if reply_to else "handling" if request["handling"] else "send",
            "note": request["note"], "reply_to": reply_to,
            "summary": {"title": content.get("title", ""), "doc_number": content.get("doc_number"),
                        "doc_type": content.get("doc_type"), "urgency": urgency,
                        # 发文机关: whose document it is (the sending unit may be the office that drafts for it).
                        "issuer_name": "、".join(issuer["name"] for issuer in content.get("issuers", []))},
            "recipients": [{"unit_id": unit_id, "role": role} for unit_id, role in targets.items()],
            "total": len(targets),
            "root_dispatch_id": parent["root_dispatch_id"] if parent else dispatch_id,
            "parent_receipt_id": parent["_id"] if parent else None, "depth": parent["depth"] + 1 if parent else 0,
            "watchers": sorted(watchers), "root_watchers": root_watchers,
            "due_at": calendar.due_at(now, SIGN_FOR_DEADLINES.get(urgency, SIGN_FOR_DEADLINES[""])),
            "created_at": now, "delivered_at": None,
        }

    async def _replay(self, existing: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """The same idempotency key again: the same request finishes (or returns) the first; another is refused."""
        if existing["fingerprint"] != fingerprint(request):
            raise Conflict("this idempotency key was already used for a different dispatch",
                           code="idempotency_key_reused", dispatch_id=existing["_id"])
        return await self.deliver(existing["_id"])

    async def _finish(self, dispatch: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()

        async def work(session: Session) -> dict[str, Any]:
            await self.dispatches.update_one({"_id": dispatch["_id"], "status": "delivering"},
                                             {"$set": {"status": "delivered", "delivered_at": now}}, session=session)
            done = await self.dispatches.find_one({"_id": dispatch["_id"]}, session=session)
            done["counts"] = await self.log.counts.of(done["_id"], session)
            watchers = sorted({*done["watchers"], *done.get("root_watchers", [])})
            await publish_many(self.mongo, session, [(user_id, "exchange.delivered", {
                "dispatch_id": done["_id"], "root_dispatch_id": done["root_dispatch_id"],
                "document_id": done["document_id"], "total": done["total"], "counts": done["counts"]})
                for user_id in watchers])
            return done

        done = await self.mongo.run_transaction(work)
        if done["kind"] != "forward":  # a forward sends on another unit's document
            await self.documents.mark_issued(done["document_id"])
        return done
