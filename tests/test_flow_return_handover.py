"""退回 to any earlier step of the path taken, and 批量移交 of a person's open tasks, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client import ApiClient
from tests.flow_org import Office, build_office
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def at_signoff(office: Office, countersign: list[str] | None = None) -> tuple[str, str]:
    """A 发文 whose 核稿 (and 会签, if units are given) is done: 孙县长 holds 签发."""
    document = await office.draft()
    started = await office.start(document["id"], countersign_units=countersign or [])
    await office.act("office", (await office.only_task("office", started["id"]))["id"])
    for who in {"dept-edu": "edu", "dept-fin": "fin"}.items():
        if who[0] in (countersign or []):
            await office.act(who[1], (await office.only_task(who[1], started["id"]))["id"])
    return started["id"], document["id"]


async def targets(office: Office, who: str, task_id: str, status: int = 200) -> Any:
    response = await office.api.get(f"/api/tasks/{task_id}/return-targets", token=office.tokens[who])
    assert response.status == status, response
    return response.body


async def test_the_signer_returns_to_the_countersign_and_both_countersigners_have_it_again(office: Office) -> None:
    instance_id, _ = await at_signoff(office, ["dept-edu", "dept-fin"])
    signoff = await office.only_task("head")
    choices = (await targets(office, "head", signoff["id"]))["items"]
    assert [choice["node"] for choice in choices] == ["draft", "review", "countersign"]
    countersign = choices[2]
    assert sorted(who["name"] for who in countersign["done_by"]) == ["周局长", "郑局长"]
    assert choices[1]["done_by"][0]["name"] == "赵主任" and choices[1]["done_by"][0]["post"] == "县政府办主任"

    await office.act("head", signoff["id"], "return", reason="请两局重新核对经费数据", to="countersign")
    assert await office.todo("head") == []
    for who in ("edu", "fin"):
        again = await office.only_task(who)
        assert again["node"] == "countersign" and again["note"] == "请两局重新核对经费数据"
    assert await office.todo("office") == []  # the steps in between are not redone
    view = await office.instance(instance_id)
    assert view["instance"]["node"] == "countersign"
    last = view["timeline"][-1]
    assert last["via"] == "return" and last["returned_from"] == {"node": "signoff", "name": "签发", "by": "孙县长"}
    assert next(entry for entry in view["audit"] if entry["action"] == "return")["to"] == "countersign"
    # From there the flow goes on as before: both agree, the signer has it again.
    for who in ("edu", "fin"):
        await office.act(who, (await office.only_task(who))["id"])
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_a_step_passed_twice_is_offered_once_with_who_did_it_last(office: Office) -> None:
    instance_id, _ = await at_signoff(office)
    signoff = await office.only_task("head")
    await office.act("head", signoff["id"], "return", reason="请补充依据", to="previous")
    review = await office.only_task("office")
    # Back at 核稿: 签发 came before only because of the return, so it is not an earlier step.
    assert [choice["node"] for choice in (await targets(office, "office", review["id"]))["items"]] == ["draft"]
    refused = await office.act("office", review["id"], "return", status=400, reason="x", to="signoff")
    assert refused["code"] == "not_an_earlier_step" and refused["field"] == "to"
    # 钱副县长 does the second 核稿 (转办): the offer names them, from the last pass.
    await office.act("office", review["id"], "transfer", to_user=office.ids["deputy"])
    await office.act("deputy", (await office.only_task("deputy"))["id"])
    signoff = await office.only_task("head")
    choices = (await targets(office, "head", signoff["id"]))["items"]
    assert [choice["node"] for choice in choices] == ["draft", "review"]
    view = await office.instance(instance_id)
    review_passes = [entry["entry"] for entry in view["timeline"] if entry["node"] == "review"]
    assert len(review_passes) == 2 and choices[1]["entry"] == review_passes[-1]
    assert [who["name"] for who in choices[1]["done_by"]] == ["钱副县长"]
    await office.act("head", signoff["id"], "return", reason="再核一次", to="review")
    assert await office.todo("office") == []
    assert (await office.only_task("deputy"))["node"] == "review"  # back to whoever did it last


async def test_returning_to_the_drafting_step_frees_the_draft(office: Office) -> None:
    _, document_id = await at_signoff(office, ["dept-edu"])
    signoff = await office.only_task("head")
    await office.act("head", signoff["id"], "return", reason="标题需修改", to="draft")
    redo = await office.only_task("drafter")
    assert redo["node"] == "draft" and redo["note"] == "标题需修改"
    stored = (await office.api.get(f"/api/documents/{document_id}", token=office.tokens["drafter"])).body
    assert stored["status"] == "draft"
    assert (await targets(office, "drafter", redo["id"]))["items"] == []  # the first step goes back nowhere


async def test_only_the_holder_sees_the_steps_and_a_later_step_is_refused(office: Office) -> None:
    await at_signoff(office)
    signoff = await office.only_task("head")
    await targets(office, "edu", signoff["id"], status=404)
    for bad in ("recheck", "seal", "number", "nowhere", ""):
        refused = await office.act("head", signoff["id"], "return", status=400, reason="x", to=bad)
        assert refused["field"] == "to"
    assert (await office.only_task("head"))["id"] == signoff["id"]  # nothing moved


async def test_the_office_hands_over_a_leaders_open_tasks_with_a_result_per_task(office: Office) -> None:
    first, _ = await at_signoff(office)
    second, _ = await at_signoff(office)
    # On the second flow the head waits for a countersigner added before him: that task cannot move yet.
    waiting = await office.only_task("head", second)
    await office.act("head", waiting["id"], "add-signers", users=[office.ids["edu-office"]], position="before")

    listed = await office.api.get(f"/api/users/{office.ids['head']}/open-tasks", token=office.tokens["office"])
    assert listed.status == 200 and listed.body["total"] == 2
    result = await office.api.post(f"/api/users/{office.ids['head']}/hand-over",
                                   {"to_user": office.ids["deputy"], "reason": "孙县长长期外出学习"},
                                   token=office.tokens["office"])
    assert result.status == 200, result
    assert [item["instance_id"] for item in result.body["handed_over"]] == [first]
    kept = [(item["instance_id"], item["code"]) for item in result.body["not_handed_over"]]
    assert kept == [(second, "task_waiting")]
    assert result.body["from"]["name"] == "孙县长" and result.body["to"]["name"] == "钱副县长"

    moved = await office.only_task("deputy")
    assert moved["instance_id"] == first and moved["node"] == "signoff"
    assert moved["note"] == "赵主任将孙县长的待办移交给您：孙县长长期外出学习"
    assert await office.todo("head") == []  # the waiting one is not in 待办
    view = await office.instance(first)
    record = next(entry for entry in view["audit"] if entry["action"] == "transfer")
    assert record["handover"] is True and record["holder"]["name"] == "孙县长"
    assert record["by"]["name"] == "赵主任" and record["on_behalf_of"] == office.ids["head"]
    await office.act("deputy", moved["id"])
    assert (await office.only_task("office", first))["node"] == "recheck"


async def test_who_may_hand_over_whose_tasks(office: Office) -> None:
    await at_signoff(office)
    head = office.ids["head"]
    for stranger in ("edu", "drafter", "deputy", "town-head"):
        refused = await office.api.post(f"/api/users/{head}/hand-over", {"to_user": office.ids["deputy"]},
                                        token=office.tokens[stranger])
        assert refused.status == 403, (stranger, refused)
        listed = await office.api.get(f"/api/users/{head}/open-tasks", token=office.tokens[stranger])
        assert listed.status == 403
    assert (await office.only_task("head"))["node"] == "signoff"
    to_self = await office.api.post(f"/api/users/{head}/hand-over", {"to_user": head}, token=office.tokens["head"])
    assert to_self.status == 400 and to_self.body["field"] == "to_user"
    nobody = await office.api.post(f"/api/users/{head}/hand-over", {"to_user": "nobody"}, token=office.tokens["head"])
    assert nobody.status == 400 and nobody.body["code"] == "unknown_user"
    # The leader themself may; so may the unit's admin.
    mine = await office.api.post(f"/api/users/{head}/hand-over", {"to_user": office.ids["deputy"]},
                                 token=office.tokens["head"])
    assert mine.status == 200 and len(mine.body["handed_over"]) == 1
    assert (await office.only_task("deputy"))["note"] == "孙县长将其待办移交给您"
    back = await office.api.post(f"/api/users/{office.ids['deputy']}/hand-over", {"to_user": head},
                                 token=office.tokens["admin"])
    assert back.status == 200 and len(back.body["handed_over"]) == 1
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_a_task_beyond_the_new_holders_reach_stays_with_a_reason(services: Services, office: Office) -> None:
    await services.orgs.create({"id": "other", "name": "乙县人民政府", "type": "政府", "level": "county",
                                "code": "乙府"})
    user = await services.users.create({
        "username": "other-head", "display_name": "乙县长", "password": "Passw0rd!2026",
        "posts": [{"unit": "other", "title": "县长", "roles": ["主要领导"]}]})
    await at_signoff(office)
    result = await office.api.post(f"/api/users/{office.ids['head']}/hand-over", {"to_user": user["_id"]},
                                   token=office.tokens["office"])
    assert result.status == 200 and result.body["handed_over"] == []
    assert [item["code"] for item in result.body["not_handed_over"]] == ["target_outside_flow"]
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_a_leader_with_two_posts_is_handed_over_unit_by_unit(services: Services, office: Office) -> None:
    """A 副县长 who is also 财政局局长: each unit's office hands over that unit's tasks only."""
    both = await services.users.create({
        "username": "both", "display_name": "何县长", "password": "Passw0rd!2026",
        "posts": [{"unit": "county", "title": "副县长", "roles": ["分管领导"]},
                  {"unit": "dept-fin", "title": "局长", "roles": ["主要领导"]}]})
    signed = await office.draft()
    county_flow = await office.start(signed["id"], signer=both["_id"])
    await office.act("office", (await office.only_task("office", county_flow["id"]))["id"])
    counted = await office.draft()
    fin_flow = await office.start(counted["id"], countersign_units=["dept-fin"])
    await office.act("office", (await office.only_task("office", fin_flow["id"]))["id"])

    listed = await office.api.get(f"/api/users/{both['_id']}/open-tasks", token=office.tokens["fin-office"])
    assert [task["instance_id"] for task in listed.body["items"]] == [fin_flow["id"]]
    moved = await office.api.post(f"/api/users/{both['_id']}/hand-over", {"to_user": office.ids["edu"]},
                                  token=office.tokens["fin-office"])
    assert [item["instance_id"] for item in moved.body["handed_over"]] == [fin_flow["id"]]
    assert moved.body["not_handed_over"] == []
    assert (await office.only_task("edu", fin_flow["id"]))["node"] == "countersign"

    moved = await office.api.post(f"/api/users/{both['_id']}/hand-over", {"to_user": office.ids["deputy"]},
                                  token=office.tokens["office"])
    assert [item["instance_id"] for item in moved.body["handed_over"]] == [county_flow["id"]]
    assert (await office.only_task("deputy", county_flow["id"]))["node"] == "signoff"
