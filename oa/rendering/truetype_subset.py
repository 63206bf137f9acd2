"""A TrueType font program cut down to the glyphs one document uses, for embedding in a PDF.

The kept glyphs are numbered afresh from 0 (.notdef) in the order of their old ids, and the document's text
is encoded with the new numbers (the PDF maps codes to glyph ids one to one, CIDToGIDMap /Identity).
Composite glyphs bring their components, whose ids inside the composite are rewritten. The cut copies a
slice of the mapped font file per kept glyph and never walks the whole font, so it costs well under a
millisecond for a page of text, where a general subsetter that parses and recompiles the font costs hundreds.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from oa.rendering.fonts import Face

# Composite glyph flags (OpenType glyf table).
ARG_1_AND_2_ARE_WORDS = 0x0001
WE_HAVE_A_SCALE = 0x0008
MORE_COMPONENTS = 0x0020
WE_HAVE_AN_X_AND_Y_SCALE = 0x0040
WE_HAVE_A_TWO_BY_TWO = 0x0080


def _components(data: bytes) -> list[tuple[int, int]]:
    """(where its id is stored, glyph id) of each component of a composite glyph (none for a simple one)."""
    if len(data) < 10 or struct.unpack_from(">h", data)[0] >= 0:
        return []
    found, at = [], 10
    while at + 4 <= len(data):
        flags, gid = struct.unpack_from(">HH", data, at)
        found.append((at + 2, gid))
        at += 4 + (4 if flags & ARG_1_AND_2_ARE_WORDS else 2)
        at += 2 if flags & WE_HAVE_A_SCALE else 4 if flags & WE_HAVE_AN_X_AND_Y_SCALE else \
            8 if flags & WE_HAVE_A_TWO_BY_TWO else 0
        if not flags & MORE_COMPONENTS:
            break
    return found


def glyph_closure(face: Face, gids: Iterable[int]) -> set[int]:
    """The glyphs to keep: those drawn, .notdef, and every component of a composite among them."""
    keep, todo = {0}, list(gids)
    while todo:
        gid = todo.pop()
        if gid in keep or not 0 <= gid < face.glyph_count:
            continue
        keep.add(gid)
        todo.extend(gid for _, gid in _components(face.glyph_data(gid)))
    return keep


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    words = array("I", padded)
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


@dataclass(frozen=True)
class Subset:
    program: bytes  # the TrueType font file
    new_ids: dict[int, int]  # old glyph id → id in `program`


def subset_program(face: Face, gids: Iterable[int]) -> Subset:
    """A TrueType font file with the glyphs `gids` and what they need, renumbered from 0."""
    kept = sorted(glyph_closure(face, gids))
    new_ids = {old: new for new, old in enumerate(kept)}
    glyf, offsets, metrics = bytearray(), array("I", [0]), array("h")
    lsb = _side_bearings(face)
    for old in kept:
        data = face.glyph_data(old)
        parts = _components(data)
        if parts:
            data = bytearray(data)
            for at, component in parts:
                struct.pack_into(">H", data, at, new_ids[component])
        glyf += data
        glyf += b"\0" * (-len(glyf) % 4)
        offsets.append(len(glyf))
        metrics.extend((face.advances[old] - 65536 if face.advances[old] > 32767 else face.advances[old],
                        lsb(old)))
    for numbers in (offsets, metrics):
        if sys.byteorder == "little":
            numbers.byteswap()
    head = bytearray(face.tables["head"])
    head[8:12] = b"\0\0\0\0"  # checkSumAdjustment, set once the file is assembled
    head[50:52] = struct.pack(">h", 1)  # indexToLocFormat: long offsets
    hhea = bytearray(face.tables["hhea"])
    hhea[34:36] = struct.pack(">H", len(kept))  # numberOfHMetrics: every glyph has its own
    maxp = bytearray(face.tables["maxp"])
    maxp[4:6] = struct.pack(">H", len(kept))  # numGlyphs
    tables = {tag: data for tag, data in face.tables.items() if tag in ("cvt ", "fpgm", "prep")}
    tables.update({"head": bytes(head), "hhea": bytes(hhea), "maxp": bytes(maxp), "hmtx": metrics.tobytes(),
                   "loca": offsets.tobytes(), "glyf": bytes(glyf)})
    return Subset(_assemble(tables), new_ids)


def _side_bearings(face: Face):  # type: ignore[no-untyped-def]
    """A reader of each glyph's left side bearing from the stored hmtx."""
    hmtx = face.tables["hmtx"]
    metrics_count = struct.unpack_from(">H", face.tables["hhea"], 34)[0]

    def lsb(gid: int) -> int:
        at = gid * 4 + 2 if gid < metrics_count else metrics_count * 4 + (gid - metrics_count) * 2
        return struct.unpack_from(">h", hmtx, at)[0] if at + 2 <= len(hmtx) else 0
    return lsb


def _assemble(tables: dict[str, bytes]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, count * 16 - power * 16)
    directory, body = bytearray(), bytearray()
    offset = len(header) + 16 * count
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    head_at = offset + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[:tags.index("head")])
    font[head_at + 8:head_at + 12] = struct.pack(">I", (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)
