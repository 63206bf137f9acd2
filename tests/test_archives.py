"""归档 on the demo hierarchy: a county office's issued 通知 archived by its 档案员 as one package that opens, whose
manifest holds, whose PDF is the signed original and verifies, whose 办理过程 reads in Chinese; a tampered package
fails the 四性检测, a tampered original is refused with nothing stored; an archived document cannot be changed; the
year's 移交 export carries the 归档文件目录.

Runs on the shared demo database, in 乳源县人民政府办公室 (ry-xzfb), which no other test module uses.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import zipfile
from typing import Any

import pytest

from flows.archiving import expected_of, scan_name, scan_pages
from oa.archives import check_package
from oa.archives.package import MANIFEST, PDF_PATH
from oa.audit_chain import verify_chains
from tests.archive_demo import REVIEW_OPINION, SIGNOFF_OPINION, approve_on, issue, names
from tests.blank_pages import blank_pdf, blank_png
from tests.client import ApiClient
from web.services import Services

OFFICE, TOWN = "ry-xzfb", "ry-t-rucheng"
ARCHIVIST, DRAFTER, CLERK, OTHER_ARCHIVIST = f"{OFFICE}.dag1", f"{OFFICE}.ky1", f"{OFFICE}.sfy1", "sg-szfb.dag1"
TITLE = "关于做好2026年冬季安全生产检查工作的通知"
ATTACHMENT = "一、检查时间：12月1日至15日\n二、检查范围：全县各乡镇\n".encode()


@pytest.fixture(scope="module")
async def archived(demo_api: ApiClient) -> dict[str, Any]:
    """The office's 通知 issued, then archived by its 档案员 for 永久."""
    doc_id = await issue(demo_api, OFFICE, TITLE, TOWN, attachment=ATTACHMENT)
    token = await demo_api.login(ARCHIVIST)
    candidates = await demo_api.get(f"/api/archives/candidates?unit={OFFICE}", token=token)
    assert candidates.status == 200, candidates
    assert [row["kind"] for row in candidates.body["items"] if row["document_id"] == doc_id] == ["发文"]
    response = await demo_api.post(f"/api/documents/{doc_id}/archive", {"retention": "永久"}, token=token)
    assert response.status == 201, response
    return {"doc_id": doc_id, "token": token, "record": response.body}


