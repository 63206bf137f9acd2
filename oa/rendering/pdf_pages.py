"""Pages of a PDF as PNG images, for previews that show exactly the issued pages.

pypdfium2 (PDFium, Chrome's PDF engine) draws them. PDFium is not safe to call from two threads at
once, and callers run this in an executor, so every use holds one lock; a page at phone width takes
tens of milliseconds.
"""

from __future__ import annotations

import threading
from io import BytesIO

import pypdfium2 as pdfium

from oa.rendering.page_model import PAGE_WIDTH_PT

MAX_WIDTH_PX = 2000
_lock = threading.Lock()


def page_count(pdf: bytes) -> int:
    with _lock:
        document = pdfium.PdfDocument(pdf)
        try:
            return len(document)
        finally:
            document.close()


def page_png(pdf: bytes, index: int, width_px: int) -> bytes:
    """Page `index` (0-based) drawn `width_px` wide; IndexError when there is no such page."""
    width_px = max(100, min(MAX_WIDTH_PX, width_px))
    with _lock:
        document = pdfium.PdfDocument(pdf)
        try:
            if not 0 <= index < len(document):
                raise IndexError(index)
            page = document[index]
            image = page.render(scale=width_px / PAGE_WIDTH_PT, may_draw_forms=True).to_pil()
            page.close()
        finally:
            document.close()
    out = BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=3)
    return out.getvalue()
