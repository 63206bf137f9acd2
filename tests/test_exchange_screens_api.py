"""The API behind the clerks' exchange screens: 批量签收 with a result per receipt, 传阅 of a received
document among the unit's people, 转发 refused outside the forwarder's subtree, and the 督办 board
(overdue and due-soon tasks and receipts of a unit and below it, 催办 by row, CSV for Excel)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from oa.clock import utcnow
from tests.client import ApiClient
from tests.exchange_org import build_exchange, dispatch, numbered, receipt_action
from web.services import Services


async def test_batch_sign_answers_each_receipt(services: Services, api: ApiClient) -> None:
    office = await build_exchange(services, api)
    first = await numbered(office, title="关于开展冬季安全生产检查的通知")
    second = await numbered(office, title="关于做好寒潮天气防御工作的通知")
    third = await numbered(office, title="关于报送年度工作总结的通知")
    sent = [await dispatch(office, doc["id"], main=[{"unit": "town"}, {"unit": "town2"}])
            for doc in (first, second, third)]
    # The sender takes the third back from 甲一镇 before it is signed for.
    recalled = await api.post(f"/api/dispatches/{sent[2]['id']}/recall", {"reason": "发错了", "unit_ids": ["town"]},
                              token=office.tokens["registrar"])
    assert recalled.status == 200, recalled
    ids = [f"{item['id']}.town" for item in sent]
    elsewhere = f"{sent[0]['id']}.town2"  # 甲二镇's: not 甲一镇's clerk's to sign
    answer = await api.post("/api/exchange/sign", {"receipt_ids": [*ids, elsewhere]}, token=office.tokens["town-clerk"])
    assert answer.status == 200, answer
    results = {item["receipt_id"]: item for item in answer.body["items"]}
    assert answer.body["signed"] == 2
    assert results[ids[0]]["ok"] and results[ids[0]]["status"] == "signed"
    assert results[ids[1]]["ok"]
    assert not results[ids[2]]["ok"] and results[ids[2]]["code"] == "receipt_state"
    assert not results[elsewhere]["ok"] and results[elsewhere]["code"] == "not_found"
    # The sender's board shows the two signed, by the clerk who signed them.
    board = await api.get(f"/api/dispatches/{sent[0]['id']}/receipts", token=office.tokens["registrar"])
    rows = {row["unit_id"]: row for row in board.body["items"]}
    assert rows["town"]["status"] == "signed" and rows["town"]["signed_by"]["name"] == "林收发"
    assert rows["town2"]["status"] == "pending"
    # Signing again is refused per receipt, not as a whole.
    again = await api.post("/api/exchange/sign", {"receipt_ids": ids[:1]}, token=office.tokens["town-clerk"])
    assert again.body["items"][0]["code"] == "receipt_state" and again.body["signed"] == 0
    empty = await api.post("/api/exchange/sign", {"receipt_ids": []}, token=office.tokens["town-clerk"])
    assert empty.status == 400 and empty.body["field"] == "receipt_ids"


async def test_circulate_a_received_document_among_the_unit(services: Services, api: ApiClient) -> None:
    office = await build_exchange(services, api)
    doc = await numbered(office, title="关于加强冬季森林防火工作的通知")
    sent = await dispatch(office, doc["id"], main=[{"unit": "town2"}])
    receipt_id = f"{sent['id']}.town2"
    readers = [office.ids["town2-head"]]
    early = await api.post(f"/api/receipts/{receipt_id}/circulate", {"readers": readers},
                           token=office.tokens["town2-clerk"])
    assert early.status == 409 and early.body["code"] == "receipt_state"
    await receipt_action(office, receipt_id, "sign", "town2-clerk")
    outside = await api.post(f"/api/receipts/{receipt_id}/circulate", {"readers": [office.ids["head"]]},
                             token=office.tokens["town2-clerk"])
    assert outside.status == 400 and outside.body["code"] == "reader_outside_unit"
    started = await api.post(f"/api/receipts/{receipt_id}/circulate", {"readers": readers},
                             token=office.tokens["town2-clerk"])
    assert started.status == 201, started
    assert started.body["category"] == "传阅" and started.body["unit_id"] == "town2"
    task = await office.only_task("town2-head")
    assert task["node_name"] == "阅文" and task["action_label"] == "已阅"
    opened = await api.get(f"/api/documents/{doc['id']}", token=office.tokens["town2-head"])
    assert opened.status == 200  # the reader may read what is passed to them
    await office.act("town2-head", task["id"], "read", opinion="请党政办抓好落实")
    view = await api.get(f"/api/instances/{started.body['id']}", token=office.tokens["town2-clerk"])
    assert view.status == 200 and view.body["instance"]["status"] == "completed"
    reading = [item for item in view.body["tasks"] if item["node"] == "read"]
    assert reading[0]["outcome"] == "read" and reading[0]["opinion"] == "请党政办抓好落实"
    mine = await api.get("/api/circulations", token=office.tokens["town2-clerk"])
    assert [item["id"] for item in mine.body["items"]] == [started.body["id"]] and mine.body["total"] == 1
    assert (await api.get("/api/circulations", token=office.tokens["town-clerk"])).body["total"] == 0
    # The clerk of another unit may not start one on this receipt.
    foreign = await api.post(f"/api/receipts/{receipt_id}/circulate", {"readers": readers},
                             token=office.tokens["town-clerk"])
    assert foreign.status == 404


async def test_forward_to_chosen_units_stays_inside_the_subtree(services: Services, api: ApiClient) -> None:
    office = await build_exchange(services, api)
    doc = await numbered(office, title="关于转发防汛工作意见的通知")
    sent = await dispatch(office, doc["id"], main=[{"unit": "dept-edu"}])
    receipt_id = f"{sent['id']}.dept-edu"
    await receipt_action(office, receipt_id, "sign", "edu-clerk")
    refused = await api.post(f"/api/receipts/{receipt_id}/forward", {"main": [{"unit": "town"}, {"unit": "town2"}]},
                             token=office.tokens["edu-clerk"])
    assert refused.status == 403 and refused.body["code"] == "forward_outside_subtree"
    assert "甲一镇人民政府" in refused.body["message"] and set(refused.body["units"]) == {"town", "town2"}


async def test_the_supervision_board_urges_and_exports(services: Services, api: ApiClient) -> None:
    office = await build_exchange(services, api)
    # Sent ten days ago: the sign-for deadline (a working day) is long past.
    past = utcnow() - timedelta(days=10)
    services.dispatches.clock = lambda: past
    late = await numbered(office, title="关于开展安全生产大检查的通知")
    sent = await dispatch(office, late["id"], main=[{"unit": "town"}, {"unit": "town2"}])
    services.dispatches.clock = utcnow
    # A 传阅 in 甲二镇: its reading task is due within a working day or so.
    fresh = await numbered(office, title="关于做好元旦春节期间有关工作的通知")
    other = await dispatch(office, fresh["id"], main=[{"unit": "town2"}])
    await receipt_action(office, f"{other['id']}.town2", "sign", "town2-clerk")
    await api.post(f"/api/receipts/{other['id']}.town2/circulate", {"readers": [office.ids["town2-head"]]},
                   token=office.tokens["town2-clerk"])

    board = await api.get("/api/supervision?unit_id=county&within=168", token=office.tokens["office"])
    assert board.status == 200, board
    rows = {(row["kind"], row["unit_id"], row["title"]): row for row in board.body["items"]}
    town_row = rows[("receipt", "town", "关于开展安全生产大检查的通知")]
    assert town_row["overdue"] and [p["name"] for p in town_row["people"]] == ["林收发"]
    reading = rows[("task", "town2", "关于做好元旦春节期间有关工作的通知")]
    assert not reading["overdue"] and [p["name"] for p in reading["people"]] == ["高镇长"]
    assert {entry["name"] for entry in board.body["by_unit"]} >= {"甲一镇人民政府", "甲二镇人民政府"}
    assert board.body["truncated"] is False
    # The town's own office sees only its town; someone of the town is not the county's office.
    town_board = await api.get("/api/supervision?unit_id=town&within=168", token=office.tokens["town-office"])
    assert {row["unit_id"] for row in town_board.body["items"]} == {"town"}
    assert (await api.get("/api/supervision?unit_id=county", token=office.tokens["town-office"])).status == 403
    assert (await api.get("/api/supervision?unit_id=county&within=x", token=office.tokens["office"])).status == 400

    push_items = [{"kind": "receipt", "id": town_row["id"]}, {"kind": "task", "id": reading["id"]},
                  {"kind": "task", "id": "task-0000000000000000"}]
    urged = await api.post("/api/supervision/urge", {"unit_id": "county", "items": push_items, "message": "请抓紧办理"},
                           token=office.tokens["office"])
    assert urged.status == 200, urged
    assert [item["ok"] for item in urged.body["items"]] == [True, True, False]
    assert urged.body["items"][2]["code"] == "not_found"
    assert (await office.only_task("town2-head"))["urge_count"] == 1
    history = await api.get(f"/api/receipts/{town_row['id']}", token=office.tokens["town-clerk"])
    assert any(entry["action"] == "urge" and entry["detail"].get("supervised_by") == "甲县人民政府"
               for entry in history.body["history"])
    again = await api.post("/api/supervision/urge", {"unit_id": "county", "items": push_items[:2]},
                           token=office.tokens["office"])
    assert [item.get("code") for item in again.body["items"]] == ["urged_recently", "urged_recently"]
    # A town's office may not urge through the county's board.
    assert (await api.post("/api/supervision/urge", {"unit_id": "county", "items": push_items[:1]},
                           token=office.tokens["town-office"])).status == 403
    # 甲二镇 signs: its receipt leaves the board.
    await receipt_action(office, f"{sent['id']}.town2", "sign", "town2-clerk")
    board = await api.get("/api/supervision?unit_id=county&within=168", token=office.tokens["office"])
    assert ("receipt", "town2", "关于开展安全生产大检查的通知") not in {
        (row["kind"], row["unit_id"], row["title"]) for row in board.body["items"]}

    exported = await api.get("/api/supervision?unit_id=county&within=168&format=csv", token=office.tokens["office"])
    assert exported.status == 200
    text = exported.body
    assert text.startswith("\ufeff单位,办理人,类别")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert ["甲一镇人民政府", "林收发", "未签收来文", "关于开展安全生产大检查的通知"] in [line[:4] for line in lines]
    assert len(lines) == 1 + len(board.body["items"])
