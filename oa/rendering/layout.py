"""GB/T 9704-2012 layout parameters as named constants, shared by the renderer and the checker.

Both sides read the same numbers, so a rule changed here changes what is drawn and what is
accepted together. Units: mm as the standard states them, converted to twips (1/20 pt), half-points
(w:sz of text) and eighths of a point (w:sz of borders) with the helpers below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MM_PER_INCH = 25.4
PT_PER_INCH = 72
TWIPS_PER_PT = 20


def mm_to_pt(mm: float) -> float:
    return mm / MM_PER_INCH * PT_PER_INCH


def mm_to_twips(mm: float) -> int:
    return round(mm_to_pt(mm) * TWIPS_PER_PT)


def twips_to_mm(twips: float) -> float:
    return twips / TWIPS_PER_PT / PT_PER_INCH * MM_PER_INCH


# Paper and text block (版心).
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
PAGE_SIZE_TOLERANCE_MM = 0.5
MARGIN_TOP_MM = 37.0  # 天头
MARGIN_LEFT_MM = 28.0  # 订口
MARGIN_RIGHT_MM = 26.0
MARGIN_BOTTOM_MM = 35.0
MARGIN_TOLERANCE_MM = 1.0  # the standard allows ±1 mm on 天头 and 订口
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156
TEXT_HEIGHT_MM = PAGE_HEIGHT_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM  # 225
TEXT_WIDTH_PT = mm_to_pt(TEXT_WIDTH_MM)  # 442.2
TEXT_WIDTH_TWIPS = mm_to_twips(TEXT_WIDTH_MM)

# 22 lines × 28 characters of 3号 text fill the block.
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
LINE_PITCH_PT = 28.95  # 225 mm / 22 = 28.93 pt; Word templates use 28.95, which still fits 22 lines
LINE_PITCH_TWIPS = round(LINE_PITCH_PT * TWIPS_PER_PT)  # 579
LINE_SPACING_TOLERANCE_PT = 0.1

# Font sizes by their Chinese names (号).
SIZE_2 = 22.0  # 二号
SIZE_3 = 16.0  # 三号
SIZE_4 = 14.0  # 四号
BODY_SIZE_PT = SIZE_3
TITLE_CHARS_PER_LINE = math.floor(TEXT_WIDTH_PT / SIZE_2)  # 20 characters of 2号 text

# Characters per line. A "linesAndChars" grid with a negative charSpace (-848/4096 pt, pitch 15.79 pt) is what
# Word templates use, but LibreOffice lays every CJK glyph wider than the grid cell over TWO cells, so a 16 pt
# character on a 15.79 pt grid gives ~14 characters per line with wide gaps. Instead the grid is "lines" only and
# every 3号 run is condensed by a quarter point (w:spacing w:val="-5", in twentieths of a point): each character
# then advances 15.75 pt, 28 × 15.75 = 441 pt fits the 442.2 pt block and 29 do not, in Word and LibreOffice alike.
# Text of other sizes (title, organ mark, 版记, page numbers) is not on the 28-character grid and keeps spacing 0.
DOC_GRID_TYPE = "lines"
CHAR_SPACING_TWIPS = -5  # w:spacing w:val of a 3号 run
CHAR_PITCH_PT = BODY_SIZE_PT + CHAR_SPACING_TWIPS / TWIPS_PER_PT  # 15.75


def chars_per_line(width_pt: float, size_pt: float, spacing_twips: float) -> int:
    """Whole characters of `size_pt` text condensed (negative) or expanded by `spacing_twips` that fit `width_pt`."""
    pitch = size_pt + spacing_twips / TWIPS_PER_PT
    return math.floor(width_pt / pitch + 1e-6) if pitch > 0 else 0


# Fonts.
FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"

# Colours (w:color values). Red ink Y80% M80% is rendered as pure red.
RED = "FF0000"
BLACK = "000000"
BLACK_VALUES = frozenset({BLACK, "auto"})

# Rules. Border widths are w:sz in eighths of a point.
# 0.35 mm = 0.992 pt = 7.94 eighths → 8; 0.25 mm = 0.709 pt = 5.67 eighths → 6.
RULE_THICK_SZ = round(mm_to_pt(0.35) * 8)  # 8
RULE_THIN_SZ = round(mm_to_pt(0.25) * 8)  # 6
# The standard fixes the red separator's colour, length and place, not its thickness: 1.5 pt is a judgement call
# that matches common templates.
SEPARATOR_SZ = 12
SEPARATOR_GAP_MM = 4.0  # 发文字号 → separator
# The separator is drawn as the bottom border of an empty paragraph under the 发文字号's line. The 4 mm run from
# the number's baseline (what a ruler laid on the page measures); that baseline sits this far above the bottom of
# its exact 28.95 pt line (measured with LibreOffice 7.4 and Noto CJK: 2.3 mm), so the paragraph is the rest.
NUMBER_BASELINE_ABOVE_LINE_BOTTOM_MM = 2.3
SEPARATOR_LINE_TWIPS = mm_to_twips(SEPARATOR_GAP_MM - NUMBER_BASELINE_ABOVE_LINE_BOTTOM_MM)
# The border adds its own width under that paragraph's exact line (measured with LibreOffice 7.4: the title moves up
# 0.53 mm without it), so the text below starts this far lower: the page count must include it.
SEPARATOR_HEIGHT_TWIPS = SEPARATOR_LINE_TWIPS + round(SEPARATOR_SZ / 8 * TWIPS_PER_PT)

# 版记 sits at the bottom of the last page's text block, its last rule on the block's bottom edge (GB/T 9704 7.4),
# not right after the text. It is a one-column table (a row per element, the rules are its borders) floated to the
# bottom margin of the page where it falls; text wraps above it. A frame of paragraphs (w:framePr) would be the
# other way, but LibreOffice drops a frame whose paragraphs have different borders (thick/thin/thick rules).
# Horizontally it is placed from the page edge: LibreOffice (before 7.6) only floats a table as wide as the text
# block when it is positioned relative to the page; from the margin it would stay inline, right after the text.
IMPRINT_TABLE_POSITION = {"leftFromText": "0", "rightFromText": "0", "topFromText": str(LINE_PITCH_TWIPS),
                          "bottomFromText": "0", "vertAnchor": "margin", "horzAnchor": "page",
                          "tblpX": str(mm_to_twips(MARGIN_LEFT_MM)), "tblpYSpec": "bottom"}
# A floating table is anchored to the paragraph after it, which goes last in the document: 1 pt tall, so the anchor
# itself hardly ever starts a page (the 版记 goes to the page where its anchor falls).
IMPRINT_ANCHOR_LINE_TWIPS = 20
IMPRINT_POSITION_TOLERANCE_MM = 0.5

# 发文机关标志: the standard leaves its size to the issuer ("醒目、美观、庄重"); we fit it to the text width.
ORGAN_MARK_MAX_PT = 42.0
ORGAN_MARK_MIN_PT = 22.0
ORGAN_MARK_TOP_MM = 35.0  # top edge of the mark below the top of the text block (recommended)
ORGAN_MARK_LINE_FACTOR = 1.2  # exact line height as a multiple of the mark's size
ORGAN_MARK_SUFFIX_GAP_CHARS = 0.5  # between stacked joint names and "文件"
# Room left in the names' column beyond the widest name: with none, rounding in the word processor pushes the
# name's last character onto a line of its own.
ORGAN_MARK_SLACK_CHARS = 0.5

def organ_mark_size(width_chars: float) -> float:
    """The largest 发文机关标志 size (in whole half points) that keeps a line `width_chars` wide inside the block."""
    fitted = math.floor(TEXT_WIDTH_PT / max(width_chars, 1) * 2) / 2
    return max(ORGAN_MARK_MIN_PT, min(ORGAN_MARK_MAX_PT, fitted))


# 信函格式 (GB/T 9704 10.1): the organ's name (no 文件) with its top 30 mm below the page's top edge, a red double
# line (thick over thin) 4 mm under it and another (thin over thick) 20 mm above the page's bottom edge, both 170 mm
# long and centred, page 1 unnumbered; 份号 and 紧急程度 at the left and the 发文字号 at the right under the first line.
LETTER_MARK_TOP_MM = 30.0
LETTER_MARK_MAX_PT = 30.0  # the standard fixes no size; a letterhead is set smaller than a 文件's mark
LETTER_RULE_GAP_MM = 4.0
LETTER_RULE_LENGTH_MM = 170.0
LETTER_RULE_OVERHANG_MM = (LETTER_RULE_LENGTH_MM - TEXT_WIDTH_MM) / 2  # 7 mm past the block on each side
LETTER_BOTTOM_RULE_MM = 20.0  # from the page's bottom edge
LETTER_RULE_SZ = 18  # eighths of a point, both strokes and the gap (2.25 pt)
LETTER_TOP_RULE = "thickThinSmallGap"
LETTER_BOTTOM_RULE = "thinThickSmallGap"


# 命令（令）格式 (GB/T 9704 10.2): the mark "…令" with its top 20 mm below the text block's top, the 令号 two lines
# under it, the body two lines under the 令号; at the end the 签发人's 签名章 two lines under the body (or 附件说明),
# four characters in from the right, the post two characters left of it, the date a line under it (7.3.5.3).
ORDER_MARK_TOP_MM = 20.0
ORDER_NUMBER_LINES_BELOW_MARK = 2
ORDER_BODY_LINES_BELOW_NUMBER = 2
SIGNATURE_STAMP_LINES_BELOW_BODY = 2
SIGNER_TITLE_GAP_CHARS = 2  # between the post and the 签名章
DATE_LINES_BELOW_STAMP = 1
MARK_POSITION_TOLERANCE_MM = 1.0

# 纪要格式 (GB/T 9704 10.3): "出席", "请假", "列席" in 3号黑体 two characters in, one line under the body (or 附件说明),
# each followed by a full-width colon and the names in 3号仿宋; a wrapped line starts under the first name.
NAME_LIST_LINES_BELOW_BODY = 1
NAME_LIST_LEFT_CHARS = 2.0
NAME_LIST_ELEMENTS = ("出席", "请假", "列席")

# 附件 (GB/T 9704 7.3.7): each on a new page after the 附注, its "附件" + number in 3号黑体 at the top left (顶格, the
# first line), its title centred on the third line, its text one line under the title.
ATTACHMENT_TITLE_LINES_BELOW_LABEL = 1
ATTACHMENT_BODY_LINES_BELOW_TITLE = 1

# Vertical spacing expressed in lines (一行 = LINE_PITCH).
DOC_NUMBER_LINES_BELOW_MARK = 2
TITLE_LINES_BELOW_SEPARATOR = 2
MAIN_TO_LINES_BELOW_TITLE = 1
ATTACHMENT_LINES_BELOW_BODY = 1
SIGNATURE_LINES_BELOW_BODY = 2  # room for the seal, whose top stays within one line of the text
NOTE_LINES_BELOW_DATE = 0  # 附注 goes on the line right under the 成文日期 (GB/T 9704 7.3.6)

# Seals (GB/T 9704 7.3.5.1): an organ's seal is a 42 mm circle pressed centred on its 署名; joint organs' seals
# stand side by side (two to a row), neither touching each other nor crossing the block's edges, the last one
# over the last 署名 and the 成文日期.
SEAL_DIAMETER_MM = 42.0
SEAL_GAP_MM = 3.0  # between two seals' edges: "互不相交或相切"
SEAL_ROW_LINES = 5  # from one row of seals to the next: 5 × 10.2 mm ≥ 42 mm + the gap
SEALS_PER_ROW = 2
CHAR_PITCH_MM = CHAR_PITCH_PT / PT_PER_INCH * MM_PER_INCH  # 一字 of 3号 text on the grid: 5.56 mm
TYPICAL_DATE = "2026年12月31日"  # stands in for a draft's missing date when placing the 署名

# Indents in 一字 units.
BODY_FIRST_LINE_CHARS = 2.0
DATE_RIGHT_CHARS = 4.0  # with a seal, 成文日期 is right-indented four characters
SIGNER_RIGHT_CHARS = 1.0
UPWARD_DOC_NUMBER_LEFT_CHARS = 1.0
ATTACHMENT_LEFT_CHARS = 2.0
ATTACHMENT_LABEL_CHARS = 3.0  # "附件：" — later items line up after it
IMPRINT_SIDE_CHARS = 1.0
COPY_TO_LABEL_CHARS = 3.0  # "抄送：" — wrapped lines line up after it
PAGE_NUMBER_SIDE_CHARS = 1.0
INDENT_TOLERANCE_CHARS = 0.15

# Page numbers: "— 1 —", 4号 宋体, 7 mm below the text block.
PAGE_NUMBER_FONT = SONGTI
PAGE_NUMBER_SIZE_PT = SIZE_4
PAGE_NUMBER_GAP_MM = 7.0
EM_DASH = "—"
# The footer distance is measured to the footer's bottom edge. The standard puts the dashes ("一字线") 7 mm below
# the block; in the number's line (exactly its size tall) the dash's stroke lies this far below the line's top
# (measured with LibreOffice 7.4 and Noto CJK: 2.3 mm), so the line starts 4.7 mm below the block and its bottom
# sits at 35 - 4.7 - 4.94 = 25.36 mm.
PAGE_NUMBER_DASH_BELOW_LINE_TOP_MM = 2.3
FOOTER_DISTANCE_MM = (MARGIN_BOTTOM_MM - (PAGE_NUMBER_GAP_MM - PAGE_NUMBER_DASH_BELOW_LINE_TOP_MM)
                      - PAGE_NUMBER_SIZE_PT / PT_PER_INCH * MM_PER_INCH)
PAGE_NUMBER_LINE_TWIPS = round(PAGE_NUMBER_SIZE_PT * TWIPS_PER_PT)

# Text formats checked on the rendered document.
DATE_PATTERN = r"\d{4}年[1-9]\d?月[1-9]\d?日"
DOC_NUMBER_PATTERN = r"\S+〔\d{4}〕[1-9]\d*号"
COPY_NUMBER_PATTERN = r"\d{6}"


def char_twips(size_pt: float = BODY_SIZE_PT) -> float:
    """The width of 一字 in twips. 3号 text is condensed to a 15.75 pt pitch (so that 28 fit); an indent measured
    in whole 16 pt characters would cost an indented line a character. Other sizes are not condensed."""
    return (CHAR_PITCH_PT if size_pt == BODY_SIZE_PT else size_pt) * TWIPS_PER_PT


def indent_twips(chars: float, size_pt: float = BODY_SIZE_PT) -> int:
    """An indent of `chars` characters of `size_pt` text, in twips."""
    return round(chars * char_twips(size_pt))


@dataclass(frozen=True)
class ElementSpec:
    """How one element of the document looks; None means "not fixed by the standard, not checked"."""

    element: str  # the element's name in GB/T 9704, used in deviations
    font: str
    size_pt: float
    align: tuple[str, ...]  # accepted w:jc values, the first is what we render
    color: str = BLACK
    line_twips: int | None = LINE_PITCH_TWIPS  # exact line spacing
    snap_to_grid: bool = True
    first_line_chars: float | None = 0.0  # first line start, relative to the left margin
    left_chars: float | None = 0.0
    right_chars: float | None = 0.0

    @property
    def style(self) -> str:
        return f"OA {self.element}"

    @property
    def on_char_grid(self) -> bool:
        """Every 3号 element is set on the 28-characters-per-line grid, so its runs carry CHAR_SPACING_TWIPS."""
        return self.size_pt == BODY_SIZE_PT

    @property
    def char_spacing_twips(self) -> int:
        return CHAR_SPACING_TWIPS if self.on_char_grid else 0


def _spec(element: str, font: str, size: float, *align: str, **kw: Any) -> ElementSpec:
    return ElementSpec(element, font, size, align, **kw)


# Paragraph elements, each rendered in its own paragraph style named "OA <element>".
ELEMENTS: dict[str, ElementSpec] = {s.element: s for s in (
    _spec("份号", FANGSONG, SIZE_3, "left"),
    _spec("紧急程度", HEITI, SIZE_3, "left"),
    # Size varies (fitted), so the checker tests a range; "distribute" is the stacked joint form.
    _spec("发文机关标志", XIAOBIAOSONG, ORGAN_MARK_MAX_PT, "center", "distribute", color=RED,
          line_twips=None, snap_to_grid=False),
    # 上行: left, one character in, sharing its line with the last 签发人 (checked separately).
    _spec("发文字号", FANGSONG, SIZE_3, "center", left_chars=None, right_chars=None, first_line_chars=None),
    # Laid out with tab stops so wrapped names line up; the tabs keep the right side one character in.
    _spec("签发人", FANGSONG, SIZE_3, "left", "right", right_chars=None, left_chars=None, first_line_chars=None),
    _spec("标题", XIAOBIAOSONG, SIZE_2, "center", snap_to_grid=False),
    _spec("主送", FANGSONG, SIZE_3, "left", "both"),
    _spec("正文", FANGSONG, SIZE_3, "both", first_line_chars=BODY_FIRST_LINE_CHARS),
    _spec("一级标题", HEITI, SIZE_3, "both", first_line_chars=BODY_FIRST_LINE_CHARS),
    _spec("二级标题", KAITI, SIZE_3, "both", first_line_chars=BODY_FIRST_LINE_CHARS),
    _spec("三级标题", FANGSONG, SIZE_3, "both", first_line_chars=BODY_FIRST_LINE_CHARS),
    _spec("四级标题", FANGSONG, SIZE_3, "both", first_line_chars=BODY_FIRST_LINE_CHARS),
    # Its indents depend on the numbers (a wrapped name lines up under its first character): checked separately.
    _spec("附件说明", FANGSONG, SIZE_3, "left", "both", first_line_chars=None, left_chars=None),
    # 署名's right indent centres it over the date, so it depends on the texts; a row of two joint organs'
    # names is set with centred tab stops (signatures.py).
    _spec("署名", FANGSONG, SIZE_3, "right", "left", right_chars=None),
    _spec("成文日期", FANGSONG, SIZE_3, "right", right_chars=DATE_RIGHT_CHARS),
    _spec("附注", FANGSONG, SIZE_3, "both", "left", first_line_chars=BODY_FIRST_LINE_CHARS),
    _spec("抄送", FANGSONG, SIZE_4, "left", "both", snap_to_grid=False, first_line_chars=IMPRINT_SIDE_CHARS,
          left_chars=IMPRINT_SIDE_CHARS + COPY_TO_LABEL_CHARS),
    _spec("印发", FANGSONG, SIZE_4, "left", snap_to_grid=False, first_line_chars=IMPRINT_SIDE_CHARS,
          left_chars=IMPRINT_SIDE_CHARS, right_chars=IMPRINT_SIDE_CHARS),
    _spec("页码", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT, "right", "left", line_twips=PAGE_NUMBER_LINE_TWIPS,
          snap_to_grid=False, first_line_chars=None, left_chars=None, right_chars=None),
    # 命令格式: the 令号 where a 发文字号 would be; the 签发人's post and, four characters in from the right, the
    # 签名章 (its name standing where the stamp is pressed).
    _spec("令号", FANGSONG, SIZE_3, "center"),
    _spec("签发人签名章", FANGSONG, SIZE_3, "right", right_chars=DATE_RIGHT_CHARS),
    # 纪要格式: its 期号 where a 发文字号 would be; the name lists, whose indents depend on the label (checked apart).
    _spec("期号", FANGSONG, SIZE_3, "center"),
    *(_spec(name, FANGSONG, SIZE_3, "left", "both", first_line_chars=None, left_chars=None)
      for name in NAME_LIST_ELEMENTS),
    # An attachment's own pages: its label at the top left, its title as the document's.
    _spec("附件标识", HEITI, SIZE_3, "left"),
    _spec("附件标题", XIAOBIAOSONG, SIZE_2, "center", snap_to_grid=False),
)}

# The red separator: an empty paragraph whose bottom border is the line.
SEPARATOR_STYLE = "OA 分隔线"
IMPRINT_ELEMENTS = ("抄送", "印发")  # the rows of the 版记 table, in this order
# Character style for the 签发人 names (楷体) inside a 仿宋 paragraph.
SIGNER_NAME_STYLE = "OA 签发人姓名"
SIGNER_NAME_FONT = KAITI
# Character style for the 纪要's "出席：" labels (黑体) before the names (仿宋).
NAME_LIST_LABEL_STYLE = "OA 名单标签"
NAME_LIST_LABEL_FONT = HEITI
CHARACTER_STYLES = {SIGNER_NAME_STYLE: SIGNER_NAME_FONT, NAME_LIST_LABEL_STYLE: NAME_LIST_LABEL_FONT}
HEADING_ELEMENTS = ("正文", "一级标题", "二级标题", "三级标题", "四级标题")
MANDATORY_ELEMENTS = ("发文机关标志", "标题", "正文")  # an order has no 标题 (its mark is one)
URGENCY_VALUES = ("特急", "加急")
