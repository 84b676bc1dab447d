"""Frame writers for .gif, .mp4, .webp, .png and PNG folders: streamed, atomic, deterministic.

A writer has one lifecycle: open it as a context manager, `write(frame)` each (height, width, 3)
uint8 frame as it comes, and leave the block; only then is the finished file (or folder) renamed
over the target. An exception (Ctrl-C included) leaves the target exactly as it was. A failed
write is a RenderError of one line naming the output.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import html
import io
import math
import os
import re
import signal
import struct
import subprocess
import threading
import unicodedata
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import GifImagePlugin, Image, PngImagePlugin

from vizff.errors import OptionError, RenderError, some_of
from vizff.feeder import CLOSE_WAIT, Feeder
from vizff.files import (
    TEMP_PREFIX,
    Staged,
    file_too_large,
    link_problem,
    parent_problem,
    read_only_problem,
    reason,
    soft_limit,
    special_problem,
    sweep_stale,
)
from vizff.interrupts import critical
from vizff.options import check_output_name

MIN_FPS = 0.001  # a frame every 1000 s: slower is a slide show, not an animation
MAX_FPS = 240  # any format; more is not an animation anyone can see
MAX_HOLD = 600  # seconds on the last frame
MAX_GIF_FPS = 50  # browsers slow any delay under 2/100 s down to 1/10 s
MAX_GIF_DELAY = 0xFFFF  # hundredths of a second: the most one GIF frame can last (655.35 s)
TRANSPARENT = 255  # GIF palette index kept free: "unchanged since the previous frame"


def faded(colours: np.ndarray, colour: tuple[int, int, int], amount: float) -> np.ndarray:
    """`colours` (any shape, last axis RGB) mixed with `colour` by `amount`, in float64 and
    rounded to the nearest level, halves up: the one definition of a fade's pixels in every
    format."""
    levels = np.arange(256, dtype=np.float64)[:, None]  # every level's mix, per channel:
    mixed = levels * (1.0 - amount) + np.asarray(colour, dtype=np.float64) * amount
    table = np.floor(mixed + 0.5).astype(np.uint8)  # (256, 3), looked up: 5x the arithmetic
    out = np.empty(colours.shape, dtype=np.uint8)
    for channel in range(3):
        np.take(table[:, channel], colours[..., channel], out=out[..., channel])
    return out


def number(value: float) -> float | int:
    """A float that is whole as an int, so a message quotes `--fps 120`, not `--fps 120.0`."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


MAX_TITLE = 1000  # characters of a title kept in a file's metadata
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def file_title(text: str | None) -> str | None:
    """A title as a file's metadata holds it: one line, no control characters, text that
    UTF-8 can encode, at most MAX_TITLE characters; None for none."""
    if not text:
        return None
    text = "".join(c if unicodedata.category(c) != "Cc" else " " for c in str(text))
    # embedding, override and isolate controls would turn what shows the title (a player's
    # menu, a page, a terminal) right to left after them: the frames never drew them
    text = BIDI_CONTROLS.sub("", text)
    text = " ".join(text.encode("utf-8", "replace").decode("utf-8").split())[:MAX_TITLE]
    return text or None


def gif_comment(title: str | None) -> bytes:
    """A GIF89a Comment Extension holding `title` in UTF-8 (sub-blocks of 255 bytes at most);
    nothing for no title."""
    if not title:
        return b""
    data = title.encode("utf-8")
    blocks = b"".join(
        bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255)
    )
    return b"!\xfe" + blocks + b"\x00"


def xmp_title(title: str) -> bytes:
    """An XMP packet holding only `title` as its Dublin Core title (a WebP's "XMP " chunk)."""
    escaped = html.escape(title, quote=False)
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escaped}</rdf:li></rdf:Alt></dc:title>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


