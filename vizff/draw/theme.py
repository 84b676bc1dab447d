"""Themes: every colour a scene draws with, in one object per look (light, dark).

Colour-vision safety: signed values run blue (negative) to red-orange (positive), never red to
green; "right" and "wrong" are blue and orange, and always come with a mark, not colour alone.
Every colour that text is written in keeps a contrast ratio of at least 4.5:1 (WCAG AA) with
the page and with the panel colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

RGB = tuple[int, int, int]
MAP_LEVELS = 31  # odd: the middle level of the signed map is exactly zero; more adds GIF bytes
LINE_CONTRAST = 3.0  # the least contrast of a line a reader must follow, against the page


def relative_luminance(colour: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour, 0 (black) to 1 (white)."""
    channels = np.asarray(colour, dtype=np.float64) / 255
    linear = np.where(channels <= 0.03928, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG 2 contrast ratio, 1 (same luminance) to 21 (black on white)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def hex_colour(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def mix(under: RGB, over: RGB, amount: float) -> RGB:
    """`over` laid on `under` at `amount` (0: under, 1: over), rounded to whole levels."""
    a, b = np.asarray(under, float), np.asarray(over, float)
    return tuple(int(v) for v in np.rint(a + (b - a) * amount))


def ramp(stops: list[RGB], levels: int) -> np.ndarray:
    """(levels, 3) uint8 colours through `stops`, evenly spaced, linear in sRGB between them."""
    positions = np.linspace(0, len(stops) - 1, levels)
    low = np.minimum(positions.astype(int), len(stops) - 2)
    t = (positions - low)[:, None]
    stops_array = np.asarray(stops, dtype=np.float64)
    colours = stops_array[low] * (1 - t) + stops_array[low + 1] * t
    return np.rint(colours).astype(np.uint8)


@dataclass(frozen=True)
class Theme:
    """The colours of one look. Scenes name roles (`ink`, `primary`...), never literal colours."""

    name: str
    background: RGB  # the page
    ink: RGB  # text and axes
    muted: RGB  # secondary text, axis lines
    faint: RGB  # grid lines, tile borders (never text)
    panel: RGB  # a quiet box behind text: legends, badges, shaded regions
    primary: RGB  # the main series: the loss, sigmoid, bars
    secondary: RGB  # the second series: the slope, the swept logit, highlights
    tertiary: RGB  # the third series: test accuracy
    right: RGB  # a correct prediction
    wrong: RGB  # a wrong prediction
    negative_end: RGB  # the signed map's most negative colour
    positive_end: RGB  # the signed map's most positive colour
    sequential_end: RGB  # the activation map's colour for 1 (0 is the page)
    diverging_mid: tuple[RGB, RGB] = field(default=((146, 197, 222), (244, 165, 130)))

    @cached_property
    def diverging(self) -> np.ndarray:
        """(MAP_LEVELS, 3) uint8: negative end -> the page colour (exactly: zero) -> positive."""
        negative_mid, positive_mid = self.diverging_mid
        stops = [self.negative_end, negative_mid, self.background, positive_mid, self.positive_end]
        colours = ramp(stops, MAP_LEVELS)
        colours[MAP_LEVELS // 2] = self.background  # zero weight reads as nothing
        colours.flags.writeable = False
        return colours

    @cached_property
    def sequential(self) -> np.ndarray:
        """(MAP_LEVELS, 3) uint8: the page colour for 0 to sequential_end for 1."""
        middle = mix(self.background, self.sequential_end, 0.55)
        colours = ramp([self.background, middle, self.sequential_end], MAP_LEVELS)
        colours.flags.writeable = False
        return colours

    def text_on(self, fill: RGB) -> RGB:
        """Ink or page colour, whichever reads better on `fill` (a heatmap cell, a bar)."""
        return max((self.ink, self.background), key=lambda c: contrast_ratio(c, fill))

    def pale(self, role: str, amount: float, *, least: float = LINE_CONTRAST) -> RGB:
        """`role`'s colour `amount` of the way from the page: for a line drawn paler than
        its main series (a raw loss under its smoothed one, a band under a line), yet
        never paler than `least` contrast against the page (WCAG's 3:1 for graphics)."""
        over = getattr(self, role)
        while (
            amount < 1
            and contrast_ratio(mix(self.background, over, amount), self.background) < least
        ):
            amount = min(1.0, amount + 0.05)
        return mix(self.background, over, amount)

    @property
    def text_colours(self) -> dict[str, RGB]:
        """Every colour a theme allows text in, by role."""
        roles = ("ink", "muted", "primary", "secondary", "tertiary", "right", "wrong")
        return {role: getattr(self, role) for role in roles}

    @property
    def dark(self) -> bool:
        return relative_luminance(self.background) < 0.2


LIGHT = Theme(
    name="light",
    background=(255, 255, 255),
    ink=(34, 34, 34),
    muted=(110, 110, 110),
    faint=(225, 225, 225),
    panel=(246, 246, 246),
    primary=(31, 112, 176),
    secondary=(184, 78, 0),
    tertiary=(24, 128, 56),
    right=(0, 114, 178),
    wrong=(184, 78, 0),
    negative_end=(33, 102, 172),
    positive_end=(178, 24, 43),
    sequential_end=(8, 64, 140),
    diverging_mid=((146, 197, 222), (244, 165, 130)),
)

DARK = Theme(
    name="dark",
    background=(21, 24, 28),
    ink=(232, 232, 232),
    muted=(163, 163, 163),
    faint=(52, 57, 64),
    panel=(41, 46, 53),
    primary=(90, 176, 240),
    secondary=(255, 158, 64),
    tertiary=(110, 210, 140),
    right=(90, 176, 240),
    wrong=(255, 158, 64),
    negative_end=(110, 180, 255),
    positive_end=(255, 140, 70),
    sequential_end=(150, 220, 255),
    diverging_mid=((40, 84, 140), (150, 76, 40)),
)

THEMES = {theme.name: theme for theme in (LIGHT, DARK)}
