"""What the special forms of GB/T 9704-2012 add to a .docx, and the pages of attachments printed in full.

命令（令）格式 (10.2): the 令号 centred two lines under the mark, and at the end the 签发人's post with the 签名章
(7.3.5.3): the name stands where the stamp is pressed, four characters in from the right, the post two characters
left of it on the same line. 纪要格式 (10.3): the 期号 where a 发文字号 would stand, and the 出席/请假/列席 lists, each
label in 黑体 two characters in (a character style, so the checker can tell label from names), a wrapped line
starting under the first name. 附件 (7.3.7): each on a new page, its label at the top left, its title on the third
line, its text as the body's.
"""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.text.paragraph import Paragraph

from oa.rendering import layout as L
from oa.rendering.content import NameList, Prepared
from oa.rendering.docx_parts import add_paragraph, add_run, body_paragraphs, keep_with_next, text_paragraph
from oa.rendering.wordml import PPR_ORDER, child, indent, set_attrs


def order_number(document: DocumentObject, doc: Prepared) -> None:
    """The 令号 two lines under the mark; an empty line keeps its place while the order has none."""
    text_paragraph(document, "令号", doc.order_number, L.ORDER_NUMBER_LINES_BELOW_MARK)


def minutes_number(document: DocumentObject, doc: Prepared) -> None:
    """The 纪要's 期号 (or, without one, its 发文字号) two lines under the mark, over the separator."""
    element = "发文字号" if doc.minutes_number == doc.doc_number else "期号"
    text_paragraph(document, element, doc.minutes_number, L.DOC_NUMBER_LINES_BELOW_MARK)


def stamp_row(document: DocumentObject, doc: Prepared) -> Paragraph:
    """The 签发人's post and 签名章, two lines under the body (or 附件说明)."""
    return text_paragraph(document, "签发人签名章", doc.stamp_line, L.SIGNATURE_STAMP_LINES_BELOW_BODY)


def name_list(document: DocumentObject, names: NameList, first: bool) -> Paragraph:
    """One of 出席, 请假, 列席: the label two characters in, the names after it, wrapped lines under the first name.
    Kept whole (w:keepLines): it is part of the closing block, which moves to the next page whole."""
    element = names.label.rstrip("：")
    paragraph = add_paragraph(document, element, L.NAME_LIST_LINES_BELOW_BODY if first else 0)
    ppr = paragraph._p.get_or_add_pPr()
    indent(ppr, L.BODY_SIZE_PT, left=names.names_at, right=0, first=L.NAME_LIST_LEFT_CHARS)
    set_attrs(child(ppr, "keepLines", PPR_ORDER), val=1)
    add_run(paragraph, names.label, element, font=L.NAME_LIST_LABEL_FONT, char_style=L.NAME_LIST_LABEL_STYLE)
    add_run(paragraph, names.names, element)
    return paragraph


def attachment_pages(document: DocumentObject, doc: Prepared) -> None:
    """Each attachment with a text of its own, from a new page: label, title two lines under it, text."""
    for page in doc.attachment_pages:
        label = text_paragraph(document, "附件标识", page.label)
        set_attrs(child(label._p.get_or_add_pPr(), "pageBreakBefore", PPR_ORDER), val=1)
        keep_with_next(label)
        title = text_paragraph(document, "附件标题", "\n".join(page.title_lines),
                               L.ATTACHMENT_TITLE_LINES_BELOW_LABEL)  # \n: w:br
        keep_with_next(title)
        body_paragraphs(document, page.body, L.ATTACHMENT_BODY_LINES_BELOW_TITLE)
