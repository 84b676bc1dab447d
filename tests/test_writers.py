import os
import stat
import subprocess

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

import vizff.writers
from vizff.errors import OptionError, RenderError
from vizff.writers import (
    GifWriter,
    PngWriter,
    Quantizer,
    gif_delay,
    mp4_frame_count,
    open_writer,
)

PALETTE = np.array([[255, 255, 255], [0, 0, 0], [200, 30, 30], [30, 30, 200]], dtype=np.uint8)
FORMATS = [".gif", ".mp4", ".webp", ".png", ""]  # "" is a folder of numbered PNGs


def moving_square(count: int, size=(64, 48)) -> list[np.ndarray]:
    """Frames on the palette: a red square walks right; the last two frames are equal."""
    frames = []
    for i in range(count):
        frame = np.full((size[1], size[0], 3), 255, np.uint8)
        x = min(i, count - 2) * 3
        frame[10:20, x : x + 10] = (200, 30, 30)
        frame[30:40, 5:15] = (30, 30, 200)
        frames.append(frame)
    return frames


def noise(count: int, size=(64, 48), seed=0) -> list[np.ndarray]:
    """Frames of random colours, each changing only in a block at an odd place."""
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    frames = [frame]
    for i in range(1, count):
        frame = frame.copy()
        frame[3 + i : 9 + i, 5 + 2 * i : 12 + 2 * i] = rng.integers(0, 256, (6, 7, 3))
        frames.append(frame)
    return frames


def write_all(path, frames, **kwargs):
    with open_writer(path, **kwargs) as writer:
        for frame in frames:
            writer.write(frame)
    return writer


def pillow_frames(path) -> tuple[list[np.ndarray], list[int], dict]:
    """Every frame of an animation as Pillow composes it, with its duration in ms."""
    image = Image.open(path)
    frames, durations = [], []
    for i in range(image.n_frames):
        image.seek(i)
        image.load()  # WebP sets `duration` on load
        frames.append(np.asarray(image.convert("RGB")))
        durations.append(image.info["duration"])
    return frames, durations, image.info


# ---- GIF ----------------------------------------------------------------------------------
def test_gif_round_trip_exact_pixels_delays_loop_and_hold(tmp_path):
    frames = moving_square(10)
    write_all(tmp_path / "a.gif", frames, fps=20, hold=1.0, palette=PALETTE)
    back, delays, info = pillow_frames(tmp_path / "a.gif")
    # the last two frames are equal: merged into one frame shown twice as long, plus the hold
    assert len(back) == 9
    assert delays == [50] * 8 + [50 + 50 + 1000]
    for got, want in zip(back, frames):
        np.testing.assert_array_equal(got, want)
    assert info["loop"] == 0


def test_gif_without_palette_uses_the_first_frame(tmp_path):
    frames = moving_square(4)
    write_all(tmp_path / "a.gif", frames, fps=10)
    back = list(iio.imiter(tmp_path / "a.gif", mode="RGB"))  # a second reader: imageio's
    np.testing.assert_array_equal(back[0], frames[0])
    assert iio.immeta(tmp_path / "a.gif", index=0)["duration"] == 100


@pytest.mark.parametrize(
    "fps, delay, rounded",
    [(20, 5, False), (25, 4, False), (50, 2, False), (30, 3, True), (15, 7, True), (1, 100, False)],
)
def test_gif_delays_are_whole_hundredths(fps, delay, rounded):
    centis, note = gif_delay(fps)
    assert centis == delay and (note is not None) == rounded
    if rounded:
        assert f"{100 / delay:.4g} fps" in note


