"""The phone app offline, in real Chromium at 360 px on the demo hierarchy: the 市政府办公室 head opens
the app without a network and finds the last 待办 and the task opened before; approves offline; the
approval waits as 待发送 and, when the network returns, reaches the service once — even when the
first answer is lost — and the 秘书长 gets the 签发. A second approval, of a document its drafter
withdrew meanwhile, is refused and the phone says why.

The HTTP API drafts, starts and withdraws (the drafter's side) and looks on; the leader only taps.
Runs on the shared demo database; it adds two documents and their flows, which no other test reads.
"""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import PHONE, login, new_page, pages_shown, screenshot
from tests.client import ApiClient
from web.services import Services

DRAFTER, OFFICE_HEAD, SECRETARY = "sg-szfb.ky1", "sg-szfb.bgszr1", "sg-szf.bgszr1"


async def sent_for_review(api: ApiClient, token: str, title: str) -> tuple[str, str]:
    """A 通知 drafted in the name of 韶关市人民政府 and sent for 核稿: (document id, flow id)."""
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": title, "issuers": [{"unit_id": "sg-szf"}], "main_to": [{"unit_id": "sg-swb"}],
        "body": [{"level": 0, "text": "现将有关事项通知如下，请认真贯彻落实。"}], "written_date": "2026-12-01"},
        token=token)
    assert created.status == 201, created
    started = await api.post("/api/instances", {"flow": "fawen", "document_id": created.body["id"], "variables": {}},
                             token=token)
    assert started.status == 201, started
    return created.body["id"], started.body["id"]


async def phone_with_task_opened(browser: Browser, base_url: str, title: str) -> tuple[BrowserContext, Page]:
    """The leader's phone, online: log in, the app's service worker takes charge, the task is opened once."""
    context, page = await new_page(browser, base_url, PHONE)
    await login(page, "/", OFFICE_HEAD, DEFAULT_DEMO_PASSWORD)
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    await page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    await page.get_by_role("link", name=title).tap()
    await pages_shown(page)
    await page.get_by_role("link", name="‹ 返回").tap()
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    return context, page


async def approve_offline(page: Page, title: str) -> None:
    await page.get_by_role("link", name=title).tap()
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    submit = page.locator("#submit")
    await expect(submit).to_have_text("离线暂存，联网后发送")
    await expect(submit).to_be_enabled()
    await page.get_by_role("button", name="同意", exact=True).first.tap()
    await submit.tap()
    card = page.get_by_role("link", name=title)
    await expect(card).to_contain_text("待发送 · 同意")
    await expect(page.locator("#outbox")).to_contain_text("待发送")


async def audit_of(services: Services, instance_id: str, action: str) -> list[dict]:
    return await services.mongo["flow_audit"].find({"instance_id": instance_id, "action": action}).to_list(None)


async def test_the_phone_opens_offline_and_sends_an_offline_approval_once(demo_api: ApiClient,
                                                                        demo_services: Services,
                                                                        browser: Browser) -> None:
    api, services = demo_api, demo_services
    title = "关于做好2027年元旦春节期间安全生产工作的通知"
    _, instance_id = await sent_for_review(api, await api.login(DRAFTER), title)
    context, page = await phone_with_task_opened(browser, api.base_url, title)

    # No network at all, and the app is opened again: the last 待办, from the phone itself.
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await expect(page.locator(".netbar.offline")).to_be_visible()
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    probe = "fetch('/api/me?probe=1').then(() => 'network', () => 'offline')"
    assert await page.evaluate(probe) == "offline"  # really offline, the service worker's fetches too
    await screenshot(page, "mobile-offline-todo")

    # The task opened before reads offline (its pages too), and the approval is queued, not lost.
    await page.get_by_role("link", name=title).tap()
    await pages_shown(page)
    await expect(page.locator(".timeline")).to_contain_text("发起")
    await page.get_by_role("link", name="‹ 返回").tap()
    await approve_offline(page, title)
    await screenshot(page, "mobile-offline-queued")
    assert await audit_of(services, instance_id, "approved") == []

    # The network returns; the first answer is lost on the way back, so the phone cannot know it worked.
    lost: list[bool] = []

    async def lose_first_answer(route: Route) -> None:
        if not lost:
            answer = await route.fetch()  # the service acts on it...
            lost.append(answer.status == 200)
            await route.abort("connectionreset")  # ...and the phone never hears back
        else:
            await route.continue_()

    await page.route("**/approve", lose_first_answer)
    await context.set_offline(False)
    await expect(page.locator(".netbar.offline")).to_be_hidden()
    for _ in range(200):  # until the resend has gone out
        if lost:
            break
        await page.wait_for_timeout(50)
    assert lost == [True]
    await expect(page.get_by_role("link", name=title)).to_contain_text("待发送")  # still waiting, as far as it knows
    # The next start of the app sends it again, with the same key: done once, and no false error.
    await page.reload()
    await expect(page.get_by_role("status").filter(has_text="已发送")).to_have_text(f"已发送：《{title}》同意")
    await expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=title)).to_have_count(0)
    await expect(page.locator("#outbox")).to_have_count(0)
    await expect(page.locator(".toast-error")).to_have_count(0)

    approvals = await audit_of(services, instance_id, "approved")
    assert len(approvals) == 1 and approvals[0]["channel"] == "mobile" and approvals[0]["opinion"] == "同意"
    secretary = await api.get("/api/tasks?box=todo&limit=100", token=await api.login(SECRETARY))
    signoff = [task for task in secretary.body["items"] if task["instance_id"] == instance_id]
    assert [task["node_name"] for task in signoff] == ["签发"]
    await context.close()


async def test_an_offline_approval_of_a_withdrawn_document_is_refused_with_the_reason(demo_api: ApiClient,
                                                                                     demo_services: Services,
                                                                                     browser: Browser) -> None:
    api, services = demo_api, demo_services
    title = "关于开展2027年度政务信息报送工作考评的通知"
    drafter = await api.login(DRAFTER)
    _, instance_id = await sent_for_review(api, drafter, title)
    context, page = await phone_with_task_opened(browser, api.base_url, title)
    await context.set_offline(True)
    await expect(page.locator(".netbar.offline")).to_be_visible()
    await approve_offline(page, title)

    # While the phone is offline, the drafter takes the document back.
    view = (await api.get(f"/api/instances/{instance_id}", token=drafter)).body
    start_task = next(task for task in view["tasks"] if task["node"] == "draft")
    assert (await api.post(f"/api/tasks/{start_task['id']}/withdraw", token=drafter)).status == 200

    await context.set_offline(False)
    refusal = page.locator("#outbox .refused")
    await expect(refusal).to_contain_text("未能提交", timeout=10_000)
    await expect(refusal).to_contain_text("发送人已撤回此件，您离线时的「同意」未提交")
    await expect(page.get_by_role("link", name=title)).to_have_count(0)  # no longer in the 待办
    await screenshot(page, "mobile-offline-refused")
    assert await audit_of(services, instance_id, "approved") == []

    await refusal.get_by_role("button", name="知道了").tap()
    await expect(page.locator("#outbox")).to_have_count(0)
    await context.close()
