"""Storyboards: a lesson in one TOML file, its parts (scenes and cards) rendered into one video.

    size = "1280x720"          # shared settings at the top: every part takes those it uses
    lang = "en"
    [train]                    # one training run for every training part
    hidden = [32]
    steps = 300
    [[part]]                   # the parts, in order
    card = "title"             # a card: title | section | end (words from the catalogue)
    [[part]]
    scene = "mosaic"           # a scene, with its own options (they win over the shared ones)
    rows = 4
    transition = "fade"        # how the part begins: cut, or fade through the page colour

Values are layered, later winning: the shared settings (applied to the parts that take them),
the `[train]` table (to training parts), the part's own keys, then the caller's options (the
command line's, applied to the parts that take them). A `title` or `subtitle` is the user's
own text, drawn as written; `{en = "...", zh = "..."}` gives one per language.

Each part renders into a segment of its own, in a worker process when there are several
jobs; the segments are then joined without re-encoding (`vizff.segments`), an MP4 with one
chapter per part. A fade is the part before fading out to its page colour and the next fading
in from its own: the same pixels in every format, and exact in a GIF (the frame's indices with
a local colour table). Every error names the file, the part and the key.
"""

from __future__ import annotations

import hashlib
import html
import inspect
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from vizff.draw.catalogue import LANGUAGES
from vizff.draw.typeface import written_problem
from vizff.errors import (
    MENTION,
    Cli,
    ConfigError,
    File,
    OptionError,
    Python,
    RenderError,
    Source,
    VizffError,
    users_errors,
)
from vizff.files import (
    GENERATOR,
    LESSON_MARK,
    TEMP_PREFIX,
    Staged,
    atomic_path,
    home_path,
    lesson_index,
    reason,
    staged_as,
    sweep_stale,
)
from vizff.interrupts import critical
from vizff.options import (
    SHARED_BY_KEY,
    Layer,
    Option,
    Settings,
    check_output_name,
    close_match,
    in_language,
    options_of,
    plain_ints,
    settle,
)
from vizff.parallel import Runner, TaskFailed
from vizff.recipes import Recipe, file_values, misspelled, read_toml, scene_class
from vizff.render import (
    RenderResult,
    batch_notes,
    class_notes,
    data_notes,
    named,
    planned_title,
    prepare,
    shortened,
    small_text,
)
from vizff.segments import Chapter, join_gif, join_mp4, join_webp
from vizff.writers import open_writer

# Drawing cost per frame relative to an encoded frame, where far from 1 (measured on the
# lesson): a card is one picture repeated; gradients makes two loss evaluations per weight.
WORK = {"card": 0.0, "gradients": 6.0}
FILE_FORMATS = (".mp4", ".gif", ".webp")  # one file; a path without an extension: a folder
MIN_FRAMES = 3  # H.264 segments of fewer frames are timed differently and cannot be joined
STORYBOARD_OPTIONS = (
    Option(
        "transition",
        "str",
        "cut",
        "how a part begins: cut, or fade (the part before fades out to the page colour, this "
        "one fades in)",
        choices=("cut", "fade"),
    ),
    Option("fade", "float", 0.6, "seconds of a fade, out and in", low=0.05, high=10),
    Option(
        "folder_format",
        "str",
        "gif",
        "the parts' format when the output is a folder",
        choices=("gif", "mp4", "webp"),
    ),
)
OWN = {option.key: option for option in STORYBOARD_OPTIONS}
TOP_GROUPS = ("output", "look", "data", "seed")  # shared options a storyboard's top may set
ONCE = ("size", "fps", "out")  # one video has one size and rate: set at the top, not per part
NEVER = ("frame",)  # a still of one frame: render a part's scene on its own instead


def is_storyboard(table: Mapping[str, Any]) -> bool:
    """A storyboard has [[part]] tables; a scene file has `scene = ...`."""
    return "part" in table


@dataclass(frozen=True)
class Part:
    """One part as written: its scene (cards are the scene `card`) and its layers of values."""

    number: int  # 1-based
    scene: str
    name: str  # how messages name it: its title as written, else its scene or card
    layers: tuple[Layer, ...]
    transition: str  # how it begins
    fade: float  # seconds of its fade, when it begins with one
    note: str | None = None  # said with the result: the lesson's title left off its card

    def source(self, path: Path) -> File:
        return File(path, self.number, self.name)


@dataclass(frozen=True)
class Storyboard:
    """A storyboard file read and checked key by key, with the caller's options on top."""

    path: Path
    parts: tuple[Part, ...]
    out: Path
    title: str | None  # the lesson's own title (for the file's metadata and a folder's index)
    folder_format: str
    out_given: tuple[Any, Source | None] = (None, None)  # `out` as written, and where
    notes: tuple[str, ...] = ()  # said with the result (the lesson's title left off its card)


