"""公文交换 on a small county: dispatch rules, sign-for, 退文, 登记 into the 收文 flow, 催办 per
unit, idempotency, a crash half-way through a dispatch, paper documents and 会办."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flows.exchange.delivery import ChunkDelivery
from flows.exchange.dispatch import DispatchService
from oa.clock import utcnow
from tests.client import ApiClient
from tests.exchange_org import RECEIVERS, build_exchange, dispatch, numbered, receipt_action
from tests.flow_org import Office
from tests.ws_client import Push
from web.services import Services

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_exchange(services, api)


async def test_selectors_choose_units_and_bad_ones_are_named(office: Office) -> None:
    document = await numbered(office)
    refused = await dispatch(office, document["id"], 400, main=[{"subtree": "county", "level": "village"}])
    assert "main[0]: level must be one of city, county, town" in refused["message"]
    refused = await dispatch(office, document["id"], 400, main=[{"unit": "nowhere"}])
    assert "main[0]: unit nowhere does not exist" in refused["message"]
    refused = await dispatch(office, document["id"], 400, main=[{"unit": "county"}])  # only the sender itself
    assert refused["code"] == "no_recipients"
    sent = await dispatch(office, document["id"], main=[{"subtree": "county", "level": "town"}],
                          copy=[{"subtree": "county", "type": "部门"}, {"unit": "town"}])
    assert sent["total"] == 4 and sent["counts"]["pending"] == 4
    board = await office.api.get(f"/api/dispatches/{sent['id']}/receipts", token=office.tokens["registrar"])
    roles = {row["unit_id"]: row["role"] for row in board.body["items"]}
    assert roles == {"town": "main", "town2": "main", "dept-edu": "copy", "dept-fin": "copy"}
    # Sending the same document again reaches nobody new.
    again = await dispatch(office, document["id"], 400, main=[{"unit": "town"}])
    assert again["code"] == "no_recipients" and again["already_sent"] == 1


async def test_only_a_numbered_document_goes_out_and_by_default_to_its_own_recipients(office: Office) -> None:
    draft = await office.draft("registrar", copy_to=[{"unit_id": "dept-edu"}])
    refused = await dispatch(office, draft["id"], 409, main=[{"unit": "town"}])
    assert refused["code"] == "not_dispatchable"
    document = await numbered(office, copy_to=[{"unit_id": "dept-edu"}])
    sent = await dispatch(office, document["id"])  # main_to town, copy_to dept-edu from the document
    assert sent["total"] == 2
    shown = await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["registrar"])
    assert shown.body["status"] == "issued"
    # A 科员 of the sending unit may read the board but not dispatch or urge.
    assert (await office.api.get(f"/api/dispatches/{sent['id']}", token=office.tokens["drafter"])).status == 200
    urge = await office.api.post(f"/api/dispatches/{sent['id']}/urge", {}, token=office.tokens["drafter"])
    assert urge.status == 404


async def test_idempotency_key_replays_and_refuses_a_different_request(office: Office) -> None:
    document = await numbered(office)
    first = await dispatch(office, document["id"], main=[{"unit": "town"}], idempotency_key="k-1")
    replay = await dispatch(office, document["id"], main=[{"unit": "town"}], idempotency_key="k-1")
    assert replay["id"] == first["id"]
    other = await dispatch(office, document["id"], 409, main=[{"unit": "town2"}], idempotency_key="k-1")
    assert other["code"] == "idempotency_key_reused"
    # The header works as well as the body field.
    response = await office.api.post(f"/api/documents/{document['id']}/dispatch", {"main": [{"unit": "town"}]},
                                     token=office.tokens["registrar"], headers={"Idempotency-Key": "k-1"})
    assert response.status == 201 and response.body["id"] == first["id"]
    receipts = await office.services.mongo["receipts"].count_documents({"document_id": document["id"]})
    assert receipts == 1


async def test_a_dispatch_cut_off_half_way_finishes_on_restart(office: Office, services: Services,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    document = await numbered(office)
    user = await services.users.get(office.ids["registrar"])
    monkeypatch.setattr(DispatchService, "chunk_size", 1)
    delivered = 0
    original = ChunkDelivery.deliver

    async def dies_after_two(self: ChunkDelivery, dispatch: dict, chunk: list, now: datetime) -> None:
        nonlocal delivered
        if delivered == 2:
            raise SystemError("process killed")
        delivered += 1
        await original(self, dispatch, chunk, now)

    monkeypatch.setattr(ChunkDelivery, "deliver", dies_after_two)
    with pytest.raises(SystemError):
        await services.dispatches.do_dispatch(document["id"], user, main=[{"subtree": "county"}],
                                              idempotency_key="crash")
    stored = await services.mongo["dispatches"].find_one({"idempotency_key": "crash"})
    assert stored["status"] == "delivering"
    assert await services.mongo["receipts"].count_documents({"dispatch_id": stored["_id"]}) == 2

    restarted = DispatchService(services.mongo, services.orgs, services.documents, services.recipients,
                                services.calendars, services.exchange_log, timedelta(minutes=30))
    # While it still cannot be finished (delivery keeps failing), a restart logs it and goes on: one such
    # dispatch must not stop the start-up (a crash loop) nor the other dispatches; the next round retries.
    assert await restarted.resume_unfinished() == 0
    assert (await services.mongo["dispatches"].find_one({"_id": stored["_id"]}))["status"] == "delivering"
    monkeypatch.setattr(ChunkDelivery, "deliver", original)
    assert await restarted.resume_unfinished() == 1
    finished = await services.mongo["dispatches"].find_one({"_id": stored["_id"]})
    assert finished["status"] == "delivered"
    assert (await services.exchange_log.counts.of(stored["_id"]))["pending"] == 4
    units = [row["unit_id"] async for row in services.mongo["receipts"].find({"dispatch_id": stored["_id"]})]
    assert sorted(units) == ["dept-edu", "dept-fin", "town", "town2"]
    assert await restarted.resume_unfinished() == 0
    # Each recipient's clerk was told exactly once.
    for clerk in RECEIVERS.values():
        told = await services.mongo["events"].count_documents({"user_id": office.ids[clerk],
                                                               "type": "exchange.received"})
        assert told == 1, clerk


async def test_two_replicas_delivering_one_dispatch_and_a_unit_reached_before_each_count_once(
        office: Office, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk writes without reading back first; what another delivery wrote meanwhile is refused by the
    unique receipt ids and delivery keys, and the chunk is then written again knowing what is there."""
    document = await numbered(office)
    user = await services.users.get(office.ids["registrar"])
    monkeypatch.setattr(DispatchService, "chunk_size", 1)
    first = await services.dispatches.do_dispatch(document["id"], user, main=[{"unit": "town"}])
    assert first["total"] == 1

    # A dispatch record naming a unit this sender reached already (as two requests racing past the
    # check before the dispatch would), left half-delivered, then finished by two replicas at once.
    replicas = [DispatchService(services.mongo, services.orgs, services.documents, services.recipients,
                                services.calendars, services.exchange_log, timedelta(minutes=30)) for _ in range(2)]
    racing = await services.mongo["dispatches"].find_one({"_id": first["_id"]})
    racing.update(_id="racing", idempotency_key="racing", status="delivering", total=4, skipped=[],
                  recipients=[{"unit_id": unit, "role": "main"} for unit in ("town", "town2", "dept-edu", "dept-fin")])
    await services.mongo["dispatches"].insert_one(racing)
    results = await asyncio.gather(*(replica.deliver("racing") for replica in replicas))

    for result in results:
        assert result["status"] == "delivered"
    stored = await services.mongo["dispatches"].find_one({"_id": "racing"})
    assert stored["skipped"] == ["town"] and stored["total"] == 3
    units = sorted([row["unit_id"] async for row in services.mongo["receipts"].find({"dispatch_id": "racing"})])
    assert units == ["dept-edu", "dept-fin", "town2"]
    for unit, clerk in RECEIVERS.items():
        told = await services.mongo["events"].count_documents({"user_id": office.ids[clerk],
                                                               "type": "exchange.received"})
        assert told == 1, unit


