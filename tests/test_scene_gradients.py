"""The gradients scene against oracles computed here: the network and batch replayed from the
documented random draws, the loss, its central differences and back-propagation in float64
numpy written in this file (or the reference trainer's), compared with the strings each frame
draws, the colours of its heatmaps, and every loss evaluation the scene makes (a spy records
which weight each one nudged)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import vizff.scenes.gradients as module
from tests.test_oracles_train import reference_gradients, reference_run
from vizff.data import load_digits
from vizff.draw.catalogue import catalogue
from vizff.draw.lint import problems
from vizff.errors import OptionError
from vizff.options import settle
from vizff.scenes import SCENES

MINUS = "\u2212"
H = 1e-5  # the lesson's h
NUMBER = re.compile(r"(−?\d+(?:\.\d+)?)×10(−?\d+)")
FRAMES = 5


@pytest.fixture(scope="module")
def sample():
    return load_digits("sample")


# ---- the oracle: float64 numpy, nothing from vizff.nn ------------------------------------------
def replay(sample, *, hidden=(8,), batch_size=16, seed=0, dtype=np.float32):
    """Step 0 of the seeded run and the batch of update 1, from the documented draws: one
    generator draws the weights N(0, 1/n_in) layer by layer (stored in the run's dtype), then
    a permutation of the train split; the first batch is its first `batch_size` indices."""
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    weights = [
        (rng.standard_normal((n_in, n_out)) * math.sqrt(1.0 / n_in)).astype(dtype).astype(float)
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]
    biases = [np.zeros(n) for n in sizes[1:]]
    batch = rng.permutation(len(sample.train_labels))[:batch_size]
    x = sample.train_images[batch].reshape(len(batch), -1) / 255.0
    return weights, biases, x, sample.train_labels[batch].astype(int), batch


def oracle_loss(weights, biases, x, y) -> float:
    """Mean cross-entropy of a sigmoid network with a softmax output, in float64."""
    a = x
    for w, b in zip(weights[:-1], biases[:-1]):
        a = 1.0 / (1.0 + np.exp(-(a @ w + b)))
    z = a @ weights[-1] + biases[-1]
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def oracle_central_difference(weights, biases, x, y, row, unit, h=H) -> float:
    nudged = [w.copy() for w in weights]
    w = weights[0][row, unit]
    nudged[0][row, unit] = w + h
    above = oracle_loss(nudged, biases, x, y)
    nudged[0][row, unit] = w - h
    below = oracle_loss(nudged, biases, x, y)
    return (above - below) / (2 * h)


def oracle_backprop_column(weights, biases, x, y, unit) -> np.ndarray:
    """∂L/∂W_1[:, unit] by the chain rule, written out for one sigmoid hidden layer."""
    hidden = 1.0 / (1.0 + np.exp(-(x @ weights[0] + biases[0])))  # (batch, units)
    z = hidden @ weights[1] + biases[1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    error = (p - np.eye(10)[y]) / len(y)  # ∂L/∂z, (batch, 10)
    back = (error @ weights[1].T) * hidden * (1 - hidden)  # ∂L/∂(first layer's z)
    return x.T @ back[:, unit]


def norm_ratio(a: np.ndarray, b: np.ndarray) -> float:
    """||a − b|| / ||a + b||, the relative error the scene says it shows."""
    return math.sqrt(((a - b) ** 2).sum()) / math.sqrt(((a + b) ** 2).sum())


def colour_limit(value: float) -> float:
    """Rounded up to two significant digits."""
    step = 10 ** (math.floor(math.log10(value)) - 1)
    return math.ceil(value / step - 1e-9) * step


def numbers_in(text: str) -> list[float]:
    """Every `m.mmm×10−e` in a drawn string (superscripts are drawn as plain characters)."""
    return [
        float(m.replace(MINUS, "-")) * 10 ** int(e.replace(MINUS, "-"))
        for m, e in NUMBER.findall(text)
    ]


def shown(value: float, digits: int) -> str:
    """How a value reads in `m.m×10−e` form with `digits` decimals."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}×10{int(exponent)}".replace("-", MINUS)


def cell_colours(frame, tile, shape=(28, 28)) -> np.ndarray:
    """The colour of each image pixel's cell in a tile: (784, 3), read at its top-left pixel."""
    rows_px = np.arange(tile.h) * shape[0] // tile.h
    cols_px = np.arange(tile.w) * shape[1] // tile.w
    first_rows = np.searchsorted(rows_px, np.arange(shape[0]))
    first_cols = np.searchsorted(cols_px, np.arange(shape[1]))
    return frame[tile.y + first_rows][:, tile.x + first_cols].reshape(-1, 3)


def levels(values: np.ndarray, limit: float) -> np.ndarray:
    return np.clip(np.rint((values / limit + 1) / 2 * 30), 0, 30).astype(int)


def near(pixel: int, others) -> bool:
    """Within one cell of a marked pixel (its outline covers the edges of its neighbours)."""
    row, col = divmod(pixel, 28)
    return any(abs(row - r) <= 1 and abs(col - c) <= 1 for r, c in (divmod(o, 28) for o in others))


# ---- one default render, every loss evaluation recorded ------------------------------------------
class Spy:
    """Wraps the scene's loss: records, for each evaluation, which first-layer weights differ
    from the network's and what they were set to, and the loss it returned."""

    def __init__(self, real, base: np.ndarray):
        self.real, self.base, self.calls = real, base, []

    def __call__(self, network, inputs, labels):
        value = self.real(network, inputs, labels)
        first = network.weights[0].astype(np.float64)
        if first.shape == self.base.shape and inputs.dtype == np.float64:
            changed = np.argwhere(first != self.base)
            self.calls.append(([tuple(c) for c in changed], first[first != self.base], value))
        return value


@pytest.fixture(scope="module")
def render(sample):
    """The default scene at 640x360 over FRAMES frames: each frame, its strings, and the spy's
    calls so far."""
    scene = SCENES["gradients"](frames=FRAMES)
    scene.load()
    base = scene.problem.network.weights[0].copy()
    spy = Spy(module.loss, base)
    shots = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "loss", spy)
        for frame in scene.frames():
            texts = [(t.role, t.content) for t in scene.page.texts()]
            texts += [("line", line) for line in lines(scene.page.texts())]
            shots.append((frame, texts, len(spy.calls)))
    return scene, shots, spy


