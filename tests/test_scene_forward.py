"""The forward scene: every number it draws (activations, probabilities, the unit's sum, bias,
z and activation, the loss) against a float64 replay written here and in test_oracles_train,
read back from the strings and pixels the scene actually drew; its options, refusals, layout
and determinism."""

from __future__ import annotations

import collections
import math
import re
import tracemalloc
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from conftest import idx_images, idx_labels
from test_oracles_train import ACTIVATION, inputs, reference_forward, reference_run

from vizff.data import load_digits
from vizff.draw.lint import problems
from vizff.errors import OptionError
from vizff.scenes import SCENES

Forward = SCENES["forward"]
LEVELS = 31  # colour levels of the theme's maps


@pytest.fixture(scope="module")
def sample():
    return load_digits("sample")


def number(text: str) -> float:
    """A number as drawn: a true minus sign, `<0.01` and `>0.99` read as their bound."""
    return float(text.replace("−", "-").lstrip("<>"))


def close(shown: str, value: float, digits: int = 2) -> bool:
    """`shown` is `value` rounded to `digits` decimals (or the <0.01, >0.99 forms of it)."""
    step = 10.0**-digits
    if shown.startswith("<"):
        return 0 <= value < step / 2 + 1e-12
    if shown.startswith(">"):
        return 1 - step / 2 - 1e-12 < value <= 1
    return abs(number(shown) - value) <= step / 2 + 1e-9


def run(scene):
    """(frame, texts) of every frame, texts as the scene recorded them for that frame."""
    for frame in scene.frames():
        yield frame, list(scene.page.texts())


def by_role(texts, role):
    return [t for t in texts if t.role == role]


def centre_y(item) -> float:
    return item.box.y + item.box.h / 2


def replay(sample, *, hidden, activation="sigmoid", lr=0.5, batch_size=32, steps=15, seed=3):
    """Parameters after each step of the run, float64, from the independent trainer."""
    rows = reference_run(
        sample,
        hidden=hidden,
        activation=activation,
        lr=lr,
        batch_size=batch_size,
        steps=steps,
        seed=seed,
        eval_every=10**9,
    )
    return [row["params"] for row in rows]


def oracle(params, image, label, activation, drawn=16, unit=None):
    """Everything the frame of one digit should say, in float64 from the parameters."""
    x = inputs(image[None])  # (1, n)
    zs, p = reference_forward(params, x, activation)
    hidden = [ACTIVATION[activation](z)[0] for z in zs[:-1]]
    w1, b1 = params[0][0], params[1][0]
    sums = (x @ w1)[0]  # Σ x_i w_i of every first-layer unit
    if unit is None:
        unit = int(np.argmax(sums[:drawn]))  # the unit the digit excites most
    return dict(
        p=p[0],
        hidden=hidden,
        unit=unit,
        sum=sums[unit],
        bias=b1[unit],
        z=sums[unit] + b1[unit],
        a=hidden[0][unit],
        loss=-math.log(p[0][label]),
        predicted=int(np.argmax(p[0])),
        weights=w1[:, unit],
        x=x[0],
    )