async def test_sign_return_and_the_sender_sees_each_live(office: Office) -> None:
    document = await numbered(office)
    sender = await Push.connect(office.api.base_url, office.tokens["registrar"])
    sent = await dispatch(office, document["id"], main=[{"unit": "town"}, {"unit": "town2"}])
    delivered = await sender.next_of("exchange.delivered")
    assert delivered["data"]["counts"]["pending"] == 2
    town, town2 = f"{sent['id']}.town", f"{sent['id']}.town2"

    signed = await receipt_action(office, town, "sign", "town-clerk")
    assert signed["signed_by"]["name"] == "林收发" and signed["signed_at"]
    again = await receipt_action(office, town, "sign", "town-clerk", 409)
    assert again["code"] == "receipt_state" and again["receipt_status"] == "signed"
    assert (await receipt_action(office, town2, "return", "town2-clerk", 400))["message"]
    returned = await receipt_action(office, town2, "return", "town2-clerk", reason="非我镇职责范围，请核实主送单位")
    assert returned["status"] == "returned"

    first, second = await sender.next_of("exchange.receipt"), await sender.next_of("exchange.receipt")
    assert (first["data"]["unit_id"], first["data"]["status"]) == ("town", "signed")
    assert second["data"]["return_reason"] == "非我镇职责范围，请核实主送单位"
    # The events carry rows, not totals (the board tallies them); the board's own counts are exact.
    assert "counts" not in second["data"]
    board = await office.api.get(f"/api/dispatches/{sent['id']}/receipts", token=office.tokens["registrar"])
    assert board.body["counts"] == {"pending": 0, "signed": 1, "returned": 1, "handling": 0, "closed": 0,
                                    "recalled": 0}
    shown = await office.api.get(f"/api/receipts/{town2}", token=office.tokens["registrar"])
    assert [entry["action"] for entry in shown.body["history"]] == ["return"]
    # Another town's clerk cannot act on this town's document, nor see it.
    assert (await receipt_action(office, town, "return", "town2-clerk", 404, reason="x"))
    assert (await office.api.get(f"/api/receipts/{town}", token=office.tokens["town2-clerk"])).status == 404
    sender.close()


