"""Decisions sent with an idempotency key act once: a resend (a retry after a lost answer, a second
tab, a phone's queue flushed twice) answers the first result; anything else on a finished task is
refused with its current state, including why it ended."""

from __future__ import annotations

import asyncio

import pytest

from tests.client import ApiClient
from tests.flow_org import Office, build_office
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def reviewing(office: Office) -> tuple[str, dict]:
    document = await office.draft()
    started = await office.start(document["id"])
    return started["id"], await office.only_task("office")


async def approvals(services: Services, node: str = "review") -> int:
    return await services.mongo["flow_audit"].count_documents({"action": "approved", "node": node})


async def test_a_resend_with_the_same_key_answers_success_and_acts_once(office: Office, services: Services) -> None:
    _, review = await reviewing(office)
    first = await office.act("office", review["id"], opinion="同意", idempotency_key="phone-key-0001")
    assert first["instance"]["node"] == "signoff" and "replayed" not in first
    again = await office.act("office", review["id"], opinion="同意", idempotency_key="phone-key-0001")
    assert again["replayed"] is True and again["instance"]["node"] == "signoff"
    # The header works as well as the body field.
    header = await office.api.post(f"/api/tasks/{review['id']}/approve", {"opinion": "同意"},
                                   token=office.tokens["office"], headers={"Idempotency-Key": "phone-key-0001"})
    assert header.status == 200 and header.body["replayed"] is True
    assert await approvals(services) == 1
    assert len(await office.todo("head")) == 1  # the next person got one task


async def test_two_tabs_sending_the_same_key_at_once_act_once(office: Office, services: Services) -> None:
    _, review = await reviewing(office)
    answers = await asyncio.gather(*[office.api.post(f"/api/tasks/{review['id']}/approve", {"opinion": "同意"},
                                                     token=office.tokens["office"],
                                                     headers={"Idempotency-Key": "two-tabs-0001"}) for _ in range(3)])
    assert [answer.status for answer in answers] == [200, 200, 200], answers
    assert sum(1 for answer in answers if answer.body.get("replayed")) == 2
    assert await approvals(services) == 1
    assert len(await office.todo("head")) == 1


async def test_a_different_key_or_action_on_a_done_task_is_refused(office: Office) -> None:
    _, review = await reviewing(office)
    await office.act("office", review["id"], opinion="同意", idempotency_key="first-key-0001")
    refused = await office.act("office", review["id"], status=409, opinion="同意", idempotency_key="other-key-0001")
    assert refused["code"] == "task_not_active" and refused["task_status"] == "done"
    assert refused["done_by"]["name"] == "赵主任" and refused["outcome"] == "approved"
    returned = await office.act("office", review["id"], "return", status=409, reason="重写",
                                idempotency_key="first-key-0001")  # the key was an approval's, not this
    assert returned["code"] == "task_not_active"


async def test_the_key_belongs_to_the_person_who_sent_it(office: Office) -> None:
    _, review = await reviewing(office)
    await office.act("office", review["id"], opinion="同意", idempotency_key="office-key-0001")
    # Another person replaying the key learns nothing of the task.
    await office.act("head", review["id"], status=404, opinion="同意", idempotency_key="office-key-0001")


async def test_a_task_withdrawn_by_the_sender_refuses_a_late_action_and_says_why(office: Office) -> None:
    instance_id, review = await reviewing(office)
    view = await office.instance(instance_id)
    start_task = next(task for task in view["tasks"] if task["node"] == "draft")
    await office.act("drafter", start_task["id"], "withdraw")
    refused = await office.act("office", review["id"], status=409, opinion="同意", idempotency_key="late-key-0001")
    assert refused["task_status"] == "cancelled" and refused["cancel_reason"] == "withdrawn by the sender"


async def test_disagree_return_and_transfer_take_a_key_too(office: Office, services: Services) -> None:
    _, review = await reviewing(office)
    for _ in range(2):
        await office.act("office", review["id"], "transfer", to_user=office.ids["deputy"],
                         idempotency_key="transfer-0001")
    assert len(await office.todo("deputy")) == 1
    moved = await office.only_task("deputy")
    for _ in range(2):
        await office.act("deputy", moved["id"], "return", reason="请补充依据", idempotency_key="return-00001")
    assert (await office.only_task("drafter"))["node"] == "draft"
    assert await services.mongo["flow_audit"].count_documents({"action": "return"}) == 1


@pytest.mark.parametrize("key", ["short", "x" * 65, "有中文的键值一二三四", "spaces in key"])
async def test_a_malformed_key_is_refused(office: Office, key: str) -> None:
    _, review = await reviewing(office)
    refused = await office.act("office", review["id"], status=400, opinion="同意", idempotency_key=key)
    assert refused["field"] == "idempotency_key"
