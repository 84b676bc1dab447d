"""--max-bytes: the file never exceeds the budget, the reduction is the documented one and no
more than needed, and an impossible budget is refused with the target left as it was."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import vizff.budget as budget
from vizff.cli import main
from vizff.errors import OptionError
from vizff.render import render_scene

RUN = {"steps": 120, "every": 3}  # 41 frames of the weights scene at 640x360


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> dict[str, Path]:
    """The same render with no budget, as GIF and WebP."""
    folder = tmp_path_factory.mktemp("plain")
    return {
        kind: render_scene("weights", folder / f"w.{kind}", **RUN).path for kind in ("gif", "webp")
    }


def decoded(path: Path) -> tuple[list[np.ndarray], list[int]]:
    """Every frame of an animation as RGB, and each frame's duration in ms (Pillow)."""
    image = Image.open(path)
    frames, durations = [], []
    for index in range(image.n_frames):
        image.seek(index)
        frames.append(np.asarray(image.convert("RGB")))
        durations.append(image.info["duration"])
    return frames, durations


def stated(result) -> str:
    (note,) = [n for n in result.notes if "fit" in n]
    return note


def test_a_budget_already_met_changes_no_byte(plain, tmp_path):
    size = plain["gif"].stat().st_size
    result = render_scene("weights", tmp_path / "w.gif", max_bytes=size, **RUN)
    assert result.path.read_bytes() == plain["gif"].read_bytes()
    assert stated(result) == f"fits {size:,} bytes as it is: {size:,} bytes"


def test_the_frame_step_keeps_the_original_frames_each_shown_longer(plain, tmp_path):
    limit = int(plain["gif"].stat().st_size * 0.8)
    result = render_scene("weights", tmp_path / "w.gif", max_bytes=limit, **RUN)
    assert result.path.stat().st_size <= limit
    assert "every 2nd frame (at 10 fps, the same length)" in stated(result)
    assert "instead of" not in stated(result) and "colours" not in stated(result)
    original, durations = decoded(plain["gif"])
    assert len(original) == 41  # every frame differs: training moves every weight
    kept, kept_durations = decoded(result.path)
    indices = list(range(0, 41, 2))  # 0, 2, ..., 40: the last is on the step
    assert len(kept) == len(indices) == result.frames
    for frame, index in zip(kept, indices):
        np.testing.assert_array_equal(frame, original[index])
    assert kept_durations[:-1] == [2 * d for d in durations[:-1][: len(kept) - 1]]


@pytest.mark.parametrize(
    ("kind", "fraction"),  # each lever in turn: frame step, size, colours (GIF), for both formats
    [("gif", 0.5), ("gif", 0.3), ("gif", 0.25), ("webp", 0.5), ("webp", 0.3)],
)
def test_the_file_never_exceeds_the_budget(plain, tmp_path, kind, fraction):
    limit = int(plain[kind].stat().st_size * fraction)
    result = render_scene("weights", tmp_path / f"w.{kind}", max_bytes=limit, **RUN)
    assert result.bytes == result.path.stat().st_size <= limit
    note = stated(result)
    assert note.startswith(f"to fit {limit:,} bytes: every ")
    image = Image.open(result.path)
    match = re.search(r"(\d+)x(\d+) instead of 640x360", note)
    size = (int(match[1]), int(match[2])) if match else (640, 360)
    assert image.size == size == result.size  # the size said is the size written
    step = int(re.search(r"every (\d)", note)[1])
    assert image.n_frames == len(range(0, 41, step)) + (1 if 40 % step else 0)
    if "colours" in note:
        colours = int(re.search(r"(\d+) colours", note)[1])
        image.seek(image.n_frames - 1)
        assert len(image.convert("RGB").getcolors(1 << 16)) <= colours


def test_the_reduction_is_the_least_that_fits(plain, tmp_path, monkeypatch):
    """Every rung before the one kept was measured over the budget (none skipped on a guess)."""
    measured = []
    render_rung = budget.render_rung

    def spy(job, rung, path, limit, progress):
        try:
            found = render_rung(job, rung, path, limit, progress)
        except budget.OverBudget:
            measured.append((rung, "over"))
            raise
        measured.append((rung, "fits"))
        return found

    monkeypatch.setattr(budget, "render_rung", spy)
    limit = int(plain["gif"].stat().st_size * 0.3)
    render_scene("weights", tmp_path / "w.gif", max_bytes=limit, **RUN)
    rungs = budget.ladder((640, 360), (480, 270))  # weights: legible down to 480x270
    kept = min(rungs.index(r) for r, verdict in measured if verdict == "fits")
    assert (rungs[kept - 1], "over") in measured
    assert rungs[0] == budget.Reduction() and (rungs[0], "over") in measured


def test_the_ladder_is_in_the_documented_order():
    rungs = budget.ladder((1280, 720))
    steps = [r.step for r in rungs]
    assert steps == sorted(steps) and steps[:4] == [1, 2, 3, 4]
    sizes = [r.size((1280, 720)) for r in rungs[3:]]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == (640, 360)
    assert [r.colours for r in rungs[-3:]] == [128, 64, 32]
    assert budget.ladder((320, 180))[4:] == [budget.Reduction(4, 1.0, c) for c in (128, 64, 32)]