async def test_registration_numbers_per_unit_and_the_shouwen_flow_runs_to_closed(office: Office) -> None:
    sent = [await dispatch(office, (await numbered(office))["id"], main=[{"unit": "town"}]) for _ in range(3)]
    receipts = [f"{item['id']}.town" for item in sent]
    for receipt in receipts:
        await receipt_action(office, receipt, "sign", "town-clerk")
    registered = await asyncio.gather(*(receipt_action(office, receipt, "register", "town-clerk")
                                        for receipt in receipts))
    assert sorted(item["registration"]["seq"] for item in registered) == [1, 2, 3]
    assert all(item["registration"]["text"].startswith("收〔") for item in registered)
    refused = await receipt_action(office, receipts[0], "register", "town-clerk", 409)
    assert refused["code"] == "receipt_state"

    # The 收文 flow started with 登记 done; its next step is the town office's 拟办.
    flow = registered[0]["instance_id"]
    instance = await office.instance(flow, "town-clerk")
    assert instance["instance"]["unit_id"] == "town" and instance["instance"]["node"] == "propose"
    task = await office.only_task("town-office", flow)
    await office.act("town-office", task["id"], opinion="拟请陈镇长阅示")
    task = await office.only_task("town-head", flow)
    await office.act("town-head", task["id"], opinion="请党政办办理", variables={"lead_unit": "town"})
    task = await office.only_task("town-office", flow)
    await office.act("town-office", task["id"], opinion="已办理")
    task = await office.only_task("town-clerk", flow)
    await office.act("town-clerk", task["id"], opinion="办结")
    closed = await office.api.get(f"/api/receipts/{receipts[0]}", token=office.tokens["town-clerk"])
    assert closed.body["status"] == "closed" and closed.body["closed_at"]
    # A 批办 that names no 承办 unit: the receiving unit handles it itself, its 办公室主任 takes the 承办.
    second = registered[1]["instance_id"]
    await office.act("town-office", (await office.only_task("town-office", second))["id"], opinion="拟请阅示")
    await office.act("town-head", (await office.only_task("town-head", second))["id"], opinion="请办理")
    handling = await office.only_task("town-office", second)
    assert handling["node"] == "handle", handling
    board = await office.api.get(f"/api/dispatches/{sent[0]['id']}", token=office.tokens["registrar"])
    assert board.body["counts"]["closed"] == 1
    # The town reads the document it received; a unit that did not receive it does not.
    document_id = closed.body["document_id"]
    assert (await office.api.get(f"/api/documents/{document_id}", token=office.tokens["town-head"])).status == 200
    assert (await office.api.get(f"/api/documents/{document_id}", token=office.tokens["fin"])).status == 404


