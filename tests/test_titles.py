"""Every file carries the title its frames show, read back here by other tools than vizff's:
Pillow for a GIF's comment, a PNG's text chunks and a WebP's XMP (parsed as XML), ffmpeg for an
MP4's metadata. `vizff page` and the snippets show that title."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from vizff.embed import media, write_page
from vizff.errors import OptionError
from vizff.render import render_scene
from vizff.segments import GifReader
from vizff.storyboard import render_storyboard
from vizff.writers import MAX_TITLE, file_title

TINY = {"size": (320, 180), "frames": 4}
TRICKY = '权重 <b>&amp; "W_1" = 1; #2 \\ é'  # XML, HTML, FFMETADATA and markup characters
DC = "{http://purl.org/dc/elements/1.1/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


def gif_comments(path: Path) -> list[str]:
    """Every Comment Extension of a GIF, in order: Pillow reports only the last one it saw."""
    with open(path, "rb") as handle:
        reader = GifReader(handle, str(path))
        return [
            b"".join(_sub_blocks(body)).decode("utf-8")
            for kind, head, _, body in reader.blocks()
            if kind == "extension" and head == b"\xfe"
        ]


def _sub_blocks(body: bytes) -> list[bytes]:
    parts, i = [], 0
    while body[i]:
        parts.append(body[i + 1 : i + 1 + body[i]])
        i += 1 + body[i]
    return parts


def title_read_back(path: Path) -> str | None:
    """The title in a file, by Pillow or ffmpeg, not by vizff's reader."""
    suffix = path.suffix
    if suffix == ".mp4":
        text = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path), "-f", "ffmetadata", "-"],
            capture_output=True,
            text=True,
        ).stdout
        head = text.split("[CHAPTER]")[0]  # the file's own, not a chapter's
        found = re.search(r"^title=(.*)$", head, re.MULTILINE)
        return re.sub(r"\\(.)", r"\1", found[1]) if found else None
    with Image.open(path) as image:
        info = dict(image.info)
    if suffix == ".gif":
        return info["comment"].decode("utf-8") if "comment" in info else None
    if suffix == ".png":
        return info.get("Title")
    if "xmp" not in info:
        return None
    root = ET.fromstring(info["xmp"])
    return root.find(f".//{DC}title/{RDF}Alt/{RDF}li").text


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png", ".mp4"])
def test_each_format_carries_the_users_title(tmp_path, suffix):
    result = render_scene("sigmoid", tmp_path / f"s{suffix}", title=TRICKY, **TINY)
    assert title_read_back(result.path) == TRICKY
    assert media(result.path).title == TRICKY  # what `vizff page` shows


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_a_cards_title_of_several_lines_is_one_line_in_the_file(tmp_path, suffix):
    title = "Lecture 3\n激活函数\n  gradients"
    result = render_scene(
        "card", tmp_path / f"c{suffix}", card="title", title=title, seconds=0.2, size=(320, 180)
    )
    assert title_read_back(result.path) == "Lecture 3 激活函数 gradients"


@pytest.mark.parametrize(
    ("scene", "options"),
    [
        ("weights", {"steps": 4, "every": 2, "hidden": [4], "size": (480, 270)}),  # W_{1}
        ("softmax", {"lang": "zh", "frames": 4}),
        ("card", {"card": "title", "seconds": 0.2}),
    ],
)
def test_a_scenes_own_title_in_the_file_is_the_one_its_frames_show(tmp_path, scene, options):
    options = {"size": (320, 180), **options}
    result = render_scene(scene, tmp_path / f"{scene}.gif", **options)
    assert result.title and "_" not in result.title and "{" not in result.title
    assert title_read_back(result.path) == result.title


def test_a_poster_and_a_png_frame_folder_carry_the_title_too(tmp_path):
    video = render_scene("sigmoid", tmp_path / "v.mp4", poster=True, title="Curve", **TINY)
    assert title_read_back(video.poster) == "Curve"
    folder = render_scene("sigmoid", tmp_path / "frames", title="Curve", **TINY).path
    titles = {title_read_back(p) for p in folder.glob("frame_*.png")}
    assert titles == {"Curve"}


