"""Initialization: per-layer activation histograms of each scheme, as in the textbook figure.

View `histograms`: one row per compared scheme (or only one, `c` cycles), layers as columns, with
each layer's std and the share saturated (sigmoid/tanh) or dead (ReLU) under it. View `lines`
(`v`): the outputs' std and the weight gradient's norm per layer, one line per scheme, where
vanishing and exploding show as slopes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from tui_dl.app.canvas.cells import Cells
from tui_dl.app.canvas.chart import NOW, Chart, series_mark
from tui_dl.app.palette import hex_color, series
from tui_dl.app.panes.base import Pane
from tui_dl.app.widgets.histograms import HistogramGrid, HistogramRow
from tui_dl.app.widgets.plot import CanvasWidget
from tui_dl.ticks import compact


def histogram_footers(stats: Any, low: float, high: float) -> tuple[str, ...]:
    """What the histograms show and what their notes mean, longest first (the grid takes the first that
    fits): `sigmoid outputs in [0, 1] per layer · σ std · s saturated`; `s` and `d` only when some layer's
    note has them."""
    keys = ["σ std"]
    if np.isfinite(stats.saturated).any():
        keys.append("s saturated")
    if np.isfinite(stats.dead).any():
        keys.append("d dead")
    legend = " · ".join(keys)
    activation = stats.activations[0]
    return (f"{activation} outputs in [{low:g}, {high:g}] per layer · {legend}",
            f"{activation} in [{low:g}, {high:g}] · {legend}", legend)


def layer_note(stats: Any, run: int, layer: int) -> str:
    """`σ.21 s90%`: std and the saturated or dead share of one layer."""
    std = stats.std[run, layer]
    if not np.isfinite(std):
        return ""
    value = compact(std, 2)
    note = "σ" + (value[1:] if value.startswith("0.") else value)  # σ.21, σ1.4, σ4.2e-6
    share = stats.saturated[run, layer] if np.isfinite(stats.saturated[run, layer]) else stats.dead[run, layer]
    if np.isfinite(share):
        note += f" {'s' if np.isfinite(stats.saturated[run, layer]) else 'd'}{share * 100:.0f}%"
    return note


class LayerLines(CanvasWidget):
    """Per-layer std (left) and gradient norm on a log scale (right), one line per run; data is (stats, shown)."""

    def draw(self, data: Any, width: int, height: int, mode: str) -> Cells:
        stats, shown = data
        layers = np.arange(1, stats.std.shape[1] + 1)
        cells = Cells(width, height)
        half = width // 2
        for index, (values, log, titles) in enumerate((
                (stats.std, False, ("std of outputs per layer", "std")),
                (stats.grad_norm, True, ("‖∂L/∂W‖ per layer (log)", "‖∂L/∂W‖ (log)")))):
            chart = Chart(half - 1 if index == 0 else width - half, height, mode)  # a column between the two
            done = stats.layers_done if index == 0 else stats.gradients_done
            for run in shown:  # the layers computed so far: none at step 0 is "nothing to draw yet", not all NaN
                computed = values[run, -done:] if index == 1 and done else values[run, :done]
                at = layers[-done:] if index == 1 and done else layers[:done]
                chart.line(at, computed, series(run), run)
                chart.points(at, computed, series(run), NOW, run)
            chart.x_axis(integer=True, limits=(1, max(len(layers), 2)))
            chart.y_axis(log=log)
            chart.title(*titles)
            cells.paste(chart.render(), 0, 0 if index == 0 else half)
        return cells


class InitializationPane(Pane):
    """Sigmoid under N(0,1), Xavier and He: saturation, collapse, or healthy spread."""

    KIND = "init"
    TITLE = "Initialization"
    VIEWS = ("histograms", "lines")
    DEFAULT_CSS = """
    InitializationPane HistogramGrid, InitializationPane LayerLines { height: 1fr; }
    """
    BINDINGS: ClassVar = [
        Binding("v", "cycle_view", "Hist/lines", tooltip="histograms, or std and gradient norm per layer"),
        Binding("c", "cycle_compare", "Compare/one", tooltip="every scheme, or one scheme at a time"),
    ]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.only: int | None = None
        """None compares every run; else the index of the one run shown."""

    def compose_body(self) -> ComposeResult:
        yield HistogramGrid(id="histograms")
        yield LayerLines(id="lines")

    def on_mount(self) -> None:
        self.on_view_changed()

    def on_view_changed(self) -> None:
        self.query_one(HistogramGrid).display = self.view == "histograms"
        self.query_one(LayerLines).display = self.view == "lines"

    def shown(self) -> list[int]:
        """The runs drawn."""
        runs = len(self.frame.stats.labels)
        if self.only is not None and self.only < runs:
            return [self.only]
        return list(range(runs))

    def redraw(self) -> None:
        if self.frame is None:
            return
        stats = self.frame.stats
        shown = self.shown()
        layers = stats.counts.shape[1]
        low, high = stats.edges[0, 0], stats.edges[0, -1]
        if self.view == "histograms":
            rows = [HistogramRow(stats.labels[r], stats.counts[r], r,
                                 tuple(layer_note(stats, r, layer) for layer in range(layers))) for r in shown]
            self.query_one(HistogramGrid).show_rows(rows, histogram_footers(stats, low, high))
        else:
            self.query_one(LayerLines).show((stats, shown))
        text = Text()
        for i, r in enumerate(shown):
            if i:
                text.append("  ")
            text.append(f"{series_mark(r, self.mode)} {stats.labels[r]}", style=f"bold {hex_color(series(r))}")
            text.append(f" = {stats.initializers[r]}")
        text.append(f"  ({stats.conventions[0]}, {stats.activations[0]})", style="dim")
        self.set_note(text)

    def status(self) -> str:
        which = "compare" if self.only is None else f"run {self.only + 1}"
        return f"{self.view}, {which}"

    def action_cycle_compare(self) -> None:
        """All runs, then each run alone, then all again."""
        runs = len(self.frame.stats.labels) if self.frame is not None else 1
        self.only = 0 if self.only is None else (self.only + 1 if self.only + 1 < runs else None)
        self.redraw()
        self.post_message(self.Changed())
