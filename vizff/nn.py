"""The lesson's network in numpy: activations, softmax, cross-entropy, forward, and gradients
by back-propagation and by the lesson's central differences (its loop, and done incrementally)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from vizff.errors import OptionError

Array = np.ndarray
NUMERICAL_STEP = 1e-5  # the lesson's h for central differences


def sigmoid(x: Array) -> Array:
    """1 / (1 + exp(-x)), range (0, 1); written via tanh so large |x| cannot overflow exp."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # identical function, no overflow warnings


def derivative_sigmoid(x: Array) -> Array:
    """sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x)), at most 0.25 (at x = 0)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def softmax(logits: Array) -> Array:
    """Row-wise softmax of (batch, classes) logits; every row sums to 1."""
    shifted = logits - logits.max(axis=-1, keepdims=True)  # per row, so exp cannot overflow
    exps = np.exp(shifted)
    return exps / exps.sum(axis=-1, keepdims=True)


def cross_entropy_error(probabilities: Array, labels: Array) -> float:
    """Mean over the batch of -log p[label]; p is floored at the dtype's tiny, never log(0)."""
    picked = probabilities[np.arange(len(labels)), labels]  # (batch,)
    floor = np.finfo(probabilities.dtype).tiny
    return float(-np.log(np.maximum(picked, floor)).mean())


# Each activation with its derivative expressed through its own output a = f(z), for backprop.
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "sigmoid": (sigmoid, lambda a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0), lambda a: (a > 0).astype(a.dtype)),
}


@dataclass(frozen=True)
class Network:
    """Weights W[i] (n_in, n_out) and biases b[i] (n_out,) of a `784 -> hidden... -> 10` net."""

    weights: tuple[Array, ...]
    biases: tuple[Array, ...]
    activation: str = "sigmoid"

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.weights[0].shape[0], *(w.shape[1] for w in self.weights))


@dataclass(frozen=True)
class Gradients:
    """d(loss)/d(parameter), shaped like the network's weights and biases."""

    weights: tuple[Array, ...]
    biases: tuple[Array, ...]


def init_network(
    sizes: Sequence[int],
    *,
    activation: str = "sigmoid",
    rng: np.random.Generator,
    dtype: np.dtype | str = np.float32,
) -> Network:
    """Random weights N(0, gain/n_in) (gain 2 for relu, 1 otherwise), zero biases."""
    gain = 2.0 if activation == "relu" else 1.0
    weights = tuple(
        (rng.standard_normal((n_in, n_out)) * np.sqrt(gain / n_in)).astype(dtype)
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    )
    biases = tuple(np.zeros(n_out, dtype=dtype) for n_out in sizes[1:])
    return Network(weights, biases, activation)


def forward(network: Network, inputs: Array) -> list[Array]:
    """Every layer's activations: [inputs, hidden..., softmax probabilities], each (batch, n)."""
    act, _ = ACTIVATIONS[network.activation]
    layers = [inputs]
    last = len(network.weights) - 1
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        z = layers[-1] @ w + b  # (batch, n_out): bias before the activation
        layers.append(softmax(z) if i == last else act(z))
    return layers


def predict(network: Network, inputs: Array) -> Array:
    """The most probable digit for each input row: (batch,) int."""
    return forward(network, inputs)[-1].argmax(axis=1)


def loss(network: Network, inputs: Array, labels: Array) -> float:
    """Mean cross-entropy of the network on a batch."""
    return cross_entropy_error(forward(network, inputs)[-1], labels)


def backprop(network: Network, inputs: Array, labels: Array) -> tuple[Gradients, list[Array]]:
    """Gradients of the mean cross-entropy by back-propagation, and the forward's activations."""
    _, derivative = ACTIVATIONS[network.activation]
    layers = forward(network, inputs)
    delta = layers[-1].copy()  # (batch, 10): softmax + cross-entropy gives p - onehot
    delta[np.arange(len(labels)), labels] -= 1
    delta /= len(labels)  # mean over the batch
    grad_w, grad_b = [], []
    for i in range(len(network.weights) - 1, -1, -1):
        grad_w.append(layers[i].T @ delta)  # (n_in, n_out)
        grad_b.append(delta.sum(axis=0))  # (n_out,)
        if i:
            delta = (delta @ network.weights[i].T) * derivative(layers[i])  # (batch, n_in)
    return Gradients(tuple(reversed(grad_w)), tuple(reversed(grad_b))), layers


