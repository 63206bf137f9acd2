"""The demo hierarchy (oa/demo.py) is deterministic, Shaoguan-sized and valid for the importer.

Pure: no servers. Field rules come from the same modules the importer uses, so a hierarchy that
passes here is one the importer accepts row by row.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from oa.demo import CORE_ROLES, DEMO_LOGINS, build_demo_hierarchy
from oa.unit_fields import CODE_RE, LEVEL_RANK, UNIT_ID_RE, check_fields
from oa.user_fields import MOBILE_RE, OFFICE_PHONE_RE, USERNAME_RE, check_person, check_posts


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return build_demo_hierarchy()


@pytest.fixture(scope="module")
def units(demo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {unit["id"]: unit for unit in demo["units"]}


def test_same_seed_same_output(demo: dict[str, Any]) -> None:
    assert build_demo_hierarchy() == demo
    assert build_demo_hierarchy(2026) == build_demo_hierarchy(2026)
    assert build_demo_hierarchy(7) != demo


def test_shaoguan_scale(demo: dict[str, Any]) -> None:
    assert len(demo["units"]) >= 1300
    assert len(demo["people"]) < 7000
    levels = Counter(unit["level"] for unit in demo["units"])
    assert levels["town"] >= 100
    assert 100 <= levels["city"] <= 150


def test_unit_ids_unique_and_valid(demo: dict[str, Any]) -> None:
    ids = [unit["id"] for unit in demo["units"]]
    assert len(ids) == len(set(ids))
    assert all(UNIT_ID_RE.match(unit_id) for unit_id in ids)


def test_fields_pass_the_importers_checks(demo: dict[str, Any]) -> None:
    for unit in demo["units"]:
        assert check_fields(unit) == [], unit
        assert isinstance(unit["sort"], int)
        assert set(unit) == {"id", "name", "short_name", "type", "level", "parent", "code", "flags",
                             "vertical_parent", "sort"}
    for person in demo["people"]:
        assert "password" not in person
        assert check_person(person) == [] and check_posts(person["posts"]) == [], person


def test_parents_come_first_and_levels_never_rise(demo: dict[str, Any], units: dict[str, dict[str, Any]]) -> None:
    seen: set[str] = set()
    for unit in demo["units"]:
        parent = unit["parent"]
        if parent is not None:
            assert parent in seen, f"{unit['id']} comes before its parent {parent}"
            assert LEVEL_RANK[unit["level"]] >= LEVEL_RANK[units[parent]["level"]]
        seen.add(unit["id"])
    roots = {unit["id"] for unit in demo["units"] if unit["parent"] is None}
    assert roots == {"sg-sw", "sg-szf"}
    assert units["sg-szfb"]["parent"] == "sg-szf" and units["sg-szfb"]["code"] == "韶府办"


def test_codes_are_short_and_unique(demo: dict[str, Any]) -> None:
    codes = [unit["code"] for unit in demo["units"] if unit["code"] is not None]
    assert len(codes) > 0.95 * len(demo["units"])
    assert all(CODE_RE.match(code) and 1 <= len(code) <= 10 for code in codes)
    # Document numbers are counted per code, so a shared code would mix two units' numbering.
    assert len(codes) == len(set(codes))


def test_ten_counties_one_autonomous(demo: dict[str, Any]) -> None:
    counties = [unit for unit in demo["units"] if unit["type"] == "政府" and unit["level"] == "county"]
    assert len(counties) == 10
    assert all(unit["parent"] == "sg-szf" for unit in counties)
    assert [unit["name"] for unit in counties if "autonomous_county" in unit["flags"]] == ["乳源瑶族自治县人民政府"]
    party = [unit for unit in demo["units"] if unit["type"] == "党委" and unit["level"] == "county"
             and unit["parent"] == "sg-sw"]
    assert len(party) == 10


def test_towns(demo: dict[str, Any], units: dict[str, dict[str, Any]]) -> None:
    towns = [unit for unit in demo["units"] if unit["level"] == "town"]
    assert all(unit["type"] in ("乡镇", "街道") and units[unit["parent"]]["type"] == "政府" for unit in towns)
    ethnic = [unit["short_name"] for unit in towns if "ethnic_township" in unit["flags"]]
    assert 2 <= len(ethnic) <= 10 and "深渡水瑶族乡" in ethnic
    per_county = Counter((unit["parent"], unit["short_name"]) for unit in towns)
    assert max(per_county.values()) == 1


def test_vertical_units_point_up_their_line(demo: dict[str, Any], units: dict[str, dict[str, Any]]) -> None:
    vertical = [unit for unit in demo["units"] if "vertical" in unit["flags"]]
    assert any(unit["level"] == "city" for unit in vertical) and any(unit["level"] == "county" for unit in vertical)
    for unit in demo["units"]:
        if unit["level"] == "city" or "vertical" not in unit["flags"]:
            assert unit["vertical_parent"] is None
        else:
            assert units[unit["vertical_parent"]]["level"] == "city"


def test_every_unit_has_the_four_roles(demo: dict[str, Any]) -> None:
    roles: dict[str, set[str]] = {unit["id"]: set() for unit in demo["units"]}
    for person in demo["people"]:
        for post in person["posts"]:
            roles[post["unit"]].update(post["roles"])
    missing = {unit_id: set(CORE_ROLES) - have for unit_id, have in roles.items() if set(CORE_ROLES) - have}
    assert missing == {}


def test_people_identities(demo: dict[str, Any]) -> None:
    usernames = [person["username"] for person in demo["people"]]
    mobiles = [person["mobile"] for person in demo["people"]]
    assert len(usernames) == len(set(usernames)) and len(mobiles) == len(set(mobiles))
    assert all(USERNAME_RE.match(username) for username in usernames)
    assert all(MOBILE_RE.match(mobile) for mobile in mobiles)


def test_everyone_has_an_office_phone_on_their_units_switchboard(demo: dict[str, Any]) -> None:
    phones = [person["office_phone"] for person in demo["people"]]
    assert all(OFFICE_PHONE_RE.match(phone) and phone.startswith("0751-8") for phone in phones)
    # The digits after 0751-8 up to the last three are the unit's switchboard: colleagues share them.
    by_unit: dict[str, set[str]] = {}
    for person in demo["people"]:
        by_unit.setdefault(person["posts"][0]["unit"], set()).add(person["office_phone"][:10])
    assert all(len(prefixes) == 1 for prefixes in by_unit.values())
    assert len({prefix for prefixes in by_unit.values() for prefix in prefixes}) > len(by_unit) * 0.8


def test_some_people_hold_two_posts(demo: dict[str, Any]) -> None:
    two = [person for person in demo["people"] if len(person["posts"]) == 2]
    assert 40 <= len(two) <= 80
    assert all(len(person["posts"]) <= 2 for person in demo["people"])
    for person in demo["people"]:
        assert sum(post["primary"] for post in person["posts"]) == 1
        assert len({post["unit"] for post in person["posts"]}) == len(person["posts"])


def test_admins(demo: dict[str, Any]) -> None:
    people = {person["username"]: person for person in demo["people"]}
    admin = people["admin"]
    assert admin["display_name"] == "系统管理员" and admin.get("system_admin") is True
    assert admin["posts"] == [{"unit": "sg-szfb", "title": "系统管理员", "roles": ["管理员"], "primary": True}]
    assert [post["unit"] for post in people["cityadmin"]["posts"] if "管理员" in post["roles"]] == ["sg-szf"]
    county_admin_units = {post["unit"] for person in demo["people"] for post in person["posts"]
                          if "管理员" in post["roles"] and post["unit"].endswith("-xzf")}
    assert len(county_admin_units) == 10


def test_demo_logins_exist(demo: dict[str, Any]) -> None:
    people = {person["username"]: person for person in demo["people"]}
    assert 4 <= len(DEMO_LOGINS) <= 8
    assert all(username in people for username, _ in DEMO_LOGINS)
    vice_mayor = people["sg-szf.fgld1"]
    assert vice_mayor["posts"][0]["title"] == "副市长" and len(vice_mayor["posts"]) == 2
    assert people["sg-szfb.sfy1"]["posts"][0]["roles"] == ["收发员"]
