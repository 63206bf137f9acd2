"""Flow definitions: checked on publish with errors naming the node, versioned, claimed by units."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flows.definitions import BUILTIN_FLOWS
from flows.definitions.fawen import FAWEN
from flows.spec import definition_problems
from oa.users import create_system_admin
from tests.client import ApiClient
from tests.factories import PASSWORD
from tests.flow_org import Office, build_office
from web.services import Services


def fawen_with(change: Any) -> dict[str, Any]:
    definition = copy.deepcopy(FAWEN)
    change(definition)
    return definition


def node(definition: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(item for item in definition["nodes"] if item["id"] == node_id)


def test_the_built_in_flows_are_valid() -> None:
    assert [definition_problems(definition) for definition in BUILTIN_FLOWS] == [[], [], []]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: node(d, "review").update(next="nowhere"), "node 'review' (核稿): leads to 'nowhere'"),
    (lambda d: node(d, "review").update(assignee=[{"role": "处长", "unit": "own"}]),
     "node 'review' (核稿): unknown role '处长'"),
    (lambda d: node(d, "signoff").update(assignee=[{"var": "countersign_units"}]),
     "node 'signoff' (签发): variable 'countersign_units' must be declared as user or users"),
    (lambda d: node(d, "countersign").update(members=[{"role": "主要领导", "unit": {"var": "leaders"}}]),
     "node 'countersign' (会签): variable 'leaders' must be declared as unit or units"),
    (lambda d: node(d, "countersign").update(rule={"n": 0}), "node 'countersign' (会签): rule must be"),
    (lambda d: node(d, "needs_countersign")["cases"][0]["when"].update(op="matches"),
     "node 'needs_countersign' (是否会签) case 1: unknown operator 'matches'"),
    (lambda d: node(d, "needs_countersign")["cases"][0].update(when={"field": "secret", "op": "empty"}),
     "unknown document field 'secret'"),
    (lambda d: node(d, "number").update(action="email"), "node 'number' (编号): action must be one of"),
    (lambda d: node(d, "review").update(deadline={"weeks": 1}), "node 'review' (核稿): a deadline has exactly one"),
    (lambda d: node(d, "review").update(deadline={"days": 1.5}),
     "node 'review' (核稿): deadline days must be a whole number of working days"),
    (lambda d: node(d, "review").update(overridable=["assignee"]), "overridable may list only"),
    (lambda d: d["nodes"].append({"id": "orphan", "name": "孤立", "kind": "task", "next": "end",
                                  "assignee": [{"starter": True}]}),
     "node 'orphan' (孤立): cannot be reached from the start"),
    (lambda d: d["nodes"].append({"id": "loop", "name": "死循环", "kind": "task", "next": "loop",
                                  "assignee": [{"starter": True}]}) or node(d, "needs_countersign").update(
        default="loop"), "node 'loop' (死循环): no path from here reaches an end"),
    (lambda d: d["nodes"].pop(0), "exactly one start node"),
])
def test_problems_name_the_node(change: Any, expected: str) -> None:
    problems = definition_problems(fawen_with(change))
    assert any(expected in problem for problem in problems), problems


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    office = await build_office(services, api)
    await create_system_admin(services.users, "root", "平台管理员", PASSWORD)
    office.tokens["root"] = await api.login("root", PASSWORD)
    return office


async def test_publish_makes_a_new_version_and_keeps_the_old(office: Office) -> None:
    listed = await office.api.get("/api/flows", token=office.tokens["drafter"])
    assert {item["key"] for item in listed.body["items"]} == {"fawen", "shouwen", "chuanyue"}
    changed = fawen_with(lambda d: node(d, "review").update(deadline={"hours": 2}))
    refused = await office.api.post("/api/flows", changed, token=office.tokens["admin"])
    assert refused.status == 403  # a county admin does not publish platform flows
    published = await office.api.post("/api/flows", changed, token=office.tokens["root"])
    assert published.status == 201 and published.body["version"] == 2
    first = await office.api.get("/api/flows/fawen?version=1", token=office.tokens["drafter"])
    assert node(first.body, "review")["deadline"] == {"days": 1}
    latest = await office.api.get("/api/flows/fawen", token=office.tokens["drafter"])
    assert latest.body["version"] == 2 and [v["version"] for v in latest.body["versions"]] == [1, 2]
    bad = await office.api.post("/api/flows", fawen_with(lambda d: node(d, "review").update(next="x")),
                                token=office.tokens["root"])
    assert bad.status == 400 and bad.body["code"] == "invalid_flow"
    assert any("node 'review'" in problem for problem in bad.body["problems"])
    no_put = await office.api.request("PUT", "/api/flows/fawen", {}, token=office.tokens["root"])
    assert no_put.status == 405


async def test_a_running_instance_keeps_its_version(office: Office) -> None:
    document = await office.draft()
    started = await office.start(document["id"])
    await office.api.post("/api/flows", fawen_with(lambda d: node(d, "review").update(
        assignee=[{"role": "分管领导", "unit": "own"}])), token=office.tokens["root"])
    await office.act("office", (await office.only_task("office"))["id"])
    assert started["definition_version"] == 1
    second = await office.draft()
    await office.start(second["id"])
    assert (await office.only_task("deputy"))["node"] == "review"


async def test_a_unit_claims_a_flow_with_allowed_overrides_only(office: Office) -> None:
    refused = await office.api.post("/api/flows/fawen/claim", {
        "unit_id": "county", "overrides": {"needs_countersign": {"deadline": {"days": 1}}}},
        token=office.tokens["admin"])
    assert refused.status == 400 and "does not let a unit change deadline" in refused.body["message"]
    other_unit = await office.api.post("/api/flows/fawen/claim", {"unit_id": "county", "overrides": {}},
                                       token=office.tokens["drafter"])
    assert other_unit.status == 403
    claimed = await office.api.post("/api/flows/fawen/claim", {
        "unit_id": "county", "overrides": {"review": {"role": "分管领导", "deadline": {"hours": 2}}}},
        token=office.tokens["admin"])
    assert claimed.status == 200, claimed
    # The town inherits its county's claim.
    effective = await office.api.get("/api/flows/fawen?unit=town", token=office.tokens["drafter"])
    assert effective.body["effective"]["claimed_from"] == "county"
    document = await office.draft()
    await office.start(document["id"])
    task = await office.only_task("deputy")
    assert task["node"] == "review" and task["deadline"] == {"hours": 2}
    assert await office.todo("office") == []
