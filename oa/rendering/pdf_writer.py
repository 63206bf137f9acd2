"""Writes typeset pages (page_model) as a PDF with its fonts embedded, aiming at PDF/A-2b.

Each face is embedded once as a Type0 font over a CIDFontType2 (TrueType outlines) holding only the glyphs
the document draws (truetype_subset.py), with a ToUnicode map so the text can be searched and copied. The
file carries what PDF/A-2b asks of it: every font embedded, an sRGB output intent, XMP metadata matching the
document information, a file identifier. (No PDF/A validator runs here — veraPDF is not packaged for Debian —
so the claim is the checklist above, not a validation report.) The fonts that stood in for the official ones
are named in the metadata (`/OAFontSubstitution` and the XMP description), so a reader knows what set it.

Seals are images with an alpha mask, drawn where the typesetter put each organ's seal; signing the PDF is
done afterwards, by the seals package, as an incremental update that leaves these bytes as they are.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from typing import Any

from oa.rendering import layout as L
from oa.rendering.fonts import Face, FontSet, font_set
from oa.rendering.page_model import PAGE_HEIGHT_PT, PAGE_WIDTH_PT, TypesetDocument
from oa.rendering.truetype_subset import Subset, subset_program

PRODUCER = "oa 公文排版"
BOLD_STROKE_EM = 0.03  # synthetic bold: the outline stroked this wide, in em


class Name(str):
    """A PDF name (/Type)."""


class Ref(int):
    """An indirect reference (n 0 R)."""


def _number(value: float) -> bytes:
    if isinstance(value, int):
        return str(value).encode()
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode()


def _text_string(text: str) -> bytes:
    """A text string: UTF-16BE with its byte order mark, written in hex."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def serialize(value: Any) -> bytes:
    if isinstance(value, Name):
        return b"/" + value.encode("ascii")
    if isinstance(value, Ref):
        return b"%d 0 R" % value
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return _text_string(value)
    if isinstance(value, bytes):  # already PDF syntax (a hex string, a date)
        return value
    if isinstance(value, list | tuple):
        return b"[" + b" ".join(serialize(v) for v in value) + b"]"
    if isinstance(value, dict):
        return b"<<" + b"".join(b"/" + k.encode("ascii") + b" " + serialize(v) for k, v in value.items()) + b">>"
    raise TypeError(f"cannot write {type(value).__name__} into a PDF")


