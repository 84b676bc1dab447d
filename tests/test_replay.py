"""Scenes that train a silent pass first (for colour limits fixed over the whole run) draw
from that pass's snapshots instead of training the same run again. Checked against the
scene trained twice (REPLAY_BYTES = 0) and against the float64 reference trainer."""

from __future__ import annotations

import re

import numpy as np
import pytest

import vizff.scenes.base as base
from tests.test_oracles_train import reference_run
from vizff.data import load_digits
from vizff.errors import TrainingDiverged
from vizff.scenes import SCENES

RUN = {"hidden": (8,), "batch_size": 32, "seed": 3}


@pytest.fixture(scope="module")
def sample():
    return load_digits("sample")


@pytest.fixture
def runs(monkeypatch):
    """How many times train() runs while a scene draws."""
    calls = []
    real = base.train

    def counted(data, config):
        calls.append(config)
        return real(data, config)

    monkeypatch.setattr(base, "train", counted)
    return calls


def drawn(scene):
    frames, captions = [], []
    for frame in scene.frames():
        frames.append(frame.copy())
        captions.append(" ".join(t.content for t in scene.page.texts() if t.role == "caption"))
    return frames, captions


def assert_same(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("weights", {"steps": 40, "every": 8}),
        ("forward", {"steps": 40, "every": 8, "mode": "training", "digits": [2]}),
    ],
)
def test_the_replayed_run_is_the_run_trained_again(name, options, runs, monkeypatch):
    once, _ = drawn(SCENES[name](size=(480, 270), **options, **RUN))
    assert len(runs) == 1  # the silent pass, kept and drawn
    assert runs[0].on_diverge == "show"  # the silent pass never raises: the drawn pass does
    monkeypatch.setattr(base, "REPLAY_BYTES", 0)
    twice, _ = drawn(SCENES[name](size=(480, 270), **options, **RUN))
    assert len(runs) == 3  # nothing kept: trained again
    assert_same(once, twice)


def test_replayed_captions_are_the_reference_trainers_numbers(sample, runs):
    scene = SCENES["weights"](steps=60, every=12, lr=0.5, dtype="float64", **RUN)
    _, captions = drawn(scene)
    assert len(runs) == 1
    rows = {
        row["step"]: row
        for row in reference_run(
            sample, activation="sigmoid", lr=0.5, steps=60, eval_every=12, **RUN
        )
    }
    steps = []
    for text in captions:
        step = int(re.search(r"step (\d+)/60", text)[1])
        assert f"epoch {rows[step]['epoch']}" in text
        assert f"batch loss {rows[step]['batch'][0]:.4f}" in text
        steps.append(step)
    assert steps == [0, 12, 24, 36, 48, 60]


def test_a_run_past_the_memory_bound_is_trained_again(sample, runs, monkeypatch):
    options = {"steps": 40, "every": 8, "size": (480, 270), **RUN}
    per_frame = 4 * (784 * 8 + 8 + 8 * 10 + 10)  # float32 parameters
    monkeypatch.setattr(
        base, "REPLAY_BYTES", 3 * per_frame
    )  # room for 3 of the 6 frames: none kept
    bounded, _ = drawn(SCENES["weights"](**options))
    assert len(runs) == 2
    monkeypatch.setattr(base, "REPLAY_BYTES", 10 * per_frame)
    kept, _ = drawn(SCENES["weights"](**options))
    assert len(runs) == 3
    assert_same(bounded, kept)


def test_a_divergence_is_raised_by_the_drawn_pass_as_before(runs, monkeypatch):
    options = {"activation": "relu", "lr": 1e6, "steps": 12, "every": 3, "size": (480, 270)}
    scene = SCENES["weights"](**options)
    frames = []
    with pytest.raises(TrainingDiverged, match="training diverged") as raised:
        for frame in scene.frames():
            frames.append(frame.copy())
    assert len(runs) == 2  # a diverged silent pass is not replayed
    monkeypatch.setattr(base, "REPLAY_BYTES", 0)
    again = []
    with pytest.raises(TrainingDiverged) as raised_again:
        for frame in SCENES["weights"](**options).frames():
            again.append(frame.copy())
    assert str(raised.value) == str(raised_again.value)
    assert_same(frames, again)
