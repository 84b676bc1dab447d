"""Training configuration, the immutable `Snapshot`, and the step-by-step `train()` generator."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vizff.data import Digits, as_inputs
from vizff.errors import DataError, OptionError, TrainingDiverged
from vizff.nn import (
    ACTIVATIONS,
    GRADIENT_METHODS,
    Gradients,
    Network,
    cross_entropy_error,
    descend,
    forward,
    init_network,
)

MAX_UNITS = 4096  # per hidden layer: far past anything a heatmap can show
# Ceilings, so that a typo cannot start a run that never ends. A million steps is 1,000 epochs of
# full MNIST at batch 64 (minutes per epoch for a wide net); a render shows at most a few
# thousand of them.
MAX_STEPS = 1_000_000
MAX_EPOCHS = 1000
# Mean cross-entropy tolerates a large step with sigmoid (0.97 on MNIST in 5 epochs at 1.0);
# relu's unbounded units need a smaller one. These are the rates for narrow layers; see
# `default_lr` for wide ones.
DEFAULT_LR = {"sigmoid": 1.0, "tanh": 0.5, "relu": 0.2}
# Wide layers need a smaller step. One step moves the next layer's inputs by about
# lr * |a|^2 * (p - onehot), where a are the activations of the layer feeding it, and |a|^2
# grows with that layer's width: about w/4 for sigmoid, whose units all sit near 0.5; less for
# tanh (centred) and relu (sparse). So the default rate is DEFAULT_LR up to STABLE_WIDTH units
# in the widest hidden layer, and past it shrinks so that lr * width stays at
# DEFAULT_LR * STABLE_WIDTH: 32 (sigmoid), 256 (tanh), 205 (relu). Measured on the sample and
# full MNIST at batch 64: descent diverged from lr * width = 256 (sigmoid; 128 at batch 8) and
# 1024 (tanh); relu did not at 820; at 4096 units and these caps the test loss falls from the
# first steps. Wide sigmoid layers then learn slowly: 0.86 on MNIST after an epoch at 4096.
STABLE_WIDTH = {"sigmoid": 32, "tanh": 512, "relu": 1024}
# A mean loss above 10 ln 10 means the right digit gets p < 1e-10 on average: far worse than the
# ln 10 = 2.3 of guessing, which only an overshooting step produces. Treated like NaN.
DIVERGED_LOSS = 10 * math.log(10)


def default_lr(activation: str, hidden: tuple[int, ...]) -> float:
    """DEFAULT_LR of the activation, scaled down by STABLE_WIDTH / width past STABLE_WIDTH."""
    return DEFAULT_LR[activation] * min(1.0, STABLE_WIDTH[activation] / max(hidden))


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; shared by the CLI, scene files and Python.

    Refused values raise `OptionError` with the option's keyword (`hidden`, `lr`, ...), which
    each front end names as its user wrote it.
    """

    hidden: tuple[int, ...] = (32,)  # hidden layer sizes, each 1..MAX_UNITS; 784 -> hidden -> 10
    activation: str = "sigmoid"  # sigmoid (the lesson's) | tanh | relu
    # learning rate. None: DEFAULT_LR of the activation, divided by width / STABLE_WIDTH when the
    # widest hidden layer is wider than STABLE_WIDTH (so every legal width trains without
    # diverging). A rate given explicitly is used as given.
    lr: float | None = None
    batch_size: int = 64
    epochs: int = 10  # passes over the train split (1..MAX_EPOCHS), unless `steps` is given
    steps: int | None = None  # gradient steps in all (1..MAX_STEPS); overrides `epochs`
    method: str = "backprop"  # a key of nn.GRADIENT_METHODS: backprop | numerical (the lesson's)
    seed: int = 0  # one np.random.Generator from this seed draws the weights and the batches
    dtype: str = "float32"  # float32 | float64
    eval_every: int = 0  # also evaluate on the test split every N steps (0: each epoch's end)

    def __post_init__(self) -> None:
        hidden = self.hidden if isinstance(self.hidden, (tuple, list)) else (self.hidden,)
        _check(bool(hidden), "hidden", "give at least one hidden layer, e.g. 32", self.hidden)
        _check(all(map(_whole, hidden)), "hidden", "sizes must be whole numbers", self.hidden)
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))
        _check(
            all(1 <= h <= MAX_UNITS for h in self.hidden),
            "hidden",
            f"each hidden size must be 1..{MAX_UNITS}",
            self.hidden,
        )
        _check(
            self.activation in ACTIVATIONS,
            "activation",
            f"must be one of {', '.join(ACTIVATIONS)}",
            self.activation,
        )
        if self.lr is None:
            object.__setattr__(self, "lr", default_lr(self.activation, self.hidden))
        _check(
            isinstance(self.lr, numbers.Real)
            and not isinstance(self.lr, bool)
            and math.isfinite(self.lr)
            and self.lr > 0,
            "lr",
            "the learning rate must be a positive number",
            self.lr,
        )
        self._check_counts()
        _check(
            self.method in GRADIENT_METHODS,
            "method",
            f"must be one of {', '.join(GRADIENT_METHODS)}",
            self.method,
        )
        _check(
            self.dtype in ("float32", "float64"), "dtype", "must be float32 or float64", self.dtype
        )

    def _check_counts(self) -> None:
        """Whole numbers within their ranges: batch_size, epochs, steps, seed, eval_every."""
        for key, low, high in (
            ("batch_size", 1, None),
            ("epochs", 1, MAX_EPOCHS),
            ("steps", 1, MAX_STEPS),
            ("seed", 0, 2**63 - 1),
            ("eval_every", 0, None),
        ):
            value = getattr(self, key)
            if key == "steps" and value is None:
                continue
            _check(_whole(value), key, "must be a whole number", value)
            allowed = f"{low:,}..{high:,}" if high is not None else f"{low} or more"
            _check(
                low <= value and (high is None or value <= high), key, f"must be {allowed}", value
            )

    def steps_per_epoch(self, n_train: int) -> int:
        return math.ceil(n_train / self.batch_size)

    def total_steps(self, n_train: int) -> int:
        """`steps`, or `epochs` passes over n_train digits; either way at most MAX_STEPS."""
        if self.steps is not None:
            return self.steps
        total = self.epochs * self.steps_per_epoch(n_train)
        _check(
            total <= MAX_STEPS,
            "epochs",
            f"{self.epochs} passes over {n_train:,} digits at batch size {self.batch_size} are "
            f"{total:,} steps, past the ceiling of {MAX_STEPS:,}",
            self.epochs,
        )
        return total


