"""Typesets a 公文 onto fixed pages (page_model) at the exact positions GB/T 9704-2012 gives.

It reads the same prepared document as the .docx renderer and lays it out with the same vertical model as
pagination.py (every element's height in twips on the 28.95 pt line pitch, keep-with-next chains, the
版记's room), so the PDF breaks its pages where the .docx does: tests/test_typeset.py holds the two to the
same page count and 版记 page. Line breaks are pagination.break_lines (28 characters, 避头尾); widths for
centring, right alignment and justification are measured with the faces that will draw the text.

What it places, in mm from the page's top-left corner: the 版头 (份号, 紧急程度, 发文机关标志 with its top
35 mm below the text block's, 发文字号 or the 签发人 rows, the red separator 4 mm under the number), the
title, 主送, the body (first lines two characters in, full lines justified), 附件说明, 署名 (side by side
for joint organs), 成文日期, 附注, the 版记 on the bottom of the last even page (after an unnumbered blank
page when needed: 7.4, 7.5), page numbers 7 mm under the text block, and where each organ's seal goes
(centred on its 署名, the last one also over the 成文日期). A letter (信函格式, 10.1) gets its letterhead on
page 1 instead of the 版头, no page number there, and a 版记 of 抄送 alone without rules; an order (10.2) its
令号 and the 签发人's post and name; a 纪要 (10.3) its 期号 and name lists; an attachment printed in full
starts a page of its own. How blocks fill the pages is page_flow.py's.
"""

from __future__ import annotations

from typing import Any

from oa.rendering import layout as L
from oa.rendering.content import (
    BodyLine,
    NameList,
    Prepared,
    attachment_items,
    mark_width_chars,
    prepare,
    signature_right_indent,
)
from oa.rendering.fonts import FontSet, font_set
from oa.rendering.letter_form import letter_mark_size
from oa.rendering.page_flow import (
    EM_ABOVE_BASELINE,
    LINE,
    PT_MM,
    Block,
    PageFlow,
    Run,
    SealMark,
    baseline_mm,
    text_run,
    tw_mm,
)
from oa.rendering.page_model import NAME_STAMP, SEAL, Page, Rule, SealImage, TextRun, TypesetDocument
from oa.rendering.pagination import break_lines, imprint_twips, last_body_keeps
from oa.rendering.signatures import signature_rows
from oa.rendering.text_width import text_width

PITCH_MM = L.CHAR_PITCH_MM  # 一字 of 3号 text on the grid
GRID_SPACING_PT = L.CHAR_SPACING_TWIPS / L.TWIPS_PER_PT  # -0.25 pt after each 3号 character
NAME_STAMP_MM = 18.0  # a 签名章's side (oa.seals draws it this wide)
FULL_WIDTH_SPACE = "\u3000"
SIGNER_LABEL = "签发人："
THIN_RULE_MM, THICK_RULE_MM, SEPARATOR_RULE_MM = 0.25, 0.35, 0.53
LETTER_THICK_MM, LETTER_THIN_MM, LETTER_GAP_MM = 0.79, 0.26, 0.53




