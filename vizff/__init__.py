"""vizff: train the simplest numpy network on MNIST and render how it learns.

`vizff.show(scene, **options)` renders a scene for a notebook (displayed inline);
`vizff.frames(scene, **options)` yields its frames as arrays; `vizff.render_scene(scene, out,
**options)` writes it to a file. Each is imported on first use, so `import vizff` stays light.
"""

__version__ = "0.1.0"
__all__ = ["frames", "render_scene", "show"]


def __getattr__(name: str):
    if name in ("show", "frames"):
        from vizff import notebook

        return getattr(notebook, name)
    if name == "render_scene":
        from vizff.render import render_scene

        return render_scene
    raise AttributeError(f"module 'vizff' has no attribute {name!r}")