class FrameWriter:
    """Base lifecycle: `with Writer(path, fps=...) as w: w.write(frame)`; atomic on exit."""

    folder = False  # True: the output is a folder of files, staged and committed whole

    def __init__(self, path: str | os.PathLike[str], *, fps: float = 20.0, hold: float = 0.0):
        if not (math.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
            raise OptionError(
                "fps", f"must be {MIN_FPS:g} to {MAX_FPS} frames per second", value=number(fps)
            )
        if not (math.isfinite(hold) and 0 <= hold <= MAX_HOLD):
            raise OptionError("hold", f"must be 0 to {MAX_HOLD} seconds", value=number(hold))
        self.path, self.fps, self.hold = Path(path), fps, hold
        self.frames = 0
        self.size: tuple[int, int] | None = None  # (width, height) of the first frame
        self.note: str | None = None  # what the user should know about the file written
        self.title: str | None = None  # carried in the file's metadata (see `file_title`)
        self.check_target()

    @property
    def satisfied(self) -> bool:
        """True once more frames cannot change the output: the render loop may stop."""
        return False

    @property
    def playing(self) -> float | None:
        """Seconds the file written so far plays for, hold included (None: a still or frames)."""
        return self.frames / self.fps + self.hold

    def check_target(self) -> None:
        """Refuse, before any work, an output path that a file cannot replace."""
        try:
            is_dir = self.path.is_dir()
        except OSError as exc:  # a folder on the way that cannot be searched, a name too long
            raise OptionError(
                "out", f"cannot be written there ({reason(exc)})", value=str(self.path)
            ) from None
        if is_dir:
            raise OptionError(
                "out",
                f"is a folder, which a {self.path.suffix} file cannot replace; name a file, "
                "or a path without an extension for numbered PNGs",
                value=str(self.path),
            )
        problem = (
            special_problem(self.path)
            or link_problem(self.path)
            or parent_problem(self.path)
            or read_only_problem(self.path)
        )
        if problem:
            raise OptionError("out", problem, value=str(self.path))

    def check_size(self, size: tuple[int, int]) -> None:
        """Refuse, before any work, a frame size this format cannot hold."""

    def __enter__(self) -> FrameWriter:
        self.check_target()  # again: the path may have changed since the writer was made
        sweep_stale(self.path.parent)
        self._staged = Staged(self.path, folder=self.folder)
        self.temp = self._staged.path
        self.companions: list[Staged] = []  # files committed with this one, staged elsewhere
        return self

    def write(self, frame: np.ndarray) -> None:
        frame = self._accept(frame)
        try:
            self._write(frame)
        except OSError as exc:
            raise self._failed(exc) from None
        self.frames += 1

    def _accept(self, frame: np.ndarray) -> np.ndarray:
        """The frame checked and contiguous; the file is started at the first one."""
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise RenderError(
                f"a frame must be a (height, width, 3) uint8 array, not {frame.dtype} {frame.shape}"
            )
        size = (frame.shape[1], frame.shape[0])
        if self.size is not None and size != self.size:
            raise RenderError(
                f"frame {self.frames} is {size[0]}x{size[1]}, the first was "
                f"{self.size[0]}x{self.size[1]}"
            )
        self._begin(size)
        return np.ascontiguousarray(frame)

    def _begin(self, size: tuple[int, int]) -> None:
        """The file started for frames of `size`, once: at the first frame, or at `start`."""
        if self.size is None:
            self.size = size
            try:
                self._open(size)
            except OSError as exc:
                raise self._failed(exc) from None

    def start(self, size: tuple[int, int]) -> None:
        """Start the file for frames of `size` before the first frame is drawn, where that
        saves time (the video encoder starts while the scene lays itself out)."""

    # ---- storyboards: a hold between two parts, and fades through a colour ----------------
    def repeat(self, frame: np.ndarray, count: int) -> None:
        """`frame` for `count` frames (a hold that more frames follow)."""
        for _ in range(count):
            self.write(frame)

    def fade(self, frame: np.ndarray, amounts: np.ndarray, colour: tuple[int, int, int]) -> None:
        """One frame per amount: `frame` mixed with `colour` by it (0: the frame, 1: the
        colour alone), as `faded` computes it."""
        for amount in amounts:
            self.write(faded(frame, colour, float(amount)))

    def __exit__(self, kind, error, trace) -> bool:
        if kind is not None:
            self._discard()
            return False
        try:
            if self.frames == 0:
                raise RenderError(f"{self.path}: no frames were written")
            self._finish()
            with critical():  # the file and its companions (an MP4's poster) go in together
                self._staged.commit()
                for staged in self.companions:
                    try:
                        staged.commit()
                    except OSError as exc:
                        raise RenderError(
                            f"{staged.name}: writing failed ({reason(exc)}); {self.path} "
                            "was written without it"
                        ) from None
        except OSError as exc:
            self._discard()
            raise self._failed(exc) from None
        except BaseException:
            self._discard()
            raise
        return False

    def _failed(self, exc: OSError) -> RenderError:
        return RenderError(f"{self.path}: writing failed ({reason(exc)})")

    def _discard(self) -> None:
        try:
            with contextlib.suppress(OSError):  # closing flushes, and can fail as writing did
                self._abort()
        finally:
            self._staged.discard()

    def _open(self, size: tuple[int, int]) -> None:  # first frame seen: start the file
        pass

    def _write(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        pass

    def _abort(self) -> None:  # release what _open took; the staged file is removed after
        pass


# ---- GIF ----------------------------------------------------------------------------------
def gif_delay(fps: float) -> tuple[int, str | None]:
    """A frame delay in whole hundredths of a second for `fps`, and a note when it is not
    exactly what was asked or needs more than one GIF frame."""
    if not 0 < fps <= MAX_GIF_FPS:
        raise OptionError(
            "fps",
            f"a GIF shows at most {MAX_GIF_FPS} frames per second (browsers slow shorter "
            "delays down); use .mp4 or .webp for more",
            value=number(fps),
        )
    centis = max(2, round(100 / fps))
    if centis > MAX_GIF_DELAY:
        parts = math.ceil(centis / MAX_GIF_DELAY)
        return centis, (
            f"a GIF frame lasts at most {MAX_GIF_DELAY / 100} s, so each frame of "
            f"{centis / 100:g} s is stored as {parts} GIF frames (the later ones draw nothing)"
        )
    if math.isclose(100 / centis, fps, rel_tol=1e-9):
        return centis, None
    return centis, (
        f"GIF delays are whole hundredths of a second, so the GIF plays at {100 / centis:.4g} "
        f"fps ({centis}/100 s a frame), not {fps:g}"
    )


class Quantizer:
    """Exact nearest-colour mapping of RGB frames onto a fixed palette of at most 255 colours.

    A 2^24-entry table (16 MB), filled lazily: each colour is searched once, then looked up.
    Index 255 never names a colour: in the table it means "not searched yet".
    """

    def __init__(self, palette: np.ndarray):
        palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
        if not 1 <= len(palette) <= 255:
            raise RenderError(f"a GIF palette holds 1 to 255 colours, not {len(palette)}")
        self.palette = palette
        self._colours = palette.astype(np.int32)
        self._table = np.full(1 << 24, TRANSPARENT, dtype=np.uint8)
        self._packed: np.ndarray | None = None

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """Palette indices of an RGB frame: a new (h, w) uint8 array."""
        if self._packed is None or self._packed.shape != frame.shape[:2]:
            self._packed = np.empty(frame.shape[:2], dtype=np.uint32)  # reused: no page faults
        packed = self._packed  # r << 16 | g << 8 | b, built in place
        np.copyto(packed, frame[..., 0])
        packed <<= 8
        packed |= frame[..., 1]
        packed <<= 8
        packed |= frame[..., 2]
        indices = np.take(self._table, packed)
        if indices.max() == TRANSPARENT:  # colours never seen before: search them once
            new = np.unique(packed[indices == TRANSPARENT])
            self._table[new] = self._nearest(new)
            indices = np.take(self._table, packed)
        return indices

    def _nearest(self, packed: np.ndarray) -> np.ndarray:
        rgb = np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=1)
        out = np.empty(len(rgb), dtype=np.uint8)
        for start in range(0, len(rgb), 4096):  # bounded memory: (4096, colours, 3)
            diff = rgb[start : start + 4096, None, :].astype(np.int32) - self._colours[None]
            out[start : start + 4096] = (diff * diff).sum(axis=2).argmin(axis=1)
        return out


def adaptive_palette(frame: np.ndarray, colours: int = 255) -> np.ndarray:
    """A palette for frames nobody described: median cut of the first frame, no dithering."""
    image = Image.fromarray(frame).quantize(
        colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    used = len(image.getcolors(256))
    return np.array(image.getpalette()[: 3 * used], dtype=np.uint8).reshape(-1, 3)


def changed_box(now: np.ndarray, before: np.ndarray) -> tuple[np.ndarray, slice, slice] | None:
    """Where two (h, w) or (h, w, 3) frames differ: the (h, w) mask and the bounding rows and
    columns, or None when they are equal."""
    changed = now != before
    if changed.ndim == 3:  # a pixel changed if any channel did (ten times `.any(axis=2)`'s speed)
        changed = changed[..., 0] | changed[..., 1] | changed[..., 2]
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if rows.size == 0:
        return None
    return changed, slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


class GifWriter(FrameWriter):
    """Streaming GIF89a: one global palette, only the changed rectangle of each frame, unchanged
    pixels transparent, identical frames merged into a longer delay, loops forever."""

    def __init__(self, path, *, fps=20.0, hold=0.0, palette: np.ndarray | None = None):
        super().__init__(path, fps=fps, hold=hold)
        self.delay, self.note = gif_delay(fps)
        self._palette = palette
        self._quantize: Quantizer | None = None  # made with the header, at the first frame
        # palette indices of what the canvas shows; None after a fade (its colours are in
        # local tables), so that the next frame is written whole
        self._previous: np.ndarray | None = None
        # the image waiting for its delay: (indices, offset, transparent, local table or None)
        self._pending: tuple[np.ndarray, tuple[int, int], bool, np.ndarray | None] | None = None
        self._pending_delay = 0
        self._encoded: tuple[np.ndarray, tuple[int, int], list[bytes]] | None = None

    def _open(self, size):
        self._file = open(self.temp, "wb")

    def _header(self, palette: np.ndarray) -> bytes:
        table = np.zeros((256, 3), dtype=np.uint8)
        table[: len(palette)] = palette
        width, height = self.size
        return (
            b"GIF89a"
            + struct.pack("<HHBBB", width, height, 0xF7, 0, 0)
            + table.tobytes()
            + b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
            + gif_comment(self.title)
        )

    def _indices(self, frame: np.ndarray) -> np.ndarray:
        """The frame's palette indices; the first frame chooses the palette and starts the file."""
        if self._quantize is None:
            palette = self._palette if self._palette is not None else adaptive_palette(frame)
            self._quantize = Quantizer(palette)
            self._file.write(self._header(self._quantize.palette))
        return self._quantize(frame)

    def _write(self, frame):
        indices = self._indices(frame)
        if self._previous is None:
            if self._pending is not None:  # after a fade: this frame is drawn whole
                self._flush()
            self._pending, self._pending_delay = (indices, (0, 0), False, None), self.delay
            self._previous = indices
            return
        found = changed_box(indices, self._previous)
        if found is None:  # identical frame: the one shown stays longer
            self._pending_delay += self.delay
            return
        self._flush()
        changed, rows, cols = found
        patch = indices[rows, cols].copy()
        patch[~changed[rows, cols]] = TRANSPARENT
        offset = (cols.start, rows.start)
        self._pending, self._pending_delay = (patch, offset, True, None), self.delay
        self._previous = indices

    @property
    def playing(self) -> float:
        """Each frame lasts the rounded delay (identical ones merged keep theirs)."""
        return (self.frames * self.delay + round(self.hold * 100)) / 100

    def repeat(self, frame, count):
        if count <= 0:
            return
        self.write(frame)
        self._pending_delay += (count - 1) * self.delay  # the same picture, shown longer
        self.frames += count - 1

    def fade(self, frame, amounts, colour):
        """Exactly `faded(...)` of the frame as the palette shows it: the same indices with a
        local colour table per amount, so a fade needs no colour outside a palette."""
        if len(amounts) == 0:
            return
        frame = self._accept(frame)
        try:
            indices = self._indices(frame)
            palette = self._quantize.palette
            moving = ~(palette == np.asarray(colour, np.uint8)).all(axis=1)[indices]
            found = changed_box(moving, np.zeros_like(moving))  # pixels the fade changes
            if found is None:  # nothing but the colour: the frame itself, for longer
                self.repeat(frame, len(amounts))
                return
            _, rows, cols = found
            patch = indices[rows, cols].copy()
            patch[~moving[rows, cols]] = TRANSPARENT
            shown = self._previous is not None and np.array_equal(indices, self._previous)
            for i, amount in enumerate(amounts):
                table = faded(palette, colour, float(amount))
                if self._pending is not None:
                    self._flush()
                if i == 0 and not shown:  # the canvas shows something else: draw it all
                    self._pending = (indices, (0, 0), False, table)
                else:
                    self._pending = (patch, (cols.start, rows.start), True, table)
                self._pending_delay = self.delay
        except OSError as exc:
            raise self._failed(exc) from None
        self._previous = None
        self.frames += len(amounts)

    def _flush(self, extra: int = 0) -> None:
        patch, offset, transparent, table = self._pending
        delay = self._pending_delay + extra
        self._image(patch, offset, transparent, delay, table)
        while (delay := delay - MAX_GIF_DELAY) > 0:  # longer than one GIF frame can last
            self._image(np.full((1, 1), TRANSPARENT, np.uint8), (0, 0), True, delay)

    def _image(self, patch: np.ndarray, offset, transparent: bool, delay: int, table=None) -> None:
        flags = (1 << 2) | (1 if transparent else 0)  # disposal 1: keep, draw the next on top
        delay = min(delay, MAX_GIF_DELAY)
        self._file.write(b"!\xf9\x04" + struct.pack("<BHBB", flags, delay, TRANSPARENT, 0))
        chunks = self._lzw(patch, (int(offset[0]), int(offset[1])))
        if table is not None:  # a local colour table of 256 entries after the descriptor
            descriptor = bytearray(chunks[0])
            descriptor[9] |= 0x80 | 7
            local = np.zeros((256, 3), dtype=np.uint8)
            local[: len(table)] = table
            chunks = [bytes(descriptor), local.tobytes(), *chunks[1:]]
        for chunk in chunks:
            self._file.write(chunk)

    def _lzw(self, patch: np.ndarray, offset: tuple[int, int]) -> list[bytes]:
        """The image descriptor and LZW data of `patch` (the last one kept: a fade draws the
        same indices with other colours)."""
        if self._encoded is not None and self._encoded[0] is patch and self._encoded[1] == offset:
            return self._encoded[2]
        image = Image.frombuffer(
            "L", (patch.shape[1], patch.shape[0]), patch.tobytes(), "raw", "L", 0, 1
        )
        chunks = [bytes(c) for c in GifImagePlugin.getdata(image, offset=offset)]
        assert chunks[0][:1] == b"," and len(chunks[0]) == 10, "Pillow's descriptor changed"
        self._encoded = (patch, offset, chunks)
        return chunks

    def _finish(self):
        self._flush(extra=round(self.hold * 100))
        self._file.write(b";")
        self._file.close()

    def _abort(self):
        if hasattr(self, "_file"):
            self._file.close()


# ---- MP4 ----------------------------------------------------------------------------------
# The encoder settings, in one place: segments joined later by ffmpeg's concat demuxer without
# re-encoding must all have been written with exactly these.
H264 = (
    *("-c:v", "libx264", "-pix_fmt", "yuv420p"),
    *("-crf", "18", "-preset", "fast", "-tune", "animation"),
    # x264 would pick 1.5 threads a core, and the thread count changes the bytes it writes:
    # pinned, the same render is the same file on any machine. 8 scales to 8 cores; on 2 it
    # encodes as fast as x264's own choice (benchmarks/README.md).
    *("-threads", "8"),
)
# The colours: ffmpeg converts RGB with the BT.601 matrix ("limited" range, Y 16-235) but, left
# to itself, does not say so in the file, and a browser guesses the matrix from the frame size:
# BT.709 for HD. Chromium showed a 1280x720 render's red 214,39,40 as 230,57,40 and its green
# 44,160,44 as 34,142,44. Converted with BT.601 and tagged so (the pixels are sRGB, whose
# primaries are BT.709's, and the transfer curve is tagged BT.709's, as players expect of
# screen content), every size plays in the theme's colours (tests/test_browser.py).
COLOURS = (
    "scale=out_color_matrix=bt601:out_range=tv",
    "setparams=colorspace=smpte170m:color_primaries=bt709:color_trc=bt709:range=tv",
)
MP4_CONTAINER = (
    *("-movflags", "+faststart"),  # the moov atom at the front: plays while it loads
    *("-map_metadata", "-1", "-fflags", "+bitexact"),  # no encoder version or time stamps
)
WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EACCES)


def ffmpeg_exe() -> str:
    """The ffmpeg binary that imageio-ffmpeg ships (or $IMAGEIO_FFMPEG_EXE)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


FEED_DEPTH = 2  # frames queued for ffmpeg's pipe: the pipe's writer a frame or two behind
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ (Linux; the constant is in Python's fcntl from 3.10)


def widen_pipe(pipe, wanted: int) -> None:
    """Let the pipe hold a whole frame where the system allows (Linux: up to
    /proc/sys/fs/pipe-max-size, 1 MB by default), so that a frame is handed to ffmpeg in one
    write rather than 64 KB at a time, each waiting for ffmpeg to read the last. Elsewhere, or
    where it is refused, the pipe keeps its size: only slower."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", F_SETPIPE_SZ), min(wanted, 2**20))
    except (ImportError, OSError, ValueError):
        pass