def check_frame(scene, frame, texts, want, label, names=None):
    """The drawn strings and colours of a finished pass against the oracle `want`."""
    names = names or [str(d) for d in range(10)]
    values = sorted(by_role(texts, "value"), key=centre_y)
    assert len(values) == 10
    for item, p in zip(values, want["p"]):
        assert close(item.content, p), (item.content, p)
    classes = sorted(by_role(texts, "class"), key=centre_y)
    assert [c.content for c in classes] == names
    best = [c for c in classes if c.colour == scene.theme.secondary]
    assert [c.content for c in best] == [names[want["predicted"]]]
    (mark,) = by_role(texts, "mark")
    assert abs(centre_y(mark) - centre_y(classes[label])) < 1.5
    # the loss and its formula are joined by no-break spaces, so they stay on one line
    caption = " ".join(t.content for t in by_role(texts, "caption")).replace("\xa0", " ")
    assert f"label {names[label]}" in caption
    assert f"predicted {names[want['predicted']]}," in caption
    shown_loss = re.search(r"−log p\[(.+?)\] ([=<]) (\S+)", caption)
    assert shown_loss[1] == names[label]
    if shown_loss[2] == "<":  # a loss that would read 0.00 beside p > 0.99
        assert shown_loss[3] == "0.01" and 0 < want["loss"] < 0.005
    else:
        assert close(shown_loss[3], want["loss"])
    header = next(t for t in texts if t.content.startswith("unit "))
    assert header.content.startswith(f"unit {want['unit']} of layer 1")
    tails = [t for t in by_role(texts, "formula") if t.content.startswith("=")]
    first, second = sorted(tails, key=centre_y)
    found = re.fullmatch(r"= (\S+) ([+−]) (\S+) = (\S+)", first.content)
    assert found, first.content
    places = len(found[4].split(".")[1])  # 2, or more where 2 would not add up
    assert close(found[1], want["sum"], places) and close(found[4], want["z"], places)
    assert close(("−" if found[2] == "−" else "") + found[3], want["bias"], places)
    terms = [Decimal(found[k].replace("−", "-")) for k in (1, 3, 4)]
    assert terms[0] + (-1 if found[2] == "−" else 1) * terms[1] == terms[2], first.content
    if places > 2:  # only where two decimals would not add up, or would show a bias of 0.00
        two = [Decimal(f"{v:.2f}") for v in (want["sum"], abs(want["bias"]), want["z"])]
        sign = -1 if want["bias"] < 0 else 1
        assert two[0] + sign * two[1] != two[2] or (two[1] == 0 and want["bias"] != 0)
    found = re.fullmatch(r"= σ\((\S+)\) ([=<>]) (\S+)", second.content)
    assert found, second.content
    assert close(found[1], want["z"], places)
    shown = found[3] if found[2] == "=" else found[2] + found[3]
    assert close(shown, want["a"], 4 if len(found[3]) == 6 else 2)
    check_discs(scene, frame, want)


def level(value: float, low: float, high: float) -> int:
    position = (value - low) / (high - low) * (LEVELS - 1)
    return int(min(LEVELS - 1, max(0, math.floor(position + 0.5))))


def check_discs(scene, frame, want):
    """The colour at each drawn unit's centre is its activation's level (probability for the
    outputs) on the theme's sequential map: one level of slack for rounding at a boundary."""
    ramp = scene.theme.sequential.astype(int)
    columns = [*scene.columns, scene.output]
    values = [*want["hidden"], want["p"]]
    for column, layer in zip(columns, values):
        for y, value in zip(column.ys, layer):
            colour = frame[y, column.x].astype(int)
            found = int(np.abs(ramp - colour).sum(axis=1).argmin())
            assert abs(found - level(value, 0.0, 1.0)) <= 1, (column.x, y, value, found)


def test_pass_mode_draws_the_float64_replays_numbers(sample):
    hidden, steps = (12, 7), 15
    params = replay(sample, hidden=hidden, steps=steps)[-1]
    scene = Forward(
        hidden=hidden,
        lr=0.5,
        batch_size=32,
        steps=steps,
        seed=3,
        dtype="float64",
        digits=(0, 5, 7),
        layer_frames=2,
        result_frames=1,
    )
    per_digit = 4 * 2 + 1
    assert scene.frame_count() == 3 * per_digit
    frames = list(run(scene))
    assert len(frames) == scene.frame_count()
    for k, index in enumerate((0, 5, 7)):
        image, label = sample.test_images[index], int(sample.test_labels[index])
        want = oracle(params, image, label, "sigmoid")
        frame, texts = frames[(k + 1) * per_digit - 1]
        check_frame(scene, frame, texts, want, label)
        caption = " ".join(t.content for t in by_role(texts, "caption"))
        assert caption.startswith(f"after {steps} training steps   test digit #{index},")


