"""Where the closing elements of a .docx stand, checked from its properties: the seals' room, the 附注 under the
date, wrapped 附件 names, the stacked joint organ names' column (GB/T 9704 7.2.3, 7.3.3, 7.3.5, 7.3.6).

A part of checker.Checker's pass, with the same style resolution and the same way of reporting.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from oa.rendering import layout as L
from oa.rendering import ooxml as X
from oa.rendering.ooxml import attr, w
from oa.rendering.signatures import seal_overlaps
from oa.rendering.text_width import text_width

Report = Callable[[str, str, object, object], None]


class PlacementChecks:
    def __init__(self, styles: X.Styles, add: Report) -> None:
        self.styles = styles
        self.add = add

    def run(self, sequence: list[tuple[str, Any]]) -> None:
        """`sequence`: the document's elements in order, as (element name, w:p)."""
        self.check_signatures(sequence)
        self.check_note(sequence)
        self.check_attachments(sequence)
        self.check_joint_mark(sequence)

    def check_signatures(self, sequence: list[tuple[str, Any]]) -> None:
        """Each organ's seal (a 42 mm circle) centred on its 署名: no two may cross or touch, none may cross the
        block's edges (GB/T 9704 7.3.5.1). Names on one line stand at their centred tab stops; a lone name is
        right-aligned, its centre half its width in from the right indent."""
        circles: list[tuple[str, float, float]] = []
        y = 0.0  # lines from the top of the first element; only differences between 署名 rows matter
        for element, paragraph in sequence:
            y += self.lines_of(paragraph)
            if element != "署名":
                continue
            levels = self.styles.paragraph_levels(paragraph)
            names = [n.strip() for n in X.paragraph_text(paragraph).split("\t") if n.strip()]
            stops = [L.twips_to_mm(int(attr(t, "pos") or 0)) for t in paragraph.iter(w("tab"))
                     if attr(t, "val") == "center" and t.getparent().tag == w("tabs")]
            if len(names) > 1 and len(stops) >= len(names):
                placed = list(zip(names, stops, strict=False))
            else:
                right = X.indents(levels, L.char_twips())["right"] * L.CHAR_PITCH_MM
                text = "".join(names)
                placed = [(text, L.TEXT_WIDTH_MM - right - text_width(text) / 2 * L.CHAR_PITCH_MM)]
            line_mm = L.twips_to_mm(L.LINE_PITCH_TWIPS)
            circles += [(name, x, y * line_mm) for name, x in placed]
        for name, x, _ in circles:
            if x - L.SEAL_DIAMETER_MM / 2 < -0.5 or x + L.SEAL_DIAMETER_MM / 2 > L.TEXT_WIDTH_MM + 0.5:
                self.add("署名", "印章位置", "印章不出版心", f"{name} 的印章越出版心 (圆心距左边缘 {x:.0f} mm)")
        for a, b, distance in seal_overlaps(circles):
            self.add("署名", "印章位置", f"联合署名并排，印章互不相交或相切 (圆心距 ≥ {L.SEAL_DIAMETER_MM:g} mm)",
                     f"{a} 与 {b} 的印章相交 (圆心距 {distance:.0f} mm)")

    def lines_of(self, paragraph: Any) -> float:
        """How far (in lines of the grid) the top of this paragraph's last line is below the previous one's."""
        levels = self.styles.paragraph_levels(paragraph)
        spacing, _ = X.first(levels, "spacing", "before")
        before = int(attr(spacing, "before") or 0) if spacing is not None else 0
        return 1 + before / L.LINE_PITCH_TWIPS

    def check_note(self, sequence: list[tuple[str, Any]]) -> None:
        """附注 on the line right under the 成文日期, on its page (GB/T 9704 7.3.6)."""
        for (before, above), (element, paragraph) in itertools.pairwise(sequence):
            if element != "附注":
                continue
            if self.lines_of(paragraph) > 1.05:
                self.add("附注", "位置", "成文日期下一行 (不空行)", f"空 {self.lines_of(paragraph) - 1:g} 行")
            if before in ("成文日期", "署名"):
                keep = next((level.find(w("keepNext")) for level in self.styles.paragraph_levels(above)
                             if level.find(w("keepNext")) is not None), None)
                if keep is None or not X.on(keep):
                    self.add("附注", "与成文日期同页", f"{before}与下段同页 (w:keepNext)",
                             "未设置：附注可能单独排在下一页顶端")

    def check_attachments(self, sequence: list[tuple[str, Any]]) -> None:
        """A wrapped 附件 name lines up under the name's first character (GB/T 9704 7.3.3): the paragraph's left
        indent is where the name starts, after "附件：" and the number (a tab to that stop, or "1. " as text)."""
        for element, paragraph in sequence:
            if element != "附件说明":
                continue
            text = X.paragraph_text(paragraph)
            levels = self.styles.paragraph_levels(paragraph)
            indents = X.indents(levels, L.char_twips())
            first = indents["left"] + indents["first"]
            match = re.match(r"(附件：)?(\d+\.\s?)?", text)
            prefix = match.group(0) if match else ""
            if "\t" in prefix or (match and match.group(2) and text[len(prefix):].startswith("\t")):
                stops = [int(attr(t, "pos") or 0) / L.char_twips() for t in paragraph.iter(w("tab"))
                         if attr(t, "val") == "left" and t.getparent().tag == w("tabs")]
                name_at = min((p for p in stops if p > first), default=indents["left"])
            else:
                name_at = first + text_width(prefix)
            if abs(indents["left"] - name_at) > L.INDENT_TOLERANCE_CHARS:
                self.add("附件说明", "回行对齐", f"与附件名称首字对齐 (左缩进 {name_at:g} 字)",
                         f"左缩进 {indents['left']:.2f} 字 {X.snippet(text)}")

    def check_joint_mark(self, sequence: list[tuple[str, Any]]) -> None:
        """Stacked joint organ names spread across their table cell: the cell needs room beyond the widest name, or
        the word processor pushes its last character to a line of its own ("始兴县人民政 / 府")."""
        for element, paragraph in sequence:
            if element != "发文机关标志" or X.table_of(paragraph) is None:
                continue
            cell = next(paragraph.iterancestors(w("tc")), None)
            width = cell.find(f"{w('tcPr')}/{w('tcW')}") if cell is not None else None
            if width is None or attr(width, "type") not in (None, "dxa"):
                continue
            text = X.paragraph_text(paragraph).strip()
            runs = list(paragraph.iter(w("r")))
            size = X.size(self.styles.run_levels(runs[0], paragraph)) if runs else None
            if not text or not size:
                continue
            needed = (text_width(text) + L.ORGAN_MARK_SLACK_CHARS / 2) * size * L.TWIPS_PER_PT
            if int(attr(width, "w") or 0) < needed:
                self.add("发文机关标志", "联合行文排列", "每个机关名称在一行内 (单元格留有余量)",
                         f"单元格宽 {L.twips_to_mm(int(attr(width, 'w') or 0)):.1f} mm，“{text}”需 "
                         f"{L.twips_to_mm(needed):.1f} mm 以上：末字将折到下一行")
