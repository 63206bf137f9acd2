"""Viewers' copies carry their name, unit and the time; the signed original stays byte for byte and goes
unmarked only to the issuing unit's clerks and archivists."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from oa.document_output import fresh_pdf
from oa.rendering.pdf_pages import page_png
from tests.client import ApiClient
from tests.flow_org import Office, build_office
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def issue(office: Office) -> dict:
    document = await office.draft(title="关于做好2027年春运安全工作的通知")
    started = await office.start(document["id"])
    for who in ("office", "head", "office", "registrar"):
        await office.act(who, (await office.only_task(who, started["id"]))["id"], opinion="同意")
    stored = await office.services.documents.get(document["id"])
    assert stored["issued_pdf"], stored.get("status")
    return stored


def grey_share(png: bytes) -> float:
    """The share of pixels that are neither white nor the document's own black or red: the mark's grey."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    data = image.tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3], strict=True))
    grey = sum(1 for r, g, b in pixels if 150 < r < 250 and abs(r - g) < 8 and abs(g - b) < 8)
    return grey / len(pixels)


async def test_the_original_stays_signed_and_only_the_issuing_clerk_takes_it(office: Office) -> None:
    stored = await issue(office)
    doc, issued = stored["_id"], stored["issued_pdf"]
    path = f"/api/documents/{doc}/render.pdf"
    original = await office.api.get(path, token=office.tokens["registrar"])
    assert original.headers["X-OA-Copy"] == "original"
    assert hashlib.sha256(original.body).hexdigest() == issued["sha256"]
    verified = await office.api.get(f"/api/documents/{doc}/verify", token=office.tokens["registrar"])
    assert verified.status == 200 and verified.body["valid"], verified

    # The office head of the issuing unit takes it too; the drafter (科员) gets a copy marked with their name.
    assert (await office.api.get(path, token=office.tokens["office"])).headers["X-OA-Copy"] == "original"
    copy = await office.api.get(path, token=office.tokens["drafter"])
    assert copy.headers["X-OA-Copy"] == "watermarked"
    assert hashlib.sha256(copy.body).hexdigest() != issued["sha256"]
    assert copy.body.startswith(original.body)  # an update appended; the signed bytes untouched
    assert grey_share(page_png(copy.body, 0, 600)) > grey_share(page_png(original.body, 0, 600)) + 0.005
    # The stored file is still the signed one, and still verifies.
    blob = await office.services.blobs.get(issued["key"])
    assert hashlib.sha256(blob).hexdigest() == issued["sha256"]
    assert (await office.services.seals.verify_pdf(blob)).valid


async def test_previews_and_downloads_name_the_viewer(office: Office) -> None:
    document = await office.draft(title="关于开展冬季防火检查的通知")
    doc = document["id"]
    token = office.tokens["drafter"]
    image = await office.api.get(f"/api/documents/{doc}/pages/1.png?width=600", token=token)
    assert image.status == 200
    clean = page_png(await fresh_pdf(await office.services.documents.get(doc)), 0, 600)
    assert ImageChops.difference(Image.open(io.BytesIO(image.body)).convert("RGB"),
                                 Image.open(io.BytesIO(clean)).convert("RGB")).getbbox() is not None
    assert grey_share(image.body) > grey_share(clean) + 0.005
    preview = await office.api.get(f"/api/documents/{doc}/preview", token=token)
    assert "viewer-mark" in preview.body and "%E7%8E%8B%E6%8B%9F%E7%A8%BF" in preview.body  # 王拟稿, URL-encoded
    docx = await office.api.get(f"/api/documents/{doc}/render.docx", token=token)
    headers = [name for name in zipfile.ZipFile(io.BytesIO(docx.body)).namelist() if "header" in name]
    texts = "".join(zipfile.ZipFile(io.BytesIO(docx.body)).read(name).decode() for name in headers)
    assert "王拟稿（甲县人民政府）" in texts
    # Before issue, nobody takes an unmarked PDF, the clerk included.
    pdf = await office.api.get(f"/api/documents/{doc}/render.pdf", token=office.tokens["registrar"])
    assert pdf.headers["X-OA-Copy"] == "watermarked"
    assert len(pdfium.PdfDocument(pdf.body)) >= 1
