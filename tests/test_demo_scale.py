"""The scaled demo (oa/demo_scale.py, `oa demo --scale N`): a bigger org that keeps every normal demo account.

The generator is checked at scale 2 (~2,650 units, ~66,000 people, pure and fast); the database load
at scale 1.1 only, in small batches, so the suite stays quick. Scale 2 is loaded by hand (see README).
"""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from oa import demo_setup
from oa.demo import CORE_ROLES, DEMO_LOGINS, ROLE_SLUGS, build_demo_hierarchy
from oa.demo_scale import scale_hierarchy, targets
from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
from oa.passwords import verify_password
from oa.unit_fields import LEVEL_RANK, check_fields
from oa.user_fields import check_person, check_posts
from storage.indexes import apply_indexes
from storage.mongo import Mongo
from web.services import Endpoints

ROLES = {*ROLE_SLUGS, "管理员", "审计员"}


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return build_demo_hierarchy()


@pytest.fixture(scope="module")
def scaled(base: dict[str, Any]) -> dict[str, Any]:
    return scale_hierarchy(base, 2)


def test_scale_two_is_jiangmen_sized(base: dict[str, Any], scaled: dict[str, Any]) -> None:
    # 江门 on 粤政易: 2,581 units, 65,011 users; twice the demo's 1,324 units.
    assert abs(len(scaled["units"]) - 2 * len(base["units"])) <= 0.03 * 2 * len(base["units"])
    assert abs(len(scaled["units"]) - 2_600) <= 0.03 * 2_600
    assert abs(len(scaled["people"]) - 65_000) <= 0.03 * 65_000
    counties = [unit for unit in scaled["units"] if unit["level"] == "county" and unit["type"] == "政府"]
    assert len(counties) >= 20
    towns = Counter(unit["level"] for unit in scaled["units"])["town"]
    assert towns >= 2 * 100


def test_every_normal_demo_account_and_unit_is_kept(base: dict[str, Any], scaled: dict[str, Any]) -> None:
    units = {unit["id"]: unit for unit in scaled["units"]}
    people = {person["username"]: person for person in scaled["people"]}
    for unit in base["units"]:
        assert units[unit["id"]] == unit
    for person in base["people"]:
        assert people[person["username"]] == person  # same name, mobile and posts (titles, roles, primary)
    assert all(username in people for username, _ in DEMO_LOGINS)
    # The normal demo comes first, in its own order, so it loads as one import exactly as before.
    assert scaled["units"][:len(base["units"])] == base["units"]
    assert scaled["people"][:len(base["people"])] == base["people"]


def test_ids_usernames_codes_and_mobiles_are_unique(scaled: dict[str, Any]) -> None:
    for values in ([unit["id"] for unit in scaled["units"]],
                   [unit["code"] for unit in scaled["units"] if unit["code"]],
                   [person["username"] for person in scaled["people"]],
                   [person["mobile"] for person in scaled["people"]]):
        duplicates = [value for value, count in Counter(values).items() if count > 1]
        assert duplicates == []


def test_parents_exist_first_and_ancestors_are_consistent(scaled: dict[str, Any]) -> None:
    units = {unit["id"]: unit for unit in scaled["units"]}
    seen: set[str] = set()
    for unit in scaled["units"]:
        parent = unit["parent"]
        if parent is not None:
            assert parent in seen, f"{unit['id']} comes before its parent {parent}"
            assert LEVEL_RANK[unit["level"]] >= LEVEL_RANK[units[parent]["level"]]
        if unit["vertical_parent"] is not None:
            assert units[unit["vertical_parent"]]["level"] == "city"
        seen.add(unit["id"])
    for unit in scaled["units"]:
        ancestors: list[str] = []
        current = unit["parent"]
        while current is not None:
            assert current not in ancestors and len(ancestors) < 5, unit["id"]
            ancestors.insert(0, current)
            current = units[current]["parent"]
        assert not ancestors or ancestors[0] in ("sg-sw", "sg-szf")
        levels = [units[ancestor]["level"] for ancestor in ancestors]
        assert levels == sorted(levels, key=LEVEL_RANK.__getitem__)
        if unit["level"] == "town":
            assert [units[a]["type"] for a in ancestors] == ["政府", "政府"] and levels == ["city", "county"]
    sorts = Counter((unit["parent"], unit["sort"]) for unit in scaled["units"])
    assert max(sorts.values()) == 1  # sort numbers continue after the demo's children of a parent


