"""Render a scene into a file: scene frames streamed into the writer the output names."""

from __future__ import annotations

import decimal
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from vizff.errors import File, OptionError, Source, TrainingDiverged, counted, users_errors
from vizff.files import (
    Staged,
    also_named_note,
    folder_also_named,
    link_problem,
    read_only_problem,
    reason,
    special_problem,
    writing,
)
from vizff.options import Settings
from vizff.recipes import Recipe, default_output, python_recipe
from vizff.scenes import SCENES, Scene
from vizff.writers import FrameWriter, file_title, open_writer

Progress = Callable[[int, int], None]  # (frames done, frames in all)


def duration(seconds: float) -> str:
    """How long a video plays, as a person says it: `7.6 s`, `5 min 12 s`, `1 h 02 min`.

    Halves round up, as a person rounds the number as written: 151 frames at 20 fps play
    7.55 s, said `7.6 s` (the float 7.55 lies just below it, and Python's own rounding, to
    the even neighbour besides, said 7.5)."""
    tenths = half_up(seconds, "0.1")
    if tenths < 60:
        return f"{tenths} s"
    whole = int(half_up(seconds, "1"))
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    minutes = int(half_up(seconds / 60, "1"))
    return f"{minutes // 60} h {minutes % 60:02d} min"


def half_up(value: float, step: str) -> decimal.Decimal:
    """`value` to a multiple of `step` ("0.1", "1"), a half rounded up, from its shortest
    decimal form (repr(7.55) is "7.55")."""
    exact = decimal.Decimal(repr(float(value)))
    return exact.quantize(decimal.Decimal(step), rounding=decimal.ROUND_HALF_UP)


