"""weights: every first-layer unit's 784 weights as a 28x28 heatmap, learning step by step.

(784 and 28x28 for MNIST; images of another size give heatmaps of that size.)

Everything that does not move is drawn once; a frame is the background, two gathers that paint
the heatmaps, a short polyline and the caption's numbers. That keeps the render close to the
GIF encoder's own speed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from vizff.draw import (
    BACKGROUND,
    BLUE,
    DIVERGING_LEVELS,
    FAINT,
    MUTED,
    TextStamp,
    diverging_colours,
    diverging_index,
    make_palette,
    scale_of,
    text,
    text_width,
)
from vizff.scenes.base import Param, TrainingScene
from vizff.train import Snapshot

MAX_TILES = 64  # more units than this are not legible as heatmaps; the first 64 are shown
LOSS_TOP = 3.0  # top of the loss chart: the first loss is about ln 10 = 2.3; more is clipped


def nice_limit(value: float) -> float:
    """Round up to two significant digits, so colour-bar labels read cleanly."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value) - 1)
    return math.ceil(value / magnitude) * magnitude


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y, self.y + self.h), slice(self.x, self.x + self.w)


class Heatmaps:
    """Paints levels of a flat array of values into a region of the frame with two gathers.

    `source[y, x]` names which value a pixel shows; pixels that show none keep the background,
    through extra entries appended after the values.
    """

    def __init__(self, box: Box, source: np.ndarray, background: np.ndarray, values: int):
        self.box = box
        static = background[box.slices]  # (h, w, 3)
        outside = source < 0
        kept, where = np.unique(static[outside].reshape(-1, 3), axis=0, return_inverse=True)
        self.source = source.astype(np.int32)  # np.take on small types: 3x faster than [...]
        self.source[outside] = values + where.ravel()
        self.extra = np.arange(DIVERGING_LEVELS, DIVERGING_LEVELS + len(kept), dtype=np.uint8)
        self.colours = np.vstack([diverging_colours(), kept]).astype(np.uint8)

    def paint(self, frame: np.ndarray, levels: np.ndarray) -> None:
        every = np.concatenate([levels.ravel().astype(np.uint8), self.extra])
        frame[self.box.slices] = np.take(self.colours, np.take(every, self.source), axis=0)


class LossChart:
    """The batch loss as a growing line: each new segment is drawn once, on a kept layer."""

    def __init__(self, chart: Box, steps: int, scale: float, background: np.ndarray):
        pad = max(2, round(4 * scale))  # room for the marker beyond the chart's edges
        self.chart, self.steps, self.pad = chart, steps, pad
        self.box = Box(chart.x - pad, chart.y - pad, chart.w + 2 * pad, chart.h + 2 * pad)
        self.layer = Image.fromarray(background[self.box.slices])
        self.width, self.radius = max(1, round(2 * scale)), max(2, round(3.5 * scale))
        self.last: tuple[float, float] | None = None

    def add(self, step: int, loss: float) -> None:
        chart, pad = self.chart, self.pad
        point = (
            pad + step / self.steps * chart.w,
            pad + chart.h * (1 - min(loss, LOSS_TOP) / LOSS_TOP),
        )
        if self.last is not None:
            ImageDraw.Draw(self.layer).line((self.last, point), fill=BLUE, width=self.width)
        self.last = point

    def paint(self, frame: np.ndarray) -> None:
        marked = self.layer.copy()
        (x, y), r = self.last, self.radius
        ImageDraw.Draw(marked).ellipse((x - r, y - r, x + r, y + r), fill=BLUE)
        frame[self.box.slices] = np.asarray(marked)


