"""Pure text helpers shared by the .docx renderer and the HTML preview.

Everything a reader sees that is derived rather than typed (heading numbers, Chinese numerals,
dates, 份号, 附注, 附件说明, 签发人 rows, who signs) is computed here once, so the two outputs
can never disagree. `prepare()` turns the validated content dict into a `Prepared` document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from oa.rendering import layout as L
from oa.rendering.forms import (
    FILE_FORM,
    LETTER_FORM,
    MINUTES_FORM,
    ORDER_FORM,
    default_printer,
    minutes_mark,
    minutes_number_text,
    name_lists,
    order_mark,
    order_number_text,
    resolve_form,
)
from oa.rendering.layout import (
    ATTACHMENT_LABEL_CHARS,
    ATTACHMENT_LEFT_CHARS,
    NAME_LIST_LEFT_CHARS,
    ORGAN_MARK_SLACK_CHARS,
    ORGAN_MARK_SUFFIX_GAP_CHARS,
    URGENCY_VALUES,
)
from oa.rendering.text_width import text_width
from oa.rendering.title_breaks import title_lines

DIGITS = "零一二三四五六七八九"
UPWARD = "上行"
# 纪要 carry no 署名 (GB/T 9704 10.3): the meeting, not an organ, speaks.
UNSIGNED_TYPES = frozenset({"纪要"})
# GB/T 9704 7.2.4: 签发人 names are laid out two to a line.
SIGNERS_PER_LINE = 2
FINAL_PUNCTUATION = "。．.，,；;：:！!？?、"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 99 → 九十九, 105 → 一百零五 (headings never go near 1000)."""
    if not 0 < n < 1000:
        raise ValueError(f"heading number out of range: {n}")
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    parts = []
    if hundreds:
        parts.append(DIGITS[hundreds] + "百")
        if rest and tens == 0:
            parts.append("零")
    if tens:
        # "十一" not "一十一" on its own, but "一百一十" inside a larger number.
        parts.append(("" if tens == 1 and not hundreds else DIGITS[tens]) + "十")
    if units:
        parts.append(DIGITS[units])
    return "".join(parts)


def heading_prefix(level: int, n: int) -> str:
    """The generated number of a level-1..4 heading: 一、 （一） 1. （1）."""
    if level == 1:
        return f"{chinese_numeral(n)}、"
    if level == 2:
        return f"（{chinese_numeral(n)}）"
    if level == 3:
        return f"{n}."
    if level == 4:
        return f"（{n}）"
    raise ValueError(f"heading level out of range: {level}")


@dataclass(frozen=True)
class BodyLine:
    level: int  # 0 = ordinary paragraph, 1..4 = heading levels
    number: str  # generated prefix, "" for level 0
    text: str

    @property
    def full_text(self) -> str:
        return self.number + self.text


# Half-width punctuation typed (or pasted) in Chinese text, and its full-width form (GB/T 15834): a half-width
# comma is narrower than a grid cell, so a line holds 28 characters and a half and its 。 lands past the block.
HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_CHINESE = r"\u3400-\u9fff\u3001-\u303f\uff01-\uff5e“”"
_HALF_IN_CHINESE = re.compile(rf"(?<=[{_CHINESE}])[,;:?!()]|[,;:?!()](?=[{_CHINESE}])")


def full_width_punctuation(text: str) -> str:
    """Half-width , ; : ? ! ( ) next to Chinese characters become full-width; elsewhere (12:30, a.b) they stay."""
    return _HALF_IN_CHINESE.sub(lambda m: HALF_TO_FULL[m.group(0)], text)


def number_body(body: list[dict[str, Any]]) -> list[BodyLine]:
    """Number headings; a level-n heading resets the counters of every deeper level."""
    counters = [0, 0, 0, 0, 0]
    lines = []
    for item in body:
        level = int(item["level"])
        text = full_width_punctuation(item["text"])
        if level == 0:
            lines.append(BodyLine(0, "", text))
            continue
        counters[level] += 1
        for deeper in range(level + 1, len(counters)):
            counters[deeper] = 0
        lines.append(BodyLine(level, heading_prefix(level, counters[level]), text))
    return lines


def format_date(iso: str) -> str:
    """ "2026-01-05" → "2026年1月5日": Arabic numerals, year in full, no zero padding (GB/T 9704 7.3.5)."""
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def copy_number_text(n: int | None) -> str:
    """份号: six Arabic digits, zero padded ("000012")."""
    return "" if n is None else f"{n:06d}"