# ---- reading --------------------------------------------------------------------------------
def load_storyboard(
    path: str | Path,
    given: Mapping[str, Any] | None = None,
    *,
    source: Source = Cli(),
    out_dir: Path = Path("outputs"),
    lenient: bool = False,
) -> Storyboard:
    """A storyboard from its file, with `given` values (the CLI's) on top of every part; each
    must be taken by some part, unless `lenient` (other targets may take it)."""
    path = Path(path)
    table = read_toml(path)
    if not is_storyboard(table):
        raise ConfigError(f"{path}: not a storyboard: it has no [[part]] tables")
    given = dict(given or {})
    for key in ("title", "subtitle", *NEVER):
        if key in given:
            problem = (
                _not_at_top(key) if key in NEVER else "a storyboard sets this per part, in its file"
            )
            raise OptionError(key, problem, value=given[key], source=source)
    for key, value in given.items():
        _single_scene_only_key(key, value, source)
    top = _top(path, table)
    train = _train(path, table.get("train", {}))
    lang = _language(given.get("lang", top.get("lang")))
    parts = _parts(path, table["part"])
    built = tuple(
        _part(path, number, values, top, train, given, source, lang)
        for number, values in enumerate(parts, 1)
    )
    if not lenient:
        _check_taken(built, given, source)
    own = {key: OWN[key].read(top[key], File(path)) for key in OWN if key in top}
    title = top.get("title")
    title = in_language(title, lang, File(path), "title") if title is not None else None
    out = given.get("out", top.get("out"))
    written = (out, source if "out" in given else File(path) if out is not None else None)
    if out is None:
        out = out_dir / f"{path.stem}.mp4"
    elif "out" not in given:
        out = Path(file_values({"out": out}, File(path), out_dir=out_dir)["out"])
    else:  # --out or out=, checked as a scene's is: "" was the working folder, ".mp4" a folder
        fail = lambda problem: OptionError("out", problem, value=out, source=source)  # noqa: E731
        if not str(out).strip():
            raise fail("expected a file or folder name")
        check_output_name(str(out), fail)
    folder_format = own.get("folder_format", "gif")
    notes = tuple(part.note for part in built if part.note)
    return Storyboard(path, built, home_path(out, "out"), title, folder_format, written, notes)


def _top(path: Path, table: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level settings, each checked once here (so an error names no part)."""
    top = {}
    for key, value in table.items():
        if key in ("part", "train"):
            continue
        source = File(path)
        option = SHARED_BY_KEY.get(key)
        _single_scene_only_key(key, value, source)  # before part 1 would be blamed for it
        if key in OWN:
            OWN[key].read(value, source)
        elif key == "title":  # the lesson's own: metadata, a folder's index, its title card
            texts = in_language(value, None, source, key)
            for text in texts.values() if isinstance(texts, dict) else [texts]:
                text = SHARED_BY_KEY["title"].read(text, source)
                if problem := written_problem(key, text):  # here, though no card may draw it
                    raise OptionError(key, problem, value=text, source=source)
        elif option is not None and option.group == "training":
            raise OptionError(
                key,
                "training options go in the [train] table: one run for every training part",
                value=value,
                source=source,
            )
        elif option is None or option.group not in TOP_GROUPS or key in (*NEVER, "subtitle"):
            raise OptionError(key, _not_at_top(key), value=value, source=source)
        else:
            option.read(value, source)
        top[key] = value
    return top


def _not_at_top(key: str) -> str:
    from vizff.scenes import SCENES

    if key == "subtitle":
        return "a subtitle belongs to a part"
    if key == "scene":  # a scene file's line in a file with [[part]] tables: neither kind
        return (
            "a storyboard names a scene in each [[part]]; this file has both this line and "
            "[[part]] tables: remove the line for a storyboard, or the tables for a scene file"
        )
    if key in NEVER:
        return "not for a storyboard (render one part's scene on its own for a still)"
    if any(key in options_of(cls) for cls in SCENES.values()):
        return "a scene's own option: set it in the [[part]] of that scene"
    allowed = top_keys()
    return (
        f"not a storyboard setting{close_match(key, allowed)}; the top takes {', '.join(allowed)}"
    )


def top_keys() -> list[str]:
    """The keys a storyboard's top takes, once each (not those it refuses: frame, a subtitle,
    a GIF's size budget, an MP4's poster)."""
    shared = (k for k, o in SHARED_BY_KEY.items() if o.group in TOP_GROUPS)
    refused = (*NEVER, "subtitle", "max_bytes", "poster")
    return [k for k in dict.fromkeys([*OWN, "title", *shared]) if k not in refused]


def _train(path: Path, table: Any) -> dict[str, Any]:
    source = File(path, table="train")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: train: write the training options as a [train] table")
    training = [k for k, o in SHARED_BY_KEY.items() if o.group == "training"]
    for key, value in table.items():
        if key not in training and key in top_keys():  # written below [train], so inside it
            raise OptionError(
                key,
                "a setting of the whole storyboard: write it above [train] (every key after a "
                "table's header belongs to that table)",
                value=value,
                source=source,
            )
        if key not in training:
            raise OptionError(
                key,
                f"not a training option{close_match(key, training)}; [train] takes "
                f"{', '.join(training)}",
                value=value,
                source=source,
            )
        SHARED_BY_KEY[key].read(value, source)
    return dict(table)


def _parts(path: Path, parts: Any) -> list[dict[str, Any]]:
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise ConfigError(f"{path}: part: write each part as a [[part]] table")
    if not parts:
        raise ConfigError(f"{path}: the storyboard has no parts")
    return parts


def _language(value: Any) -> str:
    """The language a storyboard's text is chosen in (a wrong one is refused later, by key)."""
    return value if value in LANGUAGES else "en"


