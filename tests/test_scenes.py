"""What each scene draws, checked against oracles computed here, independently of the scenes:
the strings a frame shows (recorded by the kit as they are drawn) and the colours of its
heatmaps, against float64 numpy written in this file or the float64 reference trainer."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.test_oracles_train import reference_run
from vizff.data import load_digits
from vizff.draw import catalogue, numbers
from vizff.draw.lint import problems
from vizff.errors import OptionError
from vizff.scenes import SCENES

MINUS = "\u2212"


@pytest.fixture(scope="module")
def sample():
    return load_digits("sample")


def frames_with_texts(scene):
    """(frame, [(role, content)]) for every frame, as drawn."""
    for frame in scene.frames():
        yield frame, [(t.role, t.content) for t in scene.page.texts()]


def caption(texts) -> str:
    return " ".join(content for role, content in texts if role == "caption")


def signed(value: float, digits: int) -> str:
    text = f"{abs(value):.{digits}f}"
    return (MINUS if value < 0 and float(text) else "+") + text


# ---- the functions -----------------------------------------------------------------------------
ORACLE = {
    "sigmoid": (lambda x: 1 / (1 + math.exp(-x)), lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
    "tanh": (math.tanh, lambda x: 1 / math.cosh(x) ** 2),
    "relu": (lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0),
}
SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu"}


@pytest.mark.parametrize("function", list(ORACLE))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sigmoid_readout_is_the_function_and_its_slope(function, lang):
    scene = SCENES["sigmoid"](function=function, frames=9, x_max=8.0, lang=lang)
    f, slope = ORACLE[function]
    xs = np.linspace(-8.0, 8.0, 9)
    drawn = [caption(texts) for _, texts in frames_with_texts(scene)]
    assert len(drawn) == 9
    name = SYMBOL[function]

    def shown(value: float, low: float) -> str:  # 4 decimals, a true minus, never a bound
        text = f"{value:.4f}"
        if float(text) in (low, 1.0) and low < value < 1.0:  # rounds to a bound it never meets
            return f"> {1 - 1e-4:.4f}" if value > 0.5 else f"< {low + 1e-4:.4f}".replace("-", "−")
        return "= " + text.replace("-", "−")

    def plain(value: float) -> str:  # relu's 0 and 1 are reached: said as they are
        return "= " + f"{value:.4f}".replace("-", "−")

    low = {"sigmoid": 0.0, "tanh": -1.0, "relu": -math.inf}[function]
    for x, text in zip(xs, drawn):
        expected = [
            f"x = {signed(x, 2)}",
            f"{name}(x) {plain(f(x)) if function == 'relu' else shown(f(x), low)}",
            f"{name}′(x) {plain(slope(x)) if function == 'relu' else shown(slope(x), 0.0)}",
        ]
        for piece in expected:
            assert piece in text, (piece, text)


def softmax64(z):
    e = np.exp(np.asarray(z, dtype=np.float64) - max(z))
    return e / e.sum()


def probability_label(p: float) -> str:
    if 0 < p < 0.005:
        return "<0.01"
    if 0.995 < p < 1:
        return ">0.99"
    return f"{p:.2f}"


@pytest.mark.parametrize("mode", ["logit", "temperature"])
def test_softmax_bars_labels_and_caption_are_the_probabilities(mode):
    scene = SCENES["softmax"](mode=mode, frames=6, seed=4, index=2, low=-5.0, high=9.0)
    rng = np.random.default_rng(4)
    scores = np.round(rng.normal(0.0, 1.3, 10), 1)  # the documented draw: ten scores, 1 decimal
    sweep = np.linspace(-5, 9, 6) if mode == "logit" else np.geomspace(0.25, 4.0, 6)
    for value, (_, texts) in zip(sweep, frames_with_texts(scene)):
        z = scores.copy()
        if mode == "logit":
            z[2] = value
            p = softmax64(z)
        else:
            p = softmax64(z / value)
        values = [content for role, content in texts if role == "value"]
        assert values[:10] == [f"{v:.1f}".replace("-", MINUS) for v in z]
        assert values[10:] == [probability_label(x) for x in p]
        text = caption(texts)
        best = int(p.argmax())
        if mode == "logit":
            assert f"z2 = {signed(z[2], 2)}" in text and f"p2 = {p[2]:.3f}" in text
        else:
            assert f"T = {value:.2f}" in text and f"p = {p[best]:.3f}" in text
        assert f" {best}" in text and "1.000" in text


FASHION_EN = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]  # Fashion-MNIST's own names, in label order


@pytest.mark.parametrize(
    ("classes", "lang", "said"),
    [("digits", "en", "most probable digit: {i} "),
     ("fashion", "en", "most probable item: {i} ({name})"),
     ("fashion", "zh", "最可能的服饰：{i}（{zh}）"), ("cat,dog", "en", "most probable class: {i} "),
     ("a,b,c,d,e,f,g,h,i,j", "en", "most probable class: {i} ({name})")],
)  # fmt: skip
def test_softmax_names_its_most_probable_class_as_the_lesson_does(classes, lang, said):
    """A lesson on Fashion-MNIST ended its softmax part with "most probable digit: 3": the
    scene took no classes and said digit. It takes them: the caption names the class."""
    scene = SCENES["softmax"](frames=2, seed=4, index=3, low=6.0, high=6.0, classes=classes,
                              lang=lang)  # fmt: skip
    z = np.round(np.random.default_rng(4).normal(0.0, 1.3, 10), 1)
    z[3] = 6.0
    best = int(softmax64(z).argmax())
    names = {"fashion": FASHION_EN, "a,b,c,d,e,f,g,h,i,j": list("abcdefghij")}.get(classes)
    zh = catalogue("zh").list("classes.fashion.names")[best]
    _, texts = next(frames_with_texts(scene))
    expected = said.format(i=best, name=names[best] if names else "", zh=zh)
    assert expected in caption(texts) + " ", caption(texts)


def test_a_lessons_classes_reach_its_softmax_part(tmp_path):
    from tests.test_storyboard import write
    from vizff.storyboard import load_storyboard, plan

    board = write(tmp_path, 'classes = "fashion"\n\n[[part]]\nscene = "softmax"\nframes = 2\n')
    (segment,) = plan(load_storyboard(board, out_dir=tmp_path)).segments
    assert segment.settings.classes == "fashion"


def test_a_probability_past_the_digits_shown_is_stated_with_its_bound():
    """A near-certain class said `p = >0.999`; it says `p > 0.999`."""
    scene = SCENES["softmax"](frames=2, low=30.0, high=30.0, index=2)
    _, texts = next(frames_with_texts(scene))
    text = caption(texts)
    assert "p2 > 0.999" in text and "= >" not in text, text


def test_softmax_small_probability_reads_below_one_hundredth():
    scene = SCENES["softmax"](frames=2, low=-20.0, high=-20.0, index=0)
    _, texts = next(frames_with_texts(scene))
    assert "<0.01" in [content for role, content in texts if role == "value"]


# ---- the input ---------------------------------------------------------------------------------
def test_mosaic_shows_each_image_pixel_for_pixel_column_by_column(sample):
    scene = SCENES["mosaic"](rows=2, cols=3, reveal=6, labels=True, start=10, size=(640, 360))
    *_, (last, texts) = frames_with_texts(scene)
    tiles = scene.grid.tiles
    assert tiles[1].x == tiles[0].x and tiles[1].y > tiles[0].y  # image 1 below image 0
    assert tiles[2].x > tiles[0].x and tiles[2].y == tiles[0].y  # image 2 starts column 1
    images = sample.test_images[10:16]
    for tile, image in zip(tiles, images):
        scale = tile.w // 28
        assert scale >= 1 and tile.w == 28 * scale  # whole-number scale: crisp squares
        expected = np.kron(image, np.ones((scale, scale), dtype=np.uint8))
        np.testing.assert_array_equal(last[tile.slices][..., 0], expected)
        assert (last[tile.slices][..., 0] == last[tile.slices][..., 2]).all()  # grey
    labels = [content for role, content in texts if role == "label"]
    assert labels == [str(d) for d in sample.test_labels[10:16]]


@pytest.mark.parametrize(
    ("size", "shape"), [((640, 360), (6, 12)), ((720, 1280), (12, 6)), ((1080, 1080), (8, 9))]
)
def test_mosaic_default_grid_follows_the_frames_shape(size, shape):
    """The default 72 images in the whole grid that shows them largest: on a portrait frame
    the landscape 6x12 left three quarters of the page empty, with tiles a third smaller."""
    scene = SCENES["mosaic"](size=size, reveal=2)
    *_, (last, texts) = frames_with_texts(scene)
    assert scene.grid_shape == shape and len(scene.grid.tiles) == 72
    tile = scene.grid.tiles[0].w
    for rows in (2, 3, 4, 6, 8, 9, 12, 18):  # every other whole grid of 72 shows them smaller
        other = SCENES["mosaic"](size=size, reveal=2, rows=rows, cols=72 // rows)
        try:
            other.load()
        except OptionError:  # does not fit at all
            continue
        assert other.grid.tiles[0].w <= tile
    caption = next(content for role, content in texts if role == "caption")
    assert f"i×{shape[0]} + j" in caption  # the caption's rule names the grid drawn
    given = SCENES["mosaic"](size=size, reveal=2, rows=6, cols=12)
    given.load()
    assert given.grid_shape == (6, 12)  # a shape the user gives is kept


def test_mosaic_title_comes_from_the_data(tmp_path):
    import gzip

    from tests.conftest import idx_images, idx_labels

    rng = np.random.default_rng(0)
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name, payload in {
        "train-images-idx3-ubyte.gz": idx_images(rng.integers(0, 256, (30, 20, 12))),
        "train-labels-idx1-ubyte.gz": idx_labels(np.arange(30) % 10),
        "t10k-images-idx3-ubyte.gz": idx_images(rng.integers(0, 256, (20, 20, 12))),
        "t10k-labels-idx1-ubyte.gz": idx_labels(np.arange(20) % 10),
    }.items():
        (folder / name).write_bytes(gzip.compress(payload))
    scene = SCENES["mosaic"](
        data=str(folder), classes="fashion", rows=2, cols=2, reveal=2, labels=True
    )
    *_, (_, texts) = frames_with_texts(scene)
    title = next(content for role, content in texts if role == "title")
    assert (
        "fashion-mnist" in title
        and "20×12" in title
        and "MNIST" not in title.replace("fashion-mnist", "")
    )
    assert "digits" not in title and "items" in title
    labels = [content for role, content in texts if role == "label"]
    assert labels[:2] == ["T-shirt/top", "Trouser"] or labels[0].startswith("T-shirt")


# ---- training scenes ---------------------------------------------------------------------------
RUN = dict(hidden=(8,), batch_size=64, seed=3)


def reference(sample, steps, every, lr, activation="sigmoid"):
    rows = reference_run(sample, activation=activation, lr=lr, steps=steps, eval_every=every, **RUN)
    return {row["step"]: row for row in rows}


def test_weights_caption_and_heatmaps_are_the_runs(sample):
    scene = SCENES["weights"](steps=130, every=26, lr=0.5, dtype="float64", weight_limit=0.2,
                              output_limit=1.0, **RUN)  # fmt: skip
    rows = reference(sample, 130, 26, 0.5)
    seen = []
    for frame, texts in frames_with_texts(scene):
        text = caption(texts)
        step = int(re.search(r"step (\d+)/130", text)[1])
        row = rows[step]
        assert f"epoch {row['epoch']}" in text  # 4000 digits / 64: epoch 2 from step 64
        assert f"batch loss {row['batch'][0]:.4f}" in text
        w = row["params"][0][0][:, 0]  # unit 0's weights, float64 reference
        level = np.clip(np.rint((w / 0.2 + 1) / 2 * 30), 0, 30).astype(int)
        tile = scene.grid.tiles[0]
        rows_px = np.arange(tile.h) * 28 // tile.h
        cols_px = np.arange(tile.w) * 28 // tile.w
        first_px_rows = np.searchsorted(rows_px, np.arange(28))
        first_px_cols = np.searchsorted(cols_px, np.arange(28))
        shown = frame[tile.y + first_px_rows][:, tile.x + first_px_cols].reshape(-1, 3)
        np.testing.assert_array_equal(shown, scene.theme.diverging[level])
        seen.append(step)
    assert seen == [0, 26, 52, 78, 104, 130]


def smoothed_losses(losses, alpha):
    """Exponential moving average over steps 1.., divided by 1 - alpha^n (unbiased start)."""
    out, running = {}, 0.0
    for n, (step, loss) in enumerate(sorted(losses.items())[1:], start=1):
        running = alpha * running + (1 - alpha) * loss
        out[step] = running / (1 - alpha**n)
    return out


def test_loss_caption_is_the_batch_loss_its_average_and_the_test_accuracy(sample):
    scene = SCENES["loss"](steps=90, every=15, lr=0.5, dtype="float64", smoothing=0.9, **RUN)
    rows = reference(sample, 90, 15, 0.5)
    average = smoothed_losses({s: r["batch"][0] for s, r in rows.items()}, 0.9)
    steps = []
    for _, texts in frames_with_texts(scene):
        text = caption(texts)
        step = int(re.search(r"step (\d+)/90", text)[1])
        row = rows[step]
        assert f"batch loss {row['batch'][0]:.4f}" in text
        expected_average = average.get(step, row["batch"][0])
        assert f"smoothed {expected_average:.4f}" in text
        assert (
            f"test accuracy {100 * row['test'][1]:.1f}%" in text
        )  # after the step, as predictions says it
        steps.append(step)
    assert steps == [0, 15, 30, 45, 60, 75, 90]


@pytest.mark.parametrize("name", ["weights", "loss"])
def test_a_shown_divergence_keeps_drawing_and_says_where(name):
    scene = SCENES[name](activation="relu", lr=1e6, steps=12, every=3, on_diverge="show")
    captions = [caption(texts) for _, texts in frames_with_texts(scene)]
    assert len(captions) == scene.frame_count() == 5
    assert not any("diverged" in c for c in captions[:1])  # step 0 is the untrained network
    assert "diverged at step" in captions[-1]
    number = int(re.search(r"diverged at step (\d+)", captions[-1])[1])
    assert 0 <= number <= 12


def test_training_scenes_start_at_the_untrained_network(sample):
    scene = SCENES["loss"](steps=6, every=3, **RUN)
    first_caption = caption(next(frames_with_texts(scene))[1])
    assert first_caption.startswith("step 0/6")
    loss = float(re.search(r"batch loss (\d+\.\d+)", first_caption)[1])
    assert abs(loss - math.log(10)) < 0.3  # guessing: about ln 10


def test_every_caption_field_in_chinese_too():
    scene = SCENES["loss"](steps=6, every=3, lang="zh")
    text = caption(list(frames_with_texts(scene))[-1][1])
    assert "第 6/6 步" in text and "批量损失" in text and "测试准确率" in text


def test_scene_option_errors_name_the_keyword():
    with pytest.raises(OptionError, match="^every=11: must be 1 to 10"):
        SCENES["weights"](steps=10, every=11).frame_count()
    with pytest.raises(OptionError, match="^mode='x': must be one of logit, temperature"):
        SCENES["softmax"](mode="x")
    with pytest.raises(OptionError, match="^hidden="):
        SCENES["weights"](hidden=(0,))


@pytest.mark.parametrize("index", [3, 5, 6, 7])
@pytest.mark.parametrize("mode", ["logit", "temperature"])
def test_softmax_keeps_the_label_of_the_bar_its_caption_is_about(mode, index):
    """At 480x270 the labels are thinned to every other bar: they were bars 0, 2, 4... and the
    0.96 bar of digit 3, the one the caption names, had none; then, counted from the nudged
    bar, the tallest (p = 0.35, the caption's most probable digit) had none when it was the
    nudged one's neighbour. Each chart labels first what the caption names without its
    value: the nudged score on the left, the most probable digit's p on the right, and the
    nudged one's p there too unless it is that bar's neighbour (the caption gives it)."""
    scene = SCENES["softmax"](size=(480, 270), frames=31, mode=mode, index=index)
    for value, _ in zip(scene.sweep(), scene.frames()):
        logits, probabilities = scene.state(float(value))
        best = int(np.argmax(np.exp(logits - logits.max())))  # the same ranking as p
        items = [item for item in scene.page.texts() if item.role == "value"]
        z_labels = [item.content for item in items if item.box.centre[0] < 240]  # left chart
        p_labels = [item.content for item in items if item.box.centre[0] >= 240]
        assert len(p_labels) <= 5  # thinned to every other bar: else this shows nothing
        assert numbers.probability(float(probabilities[best]), 2) in p_labels, value
        if mode == "logit":
            assert numbers.minus(f"{logits[index]:.1f}") in z_labels
            if abs(index - best) > 1:
                assert numbers.probability(float(probabilities[index]), 2) in p_labels


def test_sigmoid_legend_draws_the_tangent_dashed_as_the_plot_does():
    """The legend showed the tangent as a solid line, the plot draws it dashed."""
    scene = SCENES["sigmoid"](size=(1280, 720), frames=2)
    frame = next(iter(scene.frames()))
    items = {item.content: item for item in scene.page.texts() if item.role == "legend"}
    tangent = next(item for text, item in items.items() if "tangent" in text)
    swatch = 14 * 2  # design pixels at 640x360, scaled by 2 at 1280x720
    y = round(tangent.box.centre[1])
    ink, page = np.array(scene.theme.ink), np.array(scene.theme.background)

    def runs(x0: int) -> list[bool]:  # whether each pixel of the swatch's row is ink
        column = range(x0 - 10 - swatch, x0 - 10)
        rows = frame[y - 2 : y + 3, column.start : column.stop].astype(int)
        return list((np.abs(rows - ink).sum(axis=2) < 60).any(axis=0))

    dashes = runs(tangent.box.x)
    assert any(dashes) and not all(dashes[dashes.index(True) :][: swatch - 2])  # gaps: dashed
    first = min(items.values(), key=lambda item: item.box.x)
    assert page.tolist() != ink.tolist()
    assert not any(runs(first.box.x))  # the first series' swatch is its own colour, not ink


def test_loss_and_predictions_write_the_same_accuracy_the_same_way():
    """The same network's test accuracy read 0.9070 in the loss scene and 90.7% in the
    predictions scene: a student comparing the two took them for different numbers."""
    said = {}
    for name in ("loss", "predictions"):
        *_, (_, texts) = frames_with_texts(SCENES[name](steps=60, every=30, size=(640, 360)))
        said[name] = re.search(r"test accuracy (\d+\.\d%)", caption(texts))[1]
    assert said["loss"] == said["predictions"], said


@pytest.mark.parametrize(
    ("where", "data"),
    [("fashionish", "."), ("fashionish", "./"), ("fashionish/sub", ".."),
     ("fashionish/sub", "../."), (".", "fashionish/sub/..")],
)  # fmt: skip
def test_data_given_as_dot_or_dotdot_is_named_as_its_folder(tmp_path, monkeypatch, where, data):
    """`--data .` put "." on the frames as the dataset's name (the mosaic's title said "The
    input: . digits"); it is the folder's own name."""
    from tests.conftest import write_idx_dir

    (write_idx_dir(tmp_path / "fashionish") / "sub").mkdir()
    monkeypatch.chdir(tmp_path / where)
    scene = SCENES["mosaic"](data=data, size=(480, 270))
    for _ in scene.frames():
        break
    assert scene.dataset_name() == "fashionish"
    assert "fashionish" in scene.page.title_text and " . " not in scene.page.title_text


def test_images_of_classes_named_by_the_user_are_images_not_classes(tmp_path):
    """With `classes` a list of names, frames called each image "a class": "one class
    through the network", "test class #2", "9 of 100 test classes right"."""
    from tests.conftest import write_idx_dir

    data = str(write_idx_dir(tmp_path / "lab"))
    names = [f"cls{i}" for i in range(10)]
    said = {}
    for lang in ("en", "zh"):
        for name, extra in (("forward", {"steps": 2}), ("predictions", {"steps": 2, "every": 2})):
            scene = SCENES[name](data=data, classes=names, lang=lang, size=(640, 360), **extra)
            for _ in scene.frames():
                pass
            said[name, lang] = " ".join(t.content for t in scene.page.texts())
        mosaic = SCENES["mosaic"](data=data, classes=names, lang=lang, size=(640, 360))
        mosaic.load()
        said["mosaic", lang] = mosaic.title()
    assert "one image through the network" in said["forward", "en"]
    assert "test image #" in said["forward", "en"]
    assert re.search(r"\d+ of 20 test images right", said["predictions", "en"])
    assert "the true class" in said["predictions", "en"]  # a label is a class
    assert said["mosaic", "en"].startswith("The input: lab images,")
    assert "一张图像穿过神经网络" in said["forward", "zh"]
    assert "20 张测试集图像中对了" in said["predictions", "zh"]
    assert said["mosaic", "zh"].startswith("输入：lab中的图像，")
    for text in said.values():
        assert "test class" not in text and "classes right" not in text and "测试集类别" not in text


def test_a_mosaic_of_an_empty_split_says_so_and_which_split_to_show(tmp_path, capsys):
    """With no test images the default mosaic blamed `start`, a key the user never wrote,
    and told them to lower start, rows or cols, which could not help; then it named `split`
    though the user had not written it, its advice was TOML on the command line, and with
    both splits empty each split's error sent the user to the other."""
    from tests.conftest import idx_images, idx_labels
    from tests.test_cli import run
    from vizff.errors import OptionError

    def run_cli(*argv: str) -> tuple[int, str]:
        code, _, err = run(capsys, *argv)
        return code, err

    for role, count in (("train", 5), ("t10k", 0)):
        (tmp_path / f"{role}-images-idx3-ubyte").write_bytes(idx_images(np.zeros((count, 8, 8))))
        (tmp_path / f"{role}-labels-idx1-ubyte").write_bytes(idx_labels(np.arange(count) % 10))
    with pytest.raises(OptionError) as error:
        SCENES["mosaic"](data=str(tmp_path)).load()
    name = tmp_path.name
    assert (
        str(error.value)
        == f"data='{tmp_path}': has no test images; show the train split (split=\"train\")"
    )
    with pytest.raises(OptionError) as error:
        SCENES["mosaic"](data=str(tmp_path), split="test").load()
    assert str(error.value) == (
        f"split='test': {name} has no test images; show the train split (split=\"train\")"
    )
    # on the command line, in a file; with neither split to show, the data is named
    cli = ["render", "mosaic", "--data", str(tmp_path), "--out", str(tmp_path / "m.png")]
    assert run_cli(*cli, "--set", "split=test") == (
        2,
        f"error: --set split=test: {name} has no test images; show the train split "
        "(--set split=train)\n",
    )
    (tmp_path / "m.toml").write_text('scene = "mosaic"\ndata = "."\n')
    assert run_cli("render", str(tmp_path / "m.toml"), "--out-dir", str(tmp_path)) == (
        2,
        f'error: {tmp_path / "m.toml"}: data = "." ({tmp_path}): has no test images; show the '
        'train split (split = "train")\n',
    )
    (tmp_path / "none").mkdir()
    for role in ("train", "t10k"):
        empty = (("images-idx3", np.zeros((0, 8, 8))), ("labels-idx1", np.arange(0)))
        for kind, values in empty:
            write = idx_images if kind.startswith("images") else idx_labels
            (tmp_path / "none" / f"{role}-{kind}-ubyte").write_bytes(write(values))
    none = ["--data", str(tmp_path / "none")]
    assert run_cli("render", "mosaic", *none, "--set", "split=train") == (
        2,
        f"error: --data {tmp_path / 'none'}: holds no images in either split: give one that "
        "has some\n",
    )
    scene = SCENES["mosaic"](data=str(tmp_path), split="train", rows=1, cols=5)
    assert len(list(scene.frames())) == scene.frame_count()


def test_a_count_of_one_is_singular_in_messages(tmp_path):
    """ "the 1 test images of test1", "the images have 1 pixels"."""
    from tests.conftest import idx_images, idx_labels
    from vizff.errors import OptionError

    for role, count in (("train", 5), ("t10k", 1)):
        (tmp_path / f"{role}-images-idx3-ubyte").write_bytes(idx_images(np.zeros((count, 1, 1))))
        (tmp_path / f"{role}-labels-idx1-ubyte").write_bytes(idx_labels(np.arange(count) % 10))
    with pytest.raises(OptionError, match=r"is more than the 1 test image of "):
        SCENES["predictions"](data=str(tmp_path), count=2).load()
    with pytest.raises(OptionError, match=r"the images have 1 pixel$"):
        SCENES["gradients"](data=str(tmp_path), pixel=3).load()
    with pytest.raises(OptionError, match=r"go past the 1 test image of "):
        SCENES["mosaic"](data=str(tmp_path), rows=2, cols=1).load()


def test_a_growing_line_leaves_through_the_top_and_marks_where():
    """A loss above the chart was drawn flat along its top edge, as if it were the top value.
    The line is now cut where it crosses the edge (x found analytically here), nothing is
    drawn above it nor along it, and each exit is recorded for a mark."""
    from vizff.draw.parts import GrowingLine

    canvas = np.zeros((100, 100, 3), np.uint8)
    line = GrowingLine(canvas, (255, 255, 255), 2.0, top=20)
    line.extend([(10, 50), (30, 0), (50, 50), (60, 5), (70, 10)])  # out, back in, out
    assert line.exits == pytest.approx([22.0, 50 + 10 * 30 / 45])  # where each leaves y = 20
    assert not canvas[:19].any()  # nothing above the chart (a pixel of antialiasing at most)
    assert not canvas[19:23, 27:34].any()  # not along the top edge while the line is out
    assert canvas[45:55, 8:13].any() and canvas[45:55, 48:53].any()  # the points inside


def test_the_batch_loss_line_holds_every_steps_loss_not_only_the_frames(sample):
    """Drawn at frame steps only, a spike between frames was missing and the smoothed loss
    could run above every plotted batch loss. Each step's batch loss (the independent
    reference run's) now lies on the drawn line."""
    scene = SCENES["loss"](steps=40, every=10, lr=2.0, dtype="float64", loss_max=6.0, **RUN)
    rows = reference(sample, 40, 10, 2.0)
    *_, (frame, _) = frames_with_texts(scene)
    raw = np.array(scene.raw_colour(), int)
    missing = []
    for step in range(1, 41):
        x, y = scene.chart.to_px(step, rows[step]["batch"][0])
        window = frame[round(y) - 2 : round(y) + 3, round(x) - 2 : round(x) + 3].astype(int)
        near = np.abs(window - raw).sum(axis=2).min()
        if near > 60:  # neither the line's colour nor close to it (a blend at its edge)
            missing.append(step)
    assert len(missing) <= 4, missing  # where the smoothed line or a dot covers it


def test_a_diverged_loss_says_how_far_it_went(sample):
    """The caption said only "diverged at step 1"; the chart shows the loss leaving its top.
    It now gives the batch loss the trainer measured (its last Snapshot's)."""
    from vizff.train import DIVERGED_LOSS, TrainConfig, train

    options = dict(steps=12, every=3, lr=200.0, on_diverge="show", dtype="float64", **RUN)
    scene = SCENES["loss"](**options)
    *_, last = train(sample, TrainConfig(**{**RUN, "lr": 200.0, "steps": 12, "eval_every": 3,
                                         "on_diverge": "show", "dtype": "float64"}))  # fmt: skip
    assert last.diverged_at is not None and not last.loss < DIVERGED_LOSS
    *_, (frame, texts) = frames_with_texts(scene)
    assert f"diverged at step {last.diverged_at}: the batch loss reached {last.loss:.2f}" in (
        caption(texts)
    )
    zh = caption(list(frames_with_texts(SCENES["loss"](**options, lang="zh")))[-1][1])
    assert f"第 {last.diverged_at} 步发散：批量损失升至 {last.loss:.2f}" in zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_relus_flat_side_is_inactive_not_saturated_and_its_slope_steps(lang):
    """relu's x < 0 half was shaded "saturated: slope < 0.01", where its slope is exactly 0
    and relu does not saturate; its slope was drawn with a vertical line at 0, as if relu′
    took every value between 0 and 1 there."""
    scene = SCENES["sigmoid"](function="relu", frames=3, size=(1280, 720), lang=lang)
    frame = next(iter(scene.frames()))
    texts = [t.content for t in scene.page.texts()]
    words = catalogue(lang)
    assert words("sigmoid.inactive") in texts
    assert not any(words("sigmoid.saturated") in t for t in texts)
    secondary = np.array(scene.theme.secondary, int)
    x, top = scene.chart.to_px(0, 0.8)
    _, bottom = scene.chart.to_px(0, 0.2)
    column = frame[round(top) : round(bottom), round(x) - 1 : round(x) + 2].astype(int)
    assert np.abs(column - secondary).sum(axis=2).min() > 120  # no line joins 0 to 1 at x = 0
    assert SCENES["sigmoid"](function="sigmoid").words("sigmoid.saturated")  # sigmoid keeps it


def narrow_images(tmp_path, shape=(28, 14)):
    """A data folder of `shape` images (tall and narrow by default), labels k % 10."""
    import gzip

    from tests.conftest import idx_images, idx_labels

    rng = np.random.default_rng(1)
    folder = tmp_path / "narrow"
    folder.mkdir()
    for name, payload in {
        "train-images-idx3-ubyte.gz": idx_images(rng.integers(0, 256, (20, *shape))),
        "train-labels-idx1-ubyte.gz": idx_labels(np.arange(20) % 10),
        "t10k-images-idx3-ubyte.gz": idx_images(rng.integers(0, 256, (100, *shape))),
        "t10k-labels-idx1-ubyte.gz": idx_labels(np.arange(100) % 10),
    }.items():
        (folder / name).write_bytes(gzip.compress(payload))
    return str(folder)


@pytest.mark.parametrize(
    ("size", "lang", "narrow"),
    [((640, 360), "en", False), ((1280, 720), "en", False), ((640, 360), "zh", False),
     ((640, 360), "en", True), ((1920, 1080), "en", True)],
)  # fmt: skip
def test_mosaic_labels_are_whole_names_one_size_on_one_line_and_never_touch(
    tmp_path, size, lang, narrow
):
    """Each label was fitted alone: sizes jumped from tile to tile and neighbours touched
    ("TrouserPullover"). Then they were one size but cut to their image's width: "T-shirt…",
    "Ankle…" at 1280x720 beside unused room, and under 28x14 images (a 2x36 grid) one letter
    each, "S…". The columns now spread for the names, and fewer columns are chosen where they
    must: every name whole, centred under its image, one size, one baseline a row, a gap
    between neighbours, and the grid inside the page."""
    data = narrow_images(tmp_path) if narrow else "sample"
    scene = SCENES["mosaic"](
        classes="fashion", labels=True, size=size, reveal=2, lang=lang, data=data
    )
    for _ in scene.frames():
        pass
    names = scene.class_names()
    _, shown = scene.chosen()
    labels = [t for t in scene.page.texts() if t.role == "label"]
    assert len(labels) == len(scene.grid.tiles) == len(shown)
    assert len({t.box.h for t in labels}) == 1  # one size
    tiles = sorted(scene.grid.tiles, key=lambda b: (b.y, b.x))
    for item in labels:
        (tile,) = [b for b in tiles if b.x <= item.box.x + item.box.w / 2 <= b.right
                   and 0 <= item.box.y - b.bottom <= 3]  # fmt: skip
        k = scene.grid.tiles.index(tile)
        assert item.content == names[int(shown[k])]  # the whole name, not "T-shirt…"
        assert abs((item.box.x + item.box.w / 2) - (tile.x + tile.w / 2)) <= 1  # centred
        assert 0 <= item.box.x and item.box.right <= size[0]
    rows: dict[int, list] = {}
    for item in labels:
        rows.setdefault(item.box.y, []).append(item)
    assert len(rows) == len({b.y for b in tiles})  # one line per row of images
    for row in rows.values():
        row.sort(key=lambda t: t.box.x)
        for a, b in zip(row, row[1:]):
            assert b.box.x - (a.box.x + a.box.w) >= 1, (a.content, b.content)
    body = scene.page.body
    assert body.x <= scene.grid.bounds.x and scene.grid.bounds.right <= body.right


def test_mosaic_digits_keep_their_grid_when_names_need_no_room():
    """Labels no wider than their images (digits 0-9) leave the grid as it was laid without
    room for names: the same tiles."""
    from vizff.draw import TileGrid

    scene = SCENES["mosaic"](size=(640, 360), reveal=2, labels=True)
    scene.load()
    assert scene.grid.pitch <= scene.grid.tiles[0].w + scene.gap
    unspread = TileGrid.fit(
        scene.page.body, scene.rows * scene.cols, scene.digits.image_shape, gap=scene.gap,
        below=scene.grid.below, column_major=True, crisp=True, cols=scene.cols, rows=scene.rows,
    )  # fmt: skip
    assert scene.grid.tiles == unspread.tiles


def test_a_matrix_numbers_its_rows_and_columns_alike():
    """The output matrix's row numbers were in full ink, its column numbers muted."""
    scene = SCENES["weights"](steps=2, every=1, size=(1280, 720))
    for _ in scene.frames():
        pass
    units = [t for t in scene.page.texts() if t.role == "unit"]
    assert len({t.box.x for t in units}) > 3 and len({t.box.y for t in units}) > 3
    assert {t.colour for t in units} == {scene.theme.muted}


@pytest.mark.parametrize("size", [(1080, 1080), (720, 1280), (1080, 1920)])
@pytest.mark.parametrize("hidden", [[32], [16, 8]])
def test_weights_on_square_and_tall_frames_keep_the_tiles_header_and_colour_bar_together(
    size, hidden
):
    """At 720x1280 the tiles were centred in their column, 130 px below their header and 130
    px above their colour bar. Where the slack passes three lines the three stay together."""
    scene = SCENES["weights"](size=size, hidden=hidden, steps=2, every=1)
    frame = next(iter(scene.frames()))
    assert not problems(frame, scene.page.texts())
    small, tiles = scene.page.line_height("small"), scene.grid.bounds
    header = next(t for t in scene.page.texts() if t.content.startswith("first layer"))
    bar = [t for t in scene.page.texts() if t.role == "colourbar" and t.box.x < tiles.right]
    assert 0 <= tiles.y - header.box.bottom <= small
    assert bar and all(0 <= t.box.y - tiles.bottom <= small for t in bar)


@pytest.mark.parametrize("size", [(640, 360), (1280, 720)])
def test_three_hidden_layers_keep_every_row_of_every_later_matrix(size):
    """With --hidden 64,32,16 at 1280x720 the layer-2 matrix's 32 rows were drawn in 22 px
    (rows merged, some never shown) and the output matrix 2 px tall at 640x360, while the
    loss chart kept 30% of the column: the chart now gives up room first."""
    scene = SCENES["weights"](size=size, hidden=[64, 32, 16], steps=2, every=1)
    frame = next(iter(scene.frames()))
    assert not problems(frame, scene.page.texts())
    assert [m.rows for m in scene.matrices] == [32, 16, 10]
    for matrix in scene.matrices:
        assert matrix.box.h >= matrix.rows, matrix
        assert matrix.box.w >= matrix.cols, matrix
    assert scene.chart.h >= scene.page.line_height("small")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_loss_charts_accuracy_axis_is_in_percent_as_its_caption(lang):
    """The caption said `test accuracy 91.8%` beside an axis reading 0.25 ... 1."""
    scene = SCENES["loss"](steps=10, every=5, size="1280x720", lang=lang)
    for _ in scene.frames():
        pass
    texts = scene.page.texts()
    ticks = [t.content for t in texts if t.role == "tick" and t.content.endswith("%")]
    assert len(ticks) >= 3 and {float(t[:-1]) for t in ticks} <= {0, 25, 50, 75, 100}
    assert re.search(r"\d+\.\d%", " ".join(t.content for t in texts if t.role == "caption"))


@pytest.mark.parametrize("steps", [1, 2, 12])
def test_the_loss_charts_step_axis_is_labelled_in_whole_steps(steps):
    """A run of one step was labelled 0, 0.2, 0.4 ... 1 "gradient step": there is no step 0.2."""
    scene = SCENES["loss"](steps=steps, every=1, size="640x360")
    for _ in scene.frames():
        pass
    ticks = [t for t in scene.page.texts() if t.role == "tick"]
    lowest = max(t.box.y for t in ticks)
    below = [t.content for t in ticks if t.box.y == lowest]  # the step axis, under the chart
    values = [float(text) for text in below]
    assert len(values) >= 2 and values[0] == 0 and steps - 5 < values[-1] <= steps
    assert all(v.is_integer() for v in values) and values == sorted(values)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_matrix_too_wide_for_its_column_shows_a_round_count_of_columns(lang):
    """`--hidden 256` at 640x360 showed "the first 251 of 256 columns": as many as the pixels
    allowed. A round count (250) reads as chosen, not as a mistake."""
    scene = SCENES["weights"](hidden=[256], steps=2, every=1, lang=lang)
    frame = list(scene.frames())[-1]
    (matrix,) = scene.matrices
    assert matrix.cols < 256 and matrix.cols % 10 == 0 and matrix.box.w >= matrix.cols
    said = " ".join(t.content for t in scene.page.texts())
    assert re.search(rf"\b{matrix.cols}\b", said) and "251" not in said
    assert not problems(frame, scene.page.texts())


def test_the_mosaics_images_are_never_drawn_too_small_to_make_out():
    """At 160x90 the default 72 digits were 5 pixels each (with labels, 72 in a row of 1 px),
    and rows=20, cols=40 at 320x180 drew 4-pixel smudges: the default grid now shows fewer
    images, and a grid given too fine is refused."""
    for size, labels in (((160, 90), False), ((160, 90), True), ((320, 180), True)):
        scene = SCENES["mosaic"](size=size, labels=labels)
        frame = list(scene.frames())[-1]
        assert scene.grid.tiles[0].w >= 10 and scene.rows * scene.cols >= 10
        assert not problems(frame, scene.page.texts())
    with pytest.raises(OptionError, match=r"rows=20: 20x40 images in 320x180 would be 4 pixels"):
        SCENES["mosaic"](size=(320, 180), rows=20, cols=40).load()
    scene = SCENES["mosaic"](size=(640, 360), rows=20, cols=40)  # 11 pixels: taken
    scene.load()
    assert scene.grid.tiles[0].w == 11


def test_weights_colour_bars_say_where_weights_went_past_their_ends(sample):
    """The first layer's limit is the run's 99.5th percentile of |w|: the weights past it are
    drawn in the end colour, and the bar read ±0.31 while the forward scene of the same run
    read ±0.37 (and the output layer ±1.6 against ±1.8). A bar now says `≤−0.31` and `≥+0.31`
    when a weight it colours went past it in the run (the reference run's weights at each
    frame, float64, are the oracle). With two later matrices under one bar, both are painted
    on the bar's scale (one was on a scale of its own)."""
    from tests.test_oracles_train import reference_run

    run = dict(hidden=(8, 4), batch_size=64, seed=3, lr=0.5)
    scene = SCENES["weights"](steps=60, every=20, dtype="float64", **run)
    rows = reference_run(sample, activation="sigmoid", steps=60, eval_every=20, **run)
    frames = list(frames_with_texts(scene))
    shown = [rows[step]["params"][0] for step in (0, 20, 40, 60)]
    peaks = [max(float(np.abs(w[i]).max()) for w in shown) for i in range(3)]
    limits = scene.weight_limits
    later = max(limits[1:])
    bars = [content for role, content in frames[0][1] if role == "colourbar"]
    for limit, past in ((limits[0], peaks[0] > limits[0]), (later, max(peaks[1:]) > later)):
        ends = [numbers.minus(f"-{limit:g}"), f"+{limit:g}"]
        want = ["≤" + ends[0], "≥" + ends[1]] if past else ends
        assert all(end in bars for end in want), (bars, want)
    assert peaks[0] > limits[0]  # a percentile: some weights are past it
    frame, w = frames[-1][0], shown[-1]
    theme = scene.theme
    for m in scene.matrices:  # the middle of each cell, on the bar's scale
        values = w[m.layer][: m.cols].T
        level = np.clip(np.rint((values / later + 1) / 2 * 30), 0, 30).astype(int)
        ys = (m.box.y + (np.arange(m.rows) + 0.5) * m.box.h / m.rows).astype(int)
        xs = (m.box.x + (np.arange(m.cols) + 0.5) * m.box.w / m.cols).astype(int)
        np.testing.assert_array_equal(frame[ys][:, xs], theme.diverging[level])


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    ("classes", "named"),
    [("fashion", False), ("digits", True), ("a,b,c,d,e,f,g,h,i,j", True)],
)
def test_output_rows_are_all_names_or_all_numbers(lang, classes, named):
    """In Chinese the output matrix's rows read "0, 2, 外套, 衬衫, 包": a name where it had
    two characters at most, else the row's number. One kind of label now: the names where
    every one shown fits beside the rows, else the numbers."""
    scene = SCENES["weights"](steps=2, every=1, size=(1280, 720), lang=lang, classes=classes)
    for _ in scene.frames():
        pass
    output = scene.matrices[-1]
    rows = [t for t in scene.page.texts()
            if t.role == "unit" and output.box.x - 12 <= t.box.right <= output.box.x
            and output.box.y <= t.box.y + t.box.h / 2 <= output.box.bottom]  # fmt: skip
    assert len(rows) >= 5
    names = scene.class_names()
    row_h = output.box.h / output.rows
    index = [round((t.box.y + t.box.h / 2 - output.box.y) / row_h - 0.5) for t in rows]
    expected = [names[r] if named else str(r) for r in index]
    assert [t.content for t in rows] == expected


