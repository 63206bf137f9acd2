"""Checks of the special forms and of attachments printed in full, on a .docx's properties (GB/T 9704-2012 10.2,
10.3, 7.3.7).

A document is an order when it has a 令号 (what forms_docx.py writes) or its mark ends in 令, minutes when its mark
ends in 纪要, a letter when page 1 has the letterhead (letter_checks.py); otherwise a file. Then: an order's or the
minutes' mark stands where its form puts it (20 mm or 35 mm below the text block's top); a 令号 reads 第12号; the
minutes carry no 署名, and each 出席/请假/列席 line starts two characters in with its wrapped lines under the first
name; an attachment's label starts a page of its own. A part of checker.Checker's pass, with the same style
resolution and the same way of reporting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from oa.rendering import layout as L
from oa.rendering import ooxml as X
from oa.rendering.forms import FILE_FORM, LETTER_FORM, MINUTES_FORM, ORDER_FORM
from oa.rendering.ooxml import attr, w
from oa.rendering.text_width import text_width

Report = Callable[[str, str, object, object], None]
MARK_STYLE = L.ELEMENTS["发文机关标志"].style
ORDER_NUMBER = re.compile(r"第[1-9]\d*号")
ATTACHMENT_LABEL = re.compile(r"附件([1-9]\d*)?")


def form_of(sequence: list[tuple[str, Any]], letter: bool) -> str:
    """Which layout the document is set in, from its elements (`sequence`: (element name, w:p) in order)."""
    if letter:
        return LETTER_FORM
    marks = [X.paragraph_text(p).strip() for kind, p in sequence if kind == "发文机关标志"]
    if any(kind == "令号" for kind, _ in sequence) or (marks and marks[0].endswith("令")):
        return ORDER_FORM
    if marks and marks[-1].endswith("纪要"):
        return MINUTES_FORM
    return FILE_FORM


class FormChecks:
    def __init__(self, body: Any, styles: X.Styles, add: Report) -> None:
        self.body = body
        self.styles = styles
        self.add = add

    def run(self, sequence: list[tuple[str, Any]], form: str) -> None:
        if form in (ORDER_FORM, MINUTES_FORM):
            self.check_mark_position(L.ORDER_MARK_TOP_MM if form == ORDER_FORM else L.ORGAN_MARK_TOP_MM, form)
        if form == ORDER_FORM:
            self.check_order_number(sequence)
        if form == MINUTES_FORM:
            signed = [X.paragraph_text(p).strip() for kind, p in sequence if kind == "署名"]
            if signed:
                self.add("署名", "纪要格式", "纪要不署发文机关名称 (GB/T 9704 10.3)", "、".join(signed))
        self.check_name_lists(sequence)
        self.check_attachment_pages(sequence)

    def spacing(self, paragraph: Any, name: str) -> int | None:
        element, _ = X.first(self.styles.paragraph_levels(paragraph), "spacing", name)
        return None if element is None else int(attr(element, name) or 0)

    def check_mark_position(self, top_mm: float, form: str) -> None:
        """The mark's top edge `top_mm` below the text block's, or right under the 份号 / 紧急程度 lines when those
        take more room: counted from the exact heights of the paragraphs above it."""
        above = 0
        for paragraph in self.body.iterchildren(w("p")):
            before = self.spacing(paragraph, "before") or 0
            if self.styles.name(self.styles.paragraph_style(paragraph)) == MARK_STYLE:
                if not X.paragraph_text(paragraph).strip():
                    return  # a spacer, as joint marks have: not one of these forms' single mark
                expected = max(L.mm_to_twips(top_mm), above)
                found = above + before
                if abs(L.twips_to_mm(found - expected)) > L.MARK_POSITION_TOLERANCE_MM:
                    self.add("发文机关标志", "位置", f"上边缘距版心上边缘 {L.twips_to_mm(expected):.0f} mm ({form})",
                             f"{L.twips_to_mm(found):.1f} mm")
                return
            above += before + (self.spacing(paragraph, "line") or L.LINE_PITCH_TWIPS)

    def check_order_number(self, sequence: list[tuple[str, Any]]) -> None:
        for kind, paragraph in sequence:
            text = X.paragraph_text(paragraph).strip()
            if kind == "令号" and not ORDER_NUMBER.fullmatch(text):
                self.add("令号", "格式", "第12号", text)

    def check_name_lists(self, sequence: list[tuple[str, Any]]) -> None:
        """出席/请假/列席 (GB/T 9704 10.3): the label two characters in, then a full-width colon; a wrapped line starts
        under the first name, which is where the paragraph's left indent must be."""
        for element, paragraph in sequence:
            if element not in L.NAME_LIST_ELEMENTS:
                continue
            text = X.paragraph_text(paragraph)
            label, colon, _ = text.partition("：")
            if label.strip() != element or not colon:
                self.add(element, "格式", f"{element}：……", X.snippet(text))
                continue
            indents = X.indents(self.styles.paragraph_levels(paragraph), L.char_twips())
            first = indents["left"] + indents["first"]
            if abs(first - L.NAME_LIST_LEFT_CHARS) > L.INDENT_TOLERANCE_CHARS:
                self.add(element, "首行位置", f"{L.NAME_LIST_LEFT_CHARS:g} 字", f"{first:.2f} 字")
            names_at = first + text_width(label + colon)
            if abs(indents["left"] - names_at) > L.INDENT_TOLERANCE_CHARS:
                self.add(element, "回行对齐", f"与冒号后首字对齐 (左缩进 {names_at:g} 字)",
                         f"左缩进 {indents['left']:.2f} 字 {X.snippet(text)}")

    def check_attachment_pages(self, sequence: list[tuple[str, Any]]) -> None:
        """Each attachment printed in full starts a page of its own (另面编排), its label "附件" or "附件2"."""
        for element, paragraph in sequence:
            if element != "附件标识":
                continue
            text = X.paragraph_text(paragraph).strip()
            if not ATTACHMENT_LABEL.fullmatch(text):
                self.add("附件标识", "格式", "附件 或 附件2 (无冒号)", text)
            if not self.starts_a_page(paragraph):
                self.add("附件", "另面编排", "另起一页 (w:pageBreakBefore)", f"{text} 接排在上文之后")

    def starts_a_page(self, paragraph: Any) -> bool:
        """Page break before it (its own or its style's), or a page break ending the paragraph before it."""
        breaks = next((level.find(w("pageBreakBefore")) for level in self.styles.paragraph_levels(paragraph)
                       if level.find(w("pageBreakBefore")) is not None), None)
        if breaks is not None and X.on(breaks):
            return True
        previous = paragraph.getprevious()
        return previous is not None and previous.tag == w("p") and any(
            attr(node, "type") == "page" for node in previous.iter(w("br")))
