"""Who a document goes to: recipient selectors, and saved groups of them such as 各县（市、区）人民政府.

A selector names units by rule rather than by list, so a saved group stays right after a
reorganisation (机构改革):

- `{"unit": id}` — one unit;
- `{"subtree": id, "include_self": bool, "level": ..., "type": ...}` — the units below one unit,
  optionally of one level/type (e.g. the towns of a county: subtree of its government, level town);
- `{"level": ..., "type": ...}` — every unit of a level and/or type (all towns; all county
  governments; all city departments);
- `{"group": id}` — a saved group, itself a list of selectors.

Only active units are ever chosen. A group belongs to the platform (`unit_id` null) or to a unit,
and only its own unit may send with a unit's group.

A document stores its 主送/抄送 as these selectors with the name each prints as (a group prints
its own name), plus external names that are printed but never delivered; `delivery_selectors`
turns the stored entries back into what the exchange delivers to.

Resolving a group is on every dispatch's path, so the saved groups (a small collection: the
platform's and each unit's own) are held in memory: read all at once when first needed, updated
at once by this process's own saves and deletes, and dropped — to be read again when next needed
— whenever the change stream reports a change to them from any process (within about a second of
another process's write).
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from oa.clock import utcnow
from oa.directory import Directory
from oa.errors import Conflict, InvalidInput, NotFound
from oa.unit_fields import LEVEL_NAMES, LEVELS, UNIT_TYPES
from storage.held_collection import HeldCollection
from storage.mongo import SCHEMA_VERSION, Mongo

SELECTOR_KEYS = {"unit": {"unit"}, "subtree": {"subtree", "include_self", "level", "type"},
                 "level": {"level", "type"}, "type": {"level", "type"}, "group": {"group"}}
MAX_SELECTORS = 500
MAX_GROUP_NAME = 60


def selector_problems(selector: Any, where: str) -> list[str]:
    """What is wrong with one selector, naming where it is."""
    if not isinstance(selector, dict) or not selector:
        return [f"{where}: a selector is an object such as {{'unit': id}}, {{'subtree': id, 'level': 'town'}}, "
                f"{{'level': 'town'}} or {{'group': id}}"]
    kind = next((key for key in ("unit", "subtree", "group", "level", "type") if key in selector), None)
    if kind is None:
        return [f"{where}: a selector needs one of unit, subtree, level, type or group"]
    problems = []
    unknown = set(selector) - SELECTOR_KEYS[kind]
    if unknown:
        problems.append(f"{where}: {', '.join(sorted(unknown))} cannot be combined with {kind}")
    for key in ("unit", "subtree", "group"):
        if key in selector and (not isinstance(selector[key], str) or not selector[key]):
            problems.append(f"{where}: {key} must be an id")
    if "level" in selector and selector["level"] not in LEVELS:
        problems.append(f"{where}: level must be one of {', '.join(LEVELS)} (got {selector['level']!r})")
    if "type" in selector and selector["type"] not in UNIT_TYPES:
        problems.append(f"{where}: unknown unit type {selector['type']!r}")
    if "include_self" in selector and not isinstance(selector["include_self"], bool):
        problems.append(f"{where}: include_self must be true or false")
    return problems


def check_selectors(selectors: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(selectors, list) or len(selectors) > MAX_SELECTORS:
        raise InvalidInput(f"{name} must be a list of at most {MAX_SELECTORS} selectors", field=name)
    problems = [problem for index, selector in enumerate(selectors)
                for problem in selector_problems(selector, f"{name}[{index}]")]
    if problems:
        raise InvalidInput("; ".join(problems), field=name, problems=problems)
    return selectors


def entry_selector(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The selector a stored 主送/抄送 entry delivers to; None for an external name (printed only)."""
    if entry.get("external"):
        return None
    if entry.get("unit_id"):
        return {"unit": entry["unit_id"]}
    return {key: entry[key] for key in ("group", "subtree", "include_self", "level", "type") if key in entry}