@pytest.mark.parametrize("fps", [0, -1, 60, float("nan")])
def test_gif_refuses_rates_it_cannot_show(tmp_path, fps):
    with pytest.raises(OptionError) as refused:
        open_writer(tmp_path / "a.gif", fps=fps)
    assert refused.value.key == "fps" and "\n" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_gif_frames_longer_than_a_gif_delay_keep_their_time(tmp_path):
    # 0.001 fps: 1000 s a frame, more than the 655.35 s one GIF frame can say
    centis, note = gif_delay(0.001)
    assert centis == 100_000 and "655.35 s" in note and "2 GIF frames" in note
    frames = moving_square(3)
    writer = write_all(tmp_path / "a.gif", frames, fps=0.001, hold=600, palette=PALETTE)
    assert writer.note == note
    back, delays, _ = pillow_frames(tmp_path / "a.gif")
    # frame 0: 1000 s; frames 1 and 2 (equal) with the hold: 2600 s, each split into pieces
    assert delays == [655_350, 344_650, 655_350, 655_350, 655_350, 633_950]
    assert sum(delays[:2]) == 1_000_000 and sum(delays[2:]) == 2_600_000
    for got in back[:2]:
        np.testing.assert_array_equal(got, frames[0])  # the continuation draws nothing
    for got in back[2:]:
        np.testing.assert_array_equal(got, frames[1])


def test_quantizer_is_exact_on_palette_colours_and_nearest_otherwise():
    quantize = Quantizer(PALETTE)
    frame = np.array([[[255, 255, 255], [0, 0, 0], [190, 40, 40], [30, 30, 200]]], np.uint8)
    assert quantize(frame).tolist() == [[0, 1, 2, 3]]


def test_gif_frames_reach_the_disk_while_rendering(tmp_path):
    # the encoder streams: after writing, the file already holds the frames before the last
    with GifWriter(tmp_path / "a.gif", fps=20, palette=PALETTE) as writer:
        for frame in moving_square(6):
            writer.write(frame)
        writer._file.flush()
        assert writer.temp.stat().st_size > 200  # frames are on disk while rendering


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".mp4"])
def test_memory_does_not_grow_with_the_number_of_frames(tmp_path, suffix):
    """Peak Python and numpy allocations (tracemalloc sees both) for 20 and for 120 frames:
    a writer that kept frames would need the 100 more frames' 0.7 MB each."""
    import tracemalloc

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(3)]

    def peak(count: int) -> int:
        tracemalloc.start()
        with open_writer(tmp_path / f"m{count}{suffix}", fps=20, palette=PALETTE) as writer:
            for i in range(count):
                writer.write(frames[i % 3].copy())  # a new array: kept only if the writer keeps it
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak(5)  # warm caches (the GIF quantizer's table) outside the comparison
    small, large = peak(20), peak(120)
    assert large < small + 8 * 2**20, (small, large)  # 100 more frames would be 69 MB


