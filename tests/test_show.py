"""vizff.show, vizff.frames and how a RenderResult displays itself, in-process."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import vizff
from vizff.errors import OptionError
from vizff.notebook import NotebookProgress, human, in_notebook
from vizff.render import render_scene

SMALL = {"size": (320, 180), "frames": 6}


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """An empty working directory: anything a call leaves there is seen."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def gif_frames(data: bytes) -> list[np.ndarray]:
    image = Image.open(io.BytesIO(data))
    found = []
    for index in range(image.n_frames):
        image.seek(index)
        found.append(np.asarray(image.convert("RGB")))
    return found


def test_import_vizff_stays_light():
    heavy = "('numpy', 'PIL', 'matplotlib')"
    code = f"import sys, vizff; print(sorted(m for m in {heavy} if m in sys.modules))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"
    assert callable(vizff.show) and callable(vizff.frames)
    from vizff import render_scene  # the README's entry point, from the package too
    from vizff.render import render_scene as in_render

    assert render_scene is in_render and "render_scene" in vizff.__all__
    from vizff import render_storyboard  # an error message names it as vizff.render_storyboard
    from vizff.storyboard import render_storyboard as in_storyboard

    assert render_storyboard is in_storyboard
    # dir() and a notebook's completion offer every entry point, though none is imported yet
    assert {"show", "frames", "render_scene", "render_storyboard"} <= set(dir(vizff))
    assert set(vizff.__all__) <= set(dir(vizff))
    with pytest.raises(AttributeError):
        vizff.nothing  # noqa: B018


def inline_data(html: str, mime: str) -> bytes:
    """The bytes of the one data URI of type `mime` in `html`."""
    (encoded,) = re.findall(rf'src="data:{mime};base64,([A-Za-z0-9+/=]+)"', html)
    return base64.b64decode(encoded)


def test_show_renders_in_memory_and_leaves_nothing(here):
    result = vizff.show("sigmoid", **SMALL)
    assert result.path is None and list(here.iterdir()) == []
    assert result.bytes == len(result.data) and result.size == (320, 180)
    assert result.title == "The activation: sigmoid and its slope"
    bundle = result._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert inline_data(bundle["text/html"], "image/gif") == result.data
    assert (
        'width="320" height="180" alt="The activation: sigmoid and its slope"'
        in (bundle["text/html"])
    )
    assert Image.open(io.BytesIO(result.data)).size == (320, 180)


def test_printing_a_render_in_memory_names_its_bytes_not_the_file(here):
    """`print(vizff.show(...))` in a script or a REPL wrote the file out as escaped bytes,
    three times its size (60 MB of text for a 20 MB MP4). The repr gives their count."""
    result = vizff.show("sigmoid", **SMALL)
    shown = repr(result)
    assert f"data=<{len(result.data):,} bytes>" in shown and len(shown) < 600
    assert shown.startswith("RenderResult(path=None, frames=6, bytes=") and "GIF89a" not in shown
    on_disk = render_scene("sigmoid", here / "s.gif", **SMALL)
    assert "data=None" in repr(on_disk) and "s.gif" in repr(on_disk)
    # print() gives the summary a notebook shows: a line, then the notes; not the fields
    assert str(result) == (
        f"The activation: sigmoid and its slope: 6 frames, 1.8 s, 320x180, "
        f"{human(result.bytes)} GIF, rendered in {result.seconds:.1f} s"
    )
    noted = render_scene("sigmoid", here / "n.gif", fps=30, **SMALL)
    lines = str(noted).splitlines()
    assert lines[0].startswith("The activation: sigmoid and its slope: 6 frames, 1.7 s, 320x180, ")
    assert f" GIF in {here / 'n.gif'}, " in lines[0] and lines[1:] == [
        f"note: {note}" for note in noted.notes
    ] and noted.notes  # fmt: skip


