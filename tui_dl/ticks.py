"""Axes: where the ticks go and what their labels say.

Linear axes get "nice" ticks on a 1-2-5 grid (Heckbert, "Nice numbers for graph labels", Graphics
Gems 1990) and extend to the ticks around the data; log axes get whole decades, or 1-2-5 steps
within a decade when the data spans less than one. Labels are at most LABEL_WIDTH characters and
a minus sign (`1e-3`, `2.5e-4`, `2.1e32`, `0.33`, `-120`), as short as keeps the ticks apart.

Every input gets a defined axis, always oriented low to high: a constant series gets a range
around its value, a log axis over zeros or negatives puts them on a labelled floor (`≤1e-9`) one
decade under the smallest positive value, values near the float limits (1e300) never overflow,
and data without one finite value gets no axis at all (`None`: the chart says so in a note).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LABEL_WIDTH = 7
NICE_STEPS = (1.0, 2.0, 5.0, 10.0)
FLOOR_MARK = "≤"
DECADE_STRIDES = (1, 2, 5, 10, 20, 50, 100, 200)  # decades between two ticks of a log axis


@dataclass(frozen=True)
class Axis:
    """A data range mapped onto a plot side, with its ticks and their labels.

    Attributes:
        low, high: the data values at the two ends (low < high; on a log axis both > 0).
        log: the axis is logarithmic (base 10).
        ticks: tick values, ascending, within [low, high].
        labels: one label per tick, at most LABEL_WIDTH characters.
        floor: on a log axis, where values <= 0 are drawn (then also `low`), else None.
    """

    low: float
    high: float
    log: bool
    ticks: np.ndarray
    labels: tuple[str, ...]
    floor: float | None = None

    def fraction(self, values: np.ndarray) -> np.ndarray:
        """Where values fall between low (0.0) and high (1.0); NaN for a value that cannot be drawn.

        On a log axis values <= 0 land on the floor when there is one (else NaN); inf and NaN are NaN.
        Values outside [low, high] give fractions outside [0, 1] (the chart clips lines at the edge).
        """
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(all="ignore"):
            if self.log:
                if self.floor is not None:  # finite values <= 0 on the floor; NaN and -inf stay undrawable
                    values = np.where(np.isfinite(values) & (values <= 0), self.floor, values)
                values = np.where(values > 0, np.log10(values), np.nan)
                low, high = math.log10(self.low), math.log10(self.high)
            else:
                low, high = self.low, self.high
            # halves: (high - low) of +-1e308 would overflow
            out = (values / 2 - low / 2) / (high / 2 - low / 2)
        return np.where(np.isfinite(values), out, np.nan)


def compact(value: float, digits: int = 3) -> str:
    """A number in at most LABEL_WIDTH characters where it can be: 0.001 -> 1e-3, 0.5 -> 0.5, 250 -> 250.

    Fixed notation between 0.01 and 1e5 when it fits, else `mantissa e exponent` without `+` or
    leading zeros (`2.1e32`, `2.5e-4`). `digits` is the number of significant digits.
    """
    value = float(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == 0:
        return "0"
    if 0.01 <= abs(value) < 1e5:
        decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if len(text) <= LABEL_WIDTH:
            return text
    mantissa, exponent = f"{value:.{max(digits - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def tick_labels(values: np.ndarray) -> tuple[str, ...]:
    """The shortest labels (fewest significant digits, up to 6) that tell every tick apart and say its value.

    A label reads back within 1% of the smallest gap between ticks (0.15 is `0.15`, not `0.2`).
    Ticks are 1-2-5 values that stay the same from one frame to the next while the data moves
    within them, so the labels of each set of ticks are made once (up to six formattings of each tick).
    """
    return _tick_labels(tuple(np.asarray(values, dtype=np.float64).ravel().tolist()))


@lru_cache(1024)
def _tick_labels(ticks: tuple[float, ...]) -> tuple[str, ...]:
    values = np.array(ticks, dtype=np.float64)
    gaps = np.diff(np.sort(values))
    tolerance = 0.01 * float(gaps[gaps > 0].min()) if (gaps > 0).any() else 0.0
    labels: list[str] = []
    for digits in range(1, 7):  # 6 digits tell apart any 1-2-5 ticks of a span over 1e-6 of the values
        labels = [compact(v, digits) for v in values]
        exact = all(abs(float(label) - v) <= tolerance * 1.0000001 or not math.isfinite(v)
                    for label, v in zip(labels, values.tolist(), strict=True))
        if exact and len(set(labels)) == len(labels):
            break
    return tuple(labels)


def nice_step(span: float, count: float) -> float:
    """The 1-2-5 step that divides span into at most about count intervals (span > 0)."""
    raw = span / max(count, 0.5)
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in NICE_STEPS:
        if factor * power >= raw * (1 - 1e-9):
            return factor * power
    return 10 * power


def finer_step(step: float) -> float:
    """The next smaller step of the 1-2-5 grid (5 -> 2, 2 -> 1, 1 -> 0.5)."""
    power = 10.0 ** math.floor(math.log10(step) + 1e-9)
    mantissa = round(step / power)
    return {1: 0.5, 2: 1.0, 5: 2.0}.get(mantissa, 0.5) * power


def linear_axis(low: float, high: float, count: int = 5, extend: bool = True) -> Axis:
    """A linear axis over [low, high] with ticks on a 1-2-5 grid.

    With extend, the ends move out to the ticks around the data (the plot is framed by labelled
    ticks); a range that starts near 0 on either side starts at 0. A constant (low == high)
    gets a range of about 10% of the value around it (-1..1 around 0), and so does a range too
    narrow for 7-character labels to tell its ends apart (1e-4 of the values in fixed notation,
    2% in exponent notation: 1.05e16 has three digits). Fewer ticks are taken
    when their labels would be longer than LABEL_WIDTH (1.05e300 -> 1.2e300).
    """
    tries = [(fewer, 0) for fewer in range(max(count, 2), 1, -1)] + [(2, coarser) for coarser in (1, 2, 3)]
    for fewer, coarser in tries:
        axis = _linear_axis(low, high, fewer, extend, coarser)
        if max(len(label.lstrip("-")) for label in axis.labels) <= LABEL_WIDTH:
            break
    return axis


def _linear_axis(low: float, high: float, count: int, extend: bool, coarser: int = 0) -> Axis:
    """linear_axis for one tick count; coarser: that many steps up the 1-2-5 grid from the count's step."""
    low, high = float(low), float(high)
    if high < low:
        low, high = high, low
    size = max(abs(low), abs(high))
    if high - low <= size * (1e-4 if 0.01 <= size < 1e5 else 2e-2):  # constant, or closer than labels can tell
        low = high = low / 2 + high / 2
        pad = abs(low) * 0.1 if low else 1.0
        low, high = low - pad, high + pad
    elif extend and 0 < low < 0.2 * high:
        low = 0.0
    elif extend and low < 0.2 * high < 0 and high < 0:
        high = 0.0
    span = high / 2 - low / 2  # half the span: never overflows
    step = nice_step(span, max(count - 1, 1) / 2) if math.isfinite(span) and span > 0 else 1.0
    for _ in range(coarser):
        step = nice_step(step * 1.01, 1)  # the next larger 1-2-5 step
    if not math.isfinite(step) or step <= 0:
        return Axis(low, high, False, np.array([low, high]), tick_labels(np.array([low, high])))
    if extend:
        outer_low, outer_high = math.floor(low / step) * step, math.ceil(high / step) * step
        if math.isfinite(outer_low) and math.isfinite(outer_high):  # never inside the data (rounding at 1e305)
            low, high = min(outer_low, low), max(outer_high, high)
    ticks = _multiples(low, high, step)
    for _ in range(6):  # fixed ends narrower than the step: the next finer 1-2-5 steps
        if len(ticks) >= 2:
            break
        step = finer_step(step)
        ticks = _multiples(low, high, step)
    if len(ticks) < 2:
        ticks = np.array([low, high])
    return Axis(low, high, False, ticks, tick_labels(ticks))


