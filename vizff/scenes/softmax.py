"""softmax: ten logits beside their probabilities; one logit (or the temperature) sweeps."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from vizff.draw import (
    BLUE,
    INK,
    MUTED,
    ORANGE,
    Blitter,
    hex_colour,
    make_palette,
    new_figure,
    style_axes,
)
from vizff.nn import softmax
from vizff.scenes.base import Param, Scene


class Softmax(Scene):
    name = "softmax"
    summary = "ten logits beside their softmax probabilities; one logit or the temperature sweeps"
    PARAMS = {
        "mode": Param(str, "logit", "what sweeps", choices=("logit", "temperature")),
        "index": Param(int, 3, "the logit that sweeps (mode logit)", 0, 9),
        "low": Param(float, -4.0, "mode logit: the swept logit's first value", -50, 50),
        "high": Param(float, 6.0, "mode logit: the swept logit's last value", -50, 50),
        "t_low": Param(float, 0.25, "mode temperature: first temperature", 0.01, 100),
        "t_high": Param(float, 4.0, "mode temperature: last temperature", 0.01, 100),
        "frames": Param(int, 90, "frames for the sweep", 2, 5000),
    }

    @property
    def palette(self) -> np.ndarray:
        return make_palette(inks=(BLUE, ORANGE))

    def frame_count(self) -> int:
        return self.params["frames"]

    def logits(self) -> np.ndarray:
        """Ten fixed scores drawn from the seed, one decimal each."""
        rng = np.random.default_rng(self.options.seed)
        return np.round(rng.normal(0.0, 1.3, 10), 1)

    def sweep(self) -> np.ndarray:
        """The swept values, one per frame: logit values, or temperatures on a log scale."""
        if self.params["mode"] == "temperature":
            return np.geomspace(self.params["t_low"], self.params["t_high"], self.frame_count())
        return np.linspace(self.params["low"], self.params["high"], self.frame_count())

    def frames(self) -> Iterator[np.ndarray]:
        mode, index = self.params["mode"], self.params["index"]
        base, values = self.logits(), self.sweep()
        figure, canvas = new_figure(self.size)
        left = figure.add_axes((0.07, 0.2, 0.40, 0.58))
        right = figure.add_axes((0.57, 0.2, 0.40, 0.58))
        for axes in (left, right):
            style_axes(axes)
            axes.set_xticks(range(10))
            axes.set_xlabel("digit", fontsize=9, color=hex_colour(MUTED))
        span = max(abs(base).max(), abs(values).max() if mode == "logit" else 0) * 1.25
        left.set_ylim(-span, span)
        left.axhline(0, color=hex_colour(MUTED), lw=0.8)
        right.set_ylim(0, 1.12)
        left.set_title("logits z (any real numbers)", fontsize=10, color=hex_colour(INK))
        right.set_title(
            r"probabilities $p_i = e^{z_i}\,/\,\Sigma_j\, e^{z_j}$",
            fontsize=10,
            color=hex_colour(INK),
        )
        figure.text(
            0.02,
            0.95,
            "The output: softmax turns ten scores into probabilities",
            fontsize=14,
            weight="bold",
            color=hex_colour(INK),
            va="top",
        )
        colours = [
            hex_colour(ORANGE if (mode == "logit" and i == index) else BLUE) for i in range(10)
        ]
        z_bars = left.bar(range(10), base, color=colours, width=0.7)
        p_bars = right.bar(range(10), softmax(base), color=colours, width=0.7)
        p_labels = [
            right.text(i, 0, "", ha="center", va="bottom", fontsize=7.5, color=hex_colour(INK))
            for i in range(10)
        ]
        z_labels = [
            left.text(i, 0, "", ha="center", fontsize=7.5, color=hex_colour(INK)) for i in range(10)
        ]
        caption = figure.text(0.02, 0.03, "", fontsize=10.5, color=hex_colour(INK))
        animated = [*z_bars, *p_bars, *p_labels, *z_labels, caption]
        blitter = Blitter(figure, canvas, animated)
        for value in values:
            logits = base.copy()
            if mode == "logit":
                logits[index] = value
            probabilities = softmax((logits if mode == "logit" else logits / value)[None])[0]
            for i in range(10):
                z_bars[i].set_height(logits[i])
                p_bars[i].set_height(probabilities[i])
                p_labels[i].set_position((i, probabilities[i] + 0.01))
                p_labels[i].set_text(f"{probabilities[i]:.2f}")
                z_labels[i].set_position(
                    (i, logits[i] + (0.04 if logits[i] >= 0 else -0.04) * span)
                )
                z_labels[i].set_va("bottom" if logits[i] >= 0 else "top")
                z_labels[i].set_text(f"{logits[i]:.1f}")
            caption.set_text(self.caption(logits, probabilities, value))
            yield blitter.frame()

    def caption(self, logits: np.ndarray, probabilities: np.ndarray, value: float) -> str:
        best = int(probabilities.argmax())
        if self.params["mode"] == "temperature":
            return (
                f"temperature T = {value:.2f}: softmax(z / T); most probable digit {best} "
                f"with p = {probabilities[best]:.3f}   (sum = {probabilities.sum():.3f})"
            )
        i = self.params["index"]
        return (
            f"z{i} = {logits[i]:+.2f}  gives  p{i} = {probabilities[i]:.3f};   most probable "
            f"digit {best}   (sum of p = {probabilities.sum():.3f})"
        )