def test_none_is_not_given_for_every_keyword_of_every_entry_point(here):
    """A wrapper `def lesson(lr=None): render_scene(..., lr=lr)` was refused with "lr=None:
    expected a number, got NoneType None". None now means the keyword was not given: the
    same bytes as leaving it out; a misspelt keyword is still named, None or not."""
    from vizff.storyboard import render_storyboard

    nones = {"lr": None, "title": None, "lang": None, "theme": None, "seed": None}
    plain = render_scene("loss", here / "a.gif", size="480x270", steps=10, every=5)
    given = render_scene("loss", here / "b.gif", size="480x270", steps=10, every=5, **nones)
    assert given.path.read_bytes() == plain.path.read_bytes()
    shown = vizff.show("sigmoid", **SMALL, format=None, embed_limit=None, lang=None)
    assert shown.data == vizff.show("sigmoid", **SMALL).data
    first = next(iter(vizff.frames("sigmoid", **SMALL, theme=None)))
    assert np.array_equal(first, next(iter(vizff.frames("sigmoid", **SMALL))))
    board = here / "board.toml"
    board.write_text('size = "320x180"\n[[part]]\nscene = "sigmoid"\nframes = 3\n')
    made = render_storyboard(board, here / "c.gif", jobs=None, lang=None, size=None)
    assert made.path.read_bytes() == render_storyboard(board, here / "d.gif").path.read_bytes()
    with pytest.raises(OptionError, match=r"^lrr=None: not an option \(did you mean \"lr\"\?\)"):
        render_scene("loss", here / "e.gif", lrr=None)


def test_the_frames_are_the_frames_the_file_holds(here):
    """frames() against an independent path: the same scene written as a PNG folder."""
    arrays = list(vizff.frames("sigmoid", **SMALL))
    render_scene("sigmoid", here / "folder", **SMALL)
    written = [np.asarray(Image.open(p)) for p in sorted((here / "folder").glob("*.png"))]
    assert len(arrays) == len(written) == 6
    for mine, theirs in zip(arrays, written):
        assert mine.dtype == np.uint8 and mine.shape == (180, 320, 3)
        np.testing.assert_array_equal(mine, theirs)
    assert len({id(a) for a in arrays}) == 6  # each a new array: a list of them is the frames
    assert not np.array_equal(arrays[0], arrays[-1])


def test_show_as_mp4_is_a_video_element_holding_the_file(here):
    result = vizff.show("sigmoid", format="mp4", **SMALL)
    bundle = result._repr_mimebundle_()
    html = bundle["text/html"]
    assert html.startswith(
        '<video controls loop autoplay muted playsinline width="320" height="180"'
    )
    encoded = html.split("data:video/mp4;base64,", 1)[1].split('"', 1)[0]
    assert base64.b64decode(encoded) == result.data and result.data[4:8] == b"ftyp"
    assert list(here.iterdir()) == []


def test_show_with_out_writes_that_file_and_embeds_it(here):
    result = vizff.show("sigmoid", out="s.webp", **SMALL)
    assert result.path == Path("s.webp") and result.data is None
    bundle = result._repr_mimebundle_()
    assert inline_data(bundle["text/html"], "image/webp") == (here / "s.webp").read_bytes()
    # render_scene's result displays itself the same way
    png = render_scene("sigmoid", here / "s.png", **SMALL)
    bundle, metadata = png._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == (here / "s.png").read_bytes()


def test_past_the_embed_limit_the_render_is_kept_as_a_file_and_linked(here):
    first = vizff.show("sigmoid", embed_limit="2KB", **SMALL)
    (kept,) = here.iterdir()
    assert first.path == Path(kept.name) and first.data is None
    assert kept.stat().st_size == first.bytes > 2000
    again = vizff.show("sigmoid", embed_limit=2000, **SMALL)
    assert again.path == first.path and len(list(here.iterdir())) == 1  # same render, same name
    bundle = first._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert f'<a href="{kept.name}" target="_blank">' in bundle["text/html"]
    assert "over the 2 KB embed limit" in bundle["text/plain"]
    assert any("over the 2 KB embed limit" in note for note in first.notes)


