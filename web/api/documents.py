"""Documents: /api/documents (draft, edit, list), revisions and diff, numbering, .docx and preview.

A document belongs to its drafting unit: only people holding a post there see it, and everyone
else, an admin of another unit included, gets 404 as if it did not exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from flows.access import Side
from oa.clock import utcnow
from oa.document_fields import EDITABLE
from oa.document_output import docx_bytes, docx_file_name, marked_docx, marked_html, preview_html
from oa.errors import InvalidInput, NotFound
from oa.numbering import parse_doc_number
from oa.watermark import Viewer
from web.authz import authenticated, authorized
from web.base import APIHandler, china_midnight
from web.serialize import page_json, plain
from web.validation import Field, optional, required

CONTENT_SHAPE: dict[str, Field] = {name: optional(str, int, list, dict, nullable=True) for name in EDITABLE}
CREATE_SHAPE = {**CONTENT_SHAPE, "unit_id": optional(str)}
UPDATE_SHAPE = {**CONTENT_SHAPE, "version": required(int)}
VERSION_SHAPE = {"version": required(int)}
VOID_SHAPE = {"version": required(int), "reason": required(str)}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def document_json(document: dict[str, Any]) -> dict[str, Any]:
    shown = plain(document)
    shown.get("content", {}).pop("direction_set", None)
    shown["direction_set"] = document.get("content", {}).get("direction_set", False)
    return shown


def viewer_of(handler: APIHandler) -> Viewer:
    """The person the watermark names: their name, the unit of their primary post, now."""
    user = handler.require_user()
    posts = [post for post in user.get("posts", []) if post.get("active", True)]
    post = next((post for post in posts if post.get("primary")), posts[0] if posts else None)
    unit = handler.services.directory.unit(post["unit_id"]) if post else None
    return Viewer(user.get("display_name") or user.get("username") or user["_id"], unit["name"] if unit else None,
                  utcnow())


async def drafting_unit(handler: APIHandler, doc_id: str, *_: str) -> list[str | None]:
    """The unit a document belongs to, loading it once for the handler."""
    document = await handler.services.documents.find(doc_id)
    if document is None:
        raise NotFound(f"document {doc_id} not found")
    handler.document = document
    return [document["drafting_unit_id"]]


async def readable_drafting_unit(handler: APIHandler, doc_id: str, *_: str) -> list[str | None]:
    """The drafting unit of a document the caller can see; 404 for one they cannot.

    For actions beyond reading: a reader who may not act gets 403, anyone else learns nothing.
    """
    units = await drafting_unit(handler, doc_id)
    user = handler.require_user()
    if not await handler.services.authorizer.allowed(user, "document", "read", units[0], inherit=False) \
            and not await takes_part(handler, doc_id):
        raise NotFound(f"document {doc_id} not found")
    return units


async def takes_part(handler: APIHandler, doc_id: str, *_: str) -> bool:
    """Sees the document from either side though holding no reading role in its drafting unit: a flow
    involves them, or their unit received it (see flows/access.py)."""
    document = getattr(handler, "document", None) or await handler.services.documents.find(doc_id)
    return document is not None and await handler.services.access.side_of(handler.require_user(), document) \
        is not None


async def drafting_participant(handler: APIHandler, doc_id: str, *_: str) -> bool:
    """The drafting history (revisions, redline) is the drafting side's alone: recipients see the issued text."""
    document = getattr(handler, "document", None) or await handler.services.documents.find(doc_id)
    return document is not None and await handler.services.access.side_of(handler.require_user(), document) \
        == Side.DRAFTING


async def unit_of_new_document(handler: APIHandler) -> list[str | None]:
    unit_id = handler.body(CREATE_SHAPE).get("unit_id")
    if unit_id is None:
        user = handler.require_user()
        posts = [post for post in user.get("posts", []) if post.get("active")]
        primary = next((post for post in posts if post.get("primary")), posts[0] if posts else None)
        if primary is None:
            raise InvalidInput("you hold no post; say which unit drafts the document (unit_id)")
        unit_id = primary["unit_id"]
    handler.drafting_unit_id = unit_id
    return [unit_id]


class DocumentsHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """The documents of every unit where the caller may read documents, newest first."""
        offset, limit = self.paging()
        units = await self.services.authorizer.units_allowing(self.require_user(), "document", "read")
        if wanted := self.get_query_argument("unit", None):
            units = [unit for unit in units if unit == wanted]
        since, until = self.date_argument("from"), self.date_argument("to")
        items, total = await self.services.documents.list(
            units, doc_type=self.get_query_argument("type", None) or None,
            status=self.get_query_argument("status", None) or None,
            text=self.search_argument("q"),
            created_from=china_midnight(since) if since else None,
            created_to=china_midnight(until + timedelta(days=1)) if until else None,
            offset=offset, limit=limit)
        self.send_json(page_json([document_json(item) for item in items], total, offset, limit))

    @authorized("document", "draft", units=unit_of_new_document, inherit=False)
    async def post(self) -> None:
        fields = {key: value for key, value in self.body(CREATE_SHAPE).items() if key != "unit_id"}
        document = await self.services.documents.do_create(self.drafting_unit_id, fields, self.require_user())
        self.set_header("Location", f"/api/documents/{document['_id']}")
        self.send_json(document_json(document), status=201)


class DocumentHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str) -> None:
        document, side = await self.services.access.access_document(self.require_user(), doc_id)
        shown = document_json(document)
        if side == Side.RECEIVING:
            # The issued document, not who drafted and reviewed it on the sending side.
            for key in ("participants", "created_by", "updated_by", "consents", "archived_by", "signoff", "filed_in"):
                shown.pop(key, None)
        else:  # the drafting unit's own 档号, not those its recipients filed the document under
            shown["filed_in"] = [entry for entry in shown.get("filed_in") or []
                                 if entry["unit_id"] == document["drafting_unit_id"]]
        shown["side"] = side.value
        self.send_json(shown)

    @authorized("document", "draft", units=readable_drafting_unit, inherit=False)
    async def patch(self, doc_id: str) -> None:
        body = self.body(UPDATE_SHAPE)
        fields = {key: value for key, value in body.items() if key != "version"}
        if not fields:
            raise InvalidInput("nothing to change: send at least one field besides version")
        document = await self.services.documents.do_update(doc_id, body["version"], fields, self.require_user())
        self.send_json(document_json(document))


class RevisionsHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=drafting_participant)
    async def get(self, doc_id: str) -> None:
        revisions = await self.services.documents.revision_list(doc_id)
        self.send_json({"items": [plain(item) for item in revisions], "total": len(revisions)})


class RevisionHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=drafting_participant)
    async def get(self, doc_id: str, version: str) -> None:
        self.send_json(plain(await self.services.documents.revision(doc_id, int(version))))


class DiffHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=drafting_participant)
    async def get(self, doc_id: str) -> None:
        latest = self.document["version"]
        from_version = self.int_argument("from", max(1, latest - 1))
        to_version = self.int_argument("to", latest)
        self.send_json(plain(await self.services.documents.diff(doc_id, from_version, to_version)))


class RenderHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str) -> None:
        data = await marked_docx(await docx_bytes(self.document), viewer_of(self))  # the viewer's watermark
        self.set_header("Content-Type", DOCX_TYPE)
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(docx_file_name(self.document))}")
        self.finish(data)


class PreviewHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str) -> None:
        html = marked_html(await preview_html(self.document), viewer_of(self))
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        # The preview shows user text: no scripts may run in it even if escaping were ever missed.
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
        self.finish(html)


class NumberHandler(APIHandler):
    @authorized("document", "number", units=readable_drafting_unit, inherit=False)
    async def post(self, doc_id: str) -> None:
        body = self.body(VERSION_SHAPE)
        document = await self.services.documents.do_number(doc_id, body["version"], self.require_user())
        self.send_json(document_json(document))


class VoidNumberHandler(APIHandler):
    @authorized("document", "number", units=readable_drafting_unit, inherit=False)
    async def post(self, doc_id: str) -> None:
        body = self.body(VOID_SHAPE)
        document = await self.services.documents.do_void_number(doc_id, body["version"], body["reason"],
                                                                 self.require_user())
        self.send_json(document_json(document))


class DocNumberCheckHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """Is this a well-formed 发文字号, and was it handed out here? (For clerks registering paper.)"""
        text = self.get_query_argument("text", "")
        number = parse_doc_number(text)
        entry = await self.services.numbers.entry(text)
        self.send_json({"code": number.code, "year": number.year, "seq": number.seq, "text": number.text,
                        "status": entry["status"] if entry else None})


class DocTypesHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        types = await self.services.doc_types.all()
        self.send_json({"items": types, "total": len(types)})

    @authorized("doctype", "write")
    async def post(self) -> None:
        body = self.body({"name": required(str), "direction": required(str)})
        added = await self.services.doc_types.add(body["name"], body["direction"], self.require_user()["_id"])
        self.send_json(added, status=201)


class DocumentFlowsHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str) -> None:
        """The flows run on this document, newest first (so a page can follow the current one)."""
        flows = await self.services.access.flows_of_document(self.require_user(), doc_id)
        self.send_json({"items": [plain({key: flow.get(key) for key in (
            "_id", "name", "category", "status", "node", "node_name", "unit_id", "created_at", "ended_at")})
            for flow in flows]})
