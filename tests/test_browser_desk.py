"""The desk in real Chromium, as clerks use it: 主送/抄送 chosen as saved groups, single units and
marked external names; the 发文机关 chosen among the units the office drafts for, and a 联合行文's
further issuers (platform units that countersign, organs outside the platform by name); how many
units a document will reach before it is sent; an automatic step that failed, shown on the flow as
it happens; 分发 offered only to the office, pre-filled by name, and its receipt board opening at the
top; 追回 from the board, seen live by the sender and by each recipient; an admin sent to the admin pages; a draft's
版式 changed after it was saved, with the fields its form needs and an attachment's own text, the pages following."""

from __future__ import annotations

import re
from typing import Any

import pypdfium2 as pdfium
from playwright.async_api import Browser, Page, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import DESK, SCREENSHOTS, login, new_page, pages_shown, screenshot
from tests.client import ApiClient
from tests.exchange_org import build_exchange, dispatch, numbered, receipt_action
from tests.factories import PASSWORD
from tests.test_attachments import PDF
from web.services import Services

TOWNS = "各乡镇人民政府、街道办事处"


async def test_a_city_office_clerk_addresses_groups_units_and_an_outside_organ(demo_api: ApiClient,
                                                                              demo_services: Services,
                                                                              browser: Browser) -> None:
    context, desk = await new_page(browser, demo_api.base_url, DESK)
    await login(desk, "/desk", "sg-szfb.sfy1", DEFAULT_DEMO_PASSWORD)
    await desk.get_by_role("link", name="拟稿").click()
    # 市政府办公室 drafts in its own name and for 韶关市人民政府: the clerk chooses, there is no default.
    issuer = desk.get_by_label("发文机关")
    await expect(issuer.locator("option")).to_have_text(["请选择发文机关", "韶关市人民政府", "韶关市人民政府办公室"])
    await expect(issuer).to_have_value("")
    await desk.get_by_label("文种").select_option("通知")
    await desk.get_by_label("标题").fill("关于做好2026年冬季森林防火工作的通知")
    await desk.get_by_label("主送常用分组").select_option(label="各县（市、区）人民政府")
    await desk.get_by_label("抄送", exact=True).fill("各乡镇")
    await desk.get_by_role("button", name=f"分组：{TOWNS}").click()
    await desk.get_by_label("抄送", exact=True).fill("韶关市教育局")
    await desk.get_by_role("button", name="韶关市教育局", exact=True).click()
    await desk.get_by_label("抄送", exact=True).fill("市委办公室")
    await desk.get_by_role("button", name="添加外部单位“市委办公室”（只印发，不送达）").click()
    await expect(desk.get_by_label("抄送已选")).to_contain_text("外部单位市委办公室")
    token = await demo_api.login("sg-szfb.sfy1")
    reach = await demo_api.post("/api/recipients/resolve", {"selectors": [
        {"group": "grp-county-govs"}, {"group": "grp-towns"}, {"unit": "sg-jiaoyu"}]}, token=token)
    expected = f"将送达 {reach.body['total']} 个单位（另有 1 个外部单位只印发）"
    await expect(desk.locator("#draft-reach")).to_have_text(expected)
    await desk.get_by_label("正文").fill("现将有关事项通知如下。")
    await desk.get_by_role("button", name="保存草稿").click()
    await expect(desk.locator("#draft-error")).to_have_text("请选择发文机关")
    await issuer.select_option(label="韶关市人民政府")
    await desk.get_by_role("button", name="保存草稿").click()

    # The document: what prints, external names marked, and how many units it reaches before 送审.
    await expect(desk.get_by_role("heading", name="关于做好2026年冬季森林防火工作的通知")).to_be_visible()
    await expect(desk.get_by_text("发文机关：韶关市人民政府")).to_be_visible()
    await expect(desk.get_by_text("主送：各县（市、区）人民政府")).to_be_visible()
    await expect(desk.get_by_text(f"抄送：{TOWNS}、韶关市教育局、市委办公室外部单位")).to_be_visible()
    await expect(desk.locator("#doc-reach")).to_have_text(expected)
    doc_id = desk.url.rsplit("/", 1)[1]
    stored = await demo_services.mongo["documents"].find_one({"_id": doc_id})
    content = stored["content"]
    assert content["issuers"][0]["unit_id"] == "sg-szf" and stored["drafting_unit_id"] == "sg-szfb"
    assert [entry.get("group") for entry in content["main_to"]] == ["grp-county-govs"]
    copy_to = [(entry.get("group"), entry.get("unit_id"), entry.get("external"), entry["name"])
               for entry in content["copy_to"]]
    assert copy_to == [("grp-towns", None, None, TOWNS), (None, "sg-jiaoyu", None, "韶关市教育局"),
                       (None, None, True, "市委办公室")]

    # 送审 of a draft the service finds incomplete says what it lacks, in the service's words.
    await desk.get_by_role("link", name="拟稿").click()
    await desk.get_by_label("文种").select_option("通知")
    await desk.get_by_label("发文机关").select_option(label="韶关市人民政府办公室")
    await desk.get_by_label("标题").fill("关于报送2026年工作总结的通知")
    await desk.get_by_label("正文").fill("请于12月20日前报送。")
    await desk.get_by_role("button", name="保存草稿").click()
    await expect(desk.get_by_role("heading", name="关于报送2026年工作总结的通知")).to_be_visible()
    await desk.get_by_role("button", name="送审").click()
    await expect(desk.locator("#submit-problems")).to_contain_text("缺少主送机关")
    await context.close()


