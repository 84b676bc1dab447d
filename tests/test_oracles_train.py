"""Independent oracles for every number a Snapshot claims.

The reference below is written from the lesson (docs/origin.md) in float64 numpy and calls
nothing in vizff.nn or vizff.train for the math. It replays the documented random draws: one
np.random.Generator from the seed draws the initial weights, N(0, gain / n_in) layer by layer
(gain 2 for relu), then one permutation of the train split at the start of each epoch; batches
are consecutive slices of it. The trainer promises this in TrainConfig.seed, so a replay that
agrees step after step is evidence that the batches are the ones claimed; a batch drawn any
other way changes the losses, the accuracies and the parameters below at once.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vizff.data import Digits, load_digits
from vizff.train import TrainConfig, train

GAIN = {"sigmoid": 1.0, "tanh": 1.0, "relu": 2.0}
ACTIVATION = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
}
SLOPE = {  # derivative in terms of z, written out
    "sigmoid": lambda z: np.exp(-z) / (1.0 + np.exp(-z)) ** 2,
    "tanh": lambda z: 1.0 / np.cosh(z) ** 2,
    "relu": lambda z: (z > 0).astype(float),
}


@pytest.fixture(scope="module")
def sample():
    return load_digits("sample")


def inputs(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float64) / 255.0


def reference_forward(params, x, activation):
    """Pre-activations z of every layer and the softmax probabilities, all float64."""
    weights, biases = params
    a, zs = x, []
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w + b
        zs.append(z)
        a = ACTIVATION[activation](z) if i < len(weights) - 1 else None
    top = zs[-1] - zs[-1].max(axis=1, keepdims=True)
    probabilities = np.exp(top) / np.exp(top).sum(axis=1, keepdims=True)
    return zs, probabilities


def reference_loss_accuracy(params, x, y, activation):
    _, p = reference_forward(params, x, activation)
    loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    return float(loss), float(np.mean(p.argmax(axis=1) == y))


def reference_gradients(params, x, y, activation):
    """d(mean cross-entropy)/d(W, b) by the chain rule, layer by layer from the top."""
    weights, _ = params
    zs, p = reference_forward(params, x, activation)
    activations = [x] + [ACTIVATION[activation](z) for z in zs[:-1]]
    onehot = np.eye(10)[y]
    error = (p - onehot) / len(y)  # d loss / d z of the last layer
    grad_w, grad_b = [None] * len(weights), [None] * len(weights)
    for i in reversed(range(len(weights))):
        grad_w[i] = activations[i].T @ error
        grad_b[i] = error.sum(axis=0)
        if i:
            error = (error @ weights[i].T) * SLOPE[activation](zs[i - 1])
    return grad_w, grad_b


def reference_run(digits: Digits, *, hidden, activation, lr, batch_size, steps, seed, eval_every):
    """What each of steps 0..steps must report, replayed in float64."""
    rng = np.random.default_rng(seed)
    x, y = inputs(digits.train_images), digits.train_labels.astype(int)
    x_test, y_test = inputs(digits.test_images), digits.test_labels.astype(int)
    sizes = (x.shape[1], *hidden, 10)
    weights = [
        rng.standard_normal((n_in, n_out)) * math.sqrt(GAIN[activation] / n_in)
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]
    biases = [np.zeros(n_out) for n_out in sizes[1:]]
    plan = []  # (epoch, indices, epoch_end) for steps 1.., one permutation per epoch
    while len(plan) < steps:
        order, epoch = rng.permutation(len(x)), len(plan) // math.ceil(len(x) / batch_size) + 1
        for start in range(0, len(x), batch_size):
            plan.append((epoch, order[start : start + batch_size], start + batch_size >= len(x)))
    params = (weights, biases)
    first = plan[0][1]
    rows = [
        dict(
            step=0,
            epoch=1,
            epoch_end=False,
            params=params,
            batch=reference_loss_accuracy(params, x[first], y[first], activation),
            test=reference_loss_accuracy(params, x_test, y_test, activation),
        )
    ]
    for step, (epoch, batch, epoch_end) in enumerate(plan[:steps], start=1):
        measured = reference_loss_accuracy(params, x[batch], y[batch], activation)
        grad_w, grad_b = reference_gradients(params, x[batch], y[batch], activation)
        weights = [w - lr * g for w, g in zip(params[0], grad_w)]
        biases = [b - lr * g for b, g in zip(params[1], grad_b)]
        params = (weights, biases)
        evaluated = epoch_end or step == steps or step % eval_every == 0
        test = reference_loss_accuracy(params, x_test, y_test, activation) if evaluated else None
        rows.append(
            dict(step=step, epoch=epoch, epoch_end=epoch_end, params=params, batch=measured)
        )
        rows[-1].update(test=test, gradients=(grad_w, grad_b), indices=batch)
    return rows


def assert_matches(snapshots, rows, *, rtol, atol):
    assert len(snapshots) == len(rows)
    for snap, row in zip(snapshots, rows):
        where = f"step {row['step']}"
        assert (snap.step, snap.epoch, snap.epoch_end) == (
            row["step"],
            row["epoch"],
            row["epoch_end"],
        ), where
        np.testing.assert_allclose(snap.loss, row["batch"][0], rtol=rtol, err_msg=where)
        assert snap.accuracy == pytest.approx(row["batch"][1], abs=1e-12), where
        if row["test"] is None:
            assert snap.test_loss is None and snap.test_accuracy is None, where
        else:
            np.testing.assert_allclose(snap.test_loss, row["test"][0], rtol=rtol, err_msg=where)
            assert snap.test_accuracy == pytest.approx(row["test"][1], abs=1e-12), where
        ours = (*snap.network.weights, *snap.network.biases)
        for got, want in zip(ours, (*row["params"][0], *row["params"][1])):
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)
        if row["step"]:
            applied = (*snap.gradients.weights, *snap.gradients.biases)
            for got, want in zip(applied, (*row["gradients"][0], *row["gradients"][1])):
                np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)
        else:
            assert snap.gradients is None


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_every_snapshot_number_matches_a_float64_replay(sample, activation):
    # 70 steps of 64 cross the sample's first epoch end (4000 / 64 -> 63 steps); every 25 evaluate
    settings = dict(hidden=(8, 5), batch_size=64, steps=70, seed=5, eval_every=25)
    config = TrainConfig(activation=activation, lr=0.3, dtype="float64", **settings)
    rows = reference_run(sample, activation=activation, lr=0.3, **settings)
    assert_matches(list(train(sample, config)), rows, rtol=1e-9, atol=1e-12)
    assert [r["step"] for r in rows if r["test"]] == [0, 25, 50, 63, 70]


def test_float32_run_stays_close_to_the_float64_replay(sample):
    settings = dict(hidden=(16,), batch_size=32, steps=12, seed=2, eval_every=4)
    rows = reference_run(sample, activation="tanh", lr=0.5, **settings)
    snapshots = list(train(sample, TrainConfig(activation="tanh", lr=0.5, **settings)))
    for snap, row in zip(snapshots, rows):
        assert snap.loss == pytest.approx(row["batch"][0], rel=1e-4)
        if row["test"]:
            assert snap.test_loss == pytest.approx(row["test"][0], rel=1e-4)
            assert snap.test_accuracy == pytest.approx(row["test"][1], abs=2e-3)
        np.testing.assert_allclose(snap.network.weights[1], row["params"][0][1], atol=1e-5)


def test_batch_loss_of_the_untrained_network_on_the_whole_split(sample):
    # one batch holding the whole train split: step 0's loss is the untrained network's mean
    # cross-entropy over all 4000 digits, computed here from its weights by the lesson's formula
    snap = next(train(sample, TrainConfig(hidden=(8,), steps=1, batch_size=4000)))
    w1, w2 = (w.astype(np.float64) for w in snap.network.weights)
    hidden = 1.0 / (1.0 + np.exp(-(inputs(sample.train_images) @ w1)))  # biases start at 0
    logits = hidden @ w2
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    labels = sample.train_labels.astype(int)
    expected = -log_p[np.arange(len(labels)), labels].mean()
    assert snap.step == 0 and snap.loss == pytest.approx(expected, rel=1e-5)
    assert snap.accuracy == pytest.approx((logits.argmax(axis=1) == labels).mean(), abs=1e-9)
    assert 2.0 < snap.loss < 3.0  # near ln 10 = 2.30: guessing


def tiny_digits(seed: int = 0) -> Digits:
    """13 train and 7 test images of 3x3 pixels: small enough for central differences."""
    rng = np.random.default_rng(seed)
    return Digits(
        rng.integers(0, 256, (13, 3, 3), dtype=np.uint8),
        (np.arange(13) % 10).astype(np.uint8),
        rng.integers(0, 256, (7, 3, 3), dtype=np.uint8),
        (np.arange(7) % 10).astype(np.uint8),
        "directory",
        "tiny",
    )


def central_differences(params, x, y, activation, h=1e-6):
    """Every d loss / d parameter as (loss(p + h) - loss(p - h)) / 2h, one parameter at a time."""
    weights, biases = [w.copy() for w in params[0]], [b.copy() for b in params[1]]
    grads = []
    for array in (*weights, *biases):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            kept = array[index]
            array[index] = kept + h
            above = reference_loss_accuracy((weights, biases), x, y, activation)[0]
            array[index] = kept - h
            below = reference_loss_accuracy((weights, biases), x, y, activation)[0]
            array[index] = kept
            grad[index] = (above - below) / (2 * h)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_each_update_is_lr_times_the_central_difference_gradient(activation):
    digits, lr = tiny_digits(), 0.8
    settings = dict(hidden=(4,), batch_size=5, steps=4, seed=0)  # crosses an epoch (13 / 5 -> 3)
    config = TrainConfig(activation=activation, lr=lr, dtype="float64", **settings)
    snapshots = list(train(digits, config))
    rows = reference_run(digits, activation=activation, lr=lr, eval_every=1, **settings)
    x, y = inputs(digits.train_images), digits.train_labels.astype(int)
    for before, after, row in zip(snapshots, snapshots[1:], rows[1:]):
        params = (list(before.network.weights), list(before.network.biases))
        batch = row["indices"]
        numeric = central_differences(params, x[batch], y[batch], activation)
        updated = (*after.network.weights, *after.network.biases)
        for old, new, grad in zip((*params[0], *params[1]), updated, numeric):
            np.testing.assert_allclose(new, old - lr * grad, rtol=1e-7, atol=1e-8)
