"""Org units: create, update with optimistic concurrency, moves/merges/dissolution that keep history."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest

from oa.clock import utcnow
from oa.errors import Conflict, InvalidInput, StaleVersion
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Services


async def test_create_validates_every_field_and_placement(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("sysadmin", PASSWORD)
    bad = await api.post("/api/units", {"id": "BAD ID", "name": "", "type": "公司", "level": "province",
                                        "code": "韶府2"}, token=token)
    assert bad.status == 400
    message = bad.body["message"]
    for fragment in ("id must be", "name is required", "type must be one of", "level must be one of", "code"):
        assert fragment in message, fragment
    upward = await api.post("/api/units", {"name": "倒挂的县", "type": "政府", "level": "county",
                                           "parent_id": "town-a1"}, token=token)
    assert upward.status == 400 and "cannot sit under" in upward.body["message"]
    missing = await api.post("/api/units", {"name": "孤儿", "type": "部门", "level": "town", "parent_id": "nowhere"},
                             token=token)
    assert missing.status == 400 and "does not exist" in missing.body["message"]
    duplicate = await api.post("/api/units", {"id": "city", "name": "重复", "type": "政府", "level": "city"},
                               token=token)
    assert duplicate.status == 409


async def test_stale_version_gets_409_and_changes_nothing(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    token = await api.login("cityadmin", PASSWORD)
    version = org.units["county-a"]["version"]
    first = await api.patch("/api/units/county-a", {"version": version, "short_name": "甲县"}, token=token)
    assert first.status == 200 and first.body["version"] == version + 1
    second = await api.patch("/api/units/county-a", {"version": version, "short_name": "覆盖"}, token=token)
    assert second.status == 409 and second.body["code"] == "stale_version"
    assert second.body["current_version"] == version + 1
    assert (await api.get("/api/units/county-a", token=token)).body["short_name"] == "甲县"


async def test_children_ancestors_and_path(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("clerk", PASSWORD)
    children = await api.get("/api/units/county-a/children", token=token)
    assert {unit["id"] for unit in children.body["items"]} == {"town-a1", "dept-a-fgj"}
    ancestors = await api.get("/api/units/town-a1/ancestors", token=token)
    assert [unit["id"] for unit in ancestors.body["items"]] == ["city", "county-a"]
    unit = await api.get("/api/units/town-a1", token=token)
    assert [step["name"] for step in unit.body["path"]] == ["测试市人民政府", "甲县人民政府", "甲一镇人民政府"]
    assert (await api.get("/api/units/nowhere", token=token)).status == 404


async def test_move_takes_the_subtree_along_and_keeps_history(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    before_move = utcnow()
    await asyncio.sleep(0.01)
    token = await api.login("cityadmin", PASSWORD)
    # A sub-unit of the department, to see descendants follow the move.
    office = await api.post("/api/units", {"id": "fgj-office", "name": "甲县发改局办公室", "type": "部门",
                                           "level": "county", "parent_id": "dept-a-fgj"}, token=token)
    assert office.status == 201
    dept = org.units["dept-a-fgj"]
    moved = await api.post("/api/units/dept-a-fgj/move", {"parent_id": "county-b", "version": dept["version"]},
                           token=token)
    assert moved.status == 200, moved
    assert moved.body["ancestors"] == ["city", "county-b"]
    assert (await api.get("/api/units/fgj-office/ancestors", token=token)).body["items"][1]["id"] == "county-b"
    subtree_b = await api.get("/api/units/county-b/subtree", token=token)
    assert {"dept-a-fgj", "fgj-office"} <= {unit["id"] for unit in subtree_b.body["items"]}
    subtree_a = await api.get("/api/units/county-a/subtree", token=token)
    assert "fgj-office" not in {unit["id"] for unit in subtree_a.body["items"]}
    # As it was before the move: still under county A.
    was = await services.orgs.as_of("dept-a-fgj", before_move)
    assert was["parent_id"] == "county-a"
    as_it_was = await api.get(f"/api/units/dept-a-fgj?as_of={quote(before_move.isoformat())}", token=token)
    assert as_it_was.status == 200 and as_it_was.body["parent_id"] == "county-a"
    assert (await api.get("/api/units/dept-a-fgj?as_of=2001-01-01", token=token)).status == 404
    assert (await api.get("/api/units/dept-a-fgj?as_of=yesterday", token=token)).status == 400
    history = await api.get("/api/units/dept-a-fgj/history", token=token)
    assert [entry["change"] for entry in history.body["items"]] == ["create", "move"]


async def test_move_refuses_cycles(services: Services) -> None:
    org = await small_org(services)
    with pytest.raises(InvalidInput, match="own subtree"):
        await services.orgs.move("county-a", "town-a1", org.units["county-a"]["version"])


async def test_rename_keeps_the_old_name_in_history(services: Services) -> None:
    org = await small_org(services)
    before = utcnow()
    await asyncio.sleep(0.01)  # history has millisecond resolution
    await services.orgs.update("dept-a-fgj", {"name": "甲县发展和改革委员会"}, org.units["dept-a-fgj"]["version"])
    assert (await services.orgs.as_of("dept-a-fgj", before))["name"] == "甲县发展和改革局"
    assert (await services.orgs.get("dept-a-fgj"))["name"] == "甲县发展和改革委员会"


async def test_dissolve_needs_an_empty_unit_and_keeps_the_record(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    token = await api.login("cityadmin", PASSWORD)
    busy = await api.post("/api/units/county-a/dissolve", {"version": org.units["county-a"]["version"]}, token=token)
    assert busy.status == 409 and busy.body["active_children"] == 2
    done = await api.post("/api/units/dept-a-fgj/dissolve", {"version": org.units["dept-a-fgj"]["version"]},
                          token=token)
    assert done.status == 200 and done.body["status"] == "dissolved" and done.body["dissolved_at"]
    children = await api.get("/api/units/county-a/children", token=token)
    assert [unit["id"] for unit in children.body["items"]] == ["town-a1"]
    with_dissolved = await api.get("/api/units/county-a/children?include_dissolved=true", token=token)
    assert len(with_dissolved.body["items"]) == 2
    with pytest.raises(InvalidInput, match="dissolved"):
        await services.orgs.create({"name": "新设", "type": "部门", "level": "county", "parent_id": "dept-a-fgj"})


async def test_merge_moves_children_and_dissolves_the_source(services: Services) -> None:
    org = await small_org(services)
    merged = await services.orgs.merge("county-b", "county-a", org.units["county-b"]["version"])
    assert merged["status"] == "dissolved" and merged["merged_into"] == "county-a"
    town = await services.orgs.get("town-b1")
    assert town["ancestors"] == ["city", "county-a"]
    with pytest.raises(Conflict):
        await services.orgs.dissolve("county-b", merged["version"])
    with pytest.raises(StaleVersion):
        await services.orgs.update("county-a", {"sort": 1}, 999)


async def test_unit_list_paginates_with_a_maximum(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("clerk", PASSWORD)
    page = await api.get("/api/units?offset=1&limit=2", token=token)
    assert page.status == 200
    assert page.body["total"] == 6 and page.body["offset"] == 1 and page.body["limit"] == 2
    assert len(page.body["items"]) == 2
    clamped = await api.get("/api/units?limit=100000", token=token)
    assert clamped.body["limit"] == 200
    assert (await api.get("/api/units?limit=abc", token=token)).status == 400
    assert (await api.get("/api/units?level=province", token=token)).status == 400


async def test_merge_refuses_to_put_sub_units_above_their_level(services: Services) -> None:
    org = await small_org(services)
    # county-a's department is county-level; merging county-a into a town would put it under the town.
    with pytest.raises(InvalidInput, match="cannot sit under"):
        await services.orgs.merge("county-a", "town-b1", org.units["county-a"]["version"])
    assert (await services.orgs.get("county-a"))["status"] == "active"
    assert (await services.orgs.get("dept-a-fgj"))["parent_id"] == "county-a"