def test_training_mode_follows_the_run_from_the_untrained_network(sample):
    hidden = (10,)
    params = replay(sample, hidden=hidden, steps=12, lr=0.8, batch_size=16, seed=1)
    scene = Forward(
        mode="training",
        hidden=hidden,
        lr=0.8,
        batch_size=16,
        steps=12,
        every=4,
        seed=1,
        dtype="float64",
        digits=(4, 9),  # training mode shows the first
        unit=6,
    )
    image, label = sample.test_images[4], int(sample.test_labels[4])
    frames = list(run(scene))
    assert len(frames) == scene.frame_count() == 4
    losses = []
    for (frame, texts), step in zip(frames, (0, 4, 8, 12)):
        want = oracle(params[step], image, label, "sigmoid", unit=6)
        caption = " ".join(t.content for t in by_role(texts, "caption"))
        assert caption.startswith(f"step {step}/12   test digit #4, label {label}")
        check_frame(scene, frame, texts, want, label)
        losses.append(want["loss"])
    assert losses[-1] < losses[0]  # the digit's loss falls as the network learns


def test_float32_network_reads_the_same_as_the_float64_replay(sample):
    hidden = (16, 8)
    params = replay(sample, hidden=hidden, steps=10, lr=1.0, batch_size=64, seed=0)[-1]
    scene = Forward(hidden=hidden, steps=10, digits=(2,), layer_frames=1, result_frames=1)
    *_, (frame, texts) = run(scene)
    image, label = sample.test_images[2], int(sample.test_labels[2])
    want = oracle(params, image, label, "sigmoid")
    values = sorted(by_role(texts, "value"), key=centre_y)
    for item, p in zip(values, want["p"]):  # float32 rounding may flip a last digit
        assert abs(number(item.content) - p) <= 0.0051, (item.content, p)
    assert f"unit {want['unit']} of layer 1" in " ".join(t.content for t in texts)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_other_activations_name_their_function_and_scale(sample, activation):
    params = replay(sample, hidden=(9,), steps=5, activation=activation, lr=0.1)[-1]
    scene = Forward(
        hidden=(9,),
        activation=activation,
        lr=0.1,
        batch_size=32,
        steps=5,
        seed=3,
        dtype="float64",
        digits=(1,),
        layer_frames=1,
        result_frames=1,
    )
    *_, (frame, texts) = run(scene)
    image, label = sample.test_images[1], int(sample.test_labels[1])
    want = oracle(params, image, label, activation)
    formula = [t.content for t in by_role(texts, "formula")]
    found = re.fullmatch(rf"= {activation}\((\S+)\) ([=<>]) (\S+)", formula[-1])
    places = len(found[1].split(".")[1])
    assert found and close(found[1], want["z"], places)
    assert close(found[3], want["a"], len(found[3].split(".")[1]))
    if activation == "tanh":  # never read as its bound: 0.9980, not 1.00
        assert abs(number(found[3])) < 1 and found[2] == "="
    low, high = scene.scales.activations
    assert (low, high) == ((-1.0, 1.0) if activation == "tanh" else (0.0, high))
    assert high >= want["hidden"][0].max()  # relu's scale holds the largest activation shown
    ramp = (scene.theme.diverging if low < 0 else scene.theme.sequential).astype(int)
    column = scene.columns[0]
    for y, value in zip(column.ys, want["hidden"][0]):
        found = int(np.abs(ramp - frame[y, column.x].astype(int)).sum(axis=1).argmin())
        assert abs(found - level(value, low, high)) <= 1
    # the outputs read on the same legend, the only one drawn: p = 1 was the light blue end
    # of tanh's signed scale (-1) before; now p = 0 is the page colour and p = 1 its top
    for y, p in zip(scene.output.ys, want["p"]):
        found = int(np.abs(ramp - frame[y, scene.output.x].astype(int)).sum(axis=1).argmin())
        assert abs(found - level(p, low, high)) <= 1, (p, found)


