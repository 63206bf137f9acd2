"""委托 on a phone, 批量移交 and 催办 at the desk, in real Chromium on the demo hierarchy: a leader delegates,
sees it in force, revokes it; a county office hands all of its head's open tasks to a deputy in one
action; a drafter urges the holder of a running flow from the flow card. Each ends with the other person
seeing the result: the delegate's 待办, the new holder's 待办, the urged holder's phone.

Flows are brought to the step acted on over HTTP; every action of the feature is done by clicking or tapping.
"""

from __future__ import annotations

import re

from playwright.async_api import Browser, BrowserContext, Page, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from tests.browser import PHONE, login, new_page, screenshot
from tests.client import ApiClient
from tests.demo_flows import DemoFlows

DESK = {"width": 1366, "height": 860}


async def signed_in(browser: Browser, api: ApiClient, username: str, viewport: dict[str, int],
                    path: str) -> tuple[BrowserContext, Page]:
    context, page = await new_page(browser, api.base_url, viewport)
    await login(page, path, username, DEFAULT_DEMO_PASSWORD)
    await expect(page.get_by_role("button", name="退出")).to_be_visible()
    return context, page


async def test_a_leader_delegates_on_the_phone_and_revokes(demo_api: ApiClient, browser: Browser) -> None:
    # 南雄市: the 市长 (吕庆) lets a 副市长 (肖鑫磊) act for them.
    flows = DemoFlows(demo_api)
    title = "关于做好南雄市2027年元旦春节期间安全生产工作的通知"
    leader, deputy = "nx-xzf.zyld1", "nx-xzf.fgld3"
    context, page = await signed_in(browser, demo_api, leader, PHONE, "/")
    await page.get_by_role("link", name="委托").tap()
    await expect(page.get_by_role("heading", name="设置委托")).to_be_visible()
    await page.get_by_label("受托人", exact=True).fill("肖鑫磊")
    await page.get_by_role("option", name=re.compile("肖鑫磊.*南雄市人民政府 · 副市长")).tap()
    await page.get_by_label("事由").fill("赴省委党校学习")
    await page.get_by_role("button", name="设置委托").tap()
    given = page.locator("#delegations-given li")
    await expect(given).to_have_count(1)
    await expect(given).to_contain_text("委托 肖鑫磊（南雄市人民政府 · 副市长） 代为办理")
    await expect(given).to_contain_text("生效中")
    await given.scroll_into_view_if_needed()
    await screenshot(page, "mobile-delegation")

    # A document reaches the leader's 签发: the delegate finds it in their own 待办.
    await flows.fawen("nx-xzf.ky1", "nx-xzf", title)
    await flows.approve("nx-xzf.bgszr1", title)
    delegate, delegate_page = await signed_in(browser, demo_api, deputy, PHONE, "/")
    await expect(delegate_page.get_by_role("link", name=title)).to_be_visible()
    assert (await flows.task(deputy, title))["acting_for"]
    await expect(delegate_page.get_by_role("link", name=title)).to_contain_text("受吕庆委托代为办理")
    await delegate_page.get_by_role("link", name=title).tap()  # it opens, saying for whom it is done
    await expect(delegate_page.locator("#acting-for")).to_contain_text("受吕庆委托代为办理")
    await expect(delegate_page.locator("#submit")).to_have_text("签发")
    await delegate_page.get_by_role("link", name="‹ 返回").tap()
    await delegate_page.get_by_role("link", name="委托", exact=True).tap()
    await expect(delegate_page.locator("#delegations-received li")).to_contain_text("吕庆（南雄市人民政府 · 市长")

    await given.get_by_role("button", name="撤销").tap()
    await expect(given).to_contain_text("已撤销")
    await expect(given.get_by_role("button", name="撤销")).to_have_count(0)
    assert await flows.todo(deputy, title) == []  # the task is the leader's alone again
    assert len(await flows.todo(leader, title)) == 1
    await delegate.close()
    await context.close()