def test_an_impossible_budget_is_refused_before_the_work(tmp_path, monkeypatch):
    from vizff.scenes.weights import Weights

    drawn = []
    frames = Weights.frames

    def counted(self):
        for frame in frames(self):
            drawn.append(self.size)
            yield frame

    monkeypatch.setattr(Weights, "frames", counted)
    target = tmp_path / "w.gif"
    target.write_bytes(b"the previous file")
    with pytest.raises(OptionError) as error:
        render_scene("weights", target, max_bytes="2KB", **RUN)
    message = str(error.value)
    assert message.startswith("max_bytes='2KB': cannot be met: the first frame alone, at 512x288")
    assert drawn == [(512, 288)]  # one probe frame at the smallest size, nothing else
    assert target.read_bytes() == b"the previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.gif"]


def test_a_budget_the_smallest_settings_miss_leaves_the_target(tmp_path):
    target = tmp_path / "w.gif"
    with pytest.raises(OptionError) as error:
        render_scene("weights", target, max_bytes=1, **RUN)
    floor = int(re.search(r"takes ([\d,]+) bytes", str(error.value))[1].replace(",", ""))
    target.write_bytes(b"the previous file")
    with pytest.raises(OptionError) as error:
        render_scene("weights", target, max_bytes=floor + 10, **RUN)
    assert "cannot be met: at the smallest settings (every 4th frame, 512x288, 32 colours)" in (
        str(error.value)
    )
    # that size is the smallest the scene allows: a smaller --size is not advice that helps
    assert str(error.value).endswith("; give a larger budget, or fewer frames (steps, every)")
    assert target.read_bytes() == b"the previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.gif"]


@pytest.mark.parametrize(("out", "key"), [("w.mp4", "max_bytes"), ("w.png", "max_bytes")])
def test_only_gif_and_webp_take_a_budget(tmp_path, out, key):
    with pytest.raises(OptionError) as error:
        render_scene("sigmoid", tmp_path / out, max_bytes="1MB")
    assert str(error.value).startswith("max_bytes='1MB': only for .gif and .webp outputs")
    assert list(tmp_path.iterdir()) == []


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_the_cli_at_720p_fits_one_megabyte_and_says_what_it_reduced(tmp_path, capsys):
    out = tmp_path / "w.gif"
    start = time.perf_counter()
    args = ["render", "weights", "--size", "1280x720", "--max-bytes", "1MB", "--out", str(out)]
    code, printed, said = run_cli(args, capsys)
    assert code == 0
    assert out.stat().st_size <= 1_000_000
    assert "note: to fit 1,000,000 bytes: every 2nd frame (at 10 fps, the same length)" in said
    assert printed.startswith(f"{out}  51 frames")
    assert time.perf_counter() - start < 120


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("lots", "--max-bytes lots: write a size in bytes such as 2MB, 500KB or 800000"),
        ("0", "--max-bytes 0: must be 1 to 1,000,000,000,000"),
    ],
)
def test_the_cli_names_a_bad_budget(tmp_path, capsys, value, problem):
    args = ["render", "sigmoid", "--max-bytes", value, "--out", str(tmp_path / "s.gif")]
    code, _, said = run_cli(args, capsys)
    assert code == 2 and said.strip() == f"error: {problem}"


def test_size_names_are_16_by_9(tmp_path, capsys):
    code, printed, _ = run_cli(
        ["render", "sigmoid", "--size", "480p", "--out", str(tmp_path / "s.png")], capsys
    )
    assert code == 0 and Image.open(tmp_path / "s.png").size == (854, 480)
    result = render_scene("sigmoid", tmp_path / "t.png", size="360p")
    assert result.size == (640, 360) == Image.open(result.path).size


def test_the_size_lever_stops_at_the_scene_own_smallest_size():
    from vizff.scenes.predictions import Predictions

    assert Predictions.MIN_SIZE == (480, 270)
    floor = budget.floor_of(Predictions.__new__(Predictions))
    sizes = {r.size((640, 360)) for r in budget.ladder((640, 360), floor)}
    assert min(sizes) == (512, 288) and all(w >= 480 and h >= 270 for w, h in sizes)


def test_a_size_the_scene_refuses_while_drawing_leaves_the_ladder(tmp_path, monkeypatch):
    """A layout that refuses small frames mid-draw (as forward's does) is not a failure of the
    budget: that size is dropped and the next larger one probed."""
    from vizff.scenes.sigmoid import Sigmoid

    frames = Sigmoid.frames

    def refusing(self):
        if self.size[0] < 500:
            raise OptionError("size", "too small for this layout")
        yield from frames(self)

    monkeypatch.setattr(Sigmoid, "frames", refusing)
    with pytest.raises(OptionError) as error:
        render_scene("sigmoid", tmp_path / "s.gif", max_bytes=1, frames=10)
    assert "the first frame alone, at 512x288 with 32 colours" in str(error.value)
