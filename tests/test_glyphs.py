"""Text from glyphs rasterised once, each at its quarter-pixel pen position: the pixels of
Pillow drawing each glyph there at four times the size, averaged down; its advances those the
font was designed with; and letters evenly apart where Pillow's basic layout was not."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from fontTools.ttLib import TTFont
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


def designed_advances(face, text: str) -> list[float]:
    """Each character's advance in pixels from the font's own tables (hmtx and the cmap,
    read by fontTools): units per em scaled to the size, no hinting."""
    cmap, metrics, em = font_tables(face.path, face.index)
    return [metrics[cmap[ord(c)]][0] * face.size / em for c in text]


@functools.lru_cache(maxsize=8)
def font_tables(path: str, index: int) -> tuple[dict, dict, int]:
    """The cmap, the advances and units per em of a font file, read once (reading the
    shipped font's tables took 40 ms, and the tests asked 300 times a size)."""
    font = TTFont(path, fontNumber=index, lazy=True)
    return font.getBestCmap(), font["hmtx"].metrics, font["head"].unitsPerEm


def oracle(face, text: str, origin: tuple[float, int], size: tuple[int, int]):
    """(coverage, shared) of `text`: Pillow draws each glyph at four times the size, at its
    pen position rounded to a quarter pixel (whole pixels there), white on black, each
    screening what is under it; each 4x4 block averaged, rounded. `shared`: the pixels where
    two glyphs' large ink overlaps."""
    large = face.font_variant(size=face.size * 4)
    width, height = size
    canvas = Image.new("L", (width * 4, height * 4), 0)
    draw, pen = ImageDraw.Draw(canvas), origin[0]
    count = np.zeros((height * 4, width * 4), np.uint8)
    for char, advance in zip(text, designed_advances(face, text)):
        x = round(pen * 4)  # in large pixels: a quarter pixel is one
        draw.text((x, origin[1] * 4), char, font=large, fill=255, anchor="ls")
        # the glyph alone, drawn on a picture of its own box only (a whole canvas per glyph
        # made this oracle quadratic in the string: 155 s of the suite)
        left, top, right, bottom = draw.textbbox((x, origin[1] * 4), char, font=large, anchor="ls")
        left, top = max(left, 0), max(top, 0)
        right, bottom = min(right, canvas.width), min(bottom, canvas.height)
        if right > left and bottom > top:
            alone = Image.new("L", (right - left, bottom - top), 0)
            at = (x - left, origin[1] * 4 - top)
            ImageDraw.Draw(alone).text(at, char, font=large, fill=255, anchor="ls")
            count[top:bottom, left:right] += np.asarray(alone) > 0
        pen += advance
    blocks = np.asarray(canvas, np.uint32).reshape(height, 4, width, 4).sum(axis=(1, 3))
    shared = (count > 1).reshape(height, 4, width, 4).any(axis=(1, 3))
    return ((blocks + 8) // 16).astype(np.uint8), shared


def composed(face, text: str, origin: tuple[float, int], size: tuple[int, int]) -> np.ndarray:
    picture = np.zeros((size[1], size[0], 3), np.uint8)
    assert COMPOSER.draw(picture, face, text, origin, (255, 255, 255))
    return picture[..., 0]


COMPOSER = GlyphCache()  # one for the tests, as vizff keeps one: a new one read the font again


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("pixels", [8, 10, 13, 19, 27])
def test_composed_glyphs_are_each_glyph_drawn_by_pillow_at_its_place(pixels, bold):
    """Each pixel within 2 levels of 255 of the oracle (each glyph's block average is
    rounded on its own); where two glyphs' ink truly overlaps ("_i" in "p_i") the coverages
    add, so the pixel is at least the oracle's screen. A glyph a quarter pixel off, or
    Pillow's whole-pixel placing, differs by 60 levels and more."""
    face = pillow_font(find_font(""), pixels, bold)
    for text in catalogue_texts()[::9]:  # every 9th string: about 45 of each language
        size = (math.ceil(sum(designed_advances(face, text))) + 4 * pixels, 3 * pixels)
        for x in (pixels, pixels + 0.25, pixels + 0.6):
            ours = composed(face, text, (x, 2 * pixels), size).astype(int)
            want, shared = oracle(face, text, (x, 2 * pixels), size)
            difference = ours - want.astype(int)
            assert np.abs(difference[~shared]).max(initial=0) <= 2, (pixels, text, x)
            assert difference[shared].min(initial=0) >= -2, (pixels, text, x)


@pytest.mark.parametrize("pixels", [9, 16, 33])
def test_measured_advance_is_the_fonts_and_the_box_is_the_ink(pixels):
    """The advance: the sum of the font's designed advances (Pillow's basic layout rounds
    each to whole pixels); the ink box: where the drawn pixels are."""
    face = pillow_font(find_font(""), pixels)
    cache = GlyphCache()
    for text in catalogue_texts()[::5]:
        advance, (x0, y0, x1, y1) = cache.measure(face, text)
        assert advance == pytest.approx(sum(designed_advances(face, text)), abs=0.02)
        size = (math.ceil(advance) + 4 * pixels, 3 * pixels)
        rows, cols = np.nonzero(composed(face, text, (2 * pixels, 2 * pixels), size))
        if len(rows):
            ink = (
                cols.min() - 2 * pixels,
                rows.min() - 2 * pixels,
                cols.max() + 1 - 2 * pixels,
                rows.max() + 1 - 2 * pixels,
            )
            assert (x0, y0, x1, y1) == ink, (pixels, text)


def space_is_the_widest_gap(coverage: np.ndarray, first: np.ndarray) -> bool:
    """Whether the widest run of blank columns inside a line's ink is the space after its
    first word, and no other run is as wide (`first`: that word drawn alone)."""
    inked = np.flatnonzero(coverage.any(axis=0))
    gaps = np.diff(inked) - 1
    word_end = np.flatnonzero(first.any(axis=0)).max()
    space = int(gaps[np.searchsorted(inked, word_end)])
    return space == gaps.max() and int((gaps == space).sum()) == 1


def test_letters_are_as_far_apart_as_the_font_sets_them():
    """At 10 pixels (a 640x360 frame's small text) Pillow's basic layout rounded each advance
    to whole pixels: "central differences" had gaps inside words as wide as the space between
    them, and read "centraldifferences". Now the space is the one widest gap."""
    face = pillow_font(find_font(""), 10)
    size = (200, 30)
    for text, first in (("central differences", "central"), ("of 1,568", "of")):
        assert space_is_the_widest_gap(
            composed(face, text, (4, 20), size), composed(face, first, (4, 20), size)
        ), text
        drawn = []
        for words in (text, first):  # the fault, as Pillow's basic layout set it
            image = Image.new("L", size, 0)
            ImageDraw.Draw(image).text((4, 20), words, font=face, fill=255, anchor="ls")
            drawn.append(np.asarray(image))
        assert not space_is_the_widest_gap(*drawn), text


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


def test_a_sub_pixel_baseline_is_left_to_pillow_a_sub_pixel_start_is_drawn():
    face = pillow_font(find_font(""), 12)
    picture = np.zeros((30, 80, 3), np.uint8)
    assert not GlyphCache().draw(picture, face, "0.5", (3, 20.5), (9, 9, 9))
    assert not picture.any()  # nothing drawn: the caller draws it
    quarter = composed(face, "0.5", (3.25, 20), (80, 30))
    assert quarter.any() and not np.array_equal(quarter, composed(face, "0.5", (3, 20), (80, 30)))


def test_lines_are_left_to_pillow():
    face = pillow_font(find_font(""), 12)
    picture = np.zeros((60, 80, 3), np.uint8)
    assert not GlyphCache().draw(picture, face, "0.5\n7", (3, 20), 9)
    assert not picture.any()


def test_a_face_whose_string_advance_is_not_its_glyphs_keeps_pillows_path(monkeypatch):
    """Kerning or shaping (a string's advance other than the sum of its glyphs') would move
    glyphs from where they are composed: such a face is drawn and measured by Pillow."""
    face = pillow_font(find_font(""), 14)
    cache = GlyphCache()
    real = type(face).getlength

    def kerned(self, text, *args, **kwargs):
        return real(self, text, *args, **kwargs) - ("AV" in text)  # as a kerning pair

    monkeypatch.setattr(type(face), "getlength", kerned)
    assert not cache.draw(np.zeros((40, 200, 3), np.uint8), face, "AV", (5, 30), (1, 2, 3))
    assert cache.measure(face, "AV") is None  # nor measured from the glyphs


def catalogue_strings(lang: str) -> list[str]:
    import tomllib
    from pathlib import Path

    import vizff.draw

    table = tomllib.loads(
        (Path(vizff.draw.__file__).parent / f"catalogues/{lang}.toml").read_text()
    )

    def walk(value):
        if isinstance(value, dict):
            for inner in value.values():
                yield from walk(inner)
        elif isinstance(value, str):
            yield value

    return list(walk(table))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_width_from_advances_is_the_width_of_the_text_laid_out(lang):
    """Typesetter.width measures without drawing a glyph: it must be what lay() gives, for
    every string of the catalogue, markup (z_2, 10^{-2}) and bold included."""
    from vizff.draw.text import Typesetter

    typesetter = Typesetter(find_font(""))
    for text in [*catalogue_strings(lang), "z_2 = e^{-x}", "10^{−2}", "", "   "]:
        for pixels, bold, markup in ((9, False, True), (23, True, True), (14, False, False)):
            # asked before it is laid: from the advances alone
            width = typesetter.width(text, pixels, bold=bold, markup=markup)
            laid = typesetter.lay(text, pixels, bold=bold, markup=markup)
            assert width == laid.width, (text, pixels, bold, markup)


def test_fitting_a_long_title_at_4k_draws_the_glyphs_of_one_size_only(monkeypatch):
    """A long Chinese title on a 3840x2160 card took 53 s: fit() laid the title at every size
    from the largest down, drawing each glyph four times larger at each."""
    from vizff.draw.text import Typesetter

    drawn = []
    original = GlyphCache._raster

    def counted(self, face, char, fraction):
        drawn.append(face.size)
        return original(self, face, char, fraction)

    monkeypatch.setattr(GlyphCache, "_raster", counted)
    typesetter = Typesetter(find_font(""))
    typesetter.glyphs = GlyphCache()  # nothing drawn before
    title = "梯度下降法与反向传播，学习率，批量大小，交叉熵误差，测试准确率" * 3
    laid = typesetter.fit(title, 3000, 200, smallest=20)
    assert laid.pixels < 200 and laid.width <= 3000
    assert set(drawn) <= {laid.pixels, *(r.face.size for r in laid.runs)}, sorted(set(drawn))
