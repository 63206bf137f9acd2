"""A 发文 end to end over HTTP: 拟稿 → 核稿 → 会签 by two departments → 签发 → 复核 → 编号 → 用印 → 分发.

Every step is a separate request against the stored state, so the instance is saved and reloaded
between steps; at the end the document carries its 发文字号 and a stored rendition.
"""

from __future__ import annotations

import base64
import hashlib

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from tests.client import ApiClient
from tests.flow_org import Office, build_office
from web.services import Services

# A 1×1 PNG: the smallest real handwritten-signature image.
SIGNATURE = "data:image/png;base64," + base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def test_a_fawen_goes_from_draft_to_dispatch(office: Office) -> None:
    document = await office.draft(urgency="加急")
    started = await office.start(document["id"], countersign_units=["dept-edu", "dept-fin"])
    instance_id = started["id"]
    assert started["node"] == "review" and started["status"] == "running"
    assert (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["drafter"])
            ).body["status"] == "reviewing"

    review = await office.only_task("office")
    assert review["node_name"] == "核稿" and review["urgency"] == "加急" and review["from"]["name"] == "王拟稿"
    assert review["due_at"] is not None
    await office.act("office", review["id"], opinion="文字已核")

    # 会签: both department heads have it at once; each may read the document they countersign.
    edu, fin = await office.only_task("edu"), await office.only_task("fin")
    assert edu["node"] == fin["node"] == "countersign" and edu["id"] != fin["id"]
    assert (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["edu"])).status == 200
    assert (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["town-head"])).status == 404
    first = await office.act("edu", edu["id"], opinion="同意")
    assert first["instance"]["node"] == "countersign"  # still waiting for 财政局
    assert await office.todo("head") == []
    await office.act("fin", fin["id"], opinion="同意，经费由县财政统筹")

    signoff = await office.only_task("head")
    assert signoff["node_name"] == "签发" and signoff["action_label"] == "签发"
    signed = await office.act("head", signoff["id"], opinion="同意印发", signature=SIGNATURE)
    assert signed["instance"]["node"] == "recheck"
    stored = (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["drafter"])).body
    assert stored["status"] == "signed" and stored["signoff"]["name"] == "孙县长"

    await office.act("office", (await office.only_task("office"))["id"], opinion="复核无误")
    # 编号 ran by itself: the document has its number before 用印.
    stored = (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["drafter"])).body
    assert stored["content"]["doc_number"] == "甲府〔2026〕1号" and stored["status"] == "numbered"

    seal = await office.only_task("registrar")
    assert seal["node_name"] == "用印"
    done = await office.act("registrar", seal["id"])
    assert done["instance"]["status"] == "completed"

    stored = (await office.api.get(f"/api/documents/{document['id']}", token=office.tokens["drafter"])).body
    assert stored["status"] == "issued" and stored["rendition"]["key"].endswith(".docx")
    assert await office.services.blobs.exists(stored["rendition"]["key"])
    # 生成正式文件 also made the PDF, the issuer's seal pressed over its 署名 and signed, the 用印 register naming the
    # clerk who confirmed 用印; from now on the pages every reader sees are that file's.
    issued = stored["issued_pdf"]
    assert issued["document_version"] == stored["version"] - 1 and issued["sealed_by"] == ["county"]  # 分发: +1
    assert issued["sealer"]["name"] == "李收发"
    pages = await office.api.get(f"/api/documents/{document['id']}/pages", token=office.tokens["drafter"])
    assert pages.body["issued"] is True and pages.body["sha256"] == issued["sha256"]
    # The signed original goes to the unit's clerk byte for byte (others get a copy with their watermark).
    signed = await office.api.get(f"/api/documents/{document['id']}/render.pdf", token=office.tokens["registrar"])
    assert hashlib.sha256(signed.body).hexdigest() == issued["sha256"] and b"/ByteRange" in signed.body
    report = await office.services.seals.verify_document_pdf(await office.services.documents.get(document["id"]),
                                                             signed.body)
    assert report["valid"] and [s["unit_id"] for s in report["signatures"]] == ["county"], report
    assert report["in_seal_register"]
    flipped = bytearray(signed.body)
    flipped[len(flipped) // 3] ^= 0x01  # one bit inside the first signature's byte range
    broken = await office.services.seals.verify_pdf(bytes(flipped))
    assert not broken.valid
    uses = await office.services.seals.uses_of(document["id"])
    assert [(u["unit_id"], u["by"]["name"], u["pdf_sha256"]) for u in uses] == [("county", "李收发", issued["sha256"])]
    # 分发 delivered it to its 主送 unit through the exchange, keyed by the flow so a rerun adds nothing.
    sent = await office.api.get("/api/exchange/sent?unit_id=county", token=office.tokens["registrar"])
    assert sent.body["total"] == 1 and sent.body["items"][0]["idempotency_key"] == f"flow:{instance_id}"
    assert sent.body["items"][0]["counts"]["pending"] == 1
    assert await office.services.mongo["receipts"].count_documents({"document_id": document["id"],
                                                                    "unit_id": "town"}) == 1

    view = await office.instance(instance_id)
    assert [entry["name"] for entry in view["timeline"]] == [
        "拟稿", "核稿", "是否会签", "会签", "签发", "复核", "编号", "用印", "生成正式文件", "分发", "办结"]
    actions = [(entry["action"], entry["by"]["name"]) for entry in view["audit"]]
    assert actions == [("start", "王拟稿"), ("approved", "赵主任"), ("approved", "周局长"), ("approved", "郑局长"),
                       ("signed_off", "孙县长"), ("approved", "赵主任"), ("auto:number", "系统"),
                       ("approved", "李收发"), ("auto:render", "系统"), ("auto:dispatch", "系统")]
    signoff_record = next(entry for entry in view["audit"] if entry["action"] == "signed_off")
    assert signoff_record["opinion"] == "同意印发" and signoff_record["signature"].startswith("signatures/")
    image = await office.api.get(f"/api/instances/{instance_id}/{signoff_record['signature']}",
                                 token=office.tokens["drafter"])
    assert image.status == 200 and image.body.startswith(b"\x89PNG") and image.headers["Content-Type"] == "image/png"
    other = await office.api.get(f"/api/instances/{instance_id}/{signoff_record['signature']}",
                                 token=office.tokens["town-head"])
    assert other.status == 404
    unknown = await office.api.get(f"/api/instances/{instance_id}/signatures/{'0' * 64}.png",
                                   token=office.tokens["drafter"])
    assert unknown.status == 404
    assert signoff_record["by"]["post"] == "县长" and signoff_record["channel"] == "mobile"
    # Everyone's 已办 holds what they did; nobody has anything left.
    for who in ("office", "edu", "fin", "head", "registrar"):
        assert await office.todo(who) == []
    done_box = await office.api.get("/api/tasks?box=done", token=office.tokens["office"])
    assert done_box.body["total"] == 2 and done_box.body["counts"]["todo"] == 0


async def test_without_countersign_units_the_branch_skips_countersign(office: Office) -> None:
    document = await office.draft()
    started = await office.start(document["id"])
    await office.act("office", (await office.only_task("office"))["id"])
    task = await office.only_task("head", started["id"])
    assert task["node"] == "signoff"
    view = await office.instance(started["id"])
    assert "会签" not in [entry["name"] for entry in view["timeline"]]


async def test_a_chosen_signer_replaces_the_default_leader(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"], signer=office.ids["deputy"])
    await office.act("office", (await office.only_task("office"))["id"])
    assert (await office.only_task("deputy"))["node"] == "signoff"
    assert await office.todo("head") == []


async def test_an_order_is_issued_with_the_signers_stamp_and_the_organs_signature(office: Office) -> None:
    """A 令 carries no organ seal: the 签名章 of whoever signed it off is pressed on the name (GB/T 9704 10.2), and
    the issuing organ's signature covers it."""
    document = await office.draft(doc_type="命令", title="关于公布县森林防火办法的命令", order_number=3,
                                  signer_title="县长", main_to=[],
                                  body=[{"level": 0, "text": "《县森林防火办法》已经县人民政府常务会议通过。"}])
    started = await office.start(document["id"])
    await office.act("office", (await office.only_task("office", started["id"]))["id"], opinion="已核")
    await office.act("head", (await office.only_task("head", started["id"]))["id"], opinion="同意印发")
    await office.act("office", (await office.only_task("office", started["id"]))["id"], opinion="复核无误")
    await office.act("registrar", (await office.only_task("registrar", started["id"]))["id"])
    stored = await office.services.documents.get(document["id"])
    issued = stored["issued_pdf"]
    assert issued["sealed_by"] == ["county"]
    pdf = await office.services.blobs.get(issued["key"])
    report = await office.services.seals.verify_document_pdf(stored, pdf)
    assert report["valid"] and [s["unit_id"] for s in report["signatures"]] == ["county"], report
    pages = (await office.api.get(f"/api/documents/{document['id']}/pages", token=office.tokens["drafter"])).body
    assert pages["issued"] is True
    text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf))
    assert "县长" in text and "孙县长" in text.replace("\r\n", "")  # the post, and the name the stamp is on
    images = [obj for page in pdfium.PdfDocument(pdf) for obj in page.get_objects()
              if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
    assert len(images) == 1  # the 签名章, no 公章
