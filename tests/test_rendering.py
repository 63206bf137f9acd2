"""GB/T 9704 rendering: four real-shaped documents render conformant, broken ones are caught, helpers are right."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, Twips

from oa.rendering import Deviation, check_docx, render_docx, render_preview_html
from oa.rendering import layout as L
from oa.rendering.content import (
    attachment_lines,
    chinese_numeral,
    copy_number_text,
    format_date,
    note_text,
    number_body,
    organ_marks,
    prepare,
    signer_rows,
    title_lines,
)
from oa.rendering.text_width import text_width

DATA = Path(__file__).parent / "data"
SEED = DATA / "004_qingyuan_huiban.txt"
LEVEL_1 = re.compile(r"^[一二三四五六七八九十]+、")

SG_SZF = {"unit_id": "sg-szf", "name": "韶关市人民政府", "mark": "韶关市人民政府文件", "code": "韶府"}
SG_SZFB = {"unit_id": "sg-szfb", "name": "韶关市人民政府办公室", "mark": "韶关市人民政府办公室文件", "code": "韶府办"}
SG_YJJ = {"unit_id": "sg-yjj", "name": "韶关市应急管理局", "mark": "韶关市应急管理局文件", "code": "韶应急"}


def unit(name: str, unit_id: str | None = None) -> dict[str, Any]:
    return {"unit_id": unit_id, "name": name}


def base(**changes: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "doc_type": "通知", "title": "", "issuers": [SG_SZF], "main_to": [], "copy_to": [], "body": [],
        "attachments": [], "note": "", "contact": None, "signers": [], "written_date": None, "printer": None,
        "printed_date": None, "copy_number": None, "urgency": "", "disclosure": "主动公开", "direction": "下行",
        "doc_number": None,
    }
    content.update(changes)
    return content


def seed_letter() -> dict[str, Any]:
    """清远市人民政府's 会办意见 (tests/data/004_*.txt), parsed as the caller would store it.

    It answers 省政府办公厅's request for the departments' and cities' views on a deputy's proposal:
    a prefecture-level city government and the provincial general office are of equal rank and neither
    leads the other, so this is 平行文 (no 签发人, centred 发文字号), like a 函.
    """
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    main_to = lines[0].rstrip(":：")
    contact = re.fullmatch(r"[(（]聯系人[:：](.+?)[,，]聯系電話[:：](.+?)[)）]", lines[-1])
    assert contact, lines[-1]
    y, m, d = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", lines[-2]).groups()  # type: ignore[union-attr]
    issuer = lines[-3]
    body = [{"level": 1, "text": LEVEL_1.sub("", line)} if LEVEL_1.match(line) else {"level": 0, "text": line}
            for line in lines[1:-3]]
    return base(
        doc_type="会办意见", title="關于進一步加大對少數民族地區“數字政府”建設支持力度的建議的會辦意見",
        issuers=[{"unit_id": "qy-szf", "name": issuer, "mark": "", "code": "清府"}], main_to=[unit(main_to)],
        body=body, contact={"name": contact[1], "phone": contact[2]}, written_date=f"{y}-{int(m):02d}-{int(d):02d}",
        direction="平行",
    )


def downward_notice() -> dict[str, Any]:
    return base(
        title="关于做好2026年冬季森林防火工作的通知",
        main_to=[unit("各县（市、区）人民政府"), unit("市府直属各单位", "sg-szfb")],
        copy_to=[unit("市委办公室", "sg-swb"), unit("市人大常委会办公室", "sg-rdb")],
        body=[
            {"level": 0, "text": "为切实做好今冬明春森林防火工作，经市人民政府同意，现将有关事项通知如下。"},
            {"level": 1, "text": "提高思想认识"},
            {"level": 0, "text": "各地要充分认识森林防火工作的极端重要性。"},
            {"level": 2, "text": "加强组织领导"},
            {"level": 3, "text": "落实行政首长负责制。"},
            {"level": 4, "text": "明确责任分工。"},
            {"level": 4, "text": "细化工作措施。"},
            {"level": 3, "text": "强化督促检查。"},
            {"level": 2, "text": "加强火源管控"},
            {"level": 3, "text": "严格野外用火审批。"},
            {"level": 1, "text": "强化应急准备"},
            {"level": 2, "text": "完善应急预案"},
            {"level": 0, "text": "各地要于2027年1月5日前将工作开展情况报市应急管理局。"},
        ],
        attachments=[{"id": "a1", "title": "2026年冬季森林防火责任表", "file": None},
                     {"id": "a2", "title": "森林防火重点区域名单。", "file": None},
                     {"id": "a3", "title": "森林火情报告表", "file": None}],
        written_date="2026-11-22", printer="韶关市人民政府办公室", printed_date="2026-11-23", copy_number=12,
        urgency="加急", doc_number="韶府〔2026〕12号",
    )


def upward_request() -> dict[str, Any]:
    return base(
        doc_type="请示", title="韶关市人民政府关于申请森林防火专项资金的请示", main_to=[unit("广东省人民政府")],
        body=[{"level": 0, "text": "我市今冬森林防火形势严峻，现就申请专项资金请示如下。"},
              {"level": 1, "text": "基本情况"}, {"level": 0, "text": "全市林地面积大，火险等级高。"},
              {"level": 1, "text": "申请事项"}, {"level": 0, "text": "恳请省人民政府安排专项资金。"},
              {"level": 0, "text": "妥否，请批示。"}],
        signers=["王五", "赵六"], written_date="2026-01-05", contact={"name": "李辉", "phone": "0751-8888888"},
        printer="韶关市人民政府办公室", printed_date="2026-01-05", direction="上行", doc_number="韶府〔2026〕3号",
    )


def joint_notice() -> dict[str, Any]:
    return base(
        title="关于开展2026年安全生产大检查的通知", issuers=[SG_SZFB, SG_YJJ],
        main_to=[unit("各县（市、区）人民政府"), unit("市直有关单位")],
        body=[{"level": 0, "text": "为深入排查安全隐患，决定开展安全生产大检查。"},
              {"level": 1, "text": "检查范围"}, {"level": 0, "text": "全市各类生产经营单位。"}],
        attachments=[{"id": "a1", "title": "安全生产大检查工作方案", "file": None}],
        copy_to=[unit("市委办公室")], written_date="2026-03-09", printer="韶关市人民政府办公室",
        printed_date="2026-03-10", doc_number="韶府办〔2026〕7号",
    )


def letter() -> dict[str, Any]:
    """A 函 between organs of one level: the 信函格式 (GB/T 9704 10.1)."""
    return base(
        doc_type="函", title="关于商请支持森林防火物资调拨的函", issuers=[SG_SZFB],
        main_to=[unit("清远市人民政府办公室")],
        body=[{"level": 0, "text": "今冬我市森林防火形势严峻，为做好物资储备，现商请贵市支持调拨风力灭火机二十台。"},
              {"level": 0, "text": "妥否，请函复。"}],
        copy_to=[unit("市应急管理局")], written_date="2026-11-20", copy_number=3, urgency="加急",
        doc_number="韶府办函〔2026〕3号", printer="韶关市人民政府办公室", printed_date="2026-11-20",
    )


DOCUMENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "seed_letter": seed_letter, "downward_notice": downward_notice,
    "upward_request": upward_request, "joint_notice": joint_notice, "letter": letter,
}


def open_docx(data: bytes) -> docx.document.Document:
    return docx.Document(BytesIO(data))


def save(document: docx.document.Document) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def styled(document: docx.document.Document, element: str) -> list[Any]:
    """Paragraphs (tables included) in the "OA <element>" style, as python-docx Paragraphs."""
    name = f"OA {element}"
    style_id = next(s.style_id for s in document.styles if s.name == name)
    return [docx.text.paragraph.Paragraph(p, document._body) for p in document.element.body.iter(qn("w:p"))
            if p.pPr is not None and p.pPr.pStyle is not None and p.pPr.pStyle.val == style_id]


def texts(document: docx.document.Document, element: str) -> list[str]:
    return [p.text for p in styled(document, element)]


def deviations(data: bytes) -> set[tuple[str, str]]:
    return {(d.element, d.rule) for d in check_docx(data)}


# Conformant documents.

@pytest.mark.parametrize("name", DOCUMENTS)
def test_rendered_documents_conform(name: str) -> None:
    found = check_docx(render_docx(DOCUMENTS[name]()))
    assert found == [], "\n".join(map(str, found))


def test_seed_letter_keeps_its_text_and_structure() -> None:
    content = seed_letter()
    assert sum(1 for b in content["body"] if b["level"] == 1) == 5
    document = open_docx(render_docx(content))
    assert texts(document, "主送") == ["省政府辦公廳："]
    assert [t[:2] for t in texts(document, "一级标题")] == ["一、", "二、", "三、", "四、", "五、"]
    assert texts(document, "一级标题")[0] == "一、關于廣東政務服務網無法進行無縫對接實現數據共享問題"
    assert texts(document, "发文机关标志") == ["清遠市人民政府"]
    assert texts(document, "署名") == ["清遠市人民政府"]
    assert texts(document, "成文日期") == ["2020年4月21日"]
    assert texts(document, "附注") == ["（联系人：李輝，联系电话：0763-3372803）"]
    assert texts(document, "签发人") == [] and texts(document, "发文字号") == [""]
    assert styled(document, "发文字号")[0].alignment == 1  # centred: 平行文
    # No 印发机关 given: the 版记 carries the issuer's office and the 成文日期 (GB/T 9704 7.4.3).
    assert texts(document, "抄送") == [] and texts(document, "印发") == ["清遠市人民政府办公室\t2020年4月21日印发"]


def test_downward_notice_elements() -> None:
    document = open_docx(render_docx(downward_notice()))
    assert texts(document, "份号") == ["000012"]
    assert texts(document, "紧急程度") == ["加急"]
    assert texts(document, "发文字号") == ["韶府〔2026〕12号"]
    assert texts(document, "主送") == ["各县（市、区）人民政府，市府直属各单位："]
    assert texts(document, "一级标题") == ["一、提高思想认识", "二、强化应急准备"]
    assert texts(document, "二级标题") == ["（一）加强组织领导", "（二）加强火源管控", "（一）完善应急预案"]
    assert texts(document, "三级标题") == ["1.落实行政首长负责制。", "2.强化督促检查。", "1.严格野外用火审批。"]
    assert texts(document, "四级标题") == ["（1）明确责任分工。", "（2）细化工作措施。"]
    assert texts(document, "附件说明") == [
        "附件：1.\t2026年冬季森林防火责任表", "2.\t森林防火重点区域名单", "3.\t森林火情报告表"]
    assert texts(document, "抄送") == ["抄送：市委办公室，市人大常委会办公室。"]
    assert texts(document, "印发") == ["韶关市人民政府办公室\t2026年11月23日印发"]
    assert texts(document, "成文日期") == ["2026年11月22日"]
    heading = styled(document, "一级标题")[0].runs[0]._r
    assert heading.rPr.rFonts.get(qn("w:eastAsia")) == L.HEITI
    for paragraph in styled(document, "正文"):
        for run in paragraph.runs:
            assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == L.FANGSONG
            assert run.font.size == Pt(16)
        assert paragraph.paragraph_format.line_spacing == Pt(L.LINE_PITCH_PT)
    title = styled(document, "标题")[0]
    assert title.alignment == 1 and title.runs[0].font.size == Pt(22)
    assert title.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == L.XIAOBIAOSONG
    mark = styled(document, "发文机关标志")[0]
    assert mark.text == "韶关市人民政府文件" and str(mark.runs[0].font.color.rgb) == L.RED
    section = document.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579" and grid.get(qn("w:type")) == "lines"
    assert grid.get(qn("w:charSpace")) is None
    normal = document.styles["Normal"].element.rPr
    assert normal.rFonts.get(qn("w:eastAsia")) == L.FANGSONG and normal.sz_val == Pt(16)
    assert document.core_properties.title == "关于做好2026年冬季森林防火工作的通知"


def char_spacing(run: Any) -> str | None:
    spacing = run._r.rPr.find(qn("w:spacing"))
    return None if spacing is None else spacing.get(qn("w:val"))


def test_3hao_runs_are_condensed_onto_28_characters_per_line() -> None:
    assert L.CHAR_PITCH_PT == 15.75 and L.CHAR_SPACING_TWIPS == -5
    assert L.chars_per_line(L.TEXT_WIDTH_PT, 16, -5) == 28 and L.chars_per_line(L.TEXT_WIDTH_PT, 16, 0) == 27
    assert L.indent_twips(2) == 630  # two characters of 15.75 pt
    document = open_docx(render_docx(upward_request()))
    for element in ("发文字号", "主送", "正文", "一级标题", "署名", "成文日期", "附注"):
        for paragraph in styled(document, element):
            assert {char_spacing(run) for run in paragraph.runs if run.text} == {"-5"}, element
    for element in ("标题", "发文机关标志", "印发"):
        for paragraph in styled(document, element):
            assert {char_spacing(run) for run in paragraph.runs if run.text} == {"0"}, element
    assert styled(document, "正文")[0].paragraph_format.first_line_indent == Twips(630)
    assert document.styles["OA 正文"].element.rPr.find(qn("w:spacing")).get(qn("w:val")) == "-5"


def test_imprint_is_a_full_width_table_at_the_bottom_ruled_thick_thin_thick() -> None:
    document = open_docx(render_docx(downward_notice()))
    table = document.tables[-1]
    assert [row.cells[0].text for row in table.rows] == [
        "抄送：市委办公室，市人大常委会办公室。", "韶关市人民政府办公室\t2026年11月23日印发"]
    tbl_pr = table._tbl.tblPr
    place = tbl_pr.find(qn("w:tblpPr"))
    assert place.get(qn("w:vertAnchor")) == "margin" and place.get(qn("w:tblpYSpec")) == "bottom"
    assert place.get(qn("w:horzAnchor")) == "page" and int(place.get(qn("w:tblpX"))) == L.mm_to_twips(28)
    assert tbl_pr.find(qn("w:tblW")).get(qn("w:w")) == str(L.TEXT_WIDTH_TWIPS)
    borders = tbl_pr.find(qn("w:tblBorders"))
    widths = [borders.find(qn(f"w:{side}")).get(qn("w:sz")) for side in ("top", "insideH", "bottom")]
    assert widths == [str(L.RULE_THICK_SZ), str(L.RULE_THIN_SZ), str(L.RULE_THICK_SZ)] == ["8", "6", "8"]
    # The floating table is anchored to a one-point paragraph after it, the last of the document.
    anchor = document.paragraphs[-1]
    assert anchor.text == "" and anchor._p.getprevious() is table._tbl
    separator = styled(document, "分隔线")[0]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert separator.get(qn("w:color")) == "FF0000"


def test_page_number_footers_odd_right_even_left() -> None:
    document = open_docx(render_docx(downward_notice()))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, align in ((section.footer, 2), (section.even_page_footer, 0)):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph.alignment == align
        assert paragraph.runs[0].font.size == Pt(14)
        assert paragraph.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == L.SONGTI
    assert section.footer.paragraphs[0].paragraph_format.right_indent == Pt(14)
    assert section.even_page_footer.paragraphs[0].paragraph_format.left_indent == Pt(14)


def test_upward_request_has_signers_beside_the_number() -> None:
    document = open_docx(render_docx(upward_request()))
    number = styled(document, "发文字号")[0]
    assert number.text == "韶府〔2026〕3号\t签发人：王五\u3000赵六"
    assert number.alignment == 0 and number.paragraph_format.left_indent == Twips(L.indent_twips(1))
    names = [r for r in number.runs if r.style.name == L.SIGNER_NAME_STYLE]
    assert [r.text for r in names] == ["王五\u3000赵六"]
    assert names[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == L.KAITI
    label = next(r for r in number.runs if "签发人" in r.text)
    assert label._r.rPr.rFonts.get(qn("w:eastAsia")) == L.FANGSONG
    assert texts(document, "成文日期") == ["2026年1月5日"]
    assert texts(document, "附注") == ["（联系人：李辉，联系电话：0751-8888888）"]


def test_upward_request_with_three_signers_wraps_and_stays_conformant() -> None:
    content = upward_request() | {"signers": ["王五", "赵六", "欧阳明"]}
    data = render_docx(content)
    assert check_docx(data) == []
    document = open_docx(data)
    assert texts(document, "签发人") == ["\t签发人：王五\u3000赵六"]
    assert texts(document, "发文字号") == ["韶府〔2026〕3号\t\t欧阳明"]


def test_long_title_breaks_before_guanyu() -> None:
    assert title_lines("韶关市人民政府关于申请森林防火专项资金的请示") == [
        "韶关市人民政府", "关于申请森林防火专项资金的请示"]
    assert title_lines("关于做好2026年冬季森林防火工作的通知") == ["关于做好2026年冬季森林防火工作的通知"]
    title = styled(open_docx(render_docx(upward_request())), "标题")[0]
    assert title.text == "韶关市人民政府\n关于申请森林防火专项资金的请示"
    assert "<h1><span>韶关市人民政府</span><span>关于申请森林防火专项资金的请示</span></h1>" in render_preview_html(
        upward_request())


# Titles of 21–30 characters that a break before 关于 cannot fit, each with the lines a typesetter would set:
# between words (never 防/火, 公/路, 营/商, 安/全), no stranded word, no hourglass.
LONG_TITLES = {
    "关于开展全市农村公路安全隐患排查整治的通知": ["关于开展全市农村公路", "安全隐患排查整治的通知"],
    "关于印发韶关市进一步优化营商环境若干措施的通知": ["关于印发韶关市进一步优化", "营商环境若干措施的通知"],
    "关于加强全市道路交通安全和防火工作的紧急通知": ["关于加强全市道路交通", "安全和防火工作的紧急通知"],
    "关于进一步加强全市农村公路安全防护设施建设和养护管理工作的通知": [
        "关于进一步加强全市农村公路安全", "防护设施建设和养护管理工作的通知"],
    "始兴县人民政府关于进一步加强森林防火工作的通知": ["始兴县人民政府", "关于进一步加强森林防火工作的通知"],
}


@pytest.mark.parametrize("title", LONG_TITLES)
def test_long_titles_break_between_words(title: str) -> None:
    assert title_lines(title) == LONG_TITLES[title]
    data = render_docx(downward_notice() | {"title": title})
    assert styled(open_docx(data), "标题")[0].text == "\n".join(LONG_TITLES[title])
    assert [d for d in check_docx(data) if d.element == "标题"] == []


def test_a_title_broken_inside_a_word_or_left_to_wrap_is_caught() -> None:
    def broken(lines: list[str]) -> list[Deviation]:
        def mutate(document: docx.document.Document) -> None:
            run = styled(document, "标题")[0].runs[0]
            run.text = "\n".join(lines)
        document = open_docx(render_docx(downward_notice()))
        mutate(document)
        return [d for d in check_docx(save(document)) if d.element == "标题"]

    # What a break before 关于 alone used to leave: one 25-character line the word processor wraps anywhere.
    found = broken(["关于进一步加强全市农村公路安全防护设施建设和养护管理工作的通知"])
    assert [(d.rule, d.found.split("，")[0]) for d in found] == [("回行", "第 1 行 31 字")]
    found = broken(["关于开展全市农村公", "路安全隐患排查整治的通知"])
    assert [(d.rule, d.found) for d in found] == [("回行", "词内断行 村公/路安")]
    found = broken(["始兴县人民政府关于加强", "森林防火", "工作的通知"])
    assert [(d.rule, d.found) for d in found] == [("排列", "沙漏形 (各行 11/4/5 字)")]


def test_signature_and_date_stay_with_the_text_above() -> None:
    def keep(paragraph: Any) -> bool:
        return bool(paragraph.paragraph_format.keep_with_next)

    document = open_docx(render_docx(upward_request()))
    body = styled(document, "正文")
    assert keep(body[-1]) and not keep(body[-2])
    # The 附注 goes right under the date, on its page: the date keeps with it.
    assert keep(styled(document, "署名")[0]) and keep(styled(document, "成文日期")[0])
    assert not keep(styled(document, "附注")[0])
    assert styled(document, "附注")[0].paragraph_format.space_before == 0
    joint = open_docx(render_docx(joint_notice()))  # with 附件说明 the chain starts there
    assert not keep(styled(joint, "正文")[-1]) and keep(styled(joint, "附件说明")[0])
    assert [keep(p) for p in styled(joint, "署名")] == [True]  # one row: both organs side by side


def test_joint_notice_stacks_both_marks_in_red() -> None:
    document = open_docx(render_docx(joint_notice()))
    marks = styled(document, "发文机关标志")
    assert [p.text for p in marks if p.text] == ["韶关市人民政府办公室", "韶关市应急管理局", "文件"]
    for paragraph in marks:
        for run in paragraph.runs:
            assert str(run.font.color.rgb) == L.RED
            assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == L.XIAOBIAOSONG
    assert texts(document, "署名") == ["\t韶关市人民政府办公室\t韶关市应急管理局"]
    assert texts(document, "附件说明") == ["附件：安全生产大检查工作方案"]
    assert texts(document, "发文字号") == ["韶府办〔2026〕7号"]
    table = document.tables[0]
    assert sum(c.width for c in table.rows[0].cells) <= Mm(L.TEXT_WIDTH_MM)


def test_draft_without_number_date_or_imprint_still_conforms() -> None:
    content = downward_notice() | {"doc_number": None, "written_date": None, "printer": None, "copy_to": [],
                                   "copy_number": None, "urgency": "", "printed_date": None}
    data = render_docx(content)
    assert check_docx(data) == []
    document = open_docx(data)
    assert texts(document, "成文日期") == [] and texts(document, "抄送") == []
    assert texts(document, "印发") == ["韶关市人民政府办公室"]  # the 版记 keeps its 印发 line, undated as yet
    assert texts(document, "发文字号") == [""]
    upward = upward_request() | {"doc_number": None, "written_date": None}
    assert check_docx(render_docx(upward)) == []
    assert texts(open_docx(render_docx(upward)), "发文字号") == ["\t签发人：王五\u3000赵六"]


def test_joint_signatures_stand_side_by_side_with_seals_apart() -> None:
    from oa.rendering.signatures import date_centre_mm, signature_rows

    document = open_docx(render_docx(joint_notice()))
    row = styled(document, "署名")[0]
    stops = [(t.alignment, round(t.position.mm, 1)) for t in row.paragraph_format.tab_stops]
    assert [a for a, _ in stops] == [WD_TAB_ALIGNMENT.CENTER] * 2
    left, right = (x for _, x in stops)
    assert right == pytest.approx(date_centre_mm("2026年3月9日"), abs=0.2)  # the last seal covers the date
    assert right - left >= L.SEAL_DIAMETER_MM + L.SEAL_GAP_MM and left >= L.SEAL_DIAMETER_MM / 2
    # Three organs: two side by side, the third a seal's height below, over the date.
    rows = signature_rows(["韶关市人民政府", "韶关市应急管理局", "韶关市林业局"], "2026年3月9日")
    assert [r.names for r in rows] == [("韶关市人民政府", "韶关市应急管理局"), ("韶关市林业局",)]
    assert rows[1].lines_before == L.SEAL_ROW_LINES - 1
    three = render_docx(joint_notice() | {"issuers": [SG_SZFB, SG_YJJ, unit("韶关市林业局")]})
    assert check_docx(three) == []
    # Names too long to stand side by side each get a row of their own, still a seal apart.
    long_names = ["韶关市乳源瑶族自治县人民政府办公室", "韶关市乳源瑶族自治县应急管理局"]
    assert [len(r.names) for r in signature_rows(long_names, "2026年3月9日")] == [1, 1]


def stack_joint_signatures(document: docx.document.Document) -> None:
    """The layout before side-by-side signatures: one name under the other, two lines apart."""
    row = styled(document, "署名")[0]
    second = copy.deepcopy(row._p)
    row._p.addnext(second)
    for paragraph, name in ((row._p, "韶关市人民政府办公室"), (second, "韶关市应急管理局")):
        ppr = paragraph.pPr
        ppr.remove(ppr.find(qn("w:tabs")))
        ppr.find(qn("w:jc")).set(qn("w:val"), "right")
        ppr.find(qn("w:ind")).set(qn("w:right"), str(L.indent_twips(5)))
        runs = paragraph.findall(qn("w:r"))
        for extra in runs[1:]:
            paragraph.remove(extra)
        runs[0].find(qn("w:t")).text = name
    second.pPr.find(qn("w:spacing")).set(qn("w:before"), str(2 * L.LINE_PITCH_TWIPS))


def test_stacked_joint_signatures_whose_seals_would_overlap_are_caught() -> None:
    mutate = stack_joint_signatures
    found = break_and_check(mutate, joint_notice())
    assert found == {("署名", "印章位置")}


def test_note_sits_right_under_the_date_and_keeps_with_it() -> None:
    def spaced(document: docx.document.Document) -> None:
        styled(document, "附注")[0].paragraph_format.space_before = Twips(L.LINE_PITCH_TWIPS)

    def loose(document: docx.document.Document) -> None:
        styled(document, "成文日期")[0].paragraph_format.keep_with_next = False
    assert break_and_check(spaced, upward_request()) == {("附注", "位置")}
    assert break_and_check(loose, upward_request()) == {("附注", "与成文日期同页")}


def test_widow_control_and_hanging_punctuation_are_off_and_caught_when_on() -> None:
    document = open_docx(render_docx(downward_notice()))
    assert styled(document, "正文")[0].paragraph_format.widow_control is False

    def widows(document: docx.document.Document) -> None:
        styled(document, "正文")[1].paragraph_format.widow_control = True

    def hanging(document: docx.document.Document) -> None:
        for paragraph in styled(document, "正文")[:1]:
            paragraph._p.pPr.find(qn("w:overflowPunct")).set(qn("w:val"), "1")
    assert break_and_check(widows) == {("正文", "孤行控制")}
    assert break_and_check(hanging) == {("正文", "标点溢出边界")}


def test_wrapped_attachment_names_line_up_under_their_first_character() -> None:
    document = open_docx(render_docx(downward_notice()))
    items = styled(document, "附件说明")
    # After "附件：", "1." and half a character's gap before the name.
    name_at = L.indent_twips(L.ATTACHMENT_LEFT_CHARS + L.ATTACHMENT_LABEL_CHARS + 1.5)
    assert [p.paragraph_format.left_indent.twips for p in items] == [name_at] * 3
    starts = [Length(p.paragraph_format.left_indent + p.paragraph_format.first_line_indent).twips for p in items]
    assert starts == pytest.approx([L.indent_twips(2), L.indent_twips(5), L.indent_twips(5)], abs=2)

    assert break_and_check(align_attachments_under_the_label) == {("附件说明", "回行对齐")}


def align_attachments_under_the_label(document: docx.document.Document) -> None:
    """Wrapped 附件 names starting under "1." instead of under the name."""
    for paragraph in styled(document, "附件说明"):
        first = paragraph.paragraph_format.left_indent + paragraph.paragraph_format.first_line_indent
        paragraph.paragraph_format.left_indent = Twips(L.indent_twips(5))
        paragraph.paragraph_format.first_line_indent = first - Twips(L.indent_twips(5))


def leave_no_room_for_joint_names(document: docx.document.Document) -> None:
    """The joint organs' names column exactly as wide as the widest name."""
    cell = document.tables[0].rows[0].cells[0]
    size = cell.paragraphs[0].runs[0].font.size.pt
    cell.width = Twips(round(text_width("韶关市人民政府办公室") * size * L.TWIPS_PER_PT))


