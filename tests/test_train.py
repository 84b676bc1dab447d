import itertools
import math
import re
from dataclasses import replace

import numpy as np
import pytest

from vizff.data import Digits, load_digits
from vizff.errors import DataError, OptionError, TrainingDiverged
from vizff.nn import GRADIENT_METHODS, Gradients, descend
from vizff.train import (
    DEFAULT_LR,
    MAX_EPOCHS,
    MAX_STEPS,
    MAX_UNITS,
    STABLE_WIDTH,
    TrainConfig,
    estimated_seconds,
    train,
)


@pytest.fixture(scope="module")
def sample():
    return load_digits("sample")


def test_step_zero_then_one_snapshot_per_step_with_test_evaluation(sample):
    snaps = list(train(sample, TrainConfig(hidden=(8,), steps=70, eval_every=25)))
    assert [s.step for s in snaps] == list(range(71))
    evaluated = [s.step for s in snaps if s.test_accuracy is not None]
    assert evaluated == [0, 25, 50, 63, 70]  # the start, every 25, the epoch end (4000/64), last
    assert snaps[63].epoch_end and snaps[63].epoch == 1 and snaps[64].epoch == 2
    assert all(s.total_steps == 70 and s.diverged_at is None for s in snaps)


def test_step_zero_is_the_untrained_network_measured_on_the_first_batch(sample):
    zero, one = itertools.islice(train(sample, TrainConfig(hidden=(8,), steps=5)), 2)
    assert (zero.step, zero.epoch, zero.epoch_end, zero.gradients) == (0, 1, False, None)
    assert zero.loss == one.loss and zero.accuracy == one.accuracy  # same batch, same weights
    assert zero.test_loss is not None and zero.test_accuracy is not None
    np.testing.assert_array_equal(zero.network.biases[0], 0)  # as initialised
    applied = descend(zero.network, one.gradients, TrainConfig().lr)
    for a, b in zip(
        (*applied.weights, *applied.biases), (*one.network.weights, *one.network.biases)
    ):
        np.testing.assert_array_equal(a, b)


def test_snapshots_are_immutable_and_independent(sample):
    run = train(sample, TrainConfig(hidden=(8,), steps=3))
    first = next(run)
    kept = first.network.weights[0].copy()
    rest = list(run)
    np.testing.assert_array_equal(first.network.weights[0], kept)
    assert not np.array_equal(rest[-1].network.weights[0], kept)
    with pytest.raises(ValueError):
        first.network.weights[0][0, 0] = 1.0
    with pytest.raises(ValueError):
        rest[0].gradients.weights[0][0, 0] = 1.0


def test_a_step_is_plain_descent_with_the_snapshot_gradient(sample):
    config = TrainConfig(hidden=(8,), steps=2, lr=0.7)
    _, first, second = train(sample, config)
    applied = descend(first.network, second.gradients, 0.7)
    for a, b in zip(applied.weights, second.network.weights):
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_snapshots_bit_for_bit(sample):
    def run(seed):
        return list(train(sample, TrainConfig(hidden=(8,), steps=20, seed=seed)))

    a, b, c = run(3), run(3), run(4)
    assert [s.loss for s in a] == [s.loss for s in b]
    assert a[-1].network.weights[0].tobytes() == b[-1].network.weights[0].tobytes()
    assert a[-1].network.weights[0].tobytes() != c[-1].network.weights[0].tobytes()


def test_the_train_split_is_made_numbers_a_batch_at_a_time(tmp_path):
    """train() held the whole train split as float32 beside its bytes: 188 MB more for
    MNIST, 4 GB for a set of 300x300 images. Each batch is converted as it is drawn."""
    import tracemalloc

    from tests.conftest import write_idx_dir

    digits = load_digits(write_idx_dir(tmp_path / "d", n_train=20_000, n_test=10))
    floats = 20_000 * 784 * 4  # 62.7 MB: the whole split as float32
    tracemalloc.start()
    try:
        last = None
        for snapshot in train(digits, TrainConfig(hidden=(8,), steps=3, batch_size=64)):
            last = snapshot
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < floats / 10, peak
    assert last is not None and last.step == 3