def test_the_unit_panel_shows_w_and_its_product_with_the_image(sample):
    """Sampled pixels of the two heatmaps are the levels of w and of x ⊙ w on the drawn scale,
    which holds every weight of the unit; before layer 1 is computed, x ⊙ w is blank."""
    params = replay(sample, hidden=(12,), steps=6)[-1]
    scene = Forward(
        hidden=(12,),
        lr=0.5,
        batch_size=32,
        steps=6,
        seed=3,
        dtype="float64",
        digits=(3,),
        layer_frames=1,
        result_frames=1,
    )
    frames = [frame for frame, _ in run(scene)]
    image, label = sample.test_images[3], int(sample.test_labels[3])
    want = oracle(params, image, label, "sigmoid")
    limit = scene.scales.weights
    assert np.abs(want["weights"]).max() <= limit <= np.abs(want["weights"]).max() * 1.1
    ramp = scene.theme.diverging.astype(int)
    rows, cols = image.shape
    for tile, values in zip(scene.unit_tiles, (want["weights"], want["x"] * want["weights"])):
        scale = tile.w / cols
        for r, c in [(0, 0), (14, 14), (10, 20), (27, 3), (20, 13), (7, 7)]:
            y, x = int(tile.y + (r + 0.5) * scale), int(tile.x + (c + 0.5) * scale)
            found = int(np.abs(ramp - frames[-1][y, x].astype(int)).sum(axis=1).argmin())
            assert abs(found - level(values[r * cols + c], -limit, limit)) <= 1
    blank = frames[0][scene.unit_tiles[1].slices]
    assert (blank == scene.theme.background).all()  # stage 0: the unit is not computed yet


