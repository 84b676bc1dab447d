"""mosaic: a grid of sample digits, filled column by column as in the lesson, revealed in turn.

Each image is drawn as its own grey pixels, enlarged by a whole number (nearest neighbour),
so a 28x28 digit shows as 28x28 crisp squares.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cached_property

import numpy as np

from vizff.draw import Page, TileGrid, make_palette, pixel_map
from vizff.errors import OptionError, counted
from vizff.options import Option
from vizff.scenes.base import DataScene

LEAST_TILE = 10  # pixels: an MNIST digit drawn smaller is a smudge, not a digit


class Mosaic(DataScene):
    name = "mosaic"
    summary = "a grid of sample digits, filled column by column, revealed progressively"
    DEFAULTS = {"hold": 2.0}
    MIN_SIZE = (160, 90)  # a thumbnail of a few digits: the grid decides what fits
    OPTIONS = (
        Option(
            "rows",
            "int",
            6,
            "rows of the grid (neither given: 6x12 images in the shape that shows them largest)",
            low=1,
            high=60,
        ),
        Option("cols", "int", 12, "columns of the grid", low=1, high=120),
        Option("labels", "bool", False, "write each image's label under it"),
        Option(
            "split", "str", "test", "which split the images come from", choices=("test", "train")
        ),
        Option("start", "int", 0, "index of the first image shown", low=0, high=10**6),
        Option("reveal", "int", 48, "frames over which the images appear", low=1, high=5000),
    )

    @property
    def palette(self) -> np.ndarray:
        greys = [(g, g, g) for g in np.arange(0, 256, step=3).tolist()]
        return make_palette(self.theme, inks=("secondary",), extra=greys)

    def frame_count(self) -> int:
        return self.settings.reveal

    def title(self) -> str:
        return self.words(
            "mosaic.title",
            dataset=self.dataset_name(),
            images=self.images_word(),
            shape=self.image_size(),
        )

    @cached_property
    def grid_shape(self) -> tuple[int, int]:
        """(rows, cols): as given; left at their defaults where the split holds fewer images
        than they show, the largest grid no wider than the default that the split fills."""
        s = self.settings
        if any(s.given(key) for key in ("rows", "cols", "start")):
            return s.rows, s.cols
        held = len(self.digits.test_labels if s.split == "test" else self.digits.train_labels)
        if held == 0:
            return s.rows, s.cols
        if s.rows * s.cols <= held:
            # fewer images where 72 would be too small to make out (5 pixels at 160x90)
            for count in range(s.rows * s.cols, 0, -1):
                shape, tile = self._fitted(count)
                if tile >= self.least_tile:
                    return shape
            return shape
        shapes = [(rows, min(s.cols, held // rows)) for rows in range(1, min(s.rows, held) + 1)]
        return max(shapes, key=lambda shape: (shape[0] * shape[1], -shape[0]))

    @property
    def least_tile(self) -> int:
        """The smallest an image is drawn: below, a digit is a smudge (4 px at 20x40 in
        320x180); an image smaller than this is drawn at its own size at least."""
        return min(LEAST_TILE, *self.digits.image_shape)

    def _fitted(self, count: int) -> tuple[tuple[int, int], int]:
        """The shape that shows `count` images largest on this page, and their width: 6x12
        on a landscape frame, 12x6 on a portrait one (9:16), 8x9 on a square one. The
        default shape wins a tie. Only whole grids: every column filled."""
        default = (self.settings.rows, self.settings.cols)
        page = self._default_page
        below = page.line_height("small") if self.settings.labels else 0
        gap = max(1, round(3 * page.s))
        wanted, least = self._pitches(page)

        def tile(shape: tuple[int, int]) -> tuple[bool, int]:
            rows, cols = shape
            grid = TileGrid.fit(
                page.body, count, self.digits.image_shape, gap=gap, below=below,
                column_major=True, crisp=True, cols=cols, rows=rows, pitch=wanted,
            )  # fmt: skip
            fits = grid.bounds.w <= page.body.w and grid.bounds.h <= page.body.h + 1
            return grid.labels_fit(least), grid.tiles[0].w if fits else 0

        shapes = [(rows, count // rows) for rows in range(1, count + 1) if count % rows == 0]
        judged = {shape: tile(shape) for shape in shapes}
        largest = max(width for _, width in judged.values())

        def rank(shape: tuple[int, int]) -> tuple:
            whole, width = judged[shape]
            # names whole before larger images ("S…" under every one says nothing), unless
            # the images would shrink to under half: they are what the scene shows (28x28
            # images at 480x270 would be 10 pixels, a smudge, instead of 23)
            return whole and width >= 0.5 * largest, width, shape == default

        best = max(shapes, key=rank)
        return best, judged[best][1]

    def _pitches(self, page: Page) -> tuple[int, int]:
        """(wanted, least): from one column to the next, room for the widest class name at
        the labels' size and at the least size they are drawn at, with a space between
        neighbours; 0 without labels."""
        if not self.settings.labels:
            return 0, 0
        names, space = self.class_names(), self._label_space(page)
        return tuple(page.widest(names, "small", least=least) + space for least in (False, True))

    @staticmethod
    def _label_space(page: Page) -> int:
        return max(2, round(8 * page.s))

    @cached_property
    def _default_page(self) -> Page:
        """The page the default grid's caption leaves: what `_fitted` fits every count in."""
        default = (self.settings.rows, self.settings.cols)
        return Page(self.size, self.look, title=self.title(), caption=self._caption(*default))

    @property
    def rows(self) -> int:
        return self.grid_shape[0]

    @property
    def cols(self) -> int:
        return self.grid_shape[1]

    def load(self) -> None:
        super().load()
        self.chosen()
        self._layout()  # a grid that does not fit is refused before any file is opened

    def chosen(self) -> tuple[np.ndarray, np.ndarray]:
        """The images and labels shown, in order: `start` onwards in the chosen split."""
        s, digits = self.settings, self.digits
        images, labels = (
            (digits.test_images, digits.test_labels)
            if s.split == "test"
            else (digits.train_images, digits.train_labels)
        )
        count = self.rows * self.cols
        if len(images) == 0:  # no start, rows or cols can help: the other split may
            other = "train" if s.split == "test" else "test"
            if len(digits.train_labels) + len(digits.test_labels) == 0:
                error = OptionError(
                    "data", "holds no images in either split: give one that has some"
                )
            else:
                key = "split" if s.given("split") else "data"  # what the user chose, named
                error = OptionError(
                    key,
                    f"{self.dataset_name() + ' ' if key == 'split' else ''}has no {s.split} "
                    f'images; show the {other} split (⟨split "{other}"⟩)',
                )
            raise self.settings.attribute(error)
        if s.start + count > len(images):
            key = next((k for k in ("rows", "cols", "start") if s.given(k)), "start")
            raise self.settings.attribute(
                OptionError(
                    key,  # the one the user gave: the error names what they typed
                    f"{self.rows}x{self.cols} images from index {s.start} go past the "
                    f"{counted(len(images), s.split + ' image')} of {self.dataset_name()}; "
                    "lower start, rows or cols",
                )
            )
        return images[s.start : s.start + count], labels[s.start : s.start + count]

    def caption(self) -> str:
        return self._caption(self.rows, self.cols)

    def _caption(self, rows: int, cols: int) -> str:
        s = self.settings
        if rows * cols == 1:  # "#0–#0, image i×1 + j goes to column i, row j" said nothing
            return self.words(
                "mosaic.caption_one",
                split=self.words(f"data.{s.split}"),
                thing=self.examples(plural=False),
                first=s.start,
            )
        return self.words(
            "mosaic.caption",
            split=self.words(f"data.{s.split}"),
            things=self.examples(),
            first=s.start,
            last=s.start + rows * cols - 1,
            rows=rows,
        )

    def _label_names(self, names: list[str]) -> list[str]:
        """The names under the images, all at one size (`label_size`) on one baseline: the
        largest, down to 70% of "small", at which the widest fits its image's width (a gap to
        the next one's stays); past that, longer names are cut with an ellipsis at that size.
        (Each was fitted alone before: sizes jumped from tile to tile, and neighbours touched:
        "TrouserPullover".)"""
        room = max(self.grid.tiles[0].w, self.grid.pitch - self._label_space(self.page))
        self.label_size, shown = self.page.one_size(names, room)
        return shown

    def _layout(self) -> None:
        s = self.settings
        self.page = page = Page(self.size, self.look, title=self.title(), caption=self.caption())
        below = page.line_height("small") if s.labels else 0
        self.gap = gap = max(1, round(3 * page.s))
        grid = self.grid = TileGrid.fit(
            page.body,
            self.rows * self.cols,
            self.digits.image_shape,
            gap=gap,
            below=below,
            column_major=True,
            crisp=True,
            cols=self.cols,
            rows=self.rows,
            pitch=self._pitches(page)[0],
        )
        bounds, body = grid.bounds, page.body
        width, height = self.size
        if bounds.w > body.w or bounds.h > body.h + 1:  # not even one pixel a tile
            raise self.settings.attribute(
                OptionError(
                    "rows",
                    f"{self.rows}x{self.cols} images do not fit in {width}x{height}; "
                    "use fewer rows and cols or a larger size",
                )
            )
        if grid.tiles[0].w < self.least_tile and self.rows * self.cols > 1:
            raise self.settings.attribute(
                OptionError(
                    "rows",
                    f"{self.rows}x{self.cols} images in {width}x{height} would be "
                    f"{grid.tiles[0].w} pixels each, too small to make out (at least "
                    f"{self.least_tile}); use fewer rows and cols or a larger size",
                )
            )

    def frames(self) -> Iterator[np.ndarray]:
        self.load()
        s, page, grid = self.settings, self.page, self.grid
        images, labels = self.chosen()
        names = self.class_names()
        page_frame = page.canvas()
        for tile in grid.tiles:  # a faint frame shows where each image will appear
            page_frame[tile.y - 1 : tile.bottom + 1, tile.x - 1 : tile.right + 1] = self.theme.faint
            page_frame[tile.slices] = self.theme.background
        page.caption(page_frame, self.caption())
        rows_of, cols_of = pixel_map((grid.tiles[0].w, grid.tiles[0].h), self.digits.image_shape)
        shown_names = self._label_names(names) if s.labels else names
        total, shown = self.frame_count(), 0
        for index in range(total):
            page.begin_frame()
            upto = math.ceil((index + 1) * len(grid.tiles) / total)
            for k in range(shown, upto):  # the newly revealed images, onto the kept page
                tile = grid.tiles[k]
                pixels = images[k][rows_of[:, None], cols_of[None, :]]  # (h, w) grey levels
                page_frame[tile.slices] = pixels[..., None]
                if s.labels:
                    page.text(
                        page_frame,
                        (tile.x + tile.w / 2, tile.bottom + 1),
                        shown_names[int(labels[k])],
                        size=self.label_size,
                        colour="secondary",
                        anchor="mt",
                        role="label",
                        keep=True,
                    )
            shown = upto
            yield page_frame.copy()