def opened(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


async def test_the_package_opens_its_manifest_holds_and_its_pdf_is_the_signed_original(
        demo_api: ApiClient, demo_services: Services, archived: dict[str, Any]) -> None:
    record, token = archived["record"], archived["token"]
    assert record["archival_code"] == "RYXZFB-2026-Y-FW-0001", record
    assert record["check"]["passed"] and [check["name"] for check in record["check"]["checks"]] == [
        "真实性", "完整性", "可用性", "安全性"]
    assert record["stamp"] == {"全宗号": "RYXZFB", "年度": "2026", "件号": "0001", "机构（问题）": "发文",
                               "保管期限": "永久", "页数": str(record["pages"])}
    package = await demo_api.get(f"/api/archives/{record['id']}/package.zip", token=token)
    assert package.status == 200 and hashlib.sha256(package.body).hexdigest() == record["package"]["sha256"]
    with opened(package.body) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        listed = {entry["path"]: entry for entry in manifest["files"]}
        assert set(listed) == set(archive.namelist()) - {MANIFEST}
        for path, entry in listed.items():
            data = archive.read(path)
            assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"]), path
        assert {"正文.pdf", "正文.docx", "办理过程.txt", "用印记录.txt", "metadata.json", "metadata.xml", "归档章.png",
                "封面.html", "附件/01-工作安排表.txt"} <= set(listed)
        assert archive.read("附件/01-工作安排表.txt") == ATTACHMENT
        pdf = archive.read(PDF_PATH)
        with opened(archive.read("正文.docx")) as docx:
            assert "word/document.xml" in docx.namelist()
        process = archive.read("办理过程.txt").decode("utf-8")
        metadata = json.loads(archive.read("metadata.json"))
        xml = archive.read("metadata.xml").decode("utf-8")
    # Byte for byte the signed original the issuing office's clerk downloads, and its seal verifies.
    original = await demo_api.get(f"/api/documents/{archived['doc_id']}/render.pdf",
                                  token=await demo_api.login(CLERK))
    assert original.headers["X-OA-Copy"] == "original" and original.body == pdf
    verdict = await demo_services.seals.verify_pdf(pdf)
    assert verdict.valid, verdict.as_json()
    # The processing record reads in Chinese, naming each person, their unit and their opinion.
    people = names()
    for step, who in (("拟稿", DRAFTER), ("核稿", f"{OFFICE}.bgszr1"), ("签发", f"{OFFICE}.zyld1"),
                      ("用印", CLERK)):
        assert any(step in line and people[who] in line for line in process.splitlines()), (step, process)
    assert f"意见：{REVIEW_OPINION}" in process and f"意见：{SIGNOFF_OPINION}" in process
    assert "乳源瑶族自治县人民政府办公室" in process and "分发" in process
    assert metadata["题名"] == TITLE and metadata["档号"] == record["archival_code"] and metadata["密级"] == "无"
    assert metadata["文号"] == record["doc_number"] and metadata["文号"].startswith("乳")
    assert f"<档号>{record['archival_code']}</档号>" in xml and f"<题名>{TITLE}</题名>" in xml


async def test_archiving_again_returns_the_same_record_and_others_cannot_see_it(
        demo_api: ApiClient, archived: dict[str, Any]) -> None:
    record, token, doc_id = archived["record"], archived["token"], archived["doc_id"]
    again = await demo_api.post(f"/api/documents/{doc_id}/archive", {"retention": "10年"}, token=token)
    assert again.status == 200 and again.body["id"] == record["id"] and again.body["retention"] == "永久"
    listed = await demo_api.get("/api/archives?year=2026", token=token)
    assert [item["id"] for item in listed.body["items"] if item["document_id"] == doc_id] == [record["id"]]
    shown = await demo_api.get(f"/api/archives/{record['id']}", token=token)
    assert shown.status == 200 and shown.body["metadata"]["题名"] == TITLE
    other = await demo_api.login(OTHER_ARCHIVIST)
    assert (await demo_api.get(f"/api/archives/{record['id']}", token=other)).status == 404
    assert (await demo_api.get(f"/api/archives/{record['id']}/package.zip", token=other)).status == 404
    assert (await demo_api.post(f"/api/documents/{doc_id}/archive", {}, token=other)).status == 404
    drafter = await demo_api.login(DRAFTER)
    refused = await demo_api.post(f"/api/documents/{doc_id}/archive", {}, token=drafter)
    assert refused.status == 403, refused
    assert (await demo_api.get(f"/api/archives/{record['id']}", token=drafter)).status == 404


async def test_an_archived_document_cannot_be_changed(demo_api: ApiClient, archived: dict[str, Any]) -> None:
    doc_id = archived["doc_id"]
    drafter = await demo_api.login(DRAFTER)
    document = (await demo_api.get(f"/api/documents/{doc_id}", token=drafter)).body
    assert [entry["archival_code"] for entry in document["filed_in"]] == [archived["record"]["archival_code"]]
    edit = await demo_api.patch(f"/api/documents/{doc_id}", {"version": document["version"], "title": "改过的标题"},
                                token=drafter)
    assert edit.status == 409 and edit.body["code"] == "archived", edit
    assert archived["record"]["archival_code"] in edit.body["message"]
    attach = await demo_api.request("POST", f"/api/documents/{doc_id}/attachments?name=补充.txt", raw=b"more",
                                    token=drafter, headers={"Content-Type": "text/plain"})
    assert attach.status == 409 and attach.body["code"] == "archived", attach
    attachment_id = document["content"]["attachments"][0]["id"]
    detach = await demo_api.request("DELETE", f"/api/documents/{doc_id}/attachments/{attachment_id}", token=drafter)
    assert detach.status == 409 and detach.body["code"] == "archived", detach


async def test_a_tampered_package_fails_the_four_checks(demo_api: ApiClient, demo_services: Services,
                                                        archived: dict[str, Any]) -> None:
    record, token = archived["record"], archived["token"]
    package = (await demo_api.get(f"/api/archives/{record['id']}/package.zip", token=token)).body
    document = await demo_services.documents.get(archived["doc_id"])
    expected = expected_of(document, document["issued_pdf"], "发文", OFFICE)

    async def verify(pdf: bytes) -> dict[str, Any]:
        return await demo_services.seals.verify_document_pdf(document, pdf)

    def rewritten(change: dict[str, bytes], manifest_too: bool, extra: dict[str, bytes] | None = None) -> bytes:
        """The package with some files replaced (and, if asked, a manifest that agrees with them)."""
        out = io.BytesIO()
        with opened(package) as source, zipfile.ZipFile(out, "w") as target:
            manifest = json.loads(source.read(MANIFEST))
            for entry in manifest["files"]:
                if entry["path"] in change and manifest_too:
                    entry.update(size=len(change[entry["path"]]),
                                 sha256=hashlib.sha256(change[entry["path"]]).hexdigest())
            for name in source.namelist():
                data = json.dumps(manifest).encode() if name == MANIFEST else change.get(name, source.read(name))
                target.writestr(name, data)
            for name, data in (extra or {}).items():
                target.writestr(name, data)
        return out.getvalue()

    assert (await check_package(package, expected, verify))["passed"]
    with opened(package) as archive:
        pdf = archive.read(PDF_PATH)
    assert pdf.startswith(b"%PDF-1.")
    # The header's version digit: inside the bytes every seal signed, and harmless to any reader.
    forged = pdf[:7] + (b"4" if pdf[7:8] != b"4" else b"5") + pdf[8:]
    # A changed PDF with the manifest left alone: its hash no longer matches, and its seal no longer verifies.
    plain = await check_package(rewritten({PDF_PATH: forged}, manifest_too=False), expected, verify)
    assert set(plain["failed"]) >= {"真实性", "完整性"}, plain
    # The manifest rewritten to match: still not the signed original, and the signature says so.
    covered = await check_package(rewritten({PDF_PATH: forged}, manifest_too=True), expected, verify)
    assert covered["failed"] == ["真实性"], covered
    authenticity = {item["name"] for item in covered["checks"][0]["items"] if not item["passed"]}
    assert authenticity >= {"电子签章有效", "正文与签发时保存的原件一致"}, authenticity
    # A program slipped in by a path that climbs out of the folder.
    unsafe = await check_package(rewritten({}, manifest_too=False, extra={"../run.exe": b"MZ\x90\x00"}),
                                 expected, verify)
    assert "安全性" in unsafe["failed"] and "完整性" in unsafe["failed"], unsafe
    # An Office 97–2003 attachment carrying a macro (its VBA storage), even listed in the manifest.
    macro = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "_VBA_PROJECT".encode("utf-16-le")
    with_macro = await check_package(rewritten({"附件/01-工作安排表.txt": macro}, manifest_too=True), expected, verify)
    assert "安全性" in with_macro["failed"], with_macro
    # The stored package checked again on request: still whole.
    again = await demo_api.post(f"/api/archives/{record['id']}/check", token=token)
    assert again.status == 200 and again.body["passed"], again
    # The archive and the check run again are audited actions on the office's audit chain, which verifies.
    kinds = {line["kind"] async for line in demo_services.mongo["audit_records"].find({"archive_id": record["id"]})}
    assert kinds >= {"archive", "archive_check"}, kinds
    assert (await verify_chains(demo_services.mongo, unit=OFFICE))["ok"]


async def test_a_tampered_original_is_refused_and_nothing_is_stored(demo_api: ApiClient, demo_services: Services,
                                                                     archived: dict[str, Any]) -> None:
    title = "关于开展2026年冬季消防安全宣传活动的通知"
    doc_id = await issue(demo_api, OFFICE, title, TOWN)
    document = await demo_services.documents.get(doc_id)
    key = document["issued_pdf"]["key"]
    signed = await demo_services.blobs.get(key)
    await demo_services.blobs.put_bytes(key, signed + b"\n% appended after sealing\n", "application/pdf")
    token = archived["token"]
    before = (await demo_api.get("/api/archives?year=2026", token=token)).body["total"]
    refused = await demo_api.post(f"/api/documents/{doc_id}/archive", {}, token=token)
    assert refused.status == 422 and refused.body["code"] == "archive_check_failed", refused
    assert "真实性" in refused.body["failed"] and "真实性未通过" in refused.body["message"]
    assert (await demo_api.get("/api/archives?year=2026", token=token)).body["total"] == before
    assert "filed_in" not in await demo_services.documents.get(doc_id)
    await demo_services.blobs.put_bytes(key, signed, "application/pdf")
    # Put right, it is archived: two requests at once make one record (the other is told of it), one 件号.
    both = await asyncio.gather(*(demo_api.post(f"/api/documents/{doc_id}/archive", {}, token=token)
                                  for _ in range(2)))
    assert sorted(response.status for response in both) == [200, 201], both
    assert {response.body["archival_code"] for response in both} == {"RYXZFB-2026-D30-FW-0001"}


async def test_the_year_exports_with_its_catalogue(demo_api: ApiClient, archived: dict[str, Any]) -> None:
    token, record = archived["token"], archived["record"]
    listed = (await demo_api.get("/api/archives?year=2026&limit=100", token=token)).body["items"]
    exported = await demo_api.get("/api/archives/export?year=2026", token=token)
    assert exported.status == 200 and exported.headers["Content-Type"] == "application/zip"
    with opened(exported.body) as archive:
        raw = archive.read("归档文件目录.csv")
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        packages = {name for name in archive.namelist() if name.startswith("信息包/")}
        check = json.loads(archive.read(f"四性检测/{record['archival_code']}.json"))
    assert rows[0] == ["档号", "文号", "责任者", "题名", "日期", "页数", "保管期限", "备注"]
    assert sorted(row[0] for row in rows[1:]) == sorted(item["archival_code"] for item in listed)
    mine = next(row for row in rows[1:] if row[0] == record["archival_code"])
    assert mine == [record["archival_code"], record["doc_number"], "乳源瑶族自治县人民政府办公室", TITLE, "2026-11-24",
                    str(record["pages"]), "永久", ""]
    assert packages == {f"信息包/{item['archival_code']}.zip" for item in listed} and check["passed"]
    assert (await demo_api.get("/api/archives/export?year=26", token=token)).status == 400
    assert (await demo_api.get("/api/archives/export?year=2026", token=await demo_api.login(DRAFTER))).status == 403


async def test_the_retention_table_is_kept_by_admins(demo_api: ApiClient, archived: dict[str, Any]) -> None:
    token = archived["token"]
    table = await demo_api.get(f"/api/archives/settings?unit={OFFICE}", token=token)
    assert table.status == 200 and table.body["by_type"]["通知"] == "30年" and table.body["by_type"]["请示"] == "永久"
    refused = await demo_api.request("PUT", f"/api/archives/settings?unit={OFFICE}", {"by_type": {"通知": "10年"}},
                                     token=token)
    assert refused.status == 403, refused
    admin = await demo_api.login("ry-xzf.admin")
    bad = await demo_api.request("PUT", f"/api/archives/settings?unit={OFFICE}", {"by_type": {"通知": "5年"}},
                                 token=admin)
    assert bad.status == 400 and bad.body["code"] == "invalid_retention"
    changed = await demo_api.request("PUT", f"/api/archives/settings?unit={OFFICE}", {
        "version": table.body["version"], "by_type": {"简报": "30年"}}, token=admin)
    assert changed.status == 200 and changed.body["by_type"]["简报"] == "30年" and changed.body["own"] == ["简报"]


async def test_a_received_document_is_archived_by_the_receiving_office_once_handled(
        demo_api: ApiClient, archived: dict[str, Any]) -> None:
    """A 收文: 乳源县政府办 sends a 通知 to 曲江区政府办, which signs for it, registers it and handles it through
    拟办, 批办, 承办 and 办结; its 档案员 archives it as 收文, the receipt's record before the flow's."""
    receiver, title = "qj-xzfb", "关于报送2026年冬季安全生产检查情况的通知"
    doc_id = await issue(demo_api, OFFICE, title, receiver)
    tokens = {role: await demo_api.login(f"{receiver}.{role}1") for role in ("sfy", "bgszr", "zyld", "dag")}
    inbox = await demo_api.get(f"/api/exchange/inbox?unit_id={receiver}", token=tokens["sfy"])
    receipt_id = next(row["id"] for row in inbox.body["items"] if row["document_id"] == doc_id)
    early = await demo_api.post(f"/api/documents/{doc_id}/archive", {}, token=tokens["dag"])
    assert early.status == 409 and early.body["code"] == "not_finished", early
    assert (await demo_api.post(f"/api/receipts/{receipt_id}/sign", {}, token=tokens["sfy"])).status == 200
    registered = await demo_api.post(f"/api/receipts/{receipt_id}/register", {}, token=tokens["sfy"])
    assert registered.status == 200, registered

    async def act(who: str, opinion: str, **variables: Any) -> None:
        await approve_on(demo_api, tokens[who], doc_id, opinion, **variables)

    await act("bgszr", "拟请主任阅示")
    await act("zyld", "请秘书科办理", lead_unit=receiver)
    await act("bgszr", "已按要求报送")
    await act("sfy", "办结")
    archived_as = await demo_api.post(f"/api/documents/{doc_id}/archive", {}, token=tokens["dag"])
    assert archived_as.status == 201, archived_as
    record = archived_as.body
    assert record["kind"] == "收文" and record["archival_code"] == "QJXZFB-2026-D30-SW-0001", record
    assert record["metadata"]["来文单位"] == "乳源瑶族自治县人民政府办公室" and record["check"]["passed"]
    package = await demo_api.get(f"/api/archives/{record['id']}/package.zip", token=tokens["dag"])
    with opened(package.body) as archive:
        process = archive.read("办理过程.txt").decode("utf-8")
    people = names()
    receipt_part, flow_part = process.split("二、收文办理流程")
    assert any("签收" in line and people[f"{receiver}.sfy1"] in line for line in receipt_part.splitlines()), process
    for step, who, opinion in (("拟办", "bgszr", "拟请主任阅示"), ("批办", "zyld", "请秘书科办理"),
                               ("办结", "sfy", "办结")):
        assert any(step in line and people[f"{receiver}.{who}1"] in line and opinion in line
                   for line in flow_part.splitlines()), (step, process)
    # The sending office's archive is its own: the 收文 is not in it, nor is its 档号 on the sender's document.
    sender_view = await demo_api.get(f"/api/documents/{doc_id}", token=archived["token"])
    assert sender_view.body["filed_in"] == [], sender_view.body
    theirs = (await demo_api.get("/api/archives?limit=100", token=archived["token"])).body["items"]
    assert record["id"] not in [item["id"] for item in theirs]


async def test_a_paper_letter_is_archived_from_its_scans_once_handled(
        demo_api: ApiClient, demo_services: Services) -> None:
    """A letter that came on paper to 曲江区政府办: its 收发员 registers it from the scans (a 2-page PDF and a
    photographed page), it is handled to 办结, and the 档案员 archives it as a 数字化副本: the scans as they were
    registered, 文号 and 责任者 as the paper reads, 登记 and 办结 in the record, three pages. A package whose
    scan was swapped fails the 四性检测."""
    unit, title = "qj-xzfb", "关于商请协助做好跨区河道清障工作的函"
    tokens = {role: await demo_api.login(f"{unit}.{role}1") for role in ("sfy", "bgszr", "zyld", "dag")}
    pdf, png = blank_pdf(2), blank_png()
    draft = await demo_api.post("/api/documents", {"unit_id": unit, "doc_type": "函", "title": title},
                                token=tokens["sfy"])
    assert draft.status == 201, draft
    doc_id = draft.body["id"]
    for name, data, kind in (("来文扫描.pdf", pdf, "application/pdf"), ("附页照片.png", png, "image/png")):
        upload = await demo_api.request("POST", f"/api/documents/{doc_id}/attachments?name={name}", raw=data,
                                        token=tokens["sfy"], headers={"Content-Type": kind})
        assert upload.status == 201, upload
    current = (await demo_api.get(f"/api/documents/{doc_id}", token=tokens["sfy"])).body
    paper = await demo_api.post(f"/api/documents/{doc_id}/receive-paper", {"version": current["version"], "origin": {
        "sender_name": "清远市清新区人民政府办公室", "doc_number": "清新府办函〔2026〕31号",
        "received_date": "2026-11-27"}}, token=tokens["sfy"])
    assert paper.status == 201, paper
    assert (await demo_api.post(f"/api/receipts/{paper.body['id']}/register", {}, token=tokens["sfy"])).status == 200

    async def act(who: str, opinion: str, **variables: Any) -> None:
        await approve_on(demo_api, tokens[who], doc_id, opinion, **variables)

    await act("bgszr", "拟请主任阅示")
    await act("zyld", "请水利科协助", lead_unit=unit)
    await act("bgszr", "已复函")
    await act("sfy", "办结")
    candidates = (await demo_api.get(f"/api/archives/candidates?unit={unit}", token=tokens["dag"])).body["items"]
    [row] = [row for row in candidates if row["document_id"] == doc_id]
    assert (row["kind"], row["paper"], row["doc_number"], row["authors"], row["date"]) == (
        "收文", True, "清新府办函〔2026〕31号", "清远市清新区人民政府办公室", "2026-11-27")
    archived = await demo_api.post(f"/api/documents/{doc_id}/archive", {}, token=tokens["dag"])
    assert archived.status == 201, archived
    record = archived.body
    assert record["kind"] == "收文" and record["check"]["passed"] and record["pages"] == 3, record
    metadata = record["metadata"]
    assert (metadata["载体"], metadata["文号"], metadata["责任者"], metadata["扫描件数"]) == (
        "纸质（数字化副本）", "清新府办函〔2026〕31号", "清远市清新区人民政府办公室", 2)
    assert metadata["收文编号"].endswith("号") and "收〔2026〕" in metadata["收文编号"], metadata  # as registered
    authenticity = [item["name"] for item in record["check"]["checks"][0]["items"]]
    assert "扫描件与登记时保存的一致" in authenticity and "电子签章有效" not in authenticity
    package = (await demo_api.get(f"/api/archives/{record['id']}/package.zip", token=tokens["dag"])).body
    with opened(package) as archive:
        assert archive.read("扫描件/01-来文扫描.pdf") == pdf and archive.read("扫描件/02-附页照片.png") == png
        assert PDF_PATH not in archive.namelist()
        process = archive.read("办理过程.txt").decode("utf-8")
    assert "纸质来文登记" in process and "办结" in process
    # The flow's closing step is not an 归档 of its own: the only 归档 is this package's.
    assert not any("归档" in line and "系统" in line for line in process.splitlines()), process
    after = (await demo_api.get(f"/api/documents/{doc_id}", token=tokens["sfy"])).body
    assert [entry["archival_code"] for entry in after["filed_in"]] == [record["archival_code"]]

    # A scan swapped for another page, the manifest made to agree: not the scan registered.
    document = await demo_services.documents.get(doc_id)
    expected = expected_of(document, None, "收文", unit)

    async def no_seal(_: bytes) -> dict[str, Any]:
        raise AssertionError("a paper letter has no seal to verify")

    assert (await check_package(package, expected, no_seal))["passed"]
    def rewritten(files: dict[str, bytes]) -> bytes:
        """The package with `files` put in (replaced or added), the manifest made to agree."""
        out = io.BytesIO()
        with opened(package) as source, zipfile.ZipFile(out, "w") as target:
            manifest = json.loads(source.read(MANIFEST))
            manifest["files"] = [entry for entry in manifest["files"] if entry["path"] not in files] + [
                {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                for path, data in files.items()]
            for name in source.namelist():
                if name not in files:
                    target.writestr(name, json.dumps(manifest).encode() if name == MANIFEST else source.read(name))
            for path, data in files.items():
                target.writestr(path, data)
        return out.getvalue()

    swapped = await check_package(rewritten({"扫描件/01-来文扫描.pdf": blank_pdf(1)}), expected, no_seal)
    assert set(swapped["failed"]) == {"真实性", "完整性"}, swapped
    # A 正文 nobody registered beside the scans.
    planted = await check_package(rewritten({PDF_PATH: blank_pdf(1)}), expected, no_seal)
    assert planted["failed"] == ["完整性"], planted
    # A scan cut off half way, listed as if whole: it does not open.
    broken = await check_package(rewritten({"扫描件/02-附页照片.png": png[:len(png) // 2]}), expected, no_seal)
    assert "可用性" in broken["failed"], broken


def test_a_scan_that_does_not_open_counts_no_page_and_every_scan_ends_as_its_content() -> None:
    assert scan_pages([b"%PDF-1.4 cut off", b"\x89PNG\r\n\x1a\n cut off", blank_pdf(2), blank_png()]) == 3
    assert scan_name({"name": "来文.jfif", "content_type": "image/jpeg"}) == "来文.jfif.jpg"
    assert scan_name({"name": "来文.JPEG", "content_type": "image/jpeg"}) == "来文.JPEG"
    assert scan_name({"name": "扫描", "content_type": "application/pdf"}) == "扫描.pdf"