def test_the_strip_is_the_flattened_image_row_after_row(sample):
    scene = Forward(hidden=(8,), steps=0, digits=(6,), layer_frames=4, result_frames=0)
    frames = [frame for frame, _ in run(scene)]
    strip = scene.strip
    x = sample.test_images[6].reshape(-1).astype(np.float64) / 255  # row after row
    n = len(x)
    want = []
    for row in range(strip.h):  # each screen row: the mean of the values it holds
        start = row * n // strip.h
        stop = max(start + 1, (row + 1) * n // strip.h) if strip.h < n else start + 1
        want.append(round(x[start:stop].mean() * 255))
    drawn = frames[3][strip.y : strip.bottom, strip.x + strip.w // 2, 0].astype(int)
    assert np.abs(drawn - np.array(want)).max() <= 1
    half = frames[1][strip.y : strip.bottom, strip.x + strip.w // 2]  # 2 of 4 frames in
    filled = (half != scene.theme.background).any(axis=1)
    assert filled[: strip.h // 2 - 1].sum() >= (np.array(want[: strip.h // 2 - 1]) != 255).sum()
    assert not filled[strip.h // 2 + 1 :].any()


def test_the_strongest_edge_has_its_weights_sign(sample):
    params = replay(sample, hidden=(6,), steps=20)[-1]
    scene = Forward(
        hidden=(6,),
        lr=0.5,
        batch_size=32,
        steps=20,
        seed=3,
        dtype="float64",
        digits=(0,),
        layer_frames=1,
        result_frames=1,
    )
    *_, (frame, _) = run(scene)
    w = params[0][-1]  # (6, 10) into the output
    for pick in (np.argmax(w), np.argmin(w)):  # the most positive and the most negative
        i, j = np.unravel_index(pick, w.shape)
        (x0, y0), (x1, y1) = scene.edge_ends[i * 10 + j]
        ends = {
            "positive": np.array(scene.theme.positive_end),
            "negative": np.array(scene.theme.negative_end),
        }
        votes = []  # along the edge: another edge may cross it at any one point
        for t in (0.3, 0.4, 0.5, 0.6, 0.7):
            found = frame[round(y0 + t * (y1 - y0)), round(x0 + t * (x1 - x0))].astype(int)
            votes.append(min(ends, key=lambda k: np.abs(ends[k] - found).sum()))
        nearer = max(set(votes), key=votes.count)
        if abs(w[i, j]) > 0.5 * np.abs(w).max():
            assert nearer == ("positive" if w[i, j] > 0 else "negative"), votes


def test_the_automatic_unit_is_the_most_excited_drawn_one_and_unit_picks_one(sample):
    params = replay(sample, hidden=(40,), steps=1)[0]  # step 0: as initialised
    image = sample.test_images[0]
    sums = (inputs(image[None]) @ params[0][0])[0]
    assert int(np.argmax(sums)) >= 16  # seed 3: the most excited of all 40 is not drawn
    for unit, want in ((-1, int(np.argmax(sums[:16]))), (3, 3)):
        scene = Forward(
            hidden=(40,),
            steps=0,
            seed=3,
            dtype="float64",
            digits=(0,),
            unit=unit,
            layer_frames=1,
            result_frames=0,
        )
        *_, (_, texts) = run(scene)
        assert any(t.content.startswith(f"unit {want} of layer 1") for t in texts)


@pytest.mark.parametrize(
    "options, key, words",
    [
        ({"unit": 16, "hidden": (40,)}, "unit", "units 0 to 15"),
        ({"unit": 5, "hidden": (4,)}, "unit", "units 0 to 3"),
        ({"digits": (0, 5000)}, "digits", "past the 1,000 test images"),
        ({"mode": "slow"}, "mode", "pass, training"),
        ({"layer_frames": 0}, "layer_frames", "must be"),
        ({"digits": ()}, "digits", "give 1 to"),
        ({"size": (320, 180)}, "size", "scene forward needs at least 480x270"),
        ({"size": (640, 200)}, "size", "scene forward needs at least 480x270"),
    ],
)
def test_bad_options_are_refused_before_any_frame(options, key, words):
    with pytest.raises(OptionError) as caught:
        Forward(steps=0, **options).load()
    assert caught.value.key == key and words in str(caught.value)


def write_idx(directory: Path, rows: int, cols: int) -> Path:
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    for name, payload in (
        ("train-images-idx3-ubyte", idx_images(rng.integers(0, 256, (50, rows, cols)))),
        ("train-labels-idx1-ubyte", idx_labels(np.arange(50) % 10)),
        ("t10k-images-idx3-ubyte", idx_images(rng.integers(0, 256, (10, rows, cols)))),
        ("t10k-labels-idx1-ubyte", idx_labels(np.arange(10) % 10)),
    ):
        (directory / name).write_bytes(payload)
    return directory


@pytest.mark.parametrize("shape", [(12, 20), (1, 1), (64, 48)])
def test_any_image_size_and_fashion_names(tmp_path, shape):
    folder = write_idx(tmp_path / "idx", *shape)
    scene = Forward(
        data=str(folder),
        classes="fashion",
        hidden=(8,),
        steps=3,
        batch_size=10,
        digits=(9,),
        layer_frames=1,
        result_frames=1,
        lang="zh",
    )
    *_, (frame, texts) = run(scene)
    strings = [t.content for t in texts]
    rows, cols = shape
    assert f"{rows * cols:,}" in strings  # the brace counts the data's inputs
    assert any(f"{rows}×{cols}" in s for s in strings)
    assert "短靴" in strings  # Fashion-MNIST's class 9, in Chinese
    tile = scene.digit_tile
    assert abs(tile.w / tile.h - cols / rows) < 0.1
    assert not problems(frame, texts)


@pytest.mark.parametrize(
    "size, lang, theme, options",
    [
        ((640, 360), "zh", "dark", {"mode": "training", "steps": 4, "every": 2}),
        ((1920, 1080), "en", "light", {"mode": "training", "steps": 4, "every": 2}),
        ((640, 360), "en", "dark", {"hidden": (64, 32, 32, 16, 16, 16, 8, 8), "steps": 2}),
        ((1920, 1080), "zh", "light", {"hidden": (64, 32, 32, 16, 16, 16, 8, 8), "steps": 2}),
        ((480, 270), "zh", "light", {"classes": "fashion", "hidden": (20, 8), "steps": 2}),
        ((1280, 720), "en", "light", {"classes": "fashion", "activation": "tanh", "steps": 2}),
        ((640, 360), "zh", "light", {"hidden": (1200,) * 8, "steps": 0}),  # "+N" staggered
    ],
)
def test_layout_lint_in_the_cases_the_shared_lint_does_not_reach(size, lang, theme, options):
    options = {"digits": (0,), "layer_frames": 1, "result_frames": 1, **options}
    scene = Forward(size=size, lang=lang, theme=theme, **options)
    total = scene.frame_count()
    for index, (frame, texts) in enumerate(run(scene)):
        if index in (0, total // 2, total - 1):
            assert not problems(frame, texts), (index, problems(frame, texts)[:5])


def test_same_seed_same_frames_and_another_seed_differs():
    def digest(seed):
        scene = Forward(mode="training", steps=4, every=2, seed=seed, hidden=(8,))
        return [hash(frame.tobytes()) for frame in scene.frames()]

    assert digest(4) == digest(4)
    assert digest(4) != digest(5)


def test_a_diverged_run_is_shown_not_crashed():
    scene = Forward(hidden=(8,), lr=1e6, steps=5, on_diverge="show", digits=(0,), layer_frames=1)
    *_, (frame, texts) = run(scene)
    caption = " ".join(t.content for t in by_role(texts, "caption"))
    assert "diverged at step" in caption


def traced_peak(scene, skip: int) -> int:
    """Peak traced allocation while drawing a scene's frames after its first `skip`."""
    frames = scene.frames()
    for _ in range(skip):
        next(frames)
    tracemalloc.start()
    for _ in frames:
        pass
    size = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size


def test_memory_stays_flat_as_frames_grow():
    def peak(result_frames):
        scene = Forward(steps=0, digits=(0, 1), layer_frames=1, result_frames=result_frames)
        return traced_peak(scene, skip=1)

    small, large = peak(10), peak(200)
    assert large < small + 1_000_000, (small, large)


def test_memory_stays_flat_in_training_mode(monkeypatch):
    """A new caption every frame: the kit keeps drawn strings within its budget."""
    from vizff.draw import text

    monkeypatch.setattr(text, "PICTURE_BYTES", 2_000_000)

    def peak(steps):
        scene = Forward(mode="training", hidden=(8,), steps=steps, every=1, digits=(0,))
        return traced_peak(scene, skip=20)  # past the start: its first strings fill the budget

    small, large = peak(40), peak(240)  # 200 more captions: 7 MB of pictures unbudgeted
    assert large < small + 2_500_000, (small, large)


def test_full_mnist_untrained_network(shared_mnist):
    """Step 0 on the full set: the seed's documented draws, N(0, 1/n_in) layer by layer."""
    digits = load_digits(shared_mnist)
    scene = Forward(data=str(shared_mnist), hidden=(16,), steps=0, seed=7, digits=(0,))
    rng = np.random.default_rng(7)
    weights = [rng.standard_normal((784, 16)) / 28.0, rng.standard_normal((16, 10)) / 4.0]
    params = (weights, [np.zeros(16), np.zeros(10)])
    label = int(digits.test_labels[0])
    want = oracle(params, digits.test_images[0], label, "sigmoid")
    *_, (frame, texts) = run(scene)
    values = sorted(by_role(texts, "value"), key=centre_y)
    for item, p in zip(values, want["p"]):
        assert abs(number(item.content) - p) <= 0.0051
    caption = " ".join(t.content for t in by_role(texts, "caption"))
    assert caption.startswith("untrained network   test digit #0, label 7")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_gif_palette_covers_what_the_scene_draws(theme):
    scene = Forward(mode="training", steps=30, every=10, hidden=(32, 16), theme=theme)
    palette = scene.palette.astype(int)
    assert len(palette) <= 255
    *_, frame = scene.frames()
    colours, counts = np.unique(frame.reshape(-1, 3).astype(int), axis=0, return_counts=True)
    nearest = ((colours[:, None, :] - palette[None]) ** 2).sum(axis=2).min(axis=1)
    assert counts[nearest <= 3 * 8**2].sum() / counts.sum() > 0.97


def test_training_mode_with_numerical_gradients_trains_once(sample):
    """No second (slow) run: the unit comes from the untrained network, which is step 0."""
    scene = Forward(mode="training", method="numerical", hidden=(3,), steps=2, every=1, seed=2)
    params = replay(sample, hidden=(3,), steps=1, seed=2)[0]  # step 0: as initialised
    image, label = sample.test_images[0], int(sample.test_labels[0])
    want = oracle(params, image, label, "sigmoid", drawn=3)
    frames = list(run(scene))
    assert len(frames) == 3
    for _, texts in frames:
        assert any(t.content.startswith(f"unit {want['unit']} of layer 1") for t in texts)
    caption = " ".join(t.content for t in by_role(frames[-1][1], "caption"))
    assert caption.startswith("step 2/2   test digit #0")


@pytest.mark.parametrize("size", [(480, 270), (1280, 720), (1080, 1080), (720, 1280)])
def test_the_label_mark_keeps_the_page_margin(size):
    """`← label` ended 3 pixels from the frame's right edge: the layout left the output discs'
    radius out of the room it kept for the texts after them."""
    scene = SCENES["forward"](size=size)
    for index, _ in enumerate(scene.frames()):
        if index == scene.frame_count() // 2:
            break
    right = size[0] - scene.page.margin
    marks = [item for item in scene.page.texts() if item.role == "mark"]
    assert marks and all(item.box.right <= right for item in marks), (marks, right)


@pytest.mark.parametrize("size", [(720, 1280), (1080, 1080)])
def test_on_a_tall_frame_the_network_fills_its_height(size):
    """On 720x1280 the network took 40% of the page's height, mid-page, 300 pixels below the
    headers naming its columns, and the flattening arrow pointed at empty space."""
    scene = SCENES["forward"](size=size)
    scene.load()
    scene._layout()
    column = scene.columns[0]
    span = column.ys[-1] - column.ys[0]
    assert span >= 0.6 * scene.page.body.h, (span, scene.page.body.h)
    assert scene.strip.y - scene.header_y < 0.15 * scene.page.body.h  # x under its header


@pytest.mark.parametrize("size", [(720, 1280), (1080, 1920), (1080, 1080)])
def test_on_a_portrait_frame_the_units_tiles_are_stacked_and_large(size):
    """On 720x1280 the weights and x ⊙ w sat side by side, 85 pixels each, in the bottom left
    of a column left mostly empty: stacked, each takes the column's width."""
    scene = SCENES["forward"](size=size)
    (frame,) = collections.deque(scene.frames(), maxlen=1)  # the last, without holding all
    weights, product = scene.unit_tiles
    assert weights.w >= 0.2 * size[0] and weights.w == product.w  # 720x1280: was 0.12
    assert product.y > weights.bottom and product.x == weights.x
    texts = scene.page.texts()
    equals = [t for t in texts if t.content == "=" and t.role == "op"]
    assert len(equals) == 1 and equals[0].box.right < product.x  # before the product
    assert equals[0].box.y < product.centre[1] < equals[0].box.bottom
    # the tiles are painted: the product's box holds colour where the digit has ink
    inside = frame[product.slices].reshape(-1, 3)
    assert len(np.unique(inside, axis=0)) > 10


@pytest.mark.parametrize("size", [(480, 270), (1280, 720), (1920, 1080)])
def test_on_a_wide_frame_the_tiles_stay_side_by_side(size):
    scene = SCENES["forward"](size=size)
    scene.load()
    scene._layout()
    weights, product = scene.unit_tiles
    assert product.y == weights.y and product.x > weights.right


@pytest.mark.parametrize("shape", [(300, 5), (1024, 2)])
def test_images_no_size_can_show_are_refused_for_their_shape(tmp_path, shape):
    """300x5 images were told to "use a larger size" even at 3840x2160, where none fits."""
    from tests.conftest import idx_images, idx_labels
    from vizff.errors import OptionError

    rng = np.random.default_rng(0)
    for role, count in (("train", 20), ("t10k", 5)):
        (tmp_path / f"{role}-images-idx3-ubyte").write_bytes(
            idx_images(rng.integers(0, 256, (count, *shape)))
        )
        (tmp_path / f"{role}-labels-idx1-ubyte").write_bytes(idx_labels(np.arange(count) % 10))
    for size in ((480, 270), (3840, 2160)):
        with pytest.raises(OptionError) as error:
            SCENES["forward"](data=str(tmp_path), size=size, steps=1).load()
        assert error.value.key == "data"
        assert f"cannot show {shape[0]}x{shape[1]} images at any size" in str(error.value)


def test_two_hidden_layers_are_drawn_connected():
    """With `hidden=(16, 8)` nothing joined layer 1 to layer 2: a student read that layer 2
    took its input from nowhere. Every drawn unit of one hidden layer is now joined to every
    drawn unit of the next (neutral lines: the weight legend is the output's)."""
    scene = Forward(hidden=(6, 4), steps=0, digits=(0,), layer_frames=1, result_frames=1,
                    size=(1280, 720))  # fmt: skip
    *_, (frame, _) = run(scene)
    a, b = scene.columns
    page = np.array(scene.theme.background)
    for y0 in a.ys:
        for y1 in b.ys:
            x = (a.x + b.x) / 2 + 7  # on the line, clear of where the lines cross at the middle
            y = y0 + (y1 - y0) * (x - a.x) / (b.x - a.x)
            patch = frame[round(y) - 1 : round(y) + 2, round(x) - 1 : round(x) + 2]
            assert (np.abs(patch.astype(int) - page).sum(axis=2) > 20).any(), (y0, y1)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_loss_and_its_formula_stay_on_one_caption_line(lang):
    """With long class names the caption broke between "loss −log" and "p[...] = 0.01"."""
    names = [f"{k}-a-rather-long-class-name" for k in range(10)]
    scene = Forward(classes=names, hidden=(8,), steps=5, digits=(1,), layer_frames=1,
                    result_frames=1, size=(1280, 720), lang=lang)  # fmt: skip
    *_, (_, texts) = run(scene)
    lines = [t.content for t in by_role(texts, "caption")]
    assert len(lines) >= 2  # long enough to wrap
    whole = [line for line in lines if "−log" in line]
    assert len(whole) == 1 and re.search(r"−log\xa0p\[[^\]]+\]\xa0[=<]\xa0\S+", whole[0])


@pytest.mark.parametrize("cjk", [False, True])
def test_a_line_never_breaks_at_a_no_break_space(cjk):
    from vizff.draw.text import Typesetter, find_font

    kit = Typesetter(find_font(""))
    text = "loss of it: loss\xa0−log\xa0p[seven]\xa0=\xa00.17"
    width = kit.width("loss of it: loss −log", 20) + 2  # a plain space would break here
    lines = kit.wrap(text, width, 20, cjk=cjk)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert any(line.endswith("=\xa00.17") and line.startswith("loss\xa0−log") for line in lines)


def test_long_class_names_at_the_least_size_are_named_as_the_trouble():
    """A 40-letter class name at 480x270, the scene's own least size, was refused with "use a
    larger size (480x270 or more)": the size it was. The name fills a caption line."""
    from vizff.errors import OptionError
    from vizff.render import scene_frames

    names = ["W" * 40, *"123456789"]
    with pytest.raises(OptionError) as caught:
        next(iter(scene_frames("forward", steps=3, every=1, size="480x270", classes=names)))
    assert str(caught.value) == (
        "size='480x270': too small for the forward scene: the ten output rows would not be "
        "legible; use a larger size, or shorter class names (they are set in the caption)"
    )
    short = ["W" * 8, *"123456789"]  # the same size takes names that fit
    frame = next(iter(scene_frames("forward", steps=3, every=1, size="480x270", classes=short)))
    assert frame.shape == (270, 480, 3)


LONG_NAMES = (
    "Abyssinian cat,Bernese mountain dog,Great crested grebe,Eastern box turtle,Monarch "
    "butterfly,Bottlenose dolphin,African bush elephant,Red-eyed tree frog,Snowy owl (Bubo "
    "scandiacus),Giant Pacific octopus"
)


@pytest.mark.parametrize("size", [(640, 360), (480, 854), (1920, 1080)])
def test_the_ten_class_names_are_drawn_at_one_size(size):
    """With ten long names of one's own, "Snowy owl (Bubo scandiacus)" was drawn smaller than
    the other nine (each fitted alone): now all at one size, a name too long cut with "…"."""
    scene = SCENES["forward"](
        size=size, classes=LONG_NAMES.split(","), steps=10, layer_frames=2, result_frames=2
    )
    frames = list(scene.frames())
    texts = scene.page.texts()
    assert not problems(frames[-1], texts)
    names = [t for t in texts if t.role == "class"]
    assert len(names) == 10
    # a text's box is its font's ascent to descent (at one size, one height: every name has
    # capitals), or taller where ink passes them
    assert len({t.box.h for t in names}) == 1, [(t.content, t.box.h) for t in names]
    for name, given in zip((t.content for t in names), LONG_NAMES.split(",")):
        assert name == given or (name.endswith("…") and given.startswith(name[:-1].rstrip()))