def test_joint_organ_names_have_room_in_their_column() -> None:
    assert break_and_check(leave_no_room_for_joint_names, joint_notice()) == {("发文机关标志", "联合行文排列")}


def test_a_letter_is_set_in_the_letter_form() -> None:
    document = open_docx(render_docx(letter()))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    head = section.first_page_header.paragraphs[0]
    assert head.text == "韶关市人民政府办公室"  # the organ's name, no 文件
    assert str(head.runs[0].font.color.rgb) == L.RED
    assert head._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")) == L.LETTER_TOP_RULE
    foot = section.first_page_footer.paragraphs[0]
    assert foot._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")) == L.LETTER_BOTTOM_RULE
    assert "PAGE" not in foot._p.xml  # page 1 carries no number
    assert texts(document, "份号") == ["000003\t韶府办函〔2026〕3号"]  # 发文字号 at the right of the 份号's line
    assert texts(document, "发文机关标志") == [] and texts(document, "印发") == []  # no 文件 mark, no 印发 row
    assert document.tables[0]._tbl.tblPr.find(qn("w:tblBorders")).find(qn("w:top")).get(qn("w:val")) not in (
        "single",)  # the 版记 has no rules
    # Anything numbered as a letter is one; a 通知 may choose the letter form; a 函 the file form.
    assert prepare(downward_notice() | {"doc_number": "韶府办函〔2026〕9号"}).letter
    assert prepare(downward_notice() | {"form": "信函格式"}).letter
    assert not prepare(letter() | {"doc_number": None, "form": "文件格式"}).letter