def note_text(note: str, contact: dict[str, str] | None) -> str:
    """附注 in full-width round brackets; the contact line stands in when there is no note."""
    text = note.strip()
    if not text and contact:
        text = f"联系人：{contact['name']}，联系电话：{contact['phone']}"
    if not text:
        return ""
    if text[0] in "（(" and text[-1] in "）)":
        text = text[1:-1]
    return f"（{text}）"


def attachment_title(attachment: dict[str, Any]) -> str:
    """An attachment's name as the 附件说明 and its own page print it: without final punctuation."""
    return str(attachment["title"]).strip().rstrip(FINAL_PUNCTUATION)


def attachment_lines(attachments: list[dict[str, Any]]) -> list[str]:
    """附件说明: "附件：名称" for one, "附件：1. 名称" then "2. 名称"… for several, without final punctuation."""
    titles = [attachment_title(a) for a in attachments]
    if len(titles) == 1:
        return [f"附件：{titles[0]}"]
    return [("附件：" if i == 1 else "") + f"{i}. {title}" for i, title in enumerate(titles, 1)]


@dataclass(frozen=True)
class AttachmentItem:
    """One line of 附件说明 split for typesetting: "附件：" (first only), "1." (several only) and the name."""

    label: str
    number: str
    name: str
    first_chars: float  # where its first line starts


_ATTACHMENT_LINE = re.compile(r"(?P<label>附件：)?(?P<number>\d+\.) ?(?P<name>.*)|(?P<plain>附件：)(?P<only>.*)", re.S)


def attachment_items(lines: list[str]) -> tuple[list[AttachmentItem], float]:
    """The items of `attachment_lines`, and where every name starts (in 字): after "附件：", the widest number
    and half a character, so a wrapped name lines up under its own first character (GB/T 9704 7.3.3)."""
    items = []
    for text in lines:
        match = _ATTACHMENT_LINE.fullmatch(text)
        if match and match["number"]:
            label, number, name = match["label"] or "", match["number"], match["name"]
        else:
            label, number, name = ("附件：", "", match["only"]) if match else ("", "", text)
        first = ATTACHMENT_LEFT_CHARS if label else ATTACHMENT_LEFT_CHARS + ATTACHMENT_LABEL_CHARS
        items.append(AttachmentItem(label, number, name, first))
    widest_number = max((text_width(i.number) + 0.5 for i in items if i.number), default=0.0)
    return items, ATTACHMENT_LEFT_CHARS + ATTACHMENT_LABEL_CHARS + widest_number


def mark_width_chars(marks: list[str], suffix: str) -> float:
    """How wide the 发文机关标志 is in characters of its own size: the widest name, and for joint issuance the
    slack of the names' column, the gap and "文件" (docx_render._joint_mark)."""
    widest = max(text_width(m) for m in marks)
    if not suffix:
        return widest
    return widest + ORGAN_MARK_SLACK_CHARS + text_width(suffix) + ORGAN_MARK_SUFFIX_GAP_CHARS


def organ_marks(issuers: list[dict[str, Any]]) -> tuple[list[str], str]:
    """The 发文机关标志 lines (host first) and the "文件" that stands beside them for joint issuance.

    One organ: its mark as written (or its name). Several: each organ's mark with a trailing
    "文件" taken off, stacked, and "文件" once to their right (GB/T 9704 7.2.3) if the host's mark had it.
    """
    texts = [(i.get("mark") or i["name"]).strip() for i in issuers]
    if len(texts) == 1:
        return texts, ""
    suffix = "文件" if texts[0].endswith("文件") else ""
    return [t.removesuffix("文件") for t in texts], suffix


def signature_names(doc_type: str, issuers: list[dict[str, Any]]) -> list[str]:
    """发文机关署名: every issuing organ signs a joint document (会签), host first."""
    if doc_type in UNSIGNED_TYPES:
        return []
    return [i["name"] for i in issuers]


def signer_rows(signers: list[str]) -> list[list[str]]:
    """签发人 names two to a line; the 发文字号 shares the last line."""
    return [signers[i:i + SIGNERS_PER_LINE] for i in range(0, len(signers), SIGNERS_PER_LINE)] or [[]]


