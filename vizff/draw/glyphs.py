"""Text drawn from glyphs rasterised once, each at its own quarter of a pixel.

Pillow's basic layout hints every advance to a whole pixel and puts each glyph at the whole
pixel below its pen: at the 10-pixel text of a 640x360 frame the gaps between letters then
vary by a pixel, a third of a space ("central differences" read "centraldifferences", "of
1,568" "of1,568"). Here the pen moves by the advances the font was designed with (its hmtx
table), each glyph is placed at its pen position rounded to a quarter pixel, and its bitmap
is Pillow's own drawing of it at four times the size (where a quarter pixel is a whole one
and hinting barely bends the outline), each 4x4 block averaged into a pixel. Glyphs sharing a
pixel add their coverage, as the large drawing averaged whole would; the colour is blended
with Pillow's arithmetic. A face whose string advance is not the sum of its glyphs' (kerning,
shaping) keeps Pillow's own path.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PIL import Image, ImageFont

PROBE = "AVATo Wa yj fi 0.98 >1% 测试，数字"  # kerning pairs, overhangs, digits, CJK
MOST_GLYPHS = 8192  # bitmaps kept (a few hundred bytes each), oldest dropped first
PHASES = 4  # positions a glyph is rasterised at within a pixel: quarters
OVERSAMPLE = 4  # glyphs are rasterised at this many times the size, then averaged down


def quantised(pen: float) -> tuple[int, float]:
    """Where a glyph at pen position `pen` is drawn: the whole pixel and the fraction (in
    quarters), split as Pillow splits a position (`int`, and the rest)."""
    position = round(pen * PHASES) / PHASES
    whole = int(position)
    return whole, position - whole


class GlyphCache:
    """Bitmaps of single glyphs by face, character and phase, and which faces compose."""

    def __init__(self) -> None:
        self._glyphs: OrderedDict[tuple, tuple] = OrderedDict()
        self._exact: dict[tuple, bool] = {}
        self._large: dict[tuple, ImageFont.FreeTypeFont] = {}  # the oversampled faces
        self._metrics: dict[tuple, tuple | None] = {}  # advances in font units, by face

    def draw(
        self,
        picture: np.ndarray,
        face: ImageFont.FreeTypeFont,
        text: str,
        origin: tuple[float, float],
        colour,
    ) -> bool:
        """Draw `text` at `origin` (anchor: left, baseline; x may be fractional) on `picture`,
        an (h, w, 3) uint8 array, in place; False, having drawn nothing, where Pillow must
        draw it instead."""
        x, y = origin
        if y != int(y) or "\n" in text or not self._exact_for(face):
            # a sub-pixel baseline, or lines (Pillow sets them with its own spacing)
            return False
        height, width = picture.shape[:2]
        mask = self._mask(face, text, (x, int(y)), (width, height))
        if mask is not None:
            blend(picture, mask, colour)
        return True

    def _mask(self, face, text: str, origin: tuple[float, int], size: tuple[int, int]):
        """(h, w) uint8 coverage of the whole string, None when nothing is inked."""
        width, height = size
        mask, pen_x, inked = np.zeros((height, width), np.uint8), float(origin[0]), False
        right = -(2**31)  # the right edge of the glyphs so far: past it the mask is still 0
        for char in text:
            whole, fraction = quantised(pen_x)
            bitmap, (dx, dy), advance, _ = self._glyph(face, char, fraction)
            if bitmap is not None:
                x0, y0 = whole + dx, origin[1] + dy
                h, w = bitmap.shape
                cx0, cy0 = max(0, x0), max(0, y0)
                cx1, cy1 = min(width, x0 + w), min(height, y0 + h)
                if cx1 > cx0 and cy1 > cy0:
                    part = bitmap[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
                    target = mask[cy0:cy1, cx0:cx1]
                    target[:] = part if cx0 >= right else _added(target, part)
                    right, inked = max(right, cx1), True
            pen_x += advance
        return mask if inked else None

    def measure(self, face, text: str) -> tuple[float, tuple[int, int, int, int]] | None:
        """(advance, ink box) of `text` drawn from the left end of a pixel: the advance is
        `face.getlength(text)`, the box that of the pixels `draw` inks; None where the face
        does not compose (the caller asks Pillow)."""
        if not self._exact_for(face):
            return None
        return self._measure(face, text)

    def advance(self, face, text: str) -> float | None:
        """`measure(face, text)[0]` without drawing a glyph: what a width needs (fitting a
        title at 4K tried each size down from the largest, and drew every glyph at each)."""
        if not self._exact_for(face):
            return None
        pen = 0.0
        for char in text:  # summed as _measure sums them: the same float
            pen += self._advance(face, char)
        return pen

    def _measure(self, face, text: str) -> tuple[float, tuple[int, int, int, int]]:
        pen, x0, y0, x1, y1 = 0.0, 2**31, 2**31, -(2**31), -(2**31)
        for char in text:
            whole, fraction = quantised(pen)
            _, _, advance, box = self._glyph(face, char, fraction)
            if box is not None:
                a, b, c, d = box
                x0, y0 = min(x0, whole + a), min(y0, b)
                x1, y1 = max(x1, whole + c), max(y1, d)
            pen += advance
        if x0 > x1:  # no ink at all (spaces, or nothing): Pillow's box of the empty line
            return pen, face.getbbox("", anchor="ls")
        return pen, (x0, y0, x1, y1)

    def _glyph(self, face, char: str, fraction: float = 0.0) -> tuple:
        """(bitmap or None, offset, advance, ink box or None) of `char` drawn `fraction` of
        a pixel right of a whole pixel."""
        key = (face.path, face.index, face.size, char, fraction)
        glyph = self._glyphs.get(key)
        if glyph is None:
            pixels, offset = self._raster(face, char, fraction)
            box = None
            if pixels is not None:
                rows, cols = np.nonzero(pixels)
                if len(rows):  # the ink, not the bitmap's margin
                    dx, dy = offset
                    box = (
                        dx + int(cols.min()),
                        dy + int(rows.min()),
                        dx + int(cols.max()) + 1,
                        dy + int(rows.max()) + 1,
                    )
            glyph = self._glyphs[key] = (pixels, offset, self._advance(face, char), box)
            if len(self._glyphs) > MOST_GLYPHS:
                self._glyphs.popitem(last=False)
        return glyph

    def _raster(self, face, char: str, fraction: float):
        """(coverage or None, offset from the pen at the baseline) of `char` drawn `fraction`
        of a pixel right of a whole pixel: rasterised by Pillow at OVERSAMPLE times the size,
        where a quarter pixel is whole pixels and hinting barely bends the outline, then each
        OVERSAMPLE x OVERSAMPLE block averaged into one pixel (the coverage)."""
        n = OVERSAMPLE
        large = self._face(face, n)
        bitmap, (ox, oy) = large.getmask2(char, mode="L", anchor="ls")
        width, height = bitmap.size
        if not (width and height):
            return None, (0, 0)
        ink = np.asarray(Image.frombytes("L", bitmap.size, bytes(bitmap)), np.uint16)
        x, y = ox + round(fraction * n), oy  # where the large bitmap sits, in large pixels
        left, top = x % n, y % n  # padding to the small pixels' grid
        rows, cols = -(-(top + height) // n), -(-(left + width) // n)
        grid = np.zeros((rows * n, cols * n), np.uint16)
        grid[top : top + height, left : left + width] = ink
        blocks = grid.reshape(rows, n, cols, n).sum(axis=(1, 3))
        return ((blocks + n * n // 2) // (n * n)).astype(np.uint8), (x // n, y // n)

    def _face(self, face, scale: int) -> ImageFont.FreeTypeFont:
        """`face` at `scale` times its size, made once."""
        key = (face.path, face.index, face.size, scale)
        large = self._large.get(key)
        if large is None:
            large = self._large[key] = face.font_variant(size=face.size * scale)
        return large

    def _advance(self, face, char: str) -> float:
        """The glyph's advance as designed, in fractions of a pixel: the font's own (its hmtx
        table, scaled from units per em to the size). Pillow's basic layout hints each to a
        whole pixel, which is what set the letters unevenly apart."""
        key = (face.path, face.index)
        metrics = self._metrics.get(key)
        if metrics is None:
            metrics = self._metrics[key] = _advances(face)
        units = metrics[0].get(ord(char)) if metrics else None
        if units is None:  # no table to read (never for a face vizff draws with)
            return face.getlength(char)
        return units * face.size / metrics[1]

    def _exact_for(self, face) -> bool:
        """Whether a string's glyphs in this face at this size sit where their advances put
        them: no kerning and no shaping, which Pillow's basic layout would apply."""
        key = (face.path, face.index, face.size)
        if key not in self._exact:
            advances = sum(face.getlength(char) for char in PROBE)
            self._exact[key] = abs(advances - face.getlength(PROBE)) < 1e-6
        return self._exact[key]


def _advances(face) -> tuple[dict[int, int], int] | None:
    """({code point: advance in font units}, units per em) of a face's file, or None."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
            metrics, cmap = font["hmtx"].metrics, font.getBestCmap() or {}
            units = {point: metrics[name][0] for point, name in cmap.items() if name in metrics}
            return units, font["head"].unitsPerEm
    except Exception:  # noqa: BLE001 (a file fontTools cannot read: Pillow's advances then)
        return None


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


def _added(under: np.ndarray, over: np.ndarray) -> np.ndarray:
    """Coverage of two glyphs sharing pixels: added, at most full. Neighbouring letters ink
    different parts of a pixel they share, so their coverages add (as the pixel averaged from
    the large glyphs would be); screening them (a + b - ab/255) left a pale seam where two
    letters met. Where their ink truly overlaps, the pixel is full a little early."""
    total = under.astype(np.uint16) + over
    return np.minimum(total, 255).astype(np.uint8)


# One for the process: the glyphs and the verdicts are facts about a font file at a size, the
# same for every scene (a notebook or a storyboard renders many; each used to probe every face
# again, 10 ms a face). Bounded by MOST_GLYPHS, like any one cache.
SHARED = GlyphCache()