def test_a_letter_numbered_document_set_as_a_file_is_caught() -> None:
    def numbered_as_a_letter(document: docx.document.Document) -> None:
        styled(document, "发文字号")[0].runs[0].text = "韶府办函〔2026〕12号"
    assert ("版式", "信函格式") in break_and_check(numbered_as_a_letter)


# Broken documents: each must be reported.

def break_and_check(mutate: Callable[[docx.document.Document], None],
                    content: dict[str, Any] | None = None) -> set[tuple[str, str]]:
    document = open_docx(render_docx(content or downward_notice()))
    mutate(document)
    return deviations(save(document))


def test_title_font_size_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        styled(document, "标题")[0].runs[0].font.size = Pt(20)
    assert ("标题", "字号") in break_and_check(mutate)


def test_body_run_without_east_asian_font_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        fonts = styled(document, "正文")[0].runs[0]._r.rPr.rFonts
        del fonts.attrib[qn("w:eastAsia")]
    assert break_and_check(mutate) == {("正文", "东亚字体")}


def test_run_level_font_override_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        styled(document, "二级标题")[0].runs[0]._r.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
        styled(document, "正文")[1].runs[0].font.bold = True
        styled(document, "主送")[0].runs[0].font.color.rgb = docx.shared.RGBColor(0, 0, 0xFF)
    found = break_and_check(mutate)
    assert {("二级标题", "字体"), ("正文", "加粗"), ("主送", "颜色")} <= found


