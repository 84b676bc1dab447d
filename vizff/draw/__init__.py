"""The drawing kit shared by scenes: theme, fonts, colour maps, palettes, text, figure-to-frame."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib import colormaps, font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from vizff.errors import ConfigError

RGB = tuple[int, int, int]
BASE_SIZE = (640, 360)  # every layout is designed at this size and scaled
MIN_SIZE, MAX_SIZE = (160, 90), (3840, 2160)

BACKGROUND: RGB = (255, 255, 255)
INK: RGB = (34, 34, 34)  # text and axes
MUTED: RGB = (110, 110, 110)  # secondary text
FAINT: RGB = (225, 225, 225)  # grid lines, tile borders
BLUE: RGB = (31, 119, 180)
ORANGE: RGB = (230, 115, 0)
GREEN: RGB = (44, 160, 44)
RED: RGB = (214, 39, 40)
PURPLE: RGB = (148, 103, 189)
ACCENTS = (BLUE, ORANGE, GREEN, RED, PURPLE)
DIVERGING_LEVELS = 31  # odd: the middle level is exactly zero; finer levels only add GIF bytes


def hex_colour(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def parse_size(text: str, option: str = "--size") -> tuple[int, int]:
    """`640x360` -> (640, 360), within MIN_SIZE..MAX_SIZE, or a ConfigError naming the option."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"{option} {text}: write it as WIDTHxHEIGHT, e.g. 640x360") from None
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise ConfigError(
            f"{option} {text}: width must be {MIN_SIZE[0]}..{MAX_SIZE[0]} and height "
            f"{MIN_SIZE[1]}..{MAX_SIZE[1]} pixels"
        )
    return width, height


def scale_of(size: tuple[int, int]) -> float:
    """How much bigger than the 640x360 design this frame is (text and lines grow with it)."""
    return min(size[0] / BASE_SIZE[0], size[1] / BASE_SIZE[1])


