"""How numbers read on screen: the one place that rounds a value for a student to read."""

from __future__ import annotations

import math

from vizff.draw.catalogue import Markup


def fixed(value: float, digits: int = 4) -> str:
    """`0.1235` for 0.12345 at 4 digits; `nan` and `inf` spelled out, never a crash."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:.{digits}f}"


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
