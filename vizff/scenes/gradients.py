"""gradients: the lesson's numerical ("forward") gradient against back-propagation.

Left: one first-layer weight w = W_1[pixel, unit] nudged to w − h and w + h; the mean loss of
the batch around it, the two evaluations, their secant (L(w + h) − L(w − h)) / 2h and
back-propagation's tangent through L(w). Right: the same hidden unit's gradient entries
∂L/∂W_1[i, unit], one per input pixel, as an image-shaped heatmap filling in weight by weight,
beside back-propagation's heatmap of the same entries, obtained at once. Below: what a whole
numerical gradient costs, in loss evaluations (and, with `timing`, in measured time).

The network is step `steps` (default 0: untrained) of the same seeded `train()` run the
training scenes show, and the batch is the one its next update uses, so the right heatmap is
a column of the gradient that update subtracts. Every comparison is in float64 with the
lesson's h = 1e-5 (`nudge`); the `float32` option adds the same central difference in float32.
The relative error shown is ||num − bp|| / ||num + bp|| (2-norms over the entries compared).

The heatmap is filled by the lesson's literal loop, as the frames advance: for each entry,
set the weight to w + h, evaluate the loss by a whole forward pass, set it to w − h, evaluate
again, put w back. So every filled cell is two loss evaluations made just before its frame,
exactly what the counter counts, and nothing is kept but the entries (memory is flat). The
incremental method of `vizff.nn` computes the same central differences faster, but then the
counter would count evaluations that were never made one by one.

Every loss evaluation goes through `LossMeter`, which counts and times them, so a benchmark
can report the drawing's time apart from the evaluations' (`scene.meter.seconds`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from vizff.data import Digits, as_inputs
from vizff.draw import (
    Axis,
    Box,
    Chart,
    Heatmaps,
    Page,
    Plot,
    TileGrid,
    diverging_index,
    dot,
    hex_colour,
    make_palette,
    nice_limit,
    numbers,
)
from vizff.draw.catalogue import Markup
from vizff.draw.page import SIZES
from vizff.draw.plot import nice_ticks
from vizff.draw.table import Table
from vizff.draw.text import MIN_PIXELS
from vizff.draw.theme import MAP_LEVELS
from vizff.errors import OptionError, counted
from vizff.nn import Network, backprop, init_network, loss, loss_evaluations
from vizff.options import Option
from vizff.scenes.base import TrainingScene
from vizff.train import TrainConfig, _batches, train

LESSON_STEP = 1e-5  # the lesson's h
TABLE_NAME = 24  # characters of a dataset's name in the cost table's heading
MNIST_TRAIN = 60_000  # digits in one epoch of full MNIST, the scale of the sample's lesson
WIDE = 128  # hidden units of the network the cost table compares with: inputs-128-10
CURVE_POINTS = 41  # loss evaluations that draw the curve over w − 2h .. w + 2h
WINDOW = 2.0  # the chart spans w ± WINDOW·h
TIMED_EVALUATIONS = 32  # with timing: loss evaluations timed on each network (the median counts)
CHANGING = "\0"  # stands for the field of a line that changes from frame to frame
PENDING = MAP_LEVELS  # colour index of a heatmap cell not computed yet (after the map's levels)


LONG_LINE_LEAST = 0.85  # of the small text size: a result line shrunk past this is shortened
HEAT_LEAST = 28  # screen rows the heatmaps need at least (one per row of an MNIST digit)


class LossMeter:
    """Every loss evaluation the scene makes: counted, and timed apart from the drawing."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, network: Network, inputs: np.ndarray, labels: np.ndarray) -> float:
        start = time.perf_counter()
        value = loss(network, inputs, labels)
        self.seconds += time.perf_counter() - start
        self.count += 1
        return value


class UnitLoss:
    """The batch's mean loss as a function of one hidden unit's incoming weights
    W_1[i, unit], everything else (other weights, biases, the data) held fixed, in one dtype.

    `central_difference(i, h)` is the body of the lesson's loop: the weight set to w + h, the
    loss evaluated by a whole forward pass, the weight set to w − h, evaluated again, w put
    back. Each value is rounded to the dtype when stored, as the lesson's arrays round it.
    """

    def __init__(
        self,
        network: Network,
        inputs: np.ndarray,
        labels: np.ndarray,
        *,
        unit: int,
        dtype: type,
        meter: LossMeter,
    ):
        self.first = network.weights[0].astype(dtype)  # (inputs, hidden): our copy, nudged
        self.network = Network(
            (self.first, *(w.astype(dtype) for w in network.weights[1:])),
            tuple(b.astype(dtype) for b in network.biases),
            network.activation,
        )
        self.inputs = inputs.astype(dtype)  # (batch, inputs)
        self.labels, self.unit, self.meter = labels, unit, meter

    def at(self, row: int, value: float) -> float:
        """L with W_1[row, unit] set to `value` (rounded to the dtype), then put back."""
        kept = self.first[row, self.unit]
        self.first[row, self.unit] = value
        try:
            return self.meter(self.network, self.inputs, self.labels)
        finally:
            self.first[row, self.unit] = kept

    def central_difference(self, row: int, h: float) -> tuple[float, float, float]:
        """((L(w + h) − L(w − h)) / 2h, L(w + h), L(w − h)) for w = W_1[row, unit]."""
        w = self.first[row, self.unit]
        above = self.at(row, w + h)  # w + h in the dtype (numpy keeps a float32 float32)
        below = self.at(row, w - h)
        return (above - below) / (2 * h), above, below


