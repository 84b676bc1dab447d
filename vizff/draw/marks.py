"""Marks that say right or wrong by their shape, not by colour alone: a tick and a cross.

The shipped font has no ✓ or ✗ (U+2713, U+2717), so the marks are drawn: each kind, size,
colour and backdrop once, supersampled for smooth edges, then stamped onto frames as a copy.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from vizff.draw.box import Box
from vizff.draw.theme import RGB

SUPER = 4  # supersampling factor of the one drawing of each mark
# Strokes in a unit square (x right, y down): a tick for right, a cross for wrong.
STROKES = {
    "right": [[(0.1, 0.55), (0.38, 0.84), (0.92, 0.16)]],
    "wrong": [[(0.16, 0.16), (0.84, 0.84)], [(0.84, 0.16), (0.16, 0.84)]],
}
KINDS = tuple(STROKES)


def draw_mark(kind: str, size: int, colour: RGB, backdrop: RGB) -> np.ndarray:
    """(size, size, 3) uint8: the mark `kind` in `colour` on a flat `backdrop`, antialiased."""
    big = size * SUPER
    image = Image.new("RGB", (big, big), backdrop)
    pen = ImageDraw.Draw(image)
    width = max(SUPER, round(big * 0.17))
    for stroke in STROKES[kind]:
        points = [(x * (big - 1), y * (big - 1)) for x, y in stroke]
        pen.line(points, fill=colour, width=width, joint="curve")
        r = width / 2
        for x, y in (points[0], points[-1]):  # round ends
            pen.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return np.asarray(image.resize((size, size), Image.Resampling.BOX))


class Marks:
    """Ticks and crosses of one size, drawn once per colour and backdrop, stamped by copy."""

    def __init__(self, size: int):
        self.size = max(3, int(size))
        self._drawn: dict[tuple[str, RGB, RGB], np.ndarray] = {}

    def picture(self, kind: str, colour: RGB, backdrop: RGB) -> np.ndarray:
        key = (kind, tuple(colour), tuple(backdrop))
        if key not in self._drawn:
            self._drawn[key] = draw_mark(kind, self.size, colour, backdrop)
        return self._drawn[key]

    def stamp(
        self, frame: np.ndarray, kind: str, x: int, y: int, colour: RGB, backdrop: RGB
    ) -> Box:
        """Copy the mark onto `frame` with its top-left corner at (x, y); returns its box."""
        box = Box(int(x), int(y), self.size, self.size)
        frame[box.slices] = self.picture(kind, colour, backdrop)
        return box
