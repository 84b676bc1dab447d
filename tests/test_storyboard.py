"""Storyboards: errors that name the file, the part and the key; cards drawn by the kit; the
joined GIF and WebP frame for frame what the parts drew (fades computed here, by hand);
chapters read back from the MP4; the same output for any --jobs; interrupted renders that
leave nothing behind; folder output with an index."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from tests.test_cli import run
from vizff.draw.catalogue import catalogue
from vizff.draw.lint import problems
from vizff.errors import ConfigError, OptionError, VizffError
from vizff.recipes import Recipe, load_target
from vizff.render import render_scene, scene_frames
from vizff.scenes import SCENES
from vizff.storyboard import Storyboard, load_storyboard, plan, render_storyboard
from vizff.writers import GifWriter

SIZE = (320, 180)
FPS = 10
# a title card (3 frames), the sigmoid (4 frames, held 2), an end card that fades in (fade of
# 4 frames: the sigmoid fades out over 2, reaching the page colour; the card fades in over 2)
SMALL = """
size = "320x180"
fps = 10
hold = 0.2
theme = "{theme}"
lang = "{lang}"
title = {{en = "A small lesson", zh = "简单的神经网络"}}

[[part]]
card = "title"
seconds = 0.3

[[part]]
scene = "sigmoid"
frames = 4
title = {{en = "The curve", zh = "激活函数"}}

