"""loss: the batch loss (raw and smoothed) and the test accuracy, growing step by step."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from vizff.draw import Axis, Chart, GrowingLine, Page, Plot, dot, make_palette, numbers
from vizff.draw.parts import dotted, triangle
from vizff.draw.plot import nice_ticks
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
        return self.theme.pale("primary", 0.4)

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
            nice_ticks(0, steps, 6),
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
            label=lambda v: f"{v:g}",
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
        chart = self._chart(plot, page)
        kept = page.canvas(plot.render())  # the chart once; the lines grow on it in place
        chart.draw_labels(kept)
        lines = {
            "raw": GrowingLine(kept, self.raw_colour(), max(1.0, 1.2 * px)),
            "smooth": GrowingLine(kept, theme.primary, max(1.5, 2.8 * px)),
            "accuracy": GrowingLine(kept, theme.tertiary, max(1.2, 2.3 * px)),
        }
        smoother = Smoother(self.settings.smoothing)
        box = chart.box
        for snap, smoothed in self.frame_snapshots_smoothed(smoother):
            page.begin_frame()
            x, _ = chart.to_px(snap.step, 0)
            if snap.diverged_at is None:
                lines["raw"].add(x, self.loss_y(chart, snap.loss))
                lines["smooth"].add(x, self.loss_y(chart, smoothed))
                if snap.test_accuracy is not None:
                    _, y = chart.to_px(snap.step, snap.test_accuracy, right=True)
                    lines["accuracy"].add(x, y)
                    dot(kept, x, y, max(1.5, 2.3 * px), theme.tertiary)
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
        """The pixel row of a loss on the chart, kept inside it (a higher loss sits on top)."""
        shown = min(loss, self.settings.loss_max) if math.isfinite(loss) else self.settings.loss_max
        return chart.to_px(0, shown)[1]

    def frame_snapshots_smoothed(self, smoother: Smoother) -> Iterator[tuple[Snapshot, float]]:
        """Every step feeds the average; only frame steps are drawn."""
        from vizff.train import train

        shown, last = 0, None
        for snap in train(self.digits, self.config):
            smoothed = smoother.add(snap) if snap.diverged_at is None else math.nan
            if self.is_frame(snap):
                shown += 1
                last = (snap, smoothed)
                yield last
        while last is not None and last[0].diverged_at is not None and shown < self.frame_count():
            shown += 1
            yield last
