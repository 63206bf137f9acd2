"""Which page each part of a 公文 falls on, worked out from the standard's fixed geometry.

Every element of a rendered 公文 has an exact height (exact line spacing; the body on a grid of 22 lines of
28 characters, ASCII characters half a character wide), so the pages can be counted without a layout
engine: this follows the lines as the renderer writes them, the way a word processor fills the block:
lines wrap at 28 characters with 避头尾 (a closing mark never starts a line, an opening one never ends
one: the character before moves down with it), the closing block (last body paragraph, 附件说明, 署名,
成文日期, 附注: chained with keep-with-next) moves to the next page whole when it does not fit, and the
版记 sits at the bottom of the page where its anchor falls, one line clear of the text above it. The special forms
(命令, 纪要) have headers and closings of their own; attachments printed in full each start a new page after
the 附注, before the 版记.

The renderer asks it where the 版记 would fall, to put the 版记 on an even page (GB/T 9704 7.4: the last
page of a document printed on both sides) with a blank page before it when needed. It is checked against
LibreOffice's layout in tests/test_pagination.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from oa.rendering import layout as L
from oa.rendering.content import BodyLine, Prepared, attachment_items, mark_width_chars
from oa.rendering.signatures import signature_rows
from oa.rendering.text_width import text_width
from oa.rendering.title_breaks import NO_LINE_END, NO_LINE_START

PAGE_TWIPS = L.mm_to_twips(L.TEXT_HEIGHT_MM)  # the text block's height
LINE = L.LINE_PITCH_TWIPS


@dataclass(frozen=True)
class Piece:
    """A paragraph as the pages see it: space above, then `lines` lines of `line_twips` each."""

    before: int
    lines: int
    line_twips: int = LINE
    keep_with_next: bool = False
    new_page: bool = False  # starts a page of its own (an attachment's label: w:pageBreakBefore)


def break_lines(text: str, first_chars: float, left_chars: float, right_chars: float = 0.0,
                per_line: float = L.CHARS_PER_LINE) -> list[str]:
    """`text` cut into lines as a word processor fills them: the first line starts `first_chars` in, the rest
    `left_chars` in, each ends `right_chars` short of the block's right edge."""
    if not text:
        return [""]
    lines: list[str] = []
    start, room, used, index = 0, per_line - first_chars - right_chars, 0.0, 0
    while index < len(text):
        width = text_width(text[index])
        if used + width <= room + 1e-9:
            used += width
            index += 1
            continue
        # The line is full. A closing mark may not start the next line, nor an opening one end this one: the
        # character before moves down with it.
        if (text[index] in NO_LINE_START or (index and text[index - 1] in NO_LINE_END)) and index - 1 > start:
            index -= 1
        lines.append(text[start:index])
        start, room, used = index, per_line - left_chars - right_chars, 0.0
    lines.append(text[start:])
    return lines


def wrapped_lines(text: str, first_chars: float, left_chars: float, right_chars: float = 0.0,
                  per_line: float = L.CHARS_PER_LINE) -> int:
    """How many lines `text` takes when its first line starts `first_chars` in and the rest `left_chars` in."""
    return len(break_lines(text, first_chars, left_chars, right_chars, per_line))


def _header(doc: Prepared) -> list[Piece]:
    pieces = []
    if doc.copy_number:
        pieces.append(Piece(0, 1))
    if doc.urgency:
        pieces.append(Piece(0, 1))
    if doc.marks:
        above = len(pieces)
        before = max(0, L.mm_to_twips(doc.mark_top_mm) - above * LINE)
        size = L.organ_mark_size(mark_width_chars(doc.marks, doc.mark_suffix))
        line = round(size * L.ORGAN_MARK_LINE_FACTOR * L.TWIPS_PER_PT)
        if doc.mark_suffix:  # a spacer paragraph, then the stacked names beside "文件"
            pieces.append(Piece(0, 1, max(before, 20)))
            pieces.append(Piece(0, len(doc.marks), line))
        else:
            pieces.append(Piece(before, len(doc.marks), line))
    if doc.order:  # the 令号, then the 主送 or the body two lines under it; no separator, no title
        pieces.append(Piece(L.ORDER_NUMBER_LINES_BELOW_MARK * LINE, 1))
        if doc.main_to:
            pieces.append(Piece(L.ORDER_BODY_LINES_BELOW_NUMBER * LINE, wrapped_lines(doc.main_to, 0, 0)))
        return pieces
    if doc.upward:
        pieces.append(Piece(L.DOC_NUMBER_LINES_BELOW_MARK * LINE, len(doc.signer_rows)))
    else:
        pieces.append(Piece(L.DOC_NUMBER_LINES_BELOW_MARK * LINE, 1))
    pieces.append(Piece(0, 1, L.SEPARATOR_HEIGHT_TWIPS))
    pieces.append(Piece(L.TITLE_LINES_BELOW_SEPARATOR * LINE, len(doc.title_lines)))
    if doc.main_to:
        pieces.append(Piece(L.MAIN_TO_LINES_BELOW_TITLE * LINE, wrapped_lines(doc.main_to, 0, 0)))
    return pieces