@pytest.fixture(scope="module")
def oracle(sample):
    weights, biases, x, y, batch = replay(sample)
    column = oracle_backprop_column(weights, biases, x, y, unit=0)
    numerical = np.array(
        [oracle_central_difference(weights, biases, x, y, i, 0) for i in range(784)]
    )
    return dict(weights=weights, biases=biases, x=x, y=y, batch=batch, bp=column, num=numerical)


def lines(items) -> list[str]:
    """The frame's texts joined into the lines a reader sees: pieces whose boxes share a
    middle, left to right (a line whose number changes is drawn as text, number, text)."""
    rows: dict[int, list] = {}
    for item in items:
        middle = round((item.box.y + item.box.bottom) / 2)
        key = next((k for k in rows if abs(k - middle) <= 1), middle)
        rows.setdefault(key, []).append(item)
    return ["".join(i.content for i in sorted(row, key=lambda i: i.box.x)) for row in rows.values()]


def text_of(texts, role=None, needle="") -> str:
    return " ".join(c for r, c in texts if (role is None or r == role) and needle in c)


def test_the_network_and_batch_are_step_0_and_update_1s(render, oracle):
    scene, _, _ = render
    np.testing.assert_array_equal(scene.problem.batch, oracle["batch"])
    for mine, theirs in zip(scene.problem.network.weights, oracle["weights"]):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(scene.problem.inputs, oracle["x"])


