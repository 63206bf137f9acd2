"""The fixed-layout PDF, measured in mm on its pages as PDFium reads them.

The typesetter must break pages where the .docx does (pagination.py, itself held to LibreOffice in
test_pagination.py), put the 版记 on the last even page with the blank page unnumbered, and place every
element where GB/T 9704 puts it; the file must embed its fonts, give back its text, and cost milliseconds.
"""

from __future__ import annotations

import itertools
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from oa.rendering import layout as L
from oa.rendering import render_pdf, render_sealed_docx
from oa.rendering.content import prepare
from oa.rendering.pagination import paginate
from oa.rendering.signatures import seal_overlaps
from oa.rendering.typeset import typeset
from tests.test_pagination import documents, form_documents
from tests.test_rendering import downward_notice, joint_notice, letter, upward_request
from tests.test_rendering_forms import minutes, notice_with_attachment_texts, order

MM = 25.4 / 72  # mm per point
PAGE_TOP_PT = L.mm_to_pt(L.PAGE_HEIGHT_MM)
BLOCK_LEFT, BLOCK_RIGHT = L.MARGIN_LEFT_MM, L.MARGIN_LEFT_MM + L.TEXT_WIDTH_MM
BLOCK_TOP, BLOCK_BOTTOM = L.MARGIN_TOP_MM, L.MARGIN_TOP_MM + L.TEXT_HEIGHT_MM


class Measured:
    """A PDF's characters with their ink boxes, in mm from the page's top-left corner."""

    def __init__(self, data: bytes) -> None:
        self.pdf = pdfium.PdfDocument(data)

    def chars(self, index: int, loose: bool = False) -> list[tuple[str, float, float, float, float]]:
        """(char, left, top, right, bottom): the ink's box, or with `loose` the font's (the same for a line)."""
        text = self.pdf[index].get_textpage()
        found = []
        for i in range(text.count_chars()):
            char = text.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = text.get_charbox(i, loose=loose)
            found.append((char, left * MM, (PAGE_TOP_PT - top) * MM, right * MM, (PAGE_TOP_PT - bottom) * MM))
        return found

    def text(self, index: int) -> str:
        return self.pdf[index].get_textpage().get_text_range()

    def lines(self, index: int) -> list[tuple[float, float, float]]:
        """Horizontal strokes: (x0, x1, y) in mm."""
        found = []
        for obj in self.pdf[index].get_objects():
            if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
                left, bottom, right, top = obj.get_bounds()
                if right - left > 50:
                    found.append((left * MM, right * MM, (PAGE_TOP_PT - (top + bottom) / 2) * MM))
        return found

    def baselines(self, index: int) -> list[float]:
        """The baselines text is set on, in mm from the top (each text object's origin)."""
        return sorted({round((PAGE_TOP_PT - obj.get_matrix().f) * MM, 2) for obj in self.pdf[index].get_objects()
                       if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT})

    def __len__(self) -> int:
        return len(self.pdf)


def pdf_of(content: dict) -> Measured:
    data, _ = render_pdf(content)
    return Measured(data)


@pytest.mark.parametrize("made", [documents, form_documents])
def test_pages_break_where_the_docx_does_and_the_imprint_is_on_an_even_page(made) -> None:  # type: ignore[no-untyped-def]
    placements = set()
    for content in made():
        pages = paginate(prepare(content))
        laid = typeset(content)
        expected = pages.text_pages
        if pages.imprint_page is not None:
            expected = pages.imprint_page + (pages.imprint_page % 2)
            placements.add("blank page" if pages.imprint_page % 2 and pages.text_pages % 2 == 0 else
                           "moved" if pages.imprint_page % 2 else "shared")
        assert len(laid.pages) == expected, pages
        if pages.imprint_page is not None and pages.imprint_page % 2 and pages.text_pages % 2 == 0:
            # 7.5: a blank page before the 版记 page, and neither is numbered.
            assert [p.number for p in laid.pages[-2:]] == [None, None]
            assert laid.pages[-2].texts == []
        assert [p.number for p in laid.pages[:pages.text_pages]] == list(range(1, pages.text_pages + 1))
    assert placements == {"shared", "moved", "blank page"} if made is documents else placements


