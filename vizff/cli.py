"""The typer app: commands only parse options, call the library, and report.

The flags of `render` and `train` are made from the option schema (`vizff.options`): one
declaration gives the flag, its help, its check and its place in `vizff scenes NAME`.
"""

from __future__ import annotations

import errno
import inspect
import math
import os
import re
import sys
import time
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Optional

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

from vizff import files, interrupts
from vizff.errors import (
    Cli,
    ConfigError,
    OptionError,
    VizffError,
    printable,
    shorten,
    some_of,
)
from vizff.files import home_path
from vizff.options import SHARED, Option, options_of, settle

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
PANELS = {
    "output": "Output",
    "look": "Look and language",
    "data": "Data",
    "seed": "Data",
    "training": "Training (every training scene)",
}


def schema_parameters(options: Iterable[Option]) -> list[inspect.Parameter]:
    """Typer parameters for schema options: every flag takes text, which the schema parses."""
    parameters = []
    for option in options:
        if option.kind == "bool":  # a flag: --poster, or --no-poster to undo a file's value
            flag = typer.Option(
                f"{option.flag}/--no-{option.flag[2:]}",
                help=option.help,
                rich_help_panel=PANELS.get(option.group, "Scene"),
                show_default=False,
            )
            parameters.append(
                inspect.Parameter(
                    option.key,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=Annotated[Optional[bool], flag],
                )
            )
            continue
        annotation = Annotated[
            Optional[str],
            typer.Option(
                option.flag,
                help=option.help,
                metavar=option.metavar or choices_metavar(option) or option.kind.upper(),
                rich_help_panel=PANELS.get(option.group, "Scene"),
                show_default=False,
            ),
        ]
        parameters.append(
            inspect.Parameter(
                option.key, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
            )
        )
    return parameters


def choices_metavar(option: Option) -> str:
    """`light|dark` for a word from a short list, so `--help` shows what to type."""
    spelled = "|".join(option.choices) if option.kind == "str" else ""
    return spelled if len(spelled) <= 18 else ""  # longer lists are in the help text


def with_schema(options: Iterable[Option]) -> Callable:
    """Give a command `**given` keyword parameters for `options`, after its own."""

    def decorate(function: Callable) -> Callable:
        hints = typing.get_type_hints(function, include_extras=True)  # the text annotations
        own = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in inspect.signature(function).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        parameters = own + schema_parameters(options)
        function.__signature__ = inspect.Signature(parameters)
        function.__annotations__ = {p.name: p.annotation for p in parameters}
        return function

    return decorate


def given_values(given: dict[str, Any]) -> dict[str, Any]:
    """The schema options the user typed (typer passes None for the rest)."""
    return {key: value for key, value in given.items() if value is not None}


def progress_bar(*, bytes_: bool = False) -> Progress:
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn() if bytes_ else MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


def note(message: str) -> None:
    err.print(f"note: {printable(message)}", markup=False, soft_wrap=True)


# ---- train ------------------------------------------------------------------------------------
class TrainCommand:
    """`vizff train` takes the data, seed and training options (not every or on_diverge)."""

    name = "train"
    always = ()
    takes = ("data", "seed", "training")
    excludes = ("every", "on_diverge", "classes")
    OPTIONS = ()
    DEFAULTS: dict[str, Any] = {}


