"""Who issues a document, who receives it, who may see and act on it: each rule tried as people do,
over HTTP, on a city over the flow tests' county (with its towns) and a second county.

city ─┬─ county (甲县人民政府) ─┬─ county-office (甲县人民政府办公室, drafts for the county)
      │                        ├─ dept-edu, dept-fin
      │                        └─ town, town2
      └─ county-b (乙县人民政府) ── town-b
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flows.exchange import recall as recall_module
from tests.city_org import TOWNS_GROUP, authorise_office, build_city_org
from tests.client import ApiClient
from tests.exchange_org import dispatch, numbered, receipt_action
from tests.factories import PASSWORD
from tests.flow_org import Office
from tests.ws_client import Push
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_city_org(services, api)


async def run_fawen_to_the_end(office: Office, document_id: str, drafter: str = "drafter") -> dict[str, Any]:
    """核稿, 签发, 复核, 用印 by the county's people; returns the instance after the automatic steps."""
    started = await office.start(document_id, who=drafter)
    for who in ("office", "head", "office", "registrar"):
        task = await office.only_task(who, started["id"])
        await office.act(who, task["id"], opinion="同意")
    return await office.instance(started["id"], who=drafter)


# 1. Forged red headers ------------------------------------------------------------------------

async def test_a_unit_issues_only_in_its_own_name_or_an_authorising_units(office: Office) -> None:
    api, town = office.api, office.tokens["town-clerk"]
    body = {"doc_type": "通知", "title": "关于防汛的通知", "main_to": [{"unit_id": "town2"}],
            "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}
    forged = await api.post("/api/documents", {**body, "issuers": [{"unit_id": "county"}]}, token=town)
    assert forged.status == 403 and forged.body["code"] == "issuer_not_authorised"
    free_text = await api.post("/api/documents", {**body, "issuers": [{"name": "乙县人民政府", "code": "乙府"}]},
                               token=town)
    assert free_text.status == 400 and "external" in free_text.body["message"]
    with_code = await api.post("/api/documents", {**body, "issuers": [{"unit_id": "town", "code": "乙府"}]},
                               token=town)
    assert with_code.status == 400 and "机关代字" in with_code.body["message"]
    external_lead = await api.post("/api/documents", {**body, "issuers": [
        {"external": True, "name": "中共甲县县委"}, {"unit_id": "town"}]}, token=town)
    assert external_lead.status == 403 and external_lead.body["code"] == "external_lead_issuer"
    # A forged draft made before the rule, or one whose authorisation was withdrawn, still numbers nothing:
    draft = await api.post("/api/documents", {**body, "issuers": [{"unit_id": "town"}]}, token=town)
    assert draft.status == 201
    await office.services.documents.documents.update_one(
        {"_id": draft.body["id"]}, {"$set": {"content.issuers.0.unit_id": "county"}})
    refused = await api.post(f"/api/documents/{draft.body['id']}/number", {"version": draft.body["version"]},
                             token=town)
    assert refused.status == 403 and refused.body["code"] == "issuer_not_authorised"
    assert await office.services.numbers.ledger.count_documents({"code": "甲府"}) == 0


async def test_an_office_drafts_for_its_government_once_authorised_by_an_admin_over_it(office: Office) -> None:
    api = office.api
    body = {"doc_type": "通知", "title": "关于防汛的通知", "issuers": [{"unit_id": "county"}],
            "main_to": [{"unit_id": "town"}], "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}
    before = await api.post("/api/documents", body, token=office.tokens["co-clerk"])
    assert before.status == 403 and before.body["code"] == "issuer_not_authorised"
    # A town's admin may not hand the county's name to anyone.
    unit = (await api.get("/api/units/town", token=office.tokens["town-admin"])).body
    grab = await api.patch("/api/units/town", {"version": unit["version"], "drafts_for": ["county"]},
                           token=office.tokens["town-admin"])
    assert grab.status == 403
    await authorise_office(office)
    created = await api.post("/api/documents", body, token=office.tokens["co-clerk"])
    assert created.status == 201, created
    assert created.body["content"]["issuers"][0]["name"] == "甲县人民政府"
    done = await api.post(f"/api/documents/{created.body['id']}/number", {"version": created.body["version"]},
                          token=office.tokens["co-clerk"])
    assert done.status == 200 and done.body["content"]["doc_number"].startswith("甲府〔"), done


async def test_joint_issuers_consent_before_numbering_and_externals_number_nothing(office: Office) -> None:
    api, clerk = office.api, office.tokens["registrar"]
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": "关于联合开展检查的通知", "main_to": [{"unit_id": "town"}],
        "issuers": [{"unit_id": "county"}, {"unit_id": "dept-edu"}, {"external": True, "name": "中共甲县县委"}],
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}, token=clerk)
    assert created.status == 201, created
    issuers = created.body["content"]["issuers"]
    assert [issuer["code"] for issuer in issuers] == ["甲府", "甲教", ""] and issuers[2]["external"] is True
    refused = await api.post(f"/api/documents/{created.body['id']}/number", {"version": created.body["version"]},
                             token=clerk)
    assert refused.status == 409 and refused.body["code"] == "joint_issuer_consent_missing"
    assert refused.body["units"] == ["dept-edu"]


