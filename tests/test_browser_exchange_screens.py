"""The clerks' exchange screens in real Chromium on the demo hierarchy, done as people do them:

批量签收 of several documents in 收文 (one recalled meanwhile is named, the others signed) and the sender's
board showing them signed; 转发 to towns picked in the county's subtree, which their clerks then find in
收文; 传阅 started at the desk, read and confirmed on a leader's phone, the starter seeing who has read;
a paper document registered from its scan and then handled like an electronic one; 会办 — a 协办 town's
opinion, the 主办 town's reply, the sender's view of both; and the county office's 督办 board with 催办
and its export.

The API is used to set the scene (documents the city or county sent) and to look on, never for the
steps under test. Runs on the shared demo database, adding documents of its own with unique titles.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from datetime import timedelta
from typing import Any

from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from oa.clock import utcnow
from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.blank_pages import blank_png
from tests.browser import PHONE, login, new_page, screenshot
from tests.client import ApiClient
from tests.test_attachments import PDF
from web.services import Services

CITY_CLERK = "sg-szf.sfy1"
COUNTY, COUNTY_CLERK, COUNTY_OFFICE = "zj-xzf", "zj-xzf.sfy1", "zj-xzf.bgszr1"
COUNTY_HEAD, COUNTY_DEPUTY = "zj-xzf.zyld1", "zj-xzf.fgld1"
DONGHE, DONGHE_CLERK = "zj-t-donghe", "zj-t-donghe.sfy1"
XINSHAO, XINSHAO_CLERK = "zj-t-xinshao", "zj-t-xinshao.sfy1"
VIEWPORT = {"width": 1366, "height": 900}


def unique(title: str) -> str:
    """The demo database is shared: every document of these tests has a title of its own."""
    return f"{title}（{uuid.uuid4().hex[:6]}）"


async def desk(browser: Browser, api: ApiClient, username: str,
               viewport: dict[str, int] = VIEWPORT, path: str = "/desk") -> tuple[BrowserContext, Page]:
    context, page = await new_page(browser, api.base_url, viewport if viewport is not PHONE else PHONE)
    await login(page, path, username, DEFAULT_DEMO_PASSWORD)
    await expect(page.get_by_role("button", name="退出")).to_be_visible()
    return context, page


async def numbered(api: ApiClient, token: str, title: str, **fields: Any) -> str:
    created = await api.post("/api/documents", {"doc_type": "通知", "title": title, "main_to": [{"unit_id": DONGHE}],
                                                "body": [{"level": 0, "text": "现将有关事项通知如下。"}],
                                                "written_date": "2026-11-23", **fields}, token=token)
    assert created.status == 201, created
    done = await api.post(f"/api/documents/{created.body['id']}/number", {"version": created.body["version"]},
                          token=token)
    assert done.status == 200, done
    return str(created.body["id"])


async def send(api: ApiClient, token: str, document_id: str, **body: Any) -> dict[str, Any]:
    sent = await api.post(f"/api/documents/{document_id}/dispatch", body, token=token)
    assert sent.status == 201, sent
    return dict(sent.body)


def inbox_row(page: Page, title: str) -> Locator:
    return page.locator("#inbox tr", has_text=title)


async def test_batch_sign_in_the_inbox_and_the_sender_sees_it(demo_api: ApiClient, browser: Browser) -> None:
    api = demo_api
    city = await api.login(CITY_CLERK)
    titles = [unique(name) for name in ("关于开展冬季消防安全检查的通知", "关于做好寒潮天气防御工作的通知",
                                         "关于报送年度安全生产台账的通知")]
    sent = [await send(api, city, await numbered(api, city, title), main=[{"unit": DONGHE}]) for title in titles]
    context, town = await desk(browser, api, DONGHE_CLERK)
    for title in titles:
        await inbox_row(town, title).get_by_role("checkbox").check()
    await expect(town.locator("#batch-sign")).to_have_text("批量签收（3）")
    # While the clerk ticks, the city takes the third back (sent by mistake): the push redraws 收文, the recalled
    # one leaves the batch and the page says so.
    recalled = await api.post(f"/api/dispatches/{sent[2]['id']}/recall", {"reason": "误发，已追回"}, token=city)
    assert recalled.status == 200, recalled
    await expect(town.locator("#batch-dropped")).to_contain_text(f"《{titles[2]}》已被来文单位追回或已签收")
    await expect(town.locator("#batch-sign")).to_have_text("批量签收（2）")
    await expect(inbox_row(town, titles[2])).to_have_count(0)
    # The same clerk signs the second on another device meanwhile (no push redraws this page for that).
    clerk = await api.login(DONGHE_CLERK)
    assert (await api.post(f"/api/receipts/{sent[1]['id']}.{DONGHE}/sign", {}, token=clerk)).status == 200
    await town.locator("#batch-sign").click()
    result = town.locator("#batch-result")
    await expect(result.locator("li")).to_have_count(2)
    await expect(result.locator("li", has_text=titles[0])).to_have_text(f"{titles[0]}：已签收")
    await expect(result.locator("li", has_text=titles[1])).to_have_text(f"{titles[1]}：未签收（已签收过）")
    await expect(town.get_by_role("status")).to_have_text("已签收 1 件，1 件未签收")
    for title in titles[:2]:
        await expect(inbox_row(town, title)).to_contain_text("已签收")
    await screenshot(town, "exchange-01-batch-sign")

    # The city's clerk opens the first dispatch's board: 东河 signed it, by the town's clerk.
    city_context, sender = await desk(browser, api, CITY_CLERK)
    await sender.goto(f"/desk#/board/{sent[0]['id']}")
    await expect(sender.locator(f"#board tr[data-unit='{DONGHE}']")).to_contain_text("已签收")
    await expect(sender.locator("#counts")).to_contain_text("已签收 1")
    await screenshot(sender, "exchange-02-batch-signed-board")
    for each in (context, city_context):
        await each.close()


async def test_forward_to_towns_picked_in_the_subtree(demo_api: ApiClient, browser: Browser) -> None:
    api = demo_api
    city = await api.login(CITY_CLERK)
    title = unique("关于做好2027年元旦春节期间安全防范工作的通知")
    dispatched = await send(api, city, await numbered(api, city, title, main_to=[{"unit_id": COUNTY}]),
                            main=[{"unit": COUNTY}])
    context, county = await desk(browser, api, COUNTY_CLERK)
    row = inbox_row(county, title)
    await row.get_by_role("button", name="签收").click()
    await expect(inbox_row(county, title)).to_contain_text("已签收")
    await inbox_row(county, title).get_by_role("link", name="转发", exact=True).click()
    forward = county.locator("#forward")
    # Search over the county's subtree only: a town of another county is not offered.
    await forward.get_by_label("转发给").fill("东河")
    await forward.locator("#forward-results").get_by_label("选择 韶关市浈江区东河街道办事处").check()
    await forward.get_by_label("转发给").fill("太平镇")
    await expect(forward.locator("#forward-results")).to_contain_text("本单位下属范围内没有该单位")
    await forward.get_by_label("转发给").fill("")
    # The tree: 新韶镇 found by opening nothing (towns hang directly under the county government).
    await forward.locator("#forward-tree").get_by_label("选择 韶关市浈江区新韶镇").check()
    await expect(forward.get_by_label("转发单位已选")).to_have_text(
        "韶关市浈江区东河街道办事处 ×韶关市浈江区新韶镇 ×")
    await expect(county.locator("#forward-count")).to_have_text("已选 2 个单位")
    await forward.get_by_label("转发意见").fill("请认真贯彻落实。")
    await screenshot(county, "exchange-03-forward-picker")
    await forward.get_by_role("button", name="转发", exact=True).click()
    await expect(county.get_by_role("status")).to_have_text("已转发给 2 个单位")
    await expect(county.locator("#board tbody tr")).to_have_count(2)

    # Both chosen towns' clerks find it in 收文 with the county's note; a town not chosen does not.
    town_context, town = await desk(browser, api, XINSHAO_CLERK)
    await expect(inbox_row(town, title)).to_contain_text("请认真贯彻落实。")
    await expect(inbox_row(town, title)).to_contain_text("韶关市浈江区人民政府")
    await screenshot(town, "exchange-04-forwarded-inbox")
    donghe = await api.login(DONGHE_CLERK)
    inbox = await api.get(f"/api/exchange/inbox?unit_id={DONGHE}&limit=200", token=donghe)
    assert any(item["title"] == title for item in inbox.body["items"])
    not_chosen = await api.login("zj-t-leyuan.sfy1")
    inbox = await api.get("/api/exchange/inbox?limit=200", token=not_chosen)
    assert inbox.status == 200 and not any(item["title"] == title for item in inbox.body["items"])
    assert dispatched["total"] == 1
    for each in (context, town_context):
        await each.close()


async def test_circulate_read_on_a_phone_and_the_starter_sees_who_read(demo_api: ApiClient,
                                                                       browser: Browser) -> None:
    api = demo_api
    city = await api.login(CITY_CLERK)
    title = unique("关于印发《韶关市森林防火应急预案》的通知")
    await send(api, city, await numbered(api, city, title, main_to=[{"unit_id": COUNTY}]), main=[{"unit": COUNTY}])
    context, county = await desk(browser, api, COUNTY_CLERK)
    await inbox_row(county, title).get_by_role("button", name="签收").click()
    await expect(inbox_row(county, title)).to_contain_text("已签收")
    await inbox_row(county, title).get_by_role("link", name="传阅").click()
    people = county.locator("#circulate-people")
    head_name, deputy_name = await names(api, COUNTY_HEAD, COUNTY_DEPUTY)
    await people.get_by_label(f"传阅给 {head_name}").check()
    await people.get_by_label(f"传阅给 {deputy_name}").check()
    await expect(county.locator("#circulate-count")).to_have_text("已选 2 人")
    await screenshot(county, "exchange-05-circulate-choose")
    await county.get_by_role("button", name="送阅").click()
    readers = county.locator("#readers")
    await expect(readers.locator("tbody tr")).to_have_count(2)
    await expect(readers.locator("tr", has_text=head_name)).to_contain_text("未阅")
    await expect(county.locator("#circulation-summary")).to_have_text("已阅 0 / 2 人")

    # The 区长 reads it on a phone: it is in 待办; one tap on a phrase, one on 已阅.
    phone_context, phone = await desk(browser, api, COUNTY_HEAD, PHONE, "/")
    await phone.get_by_role("link", name=title).tap()
    await expect(phone.locator("#submit")).to_be_enabled()
    # A reading is not sent back: the phone offers 转阅 and 加阅 besides 已阅, no 退回.
    await expect(phone.get_by_role("button", name="转阅", exact=True)).to_be_visible()
    await expect(phone.get_by_role("button", name="加阅", exact=True)).to_be_visible()
    await expect(phone.get_by_role("button", name="退回", exact=True)).to_have_count(0)
    await phone.get_by_role("button", name="已阅，请抓好落实", exact=True).first.tap()
    await screenshot(phone, "exchange-06-circulate-phone")
    await phone.locator("#submit").tap()
    await expect(phone.get_by_role("link", name=title)).to_have_count(0)

    # The clerk's page shows it without reloading: 已阅 with the comment; the deputy has not read it yet.
    await expect(readers.locator("tr", has_text=head_name)).to_contain_text("已阅")
    await expect(readers.locator("tr", has_text=head_name)).to_contain_text("已阅，请抓好落实")
    await expect(readers.locator("tr", has_text=deputy_name)).to_contain_text("未阅")
    await expect(county.locator("#circulation-summary")).to_have_text("已阅 1 / 2 人")
    await screenshot(county, "exchange-07-circulate-who-read")
    # Later, from the menu: the 传阅 the clerk started, each opening who has read it.
    await county.get_by_role("link", name="收文", exact=True).click()
    await county.locator("nav").get_by_role("link", name="传阅").click()
    await county.locator("#circulations").get_by_role("link", name=title).click()
    await expect(county.locator("#circulation-summary")).to_have_text("已阅 1 / 2 人")
    for each in (context, phone_context):
        await each.close()


async def names(api: ApiClient, *usernames: str) -> list[str]:
    found = []
    for username in usernames:
        token = await api.login(username)
        found.append((await api.get("/api/me", token=token)).body["display_name"])
    return found


async def test_a_paper_document_is_registered_and_handled(demo_api: ApiClient, browser: Browser,
                                                          tmp_path: Any) -> None:
    api = demo_api
    title = unique("关于报送防汛物资储备情况的函")
    scan = tmp_path / "来文扫描件.pdf"
    scan.write_bytes(PDF)
    context, town = await desk(browser, api, XINSHAO_CLERK)
    await town.get_by_role("link", name="纸质来文登记").click()
    await town.get_by_label("来文单位").fill("乙县应急管理局")
    await town.get_by_label("来文字号").fill("乙应急函〔2026〕7号")
    await town.get_by_label("文种").select_option("函")
    await town.get_by_label("标题").fill(title)
    await town.get_by_role("button", name="登记纸质来文").click()
    await expect(town.locator("#paper-problem")).to_have_text("请填写：扫描件")
    photo = tmp_path / "来文附页.png"
    photo.write_bytes(blank_png((62, 88)))
    await town.get_by_label("扫描件（PDF 或图片，可多选）").set_input_files([str(scan), str(photo)])
    await expect(town.locator("#paper-problem")).to_have_text("")  # what was missing is there now
    await screenshot(town, "exchange-08-paper-form")
    await town.get_by_role("button", name="登记纸质来文").click()
    await expect(town.get_by_role("status")).to_have_text(f"已登记纸质来文：{title}")
    row = inbox_row(town, title)
    await expect(row).to_contain_text("乙县应急管理局")
    await expect(row).to_contain_text("乙应急函〔2026〕7号")
    await expect(row).to_contain_text("已签收")
    await row.get_by_role("button", name="登记").click()  # into 收文 handling, as an electronic one
    await expect(town.get_by_role("status")).to_have_text("已登记，收文流程已启动")
    await expect(inbox_row(town, title)).to_contain_text("办理中")
    await screenshot(town, "exchange-09-paper-in-inbox")
    # The clerk follows its handling from the 收文 row: the flow's record, who holds it, 催办 of them.
    await inbox_row(town, title).get_by_role("link", name=title).click()
    handling = town.locator("#handling")
    await expect(handling.get_by_role("heading")).to_have_text("收文办理 · 当前：拟办")
    await expect(handling).to_contain_text("收文编号")
    await expect(handling.locator(".holders")).to_contain_text("拟办")
    await expect(handling.get_by_role("button", name="催办")).to_be_visible()
    await expect(town.locator("#paper-origin li")).to_have_text(["扫描件：来文扫描件.pdf", "扫描件：来文附页.png"])
    await context.close()


async def test_huiban_opinion_reply_and_the_senders_view(demo_api: ApiClient, browser: Browser) -> None:
    api = demo_api
    county = await api.login(COUNTY_CLERK)
    title = unique("关于征求《浈江区森林防火工作方案》意见的函")
    document_id = await numbered(api, county, title, doc_type="函")
    # The county's clerk asks 东河 to lead and 新韶 to join, from the document's page.
    sender_context, sender = await desk(browser, api, COUNTY_CLERK)
    await sender.goto(f"/desk#/documents/{document_id}")
    await sender.get_by_role("link", name="会办", exact=True).click()
    asking = sender.locator("#huiban-send")
    await asking.get_by_label("主办单位", exact=True).fill("东河街道")
    await asking.get_by_role("button", name="韶关市浈江区东河街道办事处", exact=True).click()
    await asking.get_by_label("协办单位（可多选）", exact=True).fill("新韶镇")
    await asking.get_by_role("button", name="韶关市浈江区新韶镇", exact=True).click()
    await asking.get_by_label("说明").fill("请于12月10日前反馈意见")
    await asking.get_by_role("button", name="送会办").click()
    await expect(sender.get_by_role("status")).to_have_text("已送 2 个单位会办")
    replies = sender.locator("#huiban-replies")
    await expect(replies.locator(f"tr[data-unit='{DONGHE}']")).to_contain_text("尚未答复")
    dispatch_id = sender.url.rsplit("/", 1)[1]
    # The 协办 town signs for it and writes its opinion for the 主办.
    co_context, co = await desk(browser, api, XINSHAO_CLERK)
    await inbox_row(co, title).get_by_role("button", name="签收").click()
    await expect(inbox_row(co, title)).to_contain_text("已签收")
    await inbox_row(co, title).get_by_role("link", name="会办意见").click()
    await co.get_by_label("会办意见（送主办单位）").fill("建议增加林区巡护人员配置。")
    await co.get_by_role("button", name="提交会办意见").click()
    await expect(co.locator("#opinion-given")).to_contain_text("建议增加林区巡护人员配置。")
    await screenshot(co, "exchange-10-huiban-opinion")

    # The 主办 town reads it and answers the county with its own numbered document.
    donghe = await api.login(DONGHE_CLERK)
    answer_title = unique("关于《浈江区森林防火工作方案》的会办意见")
    answer_id = await numbered(api, donghe, answer_title, doc_type="函", main_to=[{"unit_id": COUNTY}])
    lead_context, lead = await desk(browser, api, DONGHE_CLERK)
    await inbox_row(lead, title).get_by_role("button", name="签收").click()
    await expect(inbox_row(lead, title)).to_contain_text("已签收")
    await inbox_row(lead, title).get_by_role("link", name="会办答复").click()
    await expect(lead.locator("#co-opinions")).to_contain_text("建议增加林区巡护人员配置。")
    await lead.get_by_label("答复公文").select_option(answer_id)
    await screenshot(lead, "exchange-11-huiban-reply")
    await lead.get_by_role("button", name="答复来文单位").click()
    await expect(lead.locator("#reply-sent")).to_contain_text("已答复韶关市浈江区人民政府")

    # The county sees every unit's answer on its board's 会办答复 page.
    await sender.goto(f"/desk#/board/{dispatch_id}")
    await sender.get_by_role("link", name="会办答复").click()
    await expect(replies.locator(f"tr[data-unit='{XINSHAO}']")).to_contain_text("建议增加林区巡护人员配置。")
    await expect(replies.locator(f"tr[data-unit='{DONGHE}']")).to_contain_text(answer_title)
    await screenshot(sender, "exchange-12-huiban-sender")
    await replies.get_by_role("link", name=answer_title).click()
    await expect(sender.locator(".pages")).to_be_visible()
    for each in (co_context, lead_context, sender_context):
        await each.close()


async def test_the_county_office_supervises_and_urges(demo_api: ApiClient, demo_services: Services,
                                                      browser: Browser) -> None:
    api = demo_api
    county = await api.login(COUNTY_CLERK)
    title = unique("关于开展安全生产隐患排查整治的通知")
    past = utcnow() - timedelta(days=10)
    demo_services.dispatches.clock = lambda: past  # sent ten days ago: its sign-for deadline is long past
    try:
        document_id = await numbered(api, county, title)
        await send(api, county, document_id, main=[{"unit": DONGHE}, {"unit": XINSHAO}])
    finally:
        demo_services.dispatches.clock = utcnow
    donghe_clerk_name, = await names(api, DONGHE_CLERK)

    context, office = await desk(browser, api, COUNTY_OFFICE)
    await office.get_by_role("link", name="督办").click()
    board = office.locator("#supervision")
    mine = board.locator("tr", has_text=title)
    await expect(mine).to_have_count(2)
    donghe_row = board.locator(f"tbody[data-unit='{DONGHE}'] tr", has_text=title)
    await expect(donghe_row).to_contain_text("已超期")
    await expect(donghe_row).to_contain_text(donghe_clerk_name)
    await expect(board.locator(f"tbody[data-unit='{DONGHE}'] tr.group")).to_contain_text("韶关市浈江区东河街道办事处")

    # The 东河 clerk's desk is open: the 催办 reaches it live.
    town_context, town = await desk(browser, api, DONGHE_CLERK)
    await expect(inbox_row(town, title)).to_have_count(1)
    await mine.get_by_role("checkbox").first.check()
    await mine.get_by_role("checkbox").last.check()
    await expect(office.locator("#urge-chosen")).to_have_text("催办所选（2）")
    await office.get_by_label("催办留言").fill("请今天内签收")
    await screenshot(office, "exchange-13-supervision-board")
    await office.locator("#urge-chosen").click()
    await expect(office.get_by_role("status")).to_have_text("已催办 2 项")
    await expect(donghe_row).to_contain_text("已催办")
    await expect(donghe_row).to_contain_text("1 次")
    await expect(town.locator("#flow-alert")).to_contain_text(f"催办：{title}")
    # Urging the same row again at once is refused for that row, said in the row.
    await donghe_row.get_by_role("button", name="催办").click()
    await expect(donghe_row.locator(".urge-result")).to_have_text("刚催办过，稍后可再催")

    # The export opens in Excel: UTF-8 with a BOM, Chinese headers, one line per row on the board.
    async with office.expect_download() as waiting:
        await office.locator("#supervision-export").click()
    download = await waiting.value
    data = (await asyncio.to_thread((await download.path()).read_bytes))
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0][:4] == ["单位", "办理人", "类别", "事项"]
    assert any(line[0] == "韶关市浈江区东河街道办事处" and line[3] == title and line[6] == "已超期" for line in lines)
    assert re.search(r"督办清单_\d{8}_\d{4}\.csv", download.suggested_filename)

    # The 区长 looks on a phone: the same overdue items by unit and holder; urging is the office's.
    phone_context, phone = await desk(browser, api, COUNTY_HEAD, PHONE, "/")
    await phone.get_by_role("link", name="督办").tap()
    item = phone.locator("#supervision-list li", has_text=title).filter(has_text="东河街道")
    await expect(item).to_contain_text("已超期")
    await expect(item).to_contain_text(f"办理人：{donghe_clerk_name}")
    await expect(item.get_by_role("button", name="催办")).to_have_count(0)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(phone, "exchange-14-supervision-phone")
    for each in (context, town_context, phone_context):
        await each.close()