async def test_a_failed_dispatch_step_shows_on_the_flow_as_it_happens(services: Services, api: ApiClient,
                                                                     browser: Browser) -> None:
    office = await build_exchange(services, api)
    # 主送 the towns below a town: there are none, so the flow's 分发 has nowhere to deliver.
    document = await office.draft(main_to=[{"subtree": "town", "level": "town"}])
    instance = await office.start(document["id"])
    for who in ("office", "head", "office"):  # 核稿, 签发, 复核; 编号 runs by itself
        await office.act(who, (await office.only_task(who))["id"])

    context, desk = await new_page(browser, api.base_url, DESK)
    await login(desk, "/desk", "drafter", PASSWORD)
    await expect(desk.get_by_role("heading", name="收文（0）")).to_be_visible()
    await desk.goto(f"/desk#/documents/{document['id']}")
    await expect(desk.locator("#flow")).to_contain_text("当前：用印")
    await expect(desk.locator("#flow-error")).to_have_count(0)
    # The 科员 who drafted it is not the office: no 分发 for them.
    await expect(desk.locator("#dispatch")).to_contain_text("分发由本单位收发员或办公室主任办理")
    await expect(desk.get_by_role("button", name="分发", exact=True)).to_have_count(0)

    await office.act("registrar", (await office.only_task("registrar"))["id"])  # 用印; 分发 fails
    failed = desk.locator("#flow-error")
    await expect(failed).to_contain_text("分发失败：")  # without reloading: the flow.step_failed push
    await expect(desk.locator("#flow-alert")).to_contain_text("分发失败")
    view = await office.instance(instance["id"])
    assert view["instance"]["auto_error"]["node"] == "dispatch"
    await expect(failed).to_contain_text(view["instance"]["auto_error"]["message"])
    await context.close()


