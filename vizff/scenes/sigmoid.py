"""sigmoid: the activation and its slope; a point travels along the curve with its tangent."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from vizff.draw import (
    BLUE,
    FAINT,
    INK,
    MUTED,
    ORANGE,
    Blitter,
    hex_colour,
    make_palette,
    new_figure,
    style_axes,
)
from vizff.nn import derivative_sigmoid, sigmoid
from vizff.scenes.base import Param, Scene

SATURATED_SLOPE = 0.01  # below this slope a unit barely learns: the flat tails


class Sigmoid(Scene):
    name = "sigmoid"
    summary = "sigmoid and its derivative; a point with its tangent travels along the curve"
    PARAMS = {
        "x_max": Param(float, 8.0, "the curve is drawn over -x_max..x_max", 1.0, 50.0),
        "frames": Param(int, 90, "frames for the point's journey from -x_max to x_max", 2, 5000),
    }

    @property
    def palette(self) -> np.ndarray:
        return make_palette(inks=(BLUE, ORANGE), extra=((244, 244, 244),))

    def frame_count(self) -> int:
        return self.params["frames"]

    def frames(self) -> Iterator[np.ndarray]:
        x_max = self.params["x_max"]
        figure, canvas = new_figure(self.size)
        axes = figure.add_axes((0.08, 0.15, 0.89, 0.68))
        style_axes(axes)
        xs = np.linspace(-x_max, x_max, 801)
        tail = float(np.log(1 / SATURATED_SLOPE))  # sigma' < 0.01 for |x| > about 4.6
        for side in (-1, 1):
            if tail < x_max:
                axes.axvspan(side * tail, side * x_max, color="#f4f4f4", zorder=0, lw=0)
        if tail < x_max:
            for side in (-1, 1):
                axes.text(
                    side * (tail + x_max) / 2,
                    1.02,
                    "saturated\nslope < 0.01",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    color=hex_colour(MUTED),
                )
        axes.plot(
            xs, sigmoid(xs), color=hex_colour(BLUE), lw=2.2, label=r"$\sigma(x) = 1/(1+e^{-x})$"
        )
        axes.plot(
            xs,
            derivative_sigmoid(xs),
            color=hex_colour(ORANGE),
            lw=2,
            label=r"$\sigma'(x) = \sigma(x)\,(1-\sigma(x))$",
        )
        axes.set(xlim=(-x_max, x_max), ylim=(-0.05, 1.2))
        axes.legend(loc="center right", fontsize=9, frameon=False, bbox_to_anchor=(1.0, 0.42))
        figure.text(
            0.02,
            0.95,
            "The activation: sigmoid and its slope",
            fontsize=14,
            weight="bold",
            color=hex_colour(INK),
            va="top",
        )
        guide = axes.axvline(0, color=hex_colour(FAINT), lw=1.2, zorder=1)
        (tangent,) = axes.plot([], [], color=hex_colour(INK), lw=1.3, ls="--")
        (dot,) = axes.plot([], [], "o", color=hex_colour(BLUE), ms=7)
        (slope_dot,) = axes.plot([], [], "o", color=hex_colour(ORANGE), ms=6)
        readout = figure.text(0.02, 0.025, "", fontsize=10.5, color=hex_colour(INK))
        blitter = Blitter(figure, canvas, [guide, tangent, dot, slope_dot, readout])
        half = 0.12 * x_max  # the tangent is drawn over x +- half
        for x in np.linspace(-x_max, x_max, self.frame_count()):
            y, slope = float(sigmoid(np.array(x))), float(derivative_sigmoid(np.array(x)))
            guide.set_xdata([x, x])
            tangent.set_data([x - half, x + half], [y - slope * half, y + slope * half])
            dot.set_data([x], [y])
            slope_dot.set_data([x], [slope])
            readout.set_text(
                f"x = {x:+.2f}     \u03c3(x) = {y:.4f}     slope \u03c3'(x) = {slope:.4f}"
            )
            yield blitter.frame()
