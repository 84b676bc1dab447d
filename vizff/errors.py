"""The one error base class and its few children; the CLI turns any of them into `error: ...`."""

from __future__ import annotations

import datetime
import functools
import math
import os
import re
import shlex
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar


class VizffError(Exception):
    """Something the user can fix: the message says what was wrong, where, and what to do."""

    exit_code = 1


def users_errors(function: Callable) -> Callable:
    """An entry point of the Python API whose VizffError (the user's to fix: its message says
    what and how) is raised without vizff's own frames, so a notebook shows the user's line
    and the message, not a dozen frames inside vizff. VIZFF_TRACEBACK=1 keeps them all."""

    @functools.wraps(function)
    def entry(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except VizffError as error:
            if not os.environ.get("VIZFF_TRACEBACK"):
                error = error.with_traceback(None)  # only this frame is left: it raises it
            raise error from error.__cause__  # what to do is in the message below

    return entry


class DataError(VizffError):
    """A dataset could not be found, read or trusted."""


class IdxFormatError(DataError):
    """An IDX file's header or body is not what MNIST-format files hold."""


class DownloadError(DataError):
    """No mirror delivered a verified file."""


class ConfigError(VizffError):
    """An option or a scene-file value is out of range or of the wrong type."""

    exit_code = 2


class TrainingDiverged(VizffError):
    """The loss became NaN or infinite."""


class RenderError(VizffError):
    """A frame could not be drawn or written."""


# ---- options named as the user wrote them -------------------------------------------------
MAX_SHOWN = 200  # characters of a value quoted back in a message: a 10 MB string is not echoed
UNSET = object()


def printable(text: str) -> str:
    """`text` on one printable line: a line break, a terminal's escape, a control that turns
    text right to left or a lone surrogate shown escaped (`\\n`, `\\x1b`), as a file name
    is shown back to the user. Other spaces and format characters (an ideographic space, the
    joiner inside an emoji) are shown as they are."""
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if _unshown(c) else c for c in text)


