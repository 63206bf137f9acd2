"""The admin pages in real Chromium: a county admin, on behalf of a town with no IT staff, finds the
town among the units, adds its 收发员 with roles, creates a new county bureau, sets the county's own
收文 deadline by claiming the flow, and reads the exchange statistics."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser import DESK, login, new_page, screenshot
from tests.client import ApiClient
from tests.factories import PASSWORD
from tests.flow_org import build_office
from web.services import Services


async def test_a_county_admin_keeps_the_org_and_flows_right(services: Services, api: ApiClient,
                                                            browser: Browser) -> None:
    await build_office(services, api)
    context, page = await new_page(browser, api.base_url, DESK)
    await login(page, "/desk", "admin", PASSWORD)
    await page.get_by_role("link", name="管理").click()
    await page.get_by_role("searchbox", name="单位名称").fill("甲一镇")
    await page.get_by_role("button", name="甲一镇人民政府（镇级 · 乡镇）").click()
    await expect(page.get_by_role("heading", name="甲一镇人民政府", exact=True)).to_be_visible()

    await page.get_by_label("用户名").fill("town-clerk")
    await page.get_by_label("姓名").fill("林收发")
    await page.get_by_label("岗位名称").fill("收发员")
    await page.get_by_label("初始密码").fill("Town-Clerk@2026")
    await page.locator("input[name=new-roles][value=收发员]").check()
    await page.get_by_role("button", name="添加", exact=True).click()
    row = page.locator("tr[data-user=town-clerk]")
    await expect(row).to_contain_text("林收发")
    await row.locator("input[value=科员]").check()
    await row.get_by_role("button", name="保存角色").click()
    await expect(page.get_by_role("status")).to_have_text("已保存")
    clerk = await services.users.find_by_username("town-clerk")
    assert clerk["posts"][0]["roles"] == ["收发员", "科员"] and clerk["posts"][0]["unit_id"] == "town"
    await screenshot(page, "admin-unit")

    # A new bureau under the county.
    await page.get_by_role("link", name="甲县人民政府").first.click()
    await expect(page.get_by_role("heading", name="甲县人民政府", exact=True)).to_be_visible()
    await page.get_by_label("名称", exact=True).fill("甲县应急管理局")
    await page.get_by_label("类型").select_option("部门")
    await page.get_by_role("button", name="新建").click()
    await expect(page.get_by_role("heading", name="甲县应急管理局", exact=True)).to_be_visible()

    # The county's own deadline for 登记 in the 收文 flow.
    await page.get_by_role("link", name="流程定义").click()
    await page.get_by_role("link", name="收文（第 1 版）").click()
    await page.get_by_label("登记时限", exact=True).fill("2")
    await page.get_by_role("button", name="为甲县人民政府认领").click()
    await expect(page.get_by_text("本单位使用 county 认领的设置")).to_be_visible()
    claim = await services.catalog.claim_of("county", "shouwen")
    assert claim["overrides"] == {"register": {"deadline": {"hours": 2}}}

    await page.get_by_role("link", name="交换统计").click()
    await expect(page.locator("#stats")).to_contain_text("甲一镇人民政府")
    await context.close()


async def test_an_admin_keeps_the_people_of_their_subtree_and_only_reads_the_others(services: Services, api: ApiClient,
                                                                                    browser: Browser) -> None:
    await build_office(services, api)
    await services.orgs.create({"id": "county-b", "name": "乙县人民政府", "type": "政府", "level": "county"})
    await services.users.create({"username": "b-clerk", "display_name": "乙收发", "password": PASSWORD,
                                 "posts": [{"unit": "county-b", "title": "收发员", "roles": ["收发员"]}]})
    context, page = await new_page(browser, api.base_url, DESK)
    await login(page, "/admin", "admin", PASSWORD)  # straight to the admin pages, not the desk
    await expect(page.get_by_role("heading", name="公文流转 · 管理 · 组织机构")).to_be_visible()
    await expect(page.locator("#scope")).to_contain_text("您的管理范围：甲县人民政府及其下级单位")

    # Another county: its people shown, read only, with the admin's own subtree named.
    await page.get_by_role("searchbox", name="单位名称").fill("乙县")
    await page.get_by_role("button", name="乙县人民政府（县级 · 政府）").click()
    await expect(page.locator("#readonly")).to_contain_text("您的管理范围是甲县人民政府及其下级单位")
    await expect(page.locator("tr[data-user=b-clerk]")).to_contain_text("收发员")
    await expect(page.get_by_role("button", name="保存角色")).to_have_count(0)
    await expect(page.get_by_role("button", name="添加")).to_have_count(0)

    # Its own county: role labels each on one line.
    await page.goto("/admin#/units/county")
    row = page.locator("tr[data-user=drafter]")
    for role in ("主要领导", "办公室主任", "管理员"):
        box = await row.locator("label", has_text=role).bounding_box()
        assert box is not None and box["height"] < 32, (role, box)

    # Edit a person: name, mobile, post title and roles; reset the password; deactivate.
    await row.get_by_role("link", name="编辑王拟稿").click()
    await expect(page.get_by_role("heading", name="基本信息与岗位")).to_be_visible()
    await page.get_by_label("姓名").fill("王新拟")
    await page.get_by_label("手机号").fill("13800138000")
    await page.get_by_label("甲县人民政府岗位名称").fill("秘书科科员")
    await page.locator("tr[data-post] input[value=收发员]").check()
    await page.get_by_role("button", name="保存", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("已保存")
    await expect(page.get_by_role("heading", name="王新拟", exact=True)).to_be_visible()
    person = await services.users.find_by_username("drafter")
    assert person["display_name"] == "王新拟" and person["mobile"] == "13800138000"
    assert person["posts"][0]["title"] == "秘书科科员" and sorted(person["posts"][0]["roles"]) == ["收发员", "科员"]

    await page.get_by_label("新密码").fill("Wang-Xin@2027")
    await page.get_by_role("button", name="重置密码").click()
    await expect(page.get_by_role("status")).to_have_text("已重置密码")
    assert await api.login("drafter", "Wang-Xin@2027")

    await page.get_by_role("button", name="停用账号").click()
    await page.get_by_role("button", name="确认停用").click()
    await expect(page.get_by_role("status")).to_have_text("已停用")
    await expect(page.get_by_text("此账号已停用。")).to_be_visible()
    assert (await services.users.find_by_username("drafter"))["active"] is False
    refused = await api.post("/api/login", {"username": "drafter", "password": "Wang-Xin@2027"})
    assert refused.status == 401

    # The person of another county: read only there too.
    await page.goto("/admin#/units/county-b")
    await page.get_by_role("link", name="乙收发").click()
    await expect(page.locator("#readonly")).to_contain_text("此人有岗位不在您的管理范围内")
    await expect(page.get_by_role("button", name="重置密码")).to_have_count(0)
    await context.close()