class Typesetter:
    def __init__(self, doc: Prepared, fonts: FontSet) -> None:
        self.doc, self.fonts = doc, fonts

    # Measuring.
    def width_mm(self, text: str, role: str, size: float, spacing: float = 0.0) -> float:
        advances = sum(self.fonts.face_for(role, ch).advance(self.fonts.face_for(role, ch).cmap.get(ord(ch), 0))
                       for ch in text)
        return (advances * size / 1000 + spacing * max(len(text) - 1, 0)) * PT_MM

    def grid_run(self, x_chars: float, text: str, role: str = L.FANGSONG) -> Run:
        return Run(x_chars * PITCH_MM, text, role, L.BODY_SIZE_PT, spacing_pt=GRID_SPACING_PT)

    def justified(self, x_mm: float, text: str, role: str, right_mm: float = L.TEXT_WIDTH_MM) -> Run:
        """A full line stretched (or squeezed) so it ends exactly at `right_mm`, as word processors justify."""
        natural = self.width_mm(text, role, L.BODY_SIZE_PT)
        spacing = ((right_mm - x_mm - natural) / PT_MM / (len(text) - 1)) if len(text) > 1 else 0.0
        return Run(x_mm, text, role, L.BODY_SIZE_PT, spacing_pt=spacing)

    def centred(self, text: str, role: str, size: float, color: str = L.BLACK, centre_mm: float | None = None,
                spacing: float = 0.0) -> Run:
        centre = L.TEXT_WIDTH_MM / 2 if centre_mm is None else centre_mm
        return Run(centre - self.width_mm(text, role, size, spacing) / 2, text, role, size, color, spacing)

    def right_aligned(self, text: str, right_chars: float, role: str = L.FANGSONG) -> Run:
        width = self.width_mm(text, role, L.BODY_SIZE_PT, GRID_SPACING_PT)
        return Run(L.TEXT_WIDTH_MM - right_chars * PITCH_MM - width, text, role, L.BODY_SIZE_PT,
                   spacing_pt=GRID_SPACING_PT)

    def paragraph(self, text: str, role: str, first: float, left: float, before: int = 0,
                  justify: bool = True) -> Block:
        lines = break_lines(text, first, left)
        runs = []
        for index, line in enumerate(lines):
            x = (first if index == 0 else left) * PITCH_MM
            full = justify and index < len(lines) - 1
            runs.append([self.justified(x, line, role) if full else Run(x, line, role, L.BODY_SIZE_PT,
                                                                          spacing_pt=GRID_SPACING_PT)])
        return Block(before, runs)

    # The 版头.
    def header(self) -> list[Block]:
        doc, blocks = self.doc, []
        if doc.copy_number:
            blocks.append(Block(0, [[self.grid_run(0, doc.copy_number)]]))
        if doc.urgency:
            blocks.append(Block(0, [[self.grid_run(0, doc.urgency, L.HEITI)]]))
        if doc.marks:
            blocks += self.organ_mark(len(blocks))
        if doc.order:  # 10.2: the 令号, then the 主送 or the body two lines under it; no separator, no title
            blocks.append(Block(L.ORDER_NUMBER_LINES_BELOW_MARK * LINE, [[self.centred(
                doc.order_number, L.FANGSONG, L.BODY_SIZE_PT, spacing=GRID_SPACING_PT)]]))
            return blocks
        blocks += self.number_and_signers()
        blocks.append(Block(0, [[]], L.SEPARATOR_HEIGHT_TWIPS))  # the separator's room; the rule is drawn apart
        return blocks

    def organ_mark(self, lines_above: int) -> list[Block]:
        doc = self.doc
        before = max(0, L.mm_to_twips(doc.mark_top_mm) - lines_above * LINE)
        size = L.organ_mark_size(mark_width_chars(doc.marks, doc.mark_suffix))
        line = round(size * L.ORGAN_MARK_LINE_FACTOR * L.TWIPS_PER_PT)
        if not doc.mark_suffix:
            return [Block(before, [[self.centred(m, L.XIAOBIAOSONG, size, L.RED)] for m in doc.marks], line,
                          em_top_mm=0.0)]
        # Joint: the names stacked in a column, each spread across it, "文件" to their right, vertically centred.
        column = (max(text_width(m) for m in doc.marks) + L.ORGAN_MARK_SLACK_CHARS) * size * PT_MM
        suffix = (text_width(doc.mark_suffix) + L.ORGAN_MARK_SUFFIX_GAP_CHARS) * size * PT_MM
        left = (L.TEXT_WIDTH_MM - column - suffix) / 2
        lines = []
        for mark in doc.marks:
            natural = self.width_mm(mark, L.XIAOBIAOSONG, size)
            spacing = (column - natural) / PT_MM / (len(mark) - 1) if len(mark) > 1 else 0.0
            lines.append([Run(left, mark, L.XIAOBIAOSONG, size, L.RED, spacing)])
        middle = len(lines) // 2
        suffix_run = self.centred(doc.mark_suffix, L.XIAOBIAOSONG, size, L.RED, left + column + suffix / 2)
        # Centred on the stack: on the middle line for an odd count, between the two middle lines for an even one.
        shift = 0.0 if len(lines) % 2 else -line / 2
        names = Block(0, lines, line, em_top_mm=0.0, beside=[(middle, tw_mm(shift), suffix_run)])
        return [Block(0, [[]], max(before, 20)), names]

    def number_and_signers(self) -> list[Block]:
        doc = self.doc
        before = L.DOC_NUMBER_LINES_BELOW_MARK * LINE
        if not doc.upward or doc.minutes:  # a 纪要's 期号 (or its 发文字号) stands where a 发文字号 would
            number = doc.minutes_number if doc.minutes else doc.doc_number
            return [Block(before, [[self.centred(number, L.FANGSONG, L.BODY_SIZE_PT, spacing=GRID_SPACING_PT)]])]
        rows = [FULL_WIDTH_SPACE.join(names) for names in doc.signer_rows]
        widest = max(text_width(r) for r in rows)
        names_at = tw_mm(L.TEXT_WIDTH_TWIPS - L.indent_twips(L.SIGNER_RIGHT_CHARS + widest))
        label_at = names_at - text_width(SIGNER_LABEL) * PITCH_MM
        lines = []
        for index, names in enumerate(rows):
            line = []
            if index == len(rows) - 1:
                line.append(self.grid_run(L.UPWARD_DOC_NUMBER_LEFT_CHARS, doc.doc_number))
            if index == 0:
                line.append(Run(label_at, SIGNER_LABEL, L.FANGSONG, L.BODY_SIZE_PT, spacing_pt=GRID_SPACING_PT))
            if names:
                line.append(Run(names_at, names, L.SIGNER_NAME_FONT, L.BODY_SIZE_PT, spacing_pt=GRID_SPACING_PT))
            lines.append(line)
        return [Block(before, lines)]

    def letter_numbers(self) -> list[Block]:
        doc, blocks = self.doc, []
        if doc.copy_number or doc.doc_number:
            line = [self.grid_run(0, doc.copy_number)] if doc.copy_number else []
            if doc.doc_number:
                line.append(self.right_aligned(doc.doc_number, 0))
            blocks.append(Block(0, [line]))
        if doc.urgency:
            blocks.append(Block(0, [[self.grid_run(0, doc.urgency, L.HEITI)]]))
        return blocks

    # The 主体.
    def title(self, lines: list[str], before: int) -> Block:
        return Block(before, [[self.centred(t, L.XIAOBIAOSONG, L.SIZE_2)] for t in lines])

    def body(self, lines: list[BodyLine], lines_before: int) -> list[Block]:
        blocks = []
        for index, line in enumerate(lines):
            role = (L.FANGSONG, L.HEITI, L.KAITI, L.FANGSONG, L.FANGSONG)[line.level]
            blocks.append(self.paragraph(line.full_text, role, L.BODY_FIRST_LINE_CHARS, 0,
                                         lines_before * LINE if index == 0 else 0))
        return blocks

    def title_and_body(self) -> list[Block]:
        doc = self.doc
        blocks = [self.title(doc.title_lines, L.TITLE_LINES_BELOW_SEPARATOR * LINE)] if doc.shows_title else []
        if doc.main_to:
            below = L.ORDER_BODY_LINES_BELOW_NUMBER if doc.order else L.MAIN_TO_LINES_BELOW_TITLE
            blocks.append(self.paragraph(doc.main_to, L.FANGSONG, 0, 0, below * LINE, justify=False))
        return blocks + self.body(doc.body, doc.body_lines_before)

    def name_list(self, names: NameList, first: bool) -> Block:
        """出席/请假/列席: the label in 黑体 two characters in, the names after it, wrapped lines under the first
        name."""
        lines = break_lines(names.full_text, L.NAME_LIST_LEFT_CHARS, names.names_at)
        runs = [[Run(L.NAME_LIST_LEFT_CHARS * PITCH_MM, names.label, L.NAME_LIST_LABEL_FONT, L.BODY_SIZE_PT,
                     spacing_pt=GRID_SPACING_PT), self.grid_run(names.names_at, lines[0][len(names.label):])]]
        runs += [[self.grid_run(names.names_at, line)] for line in lines[1:]]
        return Block(L.NAME_LIST_LINES_BELOW_BODY * LINE if first else 0, runs)

    def attachment_pages(self) -> list[Block]:
        """Each attachment printed in full: its label in 黑体 at the top left of a new page, its title, its text."""
        blocks = []
        for page in self.doc.attachment_pages:
            blocks.append(Block(0, [[self.grid_run(0, page.label, L.HEITI)]], keep_with_next=True, new_page=True))
            title = self.title(page.title_lines, L.ATTACHMENT_TITLE_LINES_BELOW_LABEL * LINE)
            title.keep_with_next = True
            blocks += [title, *self.body(page.body, L.ATTACHMENT_BODY_LINES_BELOW_TITLE)]
        return blocks

    def closing(self, blocks: list[Block]) -> list[Block]:
        doc = self.doc
        closing: list[Block] = []
        items, name_at = attachment_items(doc.attachments)
        for index, item in enumerate(items):
            names = break_lines(item.name, name_at, name_at)
            first = [self.grid_run(item.first_chars, item.label + item.number)] if item.label or item.number else []
            lines = [[*first, self.grid_run(name_at, names[0])]] + [[self.grid_run(name_at, n)] for n in names[1:]]
            closing.append(Block(L.ATTACHMENT_LINES_BELOW_BODY * LINE if index == 0 else 0, lines))
        attachments = bool(items)
        for index, names in enumerate(doc.name_lists):
            closing.append(self.name_list(names, index == 0))
        if doc.stamp_line:  # 命令: the 签发人's post and name, its 签名章 pressed on the name, four characters in
            run = self.right_aligned(doc.stamp_line, L.DATE_RIGHT_CHARS)
            end = run.x_mm + self.width_mm(doc.stamp_line, L.FANGSONG, L.BODY_SIZE_PT, GRID_SPACING_PT)
            name_centre = end - self.width_mm(doc.signer_name, L.FANGSONG, L.BODY_SIZE_PT, GRID_SPACING_PT) / 2
            stamp = [SealMark(name_centre, NAME_STAMP, doc.signer_name, NAME_STAMP_MM)] if doc.signer_name else []
            closing.append(Block(L.SIGNATURE_STAMP_LINES_BELOW_BODY * LINE, [[run]], seals=stamp))
        for row in signature_rows(doc.signatures, doc.date):
            if len(row.names) == 1:
                right = signature_right_indent(row.names[0], doc.date, L.DATE_RIGHT_CHARS) if doc.date \
                    else L.DATE_RIGHT_CHARS
                runs = [self.right_aligned(row.names[0], right)]
            else:
                runs = [self.centred(n, L.FANGSONG, L.BODY_SIZE_PT, centre_mm=x, spacing=GRID_SPACING_PT)
                        for n, x in zip(row.names, row.centres_mm, strict=True)]
            closing.append(Block(row.lines_before * LINE, [runs], seals=[SealMark(x) for x in row.centres_mm]))
        if doc.date:
            closing.append(Block(doc.date_lines_before * LINE, [[self.right_aligned(doc.date, L.DATE_RIGHT_CHARS)]]))
        if doc.note:
            closing.append(self.paragraph(doc.note, L.FANGSONG, L.BODY_FIRST_LINE_CHARS, 0,
                                          L.NOTE_LINES_BELOW_DATE * LINE))
        if doc.signatures or doc.stamp_line or doc.date or doc.note:
            body_joins = not attachments and not doc.name_lists and last_body_keeps(doc) and blocks
            chain = ([blocks.pop()] if body_joins else []) + closing
            for block in chain[:-1]:
                block.keep_with_next = True
            closing = chain
        return blocks + closing + self.attachment_pages()


