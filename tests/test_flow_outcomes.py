"""Explicit outcomes over HTTP: 同意, 不同意 (with a reason; back to the drafter or only recorded), 已阅;
labels in Chinese; who holds the flow now; 送审 refused for an incomplete draft; co-issuers' consent."""

from __future__ import annotations

from typing import Any

import pytest

from flows.spec import definition_problems
from tests.client import ApiClient
from tests.flow_org import Office, build_office
from tests.ws_client import Push
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def at_countersign(office: Office, **fields: Any) -> tuple[str, str]:
    document = await office.draft(**fields)
    started = await office.start(document["id"], countersign_units=["dept-edu", "dept-fin"])
    await office.act("office", (await office.only_task("office"))["id"])
    return started["id"], document["id"]


async def stored_document(office: Office, document_id: str) -> dict[str, Any]:
    return await office.services.documents.get(document_id)


async def test_disagree_at_a_countersign_goes_back_to_the_drafter_and_tells_them(office: Office) -> None:
    push = await Push.connect(office.api.base_url, office.tokens["drafter"])
    instance_id, document_id = await at_countersign(office)
    edu = await office.only_task("edu")
    assert edu["outcomes"] == ["approved", "disagreed"]
    missing = await office.act("edu", edu["id"], "disagree", status=400, reason="  ")
    assert missing["field"] == "reason"

    await office.act("edu", edu["id"], "disagree", reason="经费测算依据不足")
    told = await push.next_of("flow.disagreed")
    assert told["data"]["reason"] == "经费测算依据不足" and told["data"]["by"] == "周局长"
    assert told["data"]["effect"] == "returned"
    push.close()
    assert await office.todo("fin") == []  # the rest of the countersign ends with it
    redo = await office.only_task("drafter")
    assert redo["node"] == "draft" and "不同意：经费测算依据不足" in redo["note"]
    assert (await stored_document(office, document_id))["status"] == "draft"

    view = await office.instance(instance_id)
    record = next(entry for entry in view["audit"] if entry["action"] == "disagreed")
    assert record["label"] == "不同意" and record["reason"] == "经费测算依据不足" and record["by"]["name"] == "周局长"
    done = next(task for task in view["tasks"] if task["id"] == edu["id"])
    assert done["outcome"] == "disagreed" and done["outcome_label"] == "不同意"
    assert view["current"] == [{"task_id": redo["id"], "node_name": "拟稿", "member_label": "王拟稿",
                                "holders": [{"user_id": office.ids["drafter"], "name": "王拟稿"}]}]
    refused = await office.act("edu", edu["id"], "withdraw", status=409)
    assert refused["code"] == "cannot_withdraw"


