"""GB/T 9704-2012 rules that only the laid-out page can show, checked on a `laid_out.Layout`.

Where the lines of a title break, whether a joint organ's name stays on one line, which page the 版记
lands on and whether that page is numbered, whether the 附注 follows the date, whether full pages
hold 22 lines, how far the red separator is below the 发文字号 and the page number below the text
block, whether anything crosses the right edge of the block, whether an attachment printed in full starts
its own page. Each finding is a checker.Deviation
whose rule ends in "（排版）", so a reader can tell it was measured, and the fonts it was measured
with are reported by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from oa.rendering import layout as L
from oa.rendering.laid_out import Layout, Line
from oa.rendering.title_breaks import hourglass, misplaced_breaks

BLOCK_TOP_MM = L.MARGIN_TOP_MM
BLOCK_BOTTOM_MM = L.PAGE_HEIGHT_MM - L.MARGIN_BOTTOM_MM
BLOCK_RIGHT_MM = L.PAGE_WIDTH_MM - L.MARGIN_RIGHT_MM
LINE_MM = L.twips_to_mm(L.LINE_PITCH_TWIPS)
OFFSET_TOLERANCE_MM = 1.0
EDGE_TOLERANCE_MM = 0.5
# The em dash's stroke lies this far above the baseline, as a share of the font size (CJK fonts: about 0.3–0.4).
DASH_ABOVE_BASELINE = 0.35
MEASURED = "（排版）"
PAGE_NUMBER = re.compile(rf"{L.EM_DASH}\s*\d+\s*{L.EM_DASH}")
IMPRINT_SIZE_PT = L.SIZE_4
ATTACHMENT_LABEL = re.compile(r"附件([1-9]\d*)?")
BLOCK_LEFT_MM = L.MARGIN_LEFT_MM


def _body_size(line: Line) -> bool:
    return abs(line.size_pt - L.BODY_SIZE_PT) < 0.6


def _is_page_number(line: Line) -> bool:
    return line.baseline_mm > BLOCK_BOTTOM_MM and bool(PAGE_NUMBER.fullmatch(line.text))


def _is_attachment_label(line: Line) -> bool:
    """"附件" or "附件2" alone on a line of body text at the block's left edge: an attachment printed in full."""
    return (_body_size(line) and abs(line.left_mm - BLOCK_LEFT_MM) < OFFSET_TOLERANCE_MM
            and bool(ATTACHMENT_LABEL.fullmatch(line.text)))


def _is_imprint(line: Line) -> bool:
    return (abs(line.size_pt - IMPRINT_SIZE_PT) < 0.6 and line.baseline_mm <= BLOCK_BOTTOM_MM + 1
            and (line.text.startswith("抄送") or line.text.endswith("印发")))


