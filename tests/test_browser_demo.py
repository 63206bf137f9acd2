"""The issue's promise to a new user: `oa serve --demo`, open the URL on a phone-sized window, and a
demo leader approves what is waiting in three taps. Runs on its own freshly loaded demo database,
with the demo's work in progress seeded exactly as `oa serve --demo` does."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from flows.demo_activity import DemoActivity
from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
from tests.browser import DESK, PHONE, login, new_page
from tests.conftest import make_settings, start_app
from web.services import Endpoints, Services


@pytest.fixture(scope="module")
async def seeded(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple]:
    data_dir: Path = tmp_path_factory.mktemp("demo-activity")
    services = await Services.open(make_settings(data_dir, "t_demo_" + uuid.uuid4().hex[:8]), endpoints)
    await load_demo(services.mongo, data_dir, DEFAULT_DEMO_PASSWORD)
    activity = DemoActivity(services.mongo, services.users, services.documents, services.flows, services.dispatches)
    waiting = await activity.seed()
    server, base_url = await start_app(services)
    try:
        yield services, base_url, waiting, activity
    finally:
        server.stop()
        # No drop: dropping a whole demo database took the embedded server ~50 s; it dies with the session.
        await services.events.stop()
        await services.close()


async def test_the_demo_has_work_waiting_and_seeds_it_once(seeded: tuple) -> None:
    services, _, waiting, activity = seeded
    assert ("sg-jiaoyu.zyld1", "待办：会签《关于做好2026年冬季森林防火工作的通知》") in waiting
    assert any(name == "sg-szf.bgszr1" and "签发" in what for name, what in waiting)
    assert await activity.seed() == waiting  # a second start adds nothing
    sent = await services.mongo["dispatches"].find_one({"idempotency_key": "demo-activity"})
    assert sent["total"] == 115 and sent["status"] == "delivered"


async def test_a_demo_leader_signs_off_in_three_taps_on_a_phone(seeded: tuple, browser: Browser) -> None:
    services, base_url, waiting, _ = seeded
    leader = next(name for name, what in waiting if "签发" in what)
    context, page = await new_page(browser, base_url, PHONE)
    await login(page, "/", leader, DEFAULT_DEMO_PASSWORD)
    await page.get_by_role("link", name="关于进一步加强城市道路交通安全管理的通知").tap()
    await page.get_by_role("button", name="同意", exact=True).first.tap()
    await page.locator("#submit").tap()
    await expect(page.get_by_text("没有待办事项")).to_be_visible()
    done = await services.mongo["flow_audit"].find_one({"action": "signed_off"})
    assert done["opinion"] == "同意" and done["channel"] == "mobile"
    await context.close()


async def test_a_county_forwards_at_the_desk_and_the_city_sees_the_lineage(seeded: tuple, browser: Browser) -> None:
    _, base_url, _, _ = seeded
    title = "关于开展2026年安全生产大检查的通知"
    county_context, county = await new_page(browser, base_url, DESK)
    await login(county, "/desk", "zj-xzf.sfy1", DEFAULT_DEMO_PASSWORD)
    row = county.locator("#inbox tr", has_text=title)
    await row.get_by_role("button", name="签收").click()
    await expect(county.locator("#inbox tr", has_text=title)).to_contain_text("已签收")
    row = county.locator("#inbox tr", has_text=title)
    # The 办理 column gives its buttons room: each keeps its words on one line.
    for button in (row.get_by_role("button", name="登记"), row.get_by_role("link", name="转发", exact=True),
                   row.get_by_role("button", name="退文")):
        one_line = "b => b.scrollWidth <= b.clientWidth && b.getBoundingClientRect().height < 50"
        assert await button.evaluate(one_line), await button.text_content()
    # 转发 to units chosen in the county's subtree: here all its towns and streets.
    await row.get_by_role("link", name="转发", exact=True).click()
    await county.get_by_role("button", name=re.compile("选择全部乡镇（街道）")).click()
    await county.get_by_label("转发意见").fill("请各镇（街道）认真组织开展。")
    await county.locator("#forward").get_by_role("button", name="转发", exact=True).click()
    await expect(county.get_by_role("status")).to_contain_text("已转发给")

    city_context, city = await new_page(browser, base_url, DESK)
    await login(city, "/desk", "sg-szf.sfy1", DEFAULT_DEMO_PASSWORD)
    await city.get_by_role("link", name="发文分发").click()
    await city.get_by_role("link", name=title).click()
    await expect(city.locator("#counts")).to_contain_text("已签收 1")
    await city.get_by_role("link", name="转发情况").click()
    lineage = city.locator("#lineage")
    await expect(lineage).to_contain_text("其中 1 个单位向下转发")
    await expect(lineage).to_contain_text("请各镇（街道）认真组织开展。")
    await expect(lineage).to_contain_text("韶关市浈江区东河街道办事处 · 未签收")

    # A town reached by the city and again through its county: one entry, both routes; nothing below it to forward to.
    # On a phone-sized screen the inbox scrolls inside its card rather than widening the page.
    town_context, town = await new_page(browser, base_url, PHONE)
    await login(town, "/desk", "zj-t-xinshao.sfy1", DEFAULT_DEMO_PASSWORD)
    row = town.locator("#inbox tr", has_text=title)
    await expect(row).to_have_count(1)
    assert await town.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await expect(row).to_contain_text("来自：韶关市人民政府；另经 韶关市浈江区人民政府 转发")
    await row.get_by_role("button", name="签收").click()
    await expect(town.locator("#inbox tr", has_text=title)).to_contain_text("已签收")
    await expect(town.locator("#inbox tr", has_text=title).get_by_role("button", name="登记")).to_be_visible()
    await expect(town.get_by_role("link", name="转发", exact=True)).to_have_count(0)
    for context in (county_context, city_context, town_context):
        await context.close()
