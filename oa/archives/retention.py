"""保管期限 and 全宗号 as data: what each 文种 is kept for by default, per archiving unit, and the unit's 全宗号.

Owns the `archive_settings` collection (one record per unit, only where an admin changed something).
A package's 保管期限 is the one the archivist chose, else the unit's own table, else the platform's
defaults below (after 《机关文件材料归档范围和文书档案保管期限规定》: what a unit itself issues as
decisions, orders, reports, requests, replies and minutes is kept for ever; notices and letters for 30
years; 便函 and 简报 for 10). A 文种 not in the table is kept 30 years. 保管期限 codes follow DA/T 22-2015:
永久 Y, 30年 D30, 10年 D10.
"""

from __future__ import annotations

import re
from typing import Any

from oa.clock import utcnow
from oa.errors import InvalidInput, StaleVersion
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo

RETENTIONS = ("永久", "30年", "10年")
RETENTION_CODES = {"永久": "Y", "30年": "D30", "10年": "D10"}
FALLBACK = "30年"
DEFAULT_BY_TYPE: dict[str, str] = {
    "决议": "永久", "决定": "永久", "命令": "永久", "公报": "永久", "公告": "永久", "意见": "永久", "报告": "永久",
    "请示": "永久", "批复": "永久", "议案": "永久", "纪要": "永久",
    "通告": "30年", "通知": "30年", "通报": "30年", "函": "30年", "会办意见": "30年",
    "便函": "10年", "简报": "10年",
}
# 全宗号: letters and digits only, since "-" separates the parts of a 档号.
FONDS_RE = re.compile(r"^[A-Z0-9]{1,12}$")


def check_retention(value: Any, field: str = "retention") -> str:
    if value not in RETENTIONS:
        raise InvalidInput(f"保管期限 must be one of {'、'.join(RETENTIONS)} (got {value!r})", field=field,
                           code="invalid_retention")
    return str(value)


def default_fonds_code(unit_id: str) -> str:
    """Until an admin records the 全宗号 the archives bureau gave the unit: its id in capitals, letters and digits."""
    return re.sub(r"[^A-Z0-9]", "", unit_id.upper())[:12] or "QZ"


class RetentionSettings:
    def __init__(self, mongo: Mongo) -> None:
        self.settings = mongo["archive_settings"]

    async def of_unit(self, unit_id: str) -> dict[str, Any]:
        """The unit's table as it applies: every 文种 with its 保管期限, which ones the unit set, its 全宗号."""
        stored = await self.settings.find_one({"_id": unit_id}) or {}
        own = stored.get("by_type") or {}
        return {"unit_id": unit_id, "by_type": {**DEFAULT_BY_TYPE, **own}, "own": sorted(own),
                "fallback": FALLBACK, "fonds_code": stored.get("fonds_code") or default_fonds_code(unit_id),
                "fonds_code_set": bool(stored.get("fonds_code")), "version": stored.get("version", 0),
                "retentions": list(RETENTIONS)}

    async def retention_for(self, unit_id: str, doc_type: str) -> str:
        return (await self.of_unit(unit_id))["by_type"].get(doc_type, FALLBACK)

    async def do_update(self, unit_id: str, version: int, by_type: dict[str, Any] | None, fonds_code: str | None,
                        by: str) -> dict[str, Any]:
        """Change the unit's table (a 文种 set to null goes back to the default) and/or its 全宗号."""
        changes: dict[str, Any] = {}
        unset: dict[str, Any] = {}
        for doc_type, value in (by_type or {}).items():
            if not isinstance(doc_type, str) or not 1 <= len(doc_type) <= 10:
                raise InvalidInput(f"unknown 文种 {doc_type!r}", field="by_type")
            if value is None:
                unset[f"by_type.{doc_type}"] = ""
            else:
                changes[f"by_type.{doc_type}"] = check_retention(value, "by_type")
        if fonds_code is not None:
            code = fonds_code.strip().upper()
            if not FONDS_RE.match(code):
                raise InvalidInput("全宗号 is 1–12 letters or digits (no '-', which separates the parts of a 档号)",
                                   field="fonds_code", code="invalid_fonds_code")
            changes["fonds_code"] = code
        try:
            result = await self.settings.update_one(
                {"_id": unit_id, "version": version} if version else {"_id": unit_id, "version": {"$exists": False}},
                {"$set": {**changes, "updated_by": by, "updated_at": utcnow(), "schema_version": SCHEMA_VERSION,
                          "version": version + 1}, **({"$unset": unset} if unset else {})},
                upsert=not version)
        except DuplicateKeyError:  # version 0 given, but someone saved the first change meanwhile
            result = None
        if result is None or (not result.matched_count and result.upserted_id is None):
            raise StaleVersion("the 保管期限 table was changed meanwhile; reload it", current_version=None)
        return await self.of_unit(unit_id)