def test_new_counties_have_the_demos_structure(base: dict[str, Any], scaled: dict[str, Any]) -> None:
    known = {unit["id"] for unit in base["units"]}
    new = [unit for unit in scaled["units"] if unit["id"] not in known]
    governments = [unit for unit in new if unit["type"] == "政府"]
    assert governments and all(unit["parent"] == "sg-szf" and unit["level"] == "county" for unit in governments)
    children = Counter(unit["parent"] for unit in new)
    for government in governments:
        slug = government["id"].removesuffix("-xzf")
        party = next(unit for unit in new if unit["id"] == f"{slug}-xw")
        assert party["type"] == "党委" and party["parent"] == "sg-sw"
        assert {f"{slug}-xwb", f"{slug}-xzfb", f"{slug}-zuzhi", f"{slug}-gongan", f"{slug}-caizheng"} <= \
            {unit["id"] for unit in new}
        towns = [unit for unit in new if unit["parent"] == government["id"] and unit["level"] == "town"]
        assert len(towns) >= 5 and all(unit["type"] in ("乡镇", "街道") for unit in towns)
        assert 80 <= children[government["id"]] + children[party["id"]] <= 140
    for unit in new:
        assert check_fields(unit) == [], unit


def test_people_hold_the_demos_posts(base: dict[str, Any], scaled: dict[str, Any]) -> None:
    units = {unit["id"] for unit in scaled["units"]}
    roles: dict[str, set[str]] = {unit_id: set() for unit_id in units}
    known = {person["username"] for person in base["people"]}
    for person in scaled["people"]:
        assert sum(post["primary"] for post in person["posts"]) == 1
        for post in person["posts"]:
            assert post["unit"] in units and set(post["roles"]) <= ROLES
            roles[post["unit"]].update(post["roles"])
        if person["username"] not in known:
            assert "password" not in person and not person.get("system_admin")
            assert check_person(person) == [] and check_posts(person["posts"]) == [], person
    assert {unit_id for unit_id, have in roles.items() if set(CORE_ROLES) - have} == set()
    people = {person["username"]: person for person in scaled["people"]}
    county = next(unit for unit in scaled["units"][len(base["units"]):] if unit["type"] == "政府")
    head = people[f"{county['id']}.zyld1"]  # 县长 is also 县委副书记, as in the demo's counties
    assert [post["unit"] for post in head["posts"]] == [county["id"], county["id"].replace("-xzf", "-xw")]
    assert [post["title"] for post in head["posts"]] in (["县长", "县委副书记"], ["区长", "区委副书记"],
                                                         ["市长", "市委副书记"])
    assert f"{county['id']}.admin" in people
    # Extra 科员 continue each unit's numbering: the demo's sg-szfb.ky1 … ky6 are still the same people.
    office_clerks = sorted(int(p["username"].rsplit(".ky", 1)[1]) for p in scaled["people"]
                           if p["username"].startswith("sg-szfb.ky"))
    assert office_clerks == list(range(1, len(office_clerks) + 1)) and len(office_clerks) > 6


def test_deterministic_and_bounded(base: dict[str, Any], scaled: dict[str, Any]) -> None:
    assert scale_hierarchy(base, 2) == scaled
    assert scale_hierarchy(base, 1.1, seed=7) != scale_hierarchy(base, 1.1)
    assert scale_hierarchy(base, 1) is base
    for bad in (0.5, 0.99, 11, float("nan")):
        with pytest.raises(ValueError, match="scale"):
            scale_hierarchy(base, bad)


