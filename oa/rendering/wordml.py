"""Low-level WordprocessingML writing for the .docx renderer: schema-ordered children, run and paragraph formatting.

python-docx covers only part of the properties GB/T 9704 needs (w:eastAsia fonts, character spacing, exact
indents in twips, table positioning), so these helpers write the XML directly, in the order the schema
requires: Word refuses a document whose property children are out of order.
"""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement

from oa.rendering import layout as L

PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
             "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
             "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
             "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
             "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
             "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w",
             "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign",
             "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")
TBLPR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
               "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook")
BORDER_ORDER = ("top", "left", "bottom", "right", "insideH", "insideV")


def child(parent: BaseOxmlElement, tag: str, order: tuple[str, ...]) -> BaseOxmlElement:
    """The `w:tag` child of `parent`, created in schema order if missing."""
    found = parent.find(qn(f"w:{tag}"))
    if found is not None:
        return found
    element = OxmlElement(f"w:{tag}")
    rank = order.index(tag)
    for index, sibling in enumerate(parent):
        name = sibling.tag.rsplit("}", 1)[-1]
        if name in order and order.index(name) > rank:
            parent.insert(index, element)
            return element
    parent.append(element)
    return element


def set_attrs(element: BaseOxmlElement, **attrs: object) -> None:
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), str(value))


def format_run(rpr: BaseOxmlElement, font: str, size_pt: float, color: str, spacing_twips: int) -> None:
    """Font, size, colour and character spacing; 3号 text is condensed onto the 28-character grid (layout.py)."""
    fonts = child(rpr, "rFonts", RPR_ORDER)
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    # python-docx's font.name leaves w:eastAsia alone, and Chinese text is drawn with the eastAsia font.
    set_attrs(fonts, ascii=font, hAnsi=font, eastAsia=font, cs=font, hint="eastAsia")
    set_attrs(child(rpr, "color", RPR_ORDER), val=color)
    # Written even when 0, so text off the grid does not inherit the condensed default.
    set_attrs(child(rpr, "spacing", RPR_ORDER), val=spacing_twips)
    half_points = round(size_pt * 2)
    set_attrs(child(rpr, "sz", RPR_ORDER), val=half_points)
    set_attrs(child(rpr, "szCs", RPR_ORDER), val=half_points)


def format_paragraph(ppr: BaseOxmlElement, spec: L.ElementSpec) -> None:
    """Spacing, grid snapping, alignment and indents of an element as layout.ELEMENTS states them."""
    typeset_on_grid(ppr)
    spacing = child(ppr, "spacing", PPR_ORDER)
    set_attrs(spacing, before=0, after=0)
    if spec.line_twips:
        set_attrs(spacing, line=spec.line_twips, lineRule="exact")
    if not spec.snap_to_grid:
        set_attrs(child(ppr, "snapToGrid", PPR_ORDER), val=0)
    set_attrs(child(ppr, "jc", PPR_ORDER), val=spec.align[0])
    left = spec.left_chars or 0.0
    first = spec.first_line_chars if spec.first_line_chars is not None else left
    indent(ppr, spec.size_pt, left=left, right=spec.right_chars or 0.0, first=first)


def typeset_on_grid(ppr: BaseOxmlElement) -> None:
    """What keeps every page at 22 lines of 28 characters: no widow/orphan control (it would end a page a line
    early to keep two lines of a paragraph together), no punctuation hanging into the right margin (a "。"
    past the block's edge), and 避头尾 (kinsoku) on, so a line never starts with closing punctuation."""
    set_attrs(child(ppr, "widowControl", PPR_ORDER), val=0)
    set_attrs(child(ppr, "kinsoku", PPR_ORDER), val=1)
    set_attrs(child(ppr, "overflowPunct", PPR_ORDER), val=0)


def indent(ppr: BaseOxmlElement, size_pt: float, *, left: float, right: float, first: float) -> None:
    """Indents in characters; `first` is where the first line starts, measured like `left` from the margin."""
    ind = child(ppr, "ind", PPR_ORDER)
    ind.attrib.clear()
    set_attrs(ind, left=L.indent_twips(left, size_pt), right=L.indent_twips(right, size_pt))
    # Always explicit, so nothing is inherited from the style chain.
    if first < left:
        set_attrs(ind, hanging=L.indent_twips(left - first, size_pt))
    else:
        set_attrs(ind, firstLine=L.indent_twips(first - left, size_pt))


def borders(parent: BaseOxmlElement, sides: dict[str, int | None], color: str) -> None:
    """w:tblBorders-like children of `parent`: a single line `sz` eighths of a point wide, or none for None."""
    for side in BORDER_ORDER:
        if side not in sides:
            continue
        element = child(parent, side, BORDER_ORDER)
        element.attrib.clear()
        sz = sides[side]
        if sz:
            set_attrs(element, val="single", sz=sz, space=0, color=color)
        else:
            set_attrs(element, val="nil")
