"""The 信函格式 letterhead of a .docx (GB/T 9704-2012 10.1), drawn in page 1's own header and footer.

Page 1 gets a header and footer of its own (w:titlePg): the header holds the organ's name in red with the
red double line (thick over thin) under it; the footer holds no page number, only the second red double line
(thin over thick), 20 mm above the page's bottom edge. Both lines are paragraph borders 170 mm long (the
paragraphs reach 7 mm past the text block on each side).
"""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.shared import Mm

from oa.rendering import layout as L
from oa.rendering.text_width import text_width
from oa.rendering.wordml import PPR_ORDER, child, format_run, set_attrs

MARK_STYLE = L.ELEMENTS["发文机关标志"].style
BORDER_ORDER = ("top", "left", "bottom", "right")


def _rule(ppr, side: str, kind: str, space_pt: float = 0) -> None:  # type: ignore[no-untyped-def]
    borders = child(ppr, "pBdr", PPR_ORDER)
    border = child(borders, side, BORDER_ORDER)
    border.attrib.clear()
    set_attrs(border, val=kind, sz=L.LETTER_RULE_SZ, space=round(space_pt), color=L.RED)


def _overhang(ppr) -> None:  # type: ignore[no-untyped-def]
    ind = child(ppr, "ind", PPR_ORDER)
    ind.attrib.clear()
    reach = -L.mm_to_twips(L.LETTER_RULE_OVERHANG_MM)
    set_attrs(ind, left=reach, right=reach, firstLine=0)


def letter_mark_size(organ: str) -> float:
    return min(L.LETTER_MARK_MAX_PT, L.organ_mark_size(text_width(organ)))


def letterhead(document: DocumentObject, organ: str) -> None:
    """Page 1's header (organ name, double line) and footer (double line, no page number)."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    section.header_distance = Mm(L.LETTER_MARK_TOP_MM)
    size = letter_mark_size(organ)

    mark = section.first_page_header.paragraphs[0]
    mark.style = document.styles[MARK_STYLE]
    ppr = mark._p.get_or_add_pPr()
    set_attrs(child(ppr, "spacing", PPR_ORDER), before=0, after=0, line=round(size * L.TWIPS_PER_PT),
              lineRule="exact")
    set_attrs(child(ppr, "jc", PPR_ORDER), val="center")
    _overhang(ppr)
    # The border's distance from the text is in points; 4 mm is 11.3 pt.
    _rule(ppr, "bottom", L.LETTER_TOP_RULE, L.mm_to_pt(L.LETTER_RULE_GAP_MM))
    run = mark.add_run(organ)
    format_run(run._r.get_or_add_rPr(), L.XIAOBIAOSONG, size, L.RED, 0)

    # The footers' bottom edge comes down to 20 mm, where page 1's line goes; the page numbers of the later pages
    # keep their place by standing on as much space as that lowered them.
    section.footer_distance = Mm(L.LETTER_BOTTOM_RULE_MM)
    raised = L.mm_to_twips(L.FOOTER_DISTANCE_MM - L.LETTER_BOTTOM_RULE_MM)
    for footer in (section.footer, section.even_page_footer):
        for paragraph in footer.paragraphs:
            set_attrs(child(paragraph._p.get_or_add_pPr(), "spacing", PPR_ORDER), after=raised)
    rule = section.first_page_footer.paragraphs[0]
    ppr = rule._p.get_or_add_pPr()
    set_attrs(child(ppr, "spacing", PPR_ORDER), before=0, after=0, line=L.IMPRINT_ANCHOR_LINE_TWIPS,
              lineRule="exact")
    _overhang(ppr)
    _rule(ppr, "bottom", L.LETTER_BOTTOM_RULE)
