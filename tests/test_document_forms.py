"""The fields of the special forms over HTTP: a 命令's 令号 and 签发人职务, a 纪要's meeting, 期号 and name lists,
an attachment's own text; each refused by name when malformed, and each reaching the rendered .docx."""

from __future__ import annotations

import io

import docx
import pytest

from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from tests.test_attachments import PDF, upload
from tests.test_documents import Desk
from web.services import Services


@pytest.fixture
async def desk(services: Services, api: ApiClient) -> Desk:
    await small_org(services)
    return Desk(api, {name: await api.login(name, PASSWORD) for name in ("clerk", "aadmin")})


def styled_texts(data: bytes, element: str) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    style = next((s.style_id for s in document.styles if s.name == f"OA {element}"), None)
    return [p.text for p in document.paragraphs if p._p.pPr is not None and p._p.pPr.pStyle is not None
            and p._p.pPr.pStyle.val == style]


async def rendered(api: ApiClient, doc_id: str, token: str) -> bytes:
    response = await api.get(f"/api/documents/{doc_id}/render.docx", token=token)
    assert response.status == 200, response
    return bytes(response.body)


async def test_an_order_keeps_its_number_and_signer(desk: Desk) -> None:
    document = await desk.draft("aadmin", doc_type="命令", issuers=[{"unit_id": "county-a"}], main_to=[],
                                order_number=3, signer_title="县长", signers=["王五"], written_date="2026-11-22")
    content = document["content"]
    assert (content["order_number"], content["signer_title"], content["signers"]) == (3, "县长", ["王五"])
    data = await rendered(desk.api, document["id"], desk.tokens["aadmin"])
    assert styled_texts(data, "发文机关标志") == ["甲县人民政府令"]
    assert styled_texts(data, "令号") == ["第3号"]
    assert styled_texts(data, "签发人签名章") == ["县长\u3000\u3000王五"]


async def test_minutes_keep_their_meeting_and_names(desk: Desk) -> None:
    document = await desk.draft("aadmin", doc_type="纪要", issuers=[{"unit_id": "county-a"}], main_to=[],
                                meeting="常务会议", minutes_number=5, attendees=["张三", "李四"], absent=["王五"],
                                attending=[])
    content = document["content"]
    assert (content["meeting"], content["minutes_number"], content["attendees"]) == ("常务会议", 5, ["张三", "李四"])
    data = await rendered(desk.api, document["id"], desk.tokens["aadmin"])
    assert styled_texts(data, "发文机关标志") == ["甲县人民政府常务会议纪要"]
    assert styled_texts(data, "出席") == ["出席：张三、李四"] and styled_texts(data, "请假") == ["请假：王五"]
    assert styled_texts(data, "列席") == []


async def test_malformed_form_fields_are_refused_by_name(desk: Desk) -> None:
    bad = {"order_number": 0, "minutes_number": "五", "signer_title": "市" * 31, "meeting": 5,
           "attendees": "张三、李四", "absent": ["", "王五"], "attending": [7]}
    response = await desk.api.post("/api/documents", {"doc_type": "纪要", "title": "t", **bad},
                                   token=desk.tokens["clerk"])
    assert response.status == 400 and response.body["code"] == "invalid_document"
    problems = " ".join(response.body["problems"])
    for name in ("order_number (令号)", "minutes_number (纪要期号)", "signer_title (签发人职务)", "meeting (会议名称)",
                 "attendees (出席)", "absent[0] is required", "attending[0] must be a string"):
        assert name in problems, name


async def test_an_attachment_carries_its_own_text(desk: Desk) -> None:
    token = desk.tokens["clerk"]
    document = await desk.draft()
    attached = await upload(desk.api, document["id"], PDF, "责任表.pdf", token, title="森林防火责任表")
    assert attached.status == 201, attached
    current = (await desk.api.get(f"/api/documents/{document['id']}", token=token)).body
    aid = current["content"]["attachments"][0]["id"]
    path = f"/api/documents/{document['id']}"
    wrong = await desk.api.patch(path, {"version": current["version"], "attachment_bodies": {aid: [{"level": 9}]}},
                                 token=token)
    assert wrong.status == 400 and f"attachment_bodies.{aid}[0].level" in wrong.body["message"]
    unknown = await desk.api.patch(path, {"version": current["version"], "attachment_bodies": {"nope": ["x"]}},
                                   token=token)
    assert unknown.status == 400 and "no attachment nope" in unknown.body["message"]
    body = [{"level": 1, "text": "责任分工"}, {"level": 0, "text": "各镇按表落实。"}]
    edited = await desk.api.patch(path, {"version": current["version"], "attachment_bodies": {aid: body}},
                                  token=token)
    assert edited.status == 200, edited
    assert edited.body["content"]["attachments"][0]["body"] == body
    data = await rendered(desk.api, document["id"], token)
    assert styled_texts(data, "附件标识") == ["附件"]
    assert styled_texts(data, "附件标题") == ["森林防火责任表"]
    assert "一、责任分工" in styled_texts(data, "一级标题")
