"""weights: every first-layer unit's incoming weights as an image-shaped heatmap, the later
layers' matrices, and the batch loss, learning step by step.

Everything that does not move is drawn once; a frame is the background, gathers that paint
the heatmaps, one new segment of the loss line and the caption. That keeps the render close
to the video encoder's own speed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vizff.draw import (
    Box,
    GrowingLine,
    Heatmaps,
    TileGrid,
    colour_bar,
    diverging_index,
    dot,
    make_palette,
    nice_limit,
    numbers,
    pixel_map,
)
from vizff.errors import OptionError
from vizff.options import Option
from vizff.scenes.base import TrainingScene
from vizff.train import Snapshot

MAX_TILES = 64  # more units than this are not legible as heatmaps; the first 64 are shown
MAX_COLUMNS = 256  # matrix columns shown (units beyond are left out, and the label says so)
LOSS_TOP = 3.0  # top of the loss chart: the first loss is about ln 10 = 2.3; more is clipped


def nice_step(at_least: float) -> int:
    """The smallest of 1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50... that is at least `at_least`."""
    step = 1
    while step < at_least:
        step = (
            next(k for k in (2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100) if k > step)
            if (step < 64)
            else step * 2
        )
    return step


@dataclass(frozen=True)
class Matrix:
    """One later layer's weights W[l] (n_in, n_out), drawn with a row per output unit."""

    layer: int  # index into network.weights
    box: Box
    rows: int  # output units
    cols: int  # input units shown (the first `cols`)
    inputs: int  # input units in all
    label_y: int = 0  # the bottom of the matrix's label line


