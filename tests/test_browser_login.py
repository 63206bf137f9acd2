"""Logging in the way governments do, in real Chromium on the demo hierarchy, as people do it:

- 朱子 (翁源县委 科员) on a 360 px phone taps 统一身份认证登录, logs in at the province's platform (a local
  stand-in) and is in the app, matched by his mobile number; a forged token and a platform person with no
  account here are refused with a page saying why;
- 肖韵英 (新丰县委 科员) on a phone logs in with her mobile number and a code sent by SMS (through the SMS
  provider's local test server); a wrong code is refused;
- 韩宇鹏 (翁源县委 科员) at the desk finds his password expired and sets a new one that keeps the rules;
- 黄婷娜 (翁源县 admin) locks herself out with five wrong passwords; the city's admin unlocks her in the
  admin app and she is in at once.

The app is the demo's, configured for the platform and SMS; each person's browser comes from its own
address (X-Real-Ip) so their failed attempts count against nobody else's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import tornado.httpserver
from playwright.async_api import Browser, BrowserContext, Page, expect

from oa.clock import utcnow
from oa.demo import build_demo_hierarchy
from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from storage.local import free_port
from tests.browser import PHONE, new_page, screenshot
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, FORGED, GOOD, Provider, start_provider
from tests.providers import AliyunSmsService, aliyun_sms
from web.app import make_app
from web.services import Services

DESK_1366 = {"width": 1366, "height": 860}
LOGIN_TEMPLATE = "SMS_900002"  # the local SMS server's approved template with ${code}


def mobile_of(username: str) -> str:
    return next(person["mobile"] for person in build_demo_hierarchy()["people"] if person["username"] == username)


@dataclasses.dataclass
class Site:
    base_url: str
    provider: Provider
    sms: AliyunSmsService


@pytest.fixture
async def site(demo_services: Services) -> AsyncIterator[Site]:
    provider, provider_server = start_provider()
    with aliyun_sms() as (sms, sms_endpoint):
        settings = demo_services.settings.with_changes(
            oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
            oidc_claim="phone_number", oidc_match="mobile", sms_provider="aliyun",
            sms_access_key_id=AliyunSmsService.access_key_id, sms_access_key_secret=AliyunSmsService.access_key_secret,
            sms_sign_name=AliyunSmsService.sign_name, sms_endpoint=sms_endpoint, sms_template_login=LOGIN_TEMPLATE)
        port = free_port()
        # xheaders: each test's browser names its own address, as phones behind a load balancer do.
        server = tornado.httpserver.HTTPServer(make_app(dataclasses.replace(demo_services, settings=settings)),
                                               xheaders=True)
        server.listen(port, "127.0.0.1")
        try:
            yield Site(f"http://127.0.0.1:{port}", provider, sms)
        finally:
            server.stop()
            provider_server.stop()


async def device(browser: Browser, site: Site, viewport: dict[str, int], address: str) -> tuple[BrowserContext, Page]:
    context, page = await new_page(browser, site.base_url, viewport)
    await context.set_extra_http_headers({"X-Real-Ip": address})
    return context, page


async def password_login(page: Page, path: str, username: str, password: str) -> None:
    await page.goto(path)
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(password)
    await page.get_by_role("button", name="登录", exact=True).click()


async def test_unified_identity_login_on_a_phone(site: Site, browser: Browser) -> None:
    site.provider.accounts["44028119900101123X"] = ("Gd-Platform-2026", {
        "sub": "gdzwfw-5501", "name": "朱子", "phone_number": f"+86 {mobile_of('wy-xw.ky1')}"})
    site.provider.accounts["44028119900101999X"] = ("Gd-Platform-2026", {
        "sub": "gdzwfw-9999", "name": "不在册", "phone_number": "13900009999"})
    context, phone = await device(browser, site, PHONE, "10.61.0.1")
    await phone.goto("/")
    button = phone.get_by_role("link", name="统一身份认证登录")
    await expect(button).to_be_visible()
    await screenshot(phone, "login-oidc-phone")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    async def through_platform(account: str) -> None:
        await phone.goto("/")
        await phone.get_by_role("link", name="统一身份认证登录").click()
        await expect(phone.get_by_role("heading", name="广东省统一身份认证平台")).to_be_visible()
        await phone.get_by_label("账号").fill(account)
        await phone.get_by_label("登录密码").fill("Gd-Platform-2026")
        await phone.get_by_role("button", name="登录并授权").click()

    # A token signed with a key the platform never published: refused, nobody logged in.
    site.provider.mode = FORGED
    await through_platform("44028119900101123X")
    await expect(phone.get_by_role("heading", name="统一身份认证登录被拒绝")).to_be_visible()
    await expect(phone.get_by_role("alert")).to_contain_text("登录凭证无效")
    assert not [cookie for cookie in await context.cookies() if cookie["name"] == "oa_session"]

    # Someone the platform knows but who has no account here.
    site.provider.mode = GOOD
    await through_platform("44028119900101999X")
    await expect(phone.get_by_role("heading", name="没有对应的人员账号")).to_be_visible()
    await expect(phone.get_by_role("alert")).to_contain_text("139****9999")
    await screenshot(phone, "login-oidc-unknown-person")

    # 朱子 himself: back in the phone app, logged in as him.
    await through_platform("44028119900101123X")
    await expect(phone.get_by_role("heading", name="待办")).to_be_visible()
    me = await phone.evaluate("fetch('/api/me').then((r) => r.json())")
    assert me["username"] == "wy-xw.ky1" and me["display_name"] == "朱子"
    await screenshot(phone, "login-oidc-done")
    await context.close()


async def test_sms_code_login_on_a_phone(site: Site, browser: Browser) -> None:
    mobile = mobile_of("xf-xw.ky1")
    context, phone = await device(browser, site, PHONE, "10.61.0.2")
    await phone.goto("/")
    await phone.get_by_role("button", name="短信验证码登录").click()
    await expect(phone.get_by_role("heading", name="短信验证码登录")).to_be_visible()

    # A number nobody has gets the same answer, and no SMS.
    await phone.get_by_label("手机号").press_sequentially("13900009999")
    await phone.get_by_role("button", name="获取验证码").click()
    await expect(phone.get_by_role("status")).to_contain_text("如果该手机号已在本平台登记")
    assert site.sms.received == []
    await context.close()

    context, phone = await device(browser, site, PHONE, "10.61.0.3")
    await phone.goto("/")
    await phone.get_by_role("button", name="短信验证码登录").click()
    await phone.get_by_label("手机号").press_sequentially(mobile)
    await phone.get_by_role("button", name="获取验证码").click()
    await expect(phone.get_by_role("status")).to_contain_text("如果该手机号已在本平台登记")
    await expect(phone.get_by_role("button", name="秒后可重新获取")).to_be_disabled()
    [sent] = site.sms.received
    assert sent["mobile"] == mobile and sent["template"] == LOGIN_TEMPLATE
    code = sent["params"]["code"]
    assert len(code) == 6 and code.isdigit()
    wrong = "000000" if code != "000000" else "111111"
    await phone.get_by_label("验证码").press_sequentially(wrong)
    await phone.get_by_role("button", name="登录", exact=True).click()
    await expect(phone.get_by_role("alert")).to_contain_text("验证码不正确或已过期")
    await phone.get_by_label("验证码").fill("")
    await phone.get_by_label("验证码").press_sequentially(code)
    await screenshot(phone, "login-sms-phone")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await phone.get_by_role("button", name="登录", exact=True).click()
    await expect(phone.get_by_role("heading", name="待办")).to_be_visible()
    me = await phone.evaluate("fetch('/api/me').then((r) => r.json())")
    assert me["username"] == "xf-xw.ky1"
    await context.close()


async def test_an_expired_password_is_changed_at_the_desk(site: Site, browser: Browser,
                                                          demo_services: Services) -> None:
    person = await demo_services.users.find_by_username("wy-xw.ky2")
    await demo_services.mongo["users"].update_one(
        {"_id": person["_id"]}, {"$set": {"password_changed_at": utcnow() - timedelta(days=91)}})
    context, desk = await device(browser, site, DESK_1366, "10.61.0.4")
    await password_login(desk, "/desk", "wy-xw.ky2", DEFAULT_DEMO_PASSWORD)
    await expect(desk.get_by_role("heading", name="密码已过期")).to_be_visible()

    # Too simple, then the same password again: both refused in words.
    await desk.get_by_label("新密码", exact=True).fill("abcdefgh1")
    await desk.get_by_label("确认新密码").fill("abcdefgh1")
    await desk.get_by_role("button", name="修改密码并登录").click()
    await expect(desk.get_by_role("alert")).to_contain_text("至少 3 类")
    await desk.get_by_label("新密码", exact=True).fill(DEFAULT_DEMO_PASSWORD)
    await desk.get_by_label("确认新密码").fill(DEFAULT_DEMO_PASSWORD)
    await desk.get_by_role("button", name="修改密码并登录").click()
    await expect(desk.get_by_role("alert")).to_contain_text("最近 5 次")
    await screenshot(desk, "login-password-expired-desk")

    await desk.get_by_label("新密码", exact=True).fill("Wengyuan@2027")
    await desk.get_by_label("确认新密码").fill("Wengyuan@2027")
    await desk.get_by_role("button", name="修改密码并登录").click()
    await expect(desk.locator(".who")).to_contain_text("韩宇鹏")
    await context.close()
    stored = await demo_services.users.find_by_username("wy-xw.ky2")
    assert stored["password_changed_at"] > utcnow() - timedelta(minutes=5) and len(stored["password_history"]) == 1


async def test_a_locked_admin_is_unlocked_by_the_city_admin(site: Site, browser: Browser,
                                                           demo_services: Services) -> None:
    locked_context, locked = await device(browser, site, DESK_1366, "10.61.0.5")
    for attempt in range(demo_services.settings.login_max_failures):
        await password_login(locked, "/admin", "wy-xzf.admin", f"Guess-{attempt}-wrong")
        await expect(locked.get_by_role("alert")).to_have_text("用户名或密码不正确")
    await password_login(locked, "/admin", "wy-xzf.admin", DEFAULT_DEMO_PASSWORD)
    await expect(locked.get_by_role("alert")).to_contain_text("账号已锁定")
    await screenshot(locked, "login-locked-desk")

    admin_context, admin = await device(browser, site, DESK_1366, "10.61.0.6")
    await password_login(admin, "/admin", "cityadmin", DEFAULT_DEMO_PASSWORD)
    await expect(admin.get_by_role("heading", name="公文流转 · 管理 · 组织机构")).to_be_visible()
    await admin.goto("/admin#/units/wy-xzf")
    await expect(admin.locator("tr[data-user='wy-xzf.admin']")).to_contain_text("已锁定")
    await admin.locator("tr[data-user='wy-xzf.admin']").get_by_role("link", name="黄婷娜", exact=True).click()
    lock = admin.locator("#account-lock")
    await expect(lock).to_contain_text("连续登录失败次数过多，账号已锁定")
    await admin.evaluate("window.scrollTo(0, 0)")
    await screenshot(admin, "admin-unlock")
    await lock.get_by_role("button", name="解锁账号").click()
    await expect(admin.get_by_role("status")).to_have_text("已解锁")
    await expect(admin.locator("#account-lock")).to_have_count(0)

    await locked.get_by_role("button", name="登录", exact=True).click()
    await expect(locked.get_by_role("heading", name="公文流转 · 管理 · 组织机构")).to_be_visible()
    await locked_context.close()
    await admin_context.close()
