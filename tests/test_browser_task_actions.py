"""The phone's task actions beyond 同意, in real Chromium at 360 px on the demo hierarchy (始兴县): 加签 and
转办 with the people picker (name · unit · post, so namesakes are told apart), 退回 to a chosen earlier step,
撤回 from 已办. Each ends with the next person in the chain finding the result in their own 待办. And the
same task screen at the desk: opened from the desk's 待办, decided there, back to the desk's 待办.

Flows are brought to the step acted on over HTTP; every action of the feature is done by tapping.
"""

from __future__ import annotations

import re

from playwright.async_api import Browser, BrowserContext, Page, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.archive_demo import issue
from tests.browser import DESK, PHONE, login, new_page, screenshot
from tests.client import ApiClient
from tests.demo_flows import DemoFlows

COUNTY, EDUCATION = "sx-xzf", "sx-jiaoyu"
DRAFTER, OFFICE_HEAD, HEAD, DEPUTY = "sx-xzf.ky1", "sx-xzf.bgszr1", "sx-xzf.zyld1", "sx-xzf.fgld2"
EDU_HEAD, EDU_OFFICE = "sx-jiaoyu.zyld1", "sx-jiaoyu.bgszr1"


async def phone(browser: Browser, api: ApiClient, username: str) -> tuple[BrowserContext, Page]:
    context, page = await new_page(browser, api.base_url, PHONE)
    await login(page, "/", username, DEFAULT_DEMO_PASSWORD)
    await expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    return context, page


async def open_task(page: Page, title: str) -> None:
    """Open the task and read it, as a person does before deciding: its pages laid out, nothing moving."""
    await page.get_by_role("link", name=title).tap()
    await expect(page.locator("#submit")).to_be_enabled()
    await expect(page.locator(".pages img.page").first).to_be_visible()


async def sees_in_todo(browser: Browser, api: ApiClient, username: str, title: str, note: str | None = None,
                       timeline: str | None = None) -> None:
    """The next person opens the app on their own phone and finds the task in 待办 (with its note, and the
    timeline saying who passed it on)."""
    context, page = await phone(browser, api, username)
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    if note:
        await page.get_by_role("link", name=title).tap()
        await expect(page.locator(".note")).to_contain_text(note)
        if timeline:
            await expect(page.locator(".timeline")).to_contain_text(timeline)
    await context.close()


async def test_a_countersigner_adds_their_office_head_before_themself(demo_api: ApiClient, browser: Browser) -> None:
    flows = DemoFlows(demo_api)
    title = "关于开展2027年春季学校安全大检查的通知"
    await flows.fawen(DRAFTER, COUNTY, title, countersign=[EDUCATION])
    await flows.approve(OFFICE_HEAD, title)
    context, page = await phone(browser, demo_api, EDU_HEAD)
    await open_task(page, title)
    await page.get_by_role("button", name="加签", exact=True).tap()
    await page.get_by_label("加签人", exact=True).fill("周芳燕")
    option = page.get_by_role("option", name=re.compile("周芳燕"))
    await expect(option).to_contain_text("始兴县教育局 · 办公室主任")
    await option.tap()
    await expect(page.locator("#signers-box .picked")).to_contain_text("周芳燕 · 始兴县教育局 · 办公室主任")
    await expect(page.get_by_label("在我之前：加签人先办，我再办")).to_be_checked()
    await screenshot(page, "mobile-add-signer")
    await page.locator("#confirm-signers").tap()
    await expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=title)).to_have_count(0)  # waits for the added signer
    await context.close()

    await sees_in_todo(browser, demo_api, EDU_OFFICE, title, note="李慧琳加签：请您先办理，办理后回到李慧琳",
                       timeline="加签 周芳燕（先于其办理）")
    added = await flows.task(EDU_OFFICE, title)
    assert added["node"] == "countersign" and added["member_label"] == "周芳燕"
    assert await flows.todo(EDU_HEAD, title) == []
    await flows.approve(EDU_OFFICE, title)
    assert (await flows.task(EDU_HEAD, title))["node"] == "countersign"  # back to the head, as chosen


