"""Races that snapshot isolation lets through unless the model forbids them, provoked with two
service instances (two `oa serve` replicas) on the same database."""

from __future__ import annotations

import asyncio

import pytest

from oa.errors import Conflict
from tests.client import ApiClient
from tests.flow_org import build_office
from web.services import Services


@pytest.mark.parametrize("flow", ["fawen", "chuanyue"])
async def test_two_replicas_starting_the_same_flow_at_once_start_one(services: Services, replica: Services,
                                                                      api: ApiClient, flow: str) -> None:
    """发文 also changes the document (two starts collide on it); 传阅 changes nothing else, so only the
    partial unique index on running flows stops the second."""
    office = await build_office(services, api)
    drafter = await services.users.get(office.ids["drafter"])
    variables = {"readers": [office.ids["office"]]} if flow == "chuanyue" else {}
    for round_ in range(5):  # each round a fresh draft, both replicas starting its 发文 flow together
        document = await office.draft(title=f"关于第{round_ + 1}批次工作的通知")
        results = await asyncio.gather(
            services.flows.do_start(flow, document["id"], variables, drafter),
            replica.flows.do_start(flow, document["id"], variables, drafter), return_exceptions=True)
        started = [result for result in results if isinstance(result, dict)]
        refused = [result for result in results if isinstance(result, Conflict)]
        assert len(started) == 1 and len(refused) == 1, results
        assert refused[0].code in ("flow_already_running", "not_a_draft"), refused[0]
        running = await services.mongo["flow_instances"].count_documents(
            {"document_id": document["id"], "status": "running"})
        assert running == 1


async def test_the_database_refuses_a_second_running_flow_of_a_kind(services: Services) -> None:
    """The guarantee itself, whatever else a start writes: one running flow per document, category and unit."""
    from storage.mongo import DuplicateKeyError
    running = {"document_id": "doc-race", "category": "收文", "unit_id": "town", "status": "running"}
    flows = services.mongo["flow_instances"]
    await flows.insert_one({"_id": "wf-race-1", **running})
    with pytest.raises(DuplicateKeyError):
        await flows.insert_one({"_id": "wf-race-2", **running})
    await flows.insert_one({"_id": "wf-race-3", **running, "unit_id": "county"})  # another unit's own 收文
    await flows.update_one({"_id": "wf-race-1"}, {"$set": {"status": "completed"}})
    await flows.insert_one({"_id": "wf-race-4", **running})  # once the first has ended, a new one may start


async def test_a_unit_dissolved_while_a_sub_unit_is_added_never_leaves_an_orphan(services: Services,
                                                                                 replica: Services) -> None:
    """Dissolving counts active sub-units and a new sub-unit checks its parent is active: each in its own
    transaction, both could pass. Adding writes the parent, so the two conflict and one is retried."""
    await services.orgs.create({"id": "city", "name": "韶关市人民政府", "type": "政府", "level": "city"})
    outcomes = set()
    for round_ in range(6):
        county = await services.orgs.create({"id": f"county{round_}", "name": f"第{round_}县人民政府", "type": "政府",
                                             "level": "county", "parent_id": "city"})
        results = await asyncio.gather(
            services.orgs.dissolve(county["_id"], county["version"]),
            replica.orgs.create({"id": f"town{round_}", "name": f"第{round_}镇人民政府", "type": "政府",
                                 "level": "town", "parent_id": county["_id"]}), return_exceptions=True)
        dissolved, created = (not isinstance(result, Exception) for result in results)
        assert dissolved != created, results  # exactly one of the two took effect
        orphans = await services.mongo["units"].count_documents({"parent_id": county["_id"], "status": "active"})
        stored = await services.orgs.get(county["_id"])
        assert (stored["status"] == "dissolved") == dissolved and orphans == (1 if created else 0)
        outcomes.add("dissolved" if dissolved else "created")
    assert outcomes  # which one wins depends on timing; both are correct
