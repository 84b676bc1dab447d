"""A matrix of counts (a confusion matrix): cells coloured on fixed maps, each count written
in its cell in the colour that reads best on it, labels outside; and the colour maps that keep
such text legible.

Counts are written at one size for the whole animation, chosen so the largest count a cell can
hold fits its cell; when even the smallest legible size does not fit, no count is written
(`shows_counts` is False) and the scene says so: text never overlaps a cell's edge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vizff.draw.box import Box
from vizff.draw.lint import MIN_CONTRAST
from vizff.draw.page import SIZES, Page
from vizff.draw.text import MIN_PIXELS
from vizff.draw.theme import MAP_LEVELS, RGB, Theme, mix, ramp


def legible_map(theme: Theme, end: RGB, levels: int = MAP_LEVELS) -> np.ndarray:
    """(levels, 3) uint8 colours from the page colour (level 0, exactly) to `end`, through
    `end` mixed 55% into the page, leaving out the band of colours on which neither the ink nor
    the page colour reads at MIN_CONTRAST: text written with `theme.text_on` on any level does.
    """
    middle = mix(theme.background, end, 0.55)
    fine = ramp([theme.background, middle, end], 1024)
    luminance = _luminance(fine)  # (1024,)
    best = np.zeros(len(fine))
    for text in (theme.ink, theme.background):
        other = _luminance(np.asarray([text]))[0]
        light, dark = np.maximum(luminance, other), np.minimum(luminance, other)
        best = np.maximum(best, (light + 0.05) / (dark + 0.05))
    readable = np.flatnonzero(best >= MIN_CONTRAST)
    picked = readable[np.linspace(0, len(readable) - 1, levels).round().astype(int)]
    colours = fine[picked].copy()
    colours[0] = theme.background
    colours.flags.writeable = False
    return colours


def _luminance(colours: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of (n, 3) sRGB colours (as theme.relative_luminance)."""
    channels = np.asarray(colours, dtype=np.float64) / 255
    linear = np.where(channels <= 0.03928, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return linear @ [0.2126, 0.7152, 0.0722]


def level_of(counts: np.ndarray, limit: float, levels: int = MAP_LEVELS) -> np.ndarray:
    """The map level of each count on a square-root scale from 0 to `limit` (clipped): small
    counts stay visible beside large ones; 0 is level 0 (the page colour) and only 0 is."""
    share = np.sqrt(np.clip(np.asarray(counts, dtype=np.float64) / max(limit, 1), 0, 1))
    level = np.ceil(share * (levels - 1) - 1e-9).astype(np.intp)  # any count > 0: level >= 1
    return np.clip(level, 0, levels - 1)


@dataclass
class CountMatrix:
    """An n x n matrix of whole-pixel cells under a row of column labels, beside a column of
    row labels, with 1-pixel grid lines in the theme's faint colour."""

    page: Page
    box: Box  # the cells and their grid lines
    n: int
    cell: int  # pixels from one grid line to the next
    row_labels: Sequence[str]
    col_labels: Sequence[str]
    label_w: int  # width of the row labels' column
    count_size: float | None  # design size of the counts, None when they do not fit
    row_size: float  # design size of the row labels: a line of it fits a cell's height
    _ink: dict = field(default_factory=dict, repr=False)  # text colour of each cell colour
    _frame: np.ndarray | None = field(default=None, repr=False)  # the picture painted last
    _shown: dict = field(default_factory=dict, repr=False)  # cell -> (text, fill, its item)

    @classmethod
    def fit(
        cls,
        page: Page,
        area: Box,
        *,
        row_labels: Sequence[str],
        col_labels: Sequence[str],
        widest: str,
        label_share: float = 0.3,
    ) -> CountMatrix:
        """The largest matrix that fits `area` with its labels. The row labels get the width
        that the matrix leaves when its height decides its size, but at least `label_share`
        of the area when they need it (the cells shrink then); they are written at a size
        whose line fits a cell's height, so rows never touch. `widest`: the longest count a
        cell may have to show (the largest row total)."""
        n = len(row_labels)
        small = page.px("small")
        pad = max(2, round(4 * page.s))
        x0, y0, x1, y1 = page.type.lay("0", small).extent
        col_h = y1 - y0 + 2  # the column labels' strip: their box and a pixel either side
        by_height = math.floor((area.h - col_h - 1) / n)
        natural = max(page.type.width(label, small) for label in row_labels)
        room = area.w - 1 - n * by_height - pad
        label_w = min(natural, max(room, round(area.w * label_share))) + pad
        cell = max(2, math.floor(min(by_height, (area.w - label_w - 1) / n)))
        box = Box(area.x + label_w, area.y + col_h, n * cell + 1, n * cell + 1)
        size = _count_size(page, cell - 1, widest)
        row_size = _line_size(page, cell - 1)  # a pixel apart, however the centres round
        return cls(page, box, n, cell, row_labels, col_labels, label_w, size, row_size)

    @property
    def shows_counts(self) -> bool:
        return self.count_size is not None

    def cell_box(self, row: int, col: int) -> Box:
        """The inside of a cell (between its grid lines)."""
        return Box(
            self.box.x + col * self.cell + 1,
            self.box.y + row * self.cell + 1,
            self.cell - 1,
            self.cell - 1,
        )

    def draw_static(self, frame: np.ndarray) -> None:
        """Grid lines and labels: drawn once, on the picture every frame starts from. Where
        a label's line is taller than a cell (or a column label wider), every k-th row (or
        column) is labelled, starting at 0, k the smallest that keeps them apart."""
        page, theme = self.page, self.page.theme
        frame[self.box.slices] = theme.faint
        pad = max(2, round(4 * page.s))
        x0, y0, x1, y1 = page.type.lay("Ag字", page.px(self.row_size)).extent
        rows = math.ceil((y1 - y0 + 1) / self.cell)
        for row in range(0, self.n, rows):
            centre = self.cell_box(row, 0).centre[1]
            page.text(
                frame,
                (self.box.x - pad, centre),
                self.row_labels[row],
                size=self.row_size,
                anchor="rm",
                width=self.label_w - pad,
                role="row",
            )
        widest = max(page.type.width(label, page.px("small")) for label in self.col_labels)
        for col in range(0, self.n, math.ceil((widest + 2) / self.cell)):
            centre = self.cell_box(0, col).centre[0]
            page.text(
                frame,
                (centre, self.box.y - 1),
                self.col_labels[col],
                size="small",
                anchor="mb",
                role="column",
            )

    def paint(self, frame: np.ndarray, colours: np.ndarray, texts: Sequence[str]) -> None:
        """Fill each cell with its colour, (n, n, 3), and write its text (row by row): in
        muted where the cell is the page colour (a count of zero), else in the ink or page
        colour that reads better on it.

        A picture kept from frame to frame (the same `frame` as last time) keeps the cells
        that have not changed: they are not drawn again, their texts recorded again as they
        are. That is most cells once training settles; the lint checks they are untouched.
        """
        if frame is not self._frame:
            self._frame, self._shown = frame, {}
        fills = list(map(tuple, np.asarray(colours).reshape(-1, 3).tolist()))
        for k, (text, fill) in enumerate(zip(texts, fills)):
            shown = self._shown.get(k)
            if shown is not None and shown[0] == text and shown[1] == fill:
                if shown[2] is not None:
                    self.page.dynamic.append(shown[2])  # still on the frame, unchanged
                continue
            row, col = divmod(k, self.n)
            self._shown[k] = (text, fill, self._cell(frame, row, col, fill, text))

    def _cell(self, frame: np.ndarray, row: int, col: int, fill: RGB, text: str):
        inside = self.cell_box(row, col)
        frame[inside.slices] = fill
        if self.count_size is None:
            return None
        ink = self._ink.get(fill)
        if ink is None:
            theme = self.page.theme
            ink = self._ink[fill] = theme.muted if fill == theme.background else theme.text_on(fill)
        return self.page.text(
            frame, inside.centre, text, size=self.count_size, colour=ink, anchor="mm", role="count"
        )


def _count_size(page: Page, inside: int, widest: str) -> float | None:
    """The largest design size up to "small" at which `widest` fits a cell's inside, with a
    pixel to spare each side; None when not even the smallest legible size does."""
    size = SIZES["small"]
    while True:
        laid = page.type.lay(widest, page.px(size))
        x0, y0, x1, y1 = laid.extent
        if x1 - x0 + 2 <= inside and y1 - y0 + 2 <= inside:
            return size
        if page.px(size) <= MIN_PIXELS:
            return None
        size = max(size - 0.25, MIN_PIXELS / (page.s * page.words.text_scale))


def _line_size(page: Page, height: int) -> float:
    """The largest design size up to "small" whose line box fits `height` pixels (at least
    the smallest legible size: then the rows are labelled only as far as they fit)."""
    size = SIZES["small"]
    while page.px(size) > MIN_PIXELS:
        x0, y0, x1, y1 = page.type.lay("Ag字", page.px(size)).extent
        if y1 - y0 <= height:
            break
        size = max(size - 0.25, MIN_PIXELS / (page.s * page.words.text_scale))
    return size