def _separator(page: Page, number_baseline_mm: float) -> None:
    y = number_baseline_mm + L.SEPARATOR_GAP_MM
    page.rules.append(Rule(L.MARGIN_LEFT_MM, L.MARGIN_LEFT_MM + L.TEXT_WIDTH_MM, y, SEPARATOR_RULE_MM, L.RED))


def _page_number(page: Page, typesetter: Typesetter, fonts: FontSet) -> None:
    text = f"{L.EM_DASH} {page.number} {L.EM_DASH}"
    size = L.PAGE_NUMBER_SIZE_PT
    face = fonts.face_for(L.PAGE_NUMBER_FONT, L.EM_DASH)
    dash_middle = face.glyph_middle(face.cmap.get(ord(L.EM_DASH), 0)) * size * PT_MM
    baseline = L.MARGIN_TOP_MM + L.TEXT_HEIGHT_MM + L.PAGE_NUMBER_GAP_MM + dash_middle
    width = typesetter.width_mm(text, L.PAGE_NUMBER_FONT, size)
    side = L.PAGE_NUMBER_SIDE_CHARS * size * PT_MM
    x = L.MARGIN_LEFT_MM + (L.TEXT_WIDTH_MM - side - width if page.number % 2 else side)  # type: ignore[operator]
    page.texts.append(TextRun(x, baseline, text, L.PAGE_NUMBER_FONT, size))


