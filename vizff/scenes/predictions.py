"""predictions: how the network does on test digits it never saw, as it trains.

A grid of test digits, each with the digit the network predicts and that digit's probability,
marked right (a tick, a thin border, the theme's "right" colour) or wrong (a cross, a thick
border, the "wrong" colour, and the true label); beside it the test accuracy and the 10x10
confusion matrix over the whole test split. Every frame is one `train()` snapshot, from step 0
(the untrained network) on; its numbers come from one forward pass of that snapshot's network
(`vizff.nn.forward`) over the test split, so the tiles, the accuracy and the matrix agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from vizff.data import as_inputs, class_counts
from vizff.draw import Box, TileGrid, make_palette, numbers, pixel_map
from vizff.draw.marks import Marks
from vizff.draw.matrix import CountMatrix, legible_map, level_of
from vizff.draw.text import MIN_PIXELS
from vizff.errors import OptionError, counted
from vizff.nn import Network, forward
from vizff.options import Option
from vizff.scenes.base import TrainingScene
from vizff.train import Snapshot, one_blas_thread, train

PICKS = ("first", "random", "mistakes")
MAX_COUNT = 100
WIDEST_PROBABILITY = ">0.99"  # the widest that numbers.probability(p, 2) writes


@dataclass(frozen=True)
class Measured:
    """What one network does on the test split: the numbers a frame shows."""

    step: int  # the update after which the network was measured (0: untrained)
    probabilities: np.ndarray  # (count, 10): the shown digits' softmax outputs
    predicted: np.ndarray  # (count,): their most probable class
    confusion: np.ndarray  # (10, 10) int: rows the true label, columns the prediction

    @property
    def right(self) -> int:
        return int(np.trace(self.confusion))

    @property
    def tested(self) -> int:
        return int(self.confusion.sum())


def measure(network: Network, inputs: np.ndarray, labels: np.ndarray, shown: np.ndarray, step: int):
    """One forward pass over the test split; None when the network gives non-finite outputs.
    On train()'s one BLAS thread, so the same run gives the same bits on any machine."""
    with np.errstate(all="ignore"), one_blas_thread():
        probabilities = forward(network, inputs)[-1]  # (n_test, 10)
    if not np.isfinite(probabilities).all():
        return None
    predicted = probabilities.argmax(axis=1)  # (n_test,)
    confusion = np.bincount(labels * 10 + predicted, minlength=100).reshape(10, 10)
    return Measured(step, probabilities[shown], predicted[shown], confusion)


def updates(snap: Snapshot) -> int:
    """How many updates made the snapshot's network: its step, except on a diverged run's
    last snapshot whose batch loss was the bad number (no update applied: one fewer)."""
    return snap.step - 1 if snap.step > 0 and snap.gradients is None else snap.step


def outline(frame: np.ndarray, box: Box, width: int, colour) -> None:
    """A frame `width` pixels wide just outside `box`, in place."""
    x0, y0, x1, y1 = box.x - width, box.y - width, box.right + width, box.bottom + width
    frame[y0 : box.y, x0:x1] = colour
    frame[box.bottom : y1, x0:x1] = colour
    frame[box.y : box.bottom, x0 : box.x] = colour
    frame[box.y : box.bottom, box.right : x1] = colour


