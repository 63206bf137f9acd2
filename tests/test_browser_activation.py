"""First login in real Chromium: the county admin exports the activation codes of a town whose people
were imported without passwords; one of them, on a 360 px phone, is told at the login that the account
is not activated, opens 首次登录激活 from the login page, types the code and a new password, and is in
the app."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser import DESK, PHONE, login, new_page, screenshot
from tests.client import ApiClient
from tests.factories import PASSWORD
from tests.flow_org import build_office
from web.services import Services

NEW_PASSWORD = "Lin-Xiaoyu@2026"


async def test_an_imported_person_activates_from_the_login_page_on_a_phone(services: Services, api: ApiClient,
                                                                          browser: Browser, tmp_path: Path) -> None:
    office = await build_office(services, api)
    post = {"unit": "town", "title": "科员", "roles": ["科员"]}
    imported = await api.post("/api/import", {"people": [
        {"username": "town.lin", "display_name": "林小雨", "posts": [post]},
        {"username": "town.he", "display_name": "何大山", "posts": [post]},
    ]}, token=office.tokens["admin"])
    assert imported.status == 201, imported

    # The county's admin sees who is not activated in the town and exports their codes.
    desk, admin = await new_page(browser, api.base_url, DESK)
    await login(admin, "/admin", "admin", PASSWORD)
    await expect(admin.get_by_role("heading", name="公文流转 · 管理 · 组织机构")).to_be_visible()
    await admin.goto("/admin#/units/town")
    row = admin.locator("tr[data-user='town.lin']")
    await expect(row).to_contain_text("未激活")
    await expect(admin.locator("tr[data-user='town-head']")).not_to_contain_text("未激活")
    await expect(admin.locator("#activation")).to_contain_text("本单位未激活人员 2 人")
    await admin.locator("tr[data-user='town.he']").get_by_role("button", name="生成激活码").click()
    await expect(admin.get_by_role("status")).to_have_text("已生成激活码")
    await expect(admin.locator("#activation-code")).to_contain_text("何大山（town.he）的激活码")
    await admin.locator("#activation").scroll_into_view_if_needed()
    await screenshot(admin, "admin-activation")
    async with admin.expect_download() as waiting:
        await admin.get_by_role("button", name="导出激活码").click()
    download = await waiting.value
    name = download.suggested_filename
    assert name.startswith("激活码_甲一镇人民政府_") and name.endswith(".csv"), name
    saved = tmp_path / "codes.csv"
    await download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("\ufeff用户名,姓名,单位,激活码,有效期至")
    rows = {row["用户名"]: row for row in csv.DictReader(io.StringIO(text[1:]))}
    assert sorted(rows) == ["town.he", "town.lin"] and rows["town.lin"]["单位"] == "甲一镇人民政府"
    await expect(admin.get_by_role("status")).to_have_text("已导出 2 个激活码")
    code = rows["town.lin"]["激活码"]

    # On the phone: the login says why it refuses, and leads to 首次登录激活.
    phone_context, phone = await new_page(browser, api.base_url, PHONE)
    await phone.goto("/")
    await phone.get_by_label("用户名").click()
    await phone.get_by_label("用户名").press_sequentially("town.lin")
    await phone.get_by_label("密码").press_sequentially("whatever-i-guess")
    await phone.get_by_role("button", name="登录").click()
    await expect(phone.get_by_role("alert")).to_contain_text("账号尚未激活")
    await phone.get_by_role("link", name="首次登录激活").click()
    await expect(phone.get_by_role("heading", name="首次登录激活")).to_be_visible()
    await expect(phone.get_by_label("用户名")).to_have_value("town.lin")

    # A wrong code first (a typo), then the right one, typed in lower case.
    await phone.get_by_label("激活码").press_sequentially("2345678923")
    await phone.get_by_label("设置密码").press_sequentially(NEW_PASSWORD)
    await phone.get_by_label("确认密码").press_sequentially(NEW_PASSWORD)
    await phone.get_by_role("button", name="激活并登录").click()
    await expect(phone.get_by_role("alert")).to_contain_text("用户名或激活码不正确")
    await phone.get_by_label("激活码").fill("")
    await phone.get_by_label("激活码").press_sequentially(code.lower())
    await screenshot(phone, "activation-phone")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await phone.get_by_role("button", name="激活并登录").click()

    # Straight into the app, logged in with the new password.
    await expect(phone.get_by_role("heading", name="待办")).to_be_visible()
    await expect(phone.get_by_role("tab", name="已办")).to_be_visible()
    assert await api.login("town.lin", NEW_PASSWORD)
    await phone_context.close()

    # Back at the admin page, the person now shows as activated; the other still waits.
    await admin.reload()
    await expect(admin.locator("tr[data-user='town.lin']")).not_to_contain_text("未激活")
    await expect(admin.locator("tr[data-user='town.he']")).to_contain_text("未激活")
    await desk.close()
