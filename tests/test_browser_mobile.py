"""The phone app in real Chromium at 360 px: log in, see the 待办 arrive live, approve in three taps."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Route, expect

from tests.browser import PHONE, login, new_page, open_text_version, pages_shown, screenshot
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from tests.flow_org import build_office
from web.services import Services


async def test_an_office_head_approves_on_a_phone_in_three_taps(services: Services, api: ApiClient,
                                                                browser: Browser) -> None:
    office = await build_office(services, api)
    context, page = await new_page(browser, api.base_url, PHONE)
    await login(page, "/", "office", PASSWORD)
    await expect(page.get_by_role("heading", name="待办")).to_be_visible()
    await expect(page.get_by_text("没有待办事项")).to_be_visible()

    # A 特急 document is sent for approval: it appears without a reload, with an alert.
    document = await office.draft(urgency="特急", title="关于立即开展森林火灾隐患排查的紧急通知")
    await office.start(document["id"])
    card = page.get_by_role("link", name="关于立即开展森林火灾隐患排查的紧急通知")
    await expect(card).to_be_visible(timeout=10_000)
    await expect(page.get_by_role("alert")).to_contain_text("特急")
    await screenshot(page, "mobile-todo")

    await card.click()  # tap 1
    # The pages as they will be issued (the fixed-layout PDF), 版记 on the last, even page.
    assert await pages_shown(page) % 2 == 0
    await expect(page.locator(".pages")).to_contain_text("排版预览（未用印）")
    await expect(page.locator(".timeline").get_by_text("王拟稿")).to_be_visible()  # the timeline names the drafter
    await screenshot(page, "mobile-task")
    await page.get_by_role("button", name="同意", exact=True).first.click()  # tap 2: the phrase
    await page.locator("#submit").click()  # tap 3
    await expect(page.get_by_text("没有待办事项")).to_be_visible()

    assert await office.todo("office") == []
    view = await office.instance((await services.mongo["tasks"].find_one({"node": "review"}))["instance_id"])
    review = next(entry for entry in view["audit"] if entry["action"] == "approved")
    assert review["opinion"] == "同意" and review["by"]["name"] == "赵主任" and review["channel"] == "mobile"
    await context.close()


async def test_an_approval_survives_a_flaky_network_and_is_done_once(services: Services, api: ApiClient,
                                                                     browser: Browser) -> None:
    office = await build_office(services, api)
    document = await office.draft(title="关于报送2026年度防汛工作总结的通知")
    await office.start(document["id"])
    context, page = await new_page(browser, api.base_url, PHONE)
    await login(page, "/", "office", PASSWORD)
    await page.get_by_role("link", name="关于报送2026年度防汛工作总结的通知").click()
    await expect(page.locator("#submit")).to_be_visible()

    # Offline, the button says a decision would wait on the phone for the network (test_browser_offline.py).
    submit = page.locator("#submit")
    await context.set_offline(True)
    await expect(page.locator(".netbar.offline")).to_be_visible()
    await expect(submit).to_have_text("离线暂存，联网后发送")
    await context.set_offline(False)
    await expect(submit).to_be_enabled()
    await expect(submit).to_have_text("同意")

    # The first approval reaches the server but its answer is lost on the way back, and the phone
    # goes offline before it retries: the action waits, its button disabled, then is done once.
    lost = []

    async def lose_first_answer(route: Route) -> None:
        if not lost:
            await route.fetch()  # the server acts on it...
            lost.append(True)
            await context.set_offline(True)
            await route.abort("connectionreset")  # ...and the phone never hears back
        else:
            await route.continue_()

    await page.route("**/approve", lose_first_answer)
    await page.get_by_role("button", name="同意", exact=True).first.click()
    await submit.click()
    await expect(page.locator(".netbar.offline")).to_be_visible()
    await expect(submit).to_be_disabled()  # on its way: no second tap
    await expect(submit).to_have_text("离线暂存，联网后发送")
    await context.set_offline(False)
    await expect(page.get_by_text("没有待办事项")).to_be_visible(timeout=15_000)

    assert lost == [True]  # the first answer really was lost, so the phone did retry
    approvals = await services.mongo["flow_audit"].count_documents({"action": "approved", "node": "review"})
    assert approvals == 1
    assert await office.todo("office") == []
    await context.close()


async def until_subscribed(services: Services) -> None:
    for _ in range(100):
        if services.events.subscriber_count():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no /ws connection reached the server")


async def test_a_phone_whose_session_ends_elsewhere_shows_the_login_form(services: Services, api: ApiClient,
                                                                         browser: Browser) -> None:
    await small_org(services)
    context, page = await new_page(browser, api.base_url, PHONE)
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    await login(page, "/", "clerk", PASSWORD)
    await expect(page.get_by_role("heading", name="待办")).to_be_visible()
    await until_subscribed(services)  # the phone's /ws is open on the server
    token = next(cookie["value"] for cookie in await context.cookies() if cookie["name"] == "oa_session")
    assert (await api.post("/api/logout", token=token)).status == 200  # e.g. from another tab

    await expect(page.get_by_role("button", name="登录")).to_be_visible(timeout=5_000)
    assert await page.evaluate("localStorage.getItem('oa.mobile.todo')") is None  # no titles left behind
    await asyncio.sleep(1.5)
    assert len(sockets) == 1  # no reconnecting with the ended session
    # Logging in again on the same page opens a socket for the new session.
    await page.get_by_label("用户名").fill("clerk")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("heading", name="待办")).to_be_visible()
    await until_subscribed(services)
    assert len(sockets) == 2
    await context.close()


async def test_a_long_title_reads_in_whole_words_on_the_phone(services: Services, api: ApiClient,
                                                              browser: Browser) -> None:
    """What the leader approves on the phone breaks the title where the issued document does: between words."""
    office = await build_office(services, api)
    title = "关于进一步加强全市农村公路安全防护设施建设和养护管理工作的通知"
    document = await office.draft(title=title)
    await office.start(document["id"])
    context, page = await new_page(browser, api.base_url, PHONE)
    await login(page, "/", "office", PASSWORD)
    await page.get_by_role("link", name=title).click()
    await pages_shown(page)
    box = await page.locator(".pages img.page").first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # the page fits the screen
    preview = await open_text_version(page)
    lines = preview.locator("h1 span")
    await expect(lines).to_have_text(["关于进一步加强全市农村公路安全", "防护设施建设和养护管理工作的通知"])
    frame = page.frame_locator("iframe.preview").locator("html")
    assert await frame.evaluate("e => e.scrollWidth <= e.clientWidth")  # nothing runs off a 360 px screen
    await context.close()


async def test_a_refusal_the_service_words_in_english_reads_in_chinese(api: ApiClient, browser: Browser) -> None:
    """What a person is shown when something is refused: the service's Chinese words where it has them, else what
    the refusal means by its status — never a sentence written for developers."""
    context, page = await new_page(browser, api.base_url, PHONE)
    try:
        await page.goto("/")
        shown = await page.evaluate("""async () => {
            const { errorText } = await import("/static/js/ui.js");
            const { ApiError } = await import("/static/js/api.js");
            const say = (status, body) => errorText(new ApiError(status, body));
            return [
                say(409, { code: "task_not_active", message: "task is done" }),
                say(409, { code: "some_new_code", message: "the flow is not at this step" }),
                say(400, { code: "invalid_input", message: "机关代字 must be 1–10 Chinese characters" }),
                say(400, { code: "invalid_input", message: "电子邮箱格式不正确" }),
                say(403, { code: "forbidden_here", message: "only the lead unit may answer" }),
                say(500, {}),
                say(409, { code: "x", message: "请先签收再办理" }),
            ];
        }""")
        assert shown == ["该事项已被处理，或已不在您的待办中", "当前状态不允许此操作，请刷新后重试",
                         "输入有误，请检查后重试", "输入有误：电子邮箱格式不正确", "您无权进行此操作",
                         "服务暂时出错，请稍后重试", "请先签收再办理"]
    finally:
        await context.close()
