"""A stored document as a .docx, a PDF, page images or a phone preview: the rendering package fed off the
event loop.

Rendering is CPU work of milliseconds (PDF) to tens of milliseconds (.docx); it runs in a worker thread so
one clerk's download never stalls everyone else's requests. The PDF shown for a document is its issued,
sealed and signed file once it has one for its current version (`issued_pdf`, kept in the object store),
and otherwise the current text typeset afresh, without seals: what a leader approves is laid out by the
same code, on the same pages, as what is issued. Fresh PDFs are kept for a few documents by version, since
a preview asks for them once per page.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from typing import Any

from oa.document_fields import EMPTY_CONTENT
from oa.rendering import render_docx, render_pdf, render_preview_html, render_sealed_docx
from oa.rendering.forms import ORDER_FORM, resolve_form
from oa.rendering.layout import mm_to_pt
from oa.rendering.page_model import PAGE_HEIGHT_PT, SEAL
from oa.rendering.pdf_pages import page_count, page_png
from oa.rendering.pdf_writer import write_pdf
from oa.rendering.typeset import typeset
from oa.rendering.watermark_docx import mark_docx
from oa.seals import SealPlacement, Seals
from oa.seals.image import draw_name_stamp
from oa.watermark import Viewer, mark_html, mark_pdf, mark_png
from storage.blobs import BlobStore

PDF_TYPE = "application/pdf"
_FRESH_KEPT = 16
_fresh: OrderedDict[tuple[str, int], bytes] = OrderedDict()


def render_input(document: dict[str, Any]) -> dict[str, Any]:
    """The content dict the renderers take: every element present, nothing internal. An order (命令格式) whose
    签发人 was not typed in carries the name of whoever signed it off in the flow, for its 签名章 (10.2)."""
    content = {**EMPTY_CONTENT, **document["content"]}
    content.pop("direction_set", None)
    signed_off = (document.get("signoff") or {}).get("name")
    if signed_off and not content["signers"] and \
            resolve_form(content.get("form"), content["doc_type"], content["doc_number"]) == ORDER_FORM:
        content["signers"] = [signed_off]
    return content


async def docx_bytes(document: dict[str, Any]) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(None, render_docx, render_input(document))


async def preview_html(document: dict[str, Any]) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, render_preview_html, render_input(document))


def docx_file_name(document: dict[str, Any]) -> str:
    content = document["content"]
    stem = content["doc_number"] or content["title"] or document["_id"]
    return f"{stem}.docx".replace("/", "_")


def content_digest(document: dict[str, Any]) -> str:
    """A fingerprint of what the document prints: its version also moves with status changes (issue, archive)."""
    text = json.dumps(render_input(document), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def issued_pdf_current(document: dict[str, Any]) -> dict[str, Any] | None:
    """The issued PDF's record when it was made from the document's text as it is now."""
    issued = document.get("issued_pdf")
    return issued if issued and issued.get("content_sha256") == content_digest(document) else None


async def fresh_pdf(document: dict[str, Any]) -> bytes:
    """The current text typeset as a PDF, without seals."""
    key = (str(document["_id"]), int(document["version"]))
    if key in _fresh:
        _fresh.move_to_end(key)
        return _fresh[key]
    data, _ = await asyncio.get_running_loop().run_in_executor(None, render_pdf, render_input(document))
    _fresh[key] = data
    while len(_fresh) > _FRESH_KEPT:
        _fresh.popitem(last=False)
    return data


async def shown_pdf(document: dict[str, Any], blobs: BlobStore) -> tuple[bytes, bool]:
    """The PDF a reader sees, and whether it is the issued (sealed, signed) one."""
    issued = issued_pdf_current(document)
    if issued:
        return await blobs.get(issued["key"]), True
    return await fresh_pdf(document), False


async def pdf_page_count(pdf: bytes) -> int:
    return await asyncio.get_running_loop().run_in_executor(None, page_count, pdf)


async def pdf_page_png(pdf: bytes, index: int, width_px: int) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(None, page_png, pdf, index, width_px)


async def marked_pdf(pdf: bytes, viewer: Viewer) -> bytes:
    """A viewer's copy of a (cached, clean) PDF with their mark on every page; the original is left as it is."""
    return await asyncio.get_running_loop().run_in_executor(None, mark_pdf, pdf, viewer)


async def marked_png(png: bytes, viewer: Viewer) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(None, mark_png, png, viewer)


async def marked_docx(docx: bytes, viewer: Viewer) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(None, mark_docx, docx, viewer.text())


def marked_html(page: str, viewer: Viewer) -> str:
    return mark_html(page, viewer)


def pdf_file_name(document: dict[str, Any]) -> str:
    return docx_file_name(document).removesuffix(".docx") + ".pdf"


async def sealed_renditions(document: dict[str, Any], seals: Seals) -> tuple[bytes, bytes, list[str]]:
    """The issued .docx and PDF: each organ that signs (署名) has its registered seal over its name (the last also
    over the 成文日期), an order its 签发人's 签名章 on the name, in both; in the PDF each organ also signs the
    file, organ after organ, its signature's box on its seal. Returns the two files and the organs' unit ids."""
    loop = asyncio.get_running_loop()
    content = render_input(document)
    laid = await loop.run_in_executor(None, typeset, content)
    spots = [spot for _, spot in laid.seal_spots if spot.unit_id]
    images: dict[str, bytes] = {}
    for spot in spots:
        if spot.image_key not in images:
            # A 签名章 is drawn from the 签发人's name; there is no register of personal stamps yet.
            images[spot.image_key] = await seals.image_png(spot.unit_id) if spot.kind == SEAL \
                else draw_name_stamp(spot.label).png
    docx = await loop.run_in_executor(None, render_sealed_docx, content, images)
    pdf = await loop.run_in_executor(None, write_pdf, laid, images)
    placements = []
    for page_index, spot in laid.seal_spots:
        if not spot.unit_id:
            continue
        half = mm_to_pt(spot.diameter_mm) / 2
        x, y = mm_to_pt(spot.centre_x_mm), PAGE_HEIGHT_PT - mm_to_pt(spot.centre_y_mm)
        placements.append(SealPlacement(spot.unit_id, page_index, (x - half, y - half, x + half, y + half)))
    reason = f"用印：{content['doc_number'] or content['title']}"
    signed = await seals.seal_pdf(pdf, placements, reason=reason) if placements else pdf
    return docx, signed, list(dict.fromkeys(spot.unit_id for spot in spots))
