"""Org units: the city → county → town hierarchy, its queries and its reorganisations.

Each unit stores its ancestor ids (root first), so "every town of county X" or "all city
departments" is one indexed query whatever the depth. Every change appends a snapshot to
`unit_history`, so a record that named a unit can still show it as it was on that day,
after moves (机构改革), merges and dissolution. Single-unit reads come from the in-memory
directory, which every change here updates as soon as it commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from oa.audit_chain import chain_of, cover
from oa.clock import utcnow
from oa.directory import Directory
from oa.errors import Conflict, InvalidInput, NotFound, StaleVersion
from oa.import_runs import ImportRuns
from oa.unit_fields import EDITABLE, check_fields, check_placement, check_unit_id, normalise
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo, Session, UpdateOne

SNAPSHOT_FIELDS = ("name", "short_name", "type", "level", "parent_id", "ancestors", "code", "flags",
                   "vertical_parent_id", "status", "merged_into")


def _page(units: list[dict[str, Any]], offset: int, limit: int, by_path: bool) -> tuple[list[dict[str, Any]], int]:
    """One page of units (copies), in hierarchy order (`by_path`) or sibling order."""
    def order(unit: dict[str, Any]) -> tuple[Any, ...]:
        return (unit.get("ancestors", []) if by_path else [], unit.get("sort", 0), unit["_id"])

    units.sort(key=order)
    return [dict(unit) for unit in units[offset:offset + limit]], len(units)


def new_unit_id() -> str:
    return "u-" + secrets.token_hex(6)


def unit_record(data: dict[str, Any], unit_id: str, parent: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The stored record for a new unit; `data` must already have passed check_fields."""
    fields = normalise(data)
    return {
        "_id": unit_id,
        "name": fields["name"],
        "short_name": fields.get("short_name"),
        "type": fields["type"],
        "level": fields["level"],
        "code": fields.get("code"),
        "flags": fields.get("flags", []),
        "vertical_parent_id": fields.get("vertical_parent_id"),
        "drafts_for": fields.get("drafts_for", []),
        "sort": fields.get("sort", 0),
        "parent_id": parent["_id"] if parent else None,
        "ancestors": [*parent["ancestors"], parent["_id"]] if parent else [],
        "status": "active",
        "established_at": now,
        "dissolved_at": None,
        "merged_into": None,
        "version": 1,
        "schema_version": SCHEMA_VERSION,
        "created_at": now,
        "updated_at": now,
    }


def history_entry(unit: dict[str, Any], change: str, by: str | None, now: datetime) -> dict[str, Any]:
    return {
        "unit_id": unit["_id"],
        "change": change,
        "by": by,
        "valid_from": now,
        "snapshot": {key: unit.get(key) for key in SNAPSHOT_FIELDS},
        "schema_version": SCHEMA_VERSION,
    }


