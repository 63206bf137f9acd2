"""归档 as the flows see it: gather what a document's archival package holds — the signed PDF and .docx, the
attachments, the flow's record (and for a 收文 the receipt's), the 用印 register — build the package, run
the 四性检测, and only when it passes store the package and its record and close the document to changes.
A 来文 that came on paper is archived as its 数字化副本: its scans, as registered, stand for the signed PDF
(载体 纸质（数字化副本）; the paper original is kept by the unit as paper).

Nothing is half-written: the package is checked before anything is stored; the object is uploaded under a
new key before the record that names it is written (with its 件号, in one transaction); should the record
not be written (someone took the number, or archived the same document, meanwhile) the object is removed.
The record keeps its own history (archived, checked again, exported), and each is an audited action on the
unit's audit chain (oa/archives/store.py).
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image

from flows.access import Archivable
from flows.exchange.board import ExchangeQueries
from flows.queries import FlowQueries
from oa.archives import (
    RETENTION_CODES,
    AlreadyArchived,
    ArchiveStamp,
    ArchiveStore,
    Expected,
    NumberTaken,
    PackageContent,
    ProcessEntry,
    RetentionSettings,
    build_package,
    check_package,
    check_retention,
    export_zip,
    first_problem,
)
from oa.archives.package import sha256
from oa.attachments import object_key
from oa.clock import CHINA, iso, utcnow
from oa.directory import Directory
from oa.document_output import issued_pdf_current, pdf_page_count
from oa.documents import DocumentService
from oa.errors import Conflict, InvalidInput, Unprocessable
from oa.rendering.pdf_pages import page_count
from oa.seals import Seals
from storage.blobs import BlobNotFound, BlobStore

log = logging.getLogger("oa.archives")
CLASS_CODES = {"发文": "FW", "收文": "SW"}  # 机构（问题）: the 问题 a unit's documents are filed under
ATTEMPTS = 5  # 件号 taken by someone else meanwhile: build again with the next one
CANDIDATES = 100
# The receipt's record as a 收文 register reads it (flows/exchange: the actions of exchange_audit).
RECEIPT_STEPS = {"sign": "签收", "register": "登记", "register_paper": "纸质来文登记", "forward": "转发",
                 "return": "退文", "circulate": "传阅", "opinion": "办结", "reply": "办结", "close": "办结",
                 "urge": "催办", "recall_notice": "追回通知", "recall_acknowledged": "确认追回"}
RECEIPT_ACTIONS = {"opinion": "报送会办意见", "reply": "复文", "close": "收文流程办结"}


@dataclass
class ArchiveService:
    documents: DocumentService
    blobs: BlobStore
    seals: Seals
    flow_queries: FlowQueries
    exchange: ExchangeQueries
    directory: Directory
    store: ArchiveStore
    retention: RetentionSettings

    # ---- what the archivist sees ----------------------------------------------------------------

    async def candidates(self, unit_id: str) -> list[dict[str, Any]]:
        """The unit's finished documents not yet archived: what it issued, and what it received and 办结."""
        issued, _ = await self.documents.list([unit_id], status="issued", limit=CANDIDATES)
        receipts = await self.exchange.closed_receipts(unit_id, CANDIDATES)
        received = await self.documents.find_many([receipt["document_id"] for receipt in receipts])
        archived = await self.store.archived_ids(unit_id, [doc["_id"] for doc in [*issued, *received]])
        table = (await self.retention.of_unit(unit_id))["by_type"]
        rows = []
        for kind, documents in (("发文", issued), ("收文", received)):
            for document in documents:
                if document["_id"] in archived or not (document.get("issued_pdf") or is_paper(document)):
                    continue
                content = document["content"]
                rows.append({"document_id": document["_id"], "kind": kind, "title": content["title"],
                             "doc_number": doc_number_of(document), "doc_type": content["doc_type"],
                             "date": date_of(document), "authors": authors_of(document),
                             "paper": is_paper(document), "retention": table.get(content["doc_type"], "30年")})
        return rows

    # ---- archiving ------------------------------------------------------------------------------

    async def do_archive(self, target: Archivable, retention: str | None, user: dict[str, Any],
                         ) -> tuple[dict[str, Any], bool]:
        """Archive the document for the target's unit. Returns (record, created); an archived one is returned
        as it is. Unprocessable (422) naming the failed checks when the 四性检测 does not pass."""
        document, unit_id = target.document, target.unit_id
        existing = await self.store.of_document(document["_id"], unit_id)
        if existing is not None:
            await self.documents.mark_filed(document["_id"], unit_id, existing["_id"], existing["archival_code"])
            return existing, False
        if retention is not None:
            check_retention(retention)
        issued = None if is_paper(document) else issued_pdf_current(document)
        if issued is None and not is_paper(document):
            raise Conflict("该公文没有签发时保存的电子正式文件（盖章 PDF），不能电子归档", code="no_signed_pdf")
        parts = await self._gather(target, issued)
        settings = await self.retention.of_unit(unit_id)
        chosen = retention or settings["by_type"].get(document["content"]["doc_type"], settings["fallback"])
        year = year_of(document)
        group = f"{settings['fonds_code']}-{year}-{RETENTION_CODES[chosen]}-{CLASS_CODES[target.kind]}"
        archivist = {"user_id": user["_id"], "name": user.get("display_name") or user["_id"]}
        for _ in range(ATTEMPTS):
            number = await self.store.next_number(group)
            code = f"{group}-{number:04d}"
            content = self._content(target, parts, settings["fonds_code"], year, chosen, number, code, archivist)
            data = await asyncio.get_running_loop().run_in_executor(None, build_package, content)
            result = await check_package(data, expected_of(document, issued, target.kind, unit_id),
                                          self._verifier(document))
            if not result["passed"]:
                raise Unprocessable(f"四性检测未通过，不能归档：{first_problem(result)}", code="archive_check_failed",
                                    failed=result["failed"], check={**result, "checked_at": iso(result["checked_at"])})
            digest = sha256(data)
            # A key of this attempt's own: two archivists' identical packages (the same second) must not share an
            # object, or the one whose record loses would delete the winner's package with its own.
            key = f"archives/{unit_id}/{year}/{code}-{digest[:16]}-{secrets.token_hex(6)}.zip"
            await self.blobs.put_bytes(key, data, "application/zip")
            record = {**content_record(content, target, unit_id, self.directory), "year": year,
                      "retention_code": RETENTION_CODES[chosen], "class_code": CLASS_CODES[target.kind],
                      "package": {"key": key, "sha256": digest, "size": len(data)}, "check": result,
                      "by": archivist, "at": utcnow(),
                      "history": [{"action": "archive", "by": archivist, "at": utcnow(), "passed": True}]}
            try:
                stored = await self.store.do_insert(record, group, number)
            except NumberTaken:
                await self._discard(key)
                continue
            except AlreadyArchived as already:
                await self._discard(key)
                stored = already.existing
                await self.documents.mark_filed(document["_id"], unit_id, stored["_id"], stored["archival_code"])
                return stored, False
            except Exception:
                await self._discard(key)  # the record was not written (the database failed): nor stays its package
                raise
            await self.documents.mark_filed(document["_id"], unit_id, stored["_id"], code)
            return stored, True
        raise Conflict("档号正被其他归档占用，请稍后重试", code="busy")

    async def package(self, record: dict[str, Any]) -> bytes:
        try:
            return await self.blobs.get(record["package"]["key"])
        except BlobNotFound:
            raise Conflict(f"归档信息包 {record['archival_code']} 在对象存储中缺失", code="package_missing") from None

    async def do_check(self, record: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        """The 四性检测 again, on the package as stored now (before a 移交, or at any time): kept in the record."""
        document = await self.documents.get(record["document_id"])
        try:
            data = await self.blobs.get(record["package"]["key"])
        except BlobNotFound:
            data = b""
        issued = None if is_paper(document) else document.get("issued_pdf") or {}
        result = await check_package(data, expected_of(document, issued, record["kind"], record["unit_id"]),
                                      self._verifier(document))
        by = {"user_id": user["_id"], "name": user.get("display_name") or user["_id"]}
        await self.store.note(record, {"action": "check", "by": by, "at": utcnow(),
                                              "passed": result["passed"]}, check=result)
        return result

    async def export_year(self, unit_id: str, year: int, user: dict[str, Any]) -> tuple[bytes, int]:
        """移交: the unit's packages of `year` with the 归档文件目录 (CSV); returns the ZIP and how many 件."""
        if not 1900 <= year <= 9999:
            raise InvalidInput("year must be a year such as 2026", field="year")
        records = await self.store.of_year(unit_id, year)
        packages = {record["_id"]: await self.package(record) for record in records}
        data = await asyncio.get_running_loop().run_in_executor(None, export_zip, records, packages)
        by = {"user_id": user["_id"], "name": user.get("display_name") or user["_id"]}
        for record in records:
            await self.store.note(record, {"action": "export", "by": by, "at": utcnow(), "year": year})
        return data, len(records)

    # ---- internals ------------------------------------------------------------------------------

    async def _discard(self, key: str) -> None:
        """Remove a package whose record was not written; a failure is logged (the object is then an orphan no
        record names, which a later archive of the document does not reuse)."""
        try:
            await self.blobs.delete(key)
        except Exception:
            log.exception("could not remove the unrecorded archival package %s", key)

    def _verifier(self, document: dict[str, Any]) -> Any:
        async def verify(pdf: bytes) -> dict[str, Any]:
            return await self.seals.verify_document_pdf(document, pdf)
        return verify

    async def _gather(self, target: Archivable, issued: dict[str, Any] | None) -> dict[str, Any]:
        document = target.document
        if issued is None:  # a paper 来文: its scans (every file it holds) stand for the signed PDF
            scans = [(scan_name(item["file"]), await self.blobs.get(object_key(item["file"]["sha256"])))
                     for item in document["content"].get("attachments", []) if item.get("file")]
            return {"pdf": None, "docx": None, "scans": scans, "attachments": [],
                    "process": await self._flow_record(document["_id"], target.unit_id, target.kind),
                    "receipt_record": await self._receipt_record(target.receipt) if target.receipt else [],
                    "seal_uses": [], "pages": await asyncio.get_running_loop().run_in_executor(
                        None, scan_pages, [data for _, data in scans])}
        pdf = await self.blobs.get(issued["key"])
        docx = None
        if (document.get("rendition") or {}).get("key"):
            try:
                docx = await self.blobs.get(document["rendition"]["key"])
            except BlobNotFound:
                docx = None  # the 四性检测 still requires the PDF; a lost .docx leaves it out
        attachments = []
        for item in document["content"].get("attachments", []):
            if item.get("file"):
                attachments.append((item["file"]["name"], await self.blobs.get(object_key(item["file"]["sha256"]))))
        process = await self._flow_record(document["_id"], target.unit_id, target.kind)
        receipt_record = await self._receipt_record(target.receipt) if target.receipt else []
        return {"pdf": pdf, "docx": docx, "scans": [], "attachments": attachments, "process": process,
                "receipt_record": receipt_record, "seal_uses": await self.seals.uses_of(document["_id"]),
                "pages": await pdf_page_count(pdf)}

    def _unit_name(self, unit_id: str | None) -> str:
        unit = self.directory.unit(unit_id) if unit_id else None
        return unit["name"] if unit else ""

    async def _flow_record(self, document_id: str, unit_id: str, kind: str) -> list[ProcessEntry]:
        """The unit's finished flows of this kind on the document, oldest first, as one record."""
        flows = [flow for flow in await self.flow_queries.instances_of_document(document_id)
                 if flow["unit_id"] == unit_id and flow.get("category") == kind and flow.get("status") != "running"]
        entries: list[ProcessEntry] = []
        for flow in sorted(flows, key=lambda item: item["created_at"]):
            view = await self.flow_queries.instance_view(flow["_id"])
            for entry in view["audit"]:
                if entry["action"] == "auto:archive":
                    continue  # the flow's own closing step, not the 归档 this package is (which the record holds)
                by = entry.get("by") or {}
                entries.append(ProcessEntry(
                    step=entry.get("node_name") or "", action=entry.get("label") or entry["action"],
                    name=by.get("name") or "系统", unit=self._unit_name(by.get("unit_id")), post=by.get("post"),
                    at=entry.get("at"), opinion=entry.get("opinion") or entry.get("reason")))
        return entries

    async def _receipt_record(self, receipt: dict[str, Any]) -> list[ProcessEntry]:
        entries = []
        for entry in await self.exchange.history(receipt["_id"]):
            by, detail = entry.get("by") or {}, entry.get("detail") or {}
            step = RECEIPT_STEPS.get(entry["action"], entry["action"])
            entries.append(ProcessEntry(
                step=step, action=RECEIPT_ACTIONS.get(entry["action"], step), name=by.get("name") or "系统",
                unit=self._unit_name(by.get("unit_id")) or receipt["unit_name"], post=by.get("post"),
                at=entry.get("at"), opinion=detail.get("opinion") or detail.get("reason") or detail.get("message")))
        return entries

    def _content(self, target: Archivable, parts: dict[str, Any], fonds: str, year: int, retention: str,
                 number: int, code: str, archivist: dict[str, str]) -> PackageContent:
        document = target.document
        content = document["content"]
        stamp = ArchiveStamp(fonds, year, number, target.kind, retention, parts["pages"])
        metadata: dict[str, Any] = {
            "档号": code, "全宗号": fonds, "年度": year, "保管期限": retention, "机构或问题": target.kind,
            "件号": number,
            "题名": content["title"], "文号": doc_number_of(document), "责任者": authors_of(document),
            "日期": date_of(document), "文种": content["doc_type"], "密级": "无",
            "紧急程度": content.get("urgency") or "", "页数": parts["pages"],
            "载体": "纸质（数字化副本）" if is_paper(document) else "电子",
            "主送": "、".join(entry.get("name", "") for entry in content.get("main_to", [])),
            "抄送": "、".join(entry.get("name", "") for entry in content.get("copy_to", [])),
            "附件数": len(parts["attachments"]), **({"扫描件数": len(parts["scans"])} if parts["scans"] else {}),
            "归档单位": self._unit_name(target.unit_id),
            "归档人": archivist["name"], "归档时间": utcnow().astimezone(CHINA).isoformat(timespec="seconds"),
            "文件标识": document["_id"],
        }
        if target.receipt:
            metadata["来文单位"] = target.receipt.get("sender_unit_name") or ""
            metadata["收文编号"] = ((target.receipt.get("registration") or {}).get("text")) or ""
        metadata["电子签章"] = [{"单位": use["unit_id"], "印章": use.get("seal_name"), "PDF摘要": use["pdf_sha256"]}
                            for use in parts["seal_uses"]]
        return PackageContent(kind=target.kind, archival_code=code, stamp=stamp, metadata=metadata, pdf=parts["pdf"],
                              docx=parts["docx"], scans=parts["scans"], attachments=parts["attachments"],
                              process=parts["process"], receipt_record=parts["receipt_record"],
                              seal_uses=parts["seal_uses"])


def is_paper(document: dict[str, Any]) -> bool:
    """A 来文 that came on paper and was registered from its scan."""
    return (document.get("origin") or {}).get("kind") == "paper"


def authors_of(document: dict[str, Any]) -> str:
    """责任者: the issuing organs, as the document names them (a paper 来文: its sender, as registered)."""
    if is_paper(document):
        return document["origin"].get("sender_name") or ""
    return "、".join(issuer.get("name") or "" for issuer in document["content"].get("issuers", []))


def doc_number_of(document: dict[str, Any]) -> str:
    """文号: the 发文字号 (a paper 来文: the 来文字号 registered from the paper)."""
    if is_paper(document):
        return document["origin"].get("doc_number") or ""
    return document["content"].get("doc_number") or ""


def date_of(document: dict[str, Any]) -> str:
    """日期: the 成文日期 (a paper 来文 registered without one: the date it was received, else registered)."""
    written = document["content"].get("written_date") or ""
    if written or not is_paper(document):
        return written
    received = document["origin"].get("received_date") or ""
    return received or document["created_at"].astimezone(CHINA).strftime("%Y-%m-%d")


SCAN_EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"),
                   "image/tiff": (".tif", ".tiff")}


