"""What an uploaded file really is, judged from its bytes, and a safe name to show it under.

A client's claimed Content-Type and a file's extension are both easy to fake, so the type is
sniffed from the content: known signatures for the formats government offices exchange (PDF,
OFD, Office, images, archives, text). Executables and scripts are refused whatever they claim
to be, as is anything unrecognised. Names keep their Chinese characters for display but lose
anything that could reach outside a folder or confuse a browser.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from oa.errors import InvalidInput, UnsupportedMediaType


@dataclass(frozen=True)
class FileType:
    mime: str
    extension: str
    label: str


PDF = FileType("application/pdf", ".pdf", "PDF")
OFD = FileType("application/ofd", ".ofd", "OFD 版式文件")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx", "PowerPoint")
ODF = FileType("application/vnd.oasis.opendocument", ".odt", "OpenDocument")
ZIP = FileType("application/zip", ".zip", "ZIP 压缩包")
OLE = FileType("application/x-ole-storage", ".doc", "Office 97–2003 (doc/xls/ppt/wps)")
TEXT = FileType("text/plain; charset=utf-8", ".txt", "文本")

# (offset, signature, type). Checked in order; the first match wins.
SIGNATURES: tuple[tuple[int, bytes, FileType], ...] = (
    (0, b"%PDF-", PDF),
    (0, b"\x89PNG\r\n\x1a\n", FileType("image/png", ".png", "PNG 图片")),
    (0, b"\xff\xd8\xff", FileType("image/jpeg", ".jpg", "JPEG 图片")),
    (0, b"GIF87a", FileType("image/gif", ".gif", "GIF 图片")),
    (0, b"GIF89a", FileType("image/gif", ".gif", "GIF 图片")),
    (0, b"II*\x00", FileType("image/tiff", ".tif", "TIFF 图片")),
    (0, b"MM\x00*", FileType("image/tiff", ".tif", "TIFF 图片")),
    (0, b"BM", FileType("image/bmp", ".bmp", "BMP 图片")),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
    (0, b"{\\rtf", FileType("application/rtf", ".rtf", "RTF")),
    (0, b"Rar!\x1a\x07", FileType("application/vnd.rar", ".rar", "RAR 压缩包")),
    (0, b"7z\xbc\xaf\x27\x1c", FileType("application/x-7z-compressed", ".7z", "7z 压缩包")),
    (4, b"ftyp", FileType("video/mp4", ".mp4", "视频")),
    (0, b"ID3", FileType("audio/mpeg", ".mp3", "音频")),
)
RIFF_KINDS = {b"WEBP": FileType("image/webp", ".webp", "WebP 图片"), b"WAVE": FileType("audio/wav", ".wav", "音频")}

# Programs in any form: refused even inside a harmless-looking name.
EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                         b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!", b"\x00asm", b"dex\n")
EXECUTABLE_EXTENSIONS = {".exe", ".dll", ".com", ".scr", ".msi", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js",
                         ".jse", ".wsf", ".wsh", ".hta", ".cpl", ".jar", ".sh", ".apk", ".app", ".elf", ".lnk",
                         ".reg", ".py", ".pl"}
SNIFF_BYTES = 512

FORBIDDEN_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
MAX_NAME_LENGTH = 120


def sanitize_name(raw: str | None, fallback: str = "附件") -> str:
    """A display name without folders, control characters or characters Windows cannot store."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]  # only the last path component: "../../etc/passwd" -> "passwd"
    name = FORBIDDEN_NAME_CHARS.sub("_", name).strip().lstrip(".").strip()
    if not name or set(name) <= {"_", " ", "."}:
        name = fallback
    if len(name) > MAX_NAME_LENGTH:
        stem, suffix = _split_extension(name)
        name = stem[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return name


def _split_extension(name: str) -> tuple[str, str]:
    suffix = Path(name).suffix
    return (name[: -len(suffix)], suffix) if 1 < len(suffix) <= 10 else (name, "")


def title_from_name(name: str) -> str:
    """The 附件说明 title of a file: its name without the extension."""
    return _split_extension(name)[0] or name


def _zip_kind(file: BinaryIO) -> FileType:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        raise InvalidInput("the file looks like a ZIP archive but cannot be read", code="corrupt_file") from None
    if any(name.lower().endswith((".exe", ".dll", ".bat", ".cmd", ".scr", ".msi", ".js", ".vbs")) for name in names):
        raise UnsupportedMediaType("archives that contain programs are not accepted", code="executable_refused")
    if "OFD.xml" in names:
        return OFD
    if "[Content_Types].xml" in names:
        for prefix, kind in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
            if any(name.startswith(prefix) for name in names):
                return kind
    if "mimetype" in names and "content.xml" in names:
        return ODF
    return ZIP


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sniffing window is still text.
        return error.start >= len(head) - 3
    return True


def sniff(file: BinaryIO, claimed_name: str) -> FileType:
    """The type of the file's content. Refuses programs and formats the platform does not take."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    if not head:
        raise InvalidInput("the file is empty", code="empty_file")
    if head.startswith(EXECUTABLE_SIGNATURES) or Path(claimed_name.lower()).suffix in EXECUTABLE_EXTENSIONS:
        raise UnsupportedMediaType("programs and scripts are not accepted as attachments", code="executable_refused")
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(file)
        file.seek(0)
        return kind
    if head.startswith(b"RIFF") and head[8:12] in RIFF_KINDS:
        return RIFF_KINDS[head[8:12]]
    for offset, signature, kind in SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return kind
    if _looks_like_text(head):
        lowered = head.lower()
        if b"<script" in lowered or b"<html" in lowered or b"<svg" in lowered:
            # Served back from our own storage domain, active content would run there.
            raise UnsupportedMediaType("HTML and SVG files are not accepted; attach a PDF instead",
                                       code="active_content_refused")
        return TEXT
    raise UnsupportedMediaType("this file type is not accepted; attach PDF, OFD, Office documents, images, "
                               "text or archives", code="unsupported_file_type")