def numerical_gradient(
    network: Network, inputs: Array, labels: Array, *, step: float = NUMERICAL_STEP
) -> tuple[Gradients, list[Array]]:
    """The lesson's "forward" gradient, literally: nudge every weight and bias by -h and +h.

    Each of the 2P loss evaluations is a whole forward pass in float64; the reference that
    `incremental_numerical_gradient` is checked against, and the loop the gradients scene shows.
    """
    params = [p.astype(np.float64) for p in (*network.weights, *network.biases)]
    x = inputs.astype(np.float64)
    grads = []
    for param in params:
        grad = np.zeros_like(param)
        flat, flat_grad = param.reshape(-1), grad.reshape(-1)  # views: nudging flat nudges param
        for j in range(flat.size):
            above, below = _nudged_loss_pair(network, params, flat, j, x, labels, step)
            flat_grad[j] = (above - below) / (2 * step)
        grads.append(grad.astype(network.weights[0].dtype))
    n = len(network.weights)
    return Gradients(tuple(grads[:n]), tuple(grads[n:])), forward(network, inputs)


def _nudged_loss_pair(
    network: Network, params: list[Array], flat: Array, j: int, x: Array, labels: Array, step: float
) -> tuple[float, float]:
    """L(θ + h e_j) and L(θ - h e_j) by two full forward passes; `flat` is a view into params."""
    n = len(network.weights)
    nudged = Network(tuple(params[:n]), tuple(params[n:]), network.activation)
    kept = flat[j]
    flat[j] = kept + step
    above = loss(nudged, x, labels)
    flat[j] = kept - step
    below = loss(nudged, x, labels)
    flat[j] = kept
    return above, below


# ---- the same central differences, recomputing only what a nudge changes -----------------
MAX_TEMPORARY_BYTES = 2**20  # one work array of a block: small enough to stay in cache
COLUMNS_PER_BLOCK = 32  # parameters j per block: blocks enough to share among the workers
WORKERS = min(4, os.cpu_count() or 1)  # threads of the incremental gradient


@dataclass(frozen=True)
class _BasePass:
    """One float64 forward pass, kept so that a nudge recomputes only what it changes."""

    params: tuple[Array, ...]  # θ_l = [W_l; b_l], (n_l + 1, n_{l+1}): the bias is the last row
    inputs: tuple[Array, ...]  # A_l = [a_l, 1], (batch, n_l + 1): what row i of θ_l multiplies
    pre: tuple[Array, ...]  # z_l = A_l @ θ_l, (batch, n_{l+1}); the last is the logits
    post: tuple[Array, ...]  # a_{l+1} = f(z_l) of the hidden layers, (batch, n_{l+1})
    shifted: Array  # (batch, classes) logits minus their row maximum, as softmax shifts them
    sample_losses: Array  # (batch,) -log max(p[label], tiny) of each sample, unnudged
    labels: Array  # (batch,) intp
    activation: str


def _base_pass(network: Network, inputs: Array, labels: Array) -> _BasePass:
    """The unnudged forward pass in float64, with every pre-activation and per-sample loss."""
    act, _ = ACTIVATIONS[network.activation]
    params, ins, pre, post = [], [], [], []
    a = inputs.astype(np.float64)
    for w, b in zip(network.weights, network.biases):
        params.append(np.vstack([w, b[None, :]]).astype(np.float64))  # (n_in + 1, n_out)
        ins.append(np.hstack([a, np.ones((len(a), 1))]))  # (batch, n_in + 1)
        pre.append(a @ params[-1][:-1] + params[-1][-1])  # (batch, n_out), as forward() does
        a = act(pre[-1])
        post.append(a)
    shifted = pre[-1] - pre[-1].max(axis=1, keepdims=True)  # (batch, classes)
    labels = np.asarray(labels, dtype=np.intp)
    losses = _losses_of_shifted_logits(shifted.T[:, :, None].copy(), labels)[:, 0]  # (batch,)
    return _BasePass(
        tuple(params),
        tuple(ins),
        tuple(pre),
        tuple(post[:-1]),
        shifted,
        losses,
        labels,
        network.activation,
    )


def _losses_of_shifted_logits(shifted: Array, labels: Array) -> Array:
    """-log max(softmax[label], tiny) of shifted logits (classes, p, ...), labels (p,): (p, ...).

    The operations of `cross_entropy_error(softmax(z), labels)` before its mean, with the
    classes first so that the sum runs over whole planes. `shifted` is overwritten.
    """
    exps = np.exp(shifted, out=shifted)  # (classes, p, ...)
    picked = exps[labels, np.arange(len(labels))]  # (p, ...): exp of the label's logit
    picked /= exps.sum(axis=0)  # p[label]
    np.maximum(picked, np.finfo(np.float64).tiny, out=picked)  # the loss floor
    return np.negative(np.log(picked, out=picked), out=picked)


