"""The layouts (版式) of GB/T 9704-2012 a 公文 can be set in, and the texts each derives from the content.

The 文件格式 (7–9), and the special forms of 10: the 信函格式 (10.1), the 命令（令）格式 (10.2: the organ's full
name with 令 as its mark, a 令号 instead of a 发文字号, the 签发人's post and 签名章 instead of 署名) and the 纪要格式
(10.3: "……纪要" as its mark, the 出席/请假/列席 lists, no 署名). Which one applies is decided here, once, for every
renderer; so is the 版记's 印发 line, which every form but the letter carries (7.4.3).
"""

from __future__ import annotations

from typing import Any

FILE_FORM = "文件格式"
LETTER_FORM = "信函格式"
ORDER_FORM = "命令格式"
MINUTES_FORM = "纪要格式"
FORMS = (FILE_FORM, LETTER_FORM, ORDER_FORM, MINUTES_FORM)
# 文种 set in a special form unless the document chooses another. "令" is not a statutory 文种 name (the
# regulation says 命令（令）) but units add it as one.
FORM_BY_TYPE = {"函": LETTER_FORM, "命令": ORDER_FORM, "令": ORDER_FORM, "纪要": MINUTES_FORM}
ORDER_MARK_SUFFIX = "令"
MINUTES_MARK_SUFFIX = "纪要"
DEFAULT_MEETING = "会议"
# GB/T 9704 10.3: the name lists, in this order, each on a line of its own.
NAME_LIST_LABELS = ("出席", "请假", "列席")
NAME_LIST_FIELDS = ("attendees", "absent", "attending")
NAME_SEPARATOR = "、"
OFFICE_SUFFIXES = ("办公室", "办公厅")


def resolve_form(chosen: str | None, doc_type: str, doc_number: str | None) -> str:
    """The layout: anything numbered as a letter (…办函〔2026〕3号) is set in the 信函格式 (GB/T 9704 10.1);
    otherwise the document's choice, or its 文种's usual one (函: 信函格式; 命令, 令: 命令格式; 纪要: 纪要格式;
    the rest: 文件格式)."""
    if "函〔" in (doc_number or ""):
        return LETTER_FORM
    return chosen or FORM_BY_TYPE.get(doc_type, FILE_FORM)


def order_mark(issuers: list[dict[str, Any]]) -> str:
    """命令（令）格式: the host organ's full name followed by 令 (GB/T 9704 10.2), e.g. 韶关市人民政府令."""
    return f"{issuers[0]['name']}{ORDER_MARK_SUFFIX}" if issuers else ""


def minutes_mark(issuers: list[dict[str, Any]], meeting: str) -> str:
    """纪要格式: "……纪要" (GB/T 9704 10.3), the host organ's name, the meeting's and 纪要: 韶关市人民政府常务会议纪要.
    The organ's name always leads, whatever the meeting is called, so no 纪要 prints another organ's header."""
    if not issuers:
        return ""
    organ = issuers[0]["name"]
    meeting = meeting.strip().removeprefix(organ).removesuffix(MINUTES_MARK_SUFFIX) or DEFAULT_MEETING
    return f"{organ}{meeting}{MINUTES_MARK_SUFFIX}"


def order_number_text(number: int | None) -> str:
    """令号: "第12号" (the order's own sequence, not a 发文字号)."""
    return "" if number is None else f"第{number}号"


def minutes_number_text(number: int | None, doc_number: str) -> str:
    """What stands under a 纪要's mark: its own number ("第5期") when it has one, else its 发文字号."""
    return doc_number if number is None else f"第{number}期"


def name_lists(content: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, names) for each of 出席, 请假, 列席 that has names; names joined with 、."""
    found = []
    for label, key in zip(NAME_LIST_LABELS, NAME_LIST_FIELDS, strict=True):
        names = [name.strip() for name in content.get(key) or [] if name.strip()]
        if names:
            found.append((label, NAME_SEPARATOR.join(names)))
    return found


def default_printer(issuers: list[dict[str, Any]]) -> str:
    """印发机关 when none is given: the host organ's office (GB/T 9704 7.4.3 "公文的送印机关", which is the issuing
    organ's 办公厅（室）), or the organ itself when it is an office."""
    if not issuers:
        return ""
    name = str(issuers[0]["name"])
    return name if name.endswith(OFFICE_SUFFIXES) else f"{name}办公室"
