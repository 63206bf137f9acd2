"""公文 rendering: GB/T 9704-2012 .docx and PDF, the .docx's conformance checker and a phone-sized HTML preview.

Pure and synchronous (callers run it in an executor); python-docx stays inside docx_render and checker, the PDF
is typeset (typeset.py) and written (pdf_writer.py) without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from docx import Document

from oa.rendering.checker import Deviation, check_docx
from oa.rendering.docx_render import render_docx
from oa.rendering.page_model import TypesetDocument
from oa.rendering.pdf_writer import write_pdf
from oa.rendering.preview import render_preview_html
from oa.rendering.seal_docx import press_seals
from oa.rendering.typeset import typeset


def render_pdf(content: dict[str, Any], seals: Mapping[str, bytes] | None = None) -> tuple[bytes, TypesetDocument]:
    """The PDF of a (validated) content dict, each issuing organ's seal drawn where `seals` has its image; the
    typeset pages come back too (where the seals went, for signing)."""
    pages = typeset(content)
    return write_pdf(pages, seals), pages


def render_sealed_docx(content: dict[str, Any], seals: Mapping[str, bytes]) -> bytes:
    """The .docx with each signing organ's seal image floating where the PDF presses it."""
    data = render_docx(content)
    if not seals:
        return data
    document = Document(BytesIO(data))
    press_seals(document, typeset(content).seal_spots, seals)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


__all__ = ["Deviation", "TypesetDocument", "check_docx", "render_docx", "render_pdf", "render_preview_html",
           "render_sealed_docx"]
