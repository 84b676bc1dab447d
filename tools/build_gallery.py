"""Render the README's gallery: each built-in scene, small, in English on the light theme and
in Chinese on the dark theme, into docs/gallery/.

    python tools/build_gallery.py

Each scene comes from its scene file in scenes/, at 480x270. Same seed, same bytes: running
it again changes nothing unless the scenes changed.
"""

from pathlib import Path

from vizff.recipes import load_recipe
from vizff.render import render
from vizff.scenes import SCENES

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "gallery"
LOOKS = {"": {"lang": "en", "theme": "light"}, "-zh-dark": {"lang": "zh", "theme": "dark"}}
SMALL = {"size": "480x270", "fps": "20"}
OWN = {"predictions": {"count": 21}}  # the file's 40 digits need 640x360: three rows of 7


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in SCENES:
        if not (ROOT / "scenes" / f"{name}.toml").exists():
            continue  # a card has no scene file of its own: storyboards place it
        for suffix, look in LOOKS.items():
            out = OUT / f"{name}{suffix}.gif"
            recipe = load_recipe(
                str(ROOT / "scenes" / f"{name}.toml"),
                {**SMALL, **OWN.get(name, {}), **look, "out": str(out)},
            )
            result = render(recipe)
            print(f"{result.path}  {result.frames} frames  {result.bytes / 1024:.0f} KB")


if __name__ == "__main__":
    main()
