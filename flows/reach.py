"""Whom a running flow may pass its work to (转办, 加签): the one rule, in `FlowReach.may_involve`.

A flow may involve people holding an active post
- in the flow's own unit;
- anywhere under the flow unit's parent organ (a flow in 市政府办公室, under 市政府, reaches
  市教育局 under 市政府), or under the flow unit itself when it has no parent;
- in the units the flow already involves: the document's issuers, the units chosen when it
  runs (会签 units, 主办/协办 units), and the units of everyone who has held a task in it.

Anyone else — a person in another county, say — is refused with 403 `target_outside_flow`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from oa.errors import Forbidden
from oa.orgs import OrgService

PeopleLookup = Callable[[list[str]], Awaitable[dict[str, dict[str, Any]]]]


def post_units(person: dict[str, Any]) -> set[str]:
    return {post["unit_id"] for post in person.get("posts", []) if post.get("active") and post.get("unit_id")}


class FlowReach:
    def __init__(self, orgs: OrgService, people: PeopleLookup) -> None:
        self.orgs = orgs
        self.people = people  # ids -> person records with their posts

    async def involved_units(self, instance: dict[str, Any], definition: dict[str, Any],
                             document: dict[str, Any]) -> set[str]:
        """The units this flow already involves (see the module's docstring)."""
        units = {instance["unit_id"]}
        if instance["unit_id"] == document["drafting_unit_id"]:
            # The issuers take part in the drafting side's flows only; a recipient's 收文 flow is its own
            # unit's business and reaches no one of the sender's.
            units |= {issuer["unit_id"] for issuer in document["content"].get("issuers", []) if issuer.get("unit_id")}
        for name, kind in definition.get("variables", {}).items():
            value = instance["vars"].get(name)
            if kind in ("unit", "units") and value:
                units |= {value} if isinstance(value, str) else set(value)
        units |= {member["unit_id"] for member in instance.get("members", []) if member.get("unit_id")}
        holders = await self.people(sorted(instance.get("participants", [])))
        for holder in holders.values():
            units |= post_units(holder)
        return units

    async def may_involve(self, instance: dict[str, Any], definition: dict[str, Any], document: dict[str, Any],
                          person: dict[str, Any]) -> bool:
        """May the flow pass work to `person`?"""
        units = post_units(person)
        if not units:
            return False
        if units & await self.involved_units(instance, definition, document):
            return True
        flow_unit = await self.orgs.get(instance["unit_id"])
        organ = flow_unit.get("parent_id") or flow_unit["_id"]
        found = await self.orgs.get_many(sorted(units))
        return any(unit["_id"] == organ or organ in unit.get("ancestors", [])
                   for unit in found.values() if unit.get("status") == "active")

    async def check(self, instance: dict[str, Any], definition: dict[str, Any], document: dict[str, Any],
                    people: list[dict[str, Any]]) -> None:
        """Refuse (403 target_outside_flow) if any of `people` is beyond the flow's reach."""
        outside = [person for person in people
                   if not await self.may_involve(instance, definition, document, person)]
        if outside:
            names = "、".join(person.get("display_name") or person["_id"] for person in outside)
            raise Forbidden(
                f"{names} cannot be given work in this flow: a flow reaches only its own unit, the units under "
                "its unit's parent organ, and the units it already involves (issuers, chosen units, everyone "
                "who held a task in it)", code="target_outside_flow",
                users=[person["_id"] for person in outside])