[[part]]
card = "end"
seconds = 0.3
transition = "fade"
fade = 0.4
"""


def write(folder: Path, text: str, name: str = "lesson.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def small(folder: Path, theme: str = "light", lang: str = "en") -> Path:
    return write(folder, SMALL.format(theme=theme, lang=lang))


def expected_frames(theme: str = "light", lang: str = "en") -> list[np.ndarray]:
    """The small storyboard's frames as the parts draw them, with the fade worked out here:
    out by 1/2 and 2/2 of the page colour, in by 2/3 and 1/3 (float, rounded)."""
    look = dict(size=SIZE, fps=FPS, theme=theme, lang=lang)
    lesson = "简单的神经网络" if lang == "zh" else "A small lesson"
    # the top title, shown on the title card
    title = list(scene_frames("card", card="title", title=lesson, seconds=0.3, **look))
    curve = list(
        scene_frames("sigmoid", frames=4, title="激活函数" if lang == "zh" else "The curve", **look)
    )
    end = list(scene_frames("card", card="end", seconds=0.3, **look))
    page = np.array(SCENES["card"](theme=theme).theme.background, dtype=np.float64)

    def mix(frame, amount):
        return np.floor(frame * (1 - amount) + page * amount + 0.5).astype(np.uint8)

    assert len(title) == 3 and len(curve) == 4 and len(end) == 3
    return [
        *title,
        *curve,
        curve[-1],
        curve[-1],  # hold 0.2 s
        mix(curve[-1], 0.5),
        mix(curve[-1], 1.0),
        mix(end[0], 2 / 3),
        mix(end[0], 1 / 3),
        *end,
    ]


def nearest(frames: list[np.ndarray], palette: np.ndarray) -> list[np.ndarray]:
    """Each pixel as the nearest palette colour (brute force over the colours used, float64)."""
    out = []
    colours = palette.astype(np.float64)
    for frame in frames:
        used, where = np.unique(frame.reshape(-1, 3), axis=0, return_inverse=True)
        distances = ((used[:, None, :].astype(np.float64) - colours[None]) ** 2).sum(axis=2)
        out.append(palette[distances.argmin(axis=1)][where.ravel()].reshape(frame.shape))
    return out


def decoded_animation(path: Path, step_ms: float) -> list[np.ndarray]:
    """Every frame an animated GIF or WebP shows, one per `step_ms` (merged frames apart)."""
    image = Image.open(path)
    frames = []
    for index in range(image.n_frames):
        image.seek(index)
        image.load()  # WebP sets `duration` on load
        repeats = round(image.info["duration"] / step_ms)
        frames += [np.asarray(image.convert("RGB"))] * repeats
    return frames


def chapters(path: Path) -> list[tuple[str, float, float]]:
    """(title, start s, end s) of each chapter, read back by ffmpeg (`ffprobe -show_chapters`
    shows the same where ffprobe is installed; imageio-ffmpeg ships only ffmpeg)."""
    text = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
    ).stdout
    found = []
    for block in text.split("[CHAPTER]")[1:]:
        base = re.search(r"TIMEBASE=(\d+)/(\d+)", block)
        unit = int(base[1]) / int(base[2])
        start = int(re.search(r"START=(\d+)", block)[1]) * unit
        end = int(re.search(r"END=(\d+)", block)[1]) * unit
        found.append((re.search(r"title=(.*)", block)[1], round(start, 6), round(end, 6)))
    return found


def mp4_frames(path: Path) -> list[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    return [np.frombuffer(b, np.uint8).reshape(height, width, 3).copy() for b in reader]


# ---- the joined output is what the parts drew -------------------------------------------------
@pytest.mark.parametrize("lang, theme", [("en", "light"), ("zh", "dark")])
def test_webp_is_every_part_frame_for_frame_with_the_fade(tmp_path, lang, theme):
    out = tmp_path / "l.webp"
    result = render_storyboard(small(tmp_path, theme, lang), out, lang=lang)
    frames = decoded_animation(out, 1000 / FPS)
    expected = expected_frames(theme, lang)
    assert result.frames == len(expected) == len(frames) == 16
    for index, (got, want) in enumerate(zip(frames, expected)):
        assert np.array_equal(got, want), f"frame {index}"


def test_gif_is_every_part_on_one_palette_and_its_fade_exact(tmp_path):
    out = tmp_path / "l.gif"
    result = render_storyboard(small(tmp_path), out)
    palettes = [SCENES[name](theme="light").palette for name in ("card", "sigmoid", "card")]
    union = np.array(list(dict.fromkeys(map(tuple, np.concatenate(palettes).tolist()))), np.uint8)
    assert len(union) <= 255  # so no local colour table outside the fade
    title, curve, end = (3, 4, 3)
    parts = expected_frames()
    shown = nearest(parts[: title + curve + 2], union)  # the title card, the curve, its hold
    page = np.array((255, 255, 255), np.float64)
    last, first = shown[-1].astype(np.float64), nearest([parts[-1]], union)[0]
    fade = [(last, 0.5), (last, 1.0), (first.astype(np.float64), 2 / 3), (first, 1 / 3)]
    shown += [np.floor(f * (1 - a) + page * a + 0.5).astype(np.uint8) for f, a in fade]
    shown += [first] * end
    frames = decoded_animation(out, 1000 / FPS)
    assert len(frames) == len(shown) == 16
    for index, (got, want) in enumerate(zip(frames, shown)):
        assert np.array_equal(got, want), f"frame {index}"
    with Image.open(out) as image:
        assert image.info.get("loop") == 0  # one loop extension, from the header
        played = 0
        for index in range(image.n_frames):
            image.seek(index)
            played += image.info["duration"]
    assert result.length == pytest.approx(played / 1000) == pytest.approx(1.6)  # as it plays


def test_gif_segments_with_their_own_palettes_join_with_local_tables(tmp_path):
    from vizff.segments import join_gif

    rng = np.random.default_rng(3)
    segments, expected = [], []
    for number in range(3):  # palettes that differ: the 2nd and 3rd become local tables
        palette = rng.integers(0, 256, (40, 3)).astype(np.uint8)
        frames = [palette[rng.integers(0, 40, (30, 50))] for _ in range(4)]
        frames.insert(2, frames[1])  # a repeated frame: a longer delay
        with GifWriter(tmp_path / f"s{number}.gif", fps=FPS, palette=palette) as writer:
            for frame in frames:
                writer.write(frame)
        segments.append(tmp_path / f"s{number}.gif")
        expected += frames
    with open(tmp_path / "joined.gif", "wb") as handle:
        join_gif(segments, handle)
    frames = decoded_animation(tmp_path / "joined.gif", 1000 / FPS)
    assert len(frames) == len(expected) == 15
    assert all(np.array_equal(a, b) for a, b in zip(frames, expected))


# ---- the same output for any --jobs ----------------------------------------------------------
@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_same_bytes_for_one_job_and_two(tmp_path, suffix):
    path = small(tmp_path)
    one = render_storyboard(path, tmp_path / f"one{suffix}", jobs=1)
    two = render_storyboard(path, tmp_path / f"two{suffix}", jobs=2)
    assert one.path.read_bytes() == two.path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["lesson.toml", f"one{suffix}", f"two{suffix}"]
    )  # no segment or temporary left


def test_mp4_same_bytes_for_one_job_and_two_and_a_chapter_per_part(tmp_path):
    path = small(tmp_path)
    result = render_storyboard(path, tmp_path / "one.mp4", jobs=1)
    render_storyboard(path, tmp_path / "two.mp4", jobs=2)
    assert (tmp_path / "one.mp4").read_bytes() == (tmp_path / "two.mp4").read_bytes()
    one, two = mp4_frames(tmp_path / "one.mp4"), mp4_frames(tmp_path / "two.mp4")
    assert len(one) == len(two) == 16
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
    assert result.length == pytest.approx(16 / FPS)  # the lesson's length, as the line says
    words = catalogue("en")
    # chapters from the parts' frames: title 3; curve 4 + hold 2 + fade out 2; end 2 + 3
    assert chapters(tmp_path / "one.mp4") == [
        ("A small lesson", 0.0, 0.3),  # the lesson's title, which its title card shows
        ("The curve", 0.3, 1.1),
        (words("cards.end.title"), 1.1, 1.6),
    ]


def test_mp4_chapters_in_chinese_and_parts_shorter_than_three_frames(tmp_path):
    text = SMALL.format(theme="dark", lang="en").replace("frames = 4", "frames = 2")
    text = text.replace("hold = 0.2", "hold = 0")  # the curve: 2 frames + 2 of fade out
    text = text.replace("seconds = 0.3\n\n[[part]]\nscene", "seconds = 0.1\n\n[[part]]\nscene")
    out = tmp_path / "zh.mp4"
    render_storyboard(write(tmp_path, text), out, lang="zh")
    words = catalogue("zh")
    # the title card's 1 frame is held to 3: a segment of H.264 needs 3 frames to be joined
    assert chapters(out) == [
        ("简单的神经网络", 0.0, 0.3),
        ("激活函数", 0.3, 0.7),
        (words("cards.end.title"), 0.7, 1.2),
    ]
    assert len(mp4_frames(out)) == 12


# ---- errors: the file, the part and the key ----------------------------------------------------
BROKEN = [
    ('[[part]]\ncard = "title"\n[[part]]\nrows = 4\n', 'part 2: a part needs scene = "NAME"'),
    (
        '[[part]]\nscene = "mosiac"\n',
        'part 1 ("mosiac"): scene = "mosiac": not a scene (did you mean "mosaic"?)',
    ),
    (
        '[[part]]\nscene = "loss"\nstepz = 3\n',
        'part 1 ("loss"): stepz = 3: not an option (did you mean "steps"?)',
    ),
    (
        '[[part]]\ncard = "title"\n[[part]]\nscene = "loss"\ntitle = "The network"\nlr = 0\n',
        'lesson.toml: part 2 ("The network"): lr = 0: must be',
    ),
    ('[train]\nlr = -1\n[[part]]\nscene = "loss"\n', "lesson.toml: [train] lr = -1: must be"),
    (
        '[train]\nstepz = 3\n[[part]]\nscene = "loss"\n',
        '[train] stepz = 3: not a training option (did you mean "steps"?); [train] takes hidden',
    ),
    ('steps = 3\n[[part]]\nscene = "loss"\n', "steps = 3: training options go in the [train]"),
    ('szie = "1x1"\n[[part]]\nscene = "loss"\n', 'szie = "1x1": not a storyboard setting (did'),
    ('rows = 4\n[[part]]\nscene = "mosaic"\n', "rows = 4: a scene's own option: set it in the"),
    (
        '[[part]]\nscene = "sigmoid"\nsize = "320x180"\n',
        'part 1 ("sigmoid"): size = "320x180": set once, at the top of the storyboard',
    ),
    (
        '[[part]]\ncard = "title"\n[[part]]\nscene = "sigmoid"\ntransition = "wipe"\n',
        'part 2 ("sigmoid"): transition = "wipe": must be one of cut, fade',
    ),
    (
        '[[part]]\nscene = "sigmoid"\nfade = 1\n',
        'part 1 ("sigmoid"): fade = 1: only with transition = "fade"',
    ),
    (
        'lang = "zh"\n[[part]]\nscene = "sigmoid"\ntitle = {en = "Hi"}\n',
        'part 1 ("Hi"): title = {en = "Hi"}: no text for lang "zh": write title = {en = "...", '
        'zh = "..."}',
    ),
    (
        '[[part]]\nscene = "sigmoid"\ntitle = {fr = "Salut"}\n',
        'title = {fr = "Salut"}: "fr" is not a language of vizff (en, zh): write title = '
        '{en = "...", zh = "..."}',
    ),
    (
        '[[part]]\nscene = "sigmoid"\ntitle = {}\n',
        'title = {}: has no text: write title = {en = "...", zh = "..."}, or one string',
    ),
    (
        '[[part]]\nscene = "sigmoid"\ncard = "end"\n',
        'part 1 ("sigmoid"): card = "end": a part is a scene or a card, not both',
    ),
    (
        '[[part]]\ncard = "section"\n',
        'part 1 ("section card"): card = "section": a section card needs a title',
    ),
    (
        '[train]\nsteps = 10\nevery = 50\n[[part]]\ncard = "title"\n[[part]]\nscene = "loss"\n',
        'lesson.toml: part 2 ("loss"): [train] every = 50: must be 1 to 10',
    ),
    ("part = 3\n", "lesson.toml: part: write each part as a [[part]] table"),
    ("part = []\n", "lesson.toml: the storyboard has no parts"),
    ('out = "x.png"\n[[part]]\nscene = "sigmoid"\n', "a storyboard renders to .mp4, .gif, .webp"),
    ('out = "x.gif"\nfps = 60\n[[part]]\nscene = "sigmoid"\n', "fps = 60: a GIF shows at most 50"),
    (
        'size = "321x181"\n[[part]]\nscene = "sigmoid"\n',
        'size = "321x181": MP4 (H.264, yuv420p) needs an even width and height',
    ),
    (
        '[[part]]\nscene = "mosaic"\nstart = 4990\ndata = "sample"\n',
        'part 1 ("mosaic"): start = 4990: 6x12 images from index 4990 go past the 1,000',
    ),
]


@pytest.mark.parametrize("text, needle", BROKEN, ids=range(len(BROKEN)))
def test_broken_storyboards_name_the_file_the_part_and_the_key(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(VizffError) as error:
        plan(load_storyboard(path, out_dir=tmp_path / "out"))
    message = str(error.value)
    assert needle in message and "\n" not in message, message
    assert message.startswith(str(path)), message
    assert not (tmp_path / "out").exists()  # refused before anything is written


def test_cli_errors_are_one_line_and_exit_2(capsys, tmp_path):
    path = write(tmp_path, '[[part]]\nscene = "loss"\nstepz = 3\n')
    code, _, err = run(capsys, "render", str(path))
    assert code == 2 and err.startswith(f'error: {path}: part 1 ("loss"): stepz = 3')
    good = small(tmp_path)
    code, _, err = run(capsys, "render", str(good), "--rows", "4")
    assert code == 2 and "No such option: --rows" in err
    code, _, err = run(capsys, "render", str(good), "--steps", "4")
    assert code == 2 and "--steps 4: no part of this storyboard takes this option" in err
    code, _, err = run(capsys, "render", str(good), "--title", "Mine")
    assert code == 2 and "--title Mine: a storyboard sets this per part, in its file" in err


def test_storyboard_scene_file_and_neither_are_told_apart(capsys, tmp_path):
    scene = write(tmp_path, 'scene = "sigmoid"\nframes = 3\n', "scene.toml")
    board = small(tmp_path)
    neither = write(tmp_path, 'size = "320x180"\n', "neither.toml")
    assert isinstance(load_target(scene), Recipe)
    assert isinstance(load_target(board), Storyboard)
    with pytest.raises(ConfigError, match="a scene file needs a line scene"):
        load_target(neither)
    code, _, err = run(capsys, "render", str(neither))
    assert code == 2 and f"error: {neither}: a scene file needs a line scene" in err
    assert "storyboard [[part]] tables; this file has neither" in err


# ---- cards ---------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(160, 90), (640, 360), (1920, 1080)])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind, words", [("title", None), ("section", "loss"), ("end", None)])
def test_cards_are_the_catalogues_words_laid_out_cleanly(size, lang, kind, words):
    chosen = {"words": words} if words else {}
    card = SCENES["card"](card=kind, size=size, lang=lang, theme="dark", **chosen)
    frame = next(iter(card.frames()))
    texts = card.page.texts()
    assert not problems(frame, texts)
    said = catalogue(lang)
    key = words or kind
    title = [t.content for t in texts if t.role == "title"]
    sub = [t.content for t in texts if t.role == "subtitle"]
    joiner = "" if lang == "zh" else " "
    plain = lambda text: re.sub(r"_(\w)", r"\1", text)  # noqa: E731 (subscripts drawn smaller)
    expected_title = plain(said(f"cards.{key}.title"))
    expected_sub = plain(said(f"cards.{key}.subtitle")).replace("\n", joiner)
    if size[0] >= 640:  # large enough for every word; the smallest may cut with an ellipsis
        assert joiner.join(title).replace("  ", " ") == expected_title
        assert joiner.join(sub).replace("  ", " ") == expected_sub
    formula = [t for t in texts if t.role == "formula"]
    if said.has(f"cards.{key}.formula"):  # the loss card's L = ...: the card's main line,
        # whole on one line at every size, in ink, larger than the words under it
        assert [t.content for t in formula] == [plain(said(f"cards.{key}.formula"))]
        assert formula[0].colour == card.theme.ink
        if size[0] >= 640:  # a thumbnail sets it smaller, to keep it whole
            assert all(formula[0].box.h > t.box.h for t in texts if t.role == "subtitle")
    else:
        assert not formula
    assert card.frame_count() == 60  # 3 s at 20 fps


def test_a_card_draws_the_users_title_as_written_and_wraps_a_long_one():
    title = "A_1 lesson: " + "very long words " * 11
    card = SCENES["card"](card="section", title=title, size=(640, 360))
    frame = next(iter(card.frames()))
    texts = card.page.texts()
    assert not problems(frame, texts)
    lines = [t.content for t in texts if t.role == "title"]
    assert 2 <= len(lines) <= 3 and lines[0].startswith("A_1 lesson")  # no subscript
    assert not [t for t in texts if t.role == "subtitle"]  # the catalogue's would not fit it


# ---- folders, --all, interruptions ---------------------------------------------------------------
def test_folder_output_has_a_file_per_part_and_an_index(tmp_path):
    out = tmp_path / "lesson"
    result = render_storyboard(small(tmp_path), out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["01-card-title.gif", "02-sigmoid.gif", "03-card-end.gif", "index.html"]
    assert "fades are left out" in result.notes[0]
    index = (out / "index.html").read_text(encoding="utf-8")
    order = [index.index(f'alt="{t}"') for t in ("A small lesson", "The curve", "Thank you")]
    assert order == sorted(order) and "<title>A small lesson</title>" in index
    assert decoded_animation(out / "02-sigmoid.gif", 100)[-1].shape == (180, 320, 3)
    assert len(decoded_animation(out / "02-sigmoid.gif", 100)) == 6  # 4 frames, held 2
    shorter = SMALL.format(theme="light", lang="en").split('[[part]]\ncard = "end"')[0]
    render_storyboard(write(tmp_path, shorter, "short.toml"), out)
    assert sorted(p.name for p in out.iterdir()) == names[:2] + ["index.html"]


def test_render_all_with_jobs_renders_scene_files_and_storyboards(capsys, tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    write(scenes, 'scene = "softmax"\nframes = 3\nsize = "320x180"\n', "a.toml")
    write(scenes, 'out = "l.gif"\n' + SMALL.format(theme="light", lang="en"), "b.toml")
    out_dir = tmp_path / "o"
    argv = ["render", "--all", "--scenes-dir", str(scenes), "--out-dir", str(out_dir)]
    code, stdout, err = run(capsys, *argv, "--jobs", "2", "--lang", "zh")
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.gif", "l.gif"]
    assert len(stdout.strip().splitlines()) == 2


def processes_marked(mark: str) -> list[int]:
    """Processes whose environment holds `mark` (the render, its workers, their ffmpeg)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


