"""Watermarks at the desk (1366 px) on the demo hierarchy: a 科员 of 市政府办公室 sees the issued pages and
downloads the PDF marked with their name, while the office's 收发员 downloads the signed original, byte for
byte as stored, and its seal still verifies."""

from __future__ import annotations

import hashlib
from pathlib import Path

from playwright.async_api import Browser, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from oa.rendering.pdf_pages import page_png
from tests.browser import login, new_page, pages_shown, screenshot
from tests.client import ApiClient
from tests.test_watermark import grey_share
from web.services import Services

DRAFTER, CLERK = "sg-szfb.ky1", "sg-szfb.sfy1"
TITLE = "关于做好2027年春节期间烟花爆竹安全管理工作的通知"
DESK_WIDE = {"width": 1366, "height": 900}


async def issued_on_demo(services: Services, api: ApiClient) -> dict:
    """A 发文 of 市政府办公室 taken to issue over the API, each step by whoever holds it."""
    drafter = await api.login(DRAFTER)
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": TITLE, "main_to": [{"unit_id": "sg-jiaoyu"}],
        "body": [{"level": 0, "text": "春节将至，为切实做好烟花爆竹安全管理工作，现将有关事项通知如下。"}],
        "written_date": "2026-12-28"}, token=drafter)
    assert created.status == 201, created
    started = await api.post("/api/instances", {"flow": "fawen", "document_id": created.body["id"], "variables": {}},
                             token=drafter)
    assert started.status == 201, started
    tokens: dict[str, str] = {}
    for _ in range(8):
        document = await services.documents.get(created.body["id"])
        if document.get("issued_pdf"):
            return document
        view = (await api.get(f"/api/instances/{started.body['id']}", token=drafter)).body
        tasks = [task for task in view["tasks"] if task["status"] == "active"]
        assert tasks, view["instance"]
        for task in tasks:
            username = services.directory.person(task["assignees"][0]).username
            tokens.setdefault(username, await api.login(username))
            done = await api.post(f"/api/tasks/{task['id']}/approve", {"opinion": "同意"}, token=tokens[username])
            assert done.status == 200, done
    raise AssertionError("the document was not issued")


async def test_a_viewer_downloads_a_marked_copy_and_the_clerk_the_signed_original(
        demo_services: Services, demo_api: ApiClient, browser: Browser, tmp_path: Path) -> None:
    document = await issued_on_demo(demo_services, demo_api)
    issued = document["issued_pdf"]
    path = f"/desk#/documents/{document['_id']}"

    context, page = await new_page(browser, demo_api.base_url, DESK_WIDE)
    await login(page, "/desk", DRAFTER, DEFAULT_DEMO_PASSWORD)
    await page.goto(path)
    await expect(page.locator(".pages .issued")).to_contain_text("已用印、签名的正式文件")
    await pages_shown(page)
    first = page.locator(".pages img.page").first
    await first.scroll_into_view_if_needed()
    await screenshot(page, "desk-watermarked-page")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="下载版式文件（PDF）").click()
    copy = (tmp_path / "copy.pdf")
    await (await waiting.value).save_as(copy)
    data = copy.read_bytes()
    assert hashlib.sha256(data).hexdigest() != issued["sha256"]
    original = await demo_services.blobs.get(issued["key"])
    assert grey_share(page_png(data, 0, 600)) > grey_share(page_png(original, 0, 600)) + 0.005
    await context.close()

    context, page = await new_page(browser, demo_api.base_url, DESK_WIDE)
    await login(page, "/desk", CLERK, DEFAULT_DEMO_PASSWORD)
    await page.goto(path)
    await pages_shown(page)
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="下载版式文件（PDF）").click()
    signed = tmp_path / "signed.pdf"
    await (await waiting.value).save_as(signed)
    assert hashlib.sha256(signed.read_bytes()).hexdigest() == issued["sha256"]
    await page.get_by_role("button", name="验证签章").click()
    await expect(page.locator(".seal-check")).to_contain_text("签章验证通过")
    await expect(page.locator(".seal-check")).not_to_contain_text("null")  # no absent part printed as text
    await screenshot(page, "desk-original-verified")
    await context.close()
    stored = await demo_services.documents.get(document["_id"])
    assert (await demo_services.seals.verify_document_pdf(stored, signed.read_bytes()))["valid"]