class _Objects:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def reserve(self) -> Ref:
        self.bodies.append(b"")
        return Ref(len(self.bodies))

    def put(self, value: Any, ref: Ref | None = None) -> Ref:
        ref = ref or self.reserve()
        self.bodies[ref - 1] = serialize(value)
        return ref

    def stream(self, data: bytes, extra: dict[str, Any] | None = None, compress: bool = True) -> Ref:
        head = dict(extra or {})
        if compress:
            data = zlib.compress(data, 6)
            head["Filter"] = Name("FlateDecode")
        head["Length"] = len(data)
        ref = self.reserve()
        self.bodies[ref - 1] = serialize(head) + b"\nstream\n" + data + b"\nendstream"
        return ref

    def write(self, root: Ref, info: Ref, file_id: bytes) -> bytes:
        out = BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.bodies, 1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.bodies) + 1))
        out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        identifier = b"<" + file_id.hex().encode() + b">"
        trailer = {"Size": len(self.bodies) + 1, "Root": root, "Info": info, "ID": [identifier, identifier]}
        out.write(b"trailer\n" + serialize(trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % xref)
        return out.getvalue()


def _rgb(color: str) -> bytes:
    r, g, b = (int(color[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return b"%s %s %s" % (_number(r), _number(g), _number(b))


def _pt(mm: float) -> float:
    return L.mm_to_pt(mm)


def _segments(fonts: FontSet, role: str, text: str) -> list[tuple[Face, str]]:
    """A run cut where the face that has its characters changes."""
    segments: list[tuple[Face, str]] = []
    for char in text:
        face = fonts.face_for(role, char)
        if segments and segments[-1][0] is face:
            segments[-1] = (face, segments[-1][1] + char)
        else:
            segments.append((face, char))
    return segments


def _to_unicode(subset: Subset, chars: Mapping[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
             b"1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    pairs = sorted((subset.new_ids[gid], char) for gid, char in chars.items())
    for start in range(0, len(pairs), 100):
        chunk = pairs[start:start + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines += [b"<%04X> <%s>" % (new, char.encode("utf-16-be").hex().upper().encode()) for new, char in chunk]
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"\n".join(lines)


def _subset_tag(face: Face, gids: set[int]) -> str:
    digest = hashlib.sha1(face.postscript_name.encode() + repr(sorted(gids)).encode()).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _font(objects: _Objects, face: Face, chars: Mapping[int, str]) -> tuple[Ref, Subset]:
    subset = subset_program(face, chars.keys())
    name = Name(f"{_subset_tag(face, set(chars))}+{face.postscript_name}")
    scale = 1000 / face.units_per_em
    program = objects.stream(subset.program, {"Length1": len(subset.program)})
    descriptor = objects.put({
        "Type": Name("FontDescriptor"), "FontName": name, "Flags": 4,
        "FontBBox": [round(v * scale) for v in face.bbox], "ItalicAngle": 0,
        "Ascent": round(face.ascent * scale), "Descent": round(face.descent * scale),
        "CapHeight": round(face.ascent * scale), "StemV": 80, "FontFile2": program})
    widths: list[Any] = []
    for old, new in sorted(subset.new_ids.items(), key=lambda item: item[1]):
        widths += [new, [round(face.advance(old))]]
    cid_font = objects.put({
        "Type": Name("Font"), "Subtype": Name("CIDFontType2"), "BaseFont": name,
        "CIDSystemInfo": {"Registry": b"(Adobe)", "Ordering": b"(Identity)", "Supplement": 0},
        "FontDescriptor": descriptor, "W": widths, "CIDToGIDMap": Name("Identity")})
    to_unicode = objects.stream(_to_unicode(subset, chars))
    font = objects.put({"Type": Name("Font"), "Subtype": Name("Type0"), "BaseFont": name,
                        "Encoding": Name("Identity-H"), "DescendantFonts": [cid_font], "ToUnicode": to_unicode})
    return font, subset


@lru_cache(maxsize=64)
def _seal_pixels(png: bytes) -> tuple[int, int, bytes, bytes]:
    """A seal PNG as RGB samples and an alpha mask (cached: the same seals are pressed all day)."""
    from PIL import Image

    with Image.open(BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    return rgba.width, rgba.height, rgba.convert("RGB").tobytes(), rgba.getchannel("A").tobytes()


def _seal_image(objects: _Objects, png: bytes) -> Ref:
    width, height, rgb, alpha = _seal_pixels(png)
    common = {"Type": Name("XObject"), "Subtype": Name("Image"), "Width": width, "Height": height,
              "BitsPerComponent": 8}
    mask = objects.stream(alpha, {**common, "ColorSpace": Name("DeviceGray")})
    return objects.stream(rgb, {**common, "ColorSpace": Name("DeviceRGB"), "SMask": mask})


def _pdf_date(moment: datetime) -> bytes:
    return b"(D:" + moment.strftime("%Y%m%d%H%M%S").encode() + b"Z)"


def _xmp(document: TypesetDocument, moment: datetime, substitutions: str) -> bytes:
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{esc(document.title)}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{esc(document.author)}</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{esc(substitutions)}</rdf:li></rdf:Alt></dc:description>
<pdf:Producer>{PRODUCER}</pdf:Producer><pdf:Keywords>{esc(document.identifier)}</pdf:Keywords>
<xmp:CreateDate>{stamp}</xmp:CreateDate><xmp:ModifyDate>{stamp}</xmp:ModifyDate>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()


@lru_cache(maxsize=1)
def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def write_pdf(document: TypesetDocument, seals: Mapping[str, bytes] | None = None, fonts: FontSet | None = None,
              moment: datetime | None = None) -> bytes:
    """The PDF of `document`; `seals` maps a spot's image key (SealImage.image_key) to the PNG drawn there."""
    fonts = fonts or font_set()
    moment = moment or datetime.now(UTC)
    seals = seals or {}
    # First pass: which glyphs of which face the pages draw.
    used: dict[int, tuple[Face, dict[int, str]]] = {}
    for page in document.pages:
        for run in page.texts:
            for face, text in _segments(fonts, run.role, run.text):
                chars = used.setdefault(id(face), (face, {}))[1]
                for char in text:
                    chars.setdefault(face.cmap.get(ord(char), 0), char)
    objects = _Objects()
    catalog, pages_ref = objects.reserve(), objects.reserve()
    font_refs: dict[int, tuple[Name, Ref, Subset]] = {}
    for index, (key, (face, chars)) in enumerate(used.items(), 1):
        ref, subset = _font(objects, face, chars)
        font_refs[key] = (Name(f"F{index}"), ref, subset)
    images = {unit: _seal_image(objects, png) for unit, png in seals.items()}
    # Seal ink multiplies with what is under it, as on paper: the names and the date stay legible through the red.
    ink = objects.put({"Type": Name("ExtGState"), "BM": Name("Multiply")})
    spots_by_page: dict[int, list[Any]] = {}
    for page_index, spot in document.seal_spots:
        if spot.image_key in images:
            spots_by_page.setdefault(page_index, []).append(spot)
    page_refs = []
    for index, page in enumerate(document.pages):
        ops: list[bytes] = []
        for rule in page.rules:
            y = PAGE_HEIGHT_PT - _pt(rule.y_mm)
            ops.append(b"q %s RG %s w 0 J %s %s m %s %s l S Q" % (
                _rgb(rule.color), _number(_pt(rule.width_mm)), _number(_pt(rule.x0_mm)), _number(y),
                _number(_pt(rule.x1_mm)), _number(y)))
        for run in page.texts:
            bold = run.role in fonts.emboldened
            ops.append(b"BT %s rg %s RG %s Tr %s w %s Tc 1 0 0 1 %s %s Tm" % (
                _rgb(run.color), _rgb(run.color), b"2" if bold else b"0",
                _number(run.size_pt * BOLD_STROKE_EM), _number(run.spacing_pt), _number(_pt(run.x_mm)),
                _number(PAGE_HEIGHT_PT - _pt(run.baseline_mm))))
            for face, text in _segments(fonts, run.role, run.text):
                name, _, subset = font_refs[id(face)]
                codes = "".join(f"{subset.new_ids[face.cmap.get(ord(c), 0)]:04X}" for c in text)
                ops.append(b"/%s %s Tf <%s> Tj" % (name.encode(), _number(run.size_pt), codes.encode()))
            ops.append(b"ET")
        resources: dict[str, Any] = {"Font": {name: ref for name, ref, _ in font_refs.values()}}
        xobjects = {}
        for number, spot in enumerate(spots_by_page.get(index, []), 1):
            side = _pt(spot.diameter_mm)
            x, y = _pt(spot.centre_x_mm) - side / 2, PAGE_HEIGHT_PT - _pt(spot.centre_y_mm) - side / 2
            xobjects[f"Seal{number}"] = images[spot.image_key]
            ops.append(b"q /Ink gs %s 0 0 %s %s %s cm /Seal%d Do Q" % (
                _number(side), _number(side), _number(x), _number(y), number))
        if xobjects:
            resources["XObject"] = xobjects
            resources["ExtGState"] = {"Ink": ink}
        content = objects.stream(b"\n".join(ops))
        page_refs.append(objects.put({"Type": Name("Page"), "Parent": pages_ref,
                                      "MediaBox": [0, 0, round(PAGE_WIDTH_PT, 2), round(PAGE_HEIGHT_PT, 2)],
                                      "Resources": resources, "Contents": content}))
    objects.put({"Type": Name("Pages"), "Kids": page_refs, "Count": len(page_refs)}, pages_ref)
    substitutions = "；".join(fonts.substitutions) or "official fonts"
    metadata = objects.stream(_xmp(document, moment, "字体替代：" + substitutions),
                              {"Type": Name("Metadata"), "Subtype": Name("XML")}, compress=False)
    profile = objects.stream(_srgb_profile(), {"N": 3})
    intent = objects.put({"Type": Name("OutputIntent"), "S": Name("GTS_PDFA1"),
                          "OutputConditionIdentifier": "sRGB", "DestOutputProfile": profile})
    objects.put({"Type": Name("Catalog"), "Pages": pages_ref, "Metadata": metadata, "OutputIntents": [intent],
                 "Lang": "zh-CN"}, catalog)
    info = objects.put({"Title": document.title, "Author": document.author, "Subject": document.subject,
                        "Keywords": document.identifier, "Producer": PRODUCER,
                        "CreationDate": _pdf_date(moment), "ModDate": _pdf_date(moment),
                        "OAFontSubstitution": substitutions})
    file_id = hashlib.md5(b"".join(objects.bodies), usedforsecurity=False).digest()
    return objects.write(catalog, info, file_id)
