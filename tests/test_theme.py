"""Themes: text colours readable on the page and on panels, zero weight is the page colour,
signed values blue to red-orange (never red/green), no colour literals outside the themes."""

from __future__ import annotations

import colorsys
import re
from pathlib import Path

import numpy as np
import pytest

from vizff.draw.theme import MAP_LEVELS, THEMES, contrast_ratio

ROOT = Path(__file__).resolve().parents[1]


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    assert contrast_ratio((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("name", list(THEMES))
def test_text_colours_keep_4_5_to_1_on_page_and_panel(name):
    theme = THEMES[name]
    for role, colour in theme.text_colours.items():
        for behind in (theme.background, theme.panel):
            assert contrast_ratio(colour, behind) >= 4.5, (role, behind)


def test_dark_theme_is_dark_and_light_is_light():
    assert THEMES["dark"].dark and not THEMES["light"].dark
    assert sum(THEMES["dark"].background) < 3 * 40


@pytest.mark.parametrize("name", list(THEMES))
def test_signed_map_zero_is_the_page_and_ends_are_blue_and_orange(name):
    theme = THEMES[name]
    colours = theme.diverging
    assert len(colours) == MAP_LEVELS
    assert tuple(colours[MAP_LEVELS // 2]) == theme.background
    hue = lambda c: colorsys.rgb_to_hsv(*(np.asarray(c) / 255))[0] * 360  # noqa: E731
    assert 190 <= hue(colours[0]) <= 240  # blue for negative
    assert hue(colours[-1]) <= 30 or hue(colours[-1]) >= 345  # red-orange for positive
    for c in colours:  # nothing green anywhere on the signed map
        r, g, b = (int(v) for v in c)
        assert not (g > r + 20 and g > b + 20)
    # colour strength grows monotonically away from zero on both sides
    distance = np.abs(colours.astype(int) - np.array(theme.background)).sum(axis=1)
    middle = MAP_LEVELS // 2
    assert (np.diff(distance[middle:]) >= 0).all() and (np.diff(distance[: middle + 1]) <= 0).all()


@pytest.mark.parametrize("name", list(THEMES))
def test_sequential_map_starts_at_the_page(name):
    theme = THEMES[name]
    assert tuple(theme.sequential[0]) == theme.background


def test_no_colour_literal_outside_the_themes():
    pattern = re.compile(r"#[0-9a-fA-F]{6}\b|\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)")
    offenders = []
    for path in (ROOT / "vizff").rglob("*.py"):
        if path.name == "theme.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
            if pattern.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_pale_lines_keep_3_to_1_against_the_page(name):
    """The loss scene's raw batch loss and the gradients scene's back-propagation band are
    paler than their main line, but a student must still see them on a projector."""
    from vizff.draw.theme import LINE_CONTRAST
    from vizff.scenes.gradients import Gradients
    from vizff.scenes.loss import Loss

    theme = THEMES[name]
    for amount in (0.05, 0.3, 0.4, 0.9):
        colour = theme.pale("primary", amount)
        assert contrast_ratio(colour, theme.background) >= LINE_CONTRAST
    for scene in (Loss, Gradients):  # the scenes' own colours, as they draw them
        holder = type("S", (), {"theme": theme})()
        colour = scene.raw_colour(holder) if scene is Loss else scene.band_colour(holder)
        assert contrast_ratio(colour, theme.background) >= 3.0
    raw = Loss.raw_colour(type("S", (), {"theme": theme})())  # paler, yet half the main line's
    main = contrast_ratio(theme.primary, theme.background)
    assert 0.5 * main <= contrast_ratio(raw, theme.background) < main