async def test_urging_one_unit_and_the_interval(office: Office, services: Services) -> None:
    document = await numbered(office)
    sent = await dispatch(office, document["id"], main=[{"unit": "town"}, {"unit": "town2"}])
    town_push = await Push.connect(office.api.base_url, office.tokens["town-clerk"])
    town2_push = await Push.connect(office.api.base_url, office.tokens["town2-clerk"])
    urged = await receipt_action(office, f"{sent['id']}.town", "urge", "registrar", message="请今天签收")
    assert urged["urged"] == ["town"]
    assert (await town_push.next_of("exchange.urged"))["data"]["message"] == "请今天签收"
    assert await town2_push.nothing_within(0.3)
    # The whole dispatch: town is refused for now (and named), town2 is urged.
    urged = await office.api.post(f"/api/dispatches/{sent['id']}/urge", {}, token=office.tokens["registrar"])
    assert urged.body["urged"] == ["town2"] and [item["unit_id"] for item in urged.body["refused"]] == ["town"]
    refused = await receipt_action(office, f"{sent['id']}.town", "urge", "registrar", 409)
    assert refused["code"] == "urge_too_soon" and "Beijing time" in refused["message"]
    # After the interval it is allowed again.
    await services.mongo["receipts"].update_many({"dispatch_id": sent["id"]},
                                                 {"$set": {"last_urged_at": utcnow() - timedelta(minutes=31)}})
    again = await receipt_action(office, f"{sent['id']}.town", "urge", "registrar")
    assert again["urged"] == ["town"]
    audit = await services.mongo["exchange_audit"].count_documents({"action": "urge", "unit_id": "town"})
    assert audit == 2
    town_push.close()
    town2_push.close()


async def test_a_paper_document_is_registered_from_its_scan(office: Office, tmp_path: Path) -> None:
    draft = await office.draft("town-clerk", unit_id="town", title="关于报送防汛物资储备情况的函")
    no_scan = await office.api.post(f"/api/documents/{draft['id']}/receive-paper", {
        "version": draft["version"], "origin": {"sender_name": "乙县应急管理局"}}, token=office.tokens["town-clerk"])
    assert no_scan.status == 400 and no_scan.body["code"] == "scan_required"
    upload = await office.api.request("POST", f"/api/documents/{draft['id']}/attachments?name=scan.pdf",
                                      raw=PDF, token=office.tokens["town-clerk"],
                                      headers={"Content-Type": "application/pdf"})
    assert upload.status == 201, upload
    current = await office.api.get(f"/api/documents/{draft['id']}", token=office.tokens["town-clerk"])
    paper = await office.api.post(f"/api/documents/{draft['id']}/receive-paper", {
        "version": current.body["version"],
        "origin": {"sender_name": "乙县应急管理局", "doc_number": "乙应急函〔2026〕7号",
                   "received_date": "2026-11-20"}},
        token=office.tokens["town-clerk"])
    assert paper.status == 201, paper
    assert paper.body["kind"] == "paper" and paper.body["status"] == "signed"
    assert paper.body["sender_unit_name"] == "乙县应急管理局"
    registered = await receipt_action(office, paper.body["id"], "register", "town-clerk")
    assert registered["registration"]["seq"] == 1 and registered["instance_id"]
    assert (await receipt_action(office, paper.body["id"], "return", "town-clerk", 409, reason="x"))
    inbox = await office.api.get("/api/exchange/inbox?unit_id=town", token=office.tokens["town-clerk"])
    assert [item["id"] for item in inbox.body["items"]] == [paper.body["id"]]


