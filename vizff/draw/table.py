"""Table: short texts in rows and columns, names left-aligned, numbers right-aligned, one size
for every cell, shrunk until the widest row fits its box (never two cells overlapping)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vizff.draw.box import Box
from vizff.draw.page import SIZES, Page
from vizff.draw.text import MIN_PIXELS, TextItem

GAP = 12  # pixels between columns at 640x360


class Table:
    """`rows` of cells (the first a header when `header`) laid out in `box`.

    Column widths are those of their widest cell; the text size shrinks from `size` until the
    columns and their gaps fit the width. Where they do not fit even at the smallest legible
    size, the first column's cells (the names) are cut with "…"; where that leaves them too
    little room, the last columns are left out. A number is never cut. The first column is
    left-aligned, the others right-aligned, so numbers line up.
    """

    def __init__(
        self,
        page: Page,
        box: Box,
        rows: Sequence[Sequence[str]],
        *,
        size: str | float = "small",
        header: bool = True,
    ):
        self.page, self.box, self.rows, self.header = page, box, [list(r) for r in rows], header
        design = SIZES[size] if isinstance(size, str) else size
        gap = GAP * page.s
        while True:
            widths = self._widths(design)
            total = sum(widths) + gap * (len(widths) - 1)
            if total <= box.w or page.px(design) <= MIN_PIXELS:
                break
            design -= 0.25
        pixels = page.px(design)
        while total > box.w and len(widths) > 1:  # still too wide at the smallest legible size:
            names = box.w - (total - widths[0])  # the names' column gives way first (its cells
            if names >= 4 * pixels:  # are cut with "…"); the numbers are never cut
                total, widths[0] = total - widths[0] + names, int(names)
                break
            total -= widths.pop() + gap  # no room even so: the last columns are left out
            for row in self.rows:
                del row[len(widths) :]
        self.size, self.widths, self.gap = design, widths, gap
        self.line_h = page.line_height(design)

    def _widths(self, design: float) -> list[int]:
        pixels = self.page.px(design)
        columns = max(len(r) for r in self.rows)
        return [
            max((self.page.type.width(r[c], pixels) for r in self.rows if c < len(r)), default=0)
            for c in range(columns)
        ]

    @staticmethod
    def height_of(page: Page, count: int, size: str | float = "small") -> int:
        """The height `count` rows need at `size` (a shrunk table needs no more)."""
        return count * page.line_height(size)

    def draw(
        self, frame: np.ndarray, colours: Sequence[str] | None = None, *, role: str = "table"
    ) -> list[TextItem]:
        """Every cell, row by row; `colours` names each row's theme role (header: muted)."""
        page, box = self.page, self.box
        items = []
        free = box.w - sum(self.widths) - self.gap * (len(self.widths) - 1)
        spare = max(0.0, free) / max(1, len(self.widths) - 1)
        share = min(spare, 3 * self.gap)  # some air between columns, not the whole width
        for r, row in enumerate(self.rows):
            colour = colours[r] if colours else ("muted" if self.header and r == 0 else "ink")
            y = box.y + self.line_h * (r + 0.5)
            x = box.x
            for c, cell in enumerate(row):
                width = self.widths[c]
                if c == 0:
                    xy, anchor = (x, y), "lm"
                else:
                    x += self.gap + share
                    xy, anchor = (x + width, y), "rm"
                items.append(
                    page.text(
                        frame,
                        xy,
                        cell,
                        size=self.size,
                        colour=colour,
                        anchor=anchor,
                        width=min(width, box.right - xy[0]) if c == 0 else width,
                        role=role,
                    )
                )
                x += width
        return items
