"""Writes the corpus of deliberately broken .docx files, one per rule, and what the checker must say of each.

Run from the repository root:  python tests/docx_corpus/make_corpus.py
Each file is a conformant rendering with one thing broken the way clerks' files break; expected.json maps the
file to the (element, rule) pairs the checker reports for it (a rule may also be reported on other elements the
same change broke), and whether the first of them needs the laid-out pages.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

from oa.rendering import layout as L  # noqa: E402
from oa.rendering import render_docx  # noqa: E402
from tests.test_rendering import (  # noqa: E402
    align_attachments_under_the_label,
    downward_notice,
    joint_notice,
    leave_no_room_for_joint_names,
    letter,
    seed_letter,
    stack_joint_signatures,
    styled,
    upward_request,
)
from tests.test_rendering_forms import (  # noqa: E402
    align_names_under_the_label,
    drop_the_printing_line,
    minutes,
    notice_with_attachment_texts,
    order,
    run_the_attachment_on,
    set_the_mark_where_a_file_has_it,
)

Mutation = Callable[[Any], None]


def _title_in_one_line(document: Any) -> None:
    styled(document, "标题")[0].runs[0].text = "关于进一步加强全市农村公路安全防护设施建设和养护管理工作的通知"


def _title_broken_mid_word(document: Any) -> None:
    styled(document, "标题")[0].runs[0].text = "关于开展全市农村公\n路安全隐患排查整治的通知"


def _note_a_line_below(document: Any) -> None:
    styled(document, "附注")[0].paragraph_format.space_before = Pt(L.LINE_PITCH_PT)


def _widow_control_on(document: Any) -> None:
    for element in document.element.body.iter(qn("w:widowControl")):
        element.set(qn("w:val"), "1")
    for element in document.styles.element.iter(qn("w:widowControl")):
        element.set(qn("w:val"), "1")


def _punctuation_may_hang(document: Any) -> None:
    for part in (document.element.body, document.styles.element):
        for element in part.iter(qn("w:overflowPunct")):
            element.set(qn("w:val"), "1")


def _separator_low(document: Any) -> None:
    style = next(s for s in document.styles if s.name == L.SEPARATOR_STYLE)
    style.element.pPr.find(qn("w:spacing")).set(qn("w:line"), str(L.mm_to_twips(L.SEPARATOR_GAP_MM)))
    for paragraph in document.element.body.iter(qn("w:p")):
        ppr = paragraph.pPr
        if ppr is not None and ppr.pStyle is not None and ppr.pStyle.val == style.style_id:
            paragraph.pPr.find(qn("w:spacing")).set(qn("w:line"), str(L.mm_to_twips(L.SEPARATOR_GAP_MM)))


def _page_number_low(document: Any) -> None:
    document.sections[0].footer_distance = Mm(23.06)


def _imprint_kept_on_the_text_page(document: Any) -> None:
    """The 版记 left on page 1 of a one-page notice (the renderer moves it to page 2)."""
    for element in list(document.element.body.iter(qn("w:pageBreakBefore"))):
        element.getparent().remove(element)


def _letterhead_dropped(document: Any) -> None:
    """A 函 printed as a 文件 would be: no letterhead on page 1."""
    document.sections[0].different_first_page_header_footer = False


ONE_PAGE = downward_notice() | {"body": [{"level": 0, "text": "请认真贯彻执行。"}], "attachments": []}

# file name: (content, mutation, [(element, rule)], needs the laid-out pages)
CORPUS: dict[str, tuple[dict[str, Any], Mutation | None, list[tuple[str, str]], bool]] = {
    "title_one_long_line.docx": (downward_notice(), _title_in_one_line,
                                 [("标题", "回行"), ("标题", "回行（排版）")], True),
    "title_broken_mid_word.docx": (downward_notice(), _title_broken_mid_word,
                                   [("标题", "回行"), ("标题", "回行（排版）")], False),
    "imprint_on_odd_page.docx": (ONE_PAGE, _imprint_kept_on_the_text_page, [("版记", "所在页（排版）")], True),
    "joint_mark_without_slack.docx": (joint_notice(), leave_no_room_for_joint_names,
                                      [("发文机关标志", "联合行文排列")], False),
    "note_a_line_below_the_date.docx": (upward_request(), _note_a_line_below,
                                        [("附注", "位置"), ("附注", "位置（排版）")], True),
    "joint_signatures_stacked.docx": (joint_notice(), stack_joint_signatures, [("署名", "印章位置")], False),
    "widow_control_on.docx": (seed_letter(), _widow_control_on, [("正文", "孤行控制"), ("正文", "每页行数（排版）")],
                              False),
    "separator_too_low.docx": (downward_notice(), _separator_low, [("分隔线", "与发文字号距离（排版）")], True),
    "page_number_too_low.docx": (downward_notice(), _page_number_low, [("页码", "一字线与版心距离（排版）")], True),
    "punctuation_may_hang.docx": (seed_letter(), _punctuation_may_hang,
                                  [("正文", "标点溢出边界"), ("正文", "版心右边界（排版）")], False),
    "letter_printed_as_a_file.docx": (letter(), _letterhead_dropped,
                                      [("版式", "信函格式"), ("发文机关标志", "缺失"), ("版记首条分隔线", "缺失"),
                                       ("印发", "缺失"), ("版记", "所在页（排版）")], False),
    "attachment_names_not_aligned.docx": (downward_notice(), align_attachments_under_the_label,
                                          [("附件说明", "回行对齐")], False),
    "order_mark_set_as_a_file.docx": (order(), set_the_mark_where_a_file_has_it, [("发文机关标志", "位置")], False),
    "minutes_names_under_the_label.docx": (minutes(), align_names_under_the_label,
                                           [("出席", "回行对齐"), ("请假", "回行对齐"), ("列席", "回行对齐")], False),
    "attachment_run_on.docx": (notice_with_attachment_texts(), run_the_attachment_on,
                               [("附件", "另面编排"), ("附件", "另面编排（排版）"), ("版记", "所在页（排版）")], False),
    "imprint_without_printing_line.docx": (downward_notice(), drop_the_printing_line, [("印发", "缺失")], False),
}


def build(name: str) -> bytes:
    content, mutate, _, _ = CORPUS[name]
    data = render_docx(content)
    if mutate is None:
        return data
    document = docx.Document(BytesIO(data))
    mutate(document)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def main() -> None:
    expected = {}
    for name, (_, _, rules, layout) in CORPUS.items():
        (HERE / name).write_bytes(build(name))
        expected[name] = {"rules": [list(rule) for rule in rules], "needs_layout": layout}
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(CORPUS)} files to {HERE}")


if __name__ == "__main__":
    main()
