"""The widgets every pane draws with: data in, Strips out, rasterized once per data and size.

`CanvasWidget` is a Textual line-API widget: the subclass `draw`s its data into `Cells` (the
app's canvas), whose Strips are kept until the data, the size or the glyph mode change; an
unchanged pane costs nothing. `show(data)` on a widget already on screen draws at once and
repaints only the rows that changed (bytes to the terminal follow them); otherwise the next
`render_line` draws, at the widget's size.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import ANSIToTruecolor, DimFilter, LineFilter, Monochrome, NoColor
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tui_dl.app.canvas.cells import Cells, StyleTable, rgb
from tui_dl.app.canvas.chart import Chart
from tui_dl.app.glyphs import glyph_mode

WAITING_COLOR = rgb((128, 128, 128))
ERROR_COLOR = rgb((230, 80, 80))
# Textual's line filters that change each Segment's style alone (never its text): the canvas applies them
# to its styles once each as it paints, instead of to every Segment of every new row in each screen update
STYLE_FILTERS = (ANSIToTruecolor, DimFilter, Monochrome, NoColor)


def changed_mask(old: Cells, new: Cells) -> np.ndarray:
    """(height,) bool: the rows whose cells differ between two pictures of one size."""
    return ((old.char != new.char) | (old.fg != new.fg) | (old.bg != new.bg) | (old.attr != new.attr)).any(axis=1)


def row_runs(changed: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True rows."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], changed, [False]]).astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))



class CanvasWidget(Widget):
    """A widget drawn by `draw(data, width, height, mode) -> Cells`, cached until data or size change."""

    DEFAULT_CSS = """
    CanvasWidget {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: Any = None
        self.draws = 0
        """How many times the picture has been rasterized (tests check that unchanged data is not redrawn)."""
        self.waiting = "computing..."
        self._cells: Cells | None = None
        self._painted: tuple[Any, ...] | None = None  # the key _cells were painted at
        self._changed = np.zeros(0, dtype=bool)  # the rows the last paint changed
        self._strips: list[Strip] = []
        self._key: tuple[Any, ...] | None = None  # (width, height, mode, look) the strips were drawn for

    @property
    def mode(self) -> str:
        """`` for colour, `mono` (NO_COLOR) or `ascii` (--ascii)."""
        return glyph_mode(self.app)

    def show(self, data: Any) -> None:
        """Keep data and redraw: now, repainting only the rows that changed, when the widget is on screen
        at the size it was last drawn at; else once, at the next screen update.

        A new step of a live plot changes a few rows (the newest points, a marker, a legend); the
        terminal then receives those rows only, not the whole plot.
        """
        self.data = data
        key = self._paint_key()
        if self._cells is None or key != self._key or not self.display or not self.region.area:
            self._key = None
            self.refresh()
            return
        self._paint(key)
        for start, stop in row_runs(self._changed):
            self.refresh(Region(0, start, key[0], stop - start))

    def draw(self, data: Any, width: int, height: int, mode: str) -> Cells:
        """The picture of data in width x height cells; subclasses override."""
        return Cells(width, height)

    def rasterize(self) -> list[Strip]:
        """The strips of the current data at the current size (drawn now if stale)."""
        key = self._paint_key()
        if key != self._key:
            self._paint(key)
        return self._strips

    def _paint_key(self) -> tuple[Any, ...]:
        """What the strips depend on besides the data: (width, height, glyph mode, look), where look is
        (the app's style filters, the background they blend with) as `_style_table` applies them."""
        filters = tuple(f for f in self.get_line_filters() if isinstance(f, STYLE_FILTERS))
        width, height = self.size  # a look-up through the compositor's map: once
        return width, height, self.mode, (filters, self.background_colors[1] if filters else None)

    def _paint(self, key: tuple[Any, ...]) -> None:
        width, height, mode, (filters, background) = key
        self._key = key
        if self.data is None or width < 1 or height < 1:
            cells = Cells(max(width, 1), max(height, 1))
            cells.text(0, 0, self.waiting if self.data is None else "", WAITING_COLOR)
        else:
            self.draws += 1
            try:
                cells = self.draw(self.data, width, height, mode)
            except Exception as error:  # a bug in a pane's drawing: say it where the plot was, never crash
                cells = Cells(width, height)
                cells.text(0, 0, f"cannot draw: {type(error).__name__}: {error}", ERROR_COLOR)
        previous = self._cells if self._painted == key else None  # the last picture, at this size
        self._changed = changed_mask(previous, cells) if previous is not None else np.ones(cells.height, bool)
        styles = _style_table(filters, background) if filters else None
        self._strips = cells.strips(self._changed, self._strips if previous is not None else None, styles)
        self._cells, self._painted = cells, key

    def render_line(self, y: int) -> Strip:
        strips = self.rasterize()
        return strips[y] if y < len(strips) else Strip.blank(self.size.width)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The strips of crop, handed to the compositor as they are when the widget has no box around them.

        Textual's own path restyles every line one by one (border, padding, tint, opacity), each into a
        new Strip, and looks the widget's size up for each `render_line`: a few ms a full frame for a
        plot that fills its widget edge to edge. Without any such style the result is the strips
        themselves (their styles already filtered, see `STYLE_FILTERS`), so they are passed on as they
        are; a widget given a border, padding, outline, tint or opacity goes Textual's way, and its
        filters are then applied twice, which leaves a style as it was.
        """
        if not unstyled(self):
            return super().render_lines(crop)
        strips = self.rasterize()
        width = self._key[0] if self._key else self.size.width
        lines = strips[crop.y:crop.bottom]
        if len(lines) < crop.height:
            lines = [*lines, *[Strip.blank(width)] * (crop.height - len(lines))]
        filters = [f for f in self.get_line_filters() if not isinstance(f, STYLE_FILTERS)]  # the rest: per Segment
        if filters:
            background = self.background_colors[1]
            for line_filter in filters:
                lines = [strip.apply_filter(line_filter, background) for strip in lines]
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            lines = [strip.crop(x1, x2) for strip in lines]
        return lines

    def lines(self) -> list[str]:
        """The picture's text, one string per row (tests, screen readers of the output)."""
        return ["".join(segment.text for segment in strip) for strip in self.rasterize()]


def unstyled(widget: Widget) -> bool:
    """Whether no style puts anything around or over the widget's lines (border, padding, outline, tint,
    opacity, hatch): Textual's render_lines would then hand them over as they are, but for its filters."""
    styles = widget.styles
    return (tuple(styles.gutter) == (0, 0, 0, 0) and not any(edge for edge, _ in styles.outline)
            and not styles.tint.a and styles.text_opacity == 1.0 and widget.opacity == 1.0
            and (not styles.has_rule("hatch") or styles.hatch == "none"))


@lru_cache(16)
def _style_table(filters: tuple[LineFilter, ...], background: Color) -> StyleTable:
    """The canvas styles as Textual's style filters turn them, in order, over background (see `STYLE_FILTERS`)."""

    def restyled(style: Style) -> Style:
        segments = [Segment(" ", style)]
        for line_filter in filters:
            segments = line_filter.apply(segments, background)
        return segments[0].style or style

    return StyleTable(restyled)


class Plot(CanvasWidget):
    """A chart widget: subclasses implement `chart(chart, data)` to add layers to a `Chart`."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.cache: dict[str, Any] = {}
        """What a subclass keeps from one drawing to the next (a chart's backdrop, contour lines)."""

    def draw(self, data: Any, width: int, height: int, mode: str) -> Cells:
        chart = Chart(width, height, mode)
        self.chart(chart, data)
        return chart.render()

    def chart(self, chart: Chart, data: Any) -> None:
        """Add data's layers, axes and title to chart; subclasses implement."""