def delivery_selectors(content: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(主送, 抄送) selectors of a document's platform recipients."""
    def of(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [selector for entry in entries if (selector := entry_selector(entry)) is not None]

    return of(content.get("main_to", [])), of(content.get("copy_to", []))


def names_platform_recipients(content: dict[str, Any]) -> bool:
    main, copy = delivery_selectors(content)
    return bool(main or copy)


class RecipientService:
    """Turns selectors into unit ids, and keeps the saved groups."""

    COLLECTION = "recipient_groups"

    def __init__(self, mongo: Mongo, directory: Directory) -> None:
        self.directory = directory
        self.groups = mongo[self.COLLECTION]
        self.held_groups = HeldCollection(self.groups)  # every saved group, by id
        self.forget = self.held_groups.forget  # on the change stream: see web/services.py
        self.reload = self.held_groups.reload

    async def resolve(self, selectors: list[dict[str, Any]], name: str = "recipients",
                      for_unit: str | None = None) -> list[str]:
        """The active unit ids the selectors choose, in hierarchy order, each once.

        `for_unit` is the unit sending: a unit's private group is usable by that unit only.
        """
        check_selectors(selectors, name)
        chosen: dict[str, tuple[Any, ...]] = {}
        for index, selector in enumerate(selectors):
            for unit in await self._units_of(selector, f"{name}[{index}]", depth=0, for_unit=for_unit):
                chosen[unit["_id"]] = (len(unit["ancestors"]), unit.get("sort", 0), unit["_id"])
        return sorted(chosen, key=chosen.__getitem__)

    async def label(self, selector: dict[str, Any], for_unit: str | None) -> str:
        """The name a selector prints as in a 主送/抄送 line (checks that what it names exists)."""
        where = "recipient"
        if "group" in selector:
            return (await self.usable_group(selector["group"], for_unit, where))["name"]
        kind = selector.get("type") or ""
        level = LEVEL_NAMES.get(selector.get("level", ""), "")
        what = f"各{kind}" if kind else f"各{level}单位" if level else "各单位"
        if "subtree" in selector:
            root = self.directory.unit(selector["subtree"])
            if root is None:
                raise InvalidInput(f"{where}: unit {selector['subtree']} does not exist", code="unknown_unit")
            return f"{root['name']}所属{what}"
        return what

    async def usable_group(self, group_id: str, for_unit: str | None, where: str) -> dict[str, Any]:
        group = (await self.held_groups.all()).get(group_id)
        if group is None or (group.get("unit_id") is not None and group["unit_id"] != for_unit):
            # Another unit's private group is as good as absent: its existence is not disclosed.
            raise InvalidInput(f"{where}: there is no recipient group {group_id} among the platform's groups and "
                               "your unit's own", code="unknown_group", field=where)
        return copy.deepcopy(group)

    async def _units_of(self, selector: dict[str, Any], where: str, depth: int,
                        for_unit: str | None = None) -> list[dict[str, Any]]:
        if "unit" in selector:
            unit = self.directory.unit(selector["unit"])
            if unit is None:
                raise InvalidInput(f"{where}: unit {selector['unit']} does not exist", field=where)
            if unit["status"] != "active":
                raise InvalidInput(f"{where}: {unit['name']} is dissolved and cannot receive documents", field=where)
            return [unit]
        if "group" in selector:
            if depth > 0:
                raise InvalidInput(f"{where}: a group cannot contain another group", field=where)
            group = await self.usable_group(selector["group"], for_unit, where)
            found: list[dict[str, Any]] = []
            for index, inner in enumerate(group["selectors"]):
                found += await self._units_of(inner, f"{where} group {group['name']}[{index}]", depth + 1,
                                              for_unit)
            return found
        if "subtree" in selector:
            root = self.directory.unit(selector["subtree"])
            if root is None:
                raise InvalidInput(f"{where}: unit {selector['subtree']} does not exist", field=where)
            candidates = self.directory.descendants(root["_id"])
            if selector.get("include_self"):
                candidates.append(root)
        else:
            candidates = list(self.directory.all_units())
        return [unit for unit in candidates if unit.get("status") == "active"
                and ("level" not in selector or unit.get("level") == selector["level"])
                and ("type" not in selector or unit.get("type") == selector["type"])]

    # Saved groups -----------------------------------------------------------------------

    async def get_group(self, group_id: str) -> dict[str, Any]:
        group = (await self.held_groups.all()).get(group_id)
        if group is None:
            raise NotFound(f"recipient group {group_id} does not exist")
        return copy.deepcopy(group)

    async def list_groups(self, unit_ids: list[str]) -> list[dict[str, Any]]:
        """The platform's groups and those of the given units: the platform's first, then by unit and name."""
        owners = {None, *unit_ids}
        chosen = [group for group in (await self.held_groups.all()).values() if group.get("unit_id") in owners]
        # As the database sorts them: no unit (null) before any unit id, strings by code point.
        chosen.sort(key=lambda group: (group.get("unit_id") is not None, group.get("unit_id") or "",
                                       group.get("name", "")))
        return copy.deepcopy(chosen)

    async def do_save_group(self, data: dict[str, Any], by: str) -> dict[str, Any]:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_GROUP_NAME:
            raise InvalidInput(f"name is required, at most {MAX_GROUP_NAME} characters", field="name")
        selectors = check_selectors(data.get("selectors"), "selectors")
        if not selectors:
            raise InvalidInput("a group needs at least one selector", field="selectors")
        if any("group" in selector for selector in selectors):
            raise InvalidInput("a group cannot contain another group", field="selectors")
        await self.resolve(selectors, "selectors")  # every named unit exists
        group_id = data.get("id") or "grp-" + secrets.token_hex(6)
        existing = await self.groups.find_one({"_id": group_id}, {"unit_id": 1})
        if existing is not None and existing.get("unit_id") != data.get("unit_id"):
            # Saving over another owner's group would hand it over: the id is taken, whoever holds it.
            raise Conflict(f"recipient group id {group_id} is taken", code="group_id_taken")
        now = utcnow()
        record = {"name": name.strip(), "unit_id": data.get("unit_id"), "selectors": selectors,
                  "updated_by": by, "updated_at": now}
        generation = self.held_groups.generation
        await self.groups.update_one({"_id": group_id}, {"$set": record, "$setOnInsert": {
            "schema_version": SCHEMA_VERSION, "created_at": now}}, upsert=True)
        saved = await self.groups.find_one({"_id": group_id})
        if saved is None:  # deleted by another process the moment after
            self.forget()
            raise NotFound(f"recipient group {group_id} does not exist")
        self.held_groups.wrote(group_id, saved, generation)
        return copy.deepcopy(saved)

    async def do_delete_group(self, group_id: str) -> None:
        generation = self.held_groups.generation
        deleted = await self.groups.delete_one({"_id": group_id})
        if deleted.deleted_count == 0:
            self.forget()  # whatever is held of it is out of date
            raise NotFound(f"recipient group {group_id} does not exist")
        self.held_groups.wrote(group_id, None, generation)
