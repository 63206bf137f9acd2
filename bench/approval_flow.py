"""Flow engine figures on the demo hierarchy over real HTTP and /ws: how long after an action the next
assignee's phone hears of it (the issue asks for within 1 s), how long the actions take, and the
50-countersigner race.

Run by hand:  PYTHONPATH=. python bench/approval_flow.py   (results go into BENCHMARKS.md; uses the test clients)
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import tornado.httpserver
from harness import run_on_embedded_servers  # bench/ is on sys.path when run as a script

from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
from storage.local import free_port
from tests.client import ApiClient
from tests.ws_client import Push
from web.app import make_app
from web.config import Settings
from web.services import Endpoints, Services

RUNS = 20
SIGNERS = 50
DRAFTER, OFFICE_HEAD, LEADER, CLERK = "sg-szfb.ky1", "sg-szfb.bgszr1", "sg-szf.bgszr1", "sg-szfb.sfy1"
HEADS = {"sg-jiaoyu": "sg-jiaoyu.zyld1", "sg-caizheng": "sg-caizheng.zyld1"}


def report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<58} n={len(samples):<4} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   "
          f"max {samples[-1]:7.1f} ms")


async def one_fawen(api: ApiClient, tokens: dict[str, str], pushes: dict[str, Push],
                    push_ms: list[float], action_ms: list[float]) -> None:
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": "关于做好冬季森林防火工作的通知", "main_to": [{"group": "grp-county-govs"}],
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}], "written_date": "2026-11-23"}, token=tokens[DRAFTER])
    document_id = created.body["id"]

    async def act(path: str, body: dict[str, Any], who: str, then: list[str]) -> list[dict[str, Any]]:
        sent = time.perf_counter()
        response = await api.post(path, body, token=tokens[who])
        assert response.status in (200, 201), response
        action_ms.append((time.perf_counter() - sent) * 1000)
        heard = []
        for listener in then:
            event = await pushes[listener].next_of("task.created", timeout=10)
            push_ms.append((time.perf_counter() - sent) * 1000)
            heard.append(event["data"])
        return heard

    (review,) = await act("/api/instances", {"flow": "fawen", "document_id": document_id,
                                             "variables": {"countersign_units": list(HEADS)}}, DRAFTER, [OFFICE_HEAD])
    countersigns = await act(f"/api/tasks/{review['task_id']}/approve", {"opinion": "已核"}, OFFICE_HEAD,
                             list(HEADS.values()))
    await act(f"/api/tasks/{countersigns[0]['task_id']}/approve", {"opinion": "同意"}, HEADS["sg-jiaoyu"], [])
    (signoff,) = await act(f"/api/tasks/{countersigns[1]['task_id']}/approve", {"opinion": "同意"},
                           HEADS["sg-caizheng"], [LEADER])
    (recheck,) = await act(f"/api/tasks/{signoff['task_id']}/approve", {"opinion": "同意"}, LEADER, [OFFICE_HEAD])
    (seal,) = await act(f"/api/tasks/{recheck['task_id']}/approve", {}, OFFICE_HEAD, [CLERK])  # includes 编号
    await act(f"/api/tasks/{seal['task_id']}/approve", {}, CLERK, [])  # includes rendering and 分发


async def race(services: Services, api: ApiClient) -> float:
    await services.catalog.publish({
        "key": "bench-race", "name": "会签竞争", "category": "发文", "variables": {"signers": "users"},
        "nodes": [{"id": "draft", "name": "拟稿", "kind": "start", "next": "cs"},
                  {"id": "cs", "name": "会签", "kind": "countersign", "members": [{"var": "signers"}], "next": "end"},
                  {"id": "end", "name": "结束", "kind": "end"}]}, "bench")
    units = await services.mongo["units"].find({"level": "city", "type": "部门"}).limit(SIGNERS).to_list(None)
    heads = [f"{unit['_id']}.zyld1" for unit in units]
    users = {row["username"]: row["_id"] for row in await services.mongo["users"].find(
        {"username": {"$in": heads}}).to_list(None)}
    tokens = await asyncio.gather(*(api.login(name) for name in users))
    drafter = await api.login(DRAFTER)
    created = await api.post("/api/documents", {"doc_type": "通知", "title": "会签竞争",
                                                 "main_to": [{"external": True, "name": "各单位"}],
                                                 "body": [{"level": 0, "text": "正文"}]}, token=drafter)
    started = await api.post("/api/instances", {"flow": "bench-race", "document_id": created.body["id"],
                                                "variables": {"signers": list(users.values())}}, token=drafter)
    tasks = await services.mongo["tasks"].find({"instance_id": started.body["id"], "node": "cs"}).to_list(None)
    by_user = {task["assignees"][0]: task["_id"] for task in tasks}
    began = time.perf_counter()
    responses = await asyncio.gather(*(api.post(f"/api/tasks/{by_user[user_id]}/approve", {}, token=token)
                                       for user_id, token in zip(users.values(), tokens, strict=True)))
    elapsed = time.perf_counter() - began
    assert all(response.status == 200 for response in responses)
    instance = await services.mongo["flow_instances"].find_one({"_id": started.body["id"]})
    assert instance["status"] == "completed"
    return elapsed * 1000


async def run(endpoints: Endpoints, data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, mongodb_db="bench_flows")
    services = await Services.open(settings, endpoints)
    await load_demo(services.mongo, data_dir, DEFAULT_DEMO_PASSWORD)
    port = free_port()
    server = tornado.httpserver.HTTPServer(make_app(services))
    server.listen(port, "127.0.0.1")
    api = ApiClient(f"http://127.0.0.1:{port}")
    people = [DRAFTER, OFFICE_HEAD, LEADER, CLERK, *HEADS.values()]
    tokens = {name: await api.login(name) for name in people}
    pushes = {name: await Push.connect(api.base_url, tokens[name]) for name in people}
    push_ms: list[float] = []
    action_ms: list[float] = []
    await one_fawen(api, tokens, pushes, [], [])  # warm up
    for _ in range(RUNS):
        await one_fawen(api, tokens, pushes, push_ms, action_ms)
    print(f"demo hierarchy, {RUNS} 发文 end to end (核稿, 会签 by two departments, 签发, 复核, 编号, 用印, 分发)")
    report("action request → next assignee's /ws push", push_ms)
    report("action request → HTTP response (incl. auto steps)", action_ms)
    report(f"{SIGNERS} countersigners approve at the same instant (total)", [await race(services, api)])
    server.stop()
    await services.close()


if __name__ == "__main__":
    run_on_embedded_servers(run)
