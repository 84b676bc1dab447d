"""--embed snippets, --poster, and `vizff page DIR`."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

import vizff
from vizff.cli import main
from vizff.embed import markdown_text, media, media_size, snippet
from vizff.errors import OptionError, RenderError
from vizff.render import render_scene

SMALL = {"size": (320, 180), "frames": 6}


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("style", ["md", "MD"])  # `MD` was refused: `--lang ZH` is taken
def test_embed_md_prints_the_image_with_the_title_drawn_as_alt_text(here, capsys, style):
    code, printed, _ = run_cli(
        ["render", "sigmoid", "--out", "posts/a b.gif", "--embed", style, "--set", "frames=3"],
        capsys,
    )
    assert code == 0
    assert printed.splitlines()[-1] == "![The activation: sigmoid and its slope](posts/a%20b.gif)"


def test_embed_html_gives_the_size_read_from_the_file(here, capsys):
    code, printed, _ = run_cli(
        ["render", "sigmoid", "--out", "s.webp", "--embed", "html", "--size", "360p"], capsys
    )
    assert code == 0
    line = printed.splitlines()[-1]
    assert line == (
        '<img src="s.webp" width="640" height="360" alt="The activation: sigmoid and its slope" '
        'loading="lazy" style="max-width:100%;height:auto">'
    )
    assert Image.open(here / "s.webp").size == (640, 360)


def test_the_alt_text_is_the_title_the_frames_show_in_chinese(here, capsys):
    code, printed, _ = run_cli(
        ["render", "softmax", "--lang", "zh", "--out", "s.png", "--embed", "md"], capsys
    )
    assert code == 0 and printed.splitlines()[-1] == "![输出：softmax 把十个得分变成概率](s.png)"


def test_a_title_of_ones_own_is_escaped(here):
    title = 'A "quoted" <b>title</b> [x]'
    result = render_scene("sigmoid", "t.gif", title=title, **SMALL)
    assert result.title == title
    item = media(result.path, result.title)
    assert f'alt="{html.escape(title, quote=True)}"' in snippet(item, "html", here)
    assert snippet(item, "md", here) == '![A "quoted" <b>title</b> \\[x\\]](t.gif)'
    assert markdown_text("a\nb \\ c") == "a b \\\\ c"
    assert markdown_text("`z` *w* _v_") == "\\`z\\` \\*w\\* \\_v\\_"  # not code, not emphasis


def test_poster_is_the_first_frame_beside_the_mp4_and_in_the_video_tag(here, capsys):
    """With --embed the snippet is standard output's only line (`>> post.md` took the lines
    saying what was written too): those go to standard error."""
    code, printed, said = run_cli(
        ["render", "sigmoid", "--out", "v/clip.mp4", "--poster", "--embed", "html"]
        + ["--set", "frames=6", "--size", "320x180"],
        capsys,
    )
    assert code == 0
    assert said.splitlines()[0].startswith("v/clip.mp4  6 frames, 1.8 s  ")
    assert said.splitlines()[1] == "v/clip.poster.png  poster"
    assert printed == (
        '<video src="v/clip.mp4" width="320" height="180" poster="v/clip.poster.png" '
        'controls loop autoplay muted playsinline aria-label="The activation: sigmoid and its '
        'slope" style="max-width:100%;height:auto"><a href="v/clip.mp4">The activation: sigmoid '
        "and its slope</a></video>\n"
    )
    first = next(vizff.frames("sigmoid", **SMALL))
    np.testing.assert_array_equal(np.asarray(Image.open(here / "v/clip.poster.png")), first)
    # --no-poster: none written, none named, though an older one lies beside the video
    code, printed, _ = run_cli(
        ["render", "sigmoid", "--out", "v/clip.mp4", "--no-poster", "--embed", "html"]
        + ["--set", "frames=6", "--size", "320x180"],
        capsys,
    )
    assert code == 0 and "poster" not in printed and printed.startswith('<video src="v/clip')


def test_embed_for_a_storyboard_says_where_its_page_is(here, capsys):
    """It sent the user to `vizff page`, which refuses a lesson's folder (its index.html is
    the page already)."""
    (here / "l.toml").write_text('size = "320x180"\n[[part]]\nscene = "sigmoid"\nframes = 2\n')
    code, _, said = run_cli(["render", "l.toml", "--out", "lesson", "--embed", "md"], capsys)
    assert code == 2 and said == (
        "error: --embed: prints the snippet for scene renders; a storyboard rendered into a "
        "folder has its page there (index.html), and one rendered into a file is shown by "
        "`vizff page` on its folder\n"
    )


def test_mp4_size_matches_what_ffmpeg_reads(here):
    result = render_scene("sigmoid", "c.mp4", size=(384, 216), frames=4)
    reader = imageio_ffmpeg.read_frames(str(result.path))
    meta = next(reader)
    reader.close()
    assert media_size(result.path) == tuple(meta["size"]) == (384, 216)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--out", "s.gif", "--poster"], "--poster: only for an .mp4 output"),
        (["--out", "s.gif", "--embed", "rst"], "--embed rst: choose md or html"),
        (["--out", "frames", "--embed", "md"], "--embed: a folder of PNG frames is not one file"),
    ],
)
def test_bad_embed_and_poster_are_refused_before_any_file(here, capsys, args, problem):
    code, _, said = run_cli(["render", "sigmoid", *args], capsys)
    assert code == 2 and said.startswith(f"error: {problem}")
    assert list(here.iterdir()) == []


def test_poster_in_python_and_its_error_named_as_a_keyword(here):
    with pytest.raises(OptionError, match=r"^poster=True: only for an \.mp4 output"):
        render_scene("sigmoid", "s.webp", poster=True, **SMALL)
    result = render_scene("sigmoid", "s.mp4", poster=True, **SMALL)
    assert result.poster == Path("s.poster.png") and result.poster.is_file()


def test_the_page_shows_every_render_once_with_its_snippets(here, capsys):
    folder = here / "site"
    render_scene("sigmoid", folder / "one.gif", **SMALL)
    render_scene("sigmoid", folder / "two words.mp4", poster=True, **SMALL)
    render_scene("softmax", folder / "three.png", size=(336, 190))
    (folder / "notes.txt").write_text("not a render")
    code, printed, _ = run_cli(["page", str(folder)], capsys)
    assert code == 0 and printed == f"{folder / 'index.html'}  3 renders\n"
    page = (folder / "index.html").read_text()
    sections = re.findall(
        r'<section data-file="([^"]+)" data-width="(\d+)" data-height="(\d+)"', page
    )
    assert sections == [
        ("one.gif", "320", "180"),
        ("three.png", "336", "190"),
        ("two words.mp4", "320", "180"),
    ]
    assert "two%20words.poster.png" in page and 'data-file="two words.poster.png"' not in page
    for name in ("one.gif", "three.png", "two words.mp4"):
        item = media(folder / name)
        for style in ("md", "html"):
            assert html.escape(snippet(item, style, folder)) in page  # as --embed prints it
    size = (folder / "one.gif").stat().st_size
    assert f"one.gif · 320x180 · {size:,} bytes · GIF" in page


def test_a_broken_or_half_copied_file_is_skipped_with_a_note_not_the_whole_page(here, capsys):
    """One bad file failed the page (exit 1); a GIF cut short was listed as a render."""
    folder = here / "site"
    for name in ("ok.gif", "v.mp4", "p.png", "w.webp"):
        render_scene("sigmoid", folder / name, **SMALL)
    for name, keep in (("ok.gif", 3000), ("v.mp4", 5000), ("p.png", 500), ("w.webp", 900)):
        whole = (folder / name).read_bytes()
        (folder / f"cut-{name}").write_bytes(whole[:keep])  # a copy that stopped part way
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.webp").write_text("not an image")
    code, printed, err = run_cli(["page", str(folder)], capsys)
    assert code == 0 and printed == f"{folder / 'index.html'}  4 renders\n"
    skipped = sorted(re.findall(r"note: skipped \S+/(\S+): (.+)", err))
    assert [name for name, _ in skipped] == [
        "cut-ok.gif", "cut-p.png", "cut-v.mp4", "cut-w.webp", "empty.png", "text.webp"
    ]  # fmt: skip
    assert all(why.startswith("cut short") for name, why in skipped if name.startswith("cut-"))
    page = (folder / "index.html").read_text()
    assert sorted(re.findall(r'<section data-file="([^"]+)"', page)) == [
        "ok.gif", "p.png", "v.mp4", "w.webp"
    ]  # fmt: skip
    for name in ("ok.gif", "v.mp4", "p.png", "w.webp"):
        (folder / name).unlink()
    code, _, err = run_cli(["page", str(folder)], capsys)
    assert code == 2 and "no readable renders here (cut-ok.gif: cut short" in err


def test_a_page_through_a_link_is_refused_and_a_linked_render_keeps_its_name(here, capsys):
    """`vizff page pg3`, its index.html a link to pg's page, replaced pg's page with pg3's
    listing; and a render linked into the folder was named by its target's path."""
    render_scene("sigmoid", here / "pg" / "a.gif", **SMALL)
    render_scene("sigmoid", here / "elsewhere" / "far" / "b.gif", **SMALL)
    run_cli(["page", "pg"], capsys)
    before = (here / "pg" / "index.html").read_bytes()
    (here / "pg3").mkdir()
    (here / "pg3" / "b.gif").symlink_to(here / "elsewhere" / "far" / "b.gif")
    (here / "pg3" / "index.html").symlink_to(here / "pg" / "index.html")
    code, _, said = run_cli(["page", "pg3"], capsys)
    assert (
        code == 2
        and said.count("\n") == 1
        and said.startswith(
            f"error: {Path('pg3') / 'index.html'}: is a link (to {here / 'pg' / 'index.html'})"
        )
    )
    assert (here / "pg" / "index.html").read_bytes() == before  # the other folder's page
    (here / "pg3" / "index.html").unlink()
    code, _, _ = run_cli(["page", "pg3"], capsys)
    page = (here / "pg3" / "index.html").read_text()
    assert code == 0 and 'src="b.gif"' in page and "elsewhere" not in page