def test_many_tiny_images_cost_their_order_and_no_label_copy_and_are_counted(tmp_path):
    """268 million 1x1 images in a 260 KB gzip took 4.8 GB to train 20 steps: an int64 copy
    of the labels (2 GB) on top of each epoch's order of the split (2 GB), which the memory
    check did not count. The labels are made int64 a batch at a time; the order is counted."""
    import tracemalloc

    from vizff.data import Digits
    from vizff.train import memory_needed

    n = 2_000_000
    images, labels = np.zeros((n, 1, 1), np.uint8), (np.arange(n) % 10).astype(np.uint8)
    test_images, test_labels = np.zeros((10, 1, 1), np.uint8), np.arange(10, dtype=np.uint8)
    digits = Digits(images, labels, test_images, test_labels, "directory", "tiny")
    config = TrainConfig(hidden=(4,), steps=2, batch_size=8)
    tracemalloc.start()
    try:
        for _ in train(digits, config):
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    order = 8 * n  # rng.permutation(n): int64, the run's own draws
    assert order <= peak < order + 4 * n, peak  # no 8-byte copy of the labels beside it
    network, data = memory_needed(digits, config)
    assert network + data >= peak - 1_000_000  # the check counts what training takes


def test_sample_training_learns(sample):
    last = list(train(sample, TrainConfig(epochs=5)))[-1]
    assert last.test_accuracy >= 0.85
    assert last.epoch == 5 and last.step == 5 * 63


# ---- divergence: loud, and naming the update that caused it ---------------------------------
def test_one_exploding_update_is_named_even_when_it_is_the_last(sample):
    # before: exit 0 with a test loss of 78.6; the last update must be checked too
    config = TrainConfig(hidden=(16,), activation="relu", lr=1e6, steps=1)
    with pytest.raises(TrainingDiverged, match=r"^update 1 made the test loss .*lr, now 1e\+06"):
        list(train(sample, config))


def test_the_update_is_blamed_not_the_step_that_measured_it(sample):
    # step 2's batch loss is measured before update 2: update 1 broke it
    config = TrainConfig(hidden=(16,), activation="relu", lr=1e6, steps=2)
    with pytest.raises(TrainingDiverged, match=r"^update 1 made the loss ") as caught:
        list(train(sample, config))
    assert caught.value.update == 1 and caught.value.key == "lr" and caught.value.value == 1e6
    assert "\n" not in str(caught.value)


def planted(gradient, step: int, layer: int, value: float):
    """A gradient method that sets one bias gradient to `value` at `step` (1-based)."""
    calls = itertools.count(1)

    def method(network, inputs, labels):
        grads, layers = gradient(network, inputs, labels)
        if next(calls) == step:
            biases = [b.copy() for b in grads.biases]
            biases[layer][0] = value
            grads = Gradients(grads.weights, tuple(biases))
        return grads, layers

    return method


@pytest.mark.parametrize("value", [math.nan, -math.inf])
def test_a_broken_bias_is_caught_after_its_update(sample, monkeypatch, value):
    # -inf in a hidden bias gradient makes the bias +inf: sigmoid saturates at 1 and every loss
    # stays finite, so only the check of the parameters themselves can see it
    monkeypatch.setitem(
        GRADIENT_METHODS, "backprop", planted(GRADIENT_METHODS["backprop"], 3, 0, value)
    )
    with pytest.raises(TrainingDiverged, match=r"^update 3 made a weight or bias (nan|inf)"):
        list(train(sample, TrainConfig(hidden=(8,), steps=6)))


def test_show_ends_on_a_snapshot_that_names_the_update(sample):
    config = TrainConfig(hidden=(16,), activation="relu", lr=1e6, steps=50, on_diverge="show")
    snaps = list(train(sample, config))
    assert [s.step for s in snaps] == [0, 1, 2]
    assert [s.diverged_at for s in snaps] == [None, None, 1]
    last = snaps[-1]  # the bad loss, measured before update 2, which was not applied
    assert not last.loss < 10 * math.log(10) and last.gradients is None
    assert (last.epoch, last.total_steps) == (1, 50) and 0 <= last.accuracy <= 1
    assert last.network is snaps[1].network


