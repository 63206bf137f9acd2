"""Effective formatting of WordprocessingML runs, paragraphs and tables, read with plain lxml.

Word resolves a property from the most specific place that sets it: the run's own properties, its
character style chain, the paragraph style chain, then the document defaults (for tables: the table's
own properties, then its table style chain; a cell's border wins over the table's). The checker needs the
same answer to judge what a reader will actually see, so the lookup lives here, apart from the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FALSE_VALUES = {"0", "false", "off", "none"}
JC_ALIASES = {"start": "left", "end": "right", "justify": "both"}
# Per side, the attributes that may set it; Chars units win over twips, hanging over firstLine.
SIDES = {"left": ("leftChars", "startChars", "left", "start"),
         "right": ("rightChars", "endChars", "right", "end"),
         "first": ("hangingChars", "hanging", "firstLineChars", "firstLine")}


def w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


def attr(element: Any, name: str) -> str | None:
    return None if element is None else element.get(w(name))


def on(element: Any) -> bool:
    """A toggle like <w:b/>: present and not switched off."""
    return element is not None and (attr(element, "val") or "true").lower() not in FALSE_VALUES


_RUN_MARKS = {w("tab"): "\t", w("br"): "\n", w("cr"): "\n"}


def run_text(run: Any) -> str:
    """The run's text, its tabs as "\t" and its line breaks as "\n"."""
    return "".join(node.text or "" if node.tag == w("t") else _RUN_MARKS[node.tag]
                   for node in run if node.tag == w("t") or node.tag in _RUN_MARKS)


def paragraph_text(paragraph: Any) -> str:
    return "".join(run_text(run) for run in paragraph.iter(w("r")))


def snippet(text: str) -> str:
    text = text.strip()
    return f"“{text[:12]}…”" if len(text) > 12 else f"“{text}”"


class Styles:
    """Resolves effective run and paragraph properties through the style hierarchy."""

    def __init__(self, styles_element: Any) -> None:
        self.by_id = {s.get(w("styleId")): s for s in styles_element.iter(w("style"))}
        self.default_paragraph = next((i for i, s in self.by_id.items() if s.get(w("type")) == "paragraph"
                                       and s.get(w("default")) in ("1", "true")), None)
        defaults = styles_element.find(w("docDefaults"))
        self.rpr_default = defaults.find(f"{w('rPrDefault')}/{w('rPr')}") if defaults is not None else None
        self.ppr_default = defaults.find(f"{w('pPrDefault')}/{w('pPr')}") if defaults is not None else None

    def name(self, style_id: str | None) -> str:
        style = self.by_id.get(style_id or "")
        name = style.find(w("name")) if style is not None else None
        return attr(name, "val") or ""

    def chain(self, style_id: str | None) -> Iterator[Any]:
        seen: set[str] = set()
        while style_id and style_id in self.by_id and style_id not in seen:
            seen.add(style_id)
            yield self.by_id[style_id]
            style_id = attr(self.by_id[style_id].find(w("basedOn")), "val")

    def paragraph_style(self, paragraph: Any) -> str | None:
        return attr(paragraph.find(f"{w('pPr')}/{w('pStyle')}"), "val") or self.default_paragraph

    def run_levels(self, run: Any, paragraph: Any) -> list[Any]:
        """rPr elements from the most specific (the run's own) to the document defaults."""
        own = run.find(w("rPr"))
        char_style = attr(own.find(w("rStyle")) if own is not None else None, "val")
        levels = [own]
        levels += [s.find(w("rPr")) for s in self.chain(char_style)]
        levels += [s.find(w("rPr")) for s in self.chain(self.paragraph_style(paragraph))]
        levels.append(self.rpr_default)
        return [level for level in levels if level is not None]

    def default_levels(self) -> list[Any]:
        """rPr elements of the default paragraph style chain and the document defaults."""
        levels = [s.find(w("rPr")) for s in self.chain(self.default_paragraph)] + [self.rpr_default]
        return [level for level in levels if level is not None]

    def table_levels(self, table: Any) -> list[Any]:
        """tblPr elements: the table's own, then its table style chain."""
        own = table.find(w("tblPr"))
        style = attr(own.find(w("tblStyle")) if own is not None else None, "val")
        levels = [own] + [s.find(w("tblPr")) for s in self.chain(style)]
        return [level for level in levels if level is not None]

    def paragraph_levels(self, paragraph: Any) -> list[Any]:
        levels = [paragraph.find(w("pPr"))]
        levels += [s.find(w("pPr")) for s in self.chain(self.paragraph_style(paragraph))]
        levels.append(self.ppr_default)
        return [level for level in levels if level is not None]


