"""loss: the batch loss (raw and smoothed) and the test accuracy, growing step by step."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from vizff.draw import (
    BLUE,
    GREEN,
    INK,
    MUTED,
    Blitter,
    blends,
    hex_colour,
    make_palette,
    new_figure,
    style_axes,
)
from vizff.scenes.base import Param, TrainingScene
from vizff.train import Snapshot, train

LIGHT_BLUE = blends(BLUE, steps=10)[3]  # the raw, noisy loss: present but quiet


class Loss(TrainingScene):
    name = "loss"
    summary = "batch loss (raw and smoothed) and test accuracy as training goes, step by step"
    default_steps, default_every = 600, 5
    PARAMS = {
        "smoothing": Param(
            float,
            0.95,
            "weight of the past in the smoothed loss, an exponential "
            "moving average over every step (bias-corrected)",
            0.0,
            0.999,
        ),
        "loss_max": Param(float, 3.0, "top of the loss axis (higher values are clipped)", 0.1, 100),
    }

    @property
    def palette(self) -> np.ndarray:
        return make_palette(inks=(BLUE, GREEN))

    def caption(self, snap: Snapshot, smoothed: float) -> str:
        """The numbers under the chart: exactly the snapshot's (and their running average)."""
        text = (
            f"step {snap.step}/{self.steps}   batch loss {snap.loss:.4f}   smoothed {smoothed:.4f}"
        )
        if snap.test_accuracy is not None:
            text += f"   test accuracy {snap.test_accuracy:.4f}"
        return text

    def frames(self) -> Iterator[np.ndarray]:
        figure, canvas = new_figure(self.size)
        axes = figure.add_axes((0.09, 0.2, 0.80, 0.6))
        style_axes(axes)
        accuracy_axes = axes.twinx()
        accuracy_axes.set_ylim(0, 1.0)
        accuracy_axes.tick_params(colors=hex_colour(GREEN), labelsize=9, length=3)
        for side in ("top", "left", "bottom"):
            accuracy_axes.spines[side].set_visible(False)
        accuracy_axes.spines["right"].set_color(hex_colour(GREEN))
        accuracy_axes.set_ylabel("test accuracy", fontsize=9.5, color=hex_colour(GREEN))
        axes.set(xlim=(0, self.steps), ylim=(0, self.params["loss_max"]))
        axes.set_xlabel("gradient step", fontsize=9.5, color=hex_colour(INK))
        axes.set_ylabel("cross-entropy loss", fontsize=9.5, color=hex_colour(BLUE))
        figure.text(
            0.02,
            0.95,
            "Gradient descent: the loss falls, the accuracy rises",
            fontsize=14,
            weight="bold",
            color=hex_colour(INK),
            va="top",
        )
        config = self.config
        figure.text(
            0.02,
            0.865,
            f"784-{'-'.join(map(str, config.hidden))}-10 {config.activation}"
            f", learning rate {config.lr}, batch {config.batch_size}, {self.digits.source} data",
            fontsize=9,
            color=hex_colour(MUTED),
            va="top",
        )
        (raw,) = axes.plot([], [], color=hex_colour(LIGHT_BLUE), lw=1, label="batch loss")
        (smooth,) = axes.plot([], [], color=hex_colour(BLUE), lw=2.2, label="smoothed loss")
        (accuracy,) = accuracy_axes.plot(
            [], [], color=hex_colour(GREEN), lw=2, marker="o", ms=2.5, label="test accuracy"
        )
        marker = axes.axvline(0, color=hex_colour(MUTED), lw=1, ls=":")
        (head,) = axes.plot([], [], "o", color=hex_colour(BLUE), ms=6)
        axes.legend(
            handles=[raw, smooth, accuracy], loc="center right", fontsize=8.5, frameon=False
        )
        caption = figure.text(0.02, 0.03, "", fontsize=10.5, color=hex_colour(INK))
        blitter = Blitter(figure, canvas, [raw, smooth, accuracy, marker, head, caption])
        alpha = self.params["smoothing"]
        steps, losses, smoothed, test_steps, test_acc = [], [], [], [], []
        running = 0.0
        for snap in train(self.digits, self.config):
            running = alpha * running + (1 - alpha) * snap.loss  # over every step, not frames
            if not self.is_frame(snap):
                continue
            average = running / (1 - alpha**snap.step) if alpha else snap.loss  # unbiased start
            steps.append(snap.step)
            losses.append(snap.loss)
            smoothed.append(average)
            if snap.test_accuracy is not None:
                test_steps.append(snap.step)
                test_acc.append(snap.test_accuracy)
            raw.set_data(steps, losses)
            smooth.set_data(steps, smoothed)
            accuracy.set_data(test_steps, test_acc)
            marker.set_xdata([snap.step, snap.step])
            head.set_data([snap.step], [min(average, self.params["loss_max"])])
            caption.set_text(self.caption(snap, average))
            yield blitter.frame()
