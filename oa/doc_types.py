"""Document types (文种) as data: the 15 of 《党政机关公文处理工作条例》 plus the ones units add.

Each type says which way it normally travels, which decides the direction when the recipients
do not (free-text bodies outside the platform). Platform admins add types such as 会办意见 or
便函; they are stored in `doc_types` and behave exactly like the built-in ones.
"""

from __future__ import annotations

import re
from typing import Any

from oa.clock import utcnow
from oa.errors import Conflict, InvalidInput
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo

DIRECTIONS = ("上行", "平行", "下行")

# (name, usual direction). Order is the regulation's.
STATUTORY_TYPES: tuple[tuple[str, str], ...] = (
    ("决议", "下行"), ("决定", "下行"), ("命令", "下行"), ("公报", "下行"), ("公告", "下行"),
    ("通告", "下行"), ("意见", "下行"), ("通知", "下行"), ("通报", "下行"), ("报告", "上行"),
    ("请示", "上行"), ("批复", "下行"), ("议案", "平行"), ("函", "平行"), ("纪要", "下行"),
)
# In daily use beside the statutory ones; seeded so a new platform has them.
COMMON_EXTRA_TYPES: tuple[tuple[str, str], ...] = (("会办意见", "平行"), ("便函", "平行"), ("简报", "下行"))
# 上行文 carry 签发人 and go to one 主送机关 only.
UPWARD_TYPES = ("请示", "报告")

TYPE_NAME_RE = re.compile(r"^[\u4e00-\u9fff（）()]{1,10}$")


def builtin_types() -> list[dict[str, Any]]:
    return [{"name": name, "direction": direction, "statutory": True} for name, direction in STATUTORY_TYPES] + [
        {"name": name, "direction": direction, "statutory": False} for name, direction in COMMON_EXTRA_TYPES]


class DocTypeService:
    def __init__(self, mongo: Mongo) -> None:
        self.collection = mongo["doc_types"]

    async def all(self) -> list[dict[str, Any]]:
        added = await self.collection.find({}, {"_id": 0, "name": 1, "direction": 1}).sort("name", 1).to_list(None)
        known = builtin_types()
        names = {item["name"] for item in known}
        return known + [{**item, "statutory": False} for item in added if item["name"] not in names]

    async def get(self, name: str) -> dict[str, Any] | None:
        return next((item for item in await self.all() if item["name"] == name), None)

    async def require(self, name: Any) -> dict[str, Any]:
        found = await self.get(name) if isinstance(name, str) else None
        if found is None:
            raise InvalidInput(f"unknown document type (文种) {name!r}; see GET /api/document-types",
                               code="unknown_doc_type", field="doc_type")
        return found

    async def add(self, name: Any, direction: Any, by: str) -> dict[str, Any]:
        if not isinstance(name, str) or not TYPE_NAME_RE.match(name):
            raise InvalidInput(f"a document type name is 1–10 Chinese characters (got {name!r})", field="name")
        if direction not in DIRECTIONS:
            raise InvalidInput(f"direction must be one of {'、'.join(DIRECTIONS)} (got {direction!r})",
                               field="direction")
        if await self.get(name):
            raise Conflict(f"document type {name} exists already", code="doc_type_exists")
        record = {"name": name, "direction": direction, "added_by": by, "added_at": utcnow(),
                  "schema_version": SCHEMA_VERSION}
        try:
            await self.collection.insert_one(record)
        except DuplicateKeyError:
            raise Conflict(f"document type {name} exists already", code="doc_type_exists") from None
        return {"name": name, "direction": direction, "statutory": False}