async def test_disagree_is_only_for_a_countersign(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"])
    review = await office.only_task("office")
    assert review["outcomes"] == ["approved"]
    refused = await office.act("office", review["id"], "disagree", status=409, reason="不同意")
    assert refused["code"] == "cannot_disagree"
    wrong = await office.act("office", review["id"], status=400, outcome="read", opinion="已阅")
    assert wrong["code"] == "outcome_not_allowed"
    await office.act("office", review["id"], outcome="approved", opinion="同意")


async def test_a_node_may_only_record_a_disagreement(office: Office) -> None:
    await office.services.catalog.publish({
        "key": "cs-record", "name": "会签记录", "category": "发文", "variables": {"countersign_units": "units"},
        "nodes": [
            {"id": "draft", "name": "拟稿", "kind": "start", "next": "countersign"},
            {"id": "countersign", "name": "会签", "kind": "countersign", "on_disagree": "record",
             "members": [{"role": "主要领导", "unit": {"var": "countersign_units"}}], "next": "signoff"},
            {"id": "signoff", "name": "签发", "kind": "signoff", "assignee": [{"role": "主要领导", "unit": "own"}],
             "next": "end"},
            {"id": "end", "name": "结束", "kind": "end"},
        ]}, "test")
    document = await office.draft()
    started = await office.start(document["id"], flow="cs-record", countersign_units=["dept-edu", "dept-fin"])
    await office.act("edu", (await office.only_task("edu"))["id"], "disagree", reason="建议暂缓印发")
    assert await office.todo("drafter") == []  # not sent back
    await office.act("fin", (await office.only_task("fin"))["id"], opinion="同意")
    signoff = await office.only_task("head")  # the signer sees the disagreement with the task
    assert signoff["node"] == "signoff" and "周局长不同意：建议暂缓印发" in signoff["note"]
    view = await office.instance(started["id"], who="head")
    assert [(entry["label"], entry.get("opinion")) for entry in view["audit"] if entry["node"] == "countersign"] == [
        ("不同意", "建议暂缓印发"), ("同意", "同意")]
    assert (await stored_document(office, document["id"]))["status"] == "reviewing"


def test_on_disagree_is_checked_when_a_definition_is_published() -> None:
    definition = {"key": "bad", "name": "bad", "category": "发文", "nodes": [
        {"id": "draft", "name": "拟稿", "kind": "start", "next": "cs"},
        {"id": "cs", "name": "会签", "kind": "countersign", "members": [{"starter": True}],
         "on_disagree": "ignore", "next": "end"},
        {"id": "review", "name": "核稿", "kind": "task", "assignee": [{"starter": True}], "on_disagree": "record",
         "next": "end"},
        {"id": "end", "name": "结束", "kind": "end"}]}
    problems = definition_problems(definition)
    assert any("'cs'" in problem and "on_disagree must be 'return'" in problem for problem in problems)
    assert any("'review'" in problem and "not allowed on a task node: on_disagree" in problem for problem in problems)


async def test_reading_is_recorded_as_read_and_a_phrase_changes_no_outcome(office: Office) -> None:
    instance_id, _ = await at_countersign(office)
    edu = await office.only_task("edu")
    await office.act("edu", edu["id"], opinion="已阅")  # a countersign asks for 同意: the phrase is only words
    document = await office.draft(title="关于印发值班安排的通知")
    reading = await office.start(document["id"], flow="chuanyue", who="office", readers=[office.ids["deputy"]])
    task = await office.only_task("deputy")
    assert task["outcomes"] == ["read"]
    refused = await office.act("deputy", task["id"], status=400, outcome="approved")
    assert refused["code"] == "outcome_not_allowed"
    # A reading is passed on or shared with more readers, never sent back.
    assert task["actions"] == ["transfer", "add_signers"]
    refused = await office.act("deputy", task["id"], "return", status=409, reason="不同意")
    assert refused["code"] == "cannot_return"
    assert (await office.only_task("deputy"))["status"] == "active"
    assert edu["actions"] == ["return", "transfer", "add_signers"]
    await office.act("deputy", task["id"], outcome="read", opinion="请教育局抓好落实")
    countersign = await office.instance(instance_id)
    assert [entry["label"] for entry in countersign["audit"] if entry["node"] == "countersign"] == ["同意"]
    read = await office.instance(reading["id"], who="office")
    assert [entry["label"] for entry in read["audit"]] == ["发起", "已阅"]


async def test_every_action_reads_in_chinese(office: Office) -> None:
    document = await office.draft()
    started = await office.start(document["id"])
    review = await office.only_task("office")
    await office.act("office", review["id"], "transfer", to_user=office.ids["deputy"], reason="请代为核稿")
    await office.act("deputy", (await office.only_task("deputy"))["id"])
    await office.act("head", (await office.only_task("head"))["id"], "return", reason="请补充经费来源")
    view = await office.instance(started["id"])
    assert [entry["label"] for entry in view["audit"]] == ["发起", "转办", "同意", "退回"]
    # 退回 gives 核稿 back to whoever held it last: the person it was transferred to.
    assert view["current"][0]["holders"] == [{"user_id": office.ids["deputy"], "name": "钱副县长"}]


async def test_sending_an_incomplete_draft_for_approval_names_what_is_missing(office: Office) -> None:
    bare = await office.api.post("/api/documents", {"doc_type": "通知"}, token=office.tokens["drafter"])
    assert bare.status == 201, bare
    refused = await office.api.post("/api/instances", {"flow": "fawen", "document_id": bare.body["id"]},
                                    token=office.tokens["drafter"])
    assert refused.status == 400 and refused.body["code"] == "incomplete_document"
    assert refused.body["problems"] == ["缺少标题", "缺少主送机关", "缺少正文"]
    assert await office.todo("office") == []
    no_recipients = await office.draft(main_to=[])
    refused = await office.api.post("/api/instances", {"flow": "fawen", "document_id": no_recipients["id"]},
                                    token=office.tokens["drafter"])
    assert refused.status == 400 and refused.body["problems"] == ["缺少主送机关"]
    announcement = await office.draft(doc_type="公告", title="关于森林防火戒严期的公告", main_to=[])
    await office.start(announcement["id"])  # a 公告 has no 主送机关


async def test_co_issuers_countersign_and_their_leaders_consent(office: Office) -> None:
    instance_id, document_id = await at_countersign(
        office, issuers=[{"unit_id": "county"}, {"unit_id": "dept-fin"}])
    view = await office.instance(instance_id)
    assert view["instance"]["vars"]["countersign_units"] == ["dept-edu", "dept-fin"]  # chosen once, not twice

    fin = await office.only_task("fin")
    await office.act("fin", fin["id"], opinion="同意联合印发")
    consents = (await stored_document(office, document_id))["consents"]
    assert set(consents) == {"dept-fin"} and consents["dept-fin"]["name"] == "郑局长"
    await office.act("fin", fin["id"], "withdraw")  # taken back: no consent any more
    assert "dept-fin" not in (await stored_document(office, document_id)).get("consents", {})
    await office.act("edu", (await office.only_task("edu"))["id"])
    await office.act("fin", (await office.only_task("fin"))["id"])
    stored = await stored_document(office, document_id)
    assert set(stored["consents"]) == {"dept-fin"}  # 教育局 countersigned but is not an issuer
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_a_co_issuer_joins_the_countersign_by_itself_and_a_return_voids_consent(office: Office) -> None:
    document = await office.draft(issuers=[{"unit_id": "county"}, {"unit_id": "dept-edu"}])
    started = await office.start(document["id"])  # no countersign units chosen
    assert started["vars"]["countersign_units"] == ["dept-edu"]
    await office.act("office", (await office.only_task("office"))["id"])
    await office.act("edu", (await office.only_task("edu"))["id"])
    assert "dept-edu" in (await stored_document(office, document["id"]))["consents"]
    await office.act("head", (await office.only_task("head"))["id"], "return", reason="请修改标题", to="start")
    stored = await stored_document(office, document["id"])
    assert stored["status"] == "draft" and "consents" not in stored
