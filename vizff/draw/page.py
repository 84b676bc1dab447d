"""Page: a frame's regions (title, subtitle, body, caption) computed once per size, and every
text drawn on it, recorded so the layout lint can check boxes, overlaps and contrast."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vizff.draw.box import Box
from vizff.draw.catalogue import Catalogue
from vizff.draw.text import (
    MIN_PIXELS,
    Laid,
    TextItem,
    Typesetter,
    clear_behind,
    escape,
    find_font,
)
from vizff.draw.theme import RGB, Theme
from vizff.errors import UNSET

BASE_SIZE = (640, 360)  # every layout is designed at this size and scaled

# text sizes in pixels at 640x360; they scale with the frame
SIZES = {"title": 17.0, "subtitle": 10.5, "caption": 11.5, "label": 10.0, "small": 10.0}


def scale_of(size: tuple[int, int]) -> float:
    """How much bigger than the 640x360 design this frame is (text and lines grow with it)."""
    return min(size[0] / BASE_SIZE[0], size[1] / BASE_SIZE[1])


@dataclass(frozen=True)
class Look:
    """What a page needs besides its size: theme, words, and the user's own title and font."""

    theme: Theme
    words: Catalogue
    title: str | None = None  # the user's title, drawn as written
    subtitle: str | None = None
    font: str | None = None  # a font file for characters the shipped font lacks
    names: tuple[str, ...] = ()  # the user's names of the classes, drawn on the frames too
    data: str = ""  # the name of the user's data (its folder's), drawn on the frames too
    # the catalogue's sections the scene draws words from (None: all of them), and its name
    sections: tuple[str, ...] | None = None
    scene: str = ""


# Drawn by the kit itself, not from a catalogue: ASCII (numbers, formulas), the minus sign of
# negative numbers, × of image sizes and powers of ten, and … where a name is cut short.
KIT_CHARACTERS = "".join(chr(c) for c in range(0x20, 0x7F)) + "−×…"


def typeface_for(look: Look):
    """The font for a page: the shipped subset, unless the user's title or subtitle needs
    another (a system CJK font, or `font`); it must then have the catalogue's words too."""
    kit_text = "".join(sorted(look.words.characters(look.sections)))
    if look.sections is not None:  # what the kit writes beside the words: numbers and signs
        kit_text += KIT_CHARACTERS
    ours = f"scene {look.scene}'s words" if look.scene else "vizff's words"
    if look.words.lang != "en":  # why Chinese is asked of a Latin font: the language chosen
        ours += f" in {look.words.lang}"
    if look.names:  # names no font has are refused as `classes`, before the title is looked at
        find_font(
            "".join(look.names),
            look.font,
            kit_text=kit_text,
            key="classes",
            value=UNSET,  # the scene names it as the user wrote it, not padded to ten
            kit_name=ours,
        )
        kit_text += "".join(look.names)
    if look.subtitle and not look.title:
        return find_font(
            look.subtitle + look.data, look.font, kit_text=kit_text, key="subtitle", kit_name=ours
        )
    if look.title and look.subtitle:  # a character missing from one is named under its key
        for key, own in (("title", look.title), ("subtitle", look.subtitle)):
            find_font(own, look.font, kit_text=kit_text, key=key, kit_name=ours)
    text = (look.title or "") + (look.subtitle or "") + look.data
    return find_font(text, look.font, kit_text=kit_text, value=look.title, kit_name=ours)


