"""What every scene shares: its settings, its look (theme, words, page), and training plumbing."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from vizff.data import Digits, load_digits
from vizff.draw import THEMES, Look, Page, catalogue, numbers
from vizff.draw.page import typeface_for
from vizff.draw.typeface import (
    needs_shaping,
    right_to_left,
    right_to_left_controls,
    unshowable,
    written_problem,
)
from vizff.errors import DataError, File, OptionError, Python
from vizff.options import Option, Settings, settle
from vizff.train import Snapshot, TrainConfig, check_memory, check_splits, train

# A silent pass's frame snapshots are kept for the drawn pass when their parameters fit
# this many bytes (784-32-10: 101 KB a frame, 165 frames; a longer run is trained again).
REPLAY_BYTES = 16 * 2**20


SHARED_WORDS = ("common", "data", "classes")  # sections any scene may draw words from


def data_name(words, source: str, path: str) -> str:
    """`MNIST sample`, `MNIST`, or a folder's own name (`.` and `..` named as the folder they
    are; not resolved: a link keeps its name)."""
    if source in ("sample", "mnist"):
        return words(f"data.{source}")
    return os.path.basename(os.path.abspath(path)) or path


class Scene:
    """One animation: `frame_count()` frames of `size`, produced by `frames()`.

    Build it from checked `Settings` (the CLI, scene files and storyboards do), or in Python
    with keywords: `Weights(hidden=(16,), steps=100, theme="dark")`.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    takes: ClassVar[tuple[str, ...]] = ()  # shared option groups beyond output and look
    also: ClassVar[tuple[str, ...]] = ()  # shared options taken one by one, not their group
    OPTIONS: ClassVar[tuple[Option, ...]] = ()  # this scene's own options
    DEFAULTS: ClassVar[dict[str, Any]] = {}  # this scene's own defaults for shared options
    # the smallest frame whose text stays legible and apart; smaller sizes are refused
    MIN_SIZE: ClassVar[tuple[int, int]] = (320, 180)
    # the user's title and subtitle: one line each (a card wraps and breaks them into several)
    MULTILINE_TITLES: ClassVar[bool] = False
    # the sections of the catalogue this scene draws words from, besides SHARED_WORDS: a
    # --font needs their characters only (tests/test_font.py records what each scene uses)
    SECTIONS: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("SECTIONS") and "name" in cls.__dict__:
            cls.SECTIONS = (cls.name,)

    def __init__(self, settings: Settings | None = None, **options: Any):
        if settings is None:
            settings = settle(type(self), [(options, Python())])
        self.settings = settings
        self.size: tuple[int, int] = settings.size
        self._look = Look(
            theme=THEMES[settings.theme],
            words=catalogue(settings.lang),
            title=settings.title,
            subtitle=settings.subtitle,
            font=settings.font,
            names=classes if isinstance(classes := settings.get("classes"), tuple) else (),
            sections=(*self.SECTIONS, *SHARED_WORDS),
            scene=self.name,
        )
        self.page: Page | None = None  # made by frames(); its texts are the frame's words
        try:
            width, height = self.MIN_SIZE
            if self.size[0] < width or self.size[1] < height:
                short = (  # the side that is short, where the other is long enough
                    f" (a width of {width} or more)" if self.size[1] >= height
                    else f" (a height of {height} or more)" if self.size[0] >= width
                    else ""
                )  # fmt: skip
                raise OptionError(
                    "size",
                    f"scene {self.name} needs at least {width}x{height}{short} for its text to "
                    "stay legible and apart; choose a larger size",
                )
            self._check_lines()
            self._check_class_names()
            typeface_for(self._look)  # a title no font can draw is refused before any work
            self.check()
        except OptionError as error:
            raise settings.attribute(error) from None

    def _check_class_names(self) -> None:
        """Names of the user's classes are drawn under images and in a matrix's rows, one
        line each: refused as titles are where the frames could not show them as written."""
        names = self.settings.get("classes")
        if not isinstance(names, tuple):
            return
        for name in names:
            if problem := unshowable(name):
                shown = "".join(  # one line, whatever the name holds: \n, not a break
                    c if c.isprintable() else c.encode("unicode_escape").decode() for c in name
                )
                raise OptionError("classes", f'the name "{shown}" {problem}')

    def _check_lines(self) -> None:
        """What a title cannot show as written is refused, not drawn wrong: a line break in a
        one-line title (the rest would be lost), right-to-left script (drawn left to right,
        Arabic and Hebrew would read backwards), and scripts that need shaping (Devanagari
        and the other Indic scripts, drawn glyph by glyph, would lose their conjuncts and
        vowel order)."""
        for key in ("title", "subtitle"):
            text = self.settings[key]
            if text is None:
                continue
            if problem := written_problem(key, text):
                raise OptionError(key, problem)
            backwards = right_to_left(text)
            overrides = right_to_left_controls(text)
            if overrides:
                raise OptionError(
                    key,
                    "has a right-to-left control ("
                    + ", ".join(f"U+{ord(c):04X}" for c in overrides)
                    + "), which asks for the text reversed; vizff draws left to right, so "
                    "leave it out and write the words in the order they are read",
                )
            if backwards:
                raise OptionError(
                    key,
                    "has right-to-left letters (" + "".join(backwards[:8]) + "), which vizff "
                    "would draw left to right, reversed; write it in a left-to-right script",
                )
            shaped = needs_shaping(text)
            if shaped:
                raise OptionError(
                    key,
                    "has letters of a script that joins and reorders them ("
                    + "".join(shaped[:8])
                    + "), which vizff would draw one by one, unjoined and out of order; "
                    "write it in another script",
                )
            if not self.MULTILINE_TITLES and ("\n" in text or "\r" in text):
                raise OptionError(
                    key,
                    f"is one line in scene {self.name} (a card takes several lines); "
                    "write it on one line"
                    + (", or put the rest in subtitle" if key == "title" else ""),
                )

    @property
    def look(self) -> Look:
        """The theme, the words and the user's own texts a page is drawn with."""
        return self._look

    def drawable_data_name(self, name: str, source: str) -> str:
        """A folder's name as the frames show it: with a font that has its characters (a
        system font, as for a title), else the catalogue's words for the user's data. A
        folder named 数据集 or data😀set was drawn with empty boxes."""
        if source in ("sample", "mnist"):
            return name
        if unshowable(name):  # a line break, right-to-left letters, a bidi override: not
            return self.words("data.folder")  # the user's prose, so not refused, replaced
        try:
            typeface_for(replace(self._look, data=name))
        except OptionError:
            return self.words("data.folder")
        return name

    @property
    def theme(self):
        return self._look.theme

    @property
    def words(self):
        return self._look.words

    def check(self) -> None:
        """Checks across options (raise OptionError with the key); run when the scene is made."""

    def load(self) -> None:
        """Read what the frames need (a dataset), so its errors come before any file is opened."""

    def frame_count(self) -> int:
        raise NotImplementedError

    def frames(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    @property
    def palette(self) -> np.ndarray | None:
        """The colours this scene draws with (for GIF); None lets the writer choose."""
        return None

    def estimate_seconds(self) -> float | None:
        """A rough estimate of the render's duration, when it may be long (training)."""
        return None

    # what `estimate_seconds` measures, as a note names it: "estimated 4 min of training"
    estimated_work: ClassVar[str] = "training"

    def title(self) -> str:
        """The scene's title in its language (before a user's own title replaces it)."""
        return self.words(f"{self.name}.title")

    # ---- how the data's classes and images are named (scenes that take `classes`) ----------
    def things(self, plural: bool = True) -> str:
        """What a class is called: `digit`, `item`, `class` (from the classes option): "the
        true digit", "10 classes"."""
        return self.words(f"classes.{self._kind()}.{'plural' if plural else 'noun'}")

    def examples(self, plural: bool = True) -> str:
        """What one image of the data is called: `digit`, `item`, or for classes of the
        user's own naming `image` ("test image #2"; never "test class #2")."""
        return self.words(f"classes.{self._kind()}.{'examples' if plural else 'example'}")

    def images_word(self) -> str:
        """The images, as a title names them: `digits`; in Chinese 数字图像, 图像."""
        return self.words(f"classes.{self._kind()}.images")

    def image_word(self) -> str:
        """One image, as a title names it: `digit`; in Chinese 数字图像 (数字 alone also
        reads as "a number")."""
        return self.words(f"classes.{self._kind()}.image")

    def _kind(self) -> str:
        return self.settings.classes if isinstance(self.settings.classes, str) else "custom"

    def class_names(self) -> list[str]:
        """The names of labels 0..9: digits, Fashion-MNIST's items, or the user's own."""
        classes = self.settings.classes
        if isinstance(classes, tuple):
            return list(classes)
        return self.words.list(f"classes.{classes}.names")


class DataScene(Scene):
    """A scene that shows a dataset's images: the data and how its classes are named."""

    takes = ("data",)

    def load(self) -> None:
        self.digits  # noqa: B018 (reads and caches the dataset)

    @cached_property
    def digits(self) -> Digits:
        try:
            return load_digits(self.settings.data)
        except OptionError as error:  # named as the user gave `data`: flag, file key, keyword
            raise self.settings.attribute(error) from None
        except DataError as error:
            raise self.in_the_file(error) from None

    def in_the_file(self, error: DataError) -> DataError:
        """A problem in the data read from a scene file or storyboard, saying too which file
        and key led there (the command line's --data is the path the error starts with)."""
        source = self.settings.source("data")
        if not isinstance(source, File):
            return error
        return type(error)(f"{source.name('data', self.settings.data)}: {error}")

    @property
    def look(self) -> Look:
        return replace(self._look, data=self.dataset_name())

    def dataset_name(self) -> str:
        """`MNIST sample`, `MNIST`, or the folder's name for a directory of IDX files."""
        return self._dataset_name

    @cached_property
    def _dataset_name(self) -> str:
        name = data_name(self.words, self.digits.source, self.digits.path)
        return self.drawable_data_name(name, self.digits.source)

    def image_size(self) -> str:
        rows, cols = self.digits.image_shape
        return f"{rows}×{cols}"


class TrainingScene(DataScene):
    """A scene driven by `train()`: frames at steps 0, every, 2·every, ... and the last.

    Step 0 is the untrained network. Every training scene takes the same training options
    with the same defaults, so two clips of one lesson show the same run.
    """

    takes = ("data", "seed", "training")
    DEFAULTS: ClassVar[dict[str, Any]] = {"steps": 300, "every": 3}
    shows_test_accuracy: ClassVar[bool] = True  # evaluate on the test split at every frame
    _replay: list[Snapshot] | None = None  # a silent pass's snapshots, to be drawn

    def check(self) -> None:
        settings = self.settings
        if settings.given("epochs") and settings.given("steps"):
            raise OptionError("epochs", "give epochs or steps, not both")

    @cached_property
    def steps(self) -> int:
        """Gradient steps: from `epochs` over this dataset, or `steps`, or the default."""
        settings = self.settings
        if settings.given("epochs"):
            per_epoch = math.ceil(len(self.digits.train_labels) / settings.batch_size)
            steps = settings.epochs * per_epoch
            if steps > 1_000_000:
                raise settings.attribute(
                    OptionError("epochs", f"is {steps:,} steps on this data; at most 1,000,000")
                )
            return steps
        return settings.steps

    @cached_property
    def every(self) -> int:
        every = self.settings.every
        if self.steps and every > self.steps and self.settings.given("every"):
            raise self.settings.attribute(
                OptionError("every", f"must be 1 to {self.steps} (the number of steps)")
            )
        return max(1, min(every, self.steps))

    @cached_property
    def config(self) -> TrainConfig:
        s = self.settings
        return TrainConfig(
            hidden=s.hidden,
            activation=s.activation,
            lr=s.lr,
            batch_size=s.batch_size,
            steps=self.steps,
            method=s.method,
            seed=s.seed,
            dtype=s.dtype,
            on_diverge=s.on_diverge,
            eval_every=self.every if self.shows_test_accuracy else 0,
        )

    def load(self) -> None:
        super().load()
        try:
            check_splits(self.digits)  # before anything reads a first digit
        except DataError as error:
            raise self.in_the_file(error) from None
        self.config  # noqa: B018 (epochs over the data, every, the training checks)
        try:
            check_memory(self.digits, self.config)  # before a frame: not MemoryError part way
        except OptionError as error:  # `hidden` as the user gave it: flag, file key, keyword
            raise self.settings.attribute(error) from None

    def frame_steps(self) -> list[int]:
        """The steps that become frames: 0, every, 2·every, ..., and the last."""
        steps = list(range(0, self.steps + 1, self.every))
        if steps[-1] != self.steps:
            steps.append(self.steps)
        return steps

    def frame_count(self) -> int:
        return len(self.frame_steps())

    def is_frame(self, snapshot: Snapshot) -> bool:
        return (
            snapshot.step % self.every == 0
            or snapshot.step == self.steps
            or snapshot.diverged_at is not None
        )

    def silent_frame_snapshots(self) -> Iterator[Snapshot]:
        """The frame snapshots of the scene's own run, trained before the drawn pass to fix
        what it needs from the whole run (colour limits). The run is the drawn pass's, except
        that a divergence is shown, not raised: the drawn pass reports it as the scene's
        `on_diverge` says. The snapshots are kept for `frame_snapshots()` to give again
        instead of training the same run twice, when the run did not diverge and their
        parameters fit within REPLAY_BYTES (else the drawn pass trains again). They are kept
        without their gradients, which halves the memory: a scene that draws gradients must
        not take this pass (tests/test_replay.py checks each scene that does against its run
        trained again)."""
        from dataclasses import replace

        sizes = (self.digits.train_images[0].size, *self.config.hidden, 10)
        per_frame = np.dtype(self.config.dtype).itemsize * sum(
            n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])
        )
        # the whole run fits, or none of it is kept: memory stays flat in the frames
        kept = [] if per_frame * len(self.frame_steps()) <= REPLAY_BYTES else None
        self._replay = None
        for snapshot in self.frame_snapshots(replace(self.config, on_diverge="show")):
            if kept is not None and snapshot.diverged_at is None:
                kept.append(replace(snapshot, gradients=None))
            else:
                kept = None  # a diverged run is trained again: the drawn pass raises as before
            yield snapshot
        self._replay = kept  # only once the whole run has been seen

    def frame_snapshots(self, config: TrainConfig | None = None) -> Iterator[Snapshot]:
        """The snapshots that become frames; after a shown divergence, the last one again for
        each frame left, so the render keeps its length and ends cleanly. With no `config`,
        the scene's run: given again from a completed `silent_frame_snapshots()` where it kept
        them (the same numbers: training is deterministic), else trained."""
        replay = self._replay if config is None else None
        if replay is not None:
            self._replay = None
            replay.reverse()
            while replay:  # each snapshot let go once drawn
                yield replay.pop()
            return
        shown = 0
        last = None
        for snapshot in train(self.digits, config or self.config):
            if self.is_frame(snapshot):
                shown += 1
                last = snapshot
                yield snapshot
        while last is not None and last.diverged_at is not None and shown < self.frame_count():
            shown += 1
            yield last

    def training_page(self, caption: str) -> Page:
        """A training scene's page: its title, the network it trains as the subtitle, and a
        caption region that holds `caption` (the widest caption it will show)."""
        return Page(
            self.size, self.look, title=self.title(), subtitle=self.network_text(), caption=caption
        )

    def network_text(self) -> str:
        """`784-32-10 sigmoid, learning rate 1.0, batch 64, MNIST sample`, in the language."""
        config = self.config
        inputs = self.digits.train_images[0].size
        sizes = "-".join(str(n) for n in (inputs, *config.hidden, 10))
        return self.words(
            "common.network",
            sizes=sizes,
            activation=config.activation,
            lr=f"{config.lr:g}",
            batch=min(config.batch_size, len(self.digits.train_labels)),  # what a batch holds
            dataset=self.dataset_name(),
            method=self.words(f"common.method.{config.method}"),
        )

    def estimate_seconds(self) -> float | None:
        from vizff.train import estimated_seconds

        digits = self.digits
        return estimated_seconds(
            self.config,
            len(digits.train_labels),
            digits.train_images[0].size,
            len(digits.test_labels),
            images=digits.train_images[: self.config.batch_size],
        )

    def diverged_text(self, snapshot: Snapshot) -> str:
        """`diverged at step 1`, with how far the batch loss went where that was the sign
        (`... reached 52.66`: the chart only shows that it left the top)."""
        from vizff.train import DIVERGED_LOSS

        loss = snapshot.loss
        if math.isfinite(loss) and not loss < DIVERGED_LOSS:
            return self.words(
                "common.diverged_loss", step=snapshot.diverged_at, loss=numbers.fixed(loss, 2)
            )
        return self.words("common.diverged", step=snapshot.diverged_at)

    def loss_text(self, value: float) -> str:
        return numbers.fixed(value, 4)
