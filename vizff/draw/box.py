"""Box: a rectangle of whole pixels, and the splits that lay a page out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    @property
    def slices(self) -> tuple[slice, slice]:
        """Index a (height, width, ...) frame: `frame[box.slices]`."""
        return slice(self.y, self.y + self.h), slice(self.x, self.x + self.w)

    def inset(self, dx: float, dy: float | None = None) -> Box:
        dy = dx if dy is None else dy
        dx, dy = round(dx), round(dy)
        return Box(self.x + dx, self.y + dy, max(0, self.w - 2 * dx), max(0, self.h - 2 * dy))

    def clip(self, width: int, height: int) -> Box:
        """The part of the box inside a width x height frame."""
        if self.x >= 0 and self.y >= 0 and self.x + self.w <= width and self.y + self.h <= height:
            return self  # wholly inside (frozen: the same box)
        x, y = max(0, self.x), max(0, self.y)
        return Box(x, y, max(0, min(self.right, width) - x), max(0, min(self.bottom, height) - y))

    def intersects(self, other: Box) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def inside(self, width: int, height: int) -> bool:
        return self.x >= 0 and self.y >= 0 and self.right <= width and self.bottom <= height

    def columns(self, *fractions: float, gap: float = 0) -> list[Box]:
        """Side-by-side boxes taking `fractions` of the width left after the gaps."""
        gap = round(gap)
        usable = self.w - gap * (len(fractions) - 1)
        boxes, x = [], self.x
        total = sum(fractions)
        for i, fraction in enumerate(fractions):
            w = self.right - x if i == len(fractions) - 1 else round(usable * fraction / total)
            boxes.append(Box(x, self.y, max(0, w), self.h))
            x += w + gap
        return boxes

    def rows(self, *fractions: float, gap: float = 0) -> list[Box]:
        """Stacked boxes taking `fractions` of the height left after the gaps."""
        gap = round(gap)
        usable = self.h - gap * (len(fractions) - 1)
        boxes, y = [], self.y
        total = sum(fractions)
        for i, fraction in enumerate(fractions):
            h = self.bottom - y if i == len(fractions) - 1 else round(usable * fraction / total)
            boxes.append(Box(self.x, y, self.w, max(0, h)))
            y += h + gap
        return boxes

    def take_top(self, height: float, gap: float = 0) -> tuple[Box, Box]:
        """(a strip of `height` at the top, the rest below it after `gap`)."""
        height, gap = min(self.h, round(height)), round(gap)
        return (
            Box(self.x, self.y, self.w, height),
            Box(self.x, self.y + height + gap, self.w, max(0, self.h - height - gap)),
        )

    def take_bottom(self, height: float, gap: float = 0) -> tuple[Box, Box]:
        """(the rest above, a strip of `height` at the bottom after `gap`)."""
        height, gap = min(self.h, round(height)), round(gap)
        return (
            Box(self.x, self.y, self.w, max(0, self.h - height - gap)),
            Box(self.x, self.bottom - height, self.w, height),
        )

    def take_left(self, width: float, gap: float = 0) -> tuple[Box, Box]:
        width, gap = min(self.w, round(width)), round(gap)
        return (
            Box(self.x, self.y, width, self.h),
            Box(self.x + width + gap, self.y, max(0, self.w - width - gap), self.h),
        )

    def take_right(self, width: float, gap: float = 0) -> tuple[Box, Box]:
        width, gap = min(self.w, round(width)), round(gap)
        return (
            Box(self.x, self.y, max(0, self.w - width - gap), self.h),
            Box(self.right - width, self.y, width, self.h),
        )

    def fit_aspect(self, aspect: float) -> Box:
        """The largest box of width/height `aspect` centred in this one."""
        w = min(self.w, self.h * aspect)
        h = w / aspect
        return Box(
            round(self.x + (self.w - w) / 2), round(self.y + (self.h - h) / 2), round(w), round(h)
        )
