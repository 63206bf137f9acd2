"""An asynchronous Casbin adapter over MongoDB.

The PyPI MongoDB adapters are synchronous and would block the event loop; this one uses the
process's async client. Policy rows (`p`, the role templates) live in the `casbin_rules`
collection. Grants are not stored here at all: who holds which role where is people's active
posts, which the authorizer reads from the in-memory org directory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from casbin import persist
from casbin.model import Model
from casbin.persist.adapters.asyncio import AsyncAdapter

from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo

EVERYWHERE = "*"
# Every active person holds this role everywhere. It is implied, never granted row by row: 6,000+
# identical grants in one domain make pycasbin's first lookup there quadratic (measured: ~40 s).
MEMBER_ROLE = "成员"
ADMIN_ROLE = "管理员"
AUDITOR_ROLE = "审计员"


def _row(ptype: str, rule: Iterable[str]) -> dict[str, object]:
    return {"ptype": ptype, **{f"v{i}": value for i, value in enumerate(rule)}}


def _stored_row(ptype: str, rule: Iterable[str]) -> dict[str, object]:
    return {**_row(ptype, rule), "schema_version": SCHEMA_VERSION}


class MongoAdapter(AsyncAdapter):
    def __init__(self, mongo: Mongo) -> None:
        self.rules = mongo["casbin_rules"]

    async def load_policy(self, model: Model) -> None:
        async for row in self.rules.find({"ptype": "p"}).sort([("_id", 1)]):
            values = [row[f"v{i}"] for i in range(5) if f"v{i}" in row]
            persist.load_policy_line(", ".join(["p", *values]), model)

    async def save_policy(self, model: Model) -> bool:
        await self.rules.delete_many({"ptype": "p"})
        rows = [_stored_row("p", rule) for rule in model.model["p"]["p"].policy]
        if rows:
            await self.rules.insert_many(rows)
        return True

    async def add_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        if ptype != "p":
            return True  # grants follow posts; nothing to store
        try:
            await self.rules.insert_one(_stored_row(ptype, rule))
        except DuplicateKeyError:
            return False
        return True

    async def add_policies(self, sec: str, ptype: str, rules: list[list[str]]) -> bool:
        for rule in rules:
            await self.add_policy(sec, ptype, rule)
        return True

    async def remove_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        if ptype != "p":
            return True
        result = await self.rules.delete_one(_row(ptype, rule))
        return result.deleted_count > 0

    async def remove_policies(self, sec: str, ptype: str, rules: list[list[str]]) -> bool:
        for rule in rules:
            await self.remove_policy(sec, ptype, rule)
        return True

    async def remove_filtered_policy(self, sec: str, ptype: str, field_index: int, *field_values: str) -> bool:
        if ptype != "p":
            return True
        query: dict[str, Any] = {"ptype": ptype}
        for offset, value in enumerate(field_values):
            if value:
                query[f"v{field_index + offset}"] = value
        await self.rules.delete_many(query)
        return True
