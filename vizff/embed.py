"""Blog posts: the snippet to paste for a render, its poster, and a page showing a folder's renders.

A snippet names the file by its path relative to where it will be pasted (the working
directory for `vizff render --embed`, the folder for `vizff page`), gives the width and height
read from the file itself, and the title as alt text. An MP4 is a `<video>` in both styles
(Markdown has no video syntax; Markdown renders HTML as written), with its poster when there is
one beside it.
"""

from __future__ import annotations

import html
import os
import re
import shlex
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from vizff.errors import ConfigError, RenderError
from vizff.files import GENERATOR, reason

STYLES = ("md", "html")
MEDIA = (".gif", ".webp", ".png", ".mp4")
POSTER_SUFFIX = ".poster.png"
VIDEO_ATTRIBUTES = "controls loop autoplay muted playsinline"  # muted: browsers then autoplay


def poster_path(video: Path) -> Path:
    """`lesson.mp4` -> `lesson.poster.png`, beside it."""
    return video.with_name(video.stem + POSTER_SUFFIX)


@dataclass(frozen=True)
class Media:
    """One render on disk: its path, format, frame size and title."""

    path: Path
    size: tuple[int, int]
    title: str
    poster: Path | None = None

    @property
    def format(self) -> str:
        return self.path.suffix.lower().lstrip(".")


def media(path: Path, title: str | None = None) -> Media:
    """A render's facts read from the file: size from its header, the title it carries (else
    its name), the poster beside an MP4."""
    path = Path(path)
    poster = poster_path(path) if path.suffix.lower() == ".mp4" else None
    if poster is not None and not poster.is_file():
        poster = None
    size, carried = media_facts(path)
    return Media(path, size, title or carried or path.stem, poster)


def media_size(path: Path) -> tuple[int, int]:
    """(width, height) of a GIF, PNG, WebP (from Pillow's header read) or MP4 (its video
    track's header box)."""
    return media_facts(path)[0]


def media_facts(path: Path) -> tuple[tuple[int, int], str | None]:
    """(width, height) and the title the file carries, if any: a GIF's comment, a PNG's
    "Title", the Dublin Core title of a WebP's XMP, an MP4's title (as vizff writes them)."""
    if path.suffix.lower() == ".mp4":
        from vizff.writers import mp4_moov

        try:
            moov = mp4_moov(path)
        except OSError as exc:
            raise RenderError(f"{path}: not a readable MP4 ({reason(exc)})") from None
        return mp4_size(path, moov), mp4_title(moov)
    from PIL import Image, UnidentifiedImageError

    from vizff.writers import file_title

    try:
        with Image.open(path) as image:  # reads the header, and what precedes the first image
            info = dict(image.info)
            size = image.size
    except (OSError, UnidentifiedImageError) as exc:
        raise RenderError(f"{path}: not a readable image ({exc})") from None
    title = info.get("comment") or info.get("Title")
    if "xmp" in info and not title:
        title = xmp_title_of(info["xmp"])
    if isinstance(title, bytes):  # UTF-8 as vizff writes it, else Latin-1, as other
        try:  # tools' GIF comments often are (caf\xe9 read as café, not caf\ufffd)
            title = title.decode("utf-8")
        except UnicodeDecodeError:
            title = title.decode("latin-1")
    return size, file_title(title) if isinstance(title, str) else None


XMP_TITLE = re.compile(rb"<dc:title>.*?<rdf:li[^>]*>(.*?)</rdf:li>", re.DOTALL)


def xmp_title_of(xmp: bytes | str) -> str | None:
    """The Dublin Core title in an XMP packet, or None."""
    data = xmp.encode("utf-8", "replace") if isinstance(xmp, str) else bytes(xmp)
    found = XMP_TITLE.search(data)
    return html.unescape(found[1].decode("utf-8", "replace")) if found else None


def mp4_title(moov: bytes | None) -> str | None:
    """The title in an MP4's moov/udta/meta/ilst (its `©nam` item's data), or None."""
    from vizff.writers import _boxes, file_title

    if moov is not None:
        for udta in _boxes(moov, b"udta"):
            for meta in _boxes(udta, b"meta"):
                for ilst in _boxes(meta[4:], b"ilst"):  # meta is a full box: version, flags
                    for item in _boxes(ilst, b"\xa9nam"):
                        for value in _boxes(item, b"data"):  # type and locale, then the text
                            return file_title(value[8:].decode("utf-8", "replace"))
    return None