def test_style_level_change_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        style = document.styles["OA 正文"]
        style.paragraph_format.line_spacing = Pt(24)
        for paragraph in styled(document, "正文"):
            spacing = paragraph._p.pPr.find(qn("w:spacing"))
            for attr in ("w:line", "w:lineRule"):
                spacing.attrib.pop(qn(attr), None)
    assert ("正文", "行距") in break_and_check(mutate)


def test_top_margin_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        document.sections[0].top_margin = Mm(30)
    document = open_docx(render_docx(downward_notice()))
    mutate(document)
    assert Deviation("页面", "上边距", "37 mm ±1", "30.0 mm") in check_docx(save(document))


def test_margin_within_tolerance_is_accepted() -> None:
    def mutate(document: docx.document.Document) -> None:
        document.sections[0].top_margin = Mm(36.3)  # a larger block still holds 22 lines
    assert break_and_check(mutate) == set()


def test_black_separator_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        bottom = styled(document, "分隔线")[0]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
        bottom.set(qn("w:color"), "000000")
    assert break_and_check(mutate) == {("分隔线", "颜色")}


def test_indented_separator_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        styled(document, "分隔线")[0].paragraph_format.left_indent = Mm(10)
    assert ("分隔线", "跨度") in break_and_check(mutate)


def imprint_table(document: docx.document.Document) -> Any:
    return document.tables[-1]._tbl