def _imprint(page: Page, typesetter: Typesetter, doc: Prepared, ruled: bool) -> None:
    """The 版记's rows at the bottom of the text block, the last rule on its bottom edge (GB/T 9704 7.4)."""
    size = L.SIZE_4
    per_line = L.TEXT_WIDTH_PT / size
    side = L.IMPRINT_SIDE_CHARS * size * PT_MM
    rows: list[list[Run]] = []
    row_of: list[int] = []
    if doc.copy_to:
        label = L.IMPRINT_SIDE_CHARS + L.COPY_TO_LABEL_CHARS
        for index, text in enumerate(break_lines(doc.copy_to, L.IMPRINT_SIDE_CHARS, label, 0, per_line)):
            x = (L.IMPRINT_SIDE_CHARS if index == 0 else label) * size * PT_MM
            rows.append([Run(x, text, L.FANGSONG, size)])
            row_of.append(0)
    if doc.printer:
        runs = [Run(side, doc.printer, L.FANGSONG, size)]
        if doc.printed:
            width = typesetter.width_mm(doc.printed, L.FANGSONG, size)
            runs.append(Run(L.TEXT_WIDTH_MM - side - width, doc.printed, L.FANGSONG, size))
        rows.append(runs)
        row_of.append(1)
    bottom = L.MARGIN_TOP_MM + L.TEXT_HEIGHT_MM
    top = bottom - tw_mm(LINE) * len(rows)
    for index, runs in enumerate(rows):
        line_top = top + tw_mm(LINE) * index
        page.texts += [text_run(run, line_top, LINE, None) for run in runs]
        if ruled and index and row_of[index] != row_of[index - 1]:
            page.rules.append(Rule(L.MARGIN_LEFT_MM, L.MARGIN_LEFT_MM + L.TEXT_WIDTH_MM, line_top, THIN_RULE_MM))
    if ruled:
        for y in (top, bottom):
            page.rules.append(Rule(L.MARGIN_LEFT_MM, L.MARGIN_LEFT_MM + L.TEXT_WIDTH_MM, y, THICK_RULE_MM))