def _multiples(low: float, high: float, step: float) -> np.ndarray:
    """The multiples of step within [low, high] (0 exactly 0)."""
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    ticks = np.arange(first, last + 1, dtype=np.float64) * step
    ticks = ticks[(ticks >= low - abs(step) * 1e-9) & (ticks <= high + abs(step) * 1e-9)]
    return np.where(np.abs(ticks) < abs(step) * 1e-9, 0.0, ticks)  # -0.0 and 1e-17 are 0


def log_axis(low: float, high: float, count: int = 5, extend: bool = True) -> Axis:
    """A log axis over positive [low, high]: ends and ticks on whole decades, or on 1-2-5 within one.

    Wide ranges tick every 1, 2, 5, 10, 20 ... decades (at most count ticks), the ends on ticks
    (so the top and the bottom are labelled); a range under one decade ends on
    the 1-2-5 values around the data (2e-4 .. 1e-3) with ticks on them, or on 1..9 when 1-2-5
    gives fewer than three. A constant gets the 1-2-5 values on either side of it. Without
    extend the ends stay at low and high (fixed limits), with the ticks between them.
    """
    low, high = float(low), float(high)
    if high < low:
        low, high = high, low
    if high == low:
        low, high = low / 1.5, high * 1.5
    lo_exp, hi_exp = math.floor(math.log10(low) + 1e-12), math.ceil(math.log10(high) - 1e-12)
    if hi_exp - lo_exp >= 2:
        stride = next((s for s in DECADE_STRIDES if (hi_exp - lo_exp) / s <= max(count - 1, 1)), DECADE_STRIDES[-1])
        if extend:  # ends on multiples of the stride, within float64
            lo_exp = max(math.floor(lo_exp / stride) * stride, -323)
            hi_exp = min(math.ceil(hi_exp / stride) * stride, 308)
            exponents = np.arange(math.ceil(lo_exp / stride) * stride, hi_exp + 1, stride)
            low, high = 10.0**lo_exp, 10.0**hi_exp
        else:  # fixed ends: every stride-th decade down from the top one inside them
            top, bottom = math.floor(math.log10(high) + 1e-12), math.ceil(math.log10(low) - 1e-12)
            exponents = np.arange(top, bottom - 1, -stride)[::-1]
        ticks = np.array([float(f"1e{int(e)}") for e in exponents])  # exact decades (10.0 ** -5 is not 1e-5)
        return Axis(low, high, True, ticks, tick_labels(ticks))
    for mantissas in ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        grid = np.array([m * 10.0**e for e in range(lo_exp - 1, hi_exp + 1) for m in mantissas] + [10.0**(hi_exp + 1)])
        below, above = grid[grid <= low * (1 + 1e-12)], grid[grid >= high * (1 - 1e-12)]
        axis_low, axis_high = float(below.max()), float(above.min())
        if not extend:
            axis_low, axis_high = low, high
        ticks = grid[(grid >= axis_low * (1 - 1e-12)) & (grid <= axis_high * (1 + 1e-12))]
        if len(ticks) >= 3:
            break
    if len(ticks) < 2:
        ticks = np.array([axis_low, axis_high])
    return Axis(axis_low, axis_high, True, ticks, tick_labels(ticks))


