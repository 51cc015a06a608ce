"""The plot widget every pane draws with: a PlotextPlot that redraws only when it gets new data.

Subclasses implement `draw(plt, data, width, height)` with plotext calls on `self.plt` (never the
plotext module: its state is global). `show(data)` stores the data and refreshes the widget;
Textual then calls `render` once, on the UI thread, at the widget's current size, so a resize
redraws too but an unchanged pane costs nothing. Series are decimated to about two points per
character cell before they reach plotext, so a 10,000-step history draws as fast as a short one.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Any

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tui_dl.app.glyphs import MarkerPlt, glyph_mode
from tui_dl.app.palette import FOREGROUND_DIM

POINTS_PER_CELL = 2
LINE = "hd"  # plotext's half-block marker: solid lines at 2 x 2 points per cell (braille looks dotted)
# plot area of a plotext figure: the widget minus y tick labels, frame and x ticks (approximate)
MARGIN = (8, 4)


def plot_cells(width: int, height: int) -> tuple[int, int]:
    """Approximate (columns, rows) of character cells inside plotext's axes."""
    return max(width - MARGIN[0], 4), max(height - MARGIN[1], 2)


def decimate(x: np.ndarray, y: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about POINTS_PER_CELL points per cell: the min and max of each bucket, in x order.

    Keeping both extremes of every bucket keeps spikes (a diverging loss, a restart) visible,
    where taking every k-th point would skip them. NaNs are left out; the last point is kept.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    buckets = max(cells, 1)
    if len(x) <= POINTS_PER_CELL * buckets:
        return x, y
    edges = np.linspace(0, len(x), buckets + 1).astype(np.int64)
    starts = edges[:-1]
    lows = np.minimum.reduceat(y, starts)
    highs = np.maximum.reduceat(y, starts)
    # index of the min and max within each bucket, placed in x order
    index = np.arange(len(y))
    low_at = _arg_at(y, lows, starts, edges, index)
    high_at = _arg_at(y, highs, starts, edges, index)
    picked = np.unique(np.concatenate([np.minimum(low_at, high_at), np.maximum(low_at, high_at), [len(x) - 1]]))
    return x[picked], y[picked]


def _arg_at(y: np.ndarray, values: np.ndarray, starts: np.ndarray, edges: np.ndarray, index: np.ndarray) -> np.ndarray:
    """First index within each bucket where y equals the bucket's value."""
    bucket = np.repeat(np.arange(len(starts)), np.diff(edges))
    hits = np.where(y == values[bucket], index, len(y))
    return np.minimum.reduceat(hits, starts)


def decimate_path(points: np.ndarray, cells: int) -> np.ndarray:
    """Every k-th point of a 2-D path (rows in time order), keeping the last, at most 2 x cells points."""
    points = np.asarray(points, dtype=np.float64)
    limit = POINTS_PER_CELL * max(cells, 1)
    if len(points) <= limit:
        return points
    index = np.unique(np.concatenate([np.linspace(0, len(points) - 1, limit).astype(np.int64), [len(points) - 1]]))
    return points[index]


def tick_labels(values: np.ndarray) -> list[str]:
    """Short labels that still tell the ticks apart: 1e-3, 5e-4, 0."""
    for digits in (2, 3, 4, 6):
        labels = [compact(v, digits) for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return labels


def compact(value: float, digits: int = 3) -> str:
    """0.001 -> 1e-3, 0.5 -> 0.5, 250 -> 250."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    if abs(value) < 0.01:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    return text


def set_yticks(plt: Any, low: float, high: float, log: bool = False, count: int = 5) -> None:
    """count readable ticks from low to high (log: at powers of ten when the range spans some)."""
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        return
    if log:
        exponents = np.arange(np.ceil(np.log10(low)), np.floor(np.log10(high)) + 1)
        if len(exponents) > count:  # every k-th power of ten
            exponents = exponents[:: int(np.ceil(len(exponents) / count))]
        ticks = 10.0**exponents if len(exponents) >= 2 else np.geomspace(low, high, count)
    else:
        if 0 <= low < 0.02 * high:  # a curve that reaches (almost) zero: start the axis at 0
            low = 0.0
        ticks = np.linspace(low, high, count)
    plt.yticks(ticks.tolist(), tick_labels(ticks))


def fit_title(plt: Any, width: int, *titles: str) -> None:
    """The first title that fits the plot's width (plotext drops one that does not)."""
    for title in titles:
        if len(title) <= width - 2:
            plt.title(title)
            return


def set_int_xticks(plt: Any, low: int, high: int, count: int = 5) -> None:
    """About count whole-number ticks from low to high (epochs, layers)."""
    ticks = np.unique(np.linspace(low, high, count).round().astype(int))
    plt.xticks(ticks.tolist(), [str(t) for t in ticks])


def canvas_box(lines: list[Text]) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) rows and columns of plotext's frame corners, or None without a frame."""
    for top, line in enumerate(lines):
        left = line.plain.find("┌")
        if left < 0:
            continue
        right = line.plain.find("┐", left)
        for bottom in range(top + 1, len(lines)):
            if lines[bottom].plain[left: left + 1] == "└":
                return (top, bottom, left, right) if right > left + 1 and bottom > top + 1 else None
        return None
    return None


def paint_background(lines: list[Text], box: tuple[int, int, int, int], colors: np.ndarray) -> None:
    """Give each cell inside the frame the background colors[row, col] (RGB), one span per run of a color."""
    top, _, left, _ = box
    for r, row in enumerate(colors):
        line = lines[top + 1 + r]
        start = 0
        for c in range(1, len(row) + 1):
            if c == len(row) or not np.array_equal(row[c], row[start]):
                red, green, blue = (int(v) for v in row[start])
                line.stylize(Style(bgcolor=f"rgb({red},{green},{blue})"), left + 1 + start, left + 1 + c)
                start = c


class Throttle:
    """Call `draw` at most once per `interval` seconds; after a burst of requests the last one is drawn.

    A plot costs 5-20 ms to build, so four panes redrawn on every 30 fps frame would take the whole
    UI thread. The current pane redraws often, the others now and then; 0 (tests) draws at once.
    """

    def __init__(self, owner: Any, draw: Callable[[], None]) -> None:
        self.owner = owner  # whose timer delays a drawing
        self.draw = draw
        self.interval = 0.0
        self._last = -1e9
        self._timer: Any = None  # the pending drawing's Timer, None when nothing waits

    def request(self, late: float = 0.0) -> None:
        """Draw now if the last drawing is old enough, else once when it is, or `late` seconds after.

        With `late`, a request that finds the drawing due before the timer fires draws it then, in
        the same screen update as whatever made that request (a pane's border with its plots).
        """
        wait = self._last + self.interval - monotonic()
        if wait <= 0:
            self._flush()
        elif self._timer is None:
            self._timer = self.owner.set_timer(wait + late, self._fire)

    def reset(self) -> None:
        """Forget the last drawing and drop a pending one: the next request draws at once.

        A restarted experiment's first frame answers a key press; waiting out the interval of the
        previous drawing would add up to a whole interval to what the user sees as the key's latency.
        """
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._last = -1e9

    def hold(self, seconds: float) -> None:
        """No drawing for `seconds` (when throttled at all); a pending one waits until then.

        While a restarted pane draws its first frame, the other panes' drawings would share its
        screen update and delay it; tests (interval 0) never wait.
        """
        if not self.interval:
            return
        now = monotonic()
        self._last = max(self._last, now + seconds - self.interval)
        if self._timer is not None:
            self._timer.stop()
            self._timer = self.owner.set_timer(self._last + self.interval - now, self._fire)

    def _fire(self) -> None:
        self._timer = None  # this timer is done: nothing to stop
        self._flush()

    def _flush(self) -> None:
        if self._timer is not None:  # drawn ahead of its timer (a `late` request)
            self._timer.stop()
            self._timer = None
        self._last = monotonic()
        self.draw()


class Plot(PlotextPlot):
    """A plotext plot drawn from the last data given to `show`."""

    DEFAULT_CSS = """
    Plot {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: Any = None
        self.draws = 0
        """How many times the plot has been built (tests check that unchanged data is not redrawn)."""
        self.waiting = "computing..."

    def show(self, data: Any) -> None:
        """Keep data and redraw once."""
        self.data = data
        self.refresh()

    def draw(self, plt: Any, data: Any, width: int, height: int) -> None:
        """Plotext calls for data at this size; subclasses override."""

    def background(self, data: Any, rows: int, cols: int) -> np.ndarray | None:
        """RGB colors (rows, cols, 3) for the cells inside the axes, top row first; None for none.

        Plotext has no per-cell background, so a heat map behind the data is painted onto the
        built text: markers stay on top, in their own colors.
        """
        return None

    def render(self) -> RenderResult:
        width, height = self.size.width, self.size.height
        if self.data is None or width < 8 or height < 3:
            return Text(self.waiting if self.data is None else "", style=FOREGROUND_DIM)
        plt = self.plt
        plt.clear_figure()
        self.draws += 1
        try:
            # without color (NO_COLOR) or braille (--ascii), each series gets a marker of its own
            self.draw(MarkerPlt(plt) if glyph_mode(self.app) else plt, self.data, width, height)
            text = super().render()
            lines = list(text.split("\n", allow_blank=True))
            box = canvas_box(lines)
            colors = None if box is None else self.background(self.data, box[1] - box[0] - 1, box[3] - box[2] - 1)
            if colors is None:
                return text
            paint_background(lines, box, colors)
            return Text("\n").join(lines)
        except Exception as error:  # plotext rejects some degenerate data; show it, never crash
            return Text(f"cannot draw: {type(error).__name__}: {error}", style="red")
