"""card: a title, section or end card for a storyboard: big centred words, nothing moving.

The words are the user's own (`title`, `subtitle`, drawn as written) or the catalogue's cards
(`[cards.title]`, `[cards.loss]`, `[cards.end]`: the lesson's own, in every language), so one
storyboard gives the English and the Chinese lesson. Lines wrap to the frame; a title too long
for three lines is set smaller.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from vizff.data import data_folder
from vizff.draw import Box, Look, Page, make_palette
from vizff.draw.text import escape
from vizff.errors import OptionError
from vizff.options import Option
from vizff.scenes.base import Scene, data_name

WORDS = ("title", "loss", "end")  # the catalogue's cards: [cards.<name>] title and subtitle
# design sizes at 640x360 of each kind's title and subtitle
TITLE_SIZE = {"title": 27.0, "section": 23.0, "end": 25.0}
SUBTITLE_SIZE = 12.5
FORMULA_SIZE = 17.0  # a card's formula (the loss card's L = ...): what the card is for
# (title lines, subtitle lines) at most, tried in turn until the words fit the frame's height
LAYOUTS = ((3, 4), (3, 3), (3, 2), (3, 1), (3, 0), (2, 0), (1, 0))


def has_cjk(text: str) -> bool:
    """True when `text` holds CJK characters: lines may break between any two of them."""
    return any("\u2e80" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)


class Card(Scene):
    name = "card"
    summary = "a title, section or end card: big centred words for a storyboard's chapters"
    MULTILINE_TITLES = True
    SECTIONS = ("cards",)
    DEFAULTS = {"hold": 0.0}
    MIN_SIZE = (160, 90)  # words fitted to the page: a thumbnail still reads
    takes = ("data",)  # only to name the lesson's data on a title card: nothing is read
    OPTIONS = (
        Option(
            "card",
            "str",
            "title",
            "which card: title | section | end",
            choices=("title", "section", "end"),
        ),
        Option(
            "words",
            "str",
            None,
            "the catalogue's words when no title is given: title (the lesson's title), loss or "
            "end (default: the card's own kind; a section card needs a title or words)",
            choices=WORDS,
        ),
        Option("seconds", "float", 3.0, "how long the card shows", low=0.05, high=600),
    )
    LINT_OPTIONS = {"seconds": 0.15}

    def check(self) -> None:
        s = self.settings
        if s.title is None and s.words is None and s.card == "section":
            raise OptionError("card", 'a section card needs a title (or words = "loss"...)')
        if s.given("hold") and s.hold:  # it was taken and did nothing
            raise OptionError(
                "hold",
                "a card is one still picture shown for its `seconds`; give "
                f"seconds = {s.seconds + s.hold:g} for a longer one",
            )
        if str(s.data) not in ("sample", "mnist"):  # named on the card, not read: but there
            data_folder(os.path.expanduser(str(s.data)))  # (a typo was printed on the card)

    @property
    def palette(self) -> np.ndarray:
        return make_palette(self.theme, inks=("primary",))

    def frame_count(self) -> int:
        return max(1, round(self.settings.seconds * self.settings.fps))

    def catalogue_words(self) -> str:
        s = self.settings
        return s.words or (s.card if s.card in WORDS else "title")

    def title(self) -> str:
        """The card's title as drawn (markup escaped in the user's own words)."""
        if self.settings.title is not None:
            return escape(self.settings.title)
        return self.words(f"cards.{self.catalogue_words()}.title")

    def subtitle(self) -> str | None:
        s = self.settings
        if s.subtitle is not None:
            return escape(s.subtitle) if s.subtitle.strip() else None
        if s.title is not None:  # the user's title with the catalogue's subtitle would not match
            return None
        words = self.catalogue_words()
        if words == "title" and (s.data != "sample" or s.classes != "digits"):
            return self.words(  # a lesson on other data: not "MNIST digits in"
                "cards.title.subtitle_data", dataset=self.dataset_name(), images=self.images_word()
            )
        return self.words(f"cards.{words}.subtitle")

    def formula(self) -> str | None:
        """The catalogue card's formula, on a line of its own between title and subtitle;
        none under the user's own title (it would not match)."""
        if self.settings.title is not None:
            return None
        key = f"cards.{self.catalogue_words()}.formula"
        return self.words(key) if self.words.has(key) else None

    def dataset_name(self) -> str:
        """The lesson's data as its scenes name it, from the `data` given (nothing is read)."""
        data = str(self.settings.data)
        source = data if data in ("sample", "mnist") else "directory"
        return self.drawable_data_name(
            data_name(self.words, source, os.path.expanduser(data)), source
        )

    @property
    def look(self) -> Look:
        return replace(self._look, data=self.dataset_name())

    def frames(self) -> Iterator[np.ndarray]:
        frame = self.draw()
        for _ in range(self.frame_count()):
            yield frame  # nothing moves: the same picture every frame

    def draw(self) -> np.ndarray:
        """The card: an accent bar, the title's lines, the subtitle's, centred as one block."""
        look = self.look
        self.page = page = Page(self.size, look, title=self.title())
        width = round(self.size[0] * 0.84)
        bar = Box(0, 0, max(4, round(44 * page.s)), max(2, round(3 * page.s)))
        gap = round(12 * page.s)
        room = self.size[1] - 2 * page.margin
        subtitle, formula = self.subtitle(), self.formula()
        # fewer subtitle lines, then none, then fewer title lines, until the block fits; the
        # formula, the card's point, stays to the last
        shown = self.lines(formula, FORMULA_SIZE, width, 1, False) if formula else None
        for most_title, most_below in LAYOUTS:
            title = self.lines(
                self.title(), TITLE_SIZE[self.settings.card], width, most_title, True
            )
            below = None
            if subtitle and most_below:
                below = self.lines(subtitle, SUBTITLE_SIZE, width, most_below, False)
            height = bar.h + gap + title[2] * len(title[0])
            for part in (shown, below):
                if part:
                    height += gap + part[2] * len(part[0])
            if height <= room:
                break
        frame = np.empty((self.size[1], self.size[0], 3), dtype=np.uint8)
        frame[:] = self.theme.background
        top = round((self.size[1] - height) / 2)
        centre = self.size[0] / 2
        bar = Box(round(centre - bar.w / 2), top, bar.w, bar.h)
        frame[bar.slices] = self.theme.primary
        y = bar.bottom + gap
        for line in title[0]:
            page.text(
                frame,
                (centre, y),
                line,
                size=title[1],
                bold=True,
                anchor="mt",
                width=width,
                role="title",
            )
            y += title[2]
        if shown:
            y += gap
            for line in shown[0]:
                page.text(frame, (centre, y), line, size=shown[1], anchor="mt", width=width,
                          role="formula")  # fmt: skip
                y += shown[2]
        if below:
            y += gap
            for line in below[0]:
                page.text(
                    frame,
                    (centre, y),
                    line,
                    size=below[1],
                    colour="muted",
                    anchor="mt",
                    width=width,
                    role="subtitle",
                )
                y += below[2]
        page.begin_frame()
        return frame

    def lines(
        self, text: str, size: float, width: int, most: int, bold: bool
    ) -> tuple[list[str], float, int]:
        """(lines, design size, line height in pixels): wrapped into at most `most` lines of
        even length, set smaller (down to 60%) while it needs more."""
        page = self.page
        cjk = self.words.cjk or has_cjk(text)
        design = size
        while True:
            lines = page.type.wrap(text, width, page.px(design), bold=bold, cjk=cjk)
            if len(lines) <= most or design <= size * 0.6:
                break
            design *= 0.92
        if len(lines) > most:  # the rest on the last line, which is then cut with an ellipsis
            lines = [*lines[: most - 1], ("" if cjk else " ").join(lines[most - 1 :])]
        else:
            lines = self.balanced(text, lines, width, page.px(design), bold, cjk)
        return lines, design, round(page.line_height(design) * 1.08)

    def balanced(
        self, text: str, lines: list[str], width: int, pixels: float, bold: bool, cjk: bool
    ) -> list[str]:
        """The same number of lines at the narrowest width that keeps it: no lone last word.
        What counts as a phrase (kept whole: a formula) is judged at the full width, so a
        narrower line does not break inside one (`… log` over `yₖ，`) to keep the count."""

        def wrap(at: int) -> list[str]:
            return self.page.type.wrap(text, at, pixels, bold=bold, cjk=cjk, phrases=width)

        low, high = width // 3, width
        while low < high:
            middle = (low + high) // 2
            if len(wrap(middle)) <= len(lines):
                high = middle
            else:
                low = middle + 1
        return wrap(high)
