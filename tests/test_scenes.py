from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from vizff.data import load_digits
from vizff.draw import diverging_colours, diverging_index
from vizff.errors import ConfigError
from vizff.scenes import SCENES, SceneOptions
from vizff.train import TrainConfig, train

QUICK = {  # few frames per scene, so every size is cheap to test
    "mosaic": SceneOptions(params={"reveal": 4, "rows": 3, "cols": 5}),
    "sigmoid": SceneOptions(params={"frames": 4}),
    "softmax": SceneOptions(params={"frames": 4}),
    "weights": SceneOptions(steps=8, every=2, train={"hidden": (9,)}),
    "loss": SceneOptions(steps=8, every=2),
}


def options(name, size):
    base = QUICK[name]
    return SceneOptions(
        size=size, steps=base.steps, every=base.every, train=base.train, params=base.params
    )


@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (320, 240)])
@pytest.mark.parametrize("name", list(SCENES))
def test_every_scene_draws_frames_of_the_requested_size(name, size):
    scene = SCENES[name](options(name, size))
    frames = list(scene.frames())
    assert len(frames) == scene.frame_count() == 4
    for frame in frames:
        assert frame.shape == (size[1], size[0], 3) and frame.dtype == np.uint8
        packed = (frame.astype(np.uint32) * [1 << 16, 1 << 8, 1]).sum(axis=2)
        assert len(np.unique(packed)) > 20  # text, curves, colour: not blank
        assert (frame == 255).all(axis=2).mean() > 0.3  # a white page, not noise
    assert not np.array_equal(frames[0], frames[-1])  # it moves


@pytest.mark.parametrize("name", list(SCENES))
def test_scene_palette_covers_what_it_draws(name):
    scene = SCENES[name](options(name, (640, 360)))
    palette = scene.palette
    assert palette is not None and len(palette) <= 255
    frame = list(scene.frames())[-1]
    colours = frame.reshape(-1, 3).astype(int)
    nearest = ((colours[:, None, :] - palette[None].astype(int)) ** 2).sum(2).min(1)
    # nearly every pixel is within a few levels of a palette colour
    assert np.mean(nearest <= 3 * 8**2) > 0.97


def test_mosaic_fills_column_by_column_progressively():
    scene = SCENES["mosaic"](SceneOptions(params={"rows": 2, "cols": 3, "reveal": 6}))
    frames = list(scene.frames())
    boxes, tile = scene.boxes, scene.tile
    assert boxes[1][0] == boxes[0][0] and boxes[1][1] > boxes[0][1]  # digit 1 is below digit 0
    assert boxes[2][0] > boxes[0][0] and boxes[2][1] == boxes[0][1]  # digit 2 starts column 1
    digits = load_digits("sample").test_images
    for k in range(1, 6):  # frame k reveals digit k, and only inside its own tile
        changed = np.argwhere((frames[k - 1] != frames[k]).any(axis=2))
        x, y = boxes[k]
        assert changed[:, 0].min() >= y and changed[:, 0].max() < y + tile
        assert changed[:, 1].min() >= x and changed[:, 1].max() < x + tile
        shown = frames[k][y : y + tile, x : x + tile, 0]  # the digit as drawn, resized back
        small = np.asarray(Image.fromarray(shown).resize((28, 28)))
        assert np.corrcoef(small.ravel(), digits[k].ravel())[0, 1] > 0.9


def test_weights_heatmaps_show_the_snapshot_weights():
    scene = SCENES["weights"](QUICK["weights"])
    frames = list(scene.frames())
    limit, _ = scene.limits
    config = TrainConfig(hidden=(9,), steps=8, eval_every=2)
    snaps = [s for s in train(load_digits("sample"), config) if s.step % 2 == 0]
    colours = diverging_colours()
    for frame, snap in zip(frames, snaps):
        for unit, tile in enumerate(scene.tiles):
            expected = colours[diverging_index(snap.network.weights[0][:, unit], limit)]
            row = np.searchsorted(scene.rows_of, np.arange(28))  # first pixel of each weight
            col = np.searchsorted(scene.cols_of, np.arange(28))
            shown = frame[tile.y + row][:, tile.x + col]
            np.testing.assert_array_equal(shown.reshape(-1, 3), expected)


