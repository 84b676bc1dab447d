"""The smallest and largest legal inputs: every scene at its smallest accepted size and at
3840x2160, with the largest unit count and an odd image shape; smaller sizes are refused with
one line before any work."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from tests.conftest import idx_images, idx_labels
from vizff.errors import OptionError, VizffError
from vizff.options import MAX_UNITS, options_of
from vizff.scenes import SCENES

FEW = {  # few frames, small batches: the extremes are in the sizes, not the lengths
    "mosaic": {"reveal": 2, "rows": 2, "cols": 3},
    "sigmoid": {"frames": 2},
    "softmax": {"frames": 2},
    "weights": {"steps": 2, "every": 1, "batch_size": 8},
    "loss": {"steps": 2, "every": 1, "batch_size": 8},
}


@pytest.fixture(scope="module")
def odd_data(tmp_path_factory):
    """Images of 3x97 pixels: neither square, nor 28x28, nor even."""
    folder = tmp_path_factory.mktemp("odd")
    rng = np.random.default_rng(0)
    for name, payload in {
        "train-images-idx3-ubyte.gz": idx_images(rng.integers(0, 256, (30, 3, 97))),
        "train-labels-idx1-ubyte.gz": idx_labels(np.arange(30) % 10),
        "t10k-images-idx3-ubyte.gz": idx_images(rng.integers(0, 256, (30, 3, 97))),
        "t10k-labels-idx1-ubyte.gz": idx_labels(np.arange(30) % 10),
    }.items():
        (folder / name).write_bytes(gzip.compress(payload))
    return str(folder)


def options(name: str, data: str, units: int) -> dict:
    cls = SCENES[name]
    chosen = dict(FEW.get(name, getattr(cls, "LINT_OPTIONS", {})))
    taken = options_of(cls)
    if "data" in taken:
        chosen["data"] = data
    if "hidden" in taken:
        chosen["hidden"] = (units,)
    return chosen


@pytest.mark.parametrize("name", list(SCENES))
def test_smallest_accepted_size_with_odd_images(name, odd_data):
    """It draws, or it refuses (one OptionError naming the size or the option that cannot
    fit) before the first frame: never a crash half way."""
    cls = SCENES[name]
    try:
        scene = cls(size=cls.MIN_SIZE, **options(name, odd_data, 64))
        scene.load()
    except OptionError as refusal:
        assert "\n" not in str(refusal)
        return
    frames = list(scene.frames())
    assert frames and frames[0].shape == (cls.MIN_SIZE[1], cls.MIN_SIZE[0], 3)
    sizes = [(cls.MIN_SIZE[0], cls.MIN_SIZE[1] * 2), (cls.MIN_SIZE[0] * 2, cls.MIN_SIZE[1])]
    for size in sizes:  # and thin or flat frames at that size
        assert list(cls(size=size, **options(name, odd_data, 64)).frames())


@pytest.mark.parametrize("name", list(SCENES))
def test_largest_size_and_unit_count_with_odd_images(name, odd_data):
    scene = SCENES[name](size=(3840, 2160), **options(name, odd_data, MAX_UNITS))
    frames = list(scene.frames())
    assert frames and frames[-1].shape == (2160, 3840, 3)


@pytest.mark.parametrize("name", [n for n, c in SCENES.items() if c.MIN_SIZE > (160, 90)])
def test_below_the_smallest_size_is_refused_before_any_work(name):
    cls = SCENES[name]
    with pytest.raises(OptionError, match=f"scene {name} needs at least"):
        cls(size=(160, 90))


def test_sizes_outside_the_legal_range_are_refused():
    for size in [(159, 90), (160, 89), (3841, 2160), (3840, 2161)]:
        with pytest.raises(VizffError, match="size"):
            SCENES["sigmoid"](size=size)