@lru_cache(maxsize=64)
def font(pixels: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (shipped with matplotlib, so text matches the plots) at a pixel size."""
    path = font_manager.findfont(
        font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal"),
        fallback_to_default=True,
    )
    return ImageFont.truetype(path, max(8, int(round(pixels))))  # 8 px: the least legible


def text(
    image: Image.Image,
    xy: tuple[float, float],
    content: str,
    *,
    pixels: float,
    colour: RGB = INK,
    anchor: str = "la",
    bold: bool = False,
) -> None:
    """Draw text on a PIL image; anchor as in Pillow ("la" left-ascender, "mm" middle...)."""
    ImageDraw.Draw(image).text(
        (round(xy[0]), round(xy[1])),
        content,
        fill=colour,
        font=font(int(round(pixels)), bold),
        anchor=anchor,
    )


def text_width(content: str, pixels: float, bold: bool = False) -> int:
    return int(font(int(round(pixels)), bold).getlength(content))


class TextStamp:
    """Fast text for numbers that change every frame: each glyph is rasterised once, then
    copied. Only for one font size and colour on one flat background."""

    def __init__(
        self,
        pixels: float,
        *,
        colour: RGB = INK,
        background: RGB = BACKGROUND,
        alphabet: str = "0123456789./-+ %",
    ):
        face = font(int(round(pixels)))
        ascent, descent = face.getmetrics()
        self.ascent, self.height = ascent, ascent + descent
        self.glyphs: dict[str, np.ndarray] = {}
        for char in alphabet:
            width = max(1, int(round(face.getlength(char))))
            glyph = Image.new("RGB", (width, self.height), background)
            ImageDraw.Draw(glyph).text((0, 0), char, font=face, fill=colour, anchor="la")
            self.glyphs[char] = np.asarray(glyph)

    def width(self, content: str) -> int:
        return sum(self.glyphs[c].shape[1] for c in content)

    def stamp(self, frame: np.ndarray, x: int, baseline: int, content: str) -> None:
        """Write `content` with its left end at x and its baseline at `baseline` (pixels)."""
        strip = np.hstack([self.glyphs[c] for c in content])  # (height, width, 3)
        top = baseline - self.ascent
        frame[top : top + self.height, x : x + strip.shape[1]] = strip


@lru_cache(maxsize=8)
def diverging_colours(levels: int = DIVERGING_LEVELS) -> np.ndarray:
    """(levels, 3) uint8 blue -> white -> red (RdBu reversed); level levels//2 is zero."""
    samples = colormaps["RdBu_r"](np.linspace(0, 1, levels))[:, :3]
    colours = np.round(samples * 255).astype(np.uint8)
    colours[levels // 2] = BACKGROUND  # zero is exactly the page colour
    colours.flags.writeable = False
    return colours


def diverging_index(values: np.ndarray, limit: float, levels: int = DIVERGING_LEVELS) -> np.ndarray:
    """Level of each value on a symmetric scale [-limit, limit] (clipped): same shape, intp."""
    position = (np.asarray(values, dtype=np.float64) / limit + 1.0) * 0.5 * (levels - 1)
    return np.clip(np.rint(position), 0, levels - 1).astype(np.intp)


def blends(colour: RGB, under: RGB = BACKGROUND, steps: int = 8) -> list[RGB]:
    """Colours between `under` and `colour`: what antialiased edges of `colour` look like."""
    c, u = np.array(colour, float), np.array(under, float)
    return [
        tuple(int(v) for v in np.rint(u + (c - u) * t)) for t in np.linspace(0, 1, steps + 1)[1:]
    ]


def make_palette(
    *,
    inks: tuple[RGB, ...] = ACCENTS,
    greys: int = 48,
    diverging: bool = False,
    extra: tuple[RGB, ...] = (),
) -> np.ndarray:
    """A GIF palette (<= 255 colours) for a scene: greys, antialiased blends of each ink over
    white, the diverging map's levels, and any extra colours; duplicates removed, order fixed."""
    colours: list[RGB] = [BACKGROUND, INK, MUTED, FAINT]
    colours += [(g, g, g) for g in np.linspace(0, 255, greys).astype(int).tolist()]
    for ink in inks:
        colours += blends(ink, steps=10)
    if diverging:
        colours += [tuple(c) for c in diverging_colours().tolist()]
    colours += list(extra)
    unique = list(dict.fromkeys(tuple(int(v) for v in c) for c in colours))
    if len(unique) > 255:
        raise AssertionError(f"palette of {len(unique)} colours")  # a scene's own mistake
    return np.array(unique, dtype=np.uint8)


def new_figure(size: tuple[int, int]) -> tuple[Figure, FigureCanvasAgg]:
    """A matplotlib Figure of exactly `size` pixels whose points scale with the frame."""
    dpi = 100 * scale_of(size)
    figure = Figure(
        figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, facecolor=hex_colour(BACKGROUND)
    )
    return figure, FigureCanvasAgg(figure)


def canvas_frame(canvas: FigureCanvasAgg) -> np.ndarray:
    """The canvas's current pixels as a new (height, width, 3) uint8 frame."""
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


class Blitter:
    """Draw a figure's static parts once; each frame redraws only the animated artists."""

    def __init__(self, figure: Figure, canvas: FigureCanvasAgg, animated: list):
        self.canvas, self.animated = canvas, animated
        for artist in animated:
            artist.set_animated(True)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)

    def frame(self) -> np.ndarray:
        self.canvas.restore_region(self.background)
        for artist in self.animated:
            artist.axes.draw_artist(artist) if artist.axes else artist.figure.draw_artist(artist)
        return canvas_frame(self.canvas)


def style_axes(axes) -> None:
    """Quiet axes: no top/right spines, light grid, ink-coloured ticks at readable sizes."""
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(hex_colour(MUTED))
    axes.tick_params(colors=hex_colour(INK), labelsize=9, length=3)
    axes.grid(True, color=hex_colour(FAINT), linewidth=0.8)
    axes.set_axisbelow(True)
