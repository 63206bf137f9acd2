"""Documents (公文): drafting with optimistic concurrency, a kept revision for every save, numbering.

A document's content (the elements a reader sees) lives under `content`; around it sit the
drafting unit, the status and the version. Every write is a named action that compares and sets
the version and stores the new revision in the same transaction, so a stale edit overwrites
nothing and no revision is ever missing or doubled.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from oa.clock import utcnow
from oa.direction import derive_direction
from oa.doc_types import DocTypeService
from oa.document_fields import EMPTY_CONTENT, apply_fields, clean_content, completeness_problems
from oa.document_migration import MIGRATION_ID, Report, UnitIndex, plan_document
from oa.errors import Conflict, InvalidInput, NotFound, StaleVersion
from oa.issuers import check_external_issuers, check_issuers, check_marks, check_numberable, mark_of
from oa.numbering import DocNumber, NumberService, series_code, written_date_at_numbering
from oa.orgs import OrgService
from oa.recipients import RecipientService, check_selectors
from oa.redline import redline
from storage.mongo import SCHEMA_VERSION, Mongo, Session

# draft: editable by its unit. The approval flow (issue 4) moves documents on from here.
# received: a paper document registered from its scan; it is the receiving unit's record, never edited.
STATUSES = ("draft", "reviewing", "signed", "numbered", "issued", "withdrawn", "received")
EDITABLE_STATUSES = ("draft",)
# Until the flow engine drives it, a draft may be numbered directly; the flow's 编号 step will.
NUMBERABLE_STATUSES = ("draft", "signed")
# Types laid out as a letter (信函格式): the organ mark is the organ's name, without 文件.
LETTER_TYPES = ("函", "便函", "会办意见")
PAPER_SCAN_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff")


def check_not_filed(document: dict[str, Any]) -> None:
    """An archived document is the archive's record: neither it nor its attachments change any more."""
    filed = document.get("filed_in") or []
    if filed:
        codes = "、".join(entry["archival_code"] for entry in filed)
        raise Conflict(f"该公文已归档（档号 {codes}），不能再修改、删除或更换附件", code="archived",
                       archival_codes=[entry["archival_code"] for entry in filed])


def new_document_id() -> str:
    return f"doc-{secrets.token_hex(8)}"


def author_of(user: dict[str, Any], unit_id: str) -> dict[str, Any]:
    """Who wrote, in which post: the audit identity stored with each revision."""
    post = next((p for p in user.get("posts", []) if p.get("unit_id") == unit_id and p.get("active")), None)
    return {"user_id": user["_id"], "name": user.get("display_name") or user["_id"], "unit_id": unit_id,
            "post": post["title"] if post else None}


