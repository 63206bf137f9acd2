"""A whole 发文 through the web apps in real Chromium, as the issue asks:

the county's clerk drafts at the desk and sends it for approval with 教育局 countersigning; the
教育局 head countersigns on a phone; the county head signs off on a phone; the 收发员 seals it at the
desk, which dispatches it; a town's 收发员 sees it arrive at the desk and signs for it; the sender's
receipt board updates while it is open. (核稿 and 复核 by the office head go through the API.)
"""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser import DESK, PHONE, login, new_page, screenshot
from tests.client import ApiClient
from tests.exchange_org import build_exchange
from tests.factories import PASSWORD
from tests.flow_org import Office
from web.services import Services

TITLE = "关于做好2026年冬季森林防火工作的通知"
BODY = "为切实做好今冬明春森林防火工作，现将有关事项通知如下。\n一、压实防火责任\n各地要落实属地管理责任。"


async def pick_unit(page: Page, field: str, name: str) -> None:
    await page.get_by_label(field, exact=True).fill(name[:3])
    await page.get_by_role("button", name=name, exact=True).click()


async def approve_on_phone(browser: Browser, base_url: str, username: str, shot: str | None = None,
                           sign: bool = False, sees_signature_of: str | None = None) -> None:
    context, page = await new_page(browser, base_url, PHONE)
    await login(page, "/", username, PASSWORD)
    await page.get_by_role("link", name=TITLE).click()  # tap 1
    if sees_signature_of:
        signed = page.get_by_role("img", name=f"{sees_signature_of}的手写签名")
        await expect(signed).to_be_visible()
        assert await signed.evaluate("image => image.naturalWidth") > 0  # the PNG really loaded
    await page.get_by_role("button", name="同意", exact=True).first.click()  # tap 2
    if sign:  # optional: a handwritten signature drawn on the canvas
        await page.get_by_text("手写签名（可选）").click()
        box = await page.locator("canvas.signature").bounding_box()
        await page.mouse.move(box["x"] + 20, box["y"] + 60)
        await page.mouse.down()
        for step in range(1, 12):
            await page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 60 + (step % 3) * 15)
        await page.mouse.up()
    if shot:
        await screenshot(page, shot)
    await page.locator("#submit").click()  # tap 3
    await expect(page.get_by_text("没有待办事项")).to_be_visible()
    await context.close()


async def office_head_acts(office: Office) -> None:
    task = await office.only_task("office")
    await office.act("office", task["id"], opinion="已核")


async def test_a_fawen_from_draft_to_signed_for_through_the_ui(services: Services, api: ApiClient,
                                                               browser: Browser) -> None:
    office = await build_exchange(services, api)

    # The clerk drafts at the desk.
    clerk_context, clerk = await new_page(browser, api.base_url, DESK)
    await login(clerk, "/desk", "drafter", PASSWORD)
    await clerk.get_by_role("link", name="拟稿").click()
    await clerk.get_by_label("文种").select_option("通知")  # no default: the clerk chooses
    await clerk.get_by_label("标题").fill(TITLE)
    await pick_unit(clerk, "主送", "甲一镇人民政府")
    await pick_unit(clerk, "主送", "甲二镇人民政府")
    await clerk.get_by_label("正文").fill(BODY)
    await clerk.get_by_label("联系人及电话").fill("王拟稿 0751-8888888")
    await clerk.get_by_label("公开属性").select_option("依申请公开")
    await clerk.get_by_label("印发机关").fill("甲县人民政府办公室")
    await screenshot(clerk, "desk-draft")
    await clerk.get_by_role("button", name="保存草稿").click()
    await expect(clerk.get_by_role("heading", name=TITLE)).to_be_visible()
    await pick_unit(clerk, "会签单位（可不选）", "甲县教育局")
    await clerk.get_by_role("button", name="送审").click()
    await expect(clerk.locator("#flow")).to_contain_text("当前：核稿")

    await office_head_acts(office)  # 核稿
    await approve_on_phone(browser, api.base_url, "edu", "mobile-countersign", sign=True)  # 会签 on a phone
    await approve_on_phone(browser, api.base_url, "head", sees_signature_of="周局长")  # 签发 on a phone
    await office_head_acts(office)  # 复核; 编号 runs by itself

    # The town's 收发员 is at the desk, on the inbox, before anything is sent.
    town_context, town = await new_page(browser, api.base_url, DESK)
    await login(town, "/desk", "town-clerk", PASSWORD)
    await expect(town.get_by_role("heading", name="收文（0）")).to_be_visible()

    # The unit's 收发员 seals it (用印) from the desk's 待办, and the flow dispatches it.
    sender_context, sender = await new_page(browser, api.base_url, DESK)
    await login(sender, "/desk", "registrar", PASSWORD)
    await sender.get_by_role("link", name="待办").click()
    await sender.get_by_role("link", name=TITLE).click()
    await sender.locator("#submit").click()
    await expect(sender.get_by_text("没有待办事项")).to_be_visible()
    await sender.goto("/desk#/sent")
    await sender.get_by_role("link", name=TITLE).click()
    await expect(sender.locator("#counts")).to_contain_text("未签收 2")
    await expect(sender.locator("#board")).to_contain_text("甲一镇人民政府")

    # The town hears of it without reloading, and signs for it.
    await expect(town.get_by_role("alert")).to_contain_text(f"新收文：{TITLE}")
    row = town.locator("#inbox tr", has_text=TITLE)
    await screenshot(town, "desk-inbox")
    await row.get_by_role("button", name="签收").click()
    await expect(town.locator("#inbox tr", has_text=TITLE)).to_contain_text("已签收")

    # The sender's open board updates live.
    await expect(sender.locator("#counts")).to_contain_text("已签收 1")
    await expect(sender.locator("tr[data-unit='town']")).to_contain_text("林收发")
    await screenshot(sender, "desk-board")
    stored = await services.mongo["documents"].find_one({"content.title": TITLE})
    assert stored["content"]["disclosure"] == "依申请公开" and stored["content"]["printer"] == "甲县人民政府办公室"
    assert [item["level"] for item in stored["content"]["body"]] == [0, 1, 0]
    receipts = await services.mongo["receipts"].find({"unit_id": {"$in": ["town", "town2"]}}).to_list(None)
    assert sorted(receipt["status"] for receipt in receipts) == ["pending", "signed"]
    for context in (clerk_context, town_context, sender_context):
        await context.close()
