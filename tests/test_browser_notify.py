"""消息 centre and 提醒设置 in real Chromium on the demo hierarchy, and a Web Push shown by the phone app's service
worker: the service's own push (received by a local push service and decrypted) delivered into Chromium through
the DevTools protocol (ServiceWorker.deliverPushMessage).

Runs on the shared demo database; it adds 发文 documents with their own titles and the office head's settings.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from playwright.async_api import Browser, Page, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import PHONE, login, new_page, screenshot
from tests.client import ApiClient
from tests.providers import push_service
from tests.webpush_keys import BrowserKeys, unb64url

DRAFTER, OFFICE_HEAD = "sg-szfb.ky1", "sg-szfb.bgszr1"
DESK_1366 = {"width": 1366, "height": 860}


async def urgent_task_for_office_head(api: ApiClient, title: str) -> str:
    """The city government office's 科员 sends a 特急 通知 for approval: the office head gets its 核稿 task."""
    token = await api.login(DRAFTER)
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": title, "issuers": [{"unit_id": "sg-szf"}], "main_to": [{"unit_id": "sg-swb"}],
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}], "written_date": "2026-11-30", "urgency": "特急"},
        token=token)
    assert created.status == 201, created
    started = await api.post("/api/instances", {"flow": "fawen", "document_id": created.body["id"]}, token=token)
    assert started.status == 201, started
    return str(created.body["id"])


async def notification_titled(api: ApiClient, token: str, title: str) -> dict[str, Any]:
    for _ in range(100):
        page = (await api.get("/api/notifications?limit=100", token=token)).body
        found = [item for item in page["items"] if item["title"] == title]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no notification of {title}")


async def test_a_leader_sets_reminders_and_reads_the_message_centre_on_a_phone(demo_api: ApiClient,
                                                                                 browser: Browser) -> None:
    title = f"关于立即做好寒潮防御工作的紧急通知（{uuid.uuid4().hex[:4]}）"
    context, page = await new_page(browser, demo_api.base_url, PHONE)
    await login(page, "/", OFFICE_HEAD, DEFAULT_DEMO_PASSWORD)
    await expect(page.get_by_role("heading", name="待办")).to_be_visible()

    # 提醒设置: an e-mail address, no 超期上报 outside the app, quiet hours 22:30–06:30 that drop.
    await page.get_by_role("link", name="提醒设置").click()
    await expect(page.get_by_role("heading", name="提醒设置")).to_be_visible()
    await page.get_by_label("电子邮箱").fill("bgs.zhuren@sg.gov.example.cn")
    await page.get_by_label("超期上报").uncheck()
    await page.get_by_label("开始时间", exact=True).fill("22:30")
    await page.get_by_label("结束时间", exact=True).fill("06:30")
    await page.get_by_role("combobox", name="免打扰时段内的非特急消息").select_option("drop")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status").filter(has_text="提醒设置已保存")).to_be_visible()
    await screenshot(page, "mobile-notify-settings")
    token = await demo_api.login(OFFICE_HEAD)
    prefs = (await demo_api.get("/api/notifications/settings", token=token)).body["prefs"]
    assert prefs["email"] == "bgs.zhuren@sg.gov.example.cn" and "task.escalated" not in prefs["kinds"]
    assert (prefs["quiet_start"], prefs["quiet_end"], prefs["quiet_action"]) == ("22:30", "06:30", "drop")
    await page.reload()  # what the screen shows is what was stored
    await expect(page.get_by_label("电子邮箱")).to_have_value("bgs.zhuren@sg.gov.example.cn")
    await expect(page.get_by_label("超期上报")).not_to_be_checked()

    # A 特急 task arrives; the 消息 centre lists it unread, first; tapping it opens the task and marks it read.
    await urgent_task_for_office_head(demo_api, title)
    notice = await notification_titled(demo_api, token, title)
    await page.goto("/#/")
    unread = (await demo_api.get("/api/notifications/unread", token=token)).body["unread"]
    await expect(page.locator('.more-pages a[href="#/messages"] .count')).to_have_text(str(unread))
    await page.get_by_role("link", name="消息").click()
    await expect(page.get_by_role("heading", name="消息")).to_be_visible()
    first = page.locator(".message").first
    await expect(first).to_contain_text(title)
    await expect(first).to_contain_text("特急·新待办")
    await expect(first).to_have_class("message unread urgent")
    await expect(page.locator("#unread-count")).to_contain_text("未读")
    await screenshot(page, "mobile-messages")
    await first.click()
    await expect(page).to_have_url(f"{demo_api.base_url}{notice['link']}")
    await expect(page.locator("#submit")).to_be_visible()
    read = await notification_titled(demo_api, token, title)
    assert read["read"] is True
    await context.close()


