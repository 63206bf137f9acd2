"""Checks of the 信函格式 (GB/T 9704-2012 10.1) on a .docx's properties.

A document is in the letter form when page 1 has a header of its own holding the 发文机关标志 (what
letter_form.py writes). Then: the mark is red, the organ's name without 文件; the red double line under it is
thick over thin, the one at the foot of page 1 thin over thick, both 170 mm long; page 1 shows no page number.
A document numbered as a letter (…函〔2026〕3号) must be in the letter form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oa.rendering import layout as L
from oa.rendering import ooxml as X
from oa.rendering.ooxml import attr, w

Report = Callable[[str, str, object, object], None]
MARK_STYLE = L.ELEMENTS["发文机关标志"].style
PAGE_FIELD_WORDS = ("PAGE",)
RULE_LENGTH_TOLERANCE_MM = 1.0


def letterhead(document: Any, styles: X.Styles) -> Any | None:
    """Page 1's 发文机关标志 paragraph when the document is in the letter form, else None."""
    section = document.sections[0]
    if not section.different_first_page_header_footer:
        return None
    for paragraph in section.first_page_header.paragraphs:
        if styles.name(styles.paragraph_style(paragraph._p)) == MARK_STYLE and paragraph.text.strip():
            return paragraph._p
    return None


class LetterChecks:
    def __init__(self, document: Any, styles: X.Styles, add: Report) -> None:
        self.document = document
        self.styles = styles
        self.add = add

    def run(self, mark: Any | None, doc_number: str) -> None:
        if mark is None:
            if "函〔" in doc_number:
                self.add("版式", "信函格式", "以“函”编号的公文用信函格式 (GB/T 9704 10.1)",
                         f"{doc_number} 按文件格式排版")
            return
        self.check_mark(mark)
        footer = self.document.sections[0].first_page_footer
        ruled = next((p._p for p in footer.paragraphs if self.border(p._p, "bottom") is not None), None)
        self.check_rule("第二条红色双线", None if ruled is None else self.border(ruled, "bottom"), L.LETTER_BOTTOM_RULE,
                        ruled)
        if any(field in instruction.upper() for p in footer.paragraphs for node in p._p.iter(w("instrText"))
               for instruction in [node.text or ""] for field in PAGE_FIELD_WORDS) or \
                any("PAGE" in (attr(node, "instr") or "").upper() for p in footer.paragraphs
                    for node in p._p.iter(w("fldSimple"))):
            self.add("页码", "信函格式首页", "首页不显示页码", "首页页脚有 PAGE 域")

    def check_mark(self, mark: Any) -> None:
        text = X.paragraph_text(mark).strip()
        if text.endswith("文件"):
            self.add("发文机关标志", "信函格式", "发文机关全称或规范化简称，不加“文件”", text)
        for run in mark.iter(w("r")):
            if X.run_text(run).strip() and X.color(self.styles.run_levels(run, mark)) != L.RED:
                self.add("发文机关标志", "颜色", f"红色 #{L.RED}", X.color(self.styles.run_levels(run, mark)))
        self.check_rule("第一条红色双线", self.border(mark, "bottom"), L.LETTER_TOP_RULE, mark)

    def border(self, paragraph: Any, side: str) -> Any | None:
        for level in self.styles.paragraph_levels(paragraph):
            found = level.find(f"{w('pBdr')}/{w(side)}")
            if found is not None:
                return found if (attr(found, "val") or "none") not in ("none", "nil") else None
        return None

    def check_rule(self, name: str, border: Any | None, kind: str, paragraph: Any | None) -> None:
        if border is None or paragraph is None:
            self.add(name, "缺失", "红色双线 (red double line)", "缺失 (missing)")
            return
        if attr(border, "val") != kind:
            self.add(name, "线型", kind, attr(border, "val"))
        if (attr(border, "color") or "").upper() != L.RED:
            self.add(name, "颜色", f"红色 #{L.RED}", attr(border, "color"))
        indents = X.indents(self.styles.paragraph_levels(paragraph), L.mm_to_twips(1))  # in mm
        length = L.TEXT_WIDTH_MM - indents["left"] - indents["right"]
        if abs(length - L.LETTER_RULE_LENGTH_MM) > RULE_LENGTH_TOLERANCE_MM:
            self.add(name, "长度", f"{L.LETTER_RULE_LENGTH_MM:g} mm", f"{length:.1f} mm")