@pytest.mark.parametrize("name, drawn_by", [("weights", "caption_fields"), ("loss", "caption")])
def test_training_caption_values_are_the_snapshots(name, drawn_by, monkeypatch):
    scene = SCENES[name](SceneOptions(steps=12, every=4))
    seen, texts = [], []
    original = getattr(type(scene), drawn_by)

    def spy(self, snap, *rest):  # what the frame is drawn from
        seen.append(snap)
        texts.append(original(self, snap, *rest))
        return texts[-1]

    monkeypatch.setattr(type(scene), drawn_by, spy)
    list(scene.frames())
    config = replace(scene.config, eval_every=4)  # an independent run, evaluated at frames
    expected = [s for s in train(load_digits("sample"), config) if s.step % 4 == 0]
    assert [s.step for s in seen] == [4, 8, 12]
    for shown, drawn, truth in zip(seen, texts, expected):
        assert shown.loss == truth.loss
        drawn = (
            drawn if isinstance(drawn, str) else "   ".join(f"{k} {v}" for k, v in drawn.items())
        )
        assert f"step {truth.step}/12" in drawn and f"batch loss {truth.loss:.4f}" in drawn
        if name == "loss":  # the weights scene does not evaluate on the test split
            assert f"test accuracy {truth.test_accuracy:.4f}" in drawn


def test_sigmoid_and_softmax_show_the_core_functions():
    from vizff.nn import softmax

    scene = SCENES["softmax"](SceneOptions(params={"frames": 3}))
    logits = scene.logits()
    value = scene.sweep()[1]
    changed = logits.copy()
    changed[3] = value
    p = softmax(changed[None])[0]
    assert f"p3 = {p[3]:.3f}" in scene.caption(changed, p, value)


@pytest.mark.parametrize(
    "name, opts, needle",
    [
        ("weights", SceneOptions(steps=10, every=11), "--every 11"),
        ("loss", SceneOptions(steps=0), "--steps 0"),
        ("weights", SceneOptions(train={"hidden": (0,)}), "--hidden"),
        ("mosaic", SceneOptions(params={"rows": 0}), "rows"),
        ("mosaic", SceneOptions(params={"bogus": 1}), "bogus: not an option of scene mosaic"),
        ("softmax", SceneOptions(params={"mode": "x"}), "mode: must be one of logit, temperature"),
    ],
)
def test_scene_option_errors(name, opts, needle):
    with pytest.raises(ConfigError, match=needle):
        SCENES[name](opts)


def test_weights_scene_with_images_of_another_size(tmp_path):
    import gzip

    from tests.conftest import idx_images, idx_labels

    rng = np.random.default_rng(0)
    for role, payload in {
        "train-images-idx3-ubyte.gz": idx_images(rng.integers(0, 256, (50, 20, 12))),
        "train-labels-idx1-ubyte.gz": idx_labels(np.arange(50) % 10),
        "t10k-images-idx3-ubyte.gz": idx_images(rng.integers(0, 256, (10, 20, 12))),
        "t10k-labels-idx1-ubyte.gz": idx_labels(np.arange(10)),
    }.items():
        (tmp_path / role).write_bytes(gzip.compress(payload))
    scene = SCENES["weights"](SceneOptions(data=str(tmp_path), steps=4, every=2))
    frames = list(scene.frames())
    assert len(frames) == 2 and scene.tiles[0].h / scene.tiles[0].w == pytest.approx(20 / 12, 0.1)


def test_training_scene_epochs_become_steps():
    scene = SCENES["loss"](SceneOptions(train={"epochs": 2, "batch_size": 100}, every=10))
    assert scene.steps == 2 * 40 and scene.frame_count() == 8  # 4000 sample digits / 100


def test_mosaic_past_the_end_of_the_data():
    scene = SCENES["mosaic"](SceneOptions(params={"start": 999, "rows": 2, "cols": 2}))
    with pytest.raises(ConfigError, match="start: 999 \\+ 4 digits is past the 1000"):
        list(scene.frames())
