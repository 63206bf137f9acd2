"""A large import is all or nothing without one giant transaction (oa/import_runs.py).

Records are written in batches tagged with the run and made current by one switch; until then
nobody sees them, a failure removes them, and a run cut off by a stopped process is rolled back
at the next start. While a run writes, the units it hangs new
units and people under cannot be edited.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from oa import importer
from oa.clock import utcnow
from oa.errors import Conflict
from oa.import_parse import read_files
from oa.import_runs import PENDING, ImportRuns
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Endpoints, Services

UNITS_CSV = """id,name,short_name,type,level,parent,code,flags,vertical_parent,sort
new-town-1,新一镇人民政府,新一镇,乡镇,town,county-a,,,,1
new-town-2,新二镇人民政府,新二镇,乡镇,town,county-a,,,,2
"""
PEOPLE_CSV = """username,display_name,mobile,password,unit,title,roles,primary
new.clerk,新收发,,Initial-pass-1,new-town-1,收发员,收发员,yes
new.head,新镇长,,,new-town-2,镇长,主要领导,yes
"""


async def plan_for(services: Services) -> importer.ImportPlan:
    await small_org(services)
    return await importer.validate(services.mongo, read_files(("units.csv", UNITS_CSV), ("people.csv", PEOPLE_CSV)))


async def tagged(services: Services) -> int:
    return sum([await services.mongo[name].count_documents({PENDING: {"$exists": True}})
                for name in ("units", "unit_history", "users")])


async def test_a_failure_while_writing_leaves_the_current_data_untouched(services: Services) -> None:
    plan = await plan_for(services)
    units_before = await services.mongo["units"].count_documents({})
    # Someone takes one of the import's usernames after validation: the people batch fails.
    await services.users.create({"username": "new.head", "display_name": "抢注", "password": PASSWORD,
                                 "posts": [{"unit": "county-a", "title": "科员", "roles": ["科员"]}]})
    try:
        await importer.apply(services.mongo, plan, directory=services.directory)
        raise AssertionError("the import should have failed")
    except Conflict as error:
        assert "nothing was imported" in error.message
    assert await services.mongo["units"].count_documents({}) == units_before
    assert await tagged(services) == 0
    assert services.directory.unit("new-town-1") is None
    run = await services.mongo["imports"].find_one({})
    assert run["status"] == "failed"


async def test_records_of_a_run_still_writing_are_invisible_and_lease_their_anchors(
        services: Services, api: ApiClient) -> None:
    await small_org(services)
    runs = ImportRuns(services.mongo)
    await runs.begin("imp-test", "admin", ["county-a"], {"units": 1, "people": 1})
    town = {"_id": "half-town", "name": "半镇", "type": "乡镇", "level": "town", "parent_id": "county-a",
            "ancestors": ["city", "county-a"], "status": "active", "version": 1, PENDING: "imp-test"}
    await services.mongo["units"].insert_one(town)
    assert await services.orgs.find("half-town") is None
    listed, _ = await services.orgs.children("county-a", 0, 100)
    assert "half-town" not in [unit["_id"] for unit in listed]
    county = await services.orgs.get("county-a")
    try:
        await services.orgs.update("county-a", {"name": "改名县"}, county["version"])
        raise AssertionError("an edit under a running import should be refused")
    except Conflict as error:
        assert error.code == "import_running" and error.details["units"] == ["county-a"]
    await runs.roll_back("imp-test", "test")
    assert await services.mongo["units"].count_documents({"_id": "half-town"}) == 0
    await services.orgs.update("county-a", {"name": "改名县"}, county["version"])  # the lease is gone


async def test_the_next_start_rolls_back_a_cut_off_run_and_finishes_a_switched_one(
        services: Services, endpoints: Endpoints) -> None:
    await small_org(services)
    runs = ImportRuns(services.mongo)
    for run_id, unit_id in (("imp-dead", "dead-town"), ("imp-done", "done-town")):
        await runs.begin(run_id, "admin", ["county-a"], {"units": 1, "people": 0})
        await services.mongo["units"].insert_one({
            "_id": unit_id, "name": unit_id, "type": "乡镇", "level": "town", "parent_id": "county-a",
            "ancestors": ["city", "county-a"], "status": "active", "version": 1, PENDING: run_id})
    await services.mongo["imports"].update_one({"_id": "imp-dead"},
                                               {"$set": {"lease_until": utcnow() - timedelta(seconds=1)}})
    await runs.commit("imp-done")
    # A running process learns of the switch from the change stream: the run's records count at once.
    for _ in range(100):
        if services.directory.unit("done-town") is not None:
            break
        await asyncio.sleep(0.01)
    assert services.directory.unit("done-town") is not None
    assert services.directory.unit("dead-town") is None
    restarted = await Services.open(services.settings, endpoints)
    try:
        assert await services.mongo["units"].count_documents({"_id": "dead-town"}) == 0
        assert (await services.mongo["imports"].find_one({"_id": "imp-dead"}))["status"] == "failed"
        assert PENDING not in restarted.directory.unit("done-town")
        children, _ = await restarted.orgs.children("county-a", 0, 100)
        assert "done-town" in [unit["_id"] for unit in children] and "dead-town" not in str(children)
    finally:
        await restarted.close()
