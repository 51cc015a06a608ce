"""Panels of labelled series, drawn in rows as one plotext chart.

The charts of `--plot` are described as data (rows of `Panel`s of `Series`) and drawn here, the only
place that imports plotext (lazily, so plain exports never load it). Non-finite points are left out,
so a diverged run ends where it diverged and an all-NaN series is absent; a series marked `clip`
(a run that blew up before it diverged) does not stretch the axes but leaves them. Axis ticks come
from `tui_dl.ticks`, as in the app's canvas: 1-2-5 steps on linear axes and decades on log axes,
with short labels (`1e-3`, `0.25`), because plotext's own ticks print 1e-7 as `0.000000`. The
legend gets empty rows above the data, so it never covers a line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_dl.ticks import integer_axis, linear_axis, log_axis

# colour per group in a terminal; a glyph per group (solid, dotted) without colour
COLOURS = ("blue+", "red+", "green+", "magenta+", "cyan+", "yellow+", "blue", "red", "green", "magenta")
SOLID = ("braille", "+", "x", "o", "*", "#", "%", "&", "=", "$")
DOTTED = ("·", "'", ".", ":", ",", "`", "-", "~", "^", '"')
_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
LARGEST = 1e100  # a linear axis ends here: plotext overflows on ranges near the largest float


@dataclass(frozen=True)
class Series:
    """One labelled series of a panel.

    Attributes:
        label: legend text ("" for none).
        x, y: the points; a pair with a non-finite value (or, on a log axis, one <= 0) is left out.
        group: series of one group share a colour (or, without colour, a glyph family): one run's
            train and val curves, for instance. A negative group has no colour (landmarks).
        dotted: drawn dotted (train loss, raw loss) rather than solid.
        scatter: points only, no line between them.
        marker: a fixed glyph for landmarks (start `S`, minimum `M`) in every mode.
        clip: the axes ("y" or "xy") along which only the series' first point sets the limits, so
            a run that blew up leaves the plot instead of squeezing the others into a line.
    """

    label: str
    x: Any
    y: Any
    group: int = 0
    dotted: bool = False
    scatter: bool = False
    marker: str | None = None
    clip: str = ""


@dataclass(frozen=True)
class Panel:
    """One plot: title, axis labels and series; log axes take positive values only.

    xspan and yspan are values the axis always covers: 0 below a magnitude, or a range several
    panels share (the histograms of every layer).
    """

    title: str
    xlabel: str
    ylabel: str
    series: Sequence[Series]
    xlog: bool = False
    ylog: bool = False
    xspan: Sequence[float] = ()
    yspan: Sequence[float] = ()


def floats(values: Any) -> np.ndarray:
    """values (numbers, None for a missing one) as a flat float array with NaN for None."""
    return np.ravel(np.array(values, dtype=float))


def _finite(series: Series, panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    x, y = floats(series.x), floats(series.y)
    keep = np.isfinite(x) & np.isfinite(y)
    for values, log in ((x, panel.xlog), (y, panel.ylog)):
        if log:
            keep &= values > 0
    return x[keep], y[keep]


def _limits(values: np.ndarray, log: bool) -> tuple[float, float]:
    """The axis range of values, within +-LARGEST on a linear axis; a single value is widened."""
    low, high = float(values.min()), float(values.max())
    if not log:
        low, high = min(max(low, -LARGEST), LARGEST), min(max(high, -LARGEST), LARGEST)
    if low < high:
        return low, high
    if log:
        return low / math.sqrt(10), low * math.sqrt(10)
    pad = abs(low) * 0.1 or 1.0
    return low - pad, high + pad


def ticks(low: float, high: float, count: int, log: bool = False,
          integer: bool = False) -> tuple[list[float], list[str]]:
    """About count ticks in [low, high] and their labels, chosen as the app's canvas chooses them
    (tui_dl.ticks): decades on a log axis, 1-2-5 steps otherwise, whole ones if integer."""
    if integer and math.floor(high) > math.ceil(low):
        axis = integer_axis(math.ceil(low), math.floor(high), count)
    elif log:
        axis = log_axis(low, high, count, extend=False)
    else:
        axis = linear_axis(low, high, count, extend=False)
    return axis.ticks.tolist(), list(axis.labels)


def _limits_of(points: Sequence[tuple[Series, np.ndarray, np.ndarray]], axis: str, panel: Panel) -> tuple[float, float]:
    """The range of axis ("x" or "y") over the points that count.

    A clipping series counts by its first point only, unless every series clips (nothing to protect).
    """
    index = 1 if axis == "x" else 2
    protect = any(axis not in p[0].clip for p in points)
    values = [p[index][:1] if protect and axis in p[0].clip else p[index] for p in points]
    log = panel.xlog if axis == "x" else panel.ylog
    span = floats(panel.xspan if axis == "x" else panel.yspan)
    values.append(span[span > 0] if log else span)
    return _limits(np.concatenate(values), log)


def _clip_line(x: np.ndarray, y: np.ndarray, box: Sequence[float]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The pieces of the polyline (x, y) inside box (xlow, xhigh, ylow, yhigh), cut where it leaves.

    plotext draws a line dot by dot, so a segment out to 1e57 would never end: it must be cut here.
    """
    xlow, xhigh, ylow, yhigh = box
    inside = (xlow <= x) & (x <= xhigh) & (ylow <= y) & (y <= yhigh)
    if inside.all() or len(x) == 1:
        return [(x, y)] if inside.all() else []
    x0, y0, dx, dy = x[:-1], y[:-1], np.diff(x), np.diff(y)
    start, end = np.zeros(len(dx)), np.ones(len(dx))  # Liang-Barsky: the visible part of each segment
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for p, q in ((-dx, x0 - xlow), (dx, xhigh - x0), (-dy, y0 - ylow), (dy, yhigh - y0)):
            ratio = q / p
            start = np.where(p < 0, np.maximum(start, ratio), start)
            end = np.where(p > 0, np.minimum(end, ratio), end)
            end = np.where((p == 0) & (q < 0), -1.0, end)

    def at(t: np.ndarray, k: int) -> tuple[float, float]:  # from the nearer end: no cancellation at 1e57
        px = x0[k] + t[k] * dx[k] if t[k] <= 0.5 else x[k + 1] - (1 - t[k]) * dx[k]
        py = y0[k] + t[k] * dy[k] if t[k] <= 0.5 else y[k + 1] - (1 - t[k]) * dy[k]
        return min(max(px, xlow), xhigh), min(max(py, ylow), yhigh)

    pieces: list[list[tuple[float, float]]] = []
    previous = -2
    for k in np.flatnonzero(start <= end).tolist():
        if not (k == previous + 1 and end[previous] == 1 and start[k] == 0):
            pieces.append([at(start, k)])
        pieces[-1].append(at(end, k))
        previous = k
    return [(np.array([p[0] for p in piece]), np.array([p[1] for p in piece])) for piece in pieces]


