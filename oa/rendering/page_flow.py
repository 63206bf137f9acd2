"""Blocks of typeset lines and how they fill fixed pages: the vertical model the PDF shares with pagination.py.

A block is a paragraph as the pages see it (space above, lines of an exact height, kept with the next or
starting a page of its own); `PageFlow` puts blocks on pages exactly as `pagination.paginate` counts them,
so a PDF and a .docx of the same document break their pages in the same places. Positions are in mm from
the page's top-left corner; text stands in its line with its em box centred unless told otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oa.rendering import layout as L
from oa.rendering.page_model import SEAL, Page, TextRun
from oa.rendering.pagination import PAGE_TWIPS

LINE = L.LINE_PITCH_TWIPS
PT_MM = L.MM_PER_INCH / L.PT_PER_INCH  # one point in mm
EM_ABOVE_BASELINE = 0.88  # the ideographic em box: 0.88 em above the baseline, 0.12 below


def tw_mm(twips: float) -> float:
    return L.twips_to_mm(twips)


@dataclass(frozen=True)
class Run:
    """A run placed within its line: x from the text block's left edge."""

    x_mm: float
    text: str
    role: str
    size_pt: float
    color: str = L.BLACK
    spacing_pt: float = 0.0


@dataclass(frozen=True)
class SealMark:
    """A seal to press on a block's line: an organ's 公章 (the next issuing organ's) or a person's 签名章."""

    x_mm: float  # its centre, from the text block's left edge
    kind: str = SEAL
    label: str = ""
    size_mm: float = L.SEAL_DIAMETER_MM


@dataclass
class Block:
    """A paragraph as the pages see it (pagination.Piece) with what its lines hold."""

    before: int
    lines: list[list[Run]]
    line_twips: int = LINE
    keep_with_next: bool = False
    em_top_mm: float | None = None  # the text's em box top below the line's top; None: centred in the line
    seals: list[SealMark] = field(default_factory=list)  # seals centred on this (one-line) block
    beside: list[tuple[int, float, Run]] = field(default_factory=list)  # (line, shift mm, run): out of the flow
    new_page: bool = False  # starts a page of its own (an attachment printed in full)


class PageFlow:
    """Puts blocks on pages the way pagination.paginate counts them."""

    def __init__(self, first_page_top_mm: float = L.MARGIN_TOP_MM) -> None:
        self.pages: list[Page] = [Page(None)]
        self.top_mm = [first_page_top_mm]  # where each page's text starts
        self.used = 0  # twips used on the current page
        self.placed: dict[int, tuple[int, float]] = {}  # id(block) → (page index, top of its first line in mm)
        self.seal_spots: list[tuple[int, float, float, SealMark]] = []

    @property
    def room(self) -> int:
        return PAGE_TWIPS - L.mm_to_twips(self.top_mm[-1] - L.MARGIN_TOP_MM)

    def new_page(self) -> None:
        self.pages.append(Page(None))
        self.top_mm.append(L.MARGIN_TOP_MM)
        self.used = 0

    def flow(self, blocks: list[Block]) -> None:
        index = 0
        while index < len(blocks):
            end = index
            while blocks[end].keep_with_next and end + 1 < len(blocks):
                end += 1
            if blocks[index].new_page and self.used:
                self.new_page()
            chain = blocks[index:end + 1]
            height = sum(b.before + len(b.lines) * b.line_twips for b in chain)
            if len(chain) > 1 and self.used and self.used + height > self.room and height <= self.room:
                self.new_page()
            for block in chain:
                self.place(block)
            index = end + 1

    def place(self, block: Block) -> None:
        if self.used or len(self.pages) == 1:  # dropped at the top of a later page, as pagination.py drops it
            self.used += block.before
        for number, runs in enumerate(block.lines):
            if self.used + block.line_twips > self.room:
                self.new_page()
            line_top = self.top_mm[-1] + tw_mm(self.used)
            if number == 0:
                self.placed[id(block)] = (len(self.pages) - 1, line_top)
            for run in runs:
                self.pages[-1].texts.append(text_run(run, line_top, block.line_twips, block.em_top_mm))
            for line, shift, run in block.beside:
                if line == number:
                    self.pages[-1].texts.append(text_run(run, line_top + shift, block.line_twips, block.em_top_mm))
            self.used += block.line_twips
        if block.seals:
            # Centred on the 署名's line: the names at the seal's centre and the date just under it ("居印章中心
            # 偏下"), the seal's top half a line into the two empty lines above, within a line of the text (7.3.5.1).
            middle = self.top_mm[-1] + tw_mm(self.used - block.line_twips / 2)
            self.seal_spots += [(len(self.pages) - 1, L.MARGIN_LEFT_MM + mark.x_mm, middle, mark)
                                for mark in block.seals]


def baseline_mm(line_top_mm: float, line_twips: int, size_pt: float, em_top_mm: float | None = None) -> float:
    """Where text of `size_pt` stands in its line: its em box centred in the line unless placed by `em_top_mm`."""
    size_mm = size_pt * PT_MM
    em_top = (tw_mm(line_twips) - size_mm) / 2 if em_top_mm is None else em_top_mm
    return line_top_mm + em_top + EM_ABOVE_BASELINE * size_mm


def text_run(run: Run, line_top_mm: float, line_twips: int, em_top_mm: float | None) -> TextRun:
    return TextRun(L.MARGIN_LEFT_MM + run.x_mm, baseline_mm(line_top_mm, line_twips, run.size_pt, em_top_mm),
                   run.text, run.role, run.size_pt, run.color, run.spacing_pt)
