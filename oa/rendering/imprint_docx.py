"""The 版记 of a .docx (GB/T 9704-2012 7.4): a full-width table floated to the bottom of the text block.

A row for 抄送 and one for 印发机关 ⇥ 印发日期, ruled thick above and below and thin between (the table's borders,
so the checker can read them back); where it lands is decided by the caller from pagination.py's page count: on
the last page when that is even, else on the next page, or behind an unnumbered blank page in a section of its own.
"""

from __future__ import annotations

import copy

from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION_START
from docx.oxml.ns import qn
from docx.shared import Twips

from oa.rendering import layout as L
from oa.rendering.content import Prepared
from oa.rendering.docx_parts import add_run, tab_stops, text_paragraph
from oa.rendering.wordml import PPR_ORDER, TBLPR_ORDER, borders, child, set_attrs


def imprint(document: DocumentObject, doc: Prepared, new_page: bool = False, ruled: bool = True) -> None:
    """版记 (GB/T 9704 7.4): a row for 抄送 and one for 印发机关 ⇥ 印发日期, ruled thick above and below and thin
    between, in a full-width table floated to the bottom of the text block (layout.IMPRINT_TABLE_POSITION)."""
    rows = [(element, text) for element, text in zip(L.IMPRINT_ELEMENTS, (doc.copy_to, doc.printer), strict=True)
            if text]
    table = document.add_table(rows=len(rows), cols=1)
    tbl_pr = table._tbl.tblPr
    set_attrs(child(tbl_pr, "tblpPr", TBLPR_ORDER), **L.IMPRINT_TABLE_POSITION)
    set_attrs(child(tbl_pr, "tblOverlap", TBLPR_ORDER), val="never")
    set_attrs(child(tbl_pr, "tblW", TBLPR_ORDER), w=L.TEXT_WIDTH_TWIPS, type="dxa")
    set_attrs(child(tbl_pr, "tblInd", TBLPR_ORDER), w=0, type="dxa")
    thick, thin = (L.RULE_THICK_SZ, L.RULE_THIN_SZ) if ruled else (None, None)
    borders(child(tbl_pr, "tblBorders", TBLPR_ORDER), {
        "top": thick, "left": None, "bottom": thick, "right": None, "insideH": thin, "insideV": None}, L.BLACK)
    set_attrs(child(tbl_pr, "tblLayout", TBLPR_ORDER), type="fixed")
    # No cell margins: the rules run from edge to edge and the texts' indents count from the block's edge.
    margins = child(tbl_pr, "tblCellMar", TBLPR_ORDER)
    for side in ("top", "left", "bottom", "right"):
        set_attrs(child(margins, side, ("top", "left", "bottom", "right")), w=0, type="dxa")
    table.columns[0].width = Twips(L.TEXT_WIDTH_TWIPS)
    for row, (element, text) in zip(table.rows, rows, strict=True):
        cell = row.cells[0]
        cell.width = Twips(L.TEXT_WIDTH_TWIPS)
        cell._tc.remove(cell.paragraphs[0]._p)  # python-docx puts an empty paragraph in each new cell
        paragraph = text_paragraph(cell, element, text)
        if element == "印发" and doc.printed:
            tab_stops(paragraph, ("right", L.TEXT_WIDTH_TWIPS - L.indent_twips(L.IMPRINT_SIDE_CHARS, L.SIZE_4)))
            add_run(paragraph, "\t" + doc.printed, element)
    anchor = document.add_paragraph()
    set_attrs(child(anchor._p.get_or_add_pPr(), "spacing", PPR_ORDER), before=0, after=0,
              line=L.IMPRINT_ANCHOR_LINE_TWIPS, lineRule="exact")
    if new_page:  # the table floats to the bottom of its anchor's page
        set_attrs(child(anchor._p.get_or_add_pPr(), "pageBreakBefore", PPR_ORDER), val=1)


def imprint_after_a_blank_page(document: DocumentObject) -> None:
    """End the text's section on its last paragraph and put the 版记 in a section of its own, after a blank page,
    neither numbered (GB/T 9704 7.5: "版记页前有空白页的，空白页和版记页均不编排页码"): for a text that ends on
    an even page with no room left for the 版记, which goes on the next even page (7.4).

    The break is carried by the text's last paragraph (w:pPr/w:sectPr), not by a paragraph of its own, which would
    take room and could spill onto a page itself. The new section opens with a hairline paragraph on the blank page
    (LibreOffice starts a section's page on its first paragraph, and a floating table is not one); the 版记's
    anchor then starts the page after it."""
    body = document.element.body
    last = list(body.iterchildren(qn("w:p")))[-1]
    last.get_or_add_pPr().append(copy.deepcopy(body.find(qn("w:sectPr"))))  # sectPr closes a w:pPr here
    section = document.sections[-1]
    section.start_type = WD_SECTION_START.NEW_PAGE
    # Blank footers of its own (python-docx's unlink-relink would drop the numbered ones the text still uses).
    for reference in section._sectPr.findall(qn("w:footerReference")):
        _, blank = document.part.add_footer_part()
        reference.set(qn("r:id"), blank)
    lead = document.add_paragraph()
    set_attrs(child(lead._p.get_or_add_pPr(), "spacing", PPR_ORDER), before=0, after=0,
              line=L.IMPRINT_ANCHOR_LINE_TWIPS, lineRule="exact")