def _whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check(ok: bool, key: str, problem: str, value: Any) -> None:
    if not ok:
        raise OptionError(key, problem, value=value)


@dataclass(frozen=True)
class Snapshot:
    """The state right after one gradient step; its arrays are read-only and never change."""

    step: int  # 1 for the first update
    epoch: int  # 1-based epoch this step belongs to
    network: Network  # parameters after this step's update
    gradients: Gradients  # the gradients this step applied
    loss: float  # mean cross-entropy of this step's batch, before the update
    accuracy: float  # fraction of this step's batch predicted right, before the update
    test_loss: float | None = None  # on the test split, after the update, where evaluated
    test_accuracy: float | None = None
    epoch_end: bool = False  # the last step of an epoch
    total_steps: int = field(default=0, compare=False)


def evaluate(network: Network, inputs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the network on a whole split."""
    probabilities = forward(network, inputs)[-1]  # (n, 10)
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    return cross_entropy_error(probabilities, labels), accuracy


def _freeze(*groups: tuple[np.ndarray, ...]) -> None:
    for group in groups:
        for array in group:
            array.flags.writeable = False


def train(data: Digits, config: TrainConfig = TrainConfig()) -> Iterator[Snapshot]:
    """Plain mini-batch gradient descent, yielding one Snapshot per step; same seed, same run."""
    if len(data.train_labels) == 0 or len(data.test_labels) == 0:
        raise DataError(
            f"{data.path}: the train and test splits need at least one digit each "
            f"(they hold {len(data.train_labels)} and {len(data.test_labels)})"
        )
    rng = np.random.default_rng(config.seed)
    x_train = as_inputs(data.train_images, config.dtype)  # (n, 784) in [0, 1]
    y_train = data.train_labels.astype(np.intp)
    x_test = as_inputs(data.test_images, config.dtype)
    y_test = data.test_labels.astype(np.intp)
    sizes = (x_train.shape[1], *config.hidden, 10)
    network = init_network(sizes, activation=config.activation, rng=rng, dtype=config.dtype)
    gradient = GRADIENT_METHODS[config.method]
    n, total = len(x_train), config.total_steps(len(x_train))
    step = 0
    for epoch in range(1, math.ceil(total / config.steps_per_epoch(n)) + 1):
        order = rng.permutation(n)
        for start in range(0, n, config.batch_size):
            batch = order[start : start + config.batch_size]
            with np.errstate(over="ignore", invalid="ignore"):  # caught below, with advice
                grads, layers = gradient(network, x_train[batch], y_train[batch])
            loss = cross_entropy_error(layers[-1], y_train[batch])
            step += 1
            if not loss < DIVERGED_LOSS or not all(np.isfinite(g).all() for g in grads.weights):
                raise TrainingDiverged(
                    f"step {step}: the loss became {loss:.4g}; training diverged. "
                    f"Lower the learning rate (--lr, now {config.lr})"
                )
            accuracy = float((layers[-1].argmax(axis=1) == y_train[batch]).mean())
            network = descend(network, grads, config.lr)
            _freeze(network.weights, network.biases, grads.weights, grads.biases)
            epoch_end = start + config.batch_size >= n
            test = None
            if epoch_end or step == total or (config.eval_every and step % config.eval_every == 0):
                test = evaluate(network, x_test, y_test)
            yield Snapshot(
                step,
                epoch,
                network,
                grads,
                loss,
                accuracy,
                *(test or (None, None)),
                epoch_end,
                total,
            )
            if step == total:
                return
