"""Bad input, faults and interruptions: every case ends in a clear error or a correct result,
and nothing that was there before is lost."""

import errno
import gzip
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.conftest import idx_images, idx_labels
from tests.servers import serve
from vizff.data import read_idx_images, read_idx_labels
from vizff.errors import ConfigError, DataError, OptionError, RenderError, VizffError
from vizff.options import SHARED
from vizff.recipes import load_recipe, make_recipe, read_toml
from vizff.render import prepare, render, render_scene
from vizff.scenes import SCENES

FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def read_either(path: Path):
    for reader in (read_idx_images, read_idx_labels):
        try:
            reader(path)
        except DataError as exc:
            assert str(exc) and "\n" not in str(exc)


# ---- 1. fuzzed parsers --------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=2048))
def test_idx_reader_random_bytes(tmp_path, data):
    path = tmp_path / "f"
    path.write_bytes(data)
    read_either(path)
    path.write_bytes(gzip.compress(data))
    read_either(path)


VALID_IMAGES = idx_images(np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256)
VALID_LABELS = idx_labels(np.array([1, 2, 3]))


@pytest.mark.parametrize("payload", [VALID_IMAGES, VALID_LABELS])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_reader_every_truncation(tmp_path, payload, gz):
    stored = gzip.compress(payload, mtime=0) if gz else payload
    cuts = sorted(
        set(range(0, 40))
        | {len(stored) - k for k in range(1, 12)}
        | set(range(40, len(stored), 97))
    )
    for cut in (c for c in cuts if 0 <= c < len(stored)):
        path = tmp_path / f"cut{cut}"
        path.write_bytes(stored[:cut])
        reader = read_idx_images if payload is VALID_IMAGES else read_idx_labels
        with pytest.raises(DataError):
            reader(path)


@FUZZ
@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
)
def test_idx_lying_headers_are_refused_from_the_header_alone(tmp_path, magic, count, rows, cols):
    header = np.array([magic, count, rows, cols], dtype=">u4").tobytes()
    path = tmp_path / "lie"
    path.write_bytes(header + bytes(1000))
    read_either(path)  # returns or raises a DataError; a lie cannot make it allocate


def test_huge_count_is_a_quick_clear_error(tmp_path):
    path = tmp_path / "huge"
    path.write_bytes(np.array([2051, 2**32 - 1, 28, 28], dtype=">u4").tobytes() + bytes(784))
    start = time.perf_counter()
    with pytest.raises(
        DataError,
        match=r"header says 4,294,967,295 images of 28x28, but .* \(it holds 1 whole image\)",
    ):
        read_idx_images(path)
    assert time.perf_counter() - start < 5


