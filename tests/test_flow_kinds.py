"""Every node kind: countersign rules (any, N of M, sequential, 主办 after 协办), branches on document
fields, 收文 and 传阅 with read tracking."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client import ApiClient
from tests.flow_org import Office, build_office
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def publish_countersign(office: Office, key: str, **countersign: Any) -> None:
    await office.services.catalog.publish({
        "key": key, "name": key, "category": "发文", "variables": {"signers": "users"},
        "nodes": [
            {"id": "draft", "name": "拟稿", "kind": "start", "next": "countersign"},
            {"id": "countersign", "name": "会签", "kind": "countersign", "members": [{"var": "signers"}],
             **countersign, "next": "signoff"},
            {"id": "signoff", "name": "签发", "kind": "signoff", "assignee": [{"role": "主要领导", "unit": "own"}],
             "next": "end"},
            {"id": "end", "name": "结束", "kind": "end"},
        ]}, "test")


async def test_any_one_countersigner_finishes_the_step(office: Office) -> None:
    await publish_countersign(office, "cs-any", rule="any")
    document = await office.draft()
    await office.start(document["id"], flow="cs-any", signers=[office.ids["edu"], office.ids["fin"]])
    await office.act("fin", (await office.only_task("fin"))["id"])
    assert await office.todo("edu") == []
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_n_of_m_countersigners(office: Office) -> None:
    await publish_countersign(office, "cs-two", rule={"n": 2})
    document = await office.draft()
    people = ["edu", "fin", "deputy"]
    await office.start(document["id"], flow="cs-two", signers=[office.ids[who] for who in people])
    await office.act("edu", (await office.only_task("edu"))["id"])
    assert await office.todo("head") == []
    await office.act("deputy", (await office.only_task("deputy"))["id"])
    assert await office.todo("fin") == []
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_too_few_members_for_n_of_m_is_refused_before_anything_moves(office: Office) -> None:
    await publish_countersign(office, "cs-three", rule={"n": 3})
    document = await office.draft()
    refused = await office.api.post("/api/instances", {"flow": "cs-three", "document_id": document["id"],
                                                       "variables": {"signers": [office.ids["edu"]]}},
                                    token=office.tokens["drafter"])
    assert refused.status == 400 and refused.body["code"] == "unresolvable_assignee"
    assert "needs 3" in refused.body["message"]
    stored = (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["drafter"])).body
    assert stored["status"] == "draft"


async def test_sequential_countersign_goes_in_order(office: Office) -> None:
    await publish_countersign(office, "cs-seq", mode="sequential")
    document = await office.draft()
    await office.start(document["id"], flow="cs-seq", signers=[office.ids["fin"], office.ids["edu"]])
    assert await office.todo("edu") == []
    await office.act("fin", (await office.only_task("fin"))["id"])
    await office.act("edu", (await office.only_task("edu"))["id"])
    assert (await office.only_task("head"))["node"] == "signoff"


async def test_branch_on_document_fields(office: Office) -> None:
    await office.services.catalog.publish({
        "key": "by-type", "name": "按文种", "category": "发文",
        "nodes": [
            {"id": "draft", "name": "拟稿", "kind": "start", "next": "route"},
            {"id": "route", "name": "分流", "kind": "branch", "cases": [
                {"when": {"all": [{"field": "doc_type", "op": "eq", "value": "请示"},
                                  {"field": "urgency", "op": "in", "value": ["特急", "加急"]}]}, "next": "head"},
                {"when": {"not": {"field": "doc_type", "op": "ne", "value": "请示"}}, "next": "deputy"}],
             "default": "office"},
            {"id": "head", "name": "主要领导", "kind": "signoff", "assignee": [{"role": "主要领导", "unit": "own"}],
             "next": "end"},
            {"id": "deputy", "name": "分管领导", "kind": "signoff", "assignee": [{"role": "分管领导", "unit": "own"}],
             "next": "end"},
            {"id": "office", "name": "办公室", "kind": "task", "assignee": [{"role": "办公室主任", "unit": "own"}],
             "next": "end"},
            {"id": "end", "name": "结束", "kind": "end"},
        ]}, "test")
    urgent = await office.draft(doc_type="请示", urgency="特急", main_to=[{"unit_id": "dept-edu"}])
    plain = await office.draft(doc_type="请示", main_to=[{"unit_id": "dept-edu"}])
    notice = await office.draft()
    for document in (urgent, plain, notice):
        await office.start(document["id"], flow="by-type")
    assert (await office.only_task("head"))["document_id"] == urgent["id"]
    assert (await office.only_task("deputy"))["document_id"] == plain["id"]
    assert (await office.only_task("office"))["document_id"] == notice["id"]


async def test_shouwen_lead_unit_answers_after_the_co_handlers(office: Office) -> None:
    document = await office.draft(title="关于报送防汛物资储备情况的通知")
    started = await office.start(document["id"], flow="shouwen", who="registrar")
    await office.act("registrar", (await office.only_task("registrar"))["id"], opinion="已登记")
    await office.act("office", (await office.only_task("office"))["id"], opinion="拟请教育局牵头，财政局配合")
    instruct = await office.only_task("head")
    assert instruct["node_name"] == "批办"
    await office.act("head", instruct["id"], opinion="同意拟办意见",
                     variables={"lead_unit": "dept-edu", "co_units": ["dept-fin"]})
    assert await office.todo("edu-office") == []  # the lead waits for its co-handler
    await office.act("fin-office", (await office.only_task("fin-office"))["id"], opinion="经费已落实")
    lead = await office.only_task("edu-office")
    assert lead["node_name"] == "承办"
    await office.act("edu-office", lead["id"], opinion="已办理完毕")
    close = await office.only_task("registrar")
    assert close["node_name"] == "办结"
    done = await office.act("registrar", close["id"])
    assert done["instance"]["status"] == "completed"
    view = await office.instance(started["id"], who="registrar")
    assert [entry["name"] for entry in view["timeline"]][-3:] == ["办结", "归档", "结束"]
    stored = await office.services.documents.get(document["id"])
    assert stored["archived_by"] == ["county"] and stored["status"] == "draft"  # 收文 leaves the status alone


async def test_chuanyue_tracks_who_opened_and_read(office: Office) -> None:
    document = await office.draft()
    readers = [office.ids[who] for who in ("head", "deputy", "edu")]
    started = await office.start(document["id"], flow="chuanyue", who="office", readers=readers)
    task = await office.only_task("deputy")
    assert task["action_label"] == "已阅"
    opened = await office.api.get(f"/api/tasks/{task['id']}", token=office.tokens["deputy"])
    assert opened.body["opened_at"] is not None
    await office.act("deputy", task["id"], "read", opinion="请教育局抓好落实")
    await office.act("head", (await office.only_task("head"))["id"], "read")
    view = await office.instance(started["id"], who="office")
    reading = {entry["assignees"][0]: entry for entry in view["tasks"] if entry["node"] == "read"}
    assert reading[office.ids["deputy"]]["outcome"] == "read"
    assert reading[office.ids["deputy"]]["opinion"] == "请教育局抓好落实"
    assert reading[office.ids["head"]]["opened_at"] is None and reading[office.ids["head"]]["status"] == "done"
    assert reading[office.ids["edu"]]["status"] == "active"
    assert view["instance"]["status"] == "running"
    await office.act("edu", (await office.only_task("edu"))["id"], "read")
    assert (await office.instance(started["id"], who="office"))["instance"]["status"] == "completed"
