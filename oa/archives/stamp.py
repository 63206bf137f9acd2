"""The electronic 归档章 (DA/T 22-2015 6.4): a red box of two rows and three cells — 全宗号, 年度, 件号 over
机构（问题）, 保管期限, 页数 — drawn as a PNG for the package's cover, its values also kept in the metadata.

Each cell names what it holds in small type above the value, so the stamp reads on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageDraw

from oa.watermark import cjk_font

RED = (200, 20, 20)
CELL_W, CELL_H, BORDER = 220, 110, 4  # pixels: 15 mm × 8 mm cells at about 370 dpi


@dataclass(frozen=True)
class ArchiveStamp:
    fonds_code: str  # 全宗号
    year: int  # 年度
    item_number: int  # 件号
    class_name: str  # 机构（问题）: 发文 or 收文
    retention: str  # 保管期限
    pages: int  # 页数

    def cells(self) -> list[tuple[str, str]]:
        return [("全宗号", self.fonds_code), ("年度", str(self.year)), ("件号", f"{self.item_number:04d}"),
                ("机构（问题）", self.class_name), ("保管期限", self.retention), ("页数", str(self.pages))]

    def as_json(self) -> dict[str, str]:
        return dict(self.cells())


def stamp_png(stamp: ArchiveStamp) -> bytes:
    width, height = CELL_W * 3 + BORDER, CELL_H * 2 + BORDER
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    label_font, value_font = cjk_font(24), cjk_font(44)
    for index, (label, value) in enumerate(stamp.cells()):
        x, y = (index % 3) * CELL_W, (index // 3) * CELL_H
        draw.rectangle((x, y, x + CELL_W + BORDER - 1, y + CELL_H + BORDER - 1), outline=RED, width=BORDER)
        draw.text((x + CELL_W / 2, y + 10), label, font=label_font, fill=RED, anchor="mt")
        draw.text((x + CELL_W / 2, y + CELL_H - 14), value, font=value_font, fill=RED, anchor="mb")
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
