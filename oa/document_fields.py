"""What a valid document looks like: the elements of 《党政机关公文处理工作条例》 and their checks.

`clean_content` takes the fields a client sent (all of them on create, some on update), checks
each one and returns them in their stored form; every problem is reported at once, naming the
field. Relations to other records (do the units exist, is the type known) are the document
service's job; this module only needs the data in front of it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from oa.errors import InvalidInput
from oa.rendering.forms import FORMS, NAME_LIST_FIELDS, NAME_LIST_LABELS

URGENCIES = ("", "加急", "特急")
DISCLOSURES = ("主动公开", "依申请公开", "不予公开")
HEADING_LEVELS = (0, 1, 2, 3, 4)  # 0 = ordinary paragraph; 1–4 = 一、/（一）/1./（1）
# The platform carries non-classified material only; these are the values that mean "not classified".
UNCLASSIFIED = (None, "", "非密", "无")

MAX_TITLE = 200
MAX_PARAGRAPHS = 2000
MAX_PARAGRAPH = 5000
MAX_RECIPIENTS = 2000
MAX_NAME = 100
MAX_LISTED_NAMES = 300  # 出席/请假/列席 of one meeting
MAX_SHORT = 30  # a post (签发人职务) or a meeting's name
MAX_SERIAL = 999_999  # 份号, 令号, a 纪要's 期号
PHONE_RE = re.compile(r"^[0-9+\-() ]{3,30}$")

# Fields a client edits. Attachments change through their own endpoints; the number through numbering.
EDITABLE = ("doc_type", "title", "issuers", "main_to", "copy_to", "body", "note", "signers", "written_date",
            "printer", "printed_date", "copy_number", "urgency", "disclosure", "contact", "direction",
            "attachment_titles", "classification", "form", "order_number", "signer_title", "meeting",
            "minutes_number", *NAME_LIST_FIELDS, "attachment_bodies")

EMPTY_CONTENT: dict[str, Any] = {
    "doc_type": "通知", "title": "", "issuers": [], "main_to": [], "copy_to": [], "body": [], "attachments": [],
    "note": "", "contact": None, "signers": [], "written_date": None, "printer": None, "printed_date": None,
    "copy_number": None, "urgency": "", "disclosure": "主动公开", "direction": None, "direction_set": False,
    "doc_number": None, "form": None,
    # 命令格式: the 令号 and the 签发人's post (the name is signers[0]); 纪要格式: the meeting (its mark reads
    # organ + meeting + 纪要), its 期号 and the 出席/请假/列席 names.
    "order_number": None, "signer_title": "", "meeting": "", "minutes_number": None,
    **{key: [] for key in NAME_LIST_FIELDS},
}


def _text(value: Any, name: str, problems: list[str], limit: int, required: bool = False) -> str:
    if not isinstance(value, str):
        problems.append(f"{name} must be a string")
        return ""
    value = value.strip()
    if required and not value:
        problems.append(f"{name} is required")
    if len(value) > limit:
        problems.append(f"{name} must be at most {limit} characters (got {len(value)})")
    return value


def _date(value: Any, name: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = date.fromisoformat(value)
        if not 1949 <= parsed.year <= 2999:
            raise ValueError
    except ValueError:
        problems.append(f"{name} must be a date written YYYY-MM-DD (got {value!r})")
        return None
    return parsed.isoformat()


def _entries(value: Any, name: str, problems: list[str]) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(value, list) or len(value) > MAX_RECIPIENTS:
        problems.append(f"{name} must be a list of at most {MAX_RECIPIENTS} entries")
        return []
    found = []
    for index, item in enumerate(value):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object such as {{'unit_id': id}} or {{'name': …, 'external': true}}")
            continue
        found.append((where, item))
    return found


def _external(item: dict[str, Any], where: str, problems: list[str], keys: set[str]) -> dict[str, Any] | None:
    """An organ outside the platform: printed, never delivered to, never numbered with."""
    if item.get("external") is not True:
        problems.append(f"{where}.external must be true (an external name is marked as such)")
        return None
    if set(item) - keys:
        problems.append(f"{where}: an external name has only {', '.join(sorted(keys))}")
        return None
    name = _text(item.get("name"), f"{where}.name", problems, MAX_NAME, required=True)
    return {"external": True, "name": name}


def _issuers(value: Any, problems: list[str]) -> list[dict[str, Any]]:
    """Issuing organs: platform units (`{"unit_id": id}`, optional `mark`) or marked external names.

    Names and 机关代字 of platform units come from the units themselves, never from the client,
    so no draft can borrow another organ's name or number sequence.
    """
    cleaned = []
    for where, item in _entries(value, "issuers", problems):
        if "external" in item:
            entry = _external(item, where, problems, {"external", "name", "mark"})
            if entry is not None:
                entry["mark"] = _text(item.get("mark") or "", f"{where}.mark", problems, MAX_NAME)
                cleaned.append({"unit_id": None, **entry, "code": ""})
            continue
        unit_id = item.get("unit_id", item.get("unit"))
        if not isinstance(unit_id, str) or not unit_id:
            problems.append(f"{where} names no unit: give unit_id, or mark an organ outside the platform "
                            "with external: true")
            continue
        if unknown := set(item) - {"unit_id", "unit", "mark"}:
            problems.append(f"{where}: {', '.join(sorted(unknown))} cannot be given for a platform unit: its name "
                            "and 机关代字 are the unit's own")
            continue
        cleaned.append({"unit_id": unit_id, "name": "", "code": "",
                        "mark": _text(item.get("mark") or "", f"{where}.mark", problems, MAX_NAME)})
    return cleaned


SELECTOR_KEYS = ("unit", "group", "subtree", "level", "type", "include_self")


def _recipients(value: Any, name: str, problems: list[str]) -> list[dict[str, Any]]:
    """主送/抄送: selectors of platform units (delivered to) or marked external names (printed only).

    Stored forms: `{"unit_id", "name"}`, `{"group", "name"}`, `{"subtree", "level"?, "type"?,
    "include_self"?, "name"}`, `{"level"?, "type"?, "name"}` and `{"external": true, "name"}`.
    The printed name of a selector is derived when the document is completed; a subtree or
    level selector may carry a name of its own to print instead.
    """
    cleaned = []
    for where, item in _entries(value, name, problems):
        if "external" in item:
            entry = _external(item, where, problems, {"external", "name"})
            if entry is not None:
                cleaned.append(entry)
            continue
        if "unit_id" in item or "unit" in item:
            unit_id = item.get("unit_id", item.get("unit"))
            if not isinstance(unit_id, str) or not unit_id or set(item) - {"unit_id", "unit", "name"}:
                problems.append(f"{where} must be {{'unit_id': id}}")
                continue
            cleaned.append({"unit_id": unit_id, "name": ""})
            continue
        selector = {key: item[key] for key in SELECTOR_KEYS if key in item}
        if not selector:
            problems.append(f"{where} names no unit: choose a unit, a group or a level, or mark a name outside "
                            "the platform with external: true (it is then printed but not delivered)")
            continue
        if unknown := set(item) - {*SELECTOR_KEYS, "name"}:
            problems.append(f"{where}: unknown keys {', '.join(sorted(unknown))}")
            continue
        label = _text(item.get("name") or "", f"{where}.name", problems, MAX_NAME)
        cleaned.append({**selector, "name": label, "name_given": bool(label)})
    return cleaned


def _body(value: Any, problems: list[str], name: str = "body") -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_PARAGRAPHS:
        problems.append(f"{name} must be a list of at most {MAX_PARAGRAPHS} paragraphs")
        return []
    paragraphs = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            item = {"level": 0, "text": item}
        if not isinstance(item, dict) or set(item) - {"level", "text"}:
            problems.append(f"{name}[{index}] must be an object {{level, text}}")
            continue
        level = item.get("level", 0)
        if level not in HEADING_LEVELS or isinstance(level, bool):
            problems.append(f"{name}[{index}].level must be 0 (paragraph) or 1–4 (一、/（一）/1./（1）), got {level!r}")
            continue
        text = _text(item.get("text"), f"{name}[{index}].text", problems, MAX_PARAGRAPH)
        if not text:
            problems.append(f"{name}[{index}].text is empty")
        paragraphs.append({"level": level, "text": text})
    return paragraphs


def _names(value: Any, name: str, label: str, problems: list[str]) -> list[str]:
    """出席/请假/列席: the names (with units, as the meeting records them) in the order they print."""
    if not isinstance(value, list) or len(value) > MAX_LISTED_NAMES:
        problems.append(f"{name} ({label}) must be a list of at most {MAX_LISTED_NAMES} names")
        return []
    return [_text(item, f"{name}[{index}]", problems, MAX_NAME, required=True) for index, item in enumerate(value)]


def _contact(value: Any, problems: list[str]) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"name", "phone"}:
        problems.append("contact must be an object {name, phone} or null")
        return None
    name = _text(value.get("name", ""), "contact.name", problems, 20, required=True)
    phone = _text(value.get("phone", ""), "contact.phone", problems, 30, required=True)
    if phone and not PHONE_RE.match(phone):
        problems.append(f"contact.phone must be a phone number such as 0751-8888888 (got {phone!r})")
    return {"name": name, "phone": phone}


def _signers(value: Any, problems: list[str]) -> list[str]:
    if not isinstance(value, list) or len(value) > 10:
        problems.append("signers (签发人) must be a list of at most 10 names")
        return []
    return [_text(name, f"signers[{index}]", problems, 20, required=True) for index, name in enumerate(value)]


def _choice(value: Any, name: str, allowed: tuple, problems: list[str]) -> Any:
    if value not in allowed:
        shown = "、".join(repr(item) if item == "" else str(item) for item in allowed)
        problems.append(f"{name} must be one of {shown} (got {value!r})")
    return value


def _serial(value: Any, name: str, problems: list[str]) -> int | None:
    """份号, 令号, 期号: a whole number printed as the standard says (000012, 第12号, 第12期), or none yet."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SERIAL:
        problems.append(f"{name} must be a whole number from 1 to {MAX_SERIAL} (got {value!r})")
        return None
    return value


