"""A chart on the canvas: title, y and x axes with ticks and labels, layers of data, a legend, notes.

A chart collects what to draw in data coordinates (`line`, `points`, `vline`, `band`, `contours`, `heat`,
`label`), then `render` chooses the axes from the data it holds, lays out the labels and
rasterizes everything into a `Cells` grid:

    title (centred, the first of its alternatives that fits)
    y labels │ plot area                       (┤ at each y tick)
             └──────┬──────────┬──────────     (┬ at each x tick)
             0     500       1000

Modes: "" (colour, braille lines), "mono" (NO_COLOR: each series drawn with its own character)
and "ascii" (`--ascii`: ASCII characters only, colour kept). Markers are `Glyph`s with one
character per mode, so the minimum, the start and each optimizer's path never share a character.
Data that cannot be drawn is said in a note inside the plot, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from tui_dl.app.canvas.cells import BOLD, NONE, REVERSE, Cells, rgb
from tui_dl.app.canvas.raster import Polyline, Raster
from tui_dl.ticks import Axis, axis_for, integer_axis

RGB = tuple[int, int, int]
AXIS_COLOR = rgb((128, 128, 128))
TEXT_COLOR = rgb((200, 200, 200))
# each series' character where colour cannot tell series apart (NO_COLOR) or braille is not there (ASCII);
# none of them is a marker's character (o start, + minimum, # best, x stop)
SERIES_CHARS = "*%&=$~@?"
# axis lines per mode: vertical, y tick, corner, horizontal, x tick
BOX = {"": "│┤└─┬", "mono": "│┤└─┬", "ascii": "|-+-|"}  # ASCII ticks are not `+`, the minimum's marker


@dataclass(frozen=True)
class Glyph:
    """A marker's character in colour, NO_COLOR and ASCII modes (None: the series' own, reversed)."""

    color: str
    mono: str | None = None
    ascii: str | None = None

    def char(self, mode: str, series: int | None = None) -> tuple[str, int]:
        """(character, attributes) in this mode; a series marker without its own character reverses the series'."""
        if not mode:
            return self.color, 0
        own = self.mono if mode == "mono" else self.ascii
        if own is not None:
            return own, 0
        return series_char(series or 0), REVERSE


START = Glyph("o", "o", "o")
MINIMUM = Glyph("+", "+", "+")
BEST = Glyph("◆", "◆", "#")
STOP = Glyph("✖", "✖", "x")
NOW = Glyph("●")  # a path's head, the rate now: the series' character reversed in the glyph modes


def series_char(index: int) -> str:
    """The character that draws series index in the glyph modes."""
    return SERIES_CHARS[index % len(SERIES_CHARS)]


def series_mark(index: int, mode: str) -> str:
    """A series' mark in a legend: `●` in its colour, or its own character in the glyph modes."""
    return series_char(index) if mode else "●"


def series_key(index: int, mode: str, dotted: bool = False) -> str:
    """Two cells that show a series' line in a legend: `──` / `··` in colour, `**` / `* ` in the glyph modes."""
    if not mode:
        return "··" if dotted else "──"
    char = series_char(index)
    return f"{char} " if dotted else char * 2


@dataclass
class _Layer:
    kind: str
    x: np.ndarray
    y: np.ndarray
    color: int
    series: int | None = None
    dotted: bool = False
    glyph: Glyph | None = None
    text: str = ""
    scale: bool = True  # its values count for the axes' ranges