def _unshown(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Cs", "Zl", "Zp") or (
        "\u202a" <= character <= "\u202e" or "\u2066" <= character <= "\u2069"
    )


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` on one printable line (a line break or lone surrogate shown escaped), cut to
    `limit` characters with an ellipsis and the full length when longer."""
    total = len(text)
    text = printable(text[: limit + 1])
    if total <= limit:
        return text
    return f"{text[: limit - 1]}… ({total:,} characters)"


LONG_INT_BITS = 3000  # about 900 digits: past this a whole number is described, not written


def number_text(value: int) -> str:
    """A whole number as digits, or, past LONG_INT_BITS, its first digits and its length
    (Python refuses to write one of over 4,300 digits; a message need not hold them all)."""
    if abs(value).bit_length() <= LONG_INT_BITS:
        return str(value)
    size = abs(value)
    digits = math.floor(size.bit_length() * math.log10(2)) + 1  # or one more than it has
    if size < 10 ** (digits - 1):
        digits -= 1
    lead = size // 10 ** (digits - 6)  # its first six digits
    return f"{'-' if value < 0 else ''}{lead}… ({digits:,} digits)"


def safe_repr(value: Any, depth: int = 0) -> str:
    """repr(), but a whole number too long for Python to write (inside a list too) is
    described by `number_text`, never an error of its own."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return number_text(value)
        except Exception:  # an int subclass whose own methods raise
            return f"<{type(value).__name__}>"
    try:
        return repr(value)
    except ValueError:  # a huge int inside
        if isinstance(value, (list, tuple)) and depth < LITERAL_DEPTH:
            inner = ", ".join(safe_repr(v, depth + 1) for v in value)
            return f"[{inner}]" if isinstance(value, list) else f"({inner})"
        if isinstance(value, dict) and depth < LITERAL_DEPTH:
            inner = ", ".join(f"{k!r}: {safe_repr(v, depth + 1)}" for k, v in value.items())
            return "{" + inner + "}"
        return f"a {type(value).__name__}"
    except Exception:  # an object whose own __repr__ raises: named by its type
        return f"a {type(value).__name__}"


def _plain(value: Any) -> str:
    """str(), with a whole number too long for Python to write described instead."""
    return (
        number_text(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)
    )


def counted(count: int, one: str, many: str | None = None) -> str:
    """`1 test image`, `1,000 test images`: a count and its noun, singular for one."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def some_of(names: list[str], most: int) -> str:
    """`a, b, c and 4 more`: the first `most` names of a list, for a one-line message."""
    rest = len(names) - most
    return ", ".join(names[:most]) + (f" and {rest} more" if rest > 0 else "")


@dataclass(frozen=True)
class Cli:
    """Options typed on the command line: `--batch-size 0`; a key that is no flag of the CLI
    (given as `--set frames=0`) as `--set frames=0`, and the scene as `scene NAME`."""

    flags: ClassVar[frozenset[str]] = frozenset()  # the CLI's own option keys (vizff.cli)
    # keys given as `--set KEY=VALUE`, with the VALUE as typed: named so even where a flag
    # of the key exists (`--set steps=1979-05-27`, not `--steps ...`)
    typed_sets: ClassVar[dict[str, str]] = {}

    def name(self, key: str, value: Any = UNSET) -> str:
        if key in Cli.typed_sets:  # `--set scene=loss` too, not the scene named
            return f"--set {key}={shorten(Cli.typed_sets[key])}"
        if key == "scene":
            return "scene" if value is UNSET else f"scene {shorten(str(value))}"
        if Cli.flags and key not in Cli.flags:
            if value is UNSET:
                return f"--set {key}=..."
            shown = toml_literal(value) if not isinstance(value, str) else value
            return f"--set {key}={shorten(shown)}"
        flag = "--" + key.replace("_", "-")
        if value is UNSET:
            return flag
        if isinstance(value, bool):
            return flag if value else f"--no-{key.replace('_', '-')}"
        if isinstance(value, (tuple, list)):
            shown = ",".join(map(_plain, value))
        else:
            shown = _plain(value)
        if shown != shown.strip() or not shown:  # blank, or spaces at an end: quoted, seen
            return f"{flag} {shlex.quote(shorten(shown))}"
        return f"{flag} {shorten(shown)}"

    def mention(self, key: str, placeholder: str) -> str:
        """Another option, as advice names it: `--font PATH`; a scene's own key that has no
        flag as `--set split=train`."""
        if re.fullmatch(r'"[\w-]+"', placeholder):  # a word: the shell needs no quotes
            placeholder = placeholder[1:-1]
        if Cli.flags and key not in Cli.flags:
            return f"--set {key}={placeholder}"
        return f"--{key.replace('_', '-')} {placeholder}"

    def kind(self, value: Any) -> str:
        return kind_of(value)  # a value read as TOML: `--set frames=true`


@dataclass(frozen=True)
class File:
    """Keys of a scene file or storyboard: `lesson.toml: part 3 ("The network"): lr = 0`."""

    path: Path
    part: int | None = None  # 1-based part number in a storyboard
    title: str = ""  # the part's title, when it has one
    table: str = ""  # the key's table in the file: `train` names it `[train] lr`

    def prefix(self) -> str:
        where = f"{self.path}"
        if self.part is not None:
            where += f": part {self.part}" + (
                f' ("{shorten(self.title, 40)}")' if self.title else ""
            )
        return where

    def name(self, key: str, value: Any = UNSET) -> str:
        written = key
        key = f"[{self.table}] {key}" if self.table else key
        if value is UNSET:
            return f"{self.prefix()}: {key}"
        where = ""
        if written in RESOLVED_KEYS and isinstance(value, str) and self.as_written(value) != value:
            value, where = self.as_written(value), f" ({value})"  # and where it led
        return f"{self.prefix()}: {key} = {shorten(toml_literal(value))}{where}"

    def mention(self, key: str, placeholder: str) -> str:
        return (
            f"{key} = {placeholder}" if placeholder.startswith('"') else f'{key} = "{placeholder}"'
        )

    def kind(self, value: Any) -> str:
        return kind_of(value)  # `got true`, as the file wrote it

    def as_written(self, resolved: str) -> str:
        """A path that reading the file resolved against its folder, as the file writes it:
        `../data/x`, not `lessons/../data/x`."""
        try:
            return str(Path(resolved).relative_to(self.path.parent))
        except ValueError:  # absolute, or not under the file's folder: written so
            return resolved


RESOLVED_KEYS = ("data", "font")  # paths in a file that are read relative to the file


@dataclass(frozen=True)
class Python:
    """Keywords of the Python API: `render_scene(..., batch_size=0)`."""

    def name(self, key: str, value: Any = UNSET) -> str:
        if value is UNSET:
            return key
        shown = safe_repr(value)
        if re.fullmatch(r"<.* at 0x[0-9a-f]+>", shown, re.DOTALL):  # an object's address
            shown = f"<{type(value).__name__}>"
        return f"{key}={shorten(shown)}"

    def mention(self, key: str, placeholder: str) -> str:
        return f"{key}={placeholder}"

    def kind(self, value: Any) -> str:
        return kind_of(value, safe_repr)  # `got True`, as the caller wrote it


Source = Cli | File | Python
# advice naming another option, as the user would give it: `⟨font PATH⟩` in a problem reads
# `--font PATH` on the command line, `font = "PATH"` in a file, `font=PATH` in Python
MENTION = re.compile(r"⟨(\w+) ([^⟩]+)⟩")


LITERAL_DEPTH = 8  # levels of arrays and tables quoted back; deeper ones show as … (a key
# 3,000 levels deep is valid TOML, and quoting it whole would exceed Python's recursion limit)


def toml_literal(value: Any, depth: int = 0) -> str:
    """A value as a TOML file would write it: true, "test", 0.5, [16, 8]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list, dict)) and depth >= LITERAL_DEPTH:
        return "[…]" if isinstance(value, (tuple, list)) else "{…}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_literal(v, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{k} = {toml_literal(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, Path):
        return toml_literal(str(value))
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date too
        return value.isoformat()  # as TOML writes it: 1979-05-27, 07:32:00
    return safe_repr(value)


def kind_of(value: Any, spell: Callable[[Any], str] = toml_literal) -> str:
    """`a date 1979-05-27`, `a table {a = 1}`: what was given, in a scene file's words (or,
    with `spell=safe_repr`, in Python's: `True`, `a list [1, True]`)."""
    for kind, name in KINDS:
        if isinstance(value, kind):
            shown = shorten(spell(value))
            return f"{name} {shown}" if name else shown
    shown = safe_repr(value)
    if re.fullmatch(r"<.* at 0x[0-9a-f]+>", shown, re.DOTALL):  # an object's address: no help
        return f"a {type(value).__name__}"
    return f"{type(value).__name__} {shorten(shown)}"


KINDS = (  # first match wins: bool before int, datetime before date
    (bool, ""),  # "got true"
    (int, "a whole number"),
    (float, "a number"),
    (str, "a string"),
    (datetime.datetime, "a date and time"),
    (datetime.date, "a date"),
    (datetime.time, "a time"),
    ((list, tuple), "a list"),
    (dict, "a table"),
    (Path, "a path"),
)


class OptionError(ConfigError):
    """A value given for a named option is refused.

    Raised with the option's key (its Python keyword, e.g. `batch_size`); whoever read the
    value sets `source`, so the message names it as the user wrote it: `--batch-size 0` on the
    command line, `lesson.toml: batch_size = 0` in a file, `batch_size=0` in Python.
    """

    def __init__(
        self,
        key: str,
        problem: str,
        *,
        value: Any = UNSET,
        source: Source | None = None,
        given: Any = UNSET,
    ):
        super().__init__(problem)
        self.key, self.problem, self.value, self.source = key, problem, value, source
        self.given = given  # a value of the wrong kind: `, got true` (`got True` in Python)

    def __str__(self) -> str:
        source = self.source or Python()
        problem = MENTION.sub(lambda m: source.mention(m[1], m[2]), self.problem)
        if self.given is not UNSET:
            problem += f", got {source.kind(self.given)}"
        return f"{source.name(self.key, self.value)}: {problem}"
