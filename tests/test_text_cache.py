"""The typesetter's cache of drawn strings: reused while it fits its byte budget, the least
recently used forgotten past it, so a caption new every frame cannot grow a render's memory."""

from __future__ import annotations

import numpy as np
import pytest

from vizff.draw import text
from vizff.draw.text import Typesetter


def test_new_strings_every_frame_stay_within_the_budget(monkeypatch):
    monkeypatch.setattr(text, "PICTURE_BYTES", 200_000)
    setter = Typesetter()
    frame = np.full((100, 800, 3), 255, dtype=np.uint8)
    kept = setter.lay("kept", 20)
    for step in range(400):
        setter.draw(frame, kept, (10, 50), (0, 0, 0))  # reused every frame: never forgotten
        laid = setter.lay(f"step {step}/400   loss {step / 7:.4f}", 20)
        setter.draw(frame, laid, (100, 50), (0, 0, 0))
        assert setter._picture_bytes <= 200_000
    assert setter._picture_bytes == sum(p.nbytes for p in setter._pictures.values())
    assert any(key[0] == kept.key for key in setter._pictures)
    assert len(setter._pictures) < 400


def test_chinese_lines_end_after_punctuation_not_inside_a_word():
    """The title card's subtitle once broke 激活函数 across two lines: lines now end after
    、，： where the phrases between them fit, and a phrase wider than a line still breaks."""
    setter = Typesetter()
    text = (
        "输入手写数字图像，输出每个数字的预测概率：输入、激活函数、输出、损失函数、"
        "梯度与梯度下降法，逐步讲解"
    )
    for width in range(400, 900, 37):  # the longest phrase, 12 characters, is 240 px
        lines = setter.wrap(text, width, 20, cjk=True)
        assert "".join(lines) == text
        assert all(setter.width(line, 20) <= width for line in lines)
        assert all(line[-1] in "、，：" for line in lines[:-1]), lines
    for width in range(150, 400, 23):  # narrower: long phrases break, never before a 、
        lines = setter.wrap(text, width, 20, cjk=True)
        assert "".join(lines) == text and not any(line[0] in "、，：" for line in lines)
    lines = setter.wrap("一二三四五六七八九十" * 4, 100, 20, cjk=True)  # no punctuation at all
    assert len(lines) > 1 and all(setter.width(line, 20) <= 100 for line in lines)


@pytest.mark.parametrize("cjk", [False, True])
def test_a_formula_never_breaks_beside_a_lone_operator(cjk):
    """A title of one's own with a formula in it: at every width, no line ends with an
    operator standing alone, and none starts with one (`E =` over `−Σ t log y` read as two
    statements); the words and their spaces are all kept. In Chinese the Latin run between
    the characters is kept whole where it is short enough to be a phrase."""
    setter = Typesetter()
    title = (
        "第二步：交叉熵误差 E = −Σ t log y，学习率 η ≈ 0.1"
        if cjk
        else "Step two: the cross-entropy E = −Σ t log y, learning rate η ≈ 0.1 and x + y"
    )
    operators = "=+−≈"
    breaks = 0
    for width in range(60, 700, 7):
        lines = setter.wrap(title, width, 20, cjk=cjk)
        joined = "".join(lines) if cjk else " ".join(lines)
        assert joined.replace(" ", "") == title.replace(" ", "")
        for line in lines:
            words = line.split()
            assert words[0] not in operators and words[-1] not in operators, lines
        breaks += len(lines) - 1
        if cjk and setter.width(" E = −Σ t log y，", 20) <= text.PHRASE_SHARE * width:
            assert any("E = −Σ t log y" in line for line in lines), lines  # a formula, whole
    assert breaks > 50  # the widths did make it break, many times


@pytest.mark.parametrize("cjk", [False, True])
def test_a_formula_with_subscripts_stays_on_one_line_where_it_can(cjk):
    """A teacher's card broke `E = −Σ tₖ log yₖ` as `E = −Σ` over `tₖ log yₖ` (English) and
    as `… log` over `yₖ，` (Chinese: ₖ was not counted as part of a formula). At every width
    where the formula takes at most a phrase's share of the line, some line holds it whole;
    every word is kept, in order. In Chinese a value stays with its name (`学习率` over
    `η = 0.1` split them)."""
    setter = Typesetter()
    formula = "E = −Σ tₖ log yₖ"
    title = (
        f"第三周：交叉熵误差 {formula}，学习率 η = 0.1，批量大小 64"
        if cjk
        else f"Week three: the cross-entropy {formula}, with learning rate η = 0.1 and batch 64"
    )
    whole = 0
    for width in range(60, 900, 9):
        lines = setter.wrap(title, width, 20, cjk=cjk)
        joined = "".join(lines) if cjk else " ".join(lines)
        assert joined.replace(" ", "") == title.replace(" ", "")
        if setter.width(f" {formula}{'，' if cjk else ','}", 20) <= text.PHRASE_SHARE * width:
            assert any(formula in line for line in lines), (width, lines)
            whole += len(lines) > 1  # and the title did break somewhere else
        if cjk and setter.width("学习率 η = 0.1，", 20) <= text.PHRASE_SHARE * width:
            assert any("学习率 η = 0.1" in line for line in lines), (width, lines)  # held
    assert whole > 10