@app.command()
@with_schema(options_of(TrainCommand).values())
def train(
    save: Annotated[Optional[Path], typer.Option("--save", help="write the weights (.npz)")] = None,
    **given: Any,
) -> None:
    """Train the network and print the test accuracy."""
    from vizff.data import load_digits, looks_wrong
    from vizff.render import batch_note, data_notes
    from vizff.train import TrainConfig, check_memory, check_splits, estimated_seconds
    from vizff.train import train as run

    settings = settle(TrainCommand, [(given_values(given), Cli())])
    if save is not None:
        save = home_path(save, "save")  # ~ as the shell reads it, checked before training
        check_save(save)
    if settings.given("epochs") and settings.given("steps"):
        raise OptionError("epochs", "give --epochs or --steps, not both", source=Cli())
    keys = ("hidden", "activation", "lr", "batch_size", "method", "seed", "dtype")
    config_values = {key: settings[key] for key in keys}
    for key in ("epochs", "steps"):
        if settings.given(key):
            config_values[key] = settings[key]
    with named_cli(settings):
        config = TrainConfig(**config_values)
    digits = load_digits(settings.data)
    for message in data_notes(settings):
        note(message)
    check_splits(digits)
    with named_cli(settings):
        check_memory(digits, config)
    for message in looks_wrong(digits):  # a run that will go: what it will show is said
        note(message)
    for message in batch_note(len(digits.train_labels), config.batch_size, settings):
        note(message)
    total = config.total_steps(len(digits.train_labels))
    warn_if_long(
        estimated_seconds(
            config,
            len(digits.train_labels),
            digits.train_images[0].size,
            len(digits.test_labels),
            images=digits.train_images[: config.batch_size],
        ),
        config,
    )
    start, last = time.perf_counter(), None
    with progress_bar() as bar:
        task = bar.add_task("training", total=total)
        for snap in run(digits, config):
            if snap.step:
                bar.advance(task)
            if snap.step and (snap.epoch_end or snap.step == total):
                print(
                    f"epoch {snap.epoch}  step {snap.step}/{total}  batch loss {snap.loss:.4f}"
                    f"  test loss {snap.test_loss:.4f}  test accuracy {snap.test_accuracy:.4f}"
                )
            last = snap
    if save is not None:
        save_network(last.network, save)
        err.print(f"saved the weights to {save}", markup=False, soft_wrap=True)
    where = digits.path if digits.source == "directory" else digits.source
    err.print(
        f"{total} step{'' if total == 1 else 's'} in {time.perf_counter() - start:.1f} s on "
        f"{where} ({len(digits.train_labels)} train / {len(digits.test_labels)} test)",
        markup=False,
        soft_wrap=True,
    )
    print(f"test accuracy {last.test_accuracy:.4f}")


def named_cli(settings):
    from vizff.render import named

    return named(settings)


def warn_if_long(seconds: float | None, config, what: str = "training", where: str = "") -> None:
    """Say up front what a long run will cost, from a short measured probe. `what`: the
    work it measures (a scene's `estimated_work`); `where`: the storyboard part it is for."""
    if seconds is None:
        return
    say = (lambda text: note(f"{where}: {text}")) if where else note
    if config.method != "backprop" or seconds > 60:
        minutes = seconds / 60
        shown = f"{seconds:.0f} s" if seconds < 120 else f"{minutes:.0f} min"
        if seconds < 1:
            shown = "under a second"  # not "about 0 s"
        if seconds > 2 * 86400:
            shown = f"{seconds / 86400:.1f} days"
        elif seconds > 3 * 3600:
            shown = f"{seconds / 3600:.1f} h"
        if config.method == "backprop":
            say(f"estimated {shown} of {what} (measured on a few steps)")
        else:
            named = f'method = "{config.method}"' if where else f"--method {config.method}"
            say(
                f"{named} costs two loss evaluations per parameter at every "
                f"step: {'' if seconds < 1 else 'about '}{shown} of {what} here (measured on "
                "a short probe)"
            )


# x264 encodes copies of one frame at about this many pixels a second on two cores (a 60 s
# hold at 60 fps and 1920x1080: 3,600 copies in 55 s; benchmarks/README.md)
HELD_PIXELS_PER_SECOND = 135e6


def warn_if_long_hold(writer, size: tuple[int, int]) -> None:
    """An MP4 holds its last frame as copies, each encoded (a GIF or WebP shows one frame as
    long as asked): say so when that takes more than a few seconds."""
    from vizff.writers import Mp4Writer

    if not isinstance(writer, Mp4Writer):
        return
    copies = round(writer.hold * writer.fps)
    seconds = copies * size[0] * size[1] / HELD_PIXELS_PER_SECOND
    if seconds > 10:
        shown = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
        note(
            f"a {writer.hold:g} s hold at {writer.fps:g} fps is {copies:,} copies of the last "
            f"frame for x264 to encode (an MP4 shows no frame longer than the rest): about "
            f"{shown} more; a lower fps or hold, or a GIF or WebP, holds it for free"
        )


