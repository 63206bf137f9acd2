"""Renders example documents of tests/test_rendering.py and saves pictures of their pages in this folder.

    python docs/rendering/make_images.py

Each .docx from oa.rendering is laid out by LibreOffice exactly as `oa check-docx` measures it
(oa/rendering/laid_out.py: Noto Sans Mono CJK SC standing in for the licensed official fonts, with their
metrics) and its pages are rasterised at 60 dpi by pypdfium2 (needs Pillow: pip install pillow):
- notice-page1.png, notice-last.png: a 下行 通知 with three attachments, the 版记 on its last (even) page;
- request-page1.png: a 上行 请示 with three 签发人 (two to a line, the 发文字号 on the last);
- joint-last.png: a joint 通知 of two organs, their 署名 side by side so each seal has its own place;
- letter-page1.png: a 函 in the 信函格式 (letterhead, red double lines, 份号 and 发文字号 on one line);
- order-page1.png: a 公布令 in the 命令（令）格式 (organ + 令 at 20 mm, 令号, no separator, post and 签名章);
- minutes-page1.png: a 常务会议纪要 in the 纪要格式 (organ + meeting + 纪要, 期号, 出席/请假/列席 in 黑体 labels).
preview-360.png: the HTML preview in Chromium through Playwright at a 360 × 740 phone viewport, after
checking that the page does not scroll sideways. Each part is skipped with a message when its tool is
missing. Every document is checked first, properties and layout, and must conform.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from oa.rendering import check_docx, laid_out, render_docx, render_preview_html  # noqa: E402
from tests.test_rendering import downward_notice, joint_notice, letter, upward_request  # noqa: E402
from tests.test_rendering_forms import ATTENDEES, minutes, order  # noqa: E402

DPI = 60
VIEWPORT = {"width": 360, "height": 740}
CHROMIUM = "/usr/bin/chromium"


def page_images(data: bytes, pages: dict[str, str]) -> None:
    """Save the pages named in `pages` ({"first" or "last": file stem}) of the laid-out document."""
    import pypdfium2 as pdfium

    if not laid_out.available():
        print(f"skipped {', '.join(pages.values())}: needs LibreOffice (soffice)")
        return
    deviations = check_docx(data, laid_out.lay_out(data))
    if deviations:
        raise SystemExit("an example does not conform:\n" + "\n".join(map(str, deviations)))
    pdf = pdfium.PdfDocument(laid_out.to_pdf(data))
    for which, stem in pages.items():
        index = 0 if which == "first" else len(pdf) - 1
        image = pdf[index].render(scale=DPI / 72).to_pil()
        image.save(HERE / f"{stem}.png")
        print(f"wrote {HERE / stem}.png (page {index + 1} of {len(pdf)})")


def preview_image(html: str) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("skipped preview-360.png: Playwright is not installed")
        return
    if not Path(CHROMIUM).exists():
        print(f"skipped preview-360.png: no Chromium at {CHROMIUM} (apt-get install chromium)")
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_content(html)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > VIEWPORT["width"]:
            raise SystemExit(f"the preview scrolls sideways: {width} px wide in a {VIEWPORT['width']} px viewport")
        page.screenshot(path=str(HERE / "preview-360.png"))
        browser.close()
    print(f"wrote {HERE / 'preview-360.png'} (scrollWidth {width} px)")


def main() -> None:
    notice = downward_notice()
    page_images(render_docx(notice), {"first": "notice-page1", "last": "notice-last"})
    page_images(render_docx(upward_request() | {"signers": ["王五", "赵六", "欧阳明"]}), {"first": "request-page1"})
    page_images(render_docx(joint_notice()), {"last": "joint-last"})
    page_images(render_docx(letter()), {"first": "letter-page1"})
    page_images(render_docx(order()), {"first": "order-page1"})
    # Short enough for the name lists and the date to stand on page 1 with the header.
    short = minutes() | {"attendees": ATTENDEES[:6]}
    short["body"] = [short["body"][0], short["body"][-1]]
    page_images(render_docx(short), {"first": "minutes-page1"})
    preview_image(render_preview_html(notice))


if __name__ == "__main__":
    main()
