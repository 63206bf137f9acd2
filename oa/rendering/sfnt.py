"""Reading what the typesetter needs from TrueType/OpenType font files (.ttf, .otf, .ttc), straight from the bytes.

The tables are read from a memory map of the file: the family names (to find the official faces), the
character map, the glyphs' advances and offsets, and the few small tables an embedded font program
carries. Only compact arrays are kept — a character map of a CJK face is a 64 K-entry array for the basic
plane plus a small dict for the rest — so loading the five faces of a 公文 costs a few megabytes, where a
general font library builds hundreds of thousands of Python objects per face. Layouts follow the OpenType
specification (table directory, cmap formats 4 and 12, name, head, hhea, maxp, hmtx, loca).
"""

from __future__ import annotations

import mmap
import struct
import sys
from array import array
from collections.abc import Iterator
from pathlib import Path

BMP = 0x10000


def _big_endian(values: array) -> array:
    if sys.byteorder == "little":
        values.byteswap()
    return values


class CharMap:
    """Unicode code point → glyph id, 0 when the face has no glyph for it."""

    def __init__(self) -> None:
        self.basic = array("H", bytes(2 * BMP))
        self.supplementary: dict[int, int] = {}

    def set(self, code: int, gid: int) -> None:
        if code < BMP:
            self.basic[code] = gid
        else:
            self.supplementary[code] = gid

    def get(self, code: int, default: int = 0) -> int:
        gid = self.basic[code] if code < BMP else self.supplementary.get(code, 0)
        return gid or default

    def __contains__(self, code: int) -> bool:
        return self.get(code) != 0


class SfntFace:
    """One face of a font file: its tables, located in the file's memory map."""

    def __init__(self, data: mmap.mmap, offset: int) -> None:
        self.data = data
        count = struct.unpack_from(">H", data, offset + 4)[0]
        self.tables: dict[str, tuple[int, int]] = {}
        for entry in range(count):
            tag, _, start, length = struct.unpack_from(">4sIII", data, offset + 12 + 16 * entry)
            self.tables[tag.decode("latin-1")] = (start, length)

    def table(self, tag: str) -> bytes:
        start, length = self.tables[tag]
        return self.data[start:start + length]

    @property
    def truetype_outlines(self) -> bool:
        return "glyf" in self.tables and "loca" in self.tables

    def families(self) -> set[str]:
        """The family and full names (name IDs 1, 4, 16) in every language the file gives them."""
        start, _ = self.tables["name"]
        count, strings = struct.unpack_from(">HH", self.data, start + 2)
        found = set()
        for record in range(count):
            platform, encoding, _, name_id, length, offset = struct.unpack_from(
                ">HHHHHH", self.data, start + 6 + 12 * record)
            if name_id not in (1, 4, 16):
                continue
            raw = self.data[start + strings + offset:start + strings + offset + length]
            if platform in (0, 3) and encoding != 3:
                found.add(raw.decode("utf-16-be", errors="ignore"))
            elif platform == 3:  # Windows, PRC encoding: GB 2312 bytes, each in a 16-bit slot in old fonts
                found.add(raw.replace(b"\0", b"").decode("gb18030", errors="ignore"))
            elif platform == 1:
                found.add(raw.decode("gb18030" if encoding == 25 else "mac_roman", errors="ignore"))
        return {name for name in found if name}

    def header(self) -> dict[str, int]:
        head, hhea = self.tables["head"][0], self.tables["hhea"][0]
        units, x_min, y_min, x_max, y_max = struct.unpack_from(">H16xhhhh", self.data, head + 18)
        return {"units_per_em": units, "x_min": x_min, "y_min": y_min, "x_max": x_max, "y_max": y_max,
                "loca_format": struct.unpack_from(">h", self.data, head + 50)[0],
                "ascent": struct.unpack_from(">h", self.data, hhea + 4)[0],
                "descent": struct.unpack_from(">h", self.data, hhea + 6)[0],
                "metrics": struct.unpack_from(">H", self.data, hhea + 34)[0],
                "glyphs": struct.unpack_from(">H", self.data, self.tables["maxp"][0] + 4)[0]}

    def advances(self) -> array:
        """Each glyph's advance width (hmtx: the last long metric's for the glyphs after them)."""
        facts = self.header()
        metrics = _big_endian(array("H", self.table("hmtx")[:4 * facts["metrics"]]))
        widths = metrics[0::2]
        widths.extend([widths[-1]] * (facts["glyphs"] - len(widths)))
        return widths

    def loca(self) -> array:
        """Each glyph's offset in glyf, numGlyphs + 1 of them, in bytes."""
        facts = self.header()
        if facts["loca_format"] == 0:
            return array("I", (2 * offset for offset in _big_endian(array("H", self.table("loca")))))
        return _big_endian(array("I", self.table("loca")))

    def _subtables(self) -> Iterator[tuple[int, int, int]]:
        start, _ = self.tables["cmap"]
        count = struct.unpack_from(">H", self.data, start + 2)[0]
        for entry in range(count):
            platform, encoding, offset = struct.unpack_from(">HHI", self.data, start + 4 + 8 * entry)
            yield platform, encoding, start + offset

    def charmap(self) -> CharMap:
        """From the Unicode subtable: format 12 (full repertoire) where there is one, else format 4."""
        found = CharMap()
        chosen = {}
        for platform, encoding, at in self._subtables():
            kind = struct.unpack_from(">H", self.data, at)[0]
            if (platform, encoding) in ((3, 10), (0, 4), (0, 6)) and kind == 12:
                chosen.setdefault(12, at)
            elif (platform, encoding) in ((3, 1), (0, 3), (0, 1), (0, 0)) and kind == 4:
                chosen.setdefault(4, at)
        if 12 in chosen:
            at = chosen[12]
            groups = struct.unpack_from(">I", self.data, at + 12)[0]
            for group in range(groups):
                first, last, gid = struct.unpack_from(">III", self.data, at + 16 + 12 * group)
                for code in range(first, min(last, 0x10FFFF) + 1):
                    found.set(code, gid + code - first)
        elif 4 in chosen:
            self._format4(chosen[4], found)
        return found

    def _format4(self, at: int, found: CharMap) -> None:
        segments = struct.unpack_from(">H", self.data, at + 6)[0] // 2
        ends = struct.unpack_from(f">{segments}H", self.data, at + 14)
        starts_at = at + 16 + 2 * segments
        starts = struct.unpack_from(f">{segments}H", self.data, starts_at)
        deltas = struct.unpack_from(f">{segments}h", self.data, starts_at + 2 * segments)
        ranges_at = starts_at + 4 * segments
        ranges = struct.unpack_from(f">{segments}H", self.data, ranges_at)
        for segment in range(segments):
            first, last, delta, offset = starts[segment], ends[segment], deltas[segment], ranges[segment]
            for code in range(first, last + 1):
                if code == 0xFFFF:
                    continue
                if offset == 0:
                    gid = (code + delta) & 0xFFFF
                else:
                    where = ranges_at + 2 * segment + offset + 2 * (code - first)
                    gid = struct.unpack_from(">H", self.data, where)[0]
                    gid = (gid + delta) & 0xFFFF if gid else 0
                if gid:
                    found.set(code, gid)


def open_faces(path: Path) -> list[SfntFace]:
    """Every face in the file (several in a .ttc collection), over one read-only memory map."""
    with open(path, "rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if data[:4] == b"ttcf":
        count = struct.unpack_from(">I", data, 8)[0]
        return [SfntFace(data, offset) for offset in struct.unpack_from(f">{count}I", data, 12)]
    return [SfntFace(data, 0)]
