"""A whole 发文 across the city, county and towns of the demo hierarchy, every human step done in real
Chromium as people do it: clerks at the desk, leaders tapping on 360 px phones.

A 科员 of 市政府办公室 drafts a 通知 in the name of 韶关市人民政府 to two saved groups chosen by name (115
units) and sends it for approval with 教育局 and 财政局 countersigning; after 核稿 the 教育局 head taps
不同意 with a reason, which the drafter sees live; the drafter fixes the draft at the desk and sends it
again; both heads agree; the 秘书长 signs it off on a phone, seeing how many units it will reach; the
office head checks it again and the 收发员 seals it, after which the flow's 分发 reaches all 115 units
(every town's 收发员 is pushed it). 浈江区人民政府 signs for it, registers it and forwards it to its towns;
a town reached both ways has one inbox entry naming both routes. Throughout, the sending office
(the drafter and its 收发员) still opens its document, its flow and its receipt board.

The HTTP API and /ws are used only to look on (pushes received, ids, what was stored), never to act.
Runs on the shared demo database; it adds one document, its flows and its exchange records.
"""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Browser, BrowserContext, Page, expect

from oa.demo import build_demo_hierarchy
from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import DESK, PHONE, login, new_page, pages_shown, screenshot
from tests.client import ApiClient
from tests.ws_client import Push
from web.services import Services

DRAFTER, OFFICE_HEAD, CLERK = "sg-szfb.ky1", "sg-szfb.bgszr1", "sg-szfb.sfy1"
SECRETARY, EDUCATION, FINANCE = "sg-szf.bgszr1", "sg-jiaoyu.zyld1", "sg-caizheng.zyld1"
COUNTY, COUNTY_CLERK = "zj-xzf", "zj-xzf.sfy1"
TOWN, TOWN_CLERK = "zj-t-donghe", "zj-t-donghe.sfy1"
ADMIN = "cityadmin"

COUNTIES, TOWNS = "各县（市、区）人民政府", "各乡镇人民政府、街道办事处"
DRAFT_TITLE = "关于做好2027年春季森林防火工作的通知"
TITLE = "关于切实做好2027年春季森林防火工作的通知"
BODY = "为切实做好2027年春季森林防火工作，现将有关事项通知如下。\n一、压实防火责任\n各地要落实属地管理责任。"
ADDED = "\n二、落实经费保障\n各级财政要将森林防火经费纳入年度预算。"
REASON = "未明确经费保障，请补充经费来源后再送会签"
NOTE = "请各镇（街道）结合实际认真贯彻落实。"


def town_clerks() -> dict[str, list[str]]:
    """Every town of the demo and the usernames of its 收发员."""
    hierarchy = build_demo_hierarchy()
    towns = {unit["id"] for unit in hierarchy["units"] if unit["level"] == "town"}
    clerks: dict[str, list[str]] = {town: [] for town in towns}
    for person in hierarchy["people"]:
        for post in person["posts"]:
            if post["unit"] in towns and "收发员" in post["roles"]:
                clerks[post["unit"]].append(person["username"])
    return clerks


async def person(browser: Browser, base_url: str, viewport: dict[str, int], username: str,
                 path: str = "/desk") -> tuple[BrowserContext, Page]:
    """Someone's own device, logged in once."""
    context, page = await new_page(browser, base_url, viewport)
    await login(page, path, username, DEFAULT_DEMO_PASSWORD)
    ready = page.get_by_role("link", name="组织机构") if path == "/admin" else page.get_by_role("button", name="退出")
    await expect(ready).to_be_visible()
    return context, page


