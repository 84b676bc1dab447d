"""Segments joined into one file without re-encoding: GIF, WebP and MP4 (with chapters).

A storyboard renders each part into a segment file of its own (possibly in another process);
joining them never decodes a pixel. GIF: the images are copied after one header, each
segment's palette becoming a local colour table where it is not the global one. WebP: the
ANMF frames are copied into one muxer. MP4: ffmpeg's concat demuxer copies the H.264 stream
(every segment was encoded with the same `H264` settings) and adds a chapter per part.
Memory holds one image or frame at a time.
"""

from __future__ import annotations

import re
import struct
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from vizff.errors import RenderError
from vizff.writers import (
    MP4_CONTAINER,
    Ffmpeg,
    WebpMuxer,
    _boxes,
    ffmpeg_exe,
    file_title,
    gif_comment,
    mp4_frame_count,
    mp4_video_tables,
)


# ---- GIF ----------------------------------------------------------------------------------
class GifReader:
    """A GIF read block by block: its size and global palette, then its extensions and images
    as bytes, one at a time."""

    def __init__(self, handle: BinaryIO, name: str):
        self.handle, self.name = handle, name
        head = handle.read(13)
        if len(head) < 13 or head[:6] not in (b"GIF87a", b"GIF89a"):
            raise RenderError(f"{name}: not a GIF segment")
        self.screen = head[6:13]  # width, height, flags, background, aspect
        self.size = struct.unpack_from("<HH", head, 6)
        flags = head[10]
        self.palette = handle.read(3 << ((flags & 7) + 1)) if flags & 0x80 else b""
        self.palette_bits = flags & 7

    def _read(self, count: int) -> bytes:
        data = self.handle.read(count)
        if len(data) != count:
            raise RenderError(f"{self.name}: the GIF segment is cut short")
        return data

    def _sub_blocks(self) -> bytes:
        """Sub-blocks up to and including the empty one that ends them."""
        parts = []
        while True:
            length = self._read(1)
            parts.append(length)
            if length == b"\0":
                return b"".join(parts)
            parts.append(self._read(length[0]))

    def blocks(self) -> Iterator[tuple[str, bytes, bytes, bytes]]:
        """("extension", label, b"", body) or ("image", descriptor, local table, data)."""
        while True:
            introducer = self._read(1)
            if introducer == b";":
                return
            if introducer == b"!":
                label = self._read(1)
                yield "extension", label, b"", self._sub_blocks()
            elif introducer == b",":
                descriptor = b"," + self._read(9)
                flags = descriptor[9]
                table = self._read(3 << ((flags & 7) + 1)) if flags & 0x80 else b""
                yield "image", descriptor, table, self._read(1) + self._sub_blocks()
            else:
                raise RenderError(f"{self.name}: unexpected byte {introducer!r} in a GIF segment")


