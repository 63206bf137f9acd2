"""Bulk import of an org hierarchy (units and people): validate everything, then write all or nothing.

Validation checks every row against the same rules as the admin API plus the rows' relations
(parents in the file or already stored, no cycles, no duplicate ids or usernames) and reports
every problem with its file and line. Only a clean input is written: in batches tagged with an
import run, made current by one switch (oa/import_runs.py), so 65,000 people need no giant
transaction and a failure at any point leaves the current data untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oa.audit_chain.chain import PLATFORM_UNIT, chain_of
from oa.clock import utcnow
from oa.directory import Directory
from oa.errors import Conflict, ImportRejected
from oa.import_parse import ImportInput, Row, problem
from oa.import_runs import PENDING, ImportRuns, new_run_id
from oa.orgs import history_entry, unit_record
from oa.passwords import check_strength, hash_password
from oa.unit_fields import LEVEL_RANK, check_fields, check_unit_id
from oa.user_fields import check_person, check_posts, check_username
from oa.users import build_posts, new_user_id, user_record
from storage.mongo import BulkWriteError, DuplicateKeyError, Mongo

Progress = Callable[[str, int, int], None]


@dataclass
class ImportPlan:
    """A validated import: units in parent-first order and people, ready to write."""

    units: list[Row]
    people: list[Row]
    existing_units: dict[str, dict[str, Any]]
    # Stored units the import hangs new units or posts under: the importer must administer them.
    anchor_unit_ids: set[str] = field(default_factory=set)
    # True if the import creates root units or platform-wide admins, which only a platform-wide admin may do.
    creates_roots: bool = False

    def summary(self) -> dict[str, Any]:
        return {"units": len(self.units), "people": len(self.people),
                "posts": sum(len(row.data.get("posts") or []) for row in self.people)}


def _order_parent_first(units: list[Row], problems: list[dict[str, Any]]) -> list[Row]:
    by_id = {row.data["id"]: row for row in units}
    ordered: list[Row] = []
    state: dict[str, str] = {}
    for row in units:
        chain: list[Row] = []
        current: Row | None = row
        while current is not None and state.get(current.data["id"]) is None:
            state[current.data["id"]] = "visiting"
            chain.append(current)
            parent_id = current.data["parent_id"]
            current = by_id.get(parent_id) if parent_id else None
        if current is not None and state.get(current.data["id"]) == "visiting":
            problems.append(problem(current.source, current.line,
                                    f"unit {current.data['id']} is its own ancestor (a cycle through its parents)"))
        for done in reversed(chain):
            state[done.data["id"]] = "done"
            ordered.append(done)
    return ordered


async def _code_problems(mongo: Mongo, rows: list[Row]) -> list[dict[str, Any]]:
    """发文字号 are counted per 机关代字: a code used twice in the file, or held by an active unit, is refused."""
    found: list[dict[str, Any]] = []
    first: dict[str, Row] = {}
    for row in rows:
        code = (row.data.get("code") or "").strip()
        if not code:
            continue
        if code in first:
            found.append(problem(row.source, row.line, f"code {code} is also used at line {first[code].line}"))
        else:
            first[code] = row
    holders = {unit["code"]: unit async for unit in mongo["units"].find(
        {"code": {"$ne": None}, "status": "active"}, {"code": 1, "name": 1}) if unit.get("code") in first}
    found += [problem(row.source, row.line, f"code (机关代字) {code} is {holders[code]['name']}'s")
              for code, row in first.items() if code in holders]
    return found


async def validate(mongo: Mongo, given: ImportInput) -> ImportPlan:
    """Check every row; raise ImportRejected listing every problem, or return the plan."""
    problems = list(given.problems)
    ids = [row.data.get("id") for row in given.units]
    id_strings = [unit_id for unit_id in ids if isinstance(unit_id, str)]
    # Whole-collection reads of a few fields: one pass each, where `$in` over thousands of ids is slow.
    every_unit = {unit["_id"]: unit async for unit in mongo["units"].find(
        {}, {"status": 1, "level": 1, "name": 1, "ancestors": 1})}
    existing = {unit_id: every_unit[unit_id] for unit_id in id_strings if unit_id in every_unit}
    seen: dict[str, Row] = {}
    good_units: list[Row] = []
    for row in given.units:
        row_problems = check_unit_id(row.data.get("id")) + check_fields(row.data)
        unit_id = row.data.get("id")
        if isinstance(unit_id, str) and unit_id in seen:
            row_problems.append(f"id {unit_id} is also used at line {seen[unit_id].line}")
        elif isinstance(unit_id, str) and unit_id in existing:
            row_problems.append(f"unit {unit_id} already exists")
        problems += [problem(row.source, row.line, reason) for reason in row_problems]
        if not row_problems:
            seen[unit_id] = row
            good_units.append(row)

    problems += await _code_problems(mongo, good_units)
    referenced = {row.data["parent_id"] for row in good_units if row.data["parent_id"]}
    referenced |= {row.data["vertical_parent_id"] for row in good_units if row.data["vertical_parent_id"]}
    referenced |= {post.get("unit") for row in given.people for post in (row.data.get("posts") or [])
                   if isinstance(post, dict) and isinstance(post.get("unit"), str)}
    stored = {unit_id: every_unit[unit_id] for unit_id in referenced - set(seen) if unit_id in every_unit}
    anchors: set[str] = set()
    creates_roots = False

    def level_of(unit_id: str) -> str | None:
        return seen[unit_id].data["level"] if unit_id in seen else stored.get(unit_id, {}).get("level")

    for row in good_units:
        parent_id, vertical = row.data["parent_id"], row.data["vertical_parent_id"]
        if parent_id is None:
            creates_roots = True
        elif parent_id in stored:
            anchors.add(parent_id)
            if stored[parent_id]["status"] != "active":
                problems.append(problem(row.source, row.line, f"parent {parent_id} is dissolved"))
        elif parent_id not in seen:
            problems.append(problem(row.source, row.line, f"parent {parent_id} is neither in the file nor stored"))
        parent_level = level_of(parent_id) if parent_id else None
        if parent_level and LEVEL_RANK[row.data["level"]] < LEVEL_RANK[parent_level]:
            reason = f"a {row.data['level']}-level unit cannot sit under the {parent_level}-level {parent_id}"
            problems.append(problem(row.source, row.line, reason))
        if vertical and vertical not in seen and vertical not in stored:
            reason = f"vertical_parent {vertical} is neither in the file nor stored"
            problems.append(problem(row.source, row.line, reason))
    ordered = _order_parent_first(good_units, problems)

    usernames = [row.data.get("username") for row in given.people if isinstance(row.data.get("username"), str)]
    wanted = set(usernames)
    taken = {user["username"] async for user in mongo["users"].find({}, {"username": 1}) if user["username"] in wanted}
    seen_people: dict[str, Row] = {}
    for row in given.people:
        data = row.data
        row_problems = check_username(data.get("username")) + check_person(data) + check_posts(data.get("posts"))
        if data.get("password") is not None:
            named = data.get("username")
            row_problems += check_strength(data["password"], named if isinstance(named, str) else None)
        if "system_admin" in data and not isinstance(data["system_admin"], bool):
            row_problems.append("system_admin must be true or false")
        username = data.get("username")
        if isinstance(username, str) and username in seen_people:
            row_problems.append(f"username {username} is also used at {seen_people[username].where()}")
        elif username in taken:
            row_problems.append(f"username {username} is taken")
        for post in data.get("posts") or []:
            unit_id = post.get("unit") if isinstance(post, dict) else None
            if not isinstance(unit_id, str):
                continue
            if unit_id in stored:
                anchors.add(unit_id)
                if stored[unit_id]["status"] != "active":
                    row_problems.append(f"post unit {unit_id} is dissolved")
            elif unit_id not in seen:
                row_problems.append(f"post unit {unit_id} is neither in the file nor stored")
        problems += [problem(row.source, row.lines or row.line, reason) for reason in row_problems]
        if isinstance(username, str):
            seen_people[username] = row
    if problems:
        count = len(problems)
        raise ImportRejected(f"{count} bad row{'s' if count > 1 else ''}; nothing was imported", errors=problems)
    creates_admins = any(row.data.get("system_admin") for row in given.people)
    return ImportPlan(ordered, list(given.people), stored, anchors, creates_roots or creates_admins)


BATCH = 1000


async def apply(mongo: Mongo, plan: ImportPlan, by: str | None = None, progress: Progress | None = None,
                shared_password_hash: str | None = None, directory: Directory | None = None) -> dict[str, Any]:
    """Write a validated plan, all or nothing, in tagged batches made current by one switch.

    Passwords given in the file are hashed first (slow: Argon2); people without one get no hash:
    they are not activated, and log in once they have set a password with a one-time code from
    their unit's admin (oa/activation.py) or an admin has set one. `directory` (this process's)
    takes the new units and people as soon as they are current.
    """
    report = progress or (lambda stage, done, total: None)
    now = utcnow()
    run_id = new_run_id()
    units_by_id: dict[str, dict[str, Any]] = dict(plan.existing_units)
    unit_records, history = [], []
    for done, row in enumerate(plan.units, start=1):
        parent_id = row.data["parent_id"]
        unit = unit_record(row.data, row.data["id"], units_by_id[parent_id] if parent_id else None, now)
        units_by_id[unit["_id"]] = unit
        unit_records.append(unit)
        history.append(history_entry(unit, "import", by, now))
        report("units", done, len(plan.units))
    user_records = []
    for done, row in enumerate(plan.people, start=1):
        data = row.data
        password_hash = await hash_password(data["password"]) if data.get("password") else shared_password_hash
        user = user_record(data, new_user_id(), build_posts(data["posts"], units_by_id, now), password_hash, now)
        if data.get("system_admin"):
            user["system_admin"] = True
        user_records.append(user)
        report("people", done, len(plan.people))
    batches = [(name, records[start:start + BATCH]) for name, records in
               (("units", unit_records), ("unit_history", history), ("users", user_records))
               for start in range(0, len(records), BATCH)]
    total = len(unit_records) + len(history) + len(user_records)
    runs = ImportRuns(mongo)
    await runs.begin(run_id, by, sorted(plan.anchor_unit_ids),
                     {"units": len(unit_records), "people": len(user_records)})
    try:
        written = 0
        for name, batch in batches:
            await mongo[name].insert_many([{**record, PENDING: run_id} for record in batch], ordered=True)
            written += len(batch)
            await runs.renew(run_id, written)
            report("written", written, total)
        for name, records in (("units", unit_records), ("unit_history", history), ("users", user_records)):
            stored = await mongo[name].count_documents({PENDING: run_id})
            if stored != len(records):
                raise Conflict(f"the import wrote {stored} of its {len(records)} {name}; nothing was imported")
        await runs.commit(run_id)
        if directory is not None:
            directory.commit_run(run_id)
    except (DuplicateKeyError, BulkWriteError):
        await runs.roll_back(run_id, "a unit id or username was taken meanwhile")
        # Someone stored the same unit id or username between validation and writing.
        raise Conflict("a unit id or username of this import was taken meanwhile; nothing was imported; "
                       "validate again") from None
    except BaseException as error:
        await runs.roll_back(run_id, str(error) or type(error).__name__)
        raise
    if directory is not None:
        for unit in unit_records:
            directory.put_unit(unit)
        for user in user_records:
            directory.put_person(user)
    # One audit line per import, in the chain of the unit it was made under (the platform's for a root).
    anchors = sorted(plan.anchor_unit_ids)
    await chain_of(mongo).record_now(anchors[0] if anchors else PLATFORM_UNIT, "import", {
        "run_id": run_id, "by": by, "anchor_unit_ids": anchors, "unit_ids": [unit["_id"] for unit in unit_records],
        "usernames": [user["username"] for user in user_records]})
    return plan.summary()
