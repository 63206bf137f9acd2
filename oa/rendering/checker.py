"""Checks a .docx against GB/T 9704-2012 as parametrised in layout.py and lists every deviation.

Formatting is judged as Word would show it: a run's own properties, then its character style, then
its paragraph style chain, then the document defaults; so a run-level override that breaks a rule is
caught even when the style is right. Elements are recognised by the "OA …" paragraph styles the
renderer writes, so a document from elsewhere mostly reports its elements as missing; the 版记 is the
table holding the 抄送 and 印发 rows, its rules that table's borders (imprint_checks.py). The layout it is set in
(文件, 信函, 命令, 纪要) is read off its elements, and each form's own rules are checked (letter_checks.py,
form_checks.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any
from zipfile import BadZipFile

from docx import Document

from oa.rendering import layout as L
from oa.rendering import ooxml as X
from oa.rendering.form_checks import FormChecks, form_of
from oa.rendering.forms import FILE_FORM, LETTER_FORM, ORDER_FORM
from oa.rendering.imprint_checks import ImprintChecks, check_border
from oa.rendering.laid_out import Layout
from oa.rendering.layout_checks import check_layout
from oa.rendering.letter_checks import LetterChecks, letterhead
from oa.rendering.ooxml import attr, w
from oa.rendering.placement_checks import PlacementChecks
from oa.rendering.text_width import text_width
from oa.rendering.title_breaks import hourglass, misplaced_breaks

# Text a reader sees as Chinese, drawn with the East-Asian font (full-width punctuation and the em dash too).
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2014\u2026\u201c\u201d]")
PAGE_MARK = "\x00"  # stands for a PAGE field while matching a footer's text
ELEMENT_BY_STYLE = {spec.style: spec for spec in L.ELEMENTS.values()}


@dataclass(frozen=True)
class Deviation:
    """One way the document departs from the standard."""

    element: str  # e.g. "标题"
    rule: str  # e.g. "字号"
    expected: str
    found: str

    def __str__(self) -> str:
        return f"[{self.element}] {self.rule}: 应为 expected {self.expected}; 实为 found {self.found}"


def _fmt_chars(value: float) -> str:
    return f"{value:g} 字"


class Checker:
    """One pass over one document, collecting deviations (each reported once)."""

    def __init__(self, data: bytes) -> None:
        self.document = Document(BytesIO(data))
        self.styles = X.Styles(self.document.styles.element)
        # Character styles that set their own font inside a paragraph: 签发人 names (楷体), 纪要 labels (黑体).
        self.char_fonts = {i: L.CHARACTER_STYLES[self.styles.name(i)] for i in self.styles.by_id
                           if self.styles.name(i) in L.CHARACTER_STYLES}
        self.found: list[Deviation] = []
        self.letter = False  # in the 信函格式 (set by check_body)
        self.form = FILE_FORM  # the layout it is set in (set by check_body)

    def add(self, element: str, rule: str, expected: object, found: object) -> None:
        deviation = Deviation(element, rule, str(expected), str(found))
        if deviation not in self.found:
            self.found.append(deviation)

    def run(self) -> list[Deviation]:
        self.check_page()
        self.check_defaults()
        self.check_body()
        self.check_footers()
        return self.found

    # Page, grid and defaults.
    def check_page(self) -> None:
        defaults = self.styles.default_levels()
        normal_size = X.size(defaults) or L.BODY_SIZE_PT
        normal_spacing = X.char_spacing(defaults)
        for section in self.document.sections:
            mm = {name: (getattr(section, name) or 0) / 36000 for name in (
                "page_width", "page_height", "top_margin", "bottom_margin", "left_margin", "right_margin")}
            for name, label, expected in (("page_width", "纸张宽度", L.PAGE_WIDTH_MM),
                                          ("page_height", "纸张高度", L.PAGE_HEIGHT_MM)):
                if abs(mm[name] - expected) > L.PAGE_SIZE_TOLERANCE_MM:
                    self.add("页面", label, f"{expected:g} mm (A4)", f"{mm[name]:.1f} mm")
            for name, label, expected in (("top_margin", "上边距", L.MARGIN_TOP_MM),
                                          ("bottom_margin", "下边距", L.MARGIN_BOTTOM_MM),
                                          ("left_margin", "左边距", L.MARGIN_LEFT_MM),
                                          ("right_margin", "右边距", L.MARGIN_RIGHT_MM)):
                if abs(mm[name] - expected) > L.MARGIN_TOLERANCE_MM + 1e-6:
                    self.add("页面", label, f"{expected:g} mm ±{L.MARGIN_TOLERANCE_MM:g}", f"{mm[name]:.1f} mm")
            # A character grid (linesAndChars, snapToChars) is laid out two cells per character by LibreOffice.
            grid = section._sectPr.find(w("docGrid"))
            if attr(grid, "type") != L.DOC_GRID_TYPE:
                self.add("文档网格", "类型", f"{L.DOC_GRID_TYPE} (只设行网格)", attr(grid, "type") or "未设置 (none)")
            pitch_pt = int(attr(grid, "linePitch") or 0) / L.TWIPS_PER_PT
            height_pt = L.mm_to_pt(mm["page_height"] - mm["top_margin"] - mm["bottom_margin"])
            width_pt = L.mm_to_pt(mm["page_width"] - mm["left_margin"] - mm["right_margin"])
            lines = int(height_pt / pitch_pt + 1e-6) if pitch_pt else 0
            if lines != L.LINES_PER_PAGE:
                self.add("文档网格", "每页行数", L.LINES_PER_PAGE, f"{lines} (linePitch {pitch_pt:g} pt)")
            # Characters per line follow from the default 3号 text's advance: its size plus its character spacing.
            chars = L.chars_per_line(width_pt, normal_size, normal_spacing)
            if chars != L.CHARS_PER_LINE:
                pitch = normal_size + normal_spacing / L.TWIPS_PER_PT
                self.add("默认样式", "每行字数", L.CHARS_PER_LINE, f"{chars} (字距 {pitch:.2f} pt)")

    def check_defaults(self) -> None:
        levels = self.styles.default_levels()
        if X.font(levels, "eastAsia") != L.FANGSONG:
            self.add("默认样式", "字体", L.FANGSONG, X.font(levels, "eastAsia") or "未设置 (none)")
        if X.size(levels) != L.BODY_SIZE_PT:
            self.add("默认样式", "字号", f"{L.BODY_SIZE_PT:g} pt", f"{X.size(levels)} pt")

    # Body elements.
    def check_body(self) -> None:
        body = self.document.element.body
        present: set[str] = set()
        sequence: list[tuple[str, Any]] = []
        upward = False
        for paragraph in body.iter(w("p")):
            style = self.styles.name(self.styles.paragraph_style(paragraph))
            if style == L.SEPARATOR_STYLE:
                sequence.append((style, paragraph))
                continue
            spec = ELEMENT_BY_STYLE.get(style)
            if spec is None:
                continue
            text = X.paragraph_text(paragraph)
            if text.strip():
                present.add(spec.element)
                sequence.append((spec.element, paragraph))
            upward = upward or spec.element == "签发人" or "签发人" in text
            self.check_paragraph(spec, paragraph, text, upward)
        mark = letterhead(self.document, self.styles)
        if mark is not None:
            present.add("发文机关标志")
            self.check_runs(L.ELEMENTS["发文机关标志"], mark)  # its indents reach out for the 170 mm double line
        self.letter = mark is not None
        self.form = form_of(sequence, self.letter)
        for element in L.MANDATORY_ELEMENTS:
            if element == "标题" and self.form == ORDER_FORM:
                continue  # an order's mark is its title (GB/T 9704 10.2)
            if element not in present and not (element == "正文" and present & set(L.HEADING_ELEMENTS)):
                self.add(element, "缺失", "存在 (present)", "缺失 (missing)")
        number = next((X.paragraph_text(p).split("\t")[-1].strip() for kind, p in sequence
                       if kind in ("发文字号", "份号") and "〔" in X.paragraph_text(p)), "")
        LetterChecks(self.document, self.styles, self.add).run(mark, number)
        # A letter has its double line instead of the separator, an order neither.
        self.check_separator(sequence, "发文机关标志" in present and self.form not in (LETTER_FORM, ORDER_FORM))
        ImprintChecks(self.document, self.styles, self.add).run(sequence, self.letter)
        PlacementChecks(self.styles, self.add).run(sequence)
        FormChecks(body, self.styles, self.add).run(sequence, self.form)

    def check_paragraph(self, spec: L.ElementSpec, paragraph: Any, text: str, upward: bool) -> None:
        element = spec.element
        self.check_runs(spec, paragraph)
        levels = self.styles.paragraph_levels(paragraph)
        jc = X.alignment(levels)
        allowed = ("left",) if element == "发文字号" and upward else spec.align
        if jc not in allowed:
            self.add(element, "对齐", "/".join(allowed), jc)
        if spec.line_twips:
            spacing, _ = X.first(levels, "spacing", "line")
            rule = attr(spacing, "lineRule") or "auto"
            line = int(attr(spacing, "line") or 0)
            tolerance = L.LINE_SPACING_TOLERANCE_PT * L.TWIPS_PER_PT
            if rule != "exact" or abs(line - spec.line_twips) > tolerance:
                self.add(element, "行距", f"固定值 exact {spec.line_twips / L.TWIPS_PER_PT:g} pt",
                         f"{rule} {line / L.TWIPS_PER_PT:g} pt")
        if spec.snap_to_grid and spec.element != "页码":
            self.check_grid_typesetting(element, levels + self.styles.default_levels()[-1:])
        indents = X.indents(levels, L.char_twips(spec.size_pt))
        expected = {"left": spec.left_chars, "right": spec.right_chars, "first": spec.first_line_chars}
        if element == "发文字号" and upward:
            expected = {"left": L.UPWARD_DOC_NUMBER_LEFT_CHARS, "right": None, "first": None}
        elif element == "发文字号":
            expected = {"left": 0.0, "right": 0.0, "first": 0.0}
        found = {"left": indents["left"], "right": indents["right"], "first": indents["left"] + indents["first"]}
        for side, label in (("left", "左缩进"), ("right", "右缩进"), ("first", "首行位置")):
            want = expected[side]
            if want is not None and abs(found[side] - want) > L.INDENT_TOLERANCE_CHARS:
                self.add(element, label, _fmt_chars(want), _fmt_chars(round(found[side], 2)))
        self.check_text(element, text)

    def check_grid_typesetting(self, element: str, levels: list[Any]) -> None:
        """Widow/orphan control ends a page a line early (21 lines instead of 22); overflowing punctuation hangs a
        "。" into the right margin; both are on in Word unless turned off."""
        widow = next((level.find(w("widowControl")) for level in levels
                      if level.find(w("widowControl")) is not None), None)
        if widow is not None and X.on(widow):
            self.add(element, "孤行控制", "关闭 (w:widowControl=0)：每页 22 行排满", "开启：页末可能只排 21 行")
        overflow = next((level.find(w("overflowPunct")) for level in levels
                         if level.find(w("overflowPunct")) is not None), None)
        if overflow is None or X.on(overflow):
            self.add(element, "标点溢出边界", "不允许 (w:overflowPunct=0)：标点不出版心", "允许：句末标点可悬于右边距")

    def check_runs(self, spec: L.ElementSpec, paragraph: Any) -> None:
        # A 纪要's "出席：" is 黑体 however it was set (a character style or the run's own font), the names 仿宋.
        label_end = 0
        if spec.element in L.NAME_LIST_ELEMENTS:
            label, colon, _ = X.paragraph_text(paragraph).partition("：")
            label_end = len(label + colon)
        offset = 0
        for run in paragraph.iter(w("r")):
            start, raw = offset, X.run_text(run)
            offset += len(raw)
            text = raw.replace("\t", "")
            if not text:
                continue
            levels = self.styles.run_levels(run, paragraph)
            own = run.find(w("rPr"))
            char_style = attr(own.find(w("rStyle")) if own is not None else None, "val")
            font = L.NAME_LIST_LABEL_FONT if start < label_end else self.char_fonts.get(char_style or "", spec.font)
            where = X.snippet(text)
            if CJK.search(text):
                own_fonts = own.find(w("rFonts")) if own is not None else None
                if attr(own_fonts, "eastAsia") is None:
                    self.add(spec.element, "东亚字体", f"w:eastAsia=“{font}”", f"未设置 (missing) {where}")
                found_font = X.font(levels, "eastAsia")
            else:
                found_font = X.font(levels, "ascii")
            if found_font != font:
                self.add(spec.element, "字体", font, f"{found_font or '未设置 (none)'} {where}")
            size = X.size(levels)
            if spec.element == "发文机关标志":
                if size is None or not L.ORGAN_MARK_MIN_PT <= size <= L.ORGAN_MARK_MAX_PT:
                    self.add(spec.element, "字号", f"{L.ORGAN_MARK_MIN_PT:g}–{L.ORGAN_MARK_MAX_PT:g} pt", f"{size} pt")
            elif size is None or abs(size - spec.size_pt) > 0.25:
                self.add(spec.element, "字号", f"{spec.size_pt:g} pt", f"{size:g} pt {where}" if size else "未设置")
            if X.bold(levels):
                self.add(spec.element, "加粗", "不加粗 (not bold)", f"加粗 (bold) {where}")
            if spec.on_char_grid:
                self.check_char_spacing(spec.element, levels, size or spec.size_pt, where)
            color = X.color(levels)
            if spec.color == L.RED and color != L.RED:
                self.add(spec.element, "颜色", f"红色 #{L.RED}", f"{color} {where}")
            elif spec.color != L.RED and color not in L.BLACK_VALUES:
                self.add(spec.element, "颜色", "黑色 (black/auto)", f"{color} {where}")

    def check_char_spacing(self, element: str, levels: list[Any], size: float, where: str) -> None:
        """3号 text must advance at a pitch that puts exactly 28 characters on a line (layout.CHAR_SPACING_TWIPS)."""
        spacing = X.char_spacing(levels)
        chars = L.chars_per_line(L.TEXT_WIDTH_PT, size, spacing)
        if chars != L.CHARS_PER_LINE:
            pitch = size + spacing / L.TWIPS_PER_PT
            self.add(element, "字距", f"w:spacing {L.CHAR_SPACING_TWIPS} ({L.CHAR_PITCH_PT:g} pt/字, "
                     f"{L.CHARS_PER_LINE} 字/行)", f"{spacing:g} ({pitch:g} pt/字, {chars} 字/行) {where}")

    def check_text(self, element: str, raw: str) -> None:
        """Text formats; `raw` keeps its tabs, which separate the parts of 发文字号 and 印发 lines."""
        text = raw.strip()
        if not text:
            return
        if element == "成文日期":
            self.check_date(element, text)
        elif element == "印发":
            parts = raw.split("\t")
            if len(parts) > 1:
                self.check_date(element, parts[-1].strip().removesuffix("印发"))
                if not parts[-1].strip().endswith("印发"):
                    self.add(element, "格式", "……年…月…日印发", parts[-1].strip())
        elif element == "发文字号":
            number = raw.split("\t")[0].strip()
            if number and not re.fullmatch(L.DOC_NUMBER_PATTERN, number):
                self.add(element, "格式", "代字〔2026〕12号", number)
        elif element == "标题":
            self.check_title_lines(raw)
        elif element == "主送" and not text.endswith("："):
            self.add(element, "格式", "以全角冒号“：”结尾", text[-1])
        elif element == "份号":
            # A letter sets its 发文字号 at the right of the 份号's line (GB/T 9704 10.1).
            copy_number, _, number = text.partition("\t")
            if not re.fullmatch(L.COPY_NUMBER_PATTERN, copy_number.strip()):
                self.add(element, "格式", "6位阿拉伯数字", copy_number)
            if number.strip() and not re.fullmatch(L.DOC_NUMBER_PATTERN, number.strip()):
                self.add("发文字号", "格式", "代字〔2026〕12号", number.strip())
        elif element == "紧急程度" and text not in L.URGENCY_VALUES:
            self.add(element, "格式", "/".join(L.URGENCY_VALUES), text)
        elif element == "抄送" and not (text.startswith("抄送：") and text.endswith("。")):
            self.add(element, "格式", "抄送：……。", X.snippet(text))

    def check_title_lines(self, raw: str) -> None:
        """GB/T 9704 7.3.1: a title breaks between words (词意完整) into a trapezoid or a diamond, and a line too long
        for the block is wrapped by the word processor wherever it runs out of room, mid-word as likely as not."""
        lines = [line.strip() for line in raw.split("\n") if line.strip()]
        for number, line in enumerate(lines, 1):
            if text_width(line) > L.TITLE_CHARS_PER_LINE:
                self.add("标题", "回行", f"每行至多 {L.TITLE_CHARS_PER_LINE} 字，在词间换行",
                         f"第 {number} 行 {text_width(line):g} 字，由排版软件随处折行 {X.snippet(line)}")
        broken = misplaced_breaks(lines)
        if broken:
            self.add("标题", "回行", "词意完整 (在词与词之间回行)", f"词内断行 {'、'.join(broken)}")
        if hourglass(lines):
            widths = "/".join(f"{text_width(line):g}" for line in lines)
            self.add("标题", "排列", "梯形或菱形", f"沙漏形 (各行 {widths} 字)")

    def check_date(self, element: str, text: str) -> None:
        match = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
        valid = bool(match and re.fullmatch(L.DATE_PATTERN, text))
        if match and valid:
            try:
                date(*(int(g) for g in match.groups()))
            except ValueError:
                valid = False
        if not valid:
            self.add(element, "日期格式", "2026年1月5日 (阿拉伯数字，不编虚位)", text)

    def check_border(self, element: str, border: Any, color: str, sz: int) -> bool:
        return check_border(self.add, element, border, color, sz)

    def check_separator(self, sequence: list[tuple[str, Any]], has_mark: bool) -> None:
        """The red separator: the bottom border of a paragraph spanning the whole text block."""
        separators = [p for kind, p in sequence if kind == L.SEPARATOR_STYLE]
        if has_mark and not separators:
            self.add("分隔线", "缺失", "红色分隔线 (red separator)", "缺失 (missing)")
        for paragraph in separators:
            levels = self.styles.paragraph_levels(paragraph)
            bottom = next((level.find(f"{w('pBdr')}/{w('bottom')}") for level in levels
                           if level.find(f"{w('pBdr')}/{w('bottom')}") is not None), None)
            if not self.check_border("分隔线", bottom, L.RED, L.SEPARATOR_SZ):
                continue
            indents = X.indents(levels, L.char_twips())
            in_table = X.in_table(paragraph)
            if in_table or abs(indents["left"]) > 0.01 or abs(indents["right"]) > 0.01:
                found = "表格内 (in a table)" if in_table else \
                    f"左缩进 {indents['left']:g} 字, 右缩进 {indents['right']:g} 字"
                self.add("分隔线", "跨度", f"版心全宽 {L.TEXT_WIDTH_MM:g} mm (无缩进)", found)

    # Footers.
    def check_footers(self) -> None:
        settings = self.document.settings.element
        if not X.on(settings.find(w("evenAndOddHeaders"))):
            self.add("页码", "奇偶页不同", "w:evenAndOddHeaders 开启 (on)", "未开启 (off)")
        spec = L.ELEMENTS["页码"]
        for section in self.document.sections:
            footers = (("奇数页", section.footer, "right"), ("偶数页", section.even_page_footer, "left"))
            if self.imprint_only(section):
                # The 版记 on a page of its own (after a blank page, maybe): neither is numbered (GB/T 9704 7.5).
                for label, footer, _ in footers:
                    if any(PAGE_MARK in _field_text(p._p) for p in footer.paragraphs):
                        self.add("页码", "空白页和版记页不编页码", f"{label}页脚无页码", "有 PAGE 域")
                continue
            for label, footer, align in footers:
                if footer.is_linked_to_previous:
                    self.add("页码", f"{label}页脚", "— N —", "缺失 (missing)")
                    continue
                self.check_footer(label, [p._p for p in footer.paragraphs], align, spec)

    def imprint_only(self, section: Any) -> bool:
        """A section holding nothing but the 版记 (its table and empty paragraphs), after one with the text."""
        if section._sectPr is self.document.sections[0]._sectPr:
            return False
        texts = [X.paragraph_text(item._element).strip() for item in section.iter_inner_content()
                 if item._element.tag == w("p")]
        tables = [item for item in section.iter_inner_content() if item._element.tag == w("tbl")]
        return not any(texts) and len(tables) == 1

    def check_footer(self, label: str, paragraphs: list[Any], align: str, spec: L.ElementSpec) -> None:
        numbered = [(p, _field_text(p)) for p in paragraphs]
        numbered = [(p, text) for p, text in numbered if PAGE_MARK in text]
        if not numbered:
            self.add("页码", f"{label}PAGE 域", "PAGE field", "缺失 (missing)")
            return
        paragraph, text = numbered[0]
        if not re.fullmatch(rf"{L.EM_DASH}\s?{PAGE_MARK}\s?{L.EM_DASH}", text.strip()):
            self.add("页码", f"{label}格式", f"{L.EM_DASH} N {L.EM_DASH}", text.strip().replace(PAGE_MARK, "N"))
        levels = self.styles.paragraph_levels(paragraph)
        jc = X.alignment(levels)
        if jc != align:
            self.add("页码", f"{label}对齐", align, jc)
        indents = X.indents(levels, L.char_twips(spec.size_pt))
        if abs(indents[align] - L.PAGE_NUMBER_SIDE_CHARS) > L.INDENT_TOLERANCE_CHARS:
            self.add("页码", f"{label}{'右' if align == 'right' else '左'}缩进", _fmt_chars(L.PAGE_NUMBER_SIDE_CHARS),
                     _fmt_chars(round(indents[align], 2)))
        self.check_runs(spec, paragraph)


def _field_text(paragraph: Any) -> str:
    """Paragraph text with each PAGE field (simple or complex) replaced by PAGE_MARK, its cached result dropped."""
    out: list[str] = []
    depth, instruction = 0, ""
    for node in paragraph.iter(w("fldSimple"), w("fldChar"), w("instrText"), w("t")):
        if node.tag == w("fldSimple"):
            out.append(PAGE_MARK if "PAGE" in (attr(node, "instr") or "").upper().split() else "")
        elif node.tag == w("fldChar"):
            kind = attr(node, "fldCharType")
            if kind == "begin":
                depth, instruction = depth + 1, ""
            elif kind == "end" and depth:
                depth -= 1
                out.append(PAGE_MARK if "PAGE" in instruction.upper().split() else "")
        elif node.tag == w("instrText"):
            instruction += node.text or ""
        elif not depth and not any(a.tag == w("fldSimple") for a in node.iterancestors()):
            out.append(node.text or "")
    return "".join(out)


def check_docx(data: bytes, laid_out: Layout | None = None) -> list[Deviation]:
    """Every deviation of the .docx from GB/T 9704-2012 as layout.py states it; [] means conformant.

    With `laid_out` (the file as a layout engine set it: laid_out.lay_out(data)) the rules only the laid-out
    pages can show are checked too (layout_checks.py)."""
    try:
        checker = Checker(data)
    except (BadZipFile, KeyError, ValueError) as error:  # not a Word document at all
        return [Deviation("文件", "格式", "a .docx (Office Open XML) document", f"unreadable: {error}")]
    found = checker.run()
    if laid_out is not None:
        marks = [X.paragraph_text(p).strip() for p in checker.document.element.body.iter(w("p"))
                 if checker.styles.name(checker.styles.paragraph_style(p)) == L.ELEMENTS["发文机关标志"].style]
        found += [Deviation(*item) for item in check_layout(laid_out, marks, checker.letter)]
    return found
