import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.test_cli import run

QUICK = ["--steps", "6", "--every", "2", "--hidden", "4"]


def vizff(*argv: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vizff", *argv], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_render_reports_path_frames_size_and_time(capsys, tmp_path):
    out = tmp_path / "w.gif"
    code, stdout, _ = run(capsys, "render", "weights", *QUICK, "--out", str(out))
    assert code == 0
    path, frames, *_ = stdout.split("  ")
    assert path == str(out) and frames == "4 frames, 1.7 s" and stdout.strip().endswith(" s)")
    assert Image.open(out).n_frames == 4


def test_render_png_frame_and_folder(capsys, tmp_path):
    code, *_ = run(
        capsys,
        "render",
        "sigmoid",
        "--set",
        "frames=5",
        "--frame",
        "0",
        "--out",
        str(tmp_path / "first.png"),
    )
    assert code == 0 and Image.open(tmp_path / "first.png").size == (640, 360)
    # a still says which frame it is, as --frame counts (it said "1 frame", or "5 frames")
    for frame, shown in (("2", "frame 2"), ("-1", "frame 4"), ("-2", "frame 3")):
        code, out, _ = run(capsys, "render", "sigmoid", "--set", "frames=5", "--size", "320x180",
                           "--frame", frame, "--out", str(tmp_path / "s.png"))  # fmt: skip
        assert code == 0 and out.split("  ")[1] == shown
    from vizff.render import render_scene

    assert render_scene("sigmoid", tmp_path / "r.png", frames=5, frame=1).still == 1
    code, *_ = run(
        capsys,
        "render",
        "sigmoid",
        "--set",
        "frames=5",
        "--size",
        "320x180",
        "--out",
        str(tmp_path / "frames"),
    )
    assert code == 0 and len(list((tmp_path / "frames").glob("frame_*.png"))) == 5


def test_render_all_from_a_scenes_dir(capsys, tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "a.toml").write_text('scene = "mosaic"\nreveal = 3\nrows = 2\ncols = 2\n')
    (scenes / "b.toml").write_text('scene = "softmax"\nframes = 3\nout = "soft.webp"\n')
    code, stdout, _ = run(
        capsys, "render", "--all", "--scenes-dir", str(scenes), "--out-dir", str(tmp_path / "o")
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.gif", "soft.webp"]
    assert len(stdout.strip().splitlines()) == 2


def test_scenes_lists_every_scene(capsys):
    code, stdout, _ = run(capsys, "scenes")
    assert code == 0
    from vizff.scenes import SCENES

    assert [line.split()[0] for line in stdout.strip().splitlines()] == list(SCENES)


def test_scenes_name_lists_its_own_options(capsys):
    code, stdout, _ = run(capsys, "scenes", "mosaic")
    assert code == 0 and "labels = false" in stdout and 'split = "test"' in stdout
    code, _, err = run(capsys, "scenes", "nosuch")
    assert code == 2 and "nosuch: not a scene" in err


@pytest.mark.parametrize("name", ["mosaic", "gradients", "forward", "card"])
def test_scenes_name_says_the_smallest_size_the_scene_takes(capsys, name):
    """The README sends the reader to `vizff scenes NAME` for a scene's smallest size."""
    from vizff.errors import OptionError
    from vizff.scenes import SCENES

    code, stdout, _ = run(capsys, "scenes", name)
    width, height = map(int, re.search(r"size = .*at least (\d+)x(\d+)", stdout).groups())
    SCENES[name](size=(width, height))
    for smaller in ((width - 2, height), (width, height - 2)):
        # the scene's own floor, or vizff's for every scene (160x90) where the two agree
        said = f"needs at least {width}x{height}|width must be {width} to .* height {height} to"
        with pytest.raises(OptionError, match=said):
            SCENES[name](size=smaller)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["render", "nosuch"], "nosuch: not a scene"),
        (["render", "weights", "--size", "10x10"], "--size 10x10: width must be"),
        (["render", "weights", "--size", "-640x360"], "--size -640x360: width must be"),
        (["render", "weights", "--size", "99999x99999"], "--size 99999x99999: width must be"),
        (["render", "weights", "--size", "10**20x2".replace("10**20", "9" * 20)], ": width must"),
        (["render", "weights", "--size", "640x"], "--size 640x: write it as WIDTHxHEIGHT"),
        (["render", "weights", "--set", "size=[640, 360, 3]"], 'such as "1280x720", "720p" or'),
        (["render", "weights", "--fps", "0"], "--fps 0: must be"),
        (["render", "sigmoid", "--set", "scene=loss"], "--set scene=loss: not an option"),
        (["render", "weights", "--fps", "120"], "--fps 120"),
        (["render", "weights", "--steps", "-1"], "--steps -1: must be 0 to"),
        (["render", "weights", "--steps", "10", "--every", "20"], "--every 20: must be 1 to 10"),
        (["render", "weights", "--hidden", "0"], "--hidden 0"),
        (["render", "sigmoid", "--frame", "500", "--out", "x.png"], "--frame 500"),
        (["render", "sigmoid", "--frame", "1"], "--frame"),
        (["render", "sigmoid", "--out", "x.avi"], "unknown format '.avi'"),
        (["render", "sigmoid", "--set", "nosuch=1"], "--set nosuch=1: not an option"),
        (["render", "sigmoid", "--set", "frames"], "--set frames: write KEY=VALUE"),
        (["render", "sigmoid", "--hidden", "64"], "--hidden 64: scene sigmoid does not take"),
        (["render", "mosaic", "--steps", "30"], "--steps 30: scene mosaic does not take"),
        (["render", "weights", "--size", "641x360", "--out", "x.mp4"], "even width and height"),
        (["render"], "name a scene"),
        (["render", "loss", "--epochs", "2", "--steps", "4"], "--epochs 2: give epochs or steps"),
        (["render", "loss", "--epochs", "0"], "--epochs 0"),
        (["render", "weights", "--hold", "-1"], "--hold -1"),
        (["render", "weights", "--hold", "nan"], "--hold nan: must be a finite number"),
        (["render", "softmax", "--seed", "-1"], "--seed -1"),
        (["render", "softmax", "--seed", str(2**64)], "must be 0 to 9,223,372,036,854,775,807"),
        (["render", "softmax", "--fps", "1000", "--out", "x.mp4"], "--fps 1000"),
        (["render", "softmax", "--set", "low=nan"], "--set low=nan: must be a finite number"),
        (["render", "weights", "--batch-size", "0"], "--batch-size 0"),
        (["render", "weights", "--lr", "inf"], "--lr inf"),
        (["render", "weights", "--activation", "tahn"], 'did you mean "tanh"'),
        (["render", "weights", "--theme", "blue"], "--theme blue: must be one of light, dark"),
        (["render", "weights", "--lang", "fr"], "--lang fr: must be one of en, zh"),
        (
            ["render", "weights", "loss", "--out", "x.gif"],
            "--out: only with a single scene, not 2 (weights, loss); use --out-dir",
        ),
        (
            ["render", "weights", "--data", "/no/such/dir", "--steps", "2", "--every", "1"],
            "/no/such/dir",
        ),
        (["render", "sigmoid", "--title", "龘 𝔸"], "--title 龘 𝔸: no font here has"),
    ],
)
def test_render_errors_one_line_nothing_written(capsys, tmp_path, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code in (1, 2)
    assert err.startswith("error: ") and needle in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.rglob("*")) == []  # no output, no temporary file, no outputs/ folder


