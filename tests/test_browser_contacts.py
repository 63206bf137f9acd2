"""通讯录 in real Chromium on the demo hierarchy (1,324 units, 6,558 people): a town clerk on a phone finds a
city official by pinyin initials, stars them and calls from the card; a county admin sees the mobiles of the
county's towns and no one else's; a county clerk at the desk browses the tree."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from oa.directory import Person
from oa.pinyin_initials import initials
from tests.browser import PHONE, login, new_page, screenshot
from tests.client import ApiClient
from web.services import Services

DESK_WIDE = {"width": 1366, "height": 860}


def holder(services: Services, unit_id: str, role: str) -> Person:
    person = services.directory.person(services.directory.holders(unit_id, role)[0])
    assert person is not None and person.mobile and person.office_phone
    return person


def findable(services: Services, person: Person) -> str:
    """What a person would type to find them on the first page: the pinyin initials if few people share
    them (李华伟 → lhw), else the name."""
    for text in (initials(person.display_name), person.display_name):
        if services.contacts.find(text, 0, 1)[1] < 50:
            return text
    raise AssertionError(f"{person.display_name} is not on a first page")


async def card_of(page: Page, person: Person, within: str = "") -> Any:
    return page.locator(f"{within} [data-id='{person.id}']".strip()).first


async def unstar_all(api: ApiClient, username: str) -> None:
    """The demo database is shared by the session's tests: leave no 常用联系人 behind."""
    token = await api.login(username)
    home = await api.get("/api/contacts", token=token)
    for card in home.body["starred"]:
        await api.request("DELETE", f"/api/contacts/starred/{card['id']}", token=token)


async def test_a_town_clerk_finds_stars_and_calls_a_city_official_on_a_phone(
        demo_services: Services, demo_api: ApiClient, browser: Browser) -> None:
    services = demo_services
    colleague = holder(services, "sx-t-taiping", "主要领导")
    official = holder(services, "sg-jiaoyu", "主要领导")  # the city's 教育局: another level, another line
    context, page = await new_page(browser, demo_api.base_url, PHONE)
    try:
        await login(page, "/", "sx-t-taiping.sfy1", DEFAULT_DEMO_PASSWORD)
        await page.get_by_role("link", name="通讯录").tap()
        await expect(page.get_by_role("heading", name="通讯录")).to_be_visible()

        # The clerk's own town opens first, its head at the top with both numbers to tap.
        head = await card_of(page, colleague)
        await expect(head).to_contain_text(colleague.display_name)
        assert await head.locator("a.tel").nth(0).get_attribute("href") == \
            "tel:" + str(colleague.office_phone).replace("-", "")
        assert await head.get_by_role("link", name=f"拨打{colleague.display_name}的手机 {colleague.mobile}") \
            .get_attribute("href") == f"tel:{colleague.mobile}"
        await screenshot(page, "mobile-contacts")

        # Search by pinyin initials: the city official, office phone only (the mobile stays with their own side).
        await page.get_by_label("搜索联系人").fill(findable(services, official))
        found = await card_of(page, official, "#contact-results")
        await expect(found).to_contain_text(official.display_name)
        await expect(found.get_by_role("link", name=f"拨打{official.display_name}的办公电话 {official.office_phone}")) \
            .to_be_visible()
        await expect(found).to_contain_text("手机号仅本单位及上级管理员可见")
        assert str(official.mobile) not in await page.content()
        await found.get_by_role("button", name=f"设为常用：{official.display_name}").tap()
        await expect(found.get_by_role("button", name=f"取消常用：{official.display_name}")).to_be_visible()
        await screenshot(page, "mobile-contacts-search")

        # Cleared, the search gives way to the 常用联系人, the official first.
        await page.get_by_label("搜索联系人").fill("")
        starred = page.locator("#starred li.contact")
        await expect(starred.first).to_contain_text(official.display_name)

        # The tree from the city down, one level at a time.
        tree = page.locator("#org-tree")
        await tree.get_by_role("button", name="韶关市人民政府", exact=False).first.tap()
        county = tree.locator("[data-unit='sx-xzf'] > .unit-toggle")
        await expect(county).to_be_visible()
        await county.tap()
        await expect(tree.locator("[data-unit='sx-xzf'] .contacts-list li.contact").first).to_be_visible()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await screenshot(page, "mobile-contacts-tree")
    finally:
        await context.close()
        await unstar_all(demo_api, "sx-t-taiping.sfy1")


