"""Handwritten 批示 drawn over a page of the document: a transparent PNG layer kept with the opinion.

The leader draws with a finger over the page image on the phone; the layer is stored in the object store
(content-addressed, like hand signatures) and the opinion records `{page, key, sha256}`, so the timeline
and the issued record's view can lay it over the very page it was drawn on. The document itself is never
changed. Checked here: a PNG of sensible size and shape, for a page the document has.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from io import BytesIO
from typing import Any

from PIL import Image, UnidentifiedImageError

from oa.document_output import pdf_page_count, shown_pdf
from oa.documents import DocumentService
from oa.errors import InvalidInput, NotFound, PayloadTooLarge
from storage.blobs import MinioBlobStore

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_ANNOTATION_BYTES = 1024 * 1024
MIN_SIDE, MAX_SIDE = 100, 2400
KEYS = {"page", "image"}
FIELD = "annotation"


class AnnotationStore:
    def __init__(self, blobs: MinioBlobStore, documents: DocumentService) -> None:
        self.blobs = blobs
        self.documents = documents

    async def save(self, raw: Any, document_id: str) -> dict[str, Any]:
        """Check and store `{page: n, image: "data:image/png;base64,..."}`; returns what the opinion records."""
        if not isinstance(raw, dict) or set(raw) != KEYS:
            raise InvalidInput("annotation must be {page, image}", field=FIELD)
        page, data_url = raw["page"], raw["image"]
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise InvalidInput("annotation.page must be a page number from 1", field=f"{FIELD}.page")
        data = decode_png(data_url)
        width, height = png_size(data)
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise InvalidInput(f"the drawing is {width}×{height} px; each side must be {MIN_SIDE}–{MAX_SIDE} px",
                               field=f"{FIELD}.image")
        document = await self.documents.find(document_id)
        if document is None:
            raise NotFound(f"document {document_id} not found")
        pdf, _ = await shown_pdf(document, self.blobs)
        pages = await pdf_page_count(pdf)
        if page > pages:
            raise InvalidInput(f"the document has {pages} pages, not {page}", field=f"{FIELD}.page")
        sha256 = hashlib.sha256(data).hexdigest()
        key = f"annotations/{sha256}.png"
        await self.blobs.put_bytes(key, data, "image/png")
        return {"page": page, "key": key, "sha256": sha256, "width": width, "height": height}

    async def read(self, key: str) -> bytes:
        if not key.startswith("annotations/"):
            raise InvalidInput("not an annotation key", field="key")
        return await self.blobs.get(key)


def decode_png(data_url: Any) -> bytes:
    if not isinstance(data_url, str) or not data_url.startswith(DATA_URL_PREFIX):
        raise InvalidInput("annotation.image must be a PNG data URL (data:image/png;base64,...)",
                           field=f"{FIELD}.image")
    encoded = data_url[len(DATA_URL_PREFIX):]
    if len(encoded) > MAX_ANNOTATION_BYTES * 4 // 3 + 4:
        raise PayloadTooLarge(f"a drawing over a page is at most {MAX_ANNOTATION_BYTES // 1024} KB")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("annotation.image is not valid base64", field=f"{FIELD}.image") from None


def png_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(BytesIO(data)) as image:
            if image.format != "PNG":
                raise InvalidInput("annotation.image is not a PNG image", field=f"{FIELD}.image")
            image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput("annotation.image is not a readable PNG image", field=f"{FIELD}.image") from None
