"""The issuing organs' seals pressed on a .docx: each a picture floating over the page where the PDF has it.

The typesetter (typeset.py) says where each seal goes, in mm from the page's top-left corner; the .docx
breaks its pages where the typesetter does (pagination.py), so each seal is anchored to the 署名
paragraph of its row and placed relative to the page, over the text ("浮于文字上方", no wrapping),
42 mm wide. python-docx writes pictures inline only; the inline drawing it makes is turned into an
anchored one here (DrawingML wp:anchor, ECMA-376 part 1, 20.4.2.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO

from docx.document import Document as DocumentObject
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm

from oa.rendering import layout as L
from oa.rendering.page_model import SealImage

EMU_PER_MM = 36000
# The lines seals are pressed on: the 署名 rows, and an order's 签发人 line with its 签名章.
PRESSED_STYLES = (L.ELEMENTS["署名"].style, L.ELEMENTS["签发人签名章"].style)


def _anchor(extent: str, graphic: str, doc_pr: str, spot: SealImage, z: int) -> str:
    half = spot.diameter_mm / 2
    x, y = round((spot.centre_x_mm - half) * EMU_PER_MM), round((spot.centre_y_mm - half) * EMU_PER_MM)
    return (
        f'<wp:anchor {nsdecls("wp", "a", "pic", "r")} distT="0" distB="0" distL="0" distR="0" simplePos="0" '
        f'relativeHeight="{251659264 + z}" behindDoc="0" locked="1" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="page"><wp:posOffset>{x}</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="page"><wp:posOffset>{y}</wp:posOffset></wp:positionV>'
        f'{extent}<wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>{doc_pr}'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
        f'{graphic}</wp:anchor>')


def press_seals(document: DocumentObject, spots: list[tuple[int, SealImage]], images: Mapping[str, bytes]) -> int:
    """Float each spot's seal image over its 署名 row (spots in 署名 order, rows top to bottom); returns how many."""
    from lxml import etree

    rows = [p for p in document.paragraphs if p.style is not None and p.style.name in PRESSED_STYLES]
    pressed = 0
    row_index, last_place = -1, None
    for page, spot in spots:
        if spot.image_key not in images:
            continue
        if (page, spot.centre_y_mm) != last_place:  # seals of one row share page and height; else the next row
            row_index, last_place = row_index + 1, (page, spot.centre_y_mm)
        if row_index >= len(rows):
            break
        run = rows[row_index].add_run()
        run.add_picture(BytesIO(images[spot.image_key]), width=Mm(spot.diameter_mm), height=Mm(spot.diameter_mm))
        inline = run._r.find(qn("w:drawing")).find(qn("wp:inline"))
        parts = {child.tag: etree.tostring(child).decode() for child in inline}
        anchor = parse_xml(_anchor(parts[qn("wp:extent")], parts[qn("a:graphic")], parts[qn("wp:docPr")], spot,
                                   pressed))
        inline.getparent().replace(inline, anchor)
        pressed += 1
    return pressed
