"""softmax: ten scores beside their probabilities; one score (or the temperature) sweeps.

The probabilities are the network's own `vizff.nn.softmax`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from vizff.draw import Axis, Bars, Chart, Page, Plot, hex_colour, make_palette, numbers
from vizff.draw.plot import nice_ticks
from vizff.nn import softmax
from vizff.options import Option
from vizff.scenes.base import Scene

STACK_BELOW = 1.3  # body width / height under which the two charts go one above the other


class Softmax(Scene):
    name = "softmax"
    summary = "ten scores beside their softmax probabilities; one score or the temperature sweeps"
    takes = ("seed",)
    also = ("classes",)  # what the ten outputs stand for: the caption names the most probable
    OPTIONS = (
        Option("mode", "str", "logit", "what sweeps", choices=("logit", "temperature")),
        Option("index", "int", 3, "the score that sweeps (mode logit)", low=0, high=9),
        Option("low", "float", -4.0, "mode logit: the swept score's first value", low=-50, high=50),
        Option("high", "float", 6.0, "mode logit: the swept score's last value", low=-50, high=50),
        Option("t_low", "float", 0.25, "mode temperature: first temperature", low=0.01, high=100),
        Option("t_high", "float", 4.0, "mode temperature: last temperature", low=0.01, high=100),
        Option("frames", "int", 90, "frames for the sweep", low=2, high=5000),
    )

    @property
    def palette(self) -> np.ndarray:
        return make_palette(self.theme, inks=("primary", "secondary"))

    def frame_count(self) -> int:
        return self.settings.frames

    def title(self) -> str:
        key = "title_temperature" if self.settings.mode == "temperature" else "title"
        return self.words(f"softmax.{key}")

    def logits(self) -> np.ndarray:
        """Ten fixed scores drawn from the seed, one decimal each."""
        rng = np.random.default_rng(self.settings.seed)
        return np.round(rng.normal(0.0, 1.3, 10), 1)

    def sweep(self) -> np.ndarray:
        """The swept values, one per frame: score values, or temperatures on a log scale."""
        s = self.settings
        if s.mode == "temperature":
            return np.geomspace(s.t_low, s.t_high, self.frame_count())
        return np.linspace(s.low, s.high, self.frame_count())

    def state(self, value: float) -> tuple[np.ndarray, np.ndarray]:
        """(scores, probabilities) of one frame: the network's own softmax."""
        logits = self.logits()
        if self.settings.mode == "logit":
            logits[self.settings.index] = value
            return logits, softmax(logits[None])[0]
        return logits, softmax((logits / value)[None])[0]

    def caption(self, logits: np.ndarray, probabilities: np.ndarray, value: float) -> str:
        index = int(probabilities.argmax())
        total = numbers.fixed(float(probabilities.sum()), 3)
        thing = self.things(plural=False)  # digit, item, class
        name = self.class_names()[index]  # the bars are numbered: a name says which class
        best = (
            str(index)
            if name == str(index)
            else self.words("softmax.named", index=index, name=name)
        )
        if self.settings.mode == "temperature":
            return self.words(
                "softmax.caption_temperature",
                t=numbers.fixed(value, 2),
                thing=thing,
                best=best,
                p=numbers.stated(numbers.probability(probabilities[index], 3)),
                total=total,
            )
        i = self.settings.index
        return self.words(
            "softmax.caption_logit",
            index=i,
            value=numbers.signed(logits[i], 2),
            p=numbers.stated(numbers.probability(probabilities[i], 3)),
            thing=thing,
            best=best,
            total=total,
        )

    def frames(self) -> Iterator[np.ndarray]:
        mode, index = self.settings.mode, self.settings.index
        values = self.sweep()
        base = self.logits()
        logits0, probs0 = self.state(values[0])
        self.page = page = Page(
            self.size,
            self.look,
            title=self.title(),
            caption=self.caption(logits0, probs0, values[0]),
        )
        theme, words = self.theme, self.words
        plot = Plot(page)
        body = page.body  # side by side; one above the other where that leaves them narrow
        if body.w >= STACK_BELOW * body.h:  # (a square or portrait frame)
            left_box, right_box = body.columns(1, 1, gap=round(28 * page.s))
        else:
            left_box, right_box = body.rows(1, 1, gap=round(20 * page.s))
        span = max(abs(base).max(), abs(values).max() if mode == "logit" else 0) * 1.3
        digits = Axis(-0.6, 9.6, list(range(10)), label=lambda v: f"{v:g}")
        left = Chart(
            plot,
            left_box,
            digits,
            Axis(
                -span,
                span,
                nice_ticks(-span * 0.9, span * 0.9, 5),
                label=lambda v: numbers.minus(f"{v:g}"),
                title=words("softmax.logits"),
            ),
            grid="y",  # a vertical line through each bar's label would only be noise
        )
        key = "probabilities_temperature" if mode == "temperature" else "probabilities"
        right = Chart(
            plot,
            right_box,
            digits,
            Axis(
                0,
                1.14,
                [0, 0.25, 0.5, 0.75, 1.0],
                label=lambda v: f"{v:g}",
                title=words(f"softmax.{key}"),
            ),
            grid="y",  # a vertical line through each bar's label would only be noise
        )
        left.axes.axhline(0, color=hex_colour(theme.muted), lw=plot.points(0.9))
        background = page.canvas(plot.render())
        left.draw_labels(background)
        right.draw_labels(background)
        z_bars = Bars(page, left.box, 10, to_y=lambda v: left.to_px(0, v)[1], widest="−0.0")
        p_bars = Bars(page, right.box, 10, to_y=lambda v: right.to_px(0, v)[1], widest="<0.01")
        colours = [
            theme.secondary if (mode == "logit" and i == index) else theme.primary
            for i in range(10)
        ]
        for value in values:
            page.begin_frame()
            frame = background.copy()
            logits, probabilities = self.state(float(value))
            # thinned labels keep the bars the caption is about: the nudged score and the most
            # probable digit, each first on its own chart
            best = int(probabilities.argmax())
            nudged = [index] if mode == "logit" else []
            z_labels = [numbers.minus(f"{z:.1f}") for z in logits]
            z_bars.draw(frame, logits, colours, z_labels, keep=[*nudged, best])
            p_labels = [numbers.probability(p, 2) for p in probabilities]
            p_bars.draw(frame, probabilities, colours, p_labels, keep=[best, *nudged])
            page.caption(frame, self.caption(logits, probabilities, float(value)))
            yield frame
