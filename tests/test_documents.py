"""Drafting documents over HTTP: elements, direction, optimistic concurrency, revisions, diff, numbering, visibility."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import docx
import pytest

from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Services


@dataclass
class Desk:
    api: ApiClient
    tokens: dict[str, str]

    async def draft(self, who: str = "clerk", **fields: Any) -> dict[str, Any]:
        body = {"doc_type": "通知", "title": "关于做好冬季森林防火工作的通知",
                "main_to": [{"external": True, "name": "各村（居）委会"}],
                "body": [{"level": 0, "text": "现将有关事项通知如下。"}, {"level": 1, "text": "提高认识"}], **fields}
        response = await self.api.post("/api/documents", body, token=self.tokens[who])
        assert response.status == 201, response
        return response.body


@pytest.fixture
async def desk(services: Services, api: ApiClient) -> Desk:
    await small_org(services)
    await services.users.create({"username": "office", "display_name": "甲一镇办公室主任", "password": PASSWORD,
                                 "posts": [{"unit": "town-a1", "title": "党政办主任", "roles": ["办公室主任"]}]})
    tokens = {name: await api.login(name, PASSWORD)
              for name in ("clerk", "office", "aadmin", "cityadmin", "sysadmin", "twoposts")}
    return Desk(api, tokens)


async def test_create_fills_issuer_from_the_drafting_unit(desk: Desk) -> None:
    document = await desk.draft(main_to=[{"unit_id": "county-a"}], copy_to=[{"external": True, "name": "县委办公室"}],
                                urgency="加急")
    content = document["content"]
    assert document["status"] == "draft" and document["version"] == 1
    assert document["drafting_unit_id"] == "town-a1"
    assert content["issuers"] == [{"unit_id": "town-a1", "name": "甲一镇人民政府", "mark": "甲一镇人民政府文件",
                                   "code": ""}]
    assert content["main_to"] == [{"unit_id": "county-a", "name": "甲县人民政府"}]
    assert content["copy_to"] == [{"external": True, "name": "县委办公室"}]
    assert content["direction"] == "上行"  # a town writing to its county
    assert content["urgency"] == "加急" and content["doc_number"] is None


@pytest.mark.parametrize(("issuer", "recipients", "doc_type", "expected"), [
    ("county-a", ["town-a1"], "通知", "下行"),
    ("county-a", ["county-b"], "函", "平行"),
    ("county-a", ["city"], "报告", "上行"),
    ("county-a", ["town-a1", "city"], "通知", "上行"),  # one superior among them makes it 上行
    ("county-a", [], "函", "平行"),                       # only free text: the type's usual direction
])
async def test_direction_is_derived_from_the_hierarchy(desk: Desk, issuer: str, recipients: list[str],
                                                       doc_type: str, expected: str) -> None:
    main_to = [{"unit_id": unit} for unit in recipients] or [{"external": True, "name": "省应急管理厅"}]
    if expected == "上行" and len(main_to) > 1:
        response = await desk.api.post("/api/documents", {"doc_type": doc_type, "title": "t", "main_to": main_to},
                                        token=desk.tokens["aadmin"])
        assert response.status == 400 and "exactly one 主送机关" in response.body["message"]
        return
    document = await desk.draft("aadmin", doc_type=doc_type, main_to=main_to,
                                issuers=[{"unit_id": issuer}])
    assert document["content"]["direction"] == expected


async def test_direction_can_be_overridden(desk: Desk) -> None:
    document = await desk.draft(main_to=[{"unit_id": "county-a"}], direction="平行")
    assert document["content"]["direction"] == "平行" and document["direction_set"] is True


async def test_classified_documents_are_refused(desk: Desk) -> None:
    response = await desk.api.post("/api/documents", {"title": "t", "classification": "秘密★1年"},
                                   token=desk.tokens["clerk"])
    assert response.status == 400
    assert response.body["code"] == "classified_not_allowed" and "非涉密" in response.body["message"]
    listed = await desk.api.get("/api/documents", token=desk.tokens["clerk"])
    assert listed.body["total"] == 0


async def test_bad_fields_are_named(desk: Desk) -> None:
    response = await desk.api.post("/api/documents", {
        "title": "", "doc_type": "通知单", "urgency": "十万火急", "body": [{"level": 7, "text": "x"}],
        "written_date": "2026-13-01", "contact": {"name": "李辉", "phone": "call me"}, "copy_number": 0,
    }, token=desk.tokens["clerk"])
    assert response.status == 400
    message = response.body["message"]
    for part in ("title is required", "urgency (紧急程度)", "body[0].level", "written_date", "contact.phone",
                 "copy_number (份号)"):
        assert part in message, part
    unknown_type = await desk.api.post("/api/documents", {"title": "t", "doc_type": "通知单"},
                                       token=desk.tokens["clerk"])
    assert unknown_type.body["code"] == "unknown_doc_type"
    unknown_unit = await desk.api.post("/api/documents", {"doc_type": "通知", "title": "t",
                                                          "main_to": [{"unit_id": "nowhere"}]},
                                       token=desk.tokens["clerk"])
    assert unknown_unit.status == 400 and "unit nowhere does not exist" in unknown_unit.body["message"]
    no_type = await desk.api.post("/api/documents", {"title": "t"}, token=desk.tokens["clerk"])
    assert no_type.status == 400 and no_type.body["field"] == "doc_type"  # 文种 has no default
    unmarked = await desk.api.post("/api/documents", {"doc_type": "通知", "title": "t",
                                                      "main_to": [{"name": "各村（居）委会"}]},
                                   token=desk.tokens["clerk"])
    assert unmarked.status == 400 and "external" in unmarked.body["message"]


async def test_stale_edit_gets_409_and_overwrites_nothing(desk: Desk) -> None:
    document = await desk.draft()
    path = f"/api/documents/{document['id']}"
    first = await desk.api.patch(path, {"version": 1, "title": "关于做好2026年冬季森林防火工作的通知"},
                                 token=desk.tokens["office"])
    assert first.status == 200 and first.body["version"] == 2
    stale = await desk.api.patch(path, {"version": 1, "title": "clobbered"}, token=desk.tokens["clerk"])
    assert stale.status == 409
    assert stale.body["code"] == "stale_version" and stale.body["current_version"] == 2
    now = await desk.api.get(path, token=desk.tokens["clerk"])
    assert now.body["content"]["title"] == "关于做好2026年冬季森林防火工作的通知" and now.body["version"] == 2
    revisions = await desk.api.get(path + "/revisions", token=desk.tokens["clerk"])
    assert [item["version"] for item in revisions.body["items"]] == [1, 2]


async def test_revisions_and_diff_say_who_inserted_and_deleted_what(desk: Desk) -> None:
    document = await desk.draft(body=[{"level": 0, "text": "第一段"}, {"level": 0, "text": "第二段"},
                                      {"level": 0, "text": "第三段"}])
    path = f"/api/documents/{document['id']}"
    await desk.api.patch(path, {"version": 1, "body": ["第一段", "第二段", "第三段", "办公室补充的第四段"]},
                         token=desk.tokens["office"])
    await desk.api.patch(path, {"version": 2, "title": "新标题", "body": ["第一段", "第三段", "办公室补充的第四段"]},
                         token=desk.tokens["clerk"])
    revisions = (await desk.api.get(path + "/revisions", token=desk.tokens["clerk"])).body["items"]
    assert [(r["version"], r["action"], r["by"]["user_id"]) for r in revisions] == [
        (1, "create", revisions[0]["by"]["user_id"]), (2, "edit", revisions[1]["by"]["user_id"]),
        (3, "edit", revisions[0]["by"]["user_id"])]
    assert revisions[1]["by"]["name"] == "甲一镇办公室主任" and revisions[1]["by"]["post"] == "党政办主任"
    assert "content" not in revisions[0] and revisions[0]["at"]
    old = await desk.api.get(path + "/revisions/1", token=desk.tokens["clerk"])
    assert [p["text"] for p in old.body["content"]["body"]] == ["第一段", "第二段", "第三段"]

    diff = (await desk.api.get(path + "/diff?from=1&to=3", token=desk.tokens["clerk"])).body
    marks = [(p["op"], p["text"], p["by"]["name"] if p["by"] else None) for p in diff["paragraphs"]]
    assert marks == [("equal", "第一段", None), ("delete", "第二段", "甲一镇科员"), ("equal", "第三段", None),
                     ("insert", "办公室补充的第四段", "甲一镇办公室主任")]
    assert diff["inserted"] == 1 and diff["deleted"] == 1
    assert [(f["field"], f["from"], f["to"]) for f in diff["fields"]] == [
        ("title", "关于做好冬季森林防火工作的通知", "新标题")]
    default = (await desk.api.get(path + "/diff", token=desk.tokens["clerk"])).body
    assert (default["from_version"], default["to_version"]) == (2, 3)
    missing = await desk.api.get(path + "/diff?from=1&to=9", token=desk.tokens["clerk"])
    assert missing.status == 404


async def test_a_draft_is_visible_to_its_drafting_unit_only(desk: Desk) -> None:
    document = await desk.draft()
    path = f"/api/documents/{document['id']}"
    assert (await desk.api.get(path, token=desk.tokens["office"])).status == 200
    for outsider in ("aadmin", "cityadmin", "sysadmin", "twoposts"):
        for suffix in ("", "/revisions", "/diff", "/render.docx", "/preview", "/attachments", "/render.pdf", "/pages",
                       "/pages/1.png"):
            response = await desk.api.get(path + suffix, token=desk.tokens[outsider])
            assert response.status == 404, (outsider, suffix, response)
        edit = await desk.api.patch(path, {"version": 1, "title": "x"}, token=desk.tokens[outsider])
        assert edit.status == 404
        listed = await desk.api.get("/api/documents", token=desk.tokens[outsider])
        assert document["id"] not in [item["id"] for item in listed.body["items"]]
    not_there = await desk.api.get("/api/documents/doc-0000000000000000", token=desk.tokens["clerk"])
    assert not_there.status == 404
    cannot_draft_there = await desk.api.post("/api/documents", {"title": "t", "unit_id": "town-a1"},
                                             token=desk.tokens["twoposts"])
    assert cannot_draft_there.status == 403


async def test_list_filters_and_pages(desk: Desk) -> None:
    await desk.draft(title="关于春耕的通知")
    await desk.draft(doc_type="请示", title="关于拨付防汛经费的请示", main_to=[{"unit_id": "county-a"}])
    await desk.draft(doc_type="函", title="关于商请协助的函")
    clerk = desk.tokens["clerk"]
    everything = await desk.api.get("/api/documents?limit=2", token=clerk)
    assert everything.body["total"] == 3 and len(everything.body["items"]) == 2
    assert "body" not in everything.body["items"][0]["content"]
    second_page = await desk.api.get("/api/documents?limit=2&offset=2", token=clerk)
    assert len(second_page.body["items"]) == 1
    by_type = await desk.api.get("/api/documents?type=%E8%AF%B7%E7%A4%BA", token=clerk)
    assert [item["content"]["title"] for item in by_type.body["items"]] == ["关于拨付防汛经费的请示"]
    by_text = await desk.api.get("/api/documents?q=%E6%98%A5%E8%80%95", token=clerk)  # 春耕
    assert by_text.body["total"] == 1
    tricky = await desk.api.get("/api/documents?q=.*", token=clerk)
    assert tricky.body["total"] == 0  # text is matched literally, never as a pattern
    today = await desk.api.get("/api/documents?status=draft&unit=town-a1&from=2020-01-01&to=2099-12-31", token=clerk)
    assert today.body["total"] == 3
    none = await desk.api.get("/api/documents?from=2099-01-01", token=clerk)
    assert none.body["total"] == 0
    bad = await desk.api.get("/api/documents?status=lost", token=clerk)
    assert bad.status == 400
    bad_date = await desk.api.get("/api/documents?from=yesterday", token=clerk)
    assert bad_date.status == 400


async def test_numbering_through_the_api(desk: Desk, services: Services) -> None:
    document = await desk.draft("aadmin", issuers=[{"unit_id": "county-a"}], main_to=[{"unit_id": "town-a1"}])
    path = f"/api/documents/{document['id']}"
    not_allowed = await desk.api.post(path + "/number", {"version": 1}, token=desk.tokens["aadmin"])
    assert not_allowed.status == 403  # a 科员 drafts; the office hands out numbers
    await services.users.create({"username": "aoffice", "display_name": "甲县办公室主任", "password": PASSWORD,
                                 "posts": [{"unit": "county-a", "title": "县府办主任", "roles": ["办公室主任"]}]})
    office = await desk.api.login("aoffice", PASSWORD)
    numbered = await desk.api.post(path + "/number", {"version": 1}, token=office)
    assert numbered.status == 200, numbered
    number = numbered.body["content"]["doc_number"]
    assert number.startswith("甲府〔") and number.endswith("〕1号") and numbered.body["status"] == "numbered"
    again = await desk.api.post(path + "/number", {"version": 2}, token=office)
    assert again.status == 409 and again.body["code"] == "already_numbered"
    frozen = await desk.api.patch(path, {"version": 2, "title": "x"}, token=desk.tokens["aadmin"])
    assert frozen.status == 409 and frozen.body["code"] == "not_a_draft"
    voided = await desk.api.post(path + "/number/void", {"version": 2, "reason": "主送有误"}, token=office)
    assert voided.status == 200 and voided.body["content"]["doc_number"] is None
    renumbered = await desk.api.post(path + "/number", {"version": 3}, token=office)
    assert renumbered.body["content"]["doc_number"].endswith("〕2号")
    check = await desk.api.get(f"/api/doc-numbers/check?text={number}", token=office)
    assert check.body["status"] == "voided"
    wrong = await desk.api.get("/api/doc-numbers/check?text=%E7%94%B2%E5%BA%9C%5B2026%5D1%E5%8F%B7", token=office)
    assert wrong.status == 400 and "U+3014" in wrong.body["message"]
    revisions = (await desk.api.get(path + "/revisions", token=office)).body["items"]
    assert [item["action"] for item in revisions] == ["create", "number", "void_number", "number"]


async def test_an_incomplete_draft_gets_no_number(desk: Desk, services: Services) -> None:
    document = await desk.draft(body=[])  # town-a1 has no 机关代字 either
    response = await desk.api.post(f"/api/documents/{document['id']}/number", {"version": 1},
                                   token=desk.tokens["clerk"])
    assert response.status == 400 and response.body["code"] == "incomplete_document"
    assert "正文" in response.body["message"] and "机关代字" in response.body["message"]
    assert await services.numbers.ledger.count_documents({}) == 0


async def test_render_and_preview(desk: Desk) -> None:
    document = await desk.draft("aadmin", issuers=[{"unit_id": "county-a"}], main_to=[{"unit_id": "town-a1"}],
                                written_date="2026-11-22", contact={"name": "李辉", "phone": "0751-8888888"},
                                title="关于<script>alert(1)</script>的通知")
    path = f"/api/documents/{document['id']}"
    rendered = await desk.api.get(path + "/render.docx", token=desk.tokens["aadmin"])
    assert rendered.status == 200
    assert rendered.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment; filename*=UTF-8''" in rendered.headers["Content-Disposition"]
    from oa.rendering import check_docx

    data = rendered.body
    assert check_docx(data) == []
    text = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)
    assert "甲县人民政府文件" in text and "2026年11月22日" in text and "甲一镇人民政府：" in text
    preview = await desk.api.get(path + "/preview", token=desk.tokens["aadmin"])
    assert preview.status == 200 and preview.headers["Content-Type"].startswith("text/html")
    assert "<script>alert" not in preview.body and "&lt;script&gt;" in preview.body
    assert "default-src 'none'" in preview.headers["Content-Security-Policy"]


async def test_the_pdf_and_its_page_images(desk: Desk) -> None:
    """Before issue the PDF is the current text typeset afresh: a new version shows new pages."""
    document = await desk.draft("aadmin", issuers=[{"unit_id": "county-a"}], main_to=[{"unit_id": "town-a1"}],
                                written_date="2026-11-22")
    path = f"/api/documents/{document['id']}"
    token = desk.tokens["aadmin"]
    pdf = await desk.api.get(path + "/render.pdf", token=token)
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF-1.7") and b"/FontFile2" in pdf.body
    pages = await desk.api.get(path + "/pages", token=token)
    # Text on page 1, the 版记 on page 2 (the last page of a 文件 is even).
    assert pages.status == 200 and pages.body["count"] == 2 and pages.body["issued"] is False
    image = await desk.api.get(path + "/pages/1.png?width=360", token=token)
    assert image.status == 200 and image.headers["Content-Type"] == "image/png"
    assert image.body.startswith(b"\x89PNG")
    beyond = await desk.api.get(path + "/pages/3.png", token=token)
    assert beyond.status == 404 and beyond.body["code"] == "not_found"
    too_narrow = await desk.api.get(path + "/pages/1.png?width=20", token=token)
    assert too_narrow.status == 400 and too_narrow.body["field"] == "width"
    longer = await desk.api.patch(path, {"version": 1, "body": [{"level": 0, "text": "现将有关事项通知如下。" * 60}]},
                                  token=token)
    assert longer.status == 200
    assert (await desk.api.get(path + "/pages", token=token)).body["count"] == 4


async def test_a_document_chooses_the_letter_form(desk: Desk) -> None:
    document = await desk.draft("aadmin", issuers=[{"unit_id": "county-a"}], main_to=[{"unit_id": "town-a1"}],
                                form="信函格式", title="关于商请协助核实林地权属的通知")
    assert document["content"]["form"] == "信函格式"
    rendered = await desk.api.get(f"/api/documents/{document['id']}/render.docx", token=desk.tokens["aadmin"])
    section = docx.Document(io.BytesIO(rendered.body)).sections[0]
    assert section.different_first_page_header_footer
    assert section.first_page_header.paragraphs[0].text == "甲县人民政府"  # the letterhead: no 文件
    bad = await desk.api.post("/api/documents", {"doc_type": "通知", "title": "t", "form": "公告格式"},
                              token=desk.tokens["clerk"])
    assert bad.status == 400 and "form (版式)" in bad.body["message"]


async def test_document_types_are_data(desk: Desk) -> None:
    listed = await desk.api.get("/api/document-types", token=desk.tokens["clerk"])
    names = [item["name"] for item in listed.body["items"]]
    statutory = ["决议", "决定", "命令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示", "批复"]
    assert names[:15] == [*statutory, "议案", "函", "纪要"]
    assert "会办意见" in names and "便函" in names
    refused = await desk.api.post("/api/document-types", {"name": "督办单", "direction": "下行"},
                                  token=desk.tokens["cityadmin"])
    assert refused.status == 403  # a platform-wide list: only platform admins extend it
    added = await desk.api.post("/api/document-types", {"name": "督办单", "direction": "下行"},
                                token=desk.tokens["sysadmin"])
    assert added.status == 201
    duplicate = await desk.api.post("/api/document-types", {"name": "督办单", "direction": "下行"},
                                    token=desk.tokens["sysadmin"])
    assert duplicate.status == 409
    document = await desk.draft(doc_type="督办单")
    assert document["content"]["doc_type"] == "督办单"