class OrgService:
    """Reads and changes org units. `by` is the acting user's id, kept in the history."""

    def __init__(self, mongo: Mongo, directory: Directory) -> None:
        self.mongo = mongo
        self.directory = directory
        self.imports = ImportRuns(mongo)
        self.units = mongo["units"]
        self.history = mongo["unit_history"]

    # ---- reads -------------------------------------------------------------------------

    async def get(self, unit_id: str) -> dict[str, Any]:
        unit = self.directory.unit(unit_id)
        if unit is None:
            raise NotFound(f"unit {unit_id} does not exist", unit_id=unit_id)
        return dict(unit)  # a copy: callers may add fields without touching the shared read model

    async def find(self, unit_id: str) -> dict[str, Any] | None:
        unit = self.directory.unit(unit_id)
        return dict(unit) if unit is not None else None

    async def get_many(self, unit_ids: list[str]) -> dict[str, dict[str, Any]]:
        return {unit_id: dict(unit) for unit_id, unit in self.directory.units(unit_ids).items()}

    async def every_unit(self, projection: dict[str, Any]) -> list[dict[str, Any]]:
        """Every unit, dissolved ones included, with the fields asked for (for one-off scans)."""
        wanted = [key for key, shown in projection.items() if shown]
        return [{"_id": unit["_id"], **{key: unit.get(key) for key in wanted if key in unit}}
                for unit in self.directory.all_units()]

    async def list(self, *, level: str | None = None, unit_type: str | None = None, include_dissolved: bool = False,
                   code: str | None = None, text: str | None = None, names: list[str] | None = None,
                   offset: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
        """Units matching every filter given (`text`: part of the name or short name; `names`: exactly
        one of these as name or short name), in hierarchy order; from memory."""
        wanted = set(names or ())
        found = [unit for unit in self.directory.all_units()
                 if (include_dissolved or unit.get("status") == "active")
                 and (level is None or unit.get("level") == level)
                 and (unit_type is None or unit.get("type") == unit_type)
                 and (code is None or unit.get("code") == code)
                 and (not text or text in unit.get("name", "") or text in (unit.get("short_name") or ""))
                 and (names is None or unit.get("name") in wanted or unit.get("short_name") in wanted)]
        return _page(found, offset, limit, by_path=True)

    async def children(self, unit_id: str, offset: int, limit: int,
                       include_dissolved: bool = False) -> tuple[list[dict[str, Any]], int]:
        await self.get(unit_id)
        found = [unit for unit in self.directory.units(self.directory.child_ids(unit_id)).values()
                 if include_dissolved or unit.get("status") == "active"]
        return _page(found, offset, limit, by_path=False)

    async def ancestors(self, unit_id: str) -> list[dict[str, Any]]:
        """Ancestors root first, fetched in one query from the stored ancestor list."""
        unit = await self.get(unit_id)
        found = await self.get_many(unit["ancestors"])
        return [found[ancestor_id] for ancestor_id in unit["ancestors"] if ancestor_id in found]

    async def path(self, unit_id: str) -> list[dict[str, Any]]:
        return [*await self.ancestors(unit_id), await self.get(unit_id)]

    async def subtree(self, unit_id: str, level: str | None = None, unit_type: str | None = None,
                      include_dissolved: bool = False, offset: int = 0,
                      limit: int = 100) -> tuple[list[dict[str, Any]], int]:
        """Every unit below `unit_id` (not itself), optionally of one level/type; from memory."""
        await self.get(unit_id)
        found = [unit for unit in self.directory.descendants(unit_id)
                 if (include_dissolved or unit.get("status") == "active")
                 and (level is None or unit.get("level") == level)
                 and (unit_type is None or unit.get("type") == unit_type)]
        return _page(found, offset, limit, by_path=True)

    async def as_of(self, unit_id: str, when: datetime) -> dict[str, Any]:
        """The unit as it was at `when` (name, parent, code…), from its history."""
        query = {"$and": [{"unit_id": unit_id, "valid_from": {"$lte": when}}, self.directory.visible_filter()]}
        entry = await self.history.find_one(query, sort=[("valid_from", -1), ("_id", -1)])
        if entry is None:
            raise NotFound(f"unit {unit_id} did not exist at {when.isoformat()}", unit_id=unit_id)
        return {"_id": unit_id, **entry["snapshot"], "as_of": when}

    async def history_of(self, unit_id: str) -> list[dict[str, Any]]:
        await self.get(unit_id)
        query = {"$and": [{"unit_id": unit_id}, self.directory.visible_filter()]}
        return await self.history.find(query).sort([("valid_from", 1), ("_id", 1)]).to_list()

    # ---- changes -----------------------------------------------------------------------

    async def create(self, data: dict[str, Any], by: str | None = None) -> dict[str, Any]:
        unit_id = data.get("id") or new_unit_id()
        problems = check_unit_id(unit_id) + check_fields(data)
        parent = None
        if data.get("parent_id"):
            parent = await self.find(data["parent_id"])
            if parent is None:
                problems.append(f"parent {data['parent_id']} does not exist")
        if not problems:
            problems += check_placement(data["level"], parent)
        problems += await self._check_vertical_parent(data.get("vertical_parent_id"))
        problems += await self._check_drafts_for(data.get("drafts_for"), unit_id)
        problems += await self._check_code(data.get("code"), unit_id)
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems)
        now = utcnow()
        unit = unit_record(data, unit_id, parent, now)
        async def work(session: Session) -> None:
            if parent is not None:
                await self._claim_parent(parent, session)
            await self.units.insert_one(unit, session=session)
            await self._write_history([history_entry(unit, "create", by, now)], session)

        try:
            await self.mongo.run_transaction(work)
        except DuplicateKeyError:
            raise Conflict(f"a unit with id {unit_id} already exists", unit_id=unit_id) from None
        self.directory.put_unit(unit)
        return unit

    async def update(self, unit_id: str, changes: dict[str, Any], version: int,
                     by: str | None = None) -> dict[str, Any]:
        """Change descriptive fields (not the parent: use move) if `version` is still current."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidInput(f"these fields cannot be changed here: {', '.join(sorted(unknown))}")
        await self.imports.check_not_importing_under([unit_id])
        problems = check_fields(changes, partial=True)
        problems += await self._check_vertical_parent(changes.get("vertical_parent_id"), unit_id)
        problems += await self._check_drafts_for(changes.get("drafts_for"), unit_id)
        problems += await self._check_code(changes.get("code"), unit_id)
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems)
        now = utcnow()
        async def work(session: Session) -> dict[str, Any]:
            unit = await self.mongo.compare_and_set("units", unit_id, version,
                                                    {**normalise(changes), "updated_at": now}, session=session)
            if unit is None:
                await self._raise_stale(unit_id, version)
            await self._write_history([history_entry(unit, "update", by, now)], session)
            return unit

        unit = await self.mongo.run_transaction(work)
        self.directory.put_unit(unit)
        return unit

    async def move(self, unit_id: str, new_parent_id: str | None, version: int,
                   by: str | None = None) -> dict[str, Any]:
        """Reparent a unit with its whole subtree; every moved unit's history records its new path."""
        unit = await self.get(unit_id)
        if unit["version"] != version:
            await self._raise_stale(unit_id, version)
        await self.imports.check_not_importing_under([unit_id, *unit["ancestors"]])
        parent = None
        if new_parent_id is not None:
            parent = await self.get(new_parent_id)
            if new_parent_id == unit_id or unit_id in parent["ancestors"]:
                raise InvalidInput(f"cannot move {unit['name']} under its own subtree ({parent['name']})")
        problems = check_placement(unit["level"], parent)
        if unit["status"] != "active":
            problems.append(f"{unit['name']} is dissolved and cannot be moved")
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems)
        now = utcnow()
        async def work(session: Session) -> dict[str, Any]:
            if parent is not None:
                await self._claim_parent(parent, session)
            return await self._reparent(unit, parent, now, by, session, version=version)

        moved = await self.mongo.run_transaction(work)
        await self._refresh_subtree(unit_id)
        return moved

    async def dissolve(self, unit_id: str, version: int, by: str | None = None) -> dict[str, Any]:
        """Mark a unit dissolved (撤销). Its active sub-units must be moved or dissolved first."""
        unit = await self.get(unit_id)
        if unit["status"] != "active":
            raise Conflict(f"{unit['name']} is already dissolved", unit_id=unit_id)
        await self.imports.check_not_importing_under([unit_id])

        async def work(session: Session) -> dict[str, Any]:
            # Counted inside the transaction that marks the unit: a sub-unit created or moved here at the
            # same moment writes this unit too (_claim_parent), so one of the two transactions retries.
            remaining = await self.units.count_documents({"parent_id": unit_id, "status": "active"}, session=session)
            if remaining:
                raise Conflict(f"{unit['name']} still has {remaining} active sub-units; move or dissolve them first",
                               unit_id=unit_id, active_children=remaining)
            return await self._mark_dissolved(unit_id, version, by, None, utcnow(), session)

        dissolved = await self.mongo.run_transaction(work)
        self.directory.put_unit(dissolved)
        return dissolved

    async def _mark_dissolved(self, unit_id: str, version: int, by: str | None, merged_into: str | None,
                              now: datetime, session: Session) -> dict[str, Any]:
        dissolved = await self.mongo.compare_and_set(
            "units", unit_id, version,
            {"status": "dissolved", "dissolved_at": now, "merged_into": merged_into, "updated_at": now},
            session=session,
        )
        if dissolved is None:
            await self._raise_stale(unit_id, version)
        await self._write_history([history_entry(dissolved, "merge" if merged_into else "dissolve", by, now)],
                                  session)
        return dissolved

    async def merge(self, source_id: str, target_id: str, version: int, by: str | None = None) -> dict[str, Any]:
        """Merge `source` into `target` (合并): its sub-units move under the target, then it is dissolved."""
        source, target = await self.get(source_id), await self.get(target_id)
        if source_id == target_id or source_id in target["ancestors"]:
            raise InvalidInput(f"cannot merge {source['name']} into {target['name']}: the target lies inside it")
        if target["status"] != "active":
            raise InvalidInput(f"cannot merge into {target['name']}: it is dissolved")
        if source["status"] != "active":
            raise Conflict(f"{source['name']} is already dissolved", unit_id=source_id)
        if source["version"] != version:
            await self._raise_stale(source_id, version)
        await self.imports.check_not_importing_under([source_id, target_id])
        children = await self.units.find({"parent_id": source_id, "status": "active"}).to_list()
        problems = [problem for child in children for problem in check_placement(child["level"], target)]
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems)
        now = utcnow()
        # One transaction: either every sub-unit moved and the source is dissolved, or nothing changed.
        async def work(session: Session) -> dict[str, Any]:
            await self._claim_parent(target, session)
            for child in children:
                await self._reparent(child, target, now, by, session, version=child["version"])
            return await self._mark_dissolved(source_id, version, by, target_id, now, session)

        merged = await self.mongo.run_transaction(work)
        await self._refresh_subtree(target_id)
        self.directory.put_unit(merged)
        return merged

    # ---- internals ---------------------------------------------------------------------

    async def _claim_parent(self, parent: dict[str, Any], session: Session) -> None:
        """Write the parent a sub-unit is created or moved under, in the same transaction, and only while it
        is active: a dissolve of that parent at the same moment then conflicts with this transaction instead
        of both committing (snapshot isolation would let each miss the other). Its `version` is not
        touched, so no one editing the parent is told their copy is stale."""
        claimed = await self.units.update_one({"_id": parent["_id"], "status": "active"},
                                              {"$inc": {"children_changes": 1}}, session=session)
        if claimed.matched_count == 0:
            raise InvalidInput(f"{parent['name']} is dissolved: no sub-unit can be placed under it")

    async def _refresh_subtree(self, unit_id: str) -> None:
        """After a move or merge committed: the directory takes the unit and its subtree as stored."""
        async for unit in self.units.find({"$or": [{"_id": unit_id}, {"ancestors": unit_id}]}):
            self.directory.put_unit(unit)

    async def _reparent(self, unit: dict[str, Any], parent: dict[str, Any] | None, now: datetime,
                        by: str | None, session: Session, version: int) -> dict[str, Any]:
        old_prefix_len = len(unit["ancestors"])
        new_prefix = [*parent["ancestors"], parent["_id"]] if parent else []
        moved = await self.mongo.compare_and_set(
            "units", unit["_id"], version,
            {"parent_id": parent["_id"] if parent else None, "ancestors": new_prefix, "updated_at": now},
            session=session,
        )
        if moved is None:
            await self._raise_stale(unit["_id"], version)
        entries = [history_entry(moved, "move", by, now)]
        updates = []
        async for descendant in self.units.find({"ancestors": unit["_id"]}, session=session):
            ancestors = new_prefix + descendant["ancestors"][old_prefix_len:]
            updates.append(UpdateOne({"_id": descendant["_id"]},
                                     {"$set": {"ancestors": ancestors, "updated_at": now}, "$inc": {"version": 1}}))
            entries.append(history_entry({**descendant, "ancestors": ancestors}, "move", by, now))
        if updates:
            await self.units.bulk_write(updates, session=session)
        await self._write_history(entries, session)
        return moved

    async def _write_history(self, entries: list[dict[str, Any]], session: Session) -> None:
        """History entries and their audit-chain link (in the changed unit's chain) in the caller's transaction."""
        await self.history.insert_many(entries, session=session)  # the driver gives each its _id, then it is hashed
        await chain_of(self.mongo).link(session, entries[0]["unit_id"], "unit",
                                        [cover("unit_history", entry) for entry in entries])

    async def _check_vertical_parent(self, vertical_parent_id: str | None, unit_id: str | None = None) -> list[str]:
        if not vertical_parent_id:
            return []
        if vertical_parent_id == unit_id:
            return ["vertical_parent_id cannot be the unit itself"]
        if await self.find(vertical_parent_id) is None:
            return [f"vertical_parent_id {vertical_parent_id} does not exist"]
        return []

    async def _check_drafts_for(self, unit_ids: Any, unit_id: str) -> list[str]:
        if not unit_ids or not isinstance(unit_ids, list) or not all(isinstance(unit, str) for unit in unit_ids):
            return []  # check_fields has said what is wrong with it; nothing to look up
        if unit_id in unit_ids:
            return ["drafts_for names the unit itself: a unit always drafts in its own name"]
        found = await self.get_many([unit for unit in unit_ids if isinstance(unit, str)])
        return [f"drafts_for: unit {unit} does not exist or is dissolved" for unit in unit_ids
                if unit not in found or found[unit]["status"] != "active"]

    async def _check_code(self, code: Any, unit_id: str) -> list[str]:
        """发文字号 are counted per 机关代字: no two active units share one (a dissolved organ's code may
        pass to its successor)."""
        if not isinstance(code, str) or not code.strip():
            return []
        holder = next((unit for unit in self.directory.all_units() if unit.get("code") == code.strip()
                       and unit.get("status") == "active" and unit["_id"] != unit_id), None)
        if holder is None:
            return []
        return [f"code (机关代字) {code.strip()} is {holder['name']}'s: each organ numbers its documents with a code "
                "of its own"]

    async def _raise_stale(self, unit_id: str, version: int) -> None:
        current = await self.get(unit_id)
        raise StaleVersion(
            f"unit {unit_id} was changed by someone else (your version {version}, current {current['version']})",
            current_version=current["version"],
        )
