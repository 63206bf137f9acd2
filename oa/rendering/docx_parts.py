"""Paragraph and run helpers every part of the .docx renderer writes with (python-docx plus wordml.py).

A paragraph is added in its element's "OA …" style with that element's formatting written on it too, and a run
carries the element's font, size, colour and character spacing itself: Word users restyle runs, not styles, and
the checker reads what a run ends up with.
"""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from oa.rendering import layout as L
from oa.rendering.content import BodyLine
from oa.rendering.wordml import PPR_ORDER, child, format_paragraph, format_run, set_attrs

Container = DocumentObject | _Cell


def add_paragraph(where: Container, element: str, before_lines: float = 0.0, before_twips: int = 0) -> Paragraph:
    spec = L.ELEMENTS[element]
    paragraph = where.add_paragraph(style=spec.style)
    ppr = paragraph._p.get_or_add_pPr()
    format_paragraph(ppr, spec)
    if before_lines or before_twips:
        set_attrs(child(ppr, "spacing", PPR_ORDER), before=before_twips + round(before_lines * L.LINE_PITCH_TWIPS))
    return paragraph


def add_run(paragraph: Paragraph, text: str, element: str, *, font: str | None = None, size_pt: float | None = None,
            char_style: str | None = None) -> None:
    if not text:
        return
    spec = L.ELEMENTS[element]
    run = paragraph.add_run(text, style=char_style)
    format_run(run._r.get_or_add_rPr(), font or spec.font, size_pt or spec.size_pt, spec.color,
               spec.char_spacing_twips)


def text_paragraph(where: Container, element: str, text: str, before_lines: float = 0.0) -> Paragraph:
    paragraph = add_paragraph(where, element, before_lines)
    add_run(paragraph, text, element)
    return paragraph


def tab_stops(paragraph: Paragraph, *stops: tuple[str, int]) -> None:
    """(alignment, position in twips from the left margin) tab stops."""
    tabs = child(paragraph._p.get_or_add_pPr(), "tabs", PPR_ORDER)
    for align, pos in stops:
        tab = OxmlElement("w:tab")
        set_attrs(tab, val=align, pos=pos)
        tabs.append(tab)


def keep_with_next(paragraph: Paragraph) -> None:
    set_attrs(child(paragraph._p.get_or_add_pPr(), "keepNext", PPR_ORDER), val=1)


def body_paragraphs(document: DocumentObject, lines: list[BodyLine], lines_before: int = 0) -> Paragraph | None:
    """The paragraphs of a body (the document's or an attachment's), each heading level in its own style; the first
    `lines_before` lines below what precedes it. Returns the last one."""
    last = None
    for index, line in enumerate(lines):
        element = "正文" if line.level == 0 else L.HEADING_ELEMENTS[line.level]
        last = text_paragraph(document, element, line.full_text, lines_before if index == 0 else 0)
    return last