async def test_the_office_dispatches_by_name_and_the_board_opens_at_its_top(services: Services, api: ApiClient,
                                                                           browser: Browser) -> None:
    office = await build_exchange(services, api)
    for index in range(3, 15):  # enough towns for a board longer than the window
        await services.orgs.create({"id": f"town{index}", "name": f"甲{index}镇人民政府", "type": "乡镇",
                                    "level": "town", "parent_id": "county"})
    await services.recipients.do_save_group({"id": "grp-towns", "name": TOWNS, "unit_id": None,
                                             "selectors": [{"level": "town"}]}, by="test")
    document = await numbered(office, main_to=[{"group": "grp-towns"}])

    context, desk = await new_page(browser, api.base_url, {"width": 1280, "height": 520})
    await login(desk, "/desk", "registrar", PASSWORD)
    await expect(desk.get_by_role("heading", name="收文（0）")).to_be_visible()
    await desk.goto(f"/desk#/documents/{document['id']}")
    dispatch = desk.locator("#dispatch")
    await expect(dispatch.get_by_label("分发给（主送）已选")).to_have_text(f"{TOWNS} ×")  # its name, not grp-towns
    await expect(desk.locator("#dispatch-reach")).to_have_text("将送达 14 个单位")
    await expect(dispatch).not_to_contain_text("grp-towns")
    await dispatch.get_by_role("button", name=f"移除 {TOWNS}").click()
    await dispatch.get_by_role("button", name="分发", exact=True).click()
    await expect(desk.locator("#dispatch-problem")).to_have_text("请选择分发单位")
    assert await services.mongo["dispatches"].count_documents({}) == 0

    await dispatch.get_by_label("分发给（主送）常用分组").select_option(label=TOWNS)
    await dispatch.get_by_role("button", name="分发", exact=True).click()
    await expect(desk.locator("#counts")).to_contain_text("未签收 14")
    await expect(desk.locator("#board tbody tr")).to_have_count(14)
    assert await desk.evaluate("document.documentElement.scrollHeight > innerHeight")  # there is somewhere to scroll
    assert await desk.evaluate("scrollY") == 0
    await context.close()