def join_gif(segments: Sequence[Path], out: BinaryIO, title: str | None = None) -> None:
    """One looping GIF of the segments' images in order; the first segment's palette is the
    global one, and the images of a segment with another palette carry it as a local table.
    The lesson's title is its comment; the parts' own are left out."""
    handles = []
    try:
        first = None
        for path in segments:
            handle = open(path, "rb")
            handles.append(handle)
            reader = GifReader(handle, str(path))
            if first is None:
                first = reader
                out.write(b"GIF89a" + reader.screen + reader.palette)
                out.write(b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")  # loop forever
                out.write(gif_comment(file_title(title)))
            elif reader.size != first.size:
                raise RenderError(f"{path}: a {reader.size} segment among {first.size} ones")
            own = reader.palette != first.palette
            for kind, head, table, body in reader.blocks():
                if kind == "extension":
                    if head not in (b"\xff", b"\xfe"):  # the loop and the comment (the
                        # lesson's title) are the header's
                        out.write(b"!" + head + body)
                    continue
                if own and not table:  # this segment's palette, as the image's local table
                    flags = head[9] | 0x80 | reader.palette_bits
                    head, table = head[:9] + bytes([flags]), reader.palette
                out.write(head + table + body)
            handle.close()
        out.write(b";")
    finally:
        for handle in handles:
            handle.close()


# ---- WebP ---------------------------------------------------------------------------------
def _riff_chunks(handle: BinaryIO, name: str) -> Iterator[tuple[bytes, bytes]]:
    """(kind, payload) of each chunk of a RIFF WebP file, one at a time."""
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        raise RenderError(f"{name}: not a WebP segment")
    while header := handle.read(8):
        if len(header) < 8:
            raise RenderError(f"{name}: the WebP segment is cut short")
        kind, size = header[:4], struct.unpack_from("<I", header, 4)[0]
        payload = handle.read(size + (size & 1))
        if len(payload) < size:
            raise RenderError(f"{name}: the WebP segment is cut short")
        yield kind, payload[:size]


def _u24(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "little")


def join_webp(segments: Sequence[Path], out: BinaryIO, title: str | None = None) -> None:
    """One animated WebP of the segments' frames in order, each copied undecoded; the lesson's
    title is its XMP metadata (the parts' own are left out)."""
    muxer, canvas = None, None
    for path in segments:
        with open(path, "rb") as handle:
            for kind, payload in _riff_chunks(handle, str(path)):
                if kind == b"VP8X":
                    size = (_u24(payload, 4) + 1, _u24(payload, 7) + 1)
                    if canvas is None:
                        canvas, muxer = size, WebpMuxer(out, size, title=file_title(title))
                    elif size != canvas:
                        raise RenderError(f"{path}: a {size} segment among {canvas} ones")
                elif kind == b"ANMF":
                    x, y = 2 * _u24(payload, 0), 2 * _u24(payload, 3)
                    width, height = _u24(payload, 6) + 1, _u24(payload, 9) + 1
                    duration, flags = _u24(payload, 12), payload[15]
                    if flags & 1:  # our writer never disposes a frame
                        raise RenderError(f"{path}: a frame disposed to the background")
                    blend = not flags & 2
                    muxer.add(payload[16:], (x, y, width, height), duration, blend=blend)
    muxer.close()


# ---- MP4 ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chapter:
    """One part's chapter: its name and its frames, start to end (end not included)."""

    title: str
    start: int
    end: int


def ffmetadata(chapters: Sequence[Chapter], fps: float, title: str | None) -> str:
    """An FFMETADATA file: the title, and chapters timed in frames (TIMEBASE 1/fps)."""
    rate = Fraction(fps).limit_denominator()  # as the writer gives it to ffmpeg
    lines = [";FFMETADATA1"]
    title = file_title(title)  # one line, no control characters (a BEL reached the file)
    if title:
        lines.append(f"title={_escape(title)}")
    for chapter in chapters:
        lines += [
            "[CHAPTER]",
            f"TIMEBASE={rate.denominator}/{rate.numerator}",
            f"START={chapter.start}",
            f"END={chapter.end}",
            f"title={_escape(file_title(chapter.title) or '')}",
        ]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """FFMETADATA escapes =, ;, #, \\ and line breaks with a backslash."""
    return re.sub(r"([=;#\\\n])", r"\\\1", text)


def codec_config(path: Path) -> bytes | None:
    """The avcC box of an MP4's video track: the parameter sets every frame is decoded with."""
    for stbl in mp4_video_tables(path) or []:
        for stsd in _boxes(stbl, b"stsd"):
            for avc1 in _boxes(stsd[8:], b"avc1"):
                for avcc in _boxes(avc1[78:], b"avcC"):  # after the visual sample entry
                    return avcc
    return None


def sample_durations(path: Path) -> set[int]:
    """The distinct frame durations (stts deltas) of an MP4's video track."""
    found: set[int] = set()
    for stbl in mp4_video_tables(path) or []:
        for stts in _boxes(stbl, b"stts"):
            count = struct.unpack_from(">I", stts, 4)[0]
            found |= {struct.unpack_from(">I", stts, 8 + 8 * i + 4)[0] for i in range(count)}
    return found


def join_mp4(
    segments: Sequence[Path],
    out: Path,
    *,
    fps: float,
    chapters: Sequence[Chapter],
    title: str | None,
    folder: Path,
    name: str,
) -> None:
    """The segments' H.264 frames copied into one MP4 at `out`, with chapters; checked as the
    writer checks its own: ffmpeg's status, a whole file, every frame, evenly timed."""
    config = codec_config(segments[0])
    for path in segments:  # concat copies the first file's parameter sets for every frame
        if config is None or codec_config(path) != config:
            raise RenderError(f"{name}: segment {path.name} was encoded with other settings")
    listing = folder / "segments.ffconcat"
    listing.write_text("ffconcat version 1.0\n" + "".join(f"file '{p.name}'\n" for p in segments))
    metadata = folder / "chapters.ffmetadata"
    metadata.write_text(ffmetadata(chapters, fps, title), encoding="utf-8")
    command = [
        *(ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"),
        *("-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(metadata)),
        *("-map", "0:v", "-map_metadata", "1", "-map_chapters", "1", "-c", "copy"),
        *_container(),
        str(out),
    ]
    _run_ffmpeg(command, name)
    expected = chapters[-1].end if chapters else 0
    found = mp4_frame_count(out)
    if found is None:
        raise RenderError(f"{name}: ffmpeg left an incomplete file (no moov atom)")
    if found != expected:
        raise RenderError(f"{name}: the joined file holds {found} frames of {expected}")
    if len(sample_durations(out)) != 1:  # a segment's frames shifted in time: never shown
        raise RenderError(f"{name}: the joined frames are not evenly timed")


def _container() -> list[str]:
    """The writer's container options, less its `-map_metadata -1` (ours maps the chapters)."""
    options = list(MP4_CONTAINER)
    at = options.index("-map_metadata")
    del options[at : at + 2]
    return options


def _run_ffmpeg(command: list[str], name: str) -> None:
    """Run ffmpeg to its end, as the MP4 writer does (`Ffmpeg`); a failure is one line."""
    ffmpeg = Ffmpeg(command, name, stdin=subprocess.DEVNULL)
    try:
        code = ffmpeg.process.wait()
    except BaseException:
        ffmpeg.process.kill()
        ffmpeg.process.wait()
        raise
    finally:
        ffmpeg.reader.join(timeout=5)
    try:
        if code != 0:
            raise ffmpeg.failure()
    finally:
        ffmpeg.process.stderr.close()
