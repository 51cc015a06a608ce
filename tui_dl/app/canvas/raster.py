"""The plot area as dots: lines and points rasterized with NumPy, heat maps in half blocks, glyphs on top.

In colour mode a cell holds 2 x 4 braille dots (U+2800 + one bit per dot), so a line has 2 dots
per column and 4 per row of resolution. In the glyph modes (`mono` for NO_COLOR, `ascii` for
`--ascii`) a dot is a whole cell drawn with its series' own character (`*`, `%` ...), because
colour cannot tell the series apart and braille may not be in the font.

Lines are drawn through every point given, with the segments between them (clipped at the plot's
edge by Liang-Barsky in float64, so a line to a point 1e200 away leaves the plot in the right
direction).
Consecutive points that fall into the same dot are merged, which is the only thinning: a long
series costs what the dots it crosses cost, and a zigzag stays a zigzag.

Layers, bottom to top: heat map and shaded bands (two colours a cell, `▀` over its background), dots
under the data (contour lines, left out of any cell the data's dots are in), the data's dots, glyphs
(markers such as ◆ ✖ ●), then whatever text the chart writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from tui_dl.app.canvas.cells import NONE, Cells, rgb_array


class Polyline(NamedTuple):
    """A line through points at axis fractions (fx, fy): its colour 0xRRGGBB, glyph-mode character, pattern."""

    fx: np.ndarray
    fy: np.ndarray
    fg: int
    char: str = "•"
    dotted: bool = False

# the bit of each dot of a braille cell, indexed [dot row, dot column] (Unicode's braille patterns)
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
BRAILLE_BASE = 0x2800
UPPER_HALF = ord("▀")
UNIQUE_BITS = 12  # bits per pixel coordinate in a segment's key (4096 dots: 2048 columns, 1024 rows)


def clip_segments(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, xmax: float,
                  ymax: float) -> tuple[np.ndarray, ...]:
    """Segments clipped to the box [0, xmax] x [0, ymax] (Liang-Barsky); returns (x0, y0, x1, y1, kept).

    `kept` marks the segments with a part inside; the coordinates of the others are meaningless.
    """
    dx, dy = x1 - x0, y1 - y0
    start, end = np.zeros_like(x0), np.ones_like(x0)
    kept = np.ones(x0.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0), (dx, xmax - x0), (-dy, y0), (dy, ymax - y0)):
            ratio = q / p
            kept &= ~((p == 0) & (q < 0))
            start = np.where(p < 0, np.maximum(start, ratio), start)
            end = np.where(p > 0, np.minimum(end, ratio), end)
    kept &= start <= end
    # x0 + start * dx cancels badly when the ends are 1e18 apart (a diverging path): the clipped end
    # can land a few dots outside the box, so it is clamped into it
    ends = (x0 + start * dx, y0 + start * dy, x0 + end * dx, y0 + end * dy)
    x_a, y_a, x_b, y_b = (np.clip(v, 0, high) for v, high in zip(ends, (xmax, ymax, xmax, ymax), strict=True))
    return x_a, y_a, x_b, y_b, kept


def segment_pixels(px: np.ndarray, py: np.ndarray, width: int, height: int, unique: bool = True,
                   ids: np.ndarray | None = None, dotted: np.ndarray | None = None,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer pixels on the polyline through (px, py) inside width x height; NaN points break the line.

    A point without a finite neighbour is a pixel of its own (a single point is a dot). ids (one
    int per point, >= 0, default 0) tell polylines concatenated with NaN between them apart:
    returns (xs, ys, id of each pixel). With `unique`, a segment drawn twice by one polyline (an
    oscillation) is sampled once. dotted (one bool per id) keeps every other pixel of those
    polylines: the even columns of a flat segment, the even rows of a steep one, so the pattern
    sits still on the grid when the line grows or shrinks at one end.
    """
    px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
    ids = np.zeros(len(px), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    finite = np.isfinite(px) & np.isfinite(py)
    neighbour = np.zeros_like(finite)
    neighbour[1:] |= finite[:-1]
    neighbour[:-1] |= finite[1:]
    lone = finite & ~neighbour  # a point without a finite neighbour is drawn as a dot of its own
    lone_x, lone_y, lone_id = np.rint(px[lone]), np.rint(py[lone]), ids[lone]
    inside = (lone_x >= 0) & (lone_x < width) & (lone_y >= 0) & (lone_y < height)
    lone_x, lone_y, lone_id = lone_x[inside].astype(np.int64), lone_y[inside].astype(np.int64), lone_id[inside]
    both = finite[:-1] & finite[1:]
    x0, y0, x1, y1, line = px[:-1][both], py[:-1][both], px[1:][both], py[1:][both], ids[:-1][both]
    with np.errstate(over="ignore", invalid="ignore"):  # a segment spanning 1e308: dropped, not raised
        x0, y0, x1, y1, kept = clip_segments(x0, y0, x1, y1, width - 1, height - 1)
        kept &= np.isfinite(x0) & np.isfinite(y0) & np.isfinite(x1) & np.isfinite(y1)
    ends = np.rint(np.stack([x0[kept], y0[kept], x1[kept], y1[kept]], axis=1)).astype(np.int64)
    line = line[kept]
    if unique and len(ends) > 1 and max(width, height) <= 1 << UNIQUE_BITS:
        key = (line << (4 * UNIQUE_BITS)) | (ends[:, 0] << (3 * UNIQUE_BITS)) | (ends[:, 1] << (2 * UNIQUE_BITS)) | \
            (ends[:, 2] << UNIQUE_BITS) | ends[:, 3]  # one int64 per segment: a fast 1-D unique
        _, first = np.unique(key, return_index=True)
        ends, line = ends[first], line[first]
    span = np.maximum(np.abs(ends[:, 2] - ends[:, 0]), np.abs(ends[:, 3] - ends[:, 1]))
    count = span + 1
    segment = np.repeat(np.arange(len(ends)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    t = (np.arange(int(count.sum())) - first) / np.maximum(span, 1)[segment]
    xs = np.rint(ends[segment, 0] + t * (ends[segment, 2] - ends[segment, 0])).astype(np.int64)
    ys = np.rint(ends[segment, 1] + t * (ends[segment, 3] - ends[segment, 1])).astype(np.int64)
    line = line[segment]
    if dotted is not None:
        flat = (np.abs(ends[:, 2] - ends[:, 0]) >= np.abs(ends[:, 3] - ends[:, 1]))[segment]
        keep = ~np.asarray(dotted)[line] | (np.where(flat, xs, ys) % 2 == 0)
        xs, ys, line = xs[keep], ys[keep], line[keep]
    return np.concatenate([xs, lone_x]), np.concatenate([ys, lone_y]), np.concatenate([line, lone_id])


class Raster:
    """A plot area of cols x rows cells with a dot layer, a glyph layer and a heat map.

    Args:
        cols, rows: the area in cells.
        braille: 2 x 4 braille dots a cell; else one dot a cell, drawn with a character.
    """

    def __init__(self, cols: int, rows: int, braille: bool = True) -> None:
        self.cols, self.rows = cols, rows
        self.braille = braille
        self.sub = (2, 4) if braille else (1, 1)  # dots per cell: columns, rows
        self.dots = np.zeros((rows, cols), dtype=np.uint8)
        self.dot_char = np.zeros((rows, cols), dtype=np.uint32)  # glyph modes: the series' character
        self.dot_fg = np.full((rows, cols), NONE, dtype=np.int64)
        self.glyph = np.zeros((rows, cols), dtype=np.uint32)
        self.glyph_fg = np.full((rows, cols), NONE, dtype=np.int64)
        self.glyph_attr = np.zeros((rows, cols), dtype=np.uint8)
        self.under = np.zeros((rows, cols), dtype=np.uint8)  # dots under the data (contour lines)
        self.under_char = np.zeros((rows, cols), dtype=np.uint32)
        self.under_fg = np.full((rows, cols), NONE, dtype=np.int64)
        self.heat_top = np.full((rows, cols), NONE, dtype=np.int64)
        self.heat_bottom = np.full((rows, cols), NONE, dtype=np.int64)

    @property
    def pixels(self) -> tuple[int, int]:
        """(width, height) of the area in dots."""
        return self.cols * self.sub[0], self.rows * self.sub[1]

    def to_pixels(self, fx: np.ndarray, fy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Axis fractions (0 = left/bottom, 1 = right/top) as pixel coordinates (row 0 at the top)."""
        width, height = self.pixels
        return np.asarray(fx) * (width - 1), (1 - np.asarray(fy)) * (height - 1)

    def line(self, fx: np.ndarray, fy: np.ndarray, fg: int, char: str = "•", dotted: bool = False,
             under: bool = False) -> None:
        """A polyline through the points at axis fractions (fx, fy), in colour fg (0xRRGGBB).

        dotted: every other dot along the line, fixed to the grid (train curves under solid validation curves).
        char: the line's character in the glyph modes.
        under: a line under the data (a contour): shown only in cells without data dots, so a
        path's cell keeps the path's colour and shape.
        """
        self.lines([Polyline(fx, fy, fg, char, dotted)], under)

    def lines(self, polylines: Sequence[Polyline], under: bool = False) -> None:
        """Several polylines in one vectorized pass, in order: a later one's colour wins a shared cell."""
        if not polylines:
            return
        # all polylines in one pass, a NaN after each (so none joins the next); the NaNs and the point after
        # each are kept by the thinning, which therefore thins each polyline as if it were alone
        gap = np.array([np.nan])
        fx = np.concatenate([part for line in polylines for part in (np.asarray(line.fx, dtype=np.float64), gap)])
        fy = np.concatenate([part for line in polylines for part in (np.asarray(line.fy, dtype=np.float64), gap)])
        ids = np.repeat(np.arange(len(polylines)), [len(line.fx) + 1 for line in polylines])
        px, py = self.to_pixels(fx, fy)
        keep = _consecutive_kept(px, py)
        px, py, ids = px[keep], py[keep], ids[keep]
        dotted = np.array([line.dotted for line in polylines])
        xs, ys, line_ids = segment_pixels(px, py, *self.pixels, ids=ids, dotted=dotted if dotted.any() else None)
        order = np.argsort(line_ids, kind="stable")  # z order: the last polyline's colour wins its cells
        xs, ys, line_ids = xs[order], ys[order], line_ids[order]
        colors = np.array([line.fg for line in polylines], dtype=np.int64)[line_ids]
        chars = np.array([ord(line.char) for line in polylines], dtype=np.uint32)[line_ids]
        self.set_dots(xs, ys, colors, chars, under)

    def band(self, fx: np.ndarray, flow: np.ndarray, fhigh: np.ndarray, fg: int, char: str = ":") -> None:
        """Shade the area between two curves at axis fractions (fx sorted ascending), under the data.

        Every pixel column between the first and last x is covered between the two curves
        (linearly interpolated; a NaN end leaves that stretch out; parts beyond the area are
        clipped). In braille the cover is the background colour fg of half cells, so lines stay
        drawn on top of it; in the glyph modes it is char in the cells without data.
        """
        width, height = self.pixels
        px, plow = self.to_pixels(fx, flow)
        _, phigh = self.to_pixels(fx, fhigh)
        known = np.isfinite(px)
        if not known.any():
            return
        px, plow, phigh = px[known], plow[known], phigh[known]
        columns = np.arange(max(int(np.rint(px.min())), 0), min(int(np.rint(px.max())), width - 1) + 1)
        lows, highs = np.interp(columns, px, plow), np.interp(columns, px, phigh)
        with np.errstate(invalid="ignore"):
            top = np.clip(np.ceil(np.fmin(lows, highs)), 0, height)
            bottom = np.clip(np.floor(np.fmax(lows, highs)), -1, height - 1)
            known = np.isfinite(top) & np.isfinite(bottom)
        lengths = np.where(known, bottom - top + 1, 0).clip(0).astype(np.int64)
        if not lengths.sum():
            return
        xs = np.repeat(columns, lengths)
        starts = np.repeat(np.where(known, top, 0).astype(np.int64), lengths)
        ys = starts + np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        if not self.braille:
            self.set_dots(xs, ys, fg, ord(char), under=True)
            return
        for name in ("heat_top", "heat_bottom"):  # a cached backdrop is shared: draw on a copy
            if not getattr(self, name).flags.writeable:
                setattr(self, name, getattr(self, name).copy())
        halves = ys // (self.sub[1] // 2)  # half-cell rows: the background of `▀` cells
        cols = xs // self.sub[0]
        top = halves % 2 == 0
        self.heat_top[halves[top] // 2, cols[top]] = fg
        self.heat_bottom[halves[~top] // 2, cols[~top]] = fg

    def set_dots(self, xs: np.ndarray, ys: np.ndarray, fg: Any, chars: Any = 0x2022, under: bool = False) -> None:
        """Turn on the dots at integer pixels (xs, ys), all inside the area; their cells take colour fg.

        fg and chars (code points, the glyph modes' characters) are one value or one per dot; where
        dots share a cell the last one's wins. under: in the layer under the data (see `line`).
        """
        cols, rows = xs // self.sub[0], ys // self.sub[1]
        dots, colors = (self.under, self.under_fg) if under else (self.dots, self.dot_fg)
        if self.braille:
            np.bitwise_or.at(dots, (rows, cols), BRAILLE_BITS[ys % 4, xs % 2])
        elif under:
            self.under_char[rows, cols] = chars
            dots[rows, cols] = 1
        else:
            dots[rows, cols] = 1
            self.dot_char[rows, cols] = chars
        colors[rows, cols] = fg

    def glyphs(self, fx: np.ndarray, fy: np.ndarray, char: str, fg: int, attr: int = 0) -> None:
        """A character in the cells at axis fractions (markers: ◆ best, ✖ stop, ● now); outside: none."""
        col = np.rint(np.asarray(fx, dtype=np.float64) * (self.cols - 1))
        row = np.rint((1 - np.asarray(fy, dtype=np.float64)) * (self.rows - 1))
        with np.errstate(invalid="ignore"):
            inside = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < self.cols) & (row >= 0) & \
                (row < self.rows)
        col, row = col[inside].astype(np.int64), row[inside].astype(np.int64)
        self.glyph[row, col] = ord(char)
        self.glyph_fg[row, col] = fg
        self.glyph_attr[row, col] = attr

    def heat(self, colors: np.ndarray, mask: np.ndarray | None = None) -> None:
        """A heat map of (2 * rows, cols, 3) RGB colours, top first: two colours a cell (half blocks).

        mask (2 * rows, cols), if given, leaves the False pixels uncoloured.
        """
        values = rgb_array(colors)
        if mask is not None:
            values = np.where(mask, values, NONE)
        self.heat_top, self.heat_bottom = values[0::2], values[1::2]

    def occupied(self) -> np.ndarray:
        """(rows, cols) bool: the cells where data is drawn (dots or glyphs)."""
        return (self.dots != 0) | (self.glyph != 0)

    def compose(self, cells: Cells, top: int, left: int) -> None:
        """Draw the layers into cells with the area's top-left cell at (top, left)."""
        area = (slice(top, top + self.rows), slice(left, left + self.cols))
        char, fg, bg, attr = cells.char[area], cells.fg[area], cells.bg[area], cells.attr[area]
        if self.braille:  # blank braille, not spaces: a run of cells has one glyph width in any font (SVG)
            char[:] = BRAILLE_BASE
        heated = self.heat_top >= 0
        mixed = _mix(self.heat_top, self.heat_bottom)  # a cell with a dot or a glyph: one background
        if self.braille:  # two colours a cell: the top one is the foreground of `▀`
            split = heated & (self.heat_top != self.heat_bottom) & (self.heat_bottom >= 0)
            bg[heated] = np.where(split, self.heat_bottom, self.heat_top)[heated]
            char[split], fg[split] = UPPER_HALF, self.heat_top[split]
        else:  # the glyph modes have no half blocks (ASCII): one colour a cell
            bg[heated] = mixed[heated]
        under = (self.under != 0) & (self.dots == 0)
        under_chars = BRAILLE_BASE + self.under.astype(np.uint32) if self.braille else self.under_char
        for layer, layer_fg, layer_char in ((under, self.under_fg, under_chars),
                                            (self.dots != 0, self.dot_fg, self._dot_chars()),
                                            (self.glyph != 0, self.glyph_fg, self.glyph)):
            char[layer], fg[layer] = layer_char[layer], layer_fg[layer]
            bg[layer & heated] = mixed[layer & heated]
            attr[layer] = 0
        attr[self.glyph != 0] = self.glyph_attr[self.glyph != 0]

    def _dot_chars(self) -> np.ndarray:
        return BRAILLE_BASE + self.dots.astype(np.uint32) if self.braille else self.dot_char


def _mix(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """The mean colour of two 0xRRGGBB arrays (bottom NONE: top)."""
    bottom = np.where(bottom >= 0, bottom, top)
    channels = [((top >> shift) & 255) + ((bottom >> shift) & 255) for shift in (16, 8, 0)]
    return ((channels[0] // 2) << 16) | ((channels[1] // 2) << 8) | (channels[2] // 2)


def _consecutive_kept(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """The points to keep: not those that fall into the same dot as the point before (the only thinning:
    a zigzag keeps every turn that moves by a dot, and a dotted line's pattern stays even); NaN and the
    point after one are always kept."""
    rx, ry = np.rint(px), np.rint(py)
    keep = np.ones(len(px), dtype=bool)
    with np.errstate(invalid="ignore"):
        keep[1:] = (rx[1:] != rx[:-1]) | (ry[1:] != ry[:-1]) | ~np.isfinite(rx[1:]) | ~np.isfinite(ry[1:])
    return keep
