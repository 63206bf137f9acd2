"""The typefaces a 公文 is set in, found among the fonts this deployment has, for the fixed-layout writers.

GB/T 9704 names five typefaces: 方正小标宋简体 (title, 发文机关标志), 仿宋_GB2312 (text), 黑体 (first-level
headings, 紧急程度), 楷体_GB2312 (second-level headings, 签发人 names) and 宋体 (page numbers). They are
licensed, so a deployment that owns them puts their files in `OA_FONT_DIR` and they are found by the family
names inside the files. Without them each role falls back to an open TrueType face from Debian's packages
(fonts-arphic-uming, fonts-arphic-ukai, fonts-wqy-zenhei): AR PL UMing for the Song styles (the title then
drawn with a synthetic bold, as 小标宋 is heavy), AR PL UKai for 楷体, WenQuanYi Zen Hei Mono for 黑体. Every
substitution is stated (`FontSet.substitutions`) and written into the PDF's metadata, so a reader of the
file knows which faces set it.

Only TrueType outlines (glyf) are used: they can be cut to the glyphs a document uses in microseconds
(truetype_subset.py), where CFF-outline OpenType (Noto CJK) takes fontTools hundreds of milliseconds per
font. A face is loaded once per process and shared; a character missing from a role's face is drawn from
the next face that has it (`FontSet.face_for`).
"""

from __future__ import annotations

import logging
import mmap
import os
import struct
import threading
from array import array
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from oa.rendering import layout as L
from oa.rendering.sfnt import CharMap, SfntFace, open_faces

log = logging.getLogger(__name__)

FONT_DIR_ENV = "OA_FONT_DIR"

# Family names (any language of the name table) under which each role's official face is installed.
OFFICIAL_FAMILIES: dict[str, tuple[str, ...]] = {
    L.XIAOBIAOSONG: ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "FZXiaoBiaoSong-B05",
                     "FZXBSJW--GB1-0"),
    L.FANGSONG: ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong"),
    L.HEITI: ("黑体", "SimHei"),
    L.KAITI: ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi"),
    L.SONGTI: ("宋体", "SimSun"),
}

DEBIAN_FONTS = Path("/usr/share/fonts/truetype")
UMING = (DEBIAN_FONTS / "arphic" / "uming.ttc", "AR PL UMing CN")
UKAI = (DEBIAN_FONTS / "arphic" / "ukai.ttc", "AR PL UKai CN")
ZENHEI = (DEBIAN_FONTS / "wqy" / "wqy-zenhei.ttc", "WenQuanYi Zen Hei Mono")
# Each role's open stand-in, and whether it is drawn emboldened.
FALLBACKS: dict[str, tuple[tuple[Path, str], bool]] = {
    L.XIAOBIAOSONG: (UMING, True),
    L.FANGSONG: (UMING, False),
    L.HEITI: (ZENHEI, False),
    L.KAITI: (UKAI, False),
    L.SONGTI: (UMING, False),
}
# Faces tried, in order, for a character the role's own face lacks.
LAST_RESORT = (UMING, ZENHEI, UKAI)
# Tables a PDF's embedded TrueType program needs (ISO 32000 9.9: glyf, loca and the hinting programs).
PROGRAM_TABLES = ("head", "hhea", "maxp", "hmtx", "cvt ", "fpgm", "prep")


class FontUnavailable(RuntimeError):
    """No face at all could be found for a role: the fallback packages are not installed."""


@dataclass(eq=False)
class Face:
    """One TrueType face, its metrics read once, its glyph data read from the mapped file as needed."""

    path: Path
    index: int  # within a .ttc
    family: str
    units_per_em: int
    ascent: int
    descent: int  # negative
    bbox: tuple[int, int, int, int]
    cmap: CharMap
    advances: array  # by glyph id
    loca: array  # glyph offsets into glyf, numGlyphs + 1 of them
    glyf_offset: int  # in the file
    tables: dict[str, bytes]  # PROGRAM_TABLES present, as stored
    _file: mmap.mmap = field(repr=False)

    @property
    def glyph_count(self) -> int:
        return len(self.loca) - 1

    def glyph_data(self, gid: int) -> bytes:
        start, end = self.loca[gid], self.loca[gid + 1]
        return self._file[self.glyf_offset + start:self.glyf_offset + end] if end > start else b""

    def has(self, char: str) -> bool:
        return ord(char) in self.cmap

    def advance(self, gid: int) -> float:
        """A glyph's advance in thousandths of the font size, as PDF widths are counted."""
        return self.advances[gid] * 1000 / self.units_per_em

    def glyph_middle(self, gid: int) -> float:
        """Half way between a glyph's lowest and highest point, in em above the baseline."""
        data = self.glyph_data(gid)
        if len(data) < 10:
            return 0.0
        y_min, y_max = struct.unpack_from(">h", data, 4)[0], struct.unpack_from(">h", data, 8)[0]
        return (y_min + y_max) / 2 / self.units_per_em

    @cached_property
    def postscript_name(self) -> str:
        return "".join(c for c in self.family if c.isascii() and c.isalnum()) or f"Face{id(self)}"