def test_show_with_broken_parameters_ends_on_the_update_that_broke_them(sample, monkeypatch):
    monkeypatch.setitem(
        GRADIENT_METHODS, "backprop", planted(GRADIENT_METHODS["backprop"], 2, 1, math.nan)
    )
    snaps = list(train(sample, TrainConfig(hidden=(8,), steps=9, on_diverge="show")))
    assert [(s.step, s.diverged_at) for s in snaps] == [(0, None), (1, None), (2, 2)]
    assert np.isnan(snaps[-1].network.biases[1][0]) and snaps[-1].gradients is not None


def test_stop_is_the_default_and_other_choices_are_refused():
    assert TrainConfig().on_diverge == "stop"
    with pytest.raises(OptionError) as caught:
        TrainConfig(on_diverge="continue")
    assert caught.value.key == "on_diverge"


# ---- defaults that train every legal width ---------------------------------------------------
def test_default_learning_rate_shrinks_past_the_stable_width():
    assert TrainConfig().lr == DEFAULT_LR["sigmoid"]
    for activation, width in STABLE_WIDTH.items():
        assert TrainConfig(activation=activation, hidden=(width,)).lr == DEFAULT_LR[activation]
        wide = TrainConfig(activation=activation, hidden=(16, 2 * width))
        assert wide.lr == DEFAULT_LR[activation] / 2  # the widest layer decides
    assert TrainConfig(hidden=(MAX_UNITS,), lr=0.9).lr == 0.9  # given: used as given


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_the_widest_layer_trains_with_the_defaults(sample, activation):
    # at the old defaults sigmoid diverged within 2 steps here, tanh within 7
    config = TrainConfig(hidden=(MAX_UNITS,), activation=activation, steps=12, eval_every=4)
    losses = [s.test_loss for s in train(sample, config) if s.test_loss is not None]
    assert len(losses) == 4 and losses == sorted(losses, reverse=True)  # falls from the start


# ---- ceilings and option errors --------------------------------------------------------------
def test_the_ceilings_are_legal_and_one_past_is_refused(sample):
    at_ceiling = TrainConfig(hidden=(1,), steps=MAX_STEPS)
    assert [s.step for s in itertools.islice(train(sample, at_ceiling), 3)] == [0, 1, 2]
    assert TrainConfig(epochs=MAX_EPOCHS).total_steps(4000) == MAX_EPOCHS * 63
    for key, value in (("steps", MAX_STEPS + 1), ("epochs", MAX_EPOCHS + 1), ("epochs", 1e9)):
        with pytest.raises(OptionError) as caught:
            TrainConfig(**{key: value})
        assert (caught.value.key, caught.value.value) == (key, value)


def test_epochs_that_make_too_many_steps_are_refused_before_training(sample):
    config = TrainConfig(epochs=MAX_EPOCHS, batch_size=1)  # 4,000,000 steps on the sample
    with pytest.raises(OptionError, match="past the ceiling of 1,000,000") as caught:
        next(train(sample, config))
    assert caught.value.key == "epochs"


@pytest.mark.parametrize(
    "kwargs, key",
    [
        (dict(hidden=(0,)), "hidden"),
        (dict(hidden=()), "hidden"),
        (dict(hidden=(MAX_UNITS + 1,)), "hidden"),
        (dict(hidden=(1.5,)), "hidden"),
        (dict(lr=0.0), "lr"),
        (dict(lr=float("nan")), "lr"),
        (dict(lr=float("inf")), "lr"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=2.0), "batch_size"),
        (dict(steps=-1), "steps"),
        (dict(epochs=0), "epochs"),
        (dict(method="x"), "method"),
        (dict(activation="x"), "activation"),
        (dict(dtype="int8"), "dtype"),
        (dict(seed=-1), "seed"),
        (dict(seed=2**63), "seed"),
        (dict(eval_every=-1), "eval_every"),
        (dict(on_diverge="x"), "on_diverge"),
    ],
)
def test_config_errors_name_the_option_by_its_keyword(kwargs, key):
    with pytest.raises(OptionError) as caught:
        TrainConfig(**kwargs)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}=")  # as a Python user wrote it
    assert "\n" not in str(caught.value)


