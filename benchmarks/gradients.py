"""Numerical against back-propagated gradients: the lesson's "days against minutes", measured.

    python benchmarks/gradients.py [--hidden 4] [--batch 64] [--repeats 3]

One full gradient (every weight and bias) of the same small network on the same batch of the
embedded sample, by each method alternately: time per gradient, the speed ratio, and how well
the two agree (relative error, in float64). Then what the ratio means for a whole epoch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from vizff.data import as_inputs, load_digits
from vizff.nn import backprop, init_network, loss_evaluations, numerical_gradient


def timed(gradient, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = gradient(*args)
    return time.perf_counter() - start, result[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=4)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    digits = load_digits("sample")
    rng = np.random.default_rng(0)
    network = init_network((784, args.hidden, 10), rng=rng, dtype=np.float64)
    x = as_inputs(digits.train_images[: args.batch], np.float64)
    y = digits.train_labels[: args.batch].astype(np.intp)
    slow, fast = [], []
    for _ in range(args.repeats):  # alternate the two methods
        seconds, numeric = timed(numerical_gradient, network, x, y)
        slow.append(seconds)
        seconds, exact = timed(backprop, network, x, y)
        fast.append(seconds)
    t_num, t_bp = statistics.median(slow), statistics.median(fast)
    flat_n = np.concatenate([g.ravel() for g in (*numeric.weights, *numeric.biases)])
    flat_b = np.concatenate([g.ravel() for g in (*exact.weights, *exact.biases)])
    error = np.linalg.norm(flat_n - flat_b) / (np.linalg.norm(flat_n) + np.linalg.norm(flat_b))
    params = loss_evaluations(network) // 2
    print(f"network 784-{args.hidden}-10 ({params:,} parameters), batch {args.batch}, float64")
    print(f"  numerical   {t_num * 1e3:10.1f} ms per gradient ({2 * params:,} loss evaluations)")
    print(f"  backprop    {t_bp * 1e3:10.3f} ms per gradient")
    print(f"  ratio       {t_num / t_bp:10.0f}x   relative error {error:.2e}")
    steps = len(digits.train_labels) // args.batch
    print(
        f"  one epoch of the {len(digits.train_labels)} sample digits ({steps} steps): "
        f"numerical {steps * t_num:.0f} s, backprop {steps * t_bp * 1e3:.0f} ms"
    )
    per_epoch_full = 60000 // args.batch * t_num
    big = 784 * 128 + 128 + 128 * 10 + 10  # the 784-128-10 network of the training benchmark
    # twice the loss evaluations per parameter, and each evaluation costs in proportion too
    scaled = per_epoch_full * (big / params) ** 2
    print(
        f"  one epoch of full MNIST by numerical gradients: {per_epoch_full / 60:.0f} min "
        f"(784-{args.hidden}-10); for 784-128-10, about {scaled / 86400:.1f} days "
        f"(the lesson: 3-4 days to 80-90%)"
    )


if __name__ == "__main__":
    main()
