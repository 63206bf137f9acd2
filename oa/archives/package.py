"""An archival package (归档信息包) as one ZIP: the document, its attachments, how it was handled, its seals'
register, its metadata, the 归档章, and a manifest of every file with its size and SHA-256.

Pure: given what to put in, it returns the bytes (no database, no object store), so the same code
builds a package and a test rebuilds one to tamper with. Layout (DA/T 85-2019 "件" as the unit):

    封面.html        the 归档章 and the main metadata, readable in any browser
    归档章.png       the electronic 归档章 (oa/archives/stamp.py)
    正文.pdf         the signed, sealed PDF, byte for byte as issued
    正文.docx        the issued .docx (where there is one)
    扫描件/NN-名称    a paper 来文's scans instead (PDF or images, byte for byte as registered): the package of
                     a 数字化副本, whose original stays on paper
    附件/NN-名称      each attachment's file
    办理过程.txt     the flow's record in Chinese: step, action, person, unit and post, time, opinion; for a
                     收文 also the receipt's record (签收, 登记, …)
    用印记录.txt     the 用印 register of the document
    metadata.json / metadata.xml   the DA/T 46/85 elements (题名, 文号, 责任者, 日期, 保管期限, 档号, …)
    manifest.json    every other file: path, size, SHA-256
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from oa.archives.stamp import ArchiveStamp, stamp_png
from oa.clock import CHINA

MANIFEST, METADATA_JSON, METADATA_XML = "manifest.json", "metadata.json", "metadata.xml"
PDF_PATH, DOCX_PATH, PROCESS_PATH, SEALS_PATH = "正文.pdf", "正文.docx", "办理过程.txt", "用印记录.txt"
STAMP_PATH, COVER_PATH, ATTACHMENT_DIR, SCAN_DIR = "归档章.png", "封面.html", "附件/", "扫描件/"
# A fixed time for every entry: the same content always makes the same bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ProcessEntry:
    """One step of the record: who did what, in which unit and post, when, with which opinion."""

    step: str
    action: str
    name: str
    unit: str
    post: str | None
    at: datetime | None
    opinion: str | None = None

    def line(self) -> str:
        when = self.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if self.at else "—"
        who = f"{self.name}（{self.unit}{('·' + self.post) if self.post else ''}）" if self.unit else self.name
        text = f"{when}  {self.step}  {self.action}  {who}"
        return text + (f"  意见：{self.opinion}" if self.opinion else "")

    def as_json(self) -> dict[str, Any]:
        return {"环节": self.step, "操作": self.action, "办理人": self.name, "单位": self.unit, "职务": self.post,
                "时间": self.at.astimezone(CHINA).isoformat() if self.at else None, "意见": self.opinion}


@dataclass
class PackageContent:
    kind: str  # 发文 or 收文
    archival_code: str  # 档号
    stamp: ArchiveStamp
    metadata: dict[str, Any]  # element name -> value, in the order they are written
    pdf: bytes | None  # None for a paper 来文: its scans stand for it
    docx: bytes | None = None
    scans: list[tuple[str, bytes]] = field(default_factory=list)  # a paper 来文's scans, (file name, bytes)
    attachments: list[tuple[str, bytes]] = field(default_factory=list)  # (display name, bytes)
    process: list[ProcessEntry] = field(default_factory=list)  # the 发文 or 收文 flow
    receipt_record: list[ProcessEntry] = field(default_factory=list)  # 收文: 签收, 登记, … (the exchange's record)
    seal_uses: list[dict[str, Any]] = field(default_factory=list)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attachment_path(index: int, name: str, folder: str = ATTACHMENT_DIR) -> str:
    safe = name.replace("/", "_").replace("\\", "_").lstrip(".") or "附件"
    return f"{folder}{index:02d}-{safe}"


def process_text(content: PackageContent) -> str:
    title = content.metadata.get("题名", "")
    lines = [f"{content.kind}办理过程", f"题名：{title}", f"文号：{content.metadata.get('文号') or '—'}",
             f"档号：{content.archival_code}", ""]
    if content.receipt_record:
        lines += ["一、收文处理（签收、登记、转办等）", *(entry.line() for entry in content.receipt_record), ""]
        lines += ["二、收文办理流程（拟办、批办、承办、办结）"]
    else:
        lines += ["发文办理流程（拟稿、核稿、会签、签发、复核、编号、用印、分发）"]
    lines += [entry.line() for entry in content.process] or ["（无）"]
    return "\n".join(lines) + "\n"


def seal_text(content: PackageContent) -> str:
    lines = ["用印记录", ""]
    for use in content.seal_uses:
        at = use["at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if use.get("at") else "—"
        lines.append(f"{at}  {use.get('seal_name') or ''}（单位 {use['unit_id']}）  用印人：{use['by']['name']}  "
                     f"文件版本：{use['document_version']}  PDF SHA-256：{use['pdf_sha256']}")
    if not content.seal_uses:
        lines.append("（无用印记录）")
    return "\n".join(lines) + "\n"


def metadata_xml(metadata: dict[str, Any]) -> bytes:
    root = ElementTree.Element("电子文件元数据", {"依据": "DA/T 46-2009；DA/T 85-2019；DA/T 22-2015"})

    def put(parent: ElementTree.Element, name: str, value: Any) -> None:
        if isinstance(value, dict):
            node = ElementTree.SubElement(parent, name)
            for key, item in value.items():
                put(node, key, item)
        elif isinstance(value, list):
            node = ElementTree.SubElement(parent, name)
            for item in value:
                put(node, "条目", item)
        else:
            ElementTree.SubElement(parent, name).text = "" if value is None else str(value)

    for key, value in metadata.items():
        put(root, key, value)
    ElementTree.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="utf-8")


def cover_html(content: PackageContent) -> bytes:
    rows = "".join(f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(str(value))}</td></tr>"
                   for key, value in content.metadata.items() if not isinstance(value, (dict, list)))
    page = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(content.archival_code)}'
            f'</title></head><body><h1>归档文件 {html.escape(content.archival_code)}</h1>'
            f'<p><img src="{STAMP_PATH}" alt="归档章" width="330"></p><table border="1" cellpadding="4">{rows}</table>'
            f"<p>文件清单见 {MANIFEST}；办理过程见 {PROCESS_PATH}。</p></body></html>")
    return page.encode("utf-8")


def package_files(content: PackageContent) -> list[tuple[str, bytes]]:
    """Every file of the package but the manifest, in order."""
    files: list[tuple[str, bytes]] = [(COVER_PATH, cover_html(content)), (STAMP_PATH, stamp_png(content.stamp))]
    if content.pdf is not None:
        files.append((PDF_PATH, content.pdf))
    files += [(attachment_path(index, name, SCAN_DIR), data) for index, (name, data) in enumerate(content.scans, 1)]
    if content.docx is not None:
        files.append((DOCX_PATH, content.docx))
    files += [(attachment_path(index, name), data) for index, (name, data) in enumerate(content.attachments, 1)]
    files += [(PROCESS_PATH, process_text(content).encode("utf-8")), (SEALS_PATH, seal_text(content).encode("utf-8"))]
    metadata = {**content.metadata, "归档章": content.stamp.as_json(),
                "办理过程": [entry.as_json() for entry in [*content.receipt_record, *content.process]]}
    files += [(METADATA_JSON, json.dumps(metadata, ensure_ascii=False, indent=2).encode("utf-8")),
              (METADATA_XML, metadata_xml(metadata))]
    return files


def manifest_of(files: list[tuple[str, bytes]], archival_code: str) -> dict[str, Any]:
    return {"档号": archival_code, "算法": "SHA-256",
            "files": [{"path": path, "size": len(data), "sha256": sha256(data)} for path, data in files]}


def write_zip(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in files:
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED if path.endswith((".pdf", ".png", ".docx")) else \
                zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def build_package(content: PackageContent) -> bytes:
    files = package_files(content)
    manifest = json.dumps(manifest_of(files, content.archival_code), ensure_ascii=False, indent=2).encode("utf-8")
    return write_zip([*files, (MANIFEST, manifest)])
