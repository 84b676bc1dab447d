"""The lesson's claim re-run: MNIST trained by its own numerical gradients, beside backprop.

    python benchmarks/numerical_training.py [--data ../shared/data/mnist] [--hidden 128]
                                            [--lr 1.0] [--batch 64] [--epochs 1]
                                            [--eval-every 50]

Two runs of `vizff.train` with the same seed and configuration (float32 weights, as the CLI
trains), one by `--method numerical` (the lesson's central differences, each loss evaluated
incrementally in float64) and one by back-propagation; the test split is evaluated every
`--eval-every` steps on both. Prints the wall time of each run, when each first reached 85%
test accuracy, the final accuracies and the largest gap between the two accuracy curves;
writes both curves to benchmarks/results/numerical_training.csv. The lesson: "3-4 days" to
80-90% by numerical gradients.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from vizff.data import load_digits
from vizff.train import TrainConfig, train

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.85


def curve(digits, config: TrainConfig) -> tuple[list[tuple[int, float, float]], object]:
    """(step, seconds since the start, test accuracy) at each evaluation, and the last network."""
    points, start, last = [], time.perf_counter(), None
    for snap in train(digits, config):
        if snap.test_accuracy is not None:
            points.append((snap.step, time.perf_counter() - start, snap.test_accuracy))
        last = snap
    return points, last.network


def first_at(points, target: float) -> str:
    hit = next(((step, s) for step, s, acc in points if acc >= target), None)
    return "never" if hit is None else f"step {hit[0]} at {hit[1]:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--eval-every", type=int, default=50)
    args = parser.parse_args()
    digits = load_digits(args.data)
    common = dict(
        hidden=(args.hidden,),
        lr=args.lr,
        batch_size=args.batch,
        epochs=args.epochs,
        eval_every=args.eval_every,
    )
    runs = {m: curve(digits, TrainConfig(method=m, **common)) for m in ("backprop", "numerical")}
    (bp, bp_net), (num, num_net) = runs["backprop"], runs["numerical"]
    print(
        f"784-{args.hidden}-10 sigmoid, lr {args.lr}, batch {args.batch}, {args.epochs} epoch(s),"
        f" seed 0, float32, test split every {args.eval_every} steps, {args.data}"
    )
    for name, points in (("numerical", num), ("backprop", bp)):
        print(
            f"  {name:9s} {points[-1][1]:7.1f} s for {points[-1][0]} steps; "
            f"{TARGET:.0%} first at {first_at(points, TARGET)}; final {points[-1][2]:.4f}"
        )
    gaps = [abs(a[2] - b[2]) for a, b in zip(num, bp)]
    worst = int(np.argmax(gaps))
    weights = [
        np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(num_net.weights, bp_net.weights)
    ]
    print(
        f"  curves    largest gap {gaps[worst]:.4f} (step {num[worst][0]}), mean gap "
        f"{np.mean(gaps):.4f} over {len(gaps)} evaluations; final weights differ by "
        + ", ".join(f"{w:.1e}" for w in weights)
        + " (relative, per layer)"
    )
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "numerical_training.csv", "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["step", "numerical_seconds", "numerical_accuracy", "backprop_accuracy"])
        out.writerows((a[0], f"{a[1]:.2f}", a[2], b[2]) for a, b in zip(num, bp))


if __name__ == "__main__":
    main()
