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
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from vizff.errors import Cli, ConfigError, OptionError, VizffError

app = typer.Typer(
    help="Train the simplest numpy network on MNIST and render how it learns.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    help="Datasets: show what a source holds, download full MNIST.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
err = Console(stderr=True, highlight=False)
# typer >= 0.29 vendors click; take its exception base from typer itself, whichever it is
UsageProblem = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

# Options shared by `train` and `render`, as aliases (declared once).
DataOpt = Annotated[
    str,
    typer.Option(
        "--data",
        help="sample (embedded, default) | mnist (download cache) | a directory of IDX files",
    ),
]
HiddenOpt = Annotated[
    Optional[str],
    typer.Option("--hidden", help="hidden layer sizes, comma-separated: 128 or 128,64"),
]
ActivationOpt = Annotated[Optional[str], typer.Option("--activation", help="sigmoid | tanh | relu")]
LrOpt = Annotated[
    Optional[float],
    typer.Option("--lr", help="learning rate (default: 1.0 sigmoid, 0.5 tanh, 0.2 relu)"),
]
BatchOpt = Annotated[Optional[int], typer.Option("--batch-size", help="examples per step")]
EpochsOpt = Annotated[Optional[int], typer.Option("--epochs", help="passes over the train split")]
StepsOpt = Annotated[
    Optional[int], typer.Option("--steps", help="gradient steps (not with --epochs)")
]
MethodOpt = Annotated[
    Optional[str],
    typer.Option("--method", help="backprop | numerical (the lesson's central differences: slow)"),
]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="seed of every random draw")]
DtypeOpt = Annotated[Optional[str], typer.Option("--dtype", help="float32 | float64")]


def progress_bar(*, bytes_: bool = False) -> Progress:
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn() if bytes_ else MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


@app.command()
def train(
    data: DataOpt = "sample",
    hidden: HiddenOpt = None,
    activation: ActivationOpt = None,
    lr: LrOpt = None,
    batch_size: BatchOpt = None,
    epochs: EpochsOpt = None,
    steps: StepsOpt = None,
    method: MethodOpt = None,
    seed: SeedOpt = None,
    dtype: DtypeOpt = None,
    save: Annotated[Optional[Path], typer.Option("--save", help="write the weights (.npz)")] = None,
) -> None:
    """Train the network and print the test accuracy."""
    from vizff.data import load_digits
    from vizff.recipes import parse_hidden
    from vizff.train import TrainConfig
    from vizff.train import train as run

    if epochs is not None and steps is not None:
        raise ConfigError("--epochs and --steps: give one or the other, not both")
    given = dict(
        activation=activation,
        lr=lr,
        batch_size=batch_size,
        epochs=epochs,
        steps=steps,
        method=method,
        seed=seed,
        dtype=dtype,
        hidden=None if hidden is None else parse_hidden(hidden),
    )
    config = TrainConfig(**{key: value for key, value in given.items() if value is not None})
    digits = load_digits(data)
    total = config.total_steps(len(digits.train_labels))
    if config.method == "numerical":
        warn_numerical(config, digits.train_images[0].size, total)
    start, last = time.perf_counter(), None
    with progress_bar() as bar:
        task = bar.add_task("training", total=total)
        for snap in run(digits, config):
            bar.advance(task)
            if snap.epoch_end or snap.step == total:
                print(
                    f"epoch {snap.epoch}  step {snap.step}/{total}  batch loss {snap.loss:.4f}"
                    f"  test loss {snap.test_loss:.4f}  test accuracy {snap.test_accuracy:.4f}"
                )
            last = snap
    if save is not None:
        save_network(last.network, save)
    err.print(
        f"{total} steps in {time.perf_counter() - start:.1f} s on {digits.source} "
        f"({len(digits.train_labels)} train / {len(digits.test_labels)} test)"
    )
    print(f"test accuracy {last.test_accuracy:.4f}")


