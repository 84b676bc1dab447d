"""Parts of a network diagram: units as discs filled per frame, weighted edges, a brace, an
arrow and a highlight ring; all antialiased, the per-frame ones from geometry computed once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from vizff.draw.box import Box
from vizff.draw.plot import POINTS_PER_PIXEL
from vizff.draw.theme import RGB, hex_colour

SUPER = 4  # supersampling of the shapes drawn with Pillow


def coverage(offsets_x: np.ndarray, offsets_y: np.ndarray, radius: float) -> np.ndarray:
    """Fraction of each pixel (centre at the offsets from a disc's centre) inside the disc,
    by SUPER x SUPER samples per pixel: (len(offsets_y), len(offsets_x)) float32."""
    sub = (np.arange(SUPER) + 0.5) / SUPER - 0.5  # sample positions within a pixel
    xs = (offsets_x[:, None] + sub[None, :]).ravel()  # (w * SUPER,)
    ys = (offsets_y[:, None] + sub[None, :]).ravel()  # (h * SUPER,)
    inside = (xs[None, :] ** 2 + ys[:, None] ** 2) <= radius * radius  # (h * S, w * S)
    h, w = len(offsets_y), len(offsets_x)
    return inside.reshape(h, SUPER, w, SUPER).mean(axis=(1, 3)).astype(np.float32)


class Discs:
    """Discs of one radius at whole-pixel centres, each outlined by a ring; only their fill
    colours change from frame to frame.

    The ring and the page around it are blended once, from the frame given at the start; a
    frame is then one gather-free blend of every disc's pixels with its fill colour.
    """

    def __init__(
        self,
        background: np.ndarray,
        centres: Sequence[tuple[int, int]],
        radius: float,
        ring: RGB,
        ring_width: float,
    ):
        self.centres = [(int(x), int(y)) for x, y in centres]
        reach = math.ceil(radius + 0.5)
        offsets = np.arange(-reach, reach + 1, dtype=np.float64)
        outer = coverage(offsets, offsets, radius)  # (k, k)
        inner = coverage(offsets, offsets, max(0.0, radius - ring_width))
        used = outer > 0
        rows, cols = np.nonzero(used)  # (m,) pixel offsets that any disc touches
        self.ys = np.array([y + rows - reach for _, y in self.centres])  # (n, m)
        self.xs = np.array([x + cols - reach for x, _ in self.centres])  # (n, m)
        page = background[self.ys, self.xs].astype(np.float32)  # (n, m, 3)
        keep = (1.0 - outer[used])[None, :, None]  # the page showing through the edge
        ring_part = (outer[used] - inner[used])[None, :, None]
        self.base = page * keep + np.asarray(ring, np.float32) * ring_part  # (n, m, 3)
        self.fill = inner[used][None, :, None]  # (1, m, 1)
        self.radius = radius

    def paint(self, frame: np.ndarray, fills: np.ndarray) -> None:
        """Fill disc i with colour fills[i] ((n, 3) uint8) on `frame`, in place."""
        colours = np.asarray(fills, np.float32)[:, None, :]  # (n, 1, 3)
        blended = self.base + colours * self.fill  # (n, m, 3)
        frame[self.ys, self.xs] = (blended + 0.5).astype(np.uint8)


class Edges:
    """Straight edges between fixed end points, coloured and weighted per frame: one matplotlib
    LineCollection on a figure the size of `box` only, drawn over the page colour. Only the
    pixels an edge touches are copied into the frame: whatever else lies in `box` (a label
    beside the lines) stays, unless an edge crosses it."""

    def __init__(
        self,
        box: Box,
        segments: Sequence[tuple[tuple[float, float], tuple[float, float]]],
        page: RGB,
    ):
        self.box, self.page = box, np.asarray(page, dtype=np.uint8)
        self.figure = Figure(
            figsize=(box.w / 100, box.h / 100), dpi=100, facecolor=hex_colour(page)
        )
        self.canvas = FigureCanvasAgg(self.figure)
        axes = self.figure.add_axes((0, 0, 1, 1))
        axes.set_xlim(0, box.w)
        axes.set_ylim(box.h, 0)  # pixel rows grow downwards
        axes.set_axis_off()
        self.axes = axes
        local = np.array(
            [
                [(x0 - box.x, y0 - box.y), (x1 - box.x, y1 - box.y)]
                for (x0, y0), (x1, y1) in segments
            ],
            dtype=np.float64,
        ).reshape(-1, 2, 2)  # (edges, 2 ends, xy)
        self.segments = local
        self.lines = LineCollection(list(local), antialiased=True, capstyle="round")
        self.lines.set_animated(True)
        axes.add_collection(self.lines)
        self.canvas.draw()
        self.blank = np.asarray(self.canvas.buffer_rgba()).copy()

    def draw(
        self, frame: np.ndarray, colours: np.ndarray, widths: np.ndarray, order: np.ndarray
    ) -> None:
        """Edges in `order` (the last on top): colours (edges, 4) RGBA in 0..1, widths in
        pixels, drawn on `frame` where its `box` shows the page colour."""
        self.lines.set_segments(list(self.segments[order]))
        self.lines.set_color(colours[order])
        self.lines.set_linewidth(widths[order] * POINTS_PER_PIXEL)
        np.copyto(np.asarray(self.canvas.buffer_rgba()), self.blank)
        self.axes.draw_artist(self.lines)
        drawn = np.asarray(self.canvas.buffer_rgba())[..., :3]
        touched = (drawn != self.page).any(axis=2)[..., None]  # (h, w, 1)
        np.copyto(frame[self.box.slices], drawn, where=touched)


def supersampled(frame: np.ndarray, box: Box, draw: Callable[[ImageDraw.ImageDraw], None]) -> None:
    """Run `draw` (coordinates in frame pixels times SUPER, relative to `box`) on an enlarged
    copy of the frame's `box`, then shrink it back: antialiased shapes, in place."""
    box = box.clip(frame.shape[1], frame.shape[0])
    if box.w <= 0 or box.h <= 0:
        return
    patch = Image.fromarray(frame[box.slices]).resize(
        (box.w * SUPER, box.h * SUPER), Image.Resampling.NEAREST
    )
    draw(ImageDraw.Draw(patch))
    frame[box.slices] = np.asarray(patch.resize((box.w, box.h), Image.Resampling.BOX))


def ring(frame: np.ndarray, x: float, y: float, radius: float, width: float, colour: RGB) -> None:
    """A circle outline of `width` whose inner edge is at `radius` from (x, y)."""
    outer = radius + width
    box = Box(math.floor(x - outer - 1), math.floor(y - outer - 1), 0, 0)
    box = Box(box.x, box.y, math.ceil(x + outer + 1) - box.x, math.ceil(y + outer + 1) - box.y)

    def pen(draw: ImageDraw.ImageDraw) -> None:
        cx, cy = (x - box.x) * SUPER, (y - box.y) * SUPER
        r = outer * SUPER
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r), outline=colour, width=max(1, round(width * SUPER))
        )

    supersampled(frame, box, pen)