def refuse_classified(value: Any) -> None:
    if value not in UNCLASSIFIED:
        raise InvalidInput(
            f"本平台只承载非涉密公文: a document marked {value!r} (密级) must not be drafted or sent here; "
            "use the classified network for classified material", code="classified_not_allowed",
            field="classification")


def clean_content(data: dict[str, Any]) -> dict[str, Any]:
    """The given editable fields, checked and normalised. Raises InvalidInput listing every problem."""
    refuse_classified(data.get("classification"))
    problems: list[str] = [f"unknown field '{key}'" for key in data if key not in EDITABLE]
    cleaners = {
        "doc_type": lambda v: _text(v, "doc_type", problems, 10, required=True),
        "title": lambda v: _text(v, "title", problems, MAX_TITLE, required=True),
        "issuers": lambda v: _issuers(v, problems),
        "main_to": lambda v: _recipients(v, "main_to", problems),
        "copy_to": lambda v: _recipients(v, "copy_to", problems),
        "body": lambda v: _body(v, problems),
        "note": lambda v: _text(v, "note", problems, 500),
        "signers": lambda v: _signers(v, problems),
        "written_date": lambda v: _date(v, "written_date", problems),
        "printed_date": lambda v: _date(v, "printed_date", problems),
        "printer": lambda v: None if v is None else _text(v, "printer", problems, MAX_NAME) or None,
        "copy_number": lambda v: _serial(v, "copy_number (份号)", problems),
        "urgency": lambda v: _choice(v, "urgency (紧急程度)", URGENCIES, problems),
        "disclosure": lambda v: _choice(v, "disclosure (公开属性)", DISCLOSURES, problems),
        "contact": lambda v: _contact(v, problems),
        "direction": lambda v: None if v is None else _choice(v, "direction", ("上行", "平行", "下行"), problems),
        "attachment_titles": lambda v: _attachment_titles(v, problems),
        # None: the 文种's usual layout (函 → 信函格式); a document may choose another.
        "form": lambda v: None if v is None else _choice(v, "form (版式)", FORMS, problems),
        "order_number": lambda v: _serial(v, "order_number (令号)", problems),
        "signer_title": lambda v: _text(v, "signer_title (签发人职务)", problems, MAX_SHORT),
        "meeting": lambda v: _text(v, "meeting (会议名称)", problems, MAX_SHORT),
        "minutes_number": lambda v: _serial(v, "minutes_number (纪要期号)", problems),
        **{key: (lambda v, key=key, label=label: _names(v, key, label, problems))
           for key, label in zip(NAME_LIST_FIELDS, NAME_LIST_LABELS, strict=True)},
        "attachment_bodies": lambda v: _attachment_bodies(v, problems),
    }
    cleaned = {key: cleaners[key](value) for key, value in data.items() if key in cleaners}
    if "issuers" in cleaned and not cleaned["issuers"]:
        problems.append("issuers needs at least one issuing organ")
    if len(cleaned.get("issuers", [])) > 10:
        problems.append("issuers: joint issuance by at most 10 organs")
    if problems:
        raise InvalidInput("; ".join(problems), code="invalid_document", problems=problems)
    return cleaned


