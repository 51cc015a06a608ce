"""A grid of small histograms drawn with block characters: one row per run, one column per layer.

This is the textbook's figure (each layer's activation histogram side by side) at terminal size.
Charts with axes would spend most of a 5-line cell on them; eighth blocks (▁▂▃▄▅▆▇█) give every line to
the bars, so three runs x five layers stay readable in a 60 x 15 pane. Heights share one scale
per run, so a layer whose outputs collapse onto one bin stands out against its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_dl.app.canvas.cells import BOLD, Cells, rgb
from tui_dl.app.glyphs import to_ascii
from tui_dl.app.palette import series
from tui_dl.app.widgets.plot import CanvasWidget

BLOCKS = " ▁▂▃▄▅▆▇█"
LABEL = 11
TEXT, DIM = rgb((200, 200, 200)), rgb((128, 128, 128))


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


def bar_cells(columns: np.ndarray, scale: float, height: int) -> np.ndarray:
    """Vertical bars of column heights (in units of scale): (height, len(columns)) indices into BLOCKS, top first."""
    eighths = np.round(np.clip(columns / scale if scale > 0 else columns * 0, 0, 1) * height * 8).astype(int)
    levels = np.arange(height - 1, -1, -1)[:, None] * 8
    return np.clip(eighths[None, :] - levels, 0, 8)


def bar_lines(columns: np.ndarray, scale: float, height: int) -> list[str]:
    """The bars of `bar_cells` as height lines of block characters."""
    return ["".join(BLOCKS[p] for p in line) for line in bar_cells(columns, scale, height)]


class HistogramGrid(CanvasWidget):
    """Rows of per-layer histograms with a layer header and a footer; data is (rows, footers): the footer's
    wordings, longest first, of which the first that fits the width is drawn."""

    DEFAULT_CSS = """
    HistogramGrid { width: 1fr; height: 1fr; }
    """

    def draw(self, data: Any, width: int, height: int, mode: str) -> Cells:
        rows, footers = data
        cells = Cells(width, height)
        if not rows:
            return cells
        text = to_ascii if mode == "ascii" else str
        block_codes = np.array([ord(c) for c in text(BLOCKS)], dtype=np.uint32)
        layers = rows[0].counts.shape[0]
        label = min(LABEL, max(width // 6, 4))
        column = max((width - label) // layers, 2)
        bar = max(column - 1, 1)
        band = max((height - 2) // len(rows), 2)
        bar_height = band - 1 if band >= 3 else band
        step = max(1, -(-5 // column))  # label every layer, or every k-th when columns are narrow
        for layer in range(0, layers, step):
            cells.text(0, label + layer * column, f"L{layer + 1}"[:column], TEXT, attr=BOLD)
        line = 1
        for row in rows:
            counts = np.asarray(row.counts, dtype=np.float64)
            columns = [resample(counts[layer], bar) for layer in range(layers)]
            scale = max(float(max(c.max() for c in columns)), 1e-12)
            color = rgb(series(row.color))
            cells.text(line, 0, text(row.label)[:label - 1], color, attr=BOLD)
            for layer in range(layers):
                left = label + layer * column
                area = (slice(line, min(line + bar_height, height)), slice(left, min(left + bar, width)))
                blocks = block_codes[bar_cells(columns[layer], scale, bar_height)]
                cells.char[area] = blocks[: area[0].stop - line, : area[1].stop - left]
                cells.fg[area] = color
            line += bar_height
            if band > bar_height:
                for layer in range(layers):
                    note = row.notes[layer] if layer < len(row.notes) else ""
                    if len(note) > column - 1:  # keep whole words: the std first, and no number cut short
                        note = note.split(" ")[0]
                    if len(note) <= column - 1:
                        cells.text(line, label + layer * column, text(note), DIM)
                line += 1
        footer = next((footer for footer in footers if len(footer) <= width), footers[-1][:width])
        cells.text(min(line, height - 1), 0, text(footer), DIM)
        return cells

    def show_rows(self, rows: list[HistogramRow], footers: tuple[str, ...]) -> None:
        """New histograms and the footer's wordings (longest first): keep and redraw once."""
        self.show((rows, footers))
