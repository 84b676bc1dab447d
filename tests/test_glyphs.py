"""Text from glyphs rasterised once must be Pillow's own pixels, or not be used at all."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vizff.draw.catalogue import catalogue
from vizff.draw.glyphs import GlyphCache, blend
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
        if not composed:
            ImageDraw.Draw(image).text(origin, text, font=face, fill=colour, anchor="ls")
            pictures.append(np.asarray(image))
        else:
            picture = np.array(image)
            assert GlyphCache().draw(picture, face, text, origin, colour)
            pictures.append(picture)
    return pictures


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("pixels", [8, 9, 13, 19, 27, 41])
def test_composed_glyphs_are_pillows_pixels(pixels, bold):
    face = pillow_font(find_font(""), pixels, bold)
    for text in catalogue_texts():
        direct, composed = both_ways(face, text, (184, 78, 0), (21, 24, 28))
        assert np.array_equal(direct, composed), (pixels, bold, text)


@pytest.mark.parametrize("pixels", [9, 16, 33])
def test_measured_from_glyphs_as_pillow_measures(pixels):
    """Advance and ink box composed from each glyph's: Pillow's getlength and getbbox."""
    face = pillow_font(find_font(""), pixels)
    cache = GlyphCache()
    for text in catalogue_texts():
        want = (face.getlength(text), face.getbbox(text, anchor="ls"))
        assert cache.measure(face, text) == want, (pixels, text)


def test_blend_is_pillows_fill_through_a_mask():
    """The colour through a coverage mask: every (coverage, colour, backdrop) as Pillow."""
    rng = np.random.default_rng(3)
    mask = rng.integers(0, 256, (7, 256), dtype=np.uint8)
    mask[0] = np.arange(256)  # every coverage value
    backdrop = rng.integers(0, 256, (7, 256, 3), dtype=np.uint8)
    for colour in [(0, 0, 0), (255, 255, 255), (184, 78, 0), (3, 250, 128)]:
        image = Image.fromarray(backdrop)
        ImageDraw.Draw(image).bitmap((0, 0), Image.fromarray(mask), fill=colour)
        ours = backdrop.copy()
        blend(ours, mask, colour)
        assert np.array_equal(ours, np.asarray(image)), colour
        strided = np.zeros((7, 300, 3), np.uint8)  # a view into a wider picture: in place too
        strided[:, 10:266] = backdrop
        blend(strided[:, 10:266], mask, colour)
        assert np.array_equal(strided[:, 10:266], np.asarray(image))
        assert not strided[:, :10].any() and not strided[:, 266:].any()


def test_a_sub_pixel_origin_is_left_to_pillow():
    face = pillow_font(find_font(""), 12)
    picture = np.zeros((30, 80, 3), np.uint8)
    assert not GlyphCache().draw(picture, face, "0.5", (3.5, 20), (9, 9, 9))
    assert not picture.any()  # nothing drawn: the caller draws it


def test_lines_are_left_to_pillow():
    face = pillow_font(find_font(""), 12)
    picture = np.zeros((60, 80, 3), np.uint8)
    assert not GlyphCache().draw(picture, face, "0.5\n7", (3, 20), 9)
    assert not picture.any()


def test_a_face_whose_pixels_differ_keeps_pillows_path(monkeypatch):
    """If composing ever differs from Pillow for a face (kerning...), the probe sees it."""
    face = pillow_font(find_font(""), 14)
    cache = GlyphCache()
    real = cache._glyph

    def shifted(face, char):
        pixels, (dx, dy), advance, box = real(face, char)
        return pixels, (dx + (char == "V"), dy), advance, box  # as a kerning pair would move it

    monkeypatch.setattr(cache, "_glyph", shifted)
    assert not cache.draw(np.zeros((40, 200, 3), np.uint8), face, "AV", (5, 30), (1, 2, 3))
    assert cache.measure(face, "AV") is None  # nor measured from the glyphs


def test_a_face_whose_advances_differ_is_measured_by_pillow(monkeypatch):
    face = pillow_font(find_font(""), 14)
    cache = GlyphCache()
    real = cache._glyph

    def wider(face, char):
        pixels, offset, advance, box = real(face, char)
        return pixels, offset, advance + (char == "o") * 0.5, box  # as sub-pixel advances

    monkeypatch.setattr(cache, "_glyph", wider)
    assert cache.measure(face, "To") is None
