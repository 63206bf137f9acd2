"""A document's fixed-layout pages: /api/documents/{id}/render.pdf, /pages and /pages/{n}.png.

Whoever may read the document's preview may read these (the drafting unit's readers, people a flow
involves, recipients). Before issue the pages are the current text typeset afresh, without seals; once
issued they are the sealed, signed file itself, so the preview on a phone is the issued document.
Every page image and every PDF handed out carries the viewer's name, unit and the time as a visible
watermark, except the signed original, which the issuing unit's clerks and archivists take unaltered.
"""

from __future__ import annotations

from urllib.parse import quote

from oa.document_output import (
    PDF_TYPE,
    issued_pdf_current,
    marked_pdf,
    marked_png,
    pdf_file_name,
    pdf_page_count,
    pdf_page_png,
    shown_pdf,
)
from oa.errors import InvalidInput, NotFound
from web.api.documents import drafting_unit, takes_part, viewer_of
from web.authz import authorized
from web.base import APIHandler

DEFAULT_WIDTH_PX = 720


class PdfHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str) -> None:
        """The PDF: the signed original to the issuing unit's clerks and archivists once issued; to everyone
        else (and before issue) a copy watermarked with the viewer's name."""
        data, issued = await shown_pdf(self.document, self.services.blobs)
        original = issued and await self.services.access.may_take_original(self.require_user(), self.document)
        if not original:
            data = await marked_pdf(data, viewer_of(self))
        self.set_header("X-OA-Copy", "original" if original else "watermarked")
        self.set_header("Content-Type", PDF_TYPE)
        disposition = "attachment" if self.get_query_argument("download", "") else "inline"
        self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quote(pdf_file_name(self.document))}")
        self.finish(data)


class PagesHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str) -> None:
        data, issued = await shown_pdf(self.document, self.services.blobs)
        record = issued_pdf_current(self.document) if issued else None
        self.send_json({"count": await pdf_page_count(data), "issued": issued, "version": self.document["version"],
                        "sha256": record["sha256"] if record else None})


class PageImageHandler(APIHandler):
    @authorized("document", "read", units=drafting_unit, denied=NotFound, inherit=False, fact=takes_part)
    async def get(self, doc_id: str, number: str) -> None:
        width = self.int_argument("width", DEFAULT_WIDTH_PX)
        if not 100 <= width <= 2000:
            raise InvalidInput("width must be between 100 and 2000 pixels", field="width")
        data, _ = await shown_pdf(self.document, self.services.blobs)
        try:
            image = await pdf_page_png(data, int(number) - 1, width)
        except IndexError:
            raise NotFound(f"the document has no page {number}") from None
        image = await marked_png(image, viewer_of(self))
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "private, no-cache")
        self.finish(image)