def first(levels: Iterable[Any], child: str, *attrs: str) -> tuple[Any, str | None]:
    """The first level whose `child` carries any of `attrs`: (that element, the first attr found)."""
    for level in levels:
        element = level.find(w(child))
        if element is None:
            continue
        for name in attrs:
            if element.get(w(name)) is not None:
                return element, name
    return None, None


def font(levels: list[Any], kind: str) -> str | None:
    """The font for `kind` (ascii, hAnsi, eastAsia, cs); a theme reference wins over a name at the same level."""
    element, name = first(levels, "rFonts", f"{kind}Theme" if kind != "cs" else "cstheme", kind)
    if element is None or name is None:
        return None
    value = element.get(w(name))
    return f"theme:{value}" if name.lower().endswith("theme") else value


def size(levels: list[Any]) -> float | None:
    element, _ = first(levels, "sz", "val")
    return None if element is None else int(attr(element, "val") or 0) / 2


def char_spacing(levels: list[Any]) -> float:
    """Character spacing (w:spacing w:val of run properties) in twips; negative is condensed."""
    element, _ = first(levels, "spacing", "val")
    return 0.0 if element is None else float(attr(element, "val") or 0)


def bold(levels: list[Any]) -> bool:
    # Toggle properties XOR across style levels in the spec; "the nearest setting wins" is what users expect.
    return next((on(level.find(w("b"))) for level in levels if level.find(w("b")) is not None), False)


def color(levels: list[Any]) -> str:
    element, _ = first(levels, "color", "val")
    value = (attr(element, "val") or "auto").upper()
    return "auto" if value == "AUTO" else value


def indents(levels: list[Any], char_twips: float) -> dict[str, float]:
    """Left, right and first-line (negative = hanging) indents in characters `char_twips` wide."""
    result = {}
    for side, attrs in SIDES.items():
        element, name = first(levels, "ind", *attrs)
        value = 0.0
        if element is not None and name is not None:
            raw = float(element.get(w(name)) or 0)
            value = raw / 100 if name.endswith("Chars") else raw / char_twips
            value = -value if name.startswith("hanging") else value
        result[side] = value
    return result


def alignment(levels: list[Any]) -> str:
    element, _ = first(levels, "jc", "val")
    value = attr(element, "val") or "left"
    return JC_ALIASES.get(value, value)


def in_table(paragraph: Any) -> bool:
    return any(a.tag == w("tc") for a in paragraph.iterancestors())


def table_of(paragraph: Any) -> Any:
    """The innermost w:tbl holding the paragraph, or None."""
    return next(paragraph.iterancestors(w("tbl")), None)


def table_border(table: Any, levels: list[Any], row: int, side: str) -> Any:
    """The border drawn along the `side` ("top"/"bottom") of row `row`: the cell's own border wins, then the
    neighbouring row's, then the table's (tblBorders top/bottom at its edges, insideH between rows)."""
    rows = table.findall(w("tr"))

    def cell_border(index: int, cell_side: str) -> Any:
        if not 0 <= index < len(rows):
            return None
        return rows[index].find(f"{w('tc')}/{w('tcPr')}/{w('tcBorders')}/{w(cell_side)}")

    found = cell_border(row, side)
    if found is None:
        found = cell_border(row - 1, "bottom") if side == "top" else cell_border(row + 1, "top")
    if found is not None:
        return found
    edge = (side == "top" and row == 0) or (side == "bottom" and row == len(rows) - 1)
    path = f"{w('tblBorders')}/{w(side if edge else 'insideH')}"
    return next((level.find(path) for level in levels if level.find(path) is not None), None)


def table_width(table: Any, levels: list[Any], text_twips: float) -> float:
    """The table's width in twips: w:tblW in twips or fiftieths of a percent of the text width, else its grid."""
    tbl_w = next((level.find(w("tblW")) for level in levels if level.find(w("tblW")) is not None), None)
    kind, value = attr(tbl_w, "type") or "auto", float(attr(tbl_w, "w") or 0)
    if kind == "dxa" and value:
        return value
    if kind == "pct" and value:
        return text_twips * value / 5000
    return sum(float(attr(col, "w") or 0) for col in table.iter(w("gridCol")))


def table_left_offset(place: Any, width: float, text: float, margin: float, page: float) -> float:
    """How far (twips) a table positioned by w:tblpPr `place` starts right of the text block's left edge."""
    if place is None:
        return 0.0  # inline, at the margin; not being at the bottom is reported on its own
    spec = attr(place, "tblpXSpec")
    origin, span = (-margin, page) if attr(place, "horzAnchor") == "page" else (0.0, text)
    if spec == "center":
        return origin + (span - width) / 2
    if spec in ("right", "outside"):
        return origin + span - width
    return origin + (0.0 if spec in ("left", "inside") else float(attr(place, "tblpX") or 0))
