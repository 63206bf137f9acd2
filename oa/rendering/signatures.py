"""Where the 发文机关署名 go, so that each organ's seal can be pressed on its own name.

GB/T 9704-2012 7.3.5.1: the seal (a 42 mm circle) is pressed centred on the organ's 署名; the last
seal also covers the 成文日期, whose right end is four characters in. With several organs (联合行文)
the names stand side by side in rows of two, in issuing order, so that no two seals cross or touch
and none crosses the edges of the text block. A pair whose names are too long to stand side by side
goes one name per row. This is geometry only (mm from the text block's left edge, lines between
rows), shared by every output format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oa.rendering import layout as L
from oa.rendering.text_width import text_width


@dataclass(frozen=True)
class SignatureRow:
    names: tuple[str, ...]
    centres_mm: tuple[float, ...]  # each name's centre, from the text block's left edge
    lines_before: int  # empty lines above the row


def date_centre_mm(date_text: str) -> float:
    """The centre of the 成文日期 (right indent four characters), from the block's left edge."""
    return L.TEXT_WIDTH_MM - (L.DATE_RIGHT_CHARS + text_width(date_text) / 2) * L.CHAR_PITCH_MM


def _pair_centres(left: str, right: str, right_centre: float) -> tuple[float, float] | None:
    """Centres for two names side by side, the right one at `right_centre`; None when they do not fit."""
    apart = max(L.SEAL_DIAMETER_MM + L.SEAL_GAP_MM,
                (text_width(left) + text_width(right)) / 2 * L.CHAR_PITCH_MM + L.CHAR_PITCH_MM)
    left_centre = right_centre - apart
    half = max(L.SEAL_DIAMETER_MM / 2, text_width(left) / 2 * L.CHAR_PITCH_MM)
    return (left_centre, right_centre) if left_centre - half >= 0 else None


def signature_rows(names: list[str], date_text: str) -> list[SignatureRow]:
    """The rows of 署名, host first; the last name always sits over the date."""
    if not names:
        return []
    centre = date_centre_mm(date_text or L.TYPICAL_DATE)
    groups: list[tuple[str, ...]] = []
    # The last row holds the last name (over the date) and, when the count is even, the one before it.
    rest = list(names)
    if len(rest) % 2:
        groups.append((rest.pop(),))
    while rest:
        groups.append((rest[-2], rest[-1]))
        del rest[-2:]
    groups.reverse()
    rows: list[SignatureRow] = []
    for group in groups:
        placed = _pair_centres(group[0], group[1], centre) if len(group) == 2 else None
        if placed is not None:
            rows.append(SignatureRow(group, placed, 0))
        else:
            rows.extend(SignatureRow((name,), (centre,), 0) for name in group)
    gap = L.SEAL_ROW_LINES - 1 if len(rows) > 1 else 0
    return [SignatureRow(row.names, row.centres_mm, L.SIGNATURE_LINES_BELOW_BODY if i == 0 else gap)
            for i, row in enumerate(rows)]


def seal_overlaps(circles: list[tuple[str, float, float]]) -> list[tuple[str, str, float]]:
    """Pairs of seals (name, x mm, y mm of their centres) nearer than a diameter plus the gap, with the distance."""
    found = []
    for i, (a, ax, ay) in enumerate(circles):
        for b, bx, by in circles[i + 1:]:
            distance = math.hypot(ax - bx, ay - by)
            if distance < L.SEAL_DIAMETER_MM + L.SEAL_GAP_MM - 0.5:
                found.append((a, b, distance))
    return found