def join_units(units: list[dict[str, Any]]) -> str:
    return "，".join(u["name"] for u in units)


def main_to_text(main_to: list[dict[str, Any]]) -> str:
    return join_units(main_to) + "：" if main_to else ""


def copy_to_text(copy_to: list[dict[str, Any]]) -> str:
    return f"抄送：{join_units(copy_to)}。" if copy_to else ""


def printed_text(printed_date: str | None) -> str:
    return f"{format_date(printed_date)}印发" if printed_date else ""


def signature_right_indent(name: str, date_text: str, date_indent: float) -> float:
    """Right indent (in 字) that centres a 署名 over the 成文日期 (GB/T 9704 7.3.5.1), never negative."""
    return max(0.0, date_indent + (text_width(date_text) - text_width(name)) / 2)


@dataclass(frozen=True)
class NameList:
    """纪要格式: one of the 出席, 请假 and 列席 lines (GB/T 9704 10.3): the label in 黑体 with a full-width colon,
    the names after it in 仿宋, a wrapped line starting under the first name."""

    label: str  # "出席：", "请假：" or "列席："
    names: str  # joined with 、

    @property
    def full_text(self) -> str:
        return self.label + self.names

    @property
    def names_at(self) -> float:
        """Where the names start (in 字): two characters in, after the label; wrapped lines start there too."""
        return NAME_LIST_LEFT_CHARS + text_width(self.label)


@dataclass(frozen=True)
class AttachmentPage:
    """An attachment that carries its own text, printed on a new page after the 附注 and before the 版记
    (GB/T 9704 7.3.7): its label in 3号黑体 at the top left, its title centred on the third line, its body as
    the document's."""

    label: str  # "附件2", or "附件" when the document has only one attachment
    title: str
    title_lines: list[str]
    body: list[BodyLine]


def attachment_pages(attachments: list[dict[str, Any]]) -> list[AttachmentPage]:
    """The attachments with a body, each numbered as in the 附件说明 (its place among all the attachments)."""
    pages = []
    for index, attachment in enumerate(attachments, 1):
        if not attachment.get("body"):
            continue
        title = attachment_title(attachment)
        label = "附件" if len(attachments) == 1 else f"附件{index}"
        pages.append(AttachmentPage(label, title, title_lines(title), number_body(attachment["body"])))
    return pages


@dataclass(frozen=True)
class Prepared:
    """The document with every derived text worked out, ready for any renderer."""

    doc_type: str
    copy_number: str
    urgency: str
    marks: list[str]
    mark_suffix: str
    doc_number: str
    upward: bool
    signer_rows: list[list[str]]
    title: str
    title_lines: list[str]
    main_to: str
    body: list[BodyLine]
    attachments: list[str]
    signatures: list[str]
    date: str
    note: str
    copy_to: str
    printer: str
    printed: str
    form: str = FILE_FORM
    letter_organ: str = ""  # 信函格式: the host organ's name, the whole 发文机关标志
    # 命令格式 (GB/T 9704 10.2): `marks` holds "…令"; the 令号 stands centred two lines under it (no 发文字号, no
    # separator, no title: the body starts two lines under the 令号); at the end the 签发人's post, two characters
    # left of the 签名章 pressed where the name stands, four characters in from the right, then the date a line
    # below. `signatures` is empty.
    order_number: str = ""  # "第12号"
    signer_title: str = ""  # 签发人职务, e.g. 市长
    signer_name: str = ""  # the 签发人, whose 签名章 stands in for a 署名
    # 纪要格式 (GB/T 9704 10.3): `marks` holds "…纪要"; this number ("第5期", or the 发文字号 when it has none)
    # stands where a 发文字号 would, over the red separator; the name lists follow the body (or 附件说明) one line
    # below it; `signatures` is empty.
    minutes_number: str = ""
    name_lists: list[NameList] = field(default_factory=list)
    # Attachments with a body of their own, each on a new page after the 附注 and before the 版记 (7.3.7).
    attachment_pages: list[AttachmentPage] = field(default_factory=list)

    @property
    def has_imprint(self) -> bool:
        """版记 appears when there is something to put in it (every form but the letter has an 印发 line)."""
        return bool(self.copy_to or self.printer)

    @property
    def letter(self) -> bool:
        return self.form == LETTER_FORM

    @property
    def order(self) -> bool:
        return self.form == ORDER_FORM

    @property
    def minutes(self) -> bool:
        return self.form == MINUTES_FORM

    @property
    def has_separator(self) -> bool:
        """The red separator under the 版头: the 文件格式 and the 纪要格式 (a letter has its double line instead,
        an order none)."""
        return not (self.letter or self.order)

    @property
    def shows_title(self) -> bool:
        """An order's mark is its title (10.2: the body follows the 令号)."""
        return not self.order

    @property
    def mark_top_mm(self) -> float:
        """How far the 发文机关标志's top edge is below the text block's (less any 份号 / 紧急程度 lines above it)."""
        return L.ORDER_MARK_TOP_MM if self.order else L.ORGAN_MARK_TOP_MM

    @property
    def body_lines_before(self) -> int:
        """Empty lines above the first paragraph of the body: an order's starts two lines under the 令号 (10.2),
        unless a 主送 comes first and takes that place."""
        return L.ORDER_BODY_LINES_BELOW_NUMBER if self.order and not self.main_to else 0

    @property
    def stamp_line(self) -> str:
        """命令格式: the 签发人's post, two characters' gap, and the name where the 签名章 is pressed (7.3.5.3)."""
        if not self.order:
            return ""
        return ("\u3000" * L.SIGNER_TITLE_GAP_CHARS).join(t for t in (self.signer_title, self.signer_name) if t)

    @property
    def date_lines_before(self) -> int:
        """Empty lines above the 成文日期: none under a 署名 (the seal covers both), one under a 签名章, and without
        either, room for a seal's top to stay within a line of the text."""
        if self.signatures:
            return 0
        return L.DATE_LINES_BELOW_STAMP if self.stamp_line else L.SIGNATURE_LINES_BELOW_BODY


