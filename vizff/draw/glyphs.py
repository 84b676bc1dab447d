"""Text drawn from glyphs rasterised once: the same pixels as Pillow's, several times faster.

Pillow renders every glyph of a string anew at each call; a caption that changes every frame
costs a few milliseconds at 720p, more than the video encoder spends on the frame. With the
basic layout and a font without a legacy kerning table, Pillow places each glyph's bitmap at
the pen position (whole pixels: hinted advances) and combines overlapping bitmaps as a screen
(a + b - ab/255, rounded as Pillow rounds). `GlyphCache` does the same from bitmaps it keeps,
then lets Pillow blend the colour. Whether a face qualifies is checked once per face and size
by drawing a probe string both ways: on any difference (kerning, sub-pixel advances) that face
keeps Pillow's own path.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PROBE = "AVATo Wa yj fi 0.98 >1% 测试，数字"  # kerning pairs, overhangs, digits, CJK
MOST_GLYPHS = 8192  # bitmaps kept (a few hundred bytes each), oldest dropped first


class GlyphCache:
    """Bitmaps of single glyphs by face and character, and which faces they are exact for."""

    def __init__(self) -> None:
        self._glyphs: OrderedDict[tuple, tuple] = OrderedDict()
        self._exact: dict[tuple, bool] = {}

    def draw(
        self,
        pen: ImageDraw.ImageDraw,
        size: tuple[int, int],
        face: ImageFont.FreeTypeFont,
        text: str,
        origin: tuple[float, float],
        colour,
    ) -> bool:
        """Draw `text` at `origin` (anchor: left, baseline) on the picture `pen` draws on,
        of `size` (w, h); False, having drawn nothing, where Pillow must draw it instead."""
        x, y = origin
        if x != int(x) or y != int(y) or "\n" in text or not self._exact_for(face):
            # a sub-pixel origin, or lines (Pillow sets them with its own spacing): Pillow draws
            return False
        mask = self._mask(face, text, (int(x), int(y)), size)
        if mask is not None:
            pen.bitmap((0, 0), Image.fromarray(mask), fill=colour)
        return True

    def _mask(self, face, text: str, origin: tuple[int, int], size: tuple[int, int]):
        """(h, w) uint8 coverage of the whole string, None when nothing is inked."""
        width, height = size
        mask, pen_x, inked = np.zeros((height, width), np.uint8), float(origin[0]), False
        right = -(2**31)  # the right edge of the glyphs so far: past it the mask is still 0
        for char in text:
            bitmap, (dx, dy), advance = self._glyph(face, char)
            if bitmap is not None:
                x0, y0 = int(pen_x) + dx, origin[1] + dy
                h, w = bitmap.shape
                cx0, cy0 = max(0, x0), max(0, y0)
                cx1, cy1 = min(width, x0 + w), min(height, y0 + h)
                if cx1 > cx0 and cy1 > cy0:
                    part = bitmap[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
                    target = mask[cy0:cy1, cx0:cx1]
                    target[:] = part if cx0 >= right else _screen(target, part)
                    right, inked = max(right, cx1), True
            pen_x += advance
        return mask if inked else None

    def _glyph(self, face, char: str) -> tuple:
        key = (face.path, face.index, face.size, char)
        glyph = self._glyphs.get(key)
        if glyph is None:
            bitmap, offset = face.getmask2(char, mode="L", anchor="ls")
            pixels = None
            if bitmap.size[0] and bitmap.size[1]:
                pixels = np.asarray(Image.frombytes("L", bitmap.size, bytes(bitmap)))
            glyph = self._glyphs[key] = (pixels, offset, face.getlength(char))
            if len(self._glyphs) > MOST_GLYPHS:
                self._glyphs.popitem(last=False)
        return glyph

    def _exact_for(self, face) -> bool:
        """Whether composing glyphs gives Pillow's own pixels in this face at this size."""
        key = (face.path, face.index, face.size)
        if key not in self._exact:
            self._exact[key] = self._same(face)
        return self._exact[key]

    def _same(self, face) -> bool:
        size = (int(face.getlength(PROBE)) + 4 * face.size, 3 * face.size)
        origin = (face.size, 2 * face.size)
        pictures = []
        for composed in (False, True):  # coverage only: the colour is blended by Pillow alike
            image = Image.new("L", size, 0)
            if composed:
                mask = self._mask(face, PROBE, origin, size)
                image.paste(Image.fromarray(mask))
            else:
                ImageDraw.Draw(image).text(origin, PROBE, font=face, fill=255, anchor="ls")
            pictures.append(np.asarray(image))
        return bool(np.array_equal(*pictures))


def _screen(under: np.ndarray, over: np.ndarray) -> np.ndarray:
    """Coverage of two overlapping glyph bitmaps as Pillow combines them: a + b - ab/255,
    with Pillow's MULDIV255 rounding; where one is 0, exactly the other."""
    a, b = under.astype(np.uint32), over.astype(np.uint32)
    product = a * b + 128
    return (a + b - (((product >> 8) + product) >> 8)).astype(np.uint8)
