"""GB/T 9704 special forms and attachment pages: a 命令（令）, a 纪要 and a notice whose attachments carry their
own text render conformant, the 版记 always carries its 印发 line, and each broken the way clerks break them is
reported, on the properties and on the laid-out pages."""

from __future__ import annotations

from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Twips

from oa.rendering import check_docx, render_docx, render_preview_html
from oa.rendering import layout as L
from oa.rendering.content import prepare
from oa.rendering.forms import FILE_FORM, LETTER_FORM, MINUTES_FORM, ORDER_FORM, resolve_form
from oa.rendering.laid_out import lay_out_all
from oa.rendering.pagination import paginate
from tests.test_rendering import SG_SZF, base, break_and_check, downward_notice, open_docx, styled, texts, unit

ATTENDEES = ["王五", "赵六", "钱七", "孙八", "李九", "周十", "吴十一", "郑十二", "王十三", "冯十四", "陈十五", "褚十六",
             "卫十七"]


def order() -> dict[str, Any]:
    """A 公布令 of the city government: the 命令（令）格式 (GB/T 9704 10.2)."""
    return base(
        doc_type="命令", title="韶关市森林防火办法", issuers=[SG_SZF], order_number=12, signer_title="市长",
        signers=["王五"],
        body=[{"level": 0, "text": "《韶关市森林防火办法》已经2026年11月20日市人民政府第5次常务会议通过，现予公布，"
                                   "自2027年1月1日起施行。"}],
        written_date="2026-11-22", copy_to=[unit("市委办公室")], printer="韶关市人民政府办公室",
        printed_date="2026-11-23", doc_number="韶府〔2026〕20号",
    )


def minutes() -> dict[str, Any]:
    """The city government's 常务会议纪要: the 纪要格式 (GB/T 9704 10.3)."""
    return base(
        doc_type="纪要", title="关于研究冬季森林防火工作的会议纪要", meeting="常务会议", minutes_number=5,
        body=[{"level": 0, "text": "2026年11月20日，市长王五主持召开市人民政府常务会议，研究冬季森林防火工作。"
                                   "纪要如下："},
              {"level": 1, "text": "关于物资储备"}, {"level": 0, "text": "会议要求各县（市、区）落实物资储备。"}],
        attendees=ATTENDEES, absent=["蒋十八（出差）"], attending=["市应急管理局 沈十九", "市林业局 韩二十"],
        written_date="2026-11-21", copy_to=[unit("各县（市、区）人民政府")],
    )


def notice_with_attachment_texts() -> dict[str, Any]:
    """The downward notice whose first and third attachments are printed in full after the 附注."""
    content = downward_notice()
    first, second, third = content["attachments"]
    content["attachments"] = [
        {**first, "body": [{"level": 1, "text": "责任分工"},
                           {"level": 0, "text": "各县（市、区）人民政府对本行政区域森林防火工作负总责。" * 3}]},
        second, {**third, "body": [{"level": 0, "text": "发现火情，立即报告当地森林防火指挥部。"}]}]
    return content


FORM_DOCUMENTS = {"order": order, "minutes": minutes, "attachments": notice_with_attachment_texts}


@pytest.mark.parametrize("name", FORM_DOCUMENTS)
def test_special_forms_render_conformant(name: str) -> None:
    found = check_docx(render_docx(FORM_DOCUMENTS[name]()))
    assert found == [], "\n".join(map(str, found))


def test_the_form_follows_the_type_unless_chosen() -> None:
    assert resolve_form(None, "命令", None) == ORDER_FORM and resolve_form(None, "令", None) == ORDER_FORM
    assert resolve_form(None, "纪要", None) == MINUTES_FORM and resolve_form(None, "通知", None) == FILE_FORM
    assert resolve_form(FILE_FORM, "纪要", None) == FILE_FORM
    assert resolve_form(MINUTES_FORM, "通知", None) == MINUTES_FORM
    assert resolve_form(ORDER_FORM, "命令", "韶府办函〔2026〕3号") == LETTER_FORM


# 命令（令）格式.

def test_an_order_has_its_mark_number_and_signature_stamp() -> None:
    document = open_docx(render_docx(order()))
    mark = styled(document, "发文机关标志")
    assert [p.text for p in mark] == ["韶关市人民政府令"] and str(mark[0].runs[0].font.color.rgb) == L.RED
    # Its top 20 mm below the text block's (GB/T 9704 10.2), not the 文件格式's 35 mm.
    assert mark[0].paragraph_format.space_before == Twips(L.mm_to_twips(20))
    assert texts(document, "令号") == ["第12号"] and styled(document, "令号")[0].alignment == 1
    assert styled(document, "令号")[0].paragraph_format.space_before == Twips(2 * L.LINE_PITCH_TWIPS)
    # No 发文字号, separator or title: the body two lines under the 令号.
    assert texts(document, "发文字号") == [] and texts(document, "分隔线") == [] and texts(document, "标题") == []
    assert styled(document, "正文")[0].paragraph_format.space_before == Twips(2 * L.LINE_PITCH_TWIPS)
    # The post two characters left of the 签名章 (the name), four characters in from the right; the date a line under.
    stamp = styled(document, "签发人签名章")[0]
    assert stamp.text == "市长\u3000\u3000王五" and stamp.alignment == 2
    assert stamp.paragraph_format.right_indent == Twips(L.indent_twips(4))
    assert stamp.paragraph_format.space_before == Twips(2 * L.LINE_PITCH_TWIPS)
    assert styled(document, "成文日期")[0].paragraph_format.space_before == Twips(L.LINE_PITCH_TWIPS)
    assert texts(document, "署名") == [] and texts(document, "印发") == ["韶关市人民政府办公室\t2026年11月23日印发"]