def check_save(path: Path) -> None:
    """Refuse, before any training, a --save that would replace something other than weights
    vizff saved, or that cannot be written: a script named by mistake, a folder, a device."""
    import zipfile

    def refuse(problem: str) -> None:
        raise OptionError("save", problem, value=str(path), source=Cli())

    if path.is_dir():
        refuse(f"is a folder; name a file in it, e.g. {path / 'weights.npz'}")
    if path.suffix.lower() != ".npz":
        refuse("the weights are saved as .npz (numpy's format); name the file e.g. weights.npz")
    if os.path.lexists(path):
        if not path.is_file():
            refuse("is not a regular file (a device, pipe or broken link); name a new file")
        try:
            with zipfile.ZipFile(path) as saved:
                ours = {"activation.npy", "W0.npy", "b0.npy"} <= set(saved.namelist())
        except (OSError, zipfile.BadZipFile, ValueError):
            ours = False
        if not ours:
            refuse("exists and holds no weights vizff saved; name a new file, or remove it first")
    folder = path.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent  # the first that exists: the rest will be made
    if not folder.is_dir():
        refuse(f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        refuse(f"cannot write in {folder} ({unwritable(folder)})")


def unwritable(folder: Path) -> str:
    """Why a folder os.access says cannot be written: a read-only mount, or its permissions
    (renders say "Read-only file system" for the first, as the system does)."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "Read-only file system"
    except (OSError, AttributeError):  # no statvfs (Windows): the permissions, then
        pass
    return "permission denied"


def save_network(network, path: Path) -> None:
    """Weights and biases as `W0, b0, W1, b1, ...` in an .npz, written atomically."""
    from vizff.files import atomic_path

    arrays = {}
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"W{i}"], arrays[f"b{i}"] = w, b
    with atomic_path(path, option="--save") as temp:
        with open(temp, "wb") as handle:
            np.savez(handle, activation=np.array(network.activation), **arrays)


# ---- render -----------------------------------------------------------------------------------
@app.command("render")
@with_schema(SHARED)
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
    out_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--out-dir",
            help="where outputs go (default: outputs); a relative --out is inside it",
        ),
    ] = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", help="a scene's own option, KEY=VALUE (TOML value), repeatable"),
    ] = None,
    embed: Annotated[
        Optional[str],
        typer.Option(
            "--embed",
            help="print the snippet to paste in a blog post: md or html",
            metavar="md|html",
            rich_help_panel="Output",
        ),
    ] = None,
    jobs: Annotated[
        Optional[str],  # read here: click's words for `--jobs 1.5` were pydantic's
        typer.Option(
            "--jobs",
            help="worker processes for a storyboard's parts and for --all (default: the cores)",
            metavar="INT",
        ),
    ] = None,
    **given: Any,
) -> None:
    """Render scenes and storyboards to GIF, MP4, WebP or PNG."""
    from vizff.recipes import Recipe, load_target
    from vizff.render import check_poster, prepare

    embed = check_embed(embed)
    jobs = check_jobs(jobs)
    out_dir_given = out_dir is not None
    out_dir = Path("outputs") if out_dir is None else out_dir
    out_dir, scenes_dir = home_path(out_dir, "out_dir"), home_path(scenes_dir, "scenes_dir")
    if str(out_dir).strip() == "-":  # standard output's usual name, not a folder to make
        raise OptionError(
            "out_dir",
            "vizff writes files, not to standard output; name a folder",
            value="-",
            source=Cli(),
        )
    if out_dir_given and (os.path.lexists(out_dir) and not out_dir.is_dir()):
        dangling = os.path.islink(out_dir) and not out_dir.exists()
        problem = (  # was blamed on out='keep.gif/sigmoid.gif', which nobody wrote
            "is a link to a folder that does not exist; make that folder or name another"
            if dangling
            else "is a file; name a folder to write into"
        )
        raise OptionError("out_dir", problem, value=str(out_dir), source=Cli())
    if out_dir_given and (problem := files.parent_problem(out_dir)):
        raise OptionError("out_dir", problem, value=str(out_dir), source=Cli())

    targets = list(targets or [])
    if all_ and targets:
        raise ConfigError(
            f"render {' '.join(targets)} --all: name scenes or give --all (every file in "
            "--scenes-dir), not both"
        )
    if all_:
        if not scenes_dir.is_dir():
            problem = (
                f"is a file; give the folder that holds it, or render it: vizff render {scenes_dir}"
                if scenes_dir.exists()
                else "no such folder; run --all where it is, or name one: --scenes-dir FOLDER"
            )
            raise ConfigError(f"--scenes-dir {scenes_dir}: {problem}")
        found = sorted(scenes_dir.glob("*.toml"))
        if not found:
            raise ConfigError(f"--scenes-dir {scenes_dir}: no scene files (*.toml) there")
        targets += [str(f) for f in found]
    if not targets:
        raise ConfigError("render: name a scene (see `vizff scenes`), a scene file, or --all")
    sets = parse_sets(set_ or [])
    Cli.typed_sets = {item.partition("=")[0].strip(): item.partition("=")[2] for item in set_ or []}
    flags = given_values(given)
    for key in sets.keys() & flags.keys():  # one value each: not one silently over the other
        flag = "--" + key.replace("_", "-")
        raise ConfigError(f"{flag} and --set {key}=...: the same option twice; give one of them")
    values = {**flags, **sets}
    if "out" in values and len(targets) > 1:
        named = ", ".join(shorten(t, 60) for t in targets[:4]) + (", …" if len(targets) > 4 else "")
        raise ConfigError(
            f"--out: only with a single scene, not {len(targets)} ({named}); "
            "use --out-dir for several"
        )
    if "out" in values and out_dir_given and isinstance(values["out"], str):
        # both given: the file inside the folder, as a scene file's `out` is (--out-dir was
        # ignored without a word); a full path leaves the folder nothing to say
        if Path(values["out"]).expanduser().is_absolute():
            raise ConfigError(
                f"--out {values['out']} and --out-dir {out_dir}: --out is a full path, so "
                "--out-dir has nothing to add; give one of them"
            )
        values["out"] = str(out_dir / values["out"])
    several = len(targets) > 1
    if jobs != 1 and (several or storyboard_file(targets[0])):
        from vizff.parallel import prestart

        prestart()  # the workers' server imports vizff while the targets are checked here
    loaded = [load_target(t, values, out_dir=out_dir, lenient=several) for t in targets]
    recipes = [item for item in loaded if isinstance(item, Recipe)]
    boards = [item for item in loaded if not isinstance(item, Recipe)]
    lenient = Cli() if several else None
    if lenient:
        check_taken_by_any(recipes, boards, values)
    if embed is not None and boards:
        raise ConfigError(
            "--embed: prints the snippet for scene renders; a storyboard rendered into a "
            "folder has its page there (index.html), and one rendered into a file is shown "
            "by `vizff page` on its folder"
        )
    # every recipe, scene, storyboard part and writer is checked before the first frame
    prepared = [prepare(r, out_dir=out_dir, lenient=lenient) for r in recipes]
    check_distinct_outputs(
        [(str(r.name or r.scene), job.writer.path) for r, job in zip(recipes, prepared)]
        + [(board.path.name, board.out) for board in boards]
    )
    if embed is not None and any(job.writer.folder for job in prepared):
        raise ConfigError("--embed: a folder of PNG frames is not one file to embed; name a file")
    for job in prepared:  # the <video> snippet names a poster: --embed writes one for an MP4
        if job.settings.given("poster") and not job.settings.poster:
            continue  # --no-poster: a snippet without one
        if embed is not None and job.writer.path.suffix.lower() == ".mp4":
            try:
                check_poster(job.writer.path)
            except OptionError as error:
                raise ConfigError(
                    f"--embed: the <video> snippet names a poster: {error.problem}"
                ) from None
            job.settings = replace(job.settings, values={**job.settings.values, "poster": True})
    if not boards and (len(prepared) == 1 or jobs == 1 or embed is not None):
        for job in prepared:
            # with --embed the snippet is what standard output is for (`>> post.md`): what
            # was written is said on standard error, with the notes
            result = render_job(job, said=sys.stderr if embed is not None else sys.stdout)
            if embed is not None:
                # HTML and Markdown both read &#931; as the character: a console that cannot
                # write it still gets a snippet that pastes right
                poster = not (job.settings.given("poster") and not job.settings.poster)
                snippet = embed_snippet(result, embed, poster=poster)
                if STDOUT_CLOSED:  # the snippet was what was asked for: it must not vanish
                    raise OSError(errno.EBADF, "it is closed")
                print(escaped(snippet, sys.stdout.encoding, "xmlcharrefreplace"))
        return
    render_batch(recipes, prepared, boards, out_dir, lenient, jobs)


def check_distinct_outputs(outputs: list[tuple[str, Path]]) -> None:
    """Two renders of one command writing the same file: the second would replace the first."""
    seen: dict[Path, str] = {}
    for name, path in outputs:
        key = Path(os.path.abspath(path))
        if key in seen:
            raise ConfigError(
                f"{seen[key]} and {name} both write {path}; give one of them another `out`"
            )
        seen[key] = name


def render_job(job, said=None):
    config = getattr(job.scene, "config", None)
    if config is not None:
        job.scene.load()
        warn_if_long(job.scene.estimate_seconds(), config, job.scene.estimated_work)
    warn_if_long_hold(job.writer, job.settings.size)
    folder = job.writer.path.parent
    made = not folder.exists() and not job.settings.given("out")
    with progress_bar() as bar:
        task = bar.add_task(job.name, total=job.total)
        result = job.run(progress=lambda done, total: bar.update(task, completed=done, total=total))
    for message in result.notes:
        note(message)
    if made:
        note(f"made the folder {folder} for it (--out or --out-dir names another place)")
    print(written_line(result), file=said or sys.stdout)
    if result.poster is not None:
        print(f"{printable(str(result.poster))}  poster", file=said or sys.stdout)
    return result


def value_taken(command, typed: list[str], named: str) -> str:
    """`; --fps took --frame as its value: give --fps one`, where the option before the one
    refused took the next flag as its value (`--fps --frame -1` said only "No such option:
    -1"), else ``."""
    at = typed.index(named) if named in typed else 0
    if at < 3:  # the command, the option, the flag it took, then the one refused
        return ""
    flag, taken = typed[at - 2], typed[at - 1]
    params = getattr(getattr(command, "commands", {}).get(typed[0]), "params", ())
    wants = any(flag in getattr(p, "opts", ()) and not getattr(p, "is_flag", True) for p in params)
    if not wants or not taken.startswith("-"):
        return ""
    return f"; {flag} took {taken} as its value: give {flag} one, e.g. {flag} VALUE {taken}"


def flag_taken(command, typed: list[str]) -> str:
    """`--out-dir took --steps as its value: ...`, where an option that takes a value was given
    one of the command's own flags as it (`--out-dir --steps 5` rendered into a folder named
    --steps, or read "scene 5: not a scene"), else ``. Flags are matched in any case
    (`--Steps`); `--out-dir=--steps` is taken as written."""
    at = 0
    while at < len(typed) and typed[at] in getattr(command, "commands", {}):
        command, at = command.commands[typed[at]], at + 1
    options = [p for p in getattr(command, "params", ()) if p.param_type_name == "option"]
    known = {o.lower() for p in options for o in (*p.opts, *p.secondary_opts)} | {"--help"}
    takes = {o for p in options if not p.is_flag and not p.count for o in p.opts}
    while at < len(typed) - 1 and typed[at] != "--":
        flag, taken = typed[at], typed[at + 1]
        if flag in takes and taken.split("=", 1)[0].lower() in known:
            return (
                f"{flag} took {taken} as its value: give {flag} one, e.g. {flag} VALUE {taken} "
                f"(or write {flag}={taken} for that very value)"
            )
        at += 2 if flag in takes else 1
    return ""


def check_jobs(text: str | None) -> int | None:
    """--jobs as a whole number of worker processes, 1 to 256 (`1.5`, `nan`, `-` refused in
    the words every other flag uses)."""
    if text is None:
        return None
    try:
        jobs = int(text.strip())
    except ValueError:
        jobs = None
    if jobs is None:
        raise OptionError("jobs", "expected a whole number, 1 to 256", value=text, source=Cli())
    if not 1 <= jobs <= 256:
        raise OptionError("jobs", "give 1 to 256 worker processes", value=text, source=Cli())
    return jobs


def written_line(result) -> str:
    """`out.gif  121 frames, 7.6 s  1.2 MB  (rendered in 3.4 s)`: what was written, its name
    on one line; the time it plays, then the time it took (one "3.4 s" read as either)."""
    size = human_bytes(result.bytes)
    return (
        f"{printable(str(result.path))}  {result.made}  {size}  "
        f"(rendered in {result.seconds:.1f} s)"
    )


def check_embed(style: str | None) -> str | None:
    """The snippet style as the choices spell it (`MD`, `Html` are md and html, as `--lang
    ZH` is zh); another is refused."""
    from vizff.embed import STYLES

    if style is None:
        return None
    if style.strip().lower() not in STYLES:
        raise OptionError("embed", "choose md or html", value=style, source=Cli())
    return style.strip().lower()


def embed_snippet(result, style: str, *, poster: bool = True) -> str:
    """The snippet for the file just written, its path relative to the working directory;
    an MP4's without its poster where --no-poster said so (an older one may lie beside it)."""
    from vizff.embed import media, snippet

    item = media(result.path, result.title)
    return snippet(item if poster else replace(item, poster=None), style, Path.cwd())


@app.command("page")
def page_command(
    folder: Annotated[
        Path, typer.Argument(help="a folder of renders (default: outputs)", show_default=False)
    ] = Path("outputs"),
) -> None:
    """Write FOLDER/index.html: every render in it by its title, with size and embed snippets."""
    from vizff.embed import write_page

    path, count, skipped = write_page(folder)
    for file, why in skipped:
        note(f"skipped {file}: {why}")
    print(f"{printable(str(path))}  {count} render{'' if count == 1 else 's'}")


def storyboard_file(target: str) -> bool:
    from vizff.recipes import read_toml, toml_name

    try:
        return toml_name(target) and "part" in read_toml(Path(target))
    except ConfigError:
        return False  # said again, in full, when the target is loaded


def check_taken_by_any(recipes, boards, values: dict[str, Any]) -> None:
    """With several targets, each option given must be taken by one of them at least."""
    from vizff.recipes import check_taken
    from vizff.scenes import SCENES

    taken = {key for b in boards for p in b.parts for key in options_of(SCENES[p.scene])}
    check_taken(recipes, {k: v for k, v in values.items() if k not in taken}, Cli())


def render_batch(recipes, prepared, boards, out_dir: Path, lenient, jobs: int | None) -> None:
    """Scene files and storyboards rendered by one pool of worker processes, with one
    progress display naming what is in progress."""
    from vizff.parallel import cores
    from vizff.storyboard import Batch, RecipeTask, plan

    plans = [plan(board, estimate=True) for board in boards]  # all checked before any work
    batch = Batch()
    for recipe, job in zip(recipes, prepared):
        config = getattr(job.scene, "config", None)
        if config is not None:
            job.scene.load()
            warn_if_long(job.scene.estimate_seconds(), config, job.scene.estimated_work)
        warn_if_long_hold(job.writer, job.settings.size)
        batch.add(RecipeTask(recipe, out_dir, lenient, job.total, job.name))
    for board in plans:
        for seconds, config, what, where in board.estimates:
            warn_if_long(seconds, config, what, where)
        batch.add(board)
    results = []
    with progress_bar() as bar:
        task = bar.add_task("", total=batch.total)

        def progress(done: int, what: str) -> None:
            bar.update(task, completed=done, description=what)

        for result in batch.run(jobs or cores(), progress):
            results.append(result)
            files.WRITTEN[str(result.path)] = None  # in place: an interrupt now says so
    for result in results:
        for message in result.notes:
            note(message)
        print(written_line(result))


def parse_sets(items: list[str]) -> dict:
    """`--set rows=4 --set labels=true` -> {"rows": 4, "labels": True}, values read as TOML."""
    import tomllib

    values, written = {}, {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item}: write KEY=VALUE, e.g. --set rows=4")
        if key.strip() in written and written[key.strip()] != item:  # one would silently win
            raise ConfigError(
                f"--set {shorten(written[key.strip()], 40)} and --set {shorten(item, 40)}: the "
                "same option twice; give one of them"
            )
        written[key.strip()] = item
        try:
            values[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except (tomllib.TOMLDecodeError, RecursionError):
            values[key.strip()] = raw  # a bare word is a string
        except ValueError:  # a whole number of more digits than Python reads
            raise ConfigError(
                f"--set {shorten(item, 40)}: a whole number of over "
                f"{sys.get_int_max_str_digits():,} digits, more than can be read; give a "
                "smaller one"
            ) from None
    return values


def human_bytes(count: int) -> str:
    """`146.8 KB`, `2.3 MB`: decimal units, as `--max-bytes 2MB` and the notes read them
    (this line used 1,024-byte units under the same names: the same file was 24.7 KB here
    and 25.3 KB in a notebook)."""
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} KB"
    return f"{count / 1_000_000:.1f} MB"


@app.command("scenes")
def scenes_command(
    name: Annotated[Optional[str], typer.Argument(help="a scene: list its options")] = None,
) -> None:
    """List the built-in scenes, one line each; with a name, that scene's options."""
    from vizff.options import listing
    from vizff.recipes import scene_class
    from vizff.scenes import SCENES

    if name is None:
        for scene_name, scene in SCENES.items():
            print(f"{scene_name:<12} {scene.summary}")
        return
    cls = scene_class(name, Cli())
    print(f"{name}: {cls.summary}")
    for line in listing(cls):
        print(line)


@data_app.command("info")
def data_info(
    data: Annotated[
        str,
        typer.Option(
            "--data", help="sample (embedded, default) | mnist (download cache) | a directory"
        ),
    ] = "sample",
) -> None:
    """Source, path, counts, image size and class balance of a dataset."""
    from vizff.data import class_counts, load_digits, looks_wrong
    from vizff.files import also_named_note, folder_also_named

    digits = load_digits(data)
    if (folder := folder_also_named(data)) is not None:
        note(also_named_note(Cli().name("data", data), data, folder))
    rows, cols = digits.image_shape
    print(f"source  {digits.source}\npath    {digits.path}\nimages  {rows}x{cols}")
    for split, labels in (("train", digits.train_labels), ("test", digits.test_labels)):
        counts = " ".join(f"{d}:{c}" for d, c in enumerate(class_counts(labels)))
        print(f"{split:<7} {len(labels):>6}  {counts}")
    empty = [s for s, labels in (("train", digits.train_labels), ("test", digits.test_labels))
             if len(labels) == 0]  # fmt: skip
    if empty:  # read fine, but `train` and the training scenes refuse it: said here first
        note(
            f"the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} empty: "
            "training (and every scene that trains) needs at least one image in each"
        )
    for message in looks_wrong(digits):
        note(message)


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
            help="a base URL or a folder to try, repeatable (default: $VIZFF_MNIST_MIRRORS, "
            "else the public mirrors)",
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", help="seconds without data before a mirror is given up"),
    ] = 30.0,
) -> None:
    """Download full MNIST once, verified by checksum, for `--data mnist`."""
    from vizff.download import MNIST_FILES, download_mnist

    if not (math.isfinite(timeout) and 0.1 <= timeout <= 3600):
        raise OptionError("timeout", "give 0.1 to 3600 seconds", value=f"{timeout:g}", source=Cli())
    if dir is not None:
        dir = home_path(dir, "dir")
    with progress_bar(bytes_=True) as bar:
        tasks = {name: bar.add_task(name, total=size) for name, (_, size) in MNIST_FILES.items()}
        where = download_mnist(
            dir,
            mirrors=mirror,
            timeout=timeout,
            progress=lambda name, done, _: bar.update(tasks[name], completed=done),
        )
    print(f"MNIST is in {where}")