class Weights(TrainingScene):
    name = "weights"
    summary = "first-layer weights as image-shaped heatmaps, the later matrices and the loss"
    MIN_SIZE = (480, 270)  # tiles, matrices and a chart: below this the chart has no height
    shows_test_accuracy = False  # the caption gives step, epoch and loss; the loss scene tests
    OPTIONS = (
        Option(
            "weight_limit",
            "float",
            0.0,
            "colour limit of first-layer weights (0: the run's 99.5th percentile of |w|)",
            low=0.0,
            high=1e6,
        ),
        Option(
            "output_limit",
            "float",
            0.0,
            "colour limit of the later layers' weights (0: automatic)",
            low=0.0,
            high=1e6,
        ),
    )

    @property
    def palette(self) -> np.ndarray:
        return make_palette(self.theme, inks=("primary", "secondary"), maps=("diverging",))

    def caption(self, snap: Snapshot) -> str:
        """The words under the frame: exactly the snapshot's numbers."""
        if snap.diverged_at is not None:
            return self.words(
                "weights.caption_diverged",
                step=snap.step,
                total=self.steps,
                diverged=self.diverged_text(snap),
            )
        return self.words(
            "weights.caption",
            step=snap.step,
            total=self.steps,
            epoch=snap.epoch,
            loss=self.loss_text(snap.loss),
        )

    def limits(self) -> list[float]:
        """Colour limits, fixed for the whole run: one per weight matrix, measured on a silent
        pass over the same run (or given by weight_limit and output_limit). `peaks`: the
        largest |w| of each matrix in the run, where the pass measured it (the first layer's
        limit is its 99.5th percentile: the few weights past it are drawn at the end colour,
        and its colour bar says so)."""
        first, later = self.settings.weight_limit, self.settings.output_limit
        layers = len(self.config.hidden) + 1
        self.peaks: list[float] | None = None
        if (first and later) or self.config.method != "backprop":  # no second numerical run
            inputs = self.digits.train_images[0].size
            widths = (inputs, *self.config.hidden)
            return [
                (first if i == 0 else later) or nice_limit(3 / math.sqrt(widths[i]))
                for i in range(layers)
            ]
        tops, peaks = [0.0] * layers, [0.0] * layers
        for index, snap in enumerate(self.silent_frame_snapshots()):
            for i, w in enumerate(snap.network.weights):
                drawn = w[:, : self.units] if i == 0 else w[: self.matrices[i - 1].cols]
                with np.errstate(all="ignore"):
                    peaks[i] = max(peaks[i], float(np.nanmax(np.abs(drawn), initial=0.0)))
            if index % 5 and snap.step != self.steps:  # weights move slowly: sample the run
                continue
            for i, w in enumerate(snap.network.weights):
                finite = np.abs(w[np.isfinite(w)])
                if finite.size:
                    tops[i] = max(tops[i], float(np.percentile(finite, 99.5)))
        self.peaks = peaks
        return [(first if i == 0 else later) or nice_limit(tops[i]) for i in range(layers)]

    def bar_ends(self, limit: float, layers: range) -> tuple[str, str]:
        """A colour bar's end labels: `−0.3` and `+0.3`, or `≤−0.3` and `≥+0.3` where a weight
        it colours went past the limit in the run (drawn in the end colour: a student read
        the weights chapter's ±1.6 and the forward chapter's ±1.8 for the same matrix)."""
        low, high = numbers.minus(f"-{limit:g}"), f"+{limit:g}"
        if self.peaks is not None and any(self.peaks[i] > limit for i in layers):
            return "≤" + low, "≥" + high
        return low, high

    # ---- layout: computed once ----------------------------------------------------------------
    def _layout(self) -> None:
        self.page = page = self.training_page(self.caption_sample())
        s = page.s
        left, right = page.body.columns(0.56, 0.44, gap=round(18 * s))
        self.left, self.right = left, right
        label_h = page.line_height("small")
        shape = self.image_shape = self.digits.image_shape
        self.units = min(self.config.hidden[0], MAX_TILES)
        header, rest = left.take_top(label_h, gap=round(3 * s))
        grid_box, bar_box = rest.take_bottom(label_h, gap=round(6 * s))
        self.left_header, self.left_bar = header, bar_box
        numbered = label_h if self.units <= MAX_TILES else 0
        self.grid = TileGrid.fit(
            grid_box, self.units, shape, gap=max(1, round(3 * s)), below=numbered
        )
        if grid_box.h - self.grid.bounds.h > 3 * label_h:
            # a tall frame left the tiles far from their header and colour bar (130 px each
            # way at 720x1280): the three stay together at the top instead
            self.grid = TileGrid.fit(
                grid_box, self.units, shape, gap=max(1, round(3 * s)), below=numbered, top=True
            )
            below = self.grid.bounds.bottom + round(6 * s)
            self.left_bar = Box(bar_box.x, below, bar_box.w, bar_box.h)
        self.tile_labels = self.grid.tiles[0].w >= page.type.width("00", page.px("small")) * 0.9
        self._layout_right(right, label_h)

    def _layout_right(self, right: Box, label_h: int) -> None:
        """The later layers' matrices stacked, one row per output unit, rows of one height
        for all; then their colour bar; then the loss chart in what is left (at least 30%)."""
        page, s = self.page, self.page.s
        sizes = (*self.config.hidden, 10)
        layers = list(range(1, len(sizes)))  # W[1] .. W[L-1]
        pad = round(3 * s)
        widest = max(sizes[1:])
        self.row_label_w = page.type.width(str(widest - 1), page.px("small")) + round(5 * s)
        rows_total = sum(sizes[i] for i in layers)
        least_chart = label_h * 4

        def row_height(chart_h: int, ticks: bool) -> float:
            per_matrix = (2 if ticks else 1) * label_h + label_h // 2 + 2 * pad
            labels = len(layers) * per_matrix + label_h + 3 * pad
            return min(max(0.05, (right.h - labels - chart_h) / rows_total), 14 * s)

        # rows thinner than 3 pixels at 640x360: the chart gives up its room, down to four
        # lines; rows thinner than a pixel: the columns' numbers too (three hidden layers drew
        # 32 rows in 22 px at 1280x720: rows merged, some never shown)
        tries = [
            (max(round(right.h * 0.3), least_chart), True),
            (least_chart, True),
            (least_chart, False),
        ]
        heights = [row_height(*t) for t in tries]
        chosen = next(
            (i for i, h in enumerate(heights) if h >= 3 * s),
            next((i for i, h in enumerate(heights) if h >= 1), len(tries) - 1),
        )
        row_h, self.column_ticks = heights[chosen], tries[chosen][1]
        width = right.w - self.row_label_w
        self.matrices: list[Matrix] = []
        y = right.y
        for i in layers:
            rows, inputs = sizes[i], sizes[i - 1]
            height = max(1, math.floor(rows * row_h)) if row_h < 1 else rows * math.floor(row_h)
            cols = min(inputs, MAX_COLUMNS, max(1, width))
            if cols < inputs and cols >= 20:  # "the first 250 of 256", not 251: a round count
                cols -= cols % 10
            col_w = max(1, min(max(1, math.floor(row_h)) * 2, width // cols))
            top = y + label_h + label_h // 2 + pad  # room for half of row 0's label
            box = Box(right.x + self.row_label_w, top, cols * col_w, height)
            self.matrices.append(Matrix(i, box, rows, cols, inputs, y + label_h))
            y = box.bottom + (label_h if self.column_ticks else 0) + pad
        self.right_bar = Box(
            right.x + self.row_label_w, y + pad, min(width, round(170 * s)), label_h
        )
        chart_top = self.right_bar.bottom + 3 * pad
        label_w = page.type.width(f"{LOSS_TOP:g}", page.px("small")) + round(5 * s)
        self.chart = Box(
            right.x + label_w,
            chart_top + label_h + pad,
            right.w - label_w - round(6 * s),
            max(4, right.bottom - chart_top - 2 * label_h - 2 * pad),
        )
        # the later layers' matrices took every row: past the column, rows under a pixel
        # (merged: some never shown), or a chart too flat to read (seven layers of one unit
        # at 1280x720, once the chart gave up its room)
        if self.chart.bottom > right.bottom or row_h < 1 or self.chart.h < label_h:
            width, height = self.size
            error = OptionError(
                "hidden",
                f"{len(self.config.hidden)} hidden layers: at {width}x{height} the weights scene "
                "has no room for their matrices; use fewer layers or a larger --size",
            )
            error.value = ",".join(str(n) for n in self.config.hidden)
            raise self.settings.attribute(error)

    def caption_sample(self) -> str:
        return self.words(
            "weights.caption", step=self.steps, total=self.steps, epoch=99, loss="00.0000"
        )

    # ---- the picture that does not move -------------------------------------------------------
    def _background(self, limits: list[float]) -> np.ndarray:
        page, s, words = self.page, self.page.s, self.words
        frame = page.canvas()
        rows, cols = self.image_shape
        hidden = self.config.hidden
        shown = words("weights.units_shown", shown=self.units, units=hidden[0])
        if self.units == hidden[0]:
            shown = words("weights.units", units=hidden[0])
        page.text(
            frame,
            (self.left_header.x, self.left_header.bottom),
            words("weights.first_layer", units=shown, inputs=rows * cols, shape=f"{rows}×{cols}"),
            size="small",
            colour="muted",
            anchor="lb",
            width=self.left_header.w,
        )
        border = self.theme.faint
        for unit, tile in enumerate(self.grid.tiles):
            frame[tile.y - 1 : tile.bottom + 1, tile.x - 1 : tile.right + 1] = border
            if self.tile_labels:
                page.text(
                    frame,
                    (tile.x + tile.w / 2, tile.bottom + 1),
                    str(unit),
                    size="small",
                    colour="muted",
                    anchor="mt",
                    role="unit",
                )
        colour_bar(
            page,
            frame,
            self.left_bar.take_left(min(self.left_bar.w, round(170 * s)))[0],
            self.theme.diverging,
            *self.bar_ends(limits[0], range(1)),
        )
        for matrix in self.matrices:
            self._matrix_labels(frame, matrix)
        later = max(limits[1:])
        colour_bar(
            page,
            frame,
            self.right_bar,
            self.theme.diverging,
            *self.bar_ends(later, range(1, len(limits))),
        )
        self._chart_frame(frame)
        return frame

    def _matrix_labels(self, frame: np.ndarray, matrix: Matrix) -> None:
        page, s, words = self.page, self.page.s, self.words
        last = matrix.layer == len(self.config.hidden)
        if last:
            label = words("weights.output_layer", things=self.things(), units=matrix.inputs)
        else:
            label = words(
                "weights.hidden_layer",
                layer=matrix.layer + 1,
                units=matrix.rows,
                inputs=matrix.inputs,
            )
        if matrix.cols < matrix.inputs:
            label += words("weights.columns_shown", shown=matrix.cols)
        page.text(
            frame,
            (self.right.x, matrix.label_y),
            label,
            size="small",
            colour="muted",
            anchor="lb",
            width=self.right.w,
        )
        row_h = matrix.box.h / matrix.rows
        names = self.class_names() if last else [str(u) for u in range(matrix.rows)]
        laid = page.type.lay("0", page.px("small"))
        line_h = laid.ascent + laid.descent
        step = nice_step(line_h / row_h)
        labelled = range(0, matrix.rows, step)
        room = matrix.box.x - round(4 * s) - self.right.x
        px = page.px("small")
        # the class names where every one labelled fits beside the rows, else every row by its
        # number: never some of each ("0, 2, 外套, 衬衫, 包" read as five kinds of label)
        named = last and all(page.type.width(names[r], px) <= room for r in labelled)
        if line_h <= matrix.box.h:  # rows labelled where a label fits: every row, or every k
            for r in labelled:
                text = names[r] if named else str(r)
                y = matrix.box.y + (r + 0.5) * row_h
                page.text(
                    frame,
                    (matrix.box.x - round(4 * s), y),
                    text,
                    size="small",
                    colour="muted",  # as its columns' numbers are
                    anchor="rm",
                    role="unit",
                )
        if not self.column_ticks:  # no room: their numbers are the row labels of the layer above
            return
        col_w = matrix.box.w / matrix.cols
        widest = page.type.width(str(matrix.cols - 1), page.px("small")) + round(6 * s)
        for c in range(0, matrix.cols, nice_step(widest / col_w)):
            page.text(
                frame,
                (matrix.box.x + (c + 0.5) * col_w, matrix.box.bottom + 1),
                str(c),
                size="small",
                colour="muted",
                anchor="mt",
                role="unit",
            )

    def _chart_frame(self, frame: np.ndarray) -> None:
        page, s, chart = self.page, self.page.s, self.chart
        width = max(1, round(s))
        frame[chart.y : chart.bottom, chart.x - width : chart.x] = self.theme.muted
        frame[chart.bottom : chart.bottom + width, chart.x - width : chart.right] = self.theme.muted
        page.text(
            frame,
            (chart.x, chart.y - round(3 * s)),
            self.words("weights.batch_loss"),
            size="small",
            colour="primary",
            anchor="lb",
        )
        page.text(
            frame,
            (chart.x - round(4 * s), chart.y),
            f"{LOSS_TOP:g}",
            size="small",
            colour="muted",
            anchor="rm",
            role="tick",
        )
        page.text(
            frame,
            (chart.x - round(4 * s), chart.bottom),
            "0",
            size="small",
            colour="muted",
            anchor="rm",
            role="tick",
        )
        page.text(
            frame,
            (chart.right, chart.bottom + round(3 * s)),
            self.words("weights.last_step", step=self.steps),
            size="small",
            colour="muted",
            anchor="rt",
            role="tick",
        )

    # ---- frames --------------------------------------------------------------------------------
    def frames(self) -> Iterator[np.ndarray]:
        self.load()
        self._layout()
        limits = self.weight_limits = self.limits()
        later = max(limits[1:])  # every later matrix: one colour bar, so one scale
        background = self._background(limits)
        shape = self.image_shape
        colours = self.theme.diverging
        tiles = Heatmaps.of_tiles(self.grid.tiles, shape, background, colours)
        matrices = [self._matrix_heatmap(m, background) for m in self.matrices]
        width = max(1.0, 1.6 * self.page.s)
        # grows on the kept picture, cut where it leaves the chart's top
        line = GrowingLine(background, self.theme.primary, width, top=self.chart.y)
        for snap in self.frame_snapshots():
            self.page.begin_frame()
            self._grow(line, snap)
            frame = background.copy()
            weights = snap.network.weights
            first = weights[0][:, : self.units].T  # (units, rows * cols)
            tiles.paint(frame, diverging_index(first, limits[0]))
            for m, heat in zip(self.matrices, matrices):  # on the one scale their bar shows
                shown = weights[m.layer][: m.cols, :].T  # (rows, cols): a row per output unit
                heat.paint(frame, diverging_index(shown, later))
            self._loss_point(frame, line, snap)
            self.page.caption(frame, self.caption(snap))
            yield frame

    def _matrix_heatmap(self, matrix: Matrix, background: np.ndarray) -> Heatmaps:
        rows_of, cols_of = pixel_map((matrix.box.w, matrix.box.h), (matrix.rows, matrix.cols))
        source = rows_of[:, None] * matrix.cols + cols_of[None, :]
        return Heatmaps(
            matrix.box, source, background, self.theme.diverging, matrix.rows * matrix.cols
        )

    def loss_y(self, loss: float) -> float:
        chart = self.chart
        if not math.isfinite(loss):  # far above: the line leaves the chart at once
            return chart.y - 100 * chart.h
        shown = min(loss, 100 * LOSS_TOP)  # above the top: the line is cut there, not flattened
        return chart.bottom - chart.h * shown / LOSS_TOP

    def _grow(self, line: GrowingLine, snap: Snapshot) -> None:
        if snap.diverged_at is None:
            chart = self.chart
            line.add(chart.x + snap.step / max(1, self.steps) * chart.w, self.loss_y(snap.loss))
            for at in line.exits:  # where it left the chart stays marked, in the line's colour
                self._mark(line.canvas, at, max(2, round(3 * self.page.s)), self.theme.primary)
            line.exits.clear()

    def _loss_point(self, frame: np.ndarray, line: GrowingLine, snap: Snapshot) -> None:
        chart, s = self.chart, self.page.s
        x = chart.x + snap.step / max(1, self.steps) * chart.w
        y = self.loss_y(snap.loss)
        if snap.diverged_at is not None or y < chart.y:  # above the chart: a mark at its top
            self._mark(frame, x, max(3, round(5 * s)), self.theme.secondary)
        elif line.last is not None:
            dot(frame, x, y, max(2.0, 3.2 * s), self.theme.primary)

    def _mark(self, frame: np.ndarray, x: float, size: int, colour) -> None:
        """A small triangle on the chart's top edge at x: the loss went above it there."""
        chart = self.chart
        x = min(max(x, chart.x + size), chart.right - size)  # inside: clear of the "3"
        for row in range(size):
            frame[chart.y + row, round(x) - row : round(x) + row + 1] = colour

    def frame_levels(self, snap: Snapshot) -> np.ndarray:
        """The colour levels of the first unit's tile at a snapshot (for tests)."""
        return diverging_index(snap.network.weights[0][:, 0], self.weight_limits[0])