def test_the_downward_notice_measured_in_mm() -> None:
    pdf = pdf_of(downward_notice())
    first = pdf.chars(0)
    assert all(left >= BLOCK_LEFT - 0.3 and right <= BLOCK_RIGHT + 0.3 for _, left, _, right, _ in first
               if _ != "—"), "text outside the block"
    # 发文机关标志: red, centred, its top 35 mm below the block's top (ink of 韶 starts a little below the em box).
    mark = [c for c in first if c[0] in "韶关市人民政府文件"][:9]
    assert 35 <= mark[0][2] - BLOCK_TOP <= 36.5
    assert abs((mark[0][1] + mark[-1][3]) / 2 - (BLOCK_LEFT + BLOCK_RIGHT) / 2) < 1.0
    # The red separator: 4 mm under the 发文字号's baseline, the block's full width.
    number = next(c for c in first if c[0] == "号")
    separator = next(line for line in pdf.lines(0) if line[2] < 150)
    # (PDFium's bounds take in half the stroke's width at each end.)
    assert abs(separator[0] - BLOCK_LEFT) < 0.6 and abs(separator[1] - BLOCK_RIGHT) < 0.6
    assert 3.0 <= separator[2] - number[4] <= 4.6
    # Body lines on the 28.95 pt pitch, first lines two characters in.
    text = pdf.text(0)
    assert "韶府〔2026〕12号" in text and "关于做好2026年冬季森林防火工作的通知" in text.replace("\r\n", "")
    body = [y for y in pdf.baselines(0) if 160 < y < BLOCK_BOTTOM]  # from 主送 down
    steps = [b - a for a, b in itertools.pairwise(body)]
    assert steps and all(abs(step - L.LINE_PITCH_PT * MM) < 0.3 for step in steps), steps
    # Page number: the dash 7 mm below the block, page 1 at the right one character in.
    dashes = [c for c in first if c[0] == "—"]
    assert dashes and all(abs((c[2] + c[4]) / 2 - (BLOCK_BOTTOM + 7)) < 0.4 for c in dashes)
    assert abs(dashes[-1][3] - (BLOCK_RIGHT - L.SIZE_4 * MM)) < 0.6


def test_the_imprint_sits_on_the_block_bottom_ruled_thick_thin_thick() -> None:
    pdf = pdf_of(downward_notice())
    last = len(pdf) - 1
    assert len(pdf) % 2 == 0
    rules = sorted(y for _, _, y in pdf.lines(last))
    assert len(rules) >= 3 and abs(rules[-1] - BLOCK_BOTTOM) < 0.3
    copy_to = next(c for c in pdf.chars(last) if c[0] == "抄")
    assert abs(copy_to[1] - (BLOCK_LEFT + L.SIZE_4 * MM)) < 0.5  # one 4号 character in


def test_joint_seals_stand_side_by_side_inside_the_block() -> None:
    laid = typeset(joint_notice())
    spots = [spot for _, spot in laid.seal_spots]
    assert len(spots) == 2 and abs(spots[0].centre_y_mm - spots[1].centre_y_mm) < 0.01
    circles = [(str(i), s.centre_x_mm - BLOCK_LEFT, s.diameter_mm) for i, s in enumerate(spots)]
    assert seal_overlaps(circles) == []
    assert all(s.centre_x_mm - s.diameter_mm / 2 >= BLOCK_LEFT and s.centre_x_mm + s.diameter_mm / 2 <= BLOCK_RIGHT
               for s in spots)