def prepare(content: dict[str, Any]) -> Prepared:
    form = resolve_form(content.get("form"), content["doc_type"], content["doc_number"])
    letter, order, minutes = form == LETTER_FORM, form == ORDER_FORM, form == MINUTES_FORM
    marks, suffix = organ_marks(content["issuers"])
    if order or minutes:
        special = order_mark(content["issuers"]) if order else minutes_mark(content["issuers"],
                                                                              content.get("meeting") or "")
        marks, suffix = [special] if special else [], ""
    # 签发人 beside the 发文字号 belong to the 文件格式's 上行文; the special forms have no 发文字号 line.
    upward = content["direction"] == UPWARD and not (order or minutes)
    signers = [name for name in content["signers"] if name]
    # Every form but the letter prints the 印发 line (7.4.3, 10.1): the issuer's office and the 成文日期 stand in
    # for a 印发机关 and 印发日期 not given.
    printer = "" if letter else content["printer"] or default_printer(content["issuers"])
    printed_date = content["printed_date"] or content["written_date"]
    return Prepared(
        doc_type=content["doc_type"],
        copy_number=copy_number_text(content["copy_number"]),
        urgency=content["urgency"] if content["urgency"] in URGENCY_VALUES else "",
        marks=marks,
        mark_suffix=suffix,
        doc_number=content["doc_number"] or "",
        upward=upward,
        signer_rows=signer_rows(signers) if upward else [],
        title=content["title"],
        title_lines=title_lines(content["title"]),
        main_to=main_to_text(content["main_to"]),
        body=number_body(content["body"]),
        attachments=attachment_lines(content["attachments"]),
        signatures=[] if order or minutes else signature_names(content["doc_type"], content["issuers"]),
        date=format_date(content["written_date"]) if content["written_date"] else "",
        note=note_text(content["note"], content["contact"]),
        copy_to=copy_to_text(content["copy_to"]),
        printer=printer,
        printed=printed_text(printed_date) if printer else "",
        form=form,
        letter_organ=content["issuers"][0]["name"] if content["issuers"] else "",
        order_number=order_number_text(content.get("order_number")) if order else "",
        signer_title=(content.get("signer_title") or "") if order else "",
        signer_name=signers[0] if order and signers else "",
        minutes_number=minutes_number_text(content.get("minutes_number"), content["doc_number"] or "") if minutes
        else "",
        name_lists=[NameList(f"{label}：", names) for label, names in name_lists(content)] if minutes else [],
        attachment_pages=attachment_pages(content["attachments"]),
    )