def test_the_caption_shows_both_derivatives_of_the_steepest_weight(render, oracle):
    scene, shots, _ = render
    pixel = int(np.argmax(np.abs(oracle["bp"])))  # "steepest": the largest |∂L/∂w| of the unit
    for _, texts, _ in shots:
        caption = text_of(texts, "caption")
        assert f"W1[{pixel}, 0]" in caption
        numerical, backpropagated = numbers_in(caption)
        want_num = oracle_central_difference(
            oracle["weights"], oracle["biases"], oracle["x"], oracle["y"], pixel, 0
        )
        assert numerical == pytest.approx(want_num, rel=1e-7)  # 8 significant digits drawn
        assert backpropagated == pytest.approx(oracle["bp"][pixel], rel=1e-7)
        assert shown(oracle["bp"][pixel], 7) in caption
        assert abs(numerical - backpropagated) <= 1e-7 * abs(backpropagated)  # they coincide


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_caption_names_the_marked_weight_and_keeps_each_result_whole(lang):
    """The first frame showed the marked weight's two derivatives beside "loss evaluations:
    0 of 1,568" with nothing saying whose they were; and in Chinese at 1280x720 the line broke
    between "∂L/∂w =" and its value. The caption says it is the marked weight, and wherever
    it wraps, each "... = value" stays on one line."""
    marked = {"en": "the marked weight, w = W1[", "zh": "标出的权重 w = W1["}[lang]
    for size in ["640x360", "854x480", "1280x720", "1920x1080", "1080x1080"]:
        scene = SCENES["gradients"](frames=4, size=size, lang=lang)
        next(iter(scene.frames()))
        caption = [t.content for t in scene.page.texts() if t.role == "caption"]
        assert caption[0].startswith(marked), (size, caption)
        for line in caption:
            assert not line.rstrip().endswith(("=", "∂L/∂w", "2h")), (size, caption)
            assert not re.match(r"[\s\xa0]*[−\d]", line), (size, caption)
        assert len(numbers_in(" ".join(caption))) == 2  # both derivatives, each whole


def test_the_chart_is_the_loss_around_w(render, oracle):
    scene, shots, _ = render
    pixel, left = scene.pixel, scene.left
    w0 = oracle["weights"][0][pixel, 0]
    base = oracle_loss(oracle["weights"], oracle["biases"], oracle["x"], oracle["y"])
    assert left.centre == pytest.approx(base, abs=1e-13)
    for t, change in zip(left.offsets[::8], left.changes[::8]):
        nudged = [w.copy() for w in oracle["weights"]]
        nudged[0][pixel, 0] = w0 + t
        want = oracle_loss(nudged, oracle["biases"], oracle["x"], oracle["y"]) - base
        assert change == pytest.approx(want, abs=1e-13)
    assert np.allclose(left.offsets[[0, -1]], [-2 * H, 2 * H])
    axis = text_of(shots[0][1], "axis")
    assert f"L(w) = {base:.7f}" in axis


def test_every_filled_entry_is_two_real_loss_evaluations(render, oracle):
    """The spy saw, before each frame, both nudges of every entry the frame shows filled, and
    none yet of the entries still to come: the literal loop runs as the frames advance."""
    scene, shots, spy = render
    w = oracle["weights"][0][:, 0]
    nudged = {}  # entry -> {value it was set to: (loss, call index)}, one weight moved alone
    for index, (changed, values, value) in enumerate(spy.calls):
        if len(changed) == 1 and changed[0][1] == 0:  # one weight of unit 0, nothing else
            nudged.setdefault(changed[0][0], {})[float(values[0])] = (value, index)
    for i in range(784):
        (above, _), (below, _) = nudged[i][w[i] + H], nudged[i][w[i] - H]
        assert scene.numerical_entries[i] == (above - below) / (2 * H)  # the lesson's formula
    np.testing.assert_allclose(scene.numerical_entries, oracle["num"], rtol=0, atol=1e-9)
    for index, (_, texts, calls) in enumerate(shots):
        filled = 784 * index // (FRAMES - 1)
        counter = text_of(texts, "line", needle="loss evaluations")
        assert f"loss evaluations: {2 * filled:,} of 1,568 for this unit" in counter
        # the whole network: 2 per weight and bias of 784-8-10
        assert f", {2 * (784 * 8 + 8 + 8 * 10 + 10):,} for the network" in counter
        for i in range(784):
            if i == scene.pixel:  # the left chart evaluated it before the first frame
                continue
            done = all(call < calls for _, call in (nudged[i][w[i] + H], nudged[i][w[i] - H]))
            assert done == (i < filled), (index, i)