def test_the_page_of_an_empty_or_missing_folder_is_an_error(here, capsys):
    (here / "empty").mkdir()
    code, _, said = run_cli(["page", "empty"], capsys)
    assert code == 2 and said.startswith("error: empty: no renders here")
    code, _, said = run_cli(["page", "missing"], capsys)
    assert code == 2 and said.startswith("error: missing: no such folder")
    (here / "one.gif").write_bytes(b"GIF89a")  # a render given where its folder belongs
    code, _, said = run_cli(["page", "one.gif"], capsys)
    assert code == 2 and said.strip() == (
        "error: one.gif: not a folder; give the folder that holds your renders (vizff page .)"
    )


def test_embed_of_an_mp4_writes_the_poster_its_video_tag_names(here, capsys):
    code, printed, _ = run_cli(
        ["render", "sigmoid", "--out", "c.mp4", "--embed", "md", "--set", "frames=4"], capsys
    )
    assert code == 0 and (here / "c.poster.png").is_file()
    assert 'poster="c.poster.png"' in printed.splitlines()[-1]


def test_a_poster_name_too_long_is_refused_before_the_video_is_touched(here, capsys):
    # "NAME.poster.png" is 7 characters longer than "NAME.mp4": a video name that just fits
    # (255 bytes) leaves no room for its poster. The old video must stay as it was.
    name = "v" * (255 - len(".mp4")) + ".mp4"
    (here / name).write_bytes(b"the old video")
    code, _, said = run_cli(["render", "sigmoid", "--out", name, "--poster"], capsys)
    assert code == 2 and said.startswith(f"error: --poster: cannot write {'v' * 251}.poster.png")
    assert len(said.strip().splitlines()) == 1 and "File name too long" in said
    assert (here / name).read_bytes() == b"the old video"
    assert sorted(p.name for p in here.iterdir()) == [name]


