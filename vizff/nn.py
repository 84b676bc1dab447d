"""The lesson's network in numpy: activations, softmax, cross-entropy, forward, two gradients."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

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
    """The lesson's "forward" gradient: nudge every weight and bias by -h and +h, in float64."""
    params = [p.astype(np.float64) for p in (*network.weights, *network.biases)]
    n = len(network.weights)
    x = inputs.astype(np.float64)

    def loss_now() -> float:
        return loss(Network(tuple(params[:n]), tuple(params[n:]), network.activation), x, labels)

    grads = []
    for param in params:
        grad = np.zeros_like(param)
        flat, flat_grad = param.reshape(-1), grad.reshape(-1)  # views: nudging flat nudges param
        for j in range(flat.size):
            kept = flat[j]
            flat[j] = kept + step
            above = loss_now()
            flat[j] = kept - step
            below = loss_now()
            flat[j] = kept
            flat_grad[j] = (above - below) / (2 * step)
        grads.append(grad.astype(network.weights[0].dtype))
    return Gradients(tuple(grads[:n]), tuple(grads[n:])), forward(network, inputs)


def loss_evaluations(network: Network) -> int:
    """How many loss evaluations one numerical gradient costs: two per parameter."""
    return 2 * sum(w.size + b.size for w, b in zip(network.weights, network.biases))


GRADIENT_METHODS = {"backprop": backprop, "numerical": numerical_gradient}


def descend(network: Network, gradients: Gradients, learning_rate: float) -> Network:
    """One plain gradient-descent step, W -= lr * dW; returns a new network, the old is kept."""
    lr = np.asarray(learning_rate, dtype=network.weights[0].dtype)
    weights = tuple(w - lr * g for w, g in zip(network.weights, gradients.weights))
    biases = tuple(b - lr * g for b, g in zip(network.biases, gradients.biases))
    return Network(weights, biases, network.activation)
