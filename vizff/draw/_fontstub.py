"""Temporary stand-in for vizff.draw.font until the shipped font lands (DejaVu Sans)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from matplotlib import font_manager
from PIL import ImageFont


@dataclass(frozen=True)
class FontChoice:
    regular: str
    bold: str


def find_font(text: str = "", font_path: str | None = None) -> FontChoice:
    def path(weight):
        return font_manager.findfont(
            font_manager.FontProperties(family="DejaVu Sans", weight=weight)
        )

    return FontChoice(path("normal"), path("bold"))


@lru_cache(maxsize=128)
def pillow_font(choice: FontChoice, pixels: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        choice.bold if bold else choice.regular, pixels, layout_engine=ImageFont.Layout.BASIC
    )
