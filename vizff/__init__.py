"""vizff: train the simplest numpy network on MNIST and render how it learns.

`vizff.show(scene, **options)` renders a scene for a notebook (displayed inline);
`vizff.frames(scene, **options)` yields its frames as arrays. Both are imported on first use,
so `import vizff` stays light.
"""

__version__ = "0.1.0"
__all__ = ["frames", "show"]


def __getattr__(name: str):
    if name in ("show", "frames"):
        from vizff import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'vizff' has no attribute {name!r}")
