"""Recipes: which scene to render with which given values, from a scene file, the CLI or Python.

A recipe keeps each layer of values with where it came from (a file, the command line, a
keyword), so every error names the option as the user wrote it. The values are checked when
the recipe is settled into a scene's Settings (`vizff.options.settle`).
"""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vizff.errors import Cli, ConfigError, File, OptionError, Python, Source, shorten
from vizff.files import home_path
from vizff.options import Layer, Settings, check_output_name, close_match, settle

SOURCES_WITH_PATHS = ("sample", "mnist")


@dataclass(frozen=True)
class Recipe:
    """One render: a scene, the layers of values given for it (later wins), and its name."""

    scene: str
    layers: tuple[Layer, ...] = ()
    name: str = ""  # the scene file's stem, or the scene's name: names the default output

    def settle(self, *, lenient: Source | None = None) -> Settings:
        from vizff.scenes import SCENES

        return settle(SCENES[self.scene], self.layers, lenient=lenient)

    def with_layer(self, values: Mapping[str, Any], source: Source) -> Recipe:
        return replace(self, layers=(*self.layers, (dict(values), source)))


def toml_name(text: str) -> bool:
    """A scene file's or storyboard's name: `.toml` in any case (`LESSON.TOML` from Windows)."""
    return text.lower().endswith(".toml")


def scene_class(name: Any, source: Source):
    """The scene class called `name`, or an error listing the scenes (with a near match)."""
    from vizff.scenes import SCENES

    if isinstance(name, str) and name in SCENES:
        return SCENES[name]
    if isinstance(name, str) and os.path.isfile(name):  # lesson.txt: a file, not a name
        raise OptionError(
            "scene",
            "is a file, but scene files and storyboards are read only with a .toml name; "
            "rename it to end in .toml",
            value=name,
            source=source,
        )
    hint = close_match(str(name), SCENES) if isinstance(name, str) else ""
    raise OptionError(
        "scene", f"not a scene{hint}; scenes: {', '.join(SCENES)}", value=name, source=source
    )


MAX_TOML_BYTES = 16_000_000  # a scene file or storyboard is a few KB; a lesson of 10,000 parts 2 MB


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's table, with every failure one line naming the file (escaped and
    shortened as every value the user gave is). A device is refused and a pipe read to at
    most MAX_TOML_BYTES: `z.toml` linked to /dev/zero was read until memory ran out."""
    name = shorten(str(path))
    if "\x00" in str(path):  # open() says "embedded null byte", a ValueError
        raise ConfigError(f"{name}: a path cannot hold a NUL character")
    try:
        # opened without waiting: a named pipe that nobody writes to then reads as empty
        # (opened plainly, vizff waited for a writer for ever); `<(cat x.toml)` still reads
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(descriptor, "rb") as handle:
            mode = os.fstat(descriptor).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                raise ConfigError(f"{name}: is a device, not a .toml file")
            os.set_blocking(descriptor, True)
            raw = handle.read(MAX_TOML_BYTES + 1)
            if not raw and stat.S_ISFIFO(mode):
                raise ConfigError(f"{name}: is a pipe that nothing was written to")
        if len(raw) > MAX_TOML_BYTES:
            raise ConfigError(
                f"{name}: is over {MAX_TOML_BYTES // 1_000_000} MB, too large to be a scene file "
                "or storyboard"
            )
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ConfigError(f"{name}: is saved as UTF-16; save it as UTF-8")
        # a UTF-8 byte-order mark, which Windows editors write and nobody sees: not TOML's
        return tomllib.loads(raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a folder, not a .toml file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{name}: nested too deeply to be a scene file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{name}: is not UTF-8 text (at byte {exc.start + 1:,}); save it as UTF-8"
        ) from None
    except ValueError:  # tomllib reading a whole number of more digits than Python allows
        raise ConfigError(
            f"{name}: holds a whole number of over {sys.get_int_max_str_digits():,} digits, "
            "more than can be read; write a smaller number"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({exc.strerror or exc})") from None


def misspelled(table: Mapping[str, Any], *wanted: str) -> str:
    """`the key "Scene" is not one; did you mean scene? `, where a key of `table` is one of
    `wanted` miswritten (another case, a space, a letter off), else ``: said before "a scene
    file needs a line scene = ..." (which alone did not say what was wrong with the line)."""
    for key in table:
        plain = str(key).strip().casefold()
        for word in wanted:
            if plain == word or close_match(plain, [word]):
                return f'the key "{shorten(str(key), 40)}" is not one; did you mean {word}? '

    return ""


