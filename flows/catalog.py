"""Published flow definitions (versioned, never changed once published) and units' claims (认领).

Publishing a definition stores it as the next version of its key; a running instance keeps the
version it started with. A unit claims a centrally defined flow by recording only its overrides
(deadlines, which posts) where the definition allows them; a unit without a claim of its own
uses its nearest ancestor's, so a county can adjust a flow once for all its towns.

Every flow start looks up claims up the unit's ancestry, so all claims are held in memory: read
at once when first needed, updated at once by this process's own claims, and dropped — to be read
again when next needed — whenever the change stream reports a change to them from any process
(within about a second of another process's write).
"""

from __future__ import annotations

import copy
from typing import Any

from flows.definitions import BUILTIN_FLOWS
from flows.spec import check_definition, literal_references, override_problems
from oa.clock import utcnow
from oa.directory import Directory
from oa.errors import Conflict, InvalidInput, NotFound
from storage.held_collection import HeldCollection
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo

SYSTEM = "system"
DEFINITION_FIELDS = ("key", "name", "category", "description", "variables", "nodes")


class FlowCatalog:
    CLAIMS = "flow_claims"

    def __init__(self, mongo: Mongo, directory: Directory) -> None:
        self.definitions = mongo["flow_definitions"]
        self.claims = mongo[self.CLAIMS]
        self.directory = directory
        self.held_claims = HeldCollection(self.claims)  # every claim, by "unit:key"
        self.forget = self.held_claims.forget  # on the change stream: see web/services.py
        self.reload = self.held_claims.reload

    async def seed_builtins(self) -> None:
        """Publish each built-in flow as version 1 unless some version of it exists already; a built-in the
        service itself published before and that has changed since is published again as the next version
        (flows under way keep the version they started on). A version an admin published is never replaced."""
        for definition in BUILTIN_FLOWS:
            latest = await self.definitions.find_one({"key": definition["key"]}, sort=[("version", -1)])
            if latest is not None and (latest.get("published_by") != SYSTEM or all(
                    latest.get(name) == definition.get(name, {} if name == "variables" else "")
                    for name in DEFINITION_FIELDS)):
                continue
            try:
                await self._insert(definition, (latest["version"] + 1) if latest else 1, SYSTEM)
            except DuplicateKeyError:
                pass  # another process seeded it at the same moment

    async def publish(self, definition: dict[str, Any], by: str) -> dict[str, Any]:
        check_definition(definition)
        users, units = literal_references(definition)
        people, found_units = self.directory.people(users), self.directory.units(units)
        missing = [f"user {user_id}" for user_id in sorted(users)
                   if user_id not in people or not people[user_id].active]
        missing += [f"unit {unit_id}" for unit_id in sorted(units)
                    if unit_id not in found_units or found_units[unit_id].get("status") != "active"]
        if missing:
            problems = [f"assignee rule names {what}, which does not exist or is inactive" for what in missing]
            raise InvalidInput("; ".join(problems), code="invalid_flow", problems=problems)
        for _ in range(5):
            latest = await self.definitions.find_one({"key": definition["key"]}, sort=[("version", -1)])
            try:
                return await self._insert(definition, (latest["version"] + 1) if latest else 1, by)
            except DuplicateKeyError:
                continue  # someone published the same key at the same moment: take the next version
        raise Conflict(f"flow {definition['key']} is being published by someone else; try again")

    async def _insert(self, definition: dict[str, Any], version: int, by: str) -> dict[str, Any]:
        record = {
            "_id": f"{definition['key']}:{version}", "schema_version": SCHEMA_VERSION, "version": version,
            **{name: definition.get(name) for name in DEFINITION_FIELDS},
            "description": definition.get("description", ""), "variables": definition.get("variables", {}),
            "status": "published", "published_at": utcnow(), "published_by": by,
        }
        await self.definitions.insert_one(record)
        return record

    async def latest(self, key: str) -> dict[str, Any]:
        found = await self.definitions.find_one({"key": key}, sort=[("version", -1)])
        if found is None:
            raise NotFound(f"no flow {key!r}")
        return found

    async def get(self, key: str, version: int) -> dict[str, Any]:
        found = await self.definitions.find_one({"_id": f"{key}:{version}"})
        if found is None:
            raise NotFound(f"flow {key!r} has no version {version}")
        return found

    async def list_latest(self) -> list[dict[str, Any]]:
        pipeline = [{"$sort": {"key": 1, "version": -1}},
                    {"$group": {"_id": "$key", "latest": {"$first": "$$ROOT"}, "versions": {"$sum": 1}}},
                    {"$sort": {"_id": 1}}]
        rows = await (await self.definitions.aggregate(pipeline)).to_list(None)
        return [{**row["latest"], "versions": row["versions"]} for row in rows]

    async def versions(self, key: str) -> list[dict[str, Any]]:
        return await self.definitions.find({"key": key}, {"nodes": 0}).sort("version", 1).to_list(None)

    async def claim(self, unit_id: str, key: str, overrides: dict[str, Any], by: str) -> dict[str, Any]:
        definition = await self.latest(key)
        if problems := override_problems(definition, overrides):
            raise InvalidInput("; ".join(problems), code="invalid_claim", problems=problems)
        now = utcnow()
        claim_id = f"{unit_id}:{key}"
        generation = self.held_claims.generation
        await self.claims.update_one(
            {"_id": claim_id},
            {"$set": {"unit_id": unit_id, "key": key, "overrides": overrides, "based_on_version":
                      definition["version"], "updated_at": now, "updated_by": by},
             "$setOnInsert": {"schema_version": SCHEMA_VERSION, "created_at": now}},
            upsert=True)
        stored = await self.claims.find_one({"_id": claim_id})
        if stored is None:
            self.forget()
            return {}
        self.held_claims.wrote(claim_id, stored, generation)
        return copy.deepcopy(stored)

    async def claim_of(self, unit_id: str, key: str) -> dict[str, Any] | None:
        claim = (await self.held_claims.all()).get(f"{unit_id}:{key}")
        return copy.deepcopy(claim) if claim is not None else None

    async def effective(self, key: str, unit: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """(latest definition, the overrides that apply in `unit`, the unit whose claim they come from)."""
        definition = await self.latest(key)
        claims = await self.held_claims.all()
        for unit_id in [unit["_id"], *reversed(unit.get("ancestors", []))]:
            claim = claims.get(f"{unit_id}:{key}")
            if claim is not None:
                # A claim made against an older version keeps only what the current one still allows.
                usable = {node_id: copy.deepcopy(change) for node_id, change in claim["overrides"].items()
                          if not override_problems(definition, {node_id: change})}
                return definition, usable, unit_id
        return definition, {}, None