def test_a_title_fitted_to_a_byte_budget_is_kept(tmp_path):
    result = render_scene(
        "sigmoid", tmp_path / "b.gif", title="Budget", max_bytes=40_000, size=(640, 360)
    )
    assert result.bytes <= 40_000
    assert title_read_back(result.path) == "Budget"


def test_odd_titles_are_written_whole_and_cut_at_the_limit(tmp_path):
    long = "权重" * 100  # the longest title option: 600 bytes, three GIF sub-blocks
    result = render_scene("sigmoid", tmp_path / "long.gif", title=long, **TINY)
    assert title_read_back(result.path) == long
    assert file_title("长" * (MAX_TITLE + 500)) == "长" * MAX_TITLE
    assert file_title("\ud800 lone") == "? lone"  # a lone surrogate cannot be UTF-8
    assert file_title(" \n\t ") is None and file_title(None) is None
    odd = "tab\there\u200d"  # a tab becomes a space (other controls are refused)
    for suffix in (".gif", ".mp4", ".webp", ".png"):
        result = render_scene("sigmoid", tmp_path / f"odd{suffix}", title=odd, **TINY)
        assert title_read_back(result.path) == "tab here\u200d"
    assert file_title("nul\x00escape\x1b") == "nul escape"  # a foreign file's, read back


def test_same_title_same_bytes(tmp_path):
    for suffix in (".gif", ".webp", ".mp4", ".png"):
        first = render_scene("sigmoid", tmp_path / f"a{suffix}", title=TRICKY, **TINY).path
        second = render_scene("sigmoid", tmp_path / f"b{suffix}", title=TRICKY, **TINY).path
        assert first.read_bytes() == second.read_bytes(), suffix


def test_the_page_shows_each_files_title_else_its_name(tmp_path):
    render_scene("sigmoid", tmp_path / "curve.gif", title="The curve <1>", **TINY)
    render_scene("softmax", tmp_path / "soft.webp", lang="zh", frames=3, size=(320, 180))
    Image.fromarray(np.zeros((18, 32, 3), np.uint8)).save(tmp_path / "plain.png")  # no title
    path, count, skipped = write_page(tmp_path)
    assert count == 3 and not skipped
    page = path.read_text(encoding="utf-8")
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    soft = title_read_back(tmp_path / "soft.webp")
    assert soft and re.search(r"[\u4e00-\u9fff]", soft)  # the Chinese title drawn on the frames
    assert headings == ["The curve &lt;1&gt;", "plain", soft]
    assert 'alt="The curve &lt;1&gt;"' in page


def test_a_foreign_files_unreadable_metadata_falls_back_to_its_name(tmp_path):
    """A WebP whose XMP is not XML, a GIF comment that is not UTF-8, an MP4 with no udta."""
    frame = np.full((18, 32, 3), 200, np.uint8)
    Image.fromarray(frame).save(tmp_path / "x.webp", xmp=b"<not xml", lossless=True)
    Image.fromarray(frame).save(tmp_path / "c.gif", comment=b"\xff\xfe bad")
    items = {m.path.name: m.title for m in map(media, sorted(tmp_path.iterdir()))}
    assert items["x.webp"] == "x"
    assert items["c.gif"] == "\xff\xfe bad"  # read as Latin-1, as other tools write, never an error


LESSON = """
size = "320x180"
fps = 10
title = "One lesson, 神经网络"

[[part]]
card = "title"
seconds = 0.3

[[part]]
scene = "sigmoid"
frames = 3
title = "The curve"
"""


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".mp4"])
def test_a_lessons_file_carries_the_lessons_title_not_its_parts(tmp_path, suffix):
    board = tmp_path / "lesson.toml"
    board.write_text(LESSON, encoding="utf-8")
    result = render_storyboard(board, tmp_path / f"lesson{suffix}")
    out = result.path
    assert title_read_back(out) == result.title == "One lesson, 神经网络"
    if suffix == ".gif":
        assert gif_comments(out) == ["One lesson, 神经网络"]  # once: each part's own left out


