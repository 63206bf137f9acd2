"""Pictures of the issued PDF (the 版式文件 every reader sees) of the example documents, seals pressed.

    python docs/rendering/make_pdf_images.py

Each document of tests/test_rendering.py and tests/test_rendering_forms.py is typeset and written by
oa.rendering (the faces the service finds: the official fonts from OA_FONT_DIR, else the open Debian
stand-ins, named in the output), with each signing organ's seal drawn by oa.seals as the flow's 生成正式文件
step presses it, and its pages are rasterised at 60 dpi by pypdfium2 into pdf-*.png here:
- pdf-notice-page1.png, pdf-notice-last.png: a 下行 通知 with three attachments, the 版记 on its last, even page;
- pdf-request-page1.png: a 上行 请示 with three 签发人;
- pdf-joint-last.png: a joint 通知 of two organs, their seals side by side over their own names;
- pdf-letter-page1.png: a 函 in the 信函格式;
- pdf-order-page1.png: a 公布令 in the 命令（令）格式, the 签发人's 签名章 on the name;
- pdf-minutes-page1.png: a 常务会议纪要 in the 纪要格式;
- pdf-attachment-page.png: an attachment printed in full, from a new page.
Before a picture is saved the typeset pages are checked against the page count the .docx is built on.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import pypdfium2 as pdfium  # noqa: E402

from oa.rendering import render_pdf  # noqa: E402
from oa.rendering.content import prepare  # noqa: E402
from oa.rendering.fonts import font_set  # noqa: E402
from oa.rendering.page_model import SEAL  # noqa: E402
from oa.rendering.pagination import paginate  # noqa: E402
from oa.seals import draw_seal  # noqa: E402
from oa.seals.image import draw_name_stamp  # noqa: E402
from tests.test_rendering import downward_notice, joint_notice, letter, upward_request  # noqa: E402
from tests.test_rendering_forms import minutes, notice_with_attachment_texts, order  # noqa: E402

DPI = 60


def pictures(content: dict[str, Any], pages: dict[str, int]) -> None:
    """Save the pages named in `pages` ({file stem: page index, -1 for the last})."""
    _, laid = render_pdf(content)
    names = {issuer["unit_id"]: issuer["name"] for issuer in content["issuers"]}
    seals = {spot.image_key: (draw_seal(names[spot.unit_id]) if spot.kind == SEAL else draw_name_stamp(spot.label)).png
             for _, spot in laid.seal_spots if spot.unit_id}
    data, laid = render_pdf(content, seals)
    expected = paginate(prepare(content))
    if len(laid.pages) < expected.text_pages:
        raise SystemExit(f"{content['title']}: {len(laid.pages)} pages typeset, the .docx has {expected.text_pages}")
    pdf = pdfium.PdfDocument(data)
    for stem, index in pages.items():
        page = index % len(pdf)
        pdf[page].render(scale=DPI / 72).to_pil().save(HERE / f"{stem}.png")
        print(f"wrote {HERE / stem}.png (page {page + 1} of {len(pdf)})")


def main() -> None:
    print("faces:", "; ".join(font_set().substitutions) or "the official fonts")
    pictures(downward_notice(), {"pdf-notice-page1": 0, "pdf-notice-last": -1})
    pictures(upward_request() | {"signers": ["王五", "赵六", "欧阳明"]}, {"pdf-request-page1": 0})
    pictures(joint_notice(), {"pdf-joint-last": -1})
    pictures(letter(), {"pdf-letter-page1": 0})
    pictures(order(), {"pdf-order-page1": 0})
    pictures(minutes(), {"pdf-minutes-page1": 0})
    content = notice_with_attachment_texts()
    first_attachment = len(render_pdf(content)[1].pages) - 2  # the 版记 page follows the attachments' pages
    pictures(content, {"pdf-attachment-page": max(first_attachment, 1)})


if __name__ == "__main__":
    main()
