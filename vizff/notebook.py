"""Notebooks: `show()` renders in memory and Jupyter displays the result inline; `frames()`.

`show("weights", steps=100)` renders into a temporary folder (memory stays flat while the frames
are drawn), reads the finished file back, and returns a `RenderResult` holding its bytes; the
folder is gone when `show()` returns, so nothing is left in the working directory. Jupyter
displays the result through `_repr_mimebundle_`: GIF, WebP and PNG as images, MP4 as a
`<video controls loop autoplay muted playsinline>`. A file over the embed limit (20 MB unless
`embed_limit` says otherwise) is not embedded: it is kept as a file and shown as a link with the
reason, as is every render that names its own `out`.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import html
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from vizff.errors import OptionError, Python, VizffError, printable, users_errors
from vizff.files import reason
from vizff.options import Option, close_match

EMBED_LIMIT = 20_000_000  # bytes: as matplotlib's animation.embed_limit, but a link past it
FORMATS = ("gif", "mp4", "webp", "png")
MIME = {"gif": "image/gif", "png": "image/png", "webp": "image/webp", "mp4": "video/mp4"}
EMBED_LIMIT_OPTION = Option(
    "embed_limit", "bytes", EMBED_LIMIT, "largest file shown inline", "output", 0, 10**12
)
FORMAT_OPTION = Option("format", "str", None, "gif, mp4, webp or png", "output", choices=FORMATS)


@users_errors
def frames(scene: str, **options: Any) -> Iterator[np.ndarray]:
    """The frames of a scene as (height, width, 3) uint8 arrays, one at a time, no file.

    Each frame is a new array (keep it, draw on it); the keywords are the scene-file keys
    (`vizff scenes NAME` lists them): `for f in vizff.frames("weights", steps=30): ...`.
    """
    if "out" in options:  # said at the call, not at the first frame
        raise OptionError(
            "out",
            "frames() yields the frames and writes no file; to write one, use "
            "render_scene(scene, out, ...)",
            value=options["out"],
        )
    for key in FILE_ONLY:  # they were taken and did nothing
        if options.get(key) is not None:
            raise OptionError(key, f"frames() writes no file: {FILE_ONLY[key]}", value=options[key])
    from vizff.render import python_recipe

    python_recipe(scene, None, options).settle()  # frames='3' is refused here, not at next()
    return _frames(scene, options)


FILE_ONLY = {  # keywords of a file's writing, and what frames() offers instead
    "format": "its frames are arrays; render_scene(scene, out) writes a file",
    "frame": "every frame is yielded; keep the one you want",
    "max_bytes": "it is for a GIF's or WebP's size",
    "poster": "it is an MP4's first picture, written beside it",
}


def _frames(scene: str, options: dict[str, Any]) -> Iterator[np.ndarray]:
    from vizff.render import scene_frames

    for frame in scene_frames(scene, **options):
        yield frame.copy()  # scenes redraw one buffer in place


SHOW_KEYWORDS = ("out", "format", "embed_limit", "progress")  # show()'s own, beside the scene's


def own_keyword_hint(error: OptionError) -> None:
    """`formatt=`: a misspelt keyword of show() itself is named, not just the scene's, and
    where both are close, the closer (`fromat` is "format", not the scene's "font")."""
    hint = close_match(error.key, SHOW_KEYWORDS)
    if not hint or not error.problem.startswith("not an option"):
        return
    theirs = re.search(r'did you mean "([^"]+)"', error.problem)
    if theirs is None or likeness(error.key, hint.split('"')[1]) > likeness(error.key, theirs[1]):
        error.problem = f"not an option{hint}; show() takes {', '.join(SHOW_KEYWORDS)} too"


def likeness(typed: str, word: str) -> float:
    return difflib.SequenceMatcher(None, str(typed).lower(), word.lower()).ratio()


@users_errors
def show(
    scene: str,
    *,
    out: str | os.PathLike[str] | None = None,
    format: str | None = None,
    embed_limit: int | str = EMBED_LIMIT,
    progress: bool = True,
    **options: Any,
):
    """Render a scene (a name, or a scene file) and return what Jupyter displays inline.

    Without `out` nothing is written: the file's bytes are in `result.data`, unless they pass
    `embed_limit` (bytes, or "50MB"): then the render is kept as `<name>-<hash>.<format>` in the
    working directory and shown as a link saying why. `format` is gif (the default), mp4, webp
    or png; with `out`, the format follows its extension. In a notebook a single bar shows the
    progress. Keywords are the scene-file keys.
    """
    from vizff.recipes import load_recipe

    limit = EMBED_LIMIT_OPTION.read(EMBED_LIMIT if embed_limit is None else embed_limit, Python())
    chosen = FORMAT_OPTION.read(format, Python()) if format is not None else None
    if not isinstance(scene, (str, os.PathLike)):  # show(None), show(3): not 'None' or '3'
        raise OptionError("scene", "expected a scene's name or a scene file (.toml)", value=scene)
    recipe = load_recipe(os.fspath(scene), options, source=Python())
    if out is not None and chosen is not None and Path(out).suffix.lower() != f".{chosen}":
        raise OptionError("format", f"differs from out={str(out)!r}; give one of them")
    if out is None:
        check_in_memory(options, chosen or "gif")
    bar = NotebookProgress(recipe.name) if progress and in_notebook() else None
    try:
        if out is not None:
            result = render_file(recipe.with_layer({"out": out}, Python()), bar)
            result = replace(result, embed_limit=limit)
        else:
            result = render_in_memory(recipe, chosen or "gif", limit, bar)
    except BaseException as error:
        if bar:  # the error is what the cell shows; a bar already shown says where it stopped
            bar.clear()
        if isinstance(error, OptionError):
            own_keyword_hint(error)
        raise
    if bar:
        bar.finish(result)
        shown_by_the_cell_end(result)
    return result


def check_in_memory(options: dict[str, Any], format: str) -> None:
    """Options that hold for some formats, said in show()'s terms (they were refused naming
    the temporary file of an in-memory render: "not sigmoid.gif"); a poster is refused,
    since nothing is kept to show it beside (it named a file that was already removed)."""
    if options.get("poster"):
        raise OptionError(
            "poster",
            'only where a file is written (show(..., out="clip.mp4", poster=True)); in '
            "memory nothing is kept beside the video",
            value=options["poster"],
        )
    if options.get("frame") is not None and format != "png":
        raise OptionError(
            "frame", f'a still: only with format="png", not "{format}"', value=options["frame"]
        )
    if options.get("max_bytes") is not None and format not in ("gif", "webp"):
        raise OptionError(
            "max_bytes",
            f'only with format="gif" or "webp", not "{format}"',
            value=options["max_bytes"],
        )


def render_file(recipe, bar: NotebookProgress | None):
    from vizff.render import prepare

    return prepare(recipe).run(progress=bar.update if bar else None)


def render_in_memory(recipe, format: str, limit: int, bar: NotebookProgress | None = None):
    """Render into a temporary folder and read the file back; past `limit`, keep it as a file
    in the working directory instead (content-named: the same render, the same name)."""
    with tempfile.TemporaryDirectory(prefix="vizff-") as folder:
        temporary = Path(folder) / f"{recipe.name}.{format}"
        result = render_file(recipe.with_layer({"out": str(temporary)}, Python()), bar)
        if result.bytes <= limit:
            return replace(result, path=None, data=temporary.read_bytes(), embed_limit=limit)
        kept = Path(f"{recipe.name}-{digest(temporary)}.{format}")
        why = f"{human(result.bytes)} is over the {human(limit)} embed limit"
        try:
            copy_atomically(temporary, kept)
        except (OSError, VizffError) as error:  # a read-only or full working folder: the
            # render is not thrown away for it, but shown inline, and the note says why
            problem = reason(error) if isinstance(error, OSError) else str(error)
            return replace(
                result,
                path=None,
                data=temporary.read_bytes(),
                embed_limit=limit,
                notes=(
                    *result.notes,
                    f"{why}, but it could not be kept as {kept} ({problem}): shown inline; "
                    'give out="PATH" to keep it elsewhere',
                ),
            )
        return replace(
            result,
            path=kept,
            embed_limit=limit,
            notes=(*result.notes, f"{why}: kept as {kept} and shown as a link"),
        )


def digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()[:8]


def copy_atomically(source: Path, target: Path) -> None:
    from vizff.files import atomic_path

    with atomic_path(target, option="show") as temp:
        shutil.copyfile(source, temp)


def human(count: int) -> str:
    """`1.2 MB`, `640 KB`, `912 bytes`: decimal units, as `--max-bytes 2MB` reads them."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.3g} MB"
    if count >= 1000:
        return f"{count / 1000:.3g} KB"
    return f"{count} bytes"


# ---- how Jupyter shows a result ----------------------------------------------------------------
def mimebundle(result) -> dict[str, Any]:
    """The MIME bundle of a RenderResult: the file embedded, or a link when it is too large."""
    UNSHOWN.pop(id(result), None)
    summary = describe(result)
    kind = result_format(result)
    data = result.data
    if data is None and result.path is not None and result.path.is_file():
        if result.path.stat().st_size <= result.embed_limit and kind in MIME:
            data = result.path.read_bytes()
    if data is None or kind not in MIME:
        return link_bundle(result, summary)
    encoded = base64.b64encode(data).decode("ascii")
    if kind == "mp4":
        return {"text/html": video_html(encoded, result), "text/plain": summary}
    if kind in ("gif", "webp"):  # an <img>: nbconvert's HTML and Markdown drop image/gif and
        return {"text/html": image_html(encoded, kind, result), "text/plain": summary}  # /webp
    bundle: dict[str, Any] = {MIME[kind]: encoded, "text/plain": summary}
    if result.size:
        width, height = result.size
        return bundle, {MIME[kind]: {"width": width, "height": height}}
    return bundle


def image_html(encoded: str, kind: str, result) -> str:
    """An animated GIF or WebP as an <img> with its data inline: what every notebook front end
    shows and every export keeps (a bundle of image/gif alone was left out of nbconvert's HTML
    and Markdown: a blog post made from a notebook lost its animations)."""
    size, label = _attributes(result)
    return (
        f'<img src="data:{MIME[kind]};base64,{encoded}"{size} alt="{label}" '
        'style="max-width:100%;height:auto">'
    )


def video_html(encoded: str, result) -> str:
    size, label = _attributes(result)
    return (
        f'<video controls loop autoplay muted playsinline{size} aria-label="{label}" '
        'style="max-width:100%;height:auto">'
        f'<source src="data:video/mp4;base64,{encoded}" type="video/mp4"></video>'
    )


def _attributes(result) -> tuple[str, str]:
    """` width="W" height="H"` (or nothing) and the escaped title, for an <img> or <video>."""
    width, height = result.size or (None, None)
    size = f' width="{width}" height="{height}"' if width else ""
    return size, html.escape(result.title or "vizff", quote=True)


def link_bundle(result, summary: str) -> dict[str, str]:
    """A link to the file, with the one-line reason it is not shown inline."""
    if result.path is None:
        return {"text/plain": summary}
    path = result.path
    href = os.path.relpath(path) if not path.is_absolute() or path.exists() else str(path)
    reason = link_reason(result)
    return {
        "text/html": (
            f'<a href="{html.escape(Path(href).as_posix(), quote=True)}" target="_blank">'
            f"{html.escape(str(path))}</a> — {html.escape(reason)}"
        ),
        "text/plain": f"{path} — {reason}",
    }


def lesson_folder(result) -> bool:
    """A storyboard rendered into a folder: a file per part and their index.html (a folder of
    PNG frames holds nothing but the frames)."""
    return result.path is not None and (result.path / "index.html").is_file()


def link_reason(result) -> str:
    if lesson_folder(result):
        return "a lesson's folder, a file per part: open its index.html to see them"
    if result.path.is_dir():
        return "a folder of PNG frames: open it to see them"
    if result.bytes > result.embed_limit:
        return (
            f"{human(result.bytes)} is over the {human(result.embed_limit)} embed limit, so it "
            "is linked, not embedded (show(..., embed_limit=...) raises the limit)"
        )
    return f"{human(result.bytes)}"


def result_format(result) -> str:
    if result.path is not None:
        return result.path.suffix.lower().lstrip(".")
    return sniff(result.data or b"")


def sniff(data: bytes) -> str:
    """The format of a file's first bytes: gif png webp mp4, or "" (as `vizff page` tells)."""
    from vizff.embed import content_format

    return content_format(data) or ""


def describe(result) -> str:
    """`weights: 101 frames, 5.1 s, 1280x720, 1.2 MB GIF, rendered in 3.1 s`, and the notes."""
    kind = result_format(result).upper() or (
        ", a file per part" if lesson_folder(result) else "PNG frames"
    )
    size = f", {result.size[0]}x{result.size[1]}" if result.size else ""
    where = f" in {printable(str(result.path))}" if result.path is not None else ""
    line = (
        f"{printable(result.title) or 'render'}: {result.made}{size}, "
        f"{human(result.bytes)}{'' if kind.startswith(',') else ' '}"
        f"{kind}{where}, rendered in {result.seconds:.1f} s"
    )
    return "\n".join([line, *(f"note: {printable(note)}" for note in result.notes)])


# ---- shown once, even when not the cell's last value ------------------------------------------
# Results `show()` made in the running cell that nothing has displayed yet, by id. A render
# assigned to a name, or made mid-cell, is displayed when the cell ends (as matplotlib's inline
# backend shows a figure); one that is the cell's value is displayed by Jupyter, and only then.
UNSHOWN: dict[int, Any] = {}


def shown_by_the_cell_end(result) -> None:
    shell = sys.modules["IPython"].get_ipython()
    UNSHOWN[id(result)] = result
    if display_unshown not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", display_unshown)


def display_unshown(*_: Any) -> None:
    from IPython.display import display

    left = list(UNSHOWN.values())
    UNSHOWN.clear()
    for result in left:
        display(result)


# ---- progress: one bar that updates in place -------------------------------------------------
def in_notebook() -> bool:
    """True inside a Jupyter kernel (ipykernel's shell or a subclass), without importing
    IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()  # Colab's and VS Code's shells derive from ipykernel's
    return any(kind.__name__ == "ZMQInteractiveShell" for kind in type(shell).__mro__)


class NotebookProgress:
    """A progress bar shown once and then updated in place (one display id): a notebook cell
    gets one line that moves, not a line per frame. At the end it becomes the result's
    summary with its notes. It is shown at the first frame, not before: a render refused while
    it is set up (a misspelt option) leaves no output above its error."""

    INTERVAL = 0.2  # seconds between updates: the front end is not flooded either

    def __init__(self, name: str, display=None):
        if display is None:
            from IPython.display import display
        self.name, self.start, self.shown = name, time.perf_counter(), 0.0
        self.display, self.handle, self.done, self.total = display, None, 0, 0

    def _show(self, content) -> None:
        if self.handle is None:
            self.handle = self.display(content, display_id=True)
        else:
            self.handle.update(content)

    def update(self, done: int, total: int) -> None:
        now = time.perf_counter()
        self.done, self.total = done, total
        if self.handle is None or now - self.shown >= self.INTERVAL or done == total:
            self.shown = now
            self._show(Bar(self.name, done, total, now - self.start))

    def finish(self, result) -> None:
        self._show(Text(describe(result)))

    def clear(self) -> None:
        """A render that failed part way: the bar says where it stopped (the error follows)."""
        if self.handle is not None:
            self.handle.update(Text(f"{self.name}: stopped at frame {self.done} of {self.total}"))


class Bar:
    """One progress line, as text and as an HTML <progress> element."""

    def __init__(self, name: str, done: int, total: int, seconds: float):
        self.name, self.done, self.total, self.seconds = name, done, total, seconds

    def _repr_mimebundle_(self, include=None, exclude=None) -> Mapping[str, str]:
        total = max(self.total, 1)
        filled = round(30 * self.done / total)
        text = (
            f"{self.name}  {'█' * filled}{'░' * (30 - filled)}  {self.done}/{self.total} frames"
            f"  {self.seconds:.1f} s"
        )
        progress = (
            f"<code>{html.escape(self.name)}</code> <progress value={self.done} max={total}>"
            f"</progress> {self.done}/{self.total} frames, {self.seconds:.1f} s"
        )
        return {"text/plain": text, "text/html": progress}


class Text:
    def __init__(self, text: str):
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None) -> Mapping[str, str]:
        return {"text/plain": self.text}
