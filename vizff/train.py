"""Training configuration, the immutable `Snapshot`, and the step-by-step `train()` generator."""

from __future__ import annotations

import functools
import itertools
import math
import numbers
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from vizff.data import Digits, as_inputs
from vizff.errors import DataError, OptionError, TrainingDiverged
from vizff.nn import (
    ACTIVATIONS,
    GRADIENT_METHODS,
    Gradients,
    Network,
    cross_entropy_error,
    descend,
    estimate_gradient_seconds,
    forward,
    init_network,
    loss_evaluations,
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
BLAS_THREADS = 1  # the same bits on any number of cores (see train())
PROBE_PIXELS = 1_000_000  # pixels the time estimate converts to floats to time that step


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # reads the process's loaded libraries: once, not per use


def one_blas_thread():
    """A context in which BLAS runs on BLAS_THREADS threads. threadpoolctl finds the BLAS
    libraries by reading the process's memory map, 5 ms each time: the controller that found
    them is made once (numpy loads its BLAS on import, before anything here runs)."""
    return _blas().limit(limits=BLAS_THREADS, user_api="blas")


ON_DIVERGE = ("stop", "show")  # raise TrainingDiverged | yield one last Snapshot saying so


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
    steps: int | None = None  # gradient steps in all (0..MAX_STEPS); overrides `epochs`
    method: str = "backprop"  # a key of nn.GRADIENT_METHODS: backprop | numerical (the lesson's)
    seed: int = 0  # one np.random.Generator from this seed draws the weights and the batches
    dtype: str = "float32"  # float32 | float64
    eval_every: int = 0  # also evaluate on the test split every N steps (0: each epoch's end)
    on_diverge: str = "stop"  # stop: raise TrainingDiverged | show: end on a Snapshot saying so

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
        _check(self.on_diverge in ON_DIVERGE, "on_diverge", "must be stop or show", self.on_diverge)

    def _check_counts(self) -> None:
        """Whole numbers within their ranges: batch_size, epochs, steps, seed, eval_every."""
        for key, low, high in (
            ("batch_size", 1, None),
            ("epochs", 1, MAX_EPOCHS),
            ("steps", 0, MAX_STEPS),  # 0: only the untrained network (step 0)
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
            f"{self.epochs} passes over {n_train:,} images at batch size {self.batch_size} are "
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
    """The state right after one gradient step (or before the first); never changes.

    Step k >= 1 is update k: the batch of step k is measured (loss, accuracy), then update k
    is applied, then the test split is measured where it is evaluated. Step 0 is the untrained
    network; it measures the first batch, the one update 1 will use, so step 0's loss and
    accuracy are the same numbers as step 1's.
    """

    step: int  # 0: the network as initialised; k >= 1: the state after update k
    epoch: int  # 1-based epoch of this step's batch (step 0 shares step 1's: epoch 1)
    network: Network  # parameters after update `step` (at step 0: as initialised)
    gradients: Gradients | None  # what update `step` subtracted, times lr; None at step 0
    loss: float  # mean cross-entropy of this step's batch, BEFORE update `step`
    accuracy: float  # fraction of this step's batch predicted right, BEFORE update `step`
    test_loss: float | None = None  # on the test split, AFTER update `step`, where evaluated
    test_accuracy: float | None = None  # (always at step 0, each epoch's end and the last step)
    epoch_end: bool = False  # update `step` is the last of its epoch (never at step 0)
    total_steps: int = field(default=0, compare=False)  # updates the run will make
    # Only on the last Snapshot of a run with on_diverge="show": the update that broke training
    # (0: the initial network). The run ends with this Snapshot. If `loss` is the bad number,
    # `step` is diverged_at + 1, `network` is the broken one and no update was applied
    # (`gradients` is None); if the parameters after update `step` are not finite, or the test
    # loss after it is bad, `step` equals diverged_at.
    diverged_at: int | None = None


def evaluate(network: Network, inputs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the network on a whole split."""
    with np.errstate(all="ignore"):  # a diverged network gives NaN here: checked by the caller
        probabilities = forward(network, inputs)[-1]  # (n, 10)
    return _measure(probabilities, labels)


def _measure(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of (n, 10) probabilities against (n,) labels."""
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    with np.errstate(all="ignore"):
        return cross_entropy_error(probabilities, labels), accuracy


def _bad(loss: float) -> bool:
    return not loss < DIVERGED_LOSS  # NaN compares false: bad too


def _not_finite(network: Network) -> float | None:
    """The first weight or bias that is inf or NaN, or None when every one is finite."""
    for array in (*network.weights, *network.biases):
        if not np.isfinite(array).all():
            return float(array[~np.isfinite(array)][0])
    return None


def _freeze(*groups: tuple[np.ndarray, ...]) -> None:
    for group in groups:
        for array in group:
            array.flags.writeable = False


def _batches(rng: np.random.Generator, n: int, batch_size: int) -> Iterator[tuple]:
    """(epoch, indices, epoch_end) for ever: one permutation drawn from rng as each epoch starts."""
    for epoch in itertools.count(1):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield epoch, order[start : start + batch_size], start + batch_size >= n


def diverged(update: int, what: str, value: float, lr: float) -> TrainingDiverged:
    """The error for update `update` having made `what` equal `value` (update 0: the start)."""
    if update == 0:
        text = f"the initial network gives {what} {value:.4g}: training cannot start"
    else:
        text = (
            f"update {update} made {what} {value:.4g}: training diverged; "
            f"lower the learning rate (lr, now {lr:g})"
        )
    error = TrainingDiverged(text)
    error.update, error.key, error.value = update, "lr", lr  # for front ends to reword
    return error


def train(data: Digits, config: TrainConfig = TrainConfig()) -> Iterator[Snapshot]:
    """Plain mini-batch gradient descent: Snapshots for step 0, 1, ..., total; same seed, same run.

    Same run means bit for bit on the same kind of CPU with the same numpy and BLAS build,
    however many cores it has: the run uses one BLAS thread (BLAS_THREADS). A BLAS splits a
    matrix product among its threads, and the split changes how float32 sums round, so a
    thread count that followed the machine would change the last bits, and now and then a
    number on screen. A lesson's matrices are small, so one thread is also the faster choice
    here, and it leaves the other core to the video encoder while a scene renders.

    Step 0 is the untrained network, measured on the batch update 1 will use: its loss and
    accuracy are step 1's (measured before update 1). Its test loss and accuracy are always
    evaluated.

    After every update the weights and biases must be finite, and every loss measured (each
    batch's before its update, the test split's after one) finite and below DIVERGED_LOSS. A
    failure names the update that caused it: with on_diverge="stop" as TrainingDiverged, with
    "show" as one last Snapshot whose `diverged_at` is set.
    """
    with one_blas_thread():
        yield from _train(data, config)


def check_splits(data: Digits) -> None:
    """Training needs an image in each split: the error says so before anything reads one."""
    if len(data.train_labels) == 0 or len(data.test_labels) == 0:
        raise DataError(
            f"{data.path}: the train and test splits need at least one image each "
            f"(they hold {len(data.train_labels)} and {len(data.test_labels)})"
        )


def memory_free() -> int | None:
    """Bytes this process may still take: the system's available memory (Linux's
    MemAvailable), less where an address-space limit (`ulimit -v`) is nearer; None where
    neither can be read."""
    import resource

    free = None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit != resource.RLIM_INFINITY:
            with open("/proc/self/status", encoding="ascii") as status:
                size = next(int(x.split()[1]) * 1024 for x in status if x.startswith("VmSize:"))
            free = min(free if free is not None else limit, max(0, limit - size))
    except (OSError, ValueError, StopIteration):
        pass
    return free


def memory_needed(data: Digits, config: TrainConfig) -> tuple[int, int]:
    """About how many bytes training takes: (the network's, the data's).

    The network: each weight drawn in float64, then held as the weights, their gradients,
    the updated weights and a snapshot's. The data: the test split's images as numbers (each
    batch of the train split is made numbers as it is drawn), the test split's activations in
    the widest layer (a few of them at once), and 8 bytes an image for an epoch's order of the
    train split and the test labels (268 million 1x1 images in a 260 KB gzip took 4.8 GB)."""
    n_in = int(np.prod(data.image_shape))
    sizes = (n_in, *config.hidden, 10)
    parameters = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    item = np.dtype(config.dtype).itemsize
    images = (len(data.test_labels) + min(config.batch_size, len(data.train_labels))) * n_in * item
    activations = 3 * len(data.test_labels) * max(sizes[1:]) * item
    indices = 8 * (len(data.train_labels) + len(data.test_labels))  # np.intp
    return parameters * (8 + 4 * item), images + activations + indices


def check_memory(data: Digits, config: TrainConfig, free: int | None = None) -> None:
    """Refuse, before any work, a run that cannot fit in the memory there is: the error names
    what is too large (it was MemoryError part way, "a bug in vizff")."""
    free = memory_free() if free is None else free
    network, numbers = memory_needed(data, config)
    if free is None or network + numbers <= free:
        return
    sizes = "-".join(str(n) for n in (int(np.prod(data.image_shape)), *config.hidden, 10))
    need, have = f"{(network + numbers) / 1e9:,.1f} GB", f"{free / 1e9:,.1f} GB"
    if network >= numbers:
        raise OptionError(
            "hidden",
            f"a {sizes} network needs about {need} of memory to train, more than the {have} "
            "free here; use fewer hidden units (or smaller images)",
            value=",".join(str(h) for h in config.hidden),
        )
    rows, cols = data.image_shape
    count = len(data.train_labels) + len(data.test_labels)
    raise DataError(
        f"{data.path}: {count:,} images of {rows}x{cols} need about {need} of memory to train "
        f"on, more than the {have} free here; use fewer or smaller images"
    )


def _train(data: Digits, config: TrainConfig) -> Iterator[Snapshot]:
    check_splits(data)
    check_memory(data, config)
    rng = np.random.default_rng(config.seed)
    # the train split is made numbers a batch at a time (the same numbers, a quarter of the
    # memory for float32: 188 MB less for MNIST); the test split, measured again and again, once
    images, y_train = data.train_images, data.train_labels  # labels made intp a batch at a time
    x_test = as_inputs(data.test_images, config.dtype)
    y_test = data.test_labels.astype(np.intp)
    sizes = (x_test.shape[1], *config.hidden, 10)
    network = init_network(sizes, activation=config.activation, rng=rng, dtype=config.dtype)
    _freeze(network.weights, network.biases)
    total = config.total_steps(len(images))
    batches = _batches(rng, len(images), config.batch_size)  # drawn after the weights
    epoch, batch, epoch_end = next(batches)
    with np.errstate(all="ignore"):  # overflow is possible here, and checked below
        inputs = as_inputs(images[batch], config.dtype)  # (batch, 784) in [0, 1]
        labels = y_train[batch].astype(np.intp)
        loss, accuracy = _measure(forward(network, inputs)[-1], labels)
    snapshot = Snapshot(0, epoch, network, None, loss, accuracy, total_steps=total)
    snapshot = replace(snapshot, **_tested(network, x_test, y_test))
    for what, value in (("loss", loss), ("test loss", snapshot.test_loss)):
        if _bad(value):
            yield _last(snapshot, 0, f"the {what}", value, config)
            return
    yield snapshot
    gradient = GRADIENT_METHODS[config.method]
    for step in range(1, total + 1):
        if step > 1:
            epoch, batch, epoch_end = next(batches)
        if step > 1:
            inputs = as_inputs(images[batch], config.dtype)
            labels = y_train[batch].astype(np.intp)
        with np.errstate(all="ignore"):
            grads, layers = gradient(network, inputs, labels)
            loss, accuracy = _measure(layers[-1], labels)
        if _bad(loss):  # measured before update `step`: the update before broke it
            broken = Snapshot(step, epoch, network, None, loss, accuracy, total_steps=total)
            yield _last(broken, step - 1, "the loss", loss, config)
            return
        with np.errstate(all="ignore"):
            network = descend(network, grads, config.lr)
        _freeze(network.weights, network.biases, grads.weights, grads.biases)
        snapshot = Snapshot(
            step, epoch, network, grads, loss, accuracy, None, None, epoch_end, total
        )
        if (value := _not_finite(network)) is not None:
            yield _last(snapshot, step, "a weight or bias", value, config)
            return
        if epoch_end or step == total or (config.eval_every and step % config.eval_every == 0):
            snapshot = replace(snapshot, **_tested(network, x_test, y_test))
            if _bad(snapshot.test_loss):  # so the last update is checked too
                yield _last(snapshot, step, "the test loss", snapshot.test_loss, config)
                return
        yield snapshot


def _tested(network: Network, inputs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    test_loss, test_accuracy = evaluate(network, inputs, labels)
    return {"test_loss": test_loss, "test_accuracy": test_accuracy}


def _last(snapshot: Snapshot, update: int, what: str, value: float, config: TrainConfig):
    """The run's last Snapshot, saying that `update` broke it; or, if so configured, the error."""
    if config.on_diverge == "stop":
        raise diverged(update, what, value, config.lr)
    return replace(snapshot, diverged_at=update)


def estimated_seconds(
    config: TrainConfig,
    n_train: int,
    n_inputs: int,
    n_test: int = 0,
    *,
    images: np.ndarray | None = None,
) -> float:
    """About how long `train()` takes with this config and data shape, timed on a short probe.

    The probe trains a throw-away network of the same sizes on random inputs for a few steps
    (its own generator: the run's draws are untouched), then scales by the number of steps and
    of test evaluations, plus the conversion of every image drawn to floats. For a numerical
    gradient it times one loss evaluation instead and multiplies by the evaluations a step
    costs (the fast incremental method: `nn.estimate_gradient_seconds` on `images`, real train
    images if given, since how many pixels are black decides its cost). It takes well under a
    second (a quarter of a second per timing at most) and times
    the machine as it is now, busy or not: within a factor of two of real runs here, low
    rather than high (numerical runs most: about half the real time).
    """
    with one_blas_thread():  # as train() runs
        rng = np.random.default_rng(0)
        batch = min(config.batch_size, n_train)
        sizes = (n_inputs, *config.hidden, 10)
        network = init_network(sizes, activation=config.activation, rng=rng, dtype=config.dtype)
        x = rng.random((batch, n_inputs), dtype=np.float32).astype(config.dtype, copy=False)
        y = rng.integers(0, 10, batch)
        forward_seconds = _timed(lambda: forward(network, x))

        def step() -> None:  # what train() does per step: gradient, update, the finite check
            _not_finite(descend(network, GRADIENT_METHODS["backprop"](network, x, y)[0], config.lr))

        if config.method == "backprop":
            step_seconds = _timed(step)
        elif config.method == "numerical":  # only what each nudge changes: depends on the pixels
            if images is not None and len(images):
                rows = np.arange(batch) % len(images)
                x = as_inputs(images[rows], config.dtype)
            step_seconds = estimate_gradient_seconds(network, x, y, method="numerical")
        else:  # the literal loop costs two float64 loss evaluations per parameter
            weights = tuple(w.astype(np.float64) for w in network.weights)
            biases = tuple(b.astype(np.float64) for b in network.biases)
            x64 = x.astype(np.float64)

            def evaluate_loss() -> float:  # as a nudge does: a new network, its loss on the batch
                nudged = Network(weights, biases, network.activation)
                return cross_entropy_error(forward(nudged, x64)[-1], y)

            evaluation = _timed(evaluate_loss)
            step_seconds = evaluation * loss_evaluations(network)
        rows = max(1, min(1000, PROBE_PIXELS // n_inputs))  # a few MB, however large the images
        pixels = rng.integers(0, 256, (rows, n_inputs), dtype=np.uint8)
        convert_row = _timed(lambda: as_inputs(pixels, config.dtype)) / rows
        total = config.total_steps(n_train)
        evaluations = 2 + total // config.steps_per_epoch(n_train)
        evaluations += total // config.eval_every if config.eval_every else 0
        once = n_test * convert_row  # the test split once; each batch as it is drawn
        return (
            once
            + total * (step_seconds + batch * convert_row)
            + evaluations * n_test * forward_seconds / batch
        )


def _timed(work: Callable[[], object], budget: float = 0.25) -> float:
    """Median seconds of up to 5 runs of work() after one untimed warm-up; stops at `budget`."""
    work()
    times: list[float] = []
    while len(times) < 5 and sum(times) < budget:
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
