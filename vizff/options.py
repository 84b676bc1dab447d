"""Every option, declared once: its key, kind, default, range or choices, help and group.

The CLI's flags, the scene-file and storyboard keys, the Python keywords, the checks and the
`vizff scenes NAME` listing are all derived from these declarations. A scene takes the output
and look groups, the groups it names in `Scene.takes`, and its own `Scene.OPTIONS`.
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vizff.errors import (
    UNSET,
    Cli,
    File,
    OptionError,
    Python,
    Source,
    printable,
    shorten,
    toml_literal,
)

MIN_SIZE, MAX_SIZE = (160, 90), (3840, 2160)
SIZE_NAMES = {
    "360p": (640, 360), "480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080),
    "1440p": (2560, 1440), "2160p": (3840, 2160), "4k": (3840, 2160),
}  # fmt: skip
MAX_SEED = 2**63 - 1
MAX_STEPS = 1_000_000  # about 1,000 epochs of full MNIST at batch 64: hours of backprop
MAX_EPOCHS = 1000
MAX_UNITS = 4096  # per hidden layer: far past anything a heatmap can show


@dataclass(frozen=True)
class Option:
    """One option: how it is named, read from text or values, checked, and described."""

    key: str  # Python keyword and file key; the CLI flag is --key-with-dashes
    kind: str  # int float str bool size hidden ints names bytes path
    default: Any
    help: str
    group: str = "scene"  # output look data seed training (shared) | scene (a scene's own)
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    metavar: str = ""
    blank: bool = True  # a string of only spaces is taken (False: refused, for a title)

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")

    def read(self, value: Any, source: Source) -> Any:
        """The checked value; a string from the command line is parsed first."""
        given = value
        try:
            if isinstance(value, str) and (isinstance(source, Cli) or self._listed(value)):
                value = self._parse(value)
            return self._check(value)
        except OptionError as error:
            error.source, error.value = source, given  # quoted back as the user wrote it
            raise

    def _fail(self, problem: str, given: Any = UNSET) -> OptionError:
        return OptionError(self.key, problem, given=given)

    def _listed(self, text: str) -> bool:
        """A list written as the command line writes it, `"16,8"`, in a file or from Python:
        taken as the list it can only mean (the errors' examples are written so)."""
        return self.kind in ("ints", "hidden", "names") and "," in text

    def _parse(self, text: str) -> Any:
        """A value typed on the command line, as the value a file would hold."""
        if self.kind == "int":
            try:
                return int(text.replace("_", ""))
            except ValueError:
                pass
            try:  # `3.0` and `1e3` are whole numbers too, as in a scene file
                number = float(text)
            except ValueError:
                number = math.nan
            if math.isfinite(number) and number.is_integer():
                return int(number)
            raise self._fail("expected a whole number")
        if self.kind == "float":
            try:
                return float(text)
            except ValueError:
                raise self._fail("expected a number") from None
        if self.kind == "bool":
            lowered = text.strip().lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise self._fail("expected true or false")
        if self.kind == "ints" or (self.kind == "hidden" and "," in text):
            parts = [part.strip() for part in text.split(",")]
            if text.strip() and not all(parts):  # 32,,16 or 32, : a number left out
                like = "32,16" if self.kind == "hidden" else "0,1,2"
                raise self._fail(f"a number is missing between commas; write them like {like}")
            return [part for part in parts if part]
        if self.kind == "names" and "," in text:  # `cat,`: a list of one name
            names = [part.strip() for part in text.split(",")]
            return names[:-1] if len(names) > 1 and not names[-1] and names[-2] else names
        return text

    def _check(self, value: Any) -> Any:
        check = getattr(self, f"_check_{self.kind}")
        return check(value)

    def _range(self, value: float) -> None:
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise self._fail(f"must be {self._span()}")

    def _span(self) -> str:
        low, high = self.low, self.high
        number = "{:,}" if self.kind in ("int", "bytes") else "{:g}"
        if high is None:
            return f"at least {number.format(low)}"
        return f"{number.format(low)} to {number.format(high)}"

    def _check_int(self, value: Any) -> int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = int(value)  # numpy's integers too: np.int64(3) is a whole number
        if isinstance(value, bool) or not isinstance(value, int):
            real = isinstance(value, numbers.Real) and not isinstance(value, bool)
            whole = real and math.isfinite(float(value))
            if whole and float(value).is_integer() and abs(float(value)) < 2**63:
                value = int(value)  # 3.0, and numpy's np.float32(3.0) alike
            else:
                raise self._fail("expected a whole number", given=value)
        self._range(value)
        return value

    def _check_float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self._fail("expected a number", given=value)
        try:
            value = float(value)  # numpy's float32 and integers too
        except OverflowError:  # a whole number past float's range (TOML and Python allow it)
            value = math.inf if value > 0 else -math.inf
            if self.low is not None or self.high is not None:
                raise self._fail(f"must be {self._span()}") from None
        if not math.isfinite(value):
            raise self._fail("must be a finite number")
        self._range(value)
        return value

    def _check_str(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self._fail("expected a string", given=value)
        if self.choices and value not in self.choices:
            same = [choice for choice in self.choices if choice.lower() == value.strip().lower()]
            if same:  # `ZH`, `Dark `: the choice meant, as the choices spell it
                return same[0]
            hint = close_match(value, self.choices)
            raise self._fail(f"must be one of {', '.join(self.choices)}{hint}")
        if self.high is not None and len(value) > self.high:
            raise self._fail(f"at most {self.high:g} characters")
        if not self.blank and not value.strip():
            raise self._fail(f"is blank; write one, or leave {self.key} out for the scene's own")
        if self.key in WORDED:  # every way text breaks a line is one: \r, U+2028 ... as \n
            value = LINE_BREAKS.sub("\n", value)
        return value

    def _check_path(self, value: Any) -> str:
        if isinstance(value, Path):
            value = str(value)
        if self.key == "data" and isinstance(value, str) and not value.strip():
            raise self._fail("is empty; give sample, mnist or a folder of IDX files")
        if self.key == "out" and hasattr(value, "write"):  # io.BytesIO(), open(...)
            raise self._fail(
                "expected a file or folder name, not a file object; without out, the render's "
                "bytes are its result's .data"
            )
        if not isinstance(value, str) or not value.strip():
            raise self._fail("expected a file or folder name")
        if "\0" in value:
            raise self._fail("a path cannot hold a NUL character")
        if self.key == "out":
            check_output_name(value, self._fail)
        if self.key == "data":
            from vizff.files import data_source

            return data_source(value)
        return value

    def _check_bool(self, value: Any) -> bool:
        if (
            type(value).__module__ == "numpy"
            and getattr(value, "shape", None) == ()
            and value.dtype == bool
        ):
            value = bool(value)  # np.True_, from a comparison in a notebook
        if not isinstance(value, bool):
            raise self._fail("expected true or false", given=value)
        return value

    def _check_size(self, value: Any) -> tuple[int, int]:
        return parse_size(plain_ints(value), self._fail)

    def _check_hidden(self, value: Any) -> tuple[int, ...]:
        value = plain_ints(value)
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            value = [value]
        sizes = self._int_list(value, "layer sizes such as 32 or 32,16")
        if not sizes:
            raise self._fail("give at least one hidden layer, e.g. 32")
        if not all(1 <= size <= MAX_UNITS for size in sizes):
            raise self._fail(f"each hidden layer holds 1 to {MAX_UNITS:,} units")
        if len(sizes) > 8:
            raise self._fail("at most 8 hidden layers")
        return sizes

    def _check_ints(self, value: Any) -> tuple[int, ...]:
        value = plain_ints(value)
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        values = self._int_list(value, "whole numbers such as [0, 1, 2]")
        if not 1 <= len(values) <= (self.high or 1000):
            raise self._fail(f"give 1 to {self.high or 1000:g} numbers")
        if any(n < (self.low or 0) for n in values):
            raise self._fail(f"each must be at least {self.low or 0:g}")
        return values

    def _int_list(self, value: Any, expected: str) -> tuple[int, ...]:
        if not isinstance(value, (list, tuple)):
            raise self._fail(f"expected {expected}", given=value)
        numbers = []
        for item in value:
            if isinstance(item, str) and item.strip().lstrip("-").isdigit():
                item = int(item)
            if isinstance(item, bool) or not isinstance(item, int):
                raise self._fail(f"expected {expected}")
            numbers.append(item)
        return tuple(numbers)

    def _check_names(self, value: Any) -> str | tuple[str, ...]:
        if type(value).__module__ == "numpy" and getattr(value, "ndim", None) in (0, 1):
            value = value.tolist()  # np.array(["cat", "dog"]), np.str_("fashion")
        if isinstance(value, str):
            if value in self.choices:
                return value
            hint = close_match(value, self.choices)
            raise self._fail(
                f"must be one of {', '.join(self.choices)}{hint}, or a list of up to ten names"
                + (
                    ""
                    if hint or not value.strip()
                    else f' (one name alone: ⟨classes "{value.strip()},"⟩)'
                )
            )
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise self._fail(f"expected {' or '.join(self.choices)}, or a list of up to ten names")
        names = tuple(str(v).strip() for v in value)
        long = next((n for n in names if len(n) > 40), None)
        if long is not None:
            raise self._fail(
                f'the name "{printable(long[:20])}…" has {len(long)} characters; give each 1 to 40'
            )
        if not 1 <= len(names) <= 10 or not all(names):
            raise self._fail("give up to ten names, one per label from 0, each 1 to 40 characters")
        # data of fewer classes (3 labels: cat,dog,bird): the network still has ten outputs,
        # and those without a name are shown as their label's number
        names += tuple(str(label) for label in range(len(names), 10))
        twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if twice is not None:  # two labels by one name: a frame could not tell them apart
            raise self._fail(f'give different names ("{twice}" names two labels)')
        return names

    def _check_bytes(self, value: Any) -> int:
        if isinstance(value, str):
            value = parse_bytes(value, self._fail)
        return self._check_int(value)


def plain_ints(value: Any) -> Any:
    """Whole numbers as Python's ints: numpy's integers, and whole-valued floats (640.0,
    np.float64(4.0), as 3.0 is taken for a count); an array or a list or tuple of them
    becomes a list or tuple of int (a notebook's `np.array([8., 4.])` or `arr.shape`);
    anything else is returned as it is, for the check to name."""
    if _whole_number(value):
        return int(value)
    if (
        type(value).__module__ == "numpy"
        and hasattr(value, "tolist")
        and getattr(value, "ndim", 0) == 1
    ):
        value = value.tolist()
    if isinstance(value, (list, tuple)) and any(_whole_number(v) for v in value):
        return type(value)(int(v) if _whole_number(v) else v for v in value)
    return value


def _whole_number(value: Any) -> bool:
    """A number other than a Python int or bool whose value is whole (and within int64)."""
    if isinstance(value, (bool, int)) or not isinstance(value, numbers.Real):
        return False
    if isinstance(value, numbers.Integral):
        return True
    number = float(value)
    return math.isfinite(number) and number.is_integer() and abs(number) < 2**63


def close_match(word: str, choices: Iterable[str]) -> str:
    """`; did you mean "tanh"?` when a choice is close to what was typed, else ``."""
    spelled = {choice.lower(): choice for choice in choices}  # `Activaton` finds activation
    typed = str(word).lower()
    # a choice with other digits is another value, not a misspelling: float16 is not float64
    same_digits = [c for c in spelled if digits(c) == digits(typed)]
    found = difflib.get_close_matches(typed, same_digits, n=1, cutoff=0.6)
    if not found:
        return ""
    return f' (did you mean "{spelled[found[0]]}"?)'


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def parse_size(value: Any, fail=None) -> tuple[int, int]:
    """`1280x720`, `720p` or (1280, 720) -> (1280, 720), within MIN_SIZE..MAX_SIZE."""
    fail = fail or (lambda problem: OptionError("size", problem, value=value))
    if isinstance(value, str):
        text = value.strip().lower()
        if text in SIZE_NAMES:
            return SIZE_NAMES[text]
        match = re.fullmatch(r"(\d{1,6})\s*[x×]\s*(\d{1,6})", text)
        if not match and re.fullmatch(r"[-+]?\d+\s*[x×]\s*[-+]?\d+", text):  # -5x5, 10**20x2
            raise fail(size_range())  # written as a size is, but no size: the range is news
        if not match:
            raise fail(
                f"write it as WIDTHxHEIGHT (e.g. 1280x720) or one of {', '.join(SIZE_NAMES)}"
            )
        value = (int(match[1]), int(match[2]))
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise fail('expected a size such as "1280x720", "720p" or [1280, 720]')
    width, height = value
    if not (MIN_SIZE[0] <= width and MIN_SIZE[1] <= height and within_max((width, height))):
        raise fail(size_range())
    return int(width), int(height)


def within_max(size: tuple[int, int]) -> bool:
    """At most 4K, landscape or portrait (2160x3840 for a phone's vertical video)."""
    long, short = max(size), min(size)
    return long <= MAX_SIZE[0] and short <= MAX_SIZE[1]


def largest_scale(size: tuple[int, int]) -> float:
    """How many times larger `size` can be drawn, its shape kept, within 4K (either way)."""
    long, short = max(size), min(size)
    return min(MAX_SIZE[0] / long, MAX_SIZE[1] / short)


def size_range() -> str:
    return (
        f"width must be {MIN_SIZE[0]} to {MAX_SIZE[0]} and height {MIN_SIZE[1]} to "
        f"{MAX_SIZE[1]} pixels, or in portrait up to {MAX_SIZE[1]}x{MAX_SIZE[0]}"
    )


_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2}


def parse_bytes(text: str, fail) -> int:
    """`2MB` -> 2,000,000; `500KB`, `1.5MiB`, `800000`."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match[2].lower() not in _UNITS:
        raise fail("write a size in bytes such as 2MB, 500KB or 800000")
    amount = float(match[1]) * _UNITS[match[2].lower()]
    if not math.isfinite(amount) or amount >= 2**63:
        raise fail("too large a size; write one such as 2MB, 500KB or 800000")
    return int(amount)


# ---- the shared options ---------------------------------------------------------------------
SHARED: tuple[Option, ...] = (
    # output: where and how frames are written
    Option(
        "out",
        "path",
        None,
        "output file (.gif .mp4 .webp .png) or a folder of PNGs",
        "output",
        metavar="PATH",
    ),
    Option("fps", "float", 20.0, "frames per second (GIF: up to 50)", "output", 0.001, 240),
    Option(
        "size",
        "size",
        (640, 360),
        "WIDTHxHEIGHT (to 3840x2160, or 2160x3840), or 360p 720p 1080p 4k",
        "output",
        metavar="WxH",
    ),
    Option("hold", "float", 1.5, "seconds on the last frame", "output", 0, 600),
    Option(
        "frame",
        "int",
        None,
        "for .png: which frame (0-based, -1 the last)",
        "output",
        -(10**9),
        10**9,
    ),
    Option(
        "max_bytes",
        "bytes",
        None,
        "for .gif and .webp: the file never exceeds this (2MB, 500KB); frames, then size, "
        "then colours are reduced as needed",
        "output",
        1,
        10**12,
        metavar="SIZE",
    ),
    Option(
        "poster", "bool", False, "for .mp4: also write NAME.poster.png, its first frame", "output"
    ),
    # look: how a frame reads
    Option(
        "theme", "str", "light", "light, or dark for projectors", "look", choices=("light", "dark")
    ),
    Option("lang", "str", "en", "language of the words on screen", "look", choices=("en", "zh")),
    Option(
        "title",
        "str",
        None,
        "a title of your own instead of the scene's",
        "look",
        high=200,
        blank=False,
    ),
    Option("subtitle", "str", None, "a subtitle of your own", "look", high=300),
    Option(
        "font",
        "path",
        None,
        "a font file to draw every word with: your slides' font, or one with characters "
        "the shipped font lacks",
        "look",
        metavar="PATH",
    ),
    # data
    Option(
        "data",
        "path",
        "sample",
        "sample (embedded) | mnist (download cache) | a folder of IDX files",
        "data",
        metavar="SPEC",
    ),
    Option(
        "classes",
        "names",
        "digits",
        "names of the labels: digits, fashion, or a list (up to ten: the rest are numbered)",
        "data",
        choices=("digits", "fashion"),
    ),
    Option("seed", "int", 0, "seed of every random draw", "seed", 0, MAX_SEED),
    # training: one run shared by every training scene
    Option(
        "hidden",
        "hidden",
        (32,),
        "hidden layer sizes, comma-separated: 32 or 32,16",
        "training",
        metavar="N[,N...]",
    ),
    Option(
        "activation",
        "str",
        "sigmoid",
        "activation of the hidden layers",
        "training",
        choices=("sigmoid", "tanh", "relu"),
    ),
    Option(
        "lr",
        "float",
        None,
        "learning rate (default: by activation and width)",
        "training",
        1e-12,
        1e9,
    ),
    Option("batch_size", "int", 64, "examples per gradient step", "training", 1, 100_000),
    Option(
        "epochs",
        "int",
        None,
        "passes over the train split (instead of steps)",
        "training",
        1,
        MAX_EPOCHS,
    ),
    Option("steps", "int", None, "gradient steps (instead of epochs)", "training", 0, MAX_STEPS),
    Option("every", "int", None, "one frame per this many steps", "training", 1, MAX_STEPS),
    Option(
        "method",
        "str",
        "backprop",
        "backprop | numerical (the lesson's central differences) "
        "| numerical-loop (the same, one loss evaluation at a time)",
        "training",
        choices=("backprop", "numerical", "numerical-loop"),
    ),
    Option(
        "dtype", "str", "float32", "float32 | float64", "training", choices=("float32", "float64")
    ),
    Option(
        "on_diverge",
        "str",
        "stop",
        "stop with an error, or show the divergence",
        "training",
        choices=("stop", "show"),
    ),
)
SHARED_BY_KEY = {option.key: option for option in SHARED}
ALWAYS = ("output", "look")  # groups every scene takes
TRAINING_KEYS = tuple(o.key for o in SHARED if o.group == "training")


def options_of(scene_cls) -> dict[str, Option]:
    """Every option a scene (or command) takes, by key: shared groups first, then its own."""
    groups = set(getattr(scene_cls, "always", ALWAYS)) | set(scene_cls.takes)
    left_out = set(getattr(scene_cls, "excludes", ()))
    also = set(getattr(scene_cls, "also", ()))  # shared options taken one by one
    taken = {
        o.key: o for o in SHARED if (o.group in groups or o.key in also) and o.key not in left_out
    }
    for own in scene_cls.OPTIONS:
        taken[own.key] = own
    return taken


def default_of(scene_cls, key: str) -> Any:
    """A scene's default for `key`: its own override, else the declaration's."""
    if key in scene_cls.DEFAULTS:
        return scene_cls.DEFAULTS[key]
    return options_of(scene_cls)[key].default


@dataclass(frozen=True)
class Settings(Mapping):
    """The checked value of every option a scene takes, and where each given one came from."""

    scene: str
    values: Mapping[str, Any]
    origins: Mapping[str, Source] = field(default_factory=dict)  # only the keys given
    raw: Mapping[str, Any] = field(default_factory=dict)  # the given values, as written

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __getattr__(self, key: str) -> Any:
        values = self.__dict__.get("values")  # absent while unpickling (a worker process)
        if values is None or key not in values:
            raise AttributeError(key)
        return values[key]

    def given(self, key: str) -> bool:
        return key in self.origins

    def source(self, key: str) -> Source:
        return self.origins.get(key, Python())

    def attribute(self, error: OptionError) -> OptionError:
        """Name the option in an error raised by later checks as the user wrote it."""
        if error.source is None:
            error.source = self.source(error.key)
        if error.value is UNSET and error.key in self.origins:
            error.value = self.raw.get(error.key, self.values[error.key])
        return error


Layer = tuple[Mapping[str, Any], Source]  # values as given, and where they were given


WORDED = ("title", "subtitle")  # the user's own words: one string, or one per language
# what str.splitlines() breaks at: Windows' \r\n, an old Mac's \r, Unicode's line and
# paragraph separators, and the controls that also end a line
LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def in_language(value: Any, lang: str | None, source: Source, key: str) -> Any:
    """The user's text: a string as it is, or from a {en = ..., zh = ...} table the entry
    for `lang` (every entry checked when `lang` is None)."""
    if not isinstance(value, dict):
        return value
    languages = SHARED_BY_KEY["lang"].choices
    unknown = [k for k in value if k not in languages]
    if isinstance(source, Python):  # as the caller writes it: title={"en": "...", "zh": "..."}
        example = ", ".join(f'"{code}": "..."' for code in languages)
        written = f"{key}={{{example}}}"
    else:
        example = ", ".join(f'{code} = "..."' for code in languages)
        written = f"{key} = {{{example}}}"
    if unknown:
        problem = (
            f'"{shorten(str(unknown[0]), 40)}" is not a language of vizff '
            f"({', '.join(languages)}): write {written}"
        )  # escaped: a key "\n" split the message in two
        raise OptionError(key, problem, value=value, source=source)
    if not value:
        problem = f"has no text: write {written}, or one string"
        raise OptionError(key, problem, value=value, source=source)
    for code, text in value.items():  # {en = {x = 1}} was read again as a table of languages
        if not isinstance(text, str):
            problem = f"the {code} text must be a string, got {source.kind(text)}"
            raise OptionError(key, problem, value=value, source=source)
    if lang is None:
        return value
    if lang not in value:
        problem = f'no text for lang "{lang}": write {key} = {{{example}}}'
        raise OptionError(key, problem, value=value, source=source)
    return value[lang]


def settle(scene_cls, layers: Iterable[Layer], *, lenient: Source | None = None) -> Settings:
    """Check and merge layers of given values (later layers win) into a scene's Settings.

    A key the scene does not take is an error that says why, except in the layer from the
    `lenient` source (shared settings of a storyboard, or the CLI's options for `render
    --all`), where it is left for the scenes that take it.
    """
    taken = options_of(scene_cls)
    values = {key: default_of(scene_cls, key) for key in taken}
    origins: dict[str, Source] = {}
    raw: dict[str, Any] = {}
    worded: dict[str, tuple[dict, Source]] = {}  # a title per language: chosen by the lang
    for given, source in layers:  # all the layers settle on
        for key, value in given.items():
            if key not in taken:
                if lenient is not None and source == lenient:
                    continue
                raise refuse(scene_cls, key, value, source)
            if value is None and isinstance(source, Python):  # Python's "not given"
                continue
            worded.pop(key, None)
            if key in WORDED and isinstance(value, dict):
                for text in in_language(value, None, source, key).values():
                    taken[key].read(text, source)
                worded[key] = (value, source)
            else:
                values[key] = taken[key].read(value, source)
            origins[key], raw[key] = source, value
    for key, (table, source) in worded.items():
        values[key] = in_language(table, values["lang"], source, key)
    return Settings(scene_cls.name, values, origins, raw)


def refuse(scene_cls, key: str, value: Any, source: Source) -> OptionError:
    """The error for a key a scene does not take: not an option at all, or not this scene's."""
    from vizff.scenes import SCENES

    takers = [name for name, cls in SCENES.items() if key in options_of(cls)]
    if takers:
        problem = (
            f"scene {scene_cls.name} does not take this option (it is for {', '.join(takers)})"
        )
    else:
        known = [*options_of(scene_cls)]
        hint = close_match(key, known)
        problem = f"not an option{hint}; scene {scene_cls.name} takes {', '.join(known)}"
    return OptionError(key, problem, value=value, source=source)


def listing(scene_cls) -> Iterator[str]:
    """`vizff scenes NAME`: the scene's options as a scene file writes them, with their help."""
    taken = options_of(scene_cls)
    for group in ("scene", "training", "data", "seed", "look", "output"):
        keys = [k for k, o in taken.items() if o.group == group]
        if not keys:
            continue
        yield f"  # {GROUP_TITLES[group]}"
        for key in keys:
            default = default_of(scene_cls, key)
            shown = f"{key} = {toml_literal(default)}" if default is not None else f"# {key} ="
            help = taken[key].help
            if key == "size" and hasattr(scene_cls, "MIN_SIZE"):
                help += "; at least {}x{}".format(*scene_cls.MIN_SIZE)
            yield f"  {shown:<30} # {help}"


GROUP_TITLES = {
    "scene": "this scene's own",
    "training": "training (shared by every training scene)",
    "data": "data",
    "seed": "randomness",
    "look": "look and language",
    "output": "output",
}


def file_source(path: Path, part: int | None = None, title: str = "") -> File:
    return File(path, part, title)


OUTPUT_FORMATS = (".gif", ".mp4", ".webp", ".png")


def check_output_name(written: str, fail: Callable[[str], Exception]) -> None:
    """An output name that says two things: `.gif` alone (a hidden folder of PNGs, by the
    rule that a name without an extension is a folder) or `x.gif/` (a folder, or that file?)."""
    path = Path(written)
    if written.strip() == "-":  # the usual name for standard output: not a folder "-"
        raise fail(
            "vizff writes files, not to standard output; name a file, e.g. render.gif, or a "
            "folder for numbered PNGs"
        )
    name = path.name
    if name not in (".", "..") and (name.endswith(".") or name != name.rstrip()):
        meant = name.rstrip(". \t\n\r")
        what = "a space" if name != name.rstrip() else "'.'"
        raise fail(  # `x.gif.` was a folder of PNGs, `x.mp4 ` an unknown format
            f"ends in {what}, which would not name the file it looks like; write {meant!r}"
            if meant
            else f"ends in {what}; name a file, e.g. render.gif"
        )
    if path.name.lower() in OUTPUT_FORMATS:
        raise fail(f"is only an extension; name the file, e.g. render{path.name.lower()}")
    if path.suffix.lower() in OUTPUT_FORMATS and written.endswith(("/", os.sep)):
        raise fail(
            f"ends in / as a folder does, but names a {path.suffix.lower()} file; write it "
            "without the / for that file, or name a folder without an extension for PNGs"
        )