async def test_joint_handling_opinions_go_to_the_lead_and_the_lead_answers(office: Office) -> None:
    document = await numbered(office, doc_type="函", title="关于征求《森林防火工作方案》意见的函")
    sent = await dispatch(office, document["id"], handling={"lead": "dept-edu", "co": ["dept-fin", "town"]})
    lead, co_fin = f"{sent['id']}.dept-edu", f"{sent['id']}.dept-fin"
    lead_push = await Push.connect(office.api.base_url, office.tokens["edu-clerk"])
    assert (await receipt_action(office, lead, "opinion", "edu-clerk", 409, opinion="x"))["code"] == "not_co_handler"
    await receipt_action(office, co_fin, "sign", "fin-clerk")
    closed = await receipt_action(office, co_fin, "opinion", "fin-clerk", opinion="经费由县财政统筹安排。")
    assert closed["status"] == "closed" and closed["opinion"]["text"] == "经费由县财政统筹安排。"
    told = await lead_push.next_of("exchange.opinion")
    assert told["data"]["opinion"] == "经费由县财政统筹安排。" and told["data"]["from_unit_name"] == "甲县财政局"
    shown = await office.api.get(f"/api/receipts/{lead}", token=office.tokens["edu-clerk"])
    opinions = {row["unit_id"]: row["opinion"] for row in shown.body["co_opinions"]}
    assert opinions["dept-fin"]["text"] == "经费由县财政统筹安排。" and opinions["town"] is None

    await receipt_action(office, lead, "sign", "edu-clerk")
    answer = await office.draft("edu-clerk", unit_id="dept-edu", doc_type="会办意见",
                                title="关于森林防火工作方案的会办意见", main_to=[{"unit_id": "county"}])
    numbered_answer = await office.api.post(f"/api/documents/{answer['id']}/number", {"version": answer["version"]},
                                            token=office.tokens["edu-clerk"])
    assert numbered_answer.status == 200, numbered_answer
    reply = await receipt_action(office, lead, "reply", "edu-clerk", 201, document_id=answer["id"])
    assert reply["kind"] == "reply" and reply["reply_to"] == lead and reply["total"] == 1
    inbox = await office.api.get("/api/exchange/inbox?unit_id=county", token=office.tokens["registrar"])
    assert inbox.body["items"][0]["document_id"] == answer["id"]
    lead_after = await office.api.get(f"/api/receipts/{lead}", token=office.tokens["edu-clerk"])
    assert lead_after.body["status"] == "closed" and lead_after.body["reply_dispatch_id"] == reply["id"]
    lead_push.close()


