"""How numbers read on screen (vizff/draw/numbers.py), against strings written out by hand.

Every expected string below was worked out on paper from the value, not produced by calling
the code under test or Python's own formatting: a rounding rule, a boundary or a sign that
changes shows up as a different string. Binary floats matter at the boundaries, so each case
that sits on one says which way its double lies (0.005 is stored as 0.005000000000000000104,
just above the decimal; 0.995 as 0.99499999999999999556, just below).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vizff.draw import numbers
from vizff.draw.catalogue import Markup
from vizff.draw.numbers import count, fixed, limit, minus, percent, probability, scientific, signed

MINUS = "\u2212"  # the typeset minus sign, not the hyphen-minus "-"
NAN, INF = math.nan, math.inf


# ---- fixed -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (2.302585093, None, "2.3026"),  # ln 10, the default four decimals
        (0.97265625, None, "0.9727"),  # an accuracy of 249/256 (exact in binary), rounded up
        (0.5, 2, "0.50"),
        (1234.5678, 1, "1234.6"),
        (7.0, 0, "7"),
        (0.125, 2, "0.12"),  # exactly half way in binary: rounds to even
        (-0.25, 2, "-0.25"),  # plain text: the callers that typeset it use minus()
        (NAN, None, "nan"),
        (INF, None, "inf"),
        (-INF, None, "-inf"),
        (NAN, 2, "nan"),
    ],
)
def test_fixed(value, digits, expected):
    assert (fixed(value) if digits is None else fixed(value, digits)) == expected


# ---- signed ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (1.5, None, "+1.50"),  # the default two decimals
        (0.25, None, "+0.25"),  # positive below 1: a plus, whatever the threshold
        (-0.25, None, MINUS + "0.25"),
        (-6.0, None, MINUS + "6.00"),
        (0.0, None, "+0.00"),
        (-0.0, None, "+0.00"),  # negative zero has no sign to show
        (-0.004, None, "+0.00"),  # rounds to zero: no minus in front of 0.00
        (-0.006, None, MINUS + "0.01"),
        (-0.0004, 3, "+0.000"),
        (-0.0006, 3, MINUS + "0.001"),
        (2.0, 1, "+2.0"),
        (NAN, None, "nan"),
        (INF, None, "inf"),
    ],
)
def test_signed(value, digits, expected):
    assert (signed(value) if digits is None else signed(value, digits)) == expected


def test_minus_typesets_every_hyphen():
    assert minus("-1.5e-05") == f"{MINUS}1.5e{MINUS}05"
    assert minus("2.50") == "2.50"
    assert minus("") == ""


# ---- probability -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "p, digits, expected",
    [
        (0.4567, None, "0.46"),  # the default two decimals
        (0.0, None, "0.00"),  # exactly 0 is shown as 0, not as "<0.01"
        (1e-300, None, "<0.01"),
        (0.004, None, "<0.01"),
        (0.0049, None, "<0.01"),
        (0.005, None, "0.01"),  # stored above 0.005: rounds to 0.01, which is honest
        (0.0051, None, "0.01"),
        (0.5, None, "0.50"),
        (0.994, None, "0.99"),
        (0.995, None, "0.99"),  # stored below 0.995: rounds to 0.99, no ">" needed
        (0.9951, None, ">0.99"),  # would round to 1.00: never shown as certain
        (0.999999, None, ">0.99"),
        (1.0, None, "1.00"),  # exactly 1 is shown as 1
        (0.0004, 3, "<0.001"),
        (0.0006, 3, "0.001"),
        (0.1234, 3, "0.123"),
        (0.9996, 3, ">0.999"),
        (0.9994, 3, "0.999"),
        (0.04, 1, "<0.1"),
        (0.96, 1, ">0.9"),
        (NAN, None, "nan"),
        (INF, None, "inf"),
    ],
)
def test_probability(p, digits, expected):
    assert (probability(p) if digits is None else probability(p, digits)) == expected


# ---- percent, count, limit -------------------------------------------------------------------
@pytest.mark.parametrize(
    "fraction, digits, expected",
    [
        (0.9234, None, "92.3%"),
        (0.5, 0, "50%"),
        (0.12345, 2, "12.35%"),  # 12.345000000000001 after the product: rounds up
        (1.0, None, "100.0%"),
        (NAN, None, "nan"),
    ],
)
def test_percent(fraction, digits, expected):
    assert (percent(fraction) if digits is None else percent(fraction, digits)) == expected


def test_count_and_limit():
    assert count(7) == "7" and count(1234) == "1,234" and count(1234567) == "1,234,567"
    assert limit(0.25) == "0.25" and limit(1.2) == "1.2" and limit(15.0) == "15"


# ---- scientific ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (3.2e-10, None, "3.2×10^{−10}"),  # the default one decimal
        (1e-5, None, "1.0×10^{−5}"),
        (1e-5, 2, "1.00×10^{−5}"),
        (0.0123, 2, "1.23×10^{−2}"),
        (5.0, None, "5.0×10^{0}"),
        (6.02e23, 2, "6.02×10^{23}"),
        (1.23456789e-3, 7, "1.2345679×10^{−3}"),  # a derivative, eight significant digits
        (9.94e-3, None, "9.9×10^{−3}"),
        (9.96e-3, None, "1.0×10^{−2}"),  # 9.96 rounds to 10.0: carried into the exponent
        (99.96, None, "1.0×10^{2}"),
        (9.9996, 3, "1.000×10^{1}"),
        (-2.5e3, None, "−2.5×10^{3}"),  # a negative mantissa gets the same minus sign
        (-2.5e-3, None, "−2.5×10^{−3}"),
        (-9.96e-3, None, "−1.0×10^{−2}"),  # the carry goes by the size, whatever the sign
        (-9.94e-3, None, "−9.9×10^{−3}"),
        (0.0, None, "0.0"),
        (0.0, 3, "0.000"),
        (NAN, None, "nan"),
        (INF, None, "inf"),
    ],
)
def test_scientific(value, digits, expected):
    text = scientific(value) if digits is None else scientific(value, digits)
    assert text == expected
    assert isinstance(text, Markup)  # the superscript is markup on purpose, never escaped


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.42", "= 0.42"), (">0.99", "> 0.99"), ("<0.001", "< 0.001"), ("nan", "= nan")],
)
def test_stated(text, expected):
    assert numbers.stated(text) == expected


def test_sum_terms_add_up_at_the_fewest_decimals():
    """`6.64 + 0.00 = 6.65` was on screen: terms rounded apart do not add up. Over many random
    sums the shown terms add up exactly, each is its value rounded, and fewer decimals would
    not do (or would show a bias that is not zero as 0.00)."""
    from decimal import Decimal

    from vizff.draw.numbers import sum_terms

    rng = np.random.default_rng(0)
    widened = 0
    for _ in range(3000):
        first, second = rng.normal(0, 4), rng.normal(0, 0.05)
        total = first + second
        a, b, c = sum_terms(first, second, total)
        places = len(c.split(".")[1])
        assert 2 <= places <= 4 and all(len(t.split(".")[1]) == places for t in (a, b))
        for text, value in ((a, first), (b, abs(second)), (c, total)):
            assert abs(float(text) - value) <= 0.5 * 10.0**-places + 1e-12
        sign = -1 if second < 0 else 1
        if places < 4:
            assert Decimal(a) + sign * Decimal(b) == Decimal(c)
        if places > 2:
            widened += 1
            two = [Decimal(f"{v:.2f}") for v in (first, abs(second), total)]
            assert two[0] + sign * two[1] != two[2] or two[1] == 0
    assert 100 < widened < 2000  # the rule is exercised, and two decimals stay the usual case


@pytest.mark.parametrize(
    "value, low, high, shown",
    [
        (0.998, -1, 1, "0.9980"),  # tanh(3.47): not "1.00"
        (0.99999977, -1, 1, ">0.9999"),  # tanh(8): not "1.0000"
        (-0.99999, -1, 1, "<−0.9999"),
        (1e-9, 0, 1, "<0.0001"),  # a sigmoid far left
        (-0.669, -1, 1, "−0.67"),  # a true minus sign
        (0.5, 0, 1, "0.50"),
        (1.0, 0, 1, "1.00"),  # reached (relu-like clipping, or float rounding): said so
    ],
)
def test_a_bounded_value_never_reads_as_its_bound(value, low, high, shown):
    from vizff.draw.numbers import bounded

    assert bounded(value, low, high) == shown
