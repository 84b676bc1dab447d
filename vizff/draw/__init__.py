"""The drawing kit every scene draws through: themes (colours), catalogues (words), the
shipped font, the page's regions, text that records its boxes, and shared parts.

A scene says what is on its page; the kit knows how: colours come from the theme, words from
the catalogue, places from the page, and labels never overlap.
"""

from vizff.draw import numbers
from vizff.draw.box import Box
from vizff.draw.catalogue import LANGUAGES, Catalogue, catalogue
from vizff.draw.page import Look, Page, scale_of
from vizff.draw.parts import (
    Bars,
    GrowingLine,
    Heatmaps,
    TileGrid,
    colour_bar,
    diverging_index,
    dot,
    make_palette,
    map_index,
    nice_limit,
    pixel_map,
)
from vizff.draw.plot import Axis, Chart, Plot
from vizff.draw.text import TextItem
from vizff.draw.theme import DARK, LIGHT, MAP_LEVELS, RGB, THEMES, Theme, contrast_ratio, hex_colour

__all__ = [
    "DARK",
    "LANGUAGES",
    "LIGHT",
    "MAP_LEVELS",
    "RGB",
    "THEMES",
    "Axis",
    "Bars",
    "Box",
    "Catalogue",
    "Chart",
    "GrowingLine",
    "Heatmaps",
    "Look",
    "Page",
    "Plot",
    "TextItem",
    "Theme",
    "TileGrid",
    "catalogue",
    "colour_bar",
    "contrast_ratio",
    "diverging_index",
    "dot",
    "hex_colour",
    "make_palette",
    "map_index",
    "nice_limit",
    "numbers",
    "pixel_map",
    "scale_of",
]
