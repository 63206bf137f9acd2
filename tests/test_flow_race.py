"""Fifty countersigners approving at the same instant: each counted once, the step left once."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.client import ApiClient
from tests.factories import PASSWORD
from tests.flow_org import build_office
from web.services import Services

SIGNERS = 50


async def test_fifty_simultaneous_countersign_approvals(services: Services, api: ApiClient) -> None:
    office = await build_office(services, api)
    definition = {
        "key": "wide-countersign", "name": "多部门会签", "category": "发文", "variables": {"signers": "users"},
        "nodes": [
            {"id": "draft", "name": "拟稿", "kind": "start", "next": "countersign"},
            {"id": "countersign", "name": "会签", "kind": "countersign", "rule": "all", "members": [{"var": "signers"}],
             "next": "signoff"},
            {"id": "signoff", "name": "签发", "kind": "signoff", "assignee": [{"role": "主要领导", "unit": "own"}],
             "next": "end"},
            {"id": "end", "name": "结束", "kind": "end"},
        ],
    }
    await services.catalog.publish(definition, "test")
    signers = []
    for n in range(SIGNERS):
        user = await services.users.create({
            "username": f"signer{n}", "display_name": f"会签人{n}", "password": PASSWORD,
            "posts": [{"unit": "dept-edu", "title": "科员", "roles": ["科员"]}]})
        signers.append(user["_id"])
    tokens = await asyncio.gather(*(api.login(f"signer{n}", PASSWORD) for n in range(SIGNERS)))
    document = await office.draft()
    started = await office.start(document["id"], flow="wide-countersign", signers=signers)
    tasks = await services.mongo["tasks"].find({"instance_id": started["id"], "node": "countersign"}).to_list(None)
    by_user = {task["assignees"][0]: task["_id"] for task in tasks}
    assert len(by_user) == SIGNERS

    async def approve(user_id: str, token: str) -> Any:
        return await api.post(f"/api/tasks/{by_user[user_id]}/approve", {"opinion": "同意"}, token=token)

    responses = await asyncio.gather(*(approve(user_id, token) for user_id, token in zip(signers, tokens,
                                                                                          strict=True)))
    assert [response.status for response in responses] == [200] * SIGNERS, [r for r in responses if r.status != 200]
    instance = await services.mongo["flow_instances"].find_one({"_id": started["id"]})
    assert instance["node"] == "signoff"
    assert sum(1 for member in instance["members"] if member["status"] == "active") == 1
    assert [entry["node"] for entry in instance["path"]].count("signoff") == 1
    signoff_tasks = await services.mongo["tasks"].count_documents({"instance_id": started["id"], "node": "signoff"})
    assert signoff_tasks == 1
    approvals = await services.mongo["flow_audit"].count_documents({"instance_id": started["id"],
                                                                     "action": "approved"})
    assert approvals == SIGNERS
    done = await services.mongo["tasks"].count_documents({"instance_id": started["id"], "node": "countersign",
                                                          "status": "done"})
    assert done == SIGNERS
    # The same approvals again are refused, not counted.
    again = await approve(signers[0], tokens[0])
    assert again.status == 409