@dataclass
class Chart:
    """A chart of width x height cells; add layers in data coordinates, then `render`.

    Attributes:
        mode: "", "mono" or "ascii" (see the module docstring).
    """

    width: int
    height: int
    mode: str = ""
    titles: tuple[str, ...] = ()
    layers: list[_Layer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    legend_entries: list[tuple[str, int, str]] = field(default_factory=list)
    heat_fill: Callable[[np.ndarray, np.ndarray], Any] | None = None
    x_spec: dict[str, Any] = field(default_factory=dict)
    y_spec: dict[str, Any] = field(default_factory=dict)
    backdrop_cache: dict[str, Any] | None = None
    backdrop_identity: Any = None
    raster: Raster | None = None
    """After `render`: the plot area's raster (tests look at what was drawn where)."""
    area: tuple[int, int, int, int] = (0, 0, 0, 0)
    """After `render`: (top, left, rows, cols) of the plot area in the cells."""
    axes: tuple[Axis | None, Axis | None] = (None, None)
    """After `render`: the (x, y) axes used."""

    # ------------------------------------------------------------------ what to draw
    def title(self, *alternatives: str) -> None:
        """The title: the first alternative that fits the width is shown."""
        self.titles = alternatives

    def x_axis(self, log: bool = False, limits: tuple[float | None, float | None] = (None, None),
               integer: bool = False, extend: bool = False) -> None:
        """How the x axis is chosen: log scale, fixed ends, whole-number ticks, ends on ticks."""
        self.x_spec = {"log": log, "limits": limits, "integer": integer, "extend": extend}

    def y_axis(self, log: bool = False, limits: tuple[float | None, float | None] = (None, None),
               extend: bool = True, label_width: int = 0) -> None:
        """How the y axis is chosen (see x_axis); label_width: the least width of its labels' column, so that charts
        stacked one above the other put their x axes at the same column."""
        self.y_spec = {"log": log, "limits": limits, "extend": extend, "label_width": label_width}

    def line(self, x: Any, y: Any, color: RGB, series: int = 0, dotted: bool = False, scale: bool = True) -> None:
        """A polyline through (x, y); NaN or inf breaks it. series picks its character in the glyph modes."""
        self.layers.append(_Layer("line", _array(x), _array(y), rgb(color), series, dotted, scale=scale))

    def points(self, x: Any, y: Any, color: RGB, glyph: Glyph | None = None, series: int | None = None,
               scale: bool = True) -> None:
        """Markers at (x, y): a glyph in a whole cell, or (glyph None) single dots of a scatter."""
        self.layers.append(_Layer("points", _array(x), _array(y), rgb(color), series, glyph=glyph, scale=scale))

    def vline(self, x: float, color: RGB, series: int = 0) -> None:
        """A vertical line across the plot at x."""
        self.layers.append(_Layer("vline", _array([x]), _array([np.nan]), rgb(color), series, scale=False))

    def contours(self, segments: np.ndarray, color: RGB) -> None:
        """Line segments (K, 2, 2) in data coordinates (contour lines), in one colour."""
        segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2, 2)
        gaps = np.full((len(segments), 1), np.nan)
        x = np.concatenate([segments[:, :, 0], gaps], axis=1).ravel()
        y = np.concatenate([segments[:, :, 1], gaps], axis=1).ravel()
        self.layers.append(_Layer("contours", x, y, rgb(color), series=None, scale=False))

    def band(self, x: Any, low: Any, high: Any, color: RGB) -> None:
        """A shaded band between two curves over x (sorted), under every line: a spread across seeds."""
        x, low, high = _array(x), _array(low), _array(high)
        self.layers.append(_Layer("band", np.concatenate([x, x]), np.concatenate([low, high]), rgb(color)))

    def label(self, x: float, y: float, text: str, color: RGB) -> None:
        """Text starting at (x, y) in data coordinates (kept inside the plot)."""
        self.layers.append(_Layer("label", _array([x]), _array([y]), rgb(color), text=text, scale=False))

    def heat(self, fill: Callable[[np.ndarray, np.ndarray], Any]) -> None:
        """A heat map behind the data: fill(xs, ys) -> (len(ys), len(xs), 3) RGB, or (colours, mask).

        xs are the x values of the plot's columns, ys of its half rows from the top (two a cell).
        """
        self.heat_fill = fill

    def legend(self, entries: Sequence[tuple[str, RGB, str]]) -> None:
        """(key, colour, text) lines drawn in the emptiest corner of the plot, or in the title row if none is empty."""
        self.legend_entries = [(key, rgb(color), text) for key, color, text in entries]

    def extent(self, x: Any = (), y: Any = ()) -> None:
        """Values the axes must show without drawing them (a band whose lines are drawn unscaled)."""
        xs = np.concatenate([_array(v) for v in x]) if len(x) else np.empty(0)
        ys = np.concatenate([_array(v) for v in y]) if len(y) else np.empty(0)
        self.layers.append(_Layer("extent", xs, ys, NONE))

    def backdrop(self, cache: dict[str, Any], identity: Any) -> None:
        """Keep the layers under the data (heat map, contour lines) in cache from one render to the next.

        They are rasterized again only when identity (the object they are drawn from, compared with
        `is`), the plot's size, the mode or the axes change: a path's every step then redraws only
        the path. cache is any dict the caller keeps (a widget's).
        """
        self.backdrop_cache, self.backdrop_identity = cache, identity

    def note(self, text: str) -> None:
        """A line of text: in the middle of an empty plot (why nothing is drawn), else beside the data
        like a legend line, marked `!`."""
        self.notes.append(text)

    # ------------------------------------------------------------------ rendering
    def render(self) -> Cells:
        """The chart in cells: axes chosen from the data, layers rasterized, labels laid out."""
        cells = Cells(self.width, self.height)
        title_rows = 1 if self.titles and self.height >= 6 else 0
        rows = self.height - title_rows - 2
        if rows < 2 or self.width < 12:
            cells.text(0, 0, (self.notes or [""])[0][: self.width], TEXT_COLOR)
            return cells
        y_axis = self._axis(self.y_spec, 1, max(2, min(6, rows // 3 + 1)))
        label_width = max((len(label) for label in y_axis.labels), default=1) if y_axis else 1
        label_width = max(label_width, self.y_spec.get("label_width", 0))
        left = label_width + 1
        cols = self.width - left
        x_axis = self._axis(self.x_spec, 0, max(2, min(8, cols // 9)))
        if x_axis is None or y_axis is None:
            empty = not any(len(layer.y) for layer in self.layers if layer.scale)
            self.notes.insert(0, "nothing to draw yet" if empty else "no finite values to draw: all NaN or inf")
        for axis, spec, name in ((x_axis, self.x_spec, "x"), (y_axis, self.y_spec, "y")):
            if axis is not None and spec.get("log") and not axis.log:
                self.notes.append(f"no positive {name} value for a log scale: drawn linear")
        self.axes = (x_axis, y_axis)
        self.area = (title_rows, left, rows, cols)
        raster = self.raster = Raster(cols, rows, braille=not self.mode)
        if x_axis is not None and y_axis is not None:
            self._rasterize(raster, x_axis, y_axis)
        raster.compose(cells, title_rows, left)
        self._frame(cells, x_axis, y_axis)
        if x_axis is not None and y_axis is not None:
            self._labels(cells, x_axis, y_axis)
        notes = self.notes
        if raster.occupied().any():  # beside the data like a legend, never over it
            self.legend_entries = [*self.legend_entries, *(("!", TEXT_COLOR, note) for note in notes)]
            notes = []
        title_free = self._legend(cells, raster)
        if title_rows and title_free:
            self._title(cells, left, cols)
        for offset, note in enumerate(notes):  # nothing drawn: the plot's middle says why
            row = title_rows + rows // 2 + offset
            cells.text(row, left + max(0, (cols - len(note)) // 2), note[:cols], TEXT_COLOR)
        return cells

    def _axis(self, spec: dict[str, Any], index: int, count: int) -> Axis | None:
        values = [layer.x if index == 0 else layer.y for layer in self.layers if layer.scale]
        data = np.concatenate(values) if values else np.empty(0)
        if spec.get("integer"):
            low, high = spec.get("limits", (None, None))
            finite = data[np.isfinite(data)]
            if (low is None or high is None) and not finite.size:
                return None
            low = int(np.floor(finite.min())) if low is None else int(low)
            high = int(np.ceil(finite.max())) if high is None else int(high)
            return integer_axis(low, high, count)
        return axis_for(data, log=spec.get("log", False), count=count, limits=spec.get("limits", (None, None)),
                        extend=spec.get("extend", index == 1))

    def _rasterize(self, raster: Raster, x_axis: Axis, y_axis: Axis) -> None:
        key = (raster.cols, raster.rows, self.mode, x_axis.low, x_axis.high, x_axis.log, y_axis.low, y_axis.high,
               y_axis.log)
        cached = self.backdrop_cache.get("backdrop") if self.backdrop_cache is not None else None
        reuse = cached is not None and cached[0] is self.backdrop_identity and cached[1] == key
        if reuse:
            raster.heat_top, raster.heat_bottom, raster.under, raster.under_char, raster.under_fg = cached[2]
        else:
            if self.heat_fill is not None:
                self._heat(raster, x_axis, y_axis)
            contours = [layer for layer in self.layers if layer.kind == "contours"]
            raster.lines([self._polyline(layer, fx, fy) for layer, (fx, fy) in
                          zip(contours, _fractions(contours, x_axis, y_axis), strict=True)], under=True)
        if self.backdrop_cache is not None and not reuse:
            backdrop = (raster.heat_top, raster.heat_bottom, raster.under, raster.under_char, raster.under_fg)
            for array in backdrop:
                array.flags.writeable = False  # shared with later renders: never drawn into again
            self.backdrop_cache["backdrop"] = (self.backdrop_identity, key, backdrop)
        drawn = [layer for layer in self.layers if layer.kind in ("band", "line", "vline", "points")]
        fractions = dict(zip(map(id, drawn), _fractions(drawn, x_axis, y_axis), strict=True))
        bands = [layer for layer in self.layers if layer.kind == "band"]
        if bands and not raster.under.flags.writeable:  # the cached backdrop stays as it is
            raster.under, raster.under_char, raster.under_fg = (raster.under.copy(), raster.under_char.copy(),
                                                                raster.under_fg.copy())
        for layer in bands:  # over the heat map, under every line
            half = len(layer.x) // 2
            fx, fy = fractions[id(layer)]
            raster.band(fx[:half], fy[:half], fy[half:], layer.color)
        raster.lines([self._polyline(layer, *fractions[id(layer)]) for layer in self.layers
                      if layer.kind in ("line", "vline") or (layer.kind == "points" and layer.glyph is None)])
        for layer in self.layers:  # markers on top of every line
            if layer.kind == "points" and layer.glyph is not None:
                char, attr = layer.glyph.char(self.mode, layer.series)
                raster.glyphs(*fractions[id(layer)], char, layer.color, attr | BOLD)

    def _polyline(self, layer: _Layer, fx: np.ndarray, fy: np.ndarray) -> Polyline:
        """A line, vertical line, contour or scatter layer at its axis fractions as a polyline."""
        char = series_char(layer.series) if layer.series is not None else ("o" if layer.kind == "points" else ".")
        if layer.kind == "vline":
            return Polyline(np.repeat(fx, 2), np.array([0.0, 1.0]), layer.color, char)
        if layer.kind == "points":  # a scatter: a NaN after every point, so no point joins the next
            gaps = np.full(len(fx), np.nan)
            fx, fy = np.column_stack([fx, gaps]).ravel(), np.column_stack([fy, gaps]).ravel()
        return Polyline(fx, fy, layer.color, char, layer.dotted)

    def _heat(self, raster: Raster, x_axis: Axis, y_axis: Axis) -> None:
        cols, rows = raster.cols, raster.rows
        fx = (np.arange(cols) + 0.5) / cols
        fy = 1 - (np.arange(2 * rows) + 0.5) / (2 * rows)
        xs, ys = _values_at(x_axis, fx), _values_at(y_axis, fy)
        result = self.heat_fill(xs, ys)
        colors, mask = result if isinstance(result, tuple) else (result, None)
        raster.heat(colors, mask)

    def _frame(self, cells: Cells, x_axis: Axis | None, y_axis: Axis | None) -> None:
        top, left, rows, cols = self.area
        vertical, y_tick, corner, horizontal, x_tick = BOX.get(self.mode, BOX[""])
        axis = (slice(top, top + rows), left - 1)  # the y axis line, one cell a row (as `cells.text` writes it)
        cells.char[axis], cells.fg[axis], cells.attr[axis] = ord(vertical), AXIS_COLOR, 0
        cells.text(top + rows, left - 1, corner + horizontal * cols, AXIS_COLOR)
        if x_axis is None or y_axis is None:  # no labels: no ticks either
            return
        for row in self._tick_rows(y_axis):
            cells.text(row, left - 1, y_tick, AXIS_COLOR)
        for col in self._tick_cols(x_axis):
            cells.text(top + rows, col, x_tick, AXIS_COLOR)

    def _tick_rows(self, axis: Axis) -> list[int]:
        """The row of each tick: the row of the dots a value there is drawn with."""
        _, py = self.raster.to_pixels(0.0, axis.fraction(axis.ticks))
        return (self.area[0] + np.rint(py).astype(int) // self.raster.sub[1]).tolist()

    def _tick_cols(self, axis: Axis) -> list[int]:
        px, _ = self.raster.to_pixels(axis.fraction(axis.ticks), 0.0)
        return (self.area[1] + np.rint(px).astype(int) // self.raster.sub[0]).tolist()

    def _labels(self, cells: Cells, x_axis: Axis, y_axis: Axis) -> None:
        top, left, rows, cols = self.area
        for row, label in zip(self._tick_rows(y_axis), y_axis.labels, strict=True):
            cells.text(row, left - 1 - len(label), label, AXIS_COLOR)
        free_from = 0  # x labels centred under their ticks, never overlapping, inside the width
        for col, label in zip(self._tick_cols(x_axis), x_axis.labels, strict=True):
            start = min(max(col - len(label) // 2, free_from, 0), self.width - len(label))
            if start >= free_from:
                cells.text(top + rows + 1, start, label, AXIS_COLOR)
                free_from = start + len(label) + 1
        for layer in self.layers:
            if layer.kind != "label":
                continue
            fx, fy = x_axis.fraction(layer.x)[0], y_axis.fraction(layer.y)[0]
            if np.isfinite(fx) and np.isfinite(fy) and 0 <= fx <= 1 and 0 <= fy <= 1:
                col = min(left + round(fx * (cols - 1)), left + cols - len(layer.text))
                cells.text(top + round((1 - fy) * (rows - 1)), max(col, left), layer.text, layer.color,
                           attr=BOLD)

    def _legend(self, cells: Cells, raster: Raster) -> bool:
        """Draw the legend where it covers no data; returns whether the title row is still free."""
        if not self.legend_entries:
            return True
        lines = [f"{key} {text}" for key, _, text in self.legend_entries]
        width, height = max(len(line) for line in lines) + 1, len(lines)
        top, left, rows, cols = self.area
        taken = raster.occupied()
        corners = []
        if width <= cols and height <= rows:
            for row0 in (0, rows - height):
                for col0 in (cols - width, 0):
                    corners.append((int(taken[row0: row0 + height, col0: col0 + width].sum()), row0, col0))
        empty = [corner for corner in corners if corner[0] == 0]
        if empty:
            _, row0, col0 = empty[0]
            for offset, (key, color, text) in enumerate(self.legend_entries):
                row = top + row0 + offset
                cells.text(row, left + col0, " " + key, color, attr=BOLD, bg=NONE)
                cells.text(row, left + col0 + 1 + len(key), " " + text, TEXT_COLOR, bg=NONE)
            return True
        if top == 0:  # no title row: the legend stays in the pane's note
            return True
        line = "  ".join(lines)
        if len(line) > self.width:
            return True
        column = 0
        for key, color, text in self.legend_entries:
            cells.text(0, column, key, color, attr=BOLD)
            cells.text(0, column + len(key), f" {text}  ", TEXT_COLOR)
            column += len(key) + len(text) + 3
        return False

    def _title(self, cells: Cells, left: int, cols: int) -> None:
        for title in self.titles:
            if len(title) <= self.width:
                start = left + max(0, (cols - len(title)) // 2)
                cells.text(0, min(start, self.width - len(title)), title, TEXT_COLOR, attr=BOLD)
                return


def _fractions(layers: Sequence[_Layer], x_axis: Axis, y_axis: Axis) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fx, fy) of each layer's points: the axes' fractions of all layers taken at once (one NumPy pass,
    not two small ones a layer; a chart has dozens of layers: a marker is one)."""
    if not layers:
        return []
    bounds = np.cumsum([0, *(len(layer.x) for layer in layers)]).tolist()
    fx = x_axis.fraction(np.concatenate([layer.x for layer in layers]))
    fy = y_axis.fraction(np.concatenate([layer.y for layer in layers]))
    return [(fx[a:b], fy[a:b]) for a, b in pairwise(bounds)]


def _array(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


def _values_at(axis: Axis, fractions: np.ndarray) -> np.ndarray:
    """The data values at axis fractions (the inverse of Axis.fraction)."""
    if axis.log:
        low, high = np.log10(axis.low), np.log10(axis.high)
        return 10.0 ** (low + fractions * (high - low))
    return axis.low + fractions * (axis.high - axis.low)
