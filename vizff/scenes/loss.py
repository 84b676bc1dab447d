"""loss: the batch loss (raw and smoothed) and the test accuracy, growing step by step."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from vizff.draw import Axis, Chart, GrowingLine, Page, Plot, dot, make_palette, numbers
from vizff.draw.parts import dotted, triangle
from vizff.draw.plot import nice_ticks
from vizff.draw.theme import LINE_CONTRAST, contrast_ratio
from vizff.options import Option
from vizff.scenes.base import TrainingScene
from vizff.train import Snapshot


class Smoother:
    """Exponential moving average of the batch loss over every step from step 1, divided by
    1 - alpha^n so that it starts unbiased (Adam's correction); step 0 is shown as is."""

    def __init__(self, alpha: float):
        self.alpha, self.running, self.count = alpha, 0.0, 0

    def add(self, snap: Snapshot) -> float:
        if snap.step == 0 or self.alpha == 0:
            return snap.loss
        self.count += 1
        self.running = self.alpha * self.running + (1 - self.alpha) * snap.loss
        return self.running / (1 - self.alpha**self.count)


class Loss(TrainingScene):
    name = "loss"
    summary = "batch loss (raw and smoothed) and test accuracy as training goes, step by step"
    DEFAULTS = {**TrainingScene.DEFAULTS, "steps": 600, "every": 5}
    OPTIONS = (
        Option(
            "smoothing",
            "float",
            0.95,
            "weight of the past in the smoothed loss, an "
            "exponential moving average over every step (bias-corrected)",
            low=0.0,
            high=0.999,
        ),
        Option(
            "loss_max",
            "float",
            3.0,
            "top of the loss axis (higher values leave the chart with a marker)",
            low=0.1,
            high=100,
        ),
    )

    @property
    def palette(self) -> np.ndarray:
        theme = self.theme
        return make_palette(
            theme, inks=("primary", "tertiary", "secondary"), extra=(self.raw_colour(),)
        )

    def raw_colour(self):
        """Paler than the smoothed line, but with more than half its contrast against the
        page: on the dark page 3:1 alone left a 1 px line a projector washes out."""
        theme = self.theme
        least = max(LINE_CONTRAST, 0.55 * contrast_ratio(theme.primary, theme.background))
        return theme.pale("primary", 0.4, least=least)

    def caption(self, snap: Snapshot, smoothed: float) -> str:
        """The numbers under the chart: exactly the snapshot's (and their running average)."""
        if snap.diverged_at is not None:
            return self.words(
                "loss.caption_diverged",
                step=snap.step,
                total=self.steps,
                diverged=self.diverged_text(snap),
            )
        return self.words(
            "loss.caption",
            step=snap.step,
            total=self.steps,
            loss=self.loss_text(snap.loss),
            smoothed=self.loss_text(smoothed),
            accuracy=numbers.percent(snap.test_accuracy),  # as predictions writes it
        )

    def _chart(self, plot: Plot, page: Page) -> Chart:
        words, loss_max = self.words, self.settings.loss_max
        steps = max(1, self.steps)
        x = Axis(
            -steps * 0.01,
            steps * 1.02,
            nice_ticks(0, steps, 6, whole=True),
            label=lambda v: f"{v:g}",
            title=words("loss.x_axis"),
        )
        y = Axis(
            0,
            loss_max,
            nice_ticks(0, loss_max, 5),
            label=lambda v: f"{v:g}",
            title=words("loss.y_axis"),
            colour="primary",
        )
        right = Axis(
            0,
            1.0,
            [0, 0.25, 0.5, 0.75, 1.0],
            label=lambda v: f"{100 * v:g}%",  # as the caption gives it: 91.8%, not 0.918
            title=words("loss.accuracy"),
            colour="tertiary",
        )
        legend = [
            (words("loss.batch_loss"), self.raw_colour()),
            (words("loss.smoothed"), "primary"),
            (words("loss.accuracy"), "tertiary"),
        ]
        return Chart(plot, page.body, x, y, right=right, legend=legend)

    def frames(self) -> Iterator[np.ndarray]:
        self.load()
        sample = self.words(
            "loss.caption",
            step=self.steps,
            total=self.steps,
            loss="00.0000",
            smoothed="00.0000",
            accuracy="0.0000",
        )
        self.page = page = self.training_page(sample)
        theme, loss_max, px = self.theme, self.settings.loss_max, page.s
        plot = Plot(page)
        chart = self.chart = self._chart(plot, page)  # kept: tests read its scale
        kept = page.canvas(plot.render())  # the chart once; the lines grow on it in place
        chart.draw_labels(kept)
        box = chart.box
        lines = {  # the losses leave the chart through its top, never run along it
            "raw": GrowingLine(kept, self.raw_colour(), max(1.0, 1.2 * px), top=box.y),
            "smooth": GrowingLine(kept, theme.primary, max(1.5, 2.8 * px), top=box.y),
            "accuracy": GrowingLine(kept, theme.tertiary, max(1.2, 2.3 * px)),
        }
        smoother = Smoother(self.settings.smoothing)
        for snap, smoothed, batch in self.frame_snapshots_smoothed(smoother):
            page.begin_frame()
            x, _ = chart.to_px(snap.step, 0)
            # every step's batch loss, as the smoothed line averages them all (drawn at frame
            # steps only, a spike between them was missing, and the average ran above the line)
            lines["raw"].extend([(chart.to_px(s, 0)[0], self.loss_y(chart, v)) for s, v in batch])
            if snap.diverged_at is None:
                lines["smooth"].add(x, self.loss_y(chart, smoothed))
                if snap.test_accuracy is not None:
                    _, y = chart.to_px(snap.step, snap.test_accuracy, right=True)
                    lines["accuracy"].add(x, y)
                    dot(kept, x, y, max(1.5, 2.3 * px), theme.tertiary)
            for name in ("raw", "smooth"):  # each place a line left the chart keeps a mark
                line = lines[name]
                for at in line.exits:
                    triangle(kept, at, box.y, max(3.0, 4.5 * px), line.colour)
                line.exits.clear()
            frame = kept.copy()
            dotted(frame, x, box.y, box.bottom, theme.muted, max(1, round(2 * px)))
            if snap.diverged_at is not None:  # the loss left the chart: a marker at the top
                at, _ = chart.to_px(snap.diverged_at, 0)
                triangle(frame, at, box.y, max(4.0, 7 * px), theme.secondary)
            elif not smoothed <= loss_max:
                triangle(frame, x, box.y, max(4.0, 7 * px), theme.secondary)
            else:
                y = self.loss_y(chart, smoothed)
                dot(frame, x, y, max(2.5, 4.6 * px), theme.background)  # a ring of page colour
                dot(frame, x, y, max(2.0, 3.6 * px), theme.primary)
            page.caption(frame, self.caption(snap, smoothed))
            yield frame

    def loss_y(self, chart, loss: float) -> float:
        """The pixel row of a loss on the chart; above its top for a higher loss (or one that
        is not a number: far above, where the line leaves the chart at once)."""
        if not math.isfinite(loss):
            return chart.box.y - 100 * chart.box.h
        return chart.to_px(0, min(loss, 100 * self.settings.loss_max))[1]

    def frame_snapshots_smoothed(
        self, smoother: Smoother
    ) -> Iterator[tuple[Snapshot, float, list[tuple[int, float]]]]:
        """Every step feeds the average; only frame steps are drawn, each with the (step,
        batch loss) of every step since the frame before (the diverged one's too)."""
        from vizff.train import train

        shown, last, batch = 0, None, []
        for snap in train(self.digits, self.config):
            smoothed = smoother.add(snap) if snap.diverged_at is None else math.nan
            batch.append((snap.step, snap.loss))
            if self.is_frame(snap):
                shown += 1
                last = (snap, smoothed, batch)
                batch = []
                yield last
        if last is not None:
            last = (*last[:2], [])  # held frames add nothing more
        while last is not None and last[0].diverged_at is not None and shown < self.frame_count():
            shown += 1
            yield last
