"""sigmoid: an activation and its slope; a point travels along the curve with its tangent.

The curves are the network's own functions (`vizff.nn.ACTIVATIONS`): sigmoid, tanh or relu.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from vizff.draw import Axis, Chart, Page, Plot, hex_colour, make_palette, numbers
from vizff.draw.plot import nice_ticks
from vizff.draw.text import least_pixels
from vizff.nn import ACTIVATIONS
from vizff.options import Option
from vizff.scenes.base import Scene

SATURATED_SLOPE = 0.01  # below this slope a unit barely learns: the flat tails
SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu"}
INF = float("inf")
RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (-INF, INF)}  # never reached
SLOPE_RANGE = {"sigmoid": (0.0, INF), "tanh": (0.0, INF), "relu": (-INF, INF)}  # relu's 0 is


def activation(function: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f(x), f'(x)) by the network's own activation and its derivative through f(x)."""
    forward, derivative = ACTIVATIONS[function]
    values = forward(np.asarray(x, dtype=np.float64))
    return values, derivative(values)


class Sigmoid(Scene):
    name = "sigmoid"
    summary = "an activation (sigmoid, tanh or relu) and its slope; a point with its tangent"
    OPTIONS = (
        Option(
            "function",
            "str",
            "sigmoid",
            "which activation: the lesson's sigmoid, tanh or relu",
            choices=tuple(ACTIVATIONS),
        ),
        Option("x_max", "float", 8.0, "the curve is drawn over -x_max..x_max", low=1.0, high=50.0),
        Option(
            "frames",
            "int",
            90,
            "frames for the point's journey from -x_max to x_max",
            low=2,
            high=5000,
        ),
    )

    @property
    def palette(self) -> np.ndarray:
        theme = self.theme
        return make_palette(theme, inks=("primary", "secondary", "ink"), under=(theme.panel,))

    def frame_count(self) -> int:
        return self.settings.frames

    def title(self) -> str:
        return self.words("sigmoid.title", function=self.settings.function)

    def xs(self) -> np.ndarray:
        """Where the point stands in each frame."""
        x_max = self.settings.x_max
        return np.linspace(-x_max, x_max, self.frame_count())

    def readout(self, x: float) -> str:
        """The numbers under the chart at x: the network's own f(x) and f'(x)."""
        y, slope = (float(v) for v in activation(self.settings.function, np.array(x)))
        return self.words(
            "sigmoid.readout",
            x=numbers.signed(x, 2),
            f=SYMBOL[self.settings.function],
            y=numbers.stated(self._bounded(y, *RANGE[self.settings.function])),
            slope=numbers.stated(self._bounded(slope, *SLOPE_RANGE[self.settings.function])),
        )

    @staticmethod
    def _bounded(value: float, low: float, high: float) -> str:
        """Four decimals, never reading as a bound the function only nears: tanh(8) is
        `> 0.9999` and its slope `< 0.0001`, not 1.0000 and 0.0000 (relu's 0 is reached)."""
        return numbers.bounded(value, low, high, digits=4, most=4)

    def _axes(self) -> tuple[Axis, Axis]:
        function, x_max = self.settings.function, self.settings.x_max
        margin = x_max * 0.04  # the point at either end is drawn whole, not clipped
        x = Axis(
            -x_max - margin,
            x_max + margin,
            nice_ticks(-x_max, x_max, 7),
            label=lambda v: numbers.minus(f"{v:g}"),
            title=self.words("sigmoid.x_axis"),
        )
        if function == "sigmoid":
            low, top, ticks = -0.05, 1.0, [0, 0.25, 0.5, 0.75, 1.0]
        elif function == "tanh":
            low, top, ticks = -1.15, 1.0, [-1, -0.5, 0, 0.5, 1]
        else:
            low, top, ticks = -0.06 * x_max - 0.5, x_max, nice_ticks(0, x_max, 5)
        # room above the curve for the saturated-region labels and the point: a share of the
        # plot's height that is the label's line, so they never meet at any frame size
        page = self.page
        plot_h = max(1.0, page.body.h - 5 * page.line_height("small"))
        room = min(0.45, 1.3 * (page.line_height("small") + 12 * page.s) / plot_h)
        high = (top - room * low) / (1 - room)
        return x, Axis(low, high, ticks, label=lambda v: numbers.minus(f"{v:g}"))

    def frames(self) -> Iterator[np.ndarray]:
        function, x_max = self.settings.function, self.settings.x_max
        self.page = page = Page(
            self.size, self.look, title=self.title(), caption=self.readout(-x_max * 0.999)
        )
        theme, words = self.theme, self.words
        plot = Plot(page)
        legend = [
            (words(f"sigmoid.legend.{function}"), "primary"),
            (words(f"sigmoid.legend.{function}_slope"), "secondary"),
            (words("sigmoid.tangent"), "ink", "dashed"),  # drawn dashed below
        ]
        x_axis, y_axis = self._axes()
        chart = self.chart = Chart(plot, page.body, x_axis, y_axis, legend=legend)  # kept: tests
        axes = chart.axes
        curve_x = np.linspace(-x_max, x_max, 801)
        values, slopes = activation(function, curve_x)
        tails = self._tails(curve_x, slopes)
        for low, high in tails:
            axes.axvspan(low, high, color=hex_colour(theme.panel), zorder=0, lw=0)
        axes.plot(curve_x, values, color=hex_colour(theme.primary), lw=plot.points(2.2))
        jumps = np.flatnonzero(np.abs(np.diff(slopes)) > 0.5) + 1  # relu′ at 0: a step, not a
        slope_x, slope_y = np.insert(curve_x, jumps, np.nan), np.insert(slopes, jumps, np.nan)
        axes.plot(slope_x, slope_y, color=hex_colour(theme.secondary), lw=plot.points(2))  # ramp
        # the guide stops at the curve's top, below the labels of the saturated regions
        guide_top = float(np.max(values))
        (guide,) = axes.plot([], [], color=hex_colour(theme.faint), lw=plot.points(1.4), zorder=1)
        (tangent,) = axes.plot(
            [], [], color=hex_colour(theme.ink), lw=plot.points(1.3), ls=(0, (4, 2.5))
        )
        (dot,) = axes.plot(
            [],
            [],
            "o",
            color=hex_colour(theme.primary),
            ms=plot.points(7),
            mec=hex_colour(theme.background),
            mew=plot.points(1.2),
            clip_on=False,
        )
        (slope_dot,) = axes.plot(
            [],
            [],
            "o",
            color=hex_colour(theme.secondary),
            ms=plot.points(6),
            mec=hex_colour(theme.background),
            mew=plot.points(1.2),
            clip_on=False,
        )
        moving = [guide, tangent, dot, slope_dot]
        background = page.canvas(plot.render(moving))
        self._static_text(page, chart, background, tails)
        plot.adopt(background)
        half = 0.16 * x_max  # the tangent reaches past the curve on both sides
        for x in self.xs():
            page.begin_frame()
            y, slope = (float(v) for v in activation(function, np.array(x)))
            guide.set_data([x, x], [y_axis.low, guide_top])
            tangent.set_data([x - half, x + half], [y - slope * half, y + slope * half])
            dot.set_data([x], [y])
            slope_dot.set_data([x], [slope])
            frame = plot.frame(moving)
            page.caption(frame, self.readout(float(x)))
            yield frame

    def _tails(self, xs: np.ndarray, slopes: np.ndarray) -> list[tuple[float, float]]:
        """The stretches of x where the slope is below SATURATED_SLOPE (at the ends)."""
        flat = slopes < SATURATED_SLOPE
        tails = []
        if flat[0]:
            end = int(np.argmin(flat)) if not flat.all() else len(xs) - 1
            tails.append((float(xs[0]), float(xs[end])))
        if flat[-1] and not flat.all():
            start = len(xs) - int(np.argmin(flat[::-1]))
            tails.append((float(xs[start]), float(xs[-1])))
        return tails

    def _static_text(self, page: Page, chart: Chart, frame: np.ndarray, tails) -> None:
        """Axis labels, legend, and a label in each saturated stretch."""
        chart.draw_labels(frame)
        words = self.words
        for low, high in tails:
            left, y = chart.to_px(low, chart.y.high)
            right, _ = chart.to_px(high, chart.y.high)
            y += 3 * page.s  # just under the top of the plot, above the curve's headroom
            # relu's flat side is not saturated: its slope there is exactly 0 (inactive)
            kind = "inactive" if self.settings.function == "relu" else "saturated"
            room, label = (right - left) * 0.92, words(f"sigmoid.{kind}")
            lines = [label]
            if page.type.width(label, page.px("small")) > room:  # a narrow stretch: two lines
                lines = words.list(f"sigmoid.{kind}_lines")
            centre = (left + right) / 2
            # a line that would be cut even at its smallest size (`slope < 0…` says nothing)
            # may reach past its stretch, inside the plot, up to 40% of its width
            least = least_pixels(page.px("small"))  # as page.text's fitting shrinks it
            needed = max(page.type.width(line, least) for line in lines)
            if needed > room:
                room = min(needed, chart.box.w * 0.4)
                centre = min(max(centre, chart.box.x + room / 2), chart.box.right - room / 2)
            for line in lines:
                item = page.text(
                    frame,
                    (centre, y),
                    line,
                    size="small",
                    colour="muted",
                    anchor="mt",
                    width=room,
                )
                y = item.box.bottom + 1