def _part(
    path: Path,
    number: int,
    values: dict[str, Any],
    top: Mapping[str, Any],
    train: Mapping[str, Any],
    given: Mapping[str, Any],
    cli: Source,
    lang: str,
) -> Part:
    values = dict(values)
    lang = _language(given.get("lang", values.get("lang", lang)))
    name = _name(values, lang)
    source = File(path, number, name)
    scene = values.pop("scene", None)
    if scene is None and "card" not in values:
        raise ConfigError(
            f"{source.prefix()}: {misspelled(values, 'scene', 'card')}"
            'a part needs scene = "NAME" (see `vizff scenes`) or card = "title", "section" or '
            '"end"'
        )
    cls = scene_class("card" if scene is None else scene, source)
    if "card" in values and cls.name != "card":
        raise OptionError(
            "card", "a part is a scene or a card, not both", value=values["card"], source=source
        )
    default = top.get("transition", "cut") if number > 1 else "cut"
    transition = OWN["transition"].read(values.pop("transition", default), source)
    if "fade" in values and transition != "fade":
        problem = 'only with transition = "fade"'
        if number == 1 and "transition" not in values and top.get("transition") == "fade":
            problem += " (the top's transition is for the parts after the first: write it here)"
        raise OptionError("fade", problem, value=values["fade"], source=source)
    fade = OWN["fade"].read(values.pop("fade", top.get("fade", OWN["fade"].default)), source)
    for key in (*ONCE, *NEVER):
        if key in values:
            problem = (
                "set once, at the top of the storyboard: every part of one video shares it"
                if key in ONCE
                else "not for a storyboard's part (render its scene on its own for a still)"
            )
            raise OptionError(key, problem, value=values[key], source=source)
    for key in ("title", "subtitle"):
        if key in values:
            values[key] = in_language(values[key], lang, source, key)
    taken = options_of(cls)
    not_shared = ("out", "title", *(("hold",) if cls.name == "card" else ()))  # a card: seconds
    shared = {k: v for k, v in top.items() if k in taken and k not in not_shared}
    note = None
    if _lesson_title_card(cls.name, values) and "title" in top:  # the lesson's title on its card
        lesson = in_language(top["title"], lang, File(path), "title")
        note = _undrawable(lesson, number, (given, values, top), File(path))
        if note is None:
            shared["title"] = lesson
    layers = (
        (file_values(shared, File(path)), File(path)),
        ({k: v for k, v in train.items() if k in taken}, File(path, table="train")),
        (file_values(values, source), source),
        ({k: v for k, v in given.items() if k in taken and k not in not_shared}, cli),
    )
    return Part(
        number,
        cls.name,
        name,
        tuple(layer for layer in layers if layer[0]),
        transition,
        fade,
        note,
    )


def _undrawable(
    lesson: str, number: int, layers: Sequence[Mapping[str, Any]], source: File
) -> str | None:
    """Why the lesson's title cannot be drawn on part `number`'s title card here, else None.

    The title is the file's metadata first: a machine with no font for it (no CJK font, and
    characters past the shipped subset) still renders the lesson, its card showing the
    catalogue's title, and says so. A font the user names is theirs to answer for: the card
    draws with it, or refuses it, as a card's own title does."""
    from vizff.draw.typeface import find_font

    if any(layer.get("font") is not None for layer in layers):
        return None
    try:
        find_font(lesson)
    except OptionError as error:
        problem = MENTION.sub(lambda m: source.mention(m[1], m[2]), error.problem)
        return (
            f"part {number}: the title card shows the catalogue's title, not the lesson's "
            f"({problem})"
        )
    return None


def _lesson_title_card(scene: str, values: Mapping[str, Any]) -> bool:
    """A title card with no words of its own: it shows the storyboard's `title`, where one is
    written at the top (else the catalogue's)."""
    own = ("title", "words")
    return scene == "card" and values.get("card", "title") == "title" and not set(own) & set(values)


def _name(values: Mapping[str, Any], lang: str) -> str:
    """How messages name a part: its title as written, else its scene, else its card."""
    title = values.get("title")
    if isinstance(title, dict):
        title = title.get(lang, next(iter(title.values()), None))
    if isinstance(title, str) and title.strip():
        return title.strip()
    if isinstance(values.get("scene"), str):
        return values["scene"]
    return f"{values.get('card')} card" if isinstance(values.get("card"), str) else ""


def _check_taken(parts: Sequence[Part], given: Mapping[str, Any], source: Source) -> None:
    from vizff.scenes import SCENES

    for key, value in given.items():
        if key != "out" and not any(key in options_of(SCENES[p.scene]) for p in parts):
            raise OptionError(
                key, "no part of this storyboard takes this option", value=value, source=source
            )


# ---- planning: every part checked and counted before the first frame ---------------------------
@dataclass(frozen=True)
class SegmentResult:
    number: int
    frames: int
    bytes: int
    notes: tuple[str, ...]  # the writer's (a rounded GIF rate), then any title cut to fit
    length: float | None = None  # seconds it plays (None: PNG frames)


