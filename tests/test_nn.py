import math
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vizff.errors import OptionError
from vizff.nn import (
    GRADIENT_METHODS,
    Network,
    backprop,
    cross_entropy_error,
    derivative_sigmoid,
    descend,
    estimate_gradient_seconds,
    forward,
    incremental_numerical_gradient,
    init_network,
    loss,
    loss_evaluations,
    numerical_gradient,
    predict,
    sigmoid,
    softmax,
)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def test_sigmoid_matches_the_lesson_formula():
    x = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-12, atol=1e-15)
    with np.errstate(all="raise"):  # no overflow for huge inputs, unlike exp(-x)
        assert sigmoid(np.array([-1e4, 1e4], dtype=np.float32)).tolist() == [0.0, 1.0]


def test_derivative_sigmoid_is_the_slope():
    x = np.linspace(-8, 8, 161)
    numeric = (sigmoid(x + 1e-6) - sigmoid(x - 1e-6)) / 2e-6
    np.testing.assert_allclose(derivative_sigmoid(x), numeric, atol=1e-9)
    assert derivative_sigmoid(np.array([0.0]))[0] == pytest.approx(0.25)


@given(arrays(np.float64, (3, 10), elements=st.floats(-1e4, 1e4)))
def test_softmax_rows_are_probabilities(logits):
    p = softmax(logits)
    assert np.all(p >= 0) and np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_softmax_uses_the_per_row_maximum():
    # the lesson's batch-wide maximum underflows the second row to 0/0; per row it cannot
    logits = np.array([[1000.0, 999.0], [0.0, 1.0]])
    expected = np.array([[1, np.exp(-1)], [np.exp(-1), 1]])
    np.testing.assert_allclose(softmax(logits), expected / expected.sum(1, keepdims=True))


def test_cross_entropy_is_a_mean_and_safe():
    p = np.array([[0.5, 0.5], [0.25, 0.75]])
    assert cross_entropy_error(p, np.array([0, 1])) == pytest.approx(
        -(np.log(0.5) + np.log(0.75)) / 2
    )
    assert np.isfinite(cross_entropy_error(np.array([[1.0, 0.0]]), np.array([1])))


def flat(gradients) -> np.ndarray:
    return np.concatenate([g.ravel() for g in (*gradients.weights, *gradients.biases)])