def scan_name(file: dict[str, Any]) -> str:
    """A scan's name in the package, ending as its content is (a JPEG saved as .jfif, a name without an
    extension): the 长期保存格式 check goes by the extension."""
    name = file.get("name") or "扫描件"
    endings = SCAN_EXTENSIONS.get(file.get("content_type", ""), ())
    return name if not endings or name.lower().endswith(endings) else f"{name}{endings[0]}"


def scan_pages(scans: list[bytes]) -> int:
    """页数 of a paper 来文: every page of its PDF scans, every frame of its images. A scan that does not open
    counts no page; the 四性检测 then says which one it is."""
    pages = 0
    for data in scans:
        try:
            if data.startswith(b"%PDF"):
                pages += page_count(data)
                continue
            with Image.open(io.BytesIO(data)) as image:
                pages += getattr(image, "n_frames", 1)
        except Exception:  # PDFium and Pillow refuse a damaged file in many ways
            continue
    return pages


def year_of(document: dict[str, Any]) -> int:
    """年度: the year the document was written (成文日期), else the year it was issued (or, on paper, received)."""
    written = date_of(document)
    if len(written) >= 4 and written[:4].isdigit():
        return int(written[:4])
    issued_at: datetime = document.get("issued_at") or document["created_at"]
    return issued_at.astimezone(CHINA).year