async def test_the_sender_recalls_chosen_units_then_the_rest_and_each_side_sees_it_live(services: Services,
                                                                                      api: ApiClient,
                                                                                      browser: Browser) -> None:
    office = await build_exchange(services, api)
    title = "关于召开全县安全生产工作会议的通知"
    document = await numbered(office, title=title, main_to=[{"unit_id": "town"}, {"unit_id": "town2"}],
                              copy_to=[{"unit_id": "dept-edu"}])
    sent = await dispatch(office, document["id"], main=[{"unit": "town"}, {"unit": "town2"}],
                          copy=[{"unit": "dept-edu"}])
    await receipt_action(office, f"{sent['id']}.town2", "sign", "town2-clerk")

    town_context, town = await new_page(browser, api.base_url, DESK)
    await login(town, "/desk", "town-clerk", PASSWORD)
    await expect(town.locator("#inbox tr", has_text=title)).to_contain_text("未签收")
    town2_context, town2 = await new_page(browser, api.base_url, DESK)
    await login(town2, "/desk", "town2-clerk", PASSWORD)
    await expect(town2.locator("#inbox tr", has_text=title)).to_contain_text("已签收")

    context, desk = await new_page(browser, api.base_url, DESK)
    await login(desk, "/desk", "registrar", PASSWORD)
    await desk.get_by_role("link", name="发文分发").click()
    await desk.get_by_role("link", name=title).click()
    counts = desk.locator("#counts")
    await expect(counts).to_contain_text("未签收 2")
    await expect(counts).not_to_contain_text("追回")  # nothing recalled yet: no 追回 counts
    # The same board open in a second window: it follows the 追回 over /ws alone.
    watcher_context, watcher = await new_page(browser, api.base_url, DESK)
    await login(watcher, "/desk", "registrar", PASSWORD)
    await expect(watcher.get_by_role("heading", name="收文（0）")).to_be_visible()
    await watcher.goto(f"/desk#/board/{sent['id']}")
    await expect(watcher.locator("#counts")).to_contain_text("未签收 2")
    # Two rows ticked: the unsigned town is withdrawn, the town that signed gets a notice to confirm.
    await desk.get_by_label("选择 甲一镇人民政府").check()
    await desk.get_by_label("选择 甲二镇人民政府").check()
    await desk.get_by_role("button", name="追回", exact=True).click()
    await expect(desk.locator("#recall-scope")).to_have_text("追回所选 2 个单位")
    await desk.get_by_role("button", name="确认追回").click()
    await expect(desk.locator("#recall-problem")).to_have_text("请填写追回理由")
    await desk.get_by_label("追回理由").fill("主送单位选错，请勿办理")
    await desk.get_by_role("button", name="确认追回").click()
    await expect(desk.get_by_role("status")).to_have_text("已撤回 1 个未签收单位；已向 1 个已签收单位发出追回通知")
    await expect(desk.locator("tr[data-unit=town]")).to_contain_text("已追回")
    await expect(desk.locator("tr[data-unit=town2]")).to_contain_text("已签收追回待确认")
    await expect(desk.locator("tr[data-unit=town2]")).to_contain_text("追回理由：主送单位选错，请勿办理")
    await expect(desk.locator("tr[data-unit=dept-edu]")).to_contain_text("未签收")
    await expect(counts).to_contain_text("未签收 1")
    await expect(counts).to_contain_text("已追回 1")
    await expect(counts).to_contain_text("追回待确认 1")
    await expect(desk.get_by_label("选择 甲一镇人民政府")).to_be_disabled()
    await expect(watcher.locator("tr[data-unit=town]")).to_contain_text("已追回")
    await expect(watcher.locator("tr[data-unit=town2]")).to_contain_text("追回待确认")
    await expect(watcher.locator("#counts")).to_contain_text("追回待确认 1")
    await screenshot(desk, "desk-recall-board")

    # The unsigned town: gone from its inbox without reloading, with a short notice saying so.
    await expect(town.locator("#flow-alert")).to_contain_text(f"已被追回：《{title}》")
    await expect(town.locator("#inbox tr", has_text=title)).to_have_count(0)
    # The town that had signed: the notice on its entry, with reason, who and when, to confirm.
    await expect(town2.locator("#flow-alert")).to_contain_text(f"追回通知：《{title}》")
    entry = town2.locator("#inbox tr", has_text=title)
    await expect(entry.locator(".recall-notice")).to_contain_text("理由：主送单位选错，请勿办理")
    await expect(entry.locator(".recall-notice")).to_contain_text("甲县人民政府 李收发（收发员）")
    await expect(entry.get_by_role("button", name="登记")).to_have_count(0)
    await screenshot(town2, "desk-recall-notice")
    await entry.get_by_role("button", name="确认收到追回通知").click()
    await expect(town2.get_by_role("status")).to_have_text("已确认收到追回通知")
    entry = town2.locator("#inbox tr", has_text=title)
    await expect(entry).to_contain_text("追回已确认")
    await expect(entry.locator(".recall-notice")).to_contain_text("已确认收到：罗收发")
    await expect(entry.get_by_role("button", name="确认收到追回通知")).to_have_count(0)

    # The sender's board hears of the confirmation live.
    await expect(desk.locator("tr[data-unit=town2]")).to_contain_text("追回已确认（罗收发")
    await expect(counts).to_contain_text("追回待确认 0")
    await expect(counts).to_contain_text("追回已确认 1")

    # Nothing ticked: the rest of the dispatch.
    await desk.get_by_role("button", name="追回", exact=True).click()
    await expect(desk.locator("#recall-scope")).to_contain_text("追回全部：1 个单位")
    await desk.get_by_label("追回理由").fill("会议延期，另行通知")
    await desk.get_by_role("button", name="确认追回").click()
    await expect(desk.locator("tr[data-unit=dept-edu]")).to_contain_text("已追回")
    await expect(counts).to_contain_text("已追回 2")
    statuses = {row["unit_id"]: (row["status"], bool(row["recall"]["acknowledged_at"]))
                async for row in services.mongo["receipts"].find({"dispatch_id": sent["id"]})}
    assert statuses == {"town": ("recalled", False), "town2": ("signed", True), "dept-edu": ("recalled", False)}
    for opened in (context, watcher_context, town_context, town2_context):
        await opened.close()


