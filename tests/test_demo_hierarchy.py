"""Tree queries on the full Shaoguan demo hierarchy (1,300+ units), through the real API."""

from __future__ import annotations

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.client import ApiClient
from web.services import Services


async def county_named(api: ApiClient, token: str, text: str) -> dict:
    found = await api.get(f"/api/units?level=county&type=政府&q={text}", token=token)
    assert found.status == 200 and found.body["total"] == 1, found
    return found.body["items"][0]


async def test_demo_has_the_whole_city(demo_api: ApiClient) -> None:
    token = await demo_api.login("admin", DEFAULT_DEMO_PASSWORD)
    everything = await demo_api.get("/api/units?limit=1", token=token)
    assert everything.body["total"] >= 1300
    counties = await demo_api.get("/api/units?level=county&type=政府&limit=50", token=token)
    assert counties.body["total"] == 10
    towns = await demo_api.get("/api/units?level=town&limit=1", token=token)
    assert towns.body["total"] >= 100
    people = await demo_api.get("/api/users?limit=1", token=token)
    assert people.body["total"] >= 4 * 1300


async def test_all_towns_of_a_county_in_one_query(demo_api: ApiClient, demo_services: Services) -> None:
    token = await demo_api.login("admin", DEFAULT_DEMO_PASSWORD)
    ruyuan = await county_named(demo_api, token, "乳源")
    assert "autonomous_county" in ruyuan["flags"]
    towns = await demo_api.get(f"/api/units/{ruyuan['id']}/subtree?level=town&limit=200", token=token)
    assert towns.status == 200 and towns.body["total"] >= 5
    assert all(town["level"] == "town" and ruyuan["id"] in town["ancestors"] for town in towns.body["items"])
    expected = await demo_services.mongo["units"].count_documents(
        {"level": "town", "status": "active", "ancestors": ruyuan["id"]})
    assert towns.body["total"] == expected
    # The query is served by the ancestors index, not a collection scan or a walk per level.
    plan = await demo_services.mongo["units"].find({"ancestors": ruyuan["id"], "level": "town"}).explain()
    assert "IXSCAN" in str(plan) or "ancestors" in str(plan.get("queryPlanner", plan))


async def test_all_city_departments(demo_api: ApiClient) -> None:
    token = await demo_api.login("admin", DEFAULT_DEMO_PASSWORD)
    departments = await demo_api.get("/api/units/sg-szf/subtree?level=city&type=部门&limit=200", token=token)
    assert departments.status == 200
    assert 60 <= departments.body["total"] <= 150
    assert all(unit["level"] == "city" and unit["type"] == "部门" for unit in departments.body["items"])


async def test_ancestors_of_a_town(demo_api: ApiClient) -> None:
    token = await demo_api.login("admin", DEFAULT_DEMO_PASSWORD)
    town = (await demo_api.get("/api/units?level=town&limit=1", token=token)).body["items"][0]
    ancestors = await demo_api.get(f"/api/units/{town['id']}/ancestors", token=token)
    levels = [unit["level"] for unit in ancestors.body["items"]]
    assert levels[0] == "city" and levels[-1] == "county"
    assert [unit["id"] for unit in ancestors.body["items"]] == town["ancestors"]


async def test_county_admin_of_the_demo_is_bounded(demo_api: ApiClient) -> None:
    admin = await demo_api.login("admin", DEFAULT_DEMO_PASSWORD)
    counties = (await demo_api.get("/api/units?level=county&type=政府&limit=50", token=admin)).body["items"]
    first, other = counties[0], counties[1]
    county_admins = await demo_api.get(f"/api/users?unit={first['id']}&limit=200", token=admin)
    county_admin = next(user for user in county_admins.body["items"]
                        if any(post["unit_id"] == first["id"] and "管理员" in post["roles"] and post["active"]
                               for post in user["posts"]))
    token = await demo_api.login(county_admin["username"], DEFAULT_DEMO_PASSWORD)
    me = await demo_api.get("/api/me", token=token)
    assert first["id"] in me.body["administers"]
    own_towns = await demo_api.get(f"/api/units/{first['id']}/subtree?level=town&limit=1", token=token)
    other_towns = await demo_api.get(f"/api/units/{other['id']}/subtree?level=town&limit=1", token=token)
    own_town, other_town = own_towns.body["items"][0], other_towns.body["items"][0]
    # A write that changes nothing (same version, no fields) still goes through the permission check.
    assert (await demo_api.patch(f"/api/units/{other_town['id']}", {"version": other_town["version"]},
                                 token=token)).status == 403
    allowed = await demo_api.patch(f"/api/units/{own_town['id']}", {"version": own_town["version"]}, token=token)
    assert allowed.status == 200