async def test_statistics_json_and_csv(office: Office, services: Services) -> None:
    for _ in range(2):
        sent = await dispatch(office, (await numbered(office))["id"], main=[{"unit": "town"}, {"unit": "town2"}])
        await receipt_action(office, f"{sent['id']}.town", "sign", "town-clerk")
    # One of town2's is long overdue.
    await services.mongo["receipts"].update_one({"_id": f"{sent['id']}.town2"},
                                                {"$set": {"due_at": utcnow() - timedelta(hours=1)}})
    stats = await office.api.get("/api/exchange/stats?unit_id=county&children=1", token=office.tokens["head"])
    assert stats.status == 200, stats
    rows = {row["unit_id"]: row for row in stats.body["items"]}
    assert rows["county"]["sent"] == 2 and rows["county"]["sent_copies"] == 4
    assert rows["town"]["received"] == 2 and rows["town"]["signed_in_time"] == 2
    assert rows["town"]["avg_sign_minutes"] is not None
    assert rows["town2"]["received"] == 2 and rows["town2"]["overdue_unsigned"] == 1
    csv = await office.api.request("GET", "/api/exchange/stats?unit_id=county&children=1&format=csv",
                                   token=office.tokens["head"])
    assert csv.status == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert csv.body.startswith("\ufeff")  # so Excel reads it as UTF-8
    text = csv.body[1:].splitlines()
    assert text[0].startswith("单位,单位编号,发文次数")
    assert any(line.startswith("甲二镇人民政府,town2,0,0,2") for line in text)
    # A town's head sees its own figures, not the county's.
    assert (await office.api.get("/api/exchange/stats?unit_id=county", token=office.tokens["town-head"])).status == 404
    assert (await office.api.get("/api/exchange/stats?unit_id=town", token=office.tokens["town-head"])).status == 200


async def test_saved_groups_address_documents_and_follow_the_org(office: Office) -> None:
    api, clerk = office.api, office.tokens["registrar"]
    group = await api.post("/api/recipient-groups", {"name": "县直各部门", "unit_id": "county",
                                                     "selectors": [{"subtree": "county", "type": "部门"}]}, token=clerk)
    assert group.status == 201, group
    bad = await api.post("/api/recipient-groups", {"name": "坏", "unit_id": "county",
                                                   "selectors": [{"group": group.body["id"]}]}, token=clerk)
    assert bad.status == 400 and "cannot contain another group" in bad.body["message"]
    # Only platform admins keep platform-wide groups; a town clerk cannot write the county's.
    platform = await api.post("/api/recipient-groups", {"name": "全部", "selectors": [{"level": "town"}]}, token=clerk)
    assert platform.status == 403
    town = await api.post("/api/recipient-groups", {"name": "x", "unit_id": "county", "selectors": [{"level": "town"}]},
                          token=office.tokens["town-clerk"])
    assert town.status == 403
    preview = await api.post("/api/recipients/resolve", {"selectors": [{"group": group.body["id"]}]}, token=clerk)
    assert preview.body == {"total": 2, "unit_ids": ["dept-edu", "dept-fin"]}
    # A department created later is in the group from then on.
    await office.services.orgs.create({"id": "dept-env", "name": "甲县生态环境局", "type": "部门", "level": "county",
                                       "parent_id": "county"})
    document = await numbered(office)
    sent = await dispatch(office, document["id"], main=[{"group": group.body["id"]}])
    assert sent["total"] == 3
    listed = await api.get("/api/recipient-groups", token=clerk)
    assert [item["name"] for item in listed.body["items"]] == ["县直各部门"]
    assert (await api.request("DELETE", f"/api/recipient-groups/{group.body['id']}", token=clerk)).status == 204
    assert (await api.get("/api/recipient-groups", token=clerk)).body["items"] == []


async def test_a_letter_counts_in_its_organs_letter_series(office: Office) -> None:
    """A 函 is numbered 代字 + 函 (甲府函〔2026〕1号), apart from the organ's 通知: neither uses the other's numbers."""
    letter = await numbered(office, doc_type="函", title="关于商请协助做好森林防火工作的函")
    notice = await numbered(office, title="关于做好森林防火工作的通知")
    second_letter = await numbered(office, doc_type="函", title="关于商请调拨防火物资的函")
    year = letter["number"]["year"]
    assert letter["content"]["doc_number"] == f"甲府函〔{year}〕1号"
    assert notice["content"]["doc_number"] == f"甲府〔{year}〕1号"
    assert second_letter["content"]["doc_number"] == f"甲府函〔{year}〕2号"