# Edits addressed to attachments by id rather than fields of the document itself.
ATTACHMENT_FIELDS = ("attachment_titles", "attachment_bodies")


def apply_fields(content: dict[str, Any], cleaned: dict[str, Any]) -> dict[str, Any]:
    """`content` with the cleaned fields applied: attachment titles and bodies go onto the attachments they name.
    Raises InvalidInput for an attachment the document does not have."""
    changed = {**content, **{key: value for key, value in cleaned.items() if key not in ATTACHMENT_FIELDS}}
    titles, bodies = cleaned.get("attachment_titles", {}), cleaned.get("attachment_bodies", {})
    unknown = (set(titles) | set(bodies)) - {item["id"] for item in changed["attachments"]}
    if unknown:
        raise InvalidInput(f"no attachment {', '.join(sorted(unknown))} on this document",
                           field="attachment_bodies" if set(bodies) & unknown else "attachment_titles")
    changed["attachments"] = [{**item, "title": titles.get(item["id"], item["title"]),
                               **({"body": bodies[item["id"]]} if item["id"] in bodies else {})}
                              for item in changed["attachments"]]
    return changed


def _attachment_titles(value: Any, problems: list[str]) -> dict[str, str]:
    """{attachment id: title} for renaming attachments in the 附件说明."""
    if not isinstance(value, dict):
        problems.append("attachment_titles must be an object {attachment id: title}")
        return {}
    return {str(key): _text(title, f"attachment_titles.{key}", problems, MAX_TITLE, required=True)
            for key, title in value.items()}


