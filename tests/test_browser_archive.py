"""归档 at the desk in real Chromium: the 档案员 of 乳源县委办公室 opens 归档, sees the office's issued 通知 waiting,
keeps its 保管期限, taps 归档 and reads the 档号 and the 四性检测 passed; the package downloads as a ZIP whose
manifest holds, the document leaves the waiting list for the archive list, and 移交导出 gives the year's catalogue.
A letter that came on paper is archived the same way, from its scan.

Runs on the shared demo database, in ry-xwb, which no other test module uses.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile

from playwright.async_api import Browser, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.archive_demo import approve_on, issue
from tests.blank_pages import blank_png
from tests.browser import DESK, login, new_page, screenshot
from tests.client import ApiClient

OFFICE, TOWN = "ry-xwb", "ry-t-yiliu"
TITLE = "关于做好2026年度党建工作总结的通知"


async def test_the_archivist_archives_an_issued_notice_and_exports_the_year(demo_api: ApiClient,
                                                                           browser: Browser) -> None:
    doc_id = await issue(demo_api, OFFICE, TITLE, TOWN)
    context, desk = await new_page(browser, demo_api.base_url, DESK)
    try:
        await login(desk, "/desk", f"{OFFICE}.dag1", DEFAULT_DEMO_PASSWORD)
        await desk.get_by_role("link", name="归档", exact=True).click()
        row = desk.locator(f'#archive-pending tr[data-document="{doc_id}"]')
        await expect(row).to_contain_text(TITLE)
        await expect(row).to_contain_text("发文")
        await expect(row.get_by_label(f"保管期限：{TITLE}")).to_have_value("30年")
        await row.get_by_role("button", name=f"归档：{TITLE}").click()
        result = desk.locator("#archive-result")
        await expect(result.locator("#archive-code")).to_have_text("RYXWB-2026-D30-FW-0001")
        await expect(result).to_contain_text("四性检测：全部通过")
        for name in ("真实性", "完整性", "可用性", "安全性"):
            await expect(result.get_by_text(f"{name}：通过")).to_be_visible()
        await expect(row).to_have_count(0)
        done = desk.locator("#archive-list tr", has_text=TITLE)
        await expect(done).to_contain_text("RYXWB-2026-D30-FW-0001")
        await screenshot(desk, "desk-archive")
        async with desk.expect_download() as waiting:
            await result.get_by_role("link", name="下载归档信息包").click()
        package = await (await waiting.value).path()
        with zipfile.ZipFile(package) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            for entry in manifest["files"]:
                assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"], entry["path"]
            assert "正文.pdf" in archive.namelist()
        await desk.get_by_label("移交年度").select_option("2026")
        async with desk.expect_download() as waiting:
            await desk.get_by_role("link", name="移交导出").click()
        exported = await (await waiting.value).path()
        with zipfile.ZipFile(exported) as archive:
            rows = list(csv.reader(io.StringIO(archive.read("归档文件目录.csv").decode("utf-8-sig"))))
        assert rows[1][0] == "RYXWB-2026-D30-FW-0001" and rows[1][3] == TITLE and rows[1][6] == "30年", rows
    finally:
        await context.close()


async def test_an_admin_keeps_the_offices_retention_table(demo_api: ApiClient, browser: Browser) -> None:
    context, admin = await new_page(browser, demo_api.base_url, DESK)
    try:
        await login(admin, "/admin", "admin", DEFAULT_DEMO_PASSWORD)  # 县委办 is under the 县委, not the 县政府
        await admin.goto(f"/admin#/units/{OFFICE}")
        section = admin.locator("#archive-settings")
        await expect(section.get_by_label("保管期限：简报")).to_have_value("10年")
        await section.get_by_label("全宗号").fill("J012")
        await section.get_by_label("保管期限：简报").select_option("30年")
        await section.get_by_role("button", name="保存").click()
        row = section.locator("tr", has=admin.get_by_label("保管期限：简报"))
        await expect(row).to_contain_text("本单位设定")
        await expect(section.get_by_label("全宗号")).to_have_value("J012")
        await section.evaluate("element => element.scrollIntoView()")
        await screenshot(admin, "admin-archive-retention")
    finally:
        await context.close()
    table = await demo_api.get(f"/api/archives/settings?unit={OFFICE}", token=await demo_api.login(f"{OFFICE}.dag1"))
    assert table.body["by_type"]["简报"] == "30年" and table.body["fonds_code"] == "J012", table


async def test_the_archivist_archives_a_paper_letter_from_its_scan(demo_api: ApiClient, browser: Browser) -> None:
    """A letter that came on paper, registered from its photographed page and handled to 办结, waits as
    收文（纸质）; archived, its package holds the scan as registered and no 正文.pdf."""
    title = "关于商请提供党史学习教育资料的函"
    tokens = {role: await demo_api.login(f"{OFFICE}.{role}1") for role in ("sfy", "bgszr", "zyld")}
    scan = blank_png()
    draft = (await demo_api.post("/api/documents", {"unit_id": OFFICE, "doc_type": "函", "title": title},
                                 token=tokens["sfy"])).body
    upload = await demo_api.request("POST", f"/api/documents/{draft['id']}/attachments?name=来文.png", raw=scan,
                                    token=tokens["sfy"], headers={"Content-Type": "image/png"})
    assert upload.status == 201, upload
    current = (await demo_api.get(f"/api/documents/{draft['id']}", token=tokens["sfy"])).body
    paper = await demo_api.post(f"/api/documents/{draft['id']}/receive-paper", {"version": current["version"],
                                "origin": {"sender_name": "韶关市档案馆", "doc_number": "韶档函〔2026〕12号",
                                           "received_date": "2026-11-26"}}, token=tokens["sfy"])
    assert paper.status == 201, paper
    assert (await demo_api.post(f"/api/receipts/{paper.body['id']}/register", {}, token=tokens["sfy"])).status == 200
    for who, variables in (("bgszr", {}), ("zyld", {"lead_unit": OFFICE}), ("bgszr", {}), ("sfy", {})):
        await approve_on(demo_api, tokens[who], draft["id"], **variables)

    context, desk = await new_page(browser, demo_api.base_url, DESK)
    try:
        await login(desk, "/desk", f"{OFFICE}.dag1", DEFAULT_DEMO_PASSWORD)
        await desk.get_by_role("link", name="归档", exact=True).click()
        row = desk.locator(f'#archive-pending tr[data-document="{draft["id"]}"]')
        await expect(row).to_contain_text("收文（纸质）")
        await expect(row).to_contain_text("韶档函〔2026〕12号")
        await row.get_by_role("button", name=f"归档：{title}").click()
        result = desk.locator("#archive-result")
        await expect(result).to_contain_text("四性检测：全部通过")
        await expect(result.locator("#archive-code")).to_have_text(re.compile(r"^[A-Z0-9]+-2026-D30-SW-\d{4}$"))
        await expect(result).to_contain_text("1 页")
        await screenshot(desk, "desk-archive-paper")
        async with desk.expect_download() as waiting:
            await result.get_by_role("link", name="下载归档信息包").click()
        with zipfile.ZipFile(await (await waiting.value).path()) as archive:
            assert archive.read("扫描件/01-来文.png") == scan and "正文.pdf" not in archive.namelist()
            metadata = json.loads(archive.read("metadata.json"))
        assert metadata["载体"] == "纸质（数字化副本）" and metadata["责任者"] == "韶关市档案馆"
    finally:
        await context.close()
