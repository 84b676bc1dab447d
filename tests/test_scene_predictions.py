"""The predictions scene: every number it draws against an independent float64 oracle.

The oracle replays the run with the reference trainer of test_oracles_train (float64 numpy
written from the lesson, calling nothing in vizff.nn or vizff.train) and recomputes, with a
plain loop over the test digits, each tile's prediction and probability, the confusion matrix
and the accuracy. The scene runs in float64 too, so an argmax can only differ by a real bug.
The strings compared are the ones the scene drew (`scene.page.texts()` after each frame).
"""

from __future__ import annotations

import hashlib
import math
import re

import numpy as np
import pytest

from tests.conftest import idx_images, idx_labels, write_idx_dir
from tests.test_oracles_train import inputs, reference_forward, reference_run
from vizff.data import load_digits
from vizff.draw import THEMES, catalogue, contrast_ratio
from vizff.draw.lint import problems
from vizff.draw.marks import Marks
from vizff.draw.matrix import legible_map, level_of
from vizff.errors import OptionError
from vizff.scenes import SCENES

Predictions = SCENES["predictions"]
RUN = dict(hidden=(16,), lr=1.0, batch_size=64, seed=0)  # the run every oracle replays


@pytest.fixture(scope="module")
def sample():
    return load_digits("sample")


def reference_frames(digits, *, steps: int, every: int, **run):
    """{step: (n_test, 10) float64 probabilities} of the frames' networks, and the rows."""
    rows = reference_run(
        digits, activation="sigmoid", steps=steps, eval_every=every, **{**RUN, **run}
    )
    x_test = inputs(digits.test_images)
    shown = sorted({*range(0, steps + 1, every), steps})
    return {step: reference_forward(rows[step]["params"], x_test, "sigmoid")[1] for step in shown}


