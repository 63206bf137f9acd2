"""Renders the example 下行 通知 of tests/test_rendering.py and saves the pictures in this folder.

    python docs/rendering/make_images.py

notice-page1.png and notice-last.png: the .docx from oa.rendering, converted to PDF by LibreOffice
(soffice) and rasterised at 60 dpi by pdftoppm. preview-360.png: the HTML preview in Chromium through
Playwright at a 360 × 740 phone viewport, after checking that the page does not scroll sideways.
Each part is skipped with a message when its tool is missing. LibreOffice has no 仿宋_GB2312 or 方正小标宋,
so the pictures show its substitutes (Noto CJK, DejaVu for digits); the layout is what they are for.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from oa.rendering import check_docx, render_docx, render_preview_html  # noqa: E402
from tests.test_rendering import downward_notice  # noqa: E402

DPI = 60
VIEWPORT = {"width": 360, "height": 740}
CHROMIUM = "/usr/bin/chromium"


def page_images(data: bytes) -> None:
    soffice, pdftoppm, pdfinfo = (shutil.which(tool) for tool in ("soffice", "pdftoppm", "pdfinfo"))
    if not (soffice and pdftoppm and pdfinfo):
        print("skipped notice-page1.png / notice-last.png: needs soffice (LibreOffice), pdftoppm and pdfinfo")
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "notice.docx").write_bytes(data)
        # A private profile, so a LibreOffice the user has open does not swallow the conversion.
        profile = f"-env:UserInstallation={(work / 'profile').as_uri()}"
        convert = [soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(work / "notice.docx")]
        subprocess.run(convert, check=True, capture_output=True, timeout=180)
        pdf = work / "notice.pdf"
        info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        for number, name in ((1, "notice-page1"), (pages, "notice-last")):
            subprocess.run([pdftoppm, "-r", str(DPI), "-png", "-f", str(number), "-l", str(number), "-singlefile",
                            str(pdf), str(work / name)], check=True, capture_output=True, timeout=60)
            shutil.copyfile(work / f"{name}.png", HERE / f"{name}.png")
            print(f"wrote {HERE / name}.png (page {number} of {pages})")


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
    content = downward_notice()
    data = render_docx(content)
    deviations = check_docx(data)
    if deviations:
        raise SystemExit("the example does not conform:\n" + "\n".join(map(str, deviations)))
    page_images(data)
    preview_image(render_preview_html(content))


if __name__ == "__main__":
    main()
