"""Deterministic abstract illustrations drawn with Pillow for the offline image provider.

The picture is a pure function of the prompt: a SHA-256 of the prompt seeds the palette, the
gradient and the shapes, so the same prompt always gives the same PNG bytes. A caption band
says "Offline illustration" with the prompt's first words, so nobody mistakes it for a real
generated image.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import random
import re

from PIL import Image, ImageDraw, ImageFont

from igny8.ai.base import AIError

__all__ = ["MAX_SIDE", "MIN_SIDE", "draw_illustration", "parse_size"]

MIN_SIDE = 256
MAX_SIDE = 2048
SIZE_RE = re.compile(r"\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*")
LABEL = "Offline illustration"
CAPTION_WORDS = 6


def parse_size(size: str) -> tuple[int, int]:
    """``"1024x768"`` → ``(1024, 768)``; anything else, or a side outside 256-2048, raises AIError."""
    match = SIZE_RE.fullmatch(size or "")
    if not match:
        raise AIError(f"image size must look like 1024x1024, got {size!r}")
    width, height = int(match[1]), int(match[2])
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise AIError(f"image sides must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {width}x{height}")
    return width, height


def _palette(rng: random.Random) -> list[tuple[int, int, int]]:
    """Five colours in a harmony (analogous, complementary or triadic) around a random hue."""
    base = rng.random()
    scheme = int(rng.random() * 3)
    offsets = ((0.0, 0.06, 0.12, -0.06, 0.18), (0.0, 0.5, 0.04, 0.54, 0.08), (0.0, 1 / 3, 2 / 3, 0.05, 0.38))[scheme]
    colours = []
    for i, offset in enumerate(offsets):
        lightness = 0.28 + 0.5 * rng.random() if i else 0.3 + 0.2 * rng.random()
        saturation = 0.45 + 0.5 * rng.random()
        r, g, b = colorsys.hls_to_rgb((base + offset) % 1.0, lightness, saturation)
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    return colours


def _background(rng: random.Random, size: tuple[int, int], start: tuple, end: tuple) -> Image.Image:
    """A two-colour gradient (vertical, horizontal, diagonal or radial) scaled up from 256 px."""
    kind = int(rng.random() * 4)
    if kind == 3:
        mask = Image.radial_gradient("L")
    else:
        mask = Image.linear_gradient("L")
        if kind == 1:
            mask = mask.transpose(Image.Transpose.ROTATE_90)
        elif kind == 2:
            # Averaging the vertical and horizontal ramps gives a diagonal one without rotation gaps.
            mask = Image.blend(mask, mask.transpose(Image.Transpose.ROTATE_90), 0.5)
    mask = mask.resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask).convert("RGBA")


def _shapes(rng: random.Random, size: tuple[int, int], colours: list[tuple[int, int, int]]) -> Image.Image:
    """A transparent layer of translucent circles, rounded blocks, triangles and strokes."""
    width, height = size
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    unit = min(width, height)
    for _ in range(10 + int(rng.random() * 10)):
        colour = colours[1 + int(rng.random() * (len(colours) - 1))] + (70 + int(rng.random() * 130),)
        cx, cy = rng.random() * width, rng.random() * height
        radius = unit * (0.04 + 0.16 * rng.random())
        kind = int(rng.random() * 4)
        if kind == 0:
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
        elif kind == 1:
            w, h = radius * (0.6 + 0.8 * rng.random()), radius * (0.4 + 0.6 * rng.random())
            draw.rounded_rectangle((cx - w, cy - h, cx + w, cy + h), radius=radius * 0.2, fill=colour)
        elif kind == 2:
            points = [(cx + radius * (rng.random() * 2 - 1) * 1.4, cy + radius * (rng.random() * 2 - 1) * 1.4)
                      for _ in range(3)]
            draw.polygon(points, fill=colour)
        else:
            end = (cx + radius * 3 * (rng.random() * 2 - 1), cy + radius * 3 * (rng.random() * 2 - 1))
            draw.line((cx, cy, *end), fill=colour, width=max(2, int(unit * 0.012)))
    return layer


def _fit(text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont, width: float) -> str:
    """``text`` shortened word by word (with an ellipsis) until it fits ``width`` pixels."""
    if font.getlength(text) <= width:
        return text
    words = text.split()
    while words and font.getlength(" ".join(words) + "…") > width:
        words.pop()
    return " ".join(words) + "…" if words else ""


def _caption(image: Image.Image, prompt: str) -> None:
    """Draw the bottom caption band: the offline label and the prompt's first words."""
    width, height = image.size
    band = max(28, int(height * 0.08))
    overlay = Image.new("RGBA", (width, band), (15, 18, 24, 190))
    image.alpha_composite(overlay, (0, height - band))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(11, int(band * 0.4)))
    words = " ".join(prompt.split()[:CAPTION_WORDS])
    text = _fit(f"{LABEL} · {words}" if words else LABEL, font, width - band)
    draw.text((band // 2, height - band // 2), text, font=font, fill=(245, 245, 245, 255), anchor="lm")


def draw_illustration(prompt: str, width: int, height: int) -> bytes:
    """PNG bytes of the abstract illustration for ``prompt`` at ``width`` x ``height``."""
    seed = int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest(), "big")
    # Seeded from the prompt alone, so the drawing is reproducible (not random across calls).
    rng = random.Random(seed)
    colours = _palette(rng)
    size = (width, height)
    image = _background(rng, size, colours[0], colours[1 + int(rng.random() * 4)])
    image.alpha_composite(_shapes(rng, size, colours))
    _caption(image, prompt)
    out = io.BytesIO()
    # Level 3 keeps 1024x1024 fast; flat colour areas compress well anyway.
    image.convert("RGB").save(out, format="PNG", compress_level=3)
    return out.getvalue()
