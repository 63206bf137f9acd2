"""Cost of the document paths on the embedded servers: drafting, editing, listing, numbering,
rendering and checking, and streaming an attachment through the HTTP API into S3.

Run by hand:  python bench/documents.py   (results go into BENCHMARKS.md)
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import tornado.httpserver
from harness import measure, run_on_embedded_servers  # bench/ is on sys.path when run as a script
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
from oa.document_output import render_input
from oa.numbering import NumberService
from oa.rendering import check_docx, render_docx, render_preview_html
from storage.local import free_port
from storage.mongo import Mongo
from web.app import make_app
from web.config import Settings
from web.services import Endpoints, Services

SENTENCE = "各地各部门要认真贯彻落实森林防火责任制，加强巡查值守，确保不发生重大森林火灾。"


def long_notice(paragraphs: int) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    for index in range(paragraphs):
        level = 1 if index % 20 == 0 else (2 if index % 5 == 0 else 0)
        body.append({"level": level, "text": SENTENCE * 2})
    return {"doc_type": "通知", "title": "关于做好2026年冬季森林防火工作的通知",
            "issuers": [{"unit_id": "sg-szf"}], "main_to": [{"external": True, "name": "各县（市、区）人民政府"}],
            "copy_to": [{"external": True, "name": "市委办公室"}], "body": body, "written_date": "2026-11-22",
            "printer": "韶关市人民政府办公室", "printed_date": "2026-11-23"}


async def timed(label: str, work: Awaitable[Any]) -> Any:
    started = time.perf_counter()
    result = await work
    print(f"{label:<56} {time.perf_counter() - started:8.2f} s")
    return result


async def run(endpoints: Endpoints, data_dir: Path) -> None:
    services = await Services.open(Settings(data_dir=data_dir, mongodb_db="bench_docs"), endpoints)
    await load_demo(services.mongo, data_dir)
    clerk = await services.users.find_by_username("sg-szfb.sfy1")
    documents = services.documents

    created: list[dict[str, Any]] = []

    async def create(index: int) -> None:
        created.append(await documents.do_create("sg-szfb", long_notice(10), clerk))

    await measure("create a draft (10 paragraphs, with revision)", 200, create)
    await measure("edit a draft (compare-and-set + revision)", 200,
                  lambda i: documents.do_update(created[i]["_id"], 1, {"title": f"关于第{i}项工作的通知"}, clerk))
    await measure("list: a unit's documents, first page of 50 (of 200)", 100,
                  lambda i: documents.list(["sg-szfb"], limit=50))
    await measure("list: title search, first page", 100, lambda i: documents.list(["sg-szfb"], text="第1"))
    await measure("diff between revisions 1 and 2", 100, lambda i: documents.diff(created[i]["_id"], 1, 2))

    one_by_one = iter(range(10_000))
    await measure("allocate one 发文字号 (transaction: counter+ledger)", 100,
                  lambda i: services.numbers.allocate("韶府办", document_id=f"d{next(one_by_one)}", by="bench"))
    others = [await Mongo.connect(endpoints.mongodb_uri, "bench_docs") for _ in range(3)]
    numberers = [services.numbers, *(NumberService(mongo) for mongo in others)]
    await timed("200 concurrent allocations, 1 process (one code)", asyncio.gather(
        *[services.numbers.allocate("韶府", document_id=f"a{i}", by="bench") for i in range(200)]))
    await timed("200 concurrent allocations, 4 clients (one code)", asyncio.gather(
        *[numberers[i % 4].allocate("韶府函", document_id=f"b{i}", by="bench") for i in range(200)]))
    for mongo in others:
        await mongo.close()

    for paragraphs in (10, 200):
        content = render_input({"content": (await documents.do_create("sg-szfb", long_notice(paragraphs),
                                                                       clerk))["content"]})
        data = render_docx(content)
        await measure(f"render .docx, {paragraphs} paragraphs ({len(data) // 1024} KB)", 20,
                      lambda i, c=content: asyncio.to_thread(render_docx, c))
        await measure(f"check .docx, {paragraphs} paragraphs", 20, lambda i, d=data: asyncio.to_thread(check_docx, d))
        await measure(f"HTML preview, {paragraphs} paragraphs", 20,
                      lambda i, c=content: asyncio.to_thread(render_preview_html, c))

    await upload_through_http(services, clerk)
    await services.mongo.client.drop_database("bench_docs")
    await services.close()


async def upload_through_http(services: Services, clerk: dict[str, Any]) -> None:
    port = free_port()
    server = tornado.httpserver.HTTPServer(make_app(services), max_body_size=1024**3)
    server.listen(port, "127.0.0.1")
    session = await services.sessions.login("sg-szfb.sfy1", DEFAULT_DEMO_PASSWORD, "bench")
    token = session.token
    document = await services.documents.do_create("sg-szfb", long_notice(3), clerk)
    payload = b"%PDF-1.7\n" + os.urandom(100 * 1024 * 1024)
    client = AsyncHTTPClient(max_body_size=1024**3)
    for label in ("upload 100 MB PDF through the API into S3", "upload the same 100 MB again (de-duplicated)"):
        request = HTTPRequest(f"http://127.0.0.1:{port}/api/documents/{document['_id']}/attachments?name=big.pdf",
                              method="POST", body=payload, headers={"Authorization": f"Bearer {token}"},
                              request_timeout=600)
        started = time.perf_counter()
        response = await client.fetch(request, raise_error=False)
        seconds = time.perf_counter() - started
        print(f"{label:<56} {seconds:8.2f} s  ({100 / seconds:6.1f} MB/s, HTTP {response.code})")
    server.stop()


def main() -> None:
    run_on_embedded_servers(run)


if __name__ == "__main__":
    main()