def _nudged_sample_losses(
    run: _BasePass, layer: int, samples: Array, moves: Array, columns: slice, work: Array
) -> Array:
    """Per-sample losses with θ_layer[i, j] nudged up and down, for p (sample, i) pairs.

    `samples` (p,) says which sample each pair is; `moves` (p, 2, c) is nudge * A[s, i], how
    far z_layer[s, j] moves, for the nudge up then down and each of the c `columns` j. Only that
    entry of z changes; everything downstream is recomputed from it, everything upstream and
    every other column is the base pass's. The logits keep the unnudged row maximum as
    softmax's shift: softmax does not depend on the shift, and a nudge of h moves a logit by
    about h, so exp cannot overflow. `work` is scratch space of at least classes * moves.size
    floats, reused from block to block. Returns (p, 2, c).
    """
    act, _ = ACTIVATIONS[run.activation]
    last = len(run.params) - 1
    shifted = run.shifted[samples].T[:, :, None, None]  # (classes, p, 1, 1)
    if layer == last:  # a logit moves: add the move to class j only (+0.0 leaves the others)
        one_hot = np.eye(len(shifted))[:, None, None, columns]  # (classes, 1, 1, c)
        return _losses_of_shifted_logits(shifted + one_hot * moves, run.labels[samples])
    moved = act(run.pre[layer][samples, None, columns] + moves)  # (p, 2, c): a_{l+1}[s, j]
    change = moved - run.post[layer][samples, None, columns]  # (p, 2, c): Δa
    following = run.params[layer + 1][columns].T[:, None, None, :]  # (n_next, 1, 1, c): W[j, :]
    if layer + 1 == last:  # straight into the logits: (classes, p, 2, c)
        logits = work[: len(following) * change.size].reshape(len(following), *change.shape)
        np.multiply(following, change, out=logits)
        logits += shifted
        return _losses_of_shifted_logits(logits, run.labels[samples])
    z_next = run.pre[layer + 1][samples].T[:, :, None, None] + following * change
    for k in range(layer + 1, last):  # deeper layers: every unit moves, by Δa @ W
        change = act(z_next) - run.post[k][samples].T[:, :, None, None]  # (n_k+1, p, 2, c)
        weights = run.params[k + 1][:-1]  # (n_{k+1}, n_{k+2})
        base = shifted if k + 1 == last else run.pre[k + 1][samples].T[:, :, None, None]
        z_next = base + np.tensordot(weights.T, change, axes=1)  # (n_{k+2}, p, 2, c)
    return _losses_of_shifted_logits(z_next, run.labels[samples])  # z_next: shifted logits


def _layer_nudged_losses(
    run: _BasePass,
    layer: int,
    rows: slice,
    columns: slice,
    *,
    step: float,
    pair_block: int,
) -> tuple[Array, Array]:
    """L(θ + h e_k) and L(θ - h e_k) for k = θ_layer[rows, columns]: two (r, c) arrays.

    A sample whose A[s, i] is 0 is untouched by a nudge of row i: its loss is the base one.
    The touched samples are enumerated as (sample, row) pairs, `pair_block` at a time.
    """
    inputs = run.inputs[layer][:, rows]  # (batch, r)
    theta = run.params[layer][rows, columns]  # (r, c)
    nudges = np.stack([(theta + step) - theta, (theta - step) - theta], axis=1)  # (r, 2, c)
    untouched = np.where(inputs == 0, run.sample_losses[:, None], 0.0).sum(axis=0)  # (r,)
    pair_row, pair_sample = np.nonzero(inputs.T)  # (pairs,) each, sorted by row
    values = inputs[pair_sample, pair_row][:, None, None]  # (pairs, 1, 1) A[s, i]
    touched = np.zeros((theta.shape[0], 2, theta.shape[1]))  # sums of nudged losses
    work = np.empty(run.shifted.shape[1] * pair_block * nudges[0].size)  # logits of a block
    for p0 in range(0, len(pair_row), pair_block):
        pairs = slice(p0, p0 + pair_block)
        row = pair_row[pairs]
        starts = np.flatnonzero(np.diff(row, prepend=-1))  # first pair of each row
        moves = nudges[row] * values[pairs]  # (p, 2, c)
        losses = _nudged_sample_losses(run, layer, pair_sample[pairs], moves, columns, work)
        touched[row[starts]] += np.add.reduceat(losses, starts, axis=0)  # (rows in block, 2, c)
    mean = (untouched[:, None, None] + touched) / len(run.labels)  # (r, 2, c): over the batch
    return mean[:, 0], mean[:, 1]