def test_relative_error_is_the_norm_ratio_and_below_one_millionth(render, oracle):
    scene, shots, _ = render
    assert norm_ratio(oracle["num"], oracle["bp"]) < 1e-6  # the oracle's own agreement
    np.testing.assert_allclose(scene.backprop_entries, oracle["bp"], rtol=1e-12, atol=1e-18)
    for index, (_, texts, _) in enumerate(shots):
        filled = 784 * index // (FRAMES - 1)
        line = text_of(texts, "line", needle="relative error")
        if filled == 0:  # says when it comes, not a sentence that stops short
            assert not numbers_in(line)
            assert line.endswith(
                "relative error ||num − bp|| / ||num + bp||: shown once entries are computed"
            )
            continue
        num, bp = scene.numerical_entries[:filled], oracle["bp"][:filled]
        if not (num + bp).any():
            assert line.endswith(": 0")  # both exactly zero: no error at all
            continue
        want = norm_ratio(num, bp)
        assert (", all 784 entries: " if filled == 784 else " so far: ") in line
        assert shown(want, 1) in line
        assert numbers_in(line)[0] < 1e-6


def test_both_heatmaps_are_the_entries_on_one_colour_scale(render, oracle):
    scene, shots, _ = render
    limit = colour_limit(np.abs(oracle["bp"]).max())
    theme = scene.theme
    numerical_tile, backprop_tile = scene.grid.tiles
    bars = [c for r, c in shots[0][1] if r == "colourbar"]
    assert bars == [f"+{limit:g}", "0", f"{MINUS}{limit:g}"]
    for index, (frame, _, _) in enumerate(shots):
        filled = 784 * index // (FRAMES - 1)
        marks = [scene.pixel] + ([filled - 1] if 0 < filled < 784 else [])
        keep = np.array([not near(p, marks) for p in range(784)])
        want = theme.diverging[levels(oracle["num"], limit)]
        want[filled:] = theme.faint  # not computed yet
        got = cell_colours(frame, numerical_tile)
        np.testing.assert_array_equal(got[keep], want[keep])
        got = cell_colours(frame, backprop_tile)  # all there from the first frame
        keep = np.array([not near(p, [scene.pixel]) for p in range(784)])
        np.testing.assert_array_equal(got[keep], theme.diverging[levels(oracle["bp"], limit)][keep])


def test_the_cost_table_counts_two_evaluations_per_parameter(render):
    _, shots, _ = render
    table = [c for r, c in shots[-1][1] if r == "table"]
    steps = math.ceil(60_000 / 16)
    this = 2 * (784 * 8 + 8 + 8 * 10 + 10)
    wide = 2 * (784 * 128 + 128 + 128 * 10 + 10)
    assert table[3:6] == ["this network, 784-8-10", f"{this:,}", f"{this * steps:,}"]
    assert table[6:9] == ["784-128-10", f"{wide:,}", f"{wide * steps:,}"]
    # the extrapolation is to all of MNIST while the frames train on its sample: said so
    # (a reader took "per epoch of MNIST (3,750 batches)" for the sample's own epoch)
    assert table[2] == f"per epoch of all of MNIST ({steps:,} batches of 16)"
    assert not any("µs" in c or "days" in c for c in table)  # no times unless asked


def test_same_seed_same_frames_and_the_default_gif_is_byte_reproducible(tmp_path):
    from vizff.render import render_scene

    first = render_scene("gradients", tmp_path / "a.gif", frames=3, size=(320, 180))
    render_scene("gradients", tmp_path / "b.gif", frames=3, size=(320, 180))
    assert first.frames == 3
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()


