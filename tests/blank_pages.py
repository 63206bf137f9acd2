"""Blank pages as a scanner or a PDF writer makes them, for tests that need real files: a PDF of blank A4
pages (as pypdfium2 writes it) and a photographed page (a white greyscale PNG)."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image


def blank_pdf(pages: int = 1) -> bytes:
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def blank_png(size: tuple[int, int] = (620, 877)) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 255).save(out, "PNG")
    return out.getvalue()