# 2. 分发 delivers exactly the resolved recipients, or says why not --------------------------------

async def test_the_flows_dispatch_reaches_every_unit_of_a_group_chosen_as_main_to(office: Office) -> None:
    api = office.api
    group = await api.post("/api/recipient-groups", TOWNS_GROUP, token=office.tokens["registrar"])
    assert group.status == 201, group
    document = await office.draft(main_to=[{"group": group.body["id"]}], copy_to=[{"unit_id": "dept-edu"},
                                                                                 {"external": True, "name": "县委办"}])
    assert document["content"]["main_to"][0]["name"] == "甲县各乡镇"  # a group prints its own name
    instance = await run_fawen_to_the_end(office, document["id"])
    assert instance["instance"]["status"] == "completed", instance["instance"].get("auto_error")
    sent = (await api.get("/api/exchange/sent", token=office.tokens["registrar"])).body["items"]
    assert len(sent) == 1 and sent[0]["total"] == 3  # town, town2 (the group) and dept-edu (抄送)
    for who in ("town-clerk", "town2-clerk", "edu-clerk"):
        inbox = (await api.get("/api/exchange/inbox", token=office.tokens[who])).body["items"]
        assert [row["document_id"] for row in inbox] == [document["id"]], who
        assert inbox[0]["issuer_name"] == "甲县人民政府"  # the 发文机关, whoever sent it


async def test_a_dispatch_that_would_reach_no_one_stops_and_tells_the_sealer(office: Office) -> None:
    api = office.api
    nobody = await api.post("/api/recipient-groups", {"name": "甲县各街道", "unit_id": "county", "selectors": [
        {"subtree": "county", "type": "街道"}]}, token=office.tokens["registrar"])
    assert nobody.status == 201, nobody
    document = await office.draft(main_to=[{"group": nobody.body["id"]}])
    sealer = await Push.connect(api.base_url, office.tokens["registrar"])
    try:
        instance = await run_fawen_to_the_end(office, document["id"])
        assert instance["instance"]["status"] == "running"
        assert instance["instance"]["auto_error"]["node"] == "dispatch"
        assert "分发失败" in instance["instance"]["auto_error"]["message"]
        event = await sealer.next_of("flow.step_failed", timeout=5)
        assert event["data"]["document_id"] == document["id"] and "分发失败" in event["data"]["message"]
    finally:
        sealer.close()
    stored = (await api.get(f"/api/documents/{document['id']}", token=office.tokens["drafter"])).body
    assert stored["status"] == "numbered"  # not marked issued


# 3. One receipt per (document, recipient, sender); one inbox entry per unit -------------------------

async def test_twenty_parallel_dispatches_deliver_once(office: Office) -> None:
    document = await numbered(office, main_to=[{"unit_id": "town"}, {"unit_id": "town2"}],
                              copy_to=[{"unit_id": "dept-edu"}])
    path = f"/api/documents/{document['id']}/dispatch"
    responses = await asyncio.gather(*(office.api.post(path, {}, token=office.tokens["registrar"])
                                       for _ in range(20)))
    assert sorted({response.status for response in responses}) == [201, 400], responses
    assert sum(response.status == 201 for response in responses) == 1
    assert all(response.body["code"] == "no_recipients" for response in responses if response.status == 400)
    receipts = office.services.exchange_log.receipts
    assert await receipts.count_documents({"document_id": document["id"]}) == 3
    for who in ("town-clerk", "town2-clerk", "edu-clerk"):
        inbox = (await office.api.get("/api/exchange/inbox", token=office.tokens[who])).body
        assert inbox["total"] == 1, who


async def test_the_database_refuses_a_second_live_delivery(office: Office) -> None:
    """The guarantee is the deliveries' unique id, not the read before it: a second row for the same
    (document, sender, unit) cannot be written, whoever tries."""
    document = await numbered(office, main_to=[{"unit_id": "town"}])
    await dispatch(office, document["id"])
    deliveries = office.services.exchange_log.deliveries
    row = await deliveries.find_one({"_id": f"{document['id']}|county|town"})
    assert row is not None
    from storage.mongo import DuplicateKeyError
    with pytest.raises(DuplicateKeyError):
        await deliveries.insert_one({"_id": row["_id"], "receipt_id": "another"})