def test_float32_shows_the_same_central_difference_rounded_into_steps(sample):
    scene = SCENES["gradients"](frames=2, float32=True)
    for _ in scene.frames():
        texts = [(t.role, t.content) for t in scene.page.texts()]
    weights, biases, x, y, _ = replay(sample)
    pixel = scene.pixel
    bp = oracle_backprop_column(weights, biases, x, y, unit=0)[pixel]
    line = text_of(texts, "caption", "float32")
    single, error = numbers_in(line)[-2:]
    # both losses are float32 numbers: their difference is a whole number of float32 steps
    # (2^-22 just above 2) of the loss, so the derivative is a multiple of 2^-22 / 2h
    assert scene.single.above == float(np.float32(scene.single.above))
    assert scene.single.below == float(np.float32(scene.single.below))
    quantum = 2.0**-22 / (2 * H)
    assert single / quantum == pytest.approx(round(single / quantum), abs=1e-6)
    assert single == pytest.approx(scene.single.derivative, rel=1e-7)
    assert error == pytest.approx(abs(single - bp) / abs(single + bp), rel=0.06)
    assert error > 1e-3  # float32 cannot resolve the change: far worse than float64's 1e-9


def test_timing_adds_measured_times_and_their_extrapolation():
    scene = SCENES["gradients"](frames=2, timing=True)
    for _ in scene.frames():
        texts = [(t.role, t.content) for t in scene.page.texts()]
    table = [c for r, c in texts if r == "table"]
    assert table[3:5] == ["each (measured)", "one epoch"]
    unit = {"µs": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600, "days": 86400}

    def seconds(cell: str) -> float:
        value, name = cell.split(" ")
        return float(value.replace(",", "")) * unit[name]

    steps = math.ceil(60_000 / 16)
    for row, evaluations in ((table[5:10], 12_740), (table[10:15], 203_540)):
        each, epoch = seconds(row[3]), seconds(row[4])
        assert epoch == pytest.approx(each * evaluations * steps, rel=0.1)  # 2 digits each
    assert "not byte-reproducible" in text_of(texts, needle="measured on this computer")


def test_a_trained_network_and_its_next_batch_match_the_reference_trainer(sample):
    scene = SCENES["gradients"](frames=2, steps=3, dtype="float64", lr=0.5, unit=2)
    frames = list(scene.frames())
    texts = [(t.role, t.content) for t in scene.page.texts()]
    rows = reference_run(
        sample,
        hidden=(8,),
        activation="sigmoid",
        lr=0.5,
        batch_size=16,
        steps=4,
        seed=0,
        eval_every=100,
    )
    np.testing.assert_array_equal(scene.problem.batch, rows[4]["indices"])
    weights, biases = rows[3]["params"]
    for mine, theirs in zip(scene.problem.network.weights, weights):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)
    y = sample.train_labels[rows[4]["indices"]].astype(int)
    grad_w, _ = reference_gradients(rows[3]["params"], scene.problem.inputs, y, "sigmoid")
    np.testing.assert_allclose(scene.backprop_entries, grad_w[0][:, 2], rtol=1e-8, atol=1e-15)
    assert norm_ratio(scene.numerical_entries, grad_w[0][:, 2]) < 1e-6
    subtitle = text_of(texts, "subtitle")
    assert "after 3 steps at learning rate 0.5" in subtitle and "the batch of update 4" in subtitle
    assert len(frames) == 2