INTERRUPTED = 130  # 128 + SIGINT, as shells report it; 128 + SIGTERM (or SIGHUP) for those


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: errors become one line and an exit code, never a traceback."""
    # `kill`, a closing terminal and Ctrl-\ clean up temporary files as Ctrl-C does; once
    interrupts.stop_on("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
    command = typer.main.get_command(app)
    Cli.flags = frozenset(flag_keys(command))  # an error names --set x=1 for a key with no flag
    Cli.typed_sets = {}
    files.WRITTEN.clear()
    global STDOUT_CLOSED
    STDOUT_CLOSED = sys.stdout is None
    for name in ("stdout", "stderr"):  # `>&-`, `2>&-`: closed before vizff ran; Python has
        if getattr(sys, name) is None:  # None for it. What would go there goes nowhere
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    if not isinstance(sys.stdout, ReaderMayGo):
        sys.stdout = ReaderMayGo(sys.stdout)
    if not isinstance(sys.stderr, ReaderMayGo):
        sys.stderr = ReaderMayGo(sys.stderr)
    try:
        if taken := flag_taken(command, sys.argv[1:] if argv is None else list(argv)):
            fail(f"error: {taken}", 2)
        code = command.main(args=argv, prog_name="vizff", standalone_mode=False)
        sys.stdout.flush()  # a full or closed stdout fails here, not in Python's exit
    except UsageProblem as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `vizff`, `vizff data`: the help was
            sys.exit(0)  # asked for, and shown; there is no error to add to it
        message = exc.format_message()
        named = getattr(exc, "option_name", None) or ""
        typed = sys.argv[1:] if argv is None else argv
        path = next((a for a in typed if a.startswith(named) and os.path.lexists(a)), None)
        if type(exc).__name__ == "NoSuchOption" and named and path:  # a file named -x...
            message += f"; {path} is a file or folder here: write it ./{path}, or after --"
        elif type(exc).__name__ == "NoSuchOption" and named:
            message += value_taken(command, typed, named)
        fail(f"error: {message}", exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        code = INTERRUPTED
    except VizffError as exc:
        if isinstance(exc, OptionError) and exc.source is None:
            exc.source = Cli()  # nobody said where it came from: the command line, so far
        try:
            message = str(exc).replace("(lr, now ", "(--lr, now ")  # the default rate, as a flag
        except Exception:  # noqa: BLE001 (quoting the value back failed: say what we can)
            message = f"{getattr(exc, 'key', None) or type(exc).__name__}: refused"
        done = written_text()  # `--all` stopped by its third file has written two: say so
        if done and not all(path in message for path in files.WRITTEN):  # unless it says so
            message += f" ({done} before it)"
        fail(f"error: {message}", exc.exit_code)
    except RecursionError:
        fail("error: the input is nested too deeply to read (a key, table or path thousands "
             "of levels deep); write it with fewer levels", 2)  # fmt: skip
    except OSError as exc:  # the specific cases are caught where they happen; this is the net
        fail(f"error: {os_error_text(exc)}", 1)
    except MemoryError as exc:  # what the checks before the work did not foresee
        fail(
            f"error: out of memory ({shorten(str(exc)) or 'no detail'}); use fewer hidden units, "
            "smaller or fewer images, or a smaller frame size",
            1,
        )
    except Exception as exc:  # noqa: BLE001 (never a traceback: a bug still gets one line)
        if interrupts.caused_by_interrupt(exc):  # a Ctrl-C that Python wrapped on its way out
            fail(interrupted_line(), interrupts.exit_status())
        if os.environ.get("VIZFF_TRACEBACK"):
            raise
        if isinstance(exc, ImportError) and re.search(
            r"failed to map segment|cannot allocate memory", str(exc), re.IGNORECASE
        ):  # a library that could not be loaded into the memory left (`ulimit -v`)
            fail(
                "error: out of memory loading a library vizff needs; allow this process more "
                "memory (ulimit -v), or close other programs",
                1,
            )
        fail(
            f"error: unexpected {type(exc).__name__}: {shorten(str(exc))}; this is a bug in "
            "vizff, please report it with the command (VIZFF_TRACEBACK=1 shows where)",
            1,
        )
    if code == INTERRUPTED:  # typer turns Ctrl-C (and our SIGTERM) into exit code 130
        fail(interrupted_line(), interrupts.exit_status())
    sys.exit(code if isinstance(code, int) else 0)


def flag_keys(command) -> Iterator[str]:
    """The option keys of every command and subcommand (`batch_size` for --batch-size)."""
    for sub in getattr(command, "commands", {}).values():
        yield from flag_keys(sub)
    for param in getattr(command, "params", []):
        if param.param_type_name == "option":
            yield param.name


def os_error_text(exc: OSError) -> str:
    """`PATH: reason`, or what could not be written when it was the terminal's output."""
    reason = files.reason(exc)
    if exc.filename is not None:
        return f"{shorten(os.fsdecode(exc.filename))}: {reason}"
    if exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EBADF):
        _quiet_stdout()
        done = written_text()
        return f"cannot write to the standard output ({reason})" + (f"; {done}" if done else "")
    return reason