def _blocks(run: _BasePass, layer: int, max_bytes: int) -> tuple[int, int, int]:
    """(rows, columns, pairs) per block of a layer: fixed by the shapes, not by the workers."""
    widths = [z.shape[1] for z in run.pre[layer + 1 :]] or [run.shifted.shape[1]]
    evaluations = max(1, max_bytes // (16 * max(widths)))  # (pair, column), each up and down
    columns = min(run.params[layer].shape[1], COLUMNS_PER_BLOCK, evaluations)
    rows = max(1, max_bytes // (8 * len(run.labels)))  # the (batch, r) inputs of a block
    return rows, columns, max(1, evaluations // columns)


def incremental_numerical_gradient(
    network: Network,
    inputs: Array,
    labels: Array,
    *,
    step: float = NUMERICAL_STEP,
    max_bytes: int = MAX_TEMPORARY_BYTES,
    workers: int = WORKERS,
) -> tuple[Gradients, list[Array]]:
    """The lesson's central differences, each loss recomputed only where the nudge reaches.

    Like `numerical_gradient`, every gradient entry is (L(θ + h e_k) - L(θ - h e_k)) / 2h with
    both losses evaluated in float64, the nudged parameter stored as fl(θ_k ± h). Each loss is
    the same number the literal loop computes, up to the order of floating-point sums, because
    it is computed from the same unnudged values plus the exact consequences of the one nudge.
    With θ_l = [W_l; b_l] (n_l + 1, n_{l+1}) and A_l = [a_l, 1] (batch, n_l + 1), so that
    z_l = A_l @ θ_l (batch, n_{l+1}), moving θ_l[i, j] by δ = fl(θ ± h) - θ:
      - moves column j of z_l by δ * A_l[:, i] (batch,) and nothing else in z_l;
      - for a sample s with A_l[s, i] = 0 (a black pixel, a relu unit at 0) nothing moves: its
        loss is the unnudged one, exactly, and it is not recomputed; a bias (i = n_l) moves all;
      - for a touched sample, a_{l+1}[s, j] = f(z_l[s, j] + δ A_l[s, i]) gives Δa (scalar), then
        z_{l+1}[s] + Δa * W_{l+1}[j, :] (n_{l+2},) is the next pre-activation; deeper layers
        are recomputed whole, z_{k+1}[s] + (f(z_k') - a_{k+1}[s]) @ W_{k+1};
      - the logits (10,) give the sample's -log max(softmax[label], tiny) by the operations of
        `cross_entropy_error`, and L = (sum of untouched + sum of touched) / batch.
    Only rounding differs from a full forward pass: sums are taken in another order (x @ W
    sums x[s, i] W[i, j] over i in BLAS's order; here the nudge's term is added last, and
    (a + Δa) w is a w + Δa w), and softmax is shifted by the unnudged row maximum instead of
    the nudged one, which changes no value but its rounding. Each loss (about 2.3) moves by a
    few 1e-16, each gradient entry by about 1e-11 after the division by 2h.
    Work is vectorised over (sample, i) pairs and columns j, in blocks whose largest array
    stays under `max_bytes`, shared by `workers` threads; the blocks, and so the result, do not
    depend on the number of workers. Returns the gradients in the network's dtype and the
    network's own forward activations, as `backprop` does.
    """
    run = _base_pass(network, inputs, labels)
    grads = [np.empty(theta.shape, dtype=network.weights[0].dtype) for theta in run.params]
    tasks = []
    for layer, theta in enumerate(run.params):
        rows, columns, pairs = _blocks(run, layer, max_bytes)
        n_rows, n_cols = theta.shape
        for r0 in range(0, n_rows, rows):
            for c0 in range(0, n_cols, columns):
                tasks.append(
                    (layer, slice(r0, r0 + rows), slice(c0, min(c0 + columns, n_cols)), pairs)
                )

    def solve(task: tuple[int, slice, slice, int]) -> None:
        layer, rows, columns, pairs = task
        up, down = _layer_nudged_losses(run, layer, rows, columns, step=step, pair_block=pairs)
        grads[layer][rows, columns] = (up - down) / (2 * step)

    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:  # numpy releases the GIL in its loops
            list(pool.map(solve, tasks))
    else:
        for task in tasks:
            solve(task)
    layers = forward(network, inputs)
    return Gradients(tuple(g[:-1] for g in grads), tuple(g[-1] for g in grads)), layers


def estimate_gradient_seconds(
    network: Network,
    inputs: Array,
    labels: Array,
    *,
    method: str = "numerical",
    probe_seconds: float = 0.3,
) -> float:
    """Seconds one gradient by `method` takes on this batch: a short measured probe, scaled.

    backprop is simply timed. The literal loop times a few of its 2P loss evaluations (each a
    full forward pass, whichever parameter moves) and multiplies. The incremental method runs
    its own blocks on evenly spaced rows of each layer, a growing sample until it has run for
    its share of `probe_seconds`, and scales by the parameters left out.
    """
    if method == "backprop":
        start = time.perf_counter()
        backprop(network, inputs, labels)
        return time.perf_counter() - start
    if method == "numerical-loop":
        return _probe_loop(network, inputs, labels, probe_seconds)
    if method == "numerical":
        return _probe_incremental(network, inputs, labels, probe_seconds)
    raise OptionError("method", f"must be one of {', '.join(GRADIENT_METHODS)}", value=method)


def _probe_loop(network: Network, inputs: Array, labels: Array, seconds: float) -> float:
    """The literal loop's time: its own nudge-and-evaluate step, timed on a few parameters."""
    params = [p.astype(np.float64) for p in (*network.weights, *network.biases)]
    flat = params[0].reshape(-1)  # every evaluation is a whole forward pass, whichever moves
    x = inputs.astype(np.float64)
    start, done = time.perf_counter(), 0
    while done < flat.size and (done < 2 or time.perf_counter() - start < seconds):
        _nudged_loss_pair(network, params, flat, done * 7919 % flat.size, x, labels, NUMERICAL_STEP)
        done += 1
    return (time.perf_counter() - start) / done * loss_evaluations(network) / 2


def _probe_incremental(network: Network, inputs: Array, labels: Array, seconds: float) -> float:
    """The incremental method's time: its base pass, then a sample of each layer's blocks."""
    start = time.perf_counter()
    run = _base_pass(network, inputs, labels)
    total = time.perf_counter() - start
    with ThreadPoolExecutor(WORKERS) as pool:
        for layer in range(len(run.params)):
            total += _probe_layer(pool, run, layer, seconds / len(run.params))
    return total


def _probe_layer(pool: ThreadPoolExecutor, run: _BasePass, layer: int, seconds: float) -> float:
    """One layer's time, from a sample run as the full gradient runs, grown until `seconds`.

    The sample takes as many column blocks at once as the full run keeps workers busy, with
    evenly spaced rows; rows grow first (their cost varies: pixels are black or not), then
    columns (theirs does not).
    """
    n_rows, n_cols = run.params[layer].shape
    _, block, pairs = _blocks(run, layer, MAX_TEMPORARY_BYTES)
    lanes = min(WORKERS, -(-n_cols // block))  # column blocks running at once
    n_sampled, width = 1, 1  # about n_sampled rows; width columns in each lane
    while True:
        stride = n_rows // n_sampled
        rows = slice(stride // 2, n_rows, stride)  # evenly spaced rows
        lane_columns = [slice(k * block, min(k * block + width, n_cols)) for k in range(lanes)]
        start = time.perf_counter()
        list(
            pool.map(
                lambda columns, rows=rows: _layer_nudged_losses(
                    run, layer, rows, columns, step=NUMERICAL_STEP, pair_block=pairs
                ),
                lane_columns,
            )
        )
        elapsed = time.perf_counter() - start
        if elapsed >= seconds or (n_sampled >= n_rows and width >= block):
            covered = len(range(n_rows)[rows]) * sum(c.stop - c.start for c in lane_columns)
            return elapsed * n_rows * n_cols / covered
        if n_sampled < n_rows:
            n_sampled = min(n_rows, 4 * n_sampled)
        else:
            width = min(block, 4 * width)


def loss_evaluations(network: Network) -> int:
    """How many loss evaluations one numerical gradient costs: two per parameter."""
    return 2 * sum(w.size + b.size for w, b in zip(network.weights, network.biases))


# "numerical" is the lesson's method computed incrementally; "numerical-loop" the literal loop.
GRADIENT_METHODS = {
    "backprop": backprop,
    "numerical": incremental_numerical_gradient,
    "numerical-loop": numerical_gradient,
}


def descend(network: Network, gradients: Gradients, learning_rate: float) -> Network:
    """One plain gradient-descent step, W -= lr * dW; returns a new network, the old is kept."""
    lr = np.asarray(learning_rate, dtype=network.weights[0].dtype)
    weights = tuple(w - lr * g for w, g in zip(network.weights, gradients.weights))
    biases = tuple(b - lr * g for b, g in zip(network.biases, gradients.biases))
    return Network(weights, biases, network.activation)