class Ffmpeg:
    """The bundled ffmpeg in a session of its own (Ctrl-C and a closing terminal reach only
    vizff, which then ends it), its stderr drained all along (so it never blocks on a full
    pipe) into its last lines, and its failure said in one line."""

    def __init__(self, command: list[str], name: str, *, stdin: int):
        self.name = name
        try:
            self.process = subprocess.Popen(
                command,
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise RenderError(f"{name}: cannot start ffmpeg ({reason(exc)})") from None
        self.log: collections.deque[str] = collections.deque(maxlen=20)
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        for line in self.process.stderr:
            self.log.append(line.decode("utf-8", "replace").strip())

    def failure(self) -> RenderError:
        """Why it failed: a failed write by its cause (ffmpeg's words for it), else its exit
        status or signal and its last words."""
        code = self.process.wait()
        self.reader.join(timeout=5)
        log = "\n".join(self.log)
        for number in WRITE_ERRORS:
            if os.strerror(number) in log:
                said = reason(OSError(number, os.strerror(number)))
                return RenderError(f"{self.name}: writing failed ({said})")
        if hasattr(signal, "SIGXFSZ") and code == -signal.SIGXFSZ:  # past `ulimit -f`
            return RenderError(f"{self.name}: writing failed ({file_too_large()})")
        lines = [re.sub(r"^\[[^]]*\]\s*", "", line) for line in self.log if line]
        said = lines[-1][:200] if lines else "nothing on stderr"
        status = f"exit status {code}" if code >= 0 else f"killed by signal {-code}"
        return RenderError(f"{self.name}: ffmpeg failed ({status}): {said}{memory_limit()}")


def memory_limit() -> str:
    """`; this process's memory is limited (ulimit -v ...)...`, where it is: under such a
    limit ffmpeg's encoder threads fail to allocate and say so in words that never name
    memory ("Generic error in an external library", "Invalid argument")."""
    limit = soft_limit("AS")
    if limit is None:
        return ""
    return (
        f"; memory is limited here (ulimit -v {limit // 1024:,} KB), maybe too little for the "
        "encoder: raise it (e.g. ulimit -v unlimited), or write a .gif"
    )


class Mp4Writer(FrameWriter):
    """H.264 in MP4 through the bundled ffmpeg, fed raw RGB on a pipe: yuv420p, moov at the
    front. ffmpeg's exit status is checked and the file is read back (a moov atom holding
    every frame) before it replaces the target."""

    def start(self, size):
        self._begin(size)

    def check_size(self, size):
        width, height = size
        if width % 2 or height % 2:
            raise OptionError(
                "size",
                "MP4 (H.264, yuv420p) needs an even width and height; "
                f"try {width + width % 2}x{height + height % 2}",
                value=f"{width}x{height}",
            )

    def _open(self, size):
        self.check_size(size)
        rate = Fraction(self.fps).limit_denominator()  # 29.97 -> 2997/100
        command = [
            *(ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"),
            *("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}"),
            *("-r", str(rate), "-i", "pipe:0", "-an", "-vf", self._filters(), *H264),
            *MP4_CONTAINER,
            *(("-metadata", f"title={self.title}") if self.title else ()),
            str(self.temp),
        ]
        self._ffmpeg = Ffmpeg(command, str(self.path), stdin=subprocess.PIPE)
        self._process, self._reader = self._ffmpeg.process, self._ffmpeg.reader
        widen_pipe(self._process.stdin, 3 * size[0] * size[1])
        # the pipe is written from a thread of its own: the next frame is drawn meanwhile
        self._feeder = Feeder(self._pipe_write, depth=FEED_DEPTH, name="vizff-mp4")
        self._last: np.ndarray | None = None

    @property
    def playing(self) -> float:
        return (self.frames + self._repeats()) / self.fps

    def _repeats(self) -> int:
        return round(self.hold * self.fps)  # video has no per-frame delay: repeat the last

    def _filters(self) -> str:
        """The colour conversion (`COLOURS`) and the hold, as ffmpeg's own copies of the last
        frame: the same frames, the same file, without a copy of each crossing the pipe (10
        minutes at 60 fps were 36,000 copies, 24 MB each at 4K)."""
        repeats = self._repeats()
        held = (f"tpad=stop_mode=clone:stop={repeats}",) if repeats else ()
        return ",".join((*COLOURS, *held))

    def _write(self, frame):
        frame = frame.copy()  # the caller may draw the next frame into the same array
        self._send(frame)
        self._last = frame

    def _pipe_write(self, frame: np.ndarray) -> None:
        self._process.stdin.write(frame.data)

    def _send(self, frame: np.ndarray) -> None:
        try:
            self._feeder.put(frame)
        except BrokenPipeError:  # ffmpeg has stopped reading: it says why when it exits
            raise self._ffmpeg_failed() from None

    def _finish(self):
        repeats = self._repeats()  # added by ffmpeg (_filters), counted in the file
        try:
            self._feeder.finish()
        except BrokenPipeError:
            raise self._ffmpeg_failed() from None
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        if self._process.wait() != 0:
            raise self._ffmpeg_failed()
        self._reader.join()
        self._process.stderr.close()
        self._verify(self.frames + repeats)

    def _verify(self, expected: int) -> None:
        found = mp4_frame_count(self.temp)
        if found is None:
            raise RenderError(f"{self.path}: ffmpeg left an incomplete file (no moov atom)")
        if found != expected:
            raise RenderError(f"{self.path}: ffmpeg wrote {found} frames of {expected}")

    def _ffmpeg_failed(self) -> RenderError:
        return self._ffmpeg.failure()

    def _abort(self):
        process = getattr(self, "_process", None)
        if process is None:
            return
        if process.poll() is None:
            process.kill()  # first: a write blocked on the full pipe then fails at once
        process.wait()
        self._feeder.abandon()
        # its stderr ends with ffmpeg: the reader is joined, not left to wake up while Python
        # shuts down (a daemon thread taking the GIL then aborted the process, now and then)
        self._reader.join(timeout=CLOSE_WAIT)
        for pipe in (process.stdin, process.stderr):
            try:
                pipe.close()
            except OSError:
                pass


def mp4_frame_count(path: Path) -> int | None:
    """Samples in the video tracks of an MP4's moov atom; None unless the file is whole: its
    top-level boxes end exactly where the file ends, and one of them is the moov."""
    tables = mp4_video_tables(path)
    if tables is None:
        return None
    count = 0
    for stbl in tables:
        for stsz in _boxes(stbl, b"stsz"):  # version, flags, size, count
            count += struct.unpack_from(">I", stsz, 8)[0] if len(stsz) >= 12 else 0
    return count


def mp4_moov(path: Path) -> bytes | None:
    """The body of an MP4's moov box, read alone (a 4K video's megabytes of frames are not);
    None unless the file is whole: its top-level boxes end where the file ends."""
    with open(path, "rb") as handle:
        moov, position, length = None, 0, os.fstat(handle.fileno()).st_size
        while position < length:
            handle.seek(position)
            box = _box_header(handle.read(16), length - position)
            if box is None:
                return None
            name, header, size = box
            if name == b"moov":
                handle.seek(position + header)
                moov = handle.read(size - header)
            position += size
    return moov


def mp4_video_tables(path: Path) -> list[bytes] | None:
    """The sample tables (stbl boxes) of an MP4's video tracks; None unless the file is whole."""
    moov = mp4_moov(path)
    if moov is None:
        return None
    tables = []
    for trak in _boxes(moov, b"trak"):
        for mdia in _boxes(trak, b"mdia"):
            if any(hdlr[8:12] == b"vide" for hdlr in _boxes(mdia, b"hdlr")):
                for minf in _boxes(mdia, b"minf"):
                    tables += _boxes(minf, b"stbl")
    return tables


def _box_header(head: bytes, available: int) -> tuple[bytes, int, int] | None:
    """(kind, header length, box length) of the box starting `head`, None if cut short."""
    if len(head) < 8:
        return None
    size, kind = struct.unpack_from(">I4s", head)
    header = 8
    if size == 1:
        if len(head) < 16:
            return None
        size, header = struct.unpack_from(">Q", head, 8)[0], 16
    elif size == 0:  # the box runs to the end
        size = available
    if size < header or size > available:
        return None
    return kind, header, size


def _boxes(data: bytes, kind: bytes) -> list[bytes]:
    """The bodies of the child boxes of type `kind` in `data`."""
    found, position = [], 0
    while (box := _box_header(data[position : position + 16], len(data) - position)) is not None:
        name, header, size = box
        if name == kind:
            found.append(data[position + header : position + size])
        position += size
    return found


# ---- WebP ---------------------------------------------------------------------------------
WEBP_EFFORT = 50  # Pillow's `quality` for lossless: encoder effort, 0 (fast) to 100 (small)
WEBP_METHOD = 4  # 0 (fast) to 6 (small)
MAX_WEBP_DURATION = 0xFFFFFF  # milliseconds: the most one ANMF frame can last (4.66 h)
MAX_WEBP_SIDE = 16383  # pixels: the most a lossless (VP8L) image holds


def webp_image_chunks(image: Image.Image) -> bytes:
    """A still image encoded losslessly by Pillow's public API, as the chunks (VP8L, or ALPH
    and VP8) that carry its pixels, ready to sit inside an ANMF chunk."""
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", lossless=True, quality=WEBP_EFFORT, method=WEBP_METHOD)
    data = buffer.getvalue()
    chunks, position = [], 12  # after RIFF, size, WEBP
    while position + 8 <= len(data):
        kind, size = (
            data[position : position + 4],
            int.from_bytes(data[position + 4 : position + 8], "little"),
        )
        if kind in (b"ALPH", b"VP8 ", b"VP8L"):
            chunks.append(riff_chunk(kind, data[position + 8 : position + 8 + size]))
        position += 8 + size + (size & 1)
    return b"".join(chunks)


def riff_chunk(kind: bytes, payload: bytes) -> bytes:
    """One RIFF chunk: four-letter kind, little-endian size, payload, a pad byte if odd."""
    return kind + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


def _u24(value: int) -> bytes:
    return struct.pack("<I", value)[:3]


class WebpMuxer:
    """An animated WebP written chunk by chunk (VP8X, ANIM, then one ANMF per frame), so memory
    holds one encoded frame at most; `close()` fills in the RIFF size and the alpha flag.
    Frames from another file with the same canvas can be appended as they are, undecoded."""

    def __init__(
        self, handle: BinaryIO, size: tuple[int, int], *, loop: int = 0, title: str | None = None
    ):
        width, height = size
        self._file, self._start, self._alpha, self.title = handle, handle.tell(), False, title
        vp8x = b"\x02\0\0\0" + _u24(width - 1) + _u24(height - 1)  # flags: animation
        anim = b"\xff\xff\xff\xff" + struct.pack("<H", loop)  # white background (BGRA)
        handle.write(b"RIFF\0\0\0\0WEBP" + riff_chunk(b"VP8X", vp8x) + riff_chunk(b"ANIM", anim))

    def add(self, chunks: bytes, box: tuple[int, int, int, int], duration: int, *, blend=False):
        """One frame: image chunks covering `box` = (x, y, width, height), x and y even, for
        `duration` ms; drawn over the canvas by its alpha (`blend`) or replacing it there."""
        x, y, width, height = box
        header = _u24(x // 2) + _u24(y // 2) + _u24(width - 1) + _u24(height - 1)
        header += _u24(duration) + (b"\0" if blend else b"\x02")  # bit 1: do not blend
        self._file.write(riff_chunk(b"ANMF", header + chunks))
        self._alpha |= blend

    def close(self) -> None:
        if self.title:  # after the frames, as the container's layout puts metadata
            self._file.write(riff_chunk(b"XMP ", xmp_title(self.title)))
        end = self._file.tell()
        if end - self._start - 8 > 0xFFFFFFFF:
            raise OSError(errno.EFBIG, "larger than the 4 GB a WebP file can hold")
        self._file.seek(self._start + 4)
        self._file.write(struct.pack("<I", end - self._start - 8))
        # VP8X flags: animation; alpha where some frame holds transparent pixels (over an
        # opaque canvas); XMP metadata where it carries the title
        flags = 0x02 | (0x10 if self._alpha else 0) | (0x04 if self.title else 0)
        self._file.seek(self._start + 20)
        self._file.write(bytes([flags]))
        self._file.seek(end)


class WebpWriter(FrameWriter):
    """Animated, looping, lossless WebP: each frame's changed rectangle encoded as a still by
    Pillow's public API, muxed here; identical frames merged into a longer duration."""

    def check_size(self, size):
        if max(size) > MAX_WEBP_SIDE:
            raise OptionError(
                "size",
                f"a WebP image is at most {MAX_WEBP_SIDE} pixels on a side",
                value=f"{size[0]}x{size[1]}",
            )

    def _open(self, size):
        self.check_size(size)
        self._file = open(self.temp, "wb")
        self._muxer = WebpMuxer(self._file, size, title=self.title)
        self._previous: np.ndarray | None = None  # the frame on the canvas now
        self._pending: tuple[bytes, tuple[int, int, int, int], int, bool] | None = None

    def _write(self, frame):
        if self._previous is None:
            image = Image.fromarray(frame, "RGB")
            box = (0, 0, frame.shape[1], frame.shape[0])
        else:
            found = changed_box(frame, self._previous)
            if found is None:  # identical frame: the pending one lasts longer
                return
            image, box = self._patch(frame, *found)
        start = self._time(self.frames)
        self._flush(start)
        self._pending = (webp_image_chunks(image), box, start, image.mode == "RGBA")
        self._previous = frame.copy()

    def _patch(self, frame, changed, rows, cols) -> tuple[Image.Image, tuple[int, int, int, int]]:
        """The changed rectangle, from an even corner (as ANMF asks), unchanged pixels
        transparent: blended over the canvas, they leave it as it was."""
        rows, cols = slice(rows.start & ~1, rows.stop), slice(cols.start & ~1, cols.stop)
        keep = changed[rows, cols]  # (h, w)
        patch = np.empty((*keep.shape, 4), np.uint8)  # (h, w, RGBA)
        patch[..., :3] = frame[rows, cols]  # libwebp zeroes the colour of transparent pixels
        np.multiply(keep, 255, out=patch[..., 3], casting="unsafe")
        box = (cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start)
        return Image.fromarray(patch, "RGBA"), box

    @property
    def playing(self) -> float:
        return self._time(self.frames, self.hold) / 1000

    def _time(self, index: int, hold: float = 0.0) -> int:
        """Milliseconds from the start to frame `index`, rounded once (no drift)."""
        return round(1000 * (index / self.fps + hold))

    def _flush(self, end: int) -> None:
        if self._pending is None:
            return
        chunks, box, start, blend = self._pending
        duration = end - start
        self._muxer.add(chunks, box, min(duration, MAX_WEBP_DURATION), blend=blend)
        while (duration := duration - MAX_WEBP_DURATION) > 0:  # longer than a frame can last
            pixel = webp_image_chunks(Image.fromarray(self._previous[:1, :1], "RGB"))
            self._muxer.add(pixel, (0, 0, 1, 1), min(duration, MAX_WEBP_DURATION))

    def _finish(self):
        self._flush(self._time(self.frames, self.hold))
        self._muxer.close()
        self._file.close()

    def _abort(self):
        if hasattr(self, "_file"):
            self._file.close()


# ---- PNG ----------------------------------------------------------------------------------
def save_png(frame: np.ndarray, path: Path, title: str | None = None) -> None:
    """A PNG with no time stamp or other varying metadata: same pixels, same bytes. The title,
    if given, as the standard "Title" keyword (an iTXt chunk: UTF-8, any language)."""
    info = None
    if title:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("Title", title)
    Image.fromarray(frame, "RGB").save(path, format="PNG", compress_level=6, pnginfo=info)


class PngWriter(FrameWriter):
    """One still PNG: the last frame, or frame `index` (0-based; negative counts from the end).
    With a frame number it is `satisfied` once that frame is in: the render may stop there."""

    def __init__(self, path, *, fps=20.0, hold=0.0, index: int = -1, total: int | None = None):
        super().__init__(path, fps=fps, hold=hold)
        if total is not None and not -total <= index < total:
            raise OptionError(
                "frame",
                f"this scene has {total} frames; choose 0 to {total - 1} (or -1 for the last)",
                value=index,
            )
        self.asked, self.total = index, total
        self.index = index + total if total is not None and index < -1 else index
        self._kept: collections.deque[np.ndarray] = collections.deque(
            maxlen=-self.index if self.index < 0 else 1
        )

    @property
    def satisfied(self) -> bool:
        return 0 <= self.index < self.frames

    @property
    def playing(self) -> None:
        return None

    @property
    def still(self) -> int:
        """The frame the PNG shows, 0-based, as --frame counts (-1: the last one written)."""
        return self.index if self.index >= 0 else self.frames + self.index

    def _write(self, frame):
        if self.index < 0 or self.frames == self.index:
            self._kept.append(frame.copy())

    def _finish(self):
        if self.index >= self.frames or len(self._kept) < self._kept.maxlen:
            raise OptionError(
                "frame",
                f"only {self.frames} frames were rendered; choose 0 to {self.frames - 1}",
                value=self.asked,
            )
        save_png(self._kept[0], self.temp, self.title)


FRAME_FILE = re.compile(r"frame_\d{5,}\.png")
HIDDEN_KEPT = (".DS_Store", "Thumbs.db", "desktop.ini")  # a file browser's own: left as they are
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def foreign_entries(folder: Path) -> list[str]:
    """What in an existing folder is not a numbered PNG frame (nor a temporary of vizff's):
    a folder output goes only where it replaces frames, never among someone's files."""
    try:
        names = sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise OptionError(
            "out", f"cannot be read to check it ({reason(exc)})", value=str(folder)
        ) from None
    foreign = []
    for name in names:
        path = folder / name
        if name.startswith(TEMP_PREFIX) or name in HIDDEN_KEPT:
            continue
        if FRAME_FILE.fullmatch(name) and path.is_file() and not path.is_symlink():
            try:
                with path.open("rb") as handle:
                    if handle.read(8) == PNG_SIGNATURE:
                        continue
            except OSError:
                pass
        foreign.append(name)
    return foreign


class PngFolderWriter(FrameWriter):
    """Numbered frames `frame_00000.png`... in a folder, written into a temporary folder beside
    it; the old frames are replaced only once every new one is written."""

    folder = True

    @property
    def playing(self) -> None:
        return None

    def check_target(self):
        if os.path.lexists(self.path) and not self.path.is_dir():
            what = "a file" if self.path.is_file() else "not a file or folder (a device or pipe)"
            raise OptionError(
                "out",
                f"is {what}; vizff writes a file named with its format (.gif .mp4 .webp .png) "
                "or, for a path without one, a folder of numbered PNGs",
                value=str(self.path),
            )
        problem = parent_problem(self.path)
        if problem:
            raise OptionError("out", problem, value=str(self.path))
        others = foreign_entries(self.path)
        if others:
            shown = some_of(others, 3)
            raise OptionError(
                "out",
                f"is a folder holding other files than numbered PNG frames ({shown}), which "
                "vizff would write among; name a new or empty folder",
                value=str(self.path),
            )

    def _write(self, frame):
        save_png(frame, self.temp / f"frame_{self.frames:05d}.png", self.title)


def open_writer(
    path: str | os.PathLike[str],
    *,
    fps: float = 20.0,
    hold: float = 0.0,
    palette: np.ndarray | None = None,
    frame: int | None = None,
    total: int | None = None,
    title: str | None = None,
) -> FrameWriter:
    """The writer that the output's extension names; a path without one is a PNG folder.
    `title`: what the frames show as their title, carried in the file's metadata."""
    writer = _writer_for(path, fps=fps, hold=hold, palette=palette, frame=frame, total=total)
    writer.title = file_title(title)
    return writer


def _writer_for(path, *, fps, hold, palette, frame, total) -> FrameWriter:
    written = os.fspath(path)
    path = Path(path)
    suffix = path.suffix.lower()
    check_output_name(written, lambda problem: OptionError("out", problem, value=written))
    if frame is not None and suffix != ".png":
        raise OptionError("frame", f"only for a .png output, not {path.name}")
    if suffix == ".gif":
        return GifWriter(path, fps=fps, hold=hold, palette=palette)
    if suffix == ".mp4":
        return Mp4Writer(path, fps=fps, hold=hold)
    if suffix == ".webp":
        return WebpWriter(path, fps=fps, hold=hold)
    if suffix == ".png":
        return PngWriter(
            path, fps=fps, hold=hold, index=-1 if frame is None else frame, total=total
        )
    if suffix == "" or path.is_dir():
        return PngFolderWriter(path, fps=fps, hold=hold)
    raise OptionError(
        "out",
        f"unknown format {suffix!r}; use .gif, .mp4, .webp, .png or a folder for numbered PNGs",
        value=str(path),
    )
