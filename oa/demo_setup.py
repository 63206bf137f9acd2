"""Loading the demo hierarchy (oa/demo.py, grown by oa/demo_scale.py when scale > 1) into a database
and listing its accounts in demo-users.csv.

The normal demo is one import through the importer, as it always was; a scale-up's units are a second.
A scale-up's people (~60,000 at scale 2) are checked by the importer's validation once and then written
here, PEOPLE_BATCH to a transaction with insert_many, records built by oa/users.py: SecantusDB slows down
on very large single transactions, and the importer's own write path (tag every record, then untag every
record) costs about three times as much per person. Every step is all or nothing and is skipped when it
is already stored, so an interrupted load resumes and `--scale 2` on a database holding the normal demo
tops it up.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oa import importer
from oa.clock import utcnow
from oa.demo import DEMO_LOGINS, build_demo_hierarchy
from oa.demo_scale import scale_hierarchy
from oa.directory import Directory
from oa.import_parse import ImportInput, parse_mapping
from oa.import_runs import PENDING, ImportRuns
from oa.orgs import OrgService
from oa.passwords import check_strength, hash_password
from oa.recipients import RecipientService
from oa.users import build_posts, new_user_id, user_record
from storage.mongo import Mongo, Session

DEMO_MARKER_UNIT = "sg-szf"
DEFAULT_DEMO_PASSWORD = "Demo@2026"
PEOPLE_BATCH = 4000  # a scale-up's people per transaction


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    units: int
    people: int
    csv_path: Path
    logins: list[tuple[str, str]]


# Platform-wide groups every clerk addresses documents to; selectors, so they follow reorganisations.
DEMO_GROUPS: list[dict[str, Any]] = [
    {"id": "grp-county-govs", "name": "各县（市、区）人民政府", "unit_id": None,
     "selectors": [{"level": "county", "type": "政府"}]},
    {"id": "grp-towns", "name": "各乡镇人民政府、街道办事处", "unit_id": None, "selectors": [{"level": "town"}]},
    {"id": "grp-city-depts", "name": "市直各部门", "unit_id": None, "selectors": [{"level": "city", "type": "部门"}]},
]


async def load_demo(mongo: Mongo, data_dir: Path, password: str = DEFAULT_DEMO_PASSWORD,
                    progress: importer.Progress | None = None, scale: float = 1.0) -> DemoResult:
    """Import the demo hierarchy at `scale` (1: the normal demo) unless it is already there;
    always (re)write demo-users.csv. A bad scale raises ValueError before anything is written."""
    problems = check_strength(password)
    if problems:
        raise ValueError(problems[0])
    base = build_demo_hierarchy()
    hierarchy = scale_hierarchy(base, scale)
    # Every demo account, the scale-up's too, shares one password, so one Argon2 hash serves them all
    # (hashing 66,000 passwords one by one would take hours); hashed only when something is written.
    password_hash: list[str] = []

    async def shared_hash() -> str:
        if not password_hash:
            password_hash.append(await hash_password(password))
        return password_hash[0]

    async def write(units: list[dict[str, Any]], people: list[dict[str, Any]]) -> None:
        plan = await importer.validate(mongo, _rows(units, people))
        await importer.apply(mongo, plan, by="demo", progress=progress, shared_password_hash=await shared_hash())

    await ImportRuns(mongo).recover()  # an import cut off earlier is rolled back (as `oa serve` does)
    loaded = False
    if not await _is_org_record(mongo, "units", "_id", DEMO_MARKER_UNIT, await ImportRuns(mongo).committed_ids()):
        await write(base["units"], base["people"])
        loaded = True
    extra_units = hierarchy["units"][len(base["units"]):]
    if extra_units and not await _stored(mongo, "units", "_id", extra_units[0]["id"], extra_units[-1]["id"]):
        await write(extra_units, [])
        loaded = True
    extra_people = hierarchy["people"][len(base["people"]):]
    if await _write_people(mongo, extra_people, shared_hash, progress):
        loaded = True
    directory = await authorise_offices(mongo, hierarchy)
    recipients = RecipientService(mongo, directory)
    for group in DEMO_GROUPS:
        await recipients.do_save_group(group, by="demo")
    csv_path = write_demo_users(hierarchy, data_dir)
    return DemoResult(loaded, len(hierarchy["units"]), len(hierarchy["people"]), csv_path, list(DEMO_LOGINS))


def _rows(units: list[dict[str, Any]], people: list[dict[str, Any]]) -> ImportInput:
    given = ImportInput()
    parse_mapping({"units": units, "people": people}, "demo", given)
    return given


async def _write_people(mongo: Mongo, people: list[dict[str, Any]], shared_hash: Callable[[], Awaitable[str]],
                        progress: importer.Progress | None) -> bool:
    """Write the scale-up's people not yet stored, PEOPLE_BATCH to a transaction; True if any were written.

    Batches are cut at the same places on every run, and written in order, so the stored ones are a
    prefix: the first batch whose last person is missing is where an interrupted load left off.
    """
    report = progress or (lambda stage, done, total: None)
    starts = list(range(0, len(people), PEOPLE_BATCH))
    first_missing = len(starts)
    for index, start in enumerate(starts):
        batch = people[start:start + PEOPLE_BATCH]
        if not await _stored(mongo, "users", "username", batch[0]["username"], batch[-1]["username"]):
            first_missing = index
            break
    if first_missing == len(starts):
        return False
    skipped = starts[first_missing]
    plan = await importer.validate(mongo, _rows([], people[skipped:]))  # every rule the importer checks, once
    password_hash, now = await shared_hash(), utcnow()
    units = plan.existing_units  # the stored units the posts name: their names go into the posts
    records = [user_record(row.data, new_user_id(), build_posts(row.data["posts"], units, now), password_hash, now)
               for row in plan.people]
    report("scale-up", skipped, len(people))
    for start in range(0, len(records), PEOPLE_BATCH):
        async def work(session: Session, start: int = start) -> None:  # a retried attempt inserts the same batch
            for chunk in range(start, min(start + PEOPLE_BATCH, len(records)), 500):
                await mongo["users"].insert_many(records[chunk:chunk + 500], session=session)

        await mongo.run_transaction(work)
        report("scale-up", skipped + min(start + PEOPLE_BATCH, len(records)), len(people))
    return True


async def _is_org_record(mongo: Mongo, collection: str, field: str, value: str, committed: set[str]) -> bool:
    """Whether the record with this key is part of the org. Asked by the indexed key alone, the
    import tag checked here: with the visibility `$or` beside it the embedded server scanned the
    whole collection (66,200 people: seconds per lookup)."""
    found = await mongo[collection].find_one({field: value}, {"_id": 1, PENDING: 1})
    return found is not None and (found.get(PENDING) is None or found[PENDING] in committed)


async def _stored(mongo: Mongo, collection: str, field: str, first: str, last: str) -> bool:
    """True if a load step (all or nothing) is stored already, False if not; ValueError if its first record
    is and its last is not, or the other way round (the database holds the demo at another scale).

    Two lookups by key, not one `$in` over every record: SecantusDB answers a large `$in` that matches
    slowly (4,000 matching usernames: ~40 s).
    """
    committed = await ImportRuns(mongo).committed_ids()
    ends = [await _is_org_record(mongo, collection, field, value, committed) for value in (first, last)]
    if ends[0] != ends[1]:
        raise ValueError(f"this database holds only part of the demo's {first} … {last}: it was loaded at "
                         "another --scale; use a fresh --data-dir")
    return ends[0]


def office_authorisations(hierarchy: dict[str, Any]) -> dict[str, str]:
    """office unit id -> the organ it drafts for: each 党委办公室 and 政府办公室 for its 党委/政府,
    the way 市政府办公室 drafts the documents of 韶关市人民政府."""
    units = {unit["id"]: unit for unit in hierarchy["units"]}
    return {f"{unit['id']}b": unit["id"] for unit in hierarchy["units"]
            if unit["type"] in ("党委", "政府") and units.get(f"{unit['id']}b", {}).get("parent") == unit["id"]}


async def authorise_offices(mongo: Mongo, hierarchy: dict[str, Any]) -> Directory:
    """Seed the demo's drafting authorisations (an admin keeps them with PATCH /api/units/{office});
    returns a directory of the org's units as now stored (without its people)."""
    # This runs before (or apart from) the service: read the units as stored. Units only: the offices and
    # the groups' selectors need no people, and reading 66,000 of them (scale 2) took ~15 s.
    directory = Directory()
    for run_id in await ImportRuns(mongo).committed_ids():
        directory.commit_run(run_id)
    for unit in await mongo["units"].find({}).to_list(None):
        directory.put_unit(unit)
    orgs = OrgService(mongo, directory)
    for office_id, organ_id in office_authorisations(hierarchy).items():
        office = await orgs.get(office_id)
        if organ_id not in (office.get("drafts_for") or []):
            await orgs.update(office_id, {"drafts_for": [*(office.get("drafts_for") or []), organ_id]},
                              office["version"], by="demo")
    return directory


def write_demo_users(hierarchy: dict[str, Any], data_dir: Path) -> Path:
    units = {unit["id"]: unit for unit in hierarchy["units"]}
    path = data_dir / "demo-users.csv"
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["username", "display_name", "unit_id", "unit", "post", "roles", "primary"])
        for person in hierarchy["people"]:
            for post in person["posts"]:
                writer.writerow([person["username"], person["display_name"], post["unit"],
                                 units[post["unit"]]["name"], post["title"], ";".join(post["roles"]),
                                 "yes" if post.get("primary") else "no"])
    os.chmod(path, 0o600)
    return path
