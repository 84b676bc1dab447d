"""How numbers read on screen: the one place that rounds a value for a student to read."""

from __future__ import annotations

import math
from decimal import Decimal

from vizff.draw.catalogue import Markup


def fixed(value: float, digits: int = 4) -> str:
    """`0.1235` for 0.12345 at 4 digits; `nan` and `inf` spelled out, never a crash."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:.{digits}f}"


def sum_terms(first: float, second: float, total: float, digits: int = 2, most: int = 4):
    """`first`, `second` (its size: its sign goes in the formula) and `total` at the fewest
    decimals from `digits` to `most` whose shown terms add up to the shown total, as a student
    checks them: 6.644 + 0.004 = 6.648 is `6.644 + 0.004 = 6.648`, not `6.64 + 0.00 = 6.65`.
    A second term that is not zero never shows as zero while more decimals are allowed."""
    if not all(math.isfinite(v) for v in (first, second, total)):
        return fixed(first, digits), fixed(abs(second), digits), fixed(total, digits)
    for places in range(digits, most + 1):
        a, b, c = (Decimal(f"{v:.{places}f}") for v in (first, second, total))
        if a + b == c and (b != 0 or second == 0 or places == most):
            break
    return fixed(first, places), fixed(abs(second), places), fixed(total, places)


def bounded(value: float, low: float, high: float, digits: int = 2, most: int = 4) -> str:
    """A value between two bounds it never reaches (a sigmoid's 0 and 1, tanh's −1 and 1):
    `digits` decimals, or `most` where fewer would read as the bound itself (`0.9987`, not
    `1.00`); past that, `>0.9999` or `<−0.9999`, never the bound as if reached."""
    text = fixed(value, digits)
    if math.isfinite(value) and low < value < high and float(text) in (low, high):
        text = fixed(value, most)
        if float(text) in (low, high):
            step = 10.0**-most
            near_high = float(text) == high
            text = f">{high - step:.{most}f}" if near_high else f"<{low + step:.{most}f}"
    return minus(text)


def signed(value: float, digits: int = 2) -> str:
    """`+1.50`, `−0.25` (a true minus sign, as typeset)."""
    if not math.isfinite(value):
        return fixed(value)
    text = f"{abs(value):.{digits}f}"
    return ("−" if value < 0 and float(text) != 0 else "+") + text


def minus(text: str) -> str:
    """A formatted number with its hyphen-minus typeset as a minus sign."""
    return text.replace("-", "−")


def probability(p: float, digits: int = 2) -> str:
    """A probability at `digits` decimals; below the smallest step shown as `<0.01`, above
    the largest as `>0.99`, so a small p never reads as zero nor a large one as certain."""
    step = 10.0**-digits
    if not math.isfinite(p):
        return fixed(p)
    if 0 < p < step / 2:
        return f"<{step:.{digits}f}"
    if p < 1 and p > 1 - step / 2:
        return f">{1 - step:.{digits}f}"
    return f"{p:.{digits}f}"


def stated(text: str) -> str:
    """A value as the right side of a statement: `= 0.42`, or `> 0.99` and `< 0.01` for the
    bounds `probability` writes, never `= >0.99`."""
    if text and text[0] in "<>":
        return f"{text[0]} {text[1:]}"
    return f"= {text}"


def percent(fraction: float, digits: int = 1) -> str:
    """0.9234 -> `92.3%`."""
    if not math.isfinite(fraction):
        return fixed(fraction)
    return f"{100 * fraction:.{digits}f}%"


def count(n: int) -> str:
    """Thousands separated: 1,234,567."""
    return f"{n:,}"


def scientific(value: float, digits: int = 1) -> Markup:
    """`3.2e-10` as `3.2×10^{−10}` (kit markup for a superscript); both minus signs typeset."""
    if value == 0 or not math.isfinite(value):
        return Markup(fixed(value, digits))
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), digits) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return Markup(f"{minus(f'{mantissa:.{digits}f}')}×10^{{{minus(str(exponent))}}}")


def limit(value: float) -> str:
    """A colour-bar limit: `0.25`, `1.2`, `15` (no trailing zeros)."""
    return f"{value:g}"