async def test_a_town_reached_directly_and_through_its_county_has_one_inbox_entry(office: Office) -> None:
    api = office.api
    city_clerk = await office.services.users.create({
        "username": "city-clerk", "display_name": "市收发", "password": PASSWORD,
        "posts": [{"unit": "city", "title": "收发员", "roles": ["收发员", "科员"]}]})
    token = await api.login("city-clerk", PASSWORD)
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": "关于安全生产的通知", "main_to": [{"unit_id": "county"}, {"unit_id": "town"}],
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}, token=token)
    assert created.status == 201, created
    document = (await api.post(f"/api/documents/{created.body['id']}/number", {"version": 1}, token=token)).body
    sent = await api.post(f"/api/documents/{document['id']}/dispatch", {}, token=token)
    assert sent.status == 201 and sent.body["total"] == 2, sent
    county_receipt = f"{sent.body['id']}.county"
    await receipt_action(office, county_receipt, "sign", "registrar")
    forwarded = await receipt_action(office, county_receipt, "forward", "registrar", status=201,
                                     main=[{"subtree": "county", "level": "town"}], note="请遵照执行")
    assert forwarded["total"] == 2  # town (again) and town2
    inbox = (await api.get("/api/exchange/inbox", token=office.tokens["town-clerk"])).body
    assert inbox["total"] == 1, inbox
    routes = inbox["items"][0]["routes"]
    assert [route["sender_unit_name"] for route in routes] == ["测试市人民政府", "甲县人民政府"]
    assert city_clerk["_id"]


# 4. The sender keeps its own document ------------------------------------------------------------

async def test_the_sender_keeps_its_document_board_and_flow_after_a_recipient_registers(office: Office) -> None:
    api = office.api
    document = await office.draft(main_to=[{"unit_id": "town"}])
    instance = await run_fawen_to_the_end(office, document["id"])
    own_flow = instance["instance"]["id"]
    receipt = f"{(await api.get('/api/exchange/sent', token=office.tokens['registrar'])).body['items'][0]['id']}.town"
    await receipt_action(office, receipt, "sign", "town-clerk")
    registered = await receipt_action(office, receipt, "register", "town-clerk")
    town_flow = registered["instance_id"]
    for who in ("drafter", "registrar"):
        flows = (await api.get(f"/api/documents/{document['id']}/flows", token=office.tokens[who])).body["items"]
        assert [flow["id"] for flow in flows] == [own_flow], who
        assert (await api.get(f"/api/documents/{document['id']}", token=office.tokens[who])).status == 200
        assert (await api.get(f"/api/instances/{own_flow}", token=office.tokens[who])).status == 200
        assert (await api.get(f"/api/instances/{town_flow}", token=office.tokens[who])).status == 404
    # What the sender sees of the town's record is the exchange between them, not the town's handling.
    seen = (await api.get(f"/api/receipts/{receipt}", token=office.tokens["registrar"])).body
    assert seen["status"] == "handling" and "registration" not in seen and "instance_id" not in seen
    assert [entry["action"] for entry in seen["history"]] == ["sign"]
    own = (await api.get(f"/api/receipts/{receipt}", token=office.tokens["town-clerk"])).body
    assert own["registration"]["text"] and own["instance_id"] == town_flow
    # The town sees the issued document and its own flow, never the drafting history.
    town = office.tokens["town-clerk"]
    issued = await api.get(f"/api/documents/{document['id']}", token=town)
    assert issued.status == 200 and issued.body["side"] == "receiving" and "participants" not in issued.body
    assert issued.body["content"]["doc_number"]
    assert (await api.get(f"/api/documents/{document['id']}", token=office.tokens["drafter"])).body["side"] \
        == "drafting"
    assert [flow["id"] for flow in (await api.get(f"/api/documents/{document['id']}/flows", token=town)
                                    ).body["items"]] == [town_flow]
    for path in ("revisions", "revisions/1", "diff"):
        assert (await api.get(f"/api/documents/{document['id']}/{path}", token=town)).status == 404, path


# 5. Participants act only in their place ----------------------------------------------------------

async def test_a_countersigner_cannot_start_a_flow_in_the_drafting_unit(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"], countersign_units=["dept-edu"])
    await office.act("office", (await office.only_task("office"))["id"])
    assert (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["edu"])).status == 200
    for flow in ("shouwen", "chuanyue", "fawen"):
        response = await office.api.post("/api/instances", {"flow": flow, "document_id": document["id"]},
                                         token=office.tokens["edu"])
        assert response.status == 403, (flow, response)


