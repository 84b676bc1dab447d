"""Render recipes: a scene and its options, from a scene file (TOML), the CLI, or Python."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vizff.draw import parse_size
from vizff.errors import ConfigError
from vizff.scenes import SCENES, SceneOptions

NUMBER = (int, float)
# key: (accepted types, what to call them in an error)
COMMON_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "scene": ((str,), "a scene name"),
    "out": ((str,), "a file name (.gif .mp4 .webp .png) or a folder"),
    "fps": (NUMBER, "a number"),
    "size": ((str,), 'a string like "640x360"'),
    "hold": (NUMBER, "a number of seconds"),
    "frame": ((int,), "an integer"),
    "seed": ((int,), "an integer"),
    "data": ((str,), "a string: sample, mnist or a directory"),
    "hidden": ((int, list, str), "an integer or a list of integers"),
    "activation": ((str,), "a string"),
    "lr": (NUMBER, "a number"),
    "batch_size": ((int,), "an integer"),
    "method": ((str,), "a string"),
    "dtype": ((str,), "a string"),
    "steps": ((int,), "an integer"),
    "epochs": ((int,), "an integer"),
    "every": ((int,), "an integer"),
}
TRAIN_KEYS = ("hidden", "activation", "lr", "batch_size", "method", "dtype", "epochs")


@dataclass(frozen=True)
class Recipe:
    """One render: which scene, with which options, to which file."""

    scene: str
    out: Path | None = None  # None: <out_dir>/<scene>.gif
    fps: float = 20.0
    size: tuple[int, int] = (640, 360)
    hold: float | None = None  # seconds on the last frame; None: the scene's default
    frame: int | None = None  # which frame a .png output keeps (default: the last)
    seed: int = 0
    data: str = "sample"
    train: Mapping[str, Any] = field(default_factory=dict)
    steps: int | None = None
    every: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""  # the scene file's stem, or the scene's name

    def output(self, out_dir: Path = Path("outputs")) -> Path:
        return self.out if self.out is not None else out_dir / f"{self.name or self.scene}.gif"

    def scene_options(self) -> SceneOptions:
        return SceneOptions(
            size=self.size,
            seed=self.seed,
            data=self.data,
            train=self.train,
            steps=self.steps,
            every=self.every,
            params=self.params,
        )


def valid_keys(scene: str | None) -> list[str]:
    extra = list(SCENES[scene].PARAMS) if scene in SCENES else []
    return [*COMMON_KEYS, *extra]


def _named(key: str, where: str) -> str:
    """A key as the user wrote it: `batch_size` in a scene file, `--batch-size` on the CLI."""
    return key if where else "--" + key.replace("_", "-")


def parse_hidden(value: Any, where: str = "") -> tuple[int, ...]:
    """Hidden sizes from `"128,64"`, `128` or `[128, 64]`; errors name the key or --hidden."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    elif isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    try:
        if isinstance(value, bool) or any(isinstance(v, (bool, float)) for v in value):
            raise TypeError
        return tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{where}{_named('hidden', where)}: expected sizes such as 128 or 128,64, got {value!r}"
        ) from None


def make_recipe(
    values: Mapping[str, Any], *, where: str = "", base_dir: Path | None = None
) -> Recipe:
    """Check every key and type and build a Recipe; `where` prefixes errors (a file name)."""
    scene = values.get("scene")
    if not isinstance(scene, str) or scene not in SCENES:
        raise ConfigError(
            f"{where}scene: {scene!r} is not a scene; choose one of {', '.join(SCENES)}"
        )
    params = SCENES[scene].PARAMS
    recipe: dict[str, Any] = {"scene": scene}
    train: dict[str, Any] = {}
    scene_params: dict[str, Any] = {}
    for key, value in values.items():
        if key in params:
            try:
                scene_params[key] = params[key].check(key, value)
            except ConfigError as exc:
                raise ConfigError(f"{where}{exc}") from None
            continue
        if key not in COMMON_KEYS:
            raise ConfigError(
                f"{where}unknown key {key!r}; valid keys for scene {scene}: "
                f"{', '.join(valid_keys(scene))}"
            )
        kinds, described = COMMON_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise ConfigError(
                f"{where}{_named(key, where)}: expected {described}, got {type(value).__name__} "
                f"{value!r}"
            )
        if key == "hidden":
            train["hidden"] = parse_hidden(value, where)
        elif key in TRAIN_KEYS:
            train[key] = float(value) if key == "lr" else value
        elif key == "size":
            recipe["size"] = parse_size(value, f"{where}size =" if where else "--size")
        elif key == "out":
            if not value.strip():
                raise ConfigError(
                    f"{where}out: give a file name (.gif .mp4 .webp .png) or a folder"
                )
            out = Path(value).expanduser()
            recipe["out"] = out if out.is_absolute() or base_dir is None else base_dir / out
        elif key in ("fps", "hold"):
            if not math.isfinite(value):
                raise ConfigError(
                    f"{where}{_named(key, where)}: must be a finite number, got {value}"
                )
            recipe[key] = float(value)
        elif key != "scene":
            recipe[key] = value
    return Recipe(**recipe, train=train, params=scene_params)


def read_scene_file(path: Path) -> dict[str, Any]:
    """The key/value table of a scene file, with TOML errors naming the file."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such scene file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None


def load_recipe(
    target: str, overrides: Mapping[str, Any] | None = None, *, out_dir: Path = Path("outputs")
) -> Recipe:
    """A recipe from a scene name or a .toml file; `overrides` (the CLI's options) win.

    A file's `out` is relative to `out_dir`; the CLI's --out to where the user stands.
    """
    overrides = dict(overrides or {})
    out = overrides.pop("out", None)
    if target.endswith(".toml"):
        path = Path(target)
        values = read_scene_file(path)
        if not isinstance(values.get("scene"), str):
            raise ConfigError(f'{path}: needs a line scene = "NAME" (one of {", ".join(SCENES)})')
        if overrides and values["scene"] in SCENES:  # the CLI's own values, under CLI names
            make_recipe({"scene": values["scene"], **overrides})
        recipe = make_recipe({**values, **overrides}, where=f"{path}: ", base_dir=out_dir)
        recipe = replace(recipe, name=path.stem)
    elif target in SCENES:
        recipe = make_recipe({"scene": target, **overrides})
    else:
        raise ConfigError(
            f"{target}: not a scene or a .toml scene file; scenes: {', '.join(SCENES)}"
        )
    return replace(recipe, out=Path(out)) if out is not None else recipe
