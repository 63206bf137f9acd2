"""Task actions over HTTP: return, transfer, 加签, withdraw, urge, terminate, delegation, and who may act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.client import ApiClient
from tests.flow_org import Office, build_office
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def at_countersign(office: Office) -> tuple[str, str]:
    document = await office.draft()
    started = await office.start(document["id"], countersign_units=["dept-edu", "dept-fin"])
    await office.act("office", (await office.only_task("office"))["id"])
    return started["id"], document["id"]


async def test_only_the_assignee_sees_or_acts_on_a_task(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"])
    task = await office.only_task("office")
    for stranger in ("head", "edu", "admin"):
        assert (await office.api.get(f"/api/tasks/{task['id']}", token=office.tokens[stranger])).status == 404
        await office.act(stranger, task["id"], status=404, opinion="同意")
    opened = await office.api.get(f"/api/tasks/{task['id']}", token=office.tokens["office"])
    assert opened.status == 200 and opened.body["opened_at"] is not None


async def test_acting_twice_gets_409_with_the_current_state(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"])
    task = await office.only_task("office")
    await office.act("office", task["id"])
    again = await office.act("office", task["id"], status=409)
    assert again["code"] == "task_not_active" and again["task_status"] == "done"
    assert again["done_by"]["name"] == "赵主任"


async def test_return_from_a_countersign_to_the_drafter_cancels_the_other_countersigner(office: Office) -> None:
    instance_id, document_id = await at_countersign(office)
    edu, fin = await office.only_task("edu"), await office.only_task("fin")
    await office.act("edu", edu["id"], "return", reason="数据需更新", to="start")
    assert await office.todo("fin") == []  # no hanging half of the countersign
    redo = await office.only_task("drafter")
    assert redo["node"] == "draft" and redo["note"] == "数据需更新"
    document = (await office.api.get(f"/api/documents/{document_id}", token=office.tokens["drafter"])).body
    assert document["status"] == "draft"  # editable again
    edited = await office.api.patch(f"/api/documents/{document_id}", {"version": document["version"],
                                                                      "title": "关于做好今冬明春森林防火工作的通知"},
                                    token=office.tokens["drafter"])
    assert edited.status == 200, edited
    await office.act("drafter", redo["id"], "submit")
    assert (await office.only_task("office"))["node"] == "review"
    cancelled = await office.act("fin", fin["id"], status=409)
    assert cancelled["task_status"] == "cancelled"
    view = await office.instance(instance_id)
    assert [entry["action"] for entry in view["audit"]].count("return") == 1


async def test_return_to_the_previous_step_needs_a_reason(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"])
    await office.act("office", (await office.only_task("office"))["id"])
    signoff = await office.only_task("head")
    missing = await office.act("head", signoff["id"], "return", status=400, reason="  ")
    assert missing["code"] == "invalid_input"
    await office.act("head", signoff["id"], "return", reason="请补充经费来源")
    again = await office.only_task("office")
    assert again["node"] == "review" and again["note"] == "请补充经费来源"


async def test_transfer_hands_the_task_to_someone_else(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"])
    task = await office.only_task("office")
    await office.act("office", task["id"], "transfer", to_user=office.ids["deputy"], reason="请钱副县长核稿")
    assert await office.todo("office") == []
    moved = await office.only_task("deputy")
    assert moved["node"] == "review" and "转办" in moved["note"]
    await office.act("deputy", moved["id"])
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_add_a_countersigner_before_oneself(office: Office) -> None:
    await at_countersign(office)
    edu = await office.only_task("edu")
    busy = await office.act("edu", edu["id"], "add-signers", status=400, users=[office.ids["fin"]], position="before")
    assert busy["code"] == "already_on_step" and busy["names"] == ["郑局长"]  # a countersigner of the step already
    await office.act("edu", edu["id"], "add-signers", users=[office.ids["edu-office"]], position="before")
    assert await office.todo("edu") == []  # waits for the added countersigner
    added = await office.only_task("edu-office")
    assert added["note"] == "周局长加签：请您先办理，办理后回到周局长"  # whose it is, and where it goes next
    await office.act("edu-office", added["id"], opinion="已核对数据")
    resumed = await office.only_task("edu")
    assert resumed["id"] == edu["id"]
    await office.act("edu", edu["id"])
    await office.act("fin", (await office.only_task("fin"))["id"])
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_add_a_countersigner_after_oneself_keeps_the_step_open(office: Office) -> None:
    await at_countersign(office)
    await office.act("fin", (await office.only_task("fin"))["id"])
    edu = await office.only_task("edu")
    await office.act("edu", edu["id"], "add-signers", users=[office.ids["deputy"]], position="after")
    assert await office.todo("deputy") == []
    await office.act("edu", edu["id"])
    later = await office.only_task("deputy")
    assert later["node"] == "countersign"
    assert await office.todo("head") == []
    await office.act("deputy", later["id"])
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_withdraw_until_the_next_person_acts(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"])
    review = await office.only_task("office")
    await office.act("office", review["id"])
    signoff = await office.only_task("head")
    taken_back = await office.act("office", review["id"], "withdraw")
    assert taken_back["instance"]["node"] == "review"
    assert await office.todo("head") == []
    assert (await office.act("head", signoff["id"], status=409))["task_status"] == "cancelled"
    fresh = await office.only_task("office")
    assert fresh["id"] != review["id"]
    await office.act("office", fresh["id"])
    await office.act("head", (await office.only_task("head"))["id"])
    refused = await office.act("office", fresh["id"], "withdraw", status=409)
    assert refused["code"] == "already_acted"


async def test_withdraw_a_countersign_approval_while_the_step_is_open(office: Office) -> None:
    await at_countersign(office)
    edu = await office.only_task("edu")
    await office.act("edu", edu["id"])
    await office.act("edu", edu["id"], "withdraw")
    again = await office.only_task("edu")
    await office.act("fin", (await office.only_task("fin"))["id"])
    assert await office.todo("head") == []  # 教育局's approval no longer counts
    await office.act("edu", again["id"])
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_the_drafter_withdraws_a_submission(office: Office) -> None:
    document = await office.draft()
    started = await office.start(document["id"])
    view = await office.instance(started["id"])
    start_task = next(task for task in view["tasks"] if task["node"] == "draft")
    await office.act("drafter", start_task["id"], "withdraw")
    assert await office.todo("office") == []
    assert (await office.only_task("drafter"))["node"] == "draft"
    stored = (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["drafter"])).body
    assert stored["status"] == "draft"


async def test_urge_reaches_open_tasks_once_per_interval(office: Office) -> None:
    instance_id, _ = await at_countersign(office)
    urged = await office.api.post(f"/api/instances/{instance_id}/urge", {"message": "请今天会签"},
                                  token=office.tokens["drafter"])
    assert urged.status == 200 and len(urged.body["urged"]) == 2
    again = await office.api.post(f"/api/instances/{instance_id}/urge", {}, token=office.tokens["drafter"])
    assert again.status == 409 and again.body["code"] == "urged_recently" and again.body["allowed_at"]
    stranger = await office.api.post(f"/api/instances/{instance_id}/urge", {}, token=office.tokens["town-head"])
    assert stranger.status == 404
    task = await office.only_task("edu")
    assert task["urge_count"] == 1


async def test_terminate_ends_everything_and_frees_the_draft(office: Office) -> None:
    instance_id, document_id = await at_countersign(office)
    refused = await office.api.post(f"/api/instances/{instance_id}/terminate", {"reason": "不再发文"},
                                    token=office.tokens["edu"])
    assert refused.status == 403
    ended = await office.api.post(f"/api/instances/{instance_id}/terminate", {"reason": "不再发文"},
                                  token=office.tokens["drafter"])
    assert ended.status == 200 and ended.body["status"] == "terminated"
    assert await office.todo("edu") == [] and await office.todo("fin") == []
    stored = (await office.api.get(f"/api/documents/{document_id}", token=office.tokens["drafter"])).body
    assert stored["status"] == "draft"
    restarted = await office.start(document_id)
    assert restarted["status"] == "running"


async def test_a_delegate_acts_during_the_window_only(office: Office) -> None:
    now = datetime.now(UTC)
    delegation = await office.api.post("/api/delegations", {
        "to_user": office.ids["deputy"], "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(), "reason": "休假"}, token=office.tokens["head"])
    assert delegation.status == 201, delegation
    document = await office.draft()
    started = await office.start(document["id"])
    await office.act("office", (await office.only_task("office"))["id"])
    task = await office.only_task("deputy")
    assert task["acting_for"] == office.ids["head"]
    await office.act("deputy", task["id"], opinion="代签：同意")
    view = await office.instance(started["id"])
    record = next(entry for entry in view["audit"] if entry["action"] == "signed_off")
    assert record["by"]["name"] == "钱副县长" and record["on_behalf_of"] == office.ids["head"]

    revoked = await office.api.post(f"/api/delegations/{delegation.body['id']}/revoke", {},
                                    token=office.tokens["head"])
    assert revoked.status == 200
    other = await office.draft()
    second = await office.start(other["id"])
    await office.act("office", (await office.only_task("office", second["id"]))["id"])
    assert await office.todo("deputy") == []
    head_task = await office.only_task("head", second["id"])
    await office.act("deputy", head_task["id"], status=404)


async def test_a_delegate_of_another_unit_opens_the_flow_and_document_of_the_task_only_while_in_force(
        office: Office) -> None:
    # The 县长 lets the 教育局长 (another unit, who reads none of the county's documents) act for them: the
    # task in their 待办 opens — its flow and its document — and stops opening once the delegation is revoked.
    now = datetime.now(UTC)
    delegation = await office.api.post("/api/delegations", {
        "to_user": office.ids["edu"], "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(), "reason": "出差"}, token=office.tokens["head"])
    assert delegation.status == 201, delegation
    document = await office.draft()
    started = await office.start(document["id"])
    await office.act("office", (await office.only_task("office"))["id"])
    task = await office.only_task("edu")
    assert task["acting_for"] == office.ids["head"]
    flow = await office.api.get(f"/api/instances/{started['id']}", token=office.tokens["edu"])
    assert flow.status == 200, flow
    opened = await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["edu"])
    assert opened.status == 200 and opened.body["side"] == "drafting", opened
    assert (await office.api.get(f"/api/documents/{document['id']}/pages", token=office.tokens["edu"])).status == 200

    revoked = await office.api.post(f"/api/delegations/{delegation.body['id']}/revoke", {},
                                    token=office.tokens["head"])
    assert revoked.status == 200
    assert (await office.api.get(f"/api/instances/{started['id']}", token=office.tokens["edu"])).status == 404
    assert (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["edu"])).status == 404


async def test_bad_requests_say_what_is_wrong(office: Office) -> None:
    document = await office.draft()
    unknown_var = await office.api.post("/api/instances", {
        "flow": "fawen", "document_id": document["id"], "variables": {"leader": "x"}}, token=office.tokens["drafter"])
    assert unknown_var.status == 400 and "no variable 'leader'" in unknown_var.body["message"]
    no_such_unit = await office.api.post("/api/instances", {
        "flow": "fawen", "document_id": document["id"], "variables": {"countersign_units": ["nowhere"]}},
        token=office.tokens["drafter"])
    assert no_such_unit.status == 201  # the choice is used at 会签, after 核稿
    await office.act("office", (await office.only_task("office"))["id"], status=400)
    assert (await office.only_task("office"))["node"] == "review"  # nothing moved
    not_mine = await office.api.post("/api/instances", {"flow": "fawen", "document_id": document["id"]},
                                     token=office.tokens["edu"])
    assert not_mine.status == 404
    twice = await office.api.post("/api/instances", {"flow": "fawen", "document_id": document["id"]},
                                  token=office.tokens["drafter"])
    assert twice.status == 409