def set_the_mark_where_a_file_has_it(document: docx.document.Document) -> None:
    """An order's mark 35 mm down, as a 文件's would be."""
    styled(document, "发文机关标志")[0].paragraph_format.space_before = Twips(L.mm_to_twips(35))


def test_an_order_mark_set_as_a_files_and_a_bad_order_number_are_caught() -> None:
    assert break_and_check(set_the_mark_where_a_file_has_it, order()) == {("发文机关标志", "位置")}

    def numbered_as_a_file(document: docx.document.Document) -> None:
        styled(document, "令号")[0].runs[0].text = "韶府令〔2026〕12号"
    assert break_and_check(numbered_as_a_file, order()) == {("令号", "格式")}


# 纪要格式.

def test_minutes_have_their_mark_number_and_name_lists() -> None:
    document = open_docx(render_docx(minutes()))
    assert texts(document, "发文机关标志") == ["韶关市人民政府常务会议纪要"]
    assert texts(document, "期号") == ["第5期"] and texts(document, "发文字号") == []
    assert len(styled(document, "分隔线")) == 1 and texts(document, "署名") == []
    attendees = styled(document, "出席")[0]
    assert attendees.text == "出席：" + "、".join(ATTENDEES)
    label, names = attendees.runs
    assert label.text == "出席：" and label.style.name == L.NAME_LIST_LABEL_STYLE
    assert label._r.rPr.rFonts.get(qn("w:eastAsia")) == L.HEITI
    assert names._r.rPr.rFonts.get(qn("w:eastAsia")) == L.FANGSONG
    # Two characters in, a wrapped line under the first name; one line under the body.
    form = attendees.paragraph_format
    assert form.left_indent == Twips(L.indent_twips(5)) and form.first_line_indent == Twips(-L.indent_twips(3))
    assert form.space_before == Twips(L.LINE_PITCH_TWIPS)
    assert texts(document, "请假") == ["请假：蒋十八（出差）"]
    assert texts(document, "列席") == ["列席：市应急管理局 沈十九、市林业局 韩二十"]
    assert texts(document, "印发") == ["韶关市人民政府办公室\t2026年11月21日印发"]  # defaults: the office, the date
    # Without a 期号, the 发文字号 stands in its place.
    numbered = open_docx(render_docx(minutes() | {"minutes_number": None, "doc_number": "韶府纪〔2026〕5号"}))
    assert texts(numbered, "发文字号") == ["韶府纪〔2026〕5号"] and texts(numbered, "期号") == []


def align_names_under_the_label(document: docx.document.Document) -> None:
    """Wrapped attendees starting under "出席" instead of under the first name."""
    for element in L.NAME_LIST_ELEMENTS:
        for paragraph in styled(document, element):
            paragraph.paragraph_format.left_indent = Twips(L.indent_twips(2))
            paragraph.paragraph_format.first_line_indent = Twips(0)


def test_minutes_names_not_under_the_first_name_and_a_signed_minutes_are_caught() -> None:
    found = break_and_check(align_names_under_the_label, minutes())
    assert found == {("出席", "回行对齐"), ("请假", "回行对齐"), ("列席", "回行对齐")}

    def label_in_fangsong(document: docx.document.Document) -> None:
        styled(document, "出席")[0].runs[0].style = None
        styled(document, "出席")[0].runs[0]._r.rPr.rFonts.set(qn("w:eastAsia"), L.FANGSONG)
    assert break_and_check(label_in_fangsong, minutes()) == {("出席", "字体")}
    signed = render_docx(minutes() | {"form": "纪要格式", "doc_type": "通知"})  # a 通知 set as minutes: no 署名
    assert texts(open_docx(signed), "署名") == [] and check_docx(signed) == []

    def headed_as_minutes(document: docx.document.Document) -> None:
        """A 文件 whose mark was retyped "…纪要": it still signs."""
        styled(document, "发文机关标志")[0].runs[0].text = "韶关市人民政府常务会议纪要"
    assert break_and_check(headed_as_minutes) == {("署名", "纪要格式")}


# Attachments printed in full.

