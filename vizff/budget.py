"""A GIF or WebP that fits a byte budget (`max_bytes`): render, measure, reduce, render again.

What is reduced, in this order, each only as far as needed before the next is touched:

1. frame step: every 2nd, 3rd, then 4th frame (the first and the last always kept), each shown
   that much longer, so the animation keeps its length;
2. size: the scene drawn again smaller (its text and lines scale with it), 90% of each side,
   then 80%... down to 50%, never below 320x180 nor below the scene's own smallest size (a
   smaller size asked for is not reduced);
3. colour levels: the colours the frames may use thinned to 128, 64, then 32 (every pixel
   takes the nearest one; the page and text colours are kept).

Exactness: each attempt is written in a temporary folder beside the target, and the file that
replaces the target is the very file measured, so the output never exceeds the budget; when
even the last step does not fit, the render fails and the target is left as it was. An attempt
stops as soon as its file passes the budget, and what it wrote so far predicts how far the next
one must go; when that estimate skipped steps, the steps between the last one over and the one
that fits are tried by halving, so the reduction kept is the least that fits. Before any of
this, the first frame alone at the smallest settings is measured: a budget below that is
refused at once.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vizff.errors import OptionError, RenderError
from vizff.files import make_dirs, reason, remove_dirs, staged_as, temp_prefix

STEPS = (1, 2, 3, 4)
SCALES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
COLOURS = (None, 128, 64, 32)
SMALLEST = (320, 180)  # the size lever stops here: smaller, a frame's words are hard to read
KEPT_COLOURS = 5  # the first palette entries: background, ink, muted, faint, panel
# rough effect of each lever on the size, to choose the next attempt (each is then measured)
COLOUR_FACTOR = {None: 1.0, 128: 0.85, 64: 0.72, 32: 0.6}
MARGIN = 0.95  # aim below the budget: the estimate is an extrapolation


@dataclass(frozen=True)
class Reduction:
    """One rung of the ladder: a frame step, a scale of each side, a number of colours."""

    step: int = 1
    scale: float = 1.0
    colours: int | None = None

    def size(self, asked: tuple[int, int]) -> tuple[int, int]:
        if self.scale == 1.0:
            return asked
        width, height = asked
        return (2 * round(width * self.scale / 2), 2 * round(height * self.scale / 2))

    def factor(self) -> float:
        """The size this rung should have, relative to no reduction."""
        return self.scale**2 * COLOUR_FACTOR[self.colours] / self.step

    def describe(self, asked: tuple[int, int], fps: float) -> list[str]:
        said = []
        if self.step > 1:
            nth = {2: "2nd", 3: "3rd"}.get(self.step, f"{self.step}th")
            said.append(f"every {nth} frame (at {fps / self.step:.3g} fps, the same length)")
        if self.scale != 1.0:
            width, height = self.size(asked)
            said.append(f"{width}x{height} instead of {asked[0]}x{asked[1]}")
        if self.colours is not None:
            said.append(f"{self.colours} colours")
        return said


def ladder(
    asked: tuple[int, int], floor: tuple[int, int] = SMALLEST, above: float = 0.0
) -> list[Reduction]:
    """Every rung, least reduced first, in the documented order: sizes down to `floor` (and
    scales above `above`: smaller ones the scene refused)."""
    rungs = [Reduction(step) for step in STEPS]
    smallest = STEPS[-1]
    scales = [
        scale
        for scale in SCALES[1:]
        if scale > above and fits_floor(Reduction(scale=scale).size(asked), floor)
    ]
    rungs += [Reduction(smallest, scale) for scale in scales]
    last_scale = scales[-1] if scales else 1.0
    rungs += [Reduction(smallest, last_scale, colours) for colours in COLOURS[1:]]
    return rungs


def fits_floor(size: tuple[int, int], floor: tuple[int, int]) -> bool:
    return size[0] >= floor[0] and size[1] >= floor[1]


def floor_of(scene) -> tuple[int, int]:
    """The smallest size the size lever may reach: 320x180, or the scene's own smallest."""
    least = getattr(type(scene), "MIN_SIZE", SMALLEST)
    return max(SMALLEST[0], least[0]), max(SMALLEST[1], least[1])


class OverBudget(Exception):
    """An attempt passed the budget after `done` of `kept` frames, `written` bytes so far."""

    def __init__(self, written: int, done: int, kept: int):
        super().__init__(written)
        self.estimate = written * kept / max(done, 1)