def _double_rule(page: Page, y_mm: float, thick_first: bool) -> None:
    """A red double line 170 mm long centred on the page: its upper stroke's top edge at `y_mm`."""
    x0 = L.MARGIN_LEFT_MM - L.LETTER_RULE_OVERHANG_MM
    x1 = x0 + L.LETTER_RULE_LENGTH_MM
    first, second = (LETTER_THICK_MM, LETTER_THIN_MM) if thick_first else (LETTER_THIN_MM, LETTER_THICK_MM)
    page.rules.append(Rule(x0, x1, y_mm + first / 2, first, L.RED))
    page.rules.append(Rule(x0, x1, y_mm + first + LETTER_GAP_MM + second / 2, second, L.RED))


def _letterhead(page: Page, typesetter: Typesetter, organ: str) -> float:
    """Page 1 of a letter: the organ's name, its top 30 mm below the page's top, the double lines; returns
    where the text may start."""
    size = letter_mark_size(organ)
    run = typesetter.centred(organ, L.XIAOBIAOSONG, size, L.RED)
    size_mm = size * PT_MM
    top = L.LETTER_MARK_TOP_MM
    page.texts.append(TextRun(L.MARGIN_LEFT_MM + run.x_mm, top + EM_ABOVE_BASELINE * size_mm, organ,
                              L.XIAOBIAOSONG, size, L.RED))
    rule_top = top + size_mm + L.LETTER_RULE_GAP_MM
    _double_rule(page, rule_top, thick_first=True)
    bottom_rule_bottom = L.PAGE_HEIGHT_MM - L.LETTER_BOTTOM_RULE_MM
    _double_rule(page, bottom_rule_bottom - LETTER_THICK_MM - LETTER_THIN_MM - LETTER_GAP_MM, thick_first=False)
    return max(L.MARGIN_TOP_MM, rule_top + LETTER_THICK_MM + LETTER_THIN_MM + LETTER_GAP_MM + 2.0)


