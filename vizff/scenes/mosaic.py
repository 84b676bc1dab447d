"""mosaic: a grid of sample digits, filled column by column as in the lesson, revealed in turn."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw

from vizff.data import load_digits
from vizff.draw import BACKGROUND, FAINT, MUTED, ORANGE, blends, make_palette, scale_of, text
from vizff.errors import ConfigError
from vizff.scenes.base import Param, Scene

TILE_BACKGROUND = (0, 0, 0)  # MNIST's own look: white ink on black


class Mosaic(Scene):
    name = "mosaic"
    summary = "a grid of sample digits, filled column by column, revealed progressively"
    default_hold = 2.0
    PARAMS = {
        "rows": Param(int, 6, "rows of the grid", 1, 60),
        "cols": Param(int, 12, "columns of the grid", 1, 120),
        "labels": Param(bool, False, "write each digit's label in its corner"),
        "split": Param(str, "test", "which split the digits come from", choices=("test", "train")),
        "start": Param(int, 0, "index of the first digit shown", 0, 10**6),
        "reveal": Param(int, 48, "frames over which the digits appear", 1, 5000),
    }

    @property
    def palette(self) -> np.ndarray:
        return make_palette(inks=(ORANGE,), greys=96, extra=tuple(blends(ORANGE, TILE_BACKGROUND)))

    def frame_count(self) -> int:
        return self.params["reveal"]

    def load(self) -> None:
        self._chosen = self._digits()

    def _digits(self) -> tuple[np.ndarray, np.ndarray]:
        digits = load_digits(self.options.data)
        images, labels = (
            (digits.test_images, digits.test_labels)
            if self.params["split"] == "test"
            else (digits.train_images, digits.train_labels)
        )
        start, count = self.params["start"], self.params["rows"] * self.params["cols"]
        if start + count > len(images):
            raise ConfigError(
                f"start: {start} + {count} digits is past the {len(images)} "
                f"{self.params['split']} digits of {digits.source}; lower start, "
                "rows or cols"
            )
        return images[start : start + count], labels[start : start + count]

    def frames(self) -> Iterator[np.ndarray]:
        rows, cols = self.params["rows"], self.params["cols"]
        width, height = self.size
        s = scale_of(self.size)
        top, bottom, margin = round(46 * s), height - round(30 * s), round(12 * s)
        cell = int(min((width - 2 * margin) / cols, (bottom - top) / rows))
        if cell < 8:
            raise ConfigError(
                f"rows x cols: {rows}x{cols} digits do not fit in {width}x{height}; "
                "use fewer or a larger --size"
            )
        gap = max(1, round(cell * 0.08))
        tile = cell - gap
        x0 = (width - cols * cell + gap) // 2
        if not hasattr(self, "_chosen"):
            self.load()
        images, labels = self._chosen
        page = Image.new("RGB", self.size, BACKGROUND)
        first = self.params["start"]
        text(
            page,
            (margin, round(10 * s)),
            "The input: MNIST digits, 28x28 grey pixels",
            pixels=18 * s,
            bold=True,
        )
        text(
            page,
            (margin, height - round(9 * s)),
            f"{self.params['split']} digits {first}-{first + rows * cols - 1}, filled column by "
            f"column: image i*{rows} + j goes to column i, row j",
            pixels=11 * s,
            colour=MUTED,
            anchor="ld",
        )
        draw = ImageDraw.Draw(page)
        # image k = i*rows + j goes to column i, row j: the lesson's column-by-column fill
        boxes = self.boxes = [
            (x0 + (k // rows) * cell, top + (k % rows) * cell) for k in range(rows * cols)
        ]
        self.tile = tile
        for x, y in boxes:
            draw.rectangle((x, y, x + tile - 1, y + tile - 1), outline=FAINT)
        total = self.frame_count()
        shown = 0
        for index in range(total):
            upto = math.ceil((index + 1) * len(boxes) / total)
            for k in range(shown, upto):  # paste the newly revealed digits onto the page
                self._paste(page, boxes[k], tile, images[k], int(labels[k]), s)
            shown = upto
            yield np.asarray(page).copy()

    def _paste(self, page: Image.Image, box, tile: int, image: np.ndarray, label: int, s: float):
        digit = Image.fromarray(image).resize((tile, tile), Image.Resampling.LANCZOS)
        page.paste(digit.convert("RGB"), box)
        if self.params["labels"]:
            text(
                page,
                (box[0] + tile * 0.06, box[1] + tile * 0.04),
                str(label),
                pixels=max(7, tile * 0.3),
                colour=ORANGE,
                bold=True,
            )
