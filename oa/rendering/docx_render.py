"""Renders a 公文 content dict to a GB/T 9704-2012 .docx with python-docx.

Every element gets its own paragraph style ("OA 标题", "OA 正文"…) so the checker can find it, and the
same font, size, colour and character spacing are written on each run as well, because Word users restyle
runs, not styles. The red separator is the bottom border of an empty paragraph with no indent, so its colour,
width and full-width span can be read back; the 版记 is a full-width table floated to the bottom of the text
block, its rules being the table's borders (imprint_docx.py). Joint issuance stacks the organ names in a
borderless table with "文件" beside them, vertically centred (GB/T 9704 7.2.3).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Twips
from docx.text.paragraph import Paragraph

from oa.rendering import layout as L
from oa.rendering.content import (
    Prepared,
    attachment_items,
    mark_width_chars,
    prepare,
    signature_right_indent,
    text_width,
)
from oa.rendering.docx_parts import (
    Container,
    add_paragraph,
    add_run,
    body_paragraphs,
    keep_with_next,
    tab_stops,
    text_paragraph,
)
from oa.rendering.forms_docx import attachment_pages, minutes_number, name_list, order_number, stamp_row
from oa.rendering.imprint_docx import imprint, imprint_after_a_blank_page
from oa.rendering.letter_form import letterhead
from oa.rendering.pagination import last_body_keeps, paginate
from oa.rendering.signatures import SignatureRow, signature_rows
from oa.rendering.wordml import (
    PPR_ORDER,
    RPR_ORDER,
    TBLPR_ORDER,
    borders,
    child,
    format_paragraph,
    format_run,
    indent,
    set_attrs,
    typeset_on_grid,
)

FULL_WIDTH_SPACE = "\u3000"
SEPARATOR_SPEC = L.ElementSpec(L.SEPARATOR_STYLE, L.FANGSONG, L.BODY_SIZE_PT, ("left",),
                               line_twips=L.SEPARATOR_LINE_TWIPS, snap_to_grid=False)


def _setup_defaults(document: DocumentObject) -> None:
    """仿宋_GB2312 3号 everywhere unless a style says otherwise, exact 22-line spacing, no paragraph gaps."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    normal = document.styles["Normal"].element
    for rpr in (defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")), normal.get_or_add_rPr()):
        format_run(rpr, L.FANGSONG, L.BODY_SIZE_PT, L.BLACK, L.CHAR_SPACING_TWIPS)
        set_attrs(child(rpr, "lang", RPR_ORDER), val="en-US", eastAsia="zh-CN")
    ppr_default = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    typeset_on_grid(ppr_default)
    set_attrs(child(ppr_default, "spacing", PPR_ORDER), before=0, after=0, line=L.LINE_PITCH_TWIPS, lineRule="exact")
    format_paragraph(normal.get_or_add_pPr(), L.ElementSpec("Normal", L.FANGSONG, L.BODY_SIZE_PT, ("both",)))
    # No extra gap between Chinese and Latin letters or digits: it would push the characters after "2026年" off
    # the 28 columns, and make dates wider than content.text_width says (署名 is centred over the date with it).
    for ppr in (ppr_default, normal.get_or_add_pPr()):
        for name in ("autoSpaceDE", "autoSpaceDN"):
            set_attrs(child(ppr, name, PPR_ORDER), val=0)


def _add_styles(document: DocumentObject) -> None:
    normal = document.styles["Normal"]
    for spec in L.ELEMENTS.values():
        style = document.styles.add_style(spec.style, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.quick_style = True
        format_paragraph(style.element.get_or_add_pPr(), spec)
        format_run(style.element.get_or_add_rPr(), spec.font, spec.size_pt, spec.color, spec.char_spacing_twips)
    separator = document.styles.add_style(L.SEPARATOR_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    separator.base_style = normal
    format_paragraph(separator.element.get_or_add_pPr(), SEPARATOR_SPEC)
    format_run(separator.element.get_or_add_rPr(), L.FANGSONG, L.BODY_SIZE_PT, L.RED, 0)
    for name, font in L.CHARACTER_STYLES.items():  # 签发人 names in 楷体, 纪要 labels in 黑体
        char_style = document.styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
        format_run(char_style.element.get_or_add_rPr(), font, L.BODY_SIZE_PT, L.BLACK, L.CHAR_SPACING_TWIPS)


def _setup_section(document: DocumentObject) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(L.PAGE_WIDTH_MM), Mm(L.PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(L.MARGIN_TOP_MM), Mm(L.MARGIN_BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(L.MARGIN_LEFT_MM), Mm(L.MARGIN_RIGHT_MM)
    section.footer_distance = Mm(L.FOOTER_DISTANCE_MM)
    section.gutter = 0
    grid = child(section._sectPr, "docGrid", ("pgSz", "pgMar", "cols", "docGrid"))
    grid.attrib.clear()
    # Lines only: the 28 characters per line come from the condensed 3号 runs (see layout.CHAR_SPACING_TWIPS).
    set_attrs(grid, type=L.DOC_GRID_TYPE, linePitch=L.LINE_PITCH_TWIPS)
    document.settings.odd_and_even_pages_header_footer = True
    spec = L.ELEMENTS["页码"]
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        paragraph.style = document.styles[spec.style]
        ppr = paragraph._p.get_or_add_pPr()
        format_paragraph(ppr, spec)
        set_attrs(child(ppr, "jc", PPR_ORDER), val=side)
        sides = {"left": 0.0, "right": 0.0, side: L.PAGE_NUMBER_SIDE_CHARS}
        indent(ppr, spec.size_pt, left=sides["left"], right=sides["right"], first=sides["left"])
        _page_number_runs(paragraph, spec)


def _page_number_runs(paragraph: Paragraph, spec: L.ElementSpec) -> None:
    """The runs of "— N —", N being a PAGE field (begin / instruction / separate / cached result / end)."""
    def run(text: str = "", field: str | None = None, instruction: str | None = None) -> None:
        r = paragraph.add_run()
        format_run(r._r.get_or_add_rPr(), spec.font, spec.size_pt, L.BLACK, spec.char_spacing_twips)
        if field:
            set_attrs(child(r._r, "fldChar", ("rPr", "fldChar")), fldCharType=field)
        elif instruction:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = instruction
            r._r.append(instr)
        else:
            r.text = text

    run(f"{L.EM_DASH} ")
    run(field="begin")
    run(instruction=" PAGE ")
    run(field="separate")
    run("1")
    run(field="end")
    run(f" {L.EM_DASH}")


def _separator(document: DocumentObject) -> None:
    """The red separator: the bottom border of an empty paragraph 4 mm tall, so it sits 4 mm below the number."""
    paragraph = document.add_paragraph(style=L.SEPARATOR_STYLE)
    ppr = paragraph._p.get_or_add_pPr()
    format_paragraph(ppr, SEPARATOR_SPEC)
    borders(child(ppr, "pBdr", PPR_ORDER), {"bottom": L.SEPARATOR_SZ}, L.RED)


def _mark_paragraph(where: Container, text: str, size: float, before_twips: int = 0) -> Paragraph:
    paragraph = add_paragraph(where, "发文机关标志", before_twips=before_twips)
    line = round(size * L.ORGAN_MARK_LINE_FACTOR * L.TWIPS_PER_PT)
    set_attrs(child(paragraph._p.get_or_add_pPr(), "spacing", PPR_ORDER), line=line, lineRule="exact")
    add_run(paragraph, text, "发文机关标志", size_pt=size)
    return paragraph


def _organ_mark(document: DocumentObject, doc: Prepared) -> None:
    """发文机关标志 with its top 35 mm (an order's: 20 mm) below the text block's, less the 份号 / 紧急程度 lines above
    it."""
    lines_above = int(bool(doc.copy_number)) + int(bool(doc.urgency))
    before = max(0, L.mm_to_twips(doc.mark_top_mm) - lines_above * L.LINE_PITCH_TWIPS)
    if doc.mark_suffix:
        _joint_mark(document, doc, before)
        return
    size = L.organ_mark_size(mark_width_chars(doc.marks, ""))
    for index, mark in enumerate(doc.marks):
        _mark_paragraph(document, mark, size, 0 if index else before)


def _joint_mark(document: DocumentObject, doc: Prepared, before: int) -> None:
    """The organs' names stacked, host first, with "文件" to their right and vertically centred."""
    widest = max(text_width(m) for m in doc.marks) + L.ORGAN_MARK_SLACK_CHARS
    suffix_chars = text_width(doc.mark_suffix) + L.ORGAN_MARK_SUFFIX_GAP_CHARS
    size = L.organ_mark_size(mark_width_chars(doc.marks, doc.mark_suffix))
    names_twips = round(widest * size * L.TWIPS_PER_PT)
    suffix_twips = round(suffix_chars * size * L.TWIPS_PER_PT)
    # An empty spacer paragraph carries the 35 mm offset: a table has no "space before".
    spacer = document.add_paragraph(style=L.ELEMENTS["发文机关标志"].style)
    set_attrs(child(spacer._p.get_or_add_pPr(), "spacing", PPR_ORDER), before=0, after=0, line=max(before, 20),
         lineRule="exact")
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    set_attrs(child(tbl_pr, "tblW", TBLPR_ORDER), w=names_twips + suffix_twips, type="dxa")
    margins = child(tbl_pr, "tblCellMar", TBLPR_ORDER)
    for side in ("top", "left", "bottom", "right"):
        set_attrs(child(margins, side, ("top", "left", "bottom", "right")), w=0, type="dxa")
    names_cell, suffix_cell = table.rows[0].cells
    for cell, twips in ((names_cell, names_twips), (suffix_cell, suffix_twips)):
        cell.width = Twips(twips)
    for column, twips in zip(table.columns, (names_twips, suffix_twips), strict=True):
        column.width = Twips(twips)
    for cell in (names_cell, suffix_cell):
        cell._tc.remove(cell.paragraphs[0]._p)  # python-docx puts an empty paragraph in each new cell
    for mark in doc.marks:
        paragraph = _mark_paragraph(names_cell, mark, size)
        # Equal-width names whatever their length: the stacked form spreads each across the column.
        set_attrs(child(paragraph._p.get_or_add_pPr(), "jc", PPR_ORDER), val="distribute")
    set_attrs(child(suffix_cell._tc.get_or_add_tcPr(), "vAlign", ("tcW", "vAlign")), val="center")
    _mark_paragraph(suffix_cell, doc.mark_suffix, size)


def _number_and_signers(document: DocumentObject, doc: Prepared) -> None:
    """发文字号, and for 上行文 the 签发人 rows with the number on the last (GB/T 9704 7.2.4)."""
    if not doc.upward:
        text_paragraph(document, "发文字号", doc.doc_number, L.DOC_NUMBER_LINES_BELOW_MARK)
        return
    label = "签发人："
    rows = [FULL_WIDTH_SPACE.join(names) for names in doc.signer_rows]
    widest = max(text_width(r) for r in rows)
    # Left tab stops: the label starts where the widest row ends one character from the right edge,
    # and every row's names start right after the label, so wrapped names line up (GB/T 9704 7.2.4).
    # Measured from the right edge of the block (28 characters take 441 of its 442.2 pt).
    names_at = L.TEXT_WIDTH_TWIPS - L.indent_twips(L.SIGNER_RIGHT_CHARS + widest)
    label_at = names_at - L.indent_twips(text_width(label))
    for index, names in enumerate(rows):
        last = index == len(rows) - 1
        before = L.DOC_NUMBER_LINES_BELOW_MARK if index == 0 else 0
        element = "发文字号" if last else "签发人"
        paragraph = add_paragraph(document, element, before)
        tab_stops(paragraph, ("left", label_at), ("left", names_at))
        ppr = paragraph._p.get_or_add_pPr()
        set_attrs(child(ppr, "jc", PPR_ORDER), val="left")
        if last:
            # No right indent: the tab stops already keep the names one character in, and a right indent there
            # leaves the names no slack at all, so a rounding error wraps the last name onto a line of its own.
            indent(ppr, L.BODY_SIZE_PT, left=L.UPWARD_DOC_NUMBER_LEFT_CHARS, right=0,
                   first=L.UPWARD_DOC_NUMBER_LEFT_CHARS)
            add_run(paragraph, doc.doc_number, element)
        add_run(paragraph, "\t" + (label if index == 0 else "\t"), element)
        if names:
            add_run(paragraph, names, element, font=L.SIGNER_NAME_FONT, char_style=L.SIGNER_NAME_STYLE)


def _letter_numbers(document: DocumentObject, doc: Prepared) -> None:
    """Under a letter's double line: 份号 at the left with the 发文字号 at the right on the same line, then 紧急程度
    (GB/T 9704 10.1)."""
    if doc.copy_number:
        paragraph = text_paragraph(document, "份号", doc.copy_number)
        if doc.doc_number:
            tab_stops(paragraph, ("right", L.TEXT_WIDTH_TWIPS))
            add_run(paragraph, "\t" + doc.doc_number, "份号")
    elif doc.doc_number:
        paragraph = text_paragraph(document, "发文字号", doc.doc_number)
        set_attrs(child(paragraph._p.get_or_add_pPr(), "jc", PPR_ORDER), val="right")
    if doc.urgency:
        text_paragraph(document, "紧急程度", doc.urgency)


def _core_properties(document: DocumentObject, content: dict[str, Any]) -> None:
    props = document.core_properties
    props.title = content["title"]
    props.category = content["doc_type"]
    props.identifier = content["doc_number"] or ""
    props.author = props.last_modified_by = content["issuers"][0]["name"] if content["issuers"] else ""
    # 公开属性 is metadata, never printed.
    props.keywords = content["disclosure"] or ""
    props.language = "zh-CN"
    props.revision = 1


def _signature_row(document: DocumentObject, row: SignatureRow, date_text: str) -> Paragraph:
    """One row of 署名: a single name centred over the date by its right indent, or two side by side on centred
    tab stops, so that each organ's seal can be pressed on its own name without touching the other."""
    paragraph = add_paragraph(document, "署名", row.lines_before)
    ppr = paragraph._p.get_or_add_pPr()
    if len(row.names) == 1:
        name = row.names[0]
        right = signature_right_indent(name, date_text, L.DATE_RIGHT_CHARS) if date_text else L.DATE_RIGHT_CHARS
        indent(ppr, L.BODY_SIZE_PT, left=0, right=right, first=0)
        add_run(paragraph, name, "署名")
        return paragraph
    set_attrs(child(ppr, "jc", PPR_ORDER), val="left")
    indent(ppr, L.BODY_SIZE_PT, left=0, right=0, first=0)
    tab_stops(paragraph, *(("center", L.mm_to_twips(x)) for x in row.centres_mm))
    add_run(paragraph, "".join("\t" + name for name in row.names), "署名")
    return paragraph


def _closing(document: DocumentObject, doc: Prepared, last_body: Paragraph | None) -> None:
    """附件说明, a 纪要's name lists, 署名 (or an order's 签名章), 成文日期 and 附注, kept on the page of the text above
    them (w:keepNext down to the last): the seal's top must be within one line of the body or the 附件说明 (GB/T
    9704 7.3.5), never alone at the top of a page."""
    # The last body paragraph joins the chain only when it is a single line: a longer one would be moved whole by
    # LibreOffice but split by Word (which keeps only its last line with the next), and the page count must not
    # depend on the word processor (pagination.py counts it).
    # A 纪要's chain starts at its name lists: no seal there has to reach up to the text.
    starts_at_body = last_body is not None and not doc.attachments and not doc.name_lists and last_body_keeps(doc)
    chain = [last_body] if starts_at_body else []
    # A wrapped name lines up under its own first character: the number is followed by a tab to that position
    # rather than a space, so the names align whatever the font's digits measure.
    items, name_at = attachment_items(doc.attachments)
    for index, item in enumerate(items):
        paragraph = add_paragraph(document, "附件说明", L.ATTACHMENT_LINES_BELOW_BODY if index == 0 else 0)
        indent(paragraph._p.get_or_add_pPr(), L.BODY_SIZE_PT, left=name_at, right=0, first=item.first_chars)
        if item.number:
            tab_stops(paragraph, ("left", L.indent_twips(name_at)))
        add_run(paragraph, item.label + (item.number + "\t" if item.number else "") + item.name, "附件说明")
        chain.append(paragraph)
    chain += [name_list(document, names, index == 0) for index, names in enumerate(doc.name_lists)]
    if doc.stamp_line:
        chain.append(stamp_row(document, doc))
    for row in signature_rows(doc.signatures, doc.date):
        chain.append(_signature_row(document, row, doc.date))
    if doc.date:
        chain.append(text_paragraph(document, "成文日期", doc.date, doc.date_lines_before))
    if doc.note:
        # On the line under the date and on its page: a 附注 alone at the top of a page is lost to the reader.
        chain.append(text_paragraph(document, "附注", doc.note, L.NOTE_LINES_BELOW_DATE))
    if doc.signatures or doc.stamp_line or doc.date or doc.note:
        for paragraph in chain[:-1]:
            keep_with_next(paragraph)


def render_docx(content: dict[str, Any]) -> bytes:
    """A complete GB/T 9704-2012 .docx for the (already validated) content dict."""
    doc = prepare(content)
    document = Document()
    _setup_defaults(document)
    _add_styles(document)
    _setup_section(document)
    _core_properties(document, content)
    body = document.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)

    if doc.letter:
        letterhead(document, doc.letter_organ)
        _letter_numbers(document, doc)
    else:
        if doc.copy_number:
            text_paragraph(document, "份号", doc.copy_number)
        if doc.urgency:
            text_paragraph(document, "紧急程度", doc.urgency)
        if doc.marks:
            _organ_mark(document, doc)
        if doc.order:
            order_number(document, doc)  # no separator: the body follows (GB/T 9704 10.2)
        elif doc.minutes:
            minutes_number(document, doc)
            _separator(document)
        else:
            _number_and_signers(document, doc)
            _separator(document)
    if doc.shows_title:
        text_paragraph(document, "标题", "\n".join(doc.title_lines), L.TITLE_LINES_BELOW_SEPARATOR)  # \n: w:br
    if doc.main_to:
        below = L.ORDER_BODY_LINES_BELOW_NUMBER if doc.order else L.MAIN_TO_LINES_BELOW_TITLE
        text_paragraph(document, "主送", doc.main_to, below)
    last_body = body_paragraphs(document, doc.body, doc.body_lines_before)
    _closing(document, doc, last_body)
    attachment_pages(document, doc)
    if doc.has_imprint and doc.letter:
        imprint(document, doc, ruled=False)  # a letter's 版记: 抄送 alone at the bottom, no rules (10.1)
    elif doc.has_imprint:
        # On the last page when that is even; else on the next page, even (numbered, since no blank page comes
        # before it); after a blank page when the text ends on an even page without room for it (GB/T 9704 7.4).
        pages = paginate(doc)
        odd = (pages.imprint_page or 0) % 2 == 1
        blank_first = odd and pages.text_pages % 2 == 0
        if blank_first:
            imprint_after_a_blank_page(document)
        imprint(document, doc, new_page=odd)

    out = BytesIO()
    document.save(out)
    return out.getvalue()