def warn_numerical(config, inputs: int, steps: int) -> None:
    """Say up front what the lesson's numerical gradient will cost."""
    sizes = (inputs, *config.hidden, 10)
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    err.print(
        f"warning: --method numerical costs {2 * n_params:,} loss evaluations "
        f"(two per parameter) for every one of the {steps:,} steps",
        soft_wrap=True,
    )


def save_network(network, path: Path) -> None:
    """Weights and biases as `W0, b0, W1, b1, ...` in an .npz, written atomically."""
    from vizff.files import atomic_path

    arrays = {}
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"W{i}"], arrays[f"b{i}"] = w, b
    with atomic_path(path, option="--save") as temp:
        with open(temp, "wb") as handle:
            np.savez(handle, activation=np.array(network.activation), **arrays)


@app.command("render")
def render_command(
    targets: Annotated[
        Optional[list[str]],
        typer.Argument(help="scene names or scene files (.toml)", show_default=False),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="render every scene file in --scenes-dir")
    ] = False,
    scenes_dir: Annotated[Path, typer.Option("--scenes-dir", help="where --all looks")] = Path(
        "scenes"
    ),
    out_dir: Annotated[Path, typer.Option("--out-dir", help="where outputs go by default")] = Path(
        "outputs"
    ),
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            help="output file (.gif .mp4 .webp .png) "
            "or a folder for numbered PNGs; default <out-dir>/<scene>.gif",
        ),
    ] = None,
    fps: Annotated[
        Optional[float], typer.Option("--fps", help="frames per second (default 20)")
    ] = None,
    size: Annotated[
        Optional[str], typer.Option("--size", help="WIDTHxHEIGHT (default 640x360)")
    ] = None,
    hold: Annotated[
        Optional[float], typer.Option("--hold", help="seconds on the last frame")
    ] = None,
    frame: Annotated[
        Optional[int], typer.Option("--frame", help="for .png: which frame (0-based, -1 the last)")
    ] = None,
    seed: SeedOpt = None,
    data: Annotated[
        Optional[str], typer.Option("--data", help="sample | mnist | a directory of IDX files")
    ] = None,
    hidden: HiddenOpt = None,
    activation: ActivationOpt = None,
    lr: LrOpt = None,
    batch_size: BatchOpt = None,
    method: MethodOpt = None,
    dtype: DtypeOpt = None,
    epochs: EpochsOpt = None,
    steps: Annotated[
        Optional[int], typer.Option("--steps", help="training scenes: gradient steps")
    ] = None,
    every: Annotated[
        Optional[int], typer.Option("--every", help="training scenes: one frame per K steps")
    ] = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", help="a scene's own option, KEY=VALUE (TOML value), repeatable"),
    ] = None,
) -> None:
    """Render scenes to GIF, MP4, WebP or PNG."""
    from vizff.recipes import load_recipe
    from vizff.render import prepare

    targets = list(targets or [])
    if all_:
        files = sorted(scenes_dir.glob("*.toml"))
        if not files:
            raise ConfigError(f"--scenes-dir {scenes_dir}: no scene files (*.toml) there")
        targets += [str(f) for f in files]
    if not targets:
        raise ConfigError("render: name a scene (see `vizff scenes`), a scene file, or --all")
    if out is not None and len(targets) > 1:
        raise ConfigError("--out: only with a single scene; use --out-dir for several")
    given = dict(
        out=out,
        fps=fps,
        size=size,
        hold=hold,
        frame=frame,
        seed=seed,
        data=data,
        activation=activation,
        lr=lr,
        batch_size=batch_size,
        method=method,
        dtype=dtype,
        epochs=epochs,
        steps=steps,
        every=every,
        hidden=hidden,
    )
    overrides = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in given.items() if v is not None
    }
    overrides.update(parse_sets(set_ or []))
    # every recipe, scene and writer is checked before the first frame is drawn
    jobs = [prepare(load_recipe(t, overrides, out_dir=out_dir), out_dir=out_dir) for t in targets]
    for job in jobs:
        config = getattr(job.scene, "config", None)
        if config is not None and config.method == "numerical":
            job.scene.load()
            warn_numerical(config, job.scene.digits.train_images[0].size, job.scene.steps)
        with progress_bar() as bar:
            task = bar.add_task(job.name, total=job.total)
            result = job.run(progress=lambda done, _, task=task: bar.update(task, completed=done))
        for note in result.notes:
            err.print(f"note: {note}", markup=False, soft_wrap=True)
        print(
            f"{result.path}  {result.frames} frames  {human_bytes(result.bytes)}  "
            f"{result.seconds:.1f} s"
        )


