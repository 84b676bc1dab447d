"""Training speed: vizff's numpy trainer against PyTorch on the CPU, side by side.

    python benchmarks/training.py [--data ../shared/data/mnist] [--epochs 3]

Same architecture (784-128-10, sigmoid), batch 64, plain SGD at the same learning rate,
float32, mean cross-entropy, a fresh shuffle each epoch and one test evaluation at each
epoch's end on both sides. The sides alternate epoch by epoch. Also: time to 90% test
accuracy (evaluating every 100 steps, evaluations included, both sides). PyTorch is optional:
`pip install torch==2.13.0` (the CPU build); without it that side is skipped with a message.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from vizff.data import as_inputs, load_digits
from vizff.train import TrainConfig, train

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
HIDDEN, BATCH, LR = 128, 64, 1.0


def vizff_epochs(digits, epochs: int, eval_every: int = 0):
    """Yield (seconds for that stretch, test accuracy) at each evaluation of one vizff run."""
    config = TrainConfig(
        hidden=(HIDDEN,), batch_size=BATCH, lr=LR, epochs=epochs, eval_every=eval_every
    )
    start = time.perf_counter()
    for snap in train(digits, config):
        if snap.test_accuracy is not None:
            yield time.perf_counter() - start, snap.test_accuracy, snap.step
            start = time.perf_counter()


def torch_epochs(digits, epochs: int, eval_every: int = 0):
    """The same run in PyTorch: yields (seconds, test accuracy, step) like vizff_epochs."""
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.from_numpy(as_inputs(digits.train_images))
    y = torch.from_numpy(digits.train_labels.astype(np.int64))
    x_test = torch.from_numpy(as_inputs(digits.test_images))
    y_test = torch.from_numpy(digits.test_labels.astype(np.int64))
    model = torch.nn.Sequential(
        torch.nn.Linear(784, HIDDEN), torch.nn.Sigmoid(), torch.nn.Linear(HIDDEN, 10)
    )
    optimiser = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()

    def accuracy() -> float:
        with torch.no_grad():
            return float((model(x_test).argmax(1) == y_test).float().mean())

    step, start = 0, time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for first in range(0, len(x), BATCH):
            batch = order[first : first + BATCH]
            optimiser.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimiser.step()
            step += 1
            last = first + BATCH >= len(x)
            if last or (eval_every and step % eval_every == 0):
                yield time.perf_counter() - start, accuracy(), step
                start = time.perf_counter()


def time_to(target: float, run) -> tuple[float, int]:
    total = 0.0
    for seconds, accuracy, step in run:
        total += seconds
        if accuracy >= target:
            return total, step
    return float("nan"), -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    digits = load_digits(args.data)
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch is not installed: `pip install torch==2.13.0` for the comparison")
    ours = vizff_epochs(digits, args.epochs)
    theirs = torch_epochs(digits, args.epochs) if have_torch else iter(())
    ours_s, theirs_s = [], []
    for epoch in range(1, args.epochs + 1):  # alternate: one epoch each
        seconds, accuracy, _ = next(ours)
        ours_s.append(seconds)
        line = f"epoch {epoch}: vizff {seconds:.2f} s (test {accuracy:.4f})"
        if have_torch:
            seconds, accuracy, _ = next(theirs)
            theirs_s.append(seconds)
            line += f"   torch {seconds:.2f} s (test {accuracy:.4f})"
        print(line, flush=True)
    ours_epoch = statistics.median(ours_s)
    print(f"seconds per epoch (median): vizff {ours_epoch:.2f}", end="")
    if have_torch:
        theirs_epoch = statistics.median(theirs_s)
        print(f", torch {theirs_epoch:.2f}, ratio vizff/torch {ours_epoch / theirs_epoch:.2f}")
    else:
        print()
    seconds, step = time_to(0.90, vizff_epochs(digits, 2, eval_every=100))
    line = f"time to 90% test accuracy: vizff {seconds:.2f} s (step {step})"
    if have_torch:
        t_seconds, t_step = time_to(0.90, torch_epochs(digits, 2, eval_every=100))
        line += f", torch {t_seconds:.2f} s (step {t_step})"
    print(line)


if __name__ == "__main__":
    main()
