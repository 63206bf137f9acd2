"""Opinions on a 360 px phone on the demo hierarchy: the 市政府办公室 head keeps personal 常用语 (add, reorder,
delete), finds them next to the built-in ones on a task, writes a 批示 by finger over page 1 of the
document, and the drafter sees that 批示 laid over the page in the flow on the desk."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import PHONE, login, new_page, pages_shown, screenshot
from tests.client import ApiClient
from web.services import Services

DRAFTER, OFFICE_HEAD = "sg-szfb.ky1", "sg-szfb.bgszr1"
TITLE = "关于做好2027年元旦春节期间值班值守工作的通知"
DESK_WIDE = {"width": 1366, "height": 900}


async def test_a_leader_keeps_phrases_and_writes_a_pishi_over_the_page_on_a_phone(
        demo_services: Services, demo_api: ApiClient, browser: Browser) -> None:
    drafter = await demo_api.login(DRAFTER)
    created = await demo_api.post("/api/documents", {
        "doc_type": "通知", "title": TITLE, "main_to": [{"unit_id": "sg-szfb"}],
        "body": [{"level": 0, "text": "为确保节日期间各项工作正常运转，现将值班值守有关事项通知如下。"}],
        "written_date": "2026-12-20"}, token=drafter)
    assert created.status == 201, created
    started = await demo_api.post("/api/instances", {"flow": "fawen", "document_id": created.body["id"],
                                                     "variables": {}}, token=drafter)
    assert started.status == 201, started
    instance_id = started.body["id"]
    context, page = await new_page(browser, demo_api.base_url, PHONE)
    try:
        await login(page, "/", OFFICE_HEAD, DEFAULT_DEMO_PASSWORD)
        await page.get_by_role("link", name="常用语").tap()
        await expect(page.get_by_text("还没有自己的常用语")).to_be_visible()
        for text in ("请办公室牵头落实", "请于节前报送值班表", "拟同意"):
            await page.get_by_label("新常用语").fill(text)
            await page.get_by_role("button", name="添加", exact=True).tap()
            await expect(page.locator("#my-phrases")).to_contain_text(text)
        await page.get_by_role("button", name="删除：拟同意").tap()
        await expect(page.locator("#my-phrases li")).to_have_count(2)
        await page.get_by_role("button", name="上移：请于节前报送值班表").tap()
        await expect(page.locator("#my-phrases li").first).to_contain_text("请于节前报送值班表")
        await screenshot(page, "mobile-phrases")

        await page.get_by_role("link", name="返回待办").tap()
        await page.get_by_role("link", name=TITLE).tap()
        await pages_shown(page)
        chips = page.locator(".actionbar .chip")
        await expect(chips.filter(has_text="请于节前报送值班表")).to_have_class("chip mine")
        texts = await chips.all_inner_texts()
        assert texts.index("同意") < texts.index("请于节前报送值班表") < texts.index("请办公室牵头落实"), texts
        await chips.filter(has_text="请于节前报送值班表").tap()
        await expect(page.get_by_label("批示意见")).to_have_value("请于节前报送值班表")

        # The 批示 by finger over page 1.
        await page.get_by_text("在正文上批示（手写，可选）").tap()
        board = page.locator("#annotate canvas.ink")
        await expect(page.locator("#annotate .page-no")).to_contain_text("第1页")
        await board.scroll_into_view_if_needed()
        box = await board.bounding_box()
        assert box and box["width"] <= 360
        await page.mouse.move(box["x"] + 40, box["y"] + 120)
        await page.mouse.down()
        for step in range(1, 12):
            await page.mouse.move(box["x"] + 40 + step * 20, box["y"] + 120 + (step % 3) * 15)
        await page.mouse.up()
        await expect(page.get_by_role("button", name="下一页")).to_be_disabled()  # the strokes are page 1's
        await screenshot(page, "mobile-pishi-draw")
        await page.locator("#submit").tap()
        await expect(page.get_by_role("heading", name="待办")).to_be_visible()
    finally:
        await context.close()

    view = (await demo_api.get(f"/api/instances/{instance_id}", token=drafter)).body
    entry = next(item for item in view["audit"] if item.get("annotation"))
    assert entry["opinion"] == "请于节前报送值班表" and entry["annotation"]["page"] == 1
    assert entry["channel"] == "mobile"

    # The drafter's desk: the flow shows the 批示 over its page.
    desk, desk_page = await new_page(browser, demo_api.base_url, DESK_WIDE)
    try:
        await login(desk_page, "/desk", DRAFTER, DEFAULT_DEMO_PASSWORD)
        await desk_page.goto(f"/desk#/documents/{created.body['id']}")
        figure = desk_page.locator("#flow figure.annotation")
        await expect(figure).to_contain_text("在第1页上的批示")
        ink = figure.locator("img.ink")
        await expect(ink).to_be_visible()
        await figure.scroll_into_view_if_needed()
        await desk_page.wait_for_function(
            "() => [...document.querySelectorAll('figure.annotation img')].every(i => i.complete && i.naturalWidth)")
        await screenshot(desk_page, "desk-pishi-timeline")
    finally:
        await desk.close()
        # The shared demo database keeps no open work from this test.
        ended = await demo_api.post(f"/api/instances/{instance_id}/terminate", {"reason": "测试结束"}, token=drafter)
        assert ended.status == 200, ended
