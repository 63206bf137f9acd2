"""The admin pages in real Chromium: a county admin, on behalf of a town with no IT staff, finds the
town among the units, adds its 收发员 with roles, creates a new county bureau, sets the county's own
收文 deadline by claiming the flow, and reads the exchange statistics; a county admin keeps a town's electronic
seal (电子印章) while another county's admin is told plainly that it is not theirs."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Locator, Page, expect

from oa.seals.authority import issue_unit_certificate, make_ca
from oa.seals.keys import new_private_key
from tests.browser import DESK, login, new_page, screenshot
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
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
    await page.get_by_label("初始密码").fill("Lin-Shoufa@2026")
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
    # 三员分立: a county's admin is offered no 审计员 role, and sees its own county's auditor read only.
    await expect(row.locator("label", has_text="科员").first).to_be_visible()
    await expect(page.locator("input[value=审计员]")).to_have_count(0)
    auditor = await services.users.create({"username": "shen.ji", "display_name": "沈审计", "password": PASSWORD,
                                           "posts": [{"unit": "county", "title": "安全审计员", "roles": ["审计员"]}]})
    await page.goto(f"/admin#/people/{auditor['_id']}")
    await expect(page.locator("#readonly")).to_have_text("只读：审计员只能由平台管理员任命和修改（三员分立）。")
    await page.goto("/admin#/units/county")
    row = page.locator("tr[data-user=drafter]")

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


def red_seal_png(side: int = 400) -> bytes:
    """A seal as a town might scan and clean it up: a red ring and a red disc on a transparent background."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, side - 4, side - 4), outline=(200, 16, 24, 255), width=side // 25)
    draw.ellipse((side * 3 // 8, side * 3 // 8, side * 5 // 8, side * 5 // 8), fill=(200, 16, 24, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def loaded_width(page: Page, image: Locator) -> int:
    """The width of the picture the browser actually decoded (0 would be a broken image)."""
    await expect(image).to_be_visible()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=await image.element_handle())
    return int(await image.evaluate("img => img.naturalWidth"))


async def test_a_county_admin_keeps_a_towns_seal_and_another_countys_admin_is_told_it_is_not_theirs(
        services: Services, api: ApiClient, browser: Browser, tmp_path: Path) -> None:
    await small_org(services)
    context, page = await new_page(browser, api.base_url, DESK)
    await login(page, "/admin", "aadmin", PASSWORD)
    await page.get_by_role("searchbox", name="单位名称").fill("甲一镇")
    await page.get_by_role("button", name="甲一镇人民政府（镇级 · 乡镇）").click()
    seals = page.locator("#seals")
    await expect(seals.get_by_role("heading", name="电子印章")).to_be_visible()
    await expect(seals.locator("#no-seal")).to_contain_text("尚未登记印章：首次用印时将由系统按单位名称自动生成")

    # Registered now: the seal drawn from the unit's name, its certificate from the platform's CA.
    await seals.get_by_role("button", name="现在登记印章").click()
    await expect(page.get_by_role("status")).to_have_text("已登记印章")
    await expect(seals.locator("#seal-status")).to_have_text("在用")
    image = seals.locator("img.seal-image")
    assert await loaded_width(page, image) == 496  # the drawn 42 mm seal at 300 dpi
    for words in ("公章 · 甲一镇人民政府", "O=甲一镇人民政府", "本平台 CA 签发", "有效期至", "甲县管理员"):
        await expect(seals).to_contain_text(words)
    drawn_src = await image.get_attribute("src")

    # Bad files are refused, and the field says why in plain words.
    upload = seals.locator(".seal-action").filter(has=page.get_by_role("heading", name="上传印章图片"))
    not_png = tmp_path / "公章.png"
    not_png.write_text("这是一份文字说明，不是图片", encoding="utf-8")
    await upload.get_by_label("选择印章图片（.png）").set_input_files(not_png)
    await upload.get_by_role("button", name="上传印章图片").click()
    await expect(upload.get_by_role("alert")).to_have_text(
        "印章图片必须是 PNG 格式（.png 文件）。JPG 等其他格式请先用作图软件另存为透明背景的 PNG")
    opaque = tmp_path / "扫描件.png"
    Image.new("RGB", (400, 400), (200, 16, 24)).save(opaque, "PNG")
    await upload.get_by_label("选择印章图片（.png）").set_input_files(opaque)
    await upload.get_by_role("button", name="上传印章图片").click()
    await expect(upload.get_by_role("alert")).to_contain_text("图片没有透明背景")
    assert await image.get_attribute("src") == drawn_src

    # A transparent red PNG replaces the drawn one, and that is the picture shown.
    good = tmp_path / "甲一镇公章.png"
    good.write_bytes(red_seal_png())
    await upload.get_by_label("选择印章图片（.png）").set_input_files(good)
    await upload.get_by_role("button", name="上传印章图片").click()
    await expect(page.get_by_role("status")).to_have_text("已更换印章图片")
    await expect(image).not_to_have_attribute("src", drawn_src)
    assert await loaded_width(page, image) == 400
    await expect(seals).to_contain_text("已上传 · 400×400 像素")

    # A certificate from the province's CA, as a .p12 with its password (first the wrong one).
    ca, ca_key = make_ca("某省电子政务 CA（测试）", datetime.now(UTC))
    key = new_private_key()
    certificate = issue_unit_certificate(ca, ca_key, "town-a1", "甲一镇人民政府", key.public_key(), datetime.now(UTC))
    p12 = tmp_path / "甲一镇.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"town-a1", key, certificate, [ca],
                                                          serialization.BestAvailableEncryption(b"p12-Secret")))
    imports = seals.locator(".seal-action").filter(has=page.get_by_role("heading", name="导入证书（PKCS#12）"))
    await imports.get_by_label("证书文件").set_input_files(p12)
    await imports.get_by_label("证书密码").fill("wrong")
    await imports.get_by_role("button", name="导入证书").click()
    await expect(imports.get_by_role("alert")).to_contain_text("证书文件打不开：密码不对")
    await imports.get_by_label("证书密码").fill("p12-Secret")
    await imports.get_by_role("button", name="导入证书").click()
    await expect(page.get_by_role("status")).to_have_text("已导入证书")
    await expect(seals).to_contain_text("导入的证书，由“某省电子政务 CA（测试）”签发")
    await seals.evaluate("section => window.scrollTo(0, section.getBoundingClientRect().top + window.scrollY - 60)")
    await screenshot(page, "admin-seal")

    await seals.get_by_role("button", name="由系统生成密钥和证书").click()
    await expect(page.get_by_role("status")).to_have_text("已生成新的密钥和证书")
    await expect(seals).to_contain_text("本平台 CA 签发")

    # Revoked with a reason, after a second click; the screen then says the town cannot seal until a new one.
    await seals.get_by_role("button", name="注销印章").click()
    await expect(seals.get_by_text("请填写注销原因")).to_be_visible()
    await seals.get_by_label("注销原因").fill("机构改革，单位更名")
    await seals.get_by_role("button", name="注销印章").click()
    await seals.get_by_role("button", name="确认注销").click()
    await expect(page.get_by_role("status")).to_have_text("已注销印章")
    await expect(seals.locator("#seal-status")).to_have_text("已注销")
    await expect(seals).to_contain_text("原因：机构改革，单位更名")
    await expect(seals.locator("#seal-revoked")).to_contain_text("系统不会自动补发")
    await expect(seals.locator("img.seal-image")).to_have_count(0)
    await expect(seals.get_by_role("button", name="登记新印章")).to_be_visible()
    await seals.get_by_text("印章变更与用印记录（5 条）").click()
    history = seals.locator(".seal-history tbody tr")
    await expect(history.first).to_contain_text("注销印章甲县管理员原因：机构改革，单位更名")
    await expect(seals.locator(".seal-history tbody tr").nth(2)).to_contain_text("更换密钥和证书甲县管理员导入的证书")
    [seal] = await services.seals.registry.of_unit("town-a1")
    assert seal["status"] == "revoked" and seal["revoke_reason"] == "机构改革，单位更名"
    assert seal["image"]["source"] == "uploaded" and seal["certificate"]["source"] == "generated"

    ca_link = seals.get_by_role("link", name="下载本平台根证书（CA）")
    await expect(ca_link).to_have_attribute("href", "/api/seals/ca.pem")
    await expect(seals).to_contain_text("印章签名才会显示为有效")
    pem = await page.request.get("/api/seals/ca.pem")
    assert pem.ok and (await pem.text()).startswith("-----BEGIN CERTIFICATE-----")
    await context.close()

    # Another county's admin sees the town (read only) and is told the seal is not theirs to keep.
    context, page = await new_page(browser, api.base_url, DESK)
    await login(page, "/admin", "badmin", PASSWORD)
    await expect(page.get_by_role("heading", name="公文流转 · 管理 · 组织机构")).to_be_visible()
    await page.goto("/admin#/units/town-a1")
    seals = page.locator("#seals")
    await expect(seals.get_by_role("alert")).to_have_text(
        "您无权查看或管理甲一镇人民政府的电子印章：只有本单位或上级单位的管理员可以管理。您的管理范围是乙县人民政府及其下级单位。")
    for action in ("上传印章图片", "导入证书", "注销印章", "登记新印章", "现在登记印章"):
        await expect(page.get_by_role("button", name=action)).to_have_count(0)
    await context.close()