def confusion_by_loop(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((10, 10), dtype=int)
    for truth, guess in zip(labels.tolist(), predicted.tolist()):
        matrix[truth, guess] += 1
    return matrix


def written_probability(p: float) -> str:
    """Two decimals; never `0.00` for a positive p nor `1.00` below 1 (as the lesson reads)."""
    if 0 < p < 0.005:
        return "<0.01"
    if 0.995 < p < 1:
        return ">0.99"
    return f"{p:.2f}"


def frames_with_texts(scene):
    """(frame, texts) for every frame, the texts as drawn on it."""
    for frame in scene.frames():
        yield frame, list(scene.page.texts())


def tile_of(scene, item) -> int:
    """Which tile a label belongs to: the tile above it, within its column's pitch."""
    cx, cy = item.box.centre
    for k, tile in enumerate(scene.grid.tiles):
        below = tile.bottom < cy < tile.bottom + scene.grid.below
        if below and abs(cx - (tile.x + tile.w / 2)) <= scene.pitch / 2:
            return k
    raise AssertionError(f"{item.content!r} at {item.box} is under no tile")


def labels_by_tile(scene, texts, role: str) -> dict[int, object]:
    found = {}
    for item in texts:
        if item.role == role:
            k = tile_of(scene, item)
            assert k not in found, f"two {role} labels under tile {k}"
            found[k] = item
    return found


def drawn_matrix(scene, texts) -> np.ndarray:
    matrix = np.full((10, 10), -1)
    for item in texts:
        if item.role != "count":
            continue
        cx, cy = item.box.centre
        hits = [
            (r, c)
            for r in range(10)
            for c in range(10)
            if (box := scene.matrix.cell_box(r, c)).x <= cx < box.right and box.y <= cy < box.bottom
        ]
        assert len(hits) == 1, f"count {item.content!r} at {item.box} is in {hits}"
        matrix[hits[0]] = int(item.content)
    return matrix


def caption_of(texts) -> str:
    return " ".join(t.content for t in texts if t.role == "caption")


CAPTION = re.compile(r"test accuracy (\d+\.\d)%: ([\d,]+) of ([\d,]+) test digits right")


# ---- tiles -----------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_tile_shows_the_oracles_prediction_probability_and_mark(sample, theme):
    steps, every = 12, 4
    oracle = reference_frames(sample, steps=steps, every=every)
    scene = Predictions(steps=steps, every=every, dtype="float64", theme=theme, **RUN)
    labels = sample.test_labels.astype(int)
    colours = THEMES[theme]
    frames = 0
    for (frame, texts), step in zip(frames_with_texts(scene), sorted(oracle)):
        frames += 1
        p = oracle[step][:40]  # pick "first": test digits 0..39
        guesses = labels_by_tile(scene, texts, "guess")
        chances = labels_by_tile(scene, texts, "probability")
        truths = labels_by_tile(scene, texts, "truth")
        assert sorted(guesses) == sorted(chances) == list(range(40))
        right = 0
        for k in range(40):
            predicted = int(np.argmax(p[k]))
            wrong = predicted != labels[k]
            assert guesses[k].content == str(predicted)
            assert chances[k].content == written_probability(p[k, predicted])
            assert guesses[k].colour == (colours.wrong if wrong else colours.right)
            if wrong:
                assert truths[k].content == f"label {labels[k]}"
            else:
                assert k not in truths
            tile = scene.grid.tiles[k]
            edge = tuple(int(v) for v in frame[tile.y + tile.h // 2, tile.x - 1])
            assert edge == (colours.wrong if wrong else colours.right)
            right += not wrong
        # the share of "right" tiles is the accuracy recomputed on those digits
        shown_right = sum(g.colour == colours.right for g in guesses.values())
        assert shown_right / 40 == right / 40 == np.mean(p.argmax(axis=1) == labels[:40])
    assert frames == len(oracle) == scene.frame_count()


def test_tiles_show_the_test_images_they_claim(sample):
    scene = Predictions(steps=0, pick="random", count=12, seed=5)
    frame = next(iter(scene.frames()))
    chosen = scene.chosen_indices
    for k, tile in enumerate(scene.grid.tiles):
        rows = np.arange(tile.h) * 28 // tile.h
        cols = np.arange(tile.w) * 28 // tile.w
        expected = sample.test_images[chosen[k]][np.ix_(rows, cols)]
        assert (frame[tile.y : tile.bottom, tile.x : tile.right] == expected[..., None]).all()


def test_random_pick_is_a_seeded_sample(sample):
    def chosen(seed: int) -> np.ndarray:
        scene = Predictions(steps=0, pick="random", seed=seed)
        scene.load()
        return scene.chosen()

    first, again, other = chosen(3), chosen(3), chosen(4)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert len(set(first.tolist())) == 40 and (np.diff(first) > 0).all()
    assert 0 <= first.min() and first.max() < len(sample.test_labels)
    assert not np.array_equal(first, np.arange(40))


# ---- the matrix and the accuracy ---------------------------------------------------------------
def test_matrix_counts_rows_diagonal_and_caption_agree_with_the_oracle(sample):
    steps, every = 9, 3
    oracle = reference_frames(sample, steps=steps, every=every)
    scene = Predictions(steps=steps, every=every, dtype="float64", **RUN)
    labels = sample.test_labels.astype(int)
    class_counts = np.array([(labels == d).sum() for d in range(10)])
    for (_, texts), step in zip(frames_with_texts(scene), sorted(oracle)):
        matrix = drawn_matrix(scene, texts)
        expected = confusion_by_loop(labels, oracle[step].argmax(axis=1))
        assert (matrix >= 0).all(), "a cell without its count"
        assert np.array_equal(matrix, expected), f"step {step}"
        assert np.array_equal(matrix.sum(axis=1), class_counts)  # rows: the true digits
        caption = caption_of(texts)
        percent, right, tested = CAPTION.search(caption).groups()
        accuracy = np.trace(matrix) / matrix.sum()
        assert int(right.replace(",", "")) == np.trace(matrix)
        assert int(tested.replace(",", "")) == matrix.sum() == len(labels)
        assert float(percent) == round(100 * accuracy, 1)
        panel = [t.content for t in texts if t.role == "accuracy"]
        assert panel == [f"{100 * accuracy:.1f}%"]
        assert caption.startswith(f"step {step}/{steps}")  # which step's network it is
        assert ("untrained" in caption) == (step == 0)


def test_step_zero_is_the_untrained_network_and_the_trainers_accuracy_is_the_scenes(sample):
    """Where train() measured the test split itself (step 0, the last step), its accuracy
    is the diagonal over the total that the frame shows."""
    steps = 6
    scene = Predictions(steps=steps, every=3, dtype="float64", **RUN)
    rows = reference_run(
        sample, activation="sigmoid", steps=steps, eval_every=3, **{**RUN}
    )  # its test accuracy: (loss, accuracy) at steps 0 and `steps`
    shown = [
        (caption_of(texts), drawn_matrix(scene, texts)) for _, texts in frames_with_texts(scene)
    ]
    assert "untrained" in shown[0][0]
    for (_, matrix), step in ((shown[0], 0), (shown[-1], steps)):
        assert math.isclose(np.trace(matrix) / matrix.sum(), rows[step]["test"][1], abs_tol=0)
    snapshots = list(scene.frame_snapshots())
    for snap, (_, matrix) in zip(snapshots, shown):
        if snap.test_accuracy is not None:
            assert snap.test_accuracy == np.trace(matrix) / matrix.sum()


def test_full_mnist_matrix_sums_to_its_ten_thousand_digits(shared_mnist):
    digits = load_digits(str(shared_mnist))
    # 480p: the smallest 16:9 size whose cells hold four-digit counts (at 640x360 they show
    # their colour only, and a note says so)
    scene = Predictions(data=str(shared_mnist), steps=6, every=3, size="480p")
    counts = np.bincount(digits.test_labels, minlength=10)
    for frame, texts in frames_with_texts(scene):
        matrix = drawn_matrix(scene, texts)
        assert matrix.sum() == 10_000 and np.array_equal(matrix.sum(axis=1), counts)
        assert not problems(frame, texts)


# ---- mistakes ----------------------------------------------------------------------------------
def test_mistakes_are_the_last_networks_most_confident_wrong_answers(sample):
    steps = 30
    oracle = reference_frames(sample, steps=steps, every=steps)[steps]
    labels = sample.test_labels.astype(int)
    predicted, confidence = oracle.argmax(axis=1), oracle.max(axis=1)
    wrong = [i for i in range(len(labels)) if predicted[i] != labels[i]]
    wrong.sort(key=lambda i: (-confidence[i], i))
    assert len(wrong) >= 40  # the case under test: enough mistakes to fill the grid
    scene = Predictions(steps=steps, every=15, pick="mistakes", dtype="float64", **RUN)
    *_, (frame, texts) = frames_with_texts(scene)
    assert scene.chosen_indices.tolist() == wrong[:40]
    guesses = labels_by_tile(scene, texts, "guess")
    assert all(g.colour == scene.theme.wrong for g in guesses.values())  # all wrong, at the end
    header = [t.content for t in texts if t.content.startswith("the 40 test digits")]
    assert header and f"after step {steps}" in header[0]
    assert not any("update" in t.content for t in texts)  # the caption counts steps too


def test_fewer_mistakes_than_tiles_are_followed_by_the_least_sure_right_ones(tmp_path):
    data = write_idx_dir(tmp_path / "tiny", n_train=60, n_test=20, seed=1)
    digits = load_digits(str(data))
    steps = 20
    rows = reference_run(
        digits, activation="sigmoid", steps=steps, eval_every=steps, hidden=(8,), lr=1.0,
        batch_size=10, seed=2,
    )  # fmt: skip
    p = reference_forward(rows[steps]["params"], inputs(digits.test_images), "sigmoid")[1]
    labels = digits.test_labels.astype(int)
    predicted, confidence = p.argmax(axis=1), p.max(axis=1)
    wrong = sorted(
        (i for i in range(20) if predicted[i] != labels[i]), key=lambda i: -confidence[i]
    )
    right = sorted((i for i in range(20) if predicted[i] == labels[i]), key=lambda i: confidence[i])
    assert 0 < len(right) and 0 < len(wrong)
    scene = Predictions(
        data=str(data), steps=steps, every=10, pick="mistakes", count=20, hidden=(8,), lr=1.0,
        batch_size=10, seed=2, dtype="float64",
    )  # fmt: skip
    *_, (frame, texts) = frames_with_texts(scene)
    assert scene.chosen_indices.tolist() == wrong + right
    header = " ".join(t.content for t in texts)
    assert f"the {len(wrong)} test digits" in header and f"the {len(right)} right ones" in header


# ---- names, sizes, refusals --------------------------------------------------------------------
LONG_NAMES = [f"a rather long class name number {k}" for k in range(10)]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("classes", ["fashion", LONG_NAMES])
@pytest.mark.parametrize("size", [(640, 360), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_class_names_are_cut_to_fit_and_nothing_collides(classes, size, lang):
    scene = Predictions(steps=3, every=3, classes=classes, size=size, lang=lang)
    names = scene.class_names()
    for frame, texts in frames_with_texts(scene):
        assert not problems(frame, texts)
        for item in texts:
            if item.role == "guess":
                assert item.box.w <= scene.slot
                name = item.content
                assert name in names or (name.endswith("…") and any(
                    n.startswith(name[:-1]) for n in names))  # fmt: skip
            if item.role == "row":  # the matrix's rows: a name, cut if need be, and its index
                assert re.search(r" \d$", item.content)


@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (1920, 1080)])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fashion_names_are_shown_whole_under_their_tiles(size, lang):
    """`Ankl…`, `Snea…`, `T-shi…` at 1920x1080 with the tiles 110 pixels apart: the one word
    a prediction tile exists to show. The grid now takes fewer columns (or tiles) instead."""
    scene = Predictions(steps=60, every=60, classes="fashion", size=size, lang=lang)
    names = set(scene.class_names())
    guesses = set()
    for frame, texts in frames_with_texts(scene):
        assert not problems(frame, texts)
        guesses |= {item.content for item in texts if item.role == "guess"}
    assert guesses and guesses <= names, guesses - names
    assert len(guesses) >= 3  # several classes predicted, each whole


def test_counts_up_to_ten_thousand_fit_or_are_left_out_with_a_note(tmp_path):
    """One class holding all 10,000 test digits: its cell may have to show 10000."""
    folder = tmp_path / "one-class"
    folder.mkdir()
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte": idx_images(rng.integers(0, 256, (64, 28, 28))),
        "train-labels-idx1-ubyte": idx_labels(np.arange(64) % 10),
        "t10k-images-idx3-ubyte": idx_images(rng.integers(0, 256, (10_000, 28, 28))),
        "t10k-labels-idx1-ubyte": idx_labels(np.zeros(10_000, dtype=int)),
    }
    for name, payload in files.items():
        (folder / name).write_bytes(payload)
    notes = {catalogue("en")(f"predictions.{key}") for key in ("no_counts", "no_counts_short")}
    for size in ((640, 360), (1280, 720)):
        scene = Predictions(data=str(folder), steps=0, size=size)
        frame, texts = next(frames_with_texts(scene))
        assert not problems(frame, texts)
        counts = [t for t in texts if t.role == "count"]
        if scene.matrix.shows_counts:
            matrix = drawn_matrix(scene, texts)
            assert matrix[0].sum() == 10_000 and matrix[1:].sum() == 0
        else:
            assert not counts and notes & {t.content for t in texts}  # the form that fits
        assert size != (1280, 720) or scene.matrix.shows_counts  # room enough at 720p


def test_same_seed_same_frames():
    def digest(**options):
        scene = Predictions(steps=6, every=3, pick="random", **options)
        return hashlib.sha256(b"".join(f.tobytes() for f in scene.frames())).hexdigest()

    assert digest(seed=1) == digest(seed=1)
    assert digest(seed=1) != digest(seed=2)


def test_a_shown_divergence_ends_on_the_network_it_broke():
    scene = Predictions(steps=8, every=2, lr=1e5, on_diverge="show")
    captions = [caption_of(texts) for _, texts in frames_with_texts(scene)]
    last = list(scene.frame_snapshots())[-1]
    assert len(captions) == scene.frame_count() and last.diverged_at is not None
    assert f"diverged at step {last.diverged_at}" in captions[-1]
    # the bad batch loss was measured on the network of update `diverged_at`: no update after
    assert last.gradients is None and last.step == last.diverged_at + 1
    assert f"the network after step {last.diverged_at}:" in captions[-1]
    assert "update" not in captions[-1]  # one word for one count: it said "after update 1"
    matrix_total = re.search(r"([\d,]+) of ([\d,]+) right", captions[-1])
    assert matrix_total and matrix_total[2] == "1,000"


def test_refusals_name_the_option(idx_dir):
    with pytest.raises(OptionError, match="count") as caught:
        Predictions(data=str(idx_dir), count=40, steps=0).load()
    assert "20" in str(caught.value)
    with pytest.raises(OptionError, match="pick"):
        Predictions(pick="worst")
    with pytest.raises(OptionError, match="count"):
        Predictions(count=0)
    with pytest.raises(OptionError, match="count=100: 100 images and their labels do not fit"):
        list(Predictions(count=100, steps=0, size=(640, 360)).frames())
    with pytest.raises(OptionError, match="size.*needs at least 480x270"):
        Predictions(size=(320, 180))


def test_a_count_not_given_shrinks_to_what_fits_and_says_so():
    scene = Predictions(steps=0, size=(480, 270))
    frame, texts = next(frames_with_texts(scene))
    assert 0 < scene.count < 40 and len(scene.grid.tiles) == scene.count
    assert f"test digits #0–#{scene.count - 1}" in " ".join(t.content for t in texts)
    assert not problems(frame, texts)
    assert max(scene.grid.tiles[0].w, scene.grid.tiles[0].h) >= 16


# ---- the kit parts it brought ------------------------------------------------------------------
@pytest.mark.parametrize("name", list(THEMES))
def test_count_maps_keep_every_count_legible(name):
    theme = THEMES[name]
    for end in (theme.right, theme.wrong):
        colours = legible_map(theme, end)
        assert tuple(colours[0]) == theme.background and tuple(colours[-1]) == end
        for colour in map(tuple, colours.tolist()):
            ink = theme.text_on(colour)
            assert contrast_ratio(ink, colour) >= 4.5
        distance = np.abs(colours.astype(int) - np.array(theme.background)).sum(axis=1)
        assert (np.diff(distance) > 0).all()  # one way, from the page to the end


def test_count_levels_show_any_count_above_zero():
    levels = level_of(np.array([0, 1, 2, 250, 1000, 5000]), 1000)
    assert levels[0] == 0 and (levels[1:] >= 1).all() and levels[-1] == levels[-2] == 30
    assert (np.diff(levels) >= 0).all()


def test_tick_and_cross_are_different_shapes_in_the_given_colour():
    marks = Marks(12)
    theme = THEMES["light"]
    tick = marks.picture("right", theme.right, theme.background)
    cross = marks.picture("wrong", theme.right, theme.background)
    inked = [(p != theme.background).any(axis=2) for p in (tick, cross)]
    assert all(i.sum() > 12 for i in inked) and (inked[0] != inked[1]).sum() > 20
    assert (tick == theme.right).all(axis=2).any()


@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (1920, 1080)])
def test_chinese_tiles_are_as_large_as_english_ones(size):
    """In Chinese at 1280x720 the 40 digits came out at 17 pixels in 8 columns against 48 in
    10 for English: the labels' floor followed the 12% larger Chinese text size, though a
    tile's labels are digits and signs."""
    tiles = {}
    for lang in ("en", "zh"):
        scene = SCENES["predictions"](size=size, lang=lang)
        scene.load()
        scene._layout()
        tiles[lang] = (scene.grid.tiles[0].w, len({t.x for t in scene.grid.tiles}), scene.count)
    assert tiles["zh"][1:] == tiles["en"][1:]  # as many columns, as many digits
    assert tiles["zh"][0] >= 0.85 * tiles["en"][0], tiles