# ---- MP4 ----------------------------------------------------------------------------------
def test_mp4_is_h264_yuv420p_faststart(tmp_path):
    frames = moving_square(12)
    write_all(tmp_path / "a.mp4", frames, fps=12, hold=0.5)
    data = (tmp_path / "a.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # plays before it has fully loaded
    probe = subprocess.run(
        [vizff.writers.ffmpeg_exe(), "-hide_banner", "-i", str(tmp_path / "a.mp4")],
        capture_output=True,
        text=True,
    )
    assert "Video: h264" in probe.stderr and "yuv420p" in probe.stderr
    # the matrix it was converted with, said in the file (a player must not guess it)
    assert "yuv420p(tv, smpte170m/bt709/bt709" in probe.stderr
    decoded = list(iio.imiter(tmp_path / "a.mp4"))
    assert decoded[0].shape == (48, 64, 3) and len(decoded) == 12 + 6  # 0.5 s hold at 12 fps
    assert mp4_frame_count(tmp_path / "a.mp4") == 18  # the writer's own check agrees
    assert np.abs(decoded[0].astype(int) - frames[0]).mean() < 4  # lossy, but close


def test_an_mp4_hold_is_the_last_frame_repeated_without_sending_it_again(tmp_path, monkeypatch):
    """The hold is ffmpeg's copies of the last frame: the same file as the copies written
    as frames, but only the drawn frames cross the pipe (a long hold sent each copy)."""
    frames = moving_square(6)
    sent = []
    original = vizff.writers.Mp4Writer._pipe_write
    monkeypatch.setattr(
        vizff.writers.Mp4Writer,
        "_pipe_write",
        lambda self, frame: sent.append(1) or original(self, frame),
    )
    write_all(tmp_path / "held.mp4", frames, fps=12, hold=1.0)
    assert len(sent) == 6
    write_all(tmp_path / "written.mp4", frames + [frames[-1]] * 12, fps=12, hold=0)
    assert (tmp_path / "held.mp4").read_bytes() == (tmp_path / "written.mp4").read_bytes()
    assert mp4_frame_count(tmp_path / "held.mp4") == 18


def test_mp4_refuses_odd_sizes(tmp_path):
    with pytest.raises(OptionError, match="even width and height; try 66x48") as refused:
        write_all(tmp_path / "a.mp4", moving_square(2, size=(65, 48)))
    assert refused.value.key == "size" and refused.value.value == "65x48"
    assert list(tmp_path.iterdir()) == []


def fake_ffmpeg(tmp_path, script: str) -> str:
    """An executable standing in for ffmpeg: `script` runs with the output path as $out."""
    exe = tmp_path / "fake-ffmpeg"
    exe.write_text(f"#!/bin/sh\nfor out; do :; done\n{script}\n")
    exe.chmod(0o755)
    return str(exe)


@pytest.mark.parametrize(
    "script, message",
    [
        # ffmpeg that fails as it did on a full disk: a message, an exit status, a broken file
        (
            'cat >/dev/null; printf "junk" >"$out"; '
            'echo "[out#0/mp4 @ 0x55] Error writing trailer: No space left on device" >&2; exit 1',
            "writing failed (No space left on device)",
        ),
        # stops reading half way: our writes meet a broken pipe
        (
            'head -c 100 >/dev/null; echo "[vost#0:0 @ 0x1] Error while opening encoder" >&2; '
            "exit 187",
            "ffmpeg failed (exit status 187): Error while opening encoder",
        ),
        # says nothing and exits 0, leaving a file no player can open ("moov atom not found")
        (
            'cat >/dev/null; printf "\\0\\0\\0\\10free" >"$out"',
            "ffmpeg left an incomplete file (no moov atom)",
        ),
        ("kill -9 $$", "ffmpeg failed (killed by signal 9): nothing on stderr"),
    ],
)
def test_mp4_ffmpeg_failures_are_one_line_and_keep_the_old_file(
    tmp_path, monkeypatch, script, message
):
    monkeypatch.setattr(vizff.writers, "ffmpeg_exe", lambda: fake_ffmpeg(tmp_path, script))
    target = tmp_path / "a.mp4"
    target.write_bytes(b"the previous render")
    with pytest.raises(RenderError) as failed:
        write_all(target, moving_square(200))
    assert str(failed.value) == f"{target}: {message}"
    assert target.read_bytes() == b"the previous render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "fake-ffmpeg"]


def test_mp4_with_frames_missing_is_refused(tmp_path, monkeypatch):
    # an ffmpeg that exits 0 with a playable file of fewer frames than it was sent
    monkeypatch.setattr(vizff.writers, "MP4_CONTAINER", ("-frames:v", "5"))
    with pytest.raises(RenderError, match="ffmpeg wrote 5 frames of 12"):
        write_all(tmp_path / "a.mp4", moving_square(12, size=(16, 16)))
    assert list(tmp_path.iterdir()) == []


def test_mp4_frame_count_of_truncated_files(tmp_path):
    write_all(tmp_path / "a.mp4", moving_square(7), fps=7)
    data = (tmp_path / "a.mp4").read_bytes()
    assert mp4_frame_count(tmp_path / "a.mp4") == 7
    moov = data.index(b"moov") - 4
    for cut in (0, 3, 8, moov, moov + 100, len(data) // 2):
        (tmp_path / "cut.mp4").write_bytes(data[:cut])
        assert mp4_frame_count(tmp_path / "cut.mp4") is None


# ---- WebP ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fps, hold", [(10, 0.0), (30, 1.0), (7, 0.25)])
def test_webp_round_trip_exact_pixels_durations_and_loop(tmp_path, fps, hold):
    frames = noise(9) + noise(9)[-1:]  # the last two are equal: merged
    write_all(tmp_path / "a.webp", frames, fps=fps, hold=hold)
    back, durations, info = pillow_frames(tmp_path / "a.webp")
    assert len(back) == 9 and info["loop"] == 0
    for got, want in zip(back, frames):
        np.testing.assert_array_equal(got, want)  # lossless, every changed rectangle in place
    starts = [round(1000 * i / fps) for i in range(10)] + [round(1000 * (10 / fps + hold))]
    want = [b - a for a, b in zip(starts, starts[1:])]
    assert durations == want[:8] + [want[8] + want[9]]  # ms, no drift: rounded from the start


def test_webp_reads_back_in_imageio_too(tmp_path):
    frames = moving_square(6)
    write_all(tmp_path / "a.webp", frames, fps=10)
    back = list(iio.imiter(tmp_path / "a.webp", mode="RGB"))
    assert len(back) == 5
    for got, want in zip(back, frames):
        np.testing.assert_array_equal(got, want)


def riff_chunks(data: bytes) -> list[tuple[bytes, int]]:
    """(kind, size) of each top-level chunk of a WebP file, read with plain slicing."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    chunks, at = [], 12
    while at < len(data):
        size = int.from_bytes(data[at + 4 : at + 8], "little")
        chunks.append((data[at : at + 4], size))
        at += 8 + size + size % 2
    assert at == len(data)
    return chunks


def test_webp_is_vp8x_anim_then_one_anmf_per_shown_frame(tmp_path):
    write_all(tmp_path / "a.webp", moving_square(6), fps=10)
    chunks = riff_chunks((tmp_path / "a.webp").read_bytes())
    assert [kind for kind, _ in chunks] == [b"VP8X", b"ANIM"] + [b"ANMF"] * 5


# ---- PNG ----------------------------------------------------------------------------------
def test_png_still_last_or_chosen_frame(tmp_path):
    frames = moving_square(5)
    write_all(tmp_path / "last.png", frames)
    np.testing.assert_array_equal(iio.imread(tmp_path / "last.png"), frames[-1])
    write_all(tmp_path / "two.png", frames, frame=2, total=5)
    np.testing.assert_array_equal(iio.imread(tmp_path / "two.png"), frames[2])
    write_all(tmp_path / "end.png", frames, frame=-2)  # counted from the end, total unknown
    np.testing.assert_array_equal(iio.imread(tmp_path / "end.png"), frames[-2])
    with pytest.raises(OptionError, match="this scene has 5 frames") as refused:
        open_writer(tmp_path / "x.png", frame=5, total=5)
    assert refused.value.key == "frame" and refused.value.value == 5


def test_png_with_a_frame_number_is_satisfied_once_it_has_it(tmp_path):
    frames = moving_square(5)
    with PngWriter(tmp_path / "a.png", index=1, total=5) as writer:
        seen = []
        for frame in frames:
            writer.write(frame)
            seen.append(writer.satisfied)
            if writer.satisfied:
                break
    assert seen == [False, True]
    np.testing.assert_array_equal(iio.imread(tmp_path / "a.png"), frames[1])
    with PngWriter(tmp_path / "b.png", index=-2, total=5) as writer:  # frame 3
        for frame in frames[:4]:
            writer.write(frame)
        assert writer.satisfied
    np.testing.assert_array_equal(iio.imread(tmp_path / "b.png"), frames[3])
    with PngWriter(tmp_path / "c.png") as last:
        for frame in frames:
            last.write(frame)
            assert not last.satisfied  # which frame is the last is known only at the end


def test_png_frame_past_the_rendered_end(tmp_path):
    with pytest.raises(OptionError, match="only 3 frames were rendered; choose 0 to 2"):
        write_all(tmp_path / "a.png", moving_square(3), frame=4)
    assert list(tmp_path.iterdir()) == []


def test_png_folder_replaces_old_frames_only_on_success(tmp_path):
    folder = tmp_path / "frames"
    write_all(folder, moving_square(4))
    assert sorted(p.name for p in folder.iterdir()) == [f"frame_{i:05d}.png" for i in range(4)]
    write_all(folder, moving_square(2))
    assert sorted(p.name for p in folder.iterdir()) == ["frame_00000.png", "frame_00001.png"]
    with pytest.raises(RuntimeError):
        with open_writer(folder) as writer:
            for frame in moving_square(3):
                writer.write(frame)
            raise RuntimeError("boom")
    assert len(list(folder.iterdir())) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]


def test_png_folder_of_zero_frames_keeps_the_previous_frames(tmp_path):
    folder = tmp_path / "frames"
    write_all(folder, moving_square(3))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(RenderError, match="no frames were written"):
        write_all(folder, [])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]


def test_png_folder_new_and_failed_leaves_no_folder(tmp_path):
    for failure in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(failure)):
            with open_writer(tmp_path / "new" / "deeper" / "frames") as writer:
                writer.write(moving_square(1)[0])
                raise failure
        assert list(tmp_path.iterdir()) == []  # not the folder, nor the parents made for it


def test_png_folder_appears_whole_with_ordinary_permissions(tmp_path):
    os.umask(mask := os.umask(0o022))
    write_all(tmp_path / "frames", moving_square(2))
    assert stat.S_IMODE((tmp_path / "frames").stat().st_mode) == 0o777 & ~mask
    back = [iio.imread(p) for p in sorted((tmp_path / "frames").iterdir())]
    np.testing.assert_array_equal(np.stack(back), np.stack(moving_square(2)))


# ---- every format -------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", FORMATS)
def test_failure_mid_render_leaves_the_old_output_and_no_temp(tmp_path, suffix):
    target = tmp_path / f"out{suffix}"
    if suffix:
        target.write_bytes(b"the previous render")
    else:
        write_all(target, moving_square(2))
    before = snapshot(tmp_path)
    for failure in (RuntimeError("disk on fire"), KeyboardInterrupt()):
        with pytest.raises(type(failure)):
            with open_writer(target, fps=10) as writer:
                for frame in moving_square(4):
                    writer.write(frame)
                raise failure
        assert snapshot(tmp_path) == before


def test_an_mp4_stopped_mid_render_leaves_no_thread_behind(tmp_path, monkeypatch):
    """Ctrl-C on an MP4 render aborted Python now and then ("Fatal Python error:
    PyThreadState_Get ... finalizing"): the thread reading ffmpeg's stderr was left to wake
    up while Python shut down. Every thread the writer started has ended when it returns,
    even on a machine too busy to run that thread at once (a slow reader, here)."""
    import threading
    import time

    from vizff.writers import Ffmpeg

    drain = Ffmpeg._drain

    def slow_drain(self) -> None:
        drain(self)
        time.sleep(0.5)

    monkeypatch.setattr(Ffmpeg, "_drain", slow_drain)
    before = set(threading.enumerate())
    with pytest.raises(KeyboardInterrupt):
        with open_writer(tmp_path / "out.mp4", fps=10) as writer:
            for frame in moving_square(4):
                writer.write(frame)
            started = set(threading.enumerate()) - before
            raise KeyboardInterrupt
    assert len(started) == 2  # the feeder and the stderr reader
    assert not [thread for thread in started if thread.is_alive()]


def snapshot(folder) -> dict:
    """Every file under `folder`, by relative path, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("suffix", FORMATS)
def test_rerender_keeps_the_permission_bits(tmp_path, suffix):
    target = tmp_path / f"out{suffix}"
    write_all(target, moving_square(3), fps=10)
    target.chmod(0o600 if suffix else 0o750)
    write_all(target, moving_square(4), fps=10)
    assert stat.S_IMODE(target.stat().st_mode) == (0o600 if suffix else 0o750)


@pytest.mark.parametrize("suffix", FORMATS)
def test_new_files_get_the_usual_permissions(tmp_path, suffix):
    mask = os.umask(0o027)
    try:
        write_all(tmp_path / f"out{suffix}", moving_square(3), fps=10)
    finally:
        os.umask(mask)
    want = (0o666 if suffix else 0o777) & ~0o027  # as `open` and `mkdir` would make them
    assert stat.S_IMODE((tmp_path / f"out{suffix}").stat().st_mode) == want


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".webp", ".png"])
def test_an_existing_folder_as_output_is_refused_before_any_frame(tmp_path, suffix):
    (tmp_path / f"out{suffix}").mkdir()
    with pytest.raises(OptionError, match="is a folder") as refused:
        open_writer(tmp_path / f"out{suffix}")
    assert refused.value.key == "out"
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]


