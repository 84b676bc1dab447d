"""Text that knows its box: measured, fitted, drawn onto frames, and recorded for the lint.

All text in a frame is drawn here, with one font choice (the shipped Noto Sans SC subset, or a
system or user font when a title needs more), so the boxes, colours and what lies behind
every string can be checked by `tests/test_layout.py`. A tiny markup writes formulas:
`z_{2}` is a subscript, `e^{-x}` a superscript (only in catalogue text, never in user titles).
"""

from __future__ import annotations

import functools
import math
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vizff.draw.box import Box
from vizff.draw.glyphs import SHARED as SHARED_GLYPHS
from vizff.draw.theme import RGB
from vizff.draw.typeface import (
    SCRIPTED,
    FontChoice,
    bold_stroke,
    find_font,
    pillow_font,
    plain_text,
)

MIN_PIXELS = 8  # smaller text is not legible at any size


def least_pixels(pixels: float, smallest: float | None = None) -> int:
    """The smallest size `Typesetter.fit` shrinks text of `pixels` to before it cuts it:
    `smallest`, else 70% of the size, never under MIN_PIXELS."""
    return max(MIN_PIXELS, round(smallest or pixels * 0.7))


PICTURE_BYTES = 16 * 2**20  # drawn strings kept for reuse; a caption new every frame cycles
# \x is x itself; _{...} and ^{...} are sub/superscripts, as are _abc and ^abc (letters/digits)
MARKUP = re.compile(r"\\(.)|([_^])\{([^{}]*)\}|([_^])([A-Za-z0-9]+)")
SCRIPT_SCALE = 0.68  # sub- and superscripts, relative to their line
SHIFT = {"_": 0.22, "^": -0.38}  # baseline shift, in line pixels (down is positive)


@dataclass(frozen=True)
class Run:
    text: str
    face: ImageFont.FreeTypeFont
    dy: int  # baseline shift in pixels
    x: float  # offset from the start of the line
    stroke: int = 0  # outline width for a bold the font does not have (synthetic bold)


@dataclass
class Laid:
    """A line of text laid out at one size: its runs, advance width and vertical extent."""

    runs: list[Run]
    width: int
    ascent: int  # above the baseline, line box (not ink)
    descent: int  # below the baseline
    pixels: int
    key: tuple = ()  # what was laid out, at which size: names cached pictures of it
    extent: tuple[int, int, int, int] = (0, 0, 0, 0)  # box of line and ink, from the origin