def test_on_a_portrait_frame_the_matrix_goes_under_the_digits():
    """On 720x1280 the confusion matrix was squeezed into the top right, 260x290 pixels, with
    the right column empty below it: a tall frame now stacks them, each the page's width."""
    scene = SCENES["predictions"](size=(720, 1280), steps=6, every=3)
    next(iter(scene.frames()))
    assert scene.matrix.box.y > scene.grid.tiles[-1].bottom  # below the digits
    assert scene.matrix.box.w >= 0.5 * scene.page.body.w  # it was 260 of 692 pixels


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(720, 1280), (1080, 1920)])
def test_on_a_tall_frame_the_digits_keep_their_legend_and_the_matrix_takes_the_rest(size, lang):
    """At 720x1280 the digits sat centred in their rows with 50-130 px of empty page above
    and below, and the matrix under them had 411 of 692 px. The digits now sit under their
    header with the legend right below, and every row they leave goes to the matrix."""
    scene = SCENES["predictions"](size=size, lang=lang, steps=6, every=3)
    frame = next(iter(scene.frames()))
    assert not problems(frame, scene.page.texts())
    line = scene.page.line_height("small")
    labels_bottom = max(t.box.bottom for t in scene.page.texts() if t.role in ("guess", "label"))
    tiles_top = min(t.y for t in scene.grid.tiles)
    border, s = scene.border["wrong"], scene.page.s
    assert tiles_top - scene.left_header.bottom <= round(3 * s) + 2 * border + 1  # at the top
    assert scene.legend_box.y - max(labels_bottom, scene.grid.tiles[-1].bottom) <= 2 * line
    below = scene.page.body.bottom - scene.matrix.box.bottom  # the matrix reaches the caption
    assert below <= 2 * line, below