toml_scalar = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans(), st.text(max_size=12)
)
toml_value = st.recursive(
    toml_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
keys = st.sampled_from(
    sorted(
        {*(o.key for o in SHARED), *(o.key for s in SCENES.values() for o in s.OPTIONS), "bogus"}
    )
)


@FUZZ
@given(st.sampled_from(list(SCENES)), st.dictionaries(keys, toml_value, max_size=5))
def test_scene_recipes_random_values(scene, values):
    values = {**values, "scene": scene}
    values.pop("out", None)  # keep the fuzz off the file system: outputs are never opened here
    try:
        prepare(make_recipe(values))
    except VizffError as exc:  # a ConfigError, or a DataError for a random `data`
        assert str(exc) and "\n" not in str(exc)


@FUZZ
@given(st.binary(max_size=300))
def test_scene_file_random_bytes(tmp_path, data):
    path = tmp_path / "s.toml"
    path.write_bytes(data)
    try:
        table = read_toml(path)
    except ConfigError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert isinstance(table, dict)


# ---- 3. write failures --------------------------------------------------------------------
QUICK = {"scene": "sigmoid", "frames": 4, "size": "320x180"}


def test_missing_output_directories_are_created(tmp_path):
    result = render(make_recipe({**QUICK, "out": str(tmp_path / "a" / "b" / "s.gif")}))
    assert result.path.is_file() and Image.open(result.path).n_frames == 4


def test_output_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(OptionError, match="file is a file, not a folder, so nothing can be"):
        render(make_recipe({**QUICK, "out": str(tmp_path / "file" / "s.gif")}))


def test_unwritable_directory_is_a_clear_error(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # root ignores chmod, so simulate it
    with pytest.raises(RenderError, match=r"cannot write in .*Permission denied"):
        render(make_recipe({**QUICK, "out": str(tmp_path / "s.gif")}))


class FullDisk:
    """A file that accepts `limit` bytes, then fails as a full disk does."""

    def __init__(self, path, mode, limit=3000):
        self.handle, self.left = open(path, mode), limit

    def write(self, data):
        self.left -= len(data)
        if self.left < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.handle.write(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png", ""])
def test_disk_full_keeps_the_old_file(tmp_path, monkeypatch, suffix):
    """Simulated, for machines that refuse a mount; tests/test_faults.py fills a real disk."""
    import vizff.writers

    target = tmp_path / f"s{suffix}"
    if suffix:
        target.write_bytes(b"old and good")
    else:
        target.mkdir()
        (target / "frame_00000.png").write_bytes(b"\x89PNG\r\n\x1a\n old and good")
    monkeypatch.setattr(vizff.writers, "open", FullDisk, raising=False)

    def full(frame, path, title=None):
        FullDisk(path, "wb", 10).write(b"x" * 100)

    monkeypatch.setattr(vizff.writers, "save_png", full)
    with pytest.raises(RenderError, match=f"^{target}: writing failed \\(No space left on device"):
        render(make_recipe({**QUICK, "out": str(target)}))
    assert (target if suffix else target / "frame_00000.png").read_bytes().endswith(b"old and good")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    assert suffix or [p.name for p in target.iterdir()] == ["frame_00000.png"]


def test_folder_staging_that_cannot_start_is_a_clear_error(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(RenderError, match=r"cannot write in .*No space left on device"):
        render(make_recipe({**QUICK, "out": str(tmp_path / "new" / "frames")}))
    assert list(tmp_path.iterdir()) == []  # nor the folder made to hold it


# ---- 2. interrupted downloads -------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_download_leaves_nothing(tmp_path, sig):
    def trickle(request):
        request.send_response(200)
        request.send_header("Content-Length", "9912422")
        request.end_headers()
        try:
            for _ in range(600):
                request.wfile.write(b"\0" * 4096)
                request.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    cache = tmp_path / "cache"
    with serve(trickle) as url:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vizff",
                "data",
                "download",
                "--dir",
                str(cache),
                "--mirror",
                url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            temps = list(cache.glob(".vizff-*")) if cache.exists() else []
            if temps and temps[0].stat().st_size > 8192:
                break
            time.sleep(0.05)
        process.send_signal(sig)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 128 + sig and "interrupted" in err and "Traceback" not in err
    assert not cache.exists()  # no file, and not the folder made for them


# ---- 6. concurrency -----------------------------------------------------------------------
def test_two_renders_to_one_output_at_once(tmp_path):
    out = tmp_path / "w.gif"
    command = [
        sys.executable,
        "-m",
        "vizff",
        "render",
        "weights",
        "--steps",
        "60",
        "--every",
        "1",
        "--out",
        str(out),
    ]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    image = Image.open(out)
    assert image.n_frames == 61  # step 0 and the 60 steps
    image.seek(60)
    image.load()  # the whole file decodes
    assert [p.name for p in tmp_path.iterdir()] == ["w.gif"]


@pytest.mark.parametrize(
    "hidden, size", [((4,) * 8, (480, 270)), ((1,) * 7, (1280, 720)), ((4,) * 8, (3840, 2160))]
)
def test_weights_with_more_layers_than_fit_is_an_option_error(hidden, size, tmp_path):
    """--hidden takes up to 8 layers; the weights scene stacked their matrices past the
    bottom of its column and crashed in its heatmaps (IndexError). Refused, naming --hidden."""
    out = tmp_path / "w.gif"
    out.write_bytes(b"kept")
    with pytest.raises(OptionError) as caught:
        render_scene("weights", out, hidden=list(hidden), size=size, steps=2, every=1)
    message = str(caught.value)
    assert "hidden" in message and "fewer layers" in message and "\n" not in message
    assert out.read_bytes() == b"kept"


def test_weights_with_two_hidden_layers_still_renders(tmp_path):
    out = tmp_path / "w.gif"
    render_scene("weights", out, hidden=[16, 8], size=(480, 270), steps=2, every=1)
    assert Image.open(out).n_frames >= 2


# ---- the Python API, tried from a notebook (an outside probe, 2026-12-01) --------------------
def test_render_scene_without_out_refuses_progress_in_one_line():
    """`render_scene("sigmoid", progress=False)` was a TypeError ("got multiple values for
    keyword argument 'progress'") from inside vizff."""
    for value in (False, True):
        with pytest.raises(OptionError, match=r"^progress=(False|True): not an option of "):
            render_scene("sigmoid", progress=value, frames=2, size=(320, 180))


def test_a_misspelt_keyword_is_matched_against_shows_own_too():
    """`fromat=` suggested the scene's "font"; show()'s "format" is the closer word."""
    import vizff

    with pytest.raises(OptionError, match=r'fromat=.*did you mean "format"\?'):
        vizff.show("sigmoid", fromat="mp4")
    with pytest.raises(OptionError, match=r'fnt=.*did you mean "font"\?'):  # the scene's, still
        vizff.show("sigmoid", fnt="x")
    with pytest.raises(OptionError, match=r"^format='mp4': frames\(\) writes no file"):
        next(iter(vizff.frames("sigmoid", format="mp4")))


def test_class_names_may_be_a_numpy_array(tmp_path):
    """The README takes 1-d arrays where lists are; `classes=np.array([...])` was refused."""
    names = list("abcdefghij")
    result = render_scene(
        "mosaic", tmp_path / "a.png", classes=np.array(names), labels=True, size=(320, 180)
    )
    expected = render_scene(
        "mosaic", tmp_path / "l.png", classes=names, labels=True, size=(320, 180)
    )
    assert result.path.read_bytes() == expected.path.read_bytes()
    with pytest.raises(OptionError, match=r"^classes=array\(\[\[1, 2\]\]\): expected"):
        render_scene("mosaic", tmp_path / "b.png", classes=np.array([[1, 2]]))


def test_a_title_per_language_is_advised_in_the_callers_own_syntax(tmp_path):
    """From Python, `title={"fr": ...}` was told to `write title = {en = "...", ...}` (TOML)."""
    with pytest.raises(OptionError) as python:
        render_scene("sigmoid", tmp_path / "a.png", title={"fr": "Bonjour"})
    assert str(python.value).endswith('write title={"en": "...", "zh": "..."}')
    scene_file = tmp_path / "s.toml"
    scene_file.write_text('scene = "sigmoid"\ntitle = {fr = "Bonjour"}\n')
    with pytest.raises(OptionError) as written:
        prepare(load_recipe(str(scene_file)))
    assert str(written.value).endswith('write title = {en = "...", zh = "..."}')


def test_a_storyboards_result_has_its_size_and_one_line_summaries(tmp_path):
    from vizff.storyboard import render_storyboard

    board = tmp_path / "short.toml"
    board.write_text(
        'size = "320x180"\n[[part]]\nscene = "card"\nseconds = 0.2\n'
        '[[part]]\nscene = "sigmoid"\nframes = 3\n'
    )
    for out in ("a.webp", "b.mp4", "folder"):
        result = render_storyboard(board, tmp_path / out, jobs=1)
        assert result.size == (320, 180)
        assert ", 320x180, " in str(result)
    odd = render_scene("sigmoid", tmp_path / "line\nbreak.gif", frames=2, size=(320, 180))
    assert len(str(odd).splitlines()) == 1 and "line\\nbreak.gif" in str(odd)
