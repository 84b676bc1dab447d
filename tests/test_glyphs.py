"""Text from glyphs rasterised once must be Pillow's own pixels, or not be used at all."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vizff.draw.catalogue import catalogue
from vizff.draw.glyphs import GlyphCache
from vizff.draw.typeface import find_font, pillow_font


def catalogue_texts() -> list[str]:
    texts = []
    for lang in ("en", "zh"):
        for value in catalogue(lang).messages.values():
            for text in value if isinstance(value, list) else [value]:
                texts += text.split("\n")  # the kit sets lines one by one
    return texts + ["0.98 >0.99 <0.01 10000 1,135", "AVAWaTo fj ≠7 …"]


def both_ways(face, text: str, colour, backdrop):
    """The same string drawn by Pillow and by the cache, on the same flat backdrop."""
    size = (int(face.getlength(text)) + 4 * face.size, 3 * face.size)
    origin = (face.size, 2 * face.size)
    pictures = []
    for composed in (False, True):
        image = Image.new("RGB", size, backdrop)
        pen = ImageDraw.Draw(image)
        if not composed:
            pen.text(origin, text, font=face, fill=colour, anchor="ls")
        else:
            assert GlyphCache().draw(pen, size, face, text, origin, colour)
        pictures.append(np.asarray(image))
    return pictures


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("pixels", [8, 9, 13, 19, 27, 41])
def test_composed_glyphs_are_pillows_pixels(pixels, bold):
    face = pillow_font(find_font(""), pixels, bold)
    for text in catalogue_texts():
        direct, composed = both_ways(face, text, (184, 78, 0), (21, 24, 28))
        assert np.array_equal(direct, composed), (pixels, bold, text)


def test_a_sub_pixel_origin_is_left_to_pillow():
    face = pillow_font(find_font(""), 12)
    image = Image.new("RGB", (80, 30))
    before = np.asarray(image).copy()
    assert not GlyphCache().draw(
        ImageDraw.Draw(image), image.size, face, "0.5", (3.5, 20), (9, 9, 9)
    )
    assert np.array_equal(np.asarray(image), before)  # nothing drawn: the caller draws it


def test_lines_are_left_to_pillow():
    face = pillow_font(find_font(""), 12)
    image = Image.new("RGB", (80, 60))
    assert not GlyphCache().draw(ImageDraw.Draw(image), image.size, face, "0.5\n7", (3, 20), 9)
    assert not np.asarray(image).any()


def test_a_face_whose_pixels_differ_keeps_pillows_path(monkeypatch):
    """If composing ever differs from Pillow for a face (kerning...), the probe sees it."""
    face = pillow_font(find_font(""), 14)
    cache = GlyphCache()
    real = cache._glyph

    def shifted(face, char):
        pixels, (dx, dy), advance = real(face, char)
        return pixels, (dx + (char == "V"), dy), advance  # as a kerning pair would move it

    monkeypatch.setattr(cache, "_glyph", shifted)
    image = Image.new("RGB", (200, 40))
    assert not cache.draw(ImageDraw.Draw(image), image.size, face, "AV", (5, 30), (1, 2, 3))
