""" A .docx as a layout engine sets it: LibreOffice (headless) exports it to PDF, and every line of text
and every drawn rule is measured there in mm from the page's top-left corner.

This is what the checker uses where properties cannot tell what a reader sees (where lines break,
which page an element lands on, how far a rule is from a text). It is a checker's and a test's tool:
the service never needs LibreOffice. A clerk sees Word or WPS with the official fonts; LibreOffice
with the fonts installed here is the proxy, so a `Layout` says which fonts it was set in.
"""

from __future__ import annotations

import ctypes
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MM_PER_PT = 25.4 / 72
CONVERT_TIMEOUT_S = 120
# The official fonts are licensed and rarely installed where the checker runs. What decides where lines break is
# their metrics: every Chinese character one em, every ASCII character (digits included) exactly half an em, as
# in all GB2312-era fonts. Debian's Noto Sans Mono CJK SC (fonts-noto-cjk) has the same metrics, so it stands in
# for each of them when it is absent; LibreOffice's own fallback would set digits proportionally wider and push
# lines past the block that fit in Word with the real fonts. Which fonts were used is in Layout.fonts.
STAND_IN = "Noto Sans Mono CJK SC"
FONT_STAND_INS = {name: STAND_IN for name in (
    "仿宋_GB2312", "仿宋", "FangSong", "楷体_GB2312", "楷体", "KaiTi", "方正小标宋简体", "宋体", "SimSun", "黑体",
    "SimHei")}


_OVERFLOW_PUNCT = re.compile(rb'<w:overflowPunct(?: w:val="(0|1|true|false|on|off)")?\s*/>')


def _as_word_sets_punctuation(data: bytes) -> bytes:
    """The same .docx with every w:overflowPunct inverted, so LibreOffice hangs punctuation where Word does.

    LibreOffice's importer maps w:overflowPunct to its "hanging punctuation" property inverted (writerfilter
    DomainMapper: PROP_PARA_IS_HANGING_PUNCTUATION = (value == 0)), so a paragraph that forbids punctuation past
    the margin in Word lets it hang in LibreOffice, and the other way round. Inverting it here makes the proxy lay
    out what Word would; the file the user checks is not changed."""
    def flip(match: re.Match[bytes]) -> bytes:
        on = match.group(1) in (None, b"1", b"true", b"on")
        return b'<w:overflowPunct w:val="%s"/>' % (b"0" if on else b"1")

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.endswith(".xml"):
                content = _OVERFLOW_PUNCT.sub(flip, content)
            target.writestr(item, content)
    return out.getvalue()


def _fontconfig(work: str) -> str:
    """A fontconfig file: the system's configuration plus the stand-ins above (used only when the font is absent)."""
    aliases = "".join(f"<alias binding=\"same\"><family>{name}</family><accept><family>{stand_in}</family></accept>"
                      f"</alias>" for name, stand_in in FONT_STAND_INS.items())
    path = Path(work) / "fonts.conf"
    path.write_text(f"<?xml version=\"1.0\"?><!DOCTYPE fontconfig SYSTEM \"fonts.dtd\"><fontconfig>"
                    f"<include ignore_missing=\"yes\">/etc/fonts/fonts.conf</include>{aliases}</fontconfig>",
                    encoding="utf-8")
    return str(path)


class LayoutUnavailable(RuntimeError):
    """LibreOffice is not installed, or could not lay the file out."""


@dataclass(frozen=True)
class Line:
    """One line of text: its characters share a baseline."""

    page: int  # 1-based
    baseline_mm: float  # from the top of the page
    size_pt: float
    chars: tuple[tuple[str, float, float], ...]  # (character, left mm, right mm), left to right
    red: bool

    @property
    def text(self) -> str:
        return "".join(c for c, _, _ in self.chars)

    @property
    def left_mm(self) -> float:
        return self.chars[0][1]

    @property
    def right_mm(self) -> float:
        return max(right for _, _, right in self.chars)


@dataclass(frozen=True)
class Rule:
    """A drawn horizontal line (a border or a separator)."""

    page: int
    top_mm: float
    bottom_mm: float
    left_mm: float
    right_mm: float
    red: bool


@dataclass
class Layout:
    pages: int
    lines: list[Line] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    fonts: set[str] = field(default_factory=set)

    def on_page(self, page: int) -> list[Line]:
        return [line for line in self.lines if line.page == page]


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice() is not None