def test_refusals_name_the_option():
    with pytest.raises(OptionError, match="unit=8: must be 0 to 7"):
        SCENES["gradients"](unit=8)
    with pytest.raises(OptionError, match="pixel=784: must be -1 .* or 0 to 783"):
        SCENES["gradients"](pixel=784).load()
    with pytest.raises(OptionError, match="frames=1: must be 2 to"):
        SCENES["gradients"](frames=1)
    with pytest.raises(OptionError, match="nudge=0: must be"):
        SCENES["gradients"](nudge=0)
    with pytest.raises(OptionError, match="give epochs or steps, not both"):
        SCENES["gradients"](epochs=1, steps=3)
    for key, value in (("every", 3), ("method", "numerical"), ("on_diverge", "show")):
        with pytest.raises(OptionError, match="scene gradients does not take this option"):
            settle(SCENES["gradients"], [({key: value}, None)])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_default_layout_is_clean_at_the_default_size(lang):
    scene = SCENES["gradients"](frames=3, lang=lang, theme="dark")
    for frame in scene.frames():
        assert not problems(frame, scene.page.texts())


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("float32", [False, True])
@pytest.mark.parametrize("size", [(320, 180), (3840, 2160)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_smallest_and_largest_sizes_draw_cleanly(size, float32, lang):
    """The smallest frame keeps the heatmaps with their labels and the whole caption (the
    table and the chart do not fit); the largest keeps everything. Neither has text that
    collides or is drawn over; no caption line is cut short, and the central difference's
    formula is never broken across two lines (320x180 once read "... / " then "2h = 0.011")."""
    scene = SCENES["gradients"](frames=2, size=size, lang=lang, float32=float32, timing=True)
    for frame in scene.frames():
        assert frame.shape == (size[1], size[0], 3)
        assert not problems(frame, scene.page.texts())
    texts = scene.page.texts()
    roles = {t.role for t in texts}
    assert ("table" in roles) == (size[0] > 1000)
    said = catalogue(lang)
    labels = [t.content for t in texts if t.role == "label"]
    for key in ("gradients.numerical", "gradients.backprop"):
        assert {said(key), said(f"{key}_short")} & set(labels), (key, labels)
    captions = [t.content for t in texts if t.role == "caption"]
    assert len(captions) == 2 + float32 or size[0] > 1000
    assert not any(line.endswith("…") for line in captions), captions
    formula = "(L(w\xa0+\xa0h)\xa0−\xa0L(w\xa0−\xa0h))\xa0/\xa02h\xa0=\xa0"
    assert sum(formula in line for line in captions) == 1 + float32, captions
    digits = f"{abs(scene.backprop_entries[scene.pixel]):.7e}".split("e")[0]  # 1.1328122
    assert any("∂L/∂w" in line and digits in line for line in captions), (digits, captions)


def test_gradients_refuses_a_frame_smaller_than_its_numbers_need():
    with pytest.raises(OptionError, match="needs at least 320x180"):
        SCENES["gradients"](size=(319, 180))


def test_memory_is_flat_in_the_number_of_frames(monkeypatch):
    """Nothing is kept per frame: the counter and error lines change every frame, and the
    kit keeps pictures of drawn text only up to a bound (made small here to reach it)."""
    import vizff.draw.text

    monkeypatch.setattr(vizff.draw.text, "PICTURE_BYTES", 2**18)

    def peak(frames: int) -> int:
        scene = SCENES["gradients"](frames=frames, size=(320, 180))
        scene.load()
        scene.problem  # noqa: B018 (the run, before measuring)
        tracemalloc.start()
        for _ in scene.frames():
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    # 180 more frames would keep 31 MB of frames, or 4 MB of pictures of their two lines
    assert peak(240) < peak(60) + 1_000_000


def test_vizff_render_gradients_succeeds_with_defaults(tmp_path):
    out = tmp_path / "g.gif"
    done = subprocess.run(
        [sys.executable, "-m", "vizff", "render", "gradients", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    assert "100 frames" in done.stdout and out.stat().st_size > 0


def test_on_a_portrait_frame_the_heatmaps_go_under_the_chart():
    """On 720x1280 the chart stretched to 1,000 pixels tall while the two 28x28 heatmaps beside
    it stayed 140 pixels wide: a tall frame now stacks them, each the page's width."""
    portrait = SCENES["gradients"](size=(720, 1280), frames=3)
    next(iter(portrait.frames()))
    chart, tile = portrait.chart_box, portrait.grid.tiles[0]
    assert chart.bottom < tile.y  # the heatmaps below the chart
    assert tile.w >= 0.3 * portrait.page.body.w and chart.w >= 0.9 * portrait.page.body.w
    landscape = SCENES["gradients"](size=(1280, 720), frames=3)
    next(iter(landscape.frames()))
    assert landscape.chart_box.right < landscape.grid.tiles[0].x  # side by side, as before


@pytest.mark.parametrize("size", [(1080, 1080), (720, 1280), (1080, 1920), (360, 640)])
def test_on_square_and_tall_frames_the_heatmaps_keep_their_header_and_result_lines(size):
    """At 1080x1080 the heatmaps' header sat 270 px above them and the result lines 270 px
    below; at 720x1280, 90 px each way with the chart squeezed above. A panel's texts now
    stay within two lines of it, and a tall frame's chart takes the room they left."""
    scene = SCENES["gradients"](size=size, frames=3)
    frame = next(iter(scene.frames()))
    assert not problems(frame, scene.page.texts())  # inside the frame, apart, legible
    small, maps = scene.page.line_height("small"), scene.grid.bounds
    labels = [t for t in scene.page.texts() if t.role == "label"]
    header = next(t for t in labels if t.content.startswith("unit 0 of layer 1"))
    results = [t for t in labels if t.content.startswith(("loss evaluations", "relative error"))]
    assert 0 <= maps.y - header.box.bottom <= small
    assert results and 0 <= min(t.box.y for t in results) - maps.bottom <= 2 * small
    if size[1] > size[0]:  # under the chart, nothing but a gap's width between them
        assert maps.y - scene.key_box.bottom <= 3 * small


@pytest.mark.parametrize(("shape", "size"), [((300, 5), (480, 270)), ((1024, 2), (1920, 1080))])
def test_tall_images_keep_the_header_the_result_lines_and_the_table(tmp_path, shape, size):
    """The room kept for the heatmaps counted one screen pixel per image row: 300-row images
    took the header, the relative error and the cost table off every frame, at any size."""
    from tests.conftest import idx_images, idx_labels

    rng = np.random.default_rng(0)
    for role, count in (("train", 60), ("t10k", 10)):
        images = rng.integers(0, 256, (count, *shape))
        (tmp_path / f"{role}-images-idx3-ubyte").write_bytes(idx_images(images))
        (tmp_path / f"{role}-labels-idx1-ubyte").write_bytes(idx_labels(np.arange(count) % 10))
    scene = SCENES["gradients"](data=str(tmp_path), size=size, steps=2, frames=4)
    for frame in scene.frames():
        assert not problems(frame, scene.page.texts())  # inside the frame, apart, legible
    texts = scene.page.texts()
    inputs = shape[0] * shape[1]
    said = " ".join(t.content for t in texts)
    assert f"{shape[0]}×{shape[1]}" in said or f"{shape[0]}x{shape[1]}" in said  # the header
    assert re.search(rf"relative error[^,]*, all {inputs:,}", said)
    assert any(t.role == "table" for t in texts)


def test_the_time_estimate_is_not_thrown_by_one_stalled_evaluation(monkeypatch):
    """On a busy machine `--hidden 256 --activation relu` was estimated at 71 s and took 6:
    the mean of eight probe evaluations took one stalled call for the rule."""
    calls = []

    def timed_loss(network, inputs, labels):  # 1 ms each, the first stalled for 0.3 s
        calls.append(1)
        time.sleep(0.3 if len(calls) == 1 else 0.001)
        return 1.0

    monkeypatch.setattr(module, "loss", timed_loss)
    scene = SCENES["gradients"]()
    scene.load()
    scene.problem  # noqa: B018 (the run, before the probe)
    monkeypatch.setattr(module.TrainingScene, "estimate_seconds", lambda self: 0.0)
    estimate = scene.estimate_seconds()
    evaluations = 2 * scene.inputs + module.CURVE_POINTS
    assert evaluations * 0.001 <= estimate < evaluations * 0.003, estimate
