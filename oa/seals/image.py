"""Seal images: drawing a unit's round official seal (公章), and checking an uploaded one.

A drawn seal is what a 42 mm 公章 of a Chinese organ looks like: a red ring, a five-pointed star
in the centre and the unit's name arced along the top inside the ring, characters upright towards
the centre and narrowed as the name grows longer. It is a PNG with a transparent background at
SEAL_DPI, so the typesetter places it at SEAL_DIAMETER_MM over the 署名 and 成文日期 and the text
shows through. An uploaded image must look like one too: a PNG with transparency, of a sensible
size, whose visible pixels are mostly red; anything else is refused with a message that says why.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

from oa.errors import InvalidInput

SEAL_DIAMETER_MM = 42.0  # GB/T 9704 organs' seal; the typesetter draws the image this wide
SEAL_DPI = 300
SEAL_RED = (230, 0, 18)
# Drawn this many times larger, then scaled down: smooth edges without a separate antialiasing pass.
SUPERSAMPLE = 4
# A Song (宋体-like) face as real seals use, then the fallbacks Debian ships. The CI installs
# fonts-noto-cjk (see .ci/run); the others are tried so a machine with only one of them still works.
FONT_CANDIDATES: list[tuple[str, str | None]] = [
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", None),
]
# Limits for an uploaded image: from ~150 dpi to ~1200 dpi at 42 mm, and no bigger a file than that needs.
MIN_SIDE_PX, MAX_SIDE_PX = 200, 2000
MAX_PNG_BYTES = 4 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class SealImageError(InvalidInput):
    code = "invalid_seal_image"


@dataclass(frozen=True)
class SealImage:
    png: bytes
    sha256: str
    width: int
    height: int


def _mm(value_mm: float, dpi: int) -> float:
    return value_mm / 25.4 * dpi * SUPERSAMPLE


@cache
def seal_font() -> tuple[str, int]:
    """(path, index in the collection) of the first CJK font installed from FONT_CANDIDATES."""
    for path, family in FONT_CANDIDATES:
        if not Path(path).exists():
            continue
        for index in range(8):
            try:
                font = ImageFont.truetype(path, 20, index=index)
            except OSError:
                break
            if family is None or font.getname()[0] == family:
                return path, index
    raise RuntimeError("no CJK font for seal images: install fonts-noto-cjk (or fonts-wqy-zenhei)")


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(126))  # a regular star's inner radius
    points = []
    for corner in range(10):
        r = radius if corner % 2 == 0 else inner
        angle = math.radians(-90 + corner * 36)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=255)


def _glyph(char: str, width: float, height: float) -> Image.Image:
    """One character as ink (L mode) squeezed into width × height, its em box kept (so 一 stays thin)."""
    path, index = seal_font()
    size = max(8, round(height))
    font = ImageFont.truetype(path, size, index=index)
    em = Image.new("L", (size, size), 0)
    ImageDraw.Draw(em).text((size / 2, size / 2), char, font=font, fill=255, anchor="mm")
    return em.resize((max(1, round(width)), max(1, round(height))), Image.Resampling.LANCZOS)


def _inked(mask: Image.Image, dpi: int) -> SealImage:
    """A supersampled ink mask as the seal's PNG: red where the mask is, transparent elsewhere, scaled down."""
    alpha = mask.resize((mask.width // SUPERSAMPLE, mask.height // SUPERSAMPLE), Image.Resampling.LANCZOS)
    image = Image.new("RGBA", alpha.size, (*SEAL_RED, 0))
    image.putalpha(alpha)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    png = out.getvalue()
    return SealImage(png, hashlib.sha256(png).hexdigest(), image.width, image.height)


def draw_seal(name: str, diameter_mm: float = SEAL_DIAMETER_MM, dpi: int = SEAL_DPI) -> SealImage:
    """The round seal of the unit called `name`: ring, star, the name along the top."""
    text = "".join(name.split())
    if not text:
        raise InvalidInput("a seal needs the unit's name")
    side = round(_mm(diameter_mm, dpi))
    centre = side / 2
    scale = diameter_mm / 42.0  # every measure below is for a 42 mm seal
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    outer = side / 2 - _mm(0.2, dpi)  # a hair inside the edge, so the ring is never clipped
    ring = _mm(1.3 * scale, dpi)
    draw.ellipse((centre - outer, centre - outer, centre + outer, centre + outer), fill=255)
    draw.ellipse((centre - outer + ring, centre - outer + ring, centre + outer - ring, centre + outer - ring), fill=0)
    _star(draw, centre, centre, _mm(7.0 * scale, dpi))

    # The name: characters between ~0.9 mm inside the ring and ~13 mm from the centre, spread over up
    # to 250° (36° apart for short names), narrower as they get closer together.
    count = len(text)
    top = outer - ring - _mm(0.9 * scale, dpi)
    height = _mm(6.4 * scale, dpi) if count <= 24 else _mm(6.4 * scale * 24 / count, dpi)
    middle = top - height / 2
    step = min(36.0, 250.0 / (count - 1)) if count > 1 else 0.0
    pitch = middle * math.radians(step) if count > 1 else height
    width = min(height * 0.92, pitch * 0.86)
    for position, char in enumerate(text):
        angle = -step * (count - 1) / 2 + position * step  # degrees clockwise from 12 o'clock
        glyph = _glyph(char, width, height).rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True)
        x = round(centre + middle * math.sin(math.radians(angle)) - glyph.width / 2)
        y = round(centre - middle * math.cos(math.radians(angle)) - glyph.height / 2)
        box = (x, y, x + glyph.width, y + glyph.height)
        mask.paste(ImageChops.lighter(mask.crop(box), glyph), box)  # ink adds up; nothing is erased

    return _inked(mask, dpi)


NAME_STAMP_MM = 18.0  # a 签名章 (personal name seal): a square this wide


def draw_name_stamp(name: str, side_mm: float = NAME_STAMP_MM, dpi: int = SEAL_DPI) -> SealImage:
    """A 签名章: the person's name in a red square, read top to bottom, right column first, completed to four
    characters the customary way (王五 → 王五之印, 欧阳明 → 欧阳明印)."""
    text = "".join(name.split())
    if not text:
        raise InvalidInput("a name stamp needs the person's name")
    text += {1: "之印章", 2: "之印", 3: "印"}.get(len(text), "")
    rows = math.ceil(len(text) / 2)
    side = round(_mm(side_mm, dpi))
    border = _mm(1.0 * side_mm / NAME_STAMP_MM, dpi)
    inset = border * 1.6
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    draw.rectangle((0, 0, side - 1, side - 1), fill=255)
    draw.rectangle((border, border, side - 1 - border, side - 1 - border), fill=0)
    cell_w, cell_h = (side - 2 * inset) / 2, (side - 2 * inset) / rows
    for position, char in enumerate(text):
        column, row = divmod(position, rows)  # right column first
        glyph = _glyph(char, cell_w * 0.96, cell_h * 0.96)
        x = round(side - inset - (column + 1) * cell_w + (cell_w - glyph.width) / 2)
        y = round(inset + row * cell_h + (cell_h - glyph.height) / 2)
        box = (x, y, x + glyph.width, y + glyph.height)
        mask.paste(ImageChops.lighter(mask.crop(box), glyph), box)
    return _inked(mask, dpi)


def check_seal_png(data: bytes) -> SealImage:
    """An uploaded seal image, or SealImageError saying what is wrong with it."""
    if len(data) > MAX_PNG_BYTES:
        raise SealImageError(f"the seal image is {len(data) // 1024} KB; at most {MAX_PNG_BYTES // 1024 // 1024} MB")
    if not data.startswith(PNG_SIGNATURE):
        raise SealImageError("the seal image must be a PNG file")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:  # Pillow raises many kinds for a damaged file; all mean the same here
        raise SealImageError("the seal image is not a readable PNG file") from None
    width, height = image.size
    if not (MIN_SIDE_PX <= width <= MAX_SIDE_PX and MIN_SIDE_PX <= height <= MAX_SIDE_PX):
        raise SealImageError(f"the seal image is {width}×{height} px; each side must be "
                             f"{MIN_SIDE_PX}–{MAX_SIDE_PX} px (a 42 mm seal at 300 dpi is about 496 px)")
    if max(width, height) > 1.25 * min(width, height):
        raise SealImageError(f"the seal image is {width}×{height} px; a seal is about as wide as it is high")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not has_alpha:
        raise SealImageError("the seal image has no transparency: the document's text must show through the "
                             "seal, so save it as a PNG with a transparent background")
    sample = image.convert("RGBA").resize((min(width, 256), min(height, 256)), Image.Resampling.NEAREST).tobytes()
    pixels = [sample[index:index + 4] for index in range(0, len(sample), 4)]
    total = len(pixels)
    visible = [(r, g, b) for r, g, b, a in pixels if a >= 128]
    if total - len(visible) < total * 0.3:
        raise SealImageError("the seal image is mostly opaque: its background must be transparent")
    if len(visible) < total * 0.02:
        raise SealImageError("the seal image is (almost) entirely transparent")
    red = sum(1 for r, g, b in visible if r >= 150 and r - max(g, b) >= 80)
    if red < len(visible) * 0.8:
        raise SealImageError(f"only {100 * red // len(visible)}% of the seal image's visible pixels are red; "
                             "an official seal is printed in red")
    return SealImage(data, hashlib.sha256(data).hexdigest(), width, height)