class Page:
    """Regions of one frame size and the text drawn on them.

    Text drawn before the first `begin_frame()` is static (part of every frame); after it,
    each frame's own text is recorded until the next `begin_frame()`.
    """

    def __init__(
        self,
        size: tuple[int, int],
        look: Look,
        *,
        title: str,
        subtitle: str | None = None,
        caption: str | None = None,
        caption_lines: int = 1,
        short_subtitle: str | None = None,  # the scene's own, where `subtitle` does not fit
    ):
        self.size, self.look = size, look
        self.theme, self.words = look.theme, look.words
        self.s = s = scale_of(size)
        self.type = Typesetter(typeface_for(look))
        self.margin = max(3, round(12 * s))
        self.gap = max(2, round(6 * s))
        self.space = max(2, round(3 * s))  # the least room between two texts: a word space
        self.static: list[TextItem] = []
        self.dynamic: list[TextItem] = []
        self._framing = False
        width = size[0] - 2 * self.margin
        self.title_text = escape(look.title) if look.title is not None else title
        chosen_subtitle = look.subtitle if look.subtitle is not None else subtitle
        self.subtitle_text = escape(chosen_subtitle) if look.subtitle is not None else subtitle
        if look.subtitle is None and short_subtitle and subtitle:
            laid = self.type.fit(subtitle, width, self.px("subtitle"))
            if "".join(run.text for run in laid.runs).endswith("…"):  # cut even when shrunk:
                self.subtitle_text = short_subtitle  # the short form, not the facts cut off
        self.title_laid = self.type.fit(
            self.title_text,
            width,
            self.px("title"),
            bold=True,  # the user's: escaped above
        )
        top = self.margin * 0.8
        self.title_box = Box(
            self.margin, round(top), width, self.title_laid.ascent + self.title_laid.descent
        )
        below = self.title_box.bottom
        self.subtitle_laid: Laid | None = None
        if self.subtitle_text:
            self.subtitle_laid = self.type.fit(self.subtitle_text, width, self.px("subtitle"))
            height = self.subtitle_laid.ascent + self.subtitle_laid.descent
            self.subtitle_box = Box(self.margin, below + round(2 * s), width, height)
            below = self.subtitle_box.bottom
        self.caption_lines = self._caption_lines(caption, caption_lines, width)
        face_px = self.px("caption")
        line = self._line_height(face_px)
        caption_h = line * self.caption_lines if caption is not None else 0
        bottom = size[1] - self.margin * 0.6
        self.caption_box = Box(self.margin, round(bottom - caption_h), width, caption_h)
        body_top = below + self.gap * 1.5
        body_bottom = self.caption_box.y - (self.gap if caption is not None else 0)
        self.body = Box(self.margin, round(body_top), width, max(1, round(body_bottom - body_top)))

    # ---- sizes ------------------------------------------------------------------------------
    def px(self, role: str | float) -> float:
        """Pixels of a text size: a role (`"label"`) or a design size at 640x360."""
        return (SIZES[role] if isinstance(role, str) else role) * self.s * self.words.text_scale

    def one_size(
        self, texts: Sequence[str], width: float, size: str = "small", *, bold: bool = False
    ) -> tuple[float, list[str]]:
        """Labels of one kind (class names under images, beside bars) at one size: the
        largest, down to 70% of `size`, at which the widest fits `width`; past that, longer
        ones cut with an ellipsis at that size. (Each fitted alone, sizes jumped from label
        to label.) Returns the design size, for `text(size=...)`, and the texts to draw;
        `bold`: each must fit in bold too."""
        styles = (False, True) if bold else (False,)
        pixels = max(MIN_PIXELS, round(self.px(size)))
        least = self._least_pixels(size)

        def wide(text: str, px: int) -> int:
            return max(self.type.width(text, px, bold=b) for b in styles)

        while pixels > least and max(wide(t, pixels) for t in texts) > width:
            pixels -= 1
        shown = [
            t if wide(t, pixels) <= width else self.type.cut(t, width, pixels, bold) for t in texts
        ]
        return pixels / (self.s * self.words.text_scale), shown

    def widest(self, texts: Sequence[str], size: str = "small", *, least: bool = False) -> int:
        """The widest of `texts` in pixels at `size`, or with `least` at the least size
        `one_size` draws them."""
        pixels = self._least_pixels(size) if least else max(MIN_PIXELS, round(self.px(size)))
        return max((self.type.width(t, pixels) for t in texts), default=0)

    def _least_pixels(self, size: str) -> int:
        """The least size `one_size` sets labels of `size` at: 70% of it."""
        return max(MIN_PIXELS, round(self.px(size) * 0.7))

    def _line_height(self, pixels: float) -> int:
        laid = self.type.lay("Ag字", pixels)
        return laid.ascent + laid.descent + max(1, round(pixels * 0.15))

    def line_height(self, role: str | float) -> int:
        return self._line_height(self.px(role))

    def _caption_lines(self, sample: str | None, lines: int, width: int) -> int:
        if sample is None:
            return 0
        wrapped = self.type.wrap(sample, width, self.px("caption"), cjk=self.words.cjk)
        return max(lines, min(len(wrapped), 3))

    def colour(self, colour: str | RGB) -> RGB:
        return getattr(self.theme, colour) if isinstance(colour, str) else colour

    # ---- drawing ------------------------------------------------------------------------------
    def canvas(self, frame: np.ndarray | None = None) -> np.ndarray:
        """A frame with the title and subtitle drawn (static text): a new one of the page
        colour, or `frame` (a rendered plot) drawn on in place."""
        if frame is None:
            frame = np.empty((self.size[1], self.size[0], 3), dtype=np.uint8)
            frame[:] = self.theme.background
        self._record(
            self.type.draw(
                frame,
                self.title_laid,
                (self.title_box.x, self.title_box.y),
                self.theme.ink,
                anchor="lt",
                role="title",
            ),
        )
        if self.subtitle_laid is not None:
            item = self.type.draw(
                frame,
                self.subtitle_laid,
                (self.subtitle_box.x, self.subtitle_box.y),
                self.theme.muted,
                anchor="lt",
                role="subtitle",
            )
            self._record(item)
        return frame

    def fitting(self, forms: Sequence[str], width: float, size: str | float = "small") -> str:
        """The first of `forms` (a text, then its shorter forms) that fits `width` at `size`,
        else the last: a short form rather than the long one cut where its facts end."""
        pixels = self.px(size)
        return next((form for form in forms if self.type.width(form, pixels) <= width), forms[-1])

    def text(
        self,
        frame: np.ndarray,
        xy: tuple[float, float],
        content: str,
        *,
        size: str | float = "label",
        bold: bool = False,
        colour: str | RGB = "ink",
        anchor: str = "ls",
        width: float | None = None,
        role: str = "label",
        markup: bool = True,
        keep: bool = False,
    ) -> TextItem:
        """Draw `content` at `xy` (anchor as in Pillow), shrunk or cut to `width` if given.
        `keep`: drawn on a picture kept from frame to frame, so it counts as static."""
        pixels = self.px(size)
        if width is not None:
            laid = self.type.fit(content, width, pixels, bold=bold, markup=markup)
        else:
            laid = self.type.lay(content, pixels, bold=bold, markup=markup)
        quiet = (self.theme.background, self.theme.faint)
        item = self.type.draw(
            frame, laid, xy, self.colour(colour), anchor=anchor, role=role, quiet=quiet
        )
        return self._record(item, keep)

    def text_if_fits(
        self,
        frame: np.ndarray,
        xy: tuple[float, float],
        content: str,
        *,
        size: str | float = "label",
        colour: str | RGB = "ink",
        anchor: str = "ls",
        role: str = "label",
    ) -> TextItem | None:
        """Draw `content` only if, so drawn, it stays inside the frame, on nothing but a flat
        colour (or the grid), and clear of every text drawn so far by a word space (`space`):
        an optional label is drawn only when it fits, never over data or other words, and
        never touching them (`<0.01<0.01` reads as one number). None when it does not fit.
        What the check found (the box, the colour behind) is what the drawing uses."""
        laid = self.type.lay(content, self.px(size))
        box, left, baseline = self.type.place(laid, xy, anchor)
        if not box.inside(frame.shape[1], frame.shape[0]) or box.w <= 0 or box.h <= 0:
            return None
        if not self._clear(box.inset(-self.space, 0)):
            return None
        fill = clear_behind(frame[box.slices], (self.theme.background, self.theme.faint))
        if fill is None:
            return None  # data behind it
        item = self.type.draw(
            frame,
            laid,
            xy,
            self.colour(colour),
            anchor=anchor,
            role=role,
            placed=(box, left, baseline, fill),
        )
        return self._record(item)

    def _clear(self, box: Box) -> bool:
        """Whether `box` meets no text of the frame (Box.intersects, unrolled: a bar chart
        asks it of every label against every text, every frame)."""
        x0, y0, x1, y1 = box.x, box.y, box.x + box.w, box.y + box.h
        for items in (self.static, self.dynamic):
            for item in items:
                left, top, right, bottom = item.edges
                if x0 < right and left < x1 and y0 < bottom and top < y1:
                    return False
        return True

    def caption(self, frame: np.ndarray, content: str, *, colour: str | RGB = "ink") -> None:
        """The caption region's text, wrapped into its lines (shrunk if a frame needs more)."""
        box, pixels = self.caption_box, self.px("caption")
        lines = self.type.wrap(content, box.w, pixels, cjk=self.words.cjk)
        while len(lines) > self.caption_lines and pixels > 8:
            pixels *= 0.92
            lines = self.type.wrap(content, box.w, pixels, cjk=self.words.cjk)
        if len(lines) > self.caption_lines:  # still too long at the smallest size: the last
            keep = max(1, self.caption_lines) - 1  # line ends in "…", no words lost unsaid
            lines = [*lines[:keep], " ".join(line.strip() for line in lines[keep:])]
        line_h = box.h / max(1, self.caption_lines)
        for i, line in enumerate(lines):
            laid = self.type.fit(line, box.w, pixels)
            y = box.y + line_h * (i + 0.5)
            self._record(
                self.type.draw(
                    frame, laid, (box.x, y), self.colour(colour), anchor="lm", role="caption"
                )
            )

    def _record(self, item: TextItem, keep: bool = False) -> TextItem:
        item.static = keep or not self._framing
        (self.static if item.static else self.dynamic).append(item)
        return item

    def begin_frame(self) -> None:
        """From here on, text belongs to one frame; the previous frame's is forgotten."""
        self._framing = True
        self.dynamic = []

    def texts(self) -> list[TextItem]:
        """Every text of the current frame: static first."""
        return [*self.static, *self.dynamic]

    def strings(self) -> list[str]:
        return [item.content for item in self.texts()]
