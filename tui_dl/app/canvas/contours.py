"""Iso-lines of a sampled surface, for the contour map behind the optimizer paths.

Marching squares (the 2-D case of Lorensen & Cline, "Marching cubes", SIGGRAPH 1987) with the
standard 16-case table, vectorized over all cells at once: the only Python loop is over levels.

Coordinates are grid index coordinates: a grid `values` of shape (ny, nx) has its samples at integer
points, x = column index (0 .. nx - 1, lowest x first) and y = row index (0 .. ny - 1, lowest y first).
The caller maps them to world units, e.g. x_world = xs[0] + x * (xs[1] - xs[0]) for an evenly spaced grid.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

# Edges of a cell whose lower-left corner is sample (i, j); corners are named
# a = (j, i), b = (j + 1, i), c = (j + 1, i + 1), d = (j, i + 1) as (x, y).
_BOTTOM, _RIGHT, _TOP, _LEFT = 0, 1, 2, 3  # a-b, b-c, d-c, a-d

# Case = 1*[a > level] + 2*[b > level] + 4*[c > level] + 8*[d > level]. Each row lists the edge pairs of
# up to two segments (-1 for none). Cases 5 and 10 are the saddles; rows 5 and 10 are their variants
# with the cell's centre (the mean of its corners) at or below the level, rows 16 and 17 with it above.
_NONE = (-1, -1)
_TABLE = np.array(
    [
        (_NONE, _NONE),  # 0: all below
        ((_BOTTOM, _LEFT), _NONE),  # 1: a
        ((_BOTTOM, _RIGHT), _NONE),  # 2: b
        ((_LEFT, _RIGHT), _NONE),  # 3: a b
        ((_RIGHT, _TOP), _NONE),  # 4: c
        ((_BOTTOM, _LEFT), (_RIGHT, _TOP)),  # 5: a c, centre below: a and c cut off alone
        ((_BOTTOM, _TOP), _NONE),  # 6: b c
        ((_LEFT, _TOP), _NONE),  # 7: a b c
        ((_LEFT, _TOP), _NONE),  # 8: d
        ((_BOTTOM, _TOP), _NONE),  # 9: a d
        ((_BOTTOM, _RIGHT), (_LEFT, _TOP)),  # 10: b d, centre below: b and d cut off alone
        ((_RIGHT, _TOP), _NONE),  # 11: a b d
        ((_LEFT, _RIGHT), _NONE),  # 12: c d
        ((_BOTTOM, _RIGHT), _NONE),  # 13: a c d
        ((_BOTTOM, _LEFT), _NONE),  # 14: b c d
        (_NONE, _NONE),  # 15: all above
        ((_BOTTOM, _RIGHT), (_LEFT, _TOP)),  # 16 = 5, centre above: a, c joined; b and d cut off
        ((_BOTTOM, _LEFT), (_RIGHT, _TOP)),  # 17 = 10, centre above: b, d joined; a and c cut off
    ],
    dtype=np.intp,
)
_SADDLE_ABOVE = {5: 16, 10: 17}

_EMPTY = np.zeros((0, 2, 2))

SNAP = 1e-9
"""An edge crossing closer than this fraction of the edge to a sample is moved onto that sample."""


class _Cells(NamedTuple):
    """The four corner grids of every cell, (ny - 1, nx - 1) each, and which cells are all finite."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    finite: np.ndarray