def test_thin_imprint_first_rule_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        imprint_table(document).tblPr.find(qn("w:tblBorders")).find(qn("w:top")).set(qn("w:sz"), "6")
    assert break_and_check(mutate) == {("版记首条分隔线", "线宽")}


def test_missing_middle_imprint_rule_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        imprint_table(document).tblPr.find(qn("w:tblBorders")).find(qn("w:insideH")).set(qn("w:val"), "nil")
    assert break_and_check(mutate) == {("版记中间分隔线", "缺失")}


def test_imprint_following_the_text_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        tbl_pr = imprint_table(document).tblPr
        tbl_pr.remove(tbl_pr.find(qn("w:tblpPr")))  # an inline table, right after the date
    assert break_and_check(mutate) == {("版记", "位置")}


def test_imprint_at_the_top_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        imprint_table(document).tblPr.find(qn("w:tblpPr")).set(qn("w:tblpYSpec"), "top")
    assert break_and_check(mutate) == {("版记", "位置")}


def test_imprint_as_paragraphs_after_the_text_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        table = imprint_table(document)
        for paragraph in list(table.iter(qn("w:p"))):
            table.addprevious(paragraph)
        table.getparent().remove(table)
    assert break_and_check(mutate) == {("版记", "位置")}


def test_narrow_imprint_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        imprint_table(document).tblPr.find(qn("w:tblW")).set(qn("w:w"), str(L.mm_to_twips(140)))
    assert break_and_check(mutate) == {("版记", "跨度")}


