"""vizff: train the simplest numpy network on MNIST and render how it learns.

`vizff.show(scene, **options)` renders a scene for a notebook (displayed inline);
`vizff.frames(scene, **options)` yields its frames as arrays; `vizff.render_scene(scene, out,
**options)` writes it to a file; `vizff.render_storyboard(path, out, **options)` renders a
whole lesson. Each is imported on first use, so `import vizff` stays light.
"""

import os
import sys
import tempfile
from pathlib import Path

__version__ = "0.1.0"
__all__ = ["frames", "render_scene", "render_storyboard", "show"]


def _matplotlib_home() -> None:
    """Where matplotlib keeps its config and font cache must be writable, or its import
    prints a two-line warning before every line vizff writes (a read-only HOME: containers,
    CI). Then it gets a folder of vizff's own under the temporary directory, as matplotlib
    would make one itself, but the same one each run, so its font cache is kept."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    if sys.platform.startswith(("linux", "freebsd")):
        home = Path.home()
        wanted = [
            Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib",
            Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib",
        ]
    else:
        wanted = [Path.home() / ".matplotlib"]
    for folder in wanted:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK) and folder.is_dir():
                continue
        except (OSError, RuntimeError):  # RuntimeError: no home at all
            pass
        user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        own = Path(tempfile.gettempdir()) / f"vizff-matplotlib-{user}"
        try:
            own.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            return  # matplotlib makes its own then, and says so
        os.environ["MPLCONFIGDIR"] = str(own)
        return


_matplotlib_home()


def __getattr__(name: str):
    if name in ("show", "frames"):
        from vizff import notebook

        return getattr(notebook, name)
    if name == "render_scene":
        from vizff.render import render_scene

        return render_scene
    if name == "render_storyboard":
        from vizff.storyboard import render_storyboard

        return render_storyboard
    raise AttributeError(f"module 'vizff' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The lazy entry points too, so `dir(vizff)` and a notebook's completion offer them."""
    return sorted({*globals(), *__all__})
