"""Layout lint: checks a frame's recorded text for the ways text becomes unreadable.

Every text the kit draws records its box, its colour, the flat colour behind it and its
picture. `problems(frame, texts)` lists what is wrong: a box outside the frame, two boxes
overlapping, text on something that is not a flat colour (a line, a bar, an image), too
little contrast with what is behind it, or something drawn over it afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vizff.draw.text import TextItem
from vizff.draw.theme import contrast_ratio

MIN_CONTRAST = 4.5  # WCAG AA for normal text


def problems(frame: np.ndarray, texts: Sequence[TextItem]) -> list[str]:
    """Everything wrong with the text of one frame, one line each (empty: all is well)."""
    height, width = frame.shape[:2]
    found = []
    for item in texts:
        name = f"{item.role} {item.content!r}"
        if not item.box.inside(width, height):
            found.append(f"{name} at {item.box} leaves the {width}x{height} frame")
        if item.fill is None:
            found.append(f"{name} at {item.box} is drawn over something (not a flat colour)")
        elif contrast_ratio(item.colour, item.fill) < MIN_CONTRAST:
            ratio = contrast_ratio(item.colour, item.fill)
            found.append(f"{name}: contrast {ratio:.2f} with {item.fill} is below {MIN_CONTRAST}")
        clipped = item.box.clip(width, height)
        now = frame[clipped.slices]
        if now.shape == item.patch.shape and not np.array_equal(now, item.patch):
            changed = int((now != item.patch).any(axis=-1).sum())
            found.append(f"{name} at {item.box}: {changed} of its pixels were drawn over")
    for i, first in enumerate(texts):
        for second in texts[i + 1 :]:
            if first.box.intersects(second.box):
                found.append(
                    f"{first.role} {first.content!r} at {first.box} overlaps "
                    f"{second.role} {second.content!r} at {second.box}"
                )
    return found