GONE = (errno.EPIPE, errno.EIO)  # the reader left: a closed pipe, a closed terminal


class ReaderMayGo:
    """Standard output (or error) whose reader may leave before vizff has finished (`vizff
    render ... | head -1`, `| true`, a terminal closed): the render is written and only its
    summary has no reader, so that is not a failure (the CLI library exited 1 in silence, and
    a closed terminal's hang-up ended in 1, not 129). Anything else still raises."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except UnicodeEncodeError:  # a cp1252 console, PYTHONIOENCODING=ascii: what it cannot
            return self.write(escaped(text, self.stream.encoding))  # show is escaped, as stderr
        except OSError as exc:
            if exc.errno not in GONE:
                raise
            _to_devnull(self.stream)
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            if exc.errno not in GONE:
                raise
            _to_devnull(self.stream)  # what was held goes nowhere now: the retry cannot fail
            self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def escaped(text: str, encoding: str | None, how: str = "backslashreplace") -> str:
    """`text` with what `encoding` cannot write replaced: `\\u03a3` as Python writes stderr,
    or, for HTML, `&#931;`, which a page shows as the character itself."""
    encoding = encoding or "utf-8"
    return text.encode(encoding, how).decode(encoding, "replace")


STDOUT_CLOSED = False  # standard output was closed before vizff ran (`>&-`)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so Python's own flush at exit cannot fail a second time."""
    _to_devnull(sys.stdout)