def test_an_existing_file_as_folder_output_is_refused(tmp_path):
    (tmp_path / "frames").write_text("a file")
    with pytest.raises(OptionError, match="is a file") as refused:
        open_writer(tmp_path / "frames")
    assert refused.value.key == "out"


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png"])
def test_same_frames_same_bytes(tmp_path, suffix):
    frames = moving_square(8)
    write_all(tmp_path / f"a{suffix}", frames, palette=PALETTE if suffix == ".gif" else None)
    write_all(tmp_path / f"b{suffix}", frames, palette=PALETTE if suffix == ".gif" else None)
    assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()


def test_bad_frames_and_formats(tmp_path):
    with pytest.raises(OptionError, match="unknown format '.avi'") as refused:
        open_writer(tmp_path / "a.avi")
    assert refused.value.key == "out"
    with pytest.raises(OptionError, match="only for a .png output") as refused:
        open_writer(tmp_path / "a.gif", frame=1)
    assert refused.value.key == "frame"
    for fps, hold in ((0, 0), (0.0009, 0), (241, 0), (20, -1), (20, 601), (20, float("nan"))):
        with pytest.raises(OptionError) as refused:
            open_writer(tmp_path / "a.webp", fps=fps, hold=hold)
        assert refused.value.key == ("fps" if hold == 0 else "hold")
    for suffix, size in ((".webp", (16384, 16)), (".mp4", (64, 47))):
        with pytest.raises(OptionError) as refused:
            open_writer(tmp_path / f"a{suffix}").check_size(size)
        assert refused.value.key == "size"
    with pytest.raises(RenderError, match=r"\(height, width, 3\) uint8"):
        write_all(tmp_path / "a.gif", [np.zeros((4, 4), np.uint8)])
    with pytest.raises(RenderError, match="the first was 64x48"):
        write_all(tmp_path / "a.gif", [moving_square(1)[0], np.zeros((5, 5, 3), np.uint8)])
    with pytest.raises(RenderError, match="no frames"):
        write_all(tmp_path / "a.gif", [])
    assert list(tmp_path.iterdir()) == []