def expected_of(document: dict[str, Any], issued: dict[str, Any] | None, kind: str, unit_id: str) -> Expected:
    """What the package of `document` archived by `unit_id` must match."""
    content = document["content"]
    files = tuple(item["file"]["sha256"] for item in content.get("attachments", []) if item.get("file"))
    if is_paper(document):
        # The unit that registered it entered it (登记); a unit it was forwarded to signed for its copy (签收).
        return Expected(kind=kind, title=content["title"], doc_number=doc_number_of(document),
                        authors=authors_of(document), pdf_sha256=None, scan_sha256=files, paper=True,
                        registered_here=unit_id == document["drafting_unit_id"])
    return Expected(kind=kind, title=content["title"], doc_number=content["doc_number"], authors=authors_of(document),
                    pdf_sha256=(issued or {}).get("sha256"), attachment_sha256=files)


def content_record(content: PackageContent, target: Archivable, unit_id: str, directory: Directory) -> dict[str, Any]:
    """What the record keeps of the package's metadata (the list, the catalogue and the API read it)."""
    metadata = content.metadata
    unit = directory.unit(unit_id)
    return {"document_id": target.document["_id"], "unit_id": unit_id, "unit_name": unit["name"] if unit else unit_id,
            "kind": target.kind, "archival_code": content.archival_code, "fonds_code": content.stamp.fonds_code,
            "item_number": content.stamp.item_number, "retention": content.stamp.retention,
            "title": metadata["题名"], "doc_number": metadata["文号"], "authors": metadata["责任者"],
            "date": metadata["日期"], "doc_type": metadata["文种"], "pages": metadata["页数"],
            "source": metadata.get("来文单位"), "stamp": content.stamp.as_json(), "metadata": metadata}