def test_the_seal_covers_signature_and_date_and_stays_within_a_line_of_the_text() -> None:
    content = downward_notice()
    content["attachments"] = []
    laid = typeset(content)
    page_index, spot = laid.seal_spots[-1]
    page = laid.pages[page_index]
    date = next(t for t in page.texts if re.fullmatch(L.DATE_PATTERN, t.text))
    name = next(t for t in page.texts if t.text == content["issuers"][0]["name"])
    above = max(t.baseline_mm for t in page.texts if t.baseline_mm < name.baseline_mm - 15)
    text_bottom = above + 0.12 * L.BODY_SIZE_PT * MM  # the em box's bottom under the last line of text
    seal_top = spot.centre_y_mm - spot.diameter_mm / 2
    assert 0 < seal_top - text_bottom < L.LINE_PITCH_PT * MM, "the seal's top must be within one line of the text"
    # 署名 and 成文日期 sit at and just under the seal's centre ("居印章中心偏下").
    assert spot.centre_y_mm <= date.baseline_mm < spot.centre_y_mm + spot.diameter_mm / 2
    assert abs(name.baseline_mm - spot.centre_y_mm) < L.LINE_PITCH_PT * MM


def test_a_letter_has_its_letterhead_and_no_page_number_on_page_1() -> None:
    laid = typeset(letter())
    first = laid.pages[0]
    assert first.number is None
    red_rules = sorted(r.y_mm for r in first.rules if r.color == L.RED)
    assert len(red_rules) == 4
    assert abs(red_rules[-1] + 0.13 - (L.PAGE_HEIGHT_MM - L.LETTER_BOTTOM_RULE_MM)) < 0.3
    assert all(abs((r.x1_mm - r.x0_mm) - L.LETTER_RULE_LENGTH_MM) < 0.01 for r in first.rules if r.color == L.RED)


def test_upward_request_signers_and_the_number_share_a_line() -> None:
    laid = typeset(upward_request())
    texts = laid.pages[0].texts
    label = next(t for t in texts if t.text == "签发人：")
    number = next(t for t in texts if "〔" in t.text)
    assert number.x_mm == pytest.approx(BLOCK_LEFT + L.CHAR_PITCH_MM, abs=0.01)
    assert label.baseline_mm <= number.baseline_mm


def test_fonts_are_embedded_and_substitutions_stated() -> None:
    data, _ = render_pdf(downward_notice())
    assert data.count(b"/CIDFontType2") == data.count(b"/FontFile2") >= 2
    assert b"/OAFontSubstitution" in data and b"pdfaid:part>2<" in data


def test_characters_missing_from_a_face_come_from_another() -> None:
    content = downward_notice()
    content["body"] = [{"level": 0, "text": "堃镕喆䶮昇珺"}]
    pdf = pdf_of(content)
    assert "堃镕喆䶮昇珺" in pdf.text(0).replace("\r\n", "")


def test_the_docx_carries_the_seals_where_the_pdf_presses_them() -> None:
    from io import BytesIO

    import docx
    from docx.oxml.ns import qn
    from PIL import Image

    content = joint_notice()
    image = BytesIO()
    Image.new("RGBA", (100, 100), (230, 0, 18, 255)).save(image, format="PNG")
    seals = {issuer["unit_id"]: image.getvalue() for issuer in content["issuers"]}
    document = docx.Document(BytesIO(render_sealed_docx(content, seals)))
    anchors = document.element.body.findall(".//" + qn("wp:anchor"))
    spots = [spot for _, spot in typeset(content).seal_spots]
    assert len(anchors) == len(spots) == 2
    for anchor, spot in zip(anchors, spots, strict=True):
        x = int(anchor.find(qn("wp:positionH")).find(qn("wp:posOffset")).text) / 36000
        y = int(anchor.find(qn("wp:positionV")).find(qn("wp:posOffset")).text) / 36000
        assert abs(x + spot.diameter_mm / 2 - spot.centre_x_mm) < 0.01
        assert abs(y + spot.diameter_mm / 2 - spot.centre_y_mm) < 0.01
        assert anchor.find(qn("wp:positionH")).get("relativeFrom") == "page"


def test_an_order_has_its_mark_20_mm_down_its_number_and_no_separator_or_title() -> None:
    content = order()
    doc = prepare(content)
    pdf = pdf_of(content)
    first = pdf.chars(0)
    assert doc.marks[0].endswith("令") and doc.marks[0] in pdf.text(0).replace("\r\n", "")
    assert 20 <= first[0][2] - BLOCK_TOP <= 21.5  # the mark's top
    assert doc.order_number in pdf.text(0)
    assert not [line for line in pdf.lines(0) if line[2] < 150], "an order has no red separator"
    laid = typeset(content)
    assert not [t for page in laid.pages for t in page.texts if t.size_pt == L.SIZE_2], "an order prints no title"
    texts = [t.text for page in laid.pages for t in page.texts]
    assert doc.stamp_line in texts


