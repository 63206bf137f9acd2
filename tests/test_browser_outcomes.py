"""Outcomes in real Chromium: a countersigner taps 不同意 with a reason on a 360 px phone (the document
first, the decision bar at the bottom); the drafter's desk timeline shows it live and the document
is back in draft. At the desk, a draft needs a 文种, and 送审 of an incomplete draft says what is missing."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser import DESK, PHONE, login, new_page, pages_shown, screenshot
from tests.client import ApiClient
from tests.factories import PASSWORD
from tests.flow_org import build_office
from web.services import Services

TITLE = "关于调整2027年度部门预算编制口径的通知"


async def test_a_countersigner_disagrees_on_a_phone_and_the_drafter_sees_it_live(
        services: Services, api: ApiClient, browser: Browser) -> None:
    office = await build_office(services, api)
    body = [{"level": 0, "text": f"第{n}段：有关事项如下。"} for n in range(30)]  # longer than a phone's screen
    document = await office.draft(title=TITLE, body=body)
    await office.start(document["id"], countersign_units=["dept-edu", "dept-fin"])
    await office.act("office", (await office.only_task("office"))["id"], opinion="已核")

    # The drafter follows the document at the desk.
    desk_context, desk = await new_page(browser, api.base_url, DESK)
    await login(desk, "/desk", "drafter", PASSWORD)
    await expect(desk.get_by_role("heading", name="收文（0）")).to_be_visible()
    await desk.goto(f"/desk#/documents/{document['id']}")
    await expect(desk.locator("#flow")).to_contain_text("当前：会签")
    await expect(desk.locator("#holders")).to_contain_text("周局长（会签）")
    await expect(desk.locator("#flow")).to_contain_text("同意")  # 核稿, in Chinese
    await expect(desk.locator("#doc-status")).to_contain_text("审批中")

    # The 教育局 head reads it on a phone: document first, the decision bar at hand.
    context, page = await new_page(browser, api.base_url, PHONE)
    await login(page, "/", "edu", PASSWORD)
    await expect(page.get_by_role("heading", name="待办")).to_be_visible()
    await expect(page.locator("#app")).not_to_contain_text("null")
    await page.get_by_role("link", name=TITLE).click()
    await pages_shown(page)
    await expect(page.locator("#app")).not_to_contain_text("null")
    await expect(page.locator("#submit")).to_be_in_viewport()  # sticky at the bottom, before any scrolling
    await expect(page.locator("#submit")).to_have_text("同意")
    preview = await page.locator(".pages").bounding_box()
    opinion = await page.locator("#opinion").bounding_box()
    assert preview and opinion and preview["y"] < opinion["y"]  # read first, then give an opinion
    assert await page.get_by_role("button", name="已阅", exact=True).count() == 0  # a countersign asks for 同意

    await page.get_by_role("button", name="不同意", exact=True).click()
    await page.get_by_role("button", name="确认不同意").click()  # no reason yet: refused on the phone
    await expect(page.get_by_role("status").filter(has_text="请填写不同意的理由")).to_be_visible()
    await page.get_by_label("不同意理由").fill("预算口径与财政局意见不一致，建议先行协商")
    await screenshot(page, "mobile-disagree")
    await page.get_by_role("button", name="确认不同意").click()
    await expect(page.get_by_text("没有待办事项")).to_be_visible()
    await context.close()

    # The drafter's desk updates by itself: 不同意 and the reason, back with the drafter, a draft again.
    flow = desk.locator("#flow")
    await expect(flow.locator("li.disagreed")).to_contain_text("周局长 会签 不同意")
    await expect(flow.locator("li.disagreed")).to_contain_text("预算口径与财政局意见不一致，建议先行协商")
    await expect(desk.locator("#holders")).to_contain_text("王拟稿（拟稿）")
    await expect(desk.locator("#doc-status")).to_contain_text("草稿")
    await expect(desk.get_by_role("alert").filter(has_text="不同意")).to_contain_text("周局长")
    await screenshot(desk, "desk-flow-disagreed")
    stored = await services.documents.get(document["id"])
    assert stored["status"] == "draft"
    await desk_context.close()


async def test_the_desk_asks_for_a_doc_type_and_says_what_a_draft_lacks(services: Services, api: ApiClient,
                                                                        browser: Browser) -> None:
    await build_office(services, api)
    context, desk = await new_page(browser, api.base_url, DESK)
    await login(desk, "/desk", "drafter", PASSWORD)
    await desk.get_by_role("link", name="拟稿").click()
    doc_type = desk.get_by_label("文种")
    await expect(doc_type).to_have_value("")
    await expect(doc_type.locator("option:checked")).to_have_text("请选择文种")
    await desk.get_by_label("标题").fill("关于开展安全生产检查的通知")
    await desk.get_by_role("button", name="保存草稿").click()
    await expect(desk.locator("#draft-error")).to_have_text("请选择文种")
    assert await services.mongo["documents"].count_documents({}) == 0

    await doc_type.select_option("通知")
    await desk.get_by_role("button", name="保存草稿").click()
    await expect(desk.get_by_role("heading", name="关于开展安全生产检查的通知")).to_be_visible()
    await desk.get_by_role("button", name="送审").click()
    await expect(desk.locator("#submit-problems")).to_have_text("不能送审，请先补全：缺少主送机关、缺少正文")
    stored = await services.mongo["documents"].find_one({})
    assert stored["content"]["doc_type"] == "通知" and stored["status"] == "draft"
    await context.close()