def test_a_poster_that_cannot_be_written_leaves_the_old_video_and_poster(here, monkeypatch):
    render_scene("sigmoid", "c.mp4", poster=True, **SMALL)
    before = {p.name: p.read_bytes() for p in here.iterdir()}

    def full(frame, path, title=None):  # the disk fills as the poster is written, after every frame
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("vizff.writers.save_png", full)
    with pytest.raises(RenderError, match=r"^--poster c\.poster\.png: writing failed \(No space"):
        render_scene("sigmoid", "c.mp4", poster=True, size=(320, 180), frames=9)
    assert {p.name: p.read_bytes() for p in here.iterdir()} == before  # nothing new, nothing lost


def test_a_poster_is_not_left_behind_when_its_video_fails_to_finish(here, monkeypatch):
    from vizff.writers import Mp4Writer

    def broken(self, *args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Mp4Writer, "_finish", broken)
    with pytest.raises(RenderError, match=r"c\.mp4.*Input/output error"):
        render_scene("sigmoid", "c.mp4", poster=True, **SMALL)
    assert list(here.iterdir()) == []


def test_embed_of_an_mp4_whose_poster_name_is_too_long_is_refused_first(here, capsys):
    name = "e" * 251 + ".mp4"
    code, _, said = run_cli(["render", "sigmoid", "--out", name, "--embed", "html"], capsys)
    assert code == 2
    assert said.startswith("error: --embed: the <video> snippet names a poster: cannot write ")
    assert "give the video a shorter name" in said and len(said.strip().splitlines()) == 1
    assert list(here.iterdir()) == []


