"""Inputs an outside try found mishandled (tracebacks, a lost file, options silently ignored),
each checked for the one-line error, the exit code, and the files left as they were."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import vizff.render
import vizff.scenes
from tests.conftest import idx_images, idx_labels
from tests.test_cli import run
from tests.test_storyboard import SMALL, small, write
from vizff.errors import OptionError
from vizff.storyboard import render_storyboard


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err


def cli(*argv: str, stdout=subprocess.PIPE, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vizff", *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        cwd=cwd,
    )


# ---- the last line of defence: the terminal, nesting, and a bug ---------------------------------
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("argv", [["scenes"], ["--help"], ["data", "info"]])
def test_a_full_standard_output_is_one_line(argv):
    with open("/dev/full", "w") as full:
        done = cli(*argv, stdout=full)
    assert done.returncode == 1
    assert one_line(done.stderr) == (
        "error: cannot write to the standard output (No space left on device)\n"
    )


def test_a_closed_standard_output_or_error_is_no_failure(tmp_path):
    """`>&-` and `2>&-` leave Python no sys.stdout or sys.stderr: vizff called a written
    render "a bug" with a traceback, and exited 120 where it had succeeded."""
    out = tmp_path / "s.gif"
    argv = [sys.executable, "-m", "vizff", "render", "sigmoid", "--size", "320x180"]
    argv += ["--set", "frames=3", "--out", str(out)]
    for closed, code, keep in ((1, 0, 2), (2, 0, 1), (2, 2, 1)):
        wrong = ["--set", "framez=3"] if code == 2 else []
        done = subprocess.run(
            [*argv, *wrong],
            pass_fds=(keep,),
            preexec_fn=lambda fd=closed: os.close(fd),  # noqa: PLW1509 (the test's own child)
            capture_output=False,
            stdout=subprocess.PIPE if keep == 1 else None,
            stderr=subprocess.PIPE if keep == 2 else None,
            timeout=300,
        )
        said = (done.stdout or done.stderr or b"").decode()
        assert done.returncode == code and "Traceback" not in said and "bug" not in said, said
        assert out.exists()
        if closed == 1:  # the summary had no reader; its error still has one
            assert said == ""


def test_a_file_name_with_a_line_break_or_a_terminal_escape_is_shown_escaped(
    capsys, tmp_path, monkeypatch
):
    """Errors escaped such names; the line saying what was written printed them raw: a name
    with a line break split it in two, an escape sequence reached the terminal."""
    monkeypatch.chdir(tmp_path)
    name = "new\nli\x1b[31mne.gif"
    code, out, err = run(capsys, "render", "sigmoid", "--size", "320x180", "--set", "frames=2",
                         "--out", name)  # fmt: skip
    assert code == 0 and (tmp_path / name).exists()
    assert out.startswith("new\\nli\\x1b[31mne.gif  2 frames, ") and out.count("\n") == 1


def test_only_what_would_break_the_line_or_the_terminal_is_escaped():
    """An ideographic space in a Chinese title, or the joiner inside an emoji, is shown as
    it is; a line break, an escape, a right-to-left override and a lone surrogate are not."""
    from vizff.errors import printable, shorten

    assert printable("第一课\u3000总结 👩\u200d🏫") == "第一课\u3000总结 👩\u200d🏫"
    assert printable("a\nb\x1b[31m\u202ec\ud800") == "a\\nb\\x1b[31m\\u202ec\\ud800"
    assert shorten("\u00a0x\r") == "\u00a0x\\r"


def test_a_key_thousands_of_levels_deep_is_quoted_short(capsys, tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text('scene = "sigmoid"\n' + "a" + ".a" * 3000 + " = 1\n")
    code, _, err = run(capsys, "render", str(path))
    assert code == 2
    assert one_line(err).startswith(f"error: {path}: a = {{a = {{a = ")
    assert "{…}" in err and "not an option" in err and len(err) < 400


def test_a_path_thousands_of_folders_deep_is_one_line(capsys, tmp_path):
    out = tmp_path.joinpath(*["d"] * 2000, "a.gif")
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--out", str(out))
    assert code in (1, 2)
    one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_unexpected_error_is_one_line_that_asks_for_a_report(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(vizff.render, "prepare", broken)
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2")
    assert code == 1
    assert one_line(err).startswith("error: unexpected ValueError: a bug; this is a bug in vizff")
    monkeypatch.setenv("VIZFF_TRACEBACK", "1")
    with pytest.raises(ValueError, match="a bug"):
        run(capsys, "render", "sigmoid", "--set", "frames=2")


# ---- data with an empty train split ------------------------------------------------------------
@pytest.fixture
def no_train_split(tmp_path) -> Path:
    folder = tmp_path / "zero"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, 0, 28, 28))
    (folder / "train-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, 0))
    images = struct.pack(">IIII", 2051, 3, 28, 28) + bytes(3 * 784)
    (folder / "t10k-images-idx3-ubyte").write_bytes(images)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, 3) + bytes([1, 2, 3]))
    return folder


@pytest.mark.parametrize(
    "argv",
    [["train", "--steps", "5"]]
    + [["render", name] for name in ("loss", "weights", "forward", "gradients", "predictions")],
)
def test_an_empty_train_split_is_named_before_anything_reads_it(capsys, no_train_split, argv):
    out = no_train_split.parent / "x.gif"
    extra = ["--out", str(out)] if argv[0] == "render" else []
    code, _, err = run(capsys, *argv, "--data", str(no_train_split), *extra)
    assert code == 1
    assert one_line(err) == (
        f"error: {no_train_split}: the train and test splits need at least one image each "
        "(they hold 0 and 3)\n"
    )
    assert not out.exists()


def test_an_empty_train_split_in_a_scene_file_names_the_file_and_key(capsys, no_train_split):
    """From a scene file the error began with the folder alone: which file, which key?"""
    scene = no_train_split.parent / "f.toml"
    scene.write_text('scene = "forward"\ndata = "zero"\n')
    code, _, err = run(capsys, "render", str(scene), "--out-dir", str(no_train_split.parent))
    assert (code, one_line(err)) == (
        1,
        f'error: {scene}: data = "zero" ({no_train_split}): {no_train_split}: the train and '
        "test splits need at least one image each (they hold 0 and 3)\n",
    )


# ---- paths -------------------------------------------------------------------------------------
UNKNOWN_HOME = "~no-such-user-vizff/x"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["render", "mosaic", "--data", UNKNOWN_HOME], "--data"),
        (["render", "mosaic", "--out", UNKNOWN_HOME + ".gif"], "--out"),
        (["render", "mosaic", "--out-dir", UNKNOWN_HOME], "--out-dir"),
        (["train", "--steps", "2", "--save", UNKNOWN_HOME + ".npz"], "--save"),
        (["data", "info", "--data", UNKNOWN_HOME], "--data"),
    ],
)
def test_a_home_folder_of_an_unknown_user_is_named(capsys, argv, named):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert one_line(err).startswith(f"error: {named} {UNKNOWN_HOME}")
    assert "a user this system does not know" in err


def test_a_scene_files_unknown_home_folder_is_named_in_the_file(capsys, tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(f'scene = "mosaic"\ndata = "{UNKNOWN_HOME}"\n')
    code, _, err = run(capsys, "render", str(path))
    assert code == 2
    assert one_line(err).startswith(f'error: {path}: data = "{UNKNOWN_HOME}": starts with ~name')


def test_a_tilde_in_out_dir_is_the_home_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--out-dir", "~/renders")
    assert code == 0, err
    assert (tmp_path / "renders" / "sigmoid.gif").exists() and not (tmp_path / "~").exists()


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_a_file_name_too_long_is_one_line(capsys, tmp_path, suffix):
    out = tmp_path / ("a" * 300 + suffix)
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--out", str(out))
    assert code == 2
    assert one_line(err).endswith(": cannot be written there (File name too long)\n")


# ---- storyboards -------------------------------------------------------------------------------
def two_parts(folder: Path) -> Path:
    """The storyboard tests' small lesson without its last part (the end card)."""
    text = SMALL.format(theme="light", lang="en")
    return write(folder, text[: text.index('[[part]]\ncard = "end"')])


def test_a_folder_of_someone_elses_files_is_refused_and_left_alone(capsys, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("MINE")
    (site / "02-my-photo.gif").write_text("x")
    code, _, err = run(capsys, "render", str(small(tmp_path)), "--out", str(site))
    assert code == 2
    assert "give a new or empty folder" in one_line(err)
    assert sorted(p.name for p in site.iterdir()) == ["02-my-photo.gif", "index.html"]
    assert (site / "index.html").read_text() == "MINE"


def test_a_page_is_not_written_over_someone_elses_index(capsys, tmp_path):
    out = tmp_path / "sigmoid.gif"
    assert run(capsys, "render", "sigmoid", "--set", "frames=2", "--out", str(out))[0] == 0
    (tmp_path / "index.html").write_text("MINE")
    code, _, err = run(capsys, "page", str(tmp_path))
    assert code == 2 and "is not a page vizff wrote" in one_line(err)
    assert (tmp_path / "index.html").read_text() == "MINE"
    (tmp_path / "index.html").unlink()
    assert run(capsys, "page", str(tmp_path))[0] == 0  # its own page it writes, and again
    assert run(capsys, "page", str(tmp_path))[0] == 0


def test_a_lesson_folder_rendered_again_keeps_what_it_did_not_write(tmp_path):
    site = tmp_path / "site"
    render_storyboard(small(tmp_path), site)
    assert sorted(p.name for p in site.iterdir()) == [
        "01-card-title.gif",
        "02-sigmoid.gif",
        "03-card-end.gif",
        "index.html",
    ]
    (site / "notes.txt").write_text("mine")
    (site / "04-my-photo.gif").write_text("mine too")  # named like a part, not listed
    render_storyboard(two_parts(tmp_path), site)  # 03 was the lesson's, and goes
    assert sorted(p.name for p in site.iterdir()) == [
        "01-card-title.gif",
        "02-sigmoid.gif",
        "04-my-photo.gif",
        "index.html",
        "notes.txt",
    ]


@pytest.mark.parametrize(
    ("flag", "key"), [(["--max-bytes", "20KB"], "--max-bytes 20KB"), (["--poster"], "--poster")]
)
def test_what_only_a_single_scene_does_is_refused_for_a_storyboard(capsys, tmp_path, flag, key):
    out = tmp_path / ("lesson.gif" if "--max-bytes" in flag else "lesson.mp4")
    code, _, err = run(capsys, "render", str(small(tmp_path)), "--out", str(out), *flag)
    assert code == 2
    assert one_line(err).startswith(f"error: {key}: ") and "leave it out" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("line", "said"),
    [('max_bytes = "20KB"', 'max_bytes = "20KB"'), ("poster = true", "poster = true")],
)
def test_a_storyboards_own_key_is_named_at_its_top_not_in_part_1(capsys, tmp_path, line, said):
    """A top-level max_bytes was reported as `part 1 ("title card"): max_bytes = ...`."""
    path = write(tmp_path, line + "\n" + SMALL.format(theme="light", lang="en"))
    out = tmp_path / "lesson.mp4"
    code, _, err = run(capsys, "render", str(path), "--out", str(out))
    assert code == 2
    assert one_line(err).startswith(f"error: {path}: {said}: ") and "leave it out" in err
    assert "part" not in err.split(": ")[1]