def axis_for(values: np.ndarray, log: bool = False, count: int = 5,
             limits: tuple[float | None, float | None] = (None, None), extend: bool = True) -> Axis | None:
    """The axis for the finite values given (any shape), None when there is not one to draw.

    Args:
        values: every value the axis must show (NaN and inf are left out).
        log: a log axis; values <= 0 are then drawn on a floor one decade under the smallest
            positive value, labelled `≤floor`. Without any positive value it falls back to a
            linear axis (the caller may say so).
        count: about how many ticks.
        limits: fixed (low, high) ends; None takes the data's.
        extend: linear axes end on the ticks around the data.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    low, high = limits
    if low is not None and high is not None and not (log and (low <= 0 or high <= 0)):
        finite = np.array([low, high], dtype=np.float64)
    if not finite.size:
        return None
    if log:
        positive = finite[finite > 0]
        if positive.size:
            floor = None
            if (finite <= 0).any():
                floor = 10.0 ** (math.floor(math.log10(positive.min())) - 1)
            lo = floor if floor is not None else (low if low is not None and low > 0 else float(positive.min()))
            hi = high if high is not None and high > 0 else float(positive.max())
            axis = log_axis(lo, max(hi, lo), count, extend=not (low is not None and high is not None))
            if floor is None:
                return axis
            ticks = axis.ticks[axis.ticks > floor]
            ticks = np.concatenate([[floor], ticks])
            labels = (FLOOR_MARK + compact(floor, 2), *tick_labels(ticks[1:]))
            return Axis(floor, axis.high, True, ticks, labels, floor)
    lo = float(finite.min()) if low is None else low
    hi = float(finite.max()) if high is None else high
    fixed = low is not None and high is not None
    axis = linear_axis(lo, max(hi, lo), count, extend=extend and not fixed)
    if low is not None or high is not None:  # one fixed end: keep it exactly
        ends = (axis.low if low is None else low, axis.high if high is None else high)
        if ends[1] > ends[0]:
            ticks = axis.ticks[(axis.ticks >= ends[0]) & (axis.ticks <= ends[1])]
            ticks = ticks if len(ticks) >= 2 else np.array(ends)
            axis = Axis(ends[0], ends[1], False, ticks, tick_labels(ticks))
    return axis


def integer_axis(low: int, high: int, count: int = 5) -> Axis:
    """A linear axis over whole numbers (epochs, layers, steps): ticks on whole 1-2-5 values, ends kept."""
    low, high = int(low), int(max(high, low + 1))
    step = max(1, int(nice_step(high - low, max(count - 1, 1))))
    ticks = np.arange(math.ceil(low / step) * step, high + 1, step, dtype=np.float64)
    ticks = np.concatenate([[low], ticks[ticks - low >= step / 2]])  # the first value, then whole steps
    return Axis(float(low), float(high), False, ticks, tuple(str(int(t)) for t in ticks))