async def test_a_clerk_drafts_a_joint_document_with_a_platform_unit_and_an_outside_organ(services: Services,
                                                                                       api: ApiClient,
                                                                                       browser: Browser) -> None:
    office = await build_exchange(services, api)
    title = "关于联合开展校园周边食品安全专项整治的通知"
    context, desk = await new_page(browser, api.base_url, DESK)
    await login(desk, "/desk", "drafter", PASSWORD)
    await desk.get_by_role("link", name="拟稿").click()
    await desk.get_by_label("文种").select_option("通知")
    await expect(desk.get_by_label("发文机关")).to_have_value("county")  # the one organ it may issue for
    await desk.get_by_label("联合行文机关", exact=True).fill("甲县教育局")
    await desk.get_by_role("button", name="甲县教育局", exact=True).click()
    await desk.get_by_label("联合行文机关", exact=True).fill("甲县市场监督管理局")
    await desk.get_by_role("button", name="添加外部机关“甲县市场监督管理局”（平台外，只署名）").click()
    await expect(desk.get_by_label("联合行文机关已选")).to_have_text("甲县教育局 ×外部机关甲县市场监督管理局 ×")
    await desk.get_by_label("联合行文机关", exact=True).fill("甲县人民政府")
    await desk.get_by_role("button", name="甲县人民政府", exact=True).click()
    await desk.get_by_label("标题").fill(title)
    await desk.get_by_label("主送", exact=True).fill("甲一镇")
    await desk.get_by_role("button", name="甲一镇人民政府", exact=True).click()
    await desk.get_by_label("正文").fill("现将有关事项通知如下。")
    await desk.get_by_role("button", name="保存草稿").click()
    await expect(desk.locator("#draft-error")).to_have_text("甲县人民政府已是主办发文机关，不能再作为联合行文机关")
    await desk.get_by_role("button", name="移除 甲县人民政府").click()
    await desk.get_by_role("button", name="保存草稿").click()

    issuers = desk.locator("#issuers")
    await expect(issuers).to_have_text("发文机关：甲县人民政府主办、甲县教育局待会签、甲县市场监督管理局外部机关")
    doc_id = desk.url.rsplit("/", 1)[1]
    stored = await services.mongo["documents"].find_one({"_id": doc_id})
    assert [(item["unit_id"], item.get("external"), item["name"]) for item in stored["content"]["issuers"]] == [
        ("county", None, "甲县人民政府"), ("dept-edu", None, "甲县教育局"), (None, True, "甲县市场监督管理局")]

    # 修改草稿: the issuers as stored, changed with the same picker.
    edit = desk.locator("#edit")
    await edit.get_by_role("button", name="修改草稿").click()
    await expect(edit.get_by_label("发文机关")).to_have_value("county")
    await expect(edit.get_by_label("联合行文机关已选")).to_have_text("甲县教育局 ×外部机关甲县市场监督管理局 ×")
    await edit.get_by_role("button", name="移除 外部机关 甲县市场监督管理局").click()
    await edit.get_by_label("联合行文机关", exact=True).fill("甲县财政局")
    await edit.get_by_role("button", name="甲县财政局", exact=True).click()
    await edit.get_by_role("button", name="保存修改").click()
    await expect(issuers).to_have_text("发文机关：甲县人民政府主办、甲县教育局待会签、甲县财政局待会签")

    # 送审: the co-issuers countersign; an 主要领导's 同意 shows on the page as that issuer's consent, live.
    await desk.locator("#send").get_by_role("button", name="送审").click()
    await expect(desk.locator("#flow")).to_contain_text("当前：核稿")
    instance_id = (await services.mongo["flow_instances"].find_one({"document_id": doc_id}))["_id"]
    await office.act("office", (await office.only_task("office", instance_id))["id"])
    await office.act("edu", (await office.only_task("edu", instance_id))["id"], opinion="同意")
    await expect(issuers).to_contain_text("甲县教育局已会签同意（周局长）")
    await expect(issuers).to_contain_text("甲县财政局待会签")
    await screenshot(desk, "desk-joint-issuers")
    await context.close()


async def test_an_admin_at_the_desk_is_sent_to_the_admin_pages(demo_api: ApiClient, browser: Browser) -> None:
    context, desk = await new_page(browser, demo_api.base_url, DESK)
    await login(desk, "/desk", "cityadmin", DEFAULT_DEMO_PASSWORD)
    page = desk.locator("#admin-only")
    await expect(page).to_contain_text("办公桌面供各单位收发员、科员和办公室人员使用")
    await expect(page).to_contain_text("韶关市人民政府 信息化管理员")
    await expect(desk.locator("#app")).not_to_contain_text("无权查看")
    await screenshot(desk, "desk-admin-only")
    await desk.get_by_role("link", name="进入管理后台").click()
    await expect(desk).to_have_url(f"{demo_api.base_url}/admin")
    await expect(desk.get_by_role("navigation", name="管理功能")).to_be_visible()
    await context.close()