@dataclass(frozen=True)
class RenderResult:
    path: Path | None  # None when rendered in memory: `data` holds the file
    frames: int  # frames the scene produced
    bytes: int
    seconds: float
    notes: tuple[str, ...] = ()  # what the user should know (a rounded GIF frame rate...)
    # for notebooks and blog posts (vizff.notebook, vizff.embed)
    data: bytes | None = None  # the file's bytes, when rendered in memory
    size: tuple[int, int] | None = None  # (width, height) of the frames written
    title: str = ""  # the title the frames show, as plain text: alt text for embedding
    poster: Path | None = None  # the PNG poster written beside an MP4
    embed_limit: int = 20_000_000  # bytes: larger files are shown in a notebook as a link
    still: int | None = None  # a PNG still: the frame it shows, 0-based (`frames`: drawn)
    length: float | None = None  # seconds the file plays, hold included (None: PNG)

    def __repr__(self) -> str:
        """The fields, with the file's bytes as their count: printing a render in memory
        wrote the whole file out escaped (60 MB of text for a 20 MB MP4)."""
        parts = []
        for item in fields(self):
            value = getattr(self, item.name)
            shown = f"<{len(value):,} bytes>" if item.name == "data" and value else repr(value)
            parts.append(f"{item.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    @property
    def made(self) -> str:
        """`121 frames, 7.6 s`: the frames drawn and how long the file plays; `frame 5` for a
        still (--frame counts from 0: "5 frames" would read as its length)."""
        if self.still is not None:
            return f"frame {self.still}"
        frames = counted(self.frames, "frame")
        return frames if self.length is None else f"{frames}, {duration(self.length)}"

    def __str__(self) -> str:
        """`print(result)`: what was made, in a line, and its notes (as a notebook's summary
        says it), not the fields."""
        from vizff.notebook import describe

        return describe(self)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """Jupyter shows the render inline: an image, a <video>, or a link when too large."""
        from vizff.notebook import mimebundle

        return mimebundle(self)


@dataclass
class RenderJob:
    """A scene and its writer, both checked and ready; `run()` draws and writes the frames."""

    name: str
    scene: Scene
    writer: FrameWriter
    settings: Settings

    @property
    def total(self) -> int:
        return self.scene.frame_count()

    def run(self, progress: Progress | None = None) -> RenderResult:
        if self.settings.get("max_bytes") is not None:  # GIF and WebP within a size budget
            from vizff.budget import fit

            return fit(self, progress)
        start, total = time.perf_counter(), self.total
        poster, staged = None, None
        with self.settings_named():
            self.scene.load()  # data errors surface before the output is touched
            self.writer.title = file_title(planned_title(self.scene))
            try:
                with self.writer as writer:
                    writer.start(self.scene.size)  # ffmpeg starts while the scene sets up
                    for frame in self.scene.frames():
                        writer.write(frame)
                        if writer.frames == 1 and self.settings.get("poster"):
                            poster = frame.copy()  # one frame kept, whatever the length
                        if progress:
                            progress(writer.frames, total)
                        if getattr(writer, "satisfied", False):  # a single PNG has its frame
                            break
                    if poster is not None:  # written before the video is: one fails, neither is
                        staged = stage_poster(
                            poster, writer.path, writer.title, asked=self.settings.given("poster")
                        )
                        writer.companions.append(staged)  # and committed with it
            except BaseException:
                if staged is not None:  # the video failed as it finished: its poster goes too
                    staged.discard()
                raise
        path = self.writer.path
        if path.is_dir():
            size = sum(p.stat().st_size for p in path.glob("frame_*.png"))
        else:
            size = path.stat().st_size
        notes = (self.writer.note,) if getattr(self.writer, "note", None) else ()
        if os.path.islink(path):  # say which file was replaced, not only the link's name
            notes += (f"{path} is a link: the file written is {os.path.realpath(path)}",)
        return RenderResult(
            path,
            self.writer.frames,
            size,
            time.perf_counter() - start,
            notes
            + data_notes(self.settings)
            + looks_wrong_in(self.scene)
            + class_notes(self.scene, self.settings)
            + batch_notes(self.scene, self.settings)
            + shortened(self.scene, self.settings)
            + small_text(self.scene),
            size=self.writer.size,
            title=shown_title(self.scene),
            poster=staged.target if staged is not None else None,
            still=getattr(self.writer, "still", None),
            length=self.writer.playing,
        )

    def settings_named(self):
        return named(self.settings)


class named:
    """Context: an OptionError raised inside names its option as the user gave it."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace) -> bool:
        if isinstance(error, OptionError):
            self.settings.attribute(error)
        elif isinstance(error, TrainingDiverged) and self.settings.given("lr"):
            source = self.settings.source("lr")  # "(lr, now 1e+06)" as the user gave it
            named = source.name("lr", self.settings.raw["lr"])
            error.args = (re.sub(r"\(lr, now [^)]*\)", f"({named})", str(error)),)
        return False


FASHION = '"fashion"'  # as a string is written in a scene file and in Python


def looks_wrong_in(scene: Scene) -> tuple[str, ...]:
    """`looks_wrong` of the data a scene read (none for a scene that reads none)."""
    from vizff.data import looks_wrong

    digits = scene.__dict__.get("digits")  # read by load(); not read here for the asking
    return looks_wrong(digits) if digits is not None else ()


def class_notes(scene: Scene, settings: Settings) -> tuple[str, ...]:
    """`unnamed_labels` where the user named the classes of data that a scene read."""
    from vizff.data import unnamed_labels

    digits = scene.__dict__.get("digits")
    names = settings.get("classes")
    if digits is None or not isinstance(names, tuple) or not settings.given("classes"):
        return ()
    given = settings.source("classes").name("classes", settings.raw.get("classes", names))
    note = unnamed_labels(digits, names, given)
    return (note,) if note else ()


def batch_notes(scene: Scene, settings: Settings) -> tuple[str, ...]:
    """A note where the batch size is more than the train split holds: each step then takes
    the whole split (the subtitle's "batch 64" would say otherwise)."""
    config, digits = getattr(scene, "config", None), scene.__dict__.get("digits")
    if config is None or digits is None:
        return ()
    return batch_note(len(digits.train_labels), config.batch_size, settings)


def batch_note(n_train: int, batch_size: int, settings: Settings) -> tuple[str, ...]:
    if not 0 < n_train < batch_size:
        return ()
    named = (
        settings.source("batch_size").name("batch_size", settings.raw.get("batch_size"))
        if settings.given("batch_size")
        else f"the batch size ({batch_size}, the default)"
    )
    return (
        f"{named} is more than the data's {counted(n_train, 'train image')}: each step "
        f"takes {'it' if n_train == 1 else f'all {n_train:,}'}",
    )


def data_notes(settings: Settings) -> tuple[str, ...]:
    """Notes on the `data` the user gave: a source's name that is a folder's too (a folder
    `mnist` beside `--data mnist`: the source is read, and the note says so); a folder named
    like Fashion-MNIST, drawn with the default classes (digits)."""
    if "data" not in settings.values:
        return ()
    text = settings.raw.get("data", settings.data)
    if settings.get("classes") == "fashion" and str(text).strip().lower() in ("sample", "mnist"):
        named = settings.source("classes").name("classes", "fashion")
        return (  # the frames would call handwritten digits clothes
            f"{named} names Fashion-MNIST's clothes, but the data ({str(text).strip()}) is "
            "MNIST's handwritten digits, which the frames then call clothes; give a folder of "
            "Fashion-MNIST's files as the data",
        )
    if not settings.given("data"):
        return ()
    source = settings.source("data")
    folder = folder_also_named(text, source.path.parent if isinstance(source, File) else ".")
    if folder is not None:
        return (also_named_note(source.name("data", text), text, folder),)
    if "classes" in settings.values and not settings.given("classes") and isinstance(text, str):
        name = Path(text).name or Path(text).resolve().name  # `.`: the folder it is
        if "fashion" in name.lower():  # its frames would say digits: the default classes
            return (
                f"{source.name('data', text)} looks like Fashion-MNIST, whose classes are "
                f"clothes: {source.mention('classes', FASHION)} names "
                "them (the frames call them digits)",
            )
    return ()


CJK_LEAST = 10  # pixels: Chinese characters set smaller are hard to make out (偏导数, 损失)


def small_text(scene: Scene) -> tuple[str, ...]:
    """A note where a frame's small Chinese text (labels, table, counters) is set under
    CJK_LEAST pixels: below 640x360 it reaches the kit's 8 px floor, where Latin letters
    still read and dense characters do not. A card's text is set large: no note."""
    from vizff.draw.text import MIN_PIXELS

    page = getattr(scene, "page", None)
    if page is None or not page.words.cjk or scene.name == "card":
        return ()
    pixels = page.px("small")
    if pixels >= CJK_LEAST:
        return ()
    size = "x".join(map(str, scene.size))
    return (
        f"at {size} the Chinese labels are {max(MIN_PIXELS, int(pixels))} px tall, too "
        f"small to read; render at {readable_size(scene.size)} or larger",
    )


def readable_size(size: tuple[int, int]) -> str:
    """The smallest frame of this shape whose text is set at the 640x360 design's size (text
    grows with the frame's shorter way: 1000x200, a banner, needs 1800x360, not 640x360), in
    even pixels; where that passes 4K, a frame of 640x360's own shape."""
    from vizff.draw.page import scale_of
    from vizff.options import within_max

    grow = 1 / scale_of(size)
    width, height = (2 * math.ceil(side * grow / 2) for side in size)
    return f"{width}x{height}" if within_max((width, height)) else "640x360"


def shortened(scene: Scene, settings: Settings) -> tuple[str, ...]:
    """Notes for a title or subtitle the user wrote that the frames could not show whole:
    cut with an ellipsis, or its lines set on fewer (a card has room for so many)."""
    page = getattr(scene, "page", None)
    if page is None:
        return ()
    from vizff.draw.page import scale_of

    notes = []
    size = "x".join(map(str, scene.size))
    # text grows with the frame from 640x360 up (a larger size cuts it at the same word, as
    # "or render larger" once said at 4K); below, its letters stop shrinking with the frame
    larger = ", or render larger" if scale_of(scene.size) < 1 else ""
    for key in ("title", "subtitle"):
        given = settings.get(key) if settings.given(key) else None
        if not isinstance(given, str) or not given.strip():
            continue
        # as written: `10⁻⁵` (the characters drawn are `10` and a raised `−5`)
        drawn = [_unmarked(item.source) for item in page.texts() if item.role == key]
        lines = [line for line in given.splitlines() if line.strip()]
        if any(text.endswith("…") for text in drawn) and not given.rstrip().endswith("…"):
            cut = next(text for text in drawn if text.endswith("…"))
            fix = (
                "shorten it, or move some of it to the subtitle" if key == "title" else "shorten it"
            )
            notes.append(f'the {key} does not fit {size} and is cut ("{cut}"): {fix}{larger}')
        elif drawn and len(lines) > len(drawn):
            notes.append(
                f"the {key}'s {len(lines)} lines do not fit {size}: they are set on "
                f"{len(drawn)}; use fewer lines{larger}"
            )
    return tuple(notes)


def shown_title(scene: Scene) -> str:
    """The title the frames show, markup removed: `W_{1}` is `W1`."""
    if scene.page is None:
        return scene.name
    return _unmarked(scene.page.title_text)


def planned_title(scene: Scene) -> str:
    """The title the frames will show, known before they are drawn (the scene loaded): the
    user's own as written, else the scene's, markup removed. The file carries it."""
    from vizff.draw.text import escape

    own = scene.settings.title
    return _unmarked(escape(own) if own is not None else scene.title())


def _unmarked(text: str) -> str:
    """The text as its file's metadata holds it: markup removed, each control character a
    space (line breaks kept), as `writers.file_title` writes it (a result's title kept
    "a\x00b" while its file said "a b")."""
    import unicodedata

    from vizff.draw.text import _pieces

    text = "".join(piece for piece, _ in _pieces(text, scripted=False))
    return "".join(
        " " if c != "\n" and unicodedata.category(c) == "Cc" else c for c in text
    ).strip()


def stage_poster(
    frame: np.ndarray, video: Path, title: str | None = None, *, asked: bool = True
) -> Staged:
    """`NAME.poster.png` written beside the video under a temporary name, still to commit.
    `asked`: the user gave `--poster`; else `--embed` wants it, and errors say so."""
    from vizff.embed import poster_path
    from vizff.writers import save_png

    target = poster_path(video)
    name = f"--poster {target}" if asked else f"the poster {target} that --embed names"
    staged = Staged(target, name=name, tidy=False)
    with writing(staged):
        save_png(frame, staged.path, title)
    return staged


def check_poster(path: Path) -> None:
    """Refuse, before any work, a poster name beside `path` that a file cannot take (its
    name is 7 characters longer than the video's; a folder of that name)."""
    from vizff.embed import poster_path

    target = poster_path(path)
    try:
        is_dir = target.is_dir()
        os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OptionError(
            "poster",
            f"cannot write {target.name} beside the video ({reason(exc)}); "
            "give the video a shorter name",
        ) from None
    if is_dir:
        raise OptionError("poster", f"{target} is a folder, which the poster cannot replace")
    problem = special_problem(target) or link_problem(target) or read_only_problem(target)
    if problem:
        raise OptionError("poster", f"{target} {problem}")


def check_output(settings: Settings, path: Path) -> None:
    """Options that hold only for some formats: `max_bytes` (GIF, WebP), `poster` (MP4)."""
    suffix = path.suffix.lower()
    if settings.get("max_bytes") is not None and suffix not in (".gif", ".webp"):
        raise OptionError(
            "max_bytes",
            f"only for .gif and .webp outputs, not {path.name or path}: an MP4's size follows "
            "its encoder's quality, a PNG's its one frame",
        )
    if settings.get("poster") and suffix != ".mp4":
        raise OptionError(
            "poster", f"only for an .mp4 output (a <video>'s first picture), not {path.name}"
        )
    if settings.get("poster"):
        check_poster(path)


def prepare(
    recipe: Recipe, *, out_dir: Path = Path("outputs"), lenient: Source | None = None
) -> RenderJob:
    """Build the scene and the writer a recipe names: every option is checked here."""
    settings = recipe.settle(lenient=lenient)
    with named(settings):
        scene = SCENES[recipe.scene](settings)
        writer = open_writer(
            default_output(recipe, settings, out_dir),
            fps=settings.fps,
            hold=settings.hold,
            palette=scene.palette,
            frame=settings.frame,
            total=scene.frame_count() if settings.frame is not None else None,
        )
        writer.check_size(scene.size)
        check_output(settings, writer.path)
    return RenderJob(recipe.name or recipe.scene, scene, writer, settings)


def render(recipe: Recipe, *, out_dir: Path = Path("outputs"), progress: Progress | None = None):
    """Render `recipe` to its output file, atomically; memory does not grow with frames."""
    return prepare(recipe, out_dir=out_dir).run(progress)


@users_errors
def render_scene(scene: str, out: str | Path | None = None, **options: Any) -> RenderResult:
    """Python entry point: `render_scene("weights", "w.gif", steps=100, hidden=[16])`.

    Keywords are the scene-file keys (`vizff scenes NAME` lists them); errors name them as
    keywords. Without `out` nothing is written: the render is made in memory as `vizff.show`
    makes it (a GIF unless `format=` says otherwise; its bytes in `result.data`).
    """
    if out is None:
        from vizff.notebook import show

        if "progress" in options:  # show()'s keyword, which render_scene sets itself
            raise OptionError(
                "progress",
                "not an option of render_scene, which shows no progress; "
                "vizff.show(scene, progress=True) shows a bar in a notebook",
                value=options["progress"],
            )
        return show(scene, progress=False, **options)
    if "format" in options:  # show()'s keyword, and render_scene's without out: not with it
        raise OptionError(
            "format",
            f"with out, the format is out's extension (out={os.fspath(out)!r}); give out a "
            "name ending in .gif, .mp4, .webp or .png",
            value=options["format"],
        )
    return render(python_recipe(scene, out, options))


def scene_frames(scene: str, **options: Any) -> Iterator[np.ndarray]:
    """The frames of a scene as (height, width, 3) uint8 arrays, one at a time, no file."""
    recipe = python_recipe(scene, None, options)
    settings = recipe.settle()
    with named(settings):
        instance = SCENES[recipe.scene](settings)
        instance.load()
    yield from instance.frames()
