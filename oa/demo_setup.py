"""Loading the demo hierarchy (oa/demo.py) into a database and listing its accounts in demo-users.csv."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oa import importer
from oa.demo import DEMO_LOGINS, build_demo_hierarchy
from oa.import_parse import ImportInput, parse_mapping
from oa.orgs import OrgService
from oa.passwords import check_strength, hash_password
from oa.recipients import RecipientService
from storage.mongo import Mongo

DEMO_MARKER_UNIT = "sg-szf"
DEFAULT_DEMO_PASSWORD = "Demo@2026"


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
                    progress: importer.Progress | None = None) -> DemoResult:
    """Import the demo hierarchy unless it is already there; always (re)write demo-users.csv."""
    problems = check_strength(password)
    if problems:
        raise ValueError(problems[0])
    hierarchy = build_demo_hierarchy()
    already = await mongo["units"].find_one({"_id": DEMO_MARKER_UNIT}) is not None
    if not already:
        given = ImportInput()
        parse_mapping(hierarchy, "demo", given)
        plan = await importer.validate(mongo, given)
        # Every demo account shares one password, so one Argon2 hash serves them all.
        await importer.apply(mongo, plan, by="demo", progress=progress,
                             shared_password_hash=await hash_password(password))
    await authorise_offices(mongo, hierarchy)
    recipients = RecipientService(mongo)
    for group in DEMO_GROUPS:
        await recipients.do_save_group(group, by="demo")
    csv_path = write_demo_users(hierarchy, data_dir)
    return DemoResult(not already, len(hierarchy["units"]), len(hierarchy["people"]), csv_path, list(DEMO_LOGINS))


def office_authorisations(hierarchy: dict[str, Any]) -> dict[str, str]:
    """office unit id -> the organ it drafts for: each 党委办公室 and 政府办公室 for its 党委/政府,
    the way 市政府办公室 drafts the documents of 韶关市人民政府."""
    units = {unit["id"]: unit for unit in hierarchy["units"]}
    return {f"{unit['id']}b": unit["id"] for unit in hierarchy["units"]
            if unit["type"] in ("党委", "政府") and units.get(f"{unit['id']}b", {}).get("parent") == unit["id"]}


async def authorise_offices(mongo: Mongo, hierarchy: dict[str, Any]) -> None:
    """Seed the demo's drafting authorisations (an admin keeps them with PATCH /api/units/{office})."""
    orgs = OrgService(mongo)
    for office_id, organ_id in office_authorisations(hierarchy).items():
        office = await orgs.get(office_id)
        if organ_id not in (office.get("drafts_for") or []):
            await orgs.update(office_id, {"drafts_for": [*(office.get("drafts_for") or []), organ_id]},
                              office["version"], by="demo")


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