def test_body_run_without_condensed_spacing_is_caught() -> None:
    def override(document: docx.document.Document) -> None:
        # Text pasted with its own formatting: the run sets spacing 0 over the condensed style.
        styled(document, "正文")[0].runs[0]._r.rPr.find(qn("w:spacing")).set(qn("w:val"), "0")
    assert break_and_check(override) == {("正文", "字距")}

    def missing(document: docx.document.Document) -> None:
        # Nothing condenses the run: neither the run, nor its style chain, nor the document defaults.
        run = styled(document, "二级标题")[0].runs[0]._r
        defaults = document.styles.element.find(qn("w:docDefaults"))
        levels = [run.rPr, defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))]
        levels += [document.styles[name].element.rPr for name in ("OA 二级标题", "Normal")]
        for rpr in levels:
            rpr.remove(rpr.find(qn("w:spacing")))
    assert break_and_check(missing) == {("二级标题", "字距"), ("默认样式", "每行字数")}


def test_character_grid_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        grid = document.sections[0]._sectPr.find(qn("w:docGrid"))
        grid.set(qn("w:type"), "linesAndChars")
        grid.set(qn("w:charSpace"), "-848")
    assert break_and_check(mutate) == {("文档网格", "类型")}


def test_footer_without_em_dashes_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        runs = document.sections[0].footer.paragraphs[0].runs
        runs[0].text, runs[-1].text = "第", "页"
    assert ("页码", "奇数页格式") in break_and_check(mutate)