async def test_a_clerk_sets_a_notice_as_a_letter_and_the_preview_shows_the_letterhead(
        services: Services, api: ApiClient, browser: Browser) -> None:
    await build_exchange(services, api)
    title = "关于商请协助核实林地权属的通知"
    context, desk = await new_page(browser, api.base_url, DESK)
    await login(desk, "/desk", "drafter", PASSWORD)
    await desk.get_by_role("link", name="拟稿").click()
    await desk.get_by_label("文种").select_option("通知")
    await desk.get_by_label("版式").select_option("信函格式")
    await desk.get_by_label("标题").fill(title)
    await desk.get_by_label("主送", exact=True).fill("甲一镇")
    await desk.get_by_role("button", name="甲一镇人民政府", exact=True).click()
    await desk.get_by_label("正文").fill("请协助核实有关林地权属。")
    await desk.get_by_role("button", name="保存草稿").click()
    await expect(desk.locator("#issuers")).to_be_visible()
    doc_id = desk.url.rsplit("/", 1)[1]
    assert (await services.mongo["documents"].find_one({"_id": doc_id}))["content"]["form"] == "信函格式"

    async with context.expect_page() as opened:
        await desk.get_by_role("link", name="预览").click()
    preview = await opened.value
    await expect(preview.locator(".mark")).to_have_text("甲县人民政府")  # the letterhead: no 文件
    await expect(preview.locator("hr.letter-rule")).to_be_visible()
    await context.close()


async def test_a_clerk_drafts_minutes_with_their_attendees_and_the_preview_shows_them(
        services: Services, api: ApiClient, browser: Browser) -> None:
    await build_exchange(services, api)
    context, desk = await new_page(browser, api.base_url, DESK)
    await login(desk, "/desk", "drafter", PASSWORD)
    await desk.get_by_role("link", name="拟稿").click()
    minutes_fields = desk.locator("#minutes-fields")
    await expect(minutes_fields).to_be_hidden()  # only a 纪要 asks for attendees
    await desk.get_by_label("文种").select_option("纪要")
    await expect(minutes_fields).to_be_visible()
    await expect(desk.locator("#order-fields")).to_be_hidden()
    await desk.get_by_label("标题").fill("关于研究冬季森林防火工作的会议纪要")
    await desk.get_by_label("会议名称").fill("常务会议")
    await desk.get_by_label("期号").fill("5")
    await desk.get_by_label("出席", exact=True).fill("张三、李四\n王五")
    await desk.get_by_label("列席", exact=True).fill("县应急管理局 赵六")
    await desk.get_by_label("正文").fill("会议研究了冬季森林防火工作。")
    await desk.get_by_role("button", name="保存草稿").click()
    await expect(desk.locator("#issuers")).to_be_visible()
    doc_id = desk.url.rsplit("/", 1)[1]
    content = (await services.mongo["documents"].find_one({"_id": doc_id}))["content"]
    assert content["attendees"] == ["张三", "李四", "王五"] and content["attending"] == ["县应急管理局 赵六"]
    assert content["meeting"] == "常务会议" and content["minutes_number"] == 5 and content["absent"] == []

    async with context.expect_page() as opened:
        await desk.get_by_role("link", name="预览").click()
    preview = await opened.value
    await expect(preview.locator(".mark")).to_have_text("甲县人民政府常务会议纪要")
    await expect(preview.locator(".number")).to_have_text("第5期")
    await expect(preview.locator(".names")).to_have_text(["出席：张三、李四、王五", "列席：县应急管理局 赵六"])
    await context.close()



def first_page_text(pdf: bytes) -> str:
    return "".join(pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range().split())


