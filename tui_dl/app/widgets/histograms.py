"""A grid of small histograms drawn with block characters: one row per run, one column per layer.

This is the textbook's figure (each layer's activation histogram side by side) at terminal size.
Plotext subplots spend most of a 5-line cell on axes; eighth blocks (▁▂▃▄▅▆▇█) give every line to
the bars, so three runs x five layers stay readable in a 60 x 15 pane. Heights share one scale
per run, so a layer whose outputs collapse onto one bin stands out against its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from tui_dl.app.palette import FOREGROUND_DIM, hex_color, series

BLOCKS = " ▁▂▃▄▅▆▇█"
LABEL = 11


@dataclass(frozen=True)
class HistogramRow:
    """One run's histograms: counts (layers, bins), its label, color index and a note per layer."""

    label: str
    counts: np.ndarray
    color: int
    notes: tuple[str, ...] = ()


def resample(counts: np.ndarray, width: int) -> np.ndarray:
    """counts of len B summed into width columns (bins split in proportion when B < width)."""
    bins = len(counts)
    edges = np.linspace(0, bins, width + 1)
    cumulative = np.concatenate([[0.0], np.cumsum(counts, dtype=np.float64)])
    at = np.interp(edges, np.arange(bins + 1), cumulative)
    return np.diff(at)


def bar_lines(columns: np.ndarray, scale: float, height: int) -> list[str]:
    """Vertical bars of column heights (in units of scale) as height lines of block characters."""
    eighths = np.round(np.clip(columns / scale if scale > 0 else columns * 0, 0, 1) * height * 8).astype(int)
    lines = []
    for level in range(height - 1, -1, -1):
        part = np.clip(eighths - level * 8, 0, 8)
        lines.append("".join(BLOCKS[p] for p in part))
    return lines


class HistogramGrid(Widget):
    """Rows of per-layer histograms with a layer header and a range footer."""

    DEFAULT_CSS = """
    HistogramGrid { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[HistogramRow] = []
        self.footer = ""
        self.draws = 0
        """How many times the grid has been built."""

    def show(self, rows: list[HistogramRow], footer: str) -> None:
        """New histograms: keep and redraw once."""
        self.rows = rows
        self.footer = footer
        self.refresh()

    def render(self) -> RenderResult:
        if not self.rows:
            return Text("computing...", style=FOREGROUND_DIM)
        self.draws += 1
        width, height = self.size.width, self.size.height
        layers = self.rows[0].counts.shape[0]
        label = min(LABEL, max(width // 6, 4))
        column = max((width - label) // layers, 2)
        bar = max(column - 1, 1)
        band = max((height - 2) // len(self.rows), 2)
        bar_height = band - 1 if band >= 3 else band
        text = Text()
        text.append(" " * label)
        step = max(1, -(-5 // column))  # label every layer, or every k-th when columns are narrow
        for layer in range(layers):
            tag = f"L{layer + 1}" if layer % step == 0 else ""
            text.append(tag[:column].ljust(column), style="bold")
        for row in self.rows:
            counts = np.asarray(row.counts, dtype=np.float64)
            columns = [resample(counts[layer], bar) for layer in range(layers)]
            scale = max(float(max(c.max() for c in columns)), 1e-12)
            blocks = [bar_lines(c, scale, bar_height) for c in columns]
            color = hex_color(series(row.color))
            for line in range(bar_height):
                text.append("\n")
                name = row.label[:label - 1].ljust(label) if line == 0 else " " * label
                text.append(name, style=f"bold {color}")
                for layer in range(layers):
                    text.append(blocks[layer][line] + " " * (column - bar), style=color)
            if band > bar_height:
                text.append("\n" + " " * label)
                for layer in range(layers):
                    note = row.notes[layer] if layer < len(row.notes) else ""
                    if len(note) > column - 1:  # keep whole words: the std first
                        note = note.split(" ")[0]
                    text.append(note[:column - 1].ljust(column), style=FOREGROUND_DIM)
        text.append("\n" + self.footer[:width], style=FOREGROUND_DIM)
        return text