@dataclass(frozen=True)
class Segment:
    """One part's render into a segment file: its frames, then its hold, with its fades."""

    number: int
    label: str  # the progress display's name for it
    scene: str
    settings: Settings
    prefix: str  # `lesson.toml: part 3 ("The network")`: errors start with it
    frames: int  # the scene's own
    hold: int  # the last frame again, this many times
    fade_in: tuple[float, ...]  # amounts of page colour before the first frame
    fade_out: tuple[float, ...]  # and after the hold
    palette: np.ndarray | None = field(default=None, compare=False)  # GIF: None = its own
    path: Path = Path()  # where it is written (set when the render starts)
    shown: Path = Path()  # the output it becomes part of: what a write error names
    title: str = ""  # its chapter's: a part file in a folder output carries it

    @property
    def total(self) -> int:
        return len(self.fade_in) + self.frames + self.hold + len(self.fade_out)

    @property
    def work(self) -> float:
        """Its expected cost, for the order parts start in (the output never depends on it):
        frames to encode, and frames to draw at the scene's cost per frame."""
        return self.total + self.frames * WORK.get(self.scene, 1.0)

    def run(self, progress: Callable[[int], None]) -> SegmentResult:
        from vizff.scenes import SCENES

        with part_errors(self.prefix), one_blas_thread():
            settings = self.settings
            with named(settings):
                scene = SCENES[self.scene](settings)
                scene.load()
                colour = scene.theme.background
                writer = open_writer(
                    self.path, fps=settings.fps, palette=self.palette, title=self.title
                )
                with staged_as(self.path, self.shown), writer:
                    count, last = 0, None
                    for frame in scene.frames():
                        if count == 0:
                            writer.fade(frame, np.array(self.fade_in), colour)
                        writer.write(frame)
                        count, last = count + 1, frame
                        progress(writer.frames)
                    if count != self.frames:
                        raise RenderError(f"the scene drew {count} frames of {self.frames}")
                    writer.repeat(last, self.hold)
                    writer.fade(last, np.array(self.fade_out), colour)
                    progress(writer.frames)
        notes = (
            *((writer.note,) if writer.note else ()),
            *data_notes(settings),  # names the part itself
            *class_notes(scene, settings),
            *batch_notes(scene, settings),
            *(f"{self.prefix}: {note}" for note in shortened(scene, settings)),
            *small_text(scene),  # the lesson's size: said once, not per part
        )
        size = self.path.stat().st_size
        return SegmentResult(self.number, writer.frames, size, notes, writer.playing)


def one_blas_thread():
    """Every render task computes on one BLAS thread, as training does (`train.BLAS_THREADS`):
    the same bits for any --jobs, and no BLAS threads spinning against the encoder and the
    other workers for the cores (the gradients scene's 1,568 loss evaluations took 28 s with
    two BLAS threads on a busy two-core machine, 2.5 s with one)."""
    from vizff.train import one_blas_thread

    return one_blas_thread()


@contextmanager
def part_errors(prefix: str) -> Iterator[None]:
    """Errors inside name the part: `lesson.toml: part 3 ("The network"): ...`."""
    try:
        yield
    except VizffError as error:
        text = str(error)
        if text.startswith(prefix):
            raise
        if isinstance(error, OptionError) and isinstance(error.source, Python):
            raise  # a keyword of the caller's, for every part: an OptionError naming it
        path = prefix.split(": part ", 1)[0]
        raise TaskFailed(f"{prefix}: {text.removeprefix(f'{path}: ')}", error.exit_code) from None


@dataclass
class Plan:
    """A storyboard ready to render: its segments, chapters and output, all checked."""

    board: Storyboard
    segments: list[Segment]
    chapters: list[Chapter]
    format: str  # .mp4 .gif .webp, or "" for a folder
    fps: float
    title: str  # the lesson's: its own, else its first card's, else the file's name
    # (seconds, TrainConfig, what it measures, the first part it is for) of each distinct run
    estimates: list[tuple[float | None, Any, str, str]]
    notes: tuple[str, ...] = ()  # said with the result: a fade longer than what it joins

    @property
    def total(self) -> int:
        return sum(s.total for s in self.segments)

    @property
    def out(self) -> Path:
        return self.board.out