def test_past_the_embed_limit_in_a_folder_that_cannot_be_written_the_render_is_shown(
    here, monkeypatch
):
    """In a read-only working folder, show() past the embed limit raised "show
    sigmoid-6bca0c0a.gif: cannot write in ." and threw away the render it had in memory.
    It is shown inline, and a note says why and how to keep it."""
    import errno
    import shutil

    def read_only(source, target):
        raise OSError(errno.EROFS, "Read-only file system", str(target))

    monkeypatch.setattr(shutil, "copyfile", read_only)
    result = vizff.show("sigmoid", embed_limit="2KB", **SMALL)
    assert result.path is None and result.bytes > 2000 and len(result.data) == result.bytes
    assert gif_frames(result.data)  # the render itself
    (note,) = [n for n in result.notes if "embed limit" in n]
    assert "could not be kept as sigmoid-" in note and "Read-only file system" in note
    assert note.endswith('shown inline; give out="PATH" to keep it elsewhere')
    bundle = result._repr_mimebundle_()
    assert inline_data(bundle["text/html"], "image/gif") == result.data
    assert list(here.iterdir()) == []


def test_render_scene_without_out_makes_no_outputs_folder(here):
    result = render_scene("sigmoid", **SMALL)
    assert result.data is not None and list(here.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"embed_limit": "lots"}, "embed_limit='lots'"),
        ({"format": "avi"}, "format='avi'"),
        ({"format": "gif", "out": "x.mp4"}, "format"),
        ({"steps": 0}, "scene sigmoid does not take this option"),
        (
            {"out": io.BytesIO()},
            "out=<BytesIO>: expected a file or folder name, not a file "
            "object; without out, the render's bytes are its result's .data",
        ),
    ],
)
def test_bad_keywords_are_named(here, options, named):
    with pytest.raises(OptionError) as error:
        vizff.show("sigmoid", **options)
    assert named in str(error.value)
    assert list(here.iterdir()) == []


class FakeHandle:
    def __init__(self):
        self.updates = []

    def update(self, obj):
        self.updates.append(obj._repr_mimebundle_())


def test_notebook_progress_is_one_display_updated_in_place():
    shown, handle = [], FakeHandle()

    def display(obj, display_id=False):
        shown.append((obj._repr_mimebundle_(), display_id))
        return handle

    bar = NotebookProgress("weights", display=display)
    bar.INTERVAL = 0.0
    for done in range(1, 11):
        bar.update(done, 10)
    result = vizff.show("sigmoid", progress=False, **SMALL)
    bar.finish(result)
    assert len(shown) == 1 and shown[0][1] is True  # one display, with an id to update
    assert "1/10 frames" in shown[0][0]["text/plain"]  # shown at the first frame
    assert [u["text/plain"].split()[-4] for u in handle.updates[:9]] == [
        f"{n}/10" for n in range(2, 11)
    ]
    assert "<progress value=10 max=10>" in handle.updates[8]["text/html"]
    assert handle.updates[-1]["text/plain"].startswith("The activation: sigmoid and its slope: 6")


def test_progress_updates_are_throttled():
    handle = FakeHandle()
    bar = NotebookProgress("x", display=lambda obj, display_id: handle)
    for done in range(1, 1001):
        bar.update(done, 1000)
    assert 1 <= len(handle.updates) < 50  # not one per frame; the last one always shown
    assert "1000/1000" in handle.updates[-1]["text/plain"]


def test_outside_a_kernel_there_is_no_progress_display():
    assert in_notebook() is False


def test_show_takes_a_scene_file_with_keywords_on_top(here):
    scene_file = Path(__file__).resolve().parents[1] / "scenes" / "sigmoid.toml"
    result = vizff.show(str(scene_file), size=(320, 180), frames=4, format="png")
    assert result.data[:8] == b"\x89PNG\r\n\x1a\n" and result.size == (320, 180)
    assert list(here.iterdir()) == []


