"""Render the README's gallery: each built-in scene, small, into docs/gallery/.

    python tools/build_gallery.py

Same seed, same bytes: re-running it changes nothing unless the scenes changed.
"""

from pathlib import Path

from vizff.recipes import load_recipe
from vizff.render import render

SCENES_DIR = Path(__file__).resolve().parents[1] / "scenes"
OUT = Path(__file__).resolve().parents[1] / "docs" / "gallery"
SMALL = {"size": "480x270", "fps": 20}


def main() -> None:
    for name in ("mosaic", "sigmoid", "softmax", "weights", "loss"):
        recipe = load_recipe(
            str(SCENES_DIR / f"{name}.toml"), {**SMALL, "out": str(OUT / f"{name}.gif")}
        )
        result = render(recipe)
        print(f"{result.path}  {result.frames} frames  {result.bytes / 1024:.0f} KB")


if __name__ == "__main__":
    main()