def test_a_folder_or_a_dangling_link_named_as_a_render_is_skipped_with_a_note(here, capsys):
    """A sub-folder named x.gif and a link to a deleted render were passed over in silence,
    while other skipped files got a note."""
    folder = here / "site"
    render_scene("sigmoid", folder / "ok.gif", **SMALL)
    (folder / "x.gif").mkdir()
    (folder / "gone.webp").symlink_to(here / "deleted.webp")
    os.mkfifo(folder / "pipe.gif")  # was said to be "a link to nothing"
    code, printed, err = run_cli(["page", str(folder)], capsys)
    assert code == 0 and printed.endswith("  1 render\n")
    assert f"note: skipped {folder / 'gone.webp'}: is a link to nothing" in err
    assert f"note: skipped {folder / 'pipe.gif'}: is not a regular file (a pipe or a device)" in err
    assert f"note: skipped {folder / 'x.gif'}: is a folder, not a render" in err


def test_a_file_is_listed_by_what_it_holds_not_by_its_name(here, capsys):
    """A GIF named .webp was listed "WEBP" and a JPEG named .png "PNG": the page's tag and
    label follow the name, so such a file is skipped, saying what it holds and its right name
    (read back with Pillow, which identifies a file by its bytes)."""
    folder = here / "site"
    render_scene("sigmoid", folder / "real.gif", **SMALL)
    (folder / "gif.webp").write_bytes((folder / "real.gif").read_bytes())
    Image.new("RGB", (32, 18), "white").save(folder / "photo.png", format="JPEG")
    (folder / "text.mp4").write_bytes(b"0123456789abcdef" * 4)
    with Image.open(folder / "gif.webp") as a, Image.open(folder / "photo.png") as b:
        assert (a.format, b.format) == ("GIF", "JPEG")  # the oracle: Pillow's own sniffing
    code, printed, err = run_cli(["page", str(folder)], capsys)
    assert code == 0 and printed.endswith("  1 render\n")
    assert f"{folder / 'gif.webp'}: holds a GIF, not a WebP; rename it gif.gif" in err
    assert f"{folder / 'photo.png'}: holds a JPEG, not a PNG; rename it photo.jpg" in err
    assert f"{folder / 'text.mp4'}: does not start as an MP4 does" in err
    page = (folder / "index.html").read_text()
    assert re.findall(r'<section data-file="([^"]+)"', page) == ["real.gif"]


def test_a_poster_that_embed_asked_for_is_named_as_embeds(here, monkeypatch, capsys):
    """A poster `--embed html` wanted, and the disk could not take, was blamed on `--poster`,
    a flag the user never typed."""

    def full(frame, path, title=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("vizff.writers.save_png", full)
    code, _, err = run_cli(["render", "sigmoid", "--set", "frames=3", "--size", "320x180",
                            "--out", "c.mp4", "--embed", "html"], capsys)  # fmt: skip
    assert code == 1
    assert err == (
        "error: the poster c.poster.png that --embed names: writing failed "
        "(No space left on device)\n"
    )
    assert list(here.iterdir()) == []


def test_a_poster_that_fails_after_its_video_is_in_place_is_said_once(here, monkeypatch, capsys):
    """The video is committed, then its poster's rename fails: the line says the video was
    written without it, once (the note of outputs written before an error repeated it)."""
    import os as os_module

    from vizff import files

    real = os_module.replace

    def failing(source, target):
        if str(target).endswith(".poster.png"):
            raise OSError(5, "Input/output error")
        return real(source, target)

    monkeypatch.setattr(files.os, "replace", failing)
    code, _, err = run_cli(["render", "sigmoid", "--set", "frames=3", "--size", "320x180",
                            "--out", "c.mp4", "--poster"], capsys)  # fmt: skip
    assert code == 1
    assert err == (
        "error: --poster c.poster.png: writing failed (Input/output error); c.mp4 was written "
        "without it\n"
    )


def test_a_gif_comment_in_latin1_is_read_as_latin1(tmp_path):
    """Another tool's comment `caf\\xe9` was shown as caf\\ufffd; UTF-8 still reads as UTF-8."""
    from PIL import Image

    from vizff.embed import media

    for raw, shown in ((b"caf\xe9", "café"), ("数字".encode(), "数字")):
        path = tmp_path / "c.gif"
        Image.new("P", (4, 4)).save(path, comment=raw)
        assert media(path).title == shown