async def tap_approve(phone: Page, title: str, phrase: str = "同意") -> None:
    """On a phone: open the task (it arrived live on the list), tap a phrase, tap the decision."""
    await phone.get_by_role("link", name=title).tap()
    await expect(phone.locator("#submit")).to_be_enabled()
    await phone.get_by_role("button", name=phrase, exact=True).first.tap()
    await expect(phone.locator("#opinion")).to_have_value(phrase)
    await phone.locator("#submit").tap()
    await expect(phone.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await expect(phone.get_by_role("link", name=title)).to_have_count(0)


async def sender_sees(page: Page, title: str, flow_text: str, dispatched: int | None = None) -> None:
    """The sending office opens its document, its flow and (once sent) its receipt board without an error."""
    await page.get_by_role("link", name="我的公文").click()
    await page.get_by_role("link", name=title, exact=True).click()
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await expect(page.locator("#flow h2")).to_contain_text(flow_text)
    await expect(page.locator("#app")).not_to_contain_text("无权查看")
    if dispatched is None:
        return
    await page.locator("#dispatch").get_by_role("link", name=re.compile(f"分发 {dispatched} 个单位")).click()
    await expect(page.locator("#board tbody tr")).to_have_count(dispatched)
    await expect(page.locator("#counts")).to_be_visible()
    await page.get_by_role("link", name="转发情况").click()
    await expect(page.locator("#lineage")).to_contain_text(f"直接分发 {dispatched} 个单位")
    await expect(page.locator("#app")).not_to_contain_text("无权查看")
    await expect(page.locator("#app")).not_to_contain_text("没有找到")


async def received(push: Push, document_id: str, timeout: float = 20) -> dict:
    """The next exchange.received push about this document."""
    while True:
        event = await push.next_of("exchange.received", timeout=timeout)
        if event["data"]["document_id"] == document_id:
            return event


async def test_a_notice_from_a_city_office_clerk_to_every_county_and_town(demo_api: ApiClient,
                                                                          demo_services: Services,
                                                                          browser: Browser) -> None:
    api, base = demo_api, demo_api.base_url
    # Everyone opens the app on their own device and logs in once.
    people = await asyncio.gather(
        person(browser, base, DESK, DRAFTER), person(browser, base, PHONE, OFFICE_HEAD, "/"),
        person(browser, base, PHONE, EDUCATION, "/"), person(browser, base, PHONE, FINANCE, "/"),
        person(browser, base, PHONE, SECRETARY, "/"), person(browser, base, DESK, CLERK),
        person(browser, base, DESK, COUNTY_CLERK), person(browser, base, DESK, TOWN_CLERK))
    contexts = [context for context, _ in people]
    drafter, office_head, education, finance, secretary, clerk, county, town = (page for _, page in people)

    # 1. 拟稿 at the desk: 文种, 发文机关 (the office drafts for 韶关市人民政府), 主送 two saved groups by name.
    await drafter.get_by_role("link", name="拟稿").click()
    await drafter.get_by_label("文种").select_option("通知")
    await drafter.get_by_label("发文机关").select_option(label="韶关市人民政府")
    await drafter.get_by_label("标题").fill(DRAFT_TITLE)
    for group in (COUNTIES, TOWNS):
        await drafter.get_by_label("主送", exact=True).fill(group[:3])
        await drafter.get_by_role("button", name=f"分组：{group}").click()
    await expect(drafter.get_by_label("主送已选")).to_have_text(f"{COUNTIES} ×{TOWNS} ×")
    await expect(drafter.locator("#draft-reach")).to_have_text("将送达 115 个单位")
    await drafter.get_by_label("正文").fill(BODY)
    await drafter.get_by_label("联系人及电话").fill("周东坤 0751-8888888")
    await screenshot(drafter, "journey-01-drafter-desk")
    await drafter.get_by_role("button", name="保存草稿").click()
    await expect(drafter.get_by_role("heading", name=DRAFT_TITLE)).to_be_visible()
    await expect(drafter.get_by_text("发文机关：韶关市人民政府", exact=True)).to_be_visible()
    await expect(drafter.get_by_text(f"主送：{COUNTIES}、{TOWNS}")).to_be_visible()
    await expect(drafter.locator("#doc-reach")).to_have_text("将送达 115 个单位")
    document_id = drafter.url.rsplit("/", 1)[1]

    # 送审 with 会签 by 教育局 and 财政局, chosen in the countersign picker.
    for name in ("韶关市教育局", "韶关市财政局"):
        await drafter.get_by_label("会签单位（可不选）", exact=True).fill(name)
        await drafter.get_by_role("button", name=name, exact=True).click()
    await expect(drafter.get_by_label("会签单位（可不选）已选")).to_have_text("韶关市教育局 ×韶关市财政局 ×")
    await drafter.get_by_role("button", name="送审").click()
    await expect(drafter.locator("#flow")).to_contain_text("当前：核稿")
    await expect(drafter.locator("#doc-status")).to_contain_text("审批中")
    await sender_sees(clerk, DRAFT_TITLE, "当前：核稿")

    # 2. 核稿 by the office head on a phone; the task arrived while the phone was open.
    await tap_approve(office_head, DRAFT_TITLE)
    await expect(drafter.locator("#flow")).to_contain_text("当前：会签")  # live at the drafter's desk

    # The 教育局 head disagrees, with a reason; the 财政局 head's task is withdrawn.
    await expect(finance.get_by_role("link", name=DRAFT_TITLE)).to_be_visible()
    await education.get_by_role("link", name=DRAFT_TITLE).tap()
    await expect(education.locator("#reach")).to_have_text("将送达 115 个单位")
    await education.get_by_role("button", name="不同意", exact=True).tap()
    await education.get_by_label("不同意理由").fill(REASON)
    await screenshot(education, "journey-02-countersign-phone")
    await education.get_by_role("button", name="确认不同意").tap()
    await expect(education.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await expect(education.get_by_role("link", name=DRAFT_TITLE)).to_have_count(0)
    await expect(finance.get_by_role("link", name=DRAFT_TITLE)).to_have_count(0)

    # The drafter's desk shows it live: 不同意 with the reason, back to the drafter, a draft again.
    flow = drafter.locator("#flow")
    await expect(flow.locator("li.disagreed")).to_contain_text("不同意")
    await expect(flow.locator("li.disagreed")).to_contain_text(REASON)
    await expect(drafter.locator("#flow-alert")).to_contain_text(REASON)
    await expect(drafter.locator("#holders")).to_contain_text("（拟稿）")
    await expect(drafter.locator("#flow #urge")).to_have_count(0)  # nobody else to urge: it waits on the drafter
    await expect(drafter.locator("#doc-status")).to_contain_text("草稿")
    await screenshot(drafter, "journey-03-drafter-disagreed")
    await sender_sees(clerk, DRAFT_TITLE, "当前：拟稿")

    # The draft is in the drafter's 待办 on the desk, and opens on its page there, to be fixed and sent again.
    await drafter.get_by_role("link", name="待办", exact=True).click()
    await drafter.get_by_role("link", name=DRAFT_TITLE).click()
    await expect(drafter).to_have_url(re.compile(f"/desk#/documents/{document_id}$"))

    # The drafter fixes the draft at the desk (title and 正文; 主送 kept) and sends it again.
    await drafter.get_by_role("button", name="修改草稿").click()
    edit = drafter.locator("#edit")
    await expect(edit.get_by_label("主送已选")).to_have_text(f"{COUNTIES} ×{TOWNS} ×")
    await expect(edit.locator("#edit-reach")).to_have_text("将送达 115 个单位")
    await expect(edit.get_by_label("正文")).to_have_value(BODY)  # headings numbered as typed
    await edit.get_by_label("标题").fill(TITLE)
    await edit.get_by_label("正文").press("Control+End")
    await edit.get_by_label("正文").press_sequentially(ADDED)
    await edit.get_by_role("button", name="保存修改").click()
    await expect(drafter.get_by_role("heading", name=TITLE)).to_be_visible()
    send = drafter.locator("#send")
    await expect(send.get_by_label("会签单位（可不选）已选")).to_have_text("韶关市教育局 ×韶关市财政局 ×")
    await send.get_by_role("button", name="送审").click()
    await expect(drafter.locator("#flow")).to_contain_text("当前：核稿")
    await expect(drafter.locator("#edit")).to_have_count(0)
    token = await api.login(DRAFTER)  # to look on, not to act
    stored = (await api.get(f"/api/documents/{document_id}", token=token)).body
    assert stored["content"]["title"] == TITLE
    assert [(item["level"], item["text"]) for item in stored["content"]["body"]] == [
        (0, "为切实做好2027年春季森林防火工作，现将有关事项通知如下。"), (1, "压实防火责任"),
        (0, "各地要落实属地管理责任。"), (1, "落实经费保障"), (0, "各级财政要将森林防火经费纳入年度预算。")]
    assert [entry.get("group") for entry in stored["content"]["main_to"]] == ["grp-county-govs", "grp-towns"]

    # 核稿 again, then both heads agree.
    await tap_approve(office_head, TITLE)
    await tap_approve(education, TITLE)
    await tap_approve(finance, TITLE)
    await expect(drafter.locator("#flow")).to_contain_text("当前：签发")
    await sender_sees(clerk, TITLE, "当前：签发")

    # 3. 签发 by the 秘书长 on a phone, who sees how far it goes.
    await secretary.get_by_role("link", name=TITLE).tap()
    await expect(secretary.locator("#reach")).to_have_text("将送达 115 个单位")
    await expect(secretary.locator("#submit")).to_have_text("签发")
    await expect(secretary.locator(".timeline")).to_contain_text(REASON)  # what happened on the way
    await secretary.get_by_role("button", name="同意印发", exact=True).tap()
    await screenshot(secretary, "journey-04-signoff-phone")
    await secretary.locator("#submit").tap()
    await expect(secretary.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await expect(secretary.get_by_role("link", name=TITLE)).to_have_count(0)

    # 复核 by the office head; 编号 runs by itself.
    await tap_approve(office_head, TITLE)
    await expect(drafter.locator("#flow")).to_contain_text("当前：用印")
    await expect(drafter.locator("#doc-status")).to_contain_text("韶府〔")
    await sender_sees(clerk, TITLE, "当前：用印")

    # Every town's 收发员 is listening before the document is sealed.
    clerks = town_clerks()
    assert len(clerks) == 105 and all(clerks.values())
    usernames = [username for names in clerks.values() for username in names]
    tokens = await asyncio.gather(*(api.login(username) for username in usernames))
    pushes = dict(zip(usernames, await asyncio.gather(*(Push.connect(base, token) for token in tokens)), strict=True))

    # 用印 by the office's 收发员, from the desk's 待办, on the task's page in the desk; the flow renders and
    # dispatches it, and the clerk is back at the desk's 待办.
    await clerk.get_by_role("link", name="待办").click()
    await clerk.get_by_role("link", name=TITLE).click()
    await expect(clerk.locator("#submit")).to_have_text("已用印")
    await expect(clerk.get_by_role("navigation", name="功能")).to_be_visible()  # still the desk
    await expect(clerk.locator("#task-card")).to_contain_text(TITLE)
    await clerk.locator("#submit").click()
    await expect(clerk.get_by_role("heading", name=re.compile(r"^待办（\d+）$"))).to_be_visible()
    assert clerk.url.endswith("/desk#/todo")
    await expect(clerk.get_by_role("link", name=TITLE)).to_have_count(0)
    await expect(drafter.locator("#flow h2")).to_contain_text("已办结")
    await expect(drafter.locator("#doc-status")).to_contain_text("已分发")

    # 4. The automatic 分发 reached all 115 units, and every town's 收发员 was told.
    clerk_token = await api.login(CLERK)
    sent = (await api.get("/api/exchange/sent?limit=200", token=clerk_token)).body["items"]
    [dispatch] = [item for item in sent if item["document_id"] == document_id]
    assert dispatch["total"] == 115 and dispatch["counts"]["pending"] == 115
    events = await asyncio.gather(*(received(push, document_id) for push in pushes.values()))
    assert {event["data"]["unit_id"] for event in events} == set(clerks)
    assert {event["data"]["dispatch_id"] for event in events} == {dispatch["id"]}

    await sender_sees(clerk, TITLE, "已办结", dispatched=115)
    await clerk.get_by_role("link", name="返回签收情况").click()
    await expect(clerk.locator("#counts")).to_contain_text("未签收 115")
    await screenshot(clerk, "journey-05-board")
    await sender_sees(drafter, TITLE, "已办结", dispatched=115)

    # 5. The county signs for it, registers it and forwards it to its towns, at the desk.
    row = county.locator("#inbox tr", has_text=TITLE)
    await expect(county.get_by_role("alert")).to_contain_text(f"新收文：{TITLE}")
    await row.get_by_role("button", name="签收").click()
    await expect(row).to_contain_text("已签收")
    await sender_sees(clerk, TITLE, "已办结", dispatched=115)
    await row.get_by_role("button", name="登记").click()
    await expect(county.get_by_role("status")).to_have_text("已登记，收文流程已启动")
    await expect(row).to_contain_text("办理中")
    # Registration starts the county's own 收文 flow on the same document: the sender keeps its own.
    await sender_sees(clerk, TITLE, "已办结", dispatched=115)
    await sender_sees(drafter, TITLE, "已办结", dispatched=115)
    # 转发: the county's towns chosen in the picker of its subtree, with a cover note.
    await row.get_by_role("link", name="转发", exact=True).click()
    await county.get_by_role("button", name=re.compile("选择全部乡镇（街道）")).click()
    await county.get_by_label("转发意见").fill(NOTE)
    await county.locator("#forward").get_by_role("button", name="转发", exact=True).click()
    await expect(county.get_by_role("status")).to_contain_text("已转发给")
    await county.get_by_role("link", name="收文", exact=True).click()
    await expect(county.locator("#inbox tr", has_text=TITLE)).to_contain_text("办理中")
    await screenshot(county, "journey-06-county-inbox")
    county_towns = [unit for unit in clerks if unit.startswith("zj-")]
    again = await asyncio.gather(*(received(pushes[username], document_id)
                                   for unit in county_towns for username in clerks[unit]))
    assert all(event["data"]["note"] == NOTE for event in again)
    await clerk.get_by_role("link", name="返回签收情况").click()
    await expect(clerk.locator(f"tr[data-unit='{COUNTY}']")).to_contain_text("办理中")
    await clerk.get_by_role("link", name="转发情况").click()
    await expect(clerk.locator("#lineage")).to_contain_text("其中 1 个单位向下转发")
    await expect(clerk.locator("#lineage")).to_contain_text(NOTE)
    await sender_sees(drafter, TITLE, "已办结", dispatched=115)

    # 6. A town reached twice, by the city and through its county: one entry, both routes.
    row = town.locator("#inbox tr", has_text=TITLE)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("另经 韶关市浈江区人民政府 转发")
    await expect(row).to_contain_text(f"转发意见（韶关市浈江区人民政府）：{NOTE}")  # the county's cover note too
    await row.get_by_role("button", name="签收").click()
    await expect(row).to_contain_text("已签收")
    await screenshot(town, "journey-07-town-inbox")
    # The town reads what it received: the pages as issued, the city's seal pressed and signed, and checks the seal.
    await row.get_by_role("link", name=TITLE).click()
    await expect(town.locator(".pages")).to_contain_text("已用印、签名的正式文件")
    assert await pages_shown(town) % 2 == 0
    await town.get_by_role("button", name="验证签章").click()
    await expect(town.locator(".seal-check")).to_contain_text("签章验证通过", timeout=15_000)
    await expect(town.locator(".seal-check li")).to_contain_text(["印章有效，文件未被改动"])
    await screenshot(town, "journey-07b-town-reads-sealed")
    receipts = await demo_services.mongo["receipts"].find({"document_id": document_id, "unit_id": TOWN}).to_list(None)
    assert len(receipts) == 2 and {receipt["status"] for receipt in receipts} == {"signed"}
    await sender_sees(clerk, TITLE, "已办结", dispatched=115)

    # An admin's main page.
    admin_context, admin = await person(browser, base, DESK, ADMIN, "/admin")
    await expect(admin.locator("#scope")).to_contain_text("韶关市人民政府")
    await screenshot(admin, "journey-08-admin")

    for push in pushes.values():
        push.close()
    for context in [*contexts, admin_context]:
        await context.close()


async def test_the_audit_chains_verify_after_the_journeys(demo_api: ApiClient) -> None:
    """After the journeys (and whatever else ran on the shared demo before them), the 审计员 finds every
    unit's audit chain intact: each action of the walk above was chained as it happened."""
    token = await demo_api.login("auditor")
    report = await demo_api.get("/api/audit/verify", token=token)
    assert report.status == 200, report
    assert report.body["ok"], report.body["problems"][:3]
    # The walk's own units were chained: the city office that drafted and every unit that signed for it.
    chained = {row["unit"]: row["links"] for row in report.body["units"]}
    assert chained.get("sg-szfb", 0) > 0 and sum(chained.values()) == report.body["links"] > 100, chained
