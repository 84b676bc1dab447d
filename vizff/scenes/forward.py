"""forward: one digit through the network. The input image and its flattening into a column,
each hidden layer's units filled by their activation, the softmax probabilities of the ten
outputs, the edges into the output coloured by their weights, and "what a unit looks for":
one first-layer unit's weights as an image beside the digit, their product with it, and the
sum that makes the unit's z.

Modes: `pass` trains `steps` steps silently, then animates one forward pass layer by layer
for each test digit in `digits`; `training` shows one digit (the first) at every `every`
steps of the run, its probabilities sharpening. Every number comes from `vizff.nn.forward`
on the trainer's own snapshot.

Everything that does not move is drawn once; a frame is a copy of that picture, the heatmap
gathers, one blend of the units' discs, the bars and a few lines of text.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from vizff.data import as_inputs
from vizff.draw import (
    Box,
    Heatmaps,
    colour_bar,
    diverging_index,
    make_palette,
    map_index,
    nice_limit,
    numbers,
)
from vizff.draw.network import Discs, Edges, arrow, brace, dots, ring
from vizff.errors import OptionError, counted
from vizff.nn import Network, cross_entropy_error, forward
from vizff.options import MAX_SIZE, MAX_UNITS, Option, largest_scale
from vizff.scenes.base import TrainingScene
from vizff.train import Snapshot, train

MAX_DRAWN = 16  # units drawn per hidden column; more are an ellipsis and "+N more"
ELLIPSIS_ROWS = 2.5  # rows of a column below its drawn units: the dots and "+N more"
FIRST_THREE = tuple(range(3))  # the default digits: the first three test images
GREYS = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)  # the image's own grey


@dataclass(frozen=True)
class State:
    """What one frame shows of one digit: every number from one forward pass."""

    index: int  # into the test split
    label: int
    pixels: np.ndarray  # (rows, cols) uint8, the image as stored
    inputs: np.ndarray  # (n,) the network's input, pixels / 255
    layers: list[np.ndarray]  # forward(): [inputs, hidden..., probabilities], each (n_l,)
    unit: int  # the first-layer unit explained
    weighted_sum: float  # Σ x_i w_i of that unit
    bias: float
    z: float  # Σ x_i w_i + b
    weights: np.ndarray  # (n,) the unit's incoming weights
    loss: float  # -log p[label]

    @property
    def probabilities(self) -> np.ndarray:
        return self.layers[-1]

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


@dataclass(frozen=True)
class Column:
    """One column of the diagram: where its units sit."""

    x: int  # centre
    ys: tuple[int, ...]  # centres of the drawn units
    units: int  # units in the layer
    more_y: int = 0  # the "+N more" line, when units > MAX_DRAWN

    @property
    def drawn(self) -> int:
        return len(self.ys)


def state_of(network: Network, pixels: np.ndarray, index: int, label: int, unit: int) -> State:
    """One test digit through `network`: the numbers a frame shows, all the core's own."""
    x = as_inputs(pixels[None], network.weights[0].dtype)  # (1, n)
    layers = [layer[0] for layer in forward(network, x)]
    w, b = network.weights[0], network.biases[0]
    sums = x @ w  # (1, units): Σ x_i w_i of every first-layer unit, as forward() sums them
    with np.errstate(all="ignore"):
        loss = cross_entropy_error(layers[-1][None], np.array([label]))
    return State(
        index,
        label,
        pixels,
        x[0],
        layers,
        unit,
        float(sums[0, unit]),
        float(b[unit]),
        float((sums + b)[0, unit]),
        w[:, unit],
        loss,
    )


def most_excited_unit(network: Network, pixels: np.ndarray, drawn: int) -> int:
    """The drawn first-layer unit this image excites most: the largest Σ x_i w_i (the ink
    falls on its positive weights), so its weights show what it looks for."""
    x = as_inputs(pixels[None], network.weights[0].dtype)
    with np.errstate(all="ignore"):
        sums = (x @ network.weights[0][:, :drawn])[0]  # (drawn,)
    return int(np.argmax(np.nan_to_num(sums, nan=-np.inf)))


def ink_height(laid) -> int:
    """Height of the box a laid-out line records (its line box, or its ink where taller)."""
    return laid.extent[3] - laid.extent[1]


def tile_scales(
    *,
    free: float,
    tile_width: float,
    digit_width: float,
    shape: tuple[int, int],
    stacked: int = 1,
) -> tuple[float, float]:
    """Screen pixels per image pixel of the unit's tiles and of the input image, in `free`
    rows with `stacked` tiles one above the other: whole numbers (crisp squares) as large and
    as even as fit; fractions only when an image is larger than its room."""
    rows, cols = shape
    best = None
    for tile in range(1, math.floor(min(tile_width / cols, free / (stacked * rows))) + 1):
        digit = min(
            math.floor(digit_width / cols), math.floor((free - stacked * tile * rows) / rows)
        )
        if digit >= 1:
            score = tile + digit - 0.5 * abs(tile - digit) + 0.1 * tile
            best = max(best or (score, tile, digit), (score, tile, digit))
    if best is None:  # a large image: each shrunk to its share of the room
        return min(tile_width / cols, free * 0.55 / (stacked * rows)), min(
            digit_width / cols, free * 0.45 / rows
        )
    return float(best[1]), float(best[2])