@pytest.mark.parametrize(("lang", "said"), [("en", "test digit #5"), ("zh", "测试集数字，编号 5")])
def test_a_mosaic_of_one_image_says_which_without_an_order(lang, said):
    """One image read "test digits #0–#0, filled column by column: image i×1 + j goes to
    column i, row j"."""
    scene = SCENES["mosaic"](rows=1, cols=1, start=5, reveal=2, lang=lang)
    _, texts = next(frames_with_texts(scene))
    assert caption(texts) == said


@pytest.mark.parametrize("size", [(480, 270), (320, 180), (640, 360)])
def test_mosaic_names_never_shrink_the_images_to_under_half(size):
    """At 480x270 whole names took an 8x9 grid of 10-pixel images (23 pixels in 4x18 with
    the names cut): the images are what the scene shows, so they keep at least half the size
    the best shape would give them without names, and names are cut there instead."""
    named = SCENES["mosaic"](classes="fashion", labels=True, size=size, reveal=2)
    plain = SCENES["mosaic"](classes="fashion", labels=True, size=size, reveal=2)
    named.load()
    plain._pitches = lambda page: (0, 0)  # the same grid, laid without room for names
    plain.__dict__.pop("grid_shape", None)
    plain.load()
    assert named.grid.tiles[0].w >= 0.5 * plain.grid.tiles[0].w
    if size == (480, 270):
        assert named.grid.tiles[0].w > 20  # not the 10-pixel smudges