def mp4_size(path: Path, moov: bytes | None) -> tuple[int, int]:
    """The display size in the first video track's `tkhd` box (16.16 fixed point), from the
    file's moov box (`writers.mp4_moov`)."""
    from vizff.writers import _boxes

    for trak in _boxes(moov or b"", b"trak"):
        video = any(
            hdlr[8:12] == b"vide"
            for mdia in _boxes(trak, b"mdia")
            for hdlr in _boxes(mdia, b"hdlr")
        )
        for tkhd in _boxes(trak, b"tkhd"):
            width, height = struct.unpack(">II", tkhd[-8:]) if len(tkhd) >= 8 else (0, 0)
            if video and width:
                return width >> 16, height >> 16
    raise RenderError(f"{path}: not a readable MP4 (no video track with a size)")


def href(path: Path, base: Path) -> str:
    """The URL of `path` relative to the folder `base`, each part percent-encoded. The file
    is named as it is in its folder: a link to a render elsewhere keeps its own name (a copy
    of the folder, or the server, follows the link)."""
    path = Path(path)
    relative = os.path.relpath(path.parent.resolve() / path.name, Path(base).resolve())
    # a name that is not UTF-8 (bytes a Latin-1 system wrote) is quoted as the bytes it is:
    # x%FF.png, which a browser asks the server for, byte for byte
    return "/".join(quote(os.fsencode(part)) for part in Path(relative).parts)


def snippet(item: Media, style: str, base: Path) -> str:
    """The Markdown or HTML to paste in a page that lives in `base`."""
    if style not in STYLES:
        raise ConfigError(f"--embed {style}: choose md or html")
    url = href(item.path, base)
    alt = html.escape(item.title, quote=True)
    width, height = item.size
    fit = 'style="max-width:100%;height:auto"'
    if item.format == "mp4":
        poster = f' poster="{href(item.poster, base)}"' if item.poster else ""
        return (
            f'<video src="{url}" width="{width}" height="{height}"{poster} {VIDEO_ATTRIBUTES} '
            f'aria-label="{alt}" {fit}><a href="{url}">{alt}</a></video>'
        )
    if style == "md":
        return f"![{markdown_text(item.title)}]({url})"
    return f'<img src="{url}" width="{width}" height="{height}" alt="{alt}" loading="lazy" {fit}>'


def markdown_text(text: str) -> str:
    """Alt text safe inside `![...]`: brackets, backslashes and what Markdown reads as code
    or emphasis (`` ` * _ ``: `*w*` was shown as w) escaped, one line."""
    text = " ".join(text.split())
    for character in "\\[]`*_":
        text = text.replace(character, "\\" + character)
    return text


# ---- a page of every render in a folder ----------------------------------------------------
def check_folder(folder: Path) -> None:
    """A folder of renders, or an error saying what `folder` is instead."""
    if not folder.is_dir():
        if folder.exists():  # a render itself, most likely: the page goes in its folder
            raise ConfigError(
                f"{folder}: not a folder; give the folder that holds your renders "
                f"(vizff page {shlex.quote(str(folder.parent))})"
            )
        raise ConfigError(f"{folder}: no such folder")


def readable_renders(folder: Path) -> tuple[list[Media], list[tuple[Path, str]]]:
    """Every GIF, WebP, PNG and MP4 in `folder` that can be shown, by name (an MP4's poster
    goes with it), and the files skipped with why: one broken or half-copied file does not
    cost the page."""
    check_folder(folder)
    named = sorted(p for p in folder.iterdir() if p.suffix.lower() in MEDIA)
    files = [p for p in named if p.is_file()]
    posters = {poster_path(p) for p in files if p.suffix.lower() == ".mp4"}
    items, skipped = [], []
    for path in named:  # named as a render, but nothing to show: said, not passed over
        if not path.is_file() and not path.name.startswith("."):
            why = (
                "is a folder, not a render"
                if path.is_dir()
                else "is a link to nothing"
                if path.is_symlink()
                else "is not a regular file (a pipe or a device)"
            )
            skipped.append((path, why))
    for path in files:
        if path in posters or path.name.startswith("."):
            continue
        try:
            why = cut_short(path)
            if why is None:
                items.append(media(path))
        except RenderError as exc:
            why = str(exc).removeprefix(f"{path}: ")
        if why is not None:
            skipped.append((path, why))
    return items, skipped


def cut_short(path: Path) -> str | None:
    """Why a file that starts as its format does is not whole (a copy or render cut short: it
    lacks the end its format must have), or None."""
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            head = file.read(12)
            file.seek(max(0, size - 12))
            tail = file.read()
    except OSError as exc:
        return exc.strerror or str(exc)
    held, named = content_format(head), suffix.lstrip(".")
    if held != named and size:  # a zero-byte file is Pillow's to name
        if held is None:
            return f"does not start as {FORMAT_NAMES[named]} does"
        return (
            f"holds {FORMAT_NAMES[held]}, not {FORMAT_NAMES[named]}; rename it {path.stem}.{held}"
        )
    if suffix == ".gif" and head[:3] == b"GIF" and not tail.endswith(b"\x3b"):
        return "cut short: the GIF has no trailer"
    if suffix == ".png" and head[:4] == b"\x89PNG" and not tail.endswith(b"IEND\xaeB`\x82"):
        return "cut short: the PNG has no IEND chunk"
    if suffix == ".webp" and head[:4] == b"RIFF" and int.from_bytes(head[4:8], "little") + 8 > size:
        return "cut short: the WebP holds fewer bytes than its header says"
    if suffix == ".mp4" and head[4:8] == b"ftyp" and not _boxes_fill(path, size):
        return "cut short: the MP4's boxes run past its end"
    return None


