"""Visible watermarks naming the viewer: a photograph of a screen or a forwarded copy can be traced.

Every preview a person sees (page images, the HTML text version) and every copy they download (PDF, .docx)
carries their name, unit and the time, repeated diagonally in light grey over the whole page. The clean
renditions stay cached as they are and are marked on the way out, so one person's copy never lands in
another's cache. The signed, issued PDF in the object store is never touched: a watermarked copy is a new
file (the original plus an incremental update drawing the mark), and the issuing unit's clerks and
archivists may still take the original itself (see `flows/access.py`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont

from oa.clock import CHINA
from oa.rendering.fonts import LAST_RESORT

INK = (110, 110, 110)
ALPHA = 72  # of 255: readable in a photograph, light enough to read the document through
ANGLE = 30  # degrees, rising to the right
# The mark is drawn once for a page of this size (A4 at about 72 dpi ×1.5) and scaled to each page.
TILE_WIDTH, TILE_HEIGHT = 893, 1263


@dataclass(frozen=True)
class Viewer:
    """Who is looking, as the mark names them."""

    name: str
    unit: str | None
    at: datetime

    def lines(self) -> tuple[str, str]:
        who = f"{self.name}（{self.unit}）" if self.unit else self.name
        return who, self.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")

    def text(self) -> str:
        return " ".join(self.lines())


@lru_cache(maxsize=4)
def cjk_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A CJK face at `size` px (the PDF's last-resort faces), for marks drawn on images: watermarks, 归档章."""
    for path, _ in LAST_RESORT:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


@lru_cache(maxsize=32)
def mark_alpha(lines: tuple[str, ...], width: int = TILE_WIDTH, height: int = TILE_HEIGHT) -> Image.Image:
    """The mark's coverage (mode L, 0 to ALPHA) over a `width`×`height` page: the lines repeated diagonally.
    Cached by text and size: the time in the mark moves by the minute, so a page read again reuses it."""
    font = cjk_font(max(14, width // 30))
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    spans = [probe.textbbox((0, 0), line, font=font) for line in lines]
    block_w = max(box[2] - box[0] for box in spans)
    line_h = max(box[3] - box[1] for box in spans) * 1.4
    block = Image.new("L", (int(block_w) + 8, int(line_h * len(lines)) + 8), 0)
    draw = ImageDraw.Draw(block)
    for n, line in enumerate(lines):
        draw.text((4, 4 + n * line_h), line, font=font, fill=ALPHA)
    block = block.rotate(ANGLE, expand=True, resample=Image.Resampling.BICUBIC)
    alpha = Image.new("L", (width, height), 0)
    step_x, step_y = int(block.width * 1.25), int(block.height * 1.1)
    for row, y in enumerate(range(-step_y // 2, height, step_y)):
        for x in range(-step_x + (row % 2) * step_x // 2, width, step_x):
            alpha.paste(block, (x, y), block)  # the block is its own mask: overlaps keep the darker stroke
    return alpha


def mark_png(png: bytes, viewer: Viewer) -> bytes:
    """A page image with the viewer's mark over it."""
    with Image.open(BytesIO(png)) as opened:
        page = opened.convert("RGB")
    page.paste(INK, mask=mark_alpha(viewer.lines(), *page.size))  # grey ink blended by the mark's coverage
    out = BytesIO()
    page.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def mark_pdf(pdf: bytes, viewer: Viewer) -> bytes:
    """A copy of the PDF with the viewer's mark drawn over every page (an incremental update: the original's
    bytes come first, unchanged, and its signatures then say the file was changed after signing).

    The mark is a 1-bit stencil painted in grey at the mark's opacity: small, and quick to write."""
    from pyhanko.pdf_utils import generic  # imported on first use: see oa/seals/pyhanko_imports.py
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    stencil = mark_alpha(viewer.lines()).point(lambda a: 255 if a else 0).convert("1")
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    name, state = generic.NameObject("/OAViewerMark"), generic.NameObject("/OAViewerMarkGS")
    image = generic.StreamObject({
        generic.NameObject("/Type"): generic.NameObject("/XObject"),
        generic.NameObject("/Subtype"): generic.NameObject("/Image"),
        generic.NameObject("/Width"): generic.NumberObject(stencil.width),
        generic.NameObject("/Height"): generic.NumberObject(stencil.height),
        generic.NameObject("/ImageMask"): generic.BooleanObject(True),
        generic.NameObject("/BitsPerComponent"): generic.NumberObject(1),
        # Pillow's 1 bits are the mark; a stencil paints its 0 samples unless decoded the other way round.
        generic.NameObject("/Decode"): generic.ArrayObject([generic.NumberObject(1), generic.NumberObject(0)]),
    }, stream_data=stencil.tobytes())
    image.compress()
    image_ref = writer.add_object(image)
    opacity = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/ExtGState"),
        generic.NameObject("/ca"): generic.FloatObject(round(ALPHA / 255, 3))}))
    grey = " ".join(f"{channel / 255:.3f}" for channel in INK)
    count = int(writer.root["/Pages"]["/Count"])
    for index in range(count):
        page_ref = writer.find_page_for_modification(index)[0]
        box = [float(v) for v in page_ref.get_object()["/MediaBox"]]
        width, height = box[2] - box[0], box[3] - box[1]
        drawing = f"q {state} gs {grey} rg {width:.2f} 0 0 {height:.2f} {box[0]:.2f} {box[1]:.2f} cm {name} Do Q"
        stream = writer.add_object(generic.StreamObject(stream_data=drawing.encode()))
        resources = generic.DictionaryObject({
            generic.NameObject("/XObject"): generic.DictionaryObject({name: image_ref}),
            generic.NameObject("/ExtGState"): generic.DictionaryObject({state: opacity})})
        writer.add_stream_to_page(index, stream, resources)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def mark_html(page: str, viewer: Viewer) -> str:
    """The HTML preview with a fixed layer of the mark over it (an SVG pattern; no script)."""
    who, at = (html.escape(line) for line in viewer.lines())
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='360' height='220'>"
           f"<g transform='rotate(-{ANGLE} 180 110)' fill='rgb{INK}' fill-opacity='{ALPHA / 255:.2f}' "
           f"font-size='15' font-family='sans-serif' text-anchor='middle'>"
           f"<text x='180' y='105'>{who}</text><text x='180' y='127'>{at}</text></g></svg>")
    layer = (f'<div class="viewer-mark" aria-hidden="true" style="position:fixed;inset:0;pointer-events:none;'
             f'z-index:2147483647;background-image:url(&quot;data:image/svg+xml,{quote(svg)}&quot;)"></div>')
    at_end = page.rfind("</body>")
    return page[:at_end] + layer + page[at_end:] if at_end >= 0 else page + layer