async def test_namesakes_are_told_apart_and_the_task_is_transferred(demo_api: ApiClient, browser: Browser) -> None:
    flows = DemoFlows(demo_api)
    title = "关于做好2027年始兴县春耕备耕工作的通知"
    await flows.fawen(DRAFTER, COUNTY, title)
    context, page = await phone(browser, demo_api, OFFICE_HEAD)
    await open_task(page, title)
    await page.get_by_role("button", name="转办", exact=True).tap()
    search = page.get_by_label("转办给", exact=True)
    # Four people are called 曾俊 in the demo: each reads with their unit and post.
    await search.fill("曾俊")
    options = page.get_by_role("option")
    await expect(options).to_have_count(4)
    texts = await options.all_inner_texts()
    assert len(set(texts)) == 4
    assert any("韶关市人民政府 · 秘书长" in text for text in texts)
    assert any("始兴县信访局 · 收发员" in text for text in texts)
    await screenshot(page, "mobile-people-picker")
    await search.fill("唐新")
    await page.get_by_role("option", name=re.compile("唐新.*始兴县人民政府 · 副县长")).tap()
    await page.get_by_label("转办说明").fill("请唐副县长核稿")
    await page.locator("#confirm-transfer").tap()
    await expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=title)).to_have_count(0)
    await context.close()

    await sees_in_todo(browser, demo_api, DEPUTY, title, note="请唐副县长核稿", timeline="转办 给唐新")
    assert (await flows.task(DEPUTY, title))["node"] == "review"


async def test_the_signer_returns_to_a_chosen_earlier_step(demo_api: ApiClient, browser: Browser) -> None:
    flows = DemoFlows(demo_api)
    title = "关于加强始兴县校园周边食品安全管理的通知"
    await flows.fawen(DRAFTER, COUNTY, title, countersign=[EDUCATION])
    await flows.approve(OFFICE_HEAD, title)
    await flows.approve(EDU_HEAD, title)
    context, page = await phone(browser, demo_api, HEAD)
    await open_task(page, title)
    await page.get_by_role("button", name="退回", exact=True).tap()
    choices = page.locator("#return-to option")
    # The steps already passed, latest first, each with who did it.
    await expect(choices).to_have_text(["会签 · 李慧琳（局长）", "核稿 · 卢雪琳（县政府办主任）",
                                        "拟稿 · 苏海峰（科员）"])
    await page.locator("#return-to").select_option(label="核稿 · 卢雪琳（县政府办主任）")
    await page.get_by_label("退回理由").fill("请补充经费来源后再送签")
    await screenshot(page, "mobile-return-to-step")
    await page.locator("#confirm-return").tap()
    await expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=title)).to_have_count(0)
    await context.close()

    await sees_in_todo(browser, demo_api, OFFICE_HEAD, title, note="请补充经费来源后再送签")
    task = await flows.task(OFFICE_HEAD, title)
    assert task["node"] == "review"
    view = await flows.instance(DRAFTER, task["instance_id"])
    assert view["timeline"][-1]["returned_from"]["name"] == "签发"
    assert await flows.todo(EDU_HEAD, title) == []


async def test_the_office_head_withdraws_an_approval_from_done(demo_api: ApiClient, browser: Browser) -> None:
    flows = DemoFlows(demo_api)
    title = "关于印发始兴县2027年政务公开工作要点的通知"
    await flows.fawen(DRAFTER, COUNTY, title)
    await flows.approve(OFFICE_HEAD, title)
    assert (await flows.task(HEAD, title))["node"] == "signoff"
    context, page = await phone(browser, demo_api, OFFICE_HEAD)
    await page.get_by_role("tab", name="已办").tap()
    await page.get_by_role("link", name=title).first.tap()
    await expect(page.locator("#withdraw-card")).to_be_visible()
    await screenshot(page, "mobile-withdraw")
    await page.locator("#withdraw").tap()
    # Back on the task, open again: the approval can be given anew.
    await expect(page.locator("#submit")).to_be_enabled()
    await expect(page.locator(".note")).to_contain_text("已撤回，请重新办理")
    await context.close()
    assert await flows.todo(HEAD, title) == []  # the signer no longer has it
    assert (await flows.task(OFFICE_HEAD, title))["node"] == "review"