def plan(board: Storyboard, *, estimate: bool = False) -> Plan:
    """Every part's settings and scene checked, its frames counted, its fades and chapter
    placed, and the output checked: all before a file is touched."""
    from vizff.scenes import SCENES

    with out_named(board):
        fmt = _format(board.out)
    counted, titles, configs = [], [], {}
    for part in board.parts:
        prefix = part.source(board.path).prefix()
        with part_errors(prefix):
            settings = settle(SCENES[part.scene], part.layers)
            with named(settings):
                _single_scene_only(settings)
                scene = SCENES[part.scene](settings)
                scene.load()
                counted.append((part, settings, prefix, scene.frame_count(), scene.palette))
                # as its frames and its file show it, on one line: a chapter menu's entry
                titles.append(" ".join(planned_title(scene).split()))
                config = getattr(scene, "config", None)
                work = (config, scene.estimated_work)  # a loss part and a gradients part
                if estimate and config is not None and work not in configs:  # differ
                    configs[work] = (scene.estimate_seconds(), prefix)
    first = counted[0][1]
    with out_named(board), named(first):
        _check_output(board.out, fmt, first)
    fps = first.fps
    segments, chapters, start = [], [], 0
    folder = fmt == ""
    for index, (part, settings, prefix, frames, _) in enumerate(counted):
        following = board.parts[index + 1] if index + 1 < len(board.parts) else None
        fade_in = _fade_in(part, fps) if part.transition == "fade" and not folder else ()
        fade_out = ()
        if following is not None and following.transition == "fade" and not folder:
            fade_out = _fade_out(following, fps)
        hold = round(settings.hold * fps) if part.scene != "card" else 0
        hold = max(hold, MIN_FRAMES - frames - len(fade_in) - len(fade_out))
        label = f"{part.number}/{len(board.parts)} {_short(titles[index])}"
        segment = Segment(
            part.number,
            label,
            part.scene,
            settings,
            prefix,
            frames,
            hold,
            fade_in,
            fade_out,
            title=titles[index],
        )
        segments.append(segment)
        chapters.append(Chapter(titles[index], start, start + segment.total))
        start += segment.total
    if folder:
        with out_named(board):
            _check_folder_parts(board, segments)
    palettes = [c[4] for c in counted]
    if fmt == ".gif":
        segments = _gif_palettes(segments, palettes)
    elif folder and board.folder_format == "gif":  # each file its own scene's palette
        segments = [replace(s, palette=p) for s, p in zip(segments, palettes)]
    cards = [t for p, t in zip(board.parts, titles) if p.scene == "card"]
    title = " ".join(board.title.split()) if board.title else None
    title = title or (cards[0] if cards else board.path.stem)
    estimates = [(s, config, what, where) for (config, what), (s, where) in configs.items()]
    return Plan(
        board, segments, chapters, fmt, fps, title, estimates, _long_fades(segments, board, fps)
    )


def _long_fades(segments: list[Segment], board: Storyboard, fps: float) -> tuple[str, ...]:
    """A note for each fade longer than both parts it joins are shown (a 10 s fade between
    two 0.3 s cards made a lesson of fading)."""
    notes = []
    for before, (after, part) in zip(segments, list(zip(segments, board.parts))[1:]):
        if part.transition != "fade" or not after.fade_in:
            continue
        shown = [(s.frames + s.hold) / fps for s in (before, after)]
        if part.fade > max(shown):
            notes.append(
                f"{after.prefix}: its {part.fade:g} s fade lasts longer than this part "
                f"({shown[1]:.2g} s) and the one before ({shown[0]:.2g} s) are shown, so the "
                "lesson is mostly fading; a shorter fade keeps them in view"
            )
    return tuple(notes)


@contextmanager
def out_named(board: Storyboard) -> Iterator[None]:
    """An error about the output names `out` as it was given (the file's key, or --out)."""
    try:
        yield
    except OptionError as error:
        value, source = board.out_given
        if error.key == "out" and source is not None:
            error.source, error.value = source, value
        raise