def _to_devnull(stream) -> None:
    """Point `stream`'s file descriptor at /dev/null: what it still holds, and anything
    written later, goes nowhere instead of failing again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def written_text() -> str:
    """`a.gif and b.gif were written`: the outputs this command put in place, or ""."""
    written = list(files.WRITTEN)
    if not written:
        return ""
    shown = some_of(written, 3) if len(written) > 2 else " and ".join(written)
    return f"{shown} {'was' if len(written) == 1 else 'were'} written"


def interrupted_line() -> str:
    """The one line for a Ctrl-C or `kill`: which outputs it came too late to stop, if any."""
    done = written_text()
    if not done:
        return "error: interrupted; no output was changed"
    return f"error: interrupted; {done} whole before it stopped, nothing else"


INTERRUPT_SAID = False  # the one line for an interrupt has been written (vizff.launch)


def fail(message: str, code: int) -> None:
    global INTERRUPT_SAID
    INTERRUPT_SAID = INTERRUPT_SAID or code > 128  # 128 + the signal: an interrupt's exit
    try:  # one line, whatever a file name in it holds (a folder named with a line break
        err.print(printable(message), markup=False, soft_wrap=True)  # split its error in two)
    except OSError:  # stderr itself is gone: the exit code still says it failed
        pass
    except Exception:  # noqa: BLE001 (out of memory, rich cannot import what it prints with:
        try:  # the line without it, not its traceback)
            sys.stderr.write(printable(message) + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001, S110 (nothing more can be said: the code says it)
            pass
    sys.exit(code)
