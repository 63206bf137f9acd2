"""四性检测 (DA/T 70-2018) of an archival package: authenticity, integrity, usability and security.

Run on the ZIP's bytes before a package is accepted, and again whenever asked (before 移交, say), so
it judges only what is in the package plus the facts it must match (the document as stored, the
SHA-256 of its signed original), never what the builder meant to put in. Each of the four reports
its items, each passed or failed with a reason in Chinese; the package passes when all four do.

- 真实性: the PDF's seal signatures verify (intact, covering the file, a trusted CA, the issuing unit's
  registered seal); the PDF is byte for byte the signed original stored at issue; the metadata's 题名,
  文号 and 责任者 are the document's. A paper 来文 has no electronic seal: its scans are byte for byte the
  ones registered, and none other is in the package.
- 完整性: the manifest lists every file and every listed file is there with its size and SHA-256;
  the required metadata elements are present; the processing record holds the steps a 发文 (拟稿, 签发),
  a 收文 (签收, 办结) or a paper 来文 (登记, 办结) must have; every attachment and scan is in the package.
- 可用性: the PDF (or each scan: PDF or image) opens and has pages; the .docx is a valid ZIP holding
  word/document.xml; every file is in a format on the long-term list.
- 安全性: no program or script (by name or by content), no macro-enabled Office file, and no ZIP entry
  that could escape a folder (absolute, `..`, backslashes, duplicates) or is encrypted.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from PIL import Image

from oa.archives.package import ATTACHMENT_DIR, DOCX_PATH, MANIFEST, METADATA_JSON, PDF_PATH, SCAN_DIR
from oa.clock import utcnow
from oa.file_types import EXECUTABLE_EXTENSIONS, EXECUTABLE_SIGNATURES
from oa.rendering.pdf_pages import page_count

REQUIRED_METADATA = ("题名", "责任者", "日期", "文种", "密级", "保管期限", "全宗号", "年度", "件号", "档号", "页数")
REQUIRED_STEPS = {"发文": ("拟稿", "签发"), "收文": ("签收", "办结")}
PAPER_STEPS = ("登记", "办结")  # a paper 来文 is entered, not signed for on the platform
# Long-term formats (DA/T 47-2009) and the office formats units exchange as attachments, and the package's own
# files. Containers (.zip, .rar, .7z) are not: what is inside them could not be checked.
ALLOWED_EXTENSIONS = {".pdf", ".ofd", ".docx", ".xlsx", ".pptx", ".doc", ".xls", ".ppt", ".wps", ".et", ".dps",
                      ".odt", ".ods", ".odp", ".rtf", ".txt", ".json", ".xml", ".html", ".csv", ".png", ".jpg",
                      ".jpeg", ".tif", ".tiff", ".gif", ".bmp"}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The storages a macro lives in inside an Office 97–2003 (OLE) file, as their UTF-16 directory names.
OLE_MACRO_NAMES = tuple(name.encode("utf-16-le") for name in ("_VBA_PROJECT", "Macros"))
MACRO_EXTENSIONS = {".docm", ".dotm", ".xlsm", ".xltm", ".xlsb", ".pptm", ".potm", ".ppsm"}
CHECKS = (("authenticity", "真实性"), ("integrity", "完整性"), ("usability", "可用性"), ("security", "安全性"))

PdfVerifier = Callable[[bytes], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Expected:
    """What the package must match, taken from the stored document, not from the package."""

    kind: str
    title: str
    doc_number: str | None
    authors: str
    pdf_sha256: str | None  # the signed original's recorded SHA-256
    attachment_sha256: tuple[str, ...] = ()
    scan_sha256: tuple[str, ...] = ()  # a paper 来文's scans as registered
    paper: bool = False  # a paper 来文: its scans stand for the signed PDF
    registered_here: bool = False  # a paper 来文 in the unit that registered it (登记, not 签收)

    @property
    def carrier(self) -> str:
        return "纸质（数字化副本）" if self.paper else "电子"


@dataclass
class Report:
    items: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {key: [] for key, _ in CHECKS})

    def add(self, check: str, name: str, passed: bool, problem: str = "") -> None:
        self.items[check].append({"name": name, "passed": bool(passed), "detail": "" if passed else problem})

    def as_json(self) -> dict[str, Any]:
        checks = [{"key": key, "name": label, "passed": all(item["passed"] for item in self.items[key]),
                   "items": self.items[key]} for key, label in CHECKS]
        failed = [check["name"] for check in checks if not check["passed"]]
        return {"passed": not failed, "failed": failed, "checks": checks, "checked_at": utcnow()}


def first_problem(result: dict[str, Any]) -> str:
    """The failed checks and their first reasons, for an error message."""
    parts = []
    for check in result["checks"]:
        if not check["passed"]:
            reasons = [f"{item['name']}：{item['detail']}" for item in check["items"] if not item["passed"]]
            parts.append(f"{check['name']}未通过（{'；'.join(reasons[:3])}）")
    return "；".join(parts)


def _open(data: bytes, report: Report) -> zipfile.ZipFile | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        report.add("integrity", "信息包可读", False, f"信息包不是可读的 ZIP：{error}")
        return None
    report.add("integrity", "信息包可读", bad is None, f"文件 {bad} 已损坏（CRC 不符）")
    return archive if bad is None else None


def _security(archive: zipfile.ZipFile, report: Report) -> None:
    names = [info.filename for info in archive.infolist()]
    unsafe = [name for name in names if name.startswith("/") or "\\" in name or ":" in name
              or ".." in PurePosixPath(name).parts]
    report.add("security", "路径安全（无绝对路径、无 ..）", not unsafe, "不安全的路径：" + "、".join(unsafe))
    duplicates = sorted({name for name in names if names.count(name) > 1})
    report.add("security", "无重名文件", not duplicates, "重名：" + "、".join(duplicates))
    encrypted = [info.filename for info in archive.infolist() if info.flag_bits & 0x1]
    report.add("security", "无加密文件", not encrypted, "加密的文件：" + "、".join(encrypted))
    programs, macros = [], []
    for info in archive.infolist():
        suffix = PurePosixPath(info.filename).suffix.lower()
        with archive.open(info) as member:
            head = member.read(8)
        if suffix in EXECUTABLE_EXTENSIONS or head.startswith(EXECUTABLE_SIGNATURES):
            programs.append(info.filename)
        if suffix in MACRO_EXTENSIONS or (head.startswith((b"PK", OLE)) and _has_macros(archive.read(info))):
            macros.append(info.filename)
    report.add("security", "无可执行程序或脚本", not programs, "含程序或脚本：" + "、".join(programs))
    report.add("security", "无含宏文件", not macros, "含宏：" + "、".join(macros))


def _has_macros(data: bytes) -> bool:
    """An OOXML file with a vbaProject.bin, an OpenDocument one with Basic scripts, an OLE one with a VBA storage."""
    if data.startswith(OLE):
        return any(name in data for name in OLE_MACRO_NAMES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            names = inner.namelist()
        return any(name.lower().endswith("vbaproject.bin") or name.startswith("Basic/") for name in names)
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _integrity(archive: zipfile.ZipFile, expected: Expected, report: Report) -> dict[str, Any] | None:
    names = set(archive.namelist())
    manifest: dict[str, Any] = {}
    try:
        manifest = json.loads(archive.read(MANIFEST))
        listed = {entry["path"]: entry for entry in manifest["files"]}
    except (KeyError, ValueError, TypeError) as error:
        report.add("integrity", "文件清单", False, f"manifest.json 缺失或不可读：{error}")
        listed = {}
    else:
        report.add("integrity", "文件清单", True)
    unlisted = sorted(names - set(listed) - {MANIFEST})
    report.add("integrity", "所有文件均在清单中", not unlisted, "清单未列出：" + "、".join(unlisted))
    missing = sorted(set(listed) - names)
    report.add("integrity", "清单所列文件齐全", not missing, "缺少：" + "、".join(missing))
    changed = []
    for path, entry in listed.items():
        if path in names:
            data = archive.read(path)
            if hashlib.sha256(data).hexdigest() != entry.get("sha256") or len(data) != entry.get("size"):
                changed.append(path)
    report.add("integrity", "文件哈希（SHA-256）与清单一致", not changed, "与清单不符：" + "、".join(changed))
    metadata = None
    try:
        metadata = json.loads(archive.read(METADATA_JSON))
    except (KeyError, ValueError) as error:
        report.add("integrity", "元数据", False, f"metadata.json 缺失或不可读：{error}")
        return None
    required = [*REQUIRED_METADATA, *(("文号",) if expected.kind == "发文" else ())]
    absent = [name for name in required if metadata.get(name) in (None, "", [])]
    report.add("integrity", "必备元数据齐全", not absent, "缺少元数据：" + "、".join(absent))
    steps = {entry.get("环节") for entry in metadata.get("办理过程") or [] if entry.get("办理人")}
    required_steps = PAPER_STEPS if expected.registered_here else REQUIRED_STEPS.get(expected.kind, ())
    lacking = [step for step in required_steps if step not in steps]
    report.add("integrity", "办理过程完整", not lacking, "办理过程缺少环节：" + "、".join(lacking))
    present = {hashlib.sha256(archive.read(name)).hexdigest() for name in names if name.startswith(ATTACHMENT_DIR)}
    lost = [digest[:12] for digest in expected.attachment_sha256 if digest not in present]
    report.add("integrity", "附件齐全", not lost, f"缺少 {len(lost)} 个附件（SHA-256 {'、'.join(lost)}…）")
    if expected.paper:
        scanned = set(_scan_digests(archive))
        lost = [digest[:12] for digest in expected.scan_sha256 if digest not in scanned]
        report.add("integrity", "扫描件齐全", bool(expected.scan_sha256) and not lost,
                   f"缺少 {len(lost)} 个扫描件（SHA-256 {'、'.join(lost)}…）" if lost else "没有登记的扫描件")
        # A 数字化副本 is its scans: a 正文 or an attachment beside them would be a file nobody registered.
        stray = sorted(name for name in names if name in (PDF_PATH, DOCX_PATH) or name.startswith(ATTACHMENT_DIR))
        report.add("integrity", "只含登记的扫描件", not stray, "纸质来文的信息包中不应有：" + "、".join(stray))
    else:
        stray = sorted(name for name in names if name.startswith(SCAN_DIR))
        report.add("integrity", "无扫描件", not stray, "电子公文的信息包中不应有扫描件：" + "、".join(stray))
    return metadata


def _scan_digests(archive: zipfile.ZipFile) -> list[str]:
    return [hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist() if name.startswith(SCAN_DIR)]


def _scan_opens(data: bytes) -> str:
    """Why a scan (PDF or image) does not open; "" when it does and has a page."""
    if data.startswith(b"%PDF"):
        try:
            return "" if page_count(data) > 0 else "PDF 没有页面"
        except Exception as error:  # PDFium refuses a damaged file in several ways
            return f"PDF 无法打开：{error}"
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()  # the structure (chunks, CRCs) ...
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # ... and the pixels, which verify() leaves undecoded (a cut-off JPEG)
        return ""
    except Exception as error:  # Pillow raises many kinds for a file that is not a readable image
        return f"图像无法打开：{error}"


def _usability(archive: zipfile.ZipFile, report: Report, paper: bool) -> None:
    names = archive.namelist()
    if paper:
        broken = [f"{name}（{why}）" for name in names if name.startswith(SCAN_DIR)
                  and (why := _scan_opens(archive.read(name)))]
        report.add("usability", "扫描件可打开", not broken, "无法打开：" + "、".join(broken))
    else:
        try:
            pages = page_count(archive.read(PDF_PATH))
            report.add("usability", "正文 PDF 可打开", pages > 0, "PDF 没有页面")
        except Exception as error:  # PDFium refuses a damaged file in several ways; all mean "does not open"
            report.add("usability", "正文 PDF 可打开", False, f"PDF 无法打开：{error}")
    if DOCX_PATH in names:
        try:
            with zipfile.ZipFile(io.BytesIO(archive.read(DOCX_PATH))) as docx:
                report.add("usability", "正文 .docx 可打开", "word/document.xml" in docx.namelist(),
                           ".docx 中没有 word/document.xml")
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            report.add("usability", "正文 .docx 可打开", False, f".docx 不是有效的 ZIP：{error}")
    odd = [name for name in names if PurePosixPath(name).suffix.lower() not in ALLOWED_EXTENSIONS]
    report.add("usability", "文件格式在长期保存格式清单内", not odd, "格式不在清单内：" + "、".join(odd))


@dataclass
class Inspected:
    pdf: bytes | None = None
    metadata: dict[str, Any] | None = None
    scans: list[str] = field(default_factory=list)  # SHA-256 of each scan in the package


def _inspect(data: bytes, expected: Expected, report: Report) -> Inspected:
    archive = _open(data, report)
    if archive is None:
        return Inspected()
    with archive:
        _security(archive, report)
        found = Inspected(metadata=_integrity(archive, expected, report))
        if expected.paper:
            _usability(archive, report, paper=True)
            found.scans = _scan_digests(archive)
            return found
        if PDF_PATH not in archive.namelist():
            report.add("usability", "正文 PDF 可打开", False, "信息包中没有正文.pdf")
            return found
        _usability(archive, report, paper=False)
        found.pdf = archive.read(PDF_PATH)
        return found


async def check_package(data: bytes, expected: Expected, verify_pdf: PdfVerifier) -> dict[str, Any]:
    """The 四性检测 of a package's bytes against what it must match; `verify_pdf` checks the seals."""
    report = Report()
    found = await asyncio.get_running_loop().run_in_executor(None, _inspect, data, expected, report)
    pdf, metadata = found.pdf, found.metadata
    if expected.paper:
        # The original is the paper the unit keeps; the package must hold exactly the scans registered from it.
        report.add("authenticity", "扫描件与登记时保存的一致", bool(found.scans)
                   and sorted(found.scans) == sorted(expected.scan_sha256),
                   "扫描件与登记时保存的（SHA-256）不一致，或有未登记的扫描件")
    elif pdf is None:
        report.add("authenticity", "电子签章有效", False, "没有可验证的正文 PDF")
    else:
        verdict = await verify_pdf(pdf)
        problems = [*verdict.get("problems", []), *(problem for signature in verdict.get("signatures", [])
                                                    for problem in signature.get("problems", []))]
        report.add("authenticity", "电子签章有效", bool(verdict.get("valid")),
                   "签章验证未通过：" + ("；".join(problems) or "无有效签章"))
        digest = hashlib.sha256(pdf).hexdigest()
        report.add("authenticity", "正文与签发时保存的原件一致", expected.pdf_sha256 is not None
                   and digest == expected.pdf_sha256, "正文 PDF 与签发时保存的原件（SHA-256）不一致")
    if metadata is not None:
        facts = (("题名", expected.title), ("文号", expected.doc_number), ("责任者", expected.authors),
                 ("载体", expected.carrier))
        wrong = [name for name, value in facts if (metadata.get(name) or None) != (value or None)]
        report.add("authenticity", "元数据与公文一致", not wrong, "与公文不一致：" + "、".join(wrong))
    else:
        report.add("authenticity", "元数据与公文一致", False, "没有可读的元数据")
    return report.as_json()