def test_a_small_scale_adds_towns_to_the_existing_counties(base: dict[str, Any]) -> None:
    small = scale_hierarchy(base, 1.05)
    want_units, want_people = targets(len(base["units"]), len(base["people"]), 1.05)
    assert (len(small["units"]), len(small["people"])) == (want_units, want_people)
    new = small["units"][len(base["units"]):]
    assert new and all(unit["level"] == "town" and unit["parent"].endswith("-xzf") for unit in new)


@pytest.fixture
async def mongo(endpoints: Endpoints) -> AsyncIterator[Mongo]:
    """A fresh database on the shared embedded server as `oa demo` sees it: no service, no change stream
    following every record written (which would double the cost of the load). Not dropped afterwards (that
    took 6 s): like the demo database, it dies with the session's server."""
    connected = await Mongo.connect(endpoints.mongodb_uri, "t_scale_" + uuid.uuid4().hex[:12])
    await apply_indexes(connected)
    try:
        yield connected
    finally:
        await connected.close()


async def test_load_a_scaled_demo_in_batches(mongo: Mongo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scale 1.1 (~1,460 units, ~10,000 people) in batches of 1,000; a load that stops half way resumes."""
    hierarchy = scale_hierarchy(build_demo_hierarchy(), 1.1)
    monkeypatch.setattr(demo_setup, "PEOPLE_BATCH", 1000)
    base_people = len(build_demo_hierarchy()["people"])
    extra_people = len(hierarchy["people"]) - base_people

    def dies_after_a_batch(stage: str, done: int, total: int) -> None:
        if stage == "scale-up" and done > 0:  # the base, the new units and one batch of people are stored
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        await load_demo(mongo, tmp_path, scale=1.1, progress=dies_after_a_batch)
    assert await mongo["users"].count_documents({}) == base_people + 1_000
    assert await mongo["units"].count_documents({}) == len(hierarchy["units"])

    stages: list[tuple[str, int, int]] = []
    result = await load_demo(mongo, tmp_path, scale=1.1, progress=lambda *stage: stages.append(stage))
    assert result.loaded and (result.units, result.people) == (len(hierarchy["units"]), len(hierarchy["people"]))
    assert await mongo["units"].count_documents({"status": "active"}) == len(hierarchy["units"])
    assert await mongo["users"].count_documents({}) == len(hierarchy["people"])
    assert await mongo["units"].count_documents({"level": "county", "type": "政府"}) == 11
    assert await mongo["unit_history"].count_documents({"change": "import"}) == len(hierarchy["units"])
    # Only what was missing was written: from the second batch on, in batches of 1,000.
    scale_up = [done for stage, done, total in stages if stage == "scale-up"]
    assert scale_up == [*range(1_000, extra_people, 1_000), extra_people]
    # The normal demo's accounts are there with their posts; a load hashes the password once for all the
    # accounts it writes (two here: the interrupted load and the one that finished it).
    vice_mayor = await mongo["users"].find_one({"username": "sg-szf.fgld1"})
    assert [post["unit_id"] for post in vice_mayor["posts"]] == ["sg-szf", "sg-gongan"]
    hashes = await mongo["users"].distinct("password_hash")
    assert len(hashes) == 2 and all(await asyncio.gather(*(verify_password(h, DEFAULT_DEMO_PASSWORD) for h in hashes)))
    new_county = await mongo["units"].find_one({"level": "county", "type": "政府", "_id": {"$nin": [
        unit["id"] for unit in hierarchy["units"][:1_324]]}})
    assert new_county["ancestors"] == ["sg-szf"]
    town = await mongo["units"].find_one({"level": "town", "parent_id": new_county["_id"]})
    assert town["ancestors"] == ["sg-szf", new_county["_id"]]
    office = await mongo["units"].find_one({"_id": new_county["_id"] + "b"})
    assert office["drafts_for"] == [new_county["_id"]]
    with open(result.csv_path, encoding="utf-8-sig") as rows:
        assert len({row["username"] for row in csv.DictReader(rows)}) == len(hierarchy["people"])

    again = await load_demo(mongo, tmp_path, scale=1.1)
    assert not again.loaded and await mongo["users"].count_documents({}) == len(hierarchy["people"])