def strip_levels(inputs: np.ndarray, height: int) -> np.ndarray:
    """The flattened input squeezed (or stretched) into `height` rows: each row the mean of
    the values that fall in it, as a grey level 0..255. (height,) uint8."""
    n = len(inputs)
    if height >= n:
        values = inputs[np.arange(height) * n // height]
    else:
        starts = np.arange(height) * n // height
        counts = np.diff(np.append(starts, n))
        values = np.add.reduceat(inputs.astype(np.float64), starts) / counts
    return np.clip(np.rint(np.nan_to_num(values) * 255), 0, 255).astype(np.uint8)


class Forward(TrainingScene):
    name = "forward"
    summary = "one digit through the network: activations, softmax, what a first-layer unit sees"
    shows_test_accuracy = False  # the frames show one digit, never the test split
    MIN_SIZE = (480, 270)  # the ten output rows, their bars and labels, legible
    OPTIONS = (
        Option(
            "mode",
            "str",
            "pass",
            "pass: a forward pass through the network trained `steps` steps, layer by layer, "
            "for each digit; training: the first digit as the network learns",
            choices=("pass", "training"),
        ),
        Option(
            "digits",
            "ints",
            FIRST_THREE,
            "test digits shown, as indices into the test split (training mode: the first)",
            low=0,
            high=100,
            metavar="I[,I...]",
        ),
        Option(
            "unit",
            "int",
            -1,
            "first-layer unit explained (-1: the drawn unit the digit excites most, the largest "
            "Σ xᵢwᵢ; in training mode, on the last step's network)",
            low=-1,
            high=MAX_UNITS - 1,
        ),
        Option(
            "layer_frames",
            "int",
            8,
            "pass mode: frames for each layer of the pass",
            low=1,
            high=600,
        ),
        Option(
            "result_frames",
            "int",
            30,
            "pass mode: frames on each finished pass before the next digit",
            low=0,
            high=6000,
        ),
        Option(
            "weight_limit",
            "float",
            0.0,
            "colour limit of the unit's weights and of x ⊙ w (0: the largest |w| shown)",
            low=0.0,
            high=1e6,
        ),
    )
    LINT_OPTIONS = {
        "steps": 6,
        "every": 3,
        "hidden": (20, 8),
        "digits": (0,),
        "layer_frames": 1,
        "result_frames": 1,
    }

    # ---- options and data ---------------------------------------------------------------------
    def check(self) -> None:
        super().check()
        s = self.settings
        drawn = min(s.hidden[0], MAX_DRAWN)
        if s.unit >= drawn:
            raise OptionError(
                "unit",
                f"layer 1 draws units 0 to {drawn - 1} (of {s.hidden[0]}); choose one of them, "
                "or -1 for the one the digit excites most",
            )

    @cached_property
    def digit_indices(self) -> tuple[int, ...]:
        """The test digits shown: as given; left at the default, those the split holds."""
        digits = self.settings.digits
        if self.settings.given("digits"):
            return digits
        count = len(self.digits.test_labels)
        return tuple(index for index in digits if index < count) or digits

    def load(self) -> None:
        super().load()
        count = len(self.digits.test_labels)
        for index in self.digit_indices:
            if index >= count:
                raise self.settings.attribute(
                    OptionError(
                        "digits",
                        f"index {index} is past the {counted(count, 'test image')} of "
                        f"{self.dataset_name()} (0 to {count - 1:,})",
                    )
                )
        self._layout()  # a size too small is refused before any file opens; a fresh page

    @property
    def training_mode(self) -> bool:
        return self.settings.mode == "training"

    def shown_digits(self) -> tuple[int, ...]:
        digits = self.digit_indices
        return digits[:1] if self.training_mode else digits

    def frame_count(self) -> int:
        if self.training_mode:
            return super().frame_count()
        stages = len(self.config.hidden) + 2  # the input, each hidden layer, the output
        per_digit = stages * self.settings.layer_frames + self.settings.result_frames
        return len(self.digit_indices) * per_digit

    @property
    def palette(self) -> np.ndarray:
        greys = [tuple(grey) for grey in GREYS[::3].tolist()]  # the input image's levels
        return make_palette(
            self.theme,
            inks=("primary", "secondary", "negative_end", "positive_end"),  # edges blend too
            maps=("diverging", "sequential"),
            extra=greys,
        )

    def title(self) -> str:
        if self.training_mode:
            return self.words("forward.title_training")
        return self.words("forward.title", image=self.image_word())

    def drawn_units(self) -> int:
        return min(self.config.hidden[0], MAX_DRAWN)

    def sample(self, index: int) -> tuple[np.ndarray, int]:
        return self.digits.test_images[index], int(self.digits.test_labels[index])

    def state(self, network: Network, index: int, unit: int | None = None) -> State:
        pixels, label = self.sample(index)
        if unit is None:
            unit = self.unit_for(network, pixels)
        return state_of(network, pixels, index, label, unit)

    def unit_for(self, network: Network, pixels: np.ndarray) -> int:
        if self.settings.unit >= 0:
            return self.settings.unit
        return most_excited_unit(network, pixels, self.drawn_units())

    # ---- the words ----------------------------------------------------------------------------
    def trained_text(self, snapshot: Snapshot) -> str:
        if snapshot.diverged_at is not None:
            return self.diverged_text(snapshot)
        if snapshot.step == 0:
            return self.words("forward.untrained")
        return self.words("forward.trained", steps=snapshot.step)

    def caption(self, snapshot: Snapshot, state: State, finished: bool) -> str:
        """The digit, and once the pass has reached the output, its prediction and loss."""
        names = self.class_names()
        fields = dict(
            thing=self.examples(plural=False),
            index=state.index,
            label=names[state.label],
        )
        if self.training_mode:
            if snapshot.diverged_at is not None:
                return self.words(
                    "forward.caption_diverged",
                    step=snapshot.step,
                    total=self.steps,
                    diverged=self.diverged_text(snapshot),
                    **fields,
                )
            head = self.words("forward.step", step=snapshot.step, total=self.steps)
        else:
            head = self.trained_text(snapshot)
        if not finished or not np.isfinite(state.probabilities).all():
            return self.words("forward.caption_input", head=head, **fields)
        p = state.probabilities
        return self.words(
            "forward.caption",
            head=head,
            predicted=names[state.predicted],
            p=numbers.stated(numbers.probability(float(p[state.predicted]), 2)),
            loss=numbers.stated(self.loss_text(state.loss)).replace(" ", "\u00a0"),  # one line
            **fields,
        )

    def loss_text(self, value: float) -> str:
        """Two decimals; `<0.01` for a loss above zero that would read 0.00 beside `p > 0.99`."""
        if 0 < value < 0.005:
            return "<0.01"
        return numbers.fixed(value, 2)

    def caption_sample(self) -> str:
        names = self.class_names()
        widest = max(names, key=len)
        head = (
            self.words("forward.step", step=self.steps, total=self.steps)
            if self.training_mode
            else self.words("forward.trained", steps=self.steps)
        )
        return self.words(
            "forward.caption",
            head=head,
            thing=self.examples(plural=False),
            index=max(self.shown_digits()),
            label=widest,
            predicted=widest,
            p="0.00",
            loss="= 00.00",
        )

    def formula_heads(self) -> tuple[str, str]:
        """The two formulas of the unit, `z = Σ x_i w_i + b` and `a = σ(z)`: drawn once."""
        function = self.words(f"forward.function.{self.config.activation}")
        return self.words("forward.formula_z"), self.words("forward.formula_a", f=function)

    def formula_values(self, state: State) -> tuple[str, str]:
        """What follows each formula once the unit is computed: `= 7.64 − 0.06 = 7.58` and
        `= σ(7.58) = 0.9995`, the network's own numbers."""
        function = self.words(f"forward.function.{self.config.activation}")
        b = state.bias
        weighted, size, z = numbers.sum_terms(state.weighted_sum, b, state.z)  # they add up
        sign = "−" if b < 0 and float(size) != 0 else "+"
        z = numbers.minus(z)
        return (
            self.words(
                "forward.formula_z_values",
                sum=numbers.minus(weighted),
                bias=f"{sign} {size}",
                z=z,
            ),
            self.words(
                "forward.formula_a_values",
                f=function,
                z=z,
                a=numbers.stated(self.activation_text(float(state.layers[1][state.unit]))),
            ),
        )

    def activation_text(self, value: float) -> str:
        """Two decimals; more where a sigmoid's or tanh's value would read as its bound."""
        bounds = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(self.config.activation)
        if bounds is None:  # relu: no bound above, and 0 below is reached
            return numbers.minus(numbers.fixed(value, 2))
        return numbers.bounded(value, *bounds)

    # ---- colour scales, fixed for the whole animation -----------------------------------------
    def activation_range(self, top: float) -> tuple[float, float]:
        """The colour scale of hidden activations: sigmoid 0..1, tanh -1..1, relu 0..top."""
        activation = self.config.activation
        if activation == "sigmoid":
            return 0.0, 1.0
        if activation == "tanh":
            return -1.0, 1.0
        return 0.0, nice_limit(top)

    def activation_colours(self, values: np.ndarray) -> np.ndarray:
        low, high = self.scales.activations
        colours = self.theme.diverging if low < 0 else self.theme.sequential
        return colours[map_index(values, low, high, len(colours))]

    # ---- layout, computed once ------------------------------------------------------------------
    def _layout(self) -> None:
        self.page = page = self.training_page(self.caption_sample())
        s = page.s
        left, diagram = page.body.columns(0.34, 0.66, gap=round(16 * s))
        self.left, self.diagram = left, diagram
        self._layout_diagram(diagram)
        self._layout_left(left)

    def _layout_left(self, left: Box) -> None:
        """From the top: the input image and the flattening arrow; from the bottom: the two
        formula lines, the colour bar, then `x ⊙ [w] = [x ⊙ w]` with the tiles' labels above
        and the unit's header. What is left over goes between the two."""
        page, s = self.page, self.page.s
        rows, cols = self.digits.image_shape
        label_h = page.line_height("small")
        formula_h = page.line_height("label")
        gap = round(4 * s)
        self.operand_w = page.type.width(self.words("forward.operand"), page.px("label"))
        op_w = round(18 * s)  # room for = between the tiles
        lead = self.operand_w + round(8 * s)  # "x ⊙" before the weights
        fixed = 4 * label_h + 2 * formula_h + 7 * gap
        tile, digit = tile_scales(
            free=left.h - fixed,
            tile_width=(left.w - lead - op_w) / 2,
            digit_width=left.w * 0.5,
            shape=(rows, cols),
        )
        # a tall, narrow column (a portrait frame): the product under the weights, each
        # tile the column's width, where that shows them larger than side by side
        self.stacked = False
        if left.h > 2 * left.w:
            high, low = tile_scales(
                free=left.h - fixed - label_h - 2 * gap,
                tile_width=left.w - lead,
                digit_width=left.w * 0.5,
                shape=(rows, cols),
                stacked=2,
            )
            if high > tile and low >= digit:
                self.stacked, tile, digit = True, high, low
        if min(tile, digit) * min(rows, cols) < 12:
            across = int(min(tile, digit) * min(rows, cols))
            largest = largest_scale(self.size)
            if min(tile, digit) * largest * min(rows, cols) < 12:  # no size would do
                raise self.settings.attribute(
                    OptionError(
                        "data",  # the images' shape, not the frame's size, is the trouble
                        f"the forward scene cannot show {rows}x{cols} images at any size: "
                        f"their short side would be under 12 pixels even at "
                        f"{MAX_SIZE[0]}x{MAX_SIZE[1]}; use squarer images",
                    )
                )
            raise self._refuse(
                OptionError(
                    "size",
                    f"too small for the forward scene: its {rows}x{cols} images would be "
                    f"{counted(across, 'pixel')} across their short side, too few to read "
                    "the input image and the unit's weights; use a larger size"
                    + (" (480x270 or more)" if self.size[0] < 480 or self.size[1] < 270 else "")
                    + ("" if max(rows, cols) <= 2 * min(rows, cols) else ", or squarer images"),
                )
            )
        tile_w, tile_h = max(1, int(cols * tile)), max(1, int(rows * tile))
        digit_w, digit_h = max(1, int(cols * digit)), max(1, int(rows * digit))
        self.input_header = Box(left.x, left.y, left.w, label_h)
        self.digit_tile = Box(left.x, left.y + label_h + gap // 2, digit_w, digit_h)
        y = left.bottom - 2 * formula_h
        self.formula_ys = (y, y + formula_h)
        y -= label_h + gap
        if self.stacked:  # weights, then under them the product, each with its label
            second = Box(left.x + lead, y - gap - tile_h, tile_w, tile_h)
            first = Box(second.x, second.y - label_h - gap - tile_h, tile_w, tile_h)
            self.unit_tiles = [first, second]
            self.tile_labels_ys = [first.y - label_h, second.y - label_h]
            self.unit_bar = Box(first.x, y, tile_w, label_h)
        else:
            first = Box(left.x + lead, y - gap - tile_h, tile_w, tile_h)
            self.unit_tiles = [first, Box(first.right + op_w, first.y, tile_w, tile_h)]
            self.tile_labels_ys = [first.y - label_h] * 2
            self.unit_bar = Box(first.x, y, self.unit_tiles[1].right - first.x, label_h)
        top = self.tile_labels_ys[0]
        self.unit_header = Box(left.x, top - gap // 2 - label_h, left.w, label_h)

    def _size_hint(self) -> str | None:
        """What else would help, after "use a larger size": `least`, the least size, where
        smaller; else `names`, shorter class names, where a long one fills a caption line of
        its own (a 40-letter name refused 480x270, the scene's own least size, telling it to
        use 480x270)."""
        if self.size[0] < 480 or self.size[1] < 270:
            return "least"
        page, longest = self.page, max(self.class_names(), key=len)
        if page.type.width(longest, page.px("caption")) > page.body.w / 3:
            return "names"
        return None

    def _refuse(self, error: OptionError) -> OptionError:
        """A size refused by the layout, named as the user gave it."""
        error.value = "{}x{}".format(*self.size)
        return self.settings.attribute(error)

    def _layout_diagram(self, diagram: Box) -> None:
        """The input strip, one column per hidden layer and the output column with its bars:
        across first (how wide each part is), then down (how tall a row is), then the edges."""
        page, s = self.page, self.page.s
        label_h = page.line_height("small")
        self.header_y = diagram.y
        self.legend_y = diagram.bottom - label_h
        top = diagram.y + label_h + round(4 * s)
        area = Box(diagram.x, top, diagram.w, self.legend_y - round(6 * s) - top)
        self.gap = round(4 * s)
        self._layout_across(diagram)
        self._layout_down(area)
        self._layout_edges()

    def _layout_across(self, diagram: Box) -> None:
        """x of the strip, of each hidden column (`step` apart) and of the output block."""
        page, s, gap = self.page, self.page.s, self.gap
        small = page.px("small")
        hidden = self.config.hidden
        names = self.class_names()
        self.name_w = min(
            max(page.type.width(n, small) for n in names), round(diagram.w * 0.28)
        ) + round(2 * s)
        # one size for the ten names (a long one was drawn smaller than the rest)
        self.name_size, self.shown_names = page.one_size(names, self.name_w, bold=True)
        self.value_w = page.type.width(">0.99", small)
        inputs = self.digits.image_shape[0] * self.digits.image_shape[1]
        self.count_text = numbers.count(inputs)
        self.brace_depth = round(7 * s)
        strip_w = max(3, round(9 * s))
        lead = page.type.width(self.count_text, small) + 2 * gap + self.brace_depth
        mark_w = page.type.width(self.words("forward.label_mark"), small)
        # the output discs reach right of their column by up to 9s and their ring: the texts
        # after them start there (without it the label mark ran past the page's margin)
        out_fixed = round(10.2 * s) + self.name_w + self.value_w + mark_w + 4 * gap
        bar_min, bar_max = round(30 * s), round(90 * s)
        spans = 0.9 + (len(hidden) - 1) + 1.7  # strip to layer 1, between layers, to output
        free = diagram.w - lead - strip_w - out_fixed - bar_min
        self.step = step = min(free / spans, 90 * s)
        self.bar_w = round(min(bar_max, bar_min + free - step * spans))
        used = lead + strip_w + step * spans + out_fixed + self.bar_w
        strip_x = round(diagram.x + lead + max(0, (diagram.w - used) / 2))
        self.strip_x, self.strip_w = strip_x, strip_w
        self.brace_x = strip_x - gap - self.brace_depth
        self.column_xs = [round(strip_x + strip_w + step * (0.9 + k)) for k in range(len(hidden))]
        self.output_x = round(self.column_xs[-1] + step * 1.7)
        widest_more = max(
            (page.type.width(f"+{n - MAX_DRAWN}", small) for n in hidden if n > MAX_DRAWN),
            default=0,
        )
        self.stagger = widest_more > 0.92 * step  # "+N" lines alternate in height to fit
        if widest_more > 1.84 * step or step < 6:
            raise self._refuse(
                OptionError(
                    "size",
                    f"too narrow for {len(hidden)} hidden layers side by side; use a wider size "
                    "or fewer hidden layers",
                )
            )

    def _layout_down(self, area: Box) -> None:
        """The row pitch of the hidden columns and of the ten outputs, and the unit radius."""
        page, s, gap = self.page, self.page.s, self.gap
        small = page.px("small")
        hidden = self.config.hidden
        label_h = page.line_height("small")
        extra = ELLIPSIS_ROWS + (label_h / max(1.0, area.h / 20) if self.stagger else 0)
        rows = [min(n, MAX_DRAWN) + (extra if n > MAX_DRAWN else 0) for n in hidden]
        # rows further apart on a tall frame (portrait, square), so the network fills its
        # height rather than floating mid-page far below the headers that name its columns
        most = 26 * s * max(1.0, min(2.0, area.h / (0.6 * area.w)))
        pitch = min(area.h / max(*rows, 10), most)
        texts = [*self.class_names(), ">0.99", self.words("forward.label_mark")]
        text_h = max(ink_height(page.type.lay(t, small)) for t in texts)
        out_pitch = min(area.h / 10, max(pitch, text_h + 1), most)
        radius = min(0.33 * pitch, 0.3 * self.step, 9 * s)
        if out_pitch < text_h + 1 or radius < 1.5:
            raise self._refuse(
                OptionError(
                    "size",
                    "too small for the forward scene: the ten output rows would not be legible; "
                    "use a larger size"
                    + {
                        "least": " (480x270 or more)",
                        "names": ", or shorter class names (they are set in the caption)",
                    }.get(self._size_hint(), ""),
                )
            )
        self.radius, self.out_pitch = radius, out_pitch
        self.ring_gap, self.ring_width = max(1.0, 1.2 * s), max(1.0, 1.4 * s)
        middle = area.y + area.h / 2
        self.columns: list[Column] = []
        for k, (x, n, count) in enumerate(zip(self.column_xs, hidden, rows)):
            top = middle - (count - 1) / 2 * pitch
            ys = tuple(round(top + i * pitch) for i in range(min(n, MAX_DRAWN)))
            lower = label_h if self.stagger and k % 2 else 0
            more_y = round(top + (MAX_DRAWN + 1.4) * pitch + lower) if n > MAX_DRAWN else 0
            self.columns.append(Column(x, ys, n, more_y))
        out_ys = tuple(round(middle + (i - 4.5) * out_pitch) for i in range(10))
        self.output = Column(self.output_x, out_ys, 10)
        strip_h = round(min(area.h, max(pitch * max(*rows, 10), out_pitch * 10)))
        self.strip = Box(self.strip_x, round(middle - strip_h / 2), self.strip_w, strip_h)
        self.name_x = round(self.output.x + radius + self.ring_gap + gap)
        self.bar_x = self.name_x + self.name_w + gap
        self.value_x = self.bar_x + self.bar_w + gap
        self.mark_x = self.value_x + self.value_w + gap

    def _layout_edges(self) -> None:
        """Edges from the last hidden column's drawn units (clear of the unit's ring) to the
        outputs; their box holds nothing else."""
        s, last, out = self.page.s, self.columns[-1], self.output
        left = round(last.x + self.radius + self.ring_gap + self.ring_width + 1)
        right = round(out.x - self.radius - 1)
        top = min(last.ys[0], out.ys[0]) - round(4 * s)
        bottom = max(last.ys[-1], out.ys[-1]) + round(4 * s)
        self.edge_box = Box(left, top, right - left, bottom - top)
        self.edge_ends = [((left, y0), (right, y1)) for y0 in last.ys for y1 in out.ys]
        self.hidden_edges = []  # between hidden layers: drawn once, thin and neutral
        ring = self.ring_gap + self.ring_width + 1
        for a, b in zip(self.columns, self.columns[1:]):
            left, right = round(a.x + self.radius + ring), round(b.x - self.radius - 1)
            top = min(a.ys[0], b.ys[0]) - round(4 * s)
            bottom = max(a.ys[-1], b.ys[-1]) + round(4 * s)
            ends = [((left, y0), (right, y1)) for y0 in a.ys for y1 in b.ys]
            self.hidden_edges.append((Box(left, top, right - left, bottom - top), ends))

    # ---- the picture that does not move ---------------------------------------------------------
    def _background(self) -> np.ndarray:
        page, theme = self.page, self.theme
        frame = page.canvas()
        faint = theme.faint
        for tile in (self.digit_tile, *self.unit_tiles):
            frame[tile.y - 1 : tile.bottom + 1, tile.x - 1 : tile.right + 1] = faint
            frame[tile.slices] = theme.background
        strip = self.strip
        frame[strip.y - 1 : strip.bottom + 1, strip.x - 1 : strip.right + 1] = faint
        frame[strip.slices] = theme.background
        self._left_static(frame)
        self._diagram_static(frame)
        return frame

    def _left_static(self, frame: np.ndarray) -> None:
        page, words = self.page, self.words
        w_tile, p_tile = self.unit_tiles
        labels = (words("forward.tile_weights"), words("forward.tile_product"))
        room = (
            w_tile.w + (w_tile.x - self.left.x if self.stacked else p_tile.x - w_tile.right) * 0.8
        )
        for tile, label, y in zip(self.unit_tiles, labels, self.tile_labels_ys):
            page.text(
                frame,
                (tile.x + tile.w / 2, y + page.line_height("small") / 2),
                label,
                size="small",
                colour="muted",
                anchor="mm",
                width=room,
            )
        middle = w_tile.y + w_tile.h / 2
        page.text(
            frame,
            (self.left.x, middle),
            words("forward.operand"),
            size="label",
            anchor="lm",
            role="op",
        )
        if self.stacked:  # "=" before the product, in the column "x ⊙" stands in
            equals = (self.left.x + (p_tile.x - self.left.x) / 2, p_tile.y + p_tile.h / 2)
        else:
            equals = ((w_tile.right + p_tile.x) / 2, middle)
        page.text(frame, equals, "=", anchor="mm", role="op")
        limit = self.scales.weights
        colour_bar(
            page,
            frame,
            self.unit_bar,
            self.theme.diverging,
            numbers.minus(f"-{limit:g}"),
            f"+{limit:g}",
        )
        self._formula_heads(frame)
        self._flatten_arrow(frame)

    def _formula_heads(self, frame: np.ndarray) -> None:
        """`z = Σ x_i w_i + b` and `a = σ(z)`, once; each frame's numbers follow them."""
        page = self.page
        self.formula_tails = []
        for y, head in zip(self.formula_ys, self.formula_heads()):
            middle = y + page.line_height("label") / 2
            item = page.text(
                frame,
                (self.left.x, middle),
                head,
                size="label",
                anchor="lm",
                width=self.left.w * 0.55,
                role="formula",
            )
            self.formula_tails.append(
                (item.box.right + page.type.width(" ", page.px("label")), middle)
            )

    def _flatten_arrow(self, frame: np.ndarray) -> None:
        """An arrow from the input image to the strip's brace, saying how it is flattened."""
        page, s, words = self.page, self.page.s, self.words
        tile = self.digit_tile
        start = tile.right + round(6 * s)
        end = self.brace_x - round(4 * s)
        y = max(tile.y + tile.h / 2, tile.y + page.line_height("small") + round(5 * s))
        if end - start > 20 * s:
            arrow(frame, (start, y), (end, y), max(1.0, 1.2 * s), self.theme.muted)
            page.text(
                frame,
                ((start + end) / 2, y - round(4 * s)),
                words("forward.flatten"),
                size="small",
                colour="muted",
                anchor="mb",
                width=end - start,
            )

    def _diagram_static(self, frame: np.ndarray) -> None:
        page, s, words, theme = self.page, self.page.s, self.words, self.theme
        small = page.px("small")
        strip = self.strip
        point = brace(
            frame,
            self.brace_x,
            strip.y,
            strip.bottom,
            self.brace_depth,
            max(1.0, 1.1 * s),
            theme.muted,
        )
        page.text(
            frame,
            (point[0] - round(3 * s), point[1]),
            self.count_text,
            size="small",
            colour="muted",
            anchor="rm",
            role="count",
        )
        step = self.columns[1].x - self.columns[0].x if len(self.columns) > 1 else 1e9
        room = min(step, 2 * (self.columns[0].x - strip.right)) * 0.92
        long = all(
            page.type.width(words("forward.layer", layer=k + 1), small) <= room
            for k in range(len(self.columns))
        )
        header_mid = self.header_y + page.line_height("small") / 2
        self.headers = [
            ((strip.x + strip.w / 2, header_mid), words("forward.input_column"), "mm"),
            *(
                (
                    (column.x, header_mid),
                    words("forward.layer", layer=k + 1) if long else str(k + 1),
                    "mm",
                )
                for k, column in enumerate(self.columns)
            ),
            ((self.output.x - self.radius, header_mid), words("forward.output_column"), "lm"),
        ]
        self.header_room = self.diagram.right - (self.output.x - self.radius)
        for column in self.columns:
            if column.more_y:
                self._ellipsis(frame, column, room * (2 if self.stagger else 1))
        for y in self.output.ys:  # the track of each probability bar
            h = self.bar_height()
            frame[round(y - h / 2) : round(y - h / 2) + h, self.bar_x : self.bar_x + self.bar_w] = (
                theme.panel
            )
        self._legends(frame)

    def bar_height(self) -> int:
        return max(2, round(self.out_pitch * 0.55))

    def _ellipsis(self, frame: np.ndarray, column: Column, room: float) -> None:
        page, s = self.page, self.page.s
        pitch = column.ys[1] - column.ys[0]
        below = column.ys[-1] + pitch
        spread = min(pitch * 0.28, 4 * s)
        dots(
            frame,
            column.x,
            [below - spread, below, below + spread],
            max(0.8, 1.1 * s),
            self.theme.muted,
        )
        more = column.units - MAX_DRAWN
        text = self.words("forward.more", count=more)
        if page.type.width(text, page.px("small")) > room:
            text = f"+{more}"
        page.text(frame, (column.x, column.more_y), text, size="small", colour="muted", anchor="mm")

    def _legends(self, frame: np.ndarray) -> None:
        page, s, words, theme = self.page, self.page.s, self.words, self.theme
        y = self.legend_y
        h = page.line_height("small")
        low, high = self.scales.activations
        left = self.diagram.x
        title = page.text(
            frame,
            (left, y + h / 2),
            words("forward.activation_legend"),
            size="small",
            colour="muted",
            anchor="lm",
        )
        ramp = theme.diverging if low < 0 else theme.sequential
        width = round(min(150 * s, self.diagram.w * 0.42))
        colour_bar(
            page,
            frame,
            Box(title.box.right + round(5 * s), y, width - title.box.w, h),
            ramp,
            numbers.minus(f"{low:g}"),
            f"{high:g}",
        )
        limit = self.scales.edges
        title = page.text(
            frame,
            (left + round(self.diagram.w * 0.5), y + h / 2),
            words("forward.weight_legend"),
            size="small",
            colour="muted",
            anchor="lm",
        )
        room = self.diagram.right - title.box.right - round(5 * s)
        colour_bar(
            page,
            frame,
            Box(title.box.right + round(5 * s), y, min(round(150 * s), room), h),
            theme.diverging,
            numbers.minus(f"-{limit:g}"),
            f"+{limit:g}",
        )

    # ---- frames -------------------------------------------------------------------------------
    def frames(self) -> Iterator[np.ndarray]:
        self.load()
        if self.training_mode:
            yield from self._training_frames()
        else:
            yield from self._pass_frames()

    def _parts(self, background: np.ndarray) -> None:
        """The painters that need the finished background: tiles, discs, edges."""
        shape = self.digits.image_shape
        theme = self.theme
        self.grey_digit = Heatmaps.of_tiles([self.digit_tile], shape, background, GREYS)
        self.heat_w = Heatmaps.of_tiles([self.unit_tiles[0]], shape, background, theme.diverging)
        self.heat_p = Heatmaps.of_tiles([self.unit_tiles[1]], shape, background, theme.diverging)
        centres = [(c.x, y) for c in (*self.columns, self.output) for y in c.ys]
        ring_width = max(1.0, 0.9 * self.page.s)
        self.discs = Discs(background, centres, self.radius, theme.muted, ring_width)
        self.edges = Edges(self.edge_box, self.edge_ends, theme.background)
        # every hidden unit feeds every unit of the next layer: the connections are shown,
        # uncoloured (the only weight legend is the output's), on the picture that stays
        neutral = np.array([*theme.muted, 0.0], dtype=np.float64) / [255, 255, 255, 1]
        for box, ends in self.hidden_edges:
            count = len(ends)
            colours = np.tile(neutral, (count, 1))
            colours[:, 3] = 0.35
            widths = np.full(count, max(0.5, 0.6 * self.page.s))
            Edges(box, ends, theme.background).draw(background, colours, widths, np.arange(count))

    def _paint_digit(self, frame: np.ndarray, state: State) -> None:
        """The per-digit picture: the image twice, the unit's weights and its ring."""
        levels = state.pixels.ravel()
        self.grey_digit.paint(frame, levels)
        self.heat_w.paint(frame, self._signed_levels(state.weights))
        column = self.columns[0]
        ring(
            frame,
            column.x,
            column.ys[state.unit],
            self.radius + self.ring_gap,
            self.ring_width,
            self.theme.secondary,
        )

    def _signed_levels(self, values: np.ndarray) -> np.ndarray:
        return diverging_index(values, self.scales.weights)

    def _paint_edges(self, frame: np.ndarray, network: Network) -> None:
        last = network.weights[-1][: self.columns[-1].drawn, :].astype(np.float64)  # (drawn, 10)
        values = np.nan_to_num(last.ravel())
        strength = np.clip(np.abs(values) / self.scales.edges, 0, 1)
        theme = self.theme
        ends = np.array([theme.negative_end, theme.positive_end], dtype=np.float64) / 255
        colours = np.empty((len(values), 4))
        colours[:, :3] = ends[(values > 0).astype(int)]
        colours[:, 3] = 0.06 + 0.94 * strength**1.5  # weak edges recede, strong ones read
        widths = (0.5 + 2.2 * strength) * self.page.s
        self.edges.draw(frame, colours, widths, np.argsort(strength, kind="stable"))

    def _paint_state(
        self, frame: np.ndarray, snapshot: Snapshot, state: State, reveal: list[float]
    ) -> None:
        """Everything that depends on how far the pass has come: `reveal[c]` is the fraction
        of column c shown (0: the strip, then each hidden layer, then the output)."""
        theme = self.theme
        strip = self.strip
        shown = round(reveal[0] * strip.h)
        if shown:
            levels = strip_levels(state.inputs, strip.h)[:shown]
            frame[strip.y : strip.y + shown, strip.x : strip.right] = GREYS[levels][:, None, :]
        fills = []
        for k, column in enumerate(self.columns):
            count = math.ceil(reveal[k + 1] * column.drawn - 1e-9)
            colours = self.activation_colours(state.layers[k + 1][: column.drawn])
            colours[count:] = theme.background
            fills.append(colours)
        out_count = math.ceil(reveal[-1] * 10 - 1e-9)
        out = self.activation_colours(state.probabilities)  # on the legend drawn: p is the
        # output layer's activation (with tanh or relu, the hidden scale: 0 is the page colour)
        out[out_count:] = theme.background
        self.discs.paint(frame, np.concatenate([*fills, out]))
        unit_known = reveal[1] * self.columns[0].drawn > state.unit
        products = state.inputs * state.weights if unit_known else np.zeros_like(state.weights)
        self.heat_p.paint(frame, self._signed_levels(products))
        self._unit_words(frame, state, unit_known)
        self._outputs(frame, state, out_count)
        self._headers(frame, reveal)

    def _headers(self, frame: np.ndarray, reveal: list[float]) -> None:
        """Each column's name; the one the pass is computing in the highlight colour."""
        started = [k for k, fraction in enumerate(reveal) if fraction > 0]
        active = started[-1] if started and min(reveal) < 1 else -1
        last = len(self.headers) - 1
        for k, (xy, text, anchor) in enumerate(self.headers):
            colour = "secondary" if k == active else "muted"
            width = self.header_room if k == last else None
            self.page.text(frame, xy, text, size="small", colour=colour, anchor=anchor, width=width)

    def _unit_words(self, frame: np.ndarray, state: State, known: bool) -> None:
        page, words = self.page, self.words
        rows, cols = self.digits.image_shape
        page.text(
            frame,
            (self.input_header.x, self.input_header.y + self.input_header.h / 2),
            words(
                "forward.input",
                thing=self.examples(plural=False),
                index=state.index,
                shape=f"{rows}×{cols}",
            ),
            size="small",
            colour="muted",
            anchor="lm",
            width=self.left.w,
        )
        page.text(
            frame,
            (self.unit_header.x, self.unit_header.y + self.unit_header.h / 2),
            words("forward.unit_header", unit=state.unit),
            size="small",
            colour="secondary",
            anchor="lm",
            width=self.left.w,
        )
        if not known:
            return
        for (x, y), line in zip(self.formula_tails, self.formula_values(state)):
            page.text(
                frame,
                (x, y),
                line,
                size="label",
                anchor="lm",
                width=self.left.right - x,
                role="formula",
            )

    def _outputs(self, frame: np.ndarray, state: State, count: int) -> None:
        """Names, bars and values of the ten outputs (the first `count` computed), the
        predicted one highlighted and the true label marked."""
        page, theme = self.page, self.theme
        names = self.shown_names
        p = state.probabilities
        done = count == 10
        h = self.bar_height()
        for i, y in enumerate(self.output.ys):
            best = done and i == state.predicted
            page.text(
                frame,
                (self.name_x, y),
                names[i],
                size=self.name_size,
                colour="secondary" if best else "ink",
                bold=best,
                anchor="lm",
                width=self.name_w,
                role="class",
            )
            if i >= count:
                continue
            length = round(np.nan_to_num(float(p[i])) * self.bar_w)
            top = round(y - h / 2)
            colour = theme.secondary if best else theme.primary
            frame[top : top + h, self.bar_x : self.bar_x + length] = colour
            page.text(
                frame,
                (self.value_x, y),
                numbers.probability(float(p[i]), 2),
                size="small",
                anchor="lm",
                role="value",
            )
        y = self.output.ys[state.label]
        page.text(
            frame,
            (self.mark_x, y),
            self.words("forward.label_mark"),
            size="small",
            anchor="lm",
            role="mark",
        )

    # ---- pass mode ----------------------------------------------------------------------------
    def trained(self) -> Snapshot:
        """The network after `steps` steps (the last snapshot of a silent run)."""
        for snapshot in train(self.digits, replace(self.config, eval_every=0)):
            last = snapshot
        return last

    def _pass_frames(self) -> Iterator[np.ndarray]:
        snapshot = self.trained()
        network = snapshot.network
        states = [self.state(network, index) for index in self.digit_indices]
        self.scales = self._scales_of(network, states)
        background = self._background()
        self._parts(background)
        self._paint_edges(background, network)
        layers = len(self.config.hidden)
        per_layer = self.settings.layer_frames
        for state in states:
            base = background.copy()
            self._paint_digit(base, state)
            for stage in range(layers + 2):
                for f in range(per_layer):
                    reveal = [1.0] * stage + [(f + 1) / per_layer] + [0.0] * (layers + 1 - stage)
                    yield self._frame(base, snapshot, state, reveal)
            if self.settings.result_frames:
                finished = self._frame(base, snapshot, state, [1.0] * (layers + 2))
                yield finished
            for _ in range(self.settings.result_frames - 1):  # the same picture and words
                yield finished.copy()

    def _frame(
        self, base: np.ndarray, snapshot: Snapshot, state: State, reveal: list[float]
    ) -> np.ndarray:
        self.page.begin_frame()
        frame = base.copy()
        self._paint_state(frame, snapshot, state, reveal)
        self.page.caption(frame, self.caption(snapshot, state, finished=reveal[-1] >= 1))
        return frame

    def _scales_of(self, network: Network, states: list[State]) -> Scales:
        first = self.settings.weight_limit or nice_limit(
            max(float(np.nanmax(np.abs(st.weights), initial=0)) for st in states)
        )
        drawn = self.columns_drawn()
        edges = nice_limit(float(np.nanmax(np.abs(network.weights[-1][: drawn[-1]]), initial=0)))
        top = max(float(np.nanmax(layer, initial=0)) for st in states for layer in st.layers[1:-1])
        return Scales(first, edges, self.activation_range(top))

    def columns_drawn(self) -> list[int]:
        return [min(n, MAX_DRAWN) for n in self.config.hidden]

    # ---- training mode --------------------------------------------------------------------------
    def _training_frames(self) -> Iterator[np.ndarray]:
        index = self.shown_digits()[0]
        unit, self.scales = self._measure_run(index)
        background = self._background()
        pixels, _ = self.sample(index)
        self._parts(background)
        self.grey_digit.paint(background, pixels.ravel())  # the digit and its unit stay
        column = self.columns[0]
        ring(
            background,
            column.x,
            column.ys[unit],
            self.radius + self.ring_gap,
            self.ring_width,
            self.theme.secondary,
        )
        complete = [1.0] * (len(self.config.hidden) + 2)
        for snapshot in self.frame_snapshots():
            state = self.state(snapshot.network, index, unit)
            self.page.begin_frame()
            frame = background.copy()
            self.heat_w.paint(frame, self._signed_levels(state.weights))
            self._paint_edges(frame, snapshot.network)
            self._paint_state(frame, snapshot, state, complete)
            self.page.caption(frame, self.caption(snapshot, state, finished=True))
            yield frame

    def _measure_run(self, index: int) -> tuple[int, Scales]:
        """The unit and the colour limits for the whole run: from a silent pass over the same
        run (backprop), or from the untrained network and the usual scale of initial weights
        (numerical gradients are too slow to run twice)."""
        if self.config.method != "backprop":
            return self._measure_untrained(index)
        pixels, _ = self.sample(index)
        drawn = self.columns_drawn()
        weights_top = np.zeros(drawn[0])
        edges_top, top, network = 0.0, 0.0, None
        for snapshot in self.silent_frame_snapshots():
            network = snapshot.network
            with np.errstate(all="ignore"):
                w = np.nan_to_num(np.abs(network.weights[0][:, : drawn[0]]))
                weights_top = np.maximum(weights_top, w.max(axis=0))
                edges_top = max(
                    edges_top, float(np.nan_to_num(np.abs(network.weights[-1][: drawn[-1]])).max())
                )
                state = self.state(network, index, 0)
                top = max(top, *(float(np.nan_to_num(layer).max()) for layer in state.layers[1:-1]))
        unit = self.unit_for(network, pixels)
        first = self.settings.weight_limit or nice_limit(float(weights_top[unit]))
        return unit, Scales(first, nice_limit(edges_top), self.activation_range(top))

    def _measure_untrained(self, index: int) -> tuple[int, Scales]:
        """The unit of the untrained network and limits from the usual scale of weights:
        numerical gradients are too slow to run the training twice."""
        network = next(iter(train(self.digits, replace(self.config, eval_every=0)))).network
        pixels, _ = self.sample(index)
        unit = self.unit_for(network, pixels)
        state = self.state(network, index, unit)
        first = self.settings.weight_limit or nice_limit(3 / math.sqrt(len(state.inputs)))
        edges = nice_limit(3 / math.sqrt(self.config.hidden[-1]))
        top = 2 * max(float(np.nanmax(layer, initial=0)) for layer in state.layers[1:-1])
        return unit, Scales(first, edges, self.activation_range(top))


@dataclass(frozen=True)
class Scales:
    """Colour limits fixed for the whole animation."""

    weights: float  # ± the unit's weights and x ⊙ w
    edges: float  # ± the weights into the output
    activations: tuple[float, float]  # the hidden units' colour scale