# long enough to be interrupted while its parts are being written
LONG_LESSON = (
    'size = "480x270"\n[train]\nhidden = [4]\nsteps = 3000\nevery = 1\n'
    '[[part]]\nscene = "loss"\n[[part]]\nscene = "weights"\n'
)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize(
    "jobs, sig", [("2", signal.SIGINT), ("2", signal.SIGTERM), ("1", signal.SIGINT)]
)
def test_interrupted_lesson_leaves_the_old_file_and_nothing_else(tmp_path, jobs, sig):
    board = write(tmp_path, LONG_LESSON)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "lesson.mp4"
    out.write_bytes(b"yesterday's lesson")
    mark = f"VIZFF_TEST_{uuid.uuid4().hex}"
    process = subprocess.Popen(
        [sys.executable, "-m", "vizff", "render", str(board), "--out", str(out), "--jobs", jobs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, mark: "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the parts are being written
            work = [p for p in folder.iterdir() if p.name.startswith(".vizff-") and p.is_dir()]
            if work and any(f.name.startswith(".vizff-") for f in work[0].iterdir()):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the render never got going")
        assert process.poll() is None
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 128 + sig, err
        assert "error: interrupted; no output was changed" in err and "Traceback" not in err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 15  # the workers and their ffmpeg have stopped too
    while processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_marked(mark)
    assert out.read_bytes() == b"yesterday's lesson"
    assert [p.name for p in folder.iterdir()] == ["lesson.mp4"]


# ---- the lesson --------------------------------------------------------------------------------
LESSON = Path(__file__).resolve().parents[1] / "scenes" / "lesson.toml"
ORDER = [
    ("card", "title"),  # the title
    ("mosaic", None),  # the input
    ("sigmoid", None),  # the activation
    ("softmax", None),  # the output
    ("forward", None),  # the network they make, untrained: origin.md's "fitting function"
    ("card", "section"),  # the loss
    ("gradients", None),  # the numerical gradient against back-propagation
    ("weights", None),  # gradient descent
    ("loss", None),
    ("predictions", None),  # the results
    ("card", "end"),
]


def test_the_lesson_is_in_the_lessons_order_and_plans_whole(tmp_path):
    import tomllib

    table = tomllib.loads(LESSON.read_text(encoding="utf-8"))
    parts = table["part"]
    assert [(p.get("scene", "card"), p.get("card")) for p in parts] == ORDER
    assert all(p.get("scene", "card") in SCENES for p in parts)
    # before the loss and any step of descent, the network is shown as it starts
    assert [p.get("steps") for p in parts if p.get("scene") in ("forward", "gradients")] == [0, 0]
    text = LESSON.read_text(encoding="utf-8")
    board = load_storyboard(write(tmp_path, text), {"lang": "zh"}, out_dir=tmp_path)
    lesson = plan(board)
    words = catalogue("zh")
    names = [c.title for c in lesson.chapters]
    assert names[0] == words("cards.title.title") and names[-1] == words("cards.end.title")
    assert words("cards.loss.title") in names
    assert lesson.out == tmp_path / "lesson.mp4" and lesson.fps == 20
    runs = {
        s.settings.hidden for s in lesson.segments if s.scene != "card" and "hidden" in s.settings
    }
    assert runs == {(32,)}  # one network in every training part: the [train] table's


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc")
def test_killed_lesson_workers_stop_and_the_next_render_sweeps(tmp_path):
    """SIGKILL cannot be caught: the workers see their parent gone and stop (removing their
    own temporaries); the parent's folder of segments stays until the next render there."""
    board = write(tmp_path, LONG_LESSON)
    folder = tmp_path / "out"
    folder.mkdir()
    mark = f"VIZFF_TEST_{uuid.uuid4().hex}"
    command = [sys.executable, "-m", "vizff", "render", str(board), "--jobs", "2"]
    process = subprocess.Popen(
        [*command, "--out", str(folder / "lesson.gif")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, mark: "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            work = [p for p in folder.iterdir() if p.name.startswith(".vizff-")]
            if work and any(f.name.startswith(".vizff-") for f in work[0].iterdir()):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the render never got going")
        process.kill()
        process.wait()
        deadline = time.monotonic() + 15
        while processes_marked(mark) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not processes_marked(mark)  # no worker, no ffmpeg, no server left running
        left = [p for p in folder.iterdir()]
        assert [p.name for p in left] == [work[0].name]  # the segments' folder only
        assert not [f for f in left[0].iterdir() if f.name.startswith(".vizff-")]  # workers' own
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    render_storyboard(small(tmp_path), folder / "next.gif")
    assert [p.name for p in folder.iterdir()] == ["next.gif"]


def lesson_process(board: Path, out: Path, mark: str, **popen) -> subprocess.Popen:
    """`vizff render BOARD --out OUT --jobs 2`, its processes marked by the variable `mark`."""
    return subprocess.Popen(
        [sys.executable, "-m", "vizff", "render", str(board), "--out", str(out), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, mark: "1"},
        **popen,
    )


ENDLESS_LESSON = (  # two parts, each minutes long, each saying how far it got every frame
    'size = "480x270"\n[train]\nhidden = [4]\nsteps = 30000\nevery = 1\n'
    '[[part]]\nscene = "loss"\n[[part]]\nscene = "loss"\ntitle = "The loss again"\n'
)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc")
def test_a_worker_killed_outright_fails_the_render_in_one_line(tmp_path):
    """The out-of-memory killer takes a worker: the render stops, says so, keeps the old file.
    It stops then, not when the other worker's part is done: a worker's death was looked for
    only while no message came, and the other's progress kept coming (21 s here, minutes for a
    long part: this lesson's parts would run past the minute the test waits)."""
    board = write(tmp_path, ENDLESS_LESSON)
    out = tmp_path / "lesson.webp"
    out.write_bytes(b"kept")
    mark = f"VIZFF_TEST_{uuid.uuid4().hex}"
    process = lesson_process(board, out, mark)
    try:
        deadline, workers = time.monotonic() + 120, []
        while not workers and time.monotonic() < deadline:  # forked from the server, not vizff
            parents = {pid: parent_of(pid) for pid in processes_marked(mark)}
            server = [pid for pid, parent in parents.items() if parent == process.pid]
            workers = [
                p for p, parent in parents.items() if parent in server and "python" in name_of(p)
            ]
            time.sleep(0.1)
        assert workers, "no worker started"
        time.sleep(1.0)
        os.kill(workers[0], signal.SIGKILL)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1, err
    assert "the worker process ended unexpectedly (exit code -9)" in err
    # one line of error (on a busy machine a note before it may estimate the part's time)
    errors = [line for line in err.splitlines() if not line.startswith("note: ")]
    assert len(errors) == 1 and errors[0].startswith("error: ") and "Traceback" not in err
    assert out.read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.toml", "lesson.webp"]


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def name_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return ""


DIVERGING_LESSON = """
size = "480x270"
fps = 10
hold = 0
[train]
steps = 30
lr = 1e8
[[part]]
card = "title"
seconds = 3
[[part]]
scene = "loss"
[[part]]
scene = "sigmoid"
frames = 60
"""


def test_a_part_that_fails_beside_a_running_one_is_one_line(tmp_path):
    """Part 2 diverges while part 3 renders in the other worker, which the parent then
    terminates: once the worker has finished, SIGTERM raised KeyboardInterrupt inside
    multiprocessing's exit and printed a traceback under the error (3 runs in 4, before)."""
    board = write(tmp_path, DIVERGING_LESSON)
    out = tmp_path / "lesson.mp4"
    out.write_bytes(b"kept")
    for _ in range(4):
        done = subprocess.run(
            [sys.executable, "-m", "vizff", "render", str(board), "--out", str(out), "--jobs", "2"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        assert "training diverged" in done.stderr
        assert out.read_bytes() == b"kept"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize(
    ("sig", "delay"),
    [(signal.SIGINT, 0.3), (signal.SIGINT, 0.8), (signal.SIGINT, 1.5)]
    + [(signal.SIGHUP, 1.5), (signal.SIGHUP, 3.0), (signal.SIGQUIT, 1.5)],
)
def test_ctrl_c_to_the_whole_group_early_in_a_lesson_is_one_line(tmp_path, sig, delay):
    """A terminal's Ctrl-C goes to every process of the group, the workers' server too; while
    that server still imported vizff, it printed a 40-line traceback under the one line. A
    closed terminal's SIGHUP, to the group too, killed multiprocessing's resource tracker,
    which, started again, printed "process died unexpectedly" and KeyError tracebacks.
    Ctrl-\\ (SIGQUIT) ended vizff with no word and left its temporary files."""
    board = write(tmp_path, LONG_LESSON)
    out = tmp_path / "lesson.mp4"
    mark = f"VIZFF_TEST_{uuid.uuid4().hex}"
    process = lesson_process(board, out, mark, start_new_session=True)  # a group of its own,
    # as a terminal gives a command
    try:
        time.sleep(delay)
        os.killpg(process.pid, sig)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    # 128 + the signal, or ended by it; now and then a signal lands as Python exits on the
    # KeyboardInterrupt it became, and Python then ends by SIGINT, its way for a Ctrl-C at
    # exit (a shell reports 130)
    assert process.returncode in (128 + sig, -sig, -signal.SIGINT), err
    assert err.strip().splitlines() == ["error: interrupted; no output was changed"]
    assert list(tmp_path.iterdir()) == [board]
    deadline = time.monotonic() + 15
    while processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_marked(mark)


@pytest.mark.parametrize(
    ("args", "keywords", "said"),
    [
        ((), {"jobs": "2"}, "jobs='2': expected a whole number of workers, 1 to 256"),
        ((), {"jobs": 0}, "jobs=0: expected a whole number of workers, 1 to 256"),
        ((), {"jobs": 10**6}, "jobs=1000000: expected a whole number of workers, 1 to 256"),
        ((), {"jobs": True}, "jobs=True: expected a whole number of workers, 1 to 256"),
        ((None,), {}, "path=None: expected a storyboard file (.toml)"),
        (({"part": []},), {}, "path={'part': []}: expected a storyboard file (.toml)"),
        (("LESSON", 3), {}, "out=3: expected a file or folder name"),
        (
            ("sigmoid",),
            {},
            "path='sigmoid': a scene's name, not a storyboard file: render_scene(\"sigmoid\", ...)",
        ),  # fmt: skip
        (
            ("LESSON", io.BytesIO()),
            {},
            "out=<BytesIO>: expected a file or folder name, not a file object",
        ),  # fmt: skip
    ],
)
def test_render_storyboards_keywords_are_checked_as_render_scenes_are(
    tmp_path, args, keywords, said
):
    """`jobs="2"` raised TypeError ('>' not supported...), and a dict for the path a pathlib
    TypeError; `jobs=0` and `jobs=10**6` were taken."""
    args = tuple(str(LESSON) if a == "LESSON" else a for a in args) or (str(LESSON),)
    with pytest.raises(OptionError) as caught:
        render_storyboard(*args, **keywords)
    assert str(caught.value) == said
    assert list(tmp_path.iterdir()) == []


def test_a_top_setting_written_below_train_says_to_move_it_up(tmp_path):
    """TOML puts every key after `[train]` into that table: `transition` there was called "not
    a training option (did you mean "activation"?)"."""
    board = write(tmp_path, '[train]\nsteps = 10\ntransition = "fade"\n[[part]]\nscene = "card"\n')
    with pytest.raises(OptionError) as caught:
        load_storyboard(board)
    assert str(caught.value) == (
        f'{board}: [train] transition = "fade": a setting of the whole storyboard: write it '
        "above [train] (every key after a table's header belongs to that table)"
    )
    board = write(tmp_path, 'bogus = 1\n[[part]]\nscene = "card"\n')
    with pytest.raises(OptionError) as caught:
        load_storyboard(board)
    listed = str(caught.value).split("the top takes ")[1].split(", ")
    assert len(listed) == len(set(listed)) and "title" in listed  # each key once
    assert not {"max_bytes", "poster", "frame", "subtitle"} & set(listed)  # none it refuses


def test_a_part_that_cannot_fit_the_frame_is_found_before_any_part_is_rendered(tmp_path):
    """The lesson at 480x270 rendered nine parts (18 s) before the predictions part found its
    40 digits did not fit."""
    board = write(
        tmp_path,
        'size = "480x270"\n[[part]]\ncard = "title"\n'
        '[[part]]\nscene = "predictions"\ncount = 40\nsteps = 3\nevery = 3\n',
    )
    with pytest.raises(VizffError, match=r'part 2 \("predictions"\): count = 40: 40 images and'):
        plan(load_storyboard(board))  # planning: nothing drawn, no file
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.toml"]


def test_a_users_file_with_a_parts_name_in_a_lesson_folder_is_never_replaced(tmp_path):
    """A one-part lesson in a folder, then the user's own `02-sigmoid.gif` beside it, then a
    two-part lesson into the same folder: the user's file was replaced in silence (the
    earlier index did not list it). It is refused before any work; without it, the lesson
    renders and a third render replaces its own parts."""
    one = tmp_path / "one.toml"
    one.write_text('size = "320x180"\n[[part]]\nscene = "sigmoid"\nframes = 2\n')
    two = tmp_path / "two.toml"
    two.write_text(one.read_text() + '[[part]]\nscene = "sigmoid"\nframes = 2\n')
    folder = tmp_path / "lesson"
    render_storyboard(one, folder)
    (folder / "02-sigmoid.gif").write_bytes(b"mine")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(OptionError) as caught:
        render_storyboard(two, folder)
    assert str(caught.value) == (
        f"out='{folder}': holds 02-sigmoid.gif, which is not a part of an earlier lesson vizff "
        "wrote there (its index.html does not list it): this lesson's part would replace it; "
        "move it, or give another folder"
    )
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    (folder / "02-sigmoid.gif").unlink()
    render_storyboard(two, folder)
    render_storyboard(two, folder)  # its own parts, listed: replaced
    assert sorted(p.name for p in folder.iterdir()) == [
        "01-sigmoid.gif", "02-sigmoid.gif", "index.html"
    ]  # fmt: skip
    # a part the user changed since (the index records what vizff wrote) is theirs now: not
    # replaced by a render of the same lesson, not removed by a shorter one
    (folder / "02-sigmoid.gif").write_bytes(b"edited")
    with pytest.raises(OptionError, match="holds 02-sigmoid.gif, which has changed since the "):
        render_storyboard(two, folder)
    result = render_storyboard(one, folder)
    assert (folder / "02-sigmoid.gif").read_bytes() == b"edited"
    assert (
        f"left {folder / '02-sigmoid.gif'}: it has changed since the earlier lesson wrote it"
        in (result.notes)
    )
    render_storyboard(two, folder.parent / "fresh")  # an unchanged earlier part: removed
    render_storyboard(one, folder.parent / "fresh")
    assert sorted(p.name for p in (folder.parent / "fresh").iterdir()) == [
        "01-sigmoid.gif", "index.html"
    ]  # fmt: skip


def test_a_folder_vizff_page_indexed_is_not_taken_for_a_lesson(tmp_path, capsys):
    """A lesson rendered into a folder of the user's own renders, which `vizff page` had
    indexed, took the page for an earlier lesson's index: it replaced the page and deleted
    the user's `01-intro.mp4` (its name looks like a part's, and the page linked to it)."""
    from vizff.embed import write_page

    talk = tmp_path / "talk"
    render_scene("sigmoid", talk / "01-intro.mp4", size=SIZE, frames=3)
    render_scene("sigmoid", talk / "02-sigmoid.gif", size=SIZE, frames=3)
    write_page(talk)
    before = {p.name: p.read_bytes() for p in talk.iterdir()}
    with pytest.raises(OptionError, match="holding files that are not an earlier lesson"):
        render_storyboard(small(tmp_path), talk)
    assert {p.name: p.read_bytes() for p in talk.iterdir()} == before  # nothing lost
    # the other way round: a lesson's own index is not replaced by `vizff page`
    lesson = tmp_path / "lesson"
    render_storyboard(small(tmp_path), lesson)
    index = (lesson / "index.html").read_bytes()
    with pytest.raises(ConfigError, match="is the index of a lesson rendered into this folder"):
        write_page(lesson)
    assert (lesson / "index.html").read_bytes() == index


def test_an_earlier_lesson_index_without_its_mark_is_still_a_lesson(tmp_path):
    """Indexes written before lessons were marked are told from `vizff page`'s by their list:
    a new, shorter render of the lesson still removes the parts the old one listed."""
    from vizff.files import LESSON_MARK

    out = tmp_path / "lesson"
    render_storyboard(small(tmp_path), out)
    page = out / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(LESSON_MARK + "\n", ""), "utf-8")
    assert LESSON_MARK not in page.read_text(encoding="utf-8")
    shorter = SMALL.format(theme="light", lang="en").split('[[part]]\ncard = "end"')[0]
    render_storyboard(write(tmp_path, shorter, "short.toml"), out)
    assert sorted(p.name for p in out.iterdir()) == [
        "01-card-title.gif",
        "02-sigmoid.gif",
        "index.html",
    ]


def test_an_old_part_that_cannot_be_removed_is_a_note_not_a_failure(tmp_path):
    """Re-rendered shorter into its folder, a lesson whose old part had become a folder
    said it failed (exit 1) after the new lesson was in place, half its old parts removed."""
    out = tmp_path / "lesson"
    three = SMALL.format(theme="light", lang="en")
    render_storyboard(write(tmp_path, three), out)
    (out / "02-sigmoid.gif").unlink()
    (out / "02-sigmoid.gif").mkdir()
    (out / "02-sigmoid.gif" / "keep").write_text("mine")
    one = three.split("[[part]]\nscene")[0]
    result = render_storyboard(write(tmp_path, one, "one.toml"), out)
    assert sorted(p.name for p in out.iterdir()) == [
        "01-card-title.gif",
        "02-sigmoid.gif",
        "index.html",
    ]
    assert (out / "02-sigmoid.gif" / "keep").read_text() == "mine"
    assert any(f"left {out / '02-sigmoid.gif'}, a folder" in note for note in result.notes)


def test_a_title_card_names_the_lessons_own_data(tmp_path):
    """A lesson on Fashion-MNIST-like data opened with "MNIST digits in, ten probabilities
    out", then showed its items; the card now names the data the lesson gives its parts."""
    from tests.conftest import write_idx_dir

    data = write_idx_dir(tmp_path / "wardrobe")
    board = write(
        tmp_path,
        'size = "640x360"\ndata = "wardrobe"\nclasses = "fashion"\n'
        '[[part]]\ncard = "title"\nseconds = 0.2\n[[part]]\nscene = "mosaic"\nreveal = 2\n',
    )
    card = SCENES["card"](plan(load_storyboard(board)).segments[0].settings)  # as the lesson
    assert card.subtitle().startswith("wardrobe items in, ten probabilities out")
    zh = SCENES["card"](card="title", data=str(data), classes="fashion", lang="zh")
    assert zh.subtitle().startswith("从wardrobe中的服饰图像到每一类的预测概率")
    assert render_storyboard(board, tmp_path / "parts").path.is_dir()
    default = SCENES["card"](card="title")
    assert default.subtitle().startswith("MNIST digits in, ten probabilities out")


def test_a_folder_holding_only_a_file_browsers_files_is_taken(tmp_path):
    """A lesson folder (or a folder of frames) that held only .DS_Store was refused as "a
    folder holding files that are not an earlier lesson"; the hidden file is left as it was."""
    lesson, frames = tmp_path / "lesson", tmp_path / "frames"
    for folder in (lesson, frames):
        folder.mkdir()
        (folder / ".DS_Store").write_bytes(b"finder")
    render_storyboard(small(tmp_path), lesson)
    render_scene("sigmoid", frames, size=SIZE, frames=2)
    assert (lesson / ".DS_Store").read_bytes() == (frames / ".DS_Store").read_bytes() == b"finder"
    assert (lesson / "index.html").is_file() and (frames / "frame_00001.png").is_file()


def test_each_parts_estimate_names_its_own_work_and_part(tmp_path, capsys):
    """A storyboard's estimates were kept one per training run and worded "of training" with
    no part named; now each kind of work has its own, naming the first part it is for, and a
    file's key rather than a flag."""
    from vizff.cli import warn_if_long

    board = write(
        tmp_path,
        'size = "320x180"\n[train]\nhidden = [2]\nsteps = 2\nmethod = "numerical"\n'
        '[[part]]\nscene = "loss"\ntitle = "Loss"\n[[part]]\nscene = "gradients"\n'
        '[[part]]\nscene = "loss"\ntitle = "Loss again"\n',
    )
    planned = plan(load_storyboard(board), estimate=True)
    assert [(what, where) for _, _, what, where in planned.estimates] == [
        ("training", f'{board}: part 1 ("Loss")'),
        ("training and loss evaluations", f'{board}: part 2 ("gradients")'),
    ]
    assert all(0 < seconds < 60 for seconds, *_ in planned.estimates)
    for seconds, config, what, where in planned.estimates:
        warn_if_long(seconds, config, what, where)  # numerical: always said
        warn_if_long(600.0, config, what, where)  # long: said for backprop too
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f'note: {board}: part 1 ("Loss"): method = "numerical" costs')
    assert err[0].endswith("of training here (measured on a short probe)")
    assert err[1].endswith("about 10 min of training here (measured on a short probe)")
    assert err[2] == (
        f'note: {board}: part 2 ("gradients"): estimated 10 min of training and loss '
        "evaluations (measured on a few steps)"
    )
    assert len(err) == 3  # the gradients part's own short run, by backprop, is not worth a note


UNGUARDED = {
    "top level": "{call}\nprint('rendered')\n",
    "a function called at the top": "def main():\n    {call}\n\n\nmain()\n",
}


@pytest.mark.parametrize("how", sorted(UNGUARDED))
def test_jobs_from_a_script_without_a_main_guard_says_to_add_one(tmp_path, how):
    """Each worker runs the caller's script again from its top: at its top level a
    render_storyboard(jobs=2) failed with "the worker process ended unexpectedly" after two
    pages of multiprocessing's tracebacks. Now one error, before any worker starts."""
    board = write(tmp_path, '[[part]]\ncard = "title"\nseconds = 1\n')
    call = f"vizff.render_storyboard({str(board)!r}, 'x.mp4', jobs=2)"
    script = tmp_path / "make_lesson.py"
    script.write_text("import vizff\n" + UNGUARDED[how].format(call=call))
    ran = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 1 and "rendered" not in ran.stdout
    assert ran.stderr.strip().splitlines()[-1] == (
        "vizff.errors.OptionError: jobs=2: each worker runs make_lesson.py again from its top, "
        'which renders again: put the render under `if __name__ == "__main__":`, or use jobs=1'
    )
    assert "worker" not in ran.stderr.replace("each worker runs", "")  # none was started
    assert not (tmp_path / "x.mp4").exists()
    # guarded, the same call renders (the README's example is guarded the same way)
    script.write_text(
        "import vizff\nif __name__ == '__main__':\n    "
        + UNGUARDED[how].format(call=call).replace("\n", "\n    ")
    )
    ran = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "x.mp4").stat().st_size > 0


def test_jobs_from_a_script_piped_to_python_says_to_save_it_or_use_one_job(tmp_path):
    """`python - < make.py` with jobs=2: each worker tried to run `<stdin>` again and two
    pages of multiprocessing's FileNotFoundError tracebacks ended in "ended unexpectedly"."""
    board = write(tmp_path, '[[part]]\ncard = "title"\nseconds = 1\n')
    code = f"import vizff\nvizff.render_storyboard({str(board)!r}, 'x.mp4', jobs=2)\n"
    ran = subprocess.run(
        [sys.executable, "-"], input=code, cwd=tmp_path, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines()[-1] == (
        "vizff.errors.OptionError: jobs=2: each worker starts by running the main script "
        "again, and <stdin> is not a file it can read (a script from standard input); save "
        "the script to a file, or use jobs=1"
    )
    assert "forkserver" not in ran.stderr and not (tmp_path / "x.mp4").exists()
    ran = subprocess.run(
        [sys.executable, "-"], input=code.replace("jobs=2", "jobs=1"), cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0 and (tmp_path / "x.mp4").stat().st_size > 0, ran.stderr


def test_a_title_card_without_words_of_its_own_shows_the_lessons_title(tmp_path):
    """`title = "..."` at a storyboard's top titled the file and the folder's index, while the
    title card still showed the catalogue's title: the lesson had two names."""
    board = write(
        tmp_path,
        'title = {en = "Backprop in one hour", zh = "一小时学反向传播"}\n'
        '[[part]]\ncard = "title"\nseconds = 1\n'
        '[[part]]\ncard = "title"\nwords = "end"\nseconds = 1\n'  # its own words: kept
        '[[part]]\ncard = "title"\ntitle = "Part one"\nseconds = 1\n'  # its own title: kept
        '[[part]]\ncard = "section"\ntitle = "Loss"\nseconds = 1\n',
    )
    words = catalogue("en")
    for lang, lesson in (("en", "Backprop in one hour"), ("zh", "一小时学反向传播")):
        planned = plan(load_storyboard(board, {"lang": lang}))
        titles = [chapter.title for chapter in planned.chapters]
        end = catalogue(lang)("cards.end.title")
        assert titles == [lesson, end, "Part one", "Loss"] and planned.title == lesson
    # the frames are those of the part given that title itself (no catalogue subtitle)
    board.write_text(
        'size = "320x180"\ntitle = "Backprop in one hour"\n[[part]]\ncard = "title"\n',
        encoding="utf-8",
    )
    result = render_storyboard(board, str(tmp_path / "top.gif"))
    assert result.title == "Backprop in one hour"
    own = write(
        tmp_path,
        'size = "320x180"\n[[part]]\ncard = "title"\ntitle = "Backprop in one hour"\n',
        "own.toml",
    )
    render_storyboard(own, str(tmp_path / "own.gif"))
    with Image.open(tmp_path / "top.gif") as top, Image.open(tmp_path / "own.gif") as mine:
        assert np.array_equal(np.asarray(top.convert("RGB")), np.asarray(mine.convert("RGB")))
    catalogue_card = write(tmp_path, 'size = "320x180"\n[[part]]\ncard = "title"\n', "c.toml")
    render_storyboard(catalogue_card, str(tmp_path / "c.gif"))
    with Image.open(tmp_path / "top.gif") as top, Image.open(tmp_path / "c.gif") as theirs:
        assert not np.array_equal(np.asarray(top.convert("RGB")), np.asarray(theirs.convert("RGB")))
    # without a title at the top, the card keeps the catalogue's title and subtitle
    board.write_text('[[part]]\ncard = "title"\nseconds = 1\n', encoding="utf-8")
    assert [c.title for c in plan(load_storyboard(board)).chapters] == [words("cards.title.title")]


def test_a_title_of_several_lines_is_one_line_in_the_chapter_menu_and_metadata(tmp_path):
    """A card's title may be set on several lines; its chapter was written as "Line one\\
    line two" (two lines in a player's chapter menu) and the lesson's title the same."""
    board = write(
        tmp_path,
        'size = "320x180"\ntitle = "Backprop\\n  in one hour"\n'
        '[[part]]\ncard = "title"\ntitle = "Line one\\nline two"\nseconds = 1\n'
        '[[part]]\ncard = "end"\nseconds = 1\n',
    )
    result = render_storyboard(board, str(tmp_path / "x.mp4"))
    end = catalogue("en")("cards.end.title")
    assert [c[0] for c in chapters(tmp_path / "x.mp4")] == ["Line one line two", end]
    metadata = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(tmp_path / "x.mp4"), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
    ).stdout
    assert metadata.split("[CHAPTER]")[0].splitlines()[-1] != "line two"
    assert "title=Backprop in one hour\n" in metadata and result.title == "Backprop in one hour"


def test_control_characters_of_a_lessons_title_are_refused_where_they_are_written(tmp_path):
    """A BEL in the storyboard's title was written into the MP4's title as it was, and a
    part's drawn as nothing; both are refused now, each under the key that holds it (the
    lesson's title even where no card draws it)."""
    lesson = 'size = "320x180"\ntitle = "Hello \\u0007 bell"\n'
    part = '[[part]]\ncard = "title"\ntitle = "{}"\nseconds = 1\n'
    for text, said in (
        (lesson + part.format("A B"), 'title = "Hello \\x07 bell": has a'),
        (part.format("A\\u001bB"), 'part 1 ("A\\x1bB"): title = "A\\x1bB": has a'),
    ):
        board = write(tmp_path, text)
        with pytest.raises(OptionError) as caught:
            render_storyboard(board, str(tmp_path / "x.mp4"))
        assert str(caught.value) == (
            f"{board}: {said} control character (U+{7 if 'Hello' in said else 27:04X}), "
            "which draws nothing; leave it out"
        )
    assert not (tmp_path / "x.mp4").exists()


def test_a_cards_hold_is_refused_where_given_and_a_first_parts_fade_says_why(tmp_path, capsys):
    """`hold = 3` on a card part, and `render card --hold 3`, were taken and did nothing; a
    first part's `fade` under a top `transition = "fade"` was refused as "only with
    transition = fade", which the top said."""
    board = write(tmp_path, 'size = "320x180"\n[[part]]\ncard = "title"\nhold = 3\nseconds = 1\n')
    with pytest.raises(OptionError) as caught:
        plan(load_storyboard(board))
    assert str(caught.value) == (
        f'{board}: part 1 ("title card"): hold = 3: a card is one still picture shown for '
        "its `seconds`; give seconds = 4 for a longer one"
    )
    code, _, err = run(capsys, "render", "card", "--hold", "3", "--out", str(tmp_path / "c.gif"))
    assert code == 2 and err.startswith("error: --hold 3: a card is one still picture")
    # a lesson's --hold is for its scenes: its cards last their seconds, as before
    board = write(
        tmp_path,
        'size = "320x180"\nfps = 10\n[[part]]\ncard = "title"\nseconds = 1\n'
        '[[part]]\nscene = "sigmoid"\nframes = 3\n',
    )
    code, _, _ = run(capsys, "render", str(board), "--out", str(tmp_path / "l.mp4"), "--hold", "1")
    assert code == 0 and len(mp4_frames(tmp_path / "l.mp4")) == 10 + 3 + 10
    board = write(
        tmp_path, 'transition = "fade"\n[[part]]\ncard = "title"\nfade = 0.5\n', "first.toml"
    )
    with pytest.raises(OptionError, match=r"write it here\)$"):
        load_storyboard(board)


def test_a_keyword_given_to_render_storyboard_is_refused_as_the_keyword(tmp_path):
    """`render_storyboard(board, out, lang="fr")` raised TaskFailed naming part 1: the
    keyword is the caller's, for every part, and an OptionError as render_scene's are."""
    board = small(tmp_path)
    with pytest.raises(OptionError) as caught:
        render_storyboard(board, tmp_path / "x.mp4", lang="fr")
    assert str(caught.value) == "lang='fr': must be one of en, zh"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.toml"]


def test_a_lessons_title_no_font_here_draws_leaves_the_card_to_the_catalogue(tmp_path, monkeypatch):
    """The lesson's title is its file's metadata first: where no font here has its
    characters (no CJK font, characters past the shipped subset), the lesson still renders,
    its title card showing the catalogue's title, and a note says why."""
    from matplotlib import font_manager

    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])  # a machine with no CJK font
    board = write(
        tmp_path,
        'size = "320x180"\nlang = "zh"\ntitle = "淼淼的神经网络课"\n'  # 淼: not in the subset
        '[[part]]\ncard = "title"\nseconds = 0.3\n',
    )
    result = render_storyboard(board, tmp_path / "x.gif")
    assert result.title == "淼淼的神经网络课"  # the file carries it
    assert result.notes == (
        "part 1: the title card shows the catalogue's title, not the lesson's (no font here "
        'has 淼 U+6DFC: install a CJK font such as Noto Sans CJK SC, or pass font = "PATH" '
        "to a font that has them)",
    )
    catalogue_card = write(
        tmp_path,
        'size = "320x180"\nlang = "zh"\n[[part]]\ncard = "title"\nseconds = 0.3\n',
        "c.toml",
    )
    render_storyboard(catalogue_card, tmp_path / "c.gif")
    with Image.open(tmp_path / "x.gif") as mine, Image.open(tmp_path / "c.gif") as theirs:
        assert np.array_equal(np.asarray(mine.convert("RGB")), np.asarray(theirs.convert("RGB")))


def test_a_fade_longer_than_the_parts_it_joins_gets_a_note(tmp_path):
    """fade = 10 between two 0.3 s cards made a 10.6 s lesson of fading, with nothing said."""
    text = (
        'size = "320x180"\nfps = 10\n[[part]]\ncard = "title"\nseconds = 0.3\n'
        '[[part]]\ncard = "end"\nseconds = 0.3\ntransition = "fade"\nfade = {fade}\n'
    )
    long = render_storyboard(
        write(tmp_path, text.format(fade=10), "long.toml"), str(tmp_path / "l.gif")
    )
    assert any("its 10 s fade lasts longer than this part (0.3 s)" in n for n in long.notes)
    short = render_storyboard(
        write(tmp_path, text.format(fade=0.2), "short.toml"), str(tmp_path / "s.gif")
    )
    assert not any("fade lasts longer" in n for n in short.notes)


@pytest.mark.parametrize("out", ["", " ", "sub/.mp4", "sub/lesson.mp4/"])
def test_an_out_that_names_no_file_is_refused_for_a_storyboard_as_for_a_scene(
    capsys, tmp_path, monkeypatch, out
):
    """`--out ""` wrote the parts and an index.html into the working folder, `.mp4` made a
    folder of that name, a trailing / wrote a file: a scene refuses each of them."""
    board = small(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    code, stdout, err = run(capsys, "render", str(board), "--out", out)
    assert code == 2 and err.startswith(
        f"error: --out {out!r}" if out.strip() == "" else "error: --out "
    ), err
    assert len(err.strip().splitlines()) == 1 and not stdout
    with pytest.raises(OptionError, match=r"^out="):
        render_storyboard(board, out)
    assert sorted(tmp_path.rglob("*")) == before  # nothing written
    code, _, scene_err = run(capsys, "render", "sigmoid", "--out", out)  # the same words
    assert code == 2 and scene_err == err


@pytest.mark.parametrize(
    "progress, said",
    [
        (5, "progress=5: expected a function progress(frames_done, label), or None"),
        (lambda: None, "must take two arguments: progress(frames_done, label)"),
        (lambda done: None, "must take two arguments: progress(frames_done, label)"),
    ],
)
def test_a_progress_that_is_not_a_function_of_two_arguments_is_refused_first(
    tmp_path, progress, said
):
    """progress=5 was a TypeError ('int' object is not callable) from deep in the render."""
    board = small(tmp_path)
    with pytest.raises(OptionError, match=re.escape(said)):
        render_storyboard(board, tmp_path / "p.mp4", progress=progress)
    assert not (tmp_path / "p.mp4").exists()


def test_progress_is_told_the_frames_done_and_what_is_being_made(tmp_path):
    calls = []
    result = render_storyboard(
        small(tmp_path),
        tmp_path / "p.mp4",
        progress=lambda done, label: calls.append((done, label)),
    )
    done = [d for d, _ in calls]
    assert calls and done == sorted(done) and done[-1] <= result.frames
    assert all(isinstance(label, str) for _, label in calls)


def test_a_lessons_folder_is_described_as_its_parts_not_as_png_frames(tmp_path):
    """print(render_storyboard(board, "folder")) said "14 KB PNG frames in folder" of a folder
    holding 01-card-title.gif, 02-loss.gif and index.html."""
    from vizff.notebook import link_reason

    folder = tmp_path / "lesson"
    result = render_storyboard(small(tmp_path), folder)
    assert {p.suffix for p in folder.iterdir()} == {".gif", ".html"}
    line = str(result).splitlines()[0]
    assert f", a file per part in {folder}, " in line and "PNG" not in line
    assert "index.html" in link_reason(result)
    frames = render_scene("sigmoid", tmp_path / "pngs", size=(320, 180), frames=2)
    assert f" PNG frames in {tmp_path / 'pngs'}, " in str(frames)
    assert link_reason(frames) == "a folder of PNG frames: open it to see them"


def test_a_chinese_lessons_index_is_tagged_simplified_and_counts_in_its_words(tmp_path):
    """The index of a Chinese lesson said lang="zh" (a browser may pick Traditional or
    Japanese glyphs) and "(4.0 s)" beside each part."""
    out = tmp_path / "lesson"
    render_storyboard(small(tmp_path, lang="zh"), out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in index
    lengths = re.findall(r"</a> \(([^)]*)\)<br>", index)
    assert len(lengths) == 3 and all(re.fullmatch(r"\d+\.\d 秒", x) for x in lengths), lengths
    render_storyboard(small(tmp_path), tmp_path / "en")
    english = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english and re.search(r"</a> \(\d+\.\d s\)<br>", english)
