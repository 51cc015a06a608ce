"""The widgets every pane draws with: data in, Strips out, rasterized once per data and size.

`CanvasWidget` is a Textual line-API widget: `show(data)` keeps the data and marks the picture
stale; the next `render_line` (on the UI thread, at the widget's size) calls `rasterize` once,
which asks the subclass to `draw` the data into `Cells` (the app's canvas) and caches their
Strips. A resize or a change of glyph mode redraws; an unchanged pane costs nothing.
"""

from __future__ import annotations

from typing import Any

from textual.strip import Strip
from textual.widget import Widget

from tui_dl.app.canvas.cells import Cells, rgb
from tui_dl.app.canvas.chart import Chart
from tui_dl.app.glyphs import glyph_mode

WAITING_COLOR = rgb((128, 128, 128))
ERROR_COLOR = rgb((230, 80, 80))


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
        self._strips: list[Strip] = []
        self._key: tuple[Any, ...] | None = None  # (width, height, mode) the strips were drawn for

    @property
    def mode(self) -> str:
        """`` for colour, `mono` (NO_COLOR) or `ascii` (--ascii)."""
        return glyph_mode(self.app)

    def show(self, data: Any) -> None:
        """Keep data and redraw once (at the next screen update)."""
        self.data = data
        self._key = None
        self.refresh()

    def draw(self, data: Any, width: int, height: int, mode: str) -> Cells:
        """The picture of data in width x height cells; subclasses override."""
        return Cells(width, height)

    def rasterize(self) -> list[Strip]:
        """The strips of the current data at the current size (drawn now if stale)."""
        width, height = self.size.width, self.size.height
        key = (width, height, self.mode)
        if key == self._key:
            return self._strips
        self._key = key
        if self.data is None or width < 1 or height < 1:
            cells = Cells(max(width, 1), max(height, 1))
            cells.text(0, 0, self.waiting if self.data is None else "", WAITING_COLOR)
        else:
            self.draws += 1
            try:
                cells = self.draw(self.data, width, height, key[2])
            except Exception as error:  # a bug in a pane's drawing: say it where the plot was, never crash
                cells = Cells(width, height)
                cells.text(0, 0, f"cannot draw: {type(error).__name__}: {error}", ERROR_COLOR)
        self._strips = cells.strips()
        return self._strips

    def render_line(self, y: int) -> Strip:
        strips = self.rasterize()
        return strips[y] if y < len(strips) else Strip.blank(self.size.width)

    def lines(self) -> list[str]:
        """The picture's text, one string per row (tests, screen readers of the output)."""
        return ["".join(segment.text for segment in strip) for strip in self.rasterize()]


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
