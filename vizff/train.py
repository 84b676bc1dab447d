"""Training configuration, the immutable `Snapshot`, and the step-by-step `train()` generator."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from vizff.data import Digits, as_inputs
from vizff.errors import ConfigError, DataError, TrainingDiverged
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
# Mean cross-entropy tolerates a large step with sigmoid (0.97 on MNIST in 5 epochs at 1.0);
# relu's unbounded units need a smaller one.
DEFAULT_LR = {"sigmoid": 1.0, "tanh": 0.5, "relu": 0.2}
# A mean loss above 10 ln 10 means the right digit gets p < 1e-10 on average: far worse than the
# ln 10 = 2.3 of guessing, which only an overshooting step produces. Treated like NaN.
DIVERGED_LOSS = 10 * math.log(10)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; shared by the CLI, scene files and Python."""

    hidden: tuple[int, ...] = (32,)  # hidden layer sizes; 784 -> hidden... -> 10
    activation: str = "sigmoid"  # sigmoid (the lesson's) | tanh | relu
    lr: float | None = None  # learning rate; None: DEFAULT_LR of the activation
    batch_size: int = 64
    epochs: int = 10  # passes over the train split, unless `steps` is given
    steps: int | None = None  # gradient steps in all; overrides `epochs`
    method: str = "backprop"  # backprop | numerical (the lesson's central differences)
    seed: int = 0  # one np.random.Generator from this seed draws the weights and the batches
    dtype: str = "float32"  # float32 | float64
    eval_every: int = 0  # also evaluate on the test split every N steps (0: each epoch's end)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        _check(len(self.hidden) >= 1, "--hidden", "give at least one hidden layer, e.g. 32")
        _check(
            all(1 <= h <= MAX_UNITS for h in self.hidden),
            "--hidden",
            f"each hidden size must be 1..{MAX_UNITS}, got {','.join(map(str, self.hidden))}",
        )
        _check(
            self.activation in ACTIVATIONS,
            "--activation",
            f"must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}",
        )
        if self.lr is None:
            object.__setattr__(self, "lr", DEFAULT_LR[self.activation])
        _check(
            math.isfinite(self.lr) and self.lr > 0,
            "--lr",
            f"the learning rate must be a positive number, got {self.lr}",
        )
        _check(self.batch_size >= 1, "--batch-size", f"must be at least 1, got {self.batch_size}")
        _check(self.epochs >= 1, "--epochs", f"must be at least 1, got {self.epochs}")
        _check(
            self.steps is None or self.steps >= 1,
            "--steps",
            f"must be at least 1, got {self.steps}",
        )
        _check(
            self.method in GRADIENT_METHODS,
            "--method",
            f"must be one of {', '.join(GRADIENT_METHODS)}, got {self.method!r}",
        )
        _check(
            self.dtype in ("float32", "float64"),
            "--dtype",
            f"must be float32 or float64, got {self.dtype!r}",
        )
        _check(0 <= self.seed < 2**63, "--seed", f"must be 0 or more, got {self.seed}")
        _check(self.eval_every >= 0, "--eval-every", f"must be 0 or more, got {self.eval_every}")

    def steps_per_epoch(self, n_train: int) -> int:
        return math.ceil(n_train / self.batch_size)

    def total_steps(self, n_train: int) -> int:
        return self.steps if self.steps is not None else self.epochs * self.steps_per_epoch(n_train)


def _check(ok: bool, option: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{option}: {message}")


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