def test_footer_without_page_field_and_same_odd_even_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        document.settings.odd_and_even_pages_header_footer = False
        paragraph = document.sections[0].even_page_footer.paragraphs[0]._p
        for node in list(paragraph.iter(qn("w:fldChar"), qn("w:instrText"))):
            node.getparent().remove(node)
    found = break_and_check(mutate)
    assert {("页码", "奇偶页不同"), ("页码", "偶数页PAGE 域")} <= found


def test_zero_padded_date_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        styled(document, "成文日期")[0].runs[0].text = "2026年01月05日"
    assert break_and_check(mutate) == {("成文日期", "日期格式")}


def test_bad_doc_number_and_main_to_are_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        styled(document, "发文字号")[0].runs[0].text = "韶府[2026]012号"
        styled(document, "主送")[0].runs[0].text = "各县（市、区）人民政府:"
    assert {("发文字号", "格式"), ("主送", "格式")} <= break_and_check(mutate)


def test_upward_number_centred_is_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        styled(document, "发文字号")[0].alignment = 1
    assert ("发文字号", "对齐") in break_and_check(mutate, upward_request())


def test_missing_title_and_mark_are_caught() -> None:
    def mutate(document: docx.document.Document) -> None:
        for element in ("标题", "发文机关标志"):
            for paragraph in styled(document, element):
                paragraph._p.getparent().remove(paragraph._p)
    assert {("标题", "缺失"), ("发文机关标志", "缺失")} <= break_and_check(mutate)