def fit(job, progress: Callable[[int, int], None] | None = None):
    """Render `job` to its GIF or WebP target within `settings.max_bytes`; see the module."""
    from vizff.render import RenderResult, named, shown_title

    start, settings = time.perf_counter(), job.settings
    budget, target = settings.max_bytes, job.writer.path
    rungs = ladder(job.scene.size, floor_of(job.scene))
    with named(settings):
        job.scene.load()
        made = make_dirs(target.parent, str(target))
        try:
            folder = Path(tempfile.mkdtemp(prefix=temp_prefix(), dir=target.parent))
        except OSError as exc:  # named as the output, not the temporary that could not be made
            remove_dirs(made)
            raise RenderError(
                f"{target}: cannot write in {target.parent} ({reason(exc)})"
            ) from None
        kept = False
        try:
            floor = folder / f"floor{target.suffix}"
            with staged_as(floor, target):
                rungs = check_floor(job, rungs, floor, budget)
            over, best, index, tries = -1, None, 0, 0  # the last rung over, the best that fits
            while index is not None:
                tries += 1
                attempt = folder / f"attempt{tries}{target.suffix}"
                try:
                    with staged_as(attempt, target):
                        scene, writer = render_rung(job, rungs[index], attempt, budget, progress)
                    if best is not None:
                        best[0].unlink()
                    best = (attempt, index, scene, writer)
                except OverBudget as passed:
                    over = index
                    if best is None:
                        index = next_rung(rungs, index, passed.estimate, budget)
                        if index is None:
                            raise too_small(budget, passed.estimate, rungs[-1], job) from None
                        continue
                except RenderError as error:
                    if best is None or not out_of_space(error):
                        raise
                    break  # no room beside the one that fits for a try at less reduction: kept
                # a rung skipped on an estimate may fit too: halve the gap until none is left
                index = (over + best[1]) // 2 if best[1] - over > 1 else None
            attempt, index, scene, writer = best
            rung = rungs[index]
            os.replace(attempt, target)  # the file measured is the file kept
            kept = True
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if not kept:
                remove_dirs(made)
    size = target.stat().st_size
    notes = [writer.note] if writer.note else []
    notes.append(budget_note(rung, job, size, budget, tries))
    return RenderResult(
        target,
        writer.frames,
        size,
        time.perf_counter() - start,
        tuple(notes),
        size=writer.size,
        title=shown_title(scene),
        length=writer.playing,
    )