def _load(face: SfntFace, path: Path, index: int, family: str) -> Face:
    if not face.truetype_outlines:
        raise ValueError(f"{path}: not TrueType outlines (CFF cannot be cut to the used glyphs fast enough)")
    facts = face.header()
    return Face(path=path, index=index, family=family, units_per_em=facts["units_per_em"], ascent=facts["ascent"],
                descent=facts["descent"], bbox=(facts["x_min"], facts["y_min"], facts["x_max"], facts["y_max"]),
                cmap=face.charmap(), advances=face.advances(), loca=face.loca(), glyf_offset=face.tables["glyf"][0],
                tables={tag: face.table(tag) for tag in PROGRAM_TABLES if tag in face.tables}, _file=face.data)


@dataclass(frozen=True)
class FontSet:
    """A face for every role, the faces to try for missing characters, and what was substituted."""

    faces: dict[str, Face]
    emboldened: frozenset[str]  # roles drawn with a synthetic bold
    last_resort: tuple[Face, ...]
    substitutions: tuple[str, ...]  # "仿宋_GB2312 → AR PL UMing CN", one per role not set in its own face

    def face_for(self, role: str, char: str) -> Face:
        face = self.faces[role]
        if face.has(char):
            return face
        return next((other for other in self.last_resort if other.has(char)), face)


_lock = threading.Lock()
_cache: dict[str, FontSet] = {}
_faces: dict[tuple[Path, int], Face] = {}


def _face(face: SfntFace, path: Path, index: int, family: str) -> Face:
    key = (path, index)
    if key not in _faces:
        _faces[key] = _load(face, path, index, family)
    return _faces[key]


def _official(font_dir: Path) -> dict[str, Face]:
    found: dict[str, Face] = {}
    files = sorted(p for p in font_dir.rglob("*") if p.suffix.lower() in (".ttf", ".ttc", ".otf"))
    for path in files:
        try:
            faces = open_faces(path)
            named = [(index, face, face.families()) for index, face in enumerate(faces)]
        except Exception as error:  # a broken file in the font folder must not stop documents being issued
            log.warning("font %s unreadable: %s", path, error)
            continue
        for index, face, families in named:
            for role, names in OFFICIAL_FAMILIES.items():
                name = next((n for n in names if n in families), None)
                if role in found or name is None:
                    continue
                try:
                    found[role] = _face(face, path, index, name)
                except (ValueError, KeyError, struct.error) as error:
                    log.warning("font %s (%s) not usable for %s: %s", path, name, role, error)
    return found


def _fallback(spec: tuple[Path, str]) -> Face | None:
    path, family = spec
    if not path.exists():
        return None
    for index, face in enumerate(open_faces(path)):
        if family in face.families():
            return _face(face, path, index, family)
    return None


_configured: str | None = None


def configure(font_dir: str | None) -> None:
    """Use the official fonts in `font_dir` (the service's OA_FONT_DIR setting) from now on."""
    global _configured
    _configured = font_dir or ""


def font_set(font_dir: str | None = None) -> FontSet:
    """The faces for `font_dir` (default: the configured folder, else $OA_FONT_DIR), loaded once per process."""
    folder = font_dir if font_dir is not None else _configured if _configured is not None else \
        os.environ.get(FONT_DIR_ENV, "")
    with _lock:
        if folder in _cache:
            return _cache[folder]
        faces = _official(Path(folder)) if folder and Path(folder).is_dir() else {}
        emboldened, substitutions = set(), []
        for role, (spec, bold) in FALLBACKS.items():
            if role in faces:
                continue
            face = _fallback(spec)
            if face is None:
                raise FontUnavailable(f"no font for {role}: install the Debian packages fonts-arphic-uming, "
                                      f"fonts-arphic-ukai and fonts-wqy-zenhei, or put the official fonts in "
                                      f"${FONT_DIR_ENV}")
            faces[role] = face
            substitutions.append(f"{role} → {face.family}" + ("（加粗）" if bold else ""))
            if bold:
                emboldened.add(role)
        last_resort = tuple(f for f in (_fallback(spec) for spec in LAST_RESORT) if f is not None)
        result = FontSet(faces, frozenset(emboldened), last_resort, tuple(substitutions))
        _cache[folder] = result
        return result


def warm_up() -> None:
    """Load the faces now (a few hundred milliseconds), so the first issued document does not wait for them."""
    try:
        font_set()
    except FontUnavailable as error:
        log.error("%s", error)