class DocumentService:
    def __init__(self, mongo: Mongo, orgs: OrgService, doc_types: DocTypeService, numbers: NumberService,
                 recipients: RecipientService) -> None:
        self.mongo = mongo
        self.orgs = orgs
        self.recipients = recipients
        self.doc_types = doc_types
        self.numbers = numbers
        self.documents = mongo["documents"]
        self.revisions = mongo["document_revisions"]

    async def get(self, doc_id: str) -> dict[str, Any]:
        document = await self.documents.find_one({"_id": doc_id})
        if document is None:
            raise NotFound(f"document {doc_id} not found")
        return document

    async def find(self, doc_id: str) -> dict[str, Any] | None:
        return await self.documents.find_one({"_id": doc_id})

    async def find_many(self, doc_ids: list[str]) -> list[dict[str, Any]]:
        return await self.documents.find({"_id": {"$in": doc_ids}}).to_list(None)

    async def every_document(self, batch: int) -> AsyncIterator[list[dict[str, Any]]]:
        """Every document, `batch` at a time, from one cursor (for rebuilding read models such as search:
        one pass over the collection, not a query per page)."""
        chunk: list[dict[str, Any]] = []
        async for document in self.documents.find({}, batch_size=batch):
            chunk.append(document)
            if len(chunk) >= batch:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    async def list(self, unit_ids: list[str], *, doc_type: str | None = None, status: str | None = None,
                   text: str | None = None, created_from: datetime | None = None,
                   created_to: datetime | None = None, offset: int = 0, limit: int = 50,
                   ) -> tuple[list[dict[str, Any]], int]:
        """Documents drafted by `unit_ids`, newest change first."""
        query: dict[str, Any] = {"drafting_unit_id": {"$in": unit_ids}}
        if doc_type:
            query["content.doc_type"] = doc_type
        if status:
            if status not in STATUSES:
                raise InvalidInput(f"status must be one of {', '.join(STATUSES)} (got {status!r})")
            query["status"] = status
        if text:
            query["content.title"] = {"$regex": re.escape(text.strip())}
        if created_from or created_to:
            query["created_at"] = {**({"$gte": created_from} if created_from else {}),
                                   **({"$lt": created_to} if created_to else {})}
        total = await self.documents.count_documents(query)
        cursor = self.documents.find(query, {"content.body": 0}).sort([("updated_at", -1), ("_id", 1)])
        return await cursor.skip(offset).limit(limit).to_list(None), total

    # Actions ------------------------------------------------------------------------------

    async def do_create(self, unit_id: str, fields: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        unit = await self.orgs.get(unit_id)
        if unit["status"] != "active":
            raise InvalidInput(f"unit {unit_id} is dissolved and cannot draft documents")
        cleaned = clean_content(fields)
        if not cleaned.get("doc_type"):
            # 文种 decides the layout, the direction and what the draft must contain: the clerk picks it.
            raise InvalidInput("choose the 文种 (doc_type) of the document", code="invalid_document",
                               field="doc_type", problems=["doc_type is required"])
        content = apply_fields(EMPTY_CONTENT, cleaned)
        if not fields.get("issuers"):
            content["issuers"] = [{"unit_id": unit_id, "name": "", "mark": "", "code": ""}]
        content = await self._complete(content, unit, direction_given="direction" in fields and fields["direction"],
                                       issuers_given=bool(fields.get("issuers")))
        now = utcnow()
        document = {
            "_id": new_document_id(), "schema_version": SCHEMA_VERSION, "version": 1, "status": "draft",
            "drafting_unit_id": unit_id, "drafting_unit_path": [*unit["ancestors"], unit_id],
            "created_by": user["_id"], "created_at": now, "updated_by": user["_id"], "updated_at": now,
            "content": content,
        }

        async def work(session: Session) -> dict[str, Any]:
            await self.documents.insert_one(document, session=session)
            await self._save_revision(document, author_of(user, unit_id), "create", session)
            return document

        return await self.mongo.run_transaction(work)

    async def do_update(self, doc_id: str, version: int, fields: dict[str, Any],
                        user: dict[str, Any]) -> dict[str, Any]:
        cleaned = clean_content(fields)

        def change(document: dict[str, Any]) -> dict[str, Any]:
            return apply_fields(document["content"], cleaned)

        async def complete(content: dict[str, Any], unit: dict[str, Any]) -> dict[str, Any]:
            given = fields["direction"] is not None if "direction" in fields else content["direction_set"]
            return await self._complete(content, unit, direction_given=given, issuers_given="issuers" in fields)

        return await self._write(doc_id, version, user, "edit", change, complete)

    async def do_attach(self, doc_id: str, version: int | None, attachment: dict[str, Any],
                        user: dict[str, Any]) -> dict[str, Any]:
        def change(document: dict[str, Any]) -> dict[str, Any]:
            return {**document["content"], "attachments": [*document["content"]["attachments"], attachment]}

        return await self._write(doc_id, version, user, "attach", change)

    async def do_detach(self, doc_id: str, attachment_id: str, version: int | None,
                        user: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Remove an attachment from a draft; returns the document and the removed attachment."""
        removed: dict[str, Any] = {}

        def change(document: dict[str, Any]) -> dict[str, Any]:
            items = document["content"]["attachments"]
            found = next((item for item in items if item["id"] == attachment_id), None)
            if found is None:
                raise NotFound(f"attachment {attachment_id} not found on document {doc_id}")
            removed.update(found)
            return {**document["content"], "attachments": [item for item in items if item["id"] != attachment_id]}

        return await self._write(doc_id, version, user, "detach", change), removed

    async def do_number(self, doc_id: str, version: int, user: dict[str, Any],
                        at: datetime | None = None) -> dict[str, Any]:
        """Give the document the next 发文字号 of its host organ's code."""
        document = await self.get(doc_id)
        self._check_version(document, version)
        if document["content"]["doc_number"]:
            raise Conflict(f"document already has 发文字号 {document['content']['doc_number']}",
                           code="already_numbered")
        if document["status"] not in NUMBERABLE_STATUSES:
            raise Conflict(f"a {document['status']} document cannot be numbered", code="wrong_status",
                           status=document["status"])
        issuers = document["content"]["issuers"]
        units = await self.orgs.get_many(sorted({issuer["unit_id"] for issuer in issuers if issuer.get("unit_id")}))
        lead = units.get(issuers[0].get("unit_id") or "") if issuers else None
        check_numberable(document, await self.orgs.get(document["drafting_unit_id"]), lead)
        check_external_issuers(issuers, await self._namesakes(issuers))
        # The sequence is always the lead issuer's own current 机关代字, its letter series for a 函 (it may
        # have been given or changed since the draft was started), and each red header its organ's own:
        # nothing stored is trusted.
        letter = document["content"]["doc_type"] in LETTER_TYPES
        document["content"] = {**document["content"], "written_date": written_date_at_numbering(document), "issuers": [
            {**issuer, "code": series_code((lead or {}).get("code") or "", document["content"]["doc_type"])
             if index == 0 else "",
             "mark": mark_of(issuer, units.get(issuer.get("unit_id") or ""), letter)}
            for index, issuer in enumerate(issuers)]}
        if problems := completeness_problems(document["content"]):
            raise InvalidInput("the document is not ready for a 发文字号: " + "; ".join(problems),
                               code="incomplete_document", problems=problems)
        author = author_of(user, document["drafting_unit_id"])

        async def attach(session: Session, number: DocNumber) -> dict[str, Any]:
            changes = {"content": {**document["content"], "doc_number": number.text}, "status": "numbered",
                       "number": number.as_record()}
            return await self._store(document, changes, author, "number", session)

        _, updated = await self.numbers.allocate(document["content"]["issuers"][0]["code"], document_id=doc_id,
                                                 by=user["_id"], at=at, attach=attach)
        return updated

    async def do_void_number(self, doc_id: str, version: int, reason: str, user: dict[str, Any]) -> dict[str, Any]:
        """作废 the number of a document not yet sent: the ledger keeps it, the document goes back to draft
        without one and without its co-issuers' consents."""
        document = await self.get(doc_id)
        self._check_version(document, version)
        text = document["content"]["doc_number"]
        if not text:
            raise Conflict("the document has no 发文字号 to void", code="not_numbered")
        if document["status"] == "issued":
            # Sent out, it is what its recipients hold: back in draft it could be rewritten under them.
            raise Conflict("the number of a document already sent cannot be voided: recall it (追回) and issue a "
                           "corrected document instead", code="already_issued", status=document["status"])
        author = author_of(user, document["drafting_unit_id"])
        stored: dict[str, Any] = {}

        async def attach(session: Session, number: DocNumber) -> None:
            # Back in draft, the text may change: the co-issuers' consents were given to the old one.
            changes = {"content": {**document["content"], "doc_number": None}, "status": "draft", "number": None,
                       "consents": {}}
            stored.update(await self._store(document, changes, author, "void_number", session))

        await self.numbers.void(text, reason=reason, by=user["_id"], attach=attach)
        return stored

    async def do_receive_paper(self, doc_id: str, version: int, origin: dict[str, Any], user: dict[str, Any],
                               attach: Callable[[Session, dict[str, Any]], Awaitable[Any]]) -> dict[str, Any]:
        """A draft holding a paper document's scan becomes that received document (status received).

        `attach(session, document)` writes the receiving side's record in the same transaction.
        """
        document = await self.get(doc_id)
        self._check_version(document, version)
        if document["status"] != "draft":
            raise Conflict(f"only a draft holding the scan can be registered as paper; this one is "
                           f"{document['status']}", code="not_a_draft", status=document["status"])
        scans = [item for item in document["content"]["attachments"] if item.get("file")]
        if not scans or not all(item["file"]["content_type"] in PAPER_SCAN_TYPES for item in scans):
            raise InvalidInput("attach the scan first: a PDF or an image (PNG, JPEG, TIFF)", code="scan_required")
        author = author_of(user, document["drafting_unit_id"])

        async def work(session: Session) -> dict[str, Any]:
            stored = await self._store(document, {"status": "received", "origin": origin}, author,
                                       "receive_paper", session)
            await attach(session, stored)
            return stored

        return await self.mongo.run_transaction(work)

    async def record_rendition(self, doc_id: str, rendition: dict[str, Any]) -> None:
        """Note the official .docx stored for the document as it is now (the flow's 生成正式文件 step)."""
        document = await self.get(doc_id)
        await self.documents.update_one({"_id": doc_id, "version": document["version"]}, {"$set": {"rendition": {
            **rendition, "document_version": document["version"], "at": utcnow()}}})

    async def record_issued_pdf(self, doc_id: str, version: int, issued: dict[str, Any]) -> None:
        """Note the sealed, signed PDF stored for the document at `version` (the flow's 生成正式文件 step): it is
        what readers see from then on, unless the text changes again."""
        await self.documents.update_one({"_id": doc_id, "version": version, "filed_in": {"$exists": False}},
                                        {"$set": {"issued_pdf": {
            **issued, "document_version": version, "at": utcnow()}}})

    async def mark_issued(self, doc_id: str) -> None:
        """分发 done: the numbered document is out. (Delivery to the recipients is the exchange's job.)"""
        await self.documents.update_one({"_id": doc_id, "status": "numbered"},
                                        {"$set": {"status": "issued", "issued_at": utcnow()}, "$inc": {"version": 1}})

    async def mark_archived(self, doc_id: str, unit_id: str) -> None:
        """The unit's flow on the document ended at its 归档 step: it is ready for the unit's archivist."""
        await self.documents.update_one({"_id": doc_id}, {"$addToSet": {"archived_by": unit_id}})

    async def mark_filed(self, doc_id: str, unit_id: str, archive_id: str, archival_code: str) -> None:
        """The unit's archivist accepted the document into the archive (oa/archives): from now on every write
        to it is refused (`check_not_filed`). Run again after a stop, it adds nothing."""
        entry = {"unit_id": unit_id, "archive_id": archive_id, "archival_code": archival_code}
        await self.documents.update_one({"_id": doc_id, "filed_in.archive_id": {"$ne": archive_id}},
                                        {"$push": {"filed_in": entry}})

    async def migrate_free_text_organs(self) -> Report | None:
        """Once per database: free-text issuers and recipients become units or marked external names
        (oa/document_migration.py); each changed document keeps a revision saying so."""
        migrations = self.mongo["migrations"]
        if await migrations.find_one({"_id": MIGRATION_ID}) is not None:
            return None
        units = await self.orgs.every_unit({"name": 1, "code": 1, "status": 1, "drafts_for": 1})
        index, by_id = UnitIndex.of(units), {unit["_id"]: unit for unit in units}
        report = Report()
        async for document in self.documents.find({}, {"content.body": 0}):
            drafting_unit_id = document.get("drafting_unit_id")
            drafting = by_id.get(drafting_unit_id) or {"_id": drafting_unit_id}
            content = plan_document(document, drafting, index, report)
            if content is None:
                continue
            full = await self.documents.find_one({"_id": document["_id"]})
            stored = full["content"] if isinstance(full.get("content"), dict) else {}
            content = {**stored, **{key: content[key] for key in ("issuers", "main_to", "copy_to")}}
            author = {"user_id": "system", "name": "系统（数据迁移）", "unit_id": drafting_unit_id, "post": None}

            async def work(session: Session, full: dict[str, Any] = full, content: dict[str, Any] = content,
                           author: dict[str, Any] = author) -> None:
                await self._store(full, {"content": content}, author, "migrate", session)

            await self.mongo.run_transaction(work)
        await migrations.insert_one({"_id": MIGRATION_ID, "at": utcnow(), "documents": report.documents,
                                     "matched": len(report.matched), "external": len(report.external)})
        return report

    # Revisions ----------------------------------------------------------------------------

    async def revision_list(self, doc_id: str) -> list[dict[str, Any]]:
        return await self.revisions.find({"document_id": doc_id}, {"content": 0}).sort("version", 1).to_list(None)

    async def revision(self, doc_id: str, version: int) -> dict[str, Any]:
        found = await self.revisions.find_one({"document_id": doc_id, "version": version})
        if found is None:
            raise NotFound(f"document {doc_id} has no revision {version}")
        return found

    async def diff(self, doc_id: str, from_version: int, to_version: int) -> dict[str, Any]:
        if from_version > to_version:
            raise InvalidInput(f"from ({from_version}) must not be after to ({to_version})")
        found = await self.revisions.find(
            {"document_id": doc_id, "version": {"$gte": from_version, "$lte": to_version}}).sort("version", 1
                                                                                               ).to_list(None)
        versions = [item["version"] for item in found]
        for wanted in (from_version, to_version):
            if wanted not in versions:
                raise NotFound(f"document {doc_id} has no revision {wanted}")
        return redline(found)

    # Internals ----------------------------------------------------------------------------

    async def _complete(self, content: dict[str, Any], drafting_unit: dict[str, Any],
                        direction_given: bool, issuers_given: bool = False) -> dict[str, Any]:
        """Fill names from the platform's units and groups, check who may issue, derive the direction."""
        doc_type = await self.doc_types.require(content["doc_type"])
        referenced = {entry["unit_id"] for key in ("issuers", "main_to", "copy_to") for entry in content[key]
                      if entry.get("unit_id")}
        units = await self.orgs.get_many(sorted(referenced)) if referenced else {}
        problems = [f"unit {unit_id} does not exist" for unit_id in sorted(referenced - set(units))]
        problems += [f"unit {unit_id} is dissolved" for unit_id in sorted(referenced & set(units))
                     if units[unit_id]["status"] != "active"]
        if problems:
            raise InvalidInput("; ".join(problems), code="unknown_unit", problems=problems)
        check_issuers(drafting_unit, content["issuers"])
        check_external_issuers(content["issuers"], await self._namesakes(content["issuers"]))
        if issuers_given:
            check_marks(content["issuers"], units)
        for key in ("main_to", "copy_to"):
            content[key] = [await self._recipient(entry, units, drafting_unit["_id"]) for entry in content[key]]
        content["issuers"] = [self._issuer(entry, units.get(entry.get("unit_id") or ""), content["doc_type"])
                              for entry in content["issuers"]]
        if not direction_given:
            host = units.get(content["issuers"][0].get("unit_id") or "") if content["issuers"] else None
            recipients = [units[entry["unit_id"]] for entry in content["main_to"] if entry.get("unit_id")]
            content["direction"] = derive_direction(host, recipients, doc_type["direction"])
        content["direction_set"] = bool(direction_given)
        if content["direction"] == "上行" and len(content["main_to"]) > 1:
            raise InvalidInput("a 上行文 (such as a 请示) has exactly one 主送机关; send copies by 抄送",
                               code="invalid_document", field="main_to")
        return content

    async def _recipient(self, entry: dict[str, Any], units: dict[str, dict[str, Any]],
                         drafting_unit_id: str) -> dict[str, Any]:
        """A 主送/抄送 entry with the name it prints as: the unit's, the group's own, or a derived one."""
        if entry.get("external"):
            return entry
        if entry.get("unit_id"):
            return {"unit_id": entry["unit_id"], "name": units[entry["unit_id"]]["name"]}
        selector = {key: value for key, value in entry.items() if key not in ("name", "name_given")}
        check_selectors([selector], "recipient")
        label = await self.recipients.label(selector, drafting_unit_id)
        given = entry.get("name_given") and "group" not in selector
        return {**selector, "name": entry["name"] if given else label, "name_given": bool(given)}

    async def _namesakes(self, issuers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The active units named (or short-named) like one of the external issuers."""
        outside = sorted({entry["name"] for entry in issuers if entry.get("external")})
        if not outside:
            return []
        named, _ = await self.orgs.list(names=outside, limit=len(outside) * 2)
        return named

    @staticmethod
    def _issuer(entry: dict[str, Any], unit: dict[str, Any] | None, doc_type: str) -> dict[str, Any]:
        """A platform issuer takes its name and 机关代字 from its unit; an external one has no code."""
        name = unit["name"] if unit else entry["name"]
        shown = {"unit_id": entry.get("unit_id"), "name": name, "mark": mark_of(entry, unit, doc_type in LETTER_TYPES),
                 "code": (unit.get("code") or "") if unit else ""}
        return {**shown, "external": True} if entry.get("external") else shown

    @staticmethod
    def _check_version(document: dict[str, Any], version: int | None) -> None:
        if version is not None and document["version"] != version:
            raise StaleVersion(f"document {document['_id']} is at version {document['version']}, not {version}; "
                               "reload it and apply your change again", current_version=document["version"])

    async def _write(self, doc_id: str, version: int | None, user: dict[str, Any], action: str,
                     change: Callable[[dict[str, Any]], dict[str, Any]],
                     complete: Callable[[dict[str, Any], dict[str, Any]], Awaitable[dict[str, Any]]] | None = None,
                     ) -> dict[str, Any]:
        """Apply `change` to a draft's content at `version` (None: the current one, for appends)."""
        document = await self.get(doc_id)
        check_not_filed(document)
        self._check_version(document, version)
        if document["status"] not in EDITABLE_STATUSES:
            raise Conflict(f"only a draft can be changed; this document is {document['status']}",
                           code="not_a_draft", status=document["status"])
        content = change(document)
        if complete:
            content = await complete(content, await self.orgs.get(document["drafting_unit_id"]))
        author = author_of(user, document["drafting_unit_id"])

        async def work(session: Session) -> dict[str, Any]:
            return await self._store(document, {"content": content}, author, action, session)

        return await self.mongo.run_transaction(work)

    async def _store(self, document: dict[str, Any], changes: dict[str, Any], author: dict[str, Any], action: str,
                     session: Session) -> dict[str, Any]:
        """Compare-and-set the document at the version it was read at, and keep the new revision."""
        check_not_filed(document)
        now = utcnow()
        updated = await self.mongo.compare_and_set(
            "documents", document["_id"], document["version"],
            {**changes, "updated_by": author["user_id"], "updated_at": now}, session=session)
        if updated is None:
            current = await self.documents.find_one({"_id": document["_id"]}, {"version": 1}, session=session)
            raise StaleVersion(f"document {document['_id']} was changed by someone else meanwhile; reload it",
                               current_version=current["version"] if current else None)
        await self._save_revision(updated, author, action, session)
        return updated

    async def _save_revision(self, document: dict[str, Any], author: dict[str, Any], action: str,
                             session: Session) -> None:
        await self.revisions.insert_one({
            "_id": f"{document['_id']}:{document['version']}", "schema_version": SCHEMA_VERSION,
            "document_id": document["_id"], "version": document["version"], "action": action,
            "by": author, "at": document["updated_at"], "status": document["status"],
            "content": document["content"],
        }, session=session)