def test_the_no_counts_note_is_whole_with_long_class_names():
    """At 480x270 with Fashion-MNIST's names the row labels took the note's room: it read
    "colour only: no room for co…". It now starts under the labels where it must."""
    scene = SCENES["predictions"](classes="fashion", size=(480, 270), steps=3, every=3)
    for _ in scene.frames():
        pass
    forms = {scene.words("predictions.no_counts"), scene.words("predictions.no_counts_short")}
    said = [t.content for t in scene.page.texts()]
    assert forms & set(said), said
    assert not any(t.startswith("colour only") and t.endswith("…") for t in said)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_a_wrong_tiles_label_follows_its_guess_not_its_probability(size):
    """A wrong tile read `0.59 ≠7`, a statement about 0.59; before that a row read
    `0.99 ≠9 0.94 ≠5`, each ≠ seeming to go with the number after it. Where the line has
    room, the true label now follows the predicted one: `✕9 ≠7`, the probability under them;
    and the gap to the next tile's texts is wider than the one inside a tile."""
    scene = SCENES["predictions"](pick="mistakes", size=size, theme="dark")
    *_, _ = frames_with_texts(scene)  # to the last frame
    items = [t for t in scene.page.texts() if t.role in ("guess", "truth", "probability")]
    rows: dict[int, list] = {}
    for item in items:
        rows.setdefault(round(item.box.y + item.box.h / 2), []).append(item)
    checked = 0
    for row in rows.values():
        row.sort(key=lambda t: t.box.x)
        kinds = [t.role for t in row]
        assert ("probability", "truth") not in zip(kinds, kinds[1:]), [t.content for t in row]
        for (a, b), kind in zip(zip(row, row[1:]), zip(kinds, kinds[1:])):
            gap = b.box.x - (a.box.x + a.box.w)
            if kind == ("guess", "truth"):
                inside = gap
            elif kind == ("truth", "guess"):
                assert gap > inside + 1, (a.content, b.content, gap, inside)
                checked += 1
    assert checked >= 20


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(854, 480), (1280, 720), (1920, 1080)])
def test_the_digits_are_drawn_at_least_at_their_own_size(lang, size):
    """At 854x480 (the lesson at 480p) English drew the 40 digits 16 pixels square, a 28x28
    image at half its size, to keep its labels a pixel larger; Chinese, 30. Smaller labels,
    down to the least legible size, now win tiles of at least the image's own size."""
    scene = SCENES["predictions"](size=size, lang=lang, count=40)
    frame = next(iter(scene.frames()))
    rows, cols = scene.digits.image_shape
    assert scene.grid.tiles[0].h >= rows and scene.grid.tiles[0].w >= cols
    assert not problems(frame, list(scene.page.texts()))  # still apart, inside, legible


def test_data_of_three_classes_names_three_and_numbers_the_rest(tmp_path):
    """`--classes cat,dog,bird`, three names for data of three labels, was refused ("give
    ten names"); the matrix's rows now read cat 0, dog 1, bird 2, then 3 ... 9 (not "3 3")."""
    from tests.conftest import write_idx_dir
    from vizff.scenes import SCENES

    folder = write_idx_dir(tmp_path / "three", n_train=30, n_test=12)
    scene = SCENES["predictions"](
        data=str(folder), classes=["cat", "dog", "bird"], steps=2, every=1, count=4
    )
    for _ in scene.frames():
        pass
    rows = [t.content for t in scene.page.texts() if t.role == "row"]
    assert rows == ["cat 0", "dog 1", "bird 2", *"3456789"]