def out_of_space(error: BaseException) -> bool:
    """A full disk (or quota, or file size limit) under `error`, as the writers report it."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def next_rung(rungs: list[Reduction], index: int, estimate: float, budget: int) -> int | None:
    """The first later rung predicted to fit, else the last one; None when none is left."""
    if index + 1 >= len(rungs):
        return None
    base = estimate / rungs[index].factor()  # the size with nothing reduced, as now measured
    for later in range(index + 1, len(rungs)):
        if base * rungs[later].factor() <= MARGIN * budget:
            return later
    return len(rungs) - 1


def render_rung(job, rung: Reduction, path: Path, budget: int, progress):
    """One attempt: the scene at the rung's size, its kept frames written to `path`.
    Raises OverBudget as soon as the file passes `budget`."""
    from vizff.render import planned_title
    from vizff.writers import open_writer

    settings = job.settings
    scene = rescaled(job.scene, rung.size(job.scene.size))
    scene.load()
    total = scene.frame_count()
    kept = len(range(0, total, rung.step)) + (1 if (total - 1) % rung.step else 0)
    palette = scene.palette
    colours = Thinning(palette, rung.colours) if rung.colours else None
    writer = open_writer(
        path,
        title=planned_title(scene),
        fps=settings.fps / rung.step,
        hold=settings.hold,
        palette=colours.palette if colours and colours.palette is not None else palette,
    )
    with writer:
        for frame in kept_frames(scene.frames(), total, rung.step):
            writer.write(colours(frame) if colours else frame)
            if progress:
                progress(writer.frames, kept)
            written = os.path.getsize(writer.temp)
            if written > budget:
                raise OverBudget(written, writer.frames, kept)
    measured = path.stat().st_size
    if measured > budget:  # the last frame and its hold, written when the file closed
        path.unlink()  # it took room the next attempt may need (a small disk)
        raise OverBudget(measured, kept, kept)
    return scene, writer


def kept_frames(frames: Iterator[np.ndarray], total: int, step: int) -> Iterator[np.ndarray]:
    """Frames 0, step, 2·step, ... and the last."""
    for index, frame in enumerate(frames):
        if index % step == 0 or index == total - 1:
            yield frame


def rescaled(scene, size: tuple[int, int]):
    """The same scene drawn at another size (every other option as it was)."""
    if size == scene.size:
        return scene
    settings = scene.settings
    return type(scene)(replace(settings, values={**settings.values, "size": size}))


class Thinning:
    """Frames mapped onto fewer colours: the scene's palette thinned evenly along its ramps
    (its first entries, the page and text colours, always kept), or for a scene without a
    palette, a median cut of its first frame."""

    def __init__(self, palette: np.ndarray | None, colours: int):
        self.colours = colours
        self.palette = None if palette is None else thin(palette, colours)
        self.quantize = None

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        from vizff.writers import Quantizer, adaptive_palette

        if self.quantize is None:
            if self.palette is None:
                self.palette = adaptive_palette(frame, self.colours)
            self.quantize = Quantizer(self.palette)
        return self.palette[self.quantize(frame)]


def thin(palette: np.ndarray, colours: int) -> np.ndarray:
    if len(palette) <= colours:
        return palette
    head = palette[:KEPT_COLOURS]
    rest = palette[KEPT_COLOURS:]
    chosen = np.unique(np.linspace(0, len(rest) - 1, colours - len(head)).round().astype(int))
    return np.concatenate([head, rest[chosen]])


def check_floor(job, rungs: list[Reduction], path: Path, budget: int) -> list[Reduction]:
    """Refuse, before the real work, a budget that the first frame alone at the smallest
    settings already passes: no animation at those settings can be smaller. A size the scene
    refuses to draw (too small for its layout) leaves the ladder; the rungs left are returned."""
    while True:
        smallest = rungs[-1]
        try:
            first_frame_fits(job, smallest, path, budget)
            return rungs
        except OptionError as error:
            if error.key != "size" or smallest.scale == 1.0:
                raise
            rungs = ladder(job.scene.size, floor_of(job.scene), above=smallest.scale)


def first_frame_fits(job, smallest: Reduction, path: Path, budget: int) -> None:
    from vizff.render import planned_title
    from vizff.writers import open_writer

    scene = rescaled(job.scene, smallest.size(job.scene.size))
    scene.load()
    colours = Thinning(scene.palette, smallest.colours) if smallest.colours else None
    frames = scene.frames()
    try:
        frame = next(frames)
    finally:
        frames.close()
    writer = open_writer(
        path,
        title=planned_title(scene),
        fps=job.settings.fps,
        palette=colours.palette if colours and colours.palette is not None else scene.palette,
    )
    with writer:
        writer.write(colours(frame) if colours else frame)
    floor = path.stat().st_size
    path.unlink()
    if floor > budget:
        width, height = scene.size
        raise OptionError(
            "max_bytes",
            f"cannot be met: the first frame alone, at {width}x{height} with "
            f"{smallest.colours} colours (the smallest this render may be), takes {floor:,} "
            "bytes; give a larger budget",
            value=job.settings.raw.get("max_bytes", budget),
        )


def too_small(budget: int, estimate: float, rung: Reduction, job) -> OptionError:
    width, height = rung.size(job.scene.size)
    return OptionError(
        "max_bytes",
        f"cannot be met: at the smallest settings (every {rung.step}th frame, {width}x{height}, "
        f"{rung.colours} colours) the file would be about {math.ceil(estimate):,} bytes; "
        # the size is at its floor already there: a smaller --size cannot help
        "give a larger budget, or fewer frames"
        + (" (steps, every)" if getattr(job.scene, "config", None) is not None else ""),
        value=job.settings.raw.get("max_bytes", budget),
    )


def budget_note(rung: Reduction, job, size: int, budget: int, tries: int) -> str:
    said = rung.describe(job.scene.size, job.settings.fps)
    renders = f"after {tries} renders" if tries > 1 else "in one render"
    if not said:
        return f"fits {budget:,} bytes as it is: {size:,} bytes"
    return f"to fit {budget:,} bytes: {', '.join(said)}; {size:,} bytes, {renders}"