def test_option_errors_read_as_the_user_wrote_them(tmp_path):
    from vizff.errors import Cli

    with pytest.raises(OptionError) as refused:
        open_writer(tmp_path / "a.gif", fps=120.0)
    assert str(refused.value).startswith("fps=120: a GIF shows at most 50")  # Python keyword
    refused.value.source = Cli()
    assert str(refused.value).startswith("--fps 120: a GIF shows at most 50")


@pytest.mark.parametrize("suffix", FORMATS)
def test_an_output_that_is_a_link_is_written_through_and_stays_a_link(tmp_path, suffix):
    """`outputs/latest.gif -> runs/7/w.gif`: the link was replaced by a regular file, so the
    file it named kept the old render and the link was lost."""
    runs = tmp_path / "runs"
    runs.mkdir()
    real = runs / f"w{suffix}"
    if suffix:
        real.write_bytes(b"old render")
    else:
        real.mkdir()
        Image.new("RGB", (8, 8)).save(real / "frame_00000.png")  # yesterday's frames
    link = tmp_path / f"latest{suffix}"
    link.symlink_to(real)
    frames = moving_square(3)
    write_all(link, frames, fps=10)
    assert link.is_symlink() and os.readlink(link) == str(real)
    if suffix:
        assert real.read_bytes() != b"old render"
        assert iio.imread(real, index=None).shape[-3:-1] == (48, 64)
    else:
        assert sorted(p.name for p in real.iterdir()) == [f"frame_{i:05d}.png" for i in range(3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["runs", link.name])
    assert [p.name for p in runs.iterdir()] == [real.name]  # no temporary left beside it


def test_a_dangling_link_as_output_makes_the_file_it_names(tmp_path):
    (tmp_path / "made").mkdir()
    link, real = tmp_path / "latest.gif", tmp_path / "made" / "w.gif"
    link.symlink_to(real)
    write_all(link, moving_square(2), fps=10)
    assert link.is_symlink() and real.is_file() and real.read_bytes()[:6] == b"GIF89a"


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("mine.txt", "is a link to {real}, not to a .gif file vizff may replace; remove the link"),
        ("a-folder.gif", "is a folder, which a .gif file cannot replace"),
        ("no/such/folder/x.gif", "is a link to {real}, in a folder that does not exist"),
    ],
)
def test_a_link_to_another_kind_of_file_or_nowhere_is_refused(tmp_path, target, said):
    """`m.gif -> mine.txt` turned the text file into a GIF (as root, `pw.gif -> /etc/passwd`
    replaced the password file), and a dangling link made the folders it pointed into."""
    (tmp_path / "mine.txt").write_text("precious")
    (tmp_path / "a-folder.gif").mkdir()
    link, real = tmp_path / "m.gif", tmp_path / target
    link.symlink_to(real)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    with pytest.raises(OptionError, match="^out=") as error:
        write_all(link, moving_square(2), fps=10)
    assert said.format(real=real) in str(error.value)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "mine.txt").read_text() == "precious"


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".webp"])
@pytest.mark.parametrize("fps, hold", [(20, 0.0), (12.5, 1.5), (30, 0.25), (7, 2.0)])
def test_the_length_a_writer_reports_is_how_long_its_file_plays(tmp_path, suffix, fps, hold):
    """The summary says how long the file plays (its "3.1 s" was the render's time, read as the
    video's): the writer's figure against the file's own timing, read by Pillow and ffmpeg."""
    path = tmp_path / f"clip{suffix}"
    frames = moving_square(9) + noise(4)
    writer = write_all(path, [f[:48, :64] for f in frames], fps=fps, hold=hold)
    if suffix == ".mp4":
        count, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
        played = count / fps  # the container's own rounding aside: frames at the rate
    else:
        played = sum(pillow_frames(path)[1]) / 1000
    assert writer.playing == pytest.approx(played, abs=1e-9)
    # and near what was asked: a GIF's delays are whole hundredths, a video's hold whole frames
    assert abs(writer.playing - (13 / fps + hold)) <= 13 * 0.005 + 0.5 / fps


@pytest.mark.parametrize("suffix", [".png", ""])
def test_stills_and_frame_folders_have_no_length(tmp_path, suffix):
    assert write_all(tmp_path / f"still{suffix}", moving_square(3), hold=2.0).playing is None
