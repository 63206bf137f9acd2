"""The admins' 工作日历 in real Chromium at 1366 px on the demo hierarchy: the State Council's days are there
from the start with their source, a county admin adds the county's own holiday (seen from its towns, not
from another county), and in December the platform admin is warned that next year's days are unknown."""

from __future__ import annotations

from datetime import datetime

from playwright.async_api import Browser, expect

from oa.clock import CHINA
from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import login, new_page, screenshot
from tests.client import ApiClient
from web.services import Services

DESK_WIDE = {"width": 1366, "height": 900}
COUNTY_ADMIN, COUNTY, TOWN, OTHER_TOWN = "sx-xzf.admin", "sx-xzf", "sx-t-taiping", "zj-t-donghe"


async def test_admins_see_where_each_holiday_came_from_and_a_county_adds_its_own(
        demo_services: Services, demo_api: ApiClient, browser: Browser) -> None:
    context, page = await new_page(browser, demo_api.base_url, DESK_WIDE)
    await login(page, "/admin", COUNTY_ADMIN, DEFAULT_DEMO_PASSWORD)
    await page.get_by_role("link", name="工作日历").click()
    table = page.locator("#calendar-days")
    await expect(page.get_by_role("heading", name="2026年节假日和调休上班日 · 始兴县人民政府")).to_be_visible()
    national = table.get_by_role("row").filter(has_text="2026-10-01")
    await expect(national).to_contain_text("国庆节")
    await expect(national).to_contain_text("国务院办公厅")
    await expect(table.get_by_role("row").filter(has_text="2026-10-10")).to_contain_text("调休上班")
    await expect(page.locator("#official-years")).to_contain_text("2026年")
    assert not await page.locator("#import-official").count()  # only platform admins import

    await page.get_by_role("button", name="添加", exact=True).click()  # no date yet: said in words
    await expect(page.get_by_role("status").filter(has_text="请选择日期")).to_be_visible()
    await page.get_by_label("日期").fill("2026-12-03")
    await page.get_by_label("名称").fill("瑶族盘王节")
    try:
        await page.get_by_role("button", name="添加", exact=True).click()
        added = table.get_by_role("row").filter(has_text="2026-12-03")
        await expect(added).to_contain_text("瑶族盘王节")
        await page.get_by_label("日期").fill("2026-12-03")  # the same day again, unnamed, then named: refused in words
        await page.get_by_role("button", name="添加", exact=True).click()
        await expect(page.get_by_role("status").filter(has_text="请填写名称")).to_be_visible()
        await page.get_by_label("名称").fill("盘王节")
        await page.get_by_role("button", name="添加", exact=True).click()
        await expect(page.get_by_role("status").filter(has_text="该日期已是本单位的本地节假日")).to_be_visible()
        admin_name = (await demo_services.users.find_by_username(COUNTY_ADMIN))["display_name"]
        await expect(added).to_contain_text(f"本地（始兴县人民政府） · {admin_name}")
        await screenshot(page, "admin-calendar")
        # The county's towns count it; a town of another county does not.
        start = datetime(2026, 12, 2, 9, 0, tzinfo=CHINA)
        town = await demo_services.calendars.load(TOWN)
        other = await demo_services.calendars.load(OTHER_TOWN)
        assert town.add_working_days(start, 1).astimezone(CHINA).day == 4
        assert other.add_working_days(start, 1).astimezone(CHINA).day == 3
        await page.get_by_role("button", name="删除2026-12-03瑶族盘王节").click()
        await expect(table.get_by_role("row").filter(has_text="2026-12-03")).to_have_count(0)
    finally:
        leftover = [entry for entry in (await demo_services.calendars.record())["local"] if entry["unit_id"] == COUNTY]
        for entry in leftover:  # the shared demo database stays as it was even if a step failed
            await demo_services.calendars.remove_local(COUNTY, entry["date"])
    await context.close()


async def test_in_december_the_platform_admin_is_told_next_years_days_are_not_known(
        demo_services: Services, demo_api: ApiClient, browser: Browser) -> None:
    deps = demo_services.flows.deps
    real_clock = deps.clock
    deps.clock = lambda: datetime(2026, 12, 1, 9, 0, tzinfo=CHINA)
    try:
        context, page = await new_page(browser, demo_api.base_url, DESK_WIDE)
        await login(page, "/admin", "admin", DEFAULT_DEMO_PASSWORD)
        await page.get_by_role("link", name="工作日历").click()
        warning = page.locator("#calendar-warning")
        await expect(warning).to_contain_text("2027年的国务院办公厅节假日安排尚未导入")
        await expect(page.get_by_role("heading", name="2026年节假日和调休上班日 · 全平台")).to_be_visible()
        await page.get_by_role("button", name="2027年 ›").click()
        await expect(page.get_by_text("2027年没有节假日记录（国务院办公厅安排尚未收录）")).to_be_visible()
        await page.get_by_role("button", name="导入国务院办公厅2027年安排").click()
        await expect(page.get_by_role("status")).to_contain_text("尚未收录")
        await screenshot(page, "admin-calendar-december")
        await context.close()
    finally:
        deps.clock = real_clock