class LayoutChecks:
    def __init__(self, layout: Layout, marks: Iterable[str] = (), letter: bool = False) -> None:
        self.layout = layout
        self.letter = letter
        self.marks = [m for m in marks if m]
        self.found: list[tuple[str, str, str, str]] = []
        first_red = [r for r in layout.rules if r.page == 1 and r.red]
        self.separator_mm = min((r.top_mm for r in first_red), default=None)

    def add(self, element: str, rule: str, expected: str, found: str) -> None:
        item = (element, rule + MEASURED, expected, found)
        if item not in self.found:
            self.found.append(item)

    def run(self) -> list[tuple[str, str, str, str]]:
        self.check_title()
        self.check_marks()
        self.check_imprint_page()
        self.check_note()
        self.check_full_pages()
        self.check_separator()
        self.check_page_numbers()
        self.check_right_edge()
        self.check_attachment_pages()
        if self.letter:
            self.check_letter()
        return self.found

    def check_letter(self) -> None:
        """信函格式 (GB/T 9704 10.1): page 1 unnumbered; red double lines of 170 mm under the organ's name and 20 mm
        above the page's bottom edge."""
        if any(_is_page_number(line) for line in self.layout.on_page(1)):
            self.add("页码", "信函格式首页", "首页不显示页码", "第 1 页显示页码")
        red = [rule for rule in self.layout.rules if rule.page == 1 and rule.red]
        bottom = max((rule.bottom_mm for rule in red), default=None)
        foot = L.PAGE_HEIGHT_MM - L.LETTER_BOTTOM_RULE_MM
        if bottom is None or abs(bottom - foot) > OFFSET_TOLERANCE_MM:
            found = "缺失 (missing)" if bottom is None else f"距下页边 {L.PAGE_HEIGHT_MM - bottom:.1f} mm"
            self.add("第二条红色双线", "位置", f"距下页边 {L.LETTER_BOTTOM_RULE_MM:g} mm", found)
        for rule in red:
            length = rule.right_mm - rule.left_mm
            if abs(length - L.LETTER_RULE_LENGTH_MM) > 2.0:  # bounds include the stroke's ends
                self.add("红色双线", "长度", f"{L.LETTER_RULE_LENGTH_MM:g} mm", f"{length:.1f} mm")
                return

    def check_title(self) -> None:
        """The title is the only 2号 (22 pt) text below the separator on page 1."""
        below = self.separator_mm or 0
        lines = [line.text for line in self.layout.on_page(1)
                 if abs(line.size_pt - L.SIZE_2) < 0.6 and line.baseline_mm > below and not line.red]
        if len(lines) < 2:
            return
        broken = misplaced_breaks(lines)
        if broken:
            self.add("标题", "回行", "词意完整 (在词与词之间回行)", f"词内断行 {'、'.join(broken)}")
        if hourglass(lines):
            self.add("标题", "排列", "梯形或菱形", "沙漏形 " + "/".join(lines))

    def check_marks(self) -> None:
        """Each organ's name of the 发文机关标志 on one line."""
        red = [line.text for line in self.layout.on_page(1)
               if line.red and (self.separator_mm is None or line.baseline_mm < self.separator_mm)]
        for mark in self.marks:
            if not any(mark in text for text in red):
                pieces = [t for t in red if t and (t in mark or mark.startswith(t))]
                self.add("发文机关标志", "联合行文排列", f"“{mark}”排在一行内",
                         f"折行为 {' / '.join(pieces) or '、'.join(red)}")

    def check_imprint_page(self) -> None:
        """版记 on the last page, an even one (封四, adding a blank page when needed); a blank page, and a 版记 page
        that follows one, carry no page number (GB/T 9704 7.4, 7.5: "版记页前有空白页的，空白页和版记页均不编排
        页码")."""
        pages = self.layout.pages
        imprint_pages = sorted({line.page for line in self.layout.lines if _is_imprint(line)})
        if imprint_pages:
            page = imprint_pages[-1]
            if page != pages or (page % 2 and not self.letter):  # a letter's needs only be last (10.1)
                self.add("版记", "所在页", "最后一页，且为偶数页 (需要时加空白页)",
                         f"第 {page} 页 (共 {pages} 页)")
        blank_before = False
        for page in range(1, pages + 1):
            lines = self.layout.on_page(page)
            text = [line for line in lines if not _is_page_number(line) and not _is_imprint(line)]
            numbered = any(_is_page_number(line) for line in lines)
            imprint = any(_is_imprint(line) for line in lines)
            if numbered and not text and (not imprint or blank_before):
                what = "版记页 (前有空白页)" if imprint else "空白页"
                self.add("页码", "空白页和版记页不编页码", "不显示页码", f"第 {page} 页 ({what}) 显示页码")
            blank_before = not text and not imprint

    def check_note(self) -> None:
        """附注 on the line right under the 成文日期, on the same page."""
        dates = [line for line in self.layout.lines
                 if _body_size(line) and re.fullmatch(L.DATE_PATTERN, line.text)]
        if not dates:
            return
        date = dates[-1]
        after = [line for line in self.layout.lines
                 if (line.page, line.baseline_mm) > (date.page, date.baseline_mm) and _body_size(line)]
        if not after or not after[0].text.startswith("（"):
            return
        note = after[0]
        if note.page != date.page:
            self.add("附注", "位置", "成文日期下一行，与成文日期同页", f"单独排在第 {note.page} 页顶端")
        elif note.baseline_mm - date.baseline_mm > LINE_MM * 1.5:
            gap = (note.baseline_mm - date.baseline_mm) / LINE_MM - 1
            self.add("附注", "位置", "成文日期下一行 (不空行)", f"空 {gap:.0f} 行")

    def check_full_pages(self) -> None:
        """Pages that the text runs on from are full: 22 lines. Page 1 (the header) and the page before the closing
        block (署名 and date kept with the last lines of the text) may end early."""
        closing = next((line.page for line in self.layout.lines
                        if _body_size(line) and re.fullmatch(L.DATE_PATTERN, line.text)), None)
        text_pages = sorted({line.page for line in self.layout.lines
                             if _body_size(line) and BLOCK_TOP_MM - 1 < line.baseline_mm <= BLOCK_BOTTOM_MM})
        # An attachment printed in full starts a page of its own, so the page before it may end early.
        before_attachment = {line.page - 1 for line in self.layout.lines if _is_attachment_label(line)}
        for page in text_pages:
            if page == 1 or page == text_pages[-1] or (closing is not None and page >= closing - 1) or \
                    page in before_attachment:
                continue
            count = sum(1 for line in self.layout.on_page(page)
                        if _body_size(line) and line.baseline_mm <= BLOCK_BOTTOM_MM)
            if count < L.LINES_PER_PAGE:
                self.add("正文", "每页行数", f"{L.LINES_PER_PAGE} 行", f"第 {page} 页 {count} 行")

    def check_separator(self) -> None:
        """The red separator 4 mm below the 发文字号 (its baseline)."""
        if self.separator_mm is None:
            return
        numbers = [line for line in self.layout.on_page(1)
                   if line.baseline_mm < self.separator_mm and re.search(L.DOC_NUMBER_PATTERN, line.text)]
        if not numbers:
            return
        gap = self.separator_mm - numbers[-1].baseline_mm
        if abs(gap - L.SEPARATOR_GAP_MM) > OFFSET_TOLERANCE_MM:
            self.add("分隔线", "与发文字号距离", f"{L.SEPARATOR_GAP_MM:g} mm", f"{gap:.1f} mm")

    def check_page_numbers(self) -> None:
        """The page number's dashes 7 mm below the text block."""
        for line in self.layout.lines:
            if not _is_page_number(line):
                continue
            dash = line.baseline_mm - DASH_ABOVE_BASELINE * line.size_pt * 25.4 / 72
            gap = dash - BLOCK_BOTTOM_MM
            if abs(gap - L.PAGE_NUMBER_GAP_MM) > OFFSET_TOLERANCE_MM:
                self.add("页码", "一字线与版心距离", f"{L.PAGE_NUMBER_GAP_MM:g} mm",
                         f"{gap:.1f} mm (第 {line.page} 页)")
                return

    def check_right_edge(self) -> None:
        """Nothing in the text block crosses its right edge (a 。 hanging into the margin)."""
        for line in self.layout.lines:
            if line.baseline_mm > BLOCK_BOTTOM_MM + 1 or line.red:
                continue
            over = [(c, right) for c, _, right in line.chars if right > BLOCK_RIGHT_MM + EDGE_TOLERANCE_MM]
            if over:
                char, right = over[0]
                self.add("正文", "版心右边界", "不超出版心",
                         f"“{char}”超出 {right - BLOCK_RIGHT_MM:.1f} mm (第 {line.page} 页 “{line.text[-8:]}”)")
                return


    def check_attachment_pages(self) -> None:
        """An attachment printed in full starts a new page, its label on the first line (GB/T 9704 7.3.7)."""
        for label in (line for line in self.layout.lines if _is_attachment_label(line)):
            above = [line for line in self.layout.on_page(label.page)
                     if line.baseline_mm < label.baseline_mm and not _is_page_number(line)]
            if above:
                self.add("附件", "另面编排", "另起一页，“附件”顶格排在版心第一行",
                         f"{label.text} 接排在第 {label.page} 页 “{above[-1].text[-8:]}” 之后")


def check_layout(layout: Layout, marks: Iterable[str] = (), letter: bool = False) -> list[tuple[str, str, str, str]]:
    """(element, rule, expected, found) for every rule the laid-out pages break; `letter`: in the 信函格式."""
    return LayoutChecks(layout, marks, letter).run()
