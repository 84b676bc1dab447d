"""One gradient three ways: the lesson's loop, the same differences done incrementally, backprop.

    python benchmarks/gradients.py [--data sample] [--hidden 128] [--batch 64]
                                   [--loop-sample 2000 | --full-loop] [--repeats 3]

The same network (784-hidden-10 sigmoid, float64) on the same batch of real digits, the
methods alternating in each repeat: the incremental central differences (`numerical`) on all
the worker threads and on one, back-propagation, and the lesson's literal loop
(`numerical-loop`), whose every loss evaluation is a full forward pass. A full loop takes
minutes for 784-128-10, so by default the loop's own nudge-and-evaluate step is timed on
`--loop-sample` parameters evenly spread over all of them and multiplied out (each step costs
the same, whichever parameter moves); `--full-loop` runs the whole loop instead. Agreement:
relative error of the whole gradient against backprop, and against the loop on the entries
it computed.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from vizff.data import as_inputs, load_digits
from vizff.nn import (
    NUMERICAL_STEP,
    WORKERS,
    _nudged_loss_pair,  # the literal loop's own body, timed on a sample of parameters
    backprop,
    incremental_numerical_gradient,
    init_network,
    numerical_gradient,
)


def flat(gradients) -> np.ndarray:
    return np.concatenate([g.ravel() for g in (*gradients.weights, *gradients.biases)])


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


def timed(function, *args, **kwargs) -> tuple[tuple[float, float], object]:
    """((wall seconds, CPU seconds of the process), result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def loop_entries(network, x, y, indices: np.ndarray) -> np.ndarray:
    """Gradient entries of the literal loop, for flat parameter `indices` only."""
    params = [p.astype(np.float64) for p in (*network.weights, *network.biases)]
    ends = np.cumsum([p.size for p in params])
    entries = np.empty(len(indices))
    for n, k in enumerate(indices):
        which = int(np.searchsorted(ends, k, side="right"))
        flat_param = params[which].reshape(-1)  # a view: nudging it nudges the network
        j = int(k - (ends[which - 1] if which else 0))
        above, below = _nudged_loss_pair(network, params, flat_param, j, x, y, NUMERICAL_STEP)
        entries[n] = (above - below) / (2 * NUMERICAL_STEP)
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="sample", help="sample | mnist | an IDX directory")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--loop-sample", type=int, default=2000, help="parameters to time")
    parser.add_argument("--full-loop", action="store_true", help="run the whole literal loop")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    digits = load_digits(args.data)
    network = init_network((784, args.hidden, 10), rng=np.random.default_rng(0), dtype=np.float64)
    x = as_inputs(digits.train_images[: args.batch], np.float64)
    y = digits.train_labels[: args.batch].astype(np.intp)
    n_params = sum(p.size for p in (*network.weights, *network.biases))
    count = n_params if args.full_loop else min(args.loop_sample, n_params)
    indices = np.linspace(0, n_params - 1, count).round().astype(np.int64)
    per_repeat = np.array_split(indices, args.repeats)
    times = {"parallel": [], "serial": [], "backprop": []}
    loop_seconds, loop_values = np.zeros(2), []
    for part in per_repeat:  # alternate the methods
        seconds, fast = timed(incremental_numerical_gradient, network, x, y)
        times["parallel"].append(seconds)
        times["serial"].append(timed(incremental_numerical_gradient, network, x, y, workers=1)[0])
        seconds, exact = timed(backprop, network, x, y)
        times["backprop"].append(seconds)
        if args.full_loop and part is per_repeat[0]:
            seconds, literal = timed(numerical_gradient, network, x, y)
            loop_seconds, loop_values = np.array(seconds), [flat(literal[0])]
        elif not args.full_loop:
            seconds, values = timed(loop_entries, network, x, y, part)
            loop_seconds += seconds
            loop_values.append(values)
    report(args, network, x, times, loop_seconds * n_params / count, count, n_params)
    fast, exact, literal = flat(fast[0]), flat(exact[0]), np.concatenate(loop_values)
    print(
        f"  agreement   numerical vs backprop {relative_error(fast, exact):.2e}; on the loop's "
        f"{count:,} entries: numerical vs loop {relative_error(fast[indices], literal):.2e} "
        f"(max |difference| {np.abs(fast[indices] - literal).max():.1e}), loop vs backprop "
        f"{relative_error(literal, exact[indices]):.2e}, numerical vs backprop "
        f"{relative_error(fast[indices], exact[indices]):.2e}"
    )


def report(args, network, x, times, loop, count, n_params) -> None:
    """Wall and CPU seconds of each method (medians over the repeats), and the ratios."""
    par, ser, bp = (np.median(times[k], axis=0) for k in ("parallel", "serial", "backprop"))
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"network 784-{args.hidden}-10 ({n_params:,} parameters, {2 * n_params:,} loss "
        f"evaluations), batch {args.batch} of {args.data} digits ({(x != 0).mean():.1%} pixels "
        f"not black), float64; median of {args.repeats}; OPENBLAS_NUM_THREADS={blas}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    how = "measured, whole loop" if count == n_params else f"from {count:,} parameters"
    print(f"  {'':38s} {'wall s':>10s} {'CPU s':>10s}  loop / this (wall, CPU)")
    for name, (wall, cpu) in (
        (f"numerical-loop ({how})", loop),
        (f"numerical ({WORKERS} threads)", par),
        ("numerical (1 thread)", ser),
        ("backprop", bp),
    ):
        print(
            f"  {name:38s} {wall:10.4f} {cpu:10.4f}  {loop[0] / wall:9,.0f}x {loop[1] / cpu:9,.0f}x"
        )
    steps = -(-60000 // args.batch)  # as train() counts them
    print(
        f"  one epoch of full MNIST ({steps} steps, wall): numerical-loop "
        f"{steps * loop[0] / 86400:.1f} days, numerical {steps * par[0] / 60:.1f} min, "
        f"backprop {steps * bp[0]:.1f} s"
    )


if __name__ == "__main__":
    main()