@dataclass(frozen=True)
class Nudged:
    """One weight's loss around w in one dtype: the curve and the lesson's two evaluations."""

    offsets: np.ndarray  # (CURVE_POINTS,) t from −WINDOW·h to +WINDOW·h
    changes: np.ndarray  # (CURVE_POINTS,) L(w + t) − L(w)
    centre: float  # L(w)
    above: float  # L(w + h)
    below: float  # L(w − h)
    derivative: float  # (L(w + h) − L(w − h)) / 2h

    @classmethod
    def of(cls, function: UnitLoss, row: int, h: float) -> Nudged:
        w = function.first[row, function.unit]
        centre = function.at(row, w)
        offsets = np.linspace(-WINDOW * h, WINDOW * h, CURVE_POINTS)
        changes = np.array([function.at(row, w + t) - centre for t in offsets.astype(w.dtype)])
        derivative, above, below = function.central_difference(row, h)
        return cls(offsets, changes, centre, above, below, derivative)


@dataclass(frozen=True)
class Line:
    """A line of text around one number that changes from frame to frame."""

    prefix: str  # the text before the number
    suffix: str  # and after it
    size: float  # design size (at 640x360) at which the line fits
    slot: int  # pixels kept for the number: the width of its widest value
    align: str  # "l" or "r": where the number sits in its slot


@dataclass(frozen=True)
class Problem:
    """The network and batch every number of the scene is about, in float64."""

    network: Network  # after `steps` updates of the seeded run, as float64
    inputs: np.ndarray  # (batch, inputs) float64 in [0, 1]
    labels: np.ndarray  # (batch,) intp
    batch: np.ndarray  # (batch,) indices into the train split
    update: int  # the update that uses this batch: steps + 1


def next_batch(digits: Digits, config: TrainConfig, steps: int) -> np.ndarray:
    """Indices of the batch that update `steps` + 1 of the seeded run uses: the draws train()
    makes from one generator, the weights first, then a permutation per epoch."""
    rng = np.random.default_rng(config.seed)
    sizes = (digits.train_images[0].size, *config.hidden, 10)
    init_network(sizes, activation=config.activation, rng=rng, dtype=config.dtype)
    batches = _batches(rng, len(digits.train_labels), config.batch_size)
    for _ in range(steps):
        next(batches)
    return next(batches)[1]


def relative_error(numerical: np.ndarray, backpropagated: np.ndarray) -> float:
    """‖num − bp‖ / ‖num + bp‖ (2-norms); 0 when both are exactly zero (they agree)."""
    difference = float(np.linalg.norm(numerical - backpropagated))
    total = float(np.linalg.norm(numerical + backpropagated))
    if total == 0:
        return 0.0 if difference == 0 else math.inf
    return difference / total


