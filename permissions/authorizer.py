"""The one place that answers "may this person do this to that kind of thing in that unit?".

Casbin holds the coarse role templates (shared by all 1,300 units) and is the policy source. Who
holds which role where comes from people's active posts, read from the in-memory org directory,
never from the database. Reach across levels is answered here: a person may act on a unit if one
of their roles allows it in that unit or in any of its ancestors (a county admin administers its
towns, a city admin every county). Everything is denied unless a template allows it.

Decisions never touch the database: a template decision (role, domain, kind, action) is asked of
Casbin once and then kept in a dict, cleared whenever the policy is reloaded, so a decision costs
a few dict lookups (microseconds) instead of pycasbin's ~0.3 ms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import casbin

from oa.directory import Directory, Person
from permissions.adapter import ADMIN_ROLE, AUDITOR_ROLE, EVERYWHERE, MEMBER_ROLE, MongoAdapter
from storage.mongo import SCHEMA_VERSION, Mongo

MODEL_PATH = Path(__file__).with_name("model.conf")

DOCUMENT_READERS = ("科员", "收发员", "办公室主任", "分管领导", "主要领导", "档案员")
DOCUMENT_DRAFTERS = ("科员", "收发员", "办公室主任")
# 发文字号 are handed out by the office (办公室主任 and the clerk who keeps the register).
DOCUMENT_NUMBERERS = ("收发员", "办公室主任")
EXCHANGE_CLERKS = ("收发员", "办公室主任")
# The signed, issued PDF itself (unwatermarked) goes to the unit's clerks and archivists only.
ORIGINAL_TAKERS = ("收发员", "办公室主任", "档案员")

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
    *((role, "document", "original") for role in ORIGINAL_TAKERS),
    (ADMIN_ROLE, "doctype", "write"),
    # Flows: platform admins publish definitions and keep the calendar (checked with no unit, so only
    # a grant valid everywhere counts); a unit's admin, or an ancestor's, claims flows for it.
    (ADMIN_ROLE, "flow", "write"),
    (ADMIN_ROLE, "calendar", "write"),
    # A unit's admin, or an ancestor's, keeps the unit's own local holidays (they hold for its subtree).
    (ADMIN_ROLE, "calendar", "local"),
    (ADMIN_ROLE, "flow", "claim"),
    # Seals (电子印章): a unit's admin, or an ancestor's, registers, replaces and revokes its seal.
    (ADMIN_ROLE, "seal", "read"),
    (ADMIN_ROLE, "seal", "write"),
    # Exchange (公文交换): the office sends, signs for, registers and forwards, in its own unit only;
    # every reader of the unit sees its inbox, sent list and boards. Statistics reach down: the
    # leaders and office of a county see each of its towns' figures, never their documents.
    *((role, "exchange", "read") for role in DOCUMENT_READERS),
    *((role, "exchange", "handle") for role in EXCHANGE_CLERKS),
    *((role, "exchange", "stats") for role in ("主要领导", "分管领导", "办公室主任", ADMIN_ROLE)),
    *((role, "recipient_group", "write") for role in (*EXCHANGE_CLERKS, ADMIN_ROLE)),
    # 批量移交: a unit's office head and its admin hand over the open tasks of a person of that unit (who
    # leaves, or is away for long); an admin reaches the units below theirs too (flows/access.py).
    *((role, "task", "handover") for role in ("办公室主任", ADMIN_ROLE)),
    # 督办: the leaders and the office look at what is overdue in the unit and below it; the office urges.
    *((role, "supervision", "read") for role in ("主要领导", "分管领导", *EXCHANGE_CLERKS)),
    *((role, "supervision", "urge") for role in EXCHANGE_CLERKS),
    # 归档: a unit's archivists archive what it issued or received, and read and export its archive (移交);
    # its admin, or an ancestor's, keeps the unit's 保管期限 table and 全宗号 (the archivists read them).
    ("档案员", "archive", "read"),
    ("档案员", "archive", "write"),
    (ADMIN_ROLE, "archive", "settings"),
    # 三员分立: the 审计员 reads the audit and verifies its chains (their unit and below); the 管理员, who
    # changes units and people, gets no audit rows, and the 审计员 no unit or user write.
    (AUDITOR_ROLE, "audit", "read"),
    (AUDITOR_ROLE, "audit", "verify"),
    (AUDITOR_ROLE, "unit", "read"),
    (AUDITOR_ROLE, "user", "read"),
]


class Authorizer:
    def __init__(self, enforcer: casbin.AsyncEnforcer, directory: Directory) -> None:
        self.enforcer = enforcer
        self.directory = directory
        self._templates: dict[tuple[str, str, str, str], bool] = {}
        self._per_unit_rules = False  # the templates are the same in every unit unless a row names one

    @classmethod
    async def create(cls, mongo: Mongo, directory: Directory) -> Authorizer:
        """Load the enforcer once per process, seeding the built-in role templates if missing."""
        adapter = MongoAdapter(mongo)
        for role, kind, action in ROLE_TEMPLATES:
            await adapter.rules.update_one(
                {"ptype": "p", "v0": role, "v1": EVERYWHERE, "v2": kind, "v3": action, "v4": "allow"},
                {"$setOnInsert": {"schema_version": SCHEMA_VERSION}}, upsert=True,
            )
        enforcer = casbin.AsyncEnforcer(str(MODEL_PATH), adapter)
        enforcer.enable_auto_save(False)
        authorizer = cls(enforcer, directory)
        await authorizer.reload_policy()
        return authorizer

    async def reload_policy(self) -> None:
        """Read the role templates again (after they change) and forget every cached decision."""
        await self.enforcer.load_policy()
        self.policy_loaded()

    def policy_loaded(self) -> None:
        """The enforcer's rows changed: forget every cached answer."""
        self._per_unit_rules = any(rule[1] != EVERYWHERE for rule in self.enforcer.get_policy())
        self._templates.clear()

    def role_allows(self, role: str, domain: str, kind: str, action: str) -> bool:
        """Does the template of `role` allow `action` on `kind` in `domain`? Casbin once, then memory."""
        # While every template row holds in every unit (the normal case), one answer serves all units.
        key = (role, domain if self._per_unit_rules else EVERYWHERE, kind, action)
        allowed = self._templates.get(key)
        if allowed is None:
            # A role is a member of itself in Casbin's role manager, so this asks the `p` rows only.
            allowed = self._templates[key] = bool(self.enforcer.enforce(role, domain, kind, action))
        return allowed

    def roles_by_unit(self, user: dict[str, Any]) -> dict[str, set[str]]:
        """The person's roles per unit from their active posts (`*` for a platform administrator)."""
        held: dict[str, set[str]] = {}
        if not user.get("active"):
            return held
        if user.get("system_admin"):
            held[EVERYWHERE] = {ADMIN_ROLE}
        for post in user.get("posts", ()):
            if post.get("active"):
                held.setdefault(post["unit_id"], set()).update(post["roles"])
                if AUDITOR_ROLE in post["roles"] and not (self.directory.unit(post["unit_id"]) or {}).get("parent_id"):
                    # 三员分立: the 审计员 of a top-level unit audits the whole platform, as the 系统管理员
                    # administers it; one posted lower audits that unit and the units below it.
                    held.setdefault(EVERYWHERE, set()).add(AUDITOR_ROLE)
        return held

    async def unit_path(self, unit_id: str) -> list[str]:
        return self.directory.path_ids(unit_id)

    async def allowed(self, user: dict[str, Any], kind: str, action: str, unit_id: str | None = None,
                      inherit: bool = True) -> bool:
        """True if one of the person's roles allows `action` on `kind` in the unit or an ancestor of it.

        With no unit, only grants valid everywhere count. With `inherit=False` only a role held in
        that very unit counts: no reach from ancestors, no platform-wide grant.
        """
        return self.decide(user, kind, action, unit_id, inherit)

    def decide(self, user: dict[str, Any], kind: str, action: str, unit_id: str | None = None,
               inherit: bool = True) -> bool:
        """`allowed` without the coroutine: from memory only."""
        if not user.get("active"):
            return False
        if self.role_allows(MEMBER_ROLE, EVERYWHERE, kind, action):
            return True
        held = self.roles_by_unit(user)
        if not inherit:
            return unit_id is not None and any(self.role_allows(role, unit_id, kind, action)
                                               for role in held.get(unit_id, ()))
        domains = [EVERYWHERE, *(self.directory.path_ids(unit_id) if unit_id is not None else ())]
        return any(self.role_allows(role, domain, kind, action)
                   for domain in domains for role in held.get(domain, ()))

    def may_see_mobile(self, viewer: dict[str, Any], person: Person) -> bool:
        """The one rule for a mobile number: the person themself, their colleagues (an active post in a
        unit where they hold one) and whoever administers people there, that is the admins of that unit
        or of a unit above it (a platform admin everywhere). Everyone else sees the office phone only."""
        if viewer.get("_id") == person.id:
            return True
        # Posts of a deactivated person still say where they worked: their colleagues and admins keep the number.
        units = {post.unit_id for post in person.posts if post.active}
        if units & self.roles_by_unit(viewer).keys():
            return True
        return self.decide(viewer, "user", "write") or any(self.decide(viewer, "user", "write", unit_id)
                                                           for unit_id in units)

    async def administered_units(self, user: dict[str, Any]) -> list[str] | None:
        """Units where the person is 管理员 (their subtrees are theirs to administer); None = everywhere."""
        held = self.roles_by_unit(user)
        if ADMIN_ROLE in held.get(EVERYWHERE, ()):
            return None
        return sorted(unit for unit, roles in held.items() if ADMIN_ROLE in roles)

    async def units_allowing(self, user: dict[str, Any], kind: str, action: str) -> list[str]:
        """The units where one of the person's own roles allows `action` on `kind` (no reach downwards)."""
        held = self.roles_by_unit(user)
        return sorted(unit for unit, roles in held.items() if unit != EVERYWHERE
                      and any(self.role_allows(role, unit, kind, action) for role in roles))