def _format(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix in FILE_FORMATS:
        return suffix
    if suffix == "" or out.is_dir():
        return ""
    raise OptionError(
        "out",
        f"a storyboard renders to {', '.join(FILE_FORMATS)} or a folder (one file per part), "
        f"not {suffix}",
        value=str(out),
    )


def _check_output(out: Path, fmt: str, settings: Settings) -> None:
    """The output's path and format, checked as a writer checks them, before any work."""
    if fmt == "":
        if os.path.lexists(out) and not out.is_dir():
            what = "a file" if out.is_file() else "not a file or folder (a device or pipe)"
            raise OptionError(
                "out", f"is {what}; a path without an extension names a folder", value=str(out)
            )
        if out.is_dir() and _foreign(out):
            raise OptionError(
                "out",
                "is a folder holding files that are not an earlier lesson vizff wrote (its "
                "index.html); give a new or empty folder, so none of them is replaced",
                value=str(out),
            )
        return
    writer = open_writer(out, fps=settings.fps)  # a folder in the way, GIF's frame rate
    writer.check_size(settings.size)  # MP4's even sides, WebP's largest


SINGLE_SCENE_ONLY = {
    "max_bytes": "fits one scene's GIF or WebP to a budget, not a storyboard; leave it out",
    "poster": "writes a PNG beside one scene's MP4, not a storyboard's; leave it out",
}


def _single_scene_only(settings: Settings) -> None:
    """Refuse what only a single scene's render does, rather than ignore it in a lesson."""
    if settings.given("max_bytes"):
        raise OptionError("max_bytes", SINGLE_SCENE_ONLY["max_bytes"])
    if settings.given("poster") and settings.poster:
        raise OptionError("poster", SINGLE_SCENE_ONLY["poster"])


def _single_scene_only_key(key: str, value: Any, source: Source) -> None:
    """The same, for a key given to the whole storyboard (its top, or the command line):
    named there, not in part 1, which never had it."""
    if key in SINGLE_SCENE_ONLY and (key != "poster" or value is not False):
        raise OptionError(key, SINGLE_SCENE_ONLY[key], value=value, source=source)


def _foreign(folder: Path) -> bool:
    """Whether a folder holds anything but vizff's temporaries and hidden files (a Finder's
    .DS_Store: never replaced), and no lesson vizff wrote."""
    try:
        names = [p.name for p in folder.iterdir() if not p.name.startswith((TEMP_PREFIX, "."))]
    except OSError:
        return False  # unreadable: writing there fails and says so
    return bool(names) and not lesson_index(folder / "index.html")


def _check_folder_parts(board: Storyboard, segments: Sequence[Segment]) -> None:
    """A file in the folder with a part's name that no earlier lesson vizff wrote lists is
    the user's: refused before any work (it was replaced in silence)."""
    if not board.out.is_dir():
        return
    earlier = _listed(board.out)
    for segment in segments:
        name = part_name(segment, "." + board.folder_format)
        if not os.path.lexists(board.out / name):
            continue
        if name not in earlier:
            why = "which is not a part of an earlier lesson vizff wrote there (its index.html "
            why += "does not list it)"
        elif _changed(board.out / name, earlier[name]):
            why = "which has changed since the earlier lesson wrote it there"
        else:
            continue
        raise OptionError(
            "out",
            f"holds {name}, {why}: this lesson's part would replace it; move it, or give "
            "another folder",
            value=str(board.out),
        )


def part_name(segment: Segment, suffix: str) -> str:
    """A part's file in a lesson's folder: `03-loss.gif`, `01-card-title.mp4`."""
    return f"{segment.number:02d}-{_file_name(segment)}{suffix}"


def _listed(folder: Path) -> dict[str, str | None]:
    """The part files an earlier lesson's index.html (one vizff wrote) lists, each with the
    sha256 it was written with (None from an index written before they were recorded)."""
    page = folder / "index.html"
    if not lesson_index(page):  # `vizff page`'s listing names the user's own renders
        return {}
    try:
        text = page.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    found = re.findall(r'href="([^"/]+)"(?: data-sha256="([0-9a-f]{64})")?', text)
    return {html.unescape(name): digest or None for name, digest in found}


def _sha256(path: Path) -> str | None:
    """The file's sha256; None where it cannot be read (or is no file)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _changed(path: Path, recorded: str | None) -> bool:
    """Whether a part an earlier lesson wrote is no longer what it wrote (the user's now)."""
    return recorded is not None and _sha256(path) != recorded


def _fade_out(following: Part, fps: float) -> tuple[float, ...]:
    """The first half of a fade: towards the page colour, reaching it."""
    count = math.ceil(max(1, round(following.fade * fps)) / 2)
    return tuple(i / count for i in range(1, count + 1))


def _fade_in(part: Part, fps: float) -> tuple[float, ...]:
    """The second half: from the page colour (after the frame that reached it) to the part."""
    frames = max(1, round(part.fade * fps))
    count = frames // 2 if part.number > 1 else frames  # the first part fades in alone
    return tuple((count + 1 - i) / (count + 1) for i in range(1, count + 1))


def _gif_palettes(segments: list[Segment], palettes: list[np.ndarray | None]) -> list[Segment]:
    """One palette for the whole GIF when every part's colours fit in one (no local colour
    tables); else each part keeps its own, which the join gives as local tables."""
    if all(p is not None for p in palettes):
        common = list(dict.fromkeys(tuple(int(v) for v in c) for p in palettes for c in p))
        if len(common) <= 255:
            shared = np.array(common, dtype=np.uint8)
            return [replace(s, palette=shared) for s in segments]
    return [replace(s, palette=p) for s, p in zip(segments, palettes)]


def _short(text: str, limit: int = 28) -> str:
    """A title cut for the progress line, where several parts in progress share one line."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---- rendering ---------------------------------------------------------------------------------
PART_FILE = re.compile(r"^\d{2,}-[a-z0-9-]+\.(gif|mp4|webp)$")  # a folder output's part files


class BoardRender:
    """One storyboard's render: segments beside the output, then the join into it."""

    def __init__(self, plan: Plan):
        self.plan, self.work, self.started = plan, None, time.perf_counter()
        self.notes: list[str] = []  # what the join could not tidy, said with the result

    def begin(self) -> list[Segment]:
        """The segments, with their paths in a temporary folder beside the output."""
        out = self.plan.out
        sweep_stale(out.parent)  # what a killed render left there
        self.work = Staged(out, folder=True, name=str(out))
        ext = "." + self.plan.board.folder_format if self.plan.format == "" else self.plan.format
        return [
            replace(s, path=self.work.path / f"part-{s.number:03d}{ext}", shown=out)
            for s in self.plan.segments
        ]

    def finish(self, segments: Sequence[Segment], results: Sequence[SegmentResult]) -> RenderResult:
        """The segments joined into the output; the temporary folder goes, whatever happens."""
        try:
            size = self._join([s.path for s in segments])
        finally:
            self.abandon()
        plan = self.plan
        notes = (
            *(note for r in results for note in r.notes),
            *self.notes,
            *plan.board.notes,
            *plan.notes,
        )
        notes = tuple(dict.fromkeys(notes))
        if plan.format == "" and any(p.transition == "fade" for p in plan.board.parts):
            notes += ("a folder holds each part on its own: its fades are left out",)
        frames = sum(r.frames for r in results)
        lengths = [r.length for r in results]
        length = None if None in lengths or not lengths else sum(lengths)
        seconds = time.perf_counter() - self.started
        shape = tuple(plan.segments[0].settings.size) if plan.segments else None  # one for all
        return RenderResult(
            plan.out,
            frames,
            size,
            seconds,
            notes,
            size=shape,
            title=plan.title or "",
            length=length,
        )

    def _join(self, paths: list[Path]) -> int:
        plan, name = self.plan, str(self.plan.out)
        if plan.format == "":
            size = self._folder(paths)
        else:
            with atomic_path(plan.out) as temp:
                if plan.format == ".mp4":
                    join_mp4(
                        paths,
                        temp,
                        fps=plan.fps,
                        chapters=plan.chapters,
                        title=plan.title,
                        folder=self.work.path,
                        name=name,
                    )
                else:
                    with open(temp, "wb") as handle:
                        join = join_gif if plan.format == ".gif" else join_webp
                        join(paths, handle, plan.title)
            size = plan.out.stat().st_size
        return size

    def _folder(self, paths: Sequence[Path]) -> int:
        """Each part as `NN-scene.ext` in the folder, with an index.html listing them."""
        plan = self.plan
        earlier = _listed(plan.out)  # the files of the lesson this one replaces
        staged = Staged(plan.out, folder=True)
        try:
            names = []
            for segment, path in zip(plan.segments, paths):
                name = part_name(segment, path.suffix)
                os.replace(path, staged.path / name)
                names.append(name)
            index = _index(plan, names, [_sha256(staged.path / name) for name in names])
            (staged.path / "index.html").write_text(index, encoding="utf-8")
            with critical():  # in place with the earlier lesson's extra parts gone, or not at all
                staged.commit()
                self._drop_earlier_parts(earlier, names)
        except OSError as exc:
            staged.discard()
            raise RenderError(f"{plan.out}: writing failed ({reason(exc)})") from None
        except BaseException:
            staged.discard()
            raise
        return sum((plan.out / n).stat().st_size for n in names)

    def _drop_earlier_parts(self, earlier: Mapping[str, str | None], names: list[str]) -> None:
        """Remove the parts of an earlier, longer lesson that the new one does not have, as
        the earlier lesson wrote them (one changed since is the user's: left, and said)."""
        plan = self.plan
        for old in sorted(plan.out.iterdir()):  # parts of an earlier, longer lesson: only those
            if PART_FILE.match(old.name) and old.name in earlier and old.name not in names:
                # the new lesson is in place: a part that cannot go is said, not a failure
                if old.is_dir() and not old.is_symlink():
                    self.notes.append(f"left {old}, a folder where the earlier lesson had a part")
                    continue
                if _changed(old, earlier[old.name]):
                    self.notes.append(
                        f"left {old}: it has changed since the earlier lesson wrote it"
                    )
                    continue
                try:
                    old.unlink()
                except OSError as exc:
                    self.notes.append(f"left {old} of the earlier lesson ({reason(exc)})")

    def abandon(self) -> None:
        if self.work is not None:
            self.work.discard()
            self.work = None


def _file_name(segment: Segment) -> str:
    s = segment.settings
    if segment.scene == "card":
        return f"card-{s.words or s.card}"
    return segment.scene


HTML_LANG = {"zh": "zh-Hans"}  # the catalogue's language as a page's lang attribute


def _index(plan: Plan, names: Sequence[str], digests: Sequence[str | None]) -> str:
    """A page listing the parts in order: each chapter's name and its file, shown; each link
    records the file's sha256, so a later render tells a part it wrote from one changed."""
    from vizff.draw.catalogue import catalogue

    lang = plan.segments[0].settings.lang
    words = catalogue(lang)
    items = []
    for chapter, name, digest in zip(plan.chapters, names, digests):
        seconds = (chapter.end - chapter.start) / plan.fps
        media = (
            f'<video src="{name}" controls muted></video>'
            if name.endswith(".mp4")
            else f'<img src="{name}" alt="{html.escape(chapter.title)}">'
        )
        recorded = f' data-sha256="{digest}"' if digest else ""
        link = f'<a href="{name}"{recorded}>{html.escape(chapter.title)}</a>'
        length = words("gradients.duration.s", value=f"{seconds:.1f}")  # 4.0 s, 4.0 秒
        items.append(f"<li>{link} ({html.escape(length)})<br>{media}</li>")
    title = html.escape(plan.title)
    tag = HTML_LANG.get(lang, lang)  # zh-Hans: a browser then picks Simplified glyphs
    return (
        f'<!doctype html>\n<html lang="{tag}">\n<meta charset="utf-8">\n{GENERATOR}\n'
        f"{LESSON_MARK}\n<title>{title}</title>\n"
        f"<h1>{title}</h1>\n<ol>\n" + "\n".join(items) + "\n</ol>\n</html>\n"
    )


# ---- several targets at once: scene files and storyboards, one pool of workers ----------------
@dataclass(frozen=True)
class RecipeTask:
    """A scene file's whole render, as one task."""

    recipe: Recipe
    out_dir: Path
    lenient: Source | None
    total: int
    label: str

    @property
    def work(self) -> float:
        return 2.0 * self.total

    def run(self, progress: Callable[[int], None]) -> RenderResult:
        with one_blas_thread():
            job = prepare(self.recipe, out_dir=self.out_dir, lenient=self.lenient)
            return job.run(progress=lambda done, _: progress(done))


class Batch:
    """Scene renders and storyboards, rendered by one pool of `jobs` workers; results come as
    each output is complete (a storyboard once its last part is joined)."""

    def __init__(self) -> None:
        self.items: list[RecipeTask | Plan] = []

    def add(self, item: RecipeTask | Plan) -> None:
        self.items.append(item)

    @property
    def total(self) -> int:
        return sum(item.total for item in self.items)

    def run(
        self, jobs: int, progress: Callable[[int, str], None] | None = None
    ) -> Iterator[RenderResult]:
        """Render everything; `progress(frames done, what is in progress)` as it goes."""
        tasks, owners, boards = [], [], {}
        try:
            for number, item in enumerate(self.items):
                if isinstance(item, Plan):
                    boards[number] = render = BoardRender(item)
                    segments = render.begin()
                    tasks += segments
                    owners += [number] * len(segments)
                else:
                    tasks.append(item)
                    owners.append(number)
            yield from self._run(tasks, owners, boards, jobs, progress)
        finally:
            for render in boards.values():
                render.abandon()

    def _named(self, owner: int, labels: list[str]) -> str:
        item = self.items[owner]
        if isinstance(item, Plan):
            return f"{item.board.path.stem}: {', '.join(labels)}"
        return labels[0]

    def _run(self, tasks, owners, boards, jobs, progress) -> Iterator[RenderResult]:
        done, running = [0] * len(tasks), {}
        results: dict[int, dict[int, SegmentResult]] = {number: {} for number in boards}

        def report() -> None:  # `lesson: 3/11 The network, 4/11 The activation  weights`
            if progress is None:
                return
            shown: dict[int, list[str]] = {}
            for index, label in running.items():
                shown.setdefault(owners[index], []).append(label)
            progress(sum(done), "  ".join(self._named(o, labels) for o, labels in shown.items()))

        def moved(index: int, frames: int) -> None:
            done[index] = frames
            report()

        def started(index: int) -> None:
            running[index] = tasks[index].label
            report()

        with Runner(tasks, jobs, moved, started) as runner:
            for index, result in runner:
                running.pop(index, None)
                done[index] = tasks[index].total
                report()
                owner = owners[index]
                if owner not in boards:
                    yield result
                    continue
                results[owner][index] = result
                mine = [i for i, o in enumerate(owners) if o == owner]
                if len(results[owner]) == len(mine):
                    board = boards.pop(owner)
                    yield board.finish([tasks[i] for i in mine], [results[owner][i] for i in mine])


MAX_JOBS = 256  # worker processes at most, as --jobs allows


def _check_progress(progress: Any) -> None:
    """`progress=5` or a function of no arguments failed deep in the render, as a TypeError."""
    if progress is None:
        return
    problem = "expected a function progress(frames_done, label), or None"
    if callable(progress):
        try:
            inspect.signature(progress).bind(0, "")
            return
        except TypeError:
            problem = "must take two arguments: progress(frames_done, label)"
        except ValueError:  # a builtin without a signature: taken as it is
            return
    raise OptionError("progress", problem, value=progress)


@users_errors
def render_storyboard(
    path: str | Path,
    out: str | Path | None = None,
    *,
    jobs: int = 1,
    progress: Callable[[int, str], None] | None = None,
    **options: Any,
) -> RenderResult:
    """Python entry point: `render_storyboard("scenes/lesson.toml", "lesson.mp4", lang="zh")`.

    Keywords are the options every part may take (they win over the file's); errors name them
    as keywords. `jobs` worker processes render the parts; `progress(frames done, what is
    being made)` is called as they go."""
    from vizff.errors import Python

    _check_progress(progress)

    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise OptionError("path", "expected a storyboard file (.toml)", value=path)
    from vizff.scenes import SCENES

    if str(path).strip() in SCENES and not os.path.lexists(path):
        raise OptionError(
            "path",
            f'a scene\'s name, not a storyboard file: render_scene("{str(path).strip()}", ...)',
            value=path,
        )
    if out is not None and not isinstance(out, (str, os.PathLike)):
        kind = ", not a file object" if hasattr(out, "write") else ""  # io.BytesIO()
        raise OptionError("out", f"expected a file or folder name{kind}", value=out)
    jobs = 1 if jobs is None else plain_ints(jobs)  # np.int64(2) is a whole number
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS:
        raise OptionError(
            "jobs", f"expected a whole number of workers, 1 to {MAX_JOBS}", value=jobs
        )
    if jobs > 1:
        from vizff.parallel import prestart, unguarded_script, unreadable_script

        if script := unreadable_script():
            raise OptionError(
                "jobs",
                f"each worker starts by running the main script again, and {script} is not a "
                "file it can read (a script from standard input); save the script to a file, "
                "or use jobs=1",
                value=jobs,
            )
        if script := unguarded_script():
            raise OptionError(
                "jobs",
                f"each worker runs {script} again from its top, which renders again: put the "
                'render under `if __name__ == "__main__":`, or use jobs=1',
                value=jobs,
            )
        prestart()  # the workers' server imports vizff while the storyboard is checked here
    given = {key: value for key, value in options.items() if value is not None}  # not given
    if out is not None:
        given["out"] = str(out)
    board = load_storyboard(path, given, source=Python())
    batch = Batch()
    batch.add(plan(board))
    (result,) = batch.run(jobs, progress)
    return result