def typeset_prepared(doc: Prepared, fonts: FontSet | None = None, unit_ids: tuple[str, ...] = ()) -> TypesetDocument:
    """The pages; `unit_ids` are the issuing organs' ids in 署名 order, named on their seals' places."""
    fonts = fonts or font_set()
    typesetter = Typesetter(doc, fonts)
    if doc.letter:
        first_page = Page(None)
        start = _letterhead(first_page, typesetter, doc.letter_organ)
        flow = PageFlow(start)
        flow.pages = [first_page]
        head = typesetter.letter_numbers()
    else:
        flow = PageFlow()
        head = typesetter.header()
    blocks = head + typesetter.title_and_body()
    flow.flow(typesetter.closing(blocks))
    if doc.has_separator:
        number_block = head[-2]  # the 发文字号 line (the last of the 签发人 rows), then the separator's room
        page_index, top = flow.placed[id(number_block)]
        last_line_top = top + tw_mm(LINE) * (len(number_block.lines) - 1)
        _separator(flow.pages[page_index], baseline_mm(last_line_top, LINE, L.BODY_SIZE_PT))
    text_pages = len(flow.pages)
    numbered = list(range(text_pages))
    if doc.has_imprint and doc.letter:  # 抄送 alone at the bottom of the last page, no rules, any parity (10.1)
        if flow.used + imprint_twips(doc) > flow.room:
            flow.new_page()
            numbered.append(len(flow.pages) - 1)
        _imprint(flow.pages[-1], typesetter, doc, ruled=False)
    elif doc.has_imprint:
        fits = flow.used + imprint_twips(doc) <= flow.room
        imprint_page = text_pages if fits else text_pages + 1
        if imprint_page % 2 == 1 and text_pages % 2 == 0:
            flow.new_page()  # a blank page, then the 版记 on the next even page, neither numbered (7.5)
            flow.new_page()
        elif imprint_page % 2 == 1 or not fits:
            flow.new_page()
            numbered.append(len(flow.pages) - 1)
        _imprint(flow.pages[-1], typesetter, doc, ruled=True)
    for index in numbered:
        if doc.letter and index == 0:
            continue  # a letter's first page carries no number (10.1)
        flow.pages[index].number = index + 1
        _page_number(flow.pages[index], typesetter, fonts)
    spots, organs = [], iter(unit_ids)
    for page, x, y, mark in flow.seal_spots:
        # Each 公章 is the next issuing organ's; a 签名章 is the host organ's act, signed with its key.
        unit_id = next(organs, "") if mark.kind == SEAL else (unit_ids[0] if unit_ids else "")
        spots.append((page, SealImage(unit_id, x, y, mark.size_mm, mark.kind, mark.label)))
    return TypesetDocument(flow.pages, title=doc.title, author=doc.signatures[0] if doc.signatures else "",
                           subject=doc.doc_type, identifier=doc.doc_number, seal_spots=spots)


def typeset(content: dict[str, Any], fonts: FontSet | None = None) -> TypesetDocument:
    """The pages of a (validated) content dict."""
    unit_ids = tuple(str(issuer.get("unit_id") or "") for issuer in content["issuers"])
    return typeset_prepared(prepare(content), fonts, unit_ids)
