"""loss: the batch loss (raw and smoothed) and the test accuracy, growing step by step."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from vizff.draw import Axis, Chart, Page, Plot, hex_colour, make_palette, numbers
from vizff.draw.plot import nice_ticks
from vizff.draw.theme import mix
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
        return mix(self.theme.background, self.theme.primary, 0.4)

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
            accuracy=numbers.fixed(snap.test_accuracy, 4),
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
        self.page = page = Page(
            self.size, self.look, title=self.title(), subtitle=self.network_text(), caption=sample
        )
        theme, loss_max = self.theme, self.settings.loss_max
        plot = Plot(page)
        chart = self._chart(plot, page)
        axes, twin = chart.axes, chart.twin
        lines = {
            "raw": axes.plot([], [], color=hex_colour(self.raw_colour()), lw=plot.points(1))[0],
            "smooth": axes.plot(
                [], [], color=hex_colour(theme.primary), lw=plot.points(2.2), solid_capstyle="round"
            )[0],
            "accuracy": twin.plot(
                [],
                [],
                color=hex_colour(theme.tertiary),
                lw=plot.points(1.8),
                marker="o",
                ms=plot.points(3),
                solid_capstyle="round",
            )[0],
        }
        marker = axes.axvline(0, color=hex_colour(theme.muted), lw=plot.points(1), ls=":")
        (head,) = axes.plot(
            [],
            [],
            "o",
            color=hex_colour(theme.primary),
            ms=plot.points(6.5),
            mec=hex_colour(theme.background),
            mew=plot.points(1),
            clip_on=False,
        )
        (off_chart,) = axes.plot(
            [], [], "^", color=hex_colour(theme.secondary), ms=plot.points(8), clip_on=False
        )
        moving = [*lines.values(), marker, head, off_chart]
        background = page.canvas(plot.render(moving))
        chart.draw_labels(background)
        plot.adopt(background)
        smoother = Smoother(self.settings.smoothing)
        last: dict[str, tuple[float, float]] = {}
        for snap in self.frame_snapshots_smoothed(smoother):
            snap, smoothed = snap
            page.begin_frame()
            if snap.diverged_at is None:
                points = {"raw": (snap.step, snap.loss), "smooth": (snap.step, smoothed)}
                if snap.test_accuracy is not None:
                    points["accuracy"] = (snap.step, snap.test_accuracy)
                self._grow(plot, lines, last, points)
                head.set_data([snap.step], [min(smoothed, loss_max)])
                off_chart.set_data([], [])
                if not smoothed <= loss_max:
                    off_chart.set_data([snap.step], [loss_max])
            else:
                head.set_data([], [])
                off_chart.set_data([snap.diverged_at], [loss_max])
            marker.set_xdata([snap.step, snap.step])
            frame = plot.frame([marker, head, off_chart])
            page.caption(frame, self.caption(snap, smoothed))
            yield frame

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

    def _grow(self, plot: Plot, lines: dict, last: dict, points: dict) -> None:
        """Bake each line's newest segment into the kept picture (never redrawn)."""
        loss_max = self.settings.loss_max
        grown = []
        for key, (x, y) in points.items():
            if key != "accuracy":
                y = min(y, loss_max * 1.02) if math.isfinite(y) else loss_max * 1.02
            previous = last.get(key)
            xs, ys = ([previous[0], x], [previous[1], y]) if previous else ([x], [y])
            lines[key].set_data(xs, ys)
            grown.append(lines[key])
            last[key] = (x, y)
        plot.grow(grown)
