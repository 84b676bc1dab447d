"""Layout lint: every scene, at three sizes, in both languages and both themes, on its first,
a middle and its last frame: text inside the frame, never overlapping other text, on a flat
colour with a contrast of at least 4.5:1, and never drawn over afterwards."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest

from vizff.draw.lint import problems
from vizff.scenes import SCENES

SIZES = [(640, 360), (1280, 720), (1920, 1080)]
# few frames per case, so 12 cases per scene stay quick; the options still reach every part
QUICK = {
    "mosaic": {"reveal": 3, "labels": True},
    "sigmoid": {"frames": 3},
    "softmax": {"frames": 3},
    "weights": {"steps": 6, "every": 3, "hidden": (16, 8)},
    "loss": {"steps": 6, "every": 3},
}


def quick(name: str) -> dict:
    return QUICK.get(
        name, SCENES[name].LINT_OPTIONS if hasattr(SCENES[name], "LINT_OPTIONS") else {}
    )


def checked_frames(scene) -> list[tuple[int, np.ndarray, list]]:
    """(index, frame, texts) of the first, a middle and the last frame."""
    total = scene.frame_count()
    wanted = {0, total // 2, total - 1}
    found = []
    for index, frame in enumerate(scene.frames()):
        if index in wanted:
            found.append((index, frame, list(scene.page.texts())))
    return found


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCENES))
def test_layout_lint(name, size, lang, theme):
    scene = SCENES[name](size=size, lang=lang, theme=theme, **quick(name))
    frames = checked_frames(scene)
    assert len(frames) == len({0, scene.frame_count() // 2, scene.frame_count() - 1})
    found = [f"frame {i}: {p}" for i, frame, texts in frames for p in problems(frame, texts)]
    assert not found, "\n".join(found[:20])
    assert all(texts for _, _, texts in frames)  # the lint saw the text it checks


# other shapes of frame, each once: a thumbnail, the README gallery's blog size (both ways),
# a square, a phone's portrait, 4K
ODD = [((320, 180), "en", "dark"), ((480, 270), "en", "light"), ((480, 270), "zh", "dark"),
       ((800, 800), "zh", "light"), ((1080, 1920), "en", "light"),
       ((3840, 2160), "zh", "dark")]  # fmt: skip


def odd_cases():
    """Each scene at each odd shape; where a scene refuses a shape that small (its refusal is
    tested in test_extremes), at its own smallest size instead."""
    for name, cls in SCENES.items():
        for size, lang, theme in ODD:
            if size[0] < cls.MIN_SIZE[0] or size[1] < cls.MIN_SIZE[1]:
                size = tuple(cls.MIN_SIZE)
            yield pytest.param(name, size, lang, theme, id=f"{name}-{size}-{lang}-{theme}")


@pytest.mark.parametrize("name, size, lang, theme", list(odd_cases()))
def test_layout_lint_at_other_shapes(name, size, lang, theme):
    scene = SCENES[name](size=size, lang=lang, theme=theme, **quick(name))
    found = [f"frame {i}: {p}" for i, frame, texts in checked_frames(scene)
             for p in problems(frame, texts)]  # fmt: skip
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("size", [(320, 180), (480, 270), (640, 360)])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_gradients_never_cuts_the_numbers_it_exists_to_show(size, lang):
    """At 480x270 (the gallery's size) the relative error read `all 784 entries: 1...`, and the
    chart's title ran into the heatmaps' header: a line too long for its region at a legible
    size now takes its short form; only the subtitle and a table's names may still be cut."""
    scene = SCENES["gradients"](size=size, lang=lang, frames=3)
    for _, _frame, texts in checked_frames(scene):
        cut = [(t.role, t.content) for t in texts if t.content.endswith("…")]
        assert all(role in ("subtitle", "table") for role, _ in cut), cut
    numbers = " ".join(t.content for t in texts)
    assert "×10" in numbers  # the relative error shown
    assert scene.chart_box is None or "L(w) = " in numbers  # the loss, where there is a chart
    assert size[0] < 480 or scene.chart_box is not None


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", list(SCENES))
def test_nothing_but_a_subtitle_is_cut_at_the_gallerys_size(name, lang):
    """At 480x270 a label that does not fit takes two lines or its short form: sigmoid's
    `saturated: slope <...` and the confusion matrix's `columns: predi...` were cut."""
    scene = SCENES[name](size=(480, 270), lang=lang, **quick(name))
    cut = {(t.role, t.content) for _, _, texts in checked_frames(scene) for t in texts
           if t.content.endswith("…") and t.role not in ("subtitle", "table")}  # fmt: skip
    assert not cut, cut


def test_lint_fails_on_a_planted_overlap():
    scene = SCENES["softmax"](frames=3)
    index, frame, texts = checked_frames(scene)[0]
    assert not problems(frame, texts)
    caption = next(t for t in texts if t.role == "caption")
    planted = scene.page.text(
        frame, (caption.box.x + 5, caption.box.y + caption.box.h / 2), "planted", anchor="lm"
    )
    found = problems(frame, [*texts, planted])
    assert any("overlaps" in p for p in found)


def test_lint_fails_on_text_over_data_and_on_low_contrast():
    scene = SCENES["sigmoid"](frames=3)
    _, frame, texts = checked_frames(scene)[1]
    curve_pixel = np.argwhere((frame == scene.theme.primary).all(axis=2))[0]
    y, x = (int(v) for v in curve_pixel)
    over = scene.page.text(frame, (x, y), "on the curve", anchor="mm")
    faint = scene.page.text(frame, (frame.shape[1] - 5, 3), "faint", colour="faint", anchor="rt")
    found = problems(frame, [over, faint])
    assert any("drawn over something" in p for p in found)
    assert any("contrast" in p for p in found)


def test_lint_fails_when_something_is_drawn_over_text():
    scene = SCENES["softmax"](frames=3)
    _, frame, texts = checked_frames(scene)[0]
    title = next(t for t in texts if t.role == "title")
    frame[title.box.y + 2, title.box.x : title.box.right] = scene.theme.primary
    assert any("drawn over" in p for p in problems(frame, texts))


MONO = Path(matplotlib.get_data_path(), "fonts/ttf/DejaVuSansMono.ttf")  # ships with matplotlib


@pytest.mark.parametrize("name", ["sigmoid", "softmax", "loss"])
def test_a_wide_font_at_the_smallest_size_keeps_every_word_inside_and_whole(name):
    """With a monospaced --font at 320x180 the sigmoid legend's last words ran off the frame,
    and its band labels were cut to `slope < 0…` (the number gone, the label saying nothing)."""
    cls = SCENES[name]
    options = {"size": cls.MIN_SIZE, "font": str(MONO)}
    if name == "loss":
        options["steps"] = 10
    scene = cls(**options)
    frames = list(scene.frames())
    texts = scene.page.texts()
    assert not problems(frames[-1], texts)
    width, height = scene.size
    for item in texts:
        assert 0 <= item.box.x and item.box.right <= width and item.box.bottom <= height, item
        if item.role in ("legend", "label") or "<" in item.content:
            assert not item.content.endswith("…"), item.content


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_caption_longer_than_its_lines_ends_in_an_ellipsis_never_loses_a_line_unsaid(lang):
    """A caption that needs more lines than its region holds, even at the smallest size, was
    drawn as its first lines: the gradients scene at 160x90 lost its back-propagation value
    with nothing to say so. Its last line now ends in "…"."""
    from vizff.draw.catalogue import catalogue
    from vizff.draw.page import Look, Page
    from vizff.draw.theme import THEMES

    look = Look(THEMES["light"], catalogue(lang))
    page = Page((320, 180), look, title="t", caption="short", caption_lines=1)
    frame = page.canvas()
    words = "梯度下降的学习率，" if lang == "zh" else "the words of a long caption "
    page.caption(frame, words * 40 + "END")
    drawn = [t.content for t in page.texts() if t.role == "caption"]
    assert len(drawn) == 1 and drawn[0].endswith("…") and "END" not in drawn[0], drawn
    page.caption(frame, "fits")
    assert [t.content for t in page.texts() if t.role == "caption"][-1] == "fits"