@dataclass
class TextItem:
    """One string as drawn: what it says, where, in which colour, and on what."""

    content: str
    box: Box
    colour: RGB
    fill: RGB | None  # the flat colour behind it, None when what is behind is not flat
    role: str
    patch: np.ndarray = field(repr=False)  # the box's pixels right after drawing
    static: bool = False
    source: str = ""  # what was laid out, markup and all (`content`: the characters drawn)
    edges: tuple[int, int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # left, top, right, bottom: for Page.fits's many checks
        box = self.box
        self.edges = (box.x, box.y, box.x + box.w, box.y + box.h)


class Typesetter:
    """Lays out and draws text in one font choice; faces are cached per size and weight."""

    def __init__(self, choice: FontChoice | None = None):
        self.choice = choice or find_font("")
        self._laid: dict[tuple, Laid] = {}
        self._widths: dict[tuple, int] = {}  # widths by advances, where nothing was laid
        self._pictures: OrderedDict[tuple, np.ndarray] = OrderedDict()  # least recent first
        self._picture_bytes = 0
        self.glyphs = SHARED_GLYPHS

    def face(self, pixels: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        return pillow_font(self.choice, max(MIN_PIXELS, int(pixels)), bold)

    def lay(self, content: str, pixels: float, *, bold: bool = False, markup: bool = True) -> Laid:
        """Split `content` into runs (plain, sub, super) and measure them at `pixels`."""
        pixels = max(MIN_PIXELS, int(round(pixels)))
        key = (content, pixels, bold, markup)
        return _kept(self._laid, key, lambda: self._lay(content, pixels, bold, markup))

    def _runs(self, content: str, pixels: int, bold: bool, markup: bool):
        """(text, script, face, stroke) of each run of `content` (plain, sub, super), as both
        laying out and measuring a width take them."""
        face = self.face(pixels, bold)
        small = self.face(max(MIN_PIXELS - 1, round(pixels * SCRIPT_SCALE)), bold)
        stroke = bold_stroke(self.choice, pixels) if bold else 0
        for text, script in _pieces(content) if markup else [(content, "")]:
            if text:
                yield text, script, small if script else face, stroke

    def _lay(self, content: str, pixels: int, bold: bool, markup: bool) -> Laid:
        content = plain_text(content, self.choice)  # no box for a space the font lacks
        ascent, descent = self.face(pixels, bold).getmetrics()
        runs, boxes, x = [], [], 0.0
        for text, script, run_face, stroke in self._runs(content, pixels, bold, markup):
            measured = None if stroke else self.glyphs.measure(run_face, text)
            if measured is None:  # Pillow measures: a bold stroke, or a face it must draw
                measured = (
                    run_face.getlength(text),
                    run_face.getbbox(text, anchor="ls", stroke_width=stroke),
                )
            run = Run(text, run_face, round(SHIFT.get(script, 0) * pixels), x, stroke)
            runs.append(run)
            boxes.append(measured[1])
            x += measured[0] + 2 * stroke
        top, bottom, ink_left, ink_right = -ascent, descent, 0.0, x
        for run, (x0, y0, x1, y1) in zip(runs, boxes):  # ink may pass the advance box
            ink_left, ink_right = min(ink_left, run.x + x0), max(ink_right, run.x + x1)
            top, bottom = min(top, run.dy + y0), max(bottom, run.dy + y1)
        extent = (math.floor(ink_left), top, math.ceil(ink_right), bottom)
        key = (content, pixels, bold, markup)
        return Laid(runs, math.ceil(x), ascent, descent, pixels, key, extent)

    def draw(
        self,
        frame: np.ndarray,
        laid: Laid,
        xy: tuple[float, float],
        colour: RGB,
        *,
        anchor: str = "ls",
        role: str = "text",
        quiet: tuple[RGB, RGB] | None = None,
        placed: tuple[Box, int, int, RGB] | None = None,
    ) -> TextItem:
        """Draw a laid-out line on `frame` (in place) and return its record.

        `anchor`: first letter l/m/r (left, middle, right), second t/m/s/b (top of the line
        box, its middle, the baseline, its bottom), as in Pillow. `quiet`: the page and grid
        colours; a box over nothing but those (a grid line) is cleared to its main colour
        first, so text may cross a grid but never data. A string drawn again in the same
        colour on the same flat colour is copied from its first picture. `placed`: what
        `quiet_area` found for this text at `xy` on this frame (box, left end, baseline and the
        flat colour now behind it), when the caller checked that first.
        """
        if placed is not None:
            box, left, baseline, fill = placed
            clipped, region = box, frame[box.slices]
        else:
            box, left, baseline = self.place(laid, xy, anchor)
            clipped = box.clip(frame.shape[1], frame.shape[0])
            region = frame[clipped.slices]
        text = "".join(run.text for run in laid.runs)
        if clipped.w <= 0 or clipped.h <= 0:  # wholly outside the frame: nothing to draw
            return TextItem(text, box, colour, None, role, region.copy(), source=laid.key[0])
        if placed is None:
            fill = clear_behind(region, quiet)
        key = (laid.key, colour, fill, clipped.x - box.x, clipped.y - box.y, clipped.w, clipped.h)
        picture = self._pictures.get(key) if fill is not None else None
        if picture is not None:
            self._pictures.move_to_end(key)
        if picture is None:
            picture = region.copy()
            for run in laid.runs:
                origin = (left - clipped.x + run.x, baseline - clipped.y + run.dy)
                if not run.stroke and self.glyphs.draw(picture, run.face, run.text, origin, colour):
                    continue  # the same pixels, from glyphs rasterised once
                image = Image.fromarray(picture)
                ImageDraw.Draw(image).text(
                    origin,
                    run.text,
                    font=run.face,
                    fill=colour,
                    anchor="ls",
                    stroke_width=run.stroke,
                    stroke_fill=colour,
                )
                picture = np.array(image)
            if fill is not None:
                self._keep(key, picture)
        frame[clipped.slices] = picture
        return TextItem(text, box, colour, fill, role, picture, source=laid.key[0])

    def _keep(self, key: tuple, picture: np.ndarray) -> None:
        """Keep a drawn string within PICTURE_BYTES, forgetting the least recently used: a
        render's memory does not grow with its frames however many new strings they show."""
        self._pictures[key] = picture
        self._picture_bytes += picture.nbytes
        while self._picture_bytes > PICTURE_BYTES and len(self._pictures) > 1:
            _, old = self._pictures.popitem(last=False)
            self._picture_bytes -= old.nbytes

    def place(self, laid: Laid, xy: tuple[float, float], anchor: str) -> tuple[Box, int, int]:
        """(the box the text will cover, its left end, its baseline) when drawn at `xy`."""
        x, y = xy
        across, down = anchor[0], anchor[1]
        if across == "l":
            left = x
        elif across == "m":
            left = x - laid.width / 2
        elif across == "r":
            left = x - laid.width
        else:
            raise KeyError(across)
        if down == "t":
            baseline = y + laid.ascent
        elif down == "m":
            baseline = y + (laid.ascent - laid.descent) / 2
        else:  # "s": on the baseline; "b" (or any other): the bottom of the line box
            baseline = y if down == "s" else y - laid.descent
        left, baseline = round(left), round(baseline)
        x0, y0, x1, y1 = laid.extent
        return Box(left + x0, baseline + y0, x1 - x0, y1 - y0), left, baseline

    def width(self, content: str, pixels: float, *, bold: bool = False, markup: bool = True) -> int:
        """`lay(...).width`, from the advances alone: no glyph is drawn to measure."""
        pixels = max(MIN_PIXELS, int(round(pixels)))
        key = (content, pixels, bold, markup)
        laid = self._laid.get(key)
        if laid is not None:
            return laid.width
        return _kept(self._widths, key, lambda: self._width(content, pixels, bold, markup))

    def _width(self, content: str, pixels: int, bold: bool, markup: bool) -> int:
        """The pen's travel as `_lay` moves it, run by run."""
        x = 0.0
        for text, _, run_face, stroke in self._runs(
            plain_text(content, self.choice), pixels, bold, markup
        ):
            advance = None if stroke else self.glyphs.advance(run_face, text)
            if advance is None:
                advance = run_face.getlength(text)
            x += advance + 2 * stroke
        return math.ceil(x)

    def fit(
        self,
        content: str,
        width: float,
        pixels: float,
        *,
        bold: bool = False,
        smallest: float | None = None,
        markup: bool = True,
    ) -> Laid:
        """Laid out at the largest size from `pixels` down to `smallest` that fits `width`;
        if none does, cut with an ellipsis at the smallest size."""
        smallest = least_pixels(pixels, smallest)
        size = max(MIN_PIXELS, round(pixels))
        while True:  # measured by advances: only the size chosen is laid (its glyphs drawn)
            wide = self.width(content, size, bold=bold, markup=markup)
            if wide <= width or size <= smallest:
                break
            size -= 1
        if wide <= width:
            return self.lay(content, size, bold=bold, markup=markup)
        cut = self.cut(content, width, size, bold, markup=markup)
        return self.lay(cut, size, bold=bold, markup=markup)

    def cut(
        self, content: str, width: float, pixels: int, bold: bool = False, *, markup: bool = True
    ) -> str:
        """The longest start of `content` that fits `width` with an ellipsis, cut between
        characters and never inside markup (`W_{12}` is kept whole or left out), so what is
        raised or lowered stays so: a subtitle cut at 480x270 showed `h = 10⁻⁵` as `h = 10−5`."""
        inside = set()
        if markup:
            for match in MARKUP.finditer(content):
                inside.update(range(match.start() + 1, match.end()))
        ends = [i for i in range(len(content) + 1) if i not in inside]

        def fits(end: int) -> bool:
            shown = content[:end].rstrip() + "…"
            return self.width(shown, pixels, bold=bold, markup=markup) <= width

        low, high = 0, len(ends) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if fits(ends[middle]):
                low = middle
            else:
                high = middle - 1
        return content[: ends[low]].rstrip() + "…"

    def wrap(
        self,
        content: str,
        width: float,
        pixels: float,
        *,
        bold: bool = False,
        cjk: bool = False,
        phrases: float | None = None,
    ) -> list[str]:
        """Greedy line breaks: at the wide gaps between fields first, then at spaces (or
        between any two characters in Chinese). `phrases`: the line width against which a
        phrase or formula counts as short enough to keep whole (`width` if not given)."""
        lines: list[str] = []

        def length(token: str) -> int:  # as drawn: `tₖ` and `W_{1}` lowered, `\_` one glyph
            return self.width(token, pixels, bold=bold)

        share = PHRASE_SHARE * (width if phrases is None else phrases)

        for chunk in content.split("\n"):
            if self.width(chunk, pixels, bold=bold) <= width:
                lines.append(chunk)
                continue
            current, used = "", 0.0
            for token in _tokens(chunk, cjk, lambda t: length(t) > share):
                size = length(token if current else token.lstrip())
                if current and used + size > width:
                    lines.append(current.rstrip())
                    current, used = token.lstrip(), length(token.lstrip())
                else:
                    current, used = current + (token if current else token.lstrip()), used + size
            lines.append(current.rstrip())
        return lines


def _kept(store: dict, key: tuple, make: Callable[[], Any]) -> Any:
    """`store[key]`, made by `make()` the first time; the store is emptied past 4,096."""
    value = store.get(key)
    if value is None:
        if len(store) > 4096:
            store.clear()
        value = store[key] = make()
    return value


def _pieces(content: str, *, scripted: bool = True) -> list[tuple[str, str]]:
    """`z_2 = e^{-x}` -> [("z", ""), ("2", "_"), (" = e", ""), ("-x", "^")]. `scripted`:
    Unicode's superscript and subscript characters too (`10⁻⁵` -> [("10", ""), ("−5", "^")]),
    which fonts mostly lack (a teacher's title writes them so)."""
    pieces: list[tuple[str, str]] = []
    last = 0
    for match in MARKUP.finditer(content):
        before = content[last : match.start()]
        if match[1] is not None:  # an escaped character joins the plain text
            pieces.append((before + match[1], ""))
        else:
            pieces.append((before, ""))
            pieces.append((match[3], match[2]) if match[2] else (match[5], match[4]))
        last = match.end()
    pieces.append((content[last:], ""))
    if scripted and any(c in SCRIPTED for text, _ in pieces for c in text):
        pieces = [part for piece in pieces for part in _unicode_scripts(*piece)]
    merged: list[tuple[str, str]] = []
    for text, script in pieces:  # neighbouring plain pieces become one run (kerning)
        if merged and not script and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + text, "")
        else:
            merged.append((text, script))
    return merged


def _unicode_scripts(text: str, script: str) -> list[tuple[str, str]]:
    """A plain piece split where its characters are superscripts or subscripts: each run of
    them a piece of their base characters, marked "^" or "_" (`x²` -> ("x", ""), ("2", "^"))."""
    if script:
        return [(text, script)]
    parts: list[tuple[str, str]] = []
    for c in text:
        base, kind = SCRIPTED.get(c, (c, ""))
        if parts and parts[-1][1] == kind:
            parts[-1] = (parts[-1][0] + base, kind)
        else:
            parts.append((base, kind))
    return parts


PHRASE_SHARE = 0.6  # Chinese phrases up to this share of a line are kept whole
CJK_STOPS = "、，：；。！？）」』"  # a line may end after these


BREAK = r"[^\S\xa0]"  # a space a line may break at: any but the no-break space
WORD = r"(?:\S|\xa0)"


OPERATORS = frozenset("=+-−×·/<>≈≠≤≥→")  # a line never ends or starts at one standing alone


def _tokens(text: str, cjk: bool, too_long=lambda token: False) -> list[str]:
    """Break opportunities: words with their leading spaces. In Chinese, which has no spaces,
    the phrases between punctuation marks (a line then ends after 、，： rather than inside
    a word such as 激活函数), each broken between any two characters only where it is longer
    than `too_long` allows. An operator standing between spaces holds on to the words either
    side: a title of one's own, `误差 E = −Σ t log y`, never breaks as `E =` over `−Σ`."""
    tokens = _bound(_breaks(text, cjk, too_long))
    return _latin_runs(tokens, too_long) if cjk else _formulas(tokens, too_long)


# what marks a word as part of a formula: an operator, a digit, a Greek letter, a raised or
# lowered character, a mathematical symbol (∂ Σ √ ∞ ⊙), or markup's _ and ^ (not the hyphen
# or slash of `cross-entropy` and `and/or`: a lone one is an operator, bound by `_bound`)
MATHY = re.compile(r"[=+−×·<>≈≠≤≥→\d_^\u0370-\u03ff\u00b2\u00b3\u00b9\u2070-\u209f"
                   r"\u1d62-\u1d6a\u2200-\u22ff]")  # fmt: skip
ENDS_CLAUSE = (",", ";", ":", "，", "；", "：", "。")


def _mathy(token: str) -> bool:
    word = token.strip()
    return MATHY.search(word) is not None or (len(word) == 1 and word.isalpha())


def _formulas(tokens: list[str], too_long) -> list[str]:
    """English tokens with each formula kept on one line where it is not too long: words that
    look like mathematics (`E`, `−Σ`, `tₖ`, `10⁻⁵`) next to each other, and a short word
    between two of them (`log`), are joined; a clause's comma ends a formula. A teacher's
    `E = −Σ tₖ log yₖ` broke as `E = −Σ` over `tₖ log yₖ`."""
    joined: list[str] = []
    marks = [_mathy(token) for token in tokens]
    last = False  # the token before is part of a formula
    for index, token in enumerate(tokens):
        word, mathy = token.strip(), marks[index]
        following = index + 1 < len(tokens) and marks[index + 1]
        bridge = not mathy and last and following and word.isalpha() and len(word) <= 3
        if (
            joined
            and last
            and (mathy or bridge)
            and not joined[-1].rstrip().endswith(ENDS_CLAUSE)
            and not too_long(joined[-1] + token)
        ):
            joined[-1] += token
        else:
            joined.append(token)
        last = mathy or bridge
    return joined


def _bound(tokens: list[str]) -> list[str]:
    """`tokens` with each lone operator joined to the token before it and the one after."""
    joined: list[str] = []
    glue = False
    for token in tokens:
        lone = token.strip() in OPERATORS and token.strip() != ""
        if joined and (glue or lone):
            joined[-1] += token
        else:
            joined.append(token)
        glue = lone
    return joined


def _breaks(text: str, cjk: bool, too_long) -> list[str]:
    if not cjk:  # a no-break space (U+00A0) joins its neighbours: `loss −log p[7] = 0.17`
        return re.findall(rf"{BREAK}*{WORD}+", text)
    tokens = []
    phrases = rf"{BREAK}*(?:[^\s{CJK_STOPS}]|\xa0)+[{CJK_STOPS}]*|{BREAK}*[{CJK_STOPS}]+"
    for phrase in re.findall(phrases, text):
        if too_long(phrase):
            tokens += re.findall(
                rf"{BREAK}*(?:{LATIN}|\S)[{CJK_STOPS}]*", phrase
            )  # 、 never opens a line
        else:
            tokens.append(phrase)
    return tokens


# formulas, names, numbers: with raised and lowered characters (tₖ, 10⁻⁵) and ∂ Σ √ ∞ ⊙
LATIN = (
    r"[A-Za-z0-9.,:;%+\-−=/()\[\]{}_^<>≈×·\u0370-\u03ff\xa0\u00b2\u00b3\u00b9\u2070-\u209f"
    r"\u1d62-\u1d6a\u2200-\u22ff]+"
)


def _latin_runs(tokens: list[str], too_long) -> list[str]:
    """Chinese tokens with each run of Latin words between them joined where the run is not
    too long: `交叉熵误差 E = −Σ t log y，` never breaks inside `E = −Σ t log y`; and a run
    held to the phrase it follows with no mark between them where both are short enough
    together: `学习率 η = 0.1` (a name and its value) rather than `学习率` over `η = 0.1`."""
    runs: list[str] = []
    for token in tokens:
        last = runs[-1] if runs else ""
        if (
            _is_latin(token)
            and _is_latin(last)
            and last.rstrip()[-1] not in CJK_STOPS
            and not too_long(last + token)
        ):
            runs[-1] = last + token
        else:
            runs.append(token)
    held: list[str] = []  # then each whole run to the phrase before it, where both fit
    number = False  # the token before, a short word held to its phrase, takes the next too
    for token in runs:
        last = held[-1] if held else ""
        latin = _is_latin(token)
        joins = latin and last and not _is_latin(last)
        # a number or a letter between two phrases with no mark holds on to both: `均从 0
        # 数起`, `第 j 行` and `训练 300 步` never break beside it (`（均从 0` over `数起）`)
        joins = joins or (number and not latin)
        if joins and last.rstrip()[-1] not in CJK_STOPS and not too_long(last + token):
            held[-1] = last + token
            number = latin and re.fullmatch(r"\s*(?:[\d.,]+%?|\w)\s*", token) is not None
        else:
            held.append(token)
            number = False
    return held


def _is_latin(token: str) -> bool:
    return re.fullmatch(rf"\s*{LATIN}(?:\s+{LATIN})*[{CJK_STOPS}]*", token) is not None


def escape(text: str) -> str:
    """User text drawn as written: markup characters are not interpreted."""
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("^", "\\^")


FLAT_BYTES = 64 * 1024  # up to this, _flat compares bytes; past it, rows in numpy


def _flat(region: np.ndarray) -> RGB | None:
    """The one colour of a region, or None when it holds several (something drawn there).
    A label's box (up to FLAT_BYTES) is compared as bytes against its first pixel repeated:
    2 microseconds where numpy's comparisons and reductions take 10. A larger box (a caption
    at 1920x1080) a row of bytes at a time in numpy: every row the same as the first, and
    the first the same colour repeated (bytes would allocate and fault in fresh pages)."""
    if region.size == 0:
        return None
    if region.size <= FLAT_BYTES:
        data = region.tobytes()  # (h, w, 3) in C order
        first = data[:3]
        if data == first * region.shape[1] * region.shape[0]:  # a row, then the rows
            return (first[0], first[1], first[2])
        return None
    rows = region.reshape(region.shape[0], -1)  # a view: each row's pixels are contiguous
    top = rows[0]
    if (top[3:] == top[:-3]).all() and (rows == top).all():
        return tuple(top[:3].tolist())
    return None


def clear_behind(region: np.ndarray, quiet: tuple[RGB, RGB] | None) -> RGB | None:
    """The one colour behind a text's box, or None when something is drawn there. Where only
    the page and grid colours (`quiet`) are, a grid line crossing it is hidden first: the
    region is cleared to the area's own colour, and that is the colour returned."""
    fill = _flat(region)
    if fill is None and quiet is not None and region.size and _within(region, *quiet):
        fill = _commoner(region, *quiet)
        region[:] = fill
    return fill


def _within(region: np.ndarray, first: RGB, second: RGB) -> bool:
    """Every pixel lies between two colours, channel by channel (a line's antialiased edge).
    Compared a row of bytes at a time against the bounds repeated along a row."""
    if region.size == 0:
        return True
    rows = region.reshape(region.shape[0], -1)  # a view: each row's pixels are contiguous
    low, high = _row_bounds(tuple(first), tuple(second), region.shape[1])
    return bool(((rows >= low) & (rows <= high)).all())


@functools.lru_cache(maxsize=64)
def _row_bounds(first: RGB, second: RGB, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The channel-wise low and high of two colours, repeated for a row of `width` pixels."""
    low = np.minimum(np.asarray(first, np.uint8), np.asarray(second, np.uint8))
    high = np.maximum(np.asarray(first, np.uint8), np.asarray(second, np.uint8))
    return np.tile(low, width), np.tile(high, width)


def _commoner(region: np.ndarray, first: RGB, second: RGB) -> RGB:
    """The colour most pixels of `region` are: the area's own colour, that the text is drawn
    on. Usually the page or a grid line's colour holds half the pixels or more, which makes it
    the most common; counting those two is cheap enough for every label of every frame. Else
    (a shaded band crossed by a grid line) every colour there is counted."""
    pixels = region.reshape(-1, 3)
    for colour in (first, second):
        same = np.count_nonzero((pixels == np.asarray(colour, np.uint8)).all(axis=1))
        if 2 * same >= len(pixels):
            return tuple(int(v) for v in colour)
    packed = pixels.astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], np.uint32)
    values, counts = np.unique(packed, return_counts=True)
    top = int(values[counts.argmax()])
    return (top >> 16, (top >> 8) & 255, top & 255)