def _cells(values: np.ndarray) -> _Cells | None:
    """Corner views of a 2-D grid, or None when it has no cell (fewer than 2 rows or columns)."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise ValueError(f"values must be 2-D (ny, nx), got shape {v.shape}")
    if v.shape[0] < 2 or v.shape[1] < 2:
        return None
    ok = np.isfinite(v)
    finite = ok[:-1, :-1] & ok[:-1, 1:] & ok[1:, 1:] & ok[1:, :-1]
    return _Cells(v[:-1, :-1], v[:-1, 1:], v[1:, 1:], v[1:, :-1], finite)


def _segments(cells: _Cells, level: float) -> np.ndarray:
    """Marching squares on prepared cells at one level: (K, 2, 2) segments, see contour_segments."""
    if not np.isfinite(level):
        return _EMPTY.copy()
    a, b, c, d, finite = cells
    with np.errstate(all="ignore"):  # non-finite corners compare False and are masked out below
        case = (a > level) * 1 + (b > level) * 2 + (c > level) * 4 + (d > level) * 8
    active = finite & (case != 0) & (case != 15)
    rows, cols = np.nonzero(active)
    if rows.size == 0:
        return _EMPTY.copy()
    a, b, c, d = a[rows, cols], b[rows, cols], c[rows, cols], d[rows, cols]
    case = case[rows, cols]
    with np.errstate(all="ignore"):  # an overflowing mean is still on the right side of the level
        centre_above = (a + b + c + d) * 0.25 > level
    for saddle, variant in _SADDLE_ABOVE.items():
        case[(case == saddle) & centre_above] = variant

    # The crossing on each of the four edges of every active cell, (n, 4, 2) as (x, y). Edges the
    # level does not cross give junk here (0/0 included) and are never picked by the table.
    x0, y0 = cols.astype(float), rows.astype(float)
    with np.errstate(all="ignore"):
        t = np.stack([(level - a) / (b - a), (level - b) / (c - b), (level - d) / (c - d), (level - a) / (d - a)])
    # A sample on the level up to rounding puts a crossing within ~1e-15 of it: snap such crossings onto
    # the sample, so the cells around it drop a dot-sized segment instead of ending three lines there.
    t = np.where(t < SNAP, 0.0, np.where(t > 1.0 - SNAP, 1.0, t))
    points = np.empty((rows.size, 4, 2))
    points[:, _BOTTOM] = np.stack([x0 + t[_BOTTOM], y0], axis=-1)
    points[:, _RIGHT] = np.stack([x0 + 1.0, y0 + t[_RIGHT]], axis=-1)
    points[:, _TOP] = np.stack([x0 + t[_TOP], y0 + 1.0], axis=-1)
    points[:, _LEFT] = np.stack([x0, y0 + t[_LEFT]], axis=-1)

    edges = _TABLE[case]  # (n, 2 segments, 2 edges)
    first = np.take_along_axis(points, edges[:, 0, :, None], axis=1)
    saddles = edges[:, 1, 0] >= 0
    second = np.take_along_axis(points[saddles], edges[saddles, 1, :, None], axis=1)
    segments = np.concatenate([first, second])
    # A corner exactly on the level ends two edge crossings at the same point: drop those dots.
    return segments[np.any(segments[:, 0] != segments[:, 1], axis=-1)]


def contour_segments(values: np.ndarray, level: float) -> np.ndarray:
    """The iso-line values == level as unordered line segments, by marching squares.

    Each cell of the (ny, nx) grid is classified by which of its four corners lie above the level
    (strictly: a corner equal to the level counts as below), and the standard 16-case table of
    marching squares (Lorensen & Cline 1987, in 2-D) gives the cell edges its segments join. Each
    crossing is placed by linear interpolation between the edge's two samples, so a crossing shared
    by neighbouring cells is computed from the same numbers and is bit-identical in both: segments
    meet exactly. The saddle cases (two diagonal corners above, two below) are resolved by the mean
    of the four corners, the usual rule: if it is above the level the two corners above are joined
    through the centre, otherwise the two corners below are.

    Args:
        values: Samples of shape (ny, nx); row 0 is the lowest y, column 0 the lowest x, samples at
            integer grid coordinates. A cell with a non-finite corner (nan, inf) gives no segment.
        level: The value of the iso-line. A non-finite level gives no segment.

    Returns:
        Float array of shape (K, 2, 2): K segments, each two endpoints (x, y) in grid index coordinates
        (x = column index, y = row index, fractional). The first segment of every crossed cell comes
        in row-major cell order, then the second segments of the saddle cells. A crossing within SNAP
        of a sample is put on the sample, and the zero-length segments this or an exact tie makes are
        dropped, so a line through a sample on the level has two ends there, not four. Shape (0, 2, 2)
        when the level is not crossed.
    """
    cells = _cells(values)
    return _EMPTY.copy() if cells is None else _segments(cells, float(level))


def contour_lines(values: np.ndarray, levels: np.ndarray) -> list[np.ndarray]:
    """contour_segments for each of levels: one (K_i, 2, 2) array in grid index coordinates per level."""
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    cells = _cells(values)
    if cells is None:
        return [_EMPTY.copy() for _ in levels]
    return [_segments(cells, float(level)) for level in levels]


LOWEST_GAP_PERCENTILE = 2.0
"""The lowest level's gap above the floor: this percentile of the grid's positive gaps above it."""
LOWEST_GAP_FRACTION = 1e-6
"""The lowest level's gap is at least this fraction of the largest: a sample right at the minimum must not
push it down by many decades and spend most levels on a dot around the minimum."""


def contour_levels(values: np.ndarray, floor: float, count: int) -> np.ndarray:
    """count levels log-spaced above the surface's minimum, dense near the minimum where the paths end.

    With base = floor (the surface's minimum value), the gaps values - base are spaced geometrically
    from lo to hi, where hi is the largest finite gap on the grid and lo is the
    LOWEST_GAP_PERCENTILE-th percentile of the positive gaps, raised to LOWEST_GAP_FRACTION * hi if
    smaller. Both ends are excluded (count + 2 geometric points, the inner count kept), so every level
    is strictly inside the grid's finite value range: gap_k = lo * (hi / lo) ** (k / (count + 1)),
    k = 1 .. count, a constant ratio between consecutive gaps.

    Args:
        values: The sampled surface, any shape (normally (ny, nx)); non-finite samples are ignored.
        floor: The surface's minimum value. When it is unknown (nan, -inf, +inf) or above the grid's
            finite minimum (rounding), the grid's finite minimum is used instead.
        count: How many levels to make.

    Returns:
        Absolute levels (base + gap), float, ascending and unique, at most count of them (rounding can
        merge or drop a level only in degenerate cases). Empty when count < 1 or the grid has no finite
        values or is constant.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if count < 1 or v.size == 0:
        return np.zeros(0)
    vmin, vmax = float(v.min()), float(v.max())
    if not vmin < vmax:
        return np.zeros(0)
    floor = float(floor)
    base = floor if np.isfinite(floor) and floor <= vmin else vmin
    gaps = v - base
    hi = vmax - base
    lo = max(percentile(gaps[gaps > 0], LOWEST_GAP_PERCENTILE), LOWEST_GAP_FRACTION * hi)
    if not lo < hi:  # e.g. a two-valued grid: every positive gap is the largest
        lo = max(LOWEST_GAP_FRACTION * hi, vmin - base)
    levels = np.sort(base + np.geomspace(lo, hi, count + 2)[1:-1])
    levels = levels[(levels > vmin) & (levels < vmax)]
    return levels[np.concatenate(([True], levels[1:] != levels[:-1]))]  # np.unique: see percentile


def percentile(values: np.ndarray, q: float) -> float:
    """`np.percentile(values, q)` of a non-empty 1-D float array without NaN, bit for bit (numpy's default
    'linear' method: the same index, partition and interpolation).

    numpy 2.4's percentile and plain `np.unique` call `np.ma.is_masked`, whose first use imports numpy.ma:
    16 ms on the UI thread in the Optimizer paths pane's first drawing, on the way to the first frame.
    """
    n = values.size
    index = (n - 1) * (q / 100)
    below = min(math.floor(index), n - 1)
    above = min(below + 1, n - 1)
    ordered = np.partition(values, (below, above))
    a, b = float(ordered[below]), float(ordered[above])
    gamma = index - below if index < n - 1 else 0.0
    difference = b - a
    return b - difference * (1 - gamma) if gamma >= 0.5 else a + difference * gamma
