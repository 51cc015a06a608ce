"""Axes: 1-2-5 ticks, decades, labels of at most 7 characters, and a defined axis for every edge case."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_dl.ticks import LABEL_WIDTH, axis_for, compact, integer_axis, linear_axis, log_axis, tick_labels


def mantissa(step: float) -> int:
    return round(step / 10 ** math.floor(math.log10(step) + 1e-9))


def test_compact_labels_are_short_and_exact():
    assert [compact(v) for v in (1e-3, 2.5e-4, 2.1e32, 0.33, 250.0, 0.5, 0.0, -120.0, 10.0)] == \
        ["1e-3", "2.5e-4", "2.1e32", "0.33", "250", "0.5", "0", "-120", "10"]
    assert compact(1e300) == "1e300" and compact(-1e-300) == "-1e-300"
    assert compact(float("inf")) == "inf" and compact(float("nan")) == "nan"


def test_tick_labels_read_back_their_values():
    assert tick_labels(np.array([0.0, 2.5e-4, 5e-4, 7.5e-4, 1e-3])) == ("0", "2.5e-4", "5e-4", "7.5e-4", "1e-3")
    # 0.15 at one digit would be `0.2`, a different tick's label: the labels get the digits they need
    assert tick_labels(np.array([0.0, 0.05, 0.1, 0.15])) == ("0", "0.05", "0.1", "0.15")


def test_linear_axis_extends_to_nice_ticks_around_the_data():
    axis = linear_axis(0.253, 2.3)
    assert (axis.low, axis.high) == (0.0, 3.0) and axis.labels == ("0", "1", "2", "3")
    axis = linear_axis(-1.08, 1.07, 3, extend=False)  # fixed ends: ticks inside them
    assert (axis.low, axis.high) == (-1.08, 1.07) and axis.labels == ("-1", "0", "1")


@settings(derandomize=True, max_examples=500)  # the same examples every run: CI never meets a new one by chance
@given(st.floats(-1e300, 1e300, allow_subnormal=False), st.floats(1e-6, 1e6), st.integers(2, 8))
def test_linear_axes_cover_the_data_with_1_2_5_ticks_and_short_labels(low, relative, count):
    high = low + max(abs(low), 1.0) * relative
    if not math.isfinite(high):
        return
    axis = linear_axis(low, high, count)
    assert axis.low <= low and axis.high >= high and axis.low < axis.high
    assert np.all(np.diff(axis.ticks) > 0) and len(axis.ticks) >= 2
    assert mantissa(float(np.diff(axis.ticks)[0])) in (1, 2, 5)
    assert all(len(label.lstrip("-")) <= LABEL_WIDTH for label in axis.labels)
    assert len(set(axis.labels)) == len(axis.labels)


def test_log_axis_uses_decades_or_1_2_5_within_one():
    wide = log_axis(1e-7, 10)  # every 2nd decade, the ends on ticks: both labelled
    assert wide.labels == ("1e-8", "1e-6", "1e-4", "0.01", "1", "100") and (wide.low, wide.high) == (1e-8, 100)
    fixed = axis_for(np.array([1e-7, 10.0]), log=True, limits=(1e-7, 10.0))  # an LR range test's rates
    assert fixed.labels == ("1e-7", "1e-5", "1e-3", "0.1", "10") and (fixed.low, fixed.high) == (1e-7, 10)
    huge = log_axis(1e-31, 1e180, count=6)  # strides of 1, 2, 5, 10, 20, 50 ... decades
    assert huge.labels == ("1e-50", "1", "1e50", "1e100", "1e150", "1e200")
    narrow = log_axis(2e-4, 8e-4)  # less than a decade: intermediate labels
    assert narrow.labels == ("2e-4", "5e-4", "1e-3") and narrow.low == pytest.approx(2e-4)
    tight = log_axis(6.9e-4, 1e-3)
    assert tight.labels == ("6e-4", "7e-4", "8e-4", "9e-4", "1e-3")


@pytest.mark.parametrize("log", [False, True])
def test_a_constant_gets_a_range_around_it_oriented_low_to_high(log):
    axis = axis_for(np.full(1000, 1e-3), log=log)
    assert axis.low < 1e-3 < axis.high
    assert np.all(np.diff(axis.ticks) > 0)
    assert 0.2 < float(axis.fraction(np.array([1e-3]))[0]) < 0.8  # in the middle, not on an edge
    zero = axis_for(np.zeros(5))
    assert (zero.low, zero.high) == (-1.0, 1.0)


def test_zeros_and_negatives_on_a_log_axis_sit_on_a_labelled_floor():
    axis = axis_for(np.array([0.0, -1.0, 1e-3, 1e-2]), log=True)
    assert axis.floor == pytest.approx(1e-4) and axis.labels[0] == "≤1e-4" and axis.low == axis.floor
    assert axis.fraction(np.array([0.0, -1.0, 1e-4])).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(axis.fraction(np.array([np.nan, np.inf, -np.inf]))).all()
    linear = axis_for(np.array([-1.0, -2.0]), log=True)  # nothing positive: a linear axis
    assert not linear.log and linear.low <= -2 and linear.high >= -1


def test_extreme_values_never_overflow():
    axis = axis_for(np.array([-1e300, 1e300]))
    assert axis.labels[0] == "-1e300" and axis.labels[-1] == "1e300"
    assert axis.fraction(np.array([-1e300, 0.0, 1e300])).tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert all(len(label) <= LABEL_WIDTH for label in axis.labels)


def test_no_finite_value_means_no_axis():
    assert axis_for(np.array([np.nan, np.inf, -np.inf])) is None
    assert axis_for(np.empty(0)) is None


def test_a_single_point_and_fixed_ends():
    single = axis_for(np.array([3.0]))
    assert single.low < 3.0 < single.high
    fixed = axis_for(np.array([5.0, 7.0]), limits=(0.0, 10.0))
    assert (fixed.low, fixed.high) == (0.0, 10.0)
    capped = axis_for(np.array([0.1, 0.7, 1e35]), limits=(None, 1.0))
    assert capped.high == 1.0 and capped.low == 0.0


def test_integer_axes_have_whole_ticks_from_the_first_value():
    assert integer_axis(1, 20).labels == ("1", "5", "10", "15", "20")
    assert integer_axis(0, 1000).labels == ("0", "500", "1000")
    assert integer_axis(1, 1).high == 2  # a single epoch still spans something