# ---- time estimates -------------------------------------------------------------------------
def test_estimate_is_plausible_and_leaves_the_run_unchanged(sample):
    config = TrainConfig(hidden=(32,), steps=40)
    before = [s.loss for s in train(sample, config)]
    small = estimated_seconds(config, 4000, 784, n_test=1000)
    large = estimated_seconds(TrainConfig(hidden=(32,), steps=40_000), 4000, 784, n_test=1000)
    numerical = estimated_seconds(
        TrainConfig(hidden=(32,), steps=40, method="numerical"), 4000, 784
    )
    assert 0 < small < 5 and 200 < large / small < 5000 and numerical > 100 * small
    assert [s.loss for s in train(sample, config)] == before


def test_numerical_method_trains_like_backprop(sample):
    common = dict(hidden=(2,), steps=2, batch_size=4, dtype="float64")
    num = list(train(sample, TrainConfig(method="numerical", **common)))
    exact = list(train(sample, TrainConfig(**common)))
    np.testing.assert_allclose(
        num[-1].network.weights[1], exact[-1].network.weights[1], rtol=1e-6, atol=1e-9
    )


def test_full_mnist_first_epoch(shared_mnist):
    digits = load_digits(shared_mnist)
    snaps = train(digits, TrainConfig(hidden=(128,), epochs=1))
    last = [s for s in snaps if s.epoch_end][-1]
    assert last.test_accuracy >= 0.90


def test_empty_splits_are_a_clear_error(tmp_path):
    from tests.conftest import write_idx_dir
    from vizff.data import read_directory
    from vizff.errors import DataError

    empty = read_directory(write_idx_dir(tmp_path, n_train=0, n_test=5))
    with pytest.raises(DataError, match="need at least one image each"):
        next(train(empty, TrainConfig(steps=1)))


def test_divergence_message_is_one_line_with_the_value(sample):
    config = TrainConfig(hidden=(16,), activation="relu", lr=1e6, steps=3)
    with pytest.raises(TrainingDiverged) as caught:
        list(train(sample, config))
    assert re.fullmatch(
        r"update 1 made the loss \S+: training diverged; lower the learning "
        r"rate \(lr, now 1e\+06\)",
        str(caught.value),
    )


# ---- what "same seed, same numbers" covers ---------------------------------------------------
RUN_AND_SAVE = """
import sys
import numpy as np
from vizff.data import load_digits
from vizff.train import TrainConfig, train
for snap in train(load_digits("sample"), TrainConfig(hidden=(64,), steps=100)):
    pass
np.savez(sys.argv[1], w=snap.network.weights[1], accuracy=snap.test_accuracy)
"""


def test_the_same_run_bit_for_bit_whatever_the_blas_thread_count(tmp_path):
    # OpenBLAS splits a matrix product among its threads, and the split changes how float32
    # sums round; train() runs on one BLAS thread, so the machine's setting does not matter.
    import os
    import subprocess
    import sys

    runs = {}
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        path = tmp_path / f"{threads}.npz"
        subprocess.run([sys.executable, "-c", RUN_AND_SAVE, str(path)], env=env, check=True)
        runs[threads] = np.load(path)
    assert runs["1"]["w"].tobytes() == runs["2"]["w"].tobytes()
    assert runs["1"]["accuracy"] == runs["2"]["accuracy"]


def test_one_blas_thread_limits_and_restores_every_time():
    """The controller is made once per process; each use still sets one thread and puts the
    count back (nested uses too), as threadpool_limits did when it was made per frame."""
    from threadpoolctl import threadpool_info

    from vizff.train import one_blas_thread

    def counts():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = counts()
    for _ in range(3):
        with one_blas_thread():
            assert set(counts()) <= {1}
            with one_blas_thread():
                assert set(counts()) <= {1}
            assert set(counts()) <= {1}
        assert counts() == before


# ---- what mutation testing found untested (docs/mutation.md) ----------------------------------
def test_the_lowest_and_highest_legal_counts_are_accepted():
    assert TrainConfig(epochs=1).epochs == 1 and TrainConfig(steps=0).steps == 0
    assert TrainConfig(seed=2**63 - 1).seed == 2**63 - 1 and TrainConfig(seed=1000).seed == 1000
    for key, value in (("epochs", 0), ("steps", -1), ("seed", 2**63), ("seed", -1)):
        with pytest.raises(OptionError) as caught:
            TrainConfig(**{key: value})
        assert caught.value.key == key
    # epochs that make exactly the ceiling: 1,000 passes over 1,000 digits at batch size 1
    assert TrainConfig(epochs=1000, batch_size=1).total_steps(1000) == 1_000_000 == MAX_STEPS