def _thin(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """A line with x ascending thinned to at most four points per column: its first, lowest, highest
    and last point there. Only where many points share a column, never every k-th point."""
    if len(x) <= 4 * columns or not np.all(np.diff(x) >= 0) or x[-1] == x[0]:
        return x, y
    column = ((x - x[0]) / (x[-1] - x[0]) * (columns - 1)).astype(int)
    first = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    last = np.r_[first[1:], len(x)] - 1
    order = np.lexsort((y, column))  # by column, then by y: a column's lowest point first, its highest last
    keep = np.unique(np.concatenate([first, last, order[first], order[last]]))
    return x[keep], y[keep]


def _visible(series: Series, x: np.ndarray, y: np.ndarray, box: Sequence[float],
             panel: Panel, columns: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The parts of a series inside box, clipped in display coordinates (logarithms on log axes)
    and thinned to the plot's dot columns."""
    logs = (panel.xlog, panel.ylog)
    x, y = (np.log10(v) if log else v for v, log in zip((x, y), logs, strict=True))
    box = [math.log10(b) if logs[i // 2] else b for i, b in enumerate(box)]
    if series.scatter:
        keep = (box[0] <= x) & (x <= box[1]) & (box[2] <= y) & (y <= box[3])
        pieces = [(x[keep], y[keep])] if keep.any() else []
    else:
        pieces = [_thin(*piece, columns) for piece in _clip_line(x, y, box)]
    return [tuple(10.0**v if log else v for v, log in zip(piece, logs, strict=True)) for piece in pieces]


def _draw(plt: Any, panel: Panel, colour: bool, width: int, height: int) -> None:
    """Draw panel on plotext's active plot of width x height characters."""
    points = [(series, *_finite(series, panel)) for series in panel.series]
    points = [(series, x, y) for series, x, y in points if len(x)]
    plt.title(panel.title if points else f"{panel.title} (no finite values)")
    plt.xlabel(panel.xlabel)
    plt.ylabel(panel.ylabel)
    if not points:
        return
    legend = sum(1 for series, _, _ in points if series.label)
    box: list[float] = []
    for axis, log, count in (("x", panel.xlog, max(2, width // 14)), ("y", panel.ylog, max(2, height // 4))):
        low, high = _limits_of(points, axis, panel)
        rows = min(legend + 1, (height - 6) // 2)  # at most half the plot: a crowded legend may cover data
        if axis == "y" and legend and rows > 0:
            low, high = _headroom(low, high, log, rows, of=height - 6)
        if log:
            getattr(plt, f"{axis}scale")("log")
            getattr(plt, f"{axis}lim")(math.log10(low), math.log10(high))  # plotext takes log limits as exponents
        else:
            getattr(plt, f"{axis}lim")(low, high)
        values = np.concatenate([p[1 if axis == "x" else 2] for p in points])
        getattr(plt, f"{axis}ticks")(*ticks(low, high, count, log, integer=bool(np.all(values == np.round(values)))))
        box += [low, high]
    for series, x, y in points:
        if colour:
            marker = series.marker or ("·" if series.dotted else "braille")
        else:
            marker = series.marker or (DOTTED if series.dotted else SOLID)[series.group % len(SOLID)]
        draw = plt.scatter if series.scatter else plt.plot
        # 8 buckets per braille dot column (2 a cell): fine enough that thinning moves hardly a dot
        for k, (px, py) in enumerate(_visible(series, x, y, box, panel, columns=16 * width)):
            draw(px.tolist(), py.tolist(), marker=marker, label=series.label if k == 0 and series.label else None,
                 color=COLOURS[series.group % len(COLOURS)] if colour and series.group >= 0 else None)


def _headroom(low: float, high: float, log: bool, rows: int, of: int) -> tuple[float, float]:
    """(low, high) raised so the top rows of the of rows of a plot stay empty for the legend."""
    if log:
        low, high = _headroom(math.log10(low), math.log10(high), False, rows, of)
        return 10.0**low, 10.0**high
    return low, high + (high - low) * rows / max(of - rows, 1)


def render(rows: Sequence[Sequence[Panel]], size: tuple[int, int], colour: bool) -> str:
    """The rows of panels (each row split evenly) as one chart of size (width, height) characters.

    Without colour the text has no escape sequences at all (plotext ends every line with a reset).
    """
    import plotext as plt  # only here: plain exports never load plotext

    width, height = size
    plt.main()
    plt.clf()
    plt.limit_size(False, False)  # plotext would shrink the chart to the terminal (80 x 24 in a pipe)
    plt.plotsize(width, height)
    plt.subplots(len(rows), 1)
    for r, row in enumerate(rows, start=1):
        plt.main().subplot(r, 1).subplots(1, len(row))
        for c, panel in enumerate(row, start=1):
            plt.main().subplot(r, 1).subplot(1, c)
            plt.theme("pro" if colour else "clear")
            _draw(plt, panel, colour, width // len(row), height // len(rows))
    text = plt.build()
    plt.main()
    plt.clf()
    return (text if colour else _ESCAPE.sub("", text)).rstrip("\n")  # exactly height lines, without the last newline
