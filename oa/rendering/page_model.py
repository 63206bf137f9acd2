"""A typeset 公文 as pages of positioned marks, independent of the file format that will carry it.

Every position is in millimetres from the page's top-left corner, the way GB/T 9704 states them, so a
writer (PDF today; OFD, GB/T 33190, would read the same model) only converts units and encodes. Text is
given run by run with its typeface role (layout.py's font names), size, colour and the extra advance
after each character (negative on the 28-character grid, positive when a line is justified), so the
writer draws exactly what the typesetter measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oa.rendering import layout as L

PAGE_WIDTH_PT = L.mm_to_pt(L.PAGE_WIDTH_MM)
PAGE_HEIGHT_PT = L.mm_to_pt(L.PAGE_HEIGHT_MM)


@dataclass(frozen=True)
class TextRun:
    x_mm: float  # left end of the first character
    baseline_mm: float
    text: str
    role: str  # layout.FANGSONG, HEITI…
    size_pt: float
    color: str = L.BLACK  # "RRGGBB"
    spacing_pt: float = 0.0  # added after every character


@dataclass(frozen=True)
class Rule:
    x0_mm: float
    x1_mm: float
    y_mm: float  # centre of the stroke
    width_mm: float
    color: str = L.BLACK


SEAL = "公章"
NAME_STAMP = "签名章"


@dataclass(frozen=True)
class SealImage:
    """A seal pressed on the page, centred at (x, y): an organ's 公章 (the registry's image), or the 签发人's 签名章
    on an order (its `label` the person's name). `unit_id` is the organ whose key signs the file there."""

    unit_id: str
    centre_x_mm: float
    centre_y_mm: float
    diameter_mm: float = L.SEAL_DIAMETER_MM  # a 签名章's side
    kind: str = SEAL
    label: str = ""

    @property
    def image_key(self) -> str:
        """What the image drawn here is looked up by: the organ for a 公章, the person for a 签名章."""
        return self.unit_id if self.kind == SEAL else f"{NAME_STAMP}:{self.label}"


@dataclass
class Page:
    number: int | None  # the printed page number; None on an unnumbered page
    texts: list[TextRun] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    seals: list[SealImage] = field(default_factory=list)


@dataclass
class TypesetDocument:
    pages: list[Page]
    title: str
    author: str  # the host organ
    subject: str  # 文种
    identifier: str  # 发文字号
    # Where each organ's seal goes (page index, centre), whether or not an image is drawn there yet.
    seal_spots: list[tuple[int, SealImage]] = field(default_factory=list)