def test_a_kernel_is_recognised_by_its_shell_class_or_a_subclass(monkeypatch):
    import types

    class ZMQInteractiveShell:  # ipykernel's shell, as Colab and VS Code derive from it
        pass

    class Shell(ZMQInteractiveShell):
        pass

    class TerminalInteractiveShell:
        pass

    for shell, expected in ((Shell(), True), (TerminalInteractiveShell(), False), (None, False)):
        fake = types.SimpleNamespace(get_ipython=lambda shell=shell: shell)
        monkeypatch.setitem(sys.modules, "IPython", fake)
        assert in_notebook() is expected


def test_the_cli_says_when_it_makes_the_default_outputs_folder(here, capsys):
    from vizff.cli import main

    for made in (True, False):
        with pytest.raises(SystemExit) as exit_:
            main(["render", "sigmoid", "--set", "frames=2", "--size", "320x180"])
        assert exit_.value.code == 0
        said = capsys.readouterr().err
        note = "note: made the folder outputs for it (--out or --out-dir names another place)"
        assert (note in said) is made  # said once, when the folder is new
    assert [p.name for p in (here / "outputs").iterdir()] == ["sigmoid.gif"]


@pytest.mark.parametrize("bad", [{"font": "/no/such.ttf"}, {"lr": float("nan")}, {"stpes": 3}])
def test_a_show_refused_before_its_first_frame_shows_no_bar_above_its_error(monkeypatch, bad):
    """The bar stayed as `sigmoid ░░░ 0/0 frames 0.0 s` above the error's traceback, and then
    as an empty output: it is shown at the first frame now, so a refused render shows only
    its error."""
    import vizff.notebook

    shown = []
    monkeypatch.setattr(vizff.notebook, "in_notebook", lambda: True)
    monkeypatch.setattr(
        vizff.notebook,
        "NotebookProgress",
        lambda name: NotebookProgress(name, display=lambda obj, display_id: shown.append(obj)),
    )
    scene = "sigmoid" if "font" in bad else "loss"
    with pytest.raises(OptionError):
        vizff.show(scene, size=(320, 180), **bad)
    assert shown == []


def test_a_show_that_fails_part_way_says_where_it_stopped(monkeypatch):
    """A run that diverges mid-render: the bar, already shown, ends as where it stopped (not
    an empty output), and the error follows."""
    import vizff.notebook
    from vizff.errors import TrainingDiverged

    handle = FakeHandle()
    monkeypatch.setattr(vizff.notebook, "in_notebook", lambda: True)
    monkeypatch.setattr(
        vizff.notebook,
        "NotebookProgress",
        lambda name: NotebookProgress(name, display=lambda obj, display_id: handle),
    )
    with pytest.raises(TrainingDiverged):
        vizff.show("loss", size=(320, 180), lr=1e6, steps=40, every=1)
    last = handle.updates[-1]["text/plain"]
    assert re.fullmatch(r"loss: stopped at frame \d+ of 41", last), last


