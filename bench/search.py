"""全文检索 at 100,000 documents on the embedded servers: the index build at start, and the p95 of
/api/search over HTTP for clerks and leaders of the demo hierarchy, with common words (通知 matches
tens of thousands), rarer phrases, a 发文字号, one character, filters and an empty box.

Run by hand:  OA_INSECURE_FAST_PASSWORD_HASHING_FOR_TESTS=1 python bench/search.py [--documents N]
(results go into BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import tornado.httpserver
from harness import run_on_embedded_servers  # bench/ is on sys.path when run as a script
from tornado.httpclient import AsyncHTTPClient

from flows.search.index import Filters
from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
from oa.search_tokens import query_terms
from storage.local import free_port
from storage.mongo import Mongo
from web.app import make_app
from web.config import Settings
from web.services import Endpoints, Services

TOPICS = ["安全生产", "森林防火", "防汛抗旱", "乡村振兴", "营商环境", "疫情防控", "财政预算", "耕地保护", "河长制",
          "校园安全", "食品安全", "城市更新", "旧城改造", "人居环境", "文明创建", "信访维稳", "招商引资", "数字政府"]
KINDS = [("通知", 0.45), ("请示", 0.12), ("报告", 0.12), ("函", 0.12), ("意见", 0.07), ("批复", 0.06), ("纪要", 0.06)]
VERBS = ["做好", "加强", "开展", "进一步规范", "切实抓好", "组织实施", "深入推进"]
SENTENCES = ["各地各部门要提高思想认识，压实工作责任，确保各项措施落到实处。",
             "请于规定时间内将工作开展情况报送市政府办公室。",
             "要建立健全长效机制，加强督促检查，对工作不力的单位予以通报。",
             "各单位要结合实际制定具体实施方案，明确时间表和路线图。",
             "有关经费从年度预算中统筹安排，严格执行财经纪律。",
             "联系人及电话请在附件中填写，逾期未报的视为无异议。"]
STATUSES = [("issued", 0.6), ("draft", 0.15), ("reviewing", 0.1), ("numbered", 0.1), ("received", 0.05)]
QUERIES = ["通知", "安全生产", "防汛抗旱工作", "关于进一步规范", "函", "旧城改造 实施方案", "数字政府", "督促检查"]


def pick(weighted: list[tuple[str, float]], rng: random.Random) -> str:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


def generated(index: int, units: list[dict[str, Any]], people: list[str], rng: random.Random) -> dict[str, Any]:
    unit = rng.choice(units)
    kind = pick(KINDS, rng)
    topic = rng.choice(TOPICS)
    title = f"关于{rng.choice(VERBS)}{topic}工作的{kind}"
    body = [{"level": 0, "text": f"为{rng.choice(VERBS)}{topic}工作，现将有关事项{kind}如下。"}] + [
        {"level": 0, "text": "".join(rng.choice(SENTENCES) for _ in range(3))} for _ in range(rng.randint(2, 6))]
    when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 1060))
    status = pick(STATUSES, rng)
    number = f"{unit['name'][:2]}〔{when.year}〕{index % 300 + 1}号" if status in ("issued", "numbered") else None
    return {"_id": f"doc-bench{index:08d}", "schema_version": 1, "drafting_unit_id": unit["_id"], "status": status,
            "version": 1, "participants": rng.sample(people, 3),
            "created_at": when, "updated_at": when, "issued_at": when if status == "issued" else None,
            "content": {"doc_type": kind, "title": title, "issuers": [{"unit_id": unit["_id"], "name": unit["name"]}],
                        "main_to": [], "copy_to": [], "body": body, "attachments": [], "doc_number": number,
                        "written_date": when.date().isoformat()}}


async def run(endpoints: Endpoints, data_dir: Path, count: int) -> None:
    settings = Settings(data_dir=data_dir, mongodb_db="bench_search")
    services = await Services.open(settings, endpoints)
    await load_demo(services.mongo, data_dir)
    await services.directory.load(services.mongo)
    units = [unit for unit in services.directory.all_units() if unit.get("status") == "active"]
    people = [person.id for person in services.directory.active_people()]
    await services.close()
    # Written straight into the database with no service running (a generator, not a workload).
    mongo = await Mongo.connect(endpoints.mongodb_uri, settings.mongodb_db)
    rng = random.Random(7)
    started = time.perf_counter()
    for start in range(0, count, 2000):
        batch = [generated(index, units, people, rng) for index in range(start, min(count, start + 2000))]
        await mongo["documents"].insert_many(batch)
    print(f"inserted {count:,} documents in {time.perf_counter() - started:.1f} s")
    await mongo.close()

    # A replica starting on this database: it builds its index from scratch.
    started = time.perf_counter()
    services = await Services.open(settings, endpoints)
    opened = time.perf_counter() - started
    while not services.search.indexer.ready:
        await asyncio.sleep(0.2)
    print(f"start: services open in {opened:.1f} s; search index of {services.search.index.count():,} documents "
          f"built in {services.search.indexer.built_in_s:.1f} s (searches meanwhile say the index is incomplete)")

    port = free_port()
    server = tornado.httpserver.HTTPServer(make_app(services))
    server.listen(port, "127.0.0.1")
    client = AsyncHTTPClient()
    viewers = ["sg-szfb.sfy1", "zj-xzf.sfy1", "zj-t-donghe.sfy1", "sg-jiaoyu.sfy1", "wj-xzf.sfy1"]
    tokens = [(await services.sessions.login(name, DEFAULT_DEMO_PASSWORD, "bench")).token for name in viewers
              if await services.users.find_by_username(name)]
    samples: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    cases = [{"q": query} for query in QUERIES] + [
        {"q": "通知", "type": "通知", "status": "issued"}, {"q": "安全", "from": "2025-01-01", "to": "2025-12-31"},
        {}, {"status": "draft"}, {"q": "通知", "offset": "200"}]
    for round_ in range(20):
        for token in tokens:
            for case in cases:
                label = json.dumps(case, ensure_ascii=False)
                began = time.perf_counter()
                response = await client.fetch(f"http://127.0.0.1:{port}/api/search?{urlencode(case)}",
                                              headers={"Authorization": f"Bearer {token}"})
                samples.setdefault(label, []).append((time.perf_counter() - began) * 1000)
                if round_ == 0:
                    totals[label] = max(totals.get(label, 0), json.loads(response.body)["documents"]["total"])
    everything = sorted(sample for values in samples.values() for sample in values)
    for label, values in samples.items():
        values.sort()
        print(f"{label:<60} most hits {totals[label]:>7,}  median {values[len(values) // 2]:6.1f} ms  "
              f"p95 {values[int(len(values) * 0.95) - 1]:6.1f} ms")
    print(f"all {len(everything)} searches by {len(tokens)} people: median {everything[len(everything) // 2]:.1f} ms, "
          f"p95 {everything[int(len(everything) * 0.95) - 1]:.1f} ms, max {everything[-1]:.1f} ms")
    # The index itself, with no reader filter (as if one person could open every document): common words
    # match tens of thousands of documents here, and ranking them is tantivy's work, not a scan.
    index = services.search.index
    for query in ("通知", "工作", "安全生产", "督促检查"):
        pairs_, chars_ = query_terms(query)
        timings = []
        for _ in range(50):
            began = time.perf_counter()
            _, total = await index.search(pairs_, chars_, None, Filters(), 0, 20)
            timings.append((time.perf_counter() - began) * 1000)
        timings.sort()
        print(f"unfiltered index, q={query:<8} matches {total:>7,}  top 20 ranked: median {timings[25]:6.1f} ms  "
              f"p95 {timings[47]:6.1f} ms")
    print(f"bench process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
          f"(the service and this client in one process)")
    server.stop()
    await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100_000)
    count = parser.parse_args().documents
    run_on_embedded_servers(lambda endpoints, data_dir: run(endpoints, data_dir, count))


if __name__ == "__main__":
    main()