def test_diverging_render_is_a_clear_error_and_keeps_the_old_file(capsys, tmp_path):
    out = tmp_path / "w.gif"
    out.write_bytes(b"old")
    code, _, err = run(
        capsys,
        "render",
        "weights",
        "--activation",
        "relu",
        "--lr",
        "1e6",
        "--steps",
        "30",
        "--every",
        "1",
        "--out",
        str(out),
    )
    assert code == 1 and "diverged" in err and "learning rate" in err
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["w.gif"]


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png"])
def test_two_processes_give_the_same_bytes(tmp_path, suffix):
    args = ["render", "weights", *QUICK, "--seed", "7"]
    a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    assert vizff(*args, "--out", str(a)).returncode == 0
    assert vizff(*args, "--out", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert vizff(*[x if x != "7" else "8" for x in args], "--out", str(b)).returncode == 0
    assert a.read_bytes() != b.read_bytes()


def test_two_processes_give_the_same_mp4(tmp_path):
    import imageio_ffmpeg

    frames = []
    for name in ("a.mp4", "b.mp4"):
        assert vizff("render", "weights", *QUICK, "--out", str(tmp_path / name)).returncode == 0
        reader = imageio_ffmpeg.read_frames(str(tmp_path / name))
        next(reader)
        frames.append(b"".join(reader))
    assert frames[0] == frames[1]
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_an_mp4_has_the_same_bytes_on_one_core_and_on_every_core(tmp_path):
    """x264 picks its thread count from the cores it may use, and the count changes the
    bytes it writes (frame threads decide with less lookahead); the writer pins it, so a
    render is the same file on a laptop, a CI runner and a many-core workstation."""
    cores = sorted(os.sched_getaffinity(0))
    assert len(cores) >= 2, "this check needs two cores to compare one against"
    outputs = []
    for allowed in ({cores[0]}, set(cores)):
        out = tmp_path / f"{len(allowed)}.mp4"
        done = subprocess.run(
            [sys.executable, "-m", "vizff", "render", "softmax", "--set", "frames=12",
             "--size", "640x360", "--out", str(out)],
            capture_output=True, text=True, timeout=300,
            preexec_fn=lambda allowed=allowed: os.sched_setaffinity(0, allowed),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def temp_bytes(folder) -> int:
    return sum(p.stat().st_size for p in folder.glob(".vizff-*"))


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_interrupted_render_keeps_the_previous_output(tmp_path, sig, suffix):
    out = tmp_path / f"w{suffix}"
    out.write_bytes(b"yesterday's good render")
    command = ["render", "sigmoid", "--set", "frames=5000", "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "vizff", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # frames on disk: a GIF's first 60 KB; an MP4's first bytes (x264 writes nothing until its
    # lookahead is full, then little: 60 KB took 10 s of the suite for each signal)
    least = 60_000 if suffix == ".gif" else 1
    try:
        deadline = time.monotonic() + 60
        while temp_bytes(tmp_path) < least and time.monotonic() < deadline:
            time.sleep(0.02)
        assert temp_bytes(tmp_path) >= least, "the render never got going"
        assert process.poll() is None, "the render ended before it could be interrupted"
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 128 + sig, err  # 130, 143, 129 or 131, by the signal
        assert "Traceback" not in err and "interrupted" in err
    finally:
        if process.poll() is None:  # never leave a render running after a failure
            process.kill()
            process.wait()
    assert out.read_bytes() == b"yesterday's good render"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_python_api(tmp_path):
    from vizff.render import render_scene

    result = render_scene("loss", tmp_path / "l.gif", steps=10, every=5, size="320x180")
    assert result.frames == 3 and result.path.stat().st_size == result.bytes
    frame = np.asarray(Image.open(tmp_path / "l.gif").convert("RGB"))
    assert frame.shape == (180, 320, 3)


@pytest.mark.parametrize("repeat", range(3))
def test_a_second_ctrl_c_during_cleanup_is_no_traceback(tmp_path, repeat):
    out = tmp_path / "l.mp4"
    out.write_bytes(b"kept")
    command = [sys.executable, "-m", "vizff", "render", "loss", "--steps", "3000", "--every", "1"]
    process = subprocess.Popen(
        [*command, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while temp_bytes(tmp_path) < 20_000 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, "the render ended before it could be interrupted"
        for _ in range(4):  # an impatient user: Ctrl-C, Ctrl-C, Ctrl-C...
            process.send_signal(signal.SIGINT)
            time.sleep(0.01 * repeat)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "error: interrupted; no output was changed"
    assert out.read_bytes() == b"kept" and [p.name for p in tmp_path.iterdir()] == ["l.mp4"]


def loading(process: subprocess.Popen, what: str = "_multiarray_umath") -> None:
    """Wait until the process has mapped a library of numpy's: it is importing the CLI."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if what in Path(f"/proc/{process.pid}/maps").read_text():
                return
        except OSError:
            pass
        time.sleep(0.002)
    pytest.fail(f"the CLI did not start importing numpy in 30 s (exit {process.poll()})")


@pytest.mark.parametrize(
    "delay, sig",
    [
        (0.0, signal.SIGINT),
        (0.12, signal.SIGINT),
        (0.25, signal.SIGINT),
        (0.4, signal.SIGINT),
        (0.2, signal.SIGTERM),
    ]
    + [(0.2, signal.SIGQUIT)],
)
def test_ctrl_c_while_vizff_is_still_loading_is_one_line(tmp_path, delay, sig):
    """In the first moments the CLI is still importing numpy and matplotlib: a Ctrl-C there
    raised KeyboardInterrupt in an import and printed its traceback. A `kill` then exits 143,
    as a shell reports SIGTERM, not Ctrl-C's 130; Ctrl-\\ (SIGQUIT) dumped core, no word.
    The delay counts from numpy's library being loaded: on a busy machine Python's own start
    (its site module, before any code of vizff's can run) took longer than the delay."""
    process = subprocess.Popen(
        [sys.executable, "-m", "vizff", "render", "weights", "--out", str(tmp_path / "w.gif")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        loading(process)
        time.sleep(delay)
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert process.returncode in (128 + sig, -sig), err  # a shell says 128 + sig for both
    assert err.strip().splitlines() == ["error: interrupted; no output was changed"]
    assert list(tmp_path.iterdir()) == []


def test_the_size_line_counts_in_decimal_units_as_the_budget_does(capsys, tmp_path):
    """The line said 24.7 KB for a file of 25,334 bytes (1,024-byte units) while --max-bytes,
    the notes and a notebook count 1,000 bytes to the KB."""
    import re

    from vizff.cli import main

    out = tmp_path / "s.gif"
    with pytest.raises(SystemExit) as exit_:
        main(["render", "sigmoid", "--set", "frames=6", "--out", str(out)])
    assert exit_.value.code == 0
    shown = float(re.search(r" s  ([\d.]+) KB", capsys.readouterr().out)[1])
    assert shown == round(out.stat().st_size / 1000, 1)


def test_scenes_dir_that_is_missing_a_file_or_empty_says_which(capsys, tmp_path, monkeypatch):
    """A missing folder and a scene file given as --scenes-dir both read "no scene files
    (*.toml) there", as an empty folder does."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "w.toml").write_text('scene = "sigmoid"\n', encoding="utf-8")
    said = {
        (): "--scenes-dir scenes: no such folder; run --all where it is, or name one: "
        "--scenes-dir FOLDER",
        ("--scenes-dir", "w.toml"): "--scenes-dir w.toml: is a file; give the folder that holds "
        "it, or render it: vizff render w.toml",
        ("--scenes-dir", "empty"): "--scenes-dir empty: no scene files (*.toml) there",
    }
    for argv, message in said.items():
        code, out, err = run(capsys, "render", "--all", *argv)
        assert (code, out, err) == (2, "", f"error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "w.toml"]


def test_out_inside_an_out_dir_given_with_it(capsys, tmp_path, monkeypatch):
    """`--out a.gif --out-dir posts` wrote ./a.gif and ignored --out-dir without a word. A
    relative --out is inside the --out-dir given, as a scene file's `out` is."""
    monkeypatch.chdir(tmp_path)
    argv = ["render", "sigmoid", "--set", "frames=2", "--size", "320x180"]
    code, out, _ = run(capsys, *argv, "--out", "a.gif", "--out-dir", "posts")
    assert code == 0 and out.startswith("posts/a.gif ")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "posts",
        "posts/a.gif",
    ]
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "b.gif"), "--out-dir", "posts")
    assert code == 2 and err == (
        f"error: --out {tmp_path / 'b.gif'} and --out-dir posts: --out is a full path, so "
        "--out-dir has nothing to add; give one of them\n"
    )
    code, out, _ = run(capsys, *argv, "--out", "c.gif")  # without --out-dir: here, as before
    assert code == 0 and (tmp_path / "c.gif").is_file() and not (tmp_path / "outputs").exists()


def test_a_toml_name_in_any_case_is_a_file_and_another_file_is_told_to_be_renamed(
    capsys, tmp_path, monkeypatch
):
    """`vizff render SMALL.TOML` (an existing storyboard, named on Windows) said "scene
    SMALL.TOML: not a scene; scenes: mosaic, ..."; so did an existing lesson.txt."""
    monkeypatch.chdir(tmp_path)
    Path("S.TOML").write_text('scene = "sigmoid"\nframes = 2\nsize = "320x180"\n')
    Path("B.Toml").write_text('size = "320x180"\n[[part]]\ncard = "title"\nseconds = 0.2\n')
    code, stdout, err = run(capsys, "render", "S.TOML", "B.Toml", "--out-dir", "o")
    assert code == 0, err
    assert (tmp_path / "o" / "S.gif").stat().st_size and (tmp_path / "o" / "B.mp4").stat().st_size
    Path("lesson.txt").write_text(Path("B.Toml").read_text())
    code, stdout, err = run(capsys, "render", "lesson.txt")
    assert code == 2 and err == (
        "error: scene lesson.txt: is a file, but scene files and storyboards are read only "
        "with a .toml name; rename it to end in .toml\n"
    )


def test_the_line_says_how_long_the_file_plays_and_apart_how_long_it_took(capsys, tmp_path):
    """`clip.mp4  6 frames  1.0 KB  3.1 s` was read as a 3-second clip: the time it plays
    (here 6 frames at 12 fps and a 1 s hold, counted in the file by ffmpeg) is now beside the
    frames, and the render's own time is named."""
    import re

    import imageio_ffmpeg

    from vizff.cli import main

    out = tmp_path / "clip.mp4"
    args = ["render", "sigmoid", "--set", "frames=6", "--fps", "12", "--hold", "1"]
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--size", "320x180", "--out", str(out)])
    assert exit_.value.code == 0
    line = capsys.readouterr().out.strip()
    count, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert count == 18
    found = re.fullmatch(
        r".*clip\.mp4  6 frames, ([\d.]+) s  [\d.]+ KB  \(rendered in [\d.]+ s\)", line
    )
    assert found and float(found[1]) == round(count / 12, 1), line


@pytest.mark.parametrize(
    "seconds, said",
    [(0.3, "0.3 s"), (7.56, "7.6 s"), (59.94, "59.9 s"), (59.96, "1 min 00 s"),
     (312.4, "5 min 12 s"), (3599.4, "59 min 59 s"), (3599.6, "1 h 00 min"),
     (3725, "1 h 02 min"), (36000, "10 h 00 min"),
     # halves up, as the number reads: 151 frames at 20 fps said "7.5 s" (binary 7.549999...)
     (7.55, "7.6 s"), (151 / 20, "7.6 s"), (0.25, "0.3 s"), (89.5, "1 min 30 s"),
     (3599.5, "1 h 00 min"), (150 * 60 + 30, "2 h 31 min")],
)  # fmt: skip
def test_lengths_read_as_a_person_says_them(seconds, said):
    """Every length a summary line, a storyboard's and a notebook's show goes through here."""
    from vizff.render import duration

    assert duration(seconds) == said
