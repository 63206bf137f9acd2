"""The one place that answers "may this person do this to that kind of thing in that unit?".

Casbin holds the coarse role templates (shared by all 1,300 units) and each person's grants.
Reach across levels is answered here: a person may act on a unit if one of their roles allows
it in that unit or in any of its ancestors (a county admin administers its towns, a city admin
every county), which is at most a handful of in-memory checks. Everything is denied unless a
template allows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import casbin

from permissions.adapter import ADMIN_ROLE, EVERYWHERE, MEMBER_ROLE, MongoAdapter, grants_for
from storage.mongo import SCHEMA_VERSION, Mongo

MODEL_PATH = Path(__file__).with_name("model.conf")

DOCUMENT_READERS = ("科员", "收发员", "办公室主任", "分管领导", "主要领导")
DOCUMENT_DRAFTERS = ("科员", "收发员", "办公室主任")
# 发文字号 are handed out by the office (办公室主任 and the clerk who keeps the register).
DOCUMENT_NUMBERERS = ("收发员", "办公室主任")
EXCHANGE_CLERKS = ("收发员", "办公室主任")

# (role, resource kind, action). Every unit shares these rows; per-unit rows are never created.
ROLE_TEMPLATES: list[tuple[str, str, str]] = [
    (MEMBER_ROLE, "unit", "read"),
    (MEMBER_ROLE, "user", "read"),
    (ADMIN_ROLE, "unit", "read"),
    (ADMIN_ROLE, "unit", "write"),
    (ADMIN_ROLE, "user", "read"),
    (ADMIN_ROLE, "user", "write"),
    (ADMIN_ROLE, "import", "write"),
    # Documents stay inside the unit that drafts them: these roles act in their own unit only
    # (see `allowed(..., inherit=False)`), and admins, who configure rather than write, get none.
    *((role, "document", "read") for role in DOCUMENT_READERS),
    *((role, "document", "draft") for role in DOCUMENT_DRAFTERS),
    *((role, "document", "number") for role in DOCUMENT_NUMBERERS),
    (ADMIN_ROLE, "doctype", "write"),
    # Flows: platform admins publish definitions and keep the calendar (checked with no unit, so only
    # a grant valid everywhere counts); a unit's admin, or an ancestor's, claims flows for it.
    (ADMIN_ROLE, "flow", "write"),
    (ADMIN_ROLE, "calendar", "write"),
    (ADMIN_ROLE, "flow", "claim"),
    # Exchange (公文交换): the office sends, signs for, registers and forwards, in its own unit only;
    # every reader of the unit sees its inbox, sent list and boards. Statistics reach down: the
    # leaders and office of a county see each of its towns' figures, never their documents.
    *((role, "exchange", "read") for role in DOCUMENT_READERS),
    *((role, "exchange", "handle") for role in EXCHANGE_CLERKS),
    *((role, "exchange", "stats") for role in ("主要领导", "分管领导", "办公室主任", ADMIN_ROLE)),
    *((role, "recipient_group", "write") for role in (*EXCHANGE_CLERKS, ADMIN_ROLE)),
]


class Authorizer:
    def __init__(self, enforcer: casbin.AsyncEnforcer, mongo: Mongo) -> None:
        self.enforcer = enforcer
        self.units = mongo["units"]
        # The grants last synced per person, so an unchanged person costs a dict lookup, not a policy scan.
        self._synced: dict[str, list[list[str]]] = {}

    @classmethod
    async def create(cls, mongo: Mongo) -> Authorizer:
        """Load the enforcer once per process, seeding the built-in role templates if missing."""
        adapter = MongoAdapter(mongo)
        for role, kind, action in ROLE_TEMPLATES:
            await adapter.rules.update_one(
                {"ptype": "p", "v0": role, "v1": EVERYWHERE, "v2": kind, "v3": action, "v4": "allow"},
                {"$setOnInsert": {"schema_version": SCHEMA_VERSION}}, upsert=True,
            )
        enforcer = casbin.AsyncEnforcer(str(MODEL_PATH), adapter)
        # Grants are derived from posts, so in-memory grant changes are never written back.
        enforcer.enable_auto_save(False)
        await enforcer.load_policy()
        return cls(enforcer, mongo)

    async def sync_grants(self, user: dict[str, Any]) -> None:
        """Bring this person's in-memory grants in line with their posts as just read from the database."""
        wanted = grants_for(user)
        if self._synced.get(user["_id"]) == wanted:
            return
        current = sorted(self.enforcer.get_filtered_grouping_policy(0, user["_id"]))
        self._synced[user["_id"]] = wanted
        if current == wanted:
            return
        if current:
            await self.enforcer.remove_grouping_policies(current)
        if wanted:
            await self.enforcer.add_grouping_policies(wanted)

    async def unit_path(self, unit_id: str) -> list[str]:
        unit = await self.units.find_one({"_id": unit_id}, {"ancestors": 1})
        return [*unit["ancestors"], unit_id] if unit else []

    async def allowed(self, user: dict[str, Any], kind: str, action: str, unit_id: str | None = None,
                      inherit: bool = True) -> bool:
        """True if one of the person's roles allows `action` on `kind` in the unit or an ancestor of it.

        With no unit, only grants valid everywhere count. With `inherit=False` only a role held in
        that very unit counts: no reach from ancestors, no platform-wide grant.
        """
        if not user.get("active"):
            return False
        if self.enforcer.enforce(MEMBER_ROLE, EVERYWHERE, kind, action):
            return True
        await self.sync_grants(user)
        if not inherit:
            return unit_id is not None and self.enforcer.enforce(user["_id"], unit_id, kind, action)
        domains = [EVERYWHERE]
        if unit_id is not None:
            domains += await self.unit_path(unit_id)
        return any(self.enforcer.enforce(user["_id"], domain, kind, action) for domain in domains)

    async def administered_units(self, user: dict[str, Any]) -> list[str] | None:
        """Units where the person is 管理员 (their subtrees are theirs to administer); None = everywhere."""
        await self.sync_grants(user)
        domains = [rule[2] for rule in self.enforcer.get_filtered_grouping_policy(0, user["_id"], ADMIN_ROLE)]
        return None if EVERYWHERE in domains else sorted(domains)

    async def units_allowing(self, user: dict[str, Any], kind: str, action: str) -> list[str]:
        """The units where one of the person's own roles allows `action` on `kind` (no reach downwards)."""
        if not user.get("active"):
            return []
        await self.sync_grants(user)
        held = {rule[2] for rule in self.enforcer.get_filtered_grouping_policy(0, user["_id"])} - {EVERYWHERE}
        return sorted(unit for unit in held if self.enforcer.enforce(user["_id"], unit, kind, action))
