"""Loading the demo hierarchy (oa/demo.py, grown by oa/demo_scale.py when scale > 1) into a database
and listing its accounts in demo-users.csv.

Every write goes through the importer (validate, then one transaction per import). The normal demo is
one import, as it always was; a scale-up adds its units in a second import and its people in batches of
PEOPLE_BATCH, because SecantusDB slows down on very large single transactions. Each import is all or
nothing and is skipped when it is already stored, so an interrupted load resumes and `--scale 2` on a
database holding the normal demo tops it up.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oa import importer
from oa.demo import DEMO_LOGINS, build_demo_hierarchy
from oa.demo_scale import scale_hierarchy
from oa.directory import Directory
from oa.import_parse import ImportInput, parse_mapping
from oa.orgs import OrgService
from oa.passwords import check_strength, hash_password
from oa.recipients import RecipientService
from storage.mongo import Mongo

DEMO_MARKER_UNIT = "sg-szf"
DEFAULT_DEMO_PASSWORD = "Demo@2026"
PEOPLE_BATCH = 4000  # people per transaction in a scale-up


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

    async def write(units: list[dict[str, Any]], people: list[dict[str, Any]],
                    stage_progress: importer.Progress | None) -> None:
        if not password_hash:
            password_hash.append(await hash_password(password))
        given = ImportInput()
        parse_mapping({"units": units, "people": people}, "demo", given)
        plan = await importer.validate(mongo, given)
        await importer.apply(mongo, plan, by="demo", progress=stage_progress, shared_password_hash=password_hash[0])

    loaded = False
    if await mongo["units"].find_one({"_id": DEMO_MARKER_UNIT}) is None:
        await write(base["units"], base["people"], progress)
        loaded = True
    extra_units = hierarchy["units"][len(base["units"]):]
    extra_people = hierarchy["people"][len(base["people"]):]
    steps = [(extra_units, [])] + [([], extra_people[start:start + PEOPLE_BATCH])
                                   for start in range(0, len(extra_people), PEOPLE_BATCH)]
    done, total = 0, len(extra_units) + len(extra_people)
    for units, people in steps:
        if units or people:
            if not await _stored(mongo, units, people):
                await write(units, people, None)
                loaded = True
            done += len(units) + len(people)
            if progress:
                progress("scale-up", done, total)
    directory = await authorise_offices(mongo, hierarchy)
    recipients = RecipientService(mongo, directory)
    for group in DEMO_GROUPS:
        await recipients.do_save_group(group, by="demo")
    csv_path = write_demo_users(hierarchy, data_dir)
    return DemoResult(loaded, len(hierarchy["units"]), len(hierarchy["people"]), csv_path, list(DEMO_LOGINS))


async def _stored(mongo: Mongo, units: list[dict[str, Any]], people: list[dict[str, Any]]) -> bool:
    """True if this import (all or nothing) is stored already, False if not; ValueError if its first row is
    and its last is not, or the other way round (the database holds the demo at another scale).

    Two lookups by key, not one `$in` over every row: SecantusDB answers a large `$in` that matches
    slowly (4,000 matching usernames: ~40 s). Reads only: every write goes through the importer.
    """
    keys = [("units", "_id", unit["id"]) for unit in units] + [("users", "username", p["username"]) for p in people]
    ends = [await mongo[collection].find_one({field: value}, {"_id": 1}) is not None
            for collection, field, value in (keys[0], keys[-1])]
    if ends[0] != ends[1]:
        raise ValueError(f"this database holds only part of the demo's {keys[0][2]} … {keys[-1][2]}: it was "
                         "loaded at another --scale; use a fresh --data-dir")
    return ends[0]


def office_authorisations(hierarchy: dict[str, Any]) -> dict[str, str]:
    """office unit id -> the organ it drafts for: each 党委办公室 and 政府办公室 for its 党委/政府,
    the way 市政府办公室 drafts the documents of 韶关市人民政府."""
    units = {unit["id"]: unit for unit in hierarchy["units"]}
    return {f"{unit['id']}b": unit["id"] for unit in hierarchy["units"]
            if unit["type"] in ("党委", "政府") and units.get(f"{unit['id']}b", {}).get("parent") == unit["id"]}


async def authorise_offices(mongo: Mongo, hierarchy: dict[str, Any]) -> Directory:
    """Seed the demo's drafting authorisations (an admin keeps them with PATCH /api/units/{office});
    returns the directory of the org as now stored."""
    directory = Directory()  # this runs before (or apart from) the service: read the units as stored
    await directory.load(mongo)
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
