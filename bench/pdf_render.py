"""Time to make an issued document's PDF: typesetting plus writing (fonts cut and embedded, one seal drawn),
for documents of 1, 5 and 20 pages, in one warm process (fonts loaded once, as the service does at start).

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

from PIL import Image, ImageDraw

from oa.rendering import render_pdf
from oa.rendering.fonts import font_set
from oa.rendering.typeset import typeset
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


if __name__ == "__main__":
    main()