class Weights(TrainingScene):
    name = "weights"
    summary = "first-layer weights as 28x28 heatmaps and the output matrix, step by step"
    default_steps, default_every = 300, 3
    default_train = {"hidden": (16,)}
    shows_test_accuracy = False  # the caption gives step, epoch and loss; the loss scene tests
    PARAMS = {
        "weight_limit": Param(
            float,
            0.0,
            "colour limit of first-layer weights (0: the run's 99.5th percentile of |w|)",
            0.0,
            1e6,
        ),
        "output_limit": Param(
            float, 0.0, "colour limit of output weights (0: automatic)", 0.0, 1e6
        ),
    }

    @property
    def palette(self) -> np.ndarray:
        return make_palette(inks=(BLUE,), diverging=True)

    # ---- the numbers a frame shows --------------------------------------------------------
    def caption_fields(self, snap: Snapshot) -> dict[str, str]:
        """The values under the frame, by label: exactly the snapshot's."""
        return {
            "step": f"{snap.step}/{self.steps}",
            "epoch": str(snap.epoch),
            "batch loss": f"{snap.loss:.4f}",
        }

    def caption(self, snap: Snapshot) -> str:
        return "   ".join(f"{label} {value}" for label, value in self.caption_fields(snap).items())

    def _limits(self) -> tuple[float, float]:
        """Colour limits fixed for the whole run: measured on a first, silent pass."""
        weight_limit, output_limit = self.params["weight_limit"], self.params["output_limit"]
        if weight_limit and output_limit:
            return weight_limit, output_limit
        if self.config.method == "numerical":  # a second pass would double hours of work
            return (
                weight_limit or nice_limit(3 / math.sqrt(self.digits.train_images[0].size)),
                output_limit or nice_limit(3 / math.sqrt(self.config.hidden[-1])),
            )
        top_w = top_o = 0.0
        for index, snap in enumerate(self.frame_snapshots(self.quiet_config())):
            if index % 5 and snap.step != self.steps:  # weights move slowly: sample the run
                continue
            top_w = max(top_w, float(np.percentile(np.abs(snap.network.weights[0]), 99.5)))
            top_o = max(top_o, float(np.percentile(np.abs(snap.network.weights[-1]), 99.5)))
        return weight_limit or nice_limit(top_w), output_limit or nice_limit(top_o)

    # ---- layout: computed once, in pixels -------------------------------------------------
    def _layout(self) -> None:
        width, height = self.size
        s = self.s = scale_of(self.size)
        margin, gap = round(12 * s), max(2, round(5 * s))
        self.units = min(self.config.hidden[0], MAX_TILES)
        cols = math.ceil(math.sqrt(self.units))
        rows = math.ceil(self.units / cols)
        top, bottom = round(58 * s), height - round(52 * s)
        left_w = round(width * 0.52) - margin
        cell = min((left_w + gap) / cols, (bottom - top + gap) / rows) - gap
        image_rows, image_cols = self.image_shape = self.digits.image_shape
        side = max(image_rows, image_cols)
        # whole multiples of the image keep every weight one crisp square; else fill the cell
        tile = side * int(cell // side) if cell >= 2 * side else max(side // 2, int(cell))
        tile_h, tile_w = image_rows * tile // side, image_cols * tile // side
        self.rows_of = np.arange(tile_h) * image_rows // tile_h  # tile pixel -> weight row
        self.cols_of = np.arange(tile_w) * image_cols // tile_w  # tile pixel -> weight column
        self.tiles = [
            Box(
                margin + (i % cols) * (tile + gap), top + (i // cols) * (tile + gap), tile_w, tile_h
            )
            for i in range(self.units)
        ]
        grid_w = cols * (tile + gap) - gap
        right_x = max(margin + grid_w + round(40 * s), round(width * 0.55)) + round(16 * s)
        right_w = width - margin - right_x
        hidden = self.config.hidden[-1]  # the output layer's inputs
        # one row per digit, tall enough for its label; columns narrow down for many units
        self.out_cell = max(1, int(height * 0.36 / 10))  # row height
        self.out_col = max(1, min(self.out_cell, int(right_w / hidden)))
        self.output = Box(right_x, top, hidden * self.out_col, 10 * self.out_cell)
        chart_top = self.output.y + self.output.h + round(40 * s)
        self.chart = Box(right_x, chart_top, right_w, bottom - chart_top)
        self.margin, self.top, self.bottom = margin, top, bottom
        self.stamp = TextStamp(12 * s)  # the caption's numbers, redrawn every frame

    def _tile_source(self) -> tuple[Box, np.ndarray]:
        first, last = self.tiles[0], self.tiles[-1]
        box = Box(
            first.x,
            first.y,
            max(t.x + t.w for t in self.tiles) - first.x,
            last.y + last.h - first.y,
        )
        source = np.full((box.h, box.w), -1, dtype=np.intp)
        inputs = self.image_shape[0] * self.image_shape[1]
        within = self.rows_of[:, None] * self.image_shape[1] + self.cols_of[None, :]
        for unit, tile in enumerate(self.tiles):
            source[
                tile.y - box.y : tile.y - box.y + tile.h, tile.x - box.x : tile.x - box.x + tile.w
            ] = unit * inputs + within
        return box, source

    def _output_source(self) -> np.ndarray:
        hidden = self.config.hidden[-1]
        digit = np.arange(10 * self.out_cell) // self.out_cell
        unit = np.arange(hidden * self.out_col) // self.out_col
        return digit[:, None] * hidden + unit[None, :]  # into W_out.T flattened (10, hidden)

    # ---- the picture that does not move ---------------------------------------------------
    def _background(self, weight_limit: float, output_limit: float) -> np.ndarray:
        s, out, chart = self.s, self.output, self.chart
        image = Image.new("RGB", self.size, BACKGROUND)
        draw = ImageDraw.Draw(image)
        small, tiny = 11 * s, 9 * s
        text(image, (self.margin, round(10 * s)), "How the weights learn", pixels=18 * s, bold=True)
        hidden, (rows, cols) = self.config.hidden, self.image_shape
        shown = (
            f"{self.units} of {hidden[0]} units"
            if self.units < hidden[0]
            else f"{self.units} units"
        )
        text(
            image,
            (self.margin, self.top - round(8 * s)),
            f"first layer: {shown}, {rows * cols} weights each (as {rows}x{cols})",
            pixels=small,
            colour=MUTED,
            anchor="ld",
        )
        text(
            image,
            (out.x, self.top - round(8 * s)),
            f"output layer: 10 digits x {hidden[-1]} units",
            pixels=small,
            colour=MUTED,
            anchor="ld",
        )
        for digit in range(10):
            text(
                image,
                (out.x - round(4 * s), out.y + (digit + 0.5) * self.out_cell),
                str(digit),
                pixels=min(10 * s, self.out_cell * 0.95),
                anchor="rm",
            )
        for tile in self.tiles:
            draw.rectangle(
                (tile.x - 1, tile.y - 1, tile.x + tile.w, tile.y + tile.h), outline=FAINT
            )
        self._colour_bar(image, self.margin, self.bottom + round(14 * s), weight_limit)
        self._colour_bar(image, out.x, out.y + out.h + round(12 * s), output_limit)
        draw.line(
            (chart.x, chart.y, chart.x, chart.y + chart.h, chart.x + chart.w, chart.y + chart.h),
            fill=MUTED,
            width=max(1, round(s)),
        )
        text(image, (chart.x + round(4 * s), chart.y), "batch loss", pixels=small, colour=MUTED)
        text(
            image,
            (chart.x - round(4 * s), chart.y),
            f"{LOSS_TOP:g}",
            pixels=tiny,
            colour=MUTED,
            anchor="ra",
        )
        text(
            image,
            (chart.x - round(4 * s), chart.y + chart.h),
            "0",
            pixels=tiny,
            colour=MUTED,
            anchor="rd",
        )
        text(
            image,
            (chart.x + chart.w, chart.y + chart.h + round(3 * s)),
            f"step {self.steps}",
            pixels=tiny,
            colour=MUTED,
            anchor="ra",
        )
        self._caption_labels(image)
        return np.array(image)

    def _colour_bar(self, image: Image.Image, x: int, y: int, limit: float) -> None:
        s = self.s
        bar_w, bar_h = round(120 * s), max(4, round(7 * s))
        ramp = diverging_colours()[np.linspace(0, DIVERGING_LEVELS - 1, bar_w).round().astype(int)]
        image.paste(Image.fromarray(np.repeat(ramp[None], bar_h, axis=0)), (x + round(44 * s), y))
        text(
            image,
            (x + round(40 * s), y + bar_h / 2),
            f"-{limit:g}",
            pixels=9 * s,
            colour=MUTED,
            anchor="rm",
        )
        text(
            image,
            (x + round(48 * s) + bar_w, y + bar_h / 2),
            f"+{limit:g}",
            pixels=9 * s,
            colour=MUTED,
            anchor="lm",
        )

    def _caption_labels(self, image: Image.Image) -> None:
        """Draw the caption's labels once; remember where each value goes (fixed widths)."""
        pixels, s = 12 * self.s, self.s
        widest = {
            "step": f"{self.steps}/{self.steps}",
            "epoch": "9" * len(str(self.steps)),
            "batch loss": "00.0000",
        }
        x, self.caption_baseline = self.margin, self.size[1] - round(12 * s)
        self.value_at: dict[str, int] = {}
        for label, sample in widest.items():
            text(image, (x, self.caption_baseline), label, pixels=pixels, colour=MUTED, anchor="ls")
            x += text_width(label + " ", pixels)
            self.value_at[label] = x
            x += self.stamp.width(sample) + round(18 * s)

    # ---- frames --------------------------------------------------------------------------
    def frames(self) -> Iterator[np.ndarray]:
        self._layout()
        weight_limit, output_limit = self.limits = self._limits()
        background = self._background(weight_limit, output_limit)
        inputs = self.image_shape[0] * self.image_shape[1]
        tiles = Heatmaps(*self._tile_source(), background, self.units * inputs)
        outputs = Heatmaps(
            self.output, self._output_source(), background, 10 * self.config.hidden[-1]
        )
        chart = LossChart(self.chart, self.steps, self.s, background)
        for snap in self.frame_snapshots():
            frame = background.copy()
            first = snap.network.weights[0][:, : self.units].T  # (units, rows * cols)
            tiles.paint(frame, diverging_index(first, weight_limit))
            outputs.paint(frame, diverging_index(snap.network.weights[-1].T, output_limit))
            chart.add(snap.step, snap.loss)
            chart.paint(frame)
            self._draw_caption(frame, self.caption_fields(snap))
            yield frame

    def _draw_caption(self, frame: np.ndarray, fields: dict[str, str]) -> None:
        for label, value in fields.items():
            self.stamp.stamp(frame, self.value_at[label], self.caption_baseline, value)
