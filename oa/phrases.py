"""Personal 常用语: the opinions a person writes again and again (“请办公室牵头落实”), kept in their order.

Each person has one record, `{_id: user id, items: [{id, text}], version}`, in the `opinion_phrases`
collection, which only this module reads and writes. Every change is a compare-and-set on the version,
so two phones editing the list at once cannot lose a phrase: the later one is retried on a fresh read.
The built-in phrases (同意, 已阅…) live in the apps; these are shown after them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from oa.clock import utcnow
from oa.errors import Conflict, InvalidInput, NotFound
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo

MAX_PHRASES = 30
MAX_LENGTH = 100
_ATTEMPTS = 5

Items = list[dict[str, str]]


class PhraseService:
    COLLECTION = "opinion_phrases"

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self.phrases = mongo[self.COLLECTION]

    async def list(self, user_id: str) -> Items:
        record = await self.phrases.find_one({"_id": user_id})
        return list(record["items"]) if record else []

    async def add(self, user_id: str, text: str) -> Items:
        text = check_text(text)

        def change(items: Items) -> Items:
            if any(item["text"] == text for item in items):
                raise Conflict("这条常用语已经有了", code="phrase_exists", field="text")
            if len(items) >= MAX_PHRASES:
                raise Conflict(f"常用语最多 {MAX_PHRASES} 条，请先删除不用的", code="too_many_phrases")
            return [*items, {"id": f"ph-{secrets.token_hex(6)}", "text": text}]

        return await self._change(user_id, change)

    async def reorder(self, user_id: str, ids: list[str]) -> Items:
        """The same phrases in the order of `ids`, which must name each of them exactly once."""

        def change(items: Items) -> Items:
            by_id = {item["id"]: item for item in items}
            if sorted(ids) != sorted(by_id) or len(set(ids)) != len(ids):
                raise InvalidInput("ids must list each of your phrases exactly once (reload and try again)",
                                   field="ids")
            return [by_id[phrase_id] for phrase_id in ids]

        return await self._change(user_id, change)

    async def delete(self, user_id: str, phrase_id: str) -> Items:
        def change(items: Items) -> Items:
            if not any(item["id"] == phrase_id for item in items):
                raise NotFound("no such phrase (already deleted?)")
            return [item for item in items if item["id"] != phrase_id]

        return await self._change(user_id, change)

    async def _change(self, user_id: str, change: Callable[[Items], Items]) -> Items:
        for _ in range(_ATTEMPTS):
            record = await self.phrases.find_one({"_id": user_id})
            items = change(list(record["items"]) if record else [])
            if record is None:
                try:
                    await self.phrases.insert_one({"_id": user_id, "items": items, "version": 1,
                                                   "updated_at": utcnow(), "schema_version": SCHEMA_VERSION})
                    return items
                except DuplicateKeyError:
                    continue  # the person's other device created the list just now: apply to that one
            written = await self.phrases.update_one({"_id": user_id, "version": record["version"]},
                                                    {"$set": {"items": items, "updated_at": utcnow()},
                                                     "$inc": {"version": 1}})
            if written.modified_count:
                return items
        raise Conflict("常用语正在别处修改，请重试", code="phrases_busy")


def check_text(text: str) -> str:
    text = " ".join(text.split())  # one line, as it goes into the opinion box
    if not text:
        raise InvalidInput("常用语不能为空", field="text")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"常用语最多 {MAX_LENGTH} 个字", field="text")
    return text


def phrases_json(items: Items) -> dict[str, Any]:
    return {"items": items, "total": len(items), "max": MAX_PHRASES}