class Predictions(TrainingScene):
    MIN_SIZE = (480, 270)  # a grid of labelled digits beside a 10x10 matrix: less is unreadable
    name = "predictions"
    summary = "test digits with the network's guesses, test accuracy and confusion matrix, learning"
    shows_test_accuracy = False  # the scene's own forward pass measures the test split per frame
    OPTIONS = (
        Option(
            "count",
            "int",
            40,
            "test digits in the grid (not given: 40, or fewer if 40 do not fit the size)",
            low=1,
            high=MAX_COUNT,
        ),
        Option(
            "pick",
            "str",
            "first",
            "which test digits: first | random (from the seed) | mistakes (the trained "
            "network's most confident; trains twice)",
            choices=PICKS,
        ),
    )
    LINT_OPTIONS = {"steps": 6, "every": 3, "pick": "mistakes"}

    @property
    def palette(self) -> np.ndarray:
        greys = [(g, g, g) for g in np.arange(0, 256, step=3).tolist()]
        maps = [tuple(c) for m in self.maps for c in m.tolist()]
        return make_palette(self.theme, inks=("right", "wrong"), extra=maps + greys)

    @cached_property
    def maps(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell colours: the diagonal (right) toward the "right" colour, the rest toward "wrong"."""
        return legible_map(self.theme, self.theme.right), legible_map(self.theme, self.theme.wrong)

    def estimate_seconds(self) -> float | None:
        seconds = super().estimate_seconds()
        if seconds is not None and self.settings.pick == "mistakes":
            return 2 * seconds  # a silent pass first, to know the end of the run
        return seconds

    def title(self) -> str:
        return self.words("predictions.title", things=self.examples())

    def load(self) -> None:
        """The data, and how many digits at most: `count` as given (more than the test split
        holds is an error), else 40 or the whole test split if smaller; the layout may show
        fewer when `count` was not given and 40 do not fit the frame."""
        super().load()
        tested = len(self.digits.test_labels)
        if self.settings.given("count") and self.settings.count > tested:
            raise self.settings.attribute(
                OptionError(
                    "count",
                    f"is more than the {counted(tested, 'test image')} of {self.dataset_name()}",
                )
            )
        self.count = min(self.settings.count, tested)
        if self.settings.given("count") and self.settings.pick != "mistakes":
            self._layout()  # a count that does not fit is said now: a storyboard plans with
            # load(), and its earlier parts were rendered before this one found out

    # ---- which digits ---------------------------------------------------------------------------
    def chosen(self) -> np.ndarray:
        """Indices into the test split of the digits shown, in grid order (row by row)."""
        s, tested = self.settings, len(self.digits.test_labels)
        if s.pick == "first":
            return np.arange(self.count)
        if s.pick == "random":
            rng = np.random.default_rng(s.seed)
            return np.sort(rng.choice(tested, size=self.count, replace=False))
        return self.ranked[: self.count]

    def final_snapshot(self) -> Snapshot:
        """The run's last snapshot with a finite network, from a silent pass over the same run
        (same seed, same batches: no test evaluations, nothing drawn)."""
        last = None
        for snap in train(self.digits, replace(self.config, eval_every=0)):
            parameters = (*snap.network.weights, *snap.network.biases)
            if all(np.isfinite(p).all() for p in parameters):
                last = snap
        return last

    def rank_mistakes(self) -> None:
        """`ranked`: the test digits the run's last network gets wrong, most confident first,
        then the right ones it is least sure of, least sure first."""
        snap = self.final_snapshot()
        measured = measure(snap.network, self._test_inputs(), self._labels(), slice(None), 0)
        if measured is None:
            raise self.settings.attribute(
                OptionError(
                    "pick",
                    "mistakes: the run's last finite network gives non-finite outputs on the "
                    "test split; lower the learning rate, or pick first or random",
                )
            )
        probabilities = measured.probabilities  # (n_test, 10): the last finite network's
        predicted = probabilities.argmax(axis=1)
        confidence = probabilities.max(axis=1)
        wrong = np.flatnonzero(predicted != self._labels())
        right = np.flatnonzero(predicted == self._labels())
        wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
        right = right[np.argsort(confidence[right], kind="stable")]
        self.mistakes_step, self.mistakes_found = snap.step, len(wrong)
        self.ranked = np.concatenate([wrong, right])

    def _test_inputs(self) -> np.ndarray:
        if not hasattr(self, "_inputs"):
            self._inputs = as_inputs(self.digits.test_images, self.config.dtype)  # (n, 784)
        return self._inputs

    def _labels(self) -> np.ndarray:
        return self.digits.test_labels.astype(np.intp)

    # ---- words ----------------------------------------------------------------------------------
    def which_text(self) -> str:
        s, things = self.settings, self.examples()
        if s.pick == "first":
            return self.words("predictions.first", things=things, first=0, last=self.count - 1)
        if s.pick == "random":
            return self.words("predictions.random", things=things, count=self.count, seed=s.seed)
        found, count = self.mistakes_found, self.count
        if found >= count:
            return self.words(
                "predictions.mistakes", things=things, count=count, step=self.mistakes_step
            )
        return self.words(
            "predictions.mistakes_few",
            things=things,
            mistakes=found,
            rest=count - found,
            step=self.mistakes_step,
        )

    def network_of(self, step: int) -> str:
        if step == 0:
            return self.words("predictions.untrained")
        return self.words("predictions.after", step=step)

    def caption(self, snap: Snapshot, measured: Measured) -> str:
        """The words under the frame: the step, and the test accuracy of the network shown."""
        fields = dict(
            total=self.steps,
            accuracy=numbers.percent(measured.right / measured.tested),
            right=numbers.count(measured.right),
            tested=numbers.count(measured.tested),
            things=self.examples(),
        )
        if snap.diverged_at is not None:
            return self.words(
                "predictions.caption_diverged",
                step=snap.step,
                diverged=self.diverged_text(snap),
                network=self.network_of(measured.step),
                **fields,
            )
        if snap.step == 0:
            return self.words("predictions.caption_untrained", **fields)
        return self.words("predictions.caption", step=snap.step, epoch=snap.epoch, **fields)

    def caption_sample(self) -> str:
        tested = numbers.count(len(self.digits.test_labels))
        return self.words(
            "predictions.caption",
            step=self.steps,
            total=self.steps,
            epoch=99,
            accuracy="100.0%",
            right=tested,
            tested=tested,
            things=self.examples(),
        )

    # ---- layout: computed once ----------------------------------------------------------------
    def _layout(self) -> None:
        self.page = page = self.training_page(self.caption_sample())
        s = page.s
        if page.body.h > page.body.w:  # a tall frame: the digits above the matrix, full width
            left, right = page.body.rows(0.58, 0.42, gap=round(14 * s))
        else:
            left, right = page.body.columns(0.63, 0.37, gap=round(14 * s))
        self.border = {"right": max(1, round(1 * s)), "wrong": max(2, round(2.5 * s))}
        self.pad = max(1, round(2 * s))
        self.apart = max(2, round(2 * s))  # between one tile's labels and the next one's
        given = self.settings.given("count")
        for count in [self.count] if given else range(self.count, 0, -1):
            self.count = count
            if self._left(left, smallest=12 if given else 16):
                break
        else:
            if given:
                raise self.settings.attribute(
                    OptionError(
                        "count",
                        f"{self.count} images and their labels do not fit in {self.size[0]}x"
                        f"{self.size[1]}; show fewer or choose a larger size",
                    )
                )
            raise self.settings.attribute(
                OptionError(
                    "size", "leaves no room for an image and its labels; choose a larger size"
                )
            )
        if page.body.h > page.body.w and self.slack > 0:
            # the tiles are as large as the width allows: the matrix below takes the rows
            # they leave (at 720x1280 it had 430 of 720 px, under 130 px of empty page)
            grid, slack = self.grid, self.slack
            smaller = Box(left.x, left.y, left.w, left.h - slack)
            if self._left(smaller, smallest=12 if given else 16) and self.grid.scale == grid.scale:
                right = Box(right.x, right.y - slack, right.w, right.h + slack)
            else:  # not the same tiles after all: as they were
                self._left(left, smallest=12 if given else 16)
        self._layout_right(right)

    def _left(self, left: Box, smallest: int) -> bool:
        """The grid's header, tiles and legend for `count` digits; False if they do not fit."""
        line = self.page.line_height("small")
        self.header_lines = self._header_lines(left.w)
        self.left_header, rest = left.take_top(
            line * len(self.header_lines), gap=round(3 * self.page.s)
        )
        grid_box, self.legend_box = rest.take_bottom(line, gap=round(4 * self.page.s))
        return self._grid(grid_box, smallest)

    def _header_lines(self, width: int) -> list[str]:
        """Which digits the grid shows, in one line or two (a longer rest is fitted into the
        second line when it is drawn: shrunk, then cut)."""
        page = self.page
        header = self.words("predictions.grid", which=self.which_text(), thing=self.things(False))
        lines = page.type.wrap(header, width, page.px("small"), cjk=page.words.cjk)
        if len(lines) > 2:
            lines = [lines[0], ("" if page.words.cjk else " ").join(lines[1:])]
        return lines

    def _grid(self, box: Box, smallest: int = 12) -> bool:
        """The tiles and the one size of their labels. Labels may shrink from "small" to 75% of
        it (never below the smallest legible size) when that buys larger tiles: the size
        whose columns give the largest tiles, each slot holding a tick and `9 >0.99`, wins.
        Smaller sizes only when no tile `smallest` pixels long (its longer side) fits: 12 for
        a count the user gave, 16 when the layout picks how many. False if none ever does."""
        page = self.page
        best = None
        # the labels are digits and signs: the floor is 75% of the Latin small size in every
        # language (a Chinese page's text is set 12% larger for its characters, and with that
        # floor its tiles came out at a third of the English ones' size)
        floor = page.px("small") / page.words.text_scale * 0.75
        native = self.digits.image_shape[0]
        for pixels in self._label_pixels():
            if best is not None and pixels < floor and best[0].tiles[0].h >= native:
                break  # past the usual range, only until some size fits, and its images
                # are drawn at least at their own size (a 28x28 digit in 16 pixels is hard
                # to read: smaller labels, down to the least legible size, win larger tiles)
            laid = page.type.lay("Ag字", pixels)
            line = laid.extent[3] - laid.extent[1] + 1  # a label's box, and a pixel between
            mark = max(3, round(pixels * 0.8))
            needed = self._label_needs(pixels, mark)
            grid = self._tiles_for(box, needed, self.border["wrong"] + self.pad + 2 * line)
            if grid is None or max(grid.tiles[0].w, grid.tiles[0].h) < smallest:
                continue
            if best is None or grid.tiles[0].h > best[0].tiles[0].h:
                best = (grid, self.pitch, self.slack, line, pixels, mark)
        if best is None:
            return False
        self.grid, self.pitch, self.slack, self.label_line, pixels, mark = best
        self.slot = self.pitch - self.apart  # a label's width: its tile's share, less a gap
        self.label_size = pixels / (page.s * page.words.text_scale)  # as a design size
        self.marks = Marks(mark)
        self._label_texts(pixels)
        return True

    def _label_width(self, pixels: float, mark: int, name: int) -> int:
        """A first label line's width: tick, pad, predicted name (`name` pixels), a word gap
        and the widest probability, and a word space to the next tile's label."""
        widest = self.page.type.width(WIDEST_PROBABILITY, pixels)
        return mark + self.pad + name + round(0.4 * pixels) + widest + self.apart

    def _label_needs(self, pixels: float, mark: int) -> int:
        """The width a tile's labels need, a word space apart: `✓ 9 >0.99` and `label 9`
        (names inline), or `>0.99 ≠9` (stacked, the true class by its number)."""
        width = self.page.type.width
        inline = self._label_width(pixels, mark, width("9", pixels, bold=True))
        truth = width(self.words("predictions.true", name="9"), pixels) + self.apart
        stacked = width(WIDEST_PROBABILITY, pixels) + round(0.4 * pixels)
        stacked += width(self.words("predictions.not", name="9"), pixels) + self.apart
        least = max(inline, truth, stacked)
        # a class name on its own line, whole where that costs at most twice the room: the
        # grid then takes fewer columns for `Ankle boot` rather than cut it to `Ankl…`
        widest = max(width(name, pixels, bold=True) for name in self.class_names())
        return max(least, min(mark + self.pad + widest + self.apart, 2 * least))

    def _label_texts(self, pixels: float) -> None:
        """Each class's label texts, the same for every frame. Names that fit beside the
        widest probability (digits) go inline: `✓ 7 0.98`, and under a wrong tile `label 3`.
        Longer names are stacked: the name (cut to the slot) on the first line, the
        probability under it, and after it on a wrong tile `≠` and the true class: its name
        if every name fits there, else its number, which the matrix's rows pair with names."""
        page, names = self.page, self.class_names()
        self.word_gap = round(0.4 * pixels)
        self.widest_probability = page.type.width(WIDEST_PROBABILITY, pixels)
        room = self.slot - (self._label_width(pixels, self.marks.size, 0) - 2)
        self.inline = all(page.type.width(n, pixels, bold=True) <= room for n in names)
        if not self.inline:
            room = self.slot - self.marks.size - self.pad
        self.guess_names = [self._fit_name(str, n, room, pixels, bold=True) for n in names]
        self.guess_widths = [page.type.width(n, pixels, bold=True) for n in self.guess_names]
        if self.inline:
            truths = [self.words("predictions.true", name=n) for n in names]
            truths = [self._fit_name(lambda t: t, t, self.slot, pixels) for t in truths]
        else:
            after = self.slot - self.widest_probability - self.word_gap
            truths = [self.words("predictions.not", name=n) for n in names]
            self.truth_numbers = any(page.type.width(t, pixels) > after for t in truths)
            if self.truth_numbers:
                truths = [self.words("predictions.not", name=str(k)) for k in range(10)]
        self.truth_texts = truths
        self.truth_widths = [page.type.width(t, pixels) for t in truths]

    def _label_pixels(self) -> Iterator[int]:
        """Whole pixel sizes of the tile labels to try: "small", then down to the smallest."""
        largest = max(MIN_PIXELS, round(self.page.px("small")))
        yield from range(largest, MIN_PIXELS - 1, -1)

    def _tiles_for(self, box: Box, slot: int, below: int) -> TileGrid | None:
        """Rows of tiles in `box`, each with `below` pixels for its labels and at least `slot`
        pixels of the row: the column count that gives the largest tiles (None: none fits)."""
        count, (image_rows, image_cols) = self.count, self.digits.image_shape
        border = self.border["wrong"]
        gap = max(2 * border + 2, round(6 * self.page.s))  # across: two borders and a pixel
        down = border + max(1, round(2 * self.page.s))  # under the labels: the next border
        box = Box(box.x, box.y + border, box.w, box.h - border)  # the first row's border
        best = None
        for cols in range(1, count + 1):
            rows = -(-count // cols)
            if cols * slot - 2 > box.w:  # labels may reach the box edges, not past
                break
            scale = min(
                (box.w - gap * (cols - 1)) / (cols * image_cols),
                (box.h - rows * below - down * (rows - 1)) / (rows * image_rows),
            )
            if scale >= 2:
                scale = float(int(scale))  # whole screen pixels per image pixel: crisp
            if scale > 0 and (best is None or scale > best[0]):
                best = (scale, cols, rows)
        if best is None:
            return None
        scale, cols, rows = best
        tile_w, tile_h = int(image_cols * scale), int(image_rows * scale)
        self.pitch = pitch = max(tile_w + gap, slot)
        grid_w, grid_h = cols * pitch - (pitch - tile_w), rows * (tile_h + below + down) - down
        x0, y0 = box.x + (box.w - grid_w) // 2, box.y + max(0, (box.h - grid_h) // 2)
        self.slack = max(0, box.h - grid_h)  # rows of the box the tiles leave empty
        tiles = tuple(
            Box(x0 + (k % cols) * pitch, y0 + (k // cols) * (tile_h + below + down), tile_w, tile_h)
            for k in range(count)
        )
        return TileGrid(tiles, cols, rows, scale, below)

    def _layout_right(self, right: Box) -> None:
        page, s = self.page, self.page.s
        small, label = page.line_height("small"), page.line_height("label")
        self.accuracy_box, rest = right.take_top(label, gap=round(5 * s))
        self.header_parts = self._matrix_header(right.w)
        lines = len(self.header_parts)
        self.matrix_header, area = rest.take_top(lines * small, gap=round(3 * s))
        names = self.class_names()
        digits = names == [str(k) for k in range(10)]
        # a label named by its number (the unnamed ones of fewer classes) is not said twice
        rows = [name if name == str(k) else f"{name} {k}" for k, name in enumerate(names)]
        widest = str(int(class_counts(self.digits.test_labels).max()))
        columns = [str(k) for k in range(10)]
        self.matrix = CountMatrix.fit(
            page, area, row_labels=rows, col_labels=columns, widest=widest
        )
        if not self.matrix.shows_counts:  # a line under it says so: the matrix makes room
            area = area.take_bottom(small, gap=round(3 * s))[0]
            self.matrix = CountMatrix.fit(
                page, area, row_labels=rows, col_labels=columns, widest=widest
            )
        if not digits:  # names cut to the label column, each followed by its index in full
            width = self.matrix.label_w - max(2, round(4 * s))
            pixels = page.px(self.matrix.row_size)
            self.matrix.row_labels = [
                name
                if name == str(k)
                else self._fit_name(lambda n, k=k: f"{n} {k}", name, width, pixels)
                for k, name in enumerate(names)
            ]

    def _matrix_heading(self, frame: np.ndarray) -> None:
        """The matrix's title and what its rows and columns are, on one line or two."""
        page, header, line = self.page, self.matrix_header, self.page.line_height("small")
        gap = round(8 * page.s)
        if len(self.header_parts) == 1:
            (title, axes), y = self.header_parts[0], header.y + line / 2
            item = page.text(frame, (header.x, y), title, size="small", anchor="lm", role="heading")
            page.text(
                frame,
                (item.box.right + gap, y),
                axes,
                size="small",
                colour="muted",
                anchor="lm",
                width=header.right - item.box.right - gap,
                role="heading",
            )
            return
        for i, (text, colour) in enumerate(self.header_parts):
            page.text(
                frame,
                (header.x, header.y + (i + 0.5) * line),
                text,
                size="small",
                colour=colour,
                anchor="lm",
                width=header.w,
                role="heading",
            )

    def _matrix_header(self, width: int) -> list:
        """The matrix's title and what its rows and columns are: one line `[(title, axes)]`
        if both fit side by side, else two lines `[(title, "ink"), (axes, "muted")]`, or three
        where the axes' line is wider than the matrix (its rows and columns on a line each)."""
        page, pixels = self.page, self.page.px("small")
        title = self.words("predictions.matrix")
        axes = self.words("predictions.matrix_axes", thing=self.things(False))
        together = page.type.width(title, pixels) + round(8 * page.s)
        if together + page.type.width(axes, pixels) <= width:
            return [(title, axes)]
        if page.type.width(axes, pixels) <= width:
            return [(title, "ink"), (axes, "muted")]
        thing = self.things(False)  # rows and columns each on a line of their own
        halves = [self.words(f"predictions.matrix_{k}", thing=thing) for k in ("rows", "columns")]
        return [(title, "ink"), *((half, "muted") for half in halves)]

    def _fit_name(
        self, template, name: str, width: float, pixels: float, bold: bool = False
    ) -> str:
        """`template(name)`, with the name cut (ending in …) so the whole fits `width` (the
        layout leaves room for at least `template("…")`)."""
        for end in range(len(name), 0, -1):
            text = template(name if end == len(name) else name[:end].rstrip() + "…")
            if self.page.type.width(text, pixels, bold=bold) <= width:
                return text
        return template("…")

    # ---- the picture that does not move -------------------------------------------------------
    def _background(self, chosen: np.ndarray) -> np.ndarray:
        page, words = self.page, self.words
        frame = page.canvas()
        line = page.line_height("small")
        for i, text in enumerate(self.header_lines):
            y = self.left_header.y + (i + 0.5) * line
            page.text(
                frame,
                (self.left_header.x, y),
                text,
                size="small",
                colour="muted",
                anchor="lm",
                width=self.left_header.w,
            )
        images = self.digits.test_images
        rows_of, cols_of = pixel_map((self.grid.tiles[0].w, self.grid.tiles[0].h), images.shape[1:])
        for tile, index in zip(self.grid.tiles, chosen):
            frame[tile.slices] = images[index][rows_of[:, None], cols_of[None, :], None]
        self._legend(frame)
        self._accuracy_head(frame)
        self._matrix_heading(frame)
        self.matrix.draw_static(frame)
        if not self.matrix.shows_counts:
            x, room = self.matrix.box.x, self.matrix_header.right - self.matrix.box.x
            forms = [words(f"predictions.{key}") for key in ("no_counts", "no_counts_short")]
            if all(page.type.width(f, page.px("small")) > room for f in forms):
                x, room = self.matrix_header.x, self.matrix_header.w  # under the row labels too
            note = page.fitting(forms, room)
            below = self.matrix.box.bottom + round(3 * page.s)
            page.text(
                frame,
                (x, below),
                note,
                size="small",
                colour="muted",
                anchor="lt",
                width=room,
            )
        return frame

    def _legend(self, frame: np.ndarray) -> None:
        """Under the grid: a tick and "right", a cross and "wrong, with its label"."""
        page, box = self.page, self.legend_box
        legend_marks = Marks(round(page.px("small") * 0.8))
        x, middle = box.x, box.y + box.h / 2
        for kind in ("right", "wrong"):
            colour = getattr(self.theme, kind)
            legend_marks.stamp(
                frame, kind, x, round(middle - legend_marks.size / 2), colour, self.theme.background
            )
            x += legend_marks.size + self.pad
            key = kind
            if kind == "wrong" and not self.inline:
                key = "wrong_numbered" if self.truth_numbers else "wrong_stacked"
            text = self.words(f"predictions.{key}", thing=self.things(False))
            item = page.text(
                frame,
                (x, middle),
                text,
                size="small",
                colour=kind,
                anchor="lm",
                width=box.right - x,
            )
            x = item.box.right + round(12 * page.s)

    # ---- frames --------------------------------------------------------------------------------
    def frames(self) -> Iterator[np.ndarray]:
        """One frame per frame snapshot. The picture is kept from frame to frame: a tile or
        matrix cell is drawn again only when what it shows changes (its texts are recorded
        again either way); the accuracy and the caption are drawn every frame."""
        self.load()
        if self.settings.pick == "mistakes":
            self.rank_mistakes()  # before the layout: its header says which network chose
        self._layout()
        chosen = self.chosen_indices = self.chosen()
        background = self._background(chosen)
        inputs, labels = self._test_inputs(), self._labels()
        self.shown_labels = labels[chosen]
        self.class_totals = class_counts(self.digits.test_labels)
        limit = float(self.class_totals.max())
        diagonal_map, other_map = self.maps
        on_diagonal = np.eye(10, dtype=bool)
        frame, shown, self._placed = background.copy(), [None] * len(chosen), {}
        last: Measured | None = None
        for snap in self.frame_snapshots():
            measured = measure(snap.network, inputs, labels, chosen, updates(snap)) or last
            last = self.measured = measured
            self.page.begin_frame()
            self._tiles(frame, background, measured, shown)
            levels = level_of(measured.confusion, limit)
            colours = np.where(on_diagonal[..., None], diagonal_map[levels], other_map[levels])
            self.matrix.paint(frame, colours, [str(int(c)) for c in measured.confusion.ravel()])
            for box in (self.accuracy_value, self.page.caption_box):
                frame[box.slices] = background[box.slices]
            self._accuracy(frame, measured)
            self.page.caption(frame, self.caption(snap, measured))
            yield frame.copy()  # the kept picture changes next frame; a writer may hold this

    def _tiles(self, frame: np.ndarray, background: np.ndarray, measured: Measured, shown: list):
        """Each tile's border, mark and labels, drawn again where they changed. `shown[k]`:
        tile k's prediction, its texts, and its probability's text (always the last)."""
        predictions = measured.predicted.tolist()
        chances = measured.probabilities[np.arange(len(predictions)), predictions].tolist()
        for k, tile in enumerate(self.grid.tiles):
            predicted, probability = predictions[k], numbers.probability(chances[k], 2)
            if shown[k] is None or shown[k][0] != predicted:
                for box in self._tile_area(tile):
                    frame[box.slices] = background[box.slices]
                texts = self._tile(frame, k, predicted)
            else:
                texts = shown[k][1]
                self.page.dynamic.extend(texts)  # still on the frame, unchanged
            old = shown[k][2] if shown[k] is not None and shown[k][0] == predicted else None
            if old is not None and old.content == probability:
                self.page.dynamic.append(old)
            else:
                if old is not None:
                    box = old.box.clip(frame.shape[1], frame.shape[0])
                    frame[box.slices] = background[box.slices]
                old = self._probability(frame, k, predicted, probability)
            shown[k] = (predicted, texts, old)

    def _tile_area(self, tile: Box) -> tuple[Box, Box]:
        """What a tile's drawing covers: the tile with its widest border, and its labels."""
        width, line = self.border["wrong"], self.label_line
        ring = Box(tile.x - width, tile.y - width, tile.w + 2 * width, tile.h + 2 * width)
        left, right = self._slot(tile)
        labels = Box(left - 1, tile.bottom + width, right - left + 2, self.pad + 2 * line + 1)
        return ring, labels

    def _slot(self, tile: Box) -> tuple[int, int]:
        """The pixels a tile's labels may use, left and right (a neighbour's are 2 apart)."""
        centre = tile.x + tile.w / 2
        return math.ceil(centre - self.slot / 2), math.floor(centre + self.slot / 2)

    def _places_of(self, k: int, predicted: int) -> dict[str, tuple[int, float]]:
        """`_places` of tile k showing `predicted`, worked out once."""
        key = (k, predicted)
        if key not in self._placed:
            label = int(self.shown_labels[k])
            self._placed[key] = self._places(self.grid.tiles[k], predicted, label)
        return self._placed[key]

    def _places(self, tile: Box, predicted: int, label: int) -> dict[str, tuple[int, float]]:
        """Where a tile's mark and texts go (left edge, middle), with room for the widest
        probability, so nothing moves while the probability changes."""
        first = tile.bottom + self.border["wrong"] + self.pad + self.label_line / 2
        second, centre = first + self.label_line, tile.x + tile.w / 2
        mark = self.marks.size + self.pad
        guess_w, truth_w = self.guess_widths[predicted], self.truth_widths[label]
        left, right = self._slot(tile)

        def start(width: int) -> int:  # centred on the tile, kept inside its slot
            return max(left, min(round(centre - width / 2), right - width))

        if self.inline:
            x = start(mark + guess_w + self.word_gap + self.widest_probability)
            places = {"mark": (x, first), "guess": (x + mark, first)}
            places["probability"] = (x + mark + guess_w + self.word_gap, first)
            places["truth"] = (start(truth_w), second)
            return places
        wrong = predicted != label
        beside = mark + guess_w + self.word_gap + truth_w
        if wrong and beside <= right - left:  # `✕9 ≠7` over `0.59`: "9, not 7", never `0.59 ≠7`
            x = start(beside)
            places = {"mark": (x, first), "guess": (x + mark, first)}
            places["truth"] = (x + mark + guess_w + self.word_gap, first)
            places["probability"] = (start(self.widest_probability), second)
            return places
        x = start(mark + guess_w)
        places = {"mark": (x, first), "guess": (x + mark, first)}
        x = start(self.widest_probability + (self.word_gap + truth_w if wrong else 0))
        places["probability"] = (x, second)
        places["truth"] = (x + self.widest_probability + self.word_gap, second)
        return places

    def _tile(self, frame, k: int, predicted: int) -> list:
        """One tile's border, mark and name: tick or cross, the predicted name in the right
        or wrong colour; for a wrong one, its true label. Returns its texts."""
        page, theme = self.page, self.theme
        tile, label = self.grid.tiles[k], int(self.shown_labels[k])
        kind = "right" if predicted == label else "wrong"
        colour = getattr(theme, kind)
        outline(frame, tile, self.border[kind], colour)
        places = self._places_of(k, predicted)
        x, middle = places["mark"]
        y = round(middle - self.marks.size / 2)
        self.marks.stamp(frame, kind, x, y, colour, theme.background)
        texts = [
            page.text(
                frame,
                places["guess"],
                self.guess_names[predicted],
                size=self.label_size,
                bold=True,
                colour=kind,
                anchor="lm",
                role="guess",
            )
        ]
        if kind == "wrong":
            texts.append(
                page.text(
                    frame,
                    places["truth"],
                    self.truth_texts[label],
                    size=self.label_size,
                    colour="wrong",
                    anchor="lm",
                    role="truth",
                )
            )
        return texts

    def _probability(self, frame, k: int, predicted: int, probability: str):
        """The predicted name's probability: after the name, or under it."""
        places = self._places_of(k, predicted)
        x, y = places["probability"]
        anchor = "lm"
        wrong = predicted != int(self.shown_labels[k])
        if not self.inline and wrong and places["truth"][1] == y:  # `0.94 ≠5` under the name:
            x, anchor = x + self.widest_probability, "rm"  # against its ≠, whatever its width
        return self.page.text(
            frame,
            (x, y),
            probability,
            size=self.label_size,
            colour="muted",
            anchor=anchor,
            role="probability",
        )

    def _accuracy_head(self, frame: np.ndarray) -> None:
        """ "test accuracy", drawn once; the value after it and the line under it change."""
        page, box = self.page, self.accuracy_box
        middle = box.y + page.line_height("label") / 2
        head = page.text(
            frame,
            (box.x, middle),
            self.words("predictions.accuracy"),
            size="label",
            anchor="lm",
            role="heading",
        )
        x = head.box.right + round(6 * page.s)
        self.accuracy_value = Box(x, box.y, box.right - x, page.line_height("label"))

    def _accuracy(self, frame: np.ndarray, measured: Measured) -> None:
        """The test accuracy of the network shown (the caption says which step's it is)."""
        page, box = self.page, self.accuracy_value
        value = numbers.percent(measured.right / measured.tested)
        page.text(
            frame,
            (box.x, box.y + box.h / 2),
            value,
            size="label",
            bold=True,
            anchor="lm",
            role="accuracy",
        )