def test_a_still_of_a_storyboard_says_how_to_get_one_from_the_flag_and_the_file(capsys, tmp_path):
    """--frame said "a storyboard sets this per part, in its file"; the part then refused it."""
    code, _, err = run(capsys, "render", str(small(tmp_path)), "--frame", "1",
                       "--out", str(tmp_path / "x.png"))  # fmt: skip
    assert code == 2 and one_line(err).startswith("error: --frame 1: not for a storyboard")
    assert "on its own" in err and "per part" not in err
    path = write(tmp_path, SMALL.format(theme="light", lang="en") + "frame = 1\n", "f.toml")
    code, _, err = run(capsys, "render", str(path), "--out", str(tmp_path / "x.mp4"))
    assert code == 2 and "frame = 1: not for a storyboard's part" in one_line(err)
    assert "on its own" in err


# ---- titles ------------------------------------------------------------------------------------
def test_a_line_break_in_a_scenes_title_is_refused_and_a_card_takes_it(capsys, tmp_path):
    title = "Week 3\ngradient descent"
    out = tmp_path / "t.png"
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--title", title,
                       "--out", str(out))  # fmt: skip
    assert code == 2
    assert "is one line in scene sigmoid" in one_line(err) and not out.exists()
    code, _, err = run(capsys, "render", "card", "--title", title, "--out", str(out))
    assert code == 0 and out.exists(), err


@pytest.mark.parametrize("brk", ["\r", "\u2028", "\u2029", "\x85", "\x0b", "\r\n"])
def test_every_kind_of_line_break_is_one(capsys, tmp_path, brk):
    """U+2028 was taken by a one-line scene (drawn as one line, yet noted as two); a card
    drew it on one line."""
    title = f"Week 3{brk}gradient descent"
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--title", title,
                       "--out", str(tmp_path / "t.png"))  # fmt: skip
    assert code == 2 and "is one line in scene sigmoid" in one_line(err)
    from vizff.scenes import SCENES

    card = SCENES["card"](title=title, size=(640, 360))
    next(iter(card.frames()))
    drawn = [item.content for item in card.page.texts() if item.role == "title"]
    assert drawn == ["Week 3", "gradient descent"]


@pytest.mark.parametrize("control", ["\u202e", "\u202b", "\u2067"])
def test_a_right_to_left_control_in_a_title_is_refused(capsys, tmp_path, control):
    """U+202E (right-to-left override) asks for the text reversed; vizff drew it forwards."""
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--title",
                       f"a{control}bc", "--out", str(tmp_path / "t.png"))  # fmt: skip
    assert code == 2
    assert f"has a right-to-left control (U+{ord(control):04X})" in one_line(err)
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--title",
                       "a\u202abc\u202c", "--out", str(tmp_path / "t.png"))  # fmt: skip
    assert code == 0, err  # left to right: nothing to reverse


def test_right_to_left_titles_are_refused_not_drawn_reversed(capsys, tmp_path):
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--subtitle",
                       "مرحبا = hello", "--out", str(tmp_path / "t.png"))  # fmt: skip
    assert code == 2
    assert one_line(err).startswith("error: --subtitle مرحبا = hello: has right-to-left letters")


@pytest.mark.parametrize(
    ("title", "letters"),
    [("नमस्ते दुनिया", "तदनमयसािुे्"), ("မင်္ဂလာပါ", "ဂပမလါာင်္"), ("សួស្តី", "តសួី្")],
)
def test_titles_in_scripts_that_need_shaping_are_refused_not_drawn_apart(
    capsys, tmp_path, title, letters
):
    # Devanagari's vowel sign ि is written after its consonant but drawn before it; drawn one
    # glyph at a time it would sit on the wrong side, and conjuncts would not join
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--title", title,
                       "--out", str(tmp_path / "t.png"))  # fmt: skip
    assert code == 2 and list(tmp_path.iterdir()) == []
    assert one_line(err).startswith(
        f"error: --title {title}: has letters of a script that joins and reorders them"
        f" ({''.join(sorted(letters)[:8])})"
    )


def test_thai_and_other_unshaped_scripts_are_not_refused_for_shaping():
    from vizff.draw.typeface import needs_shaping

    assert needs_shaping("สวัสดี Привет Γειά 你好 こんにちは 안녕 Ünïcödé") == []
    assert needs_shaping("a क b") == ["क"]


# ---- errors name what the user typed -----------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "said"),
    [
        (
            "steps = 1979-05-27",
            "steps = 1979-05-27: expected a whole number, got a date 1979-05-27",
        ),
        ("lr = 07:32:00", "lr = 07:32:00: expected a number, got a time 07:32:00"),
        ("steps = {a = 1}", "steps = {a = 1}: expected a whole number, got a table {a = 1}"),
        (
            "fps = 1979-05-27T07:32:00Z",
            "fps = 1979-05-27T07:32:00+00:00: expected a number, got a date and time",
        ),
    ],
)
def test_dates_times_and_tables_are_shown_as_the_file_writes_them(capsys, tmp_path, line, said):
    (tmp_path / "odd.toml").write_text(f'scene = "weights"\n{line}\n')
    code, _, err = run(capsys, "render", str(tmp_path / "odd.toml"))
    assert code == 2 and one_line(err).startswith(f"error: {tmp_path / 'odd.toml'}: {said}")
    assert "datetime" not in err and "{'a'" not in err  # never Python's own spelling


@pytest.mark.parametrize(
    "hidden",
    ["32,,16", "32,", ",32", " , "],
)
def test_a_layer_left_out_between_commas_is_refused(capsys, hidden):
    """`32,,16` trained a 784-32-16-10 network, silently dropping what the user left out."""
    code, _, err = run(capsys, "train", "--hidden", hidden, "--steps", "1")
    assert code == 2
    typed = f"'{hidden}'" if hidden != hidden.strip() else hidden  # spaces at an end: quoted
    assert one_line(err).rstrip() == (
        f"error: --hidden {typed}: a number is missing between commas; write them like 32,16"
    )
    code, _, err = run(capsys, "render", "forward", "--set", "digits=1,,2")
    assert code == 2 and one_line(err).startswith(
        "error: --set digits=1,,2: a number is missing between commas; write them like 0,1,2"
    )


@pytest.mark.parametrize(
    ("given", "named"),
    [
        (["--set", "steps=1979-05-27"], "--set steps=1979-05-27: expected a whole number"),
        (["--set", "lr=-1"], "--set lr=-1: must be"),  # --lr exists, but --set was typed
        (["--lr", "-1"], "--lr -1: must be"),
    ],
)
def test_a_key_given_with_set_is_named_with_set_even_where_a_flag_exists(capsys, given, named):
    code, _, err = run(capsys, "render", "weights", *given)
    assert code == 2 and one_line(err).startswith(f"error: {named}")


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["render", "sigmoid", "--set", "frames=0"], "error: --set frames=0: must be 2 to"),
        (["render", "sigiod"], "error: scene sigiod: not a scene"),
        (["render", "weights", "--steps", "-1"], "error: --steps -1: "),
    ],
)
def test_an_error_names_the_flag_that_was_typed(capsys, argv, start):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert one_line(err).startswith(start)
    flag = err.split(":")[0].removeprefix("error: ").split()[0]
    if flag.startswith("--"):  # the flag named exists: --help lists it
        assert run(capsys, "render", "--help")[1].count(flag) >= 1


def test_two_renders_of_one_command_writing_one_file_are_refused(capsys, tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "a.toml").write_text('scene = "sigmoid"\nframes = 3\nout = "same.gif"\n')
    (scenes / "b.toml").write_text('scene = "softmax"\nframes = 3\nout = "same.gif"\n')
    out_dir = tmp_path / "o"
    code, _, err = run(capsys, "render", "--all", "--scenes-dir", str(scenes),
                       "--out-dir", str(out_dir))  # fmt: skip
    assert code == 2
    assert one_line(err) == (
        f"error: a and b both write {out_dir / 'same.gif'}; give one of them another `out`\n"
    )
    assert not out_dir.exists()


