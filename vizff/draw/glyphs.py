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
        picture: np.ndarray,
        face: ImageFont.FreeTypeFont,
        text: str,
        origin: tuple[float, float],
        colour,
    ) -> bool:
        """Draw `text` at `origin` (anchor: left, baseline) on `picture`, an (h, w, 3) uint8
        array, in place, as Pillow's `ImageDraw.text` would; False, having drawn nothing, where
        Pillow must draw it instead."""
        x, y = origin
        if x != int(x) or y != int(y) or "\n" in text or not self._exact_for(face):
            # a sub-pixel origin, or lines (Pillow sets them with its own spacing): Pillow draws
            return False
        height, width = picture.shape[:2]
        mask = self._mask(face, text, (int(x), int(y)), (width, height))
        if mask is not None:
            blend(picture, mask, colour)
        return True

    def _mask(self, face, text: str, origin: tuple[int, int], size: tuple[int, int]):
        """(h, w) uint8 coverage of the whole string, None when nothing is inked."""
        width, height = size
        mask, pen_x, inked = np.zeros((height, width), np.uint8), float(origin[0]), False
        right = -(2**31)  # the right edge of the glyphs so far: past it the mask is still 0
        for char in text:
            bitmap, (dx, dy), advance, _ = self._glyph(face, char)
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

    def measure(self, face, text: str) -> tuple[float, tuple[int, int, int, int]] | None:
        """(advance, ink box) of `text` as `face.getlength(text)` and `face.getbbox(text,
        anchor="ls")` give them, from each glyph's measured once; None where the face does not
        qualify (the caller asks Pillow). Checked, with the pixels, on the probe string."""
        if not self._exact_for(face):
            return None
        return self._measure(face, text)

    def _measure(self, face, text: str) -> tuple[float, tuple[int, int, int, int]]:
        pen, x0, y0, x1, y1 = 0.0, 2**31, 2**31, -(2**31), -(2**31)
        for char in text:
            _, _, advance, (a, b, c, d) = self._glyph(face, char)
            start = int(pen)
            x0, y0 = min(x0, start + a), min(y0, b)
            x1, y1 = max(x1, start + c), max(y1, d)
            pen += advance
        if not text:
            return 0.0, face.getbbox("", anchor="ls")
        return pen, (x0, y0, x1, y1)

    def _glyph(self, face, char: str) -> tuple:
        key = (face.path, face.index, face.size, char)
        glyph = self._glyphs.get(key)
        if glyph is None:
            bitmap, offset = face.getmask2(char, mode="L", anchor="ls")
            pixels = None
            if bitmap.size[0] and bitmap.size[1]:
                pixels = np.asarray(Image.frombytes("L", bitmap.size, bytes(bitmap)))
            box = face.getbbox(char, anchor="ls")
            glyph = self._glyphs[key] = (pixels, offset, face.getlength(char), box)
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
        measured = self._measure(face, PROBE)
        if measured != (face.getlength(PROBE), face.getbbox(PROBE, anchor="ls")):
            return False
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


def blend(picture: np.ndarray, mask: np.ndarray, colour) -> None:
    """`colour` over `picture` (h, w, 3) through the coverage `mask` (h, w), in place, with
    Pillow's own arithmetic for a fill through a mask (its BLEND and DIV255): with t =
    p (255 - m) + c m + 128, out = ((t >> 8) + t) >> 8, every value within 16 bits (at most
    65,153 + 254). Worked on rows of bytes (each pixel's three channels in a row), so numpy's
    loops run the length of a row rather than three channels at a time."""
    height, width = mask.shape
    ink = np.asarray((colour,) * 3 if isinstance(colour, int) else colour, np.uint16)
    rows = picture.reshape(height, width * 3)  # a view of a contiguous picture, else a copy
    m = np.repeat(mask, 3, axis=1).astype(np.uint16)  # (h, 3w): each pixel's for its channels
    total = rows.astype(np.uint16) * (255 - m)
    total += np.tile(ink, width) * m
    total += 128
    done = ((total >> 8) + total) >> 8
    if np.shares_memory(rows, picture):
        rows[:] = done
    else:
        picture[:] = done.reshape(height, width, 3)


def _screen(under: np.ndarray, over: np.ndarray) -> np.ndarray:
    """Coverage of two overlapping glyph bitmaps as Pillow combines them: a + b - ab/255,
    with Pillow's MULDIV255 rounding; where one is 0, exactly the other."""
    a, b = under.astype(np.uint32), over.astype(np.uint32)
    product = a * b + 128
    return (a + b - (((product >> 8) + product) >> 8)).astype(np.uint8)


# One for the process: the glyphs and the verdicts are facts about a font file at a size, the
# same for every scene (a notebook or a storyboard renders many; each used to probe every face
# again, 10 ms a face). Bounded by MOST_GLYPHS, like any one cache.
SHARED = GlyphCache()