def _attachment_bodies(value: Any, problems: list[str]) -> dict[str, list[dict[str, Any]]]:
    """{attachment id: paragraphs} for attachments printed in full after the 附注 (GB/T 9704 7.3.7), each on pages
    of its own; an empty list takes the text away (the attachment is then only named in the 附件说明)."""
    if not isinstance(value, dict):
        problems.append("attachment_bodies must be an object {attachment id: [{level, text}, …]}")
        return {}
    return {str(key): _body(body, problems, f"attachment_bodies.{key}") for key, body in value.items()}


# 文种 whose text addresses no 主送机关 (published or recorded rather than sent to someone); 令 is the name units give
# the 命令 they add as a 文种 of its own.
WITHOUT_MAIN_TO = ("公告", "通告", "公报", "纪要", "命令", "令", "决议")


def completeness_problems(content: dict[str, Any]) -> list[str]:
    """What a document still lacks before it can be numbered and issued (a draft may lack these)."""
    problems = []
    if not content["body"]:
        problems.append("正文 (body) is empty")
    if not content["main_to"] and content["doc_type"] not in WITHOUT_MAIN_TO:
        problems.append("主送机关 (main_to) is empty")
    if not content["issuers"] or not content["issuers"][0].get("code"):
        problems.append("the host issuing organ has no 机关代字 (code) to number with")
    return problems


def review_problems(content: dict[str, Any]) -> list[str]:
    """What a draft still lacks before it may be sent for approval (送审), in words for the drafter."""
    problems = []
    if not content.get("doc_type"):
        problems.append("缺少文种")
    if not (content.get("title") or "").strip():
        problems.append("缺少标题")
    if not content.get("main_to") and content.get("doc_type") not in WITHOUT_MAIN_TO:
        problems.append("缺少主送机关")
    if not any((paragraph.get("text") or "").strip() for paragraph in content.get("body") or []):
        problems.append("缺少正文")
    return problems