def test_hidden_sizes_become_a_tuple_of_plain_ints():
    assert TrainConfig(hidden=64).hidden == (64,)
    sizes = TrainConfig(hidden=[np.int64(16), 8]).hidden
    assert sizes == (16, 8) and type(sizes) is tuple and all(type(h) is int for h in sizes)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_array_of_every_snapshot_is_in_the_run_dtype_and_read_only(sample, dtype):
    snaps = list(train(sample, TrainConfig(hidden=(4,), steps=2, dtype=dtype)))
    for snap in snaps:
        arrays = [*snap.network.weights, *snap.network.biases]
        if snap.gradients is not None:
            arrays += [*snap.gradients.weights, *snap.gradients.biases]
        assert {a.dtype for a in arrays} == {np.dtype(dtype)}, snap.step
        assert not any(a.flags.writeable for a in arrays), snap.step


def test_an_epoch_that_divides_exactly_ends_on_its_last_batch(sample):
    # 4,000 digits at batch size 1,000: steps 4 and 8 end epochs 1 and 2 (worked out by hand)
    snaps = list(train(sample, TrainConfig(hidden=(4,), batch_size=1000, steps=8)))
    assert [s.epoch for s in snaps] == [1, 1, 1, 1, 1, 2, 2, 2, 2]
    assert [s.step for s in snaps if s.epoch_end] == [4, 8]
    assert [s.step for s in snaps if s.test_loss is not None] == [0, 4, 8]


def test_a_network_bad_from_the_start_is_blamed_on_update_0(sample, monkeypatch):
    # any loss counts as diverged past 1.0: the untrained network's ln 10 or so is bad
    monkeypatch.setattr("vizff.train.DIVERGED_LOSS", 1.0)
    config = TrainConfig(hidden=(8,), steps=5)
    with pytest.raises(TrainingDiverged) as caught:
        list(train(sample, config))
    assert re.fullmatch(
        r"the initial network gives the loss 2\.\d{2,3}: training cannot start", str(caught.value)
    )
    assert caught.value.update == 0
    (only,) = train(sample, TrainConfig(hidden=(8,), steps=5, on_diverge="show"))
    assert (only.step, only.epoch, only.diverged_at, only.gradients) == (0, 1, 0, None)
    assert only.total_steps == 5 and only.test_loss is not None
    assert only.loss == pytest.approx(math.log(10), abs=0.5)  # untrained: near guessing


def digits_trained_on_0_tested_on_1(sample) -> Digits:
    images = sample.train_images[:256]
    zeros, ones = np.zeros(256, np.uint8), np.ones(256, np.uint8)
    return Digits(images, zeros, images, ones, "directory", "same images, labels 0 and 1")


def test_show_ends_on_the_update_that_made_the_test_loss_bad(sample):
    # one update at lr 100 towards "every digit is 0", the whole epoch in one batch: the test
    # split, labelled 1, then gets p(1) of about e^-100, a test loss past 10 ln 10, while the
    # batch loss before it was about ln 10
    config = TrainConfig(hidden=(8,), lr=100.0, batch_size=256, steps=3, on_diverge="show")
    snaps = list(train(digits_trained_on_0_tested_on_1(sample), config))
    assert [(s.step, s.diverged_at) for s in snaps] == [(0, None), (1, 1)]
    last = snaps[-1]
    assert last.test_loss > 10 * math.log(10) and last.loss < 10 * math.log(10)
    assert last.test_accuracy == 0.0 and last.gradients is not None and last.total_steps == 3


def test_a_test_split_of_one_digit_trains_and_an_empty_one_is_refused(sample):
    digits = digits_trained_on_0_tested_on_1(sample)
    one = replace(digits, test_images=digits.test_images[:1], test_labels=digits.test_labels[:1])
    assert [s.step for s in train(one, TrainConfig(hidden=(4,), steps=1))] == [0, 1]
    empty = replace(digits, test_images=digits.test_images[:0], test_labels=digits.test_labels[:0])
    with pytest.raises(DataError, match="need at least one image each"):
        next(train(empty, TrainConfig(steps=1)))