def parameters(sizes: tuple[int, ...]) -> int:
    """Weights and biases of a `sizes[0] -> ... -> sizes[-1]` network."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def filled_after(frame: int, frames: int, entries: int) -> int:
    """Entries computed when frame `frame` of `frames` is drawn: 0 first, all last."""
    return entries * frame // (frames - 1)


def two_digits(value: float) -> str:
    """Two significant digits in plain decimals (0.044, 2.6, 37), whole numbers from 100."""
    if value >= 100 or value <= 0 or not math.isfinite(value):
        return f"{value:,.0f}"
    return f"{value:.{max(0, 1 - math.floor(math.log10(value)))}f}"


def derivative_text(value: float) -> Markup:
    """A derivative with 8 significant digits, so that two that agree read the same."""
    return numbers.scientific(value, 7)


def error_text(value: float) -> Markup | str:
    if value == 0 or not math.isfinite(value):
        return numbers.fixed(value, 0)
    return numbers.scientific(value, 1)


def limit_text(value: float) -> Markup | str:
    return numbers.limit(value) if 1e-3 <= value < 1e4 else numbers.scientific(value, 1)


class Gradients(TrainingScene):
    name = "gradients"
    summary = "the lesson's numerical gradient (central differences) against back-propagation"
    takes = ("data", "seed", "training")
    MIN_SIZE = (320, 180)  # drops its table, then its chart, as the frame gets smaller
    short_caption = False  # set by the layout: the caption without "the marked weight"
    # every: nothing is animated per step; on_diverge: a network is needed; method: the run
    # to step `steps` is plain back-propagation (this scene is the comparison); classes: no
    # class is named on screen
    excludes = ("every", "on_diverge", "method", "classes")
    shows_test_accuracy = False
    # 784-8-10 on 16 images: 12,740 loss evaluations make a whole numerical gradient, about a
    # second by the literal loop (about 80 µs each on one core of the development machine)
    DEFAULTS = {"hidden": (8,), "batch_size": 16, "steps": 0}
    OPTIONS = (
        Option("unit", "int", 0, "which first-layer hidden unit's weights (0-based)", low=0),
        Option(
            "pixel",
            "int",
            -1,
            "which of the unit's weights is nudged on the left: its input pixel (row·width + "
            "column), or -1 for the one with the steepest loss",
            low=-1,
        ),
        Option(
            "nudge",
            "float",
            LESSON_STEP,
            "h of the central differences (the lesson's 1e-5)",
            low=1e-12,
            high=1.0,
        ),
        Option(
            "frames",
            "int",
            100,
            "frames over which the heatmap fills in (the first empty, the last full)",
            low=2,
            high=20_000,
        ),
        Option(
            "float32",
            "bool",
            False,
            "also show the same central difference in float32 (why the lesson uses float64)",
        ),
        Option(
            "timing",
            "bool",
            False,
            "add measured times per loss evaluation and per epoch (the output then differs "
            "from run to run: not byte-reproducible)",
        ),
    )
    LINT_OPTIONS = {"frames": 3, "float32": True, "timing": True}

    # ---- options and the problem ------------------------------------------------------------
    def check(self) -> None:
        super().check()
        units = self.settings.hidden[0]
        if self.settings.unit >= units:
            raise OptionError(
                "unit", f"must be 0 to {units - 1}: the first hidden layer has {units} units"
            )

    @cached_property
    def config(self) -> TrainConfig:
        s = self.settings
        return TrainConfig(
            hidden=s.hidden,
            activation=s.activation,
            lr=s.lr,
            batch_size=s.batch_size,
            steps=self.steps,
            method="backprop",
            seed=s.seed,
            dtype=s.dtype,
        )

    def load(self) -> None:
        super().load()
        inputs = self.digits.train_images[0].size
        if self.settings.pixel >= inputs:
            raise self.settings.attribute(
                OptionError(
                    "pixel",
                    f"must be -1 (the steepest) or 0 to {inputs - 1}: the images have "
                    f"{counted(inputs, 'pixel')}",
                )
            )

    @cached_property
    def problem(self) -> Problem:
        """The network after `steps` updates of the seeded run, and the batch of the next."""
        network = None
        for snapshot in train(self.digits, self.config):
            network = snapshot.network  # the last one: step `steps`
        batch = next_batch(self.digits, self.config, self.steps)
        as64 = Network(
            tuple(w.astype(np.float64) for w in network.weights),
            tuple(b.astype(np.float64) for b in network.biases),
            network.activation,
        )
        inputs = as_inputs(self.digits.train_images[batch], np.float64)  # (batch, inputs)
        labels = self.digits.train_labels[batch].astype(np.intp)
        return Problem(as64, inputs, labels, batch, self.steps + 1)

    def frame_count(self) -> int:
        return self.settings.frames

    @property
    def inputs(self) -> int:
        return self.digits.train_images[0].size

    @property
    def palette(self) -> np.ndarray:
        theme = self.theme
        return make_palette(
            theme,
            inks=("primary", "secondary", "tertiary", "ink"),
            maps=("diverging",),
            extra=(self.band_colour(),),
        )

    def band_colour(self):
        """Back-propagation's tangent: a wide pale band under the secant."""
        return self.theme.pale("primary", 0.3)

    # mostly its numerical gradient's loss evaluations (it may train no step at all)
    estimated_work = "training and loss evaluations"

    def estimate_seconds(self) -> float | None:
        """The run to step `steps`, and the unit's loss evaluations (a short measured probe)."""
        training = super().estimate_seconds() or 0.0
        problem = self.problem
        meter, times = LossMeter(), []
        for _ in range(8):  # the median: one stalled call (a busy machine) made it 12x too long
            before = meter.seconds
            meter(problem.network, problem.inputs, problem.labels)
            times.append(meter.seconds - before)
        evaluations = 2 * self.inputs + CURVE_POINTS * (2 if self.settings.float32 else 1)
        return training + float(np.median(times)) * evaluations

    # ---- the numbers ----------------------------------------------------------------------------
    def compute(self) -> None:
        """Everything before the first frame: back-propagation, the nudged weight, the costs."""
        problem, s = self.problem, self.settings
        self.meter = LossMeter()
        self.exact = UnitLoss(
            problem.network,
            problem.inputs,
            problem.labels,
            unit=s.unit,
            dtype=np.float64,
            meter=self.meter,
        )
        gradients, _ = backprop(problem.network, problem.inputs, problem.labels)
        self.backprop_entries = gradients.weights[0][:, s.unit].copy()  # (inputs,)
        steepest = int(np.argmax(np.abs(self.backprop_entries)))
        self.pixel = steepest if s.pixel < 0 else s.pixel
        self.left = Nudged.of(self.exact, self.pixel, s.nudge)
        self.single = None
        if s.float32:
            single = UnitLoss(
                problem.network,
                problem.inputs,
                problem.labels,
                unit=s.unit,
                dtype=np.float32,
                meter=self.meter,
            )
            self.single = Nudged.of(single, self.pixel, s.nudge)
        self.numerical_entries = np.full(self.inputs, np.nan)  # filled as the frames advance
        self.seconds_per_evaluation = self.wide_seconds = None
        if s.timing:
            rng = np.random.default_rng(s.seed)  # its own draws: the run's are untouched
            sizes = (self.inputs, WIDE, 10)
            wide = init_network(sizes, activation=self.config.activation, rng=rng, dtype=float)
            self.seconds_per_evaluation = self._time(problem.network)
            self.wide_seconds = self._time(wide)

    def _time(self, network: Network) -> float:
        """Seconds per loss evaluation of `network` on the batch, as the literal loop makes
        them: the median of TIMED_EVALUATIONS, each timed alone (robust to a busy moment)."""
        problem = self.problem
        meter = LossMeter()
        probe = UnitLoss(
            network, problem.inputs, problem.labels, unit=0, dtype=np.float64, meter=meter
        )
        times = []
        for k in range(TIMED_EVALUATIONS):
            row = k % len(probe.first)  # any weight: every evaluation is a whole forward pass
            before = meter.seconds
            probe.at(row, probe.first[row, 0] + self.settings.nudge)
            times.append(meter.seconds - before)
        self.meter.seconds += meter.seconds  # the scene's own evaluations, for benchmarks
        return float(np.median(times))

    def fill(self, upto: int) -> int:
        """Compute the unit's entries up to `upto` by the literal loop; the last one done."""
        h = self.settings.nudge
        entries = self.numerical_entries
        done = int(np.count_nonzero(~np.isnan(entries)))
        for row in range(done, upto):
            entries[row] = self.exact.central_difference(row, h)[0]
        return upto - 1

    def done(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.numerical_entries)))

    def current_error(self) -> float:
        """‖num − bp‖ / ‖num + bp‖ over the entries computed so far."""
        done = self.done()
        return relative_error(self.numerical_entries[:done], self.backprop_entries[:done])

    # ---- words ----------------------------------------------------------------------------------
    def sizes_text(self, hidden: tuple[int, ...]) -> str:
        return "-".join(str(n) for n in (self.inputs, *hidden, 10))

    def subtitle(self, key: str = "gradients.subtitle") -> str:
        config, words = self.config, self.words
        if self.steps:
            when = words("gradients.trained", steps=self.steps, lr=f"{config.lr:g}")
        else:
            when = words("gradients.untrained")
        return words(
            key,
            sizes=self.sizes_text(config.hidden),
            activation=config.activation,
            when=when,
            batch=len(self.problem.labels),
            update=self.problem.update,
            dataset=self.dataset_name(),
            h=self.h_text(),
        )

    def h_text(self) -> Markup | str:
        h = self.settings.nudge
        exponent = math.log10(h)
        if exponent == round(exponent):
            return Markup(f"10^{{{numbers.minus(str(round(exponent)))}}}")
        return f"{h:g}" if h >= 1e-3 else numbers.scientific(h, 2)

    def caption(self, short: bool | None = None) -> str:
        """The marked weight's two derivatives (and float32's, if asked); `short` leaves out
        "the marked weight" (as the layout chose, when not given), so that the formula keeps
        its line on a small frame."""
        words = self.words
        short = self.short_caption if short is None else short
        text = words(
            "gradients.caption_short" if short else "gradients.caption",
            pixel=self.pixel,
            unit=self.settings.unit,
            numerical=derivative_text(self.left.derivative),
            backprop=derivative_text(self.backprop_entries[self.pixel]),
        )
        if self.single is not None:
            error = relative_error(
                np.array([self.single.derivative]),
                self.backprop_entries[self.pixel : self.pixel + 1],
            )
            text += "\n" + words(
                "gradients.caption_float32_short" if short else "gradients.caption_float32",
                numerical=derivative_text(self.single.derivative),
                error=error_text(error),
            )
        return text

    def result_lines(self) -> None:
        """The two lines under the heatmaps, each a fixed text around one changing number."""
        width = self.result_box.w
        count = numbers.count
        self.counter_line = self._line(
            "gradients.counter",
            "done",
            count(2 * self.inputs),
            width,
            align="r",
            needed=count(2 * self.inputs),
            network=count(loss_evaluations(self.problem.network)),
        )
        widest = Markup("8.8×10^{−10}")
        self.error_lines = (
            self._line("gradients.error_none", None, "", width),
            self._line("gradients.error", "error", widest, width),
            self._line("gradients.error_done", "error", widest, width, done=count(self.inputs)),
        )

    def _line(self, key, field, widest, width, *, align="l", **fixed) -> Line:
        """A catalogue line whose `field` changes every frame: the text around it is the same
        each frame (and so drawn from the kit's pictures), the field gets a slot as wide as
        its `widest` value; the size is the largest at which the widest line fits `width`.
        Where the line would have to shrink below LONG_LINE_LEAST of the small size (or a
        legible one), its short form (`key_short`) is used instead: smaller text is harder to
        read than the definition it leaves out, and the number it exists for is never cut."""
        page = self.page
        pads = 4 * max(1, round(2 * page.s))  # kept between the pieces by _draw_line
        for form, least in ((key, LONG_LINE_LEAST), (f"{key}_short", 0.0)):
            text = self.words(form, **fixed, **({field: CHANGING} if field else {}))
            prefix, _, suffix = text.partition(CHANGING)
            design = SIZES["small"]
            while page.type.width(
                prefix + widest + suffix, page.px(design)
            ) + pads > width and page.px(design) > max(MIN_PIXELS, least * page.px("small")):
                design -= 0.25
            if page.type.width(prefix + widest + suffix, page.px(design)) + pads <= width:
                break
        return Line(prefix, suffix, design, page.type.width(widest, page.px(design)), align)

    def counter_value(self) -> str:
        return numbers.count(2 * self.done())

    def error_state(self) -> tuple[Line, Markup | str]:
        done = self.done()
        if done == 0:
            return self.error_lines[0], ""
        line = self.error_lines[2 if done == self.inputs else 1]
        return line, error_text(self.current_error())

    def duration(self, seconds: float) -> str:
        """A time in the unit a person reads it in: µs, ms, s, min, h or days."""
        for limit, unit, size in (
            (1e-3, "us", 1e-6),
            (1.0, "ms", 1e-3),
            (120.0, "s", 1.0),
            (7200.0, "min", 60.0),
            (172800.0, "h", 3600.0),
            (math.inf, "days", 86400.0),
        ):
            if seconds < limit:
                return self.words(f"gradients.duration.{unit}", value=two_digits(seconds / size))
        raise AssertionError(seconds)

    def days(self, seconds: float) -> str:
        """A long time in days, as the lesson counts its "3-4 days"."""
        return self.words("gradients.duration.days", value=two_digits(seconds / 86400))

    def table_rows(self) -> list[list[str]]:
        """The cost of a whole numerical gradient: two loss evaluations per parameter."""
        words, batch = self.words, len(self.problem.labels)
        if self.digits.source in ("sample", "mnist"):  # the lesson's scale: all of MNIST
            name, images = words("data.mnist_full"), MNIST_TRAIN  # "full": not the sample's
        else:  # other data: its own train split; a long folder name cut, not the table shrunk
            name, images = self.dataset_name(), len(self.digits.train_labels)
            name = name if len(name) <= TABLE_NAME else name[: TABLE_NAME - 1] + "…"
        per_epoch = math.ceil(images / batch)
        header = [
            words("gradients.table.name"),
            words("gradients.table.gradient"),
            words("gradients.table.epoch", data=name, steps=numbers.count(per_epoch), batch=batch),
        ]
        here = (self.inputs, *self.config.hidden, 10)
        wide = (self.inputs, WIDE, 10)
        rows = [
            [words("gradients.table.this", sizes=self.sizes_text(self.config.hidden))],
            [words("gradients.table.wide", sizes=self.sizes_text((WIDE,)))],
        ]
        for row, sizes in zip(rows, (here, wide)):
            evaluations = 2 * parameters(sizes)
            row += [numbers.count(evaluations), numbers.count(evaluations * per_epoch)]
        if self.settings.timing:
            header += [words("gradients.table.each"), words("gradients.table.epoch_time")]
            for row, sizes, seconds in zip(
                rows, (here, wide), (self.seconds_per_evaluation, self.wide_seconds)
            ):
                epoch = 2 * parameters(sizes) * per_epoch * seconds
                row += [self.duration(seconds), self.days(epoch)]
        return [header, *rows]

    # ---- layout: computed once ----------------------------------------------------------------
    def _layout(self) -> None:
        """Regions, largest first; on a frame too small for everything, the cost table goes
        first, then the chart and its key, then the heatmaps' header and result lines."""
        settings = self.settings
        for short in (False, True):  # the short caption where the long one needs a line more
            self.page = page = Page(
                self.size,
                self.look,
                title=self.title(),
                subtitle=self.subtitle(),
                short_subtitle=self.subtitle("gradients.subtitle_short"),
                caption=self.caption(short),
                caption_lines=2 if settings.float32 else 1,
            )
            self.short_caption = short
            needed = page.type.wrap(
                self.caption(), page.caption_box.w, page.px("caption"), cjk=page.words.cjk
            )
            if short or len(needed) <= (3 if settings.float32 else 2):
                break
        s, small = page.s, page.line_height("small")
        rows = self.table_rows()
        table_h = Table.height_of(page, len(rows))
        note_h = small if settings.timing else 0
        panels, below = page.body.take_bottom(table_h + note_h, gap=round(6 * s))
        self.table = self.note_box = None
        if panels.h >= 5 * small + self.heat_least:
            self.table = Table(page, below.take_top(table_h)[0], rows)
            self.note_box = below.take_bottom(note_h)[1] if note_h else None
        else:
            panels = page.body
        if panels.h > panels.w:  # a tall frame: the chart above the heatmaps, each full width
            left, right = panels.rows(0.5, 0.5, gap=round(18 * s))
            self._layout_right(right, small)  # the heatmaps are as wide as the frame allows:
            used = (self.result_box or self.grid.bounds).bottom  # the chart takes what they
            spare = right.bottom - used  # leave, rather than a gap above the table
            left = Box(left.x, left.y, left.w, left.h + spare)
            right = Box(right.x, right.y + spare, right.w, right.h - spare)
            texts = self.result_box is not None
        else:
            left, right = panels.columns(0.45, 0.55, gap=round(18 * s))
            texts = None
        self.key_layout = self._key_rows(left.w)
        self.chart_box, self.key_box = left.take_bottom(
            len(self.key_layout) * small, gap=round(4 * s)
        )
        if self.chart_box.h < 6 * small or self.chart_box.w < 8 * small:  # no room: no chart
            self.chart_box = self.key_box = None
            right, texts = panels, None
        self._layout_right(right, small, texts)
        if self.result_box is not None:
            self.result_lines()

    def _layout_right(self, right: Box, small: int, texts: bool | None = None) -> None:
        """The header, the two heatmaps with a vertical colour bar beside them, two lines
        (`texts`: whether the header and lines fit, when already decided)."""
        page, s, words = self.page, self.page.s, self.words
        self.right_header = self.result_box = None
        rest = right
        if texts is None:
            texts = right.h >= 5 * small + self.heat_least
        if texts:
            self.right_header, rest = right.take_top(small, gap=round(2 * s))
            rest, self.result_box = rest.take_bottom(2 * small, gap=round(3 * s))
        labels = [limit_text(self.limit_value()), "0"]
        label_w = max(page.type.width(numbers.minus("-") + t, page.px("small")) for t in labels)
        self.bar_w = max(2, round(9 * s))
        beside = self.bar_w + round(4 * s) + label_w
        grid_box = rest.take_right(beside, gap=round(12 * s))[0]
        self.labelled = rest.h >= small + self.heat_least  # room for the labels

        gap = max(2, round(14 * s))

        def fit(top: bool = False) -> TileGrid:
            return TileGrid.fit(
                grid_box,
                2,
                self.digits.image_shape,
                gap=gap,
                below=small if self.labelled else 0,
                cols=2,
                rows=1,
                crisp=True,
                top=top,
            )

        self.grid = fit()
        if self.labelled:  # small tiles: the gap widens until each label's short form fits
            pixels, tile_w = page.px("small"), self.grid.tiles[0].w
            needed = (
                max(
                    min(page.type.width(words(key + form), pixels) for form in ("", "_short"))
                    for key in ("gradients.numerical", "gradients.backprop")
                )
                + 4 * s
                + 1
            )
            if tile_w + gap < needed:
                gap = math.ceil(needed - tile_w)
                self.grid = fit()
        if self.result_box is not None and rest.h - self.grid.bounds.h > 3 * small:
            # a tall or square frame leaves the maps far from their header and result lines
            # (270 px each way at 1080x1080): the three stay together at the top instead
            self.grid = fit(top=True)
            top = self.grid.bounds.bottom + round(3 * s)
            self.result_box = Box(self.result_box.x, top, self.result_box.w, self.result_box.h)
        tile = self.grid.tiles[1]
        self.bar_box = Box(tile.right + round(12 * s), tile.y, self.bar_w, tile.h)

    @property
    def heat_least(self) -> int:
        """Screen rows the heatmaps need at least: one per image row, up to an MNIST digit's
        28 (a taller image is shrunk to fit; it must not cost the texts their room)."""
        return min(self.digits.image_shape[0], HEAT_LEAST)

    def limit_value(self) -> float:
        """The heatmaps' one symmetric colour limit: back-propagation's largest |entry|,
        rounded up (the numerical entries agree with it to many digits)."""
        return nice_limit(float(np.abs(self.backprop_entries).max()))

    def _key_entries(self) -> list[tuple[str, str]]:
        entries = [
            ("loss", self.words("gradients.key.loss")),
            ("secant", self.words("gradients.key.secant")),
            ("tangent", self.words("gradients.key.tangent")),
        ]
        if self.single is not None:
            entries.append(("single", self.words("gradients.key.float32")))
        return entries

    def _swatch_w(self) -> int:
        return round(16 * self.page.s)

    def _key_rows(self, width: int) -> list[list[tuple[str, str, int]]]:
        """The key's entries flowed into rows: (style, label, x offset) each."""
        page, s = self.page, self.page.s
        pixels, spacing = page.px("small"), round(12 * s)
        rows: list[list[tuple[str, str, int]]] = [[]]
        x = 0
        for style, label in self._key_entries():
            need = self._swatch_w() + round(4 * s) + page.type.width(label, pixels)
            if rows[-1] and x + need > width:
                rows.append([])
                x = 0
            rows[-1].append((style, label, x))
            x += need + spacing
        return rows

    # ---- the picture that does not move -------------------------------------------------------
    def _background(self) -> np.ndarray:
        page, words, s = self.page, self.words, self.page.s
        if self.chart_box is not None:
            plot = Plot(page)
            chart = self._chart(plot)
            frame = page.canvas(plot.render())
            chart.draw_labels(frame)
            self._key(frame)
        else:
            frame = page.canvas()
        rows, cols = self.digits.image_shape
        if self.right_header is not None:
            fields = dict(unit=self.settings.unit, inputs=self.inputs, shape=f"{rows}×{cols}")
            forms = [words(key, **fields) for key in ("gradients.unit", "gradients.unit_short")]
            self._header(frame, self.right_header, page.fitting(forms, self.right_header.w))
        room = self.grid.tiles[1].x - self.grid.tiles[0].right + self.grid.tiles[0].w
        for tile, key in zip(self.grid.tiles, ("gradients.numerical", "gradients.backprop")):
            frame[tile.y - 1 : tile.bottom + 1, tile.x - 1 : tile.right + 1] = self.theme.faint
            label = page.fitting([words(key), words(f"{key}_short")], room - 4 * s, "small")
            if self.labelled and page.type.width(label, page.px("small")) < room - 4 * s:
                page.text(
                    frame,
                    (tile.x + tile.w / 2, tile.bottom + round(2 * s)),
                    label,
                    size="small",
                    colour="ink",
                    anchor="mt",
                )
        self._colour_bar(frame)
        if self.table is not None:
            self.table.draw(frame)
        if self.note_box is not None:
            self._header(frame, self.note_box, words("gradients.measured"))
        page.caption(frame, self.caption())
        return frame

    def _header(self, frame: np.ndarray, box: Box, text: str) -> None:
        self.page.text(
            frame,
            (box.x, box.bottom),
            text,
            size="small",
            colour="muted",
            anchor="lb",
            width=box.w,
        )

    def _colour_bar(self, frame: np.ndarray) -> None:
        """The one colour scale of both heatmaps, upright beside them: +limit at the top."""
        page, box, s = self.page, self.bar_box, self.page.s
        colours = self.theme.diverging
        index = np.linspace(len(colours) - 1, 0, box.h).round().astype(int)  # top: positive
        frame[box.slices] = colours[index][:, None]
        x = box.right + round(4 * s)
        text = limit_text(self.limit)
        labels = [(box.y, "+" + text, "lt"), (box.bottom, numbers.minus("-") + text, "lb")]
        label_h = page.line_height("small")
        if box.h >= 3 * label_h:
            labels.insert(1, (box.y + box.h / 2, "0", "lm"))
        for y, label, anchor in labels if box.h >= 2 * label_h else ():
            page.text(
                frame, (x, y), label, size="small", colour="muted", anchor=anchor, role="colourbar"
            )

    def _chart(self, plot: Plot) -> Chart:
        """L(w + t) − L(w) against t in units of h: the curve as its evaluations, the secant
        through the lesson's two, back-propagation's tangent as a band beneath."""
        theme, h = self.theme, self.settings.nudge
        ends = np.array([-WINDOW, WINDOW])  # t / h at the chart's two ends
        tangent = self.backprop_entries[self.pixel] * h * ends  # (2,) L change, by the slope
        series = [(self.left, theme.primary, theme.secondary, "o")]
        if self.single is not None:
            series.append((self.single, theme.tertiary, theme.tertiary, "s"))
        secants = [
            n.derivative * h * ends + (n.above + n.below - 2 * n.centre) / 2 for n, *_ in series
        ]
        top = max(
            float(
                np.abs(np.concatenate([tangent, *secants, *(n.changes for n, *_ in series)])).max()
            ),
            0.0,
        )
        top = top if top > 0 else h  # a flat loss: a pixel that is black in every image
        exponent = math.floor(math.log10(top))
        unit = 10.0**exponent  # the y axis counts in units of 10^exponent
        limit = top / unit * 1.12
        words = self.words
        names = ("gradients.below", "gradients.at", "gradients.above")
        x = Axis(
            -WINDOW * 1.04,
            WINDOW * 1.04,
            [-1.0, 0.0, 1.0],
            label=lambda v: words(names[int(v) + 1]),
        )
        title = dict(exponent=numbers.minus(str(exponent)), loss=numbers.fixed(self.left.centre, 7))
        y = Axis(
            -limit,
            limit,
            self._ticks(limit),
            label=lambda v: numbers.minus(f"{v:g}"),
            title=words("gradients.y_axis", **title),
            short_title=words("gradients.y_axis_short", **title),
        )
        chart = Chart(plot, self.chart_box, x, y)
        axes = chart.axes
        band = dict(color=hex_colour(self.band_colour()), lw=plot.points(7), solid_capstyle="butt")
        axes.plot(ends, tangent / unit, zorder=2, **band)
        for (nudged, curve, line, marker), secant in zip(series, secants):
            offsets, changes = nudged.offsets / h, nudged.changes / unit
            if nudged is self.single:  # float32 rounds the loss into steps: draw them as steps
                axes.plot(
                    offsets,
                    changes,
                    color=hex_colour(curve),
                    lw=plot.points(1.4),
                    drawstyle="steps-mid",
                    zorder=3,
                )
            else:
                axes.plot(
                    offsets,
                    changes,
                    "o",
                    color=hex_colour(curve),
                    ms=plot.points(2.6),
                    mew=0,
                    zorder=3,
                )
            axes.plot(
                ends,
                secant / unit,
                color=hex_colour(line),
                lw=plot.points(1.4),
                zorder=4,
                ls="-" if nudged is self.left else (0, (4, 2)),
            )
            points = [(nudged.below - nudged.centre) / unit, (nudged.above - nudged.centre) / unit]
            axes.plot(
                [-1, 1],
                points,
                marker,
                color=hex_colour(line),
                ms=plot.points(6.5),
                mec=hex_colour(theme.background),
                mew=plot.points(1),
                zorder=5,
            )
        return chart

    def _ticks(self, limit: float) -> list[float]:
        """Round y ticks within ±limit, as many as the chart's height keeps apart (at least
        three: one each side of zero)."""
        wanted = int(max(3, min(5, self.chart_box.h // (2.5 * self.page.line_height("small")))))
        for count in range(wanted, 12):
            ticks = [t for t in nice_ticks(-limit, limit, count) if abs(t) <= limit]
            if len(ticks) >= 3:
                return ticks
        return ticks

    def _key(self, frame: np.ndarray) -> None:
        page, s, theme = self.page, self.page.s, self.theme
        small = page.line_height("small")
        swatch = self._swatch_w()
        thick = max(1, round(1.4 * s))
        for r, row in enumerate(self.key_layout):
            y = self.key_box.y + small * (r + 0.5)
            for style, label, offset in row:
                x = self.key_box.x + offset
                yy = round(y)
                if style == "loss":
                    for k in range(3):
                        dot(frame, x + swatch * (k + 0.5) / 3, y, max(1.0, 1.3 * s), theme.primary)
                elif style == "secant":
                    frame[yy - thick // 2 : yy - thick // 2 + thick, x : x + swatch] = (
                        theme.secondary
                    )
                elif style == "tangent":
                    band = max(2, round(5 * s))
                    frame[yy - band // 2 : yy - band // 2 + band, x : x + swatch] = (
                        self.band_colour()
                    )
                else:
                    frame[yy - thick // 2 : yy - thick // 2 + thick, x : x + swatch] = (
                        theme.tertiary
                    )
                page.text(
                    frame,
                    (x + swatch + round(4 * s), y),
                    label,
                    size="small",
                    colour="ink",
                    anchor="lm",
                )

    # ---- frames --------------------------------------------------------------------------------
    def frames(self) -> Iterator[np.ndarray]:
        self.load()
        self.compute()
        self.limit = self.limit_value()
        self._layout()
        background = self._background()
        numerical_tile, backprop_tile = self.grid.tiles
        shape = self.digits.image_shape
        colours = np.vstack([self.theme.diverging, [self.theme.faint]])
        Heatmaps.of_tiles([backprop_tile], shape, background, colours).paint(
            background, diverging_index(self.backprop_entries, self.limit)
        )
        self._mark(background, backprop_tile, self.pixel, self.theme.ink, self.theme.background)
        heat = Heatmaps.of_tiles([numerical_tile], shape, background, colours)
        total = self.frame_count()
        for index in range(total):
            last = self.fill(filled_after(index, total, self.inputs))
            self.page.begin_frame()
            frame = background.copy()
            heat.paint(frame, self.levels())
            self._mark(frame, numerical_tile, self.pixel, self.theme.ink, self.theme.background)
            if 0 <= last < self.inputs - 1:
                self._mark(frame, numerical_tile, last, self.theme.secondary)
            self._result(frame)
            yield frame

    def levels(self) -> np.ndarray:
        """The numerical heatmap's colour indices: pending cells after the map's levels."""
        entries = self.numerical_entries
        levels = diverging_index(entries, self.limit)
        levels[np.isnan(entries)] = PENDING
        return levels

    def _mark(self, frame: np.ndarray, tile: Box, pixel: int, colour, halo=None) -> None:
        """An outline around one pixel's cell of a tile (with a `halo` around it, so that it
        shows on any colour of the map)."""
        rows, cols = self.digits.image_shape
        row, col = divmod(pixel, cols)
        t = max(1, round(self.page.s))
        cell = Box(
            tile.x + col * tile.w // cols,
            tile.y + row * tile.h // rows,
            (col + 1) * tile.w // cols - col * tile.w // cols,
            (row + 1) * tile.h // rows - row * tile.h // rows,
        )
        rings = [(colour, t)] if halo is None else [(halo, 2 * t), (colour, t)]
        for ring, width in rings:
            box = Box(cell.x - width, cell.y - width, cell.w + 2 * width, cell.h + 2 * width)
            for part in (
                Box(box.x, box.y, box.w, width),
                Box(box.x, box.bottom - width, box.w, width),
                Box(box.x, box.y, width, box.h),
                Box(box.right - width, box.y, width, box.h),
            ):
                frame[part.clip(frame.shape[1], frame.shape[0]).slices] = ring

    def _result(self, frame: np.ndarray) -> None:
        box = self.result_box
        if box is None:
            return
        small = self.page.line_height("small")
        self._draw_line(frame, self.counter_line, box.y + small * 0.5, self.counter_value())
        line, value = self.error_state()
        self._draw_line(frame, line, box.y + small * 1.5, value)

    def _draw_line(self, frame: np.ndarray, line: Line, y: float, value: str) -> None:
        page, box = self.page, self.result_box
        pixels = page.px(line.size)
        pad = max(1, round(2 * page.s))  # ink may reach a pixel past a piece's advance
        x = box.x
        for part, anchor, slot in (
            (line.prefix, "lm", page.type.width(line.prefix, pixels) + pad),
            (value, "rm" if line.align == "r" else "lm", line.slot + pad),
            (line.suffix, "lm", 0),
        ):
            if part:
                at = x + slot - pad if anchor == "rm" else x
                page.text(frame, (at, y), part, size=line.size, anchor=anchor, width=box.right - x)
            x += slot
