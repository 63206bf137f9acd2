"""The issue's acceptance path on the demo hierarchy: a 发文 of the city government office through
核稿, 会签 by two departments, 签发, 编号 and rendering, each assignee told over /ws as it happens.

Runs on the shared demo database; it only adds a document and its flow, which no other test reads.
"""

from __future__ import annotations

import time

from tests.client import ApiClient
from tests.ws_client import Push

DRAFTER, OFFICE_HEAD, LEADER, CLERK = "sg-szfb.ky1", "sg-szfb.bgszr1", "sg-szf.bgszr1", "sg-szfb.sfy1"
DEPARTMENT_HEADS = {"sg-jiaoyu": "sg-jiaoyu.zyld1", "sg-caizheng": "sg-caizheng.zyld1"}


async def test_fawen_end_to_end_on_the_demo_hierarchy(demo_api: ApiClient) -> None:
    api = demo_api
    people = [DRAFTER, OFFICE_HEAD, LEADER, CLERK, *DEPARTMENT_HEADS.values()]
    tokens = {name: await api.login(name) for name in people}
    pushes = {name: await Push.connect(api.base_url, tokens[name]) for name in people}
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": "关于做好2026年冬季森林防火工作的通知",
        "issuers": [{"unit_id": "sg-szf"}], "main_to": [{"group": "grp-county-govs"}],
        "copy_to": [{"unit_id": "sg-swb"}],
        "body": [{"level": 0, "text": "为切实做好今冬明春森林防火工作，现将有关事项通知如下。"},
                 {"level": 1, "text": "压实防火责任"}, {"level": 0, "text": "各地要落实属地管理责任。"}],
        "written_date": "2026-11-23", "urgency": "特急"}, token=tokens[DRAFTER])
    assert created.status == 201, created
    document_id = created.body["id"]
    latencies: list[float] = []

    async def expect_task(who: str, node_name: str, since: float) -> dict:
        event = await pushes[who].next_of("task.created", timeout=5)
        latencies.append(time.monotonic() - since)
        assert event["data"]["node_name"] == node_name and event["data"]["document_id"] == document_id
        return dict(event["data"])

    started_at = time.monotonic()
    started = await api.post("/api/instances", {"flow": "fawen", "document_id": document_id,
                                                "variables": {"countersign_units": list(DEPARTMENT_HEADS)}},
                             token=tokens[DRAFTER])
    assert started.status == 201, started
    review = await expect_task(OFFICE_HEAD, "核稿", started_at)

    acted = time.monotonic()
    assert (await api.post(f"/api/tasks/{review['task_id']}/approve", {"opinion": "已核"},
                           token=tokens[OFFICE_HEAD])).status == 200
    countersigns = {unit: await expect_task(head, "会签", acted) for unit, head in DEPARTMENT_HEADS.items()}

    for unit, head in DEPARTMENT_HEADS.items():
        acted = time.monotonic()
        response = await api.post(f"/api/tasks/{countersigns[unit]['task_id']}/approve", {"opinion": "同意"},
                                  token=tokens[head])
        assert response.status == 200, response
    signoff = await expect_task(LEADER, "签发", acted)

    acted = time.monotonic()
    assert (await api.post(f"/api/tasks/{signoff['task_id']}/approve", {"opinion": "同意印发"},
                           token=tokens[LEADER])).status == 200
    recheck = await expect_task(OFFICE_HEAD, "复核", acted)
    acted = time.monotonic()
    assert (await api.post(f"/api/tasks/{recheck['task_id']}/approve", {}, token=tokens[OFFICE_HEAD])).status == 200
    seal = await expect_task(CLERK, "用印", acted)
    document = (await api.get(f"/api/documents/{document_id}", token=tokens[DRAFTER])).body
    # Drafted by 市政府办公室 in the name of 韶关市人民政府: the city government's sequence.
    assert document["content"]["doc_number"].startswith("韶府〔2026〕")
    assert (await api.post(f"/api/tasks/{seal['task_id']}/approve", {}, token=tokens[CLERK])).status == 200

    document = (await api.get(f"/api/documents/{document_id}", token=tokens[DRAFTER])).body
    assert document["status"] == "issued" and document["rendition"]["size"] > 10_000
    # The flow's 分发 reached the group chosen as 主送 (10 county governments) and the 抄送.
    sent = (await api.get("/api/exchange/sent?limit=200", token=tokens[CLERK])).body["items"]
    mine = [item for item in sent if item["document_id"] == document_id]
    assert len(mine) == 1 and mine[0]["total"] == 11, mine
    rendered = await api.get(f"/api/documents/{document_id}/render.docx", token=tokens[DRAFTER])
    assert rendered.status == 200 and rendered.body[:2] == b"PK"
    print("push after each action (s):", ", ".join(f"{value:.3f}" for value in latencies))
    for push in pushes.values():
        push.close()