def test_a_lessons_part_files_carry_their_parts_titles(tmp_path):
    board = tmp_path / "lesson.toml"
    board.write_text(LESSON, encoding="utf-8")
    out = render_storyboard(board, tmp_path / "parts").path
    assert title_read_back(out / "02-sigmoid.gif") == "The curve"
    first = title_read_back(out / "01-card-title.gif")
    assert first and first != "The curve"


def test_a_large_mp4s_title_and_size_are_read_from_its_moov_alone(tmp_path):
    """`vizff page` read a whole MP4 into memory for its size: 2 GB for a long 4K video. Here
    a real render's boxes, its mdat padded (sparsely) to 3 GB."""
    import struct
    import tracemalloc

    from vizff.writers import _box_header

    small = render_scene("sigmoid", tmp_path / "s.mp4", title="Big one", **TINY).path
    data, boxes, position = small.read_bytes(), {}, 0
    while position < len(data):
        kind, header, size = _box_header(data[position : position + 16], len(data) - position)
        boxes[kind] = data[position : position + size]
        position += size
    big = tmp_path / "big.mp4"
    with open(big, "wb") as out:
        out.write(boxes[b"ftyp"] + boxes[b"moov"])
        length = 3 * 2**30
        out.write(struct.pack(">I4sQ", 1, b"mdat", length))  # a 64-bit size
        out.truncate(out.tell() + length - 16)  # holes: no disk, no time
    tracemalloc.start()
    try:
        item = media(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (item.title, item.size) == ("Big one", (320, 180))
    assert peak < 10 * 2**20, peak


def test_a_blank_title_is_refused_wherever_it_is_given(tmp_path, capsys):
    """A title of only spaces drew no title, left GIFs and PNGs without one and an MP4 titled
    "   ", and named a chapter "  " (a blank entry in a player's chapter menu)."""
    from vizff.cli import main
    from vizff.errors import OptionError

    said = "is blank; write one, or leave title out for the scene's own"

    def cli(*argv: str) -> str:
        with pytest.raises(SystemExit) as exit_:
            main(list(argv))
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        return err.strip()

    out = str(tmp_path / "t.gif")
    assert (
        cli("render", "sigmoid", "--title", "   ", "--out", out) == f"error: --title '   ': {said}"
    )
    assert cli("render", "sigmoid", "--title", "", "--out", out) == f"error: --title '': {said}"
    scene = tmp_path / "s.toml"
    scene.write_text('scene = "sigmoid"\ntitle = "  "\n')
    assert cli("render", str(scene), "--out", out) == f'error: {scene}: title = "  ": {said}'
    top = tmp_path / "top.toml"
    top.write_text('title = " "\n[[part]]\ncard = "title"\n')
    assert cli("render", str(top), "--out", out) == f'error: {top}: title = " ": {said}'
    part = tmp_path / "part.toml"
    part.write_text('[[part]]\nscene = "sigmoid"\ntitle = {en = "\\t", zh = "x"}\n')
    assert cli("render", str(part), "--out", out).startswith(f"error: {part}: part 1")
    with pytest.raises(OptionError, match=f"^title=' ': {re.escape(said)}"):
        render_scene("sigmoid", out, title=" ")
    assert not (tmp_path / "t.gif").exists()
    # a blank subtitle hides the scene's own: that is allowed
    result = render_scene("sigmoid", tmp_path / "s.png", subtitle="", **TINY)
    assert title_read_back(result.path) == result.title


def test_a_parts_own_title_is_its_chapter_as_written(tmp_path):
    """A part titled `W_1 and x^2` is drawn as written (a user's title is not markup), but its
    chapter was named `W1 and x2`: the chapter now names it as the frames show it."""
    from vizff.storyboard import load_storyboard, plan

    board = tmp_path / "b.toml"
    board.write_text('[[part]]\nscene = "sigmoid"\nframes = 3\ntitle = "W_1 and x^2"\n')
    chapters = plan(load_storyboard(board)).chapters
    assert [c.title for c in chapters] == ["W_1 and x^2"]
    result = render_scene("sigmoid", tmp_path / "s.gif", title="W_1 and x^2", **TINY)
    assert result.title == title_read_back(result.path) == "W_1 and x^2"


@pytest.mark.parametrize("scene", ["sigmoid", "mosaic", "loss"])
def test_a_users_title_and_subtitle_are_drawn_as_written(scene):
    """`W_1 and x^2` was drawn "W\\_1 and x\\^2" and `C:\\temp` "C:\\\\temp" in every scene's
    header (escaped for the markup, then laid without it), while the card and the file's
    title were right. The runs drawn now spell the text, and its width is the text's as the
    font sets it (Pillow's measure at 64 times the size, where hinting moves nothing)."""
    from vizff.scenes import SCENES

    title, subtitle = "W_1 and x^2 C:\\temp", "e^{-x} at 50_000"
    instance = SCENES[scene](title=title, subtitle=subtitle, size=(1280, 720))
    next(iter(instance.frames()))
    page = instance.page
    for laid, text in ((page.title_laid, title), (page.subtitle_laid, subtitle)):
        assert "".join(run.text for run in laid.runs) == text
        assert {run.dy for run in laid.runs} == {0}  # nothing set as a sub- or superscript
        face = laid.runs[0].face
        designed = face.font_variant(size=face.size * 64).getlength(text) / 64
        assert abs(laid.width - designed) <= 1


def test_a_results_title_is_its_files_title_without_control_characters(tmp_path):
    """`RenderResult.title` kept "a\\x00b" while the file's metadata said "a b" (and the
    frames "ab"): a NUL or another control is refused now; a tab is a space everywhere."""
    for suffix in (".gif", ".mp4"):
        result = render_scene("sigmoid", tmp_path / f"t{suffix}", title="a\tb\tc", **TINY)
        assert result.title == "a b c" == title_read_back(result.path)
    with pytest.raises(OptionError, match=r"has a control character \(U\+0000\)"):
        render_scene("sigmoid", tmp_path / "n.gif", title="a\x00b", **TINY)


@pytest.mark.parametrize("suffix", [".png", ".mp4"])
def test_superscript_and_subscript_characters_in_a_title_are_drawn_raised_and_lowered(
    tmp_path, suffix
):
    """A teacher writes `h = 10⁻⁵` and `W₁` as Unicode: the shipped font has ¹²³ only, so
    `10⁻⁵` was refused ("the closest lacks ⁻ U+207B"). Each is drawn as its base character,
    small and raised (or lowered), the file's title keeps the characters as written. The
    pixels are the oracle: the ink right of `10` is shorter than the digits' and ends above
    their middle (below it for `W₁`'s 1); the same base characters written plainly are not."""
    from vizff.draw.text import Typesetter

    title = "步长 h = 10⁻⁵，权重 W₁ 与 x²"
    result = render_scene("card", tmp_path / f"c{suffix}", card="section", title=title, lang="zh")
    assert result.title == title == title_read_back(result.path)

    setter = Typesetter()

    def ink(text: str, base: str) -> tuple[np.ndarray, int]:
        """Pixels inked by `text` on white, and the column where its `base` ends."""
        frame = np.full((120, 400, 3), 255, np.uint8)
        laid = setter.lay(text, 40)
        setter.draw(frame, laid, (10, 80), (0, 0, 0), anchor="ls")
        inked = (frame < 128).any(axis=2)
        return inked, 10 + round(setter.lay(base, 40).width)

    for written, plain, base, raised in (("10⁻⁵", "10−5", "10", True), ("W₁", "W1", "W", False)):
        inked, split = ink(written, base)
        rows_base = np.flatnonzero(inked[:, :split].any(axis=1))
        rows_script = np.flatnonzero(inked[:, split:].any(axis=1))
        middle = (rows_base[0] + rows_base[-1]) / 2
        assert len(rows_script) < 0.8 * len(rows_base)  # smaller
        if raised:
            assert rows_script[-1] < middle, (rows_script, rows_base)
        else:
            assert rows_script[0] > middle, (rows_script, rows_base)
        inked, split = ink(plain, base)  # the oracle's own check: full-size characters fail it
        rows_plain = np.flatnonzero(inked[:, split:].any(axis=1))
        assert not (rows_plain[-1] < middle or rows_plain[0] > middle)


def test_a_title_cut_to_fit_keeps_its_raised_and_lowered_characters(tmp_path):
    """A subtitle cut at 480x270 lost its scripts: `h = 10⁻⁵` was drawn `h = 10−5` (ten minus
    five), `W₁` as `W1`, and the note quoted them so. Pixels as above: the ink after `h = 10`
    in the cut line is small and raised, as in the same text laid whole."""
    from vizff.draw.text import Typesetter

    setter = Typesetter()
    text = "h = 10⁻⁵ on W₁, learning rate η = 10⁻¹, batch 64, float64, entry by entry"
    whole = setter.lay(text, 40)
    laid = setter.fit(text, whole.width * 0.6, 40, smallest=40)
    assert "".join(run.text for run in laid.runs).endswith("…")
    frame = np.full((120, round(whole.width) + 40, 3), 255, np.uint8)
    setter.draw(frame, laid, (10, 80), (0, 0, 0), anchor="ls")
    inked = (frame < 128).any(axis=2)
    split = 10 + round(setter.lay("h = 10", 40).width)
    after = 10 + round(setter.lay("h = 10⁻⁵", 40).width)
    start = 10 + round(setter.lay("h = ", 40).width)
    rows_base = np.flatnonzero(inked[:, start:split].any(axis=1))  # the digits 10
    rows_script = np.flatnonzero(inked[:, split:after].any(axis=1))
    assert rows_script[-1] < (rows_base[0] + rows_base[-1]) / 2  # raised, not a full-size −5
    scripts = [run for run in laid.runs if run.dy]
    assert [(run.text, run.dy < 0) for run in scripts[:2]] == [("−5", True), ("1", False)]

    long = "Central differences with h = 10⁻⁵ on W₁ (784×32), learning rate η = 10⁻¹, " * 2
    result = render_scene("sigmoid", tmp_path / "s.png", subtitle=long, size=(480, 270))
    (note,) = [n for n in result.notes if "is cut" in n]
    assert '("Central differences with h = 10⁻⁵ on W₁ (784×32)' in note  # as written


@pytest.mark.parametrize(
    "scene, size, lang, noted",
    [("sigmoid", (480, 270), "zh", "640x360"), ("gradients", (560, 315), "zh", "640x360"),
     ("sigmoid", (640, 360), "zh", None), ("sigmoid", (480, 270), "en", None),
     ("card", (480, 270), "zh", None), ("sigmoid", (1000, 200), "zh", "1800x360"),
     ("sigmoid", (320, 640), "zh", "640x1280")],
)  # fmt: skip
def test_chinese_labels_too_small_to_read_are_noted(tmp_path, scene, size, lang, noted):
    """At 480x270 a Chinese frame's labels reach the 8 px floor, where 偏导数 and 损失函数求值
    cannot be made out (Latin letters still can): the render says so and what size reads. A
    banner, 1000x200, was told "render at 640x360 or larger", though it was wider already:
    the size named keeps the frame's shape."""
    options = {"frames": 3} if scene in ("sigmoid",) else {}
    result = render_scene(scene, tmp_path / "s.png", size=size, lang=lang, **options)
    said = [n for n in result.notes if "too small to read" in n]
    assert bool(said) == bool(noted), result.notes
    if noted:
        assert said[0].startswith(f"at {size[0]}x{size[1]} the Chinese labels are ")
        assert said[0].endswith(f"render at {noted} or larger")