FORMAT_NAMES = {"gif": "a GIF", "png": "a PNG", "webp": "a WebP", "mp4": "an MP4", "jpg": "a JPEG"}


def content_format(head: bytes) -> str | None:
    """`gif`, `png`, `webp`, `mp4` or `jpg` by a file's first 12 bytes, else None: a page lists
    a file by what it holds, not what its name says (a <video> tag for a GIF plays nothing)."""
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:3] == b"\xff\xd8\xff":
        return "jpg"
    return None


def _boxes_fill(path: Path, size: int) -> bool:
    """Whether the MP4's top-level boxes end exactly where the file does (headers only)."""
    from vizff.writers import _box_header

    position = 0
    with open(path, "rb") as file:
        while position < size:
            file.seek(position)
            box = _box_header(file.read(16), size - position)
            if box is None:
                return False
            position += box[2]
    return position == size


def write_page(folder: Path, name: str = "index.html") -> tuple[Path, int, list[tuple[Path, str]]]:
    """Write `folder/index.html` showing each render by the title it carries (else its file
    name), with its size and snippets; returns its path, how many renders it shows, and the
    files skipped with why."""
    from vizff.files import atomic_path, lesson_index, written_by_vizff

    items, skipped = readable_renders(folder)
    if not items:
        if skipped:
            path, why = skipped[0]
            raise ConfigError(f"{folder}: no readable renders here ({path.name}: {why})")
        raise ConfigError(f"{folder}: no renders here (.gif .webp .png .mp4)")
    target = folder / name
    if target.is_symlink():  # its page would go where the link points: another folder's
        raise ConfigError(
            f"{target}: is a link (to {os.readlink(target)}); a page lists the folder it is "
            "in, so it is not written through a link: remove the link and run again"
        )
    if lesson_index(target):  # the lesson's own list of its parts: a new render replaces it
        raise ConfigError(
            f"{target}: is the index of a lesson rendered into this folder; render the lesson "
            "again to update it, or make the page of these renders in another folder"
        )
    if os.path.lexists(target) and not written_by_vizff(target):
        raise ConfigError(
            f"{target}: exists and is not a page vizff wrote; move it away, or keep the "
            "renders in a folder of their own"
        )
    with atomic_path(target, option="page") as temp:
        temp.write_text(page_html(folder, items), encoding="utf-8")
    return target, len(items), skipped


PAGE_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; }
section { margin: 0 0 3rem; }
h2 { margin: 0 0 .25rem; font-size: 1.2rem; }
p.facts { margin: 0 0 .5rem; color: #555; }
pre { background: #f4f4f4; padding: .5rem; overflow-x: auto; white-space: pre-wrap; }
"""


def readable(name: str) -> str:
    """A file name as a page shows it: bytes that are not UTF-8 as U+FFFD (the link itself
    is quoted byte for byte: `href`)."""
    return os.fsencode(name).decode("utf-8", "replace")


def page_html(folder: Path, items: list[Media]) -> str:
    sections = "\n".join(section(item, folder) for item in items)
    title = html.escape(f"vizff renders: {readable(folder.resolve().name)}")
    return (
        f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n{GENERATOR}\n'
        f"<title>{title}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n{sections}\n</body>\n</html>\n"
    )


def section(item: Media, folder: Path) -> str:
    width, height = item.size
    bytes_ = item.path.stat().st_size
    name = readable(item.path.name)
    facts = f"{name} · {width}x{height} · {bytes_:,} bytes · {item.format.upper()}"
    if item.poster:
        facts += f" · poster {readable(item.poster.name)}"
    shown = snippet(item, "html", folder)
    codes = "".join(
        f"<p>{style}</p><pre><code>{html.escape(snippet(item, style, folder))}</code></pre>"
        for style in STYLES
    )
    return (
        f'<section data-file="{html.escape(name, quote=True)}" '
        f'data-width="{width}" data-height="{height}">\n'
        f'<h2>{html.escape(item.title)}</h2>\n<p class="facts">{html.escape(facts)}</p>\n'
        f"{shown}\n{codes}\n</section>"
    )