def last_body_keeps(doc: Prepared) -> bool:
    """Whether the last body paragraph is kept with the closing block: only a one-line paragraph is, since word
    processors disagree on how to keep a longer one with the next (Word moves its last line, LibreOffice all)."""
    return bool(doc.body) and wrapped_lines(doc.body[-1].full_text, L.BODY_FIRST_LINE_CHARS, 0) == 1


def _body(lines: list[BodyLine], lines_before: int) -> list[Piece]:
    return [Piece(lines_before * LINE if index == 0 else 0, wrapped_lines(line.full_text, L.BODY_FIRST_LINE_CHARS, 0))
            for index, line in enumerate(lines)]


def _body_and_closing(doc: Prepared) -> list[Piece]:
    pieces = _body(doc.body, doc.body_lines_before)
    closing: list[Piece] = []
    attachments = attachment_lines(doc)
    closing += attachments
    for index, names in enumerate(doc.name_lists):
        closing.append(Piece(L.NAME_LIST_LINES_BELOW_BODY * LINE if index == 0 else 0,
                             wrapped_lines(names.full_text, L.NAME_LIST_LEFT_CHARS, names.names_at)))
    if doc.stamp_line:
        closing.append(Piece(L.SIGNATURE_STAMP_LINES_BELOW_BODY * LINE, 1))
    for row in signature_rows(doc.signatures, doc.date):
        closing.append(Piece(row.lines_before * LINE, 1))
    if doc.date:
        closing.append(Piece(doc.date_lines_before * LINE, 1))
    if doc.note:
        closing.append(Piece(L.NOTE_LINES_BELOW_DATE * LINE,
                             wrapped_lines(doc.note, L.BODY_FIRST_LINE_CHARS, 0)))
    if doc.signatures or doc.stamp_line or doc.date or doc.note:
        chained = closing if attachments or doc.name_lists or not last_body_keeps(doc) else [pieces.pop(), *closing]
        closing = [Piece(p.before, p.lines, p.line_twips, keep_with_next=i < len(chained) - 1)
                   for i, p in enumerate(chained)]
    return pieces + closing + attachment_pages(doc)


def attachment_pages(doc: Prepared) -> list[Piece]:
    """Each attachment printed in full: its label at the top of a new page, its title on the third line, its text
    a line under the title."""
    pieces = []
    for page in doc.attachment_pages:
        pieces.append(Piece(0, 1, keep_with_next=True, new_page=True))
        pieces.append(Piece(L.ATTACHMENT_TITLE_LINES_BELOW_LABEL * LINE, len(page.title_lines), keep_with_next=True))
        pieces += _body(page.body, L.ATTACHMENT_BODY_LINES_BELOW_TITLE)
    return pieces


def attachment_lines(doc: Prepared) -> list[Piece]:
    """附件说明: each name starts at the same place on its first line and lines up under itself when it wraps."""
    items, name_at = attachment_items(doc.attachments)
    return [Piece(L.ATTACHMENT_LINES_BELOW_BODY * LINE if index == 0 else 0,
                  wrapped_lines(item.name, name_at, name_at)) for index, item in enumerate(items)]


def imprint_twips(doc: Prepared) -> int:
    """The 版记's height with the line kept clear above it: each row's lines of 4号 text on the grid's pitch."""
    per_line = L.TEXT_WIDTH_PT / L.SIZE_4
    rows = 0
    if doc.copy_to:
        label = L.IMPRINT_SIDE_CHARS + L.COPY_TO_LABEL_CHARS
        rows += wrapped_lines(doc.copy_to, L.IMPRINT_SIDE_CHARS, label, 0, per_line)
    if doc.printer:
        rows += 1
    return (rows + 1) * LINE + L.IMPRINT_ANCHOR_LINE_TWIPS


@dataclass(frozen=True)
class Pages:
    text_pages: int  # pages the text (header to 附注, then any attachments printed in full) runs over
    imprint_page: int | None  # where the 版记 falls when nothing moves it; None without a 版记


def paginate(doc: Prepared) -> Pages:
    page, used = 1, 0
    pieces = _header(doc) + _body_and_closing(doc)
    index = 0
    while index < len(pieces):
        if pieces[index].new_page and used:
            page, used = page + 1, 0
        # A keep-with-next chain moves to the next page whole when it does not fit (and would fit on one page).
        chain_end = index
        while pieces[chain_end].keep_with_next and chain_end + 1 < len(pieces):
            chain_end += 1
        chain = pieces[index:chain_end + 1]
        height = sum(p.before + p.lines * p.line_twips for p in chain)
        if len(chain) > 1 and used and used + height > PAGE_TWIPS and height <= PAGE_TWIPS:
            page, used = page + 1, 0
        for piece in chain:
            # Space above a paragraph that a page break has put at the top of a page is dropped, as Word and
            # LibreOffice drop it; page 1's top spacing (the 版头's offsets) stays.
            if used or page == 1:
                used += piece.before
            for _ in range(piece.lines):
                if used + piece.line_twips > PAGE_TWIPS:
                    page, used = page + 1, 0
                used += piece.line_twips
        index = chain_end + 1
    imprint = None
    if doc.has_imprint:
        imprint = page if used + imprint_twips(doc) <= PAGE_TWIPS else page + 1
    return Pages(page, imprint)