@pytest.mark.parametrize("method", ["numerical", "numerical-loop"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("sizes", [(12, 5, 10), (12, 6, 4, 10), (12, 3, 5, 4, 10)])
def test_backprop_agrees_with_numerical_gradient(method, activation, sizes):
    rng = np.random.default_rng(1)
    net = init_network(sizes, activation=activation, rng=rng, dtype=np.float64)
    net = descend(net, backprop(net, rng.random((7, sizes[0])), rng.integers(0, 10, 7))[0], 0.3)
    x, y = rng.random((9, sizes[0])), rng.integers(0, 10, 9)
    analytic, _ = backprop(net, x, y)
    numeric, _ = GRADIENT_METHODS[method](net, x, y)
    for a, n in zip((*analytic.weights, *analytic.biases), (*numeric.weights, *numeric.biases)):
        assert a.shape == n.shape
        assert relative_error(a, n) < 1e-6


def sparse_case(sizes, activation, seed, batch=5):
    """A trained-a-little float64 network and a batch with half its inputs exactly 0."""
    rng = np.random.default_rng(seed)
    net = init_network(sizes, activation=activation, rng=rng, dtype=np.float64)
    x = rng.random((batch, sizes[0]))
    x[rng.random(x.shape) < 0.5] = 0  # black pixels: the samples a nudge leaves untouched
    x[:, 3] = 0  # one input black in every sample
    y = rng.integers(0, 10, batch)
    return descend(net, backprop(net, x, y)[0], 0.3), x, y


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("sizes", [(12, 5, 10), (12, 6, 4, 10), (12, 3, 5, 4, 10)])
@pytest.mark.parametrize("seed", [0, 1])
def test_incremental_gradient_agrees_with_the_literal_loop(activation, sizes, seed):
    # the oracle is the lesson's loop, 2P full forward passes; both are central differences,
    # so they differ by rounding only: each loss (~2.3) is good to ~1e-16, divided by 2h
    net, x, y = sparse_case(sizes, activation, seed)
    literal, _ = numerical_gradient(net, x, y)
    fast, layers = incremental_numerical_gradient(net, x, y, max_bytes=3000, workers=2)
    assert relative_error(flat(fast), flat(literal)) < 1e-9
    for f, n in zip((*fast.weights, *fast.biases), (*literal.weights, *literal.biases)):
        assert f.shape == n.shape and f.dtype == n.dtype
        np.testing.assert_allclose(f, n, rtol=0, atol=1e-9)
    assert np.all(fast.weights[0][3] == 0) and np.all(literal.weights[0][3] == 0)
    for a, b in zip(layers, forward(net, x)):
        np.testing.assert_array_equal(a, b)


def test_incremental_gradient_agrees_on_mnist_digits(shared_mnist):
    from vizff.data import as_inputs, load_digits

    digits = load_digits(shared_mnist)
    x = as_inputs(digits.train_images[:8], np.float64)  # about 80% of the pixels are 0
    y = digits.train_labels[:8].astype(np.intp)
    net = init_network((784, 4, 10), rng=np.random.default_rng(0), dtype=np.float64)
    literal, _ = numerical_gradient(net, x, y)
    fast, _ = incremental_numerical_gradient(net, x, y)
    assert relative_error(flat(fast), flat(literal)) < 1e-9
    np.testing.assert_allclose(flat(fast), flat(literal), rtol=0, atol=1e-9)


def test_incremental_gradient_respects_the_loss_floor():
    # huge logits: some samples' p[label] underflows below tiny, where the loss is floored at
    # -log(tiny) = 708.4 whichever way the nudge goes; a log-softmax shortcut would not be
    net, x, y = sparse_case((12, 5, 10), "sigmoid", 0, batch=8)
    net = Network(net.weights[:1] + (net.weights[1] * 3000,), net.biases, "sigmoid")
    picked = forward(net, x)[-1][np.arange(8), y]
    assert (picked < np.finfo(np.float64).tiny).any() and (picked > 1e-3).any()
    literal, _ = numerical_gradient(net, x, y)
    fast, _ = incremental_numerical_gradient(net, x, y)
    assert relative_error(flat(fast), flat(literal)) < 1e-9


def test_incremental_gradient_is_the_same_for_any_workers_and_near_for_any_block():
    net, x, y = sparse_case((20, 40, 10), "tanh", 2, batch=6)
    one, _ = incremental_numerical_gradient(net, x, y, workers=1)
    three, _ = incremental_numerical_gradient(net, x, y, workers=3)
    np.testing.assert_array_equal(flat(one), flat(three))  # same blocks, same sums
    tiny_blocks, _ = incremental_numerical_gradient(net, x, y, max_bytes=1)  # one pair a block
    # other blocks sum in another order: each loss moves by ~1e-16, each entry by ~1e-11
    assert relative_error(flat(tiny_blocks), flat(one)) < 1e-9


def test_incremental_gradient_returns_the_networks_dtype():
    rng = np.random.default_rng(0)
    net = init_network((6, 3, 10), rng=rng)  # float32, as training uses by default
    x, y = rng.random((4, 6), dtype=np.float32), rng.integers(0, 10, 4)
    grads, layers = incremental_numerical_gradient(net, x, y)
    assert {g.dtype for g in (*grads.weights, *grads.biases)} == {np.dtype(np.float32)}
    assert layers[-1].dtype == np.float32
    np.testing.assert_array_equal(layers[-1], forward(net, x)[-1])
    literal, _ = numerical_gradient(net, x, y)  # both work on the float64 copy
    assert {g.dtype for g in (*literal.weights, *literal.biases)} == {np.dtype(np.float32)}
    assert relative_error(flat(grads), flat(literal)) < 1e-6  # float32 rounding of the result


def test_incremental_gradient_memory_stays_within_its_bound():
    # 784-256-10 on 64 dense inputs: unbounded, the (classes, pairs, 2, columns) logits of
    # one layer would take 2.6 GB; bounded, a few blocks of max_bytes per worker
    rng = np.random.default_rng(0)
    net = init_network((784, 256, 10), rng=rng, dtype=np.float64)
    x, y = rng.random((64, 784)), rng.integers(0, 10, 64)
    x[:, 40:] = 0  # keep the test quick: 40 live inputs
    budget = 2**18
    tracemalloc.start()
    incremental_numerical_gradient(net, x, y, max_bytes=budget, workers=2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = 3 * 785 * 256 * 8  # the float64 parameters, the gradient, the base pass
    assert peak < kept + 2 * 8 * budget


@pytest.mark.parametrize("method", ["backprop", "numerical", "numerical-loop"])
def test_estimate_gradient_seconds_is_a_short_measured_probe(method):
    rng = np.random.default_rng(0)
    net = init_network((784, 16, 10), rng=rng, dtype=np.float64)
    x, y = rng.random((16, 784)), rng.integers(0, 10, 16)
    x[x < 0.8] = 0
    start = time.perf_counter()
    estimate = estimate_gradient_seconds(net, x, y, method=method, probe_seconds=0.05)
    assert time.perf_counter() - start < 2
    assert math.isfinite(estimate) and estimate > 0
    if method == "numerical-loop":  # 2P evaluations, each at least a 16x784x16 matmul
        assert estimate > loss_evaluations(net) * 1e-7


def test_estimate_gradient_seconds_refuses_an_unknown_method():
    net = init_network((4, 2, 10), rng=np.random.default_rng(0))
    with pytest.raises(OptionError, match="^method='finite'"):
        estimate_gradient_seconds(net, np.ones((1, 4)), np.zeros(1, int), method="finite")


def test_forward_returns_every_layer_and_the_bias_comes_before_the_activation():
    rng = np.random.default_rng(0)
    net = init_network((4, 3, 10), rng=rng, dtype=np.float64)
    net = type(net)(net.weights, (np.full(3, 2.0), np.zeros(10)), "sigmoid")
    x = rng.random((5, 4))
    layers = forward(net, x)
    assert [a.shape for a in layers] == [(5, 4), (5, 3), (5, 10)]
    np.testing.assert_allclose(layers[1], sigmoid(x @ net.weights[0] + 2.0))
    np.testing.assert_allclose(layers[2], softmax(layers[1] @ net.weights[1]))
    assert predict(net, x).shape == (5,)


def test_descent_lowers_the_loss_and_keeps_the_old_network():
    rng = np.random.default_rng(0)
    net = init_network((8, 6, 10), rng=rng, dtype=np.float64)
    x, y = rng.random((20, 8)), rng.integers(0, 10, 20)
    grads, _ = backprop(net, x, y)
    before = net.weights[0].copy()
    new = descend(net, grads, 0.5)
    assert loss(new, x, y) < loss(net, x, y)
    np.testing.assert_array_equal(net.weights[0], before)


def test_loss_evaluations_counts_two_per_parameter():
    net = init_network((784, 4, 10), rng=np.random.default_rng(0))
    assert loss_evaluations(net) == 2 * (784 * 4 + 4 + 4 * 10 + 10)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4))
def test_backprop_shapes(batch, hidden):
    rng = np.random.default_rng(batch)
    net = init_network((6, hidden, 10), rng=rng)
    grads, layers = backprop(
        net, rng.random((batch, 6), dtype=np.float32), rng.integers(0, 10, batch)
    )
    assert [g.shape for g in grads.weights] == [w.shape for w in net.weights]
    assert grads.weights[0].dtype == np.float32 and layers[-1].shape == (batch, 10)


# ---- what mutation testing found untested (docs/mutation.md) ----------------------------------
def test_predict_is_the_most_probable_digit_of_the_output_layer():
    # 2 -> 3 -> 10 with weights written out: the oracle's probabilities in float64 by hand
    w1 = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    w2 = np.arange(30.0).reshape(3, 10) % 7 - 3.0
    b2 = np.linspace(-1.0, 1.0, 10)
    net = Network((w1, w2), (np.zeros(3), b2), "sigmoid")
    x = np.array([[0.0, 0.0], [3.0, -1.0], [-2.0, 4.0]])
    hidden = 1.0 / (1.0 + np.exp(-(x @ w1)))
    logits = hidden @ w2 + b2
    assert predict(net, x).tolist() == logits.argmax(axis=1).tolist()  # softmax keeps the order
    assert predict(net, x).tolist() != hidden.argmax(axis=1).tolist()  # not the hidden layer's


def test_the_loss_floor_is_the_probabilities_own_tiny():
    # a float32 probability of exactly 0 is floored at float32's tiny, 2^-126: -log = 126 ln 2
    p = np.array([[0.0, 1.0]], dtype=np.float32)
    assert cross_entropy_error(p, np.array([0])) == pytest.approx(126 * math.log(2), rel=1e-6)
    assert cross_entropy_error(p.astype(np.float64), np.array([0])) == pytest.approx(
        1022 * math.log(2), rel=1e-12
    )


@pytest.mark.parametrize("method", ["numerical", "numerical-loop"])
def test_large_logits_give_the_same_gradient_in_a_deep_network(method):
    # every logit near 800: softmax is shifted by each row's largest logit, or exp overflows;
    # two hidden layers take the incremental method through its deeper-layer loop
    rng = np.random.default_rng(0)
    sizes = (6, 3, 4, 10)
    weights = tuple(rng.standard_normal((a, b)) / math.sqrt(a) for a, b in zip(sizes, sizes[1:]))
    biases = (np.zeros(3), np.zeros(4), 800.0 + rng.standard_normal(10))
    net = Network(weights, biases, "sigmoid")
    x, y = rng.random((5, 6)), rng.integers(0, 10, 5)
    grads, _ = GRADIENT_METHODS[method](net, x, y)
    # oracle: the chain rule in float64, written here
    a1 = 1.0 / (1.0 + np.exp(-(x @ weights[0])))
    a2 = 1.0 / (1.0 + np.exp(-(a1 @ weights[1])))
    z = a2 @ weights[2] + biases[2]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d3 = (p - np.eye(10)[y]) / len(y)
    d2 = (d3 @ weights[2].T) * a2 * (1 - a2)
    d1 = (d2 @ weights[1].T) * a1 * (1 - a1)
    want_w, want_b = (x.T @ d1, a1.T @ d2, a2.T @ d3), (d1.sum(0), d2.sum(0), d3.sum(0))
    for got, want in zip((*grads.weights, *grads.biases), (*want_w, *want_b)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-9)