async def test_forwarding_stays_in_the_forwarders_subtree(office: Office) -> None:
    document = await numbered(office, main_to=[{"unit_id": "town"}])
    sent = await dispatch(office, document["id"])
    receipt = f"{sent['id']}.town"
    await receipt_action(office, receipt, "sign", "town-clerk")
    response = await office.api.post(f"/api/receipts/{receipt}/forward", {"main": [{"unit": "town-b"}]},
                                     token=office.tokens["town-clerk"])
    assert response.status == 403 and response.body["code"] == "forward_outside_subtree"


async def test_a_private_group_is_usable_by_its_unit_only(office: Office) -> None:
    api = office.api
    private = await api.post("/api/recipient-groups", {"name": "乙县自用", "unit_id": "county-b",
                                                       "selectors": [{"unit": "town-b"}]},
                             token=office.tokens["b-clerk"])
    assert private.status == 201, private
    draft = await api.post("/api/documents", {"doc_type": "通知", "title": "t", "main_to": [
        {"group": private.body["id"]}]}, token=office.tokens["registrar"])
    assert draft.status == 400 and draft.body["code"] == "unknown_group"
    document = await numbered(office)
    response = await api.post(f"/api/documents/{document['id']}/dispatch", {"main": [{"group": private.body["id"]}]},
                              token=office.tokens["registrar"])
    assert response.status == 400 and response.body["code"] == "unknown_group"
    preview = await api.post("/api/recipients/resolve", {"selectors": [{"group": private.body["id"]}]},
                             token=office.tokens["registrar"])
    assert preview.status == 400
    own = await api.post("/api/recipients/resolve", {"selectors": [{"group": private.body["id"]}]},
                         token=office.tokens["b-clerk"])
    assert own.status == 200 and own.body["unit_ids"] == ["town-b"]


async def test_mobile_numbers_only_for_the_same_unit_and_its_admins(office: Office) -> None:
    api = office.api

    async def mobile_of(viewer: str, username: str) -> Any:
        found = (await api.get(f"/api/users?q={username}", token=office.tokens[viewer])).body["items"]
        return next(person for person in found if person["username"] == username)["mobile"]

    assert await mobile_of("co-head", "co-clerk") == "13800000000"      # same unit
    assert await mobile_of("cityadmin", "co-clerk") == "13800000000"    # admin of an ancestor
    assert await mobile_of("townb-clerk", "co-clerk") is None           # another county's town
    assert await mobile_of("town-admin", "co-clerk") is None            # an admin, but not over that unit


async def test_a_sender_recalls_a_dispatch_sent_to_the_wrong_units(office: Office, monkeypatch: Any) -> None:
    # One receipt to a transaction, as a recall of more than RECALL_CHUNK units runs: the answer covers all.
    monkeypatch.setattr(recall_module, "RECALL_CHUNK", 1)
    api = office.api
    document = await numbered(office, main_to=[{"unit_id": "town"}, {"unit_id": "town2"}])
    sent = await dispatch(office, document["id"])
    await receipt_action(office, f"{sent['id']}.town2", "sign", "town2-clerk")
    town = await Push.connect(api.base_url, office.tokens["town-clerk"])
    try:
        recalled = await api.post(f"/api/dispatches/{sent['id']}/recall", {"reason": "主送单位选错"},
                                  token=office.tokens["registrar"])
        assert recalled.status == 200, recalled
        assert recalled.body["withdrawn"] == ["town"] and recalled.body["noticed"] == ["town2"]
        event = await town.next_of("exchange.recalled", timeout=5)
        assert event["data"]["withdrawn"] is True and event["data"]["reason"] == "主送单位选错"
    finally:
        town.close()
    assert (await api.get("/api/exchange/inbox", token=office.tokens["town-clerk"])).body["total"] == 0
    assert (await api.get(f"/api/documents/{document['id']}", token=office.tokens["town-clerk"])).status == 404
    board = (await api.get(f"/api/dispatches/{sent['id']}/receipts", token=office.tokens["registrar"])).body
    rows = {row["unit_id"]: row for row in board["items"]}
    assert rows["town"]["status"] == "recalled" and board["counts"]["recalled"] == 1
    assert rows["town2"]["status"] == "signed" and rows["town2"]["recall"]["acknowledged_at"] is None
    stranger = await api.post(f"/api/receipts/{sent['id']}.town2/acknowledge-recall", {},
                              token=office.tokens["town-clerk"])
    assert stranger.status == 404
    acknowledged = await receipt_action(office, f"{sent['id']}.town2", "acknowledge-recall", "town2-clerk")
    assert acknowledged["recall"]["acknowledged_by"]["name"] == "罗收发"
    # Withdrawn, the town may be sent the document again (to the right address this time).
    again = await dispatch(office, document["id"], main=[{"unit": "town"}])
    assert again["total"] == 1