def parse_sets(items: list[str]) -> dict:
    """`--set rows=4 --set labels=true` -> {"rows": 4, "labels": True}, values read as TOML."""
    import tomllib

    values = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item}: write KEY=VALUE, e.g. --set rows=4")
        try:
            values[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            values[key.strip()] = raw  # a bare word is a string
    return values


def human_bytes(count: int) -> str:
    for unit in ("B", "KB", "MB"):
        if count < 1024 or unit == "MB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return ""


@app.command("scenes")
def scenes_command(
    name: Annotated[Optional[str], typer.Argument(help="a scene: list its own options")] = None,
) -> None:
    """List the built-in scenes, one line each; with a name, that scene's own options."""
    from vizff.scenes import SCENES

    if name is None:
        for scene_name, scene in SCENES.items():
            print(f"{scene_name:<9} {scene.summary}")
        return
    if name not in SCENES:
        raise ConfigError(f"{name}: not a scene; scenes: {', '.join(SCENES)}")
    print(f"{name}: {SCENES[name].summary}")
    for key, param in SCENES[name].PARAMS.items():
        print(f"  {f'{key} = {toml_literal(param.default)}':<22} {param.help}")


def toml_literal(value) -> str:
    """A default as a scene file would write it: true, "test", 0.5."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else repr(value)


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
    dir: Annotated[
        Optional[Path],
        typer.Option(
            "--dir",
            help="where to keep the files (default: the user cache, $VIZFF_CACHE_DIR or XDG)",
        ),
    ] = None,
    mirror: Annotated[
        Optional[list[str]],
        typer.Option(
            "--mirror",
            help="a base URL to try, repeatable (default: $VIZFF_MNIST_MIRRORS, "
            "else the public mirrors)",
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", help="seconds without data before a mirror is given up", min=0.1),
    ] = 30.0,
) -> None:
    """Download full MNIST once, verified by checksum, for `--data mnist`."""
    from vizff.download import MNIST_FILES, download_mnist

    with progress_bar(bytes_=True) as bar:
        tasks = {name: bar.add_task(name, total=size) for name, (_, size) in MNIST_FILES.items()}
        where = download_mnist(
            dir,
            mirrors=mirror,
            timeout=timeout,
            progress=lambda name, done, _: bar.update(tasks[name], completed=done),
        )
    print(f"MNIST is in {where}")


INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: errors become one line and an exit code, never a traceback."""
    # `kill` and a closing terminal clean up temporary files as Ctrl-C does
    for name in ("SIGTERM", "SIGHUP"):  # Windows has no SIGHUP
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _raise_interrupt)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="vizff", standalone_mode=False)
    except UsageProblem as exc:
        fail(f"error: {exc.format_message()}", exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        code = INTERRUPTED
    except VizffError as exc:
        if isinstance(exc, OptionError) and exc.source is None:
            exc.source = Cli()  # nobody said where it came from: the command line, so far
        fail(f"error: {exc}", exc.exit_code)
    if code == INTERRUPTED:  # typer turns Ctrl-C (and our SIGTERM) into exit code 130
        fail("error: interrupted; no output was changed", INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)


def fail(message: str, code: int) -> None:
    err.print(message, markup=False, soft_wrap=True)
    sys.exit(code)