def test_attachment_texts_start_new_pages_before_the_imprint() -> None:
    content = notice_with_attachment_texts()
    document = open_docx(render_docx(content))
    labels = styled(document, "附件标识")
    assert [p.text for p in labels] == ["附件1", "附件3"]  # numbered as in the 附件说明
    assert all(p.paragraph_format.page_break_before for p in labels)
    assert labels[0].runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == L.HEITI
    assert texts(document, "附件标题") == ["2026年冬季森林防火责任表", "森林火情报告表"]
    assert styled(document, "附件标题")[0].paragraph_format.space_before == Twips(L.LINE_PITCH_TWIPS)  # line 3
    assert texts(document, "一级标题")[-1] == "一、责任分工"
    # The 版记 comes after them, and the page count knows they start pages of their own.
    body = document.element.body
    assert body.index(labels[-1]._p) < body.index(document.tables[-1]._tbl)
    assert paginate(prepare(content)).text_pages == 4
    one = open_docx(render_docx(content | {"attachments": content["attachments"][:1]}))
    assert texts(one, "附件标识") == ["附件"]  # the only attachment has no number


def run_the_attachment_on(document: docx.document.Document) -> None:
    """An attachment printed straight after the 附注, on the same page."""
    for paragraph in styled(document, "附件标识"):
        paragraph.paragraph_format.page_break_before = False


def test_an_attachment_run_on_after_the_text_is_caught() -> None:
    assert break_and_check(run_the_attachment_on, notice_with_attachment_texts()) == {("附件", "另面编排")}


# The 版记's 印发 line.

def drop_the_printing_line(document: docx.document.Document) -> None:
    """A 版记 with 抄送 only, as files without a 印发机关 used to be rendered."""
    table = document.tables[-1]
    table._tbl.remove(table.rows[-1]._tr)


def test_the_imprint_always_carries_its_printing_line() -> None:
    bare = downward_notice() | {"copy_to": [], "printer": None, "printed_date": None}
    document = open_docx(render_docx(bare))
    assert [row.cells[0].text for row in document.tables[-1].rows] == ["韶关市人民政府办公室\t2026年11月22日印发"]
    office = downward_notice() | {"issuers": [{**SG_SZF, "name": "韶关市人民政府办公室"}], "printer": None}
    assert prepare(office).printer == "韶关市人民政府办公室"  # an office prints its own documents
    assert break_and_check(drop_the_printing_line) == {("印发", "缺失")}

    def drop_the_imprint(document: docx.document.Document) -> None:
        document.tables[-1]._tbl.getparent().remove(document.tables[-1]._tbl)
    assert break_and_check(drop_the_imprint) == {("版记", "缺失")}
    assert not prepare(downward_notice() | {"form": "信函格式"}).printer  # a letter's 版记 has none (10.1)


# As laid out.

def test_special_forms_lay_out_as_the_standard_places_them() -> None:
    contents = [order(), minutes(), notice_with_attachment_texts()]
    broken = open_docx(render_docx(notice_with_attachment_texts()))
    run_the_attachment_on(broken)
    rendered = [render_docx(content) for content in contents]
    layouts = lay_out_all([*rendered, _save(broken)])
    for data, layout in zip(rendered, layouts, strict=False):
        found = check_docx(data, layout)
        assert found == [], "\n".join(map(str, found))
    order_page = [line.text for line in layouts[0].on_page(1)]
    assert order_page[:2] == ["韶关市人民政府令", "第12号"] and "市长王五" in order_page
    mark = layouts[0].on_page(1)[0]
    number = layouts[0].on_page(1)[1]
    assert number.baseline_mm - mark.baseline_mm > 2 * L.twips_to_mm(L.LINE_PITCH_TWIPS)
    attendees = [line for line in layouts[1].lines if line.text.startswith("出席")]
    wrapped = layouts[1].lines[layouts[1].lines.index(attendees[0]) + 1]
    assert abs(wrapped.left_mm - attendees[0].chars[3][1]) < 0.5  # under the first name
    labels = [line for line in layouts[2].lines if line.text in ("附件1", "附件3")]
    assert [line.page for line in labels] == [3, 4] and layouts[2].pages == 4
    assert all(line is layouts[2].on_page(line.page)[0] for line in labels)  # first on its page
    assert ("附件", "另面编排（排版）") in {(d.element, d.rule) for d in check_docx(_save(broken), layouts[3])}


def _save(document: docx.document.Document) -> bytes:
    from tests.test_rendering import save
    return save(document)


# Preview.

def test_preview_shows_the_special_forms() -> None:
    html = render_preview_html(order())
    assert "韶关市人民政府令" in html and "第12号" in html and "市长\u3000\u3000王五" in html
    assert "<h1>" not in html and 'class="rule"' not in html
    html = render_preview_html(minutes())
    assert "韶关市人民政府常务会议纪要" in html and "第5期" in html
    assert '<span class="label">出席：</span>王五、赵六' in html and '<span class="label">列席：</span>' in html
    html = render_preview_html(notice_with_attachment_texts())
    assert html.count('class="attachment"') == 2 and "附件3" in html and "发现火情" in html
    assert html.index("附件3") < html.index("2026年11月23日印发")
