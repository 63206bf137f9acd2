"""The 审计 page in real Chromium: the demo's 审计员 logs in to the admin app, sees every chain 校验通过; someone
edits an audit record straight in the database, and the page, reloaded, names the unit, the link and the record."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import DESK, login, new_page, screenshot
from tests.client import ApiClient
from web.services import Services


async def test_the_auditor_sees_the_chains_pass_and_then_the_tampered_record(
        demo_services: Services, demo_api: ApiClient, browser: Browser) -> None:
    context, page = await new_page(browser, demo_api.base_url, DESK)
    records = demo_services.mongo["audit_records"]
    login_line = None
    try:
        await login(page, "/admin", "auditor", DEFAULT_DEMO_PASSWORD)
        verdict = page.locator("#audit-verdict")
        await expect(verdict).to_contain_text("校验通过", timeout=30_000)
        await expect(page.get_by_role("link", name="组织机构")).to_have_count(0)  # an auditor administers nothing
        await screenshot(page, "audit-verified")

        # The auditor's own login is an audit line in the chain of 韶关市人民政府 (where the post is).
        login_line = (await records.find({"kind": "login", "username": "auditor"}).sort("at", -1).to_list(1))[0]
        await records.update_one({"_id": login_line["_id"]}, {"$set": {"client": "10.0.0.99"}})
        await page.reload()
        await expect(verdict).to_contain_text("发现 1 处问题", timeout=30_000)
        broken = page.locator("#audit-units tr.broken")
        await expect(broken).to_contain_text("韶关市人民政府")
        await expect(broken).to_contain_text(f"audit_records 中的记录 {login_line['_id']} 被篡改")
        await screenshot(page, "audit-tampered")

        # The unit's latest lines are one click away.
        await broken.get_by_role("button").click()
        await expect(page.locator("#audit-records")).to_contain_text("登录")
    finally:
        if login_line is not None:  # the demo database is shared: put the record back as it was
            await records.replace_one({"_id": login_line["_id"]}, login_line)
        await context.close()
