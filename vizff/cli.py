"""The typer app: commands only parse options, call the library, and report."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer
from rich.console import Console
from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeRemainingColumn)

from vizff.errors import ConfigError, VizffError

app = typer.Typer(
    help="Train the simplest numpy network on MNIST and render how it learns.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Datasets: show what a source holds, download full MNIST.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")
err = Console(stderr=True, highlight=False)
# typer >= 0.29 vendors click; take its exception base from typer itself, whichever it is
UsageProblem = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

# Options shared by `train` and `render`, as aliases (declared once).
DataOpt = Annotated[str, typer.Option(
    "--data", help="sample (embedded, default) | mnist (download cache) | a directory of IDX files")]
HiddenOpt = Annotated[Optional[str], typer.Option(
    "--hidden", help="hidden layer sizes, comma-separated: 128 or 128,64")]
ActivationOpt = Annotated[Optional[str], typer.Option(
    "--activation", help="sigmoid | tanh | relu")]
LrOpt = Annotated[Optional[float], typer.Option(
    "--lr", help="learning rate (default: 1.0 sigmoid, 0.5 tanh, 0.2 relu)")]
BatchOpt = Annotated[Optional[int], typer.Option("--batch-size", help="examples per step")]
EpochsOpt = Annotated[Optional[int], typer.Option("--epochs", help="passes over the train split")]
StepsOpt = Annotated[Optional[int], typer.Option("--steps", help="gradient steps (not with --epochs)")]
MethodOpt = Annotated[Optional[str], typer.Option(
    "--method", help="backprop | numerical (the lesson's central differences: slow)")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="seed of every random draw")]
DtypeOpt = Annotated[Optional[str], typer.Option("--dtype", help="float32 | float64")]


def parse_hidden(text: str) -> tuple[int, ...]:
    """`128,64` -> (128, 64), with an error that names --hidden."""
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"--hidden: {text!r} is not a comma-separated list of sizes, "
                          "e.g. 128 or 128,64") from None
    return sizes


def training_options(*, hidden: str | None, activation: str | None, lr: float | None,
                     batch_size: int | None, epochs: int | None, steps: int | None,
                     method: str | None, seed: int | None, dtype: str | None) -> dict:
    """The training options the user gave, as TrainConfig keywords (None means not given)."""
    if epochs is not None and steps is not None:
        raise ConfigError("--epochs and --steps: give one or the other, not both")
    given = dict(activation=activation, lr=lr, batch_size=batch_size, epochs=epochs,
                 steps=steps, method=method, seed=seed, dtype=dtype)
    if hidden is not None:
        given["hidden"] = parse_hidden(hidden)
    return {key: value for key, value in given.items() if value is not None}


def progress_bar(*, bytes_: bool = False) -> Progress:
    columns = [TextColumn("{task.description}"), BarColumn(),
               DownloadColumn() if bytes_ else MofNCompleteColumn(), TimeRemainingColumn()]
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


@app.command()
def train(
    data: DataOpt = "sample", hidden: HiddenOpt = None, activation: ActivationOpt = None,
    lr: LrOpt = None, batch_size: BatchOpt = None, epochs: EpochsOpt = None,
    steps: StepsOpt = None, method: MethodOpt = None, seed: SeedOpt = None,
    dtype: DtypeOpt = None,
    save: Annotated[Optional[Path], typer.Option("--save", help="write the weights (.npz)")] = None,
) -> None:
    """Train the network and print the test accuracy."""
    from vizff.data import load_digits
    from vizff.train import TrainConfig
    from vizff.train import train as run

    config = TrainConfig(**training_options(
        hidden=hidden, activation=activation, lr=lr, batch_size=batch_size, epochs=epochs,
        steps=steps, method=method, seed=seed, dtype=dtype))
    digits = load_digits(data)
    total = config.total_steps(len(digits.train_labels))
    if config.method == "numerical":
        sizes = (digits.train_images[0].size, *config.hidden, 10)
        n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        err.print(f"warning: --method numerical costs {2 * n_params:,} loss evaluations "
                  f"(two per parameter) for every one of the {total:,} steps")
    start, last = time.perf_counter(), None
    with progress_bar() as bar:
        task = bar.add_task("training", total=total)
        for snap in run(digits, config):
            bar.advance(task)
            if snap.epoch_end or snap.step == total:
                print(f"epoch {snap.epoch}  step {snap.step}/{total}  batch loss {snap.loss:.4f}"
                      f"  test loss {snap.test_loss:.4f}  test accuracy {snap.test_accuracy:.4f}")
            last = snap
    if save is not None:
        save_network(last.network, save)
    err.print(f"{total} steps in {time.perf_counter() - start:.1f} s on {digits.source} "
              f"({len(digits.train_labels)} train / {len(digits.test_labels)} test)")
    print(f"test accuracy {last.test_accuracy:.4f}")


def save_network(network, path: Path) -> None:
    """Weights and biases as `W0, b0, W1, b1, ...` in an .npz, written atomically."""
    from vizff.files import atomic_path

    arrays = {}
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"W{i}"], arrays[f"b{i}"] = w, b
    with atomic_path(path, option="--save") as temp:
        with open(temp, "wb") as handle:
            np.savez(handle, activation=np.array(network.activation), **arrays)


@data_app.command("info")
def data_info(data: DataOpt = "sample") -> None:
    """Source, path, counts, image size and class balance of a dataset."""
    from vizff.data import class_counts, load_digits

    digits = load_digits(data)
    rows, cols = digits.image_shape
    print(f"source  {digits.source}\npath    {digits.path}\nimages  {rows}x{cols}")
    for split, labels in (("train", digits.train_labels), ("test", digits.test_labels)):
        counts = " ".join(f"{d}:{c}" for d, c in enumerate(class_counts(labels)))
        print(f"{split:<7} {len(labels):>6}  {counts}")


@data_app.command("download")
def data_download(
    dir: Annotated[Optional[Path], typer.Option("--dir", help="where to keep the files "
                   "(default: the user cache, $VIZFF_CACHE_DIR or XDG)")] = None,
    mirror: Annotated[Optional[list[str]], typer.Option(
        "--mirror", help="a base URL to try, repeatable (default: $VIZFF_MNIST_MIRRORS, "
        "else the public mirrors)")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds without data before "
                       "a mirror is given up", min=0.1)] = 30.0,
) -> None:
    """Download full MNIST once, verified by checksum, for `--data mnist`."""
    from vizff.download import MNIST_FILES, download_mnist

    with progress_bar(bytes_=True) as bar:
        tasks = {name: bar.add_task(name, total=size) for name, (_, size) in MNIST_FILES.items()}
        where = download_mnist(dir, mirrors=mirror, timeout=timeout,
                               progress=lambda name, done, _: bar.update(tasks[name], completed=done))
    print(f"MNIST is in {where}")


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: VizffError and usage errors become one line and an exit code, not a traceback."""
    signal.signal(signal.SIGTERM, _raise_interrupt)  # clean up temporary files on `kill` too
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="vizff", standalone_mode=False)
    except UsageProblem as exc:
        err.print(f"error: {exc.format_message()}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("error: interrupted; nothing was overwritten", markup=False, soft_wrap=True)
        sys.exit(130)
    except VizffError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
