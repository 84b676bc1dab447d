"""Parts that scenes compose: tile grids, two-gather heatmaps, a growing loss line, bar
charts whose labels never collide, colour bars, and the GIF palette of a theme."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from vizff.draw.box import Box
from vizff.draw.page import SIZES, Page
from vizff.draw.theme import MAP_LEVELS, RGB, Theme, mix

# ---- tile grids -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TileGrid:
    """`count` tiles of an image shape laid out in a box, largest first, as crisp as possible.

    Tiles are a whole multiple of the image's pixels when that is at least 2 (every pixel a
    crisp square), or with `crisp` whenever it is at least 1; else as large as fits. `below`
    reserves a strip under each tile for a label. The grid is centred in the box, or with
    `top` at its top (a panel whose header and colour bar must stay beside it). `pitch`: the
    least distance from one column to the next, for labels wider than their tiles (a name
    under each image, centred: "T-shirt/top" under a 26-pixel tile); the columns spread to
    it, as far as the box allows, and the grid's bounds take in the labels' reach.
    """

    tiles: tuple[Box, ...]
    cols: int
    rows: int
    scale: float  # screen pixels per image pixel
    below: int
    pitch: int = 0  # the pitch the columns have for their labels (≤ the one asked for)
    reach: int = 0  # how far a label reaches past its tile on each side

    def labels_fit(self, pitch: int) -> bool:
        """Whether the columns spread to `pitch`, as asked (a given number of columns may
        leave less room)."""
        return self.pitch >= pitch

    @classmethod
    def fit(
        cls,
        box: Box,
        count: int,
        shape: tuple[int, int],
        *,
        gap: int,
        below: int = 0,
        column_major: bool = False,
        cols: int | None = None,
        rows: int | None = None,
        crisp: bool = False,
        top: bool = False,
        pitch: int = 0,
    ) -> TileGrid:
        image_rows, image_cols = shape
        best = None
        options = (
            [(cols, rows)]
            if cols and rows
            else [(c, math.ceil(count / c)) for c in range(1, count + 1)]
        )
        for c, r in options:
            scale = min(
                (box.w - gap * (c - 1)) / (c * image_cols),
                (box.h - (gap + below) * r + gap) / (r * image_rows),
            )
            if best is None or scale > best[0]:
                best = (scale, c, r)
        scale, c, r = best
        if scale >= 2 or (crisp and scale >= 1):
            scale = math.floor(scale)  # whole screen pixels per image pixel: crisp squares
        scale = max(scale, 1 / max(image_rows, image_cols))
        tile_w = max(1, int(image_cols * scale))
        tile_h = max(1, int(image_rows * scale))
        pitch = max(0, min(pitch, (box.w + gap - 1) // c))  # as much as the box has room for
        step = max(tile_w + gap, pitch)  # from one column to the next
        reach = max(0, math.ceil((pitch - gap - tile_w) / 2))  # a label's, past its tile
        grid_w = step * (c - 1) + tile_w + 2 * reach
        grid_h = r * (tile_h + below) + gap * (r - 1)
        x0 = box.x + (box.w - grid_w) // 2 + reach
        y0 = box.y + (0 if top else max(0, (box.h - grid_h) // 2))
        tiles = []
        for k in range(count):
            col, row = (k // r, k % r) if column_major else (k % c, k // c)
            tiles.append(Box(x0 + col * step, y0 + row * (tile_h + below + gap), tile_w, tile_h))
        return cls(tuple(tiles), c, r, scale, below, pitch, reach)

    @property
    def bounds(self) -> Box:
        x0 = min(t.x for t in self.tiles) - self.reach
        y0 = min(t.y for t in self.tiles)
        x1 = max(t.right for t in self.tiles) + self.reach
        y1 = max(t.bottom for t in self.tiles) + self.below
        return Box(x0, y0, x1 - x0, y1 - y0)


def pixel_map(size: tuple[int, int], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """For a tile of `size` (w, h) showing an image of `shape` (rows, cols): which image row
    and column each screen pixel shows (nearest neighbour)."""
    width, height = size
    rows = np.arange(height) * shape[0] // height
    cols = np.arange(width) * shape[1] // width
    return rows, cols


class Heatmaps:
    """Paints levels of a flat array of values into a region of the frame with two gathers.

    `source[y, x]` names which value a pixel shows; pixels that show none keep the
    background, through extra entries appended after the values.
    """

    def __init__(
        self,
        box: Box,
        source: np.ndarray,
        background: np.ndarray,
        colours: np.ndarray,
        values: int,
    ):
        self.box, self.values = box, values
        static = background[box.slices]  # (h, w, 3)
        outside = source < 0
        levels = len(colours)
        # the colours outside, packed into one integer each: a 1-d unique sorts 10x faster
        # than rows, in the same order (r, then g, then b)
        shown = static[outside].reshape(-1, 3).astype(np.uint32)
        packed, where = np.unique(
            (shown[:, 0] << 16) | (shown[:, 1] << 8) | shown[:, 2], return_inverse=True
        )
        kept = np.stack([packed >> 16, (packed >> 8) & 255, packed & 255], axis=1)
        self.source = source.astype(np.int32)  # np.take on small types: 3x faster than [...]
        self.source[outside] = values + where.ravel()
        self.extra = np.arange(levels, levels + len(kept), dtype=np.uint16)
        self.colours = np.vstack([colours, kept]).astype(np.uint8)

    @classmethod
    def of_tiles(
        cls,
        tiles: Sequence[Box],
        shape: tuple[int, int],
        background: np.ndarray,
        colours: np.ndarray,
    ) -> Heatmaps:
        """Heatmaps showing image `k` (flattened `shape`) in tile `k`, nearest neighbour."""
        box = Box(
            min(t.x for t in tiles),
            min(t.y for t in tiles),
            max(t.right for t in tiles) - min(t.x for t in tiles),
            max(t.bottom for t in tiles) - min(t.y for t in tiles),
        )
        source = np.full((box.h, box.w), -1, dtype=np.int64)
        inputs = shape[0] * shape[1]
        for k, tile in enumerate(tiles):
            rows, cols = pixel_map((tile.w, tile.h), shape)
            within = rows[:, None] * shape[1] + cols[None, :]
            source[tile.y - box.y : tile.bottom - box.y, tile.x - box.x : tile.right - box.x] = (
                k * inputs + within
            )
        return cls(box, source, background, colours, len(tiles) * inputs)

    def paint(self, frame: np.ndarray, levels: np.ndarray) -> None:
        """`levels`: one colour index per value, flat, in the order `source` names them."""
        every = np.concatenate([levels.ravel().astype(np.uint16), self.extra])
        frame[self.box.slices] = np.take(self.colours, np.take(every, self.source), axis=0)


def map_index(
    values: np.ndarray, low: float, high: float, levels: int = MAP_LEVELS, nan: int = 0
) -> np.ndarray:
    """The level of each value on a linear scale [low, high] (clipped): same shape, intp.
    For a signed map, low = -limit and high = +limit put zero on the middle level. NaN (a
    diverged network) shows as level `nan`; infinities as the ends."""
    with np.errstate(invalid="ignore", over="ignore"):
        position = (np.asarray(values, dtype=np.float64) - low) / (high - low) * (levels - 1)
    position = np.nan_to_num(position, nan=nan, posinf=levels - 1, neginf=0)
    return np.clip(np.rint(position), 0, levels - 1).astype(np.intp)


def diverging_index(values: np.ndarray, limit: float) -> np.ndarray:
    """Level of each value on the signed scale [-limit, limit] of MAP_LEVELS levels (NaN:
    the middle, zero's colour)."""
    return map_index(values, -limit, limit, nan=MAP_LEVELS // 2)


def nice_limit(value: float) -> float:
    """Round up to two significant digits, so colour-bar labels read cleanly."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value) - 1)
    return math.ceil(value / magnitude) * magnitude


# ---- a growing line, drawn a segment at a time --------------------------------------------------


class GrowingLine:
    """A line that only grows (the batch loss): each new piece is drawn once, in place, on
    the kept picture a scene copies its frames from, supersampled 3x in its own small patch
    so the line is antialiased. A frame costs one piece, at step 10 as at step 10,000.

    With `top` (a pixel row), the line is clipped there: a value above the chart leaves it
    through its top edge and comes back, never drawn flat along the edge as if it were the
    top value; `exits` records the x of each place it left (a scene marks them)."""

    SUPER = 3

    def __init__(self, canvas: np.ndarray, colour: RGB, width: float, top: float | None = None):
        self.canvas, self.colour, self.width, self.top = canvas, colour, width, top
        self.last: tuple[float, float] | None = None
        self.exits: list[float] = []

    def add(self, x: float, y: float) -> None:
        """Extend the line to the frame pixel (x, y)."""
        self.extend([(x, y)])

    def extend(self, points: list[tuple[float, float]]) -> None:
        """Extend the line through `points` (several steps at once), in one patch."""
        path = ([self.last] if self.last is not None else []) + list(points)
        if points:
            self.last = points[-1]
        runs = self._inside(path)
        if runs:
            self._draw(runs)

    def _inside(self, path: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
        """The parts of `path` below `top` (all of it without one), cut where they cross it."""
        if self.top is None:
            return [path] if len(path) > 1 else []
        top, runs, run = self.top, [], []
        for a, b in zip(path, path[1:]):
            above_a, above_b = a[1] < top, b[1] < top
            if above_a and above_b:
                continue
            if above_a or above_b:  # crosses the top edge: where, on the segment
                t = (top - a[1]) / (b[1] - a[1])
                edge = (a[0] + t * (b[0] - a[0]), top)
            if above_a:  # comes back in: a new run from the edge
                run = [edge, b]
                runs.append(run)
                continue
            if not run:
                run = [a]
                runs.append(run)
            run.append(edge if above_b else b)
            if above_b:  # leaves: the run ends at the edge
                self.exits.append(edge[0])
                run = []
        return runs

    def _draw(self, runs: list[list[tuple[float, float]]]) -> None:
        k, half = self.SUPER, self.width / 2 + 1
        height, width = self.canvas.shape[:2]
        xs = [p[0] for run in runs for p in run]
        ys = [p[1] for run in runs for p in run]
        x0 = max(0, math.floor(min(xs) - half))
        y0 = max(0, math.floor(min(ys) - half))
        x1 = min(width, math.ceil(max(xs) + half) + 1)
        y1 = min(height, math.ceil(max(ys) + half) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        patch = Image.fromarray(self.canvas[y0:y1, x0:x1]).resize(
            ((x1 - x0) * k, (y1 - y0) * k), Image.Resampling.NEAREST
        )
        pen = ImageDraw.Draw(patch)
        line_width = max(1, round(self.width * k))
        r = line_width / 2
        for run in runs:
            ends = [((p[0] - x0) * k, (p[1] - y0) * k) for p in run]
            for a, b in zip(ends, ends[1:]):
                pen.line([a, b], fill=self.colour, width=line_width)
            for ex, ey in ends:  # round joints
                pen.ellipse((ex - r, ey - r, ex + r, ey + r), fill=self.colour)
        small = patch.resize((x1 - x0, y1 - y0), Image.Resampling.BOX)
        self.canvas[y0:y1, x0:x1] = np.asarray(small)


def triangle(frame: np.ndarray, x: float, top: float, size: float, colour: RGB) -> None:
    """An antialiased triangle pointing up with its tip at (x, top): "off the chart"."""
    k = 4
    box = Box(math.floor(x - size), math.floor(top), math.ceil(2 * size) + 2, math.ceil(size) + 2)
    box = box.clip(frame.shape[1], frame.shape[0])
    if box.w <= 0 or box.h <= 0:
        return
    patch = Image.fromarray(frame[box.slices]).resize(
        (box.w * k, box.h * k), Image.Resampling.NEAREST
    )
    tip = ((x - box.x) * k, (top - box.y) * k)
    corners = [
        tip,
        (tip[0] - size * 0.6 * k, tip[1] + size * k),
        (tip[0] + size * 0.6 * k, tip[1] + size * k),
    ]
    ImageDraw.Draw(patch).polygon(corners, fill=colour)
    frame[box.slices] = np.asarray(patch.resize((box.w, box.h), Image.Resampling.BOX))


def dotted(frame: np.ndarray, x: float, top: float, bottom: float, colour: RGB, dash: int) -> None:
    """A vertical dotted line (dash on, dash off) at column x, drawn in place."""
    column = round(x)
    if not 0 <= column < frame.shape[1]:
        return
    rows = np.arange(max(0, round(top)), min(frame.shape[0], round(bottom)))
    frame[rows[(rows // max(1, dash)) % 2 == 0], column] = colour


def dot(frame: np.ndarray, x: float, y: float, radius: float, colour: RGB) -> None:
    """An antialiased filled disc (a marker) drawn on the frame in place."""
    k = 4
    x0, y0 = math.floor(x - radius - 1), math.floor(y - radius - 1)
    x1, y1 = math.ceil(x + radius + 1), math.ceil(y + radius + 1)
    box = Box(x0, y0, x1 - x0, y1 - y0).clip(frame.shape[1], frame.shape[0])
    if box.w <= 0 or box.h <= 0:
        return
    patch = Image.fromarray(frame[box.slices]).resize(
        (box.w * k, box.h * k), Image.Resampling.NEAREST
    )
    cx, cy, r = (x - box.x) * k, (y - box.y) * k, radius * k
    ImageDraw.Draw(patch).ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    frame[box.slices] = np.asarray(patch.resize((box.w, box.h), Image.Resampling.BOX))


# ---- bar charts ---------------------------------------------------------------------------------


class Bars:
    """Vertical bars in slots along a baseline, with value labels that never overlap.

    Labels go above positive bars and below negative ones; one that would leave the plot
    goes inside its bar. If labels are wider than their slots the size shrinks to the
    smallest legible one, then every other label is dropped (never stacked).
    """

    def __init__(
        self,
        page: Page,
        box: Box,
        count: int,
        *,
        to_y: Callable[[float], float],  # value -> pixel row
        width: float = 0.7,  # of a slot
        label_size: str | float = "small",
        widest: str = "0.00",
    ):
        self.page, self.box, self.count, self.to_y = page, box, count, to_y
        slot = box.w / count
        self.slot = slot
        self.bar_w = max(1, round(slot * width))
        self.lefts = [round(box.x + slot * (i + 0.5) - self.bar_w / 2) for i in range(count)]
        self.centres = [box.x + slot * (i + 0.5) for i in range(count)]
        size = SIZES[label_size] if isinstance(label_size, str) else label_size
        room = slot - page.space  # neighbouring labels a word space apart at least
        while page.type.width(widest, page.px(size)) > room and page.px(size) > 8:
            size -= 0.25
        self.label_size = size
        self.step = 1 if page.type.width(widest, page.px(size)) <= room else 2
        laid = page.type.lay(widest, page.px(size))
        self.label_h = laid.ascent + laid.descent

    def labelled(self, count: int, keep: int | Sequence[int]) -> set[int]:
        """The bars whose labels are drawn: all, or where they must be thinned, the ones to
        `keep` (in order of importance) and as many others as stay a slot apart. Every other
        one counted from the first kept left the tallest bar bare when it was its neighbour's
        (softmax at 480x270: p = 0.35 unlabelled while the caption named that digit)."""
        if self.step == 1:
            return set(range(count))
        chosen: list[int] = []
        for i in [*([keep] if isinstance(keep, int) else keep), *range(count)]:
            if 0 <= i < count and all(abs(i - j) >= self.step for j in chosen):
                chosen.append(i)
        return set(chosen)

    def draw(
        self,
        frame: np.ndarray,
        values: Sequence[float],
        colours: Sequence[RGB],
        labels: Sequence[str] | None = None,
        *,
        label_colours: Sequence[str | RGB] | None = None,
        keep: int | Sequence[int] = 0,
    ) -> None:
        """`keep`: the bars whose labels stay when labels must be thinned (the ones the caption
        talks about), first first: each is kept unless one before it is its neighbour; then the
        others, from the left, each a slot apart from every label kept."""
        zero = round(self.to_y(0.0))
        pad = max(1, round(2 * self.page.s))
        shown = self.labelled(len(values), keep)
        for i, value in enumerate(values):
            top = round(self.to_y(value))
            y0, y1 = sorted((zero, top))
            y0, y1 = max(self.box.y, y0), min(self.box.bottom, y1)
            x = self.lefts[i]
            if y1 > y0:
                frame[y0:y1, x : x + self.bar_w] = colours[i]
            if labels is None or i not in shown:
                continue
            colour = label_colours[i] if label_colours else "ink"
            if value >= 0:
                y, anchor = top - pad, "mb"
                if y - self.label_h < self.box.y:  # no room above: inside the bar, at its top
                    y, anchor = top + pad, "mt"
                    colour = self.page.theme.text_on(colours[i])
            else:
                y, anchor = top + pad, "mt"
                if y + self.label_h > self.box.bottom:
                    y, anchor = top - pad, "mb"
                    colour = self.page.theme.text_on(colours[i])
            # left out where a neighbour's bar or label is in the way
            self.page.text_if_fits(
                frame,
                (self.centres[i], y),
                labels[i],
                size=self.label_size,
                colour=colour,
                anchor=anchor,
                role="value",
            )


# ---- colour bars and palettes -------------------------------------------------------------------


def colour_bar(
    page: Page, frame: np.ndarray, box: Box, colours: np.ndarray, low: str, high: str
) -> Box:
    """A horizontal ramp of `colours` in `box`, its end values written left and right of it.
    Returns the ramp's box."""
    pad = round(4 * page.s)
    left = page.text(
        frame,
        (box.x, box.y + box.h / 2),
        low,
        size="small",
        colour="muted",
        anchor="lm",
        role="colourbar",
    )
    right_w = page.type.width(high, page.px("small"))
    ramp_box = Box(
        left.box.right + pad, box.y, max(1, box.w - (left.box.w + right_w + 2 * pad)), box.h
    )
    index = np.linspace(0, len(colours) - 1, ramp_box.w).round().astype(int)
    frame[ramp_box.slices] = colours[index][None]
    page.text(
        frame,
        (ramp_box.right + pad, box.y + box.h / 2),
        high,
        size="small",
        colour="muted",
        anchor="lm",
        role="colourbar",
    )
    return ramp_box


def make_palette(
    theme: Theme,
    *,
    inks: Sequence[str] = ("primary",),
    maps: Sequence[str] = (),
    greys: int = 24,
    extra: Sequence[RGB] = (),
    under: Sequence[RGB] = (),
) -> np.ndarray:
    """A GIF palette (<= 255 colours) for a scene: the theme's text colours and their
    antialiased blends over the page, ramps between page and ink, the maps' levels, and any
    extra colours; duplicates removed, order fixed."""
    colours: list[RGB] = [theme.background, theme.ink, theme.muted, theme.faint, theme.panel]
    colours += [mix(theme.background, theme.ink, t) for t in np.linspace(0, 1, greys)]
    for name in ("muted", *inks):
        for backdrop in (theme.background, *under):
            colours += [
                mix(backdrop, getattr(theme, name), t) for t in np.linspace(0, 1, num=9)[1:]
            ]
    for name in maps:
        colours += [tuple(c) for c in getattr(theme, name).tolist()]
    colours += list(extra)
    unique = list(dict.fromkeys(tuple(int(v) for v in c) for c in colours))
    if len(unique) > 255:
        raise AssertionError(f"palette of {len(unique)} colours")  # a scene's own mistake
    return np.array(unique, dtype=np.uint8)
