"""Exchange figures on the demo hierarchy over real HTTP: one dispatch from the city government to
every other unit (~1,300; the issue asks for "within a few seconds"), the board and lineage tree
of that dispatch, one urge to every unsigned unit, sign-for with its live board event, statistics.

Run by hand:  PYTHONPATH=. python bench/exchange.py   (results go into BENCHMARKS.md)
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import tornado.httpserver
from harness import run_on_embedded_servers  # bench/ is on sys.path when run as a script

from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
from storage.local import free_port
from tests.client import ApiClient
from tests.ws_client import Push
from web.app import make_app
from web.config import Settings
from web.services import Endpoints, Services

RUNS = 3
SIGN_RUNS = 30
CITY_CLERK = "sg-szf.sfy1"
EVERYONE = [{"level": "city"}, {"level": "county"}, {"level": "town"}]


def line(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    print(f"{label:<62} n={len(samples):<3} median {statistics.median(samples):8.1f} ms   max {samples[-1]:8.1f} ms")


async def timed(samples: list[float], call: object) -> object:
    started = time.perf_counter()
    result = await call  # type: ignore[misc]
    samples.append((time.perf_counter() - started) * 1000)
    return result


async def run(endpoints: Endpoints, data_dir: Path) -> None:
    services = await Services.open(Settings(data_dir=data_dir, mongodb_db="bench_exchange"), endpoints)
    await load_demo(services.mongo, data_dir, DEFAULT_DEMO_PASSWORD)
    port = free_port()
    server = tornado.httpserver.HTTPServer(make_app(services))
    server.listen(port, "127.0.0.1")
    api = ApiClient(f"http://127.0.0.1:{port}")
    city = await api.login(CITY_CLERK)
    sender_push = await Push.connect(api.base_url, city)
    dispatch_ms: list[float] = []
    board_ms: list[float] = []
    tree_ms: list[float] = []
    urge_ms: list[float] = []
    total = 0
    dispatch_id = ""
    for run_index in range(RUNS):
        created = await api.post("/api/documents", {
            "doc_type": "通知", "title": f"关于做好冬季森林防火工作的通知（{run_index + 1}）",
            "main_to": [{"external": True, "name": "各县（市、区）人民政府，市直各单位"}],
            "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}, token=city)
        numbered = await api.post(f"/api/documents/{created.body['id']}/number",
                                  {"version": created.body["version"]}, token=city)
        assert numbered.status == 200, numbered
        sent = await timed(dispatch_ms, api.post(f"/api/documents/{created.body['id']}/dispatch",
                                                 {"main": EVERYONE}, token=city))
        assert sent.status == 201, sent  # type: ignore[attr-defined]
        dispatch_id, total = sent.body["id"], sent.body["total"]  # type: ignore[attr-defined]
        board = await timed(board_ms, api.get(f"/api/dispatches/{dispatch_id}/receipts?limit=200", token=city))
        assert board.body["total"] == total  # type: ignore[attr-defined]
        await timed(tree_ms, api.get(f"/api/dispatches/{dispatch_id}/tree", token=city))
        urged = await timed(urge_ms, api.post(f"/api/dispatches/{dispatch_id}/urge", {}, token=city))
        assert len(urged.body["urged"]) == total  # type: ignore[attr-defined]
    receipts = await services.mongo["receipts"].find({"dispatch_id": dispatch_id}).limit(SIGN_RUNS).to_list(None)
    clerks = await services.exchange_log.clerks_of([row["unit_id"] for row in receipts])
    users = {row["_id"]: row["username"] async for row in services.mongo["users"].find(
        {"_id": {"$in": [clerks[row["unit_id"]][0] for row in receipts]}})}
    sign_ms: list[float] = []
    board_push_ms: list[float] = []
    for row in receipts:
        token = await api.login(users[clerks[row["unit_id"]][0]])
        started = time.perf_counter()
        signed = await timed(sign_ms, api.post(f"/api/receipts/{row['_id']}/sign", {}, token=token))
        assert signed.status == 200, signed  # type: ignore[attr-defined]
        await sender_push.next_of("exchange.receipt", timeout=10)
        board_push_ms.append((time.perf_counter() - started) * 1000)
    stats_ms: list[float] = []
    mayor = await api.login("sg-szf.zyld1")
    for _ in range(5):
        stats = await timed(stats_ms, api.get("/api/exchange/stats?unit_id=sg-szf&children=1", token=mayor))
        assert stats.status == 200, stats  # type: ignore[attr-defined]
    print(f"demo hierarchy; one dispatch from 韶关市人民政府 to every other unit ({total} recipients), {RUNS} runs")
    line(f"dispatch to {total} units (HTTP request → response, all delivered)", dispatch_ms)
    line("board, first page of 200 rows + counts", board_ms)
    line(f"lineage tree ({total} rows)", tree_ms)
    line(f"urge every unsigned unit ({total} pushes + audit records)", urge_ms)
    line("sign-for (HTTP)", sign_ms)
    line("sign-for request → sender's /ws board event", board_push_ms)
    line("statistics: 市政府 and its ~100 direct sub-units", stats_ms)
    sender_push.close()
    server.stop()
    await services.close()


if __name__ == "__main__":
    run_on_embedded_servers(run)