def test_frames_refuses_out_and_show_names_its_own_keywords(here):
    """`frames(..., out=)` wrote nothing and said nothing; `show(formatt=)` listed only the
    scene's options; `format="GIF"` was refused."""
    with pytest.raises(OptionError, match=r"^out='x.gif': frames\(\) yields the frames and writes"):
        vizff.frames("sigmoid", out="x.gif", frames=2)  # at the call, before any frame
    with pytest.raises(OptionError) as caught:
        vizff.show("sigmoid", formatt="gif", **SMALL)
    assert str(caught.value) == (
        "formatt='gif': not an option (did you mean \"format\"?); show() takes out, format, "
        "embed_limit, progress too"
    )
    result = vizff.show("sigmoid", format="GIF", progress=False, **SMALL)
    assert result.data[:6] == b"GIF89a"
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    ("keywords", "said"),
    [
        (  # it returned a poster path in a folder already removed
            {"format": "mp4", "poster": True},
            'poster=True: only where a file is written (show(..., out="clip.mp4", '
            "poster=True)); in memory nothing is kept beside the video",
        ),
        # these named the in-memory render's temporary file: "not sigmoid.gif"
        ({"frame": 1}, 'frame=1: a still: only with format="png", not "gif"'),
        (
            {"format": "mp4", "max_bytes": "1MB"},
            'max_bytes=\'1MB\': only with format="gif" or "webp", not "mp4"',
        ),
    ],
)
def test_show_in_memory_refuses_what_only_a_file_can_have_in_its_own_terms(here, keywords, said):
    with pytest.raises(OptionError) as caught:
        vizff.show("sigmoid", **SMALL, **keywords)
    assert str(caught.value) == said and list(here.iterdir()) == []


@pytest.mark.parametrize("key, value", [("frame", 1), ("max_bytes", 100), ("poster", True)])
def test_frames_refuses_the_keywords_of_a_files_writing(key, value):
    """frames() took frame=, max_bytes= and poster= and did nothing with them."""
    with pytest.raises(OptionError, match=rf"^{key}=.*: frames\(\) writes no file: "):
        vizff.frames("sigmoid", **SMALL, **{key: value})
    # given as not given (None), they are nothing, as everywhere
    assert len(list(vizff.frames("sigmoid", **SMALL, **{key: None}))) == SMALL["frames"]


@pytest.mark.parametrize("scene", [None, 3])
def test_show_names_a_scene_that_is_no_name_as_given(scene):
    """show(None) said `scene='None': not a scene`, quoting a string nobody wrote."""
    with pytest.raises(OptionError) as caught:
        vizff.show(scene)
    assert str(caught.value) == f"scene={scene!r}: expected a scene's name or a scene file (.toml)"


def test_frames_refuses_a_bad_value_at_the_call_not_at_the_first_frame():
    with pytest.raises(OptionError, match=r"frames='3': expected a whole number"):
        vizff.frames("sigmoid", frames="3")  # no next(): the call itself says so


def test_render_scene_with_out_says_the_format_is_outs_extension(tmp_path):
    """format='mp4' beside out='a.gif' said "not an option (did you mean "font"?)"."""
    out = tmp_path / "a.gif"
    with pytest.raises(OptionError) as caught:
        vizff.render_scene("sigmoid", out, format="mp4")
    assert str(caught.value).startswith("format='mp4': with out, the format is out's extension")
    assert not out.exists()


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda: vizff.show("sigmoid", frames="many"), "frames='many': expected a whole number"),
        (lambda: vizff.render_scene("sigmoid", frames=0.5), "frames=0.5"),
        (lambda: vizff.frames("sigmoid", out="x.gif"), "out='x.gif'"),
        (lambda: vizff.render_storyboard("sigmoid"), "path='sigmoid': a scene's name"),
    ],
)
def test_a_users_error_is_raised_without_vizffs_own_frames(here, monkeypatch, call, said):
    """A bad keyword in a notebook showed nine frames inside vizff above the one line that
    says what to fix; the traceback holds the caller's line and the entry point's only.
    VIZFF_TRACEBACK=1 keeps every frame, for a bug report."""
    import traceback

    with pytest.raises(OptionError) as caught:
        call()
    assert said in str(caught.value)
    frames = traceback.extract_tb(caught.value.__traceback__)
    package = str(Path(vizff.__file__).parent)
    inside = [f for f in frames if f.filename.startswith(package)]
    assert [f.name for f in inside] == ["entry"], frames
    monkeypatch.setenv("VIZFF_TRACEBACK", "1")
    with pytest.raises(OptionError) as caught:
        call()
    assert len(traceback.extract_tb(caught.value.__traceback__)) > 3
