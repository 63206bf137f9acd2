"""Checks of the 版记 (GB/T 9704-2012 7.4) on a .docx's properties.

The 版记 is the table holding the 抄送 and 印发 rows (what imprint_docx.py writes): one full-width table floated
to the bottom of the text block, ruled thick above and below and thin between the rows (its borders). A part of
checker.Checker's pass, with the same style resolution and the same way of reporting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oa.rendering import layout as L
from oa.rendering import ooxml as X
from oa.rendering.ooxml import attr, w

Report = Callable[[str, str, object, object], None]
NO_BORDER = {"none", "nil"}


def check_border(add: Report, element: str, border: Any, color: str, sz: int) -> bool:
    """A rule's line (a w:bottom/w:top/w:insideH border): present, `color`, `sz` wide. False if missing."""
    if border is None or (attr(border, "val") or "none") in NO_BORDER:
        add(element, "缺失", "存在 (present)", "缺失 (missing)")
        return False
    found_color = (attr(border, "color") or "auto").upper()
    found_color = "auto" if found_color == "AUTO" else found_color
    if (color == L.RED and found_color != L.RED) or (color != L.RED and found_color not in L.BLACK_VALUES):
        add(element, "颜色", f"#{color}", found_color)
    found_sz = int(attr(border, "sz") or 0)
    if found_sz != sz:
        add(element, "线宽", f"{sz / 8:g} pt (w:sz={sz})", f"{found_sz / 8:g} pt (w:sz={found_sz})")
    return True


class ImprintChecks:
    def __init__(self, document: Any, styles: X.Styles, add: Report) -> None:
        self.document = document
        self.styles = styles
        self.add = add

    def run(self, sequence: list[tuple[str, Any]], letter: bool) -> None:
        """`sequence`: the document's elements in order, as (element name, w:p); `letter`: in the 信函格式."""
        rows = [p for kind, p in sequence if kind in L.IMPRINT_ELEMENTS]
        # Every form but the letter ends with a 版记 carrying 印发机关和印发日期 (7.4.3; a letter's has none, 10.1).
        if not letter and not rows:
            self.add("版记", "缺失", "末页版记 (印发机关和印发日期)", "缺失 (missing)")
        elif not letter and not any(kind == "印发" for kind, _ in sequence):
            self.add("印发", "缺失", "版记中的印发机关和印发日期", "缺失 (missing)")
        if not rows:
            return
        table = X.table_of(rows[0])
        if table is None or any(X.table_of(p) is not table for p in rows):
            self.add("版记", "位置", "版心底部的整宽表格 (one full-width table at the bottom of the text block)",
                     "随正文排列 (inline paragraphs after the text)")
            return
        self.check_position(table)
        if letter:
            return  # a letter's 版记 has no rules (GB/T 9704 10.1)
        count = len(table.findall(w("tr")))
        rules = [("版记首条分隔线", 0, "top", L.RULE_THICK_SZ)]
        rules += [("版记中间分隔线", n, "bottom", L.RULE_THIN_SZ) for n in range(count - 1)]
        rules.append(("版记末条分隔线", count - 1, "bottom", L.RULE_THICK_SZ))
        for name, row, side, sz in rules:
            check_border(self.add, name, X.table_border(table, self.styles.table_levels(table), row, side), L.BLACK,
                         sz)

    def check_position(self, table: Any) -> None:
        place = table.find(f"{w('tblPr')}/{w('tblpPr')}")
        anchor, y_spec = attr(place, "vertAnchor"), attr(place, "tblpYSpec")
        if (anchor, y_spec) != ("margin", "bottom"):
            found = "随正文 (not floating)" if place is None else f"vertAnchor={anchor}, tblpYSpec={y_spec}"
            self.add("版记", "位置", "版心底部 (w:tblpPr vertAnchor=margin, tblpYSpec=bottom)", found)
        section = self.document.sections[-1]
        page, left, right = (round((getattr(section, name) or 0) / 635) for name in (
            "page_width", "left_margin", "right_margin"))  # EMU → twips
        text = page - left - right
        width = X.table_width(table, self.styles.table_levels(table), text)
        offset = X.table_left_offset(place, width, text, left, page)
        tolerance = L.mm_to_twips(L.IMPRINT_POSITION_TOLERANCE_MM)
        if abs(width - text) > tolerance or abs(offset) > tolerance:
            self.add("版记", "跨度", f"版心全宽 {L.twips_to_mm(text):.0f} mm, 左端与版心对齐",
                     f"宽 {L.twips_to_mm(width):.1f} mm, 左端偏移 {L.twips_to_mm(offset):+.1f} mm")