async def test_a_county_admin_sees_the_mobiles_below_and_not_beside(
        demo_services: Services, demo_api: ApiClient, browser: Browser) -> None:
    services = demo_services
    below = holder(services, "sx-t-taiping", "主要领导")  # a town of 始兴县
    beside = holder(services, "zj-t-xinshao", "主要领导")  # a town of 浈江区
    context, page = await new_page(browser, demo_api.base_url, PHONE)
    try:
        await login(page, "/", "sx-xzf.admin", DEFAULT_DEMO_PASSWORD)
        await page.get_by_role("link", name="通讯录").tap()
        search = page.get_by_label("搜索联系人")
        await search.fill(findable(services, below))
        await expect((await card_of(page, below, "#contact-results")).get_by_role(
            "link", name=f"拨打{below.display_name}的手机 {below.mobile}")).to_be_visible()
        await search.fill(findable(services, beside))
        found = await card_of(page, beside, "#contact-results")
        await expect(found).to_contain_text("手机号仅本单位及上级管理员可见")
        assert str(beside.mobile) not in await page.content()
    finally:
        await context.close()


async def test_a_county_clerk_browses_the_tree_at_the_desk(demo_services: Services, demo_api: ApiClient,
                                                           browser: Browser) -> None:
    services = demo_services
    colleague = holder(services, "sx-xzf", "主要领导")
    city_head = holder(services, "sg-szfb", "主要领导")
    context, desk = await new_page(browser, demo_api.base_url, DESK_WIDE)
    try:
        await login(desk, "/desk", "sx-xzf.sfy1", DEFAULT_DEMO_PASSWORD)
        await desk.get_by_role("link", name="通讯录").click()
        # The clerk's own county government is chosen first: colleagues with their mobiles.
        await expect(desk.locator("#unit-title")).to_have_text("始兴县人民政府")
        row = desk.locator(f"#unit-people tr[data-id='{colleague.id}']")
        await expect(row).to_contain_text(str(colleague.mobile))
        await row.get_by_role("button", name=f"设为常用：{colleague.display_name}").click()
        await expect(desk.locator("#starred")).to_contain_text(colleague.display_name)

        # Up the tree to the city government's office: its people, office phones only.
        tree = desk.locator("#org-tree")
        await tree.locator("[data-unit='sg-szf'] > .unit-toggle").click()
        await tree.locator("[data-unit='sg-szfb'] > .unit-toggle").click()
        await expect(desk.locator("#unit-title")).to_have_text("韶关市人民政府办公室")
        row = desk.locator(f"#unit-people tr[data-id='{city_head.id}']")
        await expect(row).to_contain_text(str(city_head.office_phone))
        await expect(row).to_contain_text("手机号仅本单位及上级管理员可见")
        assert str(city_head.mobile) not in await desk.content()
        await screenshot(desk, "desk-contacts")

        await desk.get_by_label("搜索联系人").fill("办公室主任")
        await expect(desk.locator("#contact-results .search-summary")).to_contain_text("找到")
        await expect(desk.locator("#contact-results tbody tr")).to_have_count(50)
        await desk.get_by_role("button", name="更多结果").click()
        await expect(desk.locator("#contact-results tbody tr")).to_have_count(100)
    finally:
        await context.close()
        await unstar_all(demo_api, "sx-xzf.sfy1")