def test_deviation_reads_well() -> None:
    text = str(Deviation("标题", "字号", "22 pt", "20 pt"))
    assert "标题" in text and "字号" in text and "22 pt" in text and "20 pt" in text


# Pure helpers.

@pytest.mark.parametrize(("n", "text"), [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (19, "十九"), (20, "二十"),
                                         (21, "二十一"), (90, "九十"), (99, "九十九"), (100, "一百"), (101, "一百零一"),
                                         (110, "一百一十"), (115, "一百一十五")])
def test_chinese_numerals(n: int, text: str) -> None:
    assert chinese_numeral(n) == text


def test_heading_counters_reset_below_their_level() -> None:
    levels = [1, 2, 3, 4, 4, 3, 2, 3, 1, 2, 0, 3, 4]
    numbers = [line.number for line in number_body([{"level": lv, "text": "x"} for lv in levels])]
    assert numbers == [
        "一、", "（一）", "1.", "（1）", "（2）", "2.", "（二）", "1.", "二、", "（一）", "", "1.", "（1）"]
    many = number_body([{"level": 1, "text": "x"}] * 12)
    assert [line.number for line in many][9:] == ["十、", "十一、", "十二、"]


def test_dates_and_small_texts() -> None:
    assert format_date("2026-01-05") == "2026年1月5日"
    assert format_date("2026-11-22") == "2026年11月22日"
    assert copy_number_text(12) == "000012" and copy_number_text(None) == ""
    assert note_text("", {"name": "李辉", "phone": "0763-3372803"}) == "（联系人：李辉，联系电话：0763-3372803）"
    assert note_text("此件公开发布", {"name": "李辉", "phone": "1"}) == "（此件公开发布）"
    assert note_text("（此件公开发布）", None) == "（此件公开发布）" and note_text("", None) == ""
    assert attachment_lines([{"title": "名单。"}]) == ["附件：名单"]
    assert attachment_lines([{"title": "甲"}, {"title": "乙"}]) == ["附件：1. 甲", "2. 乙"]
    assert organ_marks([SG_SZF]) == (["韶关市人民政府文件"], "")
    assert organ_marks([SG_SZFB, SG_YJJ]) == (["韶关市人民政府办公室", "韶关市应急管理局"], "文件")
    assert organ_marks([{"name": "甲局", "mark": ""}, {"name": "乙局", "mark": ""}]) == (["甲局", "乙局"], "")
    assert signer_rows(["a", "b", "c"]) == [["a", "b"], ["c"]] and signer_rows([]) == [[]]


# HTML preview.

def test_preview_escapes_and_fits_a_phone() -> None:
    content = downward_notice() | {"title": "<script>alert('x')</script>通知"}
    html = render_preview_html(content)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'lang="zh-CN"' in html and html.lstrip().startswith("<!DOCTYPE html>")
    for expected in ("韶关市人民政府文件", "韶府〔2026〕12号", "一、提高思想认识", "（一）加强组织领导",
                     "1.落实行政首长负责制。", "（1）明确责任分工。", "附件：1. 2026年冬季森林防火责任表",
                     "2026年11月22日", "抄送：市委办公室，市人大常委会办公室。", "2026年11月23日印发", "000012",
                     "加急", "FangSong"):
        assert expected in html, expected
    assert "http://" not in html and "https://" not in html and "@import" not in html


def test_preview_upward_and_joint() -> None:
    html = render_preview_html(upward_request())
    assert "签发人：" in html and "王五" in html and "赵六" in html
    html = render_preview_html(joint_notice())
    assert "韶关市人民政府办公室" in html and "韶关市应急管理局" in html and "文件" in html
    assert render_preview_html(seed_letter()).count("、") >= 5
