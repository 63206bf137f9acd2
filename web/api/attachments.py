"""Attachments: streamed upload to a draft, listing, presigned download, removal while a draft.

The upload body is the raw file (any Content-Type; the server sniffs the real one), its name in
`?name=` (UTF-8, URL-encoded). Permission, the draft status and a declared Content-Length over
the limit are all checked before a single byte of the body is read. A chunked body (no declared
length) is counted as it arrives: past the limit the rest is read and dropped, so the client, which
reads the answer only once it has sent everything, still gets a JSON 413. Past as much again as the
limit (at least DRAIN_BYTES) the 413 is sent at once and the connection closed: a client still
sending then usually sees the connection reset rather than the answer.
"""

from __future__ import annotations

from typing import Any

import tornado.web

from oa.documents import check_not_filed
from oa.errors import Conflict, NotFound, OAError
from web.api.documents import document_json, drafting_unit, readable_drafting_unit, takes_part
from web.authz import authorized
from web.base import APIHandler
from web.serialize import plain

# The least of a too-large chunked body read and dropped before answering 413 without waiting for the end.
DRAIN_BYTES = 64 * 1024 * 1024
# Tornado's own cut-off answers a bare 400, not JSON: the size is counted in data_received instead.
UNBOUNDED = 2**62


@tornado.web.stream_request_body
class AttachmentsHandler(APIHandler):
    upload: Any = None
    upload_error: OAError | None = None
    dropped = 0

    async def prepare(self) -> None:
        if self.request.method == "POST":
            # Whatever is refused below is answered, then the connection closed without reading the body.
            self.request.connection.set_max_body_size(UNBOUNDED)
        await super().prepare()
        if self.request.method != "POST":
            return
        await self.post.authorize(self, *self.path_args)
        check_not_filed(self.document)  # before the upload is read: an archived document takes no attachment
        if self.document["status"] != "draft":
            raise Conflict(f"attachments can only be added to a draft; this document is {self.document['status']}",
                           code="not_a_draft")
        declared = self.request.headers.get("Content-Length")
        attachments = self.services.attachments
        self.upload = attachments.begin(int(declared) if declared and declared.isdigit() else None)

    def data_received(self, chunk: bytes) -> None:
        if self.upload is None:
            return
        if self.upload_error is None:
            try:
                self.upload.feed(chunk)
            except OAError as error:  # too large: drop the rest, answer when the request completes
                self.upload_error = error
            return
        self.dropped += len(chunk)
        if self.dropped > max(self.upload.limit, DRAIN_BYTES) and not self._finished:
            error = self.upload_error
            self.send_error(error.status, exc_info=(type(error), error, None))

    def on_connection_close(self) -> None:
        if self.upload is not None:
            self.upload.discard()
        super().on_connection_close()  # ends the wait for the rest of the body

    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str) -> None:
        items = self.document["content"]["attachments"]
        self.send_json({"items": plain(items), "total": len(items)})

    @authorized("document", "draft", units=readable_drafting_unit, inherit=False)
    async def post(self, doc_id: str) -> None:
        if self.upload_error is not None:
            raise self.upload_error
        document, attachment = await self.services.attachments.do_attach_upload(
            doc_id, self.upload, self.get_query_argument("name", None), self.get_query_argument("title", None),
            self.require_user())
        self.set_header("Location", f"/api/documents/{doc_id}/attachments/{attachment['id']}")
        self.send_json({"attachment": plain(attachment), "document": document_json(document)}, status=201)


class AttachmentHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str, attachment_id: str) -> None:
        """A short-lived presigned URL for the file; `?redirect=1` answers 302 to it instead, `?inline=1` has a PDF
        or an image open in the browser rather than be saved."""
        link = await self.services.attachments.download(self.document, attachment_id, self.bool_argument("inline"))
        if self.bool_argument("redirect"):
            self.redirect(link["url"])
            return
        self.send_json(plain(link))

    @authorized("document", "draft", units=readable_drafting_unit, inherit=False)
    async def delete(self, doc_id: str, attachment_id: str) -> None:
        raw = self.get_query_argument("version", None)
        version = self.int_argument("version", 0) if raw else None
        document = await self.services.attachments.do_remove(doc_id, attachment_id, version, self.require_user())
        self.send_json(document_json(document))
