"""检索 in real Chromium: a city office clerk at the desk and a town clerk on the phone find documents
by their words, 发文字号 and filters, see the matches marked, open a hit, and never see what their
unit may not open."""

from __future__ import annotations

import asyncio
import secrets

from playwright.async_api import Browser, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import DESK, PHONE, login, new_page, pages_shown, screenshot
from tests.client import ApiClient
from tests.test_exchange_demo import numbered_notice
from tests.test_exchange_visibility import OTHER_TOWN, TOWN, holders

CITY_CLERK = "sg-szfb.sfy1"


async def _index_has(api: ApiClient, token: str, q: str, doc_id: str) -> None:
    for _ in range(150):  # the index follows the change stream
        found = await api.get(f"/api/search?q={q}", token=token)
        if doc_id in {item["id"] for item in found.body["documents"]["items"]}:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{doc_id} never indexed")


async def test_a_clerk_searches_at_the_desk_and_a_town_clerk_on_the_phone(demo_api: ApiClient,
                                                                            browser: Browser) -> None:
    people = holders()
    town_clerk, other_clerk = people[TOWN, "收发员"], people[OTHER_TOWN, "收发员"]
    mark = secrets.choice("一二三四五六七八九") + secrets.choice("甲乙丙丁戊己庚辛壬癸")
    title = f"关于开展{mark}号检索演练工作的通知"
    city = await demo_api.login(CITY_CLERK)
    doc_id = await numbered_notice(demo_api, city, title)
    sent = await demo_api.post(f"/api/documents/{doc_id}/dispatch", {"main": [{"unit": TOWN}]}, token=city)
    assert sent.status == 201, sent
    await _index_has(demo_api, await demo_api.login(town_clerk), "检索演练", doc_id)

    # The desk: the header box, Enter, the hit with its words marked, its 发文字号; open it.
    context, desk = await new_page(browser, demo_api.base_url, DESK)
    await login(desk, "/desk", CITY_CLERK, DEFAULT_DEMO_PASSWORD)
    await desk.get_by_label("检索", exact=True).fill(f"{mark}号检索演练")
    await desk.get_by_label("检索", exact=True).press("Enter")
    hit = desk.locator(".hits li").filter(has_text=title)
    await expect(hit).to_have_count(1)
    await expect(hit.locator("mark").first).to_have_text(f"{mark}号检索演练")
    number = (await demo_api.get(f"/api/documents/{doc_id}", token=city)).body["content"]["doc_number"]
    await expect(hit).to_contain_text(number)
    await expect(hit.locator(".muted").first).to_contain_text(" · 发文 · ")  # its side: 发文, not 收文
    # Filters: a status it does not have finds nothing; the right one finds it again.
    await desk.locator("#search-status").select_option(label="草稿")
    await desk.get_by_role("button", name="检索", exact=True).click()
    await expect(desk.locator("#search-total")).to_have_text("找到 0 件公文")
    await desk.locator("#search-status").select_option(label="已分发")
    await desk.get_by_role("button", name="检索", exact=True).click()
    await expect(hit).to_have_count(1)
    await screenshot(desk, "desk-search")
    await hit.get_by_role("link").click()
    await expect(desk.get_by_role("heading", name=title)).to_be_visible()
    await context.close()

    # The phone: the town's clerk finds the received notice by its number and reads its pages.
    context, phone = await new_page(browser, demo_api.base_url, PHONE)
    await login(phone, "/", town_clerk, DEFAULT_DEMO_PASSWORD)
    await phone.get_by_role("link", name="检索").click()
    await phone.get_by_label("检索内容").fill(number)
    await phone.get_by_role("button", name="检索", exact=True).click()
    hit = phone.locator(".hits li").filter(has_text=title)
    await expect(hit).to_contain_text("收文")
    await screenshot(phone, "mobile-search")
    await hit.get_by_role("link").click()
    await expect(phone.get_by_role("heading", name=title).first).to_be_visible()
    assert await pages_shown(phone) >= 1
    await context.close()

    # A town it was not sent to finds nothing, though the words are right.
    context, other = await new_page(browser, demo_api.base_url, PHONE)
    await login(other, "/", other_clerk, DEFAULT_DEMO_PASSWORD)
    await other.get_by_role("link", name="检索").click()
    await other.get_by_label("检索内容").fill(f"{mark}号检索演练")
    await other.get_by_role("button", name="检索", exact=True).click()
    await expect(other.locator("#search-total")).to_have_text("找到 0 件公文")
    await context.close()
