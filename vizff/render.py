"""Render a scene into a file: scene frames streamed into the writer the output names."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vizff.recipes import Recipe, make_recipe
from vizff.scenes import SCENES, Scene
from vizff.writers import FrameWriter, open_writer

Progress = Callable[[int, int], None]  # (frames done, frames in all)


@dataclass(frozen=True)
class RenderResult:
    path: Path
    frames: int  # frames the scene produced
    bytes: int
    seconds: float
    notes: tuple[str, ...] = ()  # what the user should know (a rounded GIF frame rate...)


@dataclass
class RenderJob:
    """A scene and its writer, both checked and ready; `run()` draws and writes the frames."""

    name: str
    scene: Scene
    writer: FrameWriter

    @property
    def total(self) -> int:
        return self.scene.frame_count()

    def run(self, progress: Progress | None = None) -> RenderResult:
        start, total = time.perf_counter(), self.total
        self.scene.load()  # data errors surface before the output is touched
        with self.writer as writer:
            for frame in self.scene.frames():
                writer.write(frame)
                if progress:
                    progress(writer.frames, total)
        path = self.writer.path
        if path.is_dir():
            size = sum(p.stat().st_size for p in path.glob("frame_*.png"))
        else:
            size = path.stat().st_size
        note = getattr(self.writer, "note", None)
        return RenderResult(
            path, self.writer.frames, size, time.perf_counter() - start, (note,) if note else ()
        )


def prepare(recipe: Recipe, *, out_dir: Path = Path("outputs")) -> RenderJob:
    """Build the scene and the writer a recipe names: every option is checked here."""
    scene = SCENES[recipe.scene](recipe.scene_options())
    hold = scene.default_hold if recipe.hold is None else recipe.hold
    writer = open_writer(
        recipe.output(out_dir),
        fps=recipe.fps,
        hold=hold,
        palette=scene.palette,
        frame=recipe.frame,
        total=scene.frame_count(),
    )
    writer.check_size(scene.size)
    return RenderJob(recipe.name or recipe.scene, scene, writer)


def render(recipe: Recipe, *, out_dir: Path = Path("outputs"), progress: Progress | None = None):
    """Render `recipe` to its output file, atomically; memory does not grow with frames."""
    return prepare(recipe, out_dir=out_dir).run(progress)


def render_scene(scene: str, out: str | Path | None = None, **options) -> RenderResult:
    """Python entry point: `render_scene("weights", "w.gif", steps=100, hidden=[16])`.

    Options are the scene-file keys (fps, size, hold, seed, data, hidden, lr, steps, every,
    and the scene's own); the output defaults to outputs/<scene>.gif.
    """
    values = {"scene": scene, **options}
    if out is not None:
        values["out"] = str(out)
    return render(make_recipe(values))
