"""What a valid org unit looks like: the allowed types, levels and flags, and field checks.

Shared by the admin API and the bulk importer so both accept and refuse exactly the same things.
Each check returns a list of human-readable problems instead of raising, so an import can
report every bad row at once.
"""

from __future__ import annotations

import re
from typing import Any

UNIT_TYPES = ("党委", "人大", "政府", "政协", "部门", "事业单位", "乡镇", "街道", "群团", "法院", "检察院", "其他")
LEVELS = ("city", "county", "town")
LEVEL_RANK = {"city": 0, "county": 1, "town": 2}
LEVEL_NAMES = {"city": "市级", "county": "县级", "town": "镇级"}
FLAGS = {"autonomous_county": "自治县", "ethnic_township": "民族乡", "vertical": "垂直管理"}

UNIT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
# 机关代字: Chinese characters (and the occasional Latin letter), e.g. 韶府, 韶府办.
CODE_RE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,10}$")

EDITABLE = ("name", "short_name", "type", "code", "flags", "vertical_parent_id", "sort", "drafts_for")
# The units a unit may draft in the name of (市政府办公室 for 韶关市人民政府); see oa/issuers.py.
MAX_DRAFTS_FOR = 20


def check_unit_id(value: Any) -> list[str]:
    if not isinstance(value, str) or not UNIT_ID_RE.match(value):
        return ["id must be 2–64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit"]
    return []


def check_fields(data: dict[str, Any], partial: bool = False) -> list[str]:
    """Problems with the descriptive fields of a unit (not its place in the tree)."""
    problems: list[str] = []
    if not partial or "name" in data:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            problems.append("name is required and must be at most 100 characters")
    if "short_name" in data and data["short_name"] is not None:
        short = data["short_name"]
        if not isinstance(short, str) or len(short) > 40:
            problems.append("short_name must be at most 40 characters")
    if (not partial or "type" in data) and data.get("type") not in UNIT_TYPES:
        problems.append(f"type must be one of {'、'.join(UNIT_TYPES)} (got {data.get('type')!r})")
    if (not partial or "level" in data) and data.get("level") not in LEVELS:
        problems.append(f"level must be one of {', '.join(LEVELS)} (got {data.get('level')!r})")
    code = data.get("code")
    if code not in (None, "") and (not isinstance(code, str) or not CODE_RE.match(code)):
        problems.append(f"code (机关代字) must be 1–10 Chinese characters or letters (got {code!r})")
    flags = data.get("flags", [])
    # Each flag must be text before it is looked up: a nested list or object is not hashable.
    if not isinstance(flags, list) or any(not isinstance(flag, str) or flag not in FLAGS for flag in flags):
        problems.append(f"flags must be a list drawn from {', '.join(FLAGS)} (got {flags!r:.200})")
    drafts_for = data.get("drafts_for", [])
    if not isinstance(drafts_for, list) or len(drafts_for) > MAX_DRAFTS_FOR or not all(
            isinstance(unit, str) and UNIT_ID_RE.match(unit) for unit in drafts_for):
        problems.append(f"drafts_for must be a list of at most {MAX_DRAFTS_FOR} unit ids (the units this unit "
                        "may draft in the name of)")
    sort = data.get("sort")
    if sort is not None and (not isinstance(sort, int) or isinstance(sort, bool)):
        problems.append("sort must be an integer")
    return problems


def check_placement(level: str, parent: dict[str, Any] | None) -> list[str]:
    """Problems with placing a unit of `level` under `parent` (None = a root unit)."""
    if parent is None:
        return []
    if parent.get("status") != "active":
        return [f"parent {parent['_id']} ({parent['name']}) is dissolved"]
    if level in LEVEL_RANK and LEVEL_RANK[level] < LEVEL_RANK.get(parent.get("level", "city"), 0):
        return [f"a {level}-level unit cannot sit under the {parent['level']}-level unit {parent['name']}"]
    return []


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """The stored shape of the descriptive fields: empty strings become None, names trimmed."""
    out: dict[str, Any] = {}
    for key in ("name", "short_name", "type", "level", "code"):
        if key in data:
            value = data[key]
            out[key] = value.strip() if isinstance(value, str) and value.strip() else None
    if "flags" in data:
        out["flags"] = sorted(set(data["flags"] or []))
    if "sort" in data:
        out["sort"] = data["sort"] or 0
    if "drafts_for" in data:
        out["drafts_for"] = sorted(set(data["drafts_for"] or []))
    if "vertical_parent_id" in data:
        out["vertical_parent_id"] = data["vertical_parent_id"] or None
    return out