def test_a_number_or_letter_between_two_chinese_phrases_holds_on_to_both():
    """The mosaic's Chinese caption at 322x182 broke `（均从 0` over `数起）` and `第 j` over
    `行`: a number or a letter written between two phrases is part of both. At every width
    where `第 j 行（均从 0 数起）` fits a phrase's share, a line holds it whole; every
    character is kept, in order."""
    setter = Typesetter()
    caption = (
        "测试集数字，编号 0–71，按列填充：编号 i×6 + j 的图放在第 i 列、第 j 行（均从 0 数起）"
    )
    held = 0
    for width in range(80, 700, 7):
        lines = setter.wrap(caption, width, 12, cjk=True)
        assert "".join(lines).replace(" ", "") == caption.replace(" ", "")
        if setter.width("第 j 行（均从 0 数起）", 12) <= text.PHRASE_SHARE * width:
            assert any("第 j 行（均从 0 数起）" in line for line in lines), (width, lines)
            held += len(lines) > 1
    assert held > 5


def test_text_over_a_grid_line_takes_the_areas_own_colour():
    """The colour a label's box is cleared to is the most common one there, whether the page,
    a grid line or a shaded band that is neither (the sigmoid's saturated stretches)."""
    from collections import Counter

    from vizff.draw.text import _commoner

    page, grid, shade = (255, 255, 255), (225, 225, 225), (244, 244, 244)
    for under in (page, grid, shade):
        region = np.full((12, 30, 3), under, np.uint8)
        region[:, 14:16] = grid if under != grid else page  # a line across the box
        region[5, :4] = (240, 240, 240)  # an antialiased edge
        mode = Counter(map(tuple, region.reshape(-1, 3).tolist())).most_common(1)[0][0]
        assert _commoner(region, page, grid) == mode == under


@pytest.mark.parametrize(
    ("frame_size", "largest"),
    [((40, 60), (12, 20)), ((200, 400), (150, 300))],  # labels' boxes; captions' (past FLAT_BYTES)
)
def test_flat_and_within_agree_with_a_pixel_by_pixel_reading(frame_size, largest):
    """The checks behind every label, by bytes for small boxes and by rows for large ones:
    the same verdicts as comparing each pixel, on views into a wider frame, at odd sizes,
    one pixel off anywhere."""
    rng = np.random.default_rng(5)
    page, grid = (250, 250, 250), (225, 228, 232)
    sizes = set()
    for _ in range(300):
        frame = np.empty((*frame_size, 3), np.uint8)
        frame[:] = page
        h, w = rng.integers(1, largest[0]), rng.integers(1, largest[1])
        sizes.add(h * w * 3 > text.FLAT_BYTES)
        y, x = rng.integers(0, frame_size[0] - h), rng.integers(0, frame_size[1] - w)
        region = frame[y : y + h, x : x + w]
        kind = rng.integers(0, 4)
        if kind == 1:  # a grid line's antialiased column: between the two colours
            region[:, rng.integers(0, w)] = (238, 240, 241)
        elif kind == 2:  # one pixel of data
            region[rng.integers(0, h), rng.integers(0, w)] = (rng.integers(0, 256), 0, 0)
        elif kind == 3:  # one channel of one pixel just past the grid colour
            region[rng.integers(0, h), rng.integers(0, w), rng.integers(0, 3)] = 224
        pixels = region.reshape(-1, 3)
        flat = tuple(pixels[0].tolist()) if (pixels == pixels[0]).all() else None
        low, high = np.minimum(page, grid), np.maximum(page, grid)
        within = bool(((pixels >= low) & (pixels <= high)).all())
        assert text._flat(region) == flat
        assert text._within(region, page, grid) == within
    assert sizes == ({False} if largest[0] < 20 else {False, True})  # both ways were taken