async def test_the_desk_lists_messages_unread_first_and_marks_them_all_read(demo_api: ApiClient,
                                                                           browser: Browser) -> None:
    title = f"关于开展安全生产大检查的紧急通知（{uuid.uuid4().hex[:4]}）"
    await urgent_task_for_office_head(demo_api, title)
    token = await demo_api.login(OFFICE_HEAD)
    await notification_titled(demo_api, token, title)
    context, page = await new_page(browser, demo_api.base_url, DESK_1366)
    await login(page, "/desk", OFFICE_HEAD, DEFAULT_DEMO_PASSWORD)
    await expect(page.locator(".desk-nav .count")).to_have_text(
        str((await demo_api.get("/api/notifications/unread", token=token)).body["unread"]))
    await page.get_by_role("link", name="消息").click()
    await expect(page.locator(".message.unread").filter(has_text=title)).to_be_visible()
    await screenshot(page, "desk-messages")
    await page.get_by_role("button", name="全部标为已读").click()
    await expect(page.locator("#unread-count")).to_have_text("没有未读消息")
    await expect(page.locator(".message.read").filter(has_text=title)).to_be_visible()
    await expect(page.locator(".desk-nav .count")).to_have_count(0)  # the menu's count went with them
    assert (await demo_api.get("/api/notifications/unread", token=token)).body["unread"] == 0

    # The same person's 提醒设置 is kept at the desk too: the stored settings, saved from here.
    await page.get_by_role("link", name="提醒设置").click()
    await expect(page.get_by_label("电子邮箱")).to_be_visible()
    stored = (await demo_api.get("/api/notifications/settings", token=token)).body["prefs"]
    await expect(page.get_by_label("电子邮箱")).to_have_value(stored["email"])
    await page.get_by_label("电子邮箱").fill("bgs.desk@sg.gov.example.cn")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status").filter(has_text="提醒设置已保存")).to_be_visible()
    await screenshot(page, "desk-notify-settings")
    assert (await demo_api.get("/api/notifications/settings", token=token)).body["prefs"]["email"] == \
        "bgs.desk@sg.gov.example.cn"
    await context.close()


async def service_worker_notifications(page: Page) -> list[dict[str, Any]]:
    return list(await page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, data: n.data,
                                                                     tag: n.tag, sticky: n.requireInteraction }));
    }"""))


# The browser's push service cannot be reached from a test machine: PushManager hands out a subscription to the
# test's own push service, with keys the test made; everything else (permission, the service's key, the service
# worker, the posting of the subscription) is the app's and Chromium's own.
PUSH_MANAGER = """(() => {
  const fake = %s;
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    window.__applicationServerKey = Array.from(new Uint8Array(options.applicationServerKey));
    const unsubscribe = async () => { current = null; return true; };
    current = { endpoint: fake.endpoint, toJSON: () => fake, unsubscribe };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();"""


async def test_a_phone_subscribes_and_the_services_web_push_is_shown_by_its_service_worker(
        demo_api: ApiClient, browser: Browser) -> None:
    title = f"关于做好强降雨防范应对工作的紧急通知（{uuid.uuid4().hex[:4]}）"
    token = await demo_api.login(OFFICE_HEAD)
    keys = BrowserKeys.make()
    with push_service() as pushes:
        subscription = keys.subscription(f"{pushes.base}/push/office-head-phone")
        context, page = await new_page(browser, demo_api.base_url, PHONE)
        await context.add_init_script(PUSH_MANAGER % json.dumps(subscription))
        await context.grant_permissions(["notifications"], origin=demo_api.base_url)
        await login(page, "/", OFFICE_HEAD, DEFAULT_DEMO_PASSWORD)
        await page.get_by_role("link", name="提醒设置").click()
        await expect(page.locator("#push-status")).to_have_text("本机未开启推送")
        await page.get_by_role("button", name="在本机开启推送").click()
        await expect(page.locator("#push-status")).to_have_text("本机已开启推送")
        await screenshot(page, "mobile-push-enabled")
        server_key = (await demo_api.get("/api/webpush/key")).body["public_key"]
        assert bytes(await page.evaluate("window.__applicationServerKey")) == unb64url(server_key)
        await page.close()  # the app is closed
        try:
            await urgent_task_for_office_head(demo_api, title)
            for _ in range(100):
                if pushes.received:
                    break
                await asyncio.sleep(0.1)
            assert len(pushes.received) == 1, pushes.received
            payload = keys.decrypt(pushes.received[0]["body"], pushes.received[0]["headers"])
        finally:
            await demo_api.post("/api/webpush/subscriptions/remove", {"endpoint": subscription["endpoint"]},
                                token=token)
    assert payload["title"] == f"【特急·新待办】{title}"

    # The phone's service worker, installed when the app was open, gets that push and shows it.
    page = await context.new_page()
    await page.goto("/")
    await expect(page.get_by_role("heading", name="待办")).to_be_visible()
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = await context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.on("ServiceWorker.workerVersionUpdated", lambda event: versions.extend(event["versions"]))
    await cdp.send("ServiceWorker.enable")
    for _ in range(100):  # the app's worker installed and activated
        if any(version["status"] == "activated" for version in versions):
            break
        await asyncio.sleep(0.1)
    registration = next(item for item in registrations if not item["isDeleted"])
    shown: list[dict[str, Any]] = []
    for _ in range(3):  # a worker just woken may miss the first message; the tag keeps repeats to one notification
        await cdp.send("ServiceWorker.deliverPushMessage", {"origin": demo_api.base_url + "/",
                                                            "registrationId": registration["registrationId"],
                                                            "data": json.dumps(payload, ensure_ascii=False)})
        for _ in range(30):
            shown = await service_worker_notifications(page)
            if shown:
                break
            await asyncio.sleep(0.1)
        if shown:
            break
    assert shown == [{"title": payload["title"], "body": payload["body"], "data": {"url": payload["url"]},
                      "tag": payload["id"], "sticky": True}]
    await page.goto("/#/messages")
    await expect(page.locator(".message").filter(has_text=title)).to_be_visible()
    await screenshot(page, "mobile-push-received")
    # 提醒设置 shows what went out to the phone, and how.
    await page.goto("/#/notify")
    await expect(page.locator(".send-log li").first).to_contain_text("浏览器推送 · 已发送")
    await page.locator(".send-log").scroll_into_view_if_needed()
    await screenshot(page, "mobile-notify-sent")
    await context.close()
