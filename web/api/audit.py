"""The audit over HTTP, for the 审计员 only (三员分立: a 管理员 gets a 403 here): verify the chains, see a
unit's latest audit lines, list and write anchors.

An auditor sees the units where they hold the role and every unit below them; one holding it in a root
unit (or platform-wide) also sees the platform's own chain (`*`: administrators without a post).
"""

from __future__ import annotations

from typing import Any

from oa.audit_chain.chain import PLATFORM_UNIT
from oa.audit_chain.verify import recent_records, restrict, verify_chains
from oa.errors import InvalidInput
from permissions.adapter import AUDITOR_ROLE
from web.authz import authorized
from web.base import APIHandler
from web.serialize import plain

MAX_RECENT = 200


async def asked_unit(handler: APIHandler, *_: str) -> list[str | None]:
    """The unit named by `?unit=`, else every unit where the person holds an audit role."""
    unit = handler.get_query_argument("unit", None)
    if unit:
        return [unit]
    user = handler.require_user()
    units = await handler.services.authorizer.units_allowing(user, "audit", "read")
    if not units and not await handler.services.authorizer.allowed(user, "audit", "read"):
        return [None]  # refused below: no audit role anywhere
    return list(units)


class AuditScope:
    """Which chains the person may see: the subtrees of the units where they hold an audit role."""

    def __init__(self, handler: APIHandler) -> None:
        services = handler.services
        user = handler.require_user()
        self.directory = services.directory
        held = services.authorizer.roles_by_unit(user)
        self.everywhere = AUDITOR_ROLE in held.get("*", set())
        self.roots = {unit for unit, roles in held.items() if AUDITOR_ROLE in roles and unit != "*"}

    def keeps(self, unit: str) -> bool:
        if self.everywhere:
            return True
        if unit == PLATFORM_UNIT:
            return any(not (self.directory.unit(root) or {}).get("parent_id") for root in self.roots)
        return bool(self.roots & set(self.directory.path_ids(unit)))


def named(handler: APIHandler, report: dict[str, Any]) -> dict[str, Any]:
    names = {row["unit"]: (handler.services.directory.unit(row["unit"]) or {}).get("name") for row in report["units"]}
    names[PLATFORM_UNIT] = "平台（无岗位的管理员）"
    report["units"] = [{**row, "unit_name": names.get(row["unit"]) or row["unit"]} for row in report["units"]]
    return report


class VerifyHandler(APIHandler):
    @authorized("audit", "verify", units=asked_unit)
    async def get(self) -> None:
        """Walk the chains (one unit's with ?unit=) against the latest anchor; the first problem per unit."""
        unit = self.get_query_argument("unit", None)
        anchor = await self.services.anchors.latest()
        report = await verify_chains(self.services.mongo, unit, anchor)
        self.send_json(plain(named(self, restrict(report, AuditScope(self).keeps))))


class RecordsHandler(APIHandler):
    @authorized("audit", "read", units=asked_unit)
    async def get(self) -> None:
        """A unit's latest audit lines with their links, newest first (?unit= required, ?limit= up to 200)."""
        unit = self.get_query_argument("unit", None)
        if not unit:
            raise InvalidInput("say which unit's audit to show (?unit=)", field="unit")
        limit = min(self.int_argument("limit", 50), MAX_RECENT)
        if limit < 1:
            raise InvalidInput("limit must be at least 1", field="limit")
        items = await recent_records(self.services.mongo, unit, limit)
        self.send_json(plain({"unit": unit, "items": items, "total": len(items)}))


class AnchorsHandler(APIHandler):
    @authorized("audit", "read", units=asked_unit)
    async def get(self) -> None:
        """The latest anchors (newest first): when, the heads' digest, locked or not, timestamped or not."""
        self.send_json(plain({"items": await self.services.anchors.listing()}))

    @authorized("audit", "verify", units=asked_unit)
    async def post(self) -> None:
        """Write an anchor of every unit's head now (besides the daily one)."""
        self.send_json(plain(await self.services.anchors.write()), status=201)