def test_minutes_have_their_number_over_the_separator_and_the_name_lists() -> None:
    content = minutes()
    doc = prepare(content)
    laid = typeset(content)
    page = laid.pages[0]
    labels = [t for p in laid.pages for t in p.texts if t.text in ("出席：", "请假：", "列席：")]
    assert [t.text for t in labels] == [names.label for names in doc.name_lists]
    assert all(t.role == L.HEITI and abs(t.x_mm - (BLOCK_LEFT + 2 * L.CHAR_PITCH_MM)) < 0.01 for t in labels)
    number = next(t for t in page.texts if t.text == doc.minutes_number)
    separator = next(r for r in page.rules if r.color == L.RED)
    assert abs(separator.y_mm - number.baseline_mm - L.SEPARATOR_GAP_MM) < 0.01
    assert laid.seal_spots == []  # a 纪要 carries no 署名 and no seal


def test_an_attachment_in_full_starts_its_own_page_before_the_imprint() -> None:
    content = notice_with_attachment_texts()
    doc = prepare(content)
    laid = typeset(content)
    starts = [index for index, page in enumerate(laid.pages) for t in page.texts[:1]
              if t.text in [a.label for a in doc.attachment_pages]]
    assert len(starts) == len(doc.attachment_pages)
    for index in starts:
        label = laid.pages[index].texts[0]
        assert label.role == L.HEITI and abs(label.x_mm - BLOCK_LEFT) < 0.01
        assert label.baseline_mm < BLOCK_TOP + 10  # on the first line of the page
    assert len(laid.pages) % 2 == 0 and laid.pages[-1].rules  # the 版记 still ends on an even page


def test_an_orders_signature_stamp_is_pressed_on_the_signers_name() -> None:
    from oa.rendering.page_model import NAME_STAMP
    from oa.seals.image import draw_name_stamp

    content = order()
    doc = prepare(content)
    laid = typeset(content)
    [(page_index, stamp)] = laid.seal_spots
    assert stamp.kind == NAME_STAMP and stamp.label == doc.signer_name and stamp.diameter_mm == 18.0
    assert stamp.unit_id == content["issuers"][0]["unit_id"]  # signed with the host organ's key
    line = next(t for t in laid.pages[page_index].texts if t.text == doc.stamp_line)
    assert line.baseline_mm - 8 < stamp.centre_y_mm < line.baseline_mm + 2
    data, _ = render_pdf(content, {stamp.image_key: draw_name_stamp(doc.signer_name).png})
    images = [obj for obj in pdfium.PdfDocument(data)[page_index].get_objects()
              if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
    assert len(images) == 1
    left, _, right, _ = images[0].get_bounds()
    assert abs((right - left) * MM - 18.0) < 0.1 and abs((left + right) / 2 * MM - stamp.centre_x_mm) < 0.1


def test_the_font_reader_agrees_with_fonttools() -> None:
    """oa/rendering/sfnt.py reads character maps, advances, glyph offsets and bounds as fontTools does."""
    from fontTools.ttLib import TTFont

    from oa.rendering.fonts import font_set

    for face in {id(f): f for f in font_set().faces.values()}.values():
        reference = TTFont(str(face.path), fontNumber=face.index, lazy=True)
        order = reference.getGlyphOrder()
        ids = {name: gid for gid, name in enumerate(order)}
        assert all(face.cmap.get(code) == ids[name] for code, name in reference.getBestCmap().items())
        assert list(face.advances) == [reference["hmtx"].metrics[name][0] for name in order]
        head = reference["head"]
        assert face.bbox == (head.xMin, head.yMin, head.xMax, head.yMax)
        assert len(face.loca) == len(order) + 1 and face.loca[-1] <= reference.reader.tables["glyf"].length