async def test_the_office_hands_over_the_heads_tasks_at_the_desk(demo_api: ApiClient, browser: Browser) -> None:
    # 仁化县: the 县政府办主任 (邓刚泽) hands all of the 县长's (黄杰明) open tasks to a 副县长 (姚磊).
    flows = DemoFlows(demo_api)
    head, deputy = "rh-xzf.zyld1", "rh-xzf.fgld2"
    titles = ["关于做好仁化县2027年森林防火工作的通知", "关于开展仁化县2027年安全生产大检查的通知"]
    for title in titles:
        await flows.fawen("rh-xzf.ky1", "rh-xzf", title)
        await flows.approve("rh-xzf.bgszr1", title)
    context, page = await signed_in(browser, demo_api, "rh-xzf.bgszr1", DESK, "/desk")
    await page.get_by_role("link", name="批量移交").click()
    await page.get_by_label("移交谁的待办", exact=True).fill("黄杰明")
    await page.get_by_role("option", name=re.compile("黄杰明.*仁化县人民政府 · 县长")).click()
    await expect(page.locator("#handover-count")).to_have_text("黄杰明 现有待办 2 项")
    await expect(page.locator(".handover-list li")).to_have_count(2)
    await page.get_by_label("移交给", exact=True).fill("姚磊")
    await page.get_by_role("option", name=re.compile("姚磊.*仁化县人民政府 · 副县长")).click()
    await page.get_by_label("移交原因").fill("黄杰明同志调离")
    await page.get_by_role("button", name="全部移交").click()
    await expect(page.locator("#handover-done")).to_have_text("已将黄杰明的 2 项待办移交给姚磊")
    await expect(page.locator("#handover-count")).to_have_text("黄杰明 现有待办 0 项")
    await expect(page.locator(".handover-list li")).to_have_count(0)
    await expect(page.locator("#handover")).not_to_contain_text("null")  # no absent list printed as text
    await page.locator("#handover-result").scroll_into_view_if_needed()
    await screenshot(page, "desk-handover")
    await context.close()

    # The deputy sees both at once in 待办, each saying who handed it over and why.
    desk, deputy_page = await signed_in(browser, demo_api, deputy, DESK, "/desk")
    await deputy_page.get_by_role("link", name="待办").click()
    for title in titles:
        await expect(deputy_page.get_by_role("link", name=re.compile(title))).to_be_visible()
    await desk.close()
    for title in titles:
        task = await flows.task(deputy, title)
        assert task["node"] == "signoff" and task["note"] == "邓刚泽将黄杰明的待办移交给您：黄杰明同志调离"
        assert await flows.todo(head, title) == []
        audit = (await flows.instance("rh-xzf.ky1", task["instance_id"]))["audit"]
        assert any(entry["action"] == "transfer" and entry.get("handover") for entry in audit)


async def test_a_drafter_urges_the_holder_who_sees_it_on_the_phone(demo_api: ApiClient, browser: Browser) -> None:
    # 乐昌市: the drafter urges the 市政府办主任, who has the 核稿.
    flows = DemoFlows(demo_api)
    title = "关于报送乐昌市2026年度政务信息工作总结的通知"
    started = await flows.fawen("lc-xzf.ky1", "lc-xzf", title)
    holder, holder_page = await signed_in(browser, demo_api, "lc-xzf.bgszr1", PHONE, "/")
    await expect(holder_page.get_by_role("link", name=title)).to_be_visible()

    context, page = await signed_in(browser, demo_api, "lc-xzf.ky1", DESK, "/desk")
    await page.goto(f"/desk#/documents/{started['document_id']}")
    await expect(page.locator("#holders")).to_contain_text("核稿")
    await page.get_by_label("催办留言").fill("请今天内核稿")
    await page.locator("#urge").click()
    await expect(page.locator("#urge-status")).to_have_text("已催办 1 项待办")
    await screenshot(page, "desk-urge")
    await page.locator("#urge").click()  # again at once: refused, with when it may be urged again
    await expect(page.locator("#urge-status")).to_contain_text("刚刚催办过")
    await context.close()

    # The holder's phone shows the 催办 live, on the list and on the task.
    await expect(holder_page.get_by_role("alert")).to_contain_text(f"催办：{title}（陆霞：请今天内核稿）")
    card = holder_page.get_by_role("link", name=re.compile(title))
    await expect(card).to_contain_text("催办")
    await card.tap()
    await expect(holder_page.locator("#urged")).to_contain_text("已被催办 1 次")
    await screenshot(holder_page, "mobile-urged")
    await holder.close()
    assert (await flows.task("lc-xzf.bgszr1", title))["urge_count"] == 1
