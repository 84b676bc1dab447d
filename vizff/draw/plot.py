"""Charts drawn by matplotlib's Agg (antialiased lines, curves, bars) with the kit's text.

matplotlib draws geometry only; every label (ticks, axis titles, legends) is the kit's text,
so it shares the font, the theme and the layout lint. A `Plot` keeps the static picture as
RGBA; each frame restores it, draws the moving artists, and reads RGB out. Lines that only
grow are baked into the kept picture a segment at a time (`grow`), so a frame costs the same
at step 10 as at step 10,000.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from vizff.draw.box import Box
from vizff.draw.page import Page
from vizff.draw.theme import hex_colour
from vizff.interrupts import critical

POINTS_PER_PIXEL = 72 / 100  # the figure is 100 dpi: one pixel is 0.72 points


class Plot:
    """One matplotlib figure the size of the page, its axes placed at pixel boxes."""

    def __init__(self, page: Page):
        self.page, self.theme = page, page.theme
        width, height = page.size
        self.figure = Figure(
            figsize=(width / 100, height / 100),
            dpi=100,
            facecolor=hex_colour(self.theme.background),
        )
        self.canvas = FigureCanvasAgg(self.figure)
        self.base: np.ndarray | None = None  # (h, w, 4) the static picture

    def points(self, pixels_at_640: float) -> float:
        """A line width or marker size in points that scales with the frame."""
        return pixels_at_640 * self.page.s * POINTS_PER_PIXEL

    def axes(self, box: Box, *, grid: bool | str = True):
        """Axes filling `box` (pixels): theme spines, optional faint grid, no tick labels."""
        width, height = self.page.size
        rect = (box.x / width, 1 - box.bottom / height, box.w / width, box.h / height)
        axes = self.figure.add_axes(rect)
        axes.set_facecolor(hex_colour(self.theme.background))
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            axes.spines[side].set_color(hex_colour(self.theme.muted))
            axes.spines[side].set_linewidth(self.points(1))
        axes.tick_params(
            labelleft=False,
            labelbottom=False,
            length=self.points(3),
            width=self.points(1),
            color=hex_colour(self.theme.muted),
        )
        if grid:  # True: both ways; "y": horizontal lines only (bars stand on the x ticks)
            axes.grid(
                True,
                axis="y" if grid == "y" else "both",
                color=hex_colour(self.theme.faint),
                linewidth=self.points(0.8),
            )
        axes.set_axisbelow(True)
        return axes

    def render(self, moving: Sequence = ()) -> np.ndarray:
        """Draw the figure once with `moving` artists left out; keep it as the base picture.
        Returns it as a new RGB frame, for the kit to draw the static text on."""
        for artist in moving:
            artist.set_animated(True)
        with critical():
            self.canvas.draw()
        self.base = np.asarray(self.canvas.buffer_rgba()).copy()
        return self.rgb()

    def adopt(self, frame: np.ndarray) -> None:
        """Make an RGB frame (the rendered base with the static text on it) the base."""
        self.base = np.asarray(Image.fromarray(frame, "RGB").convert("RGBA")).copy()

    def _restore(self) -> None:
        np.copyto(np.asarray(self.canvas.buffer_rgba()), self.base)

    def grow(self, artists: Sequence) -> None:
        """Bake `artists` (new segments of growing lines) into the base picture."""
        self._restore()
        with critical():
            for artist in artists:
                artist.axes.draw_artist(artist)
        self.base = np.asarray(self.canvas.buffer_rgba()).copy()

    def frame(self, moving: Sequence = ()) -> np.ndarray:
        """The base with the `moving` artists drawn: a new RGB frame."""
        self._restore()
        with critical():
            for artist in moving:
                artist.axes.draw_artist(artist)
        return self.rgb()

    def rgb(self) -> np.ndarray:
        """The canvas as a new (h, w, 3) uint8 array (Pillow's packing is the fast way)."""
        width, height = self.page.size
        rgba = Image.frombuffer(
            "RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        data = rgba.tobytes("raw", "RGB")
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3).copy()


@dataclass(frozen=True)
class Axis:
    """One axis of a chart: its limits, ticks and how their labels read."""

    low: float
    high: float
    ticks: Sequence[float]
    label: Callable[[float], str] = lambda v: f"{v:g}"
    title: str | None = None
    colour: str = "muted"
    short_title: str | None = None  # drawn instead where `title` does not fit its chart

    def title_for(self, page, room: float) -> str | None:
        """The title, or its short form where the title is wider than `room` at its size."""
        if not self.short_title:
            return self.title
        return page.fitting((self.title, self.short_title), room)


class Chart:
    """Axes placed inside `outer` with room for the kit's tick labels and axis titles.

    y titles sit above their axis, horizontally (no rotated text); a second y axis on the
    right is optional. Legends are a row of swatches above the plot, where curves never go.
    """

    def __init__(
        self,
        plot: Plot,
        outer: Box,
        x: Axis,
        y: Axis,
        *,
        right: Axis | None = None,
        legend: Sequence[tuple[str, ...]] = (),  # (label, colour role[, "dashed"]) per series
        grid: bool | str = True,
    ):
        self.plot, self.page = plot, plot.page
        page, s = plot.page, plot.page.s
        self.x, self.y, self.right = x, y, right
        tick_px = page.px("small")
        widest = max((page.type.width(y.label(v), tick_px) for v in y.ticks), default=0)
        right_w = 0
        if right is not None:
            right_w = max(
                (page.type.width(right.label(v), tick_px) for v in right.ticks), default=0
            )
        title_h = page.line_height("small") if (y.title or (right and right.title)) else 0
        self.legend = tuple(legend)
        self.legend_rows = self._legend_rows(outer, outer.x + widest + round(6 * s))
        legend_h = page.line_height("small") * len(self.legend_rows)
        tick_h = page.line_height("small")
        x_title_h = page.line_height("small") if x.title else 0
        pad = round(6 * s)  # past the 3-pixel tick marks
        inner = Box(  # at least a few pixels, however small the frame
            outer.x + widest + pad,
            outer.y + legend_h + title_h + tick_h // 2 + pad,
            outer.w - widest - pad - (right_w + pad if right else 0) - round(4 * s),
            outer.h - legend_h - title_h - tick_h // 2 - pad - tick_h - x_title_h - pad,
        )
        inner = Box(inner.x, inner.y, max(8, inner.w), max(8, inner.h))
        self.box, self.outer = inner, outer
        self.legend_y = outer.y + page.line_height("small") / 2  # the first row's middle
        self.axes = plot.axes(inner, grid=grid)
        self.axes.set_xlim(x.low, x.high)
        self.axes.set_ylim(y.low, y.high)
        self.axes.set_xticks(list(x.ticks))
        self.axes.set_yticks(list(y.ticks))
        self.twin = None
        if right is not None:
            self.twin = self.axes.twinx()
            self.twin.set_ylim(right.low, right.high)
            self.twin.set_yticks(list(right.ticks))
            self.twin.tick_params(
                labelright=False,
                length=plot.points(3),
                width=plot.points(1),
                color=hex_colour(page.colour(right.colour)),
            )
            for side in ("top", "left", "bottom"):
                self.twin.spines[side].set_visible(False)
            self.twin.spines["right"].set_color(hex_colour(page.colour(right.colour)))
            self.twin.spines["right"].set_linewidth(plot.points(1))

    def to_px(self, x: float, y: float, *, right: bool = False) -> tuple[float, float]:
        """Data coordinates to frame pixels (y down)."""
        axis = self.right if right else self.y
        box = self.box
        px = box.x + (x - self.x.low) / (self.x.high - self.x.low) * box.w
        py = box.bottom - (y - axis.low) / (axis.high - axis.low) * box.h
        return px, py

    def shown_ticks(self, axis: Axis, vertical: bool) -> list[float]:
        """The ticks whose labels fit: every one, or every 2nd, 3rd... so none touch."""
        page = self.page
        laid = [page.type.lay(axis.label(v), page.px("small")) for v in axis.ticks]
        if not laid:
            return []
        extent = axis.high - axis.low
        room = (self.box.h if vertical else self.box.w) / extent  # pixels per unit
        for step in range(1, len(laid) + 1):
            kept = list(range(0, len(laid), step))
            sizes = [(t.ascent + t.descent) if vertical else t.width for t in laid]
            gaps = [
                abs(axis.ticks[b] - axis.ticks[a]) * room - (sizes[a] + sizes[b]) / 2
                for a, b in zip(kept, kept[1:])
            ]
            if all(g >= 2 for g in gaps):
                return [axis.ticks[i] for i in kept]
        return [axis.ticks[0]]

    def draw_labels(self, frame: np.ndarray) -> None:
        """Tick labels, axis titles and the legend, as the kit's static text."""
        page, s, box = self.page, self.page.s, self.box
        pad = round(6 * s)
        for value in self.shown_ticks(self.y, vertical=True):
            _, py = self.to_px(self.x.low, value)
            page.text(
                frame,
                (box.x - pad, py),
                self.y.label(value),
                size="small",
                colour="muted",
                anchor="rm",
                role="tick",
            )
        if self.right is not None:
            for value in self.shown_ticks(self.right, vertical=True):
                _, py = self.to_px(self.x.low, value, right=True)
                page.text(
                    frame,
                    (box.right + pad, py),
                    self.right.label(value),
                    size="small",
                    colour=self.right.colour,
                    anchor="lm",
                    role="tick",
                )
        for value in self.shown_ticks(self.x, vertical=False):
            px, _ = self.to_px(value, self.y.low)
            page.text(
                frame,
                (px, box.bottom + pad),
                self.x.label(value),
                size="small",
                colour="muted",
                anchor="mt",
                role="tick",
            )
        title_y = box.y - page.line_height("small") // 2 - round(2 * s)  # above the top tick label
        # each title within its chart (half of it each where there are two): never into the
        # next region's words, however long the title or narrow the chart
        room = self.outer.w if self.right is None or not self.right.title else self.outer.w / 2
        room -= 0 if room == self.outer.w else page.space
        if self.y.title:
            page.text(
                frame,
                (self.outer.x, title_y),
                self.y.title_for(page, room),
                size="small",
                colour=self.y.colour,
                anchor="lb",
                role="axis",
                width=room,
            )
        if self.right is not None and self.right.title:
            page.text(
                frame,
                (self.outer.right, title_y),
                self.right.title_for(page, room),
                size="small",
                colour=self.right.colour,
                anchor="rb",
                role="axis",
                width=room,
            )
        if self.x.title:
            page.text(
                frame,
                (box.right, self.outer.bottom),
                self.x.title,
                size="small",
                colour=self.x.colour,
                anchor="rb",
                role="axis",
                width=box.right - self.outer.x,
            )
        self._legend(frame)

    def _legend_rows(self, outer: Box, start: int) -> list[list[tuple[int, tuple]]]:
        """The legend's entries as rows of (x, entry): one row from the plot's left edge where
        it fits, else from the chart's own left, else wrapped there into as many rows as it
        takes (a wide font at 320x180 pushed the last words past the frame's edge)."""
        if not self.legend:
            return []
        page = self.page
        swatch, gap, apart = self._swatch()
        widths = [swatch + gap + page.type.width(e[0], page.px("small")) for e in self.legend]
        if start + sum(widths) + apart * (len(widths) - 1) > outer.right:
            start = outer.x
        rows: list[list[tuple[int, tuple]]] = [[]]
        x = start
        for width, entry in zip(widths, self.legend):
            if rows[-1] and x + width > outer.right:
                rows.append([])
                x = start
            rows[-1].append((x, entry))
            x += width + apart
        return rows

    def _swatch(self) -> tuple[int, int, int]:
        """A legend entry's swatch length, the gap to its label, and the space to the next."""
        s = self.page.s
        return round(14 * s), round(5 * s), round(14 * s)

    def _legend(self, frame: np.ndarray) -> None:
        page, s = self.page, self.page.s
        swatch, gap, _ = self._swatch()
        thickness = max(1, round(2 * s))
        line = page.line_height("small")
        placed = [(x, i, entry) for i, row in enumerate(self.legend_rows) for x, entry in row]
        for x, row, (label, colour, *style) in placed:
            y = round(self.legend_y + row * line)
            rows = slice(y - thickness // 2, y - thickness // 2 + thickness)
            if style == ["dashed"]:  # as the series is drawn: dashes, not a solid line
                on, off = max(2, round(4 * s)), max(1, round(2.5 * s))
                for start in range(x, x + swatch, on + off):
                    frame[rows, start : min(start + on, x + swatch)] = page.colour(colour)
            else:
                frame[rows, x : x + swatch] = page.colour(colour)
            page.text(
                frame,
                (x + swatch + gap, y),
                label,
                size="small",
                colour="ink",
                anchor="lm",
                role="legend",
            )


def nice_ticks(low: float, high: float, count: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [low, high]; `whole`:
    whole numbers only (an axis of steps has no step 0.2)."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / max(1, count - 1)
    if whole:
        raw = max(raw, 1.0)
    magnitude = 10 ** np.floor(np.log10(raw))
    steps = (m * magnitude for m in (1, 2, 2.5, 5, 10))
    step = next(t for t in steps if t >= raw and (not whole or float(t).is_integer()))
    first = np.ceil(low / step - 1e-9) * step
    ticks = np.arange(first, high + step * 1e-9, step)
    return [float(np.round(t, 10)) + 0.0 for t in ticks]
