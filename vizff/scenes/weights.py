"""weights: every first-layer unit's 784 weights as a 28x28 heatmap, learning step by step."""

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
    INK,
    MUTED,
    diverging_colours,
    diverging_index,
    make_palette,
    scale_of,
    text,
    upscale,
)
from vizff.scenes.base import Param, TrainingScene
from vizff.train import Snapshot

MAX_TILES = 64  # more units than this are not legible as heatmaps; the first 64 are shown


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


class Weights(TrainingScene):
    name = "weights"
    summary = "first-layer weights as 28x28 heatmaps and the output matrix, step by step"
    default_steps, default_every = 300, 3
    default_train = {"hidden": (16,)}
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
        return make_palette(inks=(BLUE,), diverging=True, extra=(BLUE,))

    # ---- layout: computed once, in pixels -------------------------------------------------
    def _layout(self) -> None:
        width, height = self.size
        s = self.s = scale_of(self.size)
        margin, gap = round(12 * s), max(2, round(5 * s))
        self.units = min(self.config.hidden[0], MAX_TILES)
        self.cols = math.ceil(math.sqrt(self.units))
        self.rows = math.ceil(self.units / self.cols)
        top, bottom = round(58 * s), height - round(52 * s)
        left_w = round(width * 0.52) - margin
        cell = min((left_w + gap) / self.cols, (bottom - top + gap) / self.rows) - gap
        # whole multiples of 28 keep every weight one crisp square; below 56 px fill the cell
        tile = 28 * int(cell // 28) if cell >= 56 else max(14, int(cell))
        self.pixel_of = np.arange(tile) * 28 // tile  # tile pixel -> weight row (and column)
        self.tiles = [
            Box(
                margin + (i % self.cols) * (tile + gap),
                top + (i // self.cols) * (tile + gap),
                tile,
                tile,
            )
            for i in range(self.units)
        ]
        grid_w = self.cols * (tile + gap) - gap
        right_x = max(margin + grid_w + round(40 * s), round(width * 0.55))
        right_w = width - margin - right_x - round(16 * s)
        hidden = self.config.hidden[-1]  # the output layer's inputs
        out_cell = max(1, int(min(right_w / hidden, (height * 0.36) / 10)))
        self.out_factor = out_cell
        self.output = Box(right_x + round(16 * s), top, hidden * out_cell, 10 * out_cell)
        chart_top = self.output.y + self.output.h + round(40 * s)
        self.chart = Box(
            right_x + round(16 * s),
            chart_top,
            width - margin - right_x - round(16 * s),
            bottom - chart_top,
        )
        self.grid_w, self.margin, self.top, self.bottom = grid_w, margin, top, bottom

    def _background(self, weight_limit: float, output_limit: float) -> np.ndarray:
        s = self.s
        image = Image.new("RGB", self.size, BACKGROUND)
        draw = ImageDraw.Draw(image)
        text(image, (self.margin, round(10 * s)), "How the weights learn", pixels=18 * s, bold=True)
        shown = (
            f"first layer: {self.units} of {self.config.hidden[0]} units"
            if self.units < self.config.hidden[0]
            else f"first layer: {self.units} units"
        )
        text(
            image,
            (self.margin, self.top - round(8 * s)),
            f"{shown}, 784 weights each (as 28x28)",
            pixels=11 * s,
            colour=MUTED,
            anchor="ld",
        )
        out = self.output
        text(
            image,
            (out.x, self.top - round(8 * s)),
            f"output layer: 10 digits x {self.config.hidden[-1]} units",
            pixels=11 * s,
            colour=MUTED,
            anchor="ld",
        )
        for digit in range(10):
            text(
                image,
                (out.x - round(4 * s), out.y + (digit + 0.5) * self.out_factor),
                str(digit),
                pixels=min(10 * s, self.out_factor * 0.95),
                colour=INK,
                anchor="rm",
            )
        for tile in self.tiles:
            draw.rectangle(
                (tile.x - 1, tile.y - 1, tile.x + tile.w, tile.y + tile.h), outline=FAINT
            )
        self._colour_bar(image, self.margin, self.bottom + round(14 * s), weight_limit)
        self._colour_bar(image, out.x, out.y + out.h + round(12 * s), output_limit)
        chart = self.chart
        draw.line(
            (chart.x, chart.y, chart.x, chart.y + chart.h, chart.x + chart.w, chart.y + chart.h),
            fill=MUTED,
            width=max(1, round(s)),
        )
        text(image, (chart.x + round(4 * s), chart.y), "batch loss", pixels=11 * s, colour=MUTED)
        text(
            image,
            (chart.x - round(4 * s), chart.y),
            f"{self.loss_top:g}",
            pixels=9 * s,
            colour=MUTED,
            anchor="ra",
        )
        text(
            image,
            (chart.x - round(4 * s), chart.y + chart.h),
            "0",
            pixels=9 * s,
            colour=MUTED,
            anchor="rd",
        )
        text(
            image,
            (chart.x + chart.w, chart.y + chart.h + round(3 * s)),
            f"step {self.steps}",
            pixels=9 * s,
            colour=MUTED,
            anchor="ra",
        )
        return np.array(image)

    def _colour_bar(self, image: Image.Image, x: int, y: int, limit: float) -> None:
        s = self.s
        bar_w, bar_h = round(120 * s), max(4, round(7 * s))
        levels = diverging_colours()
        ramp = levels[np.linspace(0, DIVERGING_LEVELS - 1, bar_w).round().astype(int)]
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

    # ---- frames --------------------------------------------------------------------------
    def _limits(self) -> tuple[float, float]:
        """Colour limits fixed for the whole run: measured on a first, silent pass."""
        weight_limit, output_limit = (self.params["weight_limit"], self.params["output_limit"])
        if weight_limit and output_limit:
            return weight_limit, output_limit
        if self.config.method == "numerical":  # a second pass would double hours of work
            first = 3 / math.sqrt(784)
            return weight_limit or nice_limit(first), output_limit or nice_limit(
                3 / math.sqrt(self.config.hidden[0])
            )
        top_w, top_o = 0.0, 0.0
        for snap in self.frame_snapshots(self.quiet_config()):
            top_w = max(top_w, float(np.percentile(np.abs(snap.network.weights[0]), 99.5)))
            top_o = max(top_o, float(np.percentile(np.abs(snap.network.weights[-1]), 99.5)))
        return weight_limit or nice_limit(top_w), output_limit or nice_limit(top_o)

    def caption(self, snap: Snapshot) -> str:
        """The numbers under the frame: exactly the snapshot's."""
        parts = [
            f"step {snap.step}/{self.steps}",
            f"epoch {snap.epoch}",
            f"batch loss {snap.loss:.4f}",
        ]
        if snap.test_accuracy is not None:
            parts.append(f"test accuracy {snap.test_accuracy:.4f}")
        return "   ".join(parts)

    def frames(self) -> Iterator[np.ndarray]:
        self._layout()
        weight_limit, output_limit = self.limits = self._limits()
        self.loss_top = 3.0  # initial loss is about ln 10 = 2.3; higher values are clipped
        background = self._background(weight_limit, output_limit)
        colours = diverging_colours()
        history: list[float] = []
        for snap in self.frame_snapshots():
            history.append(snap.loss)
            frame = background.copy()
            first = snap.network.weights[0][:, : self.units].T.reshape(self.units, 28, 28)
            levels = diverging_index(first, weight_limit)[:, self.pixel_of][:, :, self.pixel_of]
            painted = colours[levels]  # (units, tile, tile, 3)
            for tile, heat in zip(self.tiles, painted):
                frame[tile.y : tile.y + tile.h, tile.x : tile.x + tile.w] = heat
            output = colours[diverging_index(snap.network.weights[-1].T, output_limit)]
            out = self.output
            frame[out.y : out.y + out.h, out.x : out.x + out.w] = upscale(output, self.out_factor)
            image = Image.fromarray(frame)
            self._draw_loss(image, history, snap.step)
            text(
                image,
                (self.margin, self.size[1] - round(12 * self.s)),
                self.caption(snap),
                pixels=12 * self.s,
                anchor="ld",
            )
            yield np.asarray(image)

    def _draw_loss(self, image: Image.Image, history: list[float], step: int) -> None:
        chart, s = self.chart, self.s
        steps = np.arange(1, len(history) + 1) * self.every
        steps[-1] = step
        xs = chart.x + steps / self.steps * chart.w
        ys = chart.y + chart.h * (1 - np.minimum(history, self.loss_top) / self.loss_top)
        draw = ImageDraw.Draw(image)
        if len(history) > 1:
            draw.line(
                list(zip(xs.tolist(), ys.tolist())),
                fill=BLUE,
                width=max(1, round(2 * s)),
                joint="curve",
            )
        r = max(2, round(3.5 * s))
        draw.ellipse((xs[-1] - r, ys[-1] - r, xs[-1] + r, ys[-1] + r), fill=BLUE)