async def pages_shown_now(desk: Page, api: ApiClient, doc_id: str, token: str) -> dict[str, Any]:
    """The desk's 版式页面 as the service lays the document out now: as many images, drawn for its current version."""
    info = (await api.get(f"/api/documents/{doc_id}/pages", token=token)).body
    await pages_shown(desk, info["count"])
    await expect(desk.locator(".pages img.page").first).to_have_attribute(
        "src", re.compile(rf"/pages/1\.png\?width=\d+&v=v{info['version']}$"))
    return info


async def test_a_clerk_changes_a_drafts_layout_its_fields_and_an_attachments_text(
        services: Services, api: ApiClient, browser: Browser) -> None:
    await build_exchange(services, api)
    token = await api.login("drafter", PASSWORD)  # to look on, as the desk's own requests do
    context, desk = await new_page(browser, api.base_url, DESK)
    await login(desk, "/desk", "drafter", PASSWORD)
    await desk.get_by_role("link", name="拟稿").click()
    await desk.get_by_label("文种").select_option("通知")
    await desk.get_by_label("标题").fill("关于研究冬季森林防火工作的通知")
    await desk.get_by_label("主送", exact=True).fill("甲一镇")
    await desk.get_by_role("button", name="甲一镇人民政府", exact=True).click()
    await desk.get_by_label("正文").fill("现将有关事项通知如下。")
    await desk.get_by_role("button", name="保存草稿").click()
    await expect(desk.locator("#issuers")).to_be_visible()
    doc_id = desk.url.rsplit("/", 1)[1]
    path = f"/api/documents/{doc_id}"
    await pages_shown_now(desk, api, doc_id, token)
    assert "文件" in first_page_text((await api.get(f"{path}/render.pdf", token=token)).body)

    # 纪要格式: the minutes' fields appear, prefilled as stored (empty), and the pages are the minutes' once saved.
    edit = desk.locator("#edit")
    await edit.get_by_role("button", name="修改草稿").click()
    layout = edit.get_by_label("版式")
    await expect(layout).to_have_value("")
    await expect(layout.locator("option:checked")).to_have_text("按文种（文件格式）")
    await expect(edit.locator("#edit_minutes-fields")).to_be_hidden()
    await layout.select_option("纪要格式")
    await expect(edit.locator("#edit_minutes-fields")).to_be_visible()
    await expect(edit.locator("#edit_order-fields")).to_be_hidden()
    await edit.get_by_label("会议名称").fill("常务会议")
    await edit.get_by_label("期号").fill("3")
    await edit.get_by_label("出席", exact=True).fill("张三、李四\n王五")
    await edit.get_by_role("button", name="保存修改").click()
    await expect(desk.locator("#doc-status")).to_contain_text("纪要格式")
    stored = (await api.get(path, token=token)).body
    content = stored["content"]
    assert (content["form"], content["meeting"], content["minutes_number"]) == ("纪要格式", "常务会议", 3)
    assert content["attendees"] == ["张三", "李四", "王五"] and content["title"] == "关于研究冬季森林防火工作的通知"
    await pages_shown_now(desk, api, doc_id, token)
    minutes_page = first_page_text((await api.get(f"{path}/render.pdf", token=token)).body)
    assert "甲县人民政府常务会议纪要" in minutes_page and "第3期" in minutes_page

    # 命令格式 with a 令号 the service refuses: its words under 令号, nothing saved.
    await edit.get_by_role("button", name="修改草稿").click()
    await expect(edit.get_by_label("版式")).to_have_value("纪要格式")
    await expect(edit.get_by_label("出席", exact=True)).to_have_value("张三、李四、王五")
    await edit.get_by_label("版式").select_option("命令格式")
    await expect(edit.locator("#edit_order-fields")).to_be_visible()
    await expect(edit.locator("#edit_minutes-fields")).to_be_hidden()
    order_number = edit.get_by_label("令号")
    for bad, sent in (("0", 0), ("十二", "十二")):
        await order_number.fill(bad)
        await edit.get_by_role("button", name="保存修改").click()
        refused = await api.patch(path, {"version": stored["version"], "order_number": sent}, token=token)
        assert refused.status == 400, refused
        await expect(edit.locator("#edit_order_number-error")).to_have_text(refused.body["problems"][0])
        await expect(order_number).to_have_attribute("aria-invalid", "true")
        await expect(edit.locator("#edit-error")).to_contain_text("未保存")
        assert (await api.get(path, token=token)).body["version"] == stored["version"]
    SCREENSHOTS.mkdir(exist_ok=True)
    await desk.set_viewport_size({"width": DESK["width"], "height": 1800})  # the whole section in view, at desk width
    await edit.evaluate("section => scrollBy(0, section.getBoundingClientRect().top - 80)")  # clear of the bar
    await edit.screenshot(path=str(SCREENSHOTS / "desk-edit-layout.png"))
    await desk.set_viewport_size(DESK)
    await order_number.fill("12")
    await expect(edit.locator("#edit_order_number-error")).to_have_text("")  # typing again clears it
    await edit.get_by_label("签发人职务").fill("县长")
    await edit.get_by_label("签发人", exact=True).fill("王县长")
    await edit.get_by_role("button", name="保存修改").click()
    await expect(desk.locator("#doc-status")).to_contain_text("命令格式")
    stored = (await api.get(path, token=token)).body
    content = stored["content"]
    assert (content["form"], content["order_number"], content["signer_title"], content["signers"]) == (
        "命令格式", 12, "县长", ["王县长"])
    await pages_shown_now(desk, api, doc_id, token)
    assert "第12号" in first_page_text((await api.get(f"{path}/render.pdf", token=token)).body)
    before = await pages_shown_now(desk, api, doc_id, token)

    # Two attachments given their own texts: each printed in full from a new page, so the document grows.
    await desk.locator("#attach").set_input_files(files=[
        {"name": "责任表.pdf", "mimeType": "application/pdf", "buffer": PDF},
        {"name": "联系表.pdf", "mimeType": "application/pdf", "buffer": PDF + b"%2\n"}])
    await expect(desk.locator("ul.files li")).to_have_text(["责任表", "联系表"])
    await edit.get_by_role("button", name="修改草稿").click()
    texts = edit.locator("#attachment-texts")
    await expect(texts).to_contain_text("附件正文")
    duties = "一、责任分工\n各镇按表落实。\n二、工作要求\n按时报送。"
    await texts.get_by_label("附件1：责任表").fill(duties)
    await texts.get_by_label("附件2：联系表").fill("各镇联系人名单。")
    await edit.get_by_role("button", name="保存修改").click()
    await expect(desk.locator("#edit form")).to_be_hidden()
    stored = (await api.get(path, token=token)).body
    assert [item["body"] for item in stored["content"]["attachments"]] == [
        [{"level": 1, "text": "责任分工"}, {"level": 0, "text": "各镇按表落实。"},
         {"level": 1, "text": "工作要求"}, {"level": 0, "text": "按时报送。"}],
        [{"level": 0, "text": "各镇联系人名单。"}]]
    assert stored["content"]["order_number"] == 12  # the rest as it was
    after = await pages_shown_now(desk, api, doc_id, token)
    assert after["count"] >= before["count"] + 1
    pages = ["".join(page.get_textpage().get_text_range().split())
             for page in pdfium.PdfDocument((await api.get(f"{path}/render.pdf", token=token)).body)]
    assert len(pages) == after["count"] and "责任分工" not in pages[0]
    assert pages[1].startswith("附件1责任表一、责任分工") and pages[2].startswith("附件2联系表各镇联系人名单。")
    await edit.get_by_role("button", name="修改草稿").click()
    await expect(texts.get_by_label("附件1：责任表")).to_have_value(duties)  # as typed: headings numbered again
    # 修订留痕 names the layout's changes as it names any field's.
    changed = {item["field"]: item["to"] for item in (await api.get(f"{path}/diff?from=1", token=token)).body["fields"]}
    assert (changed["form"], changed["order_number"], changed["meeting"]) == ("命令格式", 12, "常务会议")
    await context.close()