async def test_the_county_head_signs_off_at_the_desk_after_a_withdrawal_while_open(
        demo_api: ApiClient, browser: Browser) -> None:
    flows = DemoFlows(demo_api)
    title = "关于印发始兴县2027年安全生产工作要点的通知"
    await flows.fawen(DRAFTER, COUNTY, title)
    context, desk = await new_page(browser, demo_api.base_url, DESK)
    await login(desk, "/desk", HEAD, DEFAULT_DEMO_PASSWORD)
    await desk.get_by_role("link", name="待办", exact=True).click()
    await expect(desk.get_by_role("heading", name=re.compile(r"^待办（\d+）$"))).to_be_visible()
    await expect(desk.get_by_role("link", name=title)).to_have_count(0)
    # The office head's 核稿 on their phone: the 签发 appears in the desk's 待办 as it happens.
    await flows.approve(OFFICE_HEAD, title)
    await desk.get_by_role("link", name=title).click()
    # The task's page is in the desk, with the document and the flow so far.
    await expect(desk).to_have_url(re.compile(r"/desk#/task/task-[0-9a-f]+$"))
    await expect(desk.get_by_role("navigation", name="功能")).to_be_visible()
    # The menu holds what the 县长 does: no 归档, which is the archivists'.
    await expect(desk.get_by_role("navigation", name="功能").get_by_role("link", name="归档")).to_have_count(0)
    await expect(desk.locator("#task-card")).to_contain_text(title)
    await expect(desk.locator("#task-flow")).to_contain_text("卢雪琳")
    await expect(desk.locator("#submit")).to_have_text("签发")
    await screenshot(desk, "desk-task")

    # While it is open, the office head withdraws their 核稿 (on their phone): the desk says so and the
    # buttons can no longer send a decision on a task that is gone.
    done = await demo_api.get("/api/tasks?box=done&limit=100", token=await flows.token(OFFICE_HEAD))
    [approved] = [task for task in done.body["items"] if task["title"] == title]
    withdrawn = await demo_api.post(f"/api/tasks/{approved['id']}/withdraw", {},
                                    token=await flows.token(OFFICE_HEAD))
    assert withdrawn.status == 200, withdrawn
    await expect(desk.locator("#task-gone")).to_have_text("此事项已不在您的待办中：上一环节已撤回")
    await expect(desk.locator("#submit")).to_be_disabled()

    # Approved again: the new task opens from the desk's 待办, and 签发 there returns to it.
    await flows.approve(OFFICE_HEAD, title)
    await desk.get_by_role("link", name="‹ 返回待办").click()
    await desk.get_by_role("link", name=title).click()
    await expect(desk.locator("#submit")).to_be_enabled()
    await desk.get_by_role("button", name="同意印发", exact=True).click()
    await expect(desk.locator("#opinion")).to_have_value("同意印发")
    await desk.locator("#submit").click()
    await expect(desk.get_by_role("heading", name=re.compile(r"^待办（\d+）$"))).to_be_visible()
    await expect(desk).to_have_url(re.compile(r"/desk#/todo$"))
    await expect(desk.get_by_role("link", name=title)).to_have_count(0)
    await screenshot(desk, "desk-task-signed-off")
    assert await flows.todo(HEAD, title) == []
    signed = await flows.instance(DRAFTER, (await flows.task(OFFICE_HEAD, title))["instance_id"])
    last = [entry for entry in signed["audit"] if entry.get("by")][-1]
    assert (last["by"]["name"], last["label"], last["opinion"]) == ("徐昌杰", "签发", "同意印发")

    # Second thoughts: from 已办 at the desk, 撤回 while the office head has not done the 复核 yet.
    await desk.get_by_role("tab", name="已办").click()
    await expect(desk.get_by_role("heading", name=re.compile(r"^已办（\d+）$"))).to_be_visible()
    await desk.get_by_role("link", name=title).first.click()
    await expect(desk.locator("#task-closed")).to_have_text("此事项已办理")
    await desk.locator("#withdraw").click()
    await expect(desk.locator("#submit")).to_have_text("签发")  # the 签发 again, to be decided anew
    await expect(desk.get_by_role("navigation", name="功能")).to_be_visible()
    await context.close()
    assert await flows.todo(OFFICE_HEAD, title) == []
    assert (await flows.task(HEAD, title))["node"] == "signoff"


async def test_the_county_head_names_the_handling_unit_at_pibian_on_the_phone(demo_api: ApiClient,
                                                                            browser: Browser) -> None:
    """批办 on the phone names the 承办 unit with the unit picker: the 始兴县教育局's office head gets the 承办."""
    title = "关于做好2027年春季学期开学准备工作的通知"
    document_id = await issue(demo_api, "lc-xzfb", title, COUNTY)
    clerk = await demo_api.login("sx-xzf.sfy1")
    inbox = (await demo_api.get(f"/api/exchange/inbox?unit_id={COUNTY}&limit=100", token=clerk)).body["items"]
    receipt_id = next(row["id"] for row in inbox if row["document_id"] == document_id)
    assert (await demo_api.post(f"/api/receipts/{receipt_id}/sign", {}, token=clerk)).status == 200
    assert (await demo_api.post(f"/api/receipts/{receipt_id}/register", {}, token=clerk)).status == 200
    flows = DemoFlows(demo_api)
    await flows.approve(OFFICE_HEAD, title)  # 拟办
    context, page = await phone(browser, demo_api, HEAD)
    await open_task(page, title)
    await expect(page.locator("#submit")).to_have_text("批办")
    await page.get_by_label("承办单位（主办）", exact=True).fill("始兴县教育局")
    await page.get_by_role("button", name="始兴县教育局", exact=True).tap()
    await expect(page.get_by_label("承办单位（主办）已选")).to_have_text("始兴县教育局 ×")
    await screenshot(page, "mobile-pibian-handling-unit")
    await page.locator("#submit").tap()
    await expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await context.close()
    handling = await flows.task(EDU_OFFICE, title)
    assert handling["node"] == "handle" and handling["unit_id"] == EDUCATION