def test_a_frame_too_small_for_long_images_says_what_is_too_small(capsys, tmp_path):
    """28x10 images at 480x270: the size the advice used to name as enough."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "narrow"
    folder.mkdir()
    for role, count in (("train", 60), ("t10k", 20)):
        images = rng.integers(0, 256, (count, 28, 10))
        (folder / f"{role}-images-idx3-ubyte").write_bytes(idx_images(images))
        (folder / f"{role}-labels-idx1-ubyte").write_bytes(idx_labels(np.arange(count) % 10))
    argv = ["render", "forward", "--data", str(folder), "--steps", "2", "--set", "digits=[0]"]
    code, _, err = run(capsys, *argv, "--size", "480x270", "--out", str(tmp_path / "f.gif"))
    assert code == 2
    assert one_line(err) == (
        "error: --size 480x270: too small for the forward scene: its 28x10 images would be 10 "
        "pixels across their short side, too few to read the input image and the unit's "
        "weights; use a larger size, or squarer images\n"
    )
    code, _, err = run(capsys, *argv, "--size", "1280x720", "--out", str(tmp_path / "f.gif"))
    assert code == 0, err


# ---- other data than the lesson's (found by an outside try with datasets of its own) -----------
def test_the_gradient_cost_table_counts_epochs_of_the_data_given(tmp_path):
    from tests.conftest import write_idx_dir
    from vizff.scenes import SCENES

    folder = write_idx_dir(tmp_path / "letters", n_train=100, n_test=20)
    scene = SCENES["gradients"](data=str(folder), size=(1280, 720))
    scene.load()
    header, this, _ = scene.table_rows()
    assert header[2] == "per epoch of letters (7 batches of 16)"  # ceil(100 / 16), not MNIST's
    assert this[1:] == [f"{2 * (784 * 8 + 8 + 8 * 10 + 10):,}", f"{7 * 12_740:,}"]
    long = write_idx_dir(tmp_path / ("a-long-folder-name-" * 4), n_train=100, n_test=20)
    scene = SCENES["gradients"](data=str(long), size=(1280, 720))
    scene.load()  # a long name is cut, so that the table keeps its size
    assert scene.table_rows()[0][2] == "per epoch of a-long-folder-name-a-lo… (7 batches of 16)"
    lesson = SCENES["gradients"](data="sample", size=(1280, 720), lang="zh")
    lesson.load()  # the sample is MNIST's: its table keeps the lesson's scale, all of MNIST
    assert lesson.table_rows()[0][2] == "完整 MNIST 训练一轮（共 3,750 批，每批 16 张）"


def test_the_subtitle_gives_the_batch_a_step_really_uses(tmp_path):
    from tests.conftest import write_idx_dir
    from vizff.scenes import SCENES

    folder = write_idx_dir(tmp_path / "few", n_train=10, n_test=5)
    scene = SCENES["weights"](data=str(folder), size=(640, 360))
    scene.load()  # batch_size 64, but a batch holds at most the 10 train images there are
    assert ", batch 10, " in scene.network_text()
    assert ", batch 64, " in SCENES["weights"](size=(640, 360)).network_text()


def test_the_time_estimate_stays_small_for_large_images():
    import tracemalloc

    from vizff.train import TrainConfig, estimated_seconds

    inputs = 1024 * 1024  # a 1024x1024 image: the estimate converted 1,000 of them (5 GB)
    tracemalloc.start()
    try:
        estimated_seconds(TrainConfig(hidden=(1,), steps=1), 2, inputs, 2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * 2**20, f"{peak / 2**20:.0f} MB"


def test_train_says_where_the_data_came_from_and_counts_one_step(capsys, tmp_path):
    from tests.conftest import write_idx_dir

    folder = write_idx_dir(tmp_path / "[mine]", n_train=10, n_test=5)  # brackets: no markup
    code, _, err = run(capsys, "train", "--data", str(folder), "--steps", "1")
    assert code == 0
    assert "1 step in " in err and f" s on {folder} (10 train / 5 test)" in err


def test_defaults_fit_a_test_split_smaller_than_they_show(tmp_path):
    from tests.conftest import write_idx_dir
    from vizff.scenes import SCENES

    one = write_idx_dir(tmp_path / "one", n_train=10, n_test=1)
    twenty = write_idx_dir(tmp_path / "twenty", n_train=10, n_test=20)
    forward = SCENES["forward"](data=str(one), size=(640, 360))
    forward.load()  # the default digits 0, 1, 2: only 0 is there
    assert forward.digit_indices == (0,)
    for folder, shape in ((one, (1, 1)), (twenty, (2, 10))):  # 6x12 by default: 72 images
        mosaic = SCENES["mosaic"](data=str(folder), size=(640, 360))
        mosaic.load()
        assert (mosaic.rows, mosaic.cols) == shape
        _, labels = mosaic.chosen()  # write_idx_dir labels image k with k % 10
        assert labels.tolist() == [k % 10 for k in range(shape[0] * shape[1])]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["forward", "--set", "digits=[0,1]"], "--set digits=[0,1]: index 1 is past the 1 test"),
        (["mosaic", "--set", "rows=2"], "--set rows=2: 2x12 images from index 0 go past the 1"),
        (["mosaic", "--set", "start=1"], "--set start=1: 6x12 images from index 1 go past the 1"),
    ],
)
def test_what_the_user_gave_is_named_when_it_asks_for_more_than_is_there(
    capsys, tmp_path, args, named
):
    from tests.conftest import write_idx_dir

    folder = write_idx_dir(tmp_path / "one", n_train=10, n_test=1)
    code, _, err = run(
        capsys, "render", *args, "--data", str(folder), "--out", str(tmp_path / "o.png")
    )
    assert code == 2 and one_line(err).startswith(f"error: {named}")


def test_a_scene_files_data_is_named_as_written_with_what_is_wrong_in_it(capsys, tmp_path):
    from tests.conftest import idx_images, write_idx_dir

    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "gone.toml").write_text('scene = "weights"\ndata = "../data/gone"\n')
    code, _, err = run(capsys, "render", str(lessons / "gone.toml"))
    assert code == 2
    assert one_line(err).startswith(  # as written, and where that led
        f'error: {lessons / "gone.toml"}: data = "../data/gone" ({lessons}/../data/gone): '
        "no such folder; "
    )
    folder = write_idx_dir(tmp_path / "data" / "odd", gz=False)
    (folder / "t10k-images-idx3-ubyte").write_bytes(idx_images(np.zeros((20, 20, 20))))
    (lessons / "odd.toml").write_text('scene = "weights"\ndata = "../data/odd"\n')
    code, _, err = run(capsys, "render", str(lessons / "odd.toml"))
    assert code == 1 and one_line(err).rstrip("\n") == (
        f'error: {lessons / "odd.toml"}: data = "../data/odd" ({lessons}/../data/odd): '
        f"{lessons}/../data/odd: train images are 28x28 but test images are 20x20; both splits "
        "must have one image size"
    )


def test_frames_go_only_into_a_new_empty_or_frames_folder(capsys, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "frame_00000.png").write_text("precious notes, not a PNG")
    (mine / "essay.txt").write_text("mine too")
    before = {p.name: p.read_bytes() for p in mine.iterdir()}
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=3", "--out", str(mine))
    assert code == 2 and one_line(err).startswith(
        f"error: --out {mine}: is a folder holding other files than numbered PNG frames "
        "(essay.txt, frame_00000.png)"
    )
    assert {p.name: p.read_bytes() for p in mine.iterdir()} == before
    frames = tmp_path / "frames"
    for count in ("4", "2"):  # vizff's own frames are replaced, and the extra ones go
        code, _, err = run(capsys, "render", "sigmoid", "--set", f"frames={count}",
                           "--hold", "0", "--out", str(frames))  # fmt: skip
        assert code == 0, err
    assert sorted(p.name for p in frames.iterdir()) == ["frame_00000.png", "frame_00001.png"]


@pytest.mark.parametrize(
    ("target", "what"),
    [("/dev/null", "not a file or folder (a device or pipe)"), ("plain", "a file")],
)
def test_an_output_without_a_format_that_is_no_folder_says_what_it_is(
    capsys, tmp_path, target, what
):
    (tmp_path / "plain").write_text("mine")
    path = target if target.startswith("/") else str(tmp_path / target)
    code, _, err = run(capsys, "render", "sigmoid", "--out", path)
    assert code == 2 and one_line(err).startswith(f"error: --out {path}: is {what}; vizff writes")
    assert (tmp_path / "plain").read_text() == "mine"


def test_no_interrupt_is_asked_again_once_the_process_is_ending(monkeypatch):
    """A retry timer firing while Python finalized called into the interpreter from a thread
    that no longer could: "Fatal Python error: PyThreadState_Get" after "interrupted", once
    in some hundreds of Ctrl-C. At exit the timers are cancelled and no new one starts."""
    import signal

    from vizff import interrupts

    monkeypatch.setattr(interrupts, "RETRY", 30.0)  # pending for the whole test
    monkeypatch.setattr(interrupts, "_exiting", False)
    monkeypatch.setattr(interrupts, "_timers", set())
    interrupts._later_again(signal.SIGINT, 3)
    (timer,) = interrupts._timers
    assert timer.is_alive()
    interrupts._no_retries_at_exit()
    timer.join(2)
    assert not timer.is_alive() and not interrupts._timers
    interrupts._later_again(signal.SIGINT, 3)  # a signal handled during the exit itself
    assert not interrupts._timers


def test_an_interrupt_landing_in_an_import_callback_is_handled_again_not_dropped():
    """A Ctrl-C while a module is imported can land in the import system's weakref callback,
    where an exception is printed as "Exception ignored" and dropped: the render went on and,
    every signal now ignored, could not be stopped. The handler asks again a moment later."""
    import signal
    import threading
    import time

    from vizff import interrupts

    source = "def cb():\n    return __import__('sys')._getframe()\n"
    space: dict = {}
    exec(compile(source, "<frozen importlib._bootstrap>", "exec"), space)  # noqa: S102
    callback_frame = space["cb"]()
    previous = signal.getsignal(signal.SIGINT)
    interrupts.stop_on("SIGINT")
    try:
        assert interrupts._swallowed_in(callback_frame)
        interrupts._handle(signal.SIGINT, callback_frame)  # returns: nothing raised there
        assert signal.getsignal(signal.SIGINT) is interrupts._handle  # not yet ignored
        with pytest.raises(KeyboardInterrupt):
            time.sleep(5)  # the retry arrives within a moment, in ordinary code
        # the retry comes while the signal is ignored for a moment, as parallel.prestart
        # ignores it while it starts the workers' server: interrupt_main did nothing then,
        # and the render ran to its end; it is asked again once the handler is back
        interrupts.stop_on("SIGINT")
        interrupts._handle(signal.SIGINT, callback_frame)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        time.sleep(20 * interrupts.RETRY)  # retries come and find the signal ignored
        signal.signal(signal.SIGINT, interrupts._handle)
        with pytest.raises(KeyboardInterrupt):
            time.sleep(5)
        # ignored for good (the CLI has ended: launch ignores a late Ctrl-C), the retries
        # stop, on daemon threads: nothing keeps a finished process alive
        threads = threading.active_count()
        interrupts.stop_on("SIGINT")
        tries, interrupts.RETRIES = interrupts.RETRIES, 3
        try:
            interrupts._handle(signal.SIGINT, callback_frame)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            time.sleep(10 * interrupts.RETRY)
            assert threading.active_count() == threads
        finally:
            interrupts.RETRIES = tries
    finally:
        signal.signal(signal.SIGINT, previous)
        interrupts._installed.clear()


@pytest.mark.parametrize(
    ("out", "said"),
    [
        (".gif", "is only an extension; name the file, e.g. render.gif"),
        ("sub/.MP4", "is only an extension; name the file, e.g. render.mp4"),
        ("new.webp/", "ends in / as a folder does, but names a .webp file; write it without"),
        ("-", "vizff writes files, not to standard output; name a file, e.g. render.gif"),
        ("x.gif.", "ends in '.', which would not name the file it looks like; write 'x.gif'"),
        ("x.mp4..", "ends in '.', which would not name the file it looks like; write 'x.mp4'"),
        ("frames.", "ends in '.', which would not name the file it looks like; write 'frames'"),
    ],
)
def test_an_output_name_that_says_two_things_is_refused(capsys, tmp_path, monkeypatch, out, said):
    """`--out .gif` wrote a hidden folder of 90 PNGs named `.gif`; `--out new.gif/` a file."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--out", out)
    assert code == 2 and one_line(err).startswith(f"error: --out {out}: {said}")
    recipe = tmp_path / "r.toml"
    recipe.write_text(f'scene = "sigmoid"\nframes = 2\nout = "{out}"\n')
    code, _, err = run(capsys, "render", str(recipe))
    assert code == 2 and one_line(err).startswith(f'error: {recipe}: out = "{out}": {said}')
    with pytest.raises(OptionError, match=f"^out='{re.escape(out)}': {re.escape(said)}"):
        vizff.render.render_scene("sigmoid", out, frames=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.toml"]


@pytest.mark.parametrize("out", ["x ", "x.webp "])
def test_an_output_name_ending_in_a_space_is_refused(capsys, tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--out", out)
    meant = out.strip()
    assert code == 2 and one_line(err).rstrip("\n") == (
        f"error: --out '{out}': ends in a space, which would not name the file it looks like; "
        f"write '{meant}'"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_render_through_a_link_says_which_file_it_wrote(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    (tmp_path / "latest.gif").symlink_to(tmp_path / "runs" / "w.gif")
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--out", "latest.gif")
    assert code == 0 and (tmp_path / "runs" / "w.gif").is_file()
    assert f"note: latest.gif is a link: the file written is {tmp_path / 'runs' / 'w.gif'}" in err


def test_out_dir_dash_is_refused_not_made_a_folder(capsys, tmp_path, monkeypatch):
    """`--out-dir -` made a folder named "-": a dash is standard output's usual name."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--out-dir", "-")
    assert code == 2 and one_line(err).rstrip("\n") == (
        "error: --out-dir -: vizff writes files, not to standard output; name a folder"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_title_the_frames_cannot_show_whole_gets_a_note(capsys, tmp_path):
    """A card set a six-line title on three lines, and a long title was cut with "...", and the
    command said nothing."""
    lines = "\n".join(f"Line {n}" for n in range(1, 7))
    code, _, err = run(capsys, "render", "card", "--title", lines, "--out", str(tmp_path / "c.png"))
    assert code == 0
    assert "note: the title's 6 lines do not fit 640x360: they are set on 3" in err
    long = "A title far too long for a thumbnail, however small the letters are set, and longer"
    argv = ["render", "sigmoid", "--size", "320x180", "--set", "frames=2", "--title", long]
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "s.png"))
    assert code == 0 and re.search(
        r'note: the title does not fit 320x180 and is cut \("A .*…"\): shorten it, or move '
        r"some of it to the subtitle, or render larger\n",
        err,
    )
    at = ["480x270" if a == "320x180" else a for a in argv]
    code, _, err = run(capsys, *at, "--out", str(tmp_path / "m.png"))
    assert code == 0 and "note:" not in err  # larger, it fits: the advice was true
    # from 640x360 up text grows with the frame: a larger size cuts it at the same word, and
    # "or render larger" (said at 4K) was wrong
    longer = " ".join([long] * 2)
    for size in ("640x360", "1920x1080"):
        at = [size if a == "320x180" else a for a in (*argv[:-1], longer)]
        code, _, err = run(capsys, *at, "--out", str(tmp_path / "l.png"))
        assert code == 0 and f"does not fit {size} and is cut" in err, err
        assert err.rstrip().endswith("shorten it, or move some of it to the subtitle"), err
    code, _, err = run(capsys, *argv[:-1], "Short", "--out", str(tmp_path / "t.png"))
    assert code == 0 and "note:" not in err
    board = tmp_path / "b.toml"
    board.write_text(f'[[part]]\ncard = "section"\ntitle = """{lines}"""\n')
    code, _, err = run(capsys, "render", str(board), "--out", str(tmp_path / "b.gif"))
    assert code == 0 and "part 1" in err and "the title's 6 lines do not fit" in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["render", "sigmoid", "--size", "320x180", "--set", "size=640x360"],
            "error: --size and --set size=...: the same option twice; give one of them",
        ),
        (
            ["render", "sigmoid", "--all"],
            "error: render sigmoid --all: name scenes or give --all (every file in --scenes-dir), "
            "not both",
        ),
        (  # click's own words: "Invalid value for '--jobs': Input should be greater than ..."
            ["render", "sigmoid", "--jobs", "0"],
            "error: --jobs 0: give 1 to 256 worker processes",
        ),
        (["data", "download", "--timeout", "0"], "error: --timeout 0: give 0.1 to 3600 seconds"),
        (  # the last one won, silently
            ["render", "sigmoid", "--set", "frames=3", "--set", " frames=5"],
            "error: --set frames=3 and --set  frames=5: the same option twice; give one of them",
        ),
    ],
)
def test_two_ways_of_saying_one_thing_are_refused(capsys, tmp_path, monkeypatch, argv, said):
    """`--set size=` silently won over `--size`; `sigmoid --all` complained of a scenes folder."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2 and one_line(err).rstrip() == said
    assert list(tmp_path.iterdir()) == []


def test_a_ctrl_c_that_python_wrapped_in_another_error_is_still_an_interrupt(capsys, monkeypatch):
    """A Ctrl-C while matplotlib created a class came out of Python 3.11 as RuntimeError("Error
    calling __set_name__ ..."), and vizff called it a bug of its own."""
    from vizff import cli, interrupts

    class Interrupted:
        def __set_name__(self, owner, name):
            raise KeyboardInterrupt

    def load_matplotlib(*args, **kwargs):
        type("ScalarFormatter", (), {"orderOfMagnitude": Interrupted()})  # as Python does it

    try:
        load_matplotlib()
    except BaseException as error:  # noqa: BLE001 (3.11 wraps it; 3.12 and later do not)
        assert interrupts.caused_by_interrupt(error)
    assert not interrupts.caused_by_interrupt(RuntimeError("a bug"))
    monkeypatch.setattr(cli, "check_embed", load_matplotlib)  # the first thing render does
    code, _, err = run(capsys, "render", "sigmoid")
    assert code == 130 and one_line(err).rstrip() == "error: interrupted; no output was changed"


HUGE = 10**400  # a whole number past a float's range: valid TOML, valid Python
LONG = "1" * 5000  # more digits than Python reads as a whole number (4,300)


@pytest.mark.parametrize(
    ("argv", "file", "said"),
    [
        (["--set", f"x_max={HUGE}"], None, f"error: --set x_max={str(HUGE)[:199]}… (401 "),
        (["--max-bytes", f"{HUGE}MB"], None, "too large a size; write one such as 2MB"),
        (["--set", f"frames={LONG}"], None, "a whole number of over 4,300 digits, more than"),
        ([], f"scene = 'sigmoid'\nfps = {HUGE}\n", "fps = 1000"),
        ([], f"scene = 'sigmoid'\nframes = {LONG}\n", "holds a whole number of over 4,300 digits"),
        ([], f"[[part]]\nscene = 'sigmoid'\nhold = {HUGE}\n", 'part 1 ("sigmoid"): hold = 1000'),
    ],
)
def test_numbers_too_large_to_read_are_one_line(capsys, tmp_path, monkeypatch, argv, file, said):
    """A whole number past a float's range crashed every float option ("unexpected
    OverflowError ... a bug in vizff"), and one of 5,000 digits every whole-number one."""
    monkeypatch.chdir(tmp_path)
    target = ["sigmoid"]
    if file is not None:
        (tmp_path / "f.toml").write_text(file)
        target = ["f.toml"]
    code, _, err = run(capsys, "render", *target, *argv, "--out", "o.gif")
    assert code == 2 and said in one_line(err) and "unexpected" not in err
    assert not (tmp_path / "o.gif").exists()


@pytest.mark.parametrize(
    ("keywords", "said"),
    [
        ({"fps": HUGE}, "fps=1000"),
        ({"hold": -HUGE}, "hold=-1000"),
        ({"frames": 10**5000}, "frames=100000… (5,001 digits): must be 2 to 5,000"),
        ({"x_max": [10**5000]}, "x_max=[100000… (5,001 digits)]: expected a number"),
    ],
)
def test_numbers_too_large_in_python_are_an_option_error(tmp_path, keywords, said):
    with pytest.raises(OptionError) as error:
        vizff.render.render_scene("sigmoid", tmp_path / "o.gif", **keywords)
    assert said in str(error.value)
    with pytest.raises(OptionError):
        list(vizff.frames("sigmoid", **keywords))


@pytest.mark.parametrize("out", ["notes.txt/x.gif", "notes.txt/deeper/x.mp4", "notes.txt/frames"])
def test_an_output_under_a_file_is_refused_before_any_work(capsys, tmp_path, monkeypatch, out):
    """`--out pg/card.png/x.gif` (a parent is a file) failed after the frames were drawn, with
    'cannot create directory pg/card.png (File exists)' and exit 1."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=2", "--out", out)
    assert code == 2 and one_line(err).rstrip("\n") == (
        f"error: --out {out}: notes.txt is a file, not a folder, so nothing can be written under it"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_help_shows_the_words_a_flag_takes(capsys):
    """`--theme light|dark`, not `--theme STR`: the choices, read from the options themselves."""
    from vizff.options import SHARED

    text = re.sub(r"\s+", " ", run(capsys, "render", "--help")[1])
    shown = 0
    for option in SHARED:
        spelled = "|".join(option.choices)
        if option.kind == "str" and option.choices and len(spelled) <= 18:
            assert f"{option.flag} {spelled} " in text, option.flag
            shown += 1
    assert shown >= 4  # theme, lang, activation, dtype at least


def test_a_reader_that_leaves_early_is_not_a_failure(tmp_path):
    """`vizff render ... | true`: the file was written, and vizff exited 1 saying nothing (the
    CLI library's own handling of a closed pipe). It now exits 0: only the summary line had
    no reader. A full standard output still fails, saying the render was written."""
    out = tmp_path / "p.gif"
    read, write = os.pipe()
    os.close(read)  # the reader has gone before vizff prints
    command = [sys.executable, "-m", "vizff", "render", "sigmoid", "--set", "frames=3"]
    done = subprocess.run(
        [*command, "--out", str(out)], stdout=write, stderr=subprocess.PIPE, text=True
    )
    os.close(write)
    assert (done.returncode, done.stderr) == (0, "") and out.is_file()
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*command, "--out", str(out)], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: cannot write to the standard output (No space left on device); {out} was written\n"
    )


def test_a_batch_that_fails_part_way_names_what_it_had_written(capsys, tmp_path, monkeypatch):
    """`render --all` whose third file failed said only that file's error, though the two
    before it had been replaced. The line now names them."""
    from vizff import render as rendering
    from vizff.errors import RenderError

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for name in ("a", "b", "c"):
        (scenes / f"{name}.toml").write_text(f'scene = "sigmoid"\nframes = 3\nout = "{name}.gif"\n')
    real, calls = rendering.RenderJob.run, []

    def failing_third(self, progress=None):
        calls.append(self)
        if len(calls) == 3:
            raise RenderError(f"{self.writer.path}: writing failed (No space left on device)")
        return real(self, progress)

    monkeypatch.setattr(rendering.RenderJob, "run", failing_third)
    out = tmp_path / "o"
    code, _, err = run(capsys, "render", "--all", "--scenes-dir", str(scenes),
                       "--out-dir", str(out), "--jobs", "1")  # fmt: skip
    assert code == 1
    assert err == (
        f"error: {out / 'c.gif'}: writing failed (No space left on device) "
        f"({out / 'a.gif'} and {out / 'b.gif'} were written before it)\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["a.gif", "b.gif"]


def test_a_home_that_cannot_be_written_still_gives_one_line(tmp_path):
    """With a read-only HOME (containers, CI) matplotlib's import printed a two-line warning
    before every line vizff wrote, errors included. vizff now gives it a folder of its own
    under the temporary directory; a render there works and an error is one line."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # a home below a file: mkdir fails, even as root
    env = {k: v for k, v in os.environ.items()
           if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}  # fmt: skip
    env["HOME"] = str(blocked / "home")
    command = [sys.executable, "-m", "vizff", "render", "sigmoid", "--set", "frames=3"]
    bad = subprocess.run([*command, "--hold", "-1"], env=env, capture_output=True, text=True)
    assert (bad.returncode, bad.stderr) == (2, "error: --hold -1: must be 0 to 600\n")
    out = tmp_path / "ok.gif"
    good = subprocess.run([*command, "--out", str(out)], env=env, capture_output=True, text=True)
    assert good.returncode == 0 and good.stderr == "" and out.is_file()


def test_an_interrupt_landing_in_any_weakref_callback_is_handled_again():
    """A fresh-clone CI run saw a Ctrl-C land in matplotlib's weakref callback (a lambda in
    its transforms), printed as "Exception ignored ... KeyboardInterrupt". Any weakref
    callback, known by the dead reference it is given, now counts; ordinary code does not."""
    import sys
    import weakref

    from vizff import interrupts

    class Thing:
        pass

    seen = []
    thing = Thing()
    ref = weakref.ref(thing, lambda dead: seen.append(sys._getframe()))  # noqa: F841
    del thing  # the callback runs now
    assert len(seen) == 1 and interrupts._swallowed_in(seen[0])

    def ordinary(value):
        return sys._getframe()

    assert not interrupts._swallowed_in(ordinary(3))
    assert not interrupts._swallowed_in(ordinary(weakref.ref(Thing)))  # a live reference: no


def test_a_list_written_as_the_command_line_writes_it_is_taken_in_a_file_and_from_python(
    tmp_path, capsys
):
    """`hidden = "16,8"` in a scene file was refused with "expected layer sizes such as 32 or
    32,16", an example written just as the value was. A comma-separated string is the list
    it can only mean, in a file and from Python, as on the command line."""
    from vizff.recipes import load_target
    from vizff.render import python_recipe

    scene = tmp_path / "w.toml"
    scene.write_text(
        'scene = "forward"\nhidden = "16, 8"\ndigits = "0,1"\nclasses = "a,b,c,d,e,f,g,h,i,j"\n',
        encoding="utf-8",
    )
    settings = load_target(scene).settle()
    assert settings.hidden == (16, 8) and settings.digits == (0, 1)
    assert settings.classes == tuple("abcdefghij")
    written = python_recipe("forward", None, {"hidden": "16,8", "digits": "3, 4"}).settle()
    assert written.hidden == (16, 8) and written.digits == (3, 4)
    # the same value as a list gives the same settings: the string is only another spelling
    listed = python_recipe("forward", None, {"hidden": [16, 8], "digits": [3, 4]}).settle()
    assert (listed.hidden, listed.digits) == (written.hidden, written.digits)
    # what is left out between commas is refused wherever it is written
    scene.write_text('scene = "forward"\nhidden = "16,,8"\n', encoding="utf-8")
    code, _, err = run(capsys, "render", str(scene))
    assert code == 2 and one_line(err).rstrip() == (
        f'error: {scene}: hidden = "16,,8": a number is missing between commas; '
        "write them like 32,16"
    )
    with pytest.raises(OptionError, match=r"^hidden='16,,8': a number is missing"):
        python_recipe("forward", None, {"hidden": "16,,8"}).settle()
    with pytest.raises(OptionError, match=r"^classes='a,b,a': give different names"):
        python_recipe("forward", None, {"classes": "a,b,a"}).settle()


def test_a_run_too_large_for_the_memory_here_is_refused_before_any_work(
    capsys, tmp_path, monkeypatch
):
    """1024x1024 images and --hidden 4096 ended in "unexpected MemoryError: Unable to
    allocate 32.0 GiB ...; this is a bug in vizff". The need is known before the work."""
    from tests.conftest import write_idx_dir
    from vizff import train as training
    from vizff.data import load_digits
    from vizff.train import TrainConfig, check_memory, memory_needed

    folder = write_idx_dir(tmp_path / "d", n_train=30, n_test=10)
    digits = load_digits(folder)
    config = TrainConfig(hidden=(4096,), steps=1)
    network, numbers = memory_needed(digits, config)
    weights = (784 + 1) * 4096 + (4096 + 1) * 10  # an oracle: the parameters counted here
    # the test split's 10 images as float32, a batch (the 30 train images: fewer than 64),
    # and 8 bytes an image for an epoch's order and the test labels
    assert network == weights * (8 + 4 * 4)
    assert numbers == 40 * 784 * 4 + 3 * 10 * 4096 * 4 + 8 * 40
    big = load_digits(write_idx_dir(tmp_path / "big", n_train=300, n_test=10))
    assert memory_needed(big, config)[1] == (10 + 64) * 784 * 4 + 3 * 10 * 4096 * 4 + 8 * 310
    shutil.rmtree(tmp_path / "big")
    check_memory(digits, config, free=network + numbers)  # just fits: taken
    with pytest.raises(OptionError, match=r"^hidden='4096': a 784-4096-10 network needs about"):
        check_memory(digits, config, free=network + numbers - 1)
    small = TrainConfig(hidden=(2,), steps=1)  # the images are the larger part: named so
    with pytest.raises(vizff.errors.DataError, match=r"40 images of 28x28 need about"):
        check_memory(digits, small, free=1000)
    # on the command line and in a scene: one line, exit 2, before a file is touched
    monkeypatch.setattr(training, "memory_free", lambda: 10**6)
    monkeypatch.chdir(tmp_path)
    for argv, flag in (
        (["train", "--hidden", "4096", "--steps", "1"], "--hidden 4096"),
        (["render", "weights", "--hidden", "2048", "--out", "w.gif"], "--hidden 2048"),
    ):
        code, out, err = run(capsys, *argv, "--data", str(folder))
        assert code == 2 and one_line(err).startswith(f"error: {flag}: a 784-")
        assert "more than the 0.0 GB free here; use fewer hidden units" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_memory_running_out_anyway_is_one_line_not_a_bug_report(capsys, monkeypatch, tmp_path):
    from vizff.scenes.sigmoid import Sigmoid

    def frames(self):
        raise MemoryError("Unable to allocate 3.0 GiB for an array")
        yield

    monkeypatch.setattr(Sigmoid, "frames", frames)
    code, _, err = run(capsys, "render", "sigmoid", "--out", str(tmp_path / "s.gif"))
    assert code == 1 and one_line(err).rstrip() == (
        "error: out of memory (Unable to allocate 3.0 GiB for an array); use fewer hidden "
        "units, smaller or fewer images, or a smaller frame size"
    )
    assert "bug" not in err and list(tmp_path.iterdir()) == []


def test_a_card_names_the_data_only_where_it_is_there(capsys, tmp_path, monkeypatch):
    """`render card --data mnsit` drew "mnsit digits in, ten probabilities out" on the title
    card, exit 0: every other scene refuses a data folder that is not there."""
    from tests.conftest import write_idx_dir

    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "render", "card", "--data", "mnsit", "--out", "c.png")
    assert (code, out) == (2, "") and err == (
        "error: --data mnsit: no such folder; give sample, mnist or a folder of IDX files\n"
    )
    (tmp_path / "cs.toml").write_text('data = "nope"\n[[part]]\ncard = "title"\n')
    code, _, err = run(capsys, "render", "cs.toml")
    assert code == 2 and err.startswith('error: cs.toml: part 1 ("title card"): data = "nope": ')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cs.toml"]
    write_idx_dir(tmp_path / "letters")  # a folder that is there: named on the card
    code, _, _ = run(capsys, "render", "card", "--data", "letters", "--out", "c.png")
    assert code == 0 and (tmp_path / "c.png").is_file()


# ---- a second outside try (2026-12-01) ---------------------------------------------------------
def cli_env(*argv: str, cwd=None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vizff", *argv],
        capture_output=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_a_console_that_cannot_write_a_character_gets_it_escaped(encoding):
    done = cli_env("scenes", "gradients", PYTHONIOENCODING=encoding)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    out = done.stdout.decode(encoding)  # every byte is the console's own encoding
    utf8 = cli_env("scenes", "gradients").stdout.decode()
    assert any(not c.isascii() for c in utf8)  # it has characters to escape: a · at least

    def python_escape(c: str) -> str:  # as Python's backslashreplace writes it
        return f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"

    expected = "".join(c if c.encode(encoding, "ignore") else python_escape(c) for c in utf8)
    assert out == expected


def test_an_embed_snippet_for_a_console_without_the_characters_pastes_right(tmp_path):
    import html

    out = tmp_path / "z.gif"
    done = cli_env(
        "render", "mosaic", "--lang", "zh", "--size", "320x180", "--out", str(out),
        "--embed", "html", PYTHONIOENCODING="ascii",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    snippet = done.stdout.decode("ascii").splitlines()[-1]
    alt = re.search(r'alt="([^"]*)"', snippet).group(1)
    assert "&#" in alt  # the Chinese alt text, as character references
    utf8 = cli_env(
        "render", "mosaic", "--lang", "zh", "--size", "320x180", "--out", str(out),
        "--embed", "html",
    ).stdout.decode()  # fmt: skip
    assert html.unescape(alt) == html.unescape(re.search(r'alt="([^"]*)"', utf8).group(1))


@pytest.mark.parametrize("argv", [[], ["data"]])
def test_no_command_shows_the_help_and_nothing_else(argv):
    done = cli_env(*argv)
    assert done.returncode == 0
    assert done.stderr == b""
    assert b"Usage" in done.stdout and b"Commands" in done.stdout


@pytest.mark.parametrize("kind", ["file", "link"])
def test_an_out_dir_that_is_no_folder_is_named_as_typed(capsys, tmp_path, kind):
    """`--out-dir keep.gif` (a file) was reported as `out='keep.gif/sigmoid.gif'`."""
    where = tmp_path / "keep.gif"
    if kind == "file":
        where.write_bytes(b"GIF89a kept")
    else:
        where.symlink_to(tmp_path / "gone")
    code, _, err = run(capsys, "render", "sigmoid", "softmax", "--out-dir", str(where))
    assert code == 2
    said = "is a file" if kind == "file" else "is a link to a folder that does not exist"
    assert one_line(err).startswith(f"error: --out-dir {where}: {said}; ")
    assert kind == "link" or where.read_bytes() == b"GIF89a kept"
    code, _, err = run(capsys, "render", "sigmoid", "--out-dir", str(where / "sub"))
    assert code == 2 and one_line(err).startswith(f"error: --out-dir {where / 'sub'}: ")


def test_a_cache_folder_set_by_the_environment_is_named_by_it(capsys, tmp_path, monkeypatch):
    """VIZFF_CACHE_DIR problems were reported as `--dir`, an option nobody typed."""
    cache = tmp_path / "cache"
    cache.write_text("a file")
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(cache))
    code, _, err = run(capsys, "data", "download", "--mirror", str(tmp_path))
    assert code == 2
    assert one_line(err).startswith(f"error: VIZFF_CACHE_DIR={cache}: is a file; ")
    code, _, err = run(capsys, "data", "info", "--data", "mnist")
    assert code == 2
    assert one_line(err).startswith(f"error: --data mnist: VIZFF_CACHE_DIR={cache} is a file")
    code, _, err = run(capsys, "data", "download", "--dir", str(cache), "--mirror", str(tmp_path))
    assert code == 2 and one_line(err).startswith(f"error: --dir {cache}: is a file; ")
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(cache / "mnist"))  # under a file: not made
    code, _, err = run(capsys, "data", "download", "--mirror", str(tmp_path))
    assert code == 1
    said = f"error: VIZFF_CACHE_DIR={cache / 'mnist'}: cannot create directory {cache / 'mnist'}"
    assert one_line(err).startswith(said)


def test_a_read_only_mount_is_called_so_by_train_save(capsys, tmp_path, monkeypatch):
    import vizff.cli

    monkeypatch.setattr(vizff.cli.os, "access", lambda *a, **k: False)
    code, _, err = run(capsys, "train", "--steps", "1", "--save", str(tmp_path / "w.npz"))
    assert code == 2 and "(permission denied)" in one_line(err)

    class ReadOnly:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(vizff.cli.os, "statvfs", lambda path: ReadOnly())
    code, _, err = run(capsys, "train", "--steps", "1", "--save", str(tmp_path / "w.npz"))
    assert code == 2
    save = tmp_path / "w.npz"
    said = f"error: --save {save}: cannot write in {tmp_path} (Read-only file system)\n"
    assert one_line(err) == said


@pytest.mark.parametrize(
    ("typed", "hint"), [("float16", ""), ("floa32", ' (did you mean "float32"?)')]
)
def test_a_suggestion_is_only_a_spelling_of_what_was_typed(capsys, typed, hint):
    """float16 was answered with 'did you mean "float64"?': another value, not a spelling."""
    code, _, err = run(capsys, "train", "--steps", "1", "--dtype", typed)
    assert code == 2
    assert one_line(err) == f"error: --dtype {typed}: must be one of float32, float64{hint}\n"


def test_class_names_are_quoted_as_they_were_written(capsys, tmp_path):
    """`--classes 猫,狗` was quoted back as `猫,狗,2,3,4,5,6,7,8,9`."""
    code, _, err = run(capsys, "render", "mosaic", "--classes", "猫,狗", "--font",
                       str(tmp_path / "none.ttf"), "--out", str(tmp_path / "c.gif"))  # fmt: skip
    assert code == 2 and "--font" in err  # the font is looked at first: a missing file
    code, _, err = run(capsys, "render", "mosaic", "--classes", "猫,狗,龘", "--size", "320x180",
                       "--out", str(tmp_path / "c.gif"))  # fmt: skip
    if code == 0:  # a system CJK font here has them all: nothing to quote
        pytest.skip("a CJK font on this machine has 猫, 狗 and 龘")
    assert one_line(err).startswith("error: --classes 猫,狗,龘: ")


def test_one_frame_is_one_frame(capsys, tmp_path):
    out = tmp_path / "one.gif"
    code, printed, err = run(capsys, "render", "loss", "--steps", "0", "--out", str(out))
    assert code == 0, err
    assert code == 0 and printed.startswith(f"{out}  1 frame, 1.6 s  ")


def test_a_long_mp4_hold_says_what_it_costs_before_the_work(capsys, tmp_path, monkeypatch):
    """An MP4 encodes its hold as copies of the last frame: 10 minutes at 240 fps ran for
    many minutes with nothing said. The note gives the count and the way out."""
    import vizff.cli

    out = tmp_path / "h.mp4"
    argv = ["render", "sigmoid", "--size", "320x180", "--set", "frames=2", "--fps", "10"]
    code, _, err = run(capsys, *argv, "--hold", "2", "--out", str(out))
    assert code == 0 and "copies" not in err  # 20 copies at 320x180: nothing to say
    monkeypatch.setattr(vizff.cli, "HELD_PIXELS_PER_SECOND", 320 * 180)  # one copy a second
    code, _, err = run(capsys, *argv, "--hold", "2", "--out", str(out))
    assert code == 0
    assert err.startswith(
        "note: a 2 s hold at 10 fps is 20 copies of the last frame for x264 to encode "
        "(an MP4 shows no frame longer than the rest): about 20 s more; a lower fps or hold, "
        "or a GIF or WebP, holds it for free\n"
    )
    code, _, err = run(capsys, *argv, "--hold", "2", "--out", str(tmp_path / "h.gif"))
    assert code == 0 and "copies" not in err  # a GIF holds one frame as long as asked


def test_a_file_name_that_is_not_utf8_is_linked_byte_for_byte(capsys, tmp_path):
    """`--out $'x\\xff.png' --embed md` wrote the file, then ended in "unexpected
    UnicodeEncodeError ... a bug"; `vizff page` on its folder wrote no page at all."""
    name = os.fsdecode(b"x\xff.png")  # what a Latin-1 system names a file
    out = tmp_path / name
    code, printed, err = run(capsys, "render", "sigmoid", "--size", "320x180", "--frame", "-1",
                             "--out", str(out), "--embed", "md")  # fmt: skip
    assert code == 0, err
    assert printed.splitlines()[-1].endswith("/x%FF.png)")
    (tmp_path / "plain.png").write_bytes(out.read_bytes())
    code, _, err = run(capsys, "page", str(tmp_path))
    assert code == 0, err
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'src="x%FF.png"' in page and 'data-file="x\ufffd.png"' in page
    assert 'src="plain.png"' in page


# ---- a third outside try (2026-12-01): text the frames take from names, not titles --------------
@pytest.mark.parametrize(
    "folder",
    ["line1\nline2", "שלום", "ab\u202ecd", "\u0301\u0303"],
    ids=["break", "he", "rlo", "marks"],
)
def test_a_data_folders_name_that_cannot_be_drawn_as_written_is_called_your_data(tmp_path, folder):
    """A folder named `line1\\nline2` cut the title to "The input: line1"; a Hebrew name was drawn
    backwards; a U+202E reached the file's metadata and the --embed snippet."""
    from tests.conftest import write_idx_dir
    from vizff.draw.catalogue import catalogue
    from vizff.scenes import SCENES

    data = write_idx_dir(tmp_path / folder)
    for lang in ("en", "zh"):
        scene = SCENES["mosaic"](data=str(data), size=(640, 360), lang=lang)
        scene.load()
        ours = catalogue(lang)("data.folder")
        assert ours in scene.title() and folder not in scene.title()
    out = tmp_path / "m.gif"
    result = vizff.render.render_scene("mosaic", out, data=str(data), size=(320, 180))
    assert "\u202e" not in (result.title or "") and "\n" not in (result.title or "")


@pytest.mark.parametrize(
    ("names", "said"),
    [
        ("ze\nro,one", 'the name "ze\\nro" has a line break'),
        ("zero,שלום", 'the name "שלום" is written right to left'),
        ("a\u202eb,c", 'the name "a\\u202eb" is written right to left'),
        ("\u0301,b", "has nothing to draw"),
    ],
)
def test_class_names_the_frames_cannot_show_as_written_are_refused(capsys, tmp_path, names, said):
    code, _, err = run(capsys, "render", "mosaic", "--set", "labels=true", "--classes", names,
                       "--out", str(tmp_path / "c.gif"))  # fmt: skip
    assert code == 2 and said in one_line(err) and err.startswith("error: --classes ")
    assert not (tmp_path / "c.gif").exists()


def test_bidi_controls_never_reach_a_files_title():
    from vizff.writers import file_title

    assert file_title("ab\u202ecd\u2067ef\u2069") == "abcdef"
    assert file_title("\u202d\u202c") is None


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--title", "Hello", "--subtitle", "龘"], "error: --subtitle 龘: no font here has 龘"),
        (["--title", "龘", "--subtitle", "hi"], "error: --title 龘: no font here has 龘"),
        (["--title", os.fsdecode(b"caf\xe9")], "is not UTF-8 text (the byte 0xE9)"),
        (["--title", "\u0301\u0303"], "has nothing to draw"),
        (["--subtitle", "\u0301"], "error: --subtitle \u0301: has nothing to draw"),
        (
            ["--title", "a\x07b\x1b"],
            "error: --title a\\x07b\\x1b: has a control character "
            "(U+0007, U+001B), which draws nothing; leave it out",
        ),  # fmt: skip
        (["--subtitle", "x\x7f"], "has a control character (U+007F)"),
    ],
)
def test_a_title_or_subtitle_is_refused_under_its_own_name_for_what_it_is(
    capsys, tmp_path, argv, said
):
    """`--title Hello --subtitle 龘` was reported as `--title Hello龘`; bytes a Latin-1 terminal
    sent were blamed on fonts; a title of combining marks alone was drawn as a smudge."""
    code, _, err = run(capsys, "render", "sigmoid", "--size", "320x180", *argv,
                       "--out", str(tmp_path / "t.png"))  # fmt: skip
    assert code == 2 and said in one_line(err)


def test_a_right_to_left_mark_in_a_left_to_right_title_is_dropped_not_refused(capsys, tmp_path):
    """U+200F was refused as "right-to-left letters (‏)", the parentheses looking empty."""
    code, _, err = run(capsys, "render", "sigmoid", "--size", "320x180", "--title", "A\u200fB",
                       "--out", str(tmp_path / "t.png"))  # fmt: skip
    assert code == 0, err


def test_a_language_table_holding_a_table_says_the_text_must_be_a_string(capsys, tmp_path):
    """`title = {en = {x = 1}}` said '"x" is not a language of vizff', quoting {x = 1}."""
    path = write(tmp_path, '[[part]]\ncard = "title"\ntitle = {en = {x = 1}}\n')
    code, _, err = run(capsys, "render", str(path), "--out", str(tmp_path / "x.gif"))
    assert code == 2
    assert one_line(err) == (
        f'error: {path}: part 1 ("title card"): title = {{en = {{x = 1}}}}: the en text must be '
        "a string, got a table {x = 1}\n"
    )


def test_a_data_link_that_loops_is_called_so(capsys, tmp_path, monkeypatch):
    """`--data loop1` (loop1 -> loop2 -> loop1) said "no such folder"."""
    monkeypatch.chdir(tmp_path)
    os.symlink("loop2", "loop1")
    os.symlink("loop1", "loop2")
    code, _, err = run(capsys, "data", "info", "--data", "loop1")
    assert code == 2
    assert (
        one_line(err)
        == "error: --data loop1: is a link to loop2, which does not exist (or loops)\n"
    )


def test_a_latin_font_asked_for_chinese_says_the_language_asks_for_it(capsys, tmp_path):
    import matplotlib

    font = Path(matplotlib.get_data_path(), "fonts/ttf/DejaVuSans.ttf")
    code, _, err = run(capsys, "render", "sigmoid", "--size", "320x180", "--font", str(font),
                       "--lang", "zh", "--out", str(tmp_path / "x.png"))  # fmt: skip
    assert code == 2 and "which scene sigmoid's words in zh use: pass a font" in one_line(err)


def test_a_folder_named_like_an_option_is_shown_how_to_write_it(capsys, tmp_path, monkeypatch):
    """`vizff page -dashdir` said only "No such option: -d"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-dashdir").mkdir()
    code, _, err = run(capsys, "page", "-dashdir")
    assert code == 2
    assert one_line(err) == (
        "error: No such option: -d; -dashdir is a file or folder here: write it ./-dashdir, "
        "or after --\n"
    )
    code, _, err = run(capsys, "page", "--bogus")
    assert code == 2 and "file or folder" not in err


# ---- a fuzzing pass (955 mutants of the scene files, paths, flags and API calls) ---------------
def test_a_device_named_like_a_scene_file_is_refused_not_read_until_memory_runs_out(tmp_path):
    """`z.toml` linked to /dev/zero was read whole: all the memory, then "out of memory (no
    detail)"; a storyboard the same. Run in a process held to 3 GB, so that a regression
    fails here rather than taking the machine's memory."""
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    os.symlink("/dev/zero", tmp_path / "z.toml")
    for extra in ([], ["--out", "lesson"]):
        done = subprocess.run(
            [sys.executable, "-m", "vizff", "render", "z.toml", *extra],
            capture_output=True, text=True, cwd=tmp_path, timeout=120, preexec_fn=limited,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert one_line(done.stderr) == "error: z.toml: is a device, not a .toml file\n"
    assert sorted(os.listdir(tmp_path)) == ["z.toml"]


def test_a_pipe_is_read_only_up_to_what_a_scene_file_could_be(tmp_path, monkeypatch):
    from vizff import recipes
    from vizff.errors import ConfigError

    monkeypatch.setattr(recipes, "MAX_TOML_BYTES", 1000)
    path = tmp_path / "big.toml"
    path.write_text('scene = "sigmoid"\n' + "# a comment\n" * 200)
    with pytest.raises(ConfigError, match=r"big\.toml: is over 0 MB, too large to be a scene"):
        recipes.read_toml(path)


@pytest.mark.parametrize(
    "call, said",
    [
        (lambda: vizff.render.render_scene("a\x00.toml", "x.gif"),
         r"^a\\x00\.toml: a path cannot hold a NUL character$"),
        (lambda: render_storyboard("\x00", "x.mp4"),
         r"^\\x00: a path cannot hold a NUL character$"),
        (lambda: vizff.render.render_scene("bad\nname.toml", "x.gif"),
         r"^bad\\nname\.toml: no such file$"),
        (lambda: render_storyboard("a" * 100_000 + ".toml", "x.mp4"),
         r"^a{199}… \(100,005 characters\): cannot be read \(File name too long\)$"),
    ],
)  # fmt: skip
def test_a_scene_files_path_is_shown_escaped_and_short_and_a_nul_is_named(
    tmp_path, monkeypatch, call, said
):
    """A NUL in the path was "holds a whole number of over 4,300 digits" (open()'s ValueError
    taken for tomllib's); a line break split the message; a 100,000-character name was quoted
    whole."""
    from vizff.errors import VizffError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(VizffError) as error:
        call()
    assert re.search(said, str(error.value)), str(error.value)


def test_a_long_data_or_font_path_names_its_option(capsys, tmp_path, monkeypatch):
    """`--data aaa…` said "aaa…: File name too long" (exit 1), naming no option; a scene
    file's `data =` the same."""
    monkeypatch.chdir(tmp_path)
    long = "a" * 300
    for flag, value in (("--data", long), ("--font", long + ".ttf")):
        code, _, err = run(capsys, "render", "mosaic", flag, value, "--out", "x.gif")
        assert code == 2, err
        assert one_line(err).startswith(f"error: {flag} {'a' * 199}… (")
        assert one_line(err).endswith("): cannot be read (File name too long)\n")
    (tmp_path / "m.toml").write_text(f'scene = "mosaic"\ndata = "{long}"\n')
    code, _, err = run(capsys, "render", "m.toml", "--out", "x.gif")
    assert code == 2 and one_line(err).startswith("error: m.toml: data = ")
    assert not (tmp_path / "x.gif").exists()


def test_a_lessons_output_on_a_device_is_not_called_a_file(capsys):
    code, _, err = run(capsys, "render", str(small_board_path()), "--out", "/dev/null")
    assert code == 2 and one_line(err) == (
        "error: --out /dev/null: is not a file or folder (a device or pipe); a path without an "
        "extension names a folder\n"
    )


def small_board_path() -> Path:
    return Path(__file__).resolve().parents[1] / "scenes" / "lesson.toml"


@pytest.mark.parametrize(
    "text, said",
    [
        ('Scene = "sigmoid"\n', 'the key "Scene" is not one; did you mean scene? a scene file'),
        ('"scene " = "sigmoid"\n', 'the key "scene " is not one; did you mean scene? '),
        ('[[part]]\nacrd = "title"\n', 'part 1: the key "acrd" is not one; did you mean card? '),
        ('scene = "sigmoid"\n[[part]]\ncard = "title"\n',
         'scene = "sigmoid": a storyboard names a scene in each [[part]]; this file has both'),
    ],
)  # fmt: skip
def test_a_miswritten_scene_or_card_key_is_named(capsys, tmp_path, monkeypatch, text, said):
    """`Scene =` or `acrd =` got only "needs a line scene = ...", and a file with both a scene
    line and [[part]] tables was told `scene`: did you mean "seed"?"""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.toml").write_text(text)
    code, _, err = run(capsys, "render", "f.toml", "--out", "x.gif")
    assert code == 2 and one_line(err).startswith(f"error: f.toml: {said}"), err


def test_a_value_whose_repr_raises_is_named_by_its_type():
    class Odd:
        def __repr__(self):
            raise RuntimeError("boom")

    with pytest.raises(OptionError) as error:
        vizff.render.render_scene(Odd(), "x.gif")
    assert str(error.value).startswith("scene=a Odd: not a scene;")  # str() itself raised


@pytest.mark.parametrize("jobs", ["1.5", "nan", "-", "two"])
def test_jobs_that_is_not_a_whole_number_reads_as_every_other_flag(capsys, jobs):
    code, _, err = run(capsys, "render", "sigmoid", "--jobs", jobs)
    assert (
        code == 2 and one_line(err) == f"error: --jobs {jobs}: expected a whole number, 1 to 256\n"
    )


def test_a_language_key_with_a_line_break_is_shown_escaped():
    """Found by the random recipes test: `subtitle={"\\n": 0}` gave a message in two lines."""
    with pytest.raises(OptionError) as error:
        vizff.render.render_scene("mosaic", "x.png", subtitle={"\n": 0})
    assert str(error.value).startswith("subtitle={'\\n': 0}: \"\\n\" is not a language of vizff")
    assert "\n" not in str(error.value)


def test_an_option_that_took_the_next_flag_as_its_value_is_named(capsys):
    """`--fps --frame -1` said only "No such option: -1": --fps had taken --frame as its
    value. A flag that takes no value (--poster) is not blamed."""
    code, _, err = run(capsys, "render", "loss", "--fps", "--frame", "-1")
    assert code == 2 and one_line(err) == (
        "error: --fps took --frame as its value: give --fps one, e.g. --fps VALUE --frame "
        "(or write --fps=--frame for that very value)\n"
    )
    code, _, err = run(capsys, "render", "loss", "--fps", "--bogus", "-1")  # not a flag of ours
    assert code == 2 and one_line(err) == (
        "error: No such option: -1; --fps took --bogus as its value: give --fps one, e.g. "
        "--fps VALUE --bogus\n"
    )
    code, _, err = run(capsys, "render", "loss", "--poster", "--bogus", "-1")
    assert code == 2 and "took" not in one_line(err)


def test_a_folder_or_file_option_given_a_flag_says_so_and_writes_nothing(capsys, tmp_path):
    """`--out-dir --Steps 5` read "scene 5: not a scene", and `--out-dir --steps` rendered
    into a new folder named --steps: the option took the flag (in any case) as its value."""
    os.chdir(tmp_path)
    for typed, flag, taken in (
        (["render", "--out-dir", "--Steps", "5"], "--out-dir", "--Steps"),
        (["render", "loss", "--out-dir", "--steps"], "--out-dir", "--steps"),
        (["render", "--out", "--fps", "5", "loss"], "--out", "--fps"),
        (["train", "--lr", "--epochs", "1"], "--lr", "--epochs"),
    ):
        code, out, err = run(capsys, *typed)
        assert (
            code == 2
            and out == ""
            and one_line(err)
            == (
                f"error: {flag} took {taken} as its value: give {flag} one, e.g. {flag} VALUE "
                f"{taken} (or write {flag}={taken} for that very value)\n"
            )
        ), typed
    assert list(tmp_path.iterdir()) == []
    code, _, _ = run(capsys, "render", "loss", "--out-dir=--x", "--steps", "3", "--size", "480x270")
    assert code == 0 and [p.name for p in tmp_path.iterdir()] == ["--x"]


def test_class_names_one_alone_and_too_long_are_told_apart(capsys, tmp_path):
    """`--classes cat` was refused as not digits or fashion with no way to give one name, and
    a 51-character name was refused without saying which."""
    out = str(tmp_path / "m.png")
    code, _, err = run(capsys, "render", "mosaic", "--classes", "cat", "--frame", "0", "--out", out)
    assert code == 2 and one_line(err) == (
        "error: --classes cat: must be one of digits, fashion, or a list of up to ten names "
        '(one name alone: --classes "cat,")\n'
    )
    code, _, err = run(capsys, "render", "mosaic", "--classes", "cat,", "--set", "labels=true",
                       "--frame", "-1", "--out", out)  # fmt: skip
    assert code == 0 and err == ""
    scene = vizff.scenes.SCENES["mosaic"](classes="cat,")
    assert scene.class_names() == ["cat", *map(str, range(1, 10))]
    long = "b" * 51
    code, _, err = run(capsys, "render", "mosaic", "--classes", f"a,{long},c", "--frame", "0",
                       "--out", out)  # fmt: skip
    assert code == 2 and one_line(err) == (
        f'error: --classes a,{long},c: the name "{"b" * 20}…" has 51 characters; give each 1 '
        "to 40\n"
    )
    for typed in ("cat,,", ","):
        code, _, err = run(capsys, "render", "mosaic", "--classes", typed, "--out", out)
        assert code == 2 and "give up to ten names" in err


def test_an_error_line_is_printed_even_when_rich_cannot_print_it(capsys, monkeypatch):
    """Under `ulimit -v 200000` a MemoryError while importing matplotlib met a second one in
    rich's console (importing its emoji table): 75 lines of traceback. The line is written
    plainly then."""
    from vizff import cli

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cli.err, "print", no_memory)
    with pytest.raises(SystemExit) as exit_:
        cli.fail("error: out of memory (no detail); use fewer hidden units", 1)
    assert exit_.value.code == 1
    assert capsys.readouterr().err == "error: out of memory (no detail); use fewer hidden units\n"


def test_a_library_that_cannot_be_mapped_is_out_of_memory_not_a_bug(capsys, monkeypatch):
    """Under `ulimit -v 150000` an extension module could not be mapped: "unexpected
    ImportError ... this is a bug in vizff". It is the memory limit, and is said so."""
    import vizff.data

    def unmappable(*args, **kwargs):
        raise ImportError("/x/_core.cpython-311.so: failed to map segment from shared object")

    monkeypatch.setattr(vizff.data, "load_digits", unmappable)
    code, _, err = run(capsys, "train", "--steps", "1")
    assert code == 1 and one_line(err) == (
        "error: out of memory loading a library vizff needs; allow this process more memory "
        "(ulimit -v), or close other programs\n"
    )


def test_a_snippet_asked_for_with_standard_output_closed_is_an_error(tmp_path):
    """`vizff render ... --embed md >&-` exited 0 with no word: the snippet, what was asked
    for, went nowhere (with stdout on /dev/full it said so). Without --embed, 0 is right."""
    out = tmp_path / "e.gif"
    base = [sys.executable, "-m", "vizff", "render", "sigmoid", "--size", "320x180",
            "--set", "frames=3", "--out", str(out)]  # fmt: skip
    for extra, code in ((["--embed", "md"], 1), ([], 0)):
        done = subprocess.run([*base, *extra], capture_output=False, stderr=subprocess.PIPE,
                              text=True, preexec_fn=lambda: os.close(1), timeout=120)  # fmt: skip
        assert done.returncode == code, done.stderr
        if code:
            assert done.stderr.splitlines()[-1] == (
                f"error: cannot write to the standard output (it is closed); {out} was written"
            )
        assert out.exists()


def test_ffmpeg_failing_under_a_memory_limit_names_the_limit(monkeypatch):
    """Under `ulimit -v 800000` an MP4 failed with "ffmpeg failed (exit status 187):
    Terminating thread with return code -542398533 (Generic error in an external library)":
    nothing said memory, nor what to do. Where memory is limited, the limit is named."""
    import resource

    from vizff.writers import Ffmpeg

    words = "Terminating thread with return code -22 (Invalid argument)"
    fake = [sys.executable, "-c", f"import sys; sys.stderr.write({words!r} + '\\n'); sys.exit(187)"]
    real = resource.getrlimit

    def said(limit):
        monkeypatch.setattr(
            resource, "getrlimit",
            lambda which: (limit, limit) if which == resource.RLIMIT_AS else real(which),
        )  # fmt: skip
        return str(Ffmpeg(fake, "m.mp4", stdin=subprocess.DEVNULL).failure())

    assert said(resource.RLIM_INFINITY) == f"m.mp4: ffmpeg failed (exit status 187): {words}"
    assert said(800_000 * 1024) == (
        f"m.mp4: ffmpeg failed (exit status 187): {words}; memory is limited here (ulimit -v "
        "800,000 KB), maybe too little for the encoder: raise it (e.g. ulimit -v unlimited), "
        "or write a .gif"
    )


def test_portrait_4k_is_a_size_and_a_scene_too_small_one_way_says_which(capsys, tmp_path):
    """2160x3840 (a phone's vertical video at 4K) was refused: "width must be 160 to 3840 and
    height 90 to 2160", though the README says 4K in portrait too; `4k` was no size's name.
    And forward at 1000x200 read "needs at least 480x270", though 1000 is wider than 480."""
    from vizff.options import parse_size

    assert parse_size("2160x3840") == (2160, 3840) and parse_size("3840x2160") == (3840, 2160)
    assert parse_size("4K") == parse_size("2160p") == (3840, 2160)
    for bad in ("2161x3840", "3841x100", "2200x2200"):
        with pytest.raises(OptionError, match="or in portrait up to 2160x3840"):
            parse_size(bad)
    frame = vizff.scenes.SCENES["card"](size=(2160, 3840), card="title").frames()
    assert next(iter(frame)).shape == (3840, 2160, 3)
    out = str(tmp_path / "f.png")
    for size, said in (("1000x200", " (a height of 270 or more)"), ("360x640", " (a width of 480 "
                       "or more)"), ("320x180", "")):  # fmt: skip
        code, _, err = run(capsys, "render", "forward", "--size", size, "--out", out)
        assert code == 2 and one_line(err) == (
            f"error: --size {size}: scene forward needs at least 480x270{said} for its text to "
            "stay legible and apart; choose a larger size\n"
        )


def test_a_read_only_output_is_left_as_it_is(capsys, tmp_path):
    """A 0444 output was replaced without a word (the render renames a new file over it,
    which a file's mode does not stop, and root writes anything): the mode says keep it,
    as `cp` and editors take it. The render is refused before any work; the file is as
    it was; a poster is kept the same way; made writable, it is replaced."""
    out = tmp_path / "ro.gif"
    args = ["render", "sigmoid", "--size", "320x180", "--set", "frames=3"]
    assert run(capsys, *args, "--out", str(out))[0] == 0
    out.chmod(0o444)
    before = out.read_bytes()
    code, _, err = run(capsys, *args, "--hold", "0", "--out", str(out))
    assert code == 2 and one_line(err) == (
        f"error: --out {out}: is read-only (mode 444), so vizff leaves it as it is; make it "
        "writable (chmod u+w) or name another file\n"
    )
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["ro.gif"]
    video = tmp_path / "v.mp4"
    assert run(capsys, *args, "--poster", "--out", str(video))[0] == 0
    poster = tmp_path / "v.poster.png"
    poster.chmod(0o400)
    code, _, err = run(capsys, *args, "--poster", "--out", str(video))
    assert code == 2 and f"--poster: {poster} is read-only (mode 400)" in err
    out.chmod(0o644)
    assert run(capsys, *args, "--hold", "0", "--out", str(out))[0] == 0
    assert out.read_bytes() != before
    with pytest.raises(OptionError, match="is read-only"):
        out.chmod(0o444)
        vizff.render.render_scene("sigmoid", out, size=(320, 180), frames=3)