def file_values(
    values: Mapping[str, Any], source: File, *, out_dir: Path | None = None
) -> dict[str, Any]:
    """A file's values with its paths resolved: `data` against the file's folder, `out`
    against the output folder; the resolved path is what errors show."""
    resolved = dict(values)
    folder = source.path.parent
    data = resolved.get("data")
    if isinstance(data, str) and data.strip().lower() not in SOURCES_WITH_PATHS and data.strip():
        path = home_path(data, "data", source)
        resolved["data"] = str(path if path.is_absolute() else folder / path)
    font = resolved.get("font")
    if isinstance(font, str) and font.strip():
        path = home_path(font, "font", source)
        resolved["font"] = str(path if path.is_absolute() else folder / path)
    out = resolved.get("out")
    if isinstance(out, str) and out.strip() and out_dir is not None:
        check_output_name(
            out, lambda problem: OptionError("out", problem, value=out, source=source)
        )
        path = home_path(out, "out", source)
        resolved["out"] = str(path if path.is_absolute() else out_dir / path)
    return resolved


def load_recipe(
    target: str | Path,
    given: Mapping[str, Any] | None = None,
    *,
    source: Source = Cli(),
    out_dir: Path = Path("outputs"),
) -> Recipe:
    """A recipe from a scene name or a scene file, with `given` values (the CLI's) on top."""
    given = dict(given or {})
    text = str(target)
    if toml_name(text):
        path = Path(text)
        table = read_toml(path)
        file = File(path)
        if "part" in table:
            how = (
                "render it with vizff.render_storyboard(path, out)"
                if isinstance(source, Python)
                else f"render it with vizff render {path}"
            )
            raise ConfigError(
                f"{path}: is a storyboard (it has [[part]] tables), not a scene file; {how}"
            )
        if "scene" not in table:
            raise ConfigError(
                f'{path}: {misspelled(table, "scene")}a scene file needs a line scene = "NAME", '
                "a storyboard [[part]] tables; this file has neither"
            )
        values = dict(table)
        cls = scene_class(values.pop("scene"), file)
        recipe = Recipe(cls.name, ((file_values(values, file, out_dir=out_dir), file),), path.stem)
    else:
        cls = scene_class(text, source)
        recipe = Recipe(cls.name, (), cls.name)
    return recipe.with_layer(given, source) if given else recipe


def load_target(
    target: str | Path,
    given: Mapping[str, Any] | None = None,
    *,
    source: Source = Cli(),
    out_dir: Path = Path("outputs"),
    lenient: bool = False,
):
    """A scene name, a scene file (a Recipe) or a storyboard file (a Storyboard), told apart
    by the file's content: [[part]] tables make a storyboard. `lenient`: a given option need
    not be taken by the storyboard (another target may take it)."""
    text = str(target)
    if toml_name(text) and "part" in read_toml(Path(text)):
        from vizff.storyboard import load_storyboard

        return load_storyboard(text, given, source=source, out_dir=out_dir, lenient=lenient)
    return load_recipe(target, given, source=source, out_dir=out_dir)


def python_recipe(scene: str, out: str | Path | None, options: Mapping[str, Any]) -> Recipe:
    """The recipe of `render_scene(scene, out, **options)`: `scene` a name or a scene file
    (as `vizff.show` and the CLI take it), the keywords on top; errors name the keywords."""
    if isinstance(scene, (str, os.PathLike)) and toml_name(os.fspath(scene)):
        recipe = load_recipe(os.fspath(scene), options, source=Python())
        return recipe.with_layer({"out": out}, Python()) if out is not None else recipe
    cls = scene_class(scene, Python())
    values = dict(options)
    if out is not None:
        values["out"] = out
    return Recipe(cls.name, ((values, Python()),), cls.name)


def make_recipe(values: Mapping[str, Any]) -> Recipe:
    """A recipe from one table of values with a `scene` key, as Python keywords."""
    values = dict(values)
    return python_recipe(values.pop("scene", None), values.pop("out", None), values)


def default_output(recipe: Recipe, settings: Settings, out_dir: Path) -> Path:
    """Where a render goes: the `out` given, else `<out_dir>/<name>.gif`."""
    if settings.out is not None:
        return home_path(settings.out, "out")
    return out_dir / f"{recipe.name or recipe.scene}.gif"


def check_taken(recipes: Sequence[Recipe], given: Mapping[str, Any], source: Source) -> None:
    """With several targets, an option the CLI gives must be taken by at least one of them."""
    from vizff.options import options_of
    from vizff.scenes import SCENES

    for key, value in given.items():
        if not any(key in options_of(SCENES[r.scene]) for r in recipes):
            scenes = sorted({r.scene for r in recipes})
            raise OptionError(
                key,
                f"none of the scenes rendered ({', '.join(scenes)}) takes this option",
                value=value,
                source=source,
            )
