"""Time to make an issued document's PDF: typesetting plus writing (fonts cut and embedded, one seal drawn),
for documents of 1, 5 and 20 pages, in one warm process (fonts loaded once, as the service does at start);
then the seal's signature on it (pyHanko, ECDSA P-256, one organ), and its verification.

Run by hand:  python bench/pdf_render.py   (results go into BENCHMARKS.md)
"""

from __future__ import annotations

import statistics
import sys
import time
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datetime import UTC, datetime

from PIL import Image, ImageDraw

from oa.rendering import render_pdf
from oa.rendering.fonts import font_set
from oa.rendering.layout import mm_to_pt
from oa.rendering.page_model import PAGE_HEIGHT_PT
from oa.rendering.typeset import typeset
from oa.seals import SealKey, SealPlacement, sign_pdf, verify_pdf
from oa.seals.authority import issue_unit_certificate, make_ca
from oa.seals.keys import new_private_key
from tests.test_rendering import downward_notice

RUNS = 30
SENTENCE = "各地各部门要认真贯彻落实森林防火责任制，加强巡查值守，确保2026年不发生重大森林火灾。"


def document_of(pages: int) -> dict[str, Any]:
    content = downward_notice()
    content["issuers"] = [{"unit_id": "sg-szf", "name": "韶关市人民政府"}]
    if pages % 2:  # a 文件 ends on an even page (its 版记's): an odd count is a letter (信函格式)
        content |= {"form": "信函格式"}
    body = list(content["body"])
    while len(typeset({**content, "body": body}).pages) < pages:
        body.append({"level": 0, "text": SENTENCE * 3})
    while len(typeset({**content, "body": body}).pages) > pages:
        body.pop()
    content["body"] = body
    return content


def seal_png() -> bytes:
    image = Image.new("RGBA", (496, 496), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 488, 488), outline=(230, 0, 18, 255), width=20)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def timed(action, runs: int = RUNS) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    started = time.perf_counter()
    fonts = font_set()
    print(f"fonts loaded in {(time.perf_counter() - started) * 1000:.0f} ms: {'; '.join(fonts.substitutions)}")
    seals = {"sg-szf": seal_png()}
    for pages in (1, 5, 20):
        content = document_of(pages)
        render_pdf(content, seals)  # warm: the seal image decoded once, as the service keeps it
        times, size = [], 0
        for _ in range(RUNS):
            start = time.perf_counter()
            data, laid = render_pdf(content, seals)
            times.append((time.perf_counter() - start) * 1000)
            size = len(data)
        times.sort()
        print(f"{len(laid.pages):>2} pages: median {statistics.median(times):6.1f} ms, "
              f"p95 {times[int(len(times) * 0.95) - 1]:6.1f} ms, max {times[-1]:6.1f} ms, {size / 1024:.0f} KiB "
              f"({RUNS} runs)")




def signing() -> None:
    now = datetime.now(UTC)
    ca, ca_key = make_ca("bench CA", now)
    key = new_private_key()
    certificate = issue_unit_certificate(ca, ca_key, "sg-szf", "韶关市人民政府", key.public_key(), now)
    keys = {"sg-szf": SealKey("sg-szf", "韶关市人民政府", "seal-bench", certificate, (ca,), key)}
    for pages in (1, 5, 20):
        content = document_of(pages)
        data, laid = render_pdf(content, {"sg-szf": seal_png()})
        page, spot = laid.seal_spots[-1]
        half = mm_to_pt(spot.diameter_mm) / 2
        x, y = mm_to_pt(spot.centre_x_mm), PAGE_HEIGHT_PT - mm_to_pt(spot.centre_y_mm)
        placements = [SealPlacement("sg-szf", page, (x - half, y - half, x + half, y + half))]
        signed = sign_pdf(data, placements, keys, reason="bench")
        sign_median, sign_p95 = timed(lambda: sign_pdf(data, placements, keys, reason="bench"), 10)  # noqa: B023
        verify_median, verify_p95 = timed(lambda: verify_pdf(signed, [ca]), 10)  # noqa: B023
        print(f"{len(laid.pages):>2} pages: sign one seal median {sign_median:6.1f} ms (p95 {sign_p95:6.1f}); "
              f"verify median {verify_median:6.1f} ms (p95 {verify_p95:6.1f}) (10 runs)")


if __name__ == "__main__":
    main()
    signing()
