"""Attachments over HTTP against the real S3 gateway: limits, de-duplication, sniffing, names, downloads, cleanup."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from oa.attachments import object_key
from tests.client import ApiClient, Response
from tests.conftest import make_settings, start_app
from tests.factories import PASSWORD, small_org
from web.services import Endpoints, Services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + "中文内容".encode() * 500 + b"\n%%EOF\n"


def docx_like() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


async def upload(api: ApiClient, doc_id: str, data: bytes, name: str, token: str,
                 title: str | None = None, claimed: str = "application/pdf") -> Response:
    query = f"?name={quote(name)}" + (f"&title={quote(title)}" if title else "")
    return await api.request("POST", f"/api/documents/{doc_id}/attachments{query}", raw=data, token=token,
                             headers={"Content-Type": claimed})


async def new_draft(api: ApiClient, token: str) -> str:
    response = await api.post("/api/documents", {"doc_type": "通知", "title": "关于报送材料的通知",
                                                 "body": ["请按附件报送。"],
                                                 "main_to": [{"external": True, "name": "各村（居）委会"}]},
                              token=token)
    assert response.status == 201, response
    return str(response.body["id"])


@pytest.fixture
async def clerk(services: Services, api: ApiClient) -> str:
    await small_org(services)
    return await api.login("clerk", PASSWORD)


async def stored_files(services: Services) -> list[dict[str, Any]]:
    return await services.mongo["files"].find({}).to_list(None)


async def test_same_file_twice_is_stored_once(services: Services, api: ApiClient, clerk: str) -> None:
    first, second = await new_draft(api, clerk), await new_draft(api, clerk)
    one = await upload(api, first, PDF, "森林防火责任表.pdf", clerk)
    two = await upload(api, second, PDF, "责任表（副本）.pdf", clerk)
    three = await upload(api, first, PDF, "again.pdf", clerk, title="再次上传")
    assert (one.status, two.status, three.status) == (201, 201, 201), (one, two, three)
    sha = hashlib.sha256(PDF).hexdigest()
    assert one.body["attachment"]["file"]["sha256"] == sha == two.body["attachment"]["file"]["sha256"]
    assert [record["_id"] for record in await stored_files(services)] == [sha]
    assert await services.blobs.exists(object_key(sha))
    attachments = three.body["document"]["content"]["attachments"]
    assert [item["title"] for item in attachments] == ["森林防火责任表", "再次上传"]
    assert one.body["attachment"]["file"]["size"] == len(PDF)
    assert one.body["document"]["version"] == 2  # attaching is a saved revision of the draft


async def test_type_is_sniffed_not_taken_from_the_client(api: ApiClient, clerk: str) -> None:
    doc_id = await new_draft(api, clerk)
    png = await upload(api, doc_id, PNG, "scan.pdf", clerk, claimed="application/pdf")
    assert png.body["attachment"]["file"]["content_type"] == "image/png"
    word = await upload(api, doc_id, docx_like(), "方案.docx", clerk, claimed="text/plain")
    assert word.body["attachment"]["file"]["content_type"].endswith("wordprocessingml.document")
    text = await upload(api, doc_id, "名单：张三、李四\n".encode(), "名单.txt", clerk)
    assert text.body["attachment"]["file"]["content_type"].startswith("text/plain")


@pytest.mark.parametrize(("data", "name", "code"), [
    (b"MZ\x90\x00" + bytes(200), "通知.pdf", "executable_refused"),
    (b"\x7fELF\x02\x01\x01" + bytes(200), "readme.txt", "executable_refused"),
    (b"#!/bin/sh\nrm -rf /\n", "run.txt", "executable_refused"),
    (b"@echo off\r\nformat c:\r\n", "setup.bat", "executable_refused"),
    (b"<html><script>alert(1)</script></html>", "page.txt", "active_content_refused"),
    (bytes(range(256)), "blob.bin", "unsupported_file_type"),
])
async def test_programs_and_unknown_types_are_refused(services: Services, api: ApiClient, clerk: str,
                                                      data: bytes, name: str, code: str) -> None:
    doc_id = await new_draft(api, clerk)
    response = await upload(api, doc_id, data, name, clerk)
    assert response.status == 415 and response.body["code"] == code
    assert await stored_files(services) == []
    document = await api.get(f"/api/documents/{doc_id}", token=clerk)
    assert document.body["content"]["attachments"] == [] and document.body["version"] == 1


async def test_names_are_sanitised_and_chinese_is_kept(api: ApiClient, clerk: str) -> None:
    doc_id = await new_draft(api, clerk)
    for raw, shown in [("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\windows\\系统.pdf", "系统.pdf"),
                       ("附件1：韶关市2026年重点项目表.pdf", "附件1：韶关市2026年重点项目表.pdf"),
                       ("a<b>c|d?.pdf", "a_b_c_d_.pdf"), ("...", "附件"), ("", "附件.pdf")]:
        response = await upload(api, doc_id, PDF, raw, clerk)
        assert response.body["attachment"]["file"]["name"] == shown, raw


async def test_download_is_a_presigned_url_behind_the_permission_check(
        services: Services, api: ApiClient, clerk: str) -> None:
    doc_id = await new_draft(api, clerk)
    attachment = (await upload(api, doc_id, PDF, "责任表.pdf", clerk)).body["attachment"]
    link = await api.get(f"/api/documents/{doc_id}/attachments/{attachment['id']}", token=clerk)
    assert link.status == 200 and link.body["expires_at"] and link.body["sha256"] == attachment["file"]["sha256"]
    fetched = await AsyncHTTPClient().fetch(link.body["url"], raise_error=False)
    assert fetched.code == 200 and fetched.body == PDF
    assert fetched.headers.get("Content-Disposition", "").startswith("attachment; filename*=UTF-8''")
    assert fetched.headers["Content-Type"] == "application/pdf"
    # A scan read on a phone opens in the browser, under its name, rather than being saved.
    shown = await api.get(f"/api/documents/{doc_id}/attachments/{attachment['id']}?inline=1", token=clerk)
    opened = await AsyncHTTPClient().fetch(shown.body["url"], raise_error=False)
    assert opened.code == 200 and opened.body == PDF
    assert opened.headers.get("Content-Disposition", "").startswith("inline; filename*=UTF-8''")
    redirect = await api.get(f"/api/documents/{doc_id}/attachments/{attachment['id']}?redirect=1", token=clerk)
    assert redirect.status == 302 and "X-Amz-Signature=" in redirect.headers["Location"]
    outsider = await api.login("aadmin", PASSWORD)  # admin of the town's own county
    denied = await api.get(f"/api/documents/{doc_id}/attachments/{attachment['id']}", token=outsider)
    assert denied.status == 404
    unsigned = await AsyncHTTPClient().fetch(link.body["url"].split("?")[0], raise_error=False)
    assert unsigned.code == 403  # the object itself is never public


async def test_removal_only_while_draft_and_unreferenced_objects_are_cleaned(
        services: Services, api: ApiClient, clerk: str) -> None:
    shared, alone = PDF, PNG
    first, second = await new_draft(api, clerk), await new_draft(api, clerk)
    kept = (await upload(api, first, shared, "共用.pdf", clerk)).body["attachment"]
    await upload(api, second, shared, "共用.pdf", clerk)
    lonely = (await upload(api, first, alone, "单独.png", clerk)).body["attachment"]
    path = f"/api/documents/{first}/attachments/{lonely['id']}"
    removed = await api.request("DELETE", path + "?version=3", token=clerk)
    assert removed.status == 200 and removed.body["version"] == 4
    assert not await services.blobs.exists(object_key(lonely["file"]["sha256"]))
    again = await api.request("DELETE", f"/api/documents/{first}/attachments/{kept['id']}", token=clerk)
    assert again.status == 200
    assert await services.blobs.exists(object_key(kept["file"]["sha256"]))  # the second draft still uses it
    assert [record["_id"] for record in await stored_files(services)] == [kept["file"]["sha256"]]
    stale = await api.request("DELETE", f"/api/documents/{second}/attachments/att-000000000000?version=1",
                              token=clerk)
    assert stale.status == 409

    # Once numbered, the document is no longer a draft: its attachments stay.
    await services.orgs.update("town-a1", {"code": "甲一府"}, 1)
    numbered = await api.post(f"/api/documents/{second}/number", {"version": 2}, token=clerk)
    assert numbered.status == 200, numbered
    attachment_id = numbered.body["content"]["attachments"][0]["id"]
    refused = await api.request("DELETE", f"/api/documents/{second}/attachments/{attachment_id}", token=clerk)
    assert refused.status == 409 and refused.body["code"] == "not_a_draft"
    late = await upload(api, second, PNG, "late.png", clerk)
    assert late.status == 409
    assert await services.attachments.collect_garbage() == 0


@pytest.fixture
async def small_limit_api(endpoints: Endpoints, tmp_path: Path) -> Any:
    settings = make_settings(tmp_path, "t_limit_" + hashlib.md5(str(tmp_path).encode()).hexdigest()[:8],
                             max_attachment_mb=1)
    services = await Services.open(settings, endpoints)
    server, base_url = await start_app(services)
    try:
        await small_org(services)
        yield services, ApiClient(base_url)
    finally:
        server.stop()
        await services.mongo.client.drop_database(settings.mongodb_db)
        await services.close()


async def test_beyond_the_limit_is_413_and_nothing_is_kept(small_limit_api: Any, tmp_path: Path) -> None:
    services, api = small_limit_api
    clerk = await api.login("clerk", PASSWORD)
    doc_id = await new_draft(api, clerk)
    too_big = PDF + b"x" * (1024 * 1024)
    response = await upload(api, doc_id, too_big, "big.pdf", clerk)
    assert response.status == 413 and response.body["code"] == "too_large"

    # A chunked body declares no length: it is counted as it arrives.
    def produce(write: Any) -> Any:
        async def body() -> None:
            for start in range(0, len(too_big), 64 * 1024):
                await write(too_big[start:start + 64 * 1024])
        return body()

    request = HTTPRequest(f"{api.base_url}/api/documents/{doc_id}/attachments?name=big.pdf", method="POST",
                          body_producer=produce, headers={"Authorization": f"Bearer {clerk}"},
                          request_timeout=60)
    chunked = await AsyncHTTPClient().fetch(request, raise_error=False)
    assert chunked.code == 413, chunked.body
    assert await stored_files(services) == []
    assert list((tmp_path / "uploads").iterdir()) == []  # no spooled leftovers
    document = await api.get(f"/api/documents/{doc_id}", token=clerk)
    assert document.body["version"] == 1
    fits = await upload(api, doc_id, PDF, "small.pdf", clerk)
    assert fits.status == 201


async def test_sweep_removes_files_left_behind_by_a_crash(services: Services) -> None:
    """A process that stored a file but died before attaching it (or mid-collection) leaves an orphan."""
    from datetime import timedelta

    from oa.clock import utcnow

    for sha, state in (("a" * 64, "live"), ("b" * 64, "deleting")):
        await services.blobs.put_bytes(object_key(sha), PDF, content_type="application/pdf")
        await services.mongo["files"].insert_one({"_id": sha, "state": state, "key": object_key(sha),
                                                  "pinned_until": utcnow() - timedelta(minutes=1)})
    pinned = "c" * 64  # an upload in progress right now: not touched
    await services.blobs.put_bytes(object_key(pinned), PDF, content_type="application/pdf")
    await services.mongo["files"].insert_one({"_id": pinned, "state": "live", "key": object_key(pinned),
                                              "pinned_until": utcnow() + timedelta(minutes=30)})
    assert await services.attachments.collect_garbage() == 2
    assert not await services.blobs.exists(object_key("a" * 64))
    assert not await services.blobs.exists(object_key("b" * 64))
    assert await services.blobs.exists(object_key(pinned))
    assert [record["_id"] for record in await stored_files(services)] == [pinned]