def lay_out(data: bytes) -> Layout:
    """Set `data` (a .docx) with LibreOffice and measure the result."""
    return measure_pdf(to_pdf(data))


def lay_out_all(files: list[bytes]) -> list[Layout]:
    """Several .docx files laid out by one LibreOffice run (starting it takes most of the time)."""
    return [measure_pdf(pdf) for pdf in to_pdfs(files)]


def to_pdf(data: bytes) -> bytes:
    """`data` (a .docx) as LibreOffice lays it out, with the stand-in fonts, as a PDF."""
    return to_pdfs([data])[0]


def to_pdfs(files: list[bytes]) -> list[bytes]:
    binary = soffice()
    if binary is None:
        raise LayoutUnavailable("LibreOffice (soffice) is not installed; on Debian: apt-get install "
                                "libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory(prefix="oa-layout-") as work:
        sources = [Path(work) / f"document-{index}.docx" for index in range(len(files))]
        for source, data in zip(sources, files, strict=True):
            try:
                source.write_bytes(_as_word_sets_punctuation(data))
            except zipfile.BadZipFile as error:
                raise LayoutUnavailable("not a .docx (Office Open XML) file") from error
        # A profile of its own, so several checks (or a user's open LibreOffice) never share a lock.
        profile = Path(work, "profile").as_uri()
        command = [binary, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                   "--outdir", work, *map(str, sources)]
        try:
            subprocess.run(command, capture_output=True, timeout=CONVERT_TIMEOUT_S * len(files), check=False,
                           env={**os.environ, "HOME": work, "FONTCONFIG_FILE": _fontconfig(work)})
        except subprocess.TimeoutExpired as error:
            raise LayoutUnavailable(f"LibreOffice did not finish within {CONVERT_TIMEOUT_S} s a file") from error
        pdfs = [source.with_suffix(".pdf") for source in sources]
        if not all(pdf.exists() for pdf in pdfs):
            raise LayoutUnavailable("LibreOffice could not open the file")
        return [pdf.read_bytes() for pdf in pdfs]


def measure_pdf(data: bytes) -> Layout:
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(data)
    layout = Layout(pages=len(document))
    x, y = ctypes.c_double(), ctypes.c_double()
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    name = ctypes.create_string_buffer(256)
    for index in range(len(document)):
        page = document[index]
        height = page.get_height()
        text = page.get_textpage()
        rows: dict[int, list[tuple[float, str, float, float, float, bool]]] = {}
        for i in range(text.count_chars()):
            char = text.get_text_range(i, 1)
            if not char or char.isspace():
                continue
            raw.FPDFText_GetCharOrigin(text, i, x, y)
            left, _, right, _ = text.get_charbox(i)
            raw.FPDFText_GetFillColor(text, i, r, g, b, a)
            red = r.value > 180 and g.value < 80 and b.value < 80
            if raw.FPDFText_GetFontInfo(text, i, name, len(name), None):
                layout.fonts.add(name.value.decode("utf-8", "replace").split("+")[-1])
            size = raw.FPDFText_GetFontSize(text, i)
            rows.setdefault(round(y.value * 2), []).append(
                (left * MM_PER_PT, char, right * MM_PER_PT, size, y.value, red))
        for key in sorted(rows, reverse=True):
            chars = sorted(rows[key])
            layout.lines.append(Line(
                page=index + 1, baseline_mm=round((height - key / 2) * MM_PER_PT, 2),
                size_pt=round(max(c[3] for c in chars), 1),
                chars=tuple((c[1], round(c[0], 2), round(c[2], 2)) for c in chars),
                red=sum(c[5] for c in chars) > len(chars) / 2))
        for obj in page.get_objects():
            if obj.type != raw.FPDF_PAGEOBJ_PATH:
                continue
            left, bottom, right, top = obj.get_bounds()
            if right - left < 20 or top - bottom > 5:  # only long horizontal strokes are rules
                continue
            raw.FPDFPageObj_GetStrokeColor(obj, r, g, b, a)
            stroke_red = r.value > 180 and g.value < 80 and b.value < 80
            raw.FPDFPageObj_GetFillColor(obj, r, g, b, a)
            fill_red = r.value > 180 and g.value < 80 and b.value < 80
            layout.rules.append(Rule(index + 1, round((height - top) * MM_PER_PT, 2),
                                     round((height - bottom) * MM_PER_PT, 2), round(left * MM_PER_PT, 2),
                                     round(right * MM_PER_PT, 2), stroke_red or fill_red))
    return layout
