"""Who a node's work goes to: assignee rules as data, checked on publish and resolved at run time.

A rule names a person (`{"user": id}`), the person who started the flow (`{"starter": true}`),
people chosen when the flow runs (`{"var": "signer"}`), or a post: holders of a role in a unit
relative to the flow (`{"role": "办公室主任", "unit": "own"}` — the unit running the flow —
`"parent"`, a fixed `{"id": ...}` or units chosen at run time `{"var": "countersign_units"}`, with
`"else": "own"` or `"parent"` for when nobody chose).

Each resolved *member* is one share of the work: a person, or a unit whose holders of the role
are all candidates (the first of them to act takes it for the unit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from oa.errors import InvalidInput

ROLES = ("主要领导", "分管领导", "办公室主任", "收发员", "科员")
VARIABLE_TYPES = ("user", "users", "unit", "units")
UNIT_REFS = ("own", "parent")
SINGLE_TYPES = ("user", "unit")


def rule_problems(rule: Any, variables: dict[str, str], where: str, single: bool) -> list[str]:
    """What is wrong with one rule; `single`: the node needs exactly one member (task, sign-off)."""
    if not isinstance(rule, dict) or not rule:
        return [f"{where}: an assignee rule must be a non-empty object"]
    if "user" in rule:
        return [] if set(rule) == {"user"} and isinstance(rule["user"], str) else [
            f"{where}: {{'user': <id>}} takes one user id and nothing else"]
    if "starter" in rule:
        return [] if rule == {"starter": True} else [f"{where}: write the starter rule as {{'starter': true}}"]
    if "role" in rule:
        problems = []
        if rule["role"] not in ROLES:
            problems.append(f"{where}: unknown role {rule['role']!r} (one of {', '.join(ROLES)})")
        unit = rule.get("unit", "own")
        if isinstance(unit, str):
            if unit not in UNIT_REFS:
                problems.append(f"{where}: unit must be 'own', 'parent', {{'id': ...}} or {{'var': ...}}")
        elif isinstance(unit, dict) and set(unit) == {"id"} and isinstance(unit["id"], str):
            pass
        elif isinstance(unit, dict) and set(unit) in ({"var"}, {"var", "else"}):
            kind = variables.get(unit["var"])
            if "else" in unit and unit["else"] not in UNIT_REFS:
                problems.append(f"{where}: 'else' (the unit when {unit['var']!r} is not chosen) must be 'own' or "
                                "'parent'")
            if kind not in ("unit", "units"):
                problems.append(f"{where}: variable {unit['var']!r} must be declared as unit or units")
            elif single and kind == "units":
                problems.append(f"{where}: one person acts here, so the unit variable must be 'unit', not 'units'")
        else:
            problems.append(f"{where}: unit must be 'own', 'parent', {{'id': ...}} or {{'var': ...}}")
        unknown = set(rule) - {"role", "unit"}
        return problems + ([f"{where}: unknown rule keys {', '.join(sorted(unknown))}"] if unknown else [])
    if "var" in rule:
        kind = variables.get(rule["var"])
        if set(rule) != {"var"}:
            return [f"{where}: {{'var': name}} takes nothing else"]
        if kind not in ("user", "users"):
            return [f"{where}: variable {rule['var']!r} must be declared as user or users"]
        if single and kind == "users":
            return [f"{where}: one person acts here, so the variable must be 'user', not 'users'"]
        return []
    return [f"{where}: a rule names one of user, starter, var or role"]


def fixed_references(rules: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(user ids, unit ids) a rule list names literally, for checking they exist on publish."""
    users = {rule["user"] for rule in rules if "user" in rule}
    units = {rule["unit"]["id"] for rule in rules
             if "role" in rule and isinstance(rule.get("unit"), dict) and "id" in rule["unit"]}
    return users, units


@dataclass
class Member:
    """One share of a node's work before it is stored: who may act, and for which unit."""

    label: str
    candidates: list[str]
    unit_id: str | None = None
    lead: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


HoldersLookup = Callable[[str, str], Awaitable[list[dict[str, Any]]]]
UnitsLookup = Callable[[list[str]], Awaitable[dict[str, dict[str, Any]]]]
UsersLookup = Callable[[list[str]], Awaitable[dict[str, dict[str, Any]]]]


@dataclass
class Resolver:
    """Everything rule resolution needs about one running flow."""

    unit: dict[str, Any]
    starter_id: str
    variables: dict[str, Any]
    holders: HoldersLookup
    units: UnitsLookup
    users: UsersLookup

    async def members(self, rule: dict[str, Any], node_label: str, role_override: str | None = None,
                      ) -> list[Member]:
        """The members one rule yields now; an error naming the node if it yields nobody."""
        if "user" in rule or "starter" in rule or "var" in rule:
            if "user" in rule:
                ids = [rule["user"]]
            elif "starter" in rule:
                ids = [self.starter_id]
            else:
                value = self.variables.get(rule["var"])
                ids = [value] if isinstance(value, str) else list(value or [])
            found = await self.users(ids)
            missing = [user_id for user_id in ids if user_id not in found or not found[user_id].get("active")]
            if missing:
                raise InvalidInput(f"{node_label}: no active person {', '.join(missing)}", code="unresolvable_assignee",
                                   node=node_label)
            return [Member(found[user_id]["display_name"], [user_id]) for user_id in ids]
        role = role_override or rule["role"]
        unit_ids = await self._unit_ids(rule.get("unit", "own"), node_label)
        units = await self.units(unit_ids)
        members = []
        for unit_id in unit_ids:
            unit = units.get(unit_id)
            if unit is None or unit.get("status") != "active":
                raise InvalidInput(f"{node_label}: unit {unit_id} does not exist or is dissolved",
                                   code="unresolvable_assignee", node=node_label)
            people = await self.holders(unit_id, role)
            if not people:
                raise InvalidInput(f"{node_label}: nobody holds the post {role} in {unit['name']}",
                                   code="unresolvable_assignee", node=node_label, unit_id=unit_id, role=role)
            members.append(Member(f"{unit['name']}{role}", [person["_id"] for person in people], unit_id))
        return members

    async def _unit_ids(self, ref: str | dict[str, Any], node_label: str) -> list[str]:
        if ref == "own":
            return [self.unit["_id"]]
        if ref == "parent":
            if not self.unit.get("parent_id"):
                raise InvalidInput(f"{node_label}: {self.unit['name']} has no parent unit",
                                   code="unresolvable_assignee", node=node_label)
            return [self.unit["parent_id"]]
        assert isinstance(ref, dict)
        if "id" in ref:
            return [ref["id"]]
        value = self.variables.get(ref["var"])
        ids = [value] if isinstance(value, str) else list(value or [])
        if not ids and "else" in ref:  # nobody chose: the rule's own fallback (say the unit running the flow)
            return await self._unit_ids(ref["else"], node_label)
        if not ids:
            raise InvalidInput(f"{node_label}: choose the units first (variable {ref['var']} is empty)",
                               code="unresolvable_assignee", node=node_label)
        return ids