def brace(
    frame: np.ndarray, x: float, top: float, bottom: float, depth: float, width: float, colour: RGB
) -> tuple[float, float]:
    """A curly brace `{` spanning top..bottom whose arms end at x + depth and whose point is
    at x (it points left). Returns the point (x, middle)."""
    middle = (top + bottom) / 2
    r = depth / 2
    pad = math.ceil(width) + 2
    box = Box(math.floor(x) - pad, math.floor(top) - pad, 0, 0)
    box = Box(box.x, box.y, math.ceil(x + depth) + pad - box.x, math.ceil(bottom) + pad - box.y)

    def arc(cx: float, cy: float, start: float, end: float) -> list[tuple[float, float]]:
        angles = np.linspace(math.radians(start), math.radians(end), 12)
        return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]

    spine = x + r  # the vertical strokes
    points = [
        *arc(spine + r, top + r, 270, 180),  # from the top arm's end, turning down
        *arc(spine - r, middle - r, 0, 90),  # into the point
        *arc(spine - r, middle + r, 270, 360),  # out of the point
        *arc(spine + r, bottom - r, 180, 90),  # down to the bottom arm's end
    ]

    def pen(draw: ImageDraw.ImageDraw) -> None:
        scaled = [((px - box.x) * SUPER, (py - box.y) * SUPER) for px, py in points]
        draw.line(scaled, fill=colour, width=max(1, round(width * SUPER)), joint="curve")

    supersampled(frame, box, pen)
    return x, middle


def arrow(
    frame: np.ndarray,
    start: tuple[float, float],
    end: tuple[float, float],
    width: float,
    colour: RGB,
) -> None:
    """A straight arrow from `start` to `end` with a filled head at `end`."""
    (x0, y0), (x1, y1) = start, end
    head = max(3.0, width * 3.5)
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    base = (x1 - ux * head, y1 - uy * head)
    wing = (-uy * head * 0.55, ux * head * 0.55)
    pad = math.ceil(head) + 2
    box = Box(math.floor(min(x0, x1)) - pad, math.floor(min(y0, y1)) - pad, 0, 0)
    box = Box(
        box.x, box.y, math.ceil(max(x0, x1)) + pad - box.x, math.ceil(max(y0, y1)) + pad - box.y
    )

    def pen(draw: ImageDraw.ImageDraw) -> None:
        def at(px: float, py: float) -> tuple[float, float]:
            return (px - box.x) * SUPER, (py - box.y) * SUPER

        draw.line([at(x0, y0), at(*base)], fill=colour, width=max(1, round(width * SUPER)))
        tip = [
            at(x1, y1),
            at(base[0] + wing[0], base[1] + wing[1]),
            at(base[0] - wing[0], base[1] - wing[1]),
        ]
        draw.polygon(tip, fill=colour)

    supersampled(frame, box, pen)


def dots(frame: np.ndarray, x: float, ys: Sequence[float], radius: float, colour: RGB) -> None:
    """A vertical ellipsis: small discs at (x, y) for each y."""
    top, bottom = min(ys) - radius - 2, max(ys) + radius + 2
    box = Box(math.floor(x - radius - 2), math.floor(top), 0, 0)
    box = Box(box.x, box.y, math.ceil(x + radius + 2) - box.x, math.ceil(bottom) - box.y)

    def pen(draw: ImageDraw.ImageDraw) -> None:
        r = radius * SUPER
        for y in ys:
            cx, cy = (x - box.x) * SUPER, (y - box.y) * SUPER
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)

    supersampled(frame, box, pen)
