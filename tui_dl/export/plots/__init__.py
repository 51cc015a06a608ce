"""`tui-dl export ... --plot`: an export drawn as a plotext chart on stdout instead of csv or json.

For scripts, CI logs and plain terminals: `charts` says what each target draws, `figure` draws it.
The chart fills the terminal when stdout is one (in colour unless NO_COLOR is set); otherwise it is
100 x 30 characters of plain text without escape sequences, so logs and `| less` stay readable.
Like every export this never imports textual, and plotext is loaded only here, when a chart is drawn.
"""

from __future__ import annotations

import os
from typing import TextIO

from tui_dl.export import Export
from tui_dl.export.common import PLOT_SIZE_DEFAULT as DEFAULT_SIZE
from tui_dl.export.common import PLOT_SIZE_MIN
from tui_dl.export.plots.charts import CHARTS
from tui_dl.export.plots.figure import render


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def chart_size(stream: TextIO) -> tuple[int, int]:
    """The terminal's width and height less one line (for the prompt) when stream is one, else 100 x 30."""
    if _is_terminal(stream):
        try:
            columns, lines = os.get_terminal_size(stream.fileno())
        except (AttributeError, OSError, ValueError):
            return DEFAULT_SIZE
        return max(columns, PLOT_SIZE_MIN[0]), max(lines - 1, PLOT_SIZE_MIN[1])
    return DEFAULT_SIZE


def use_colour(stream: TextIO) -> bool:
    """Colour only in a terminal, and not when NO_COLOR is set to anything (no-color.org)."""
    return _is_terminal(stream) and not os.environ.get("NO_COLOR")


def write_chart(export: Export, target: str, stream: TextIO, size: tuple[int, int] | None = None) -> None:
    """Draw the chart of target's export (`schedule`, `path`, ...) on stream, size (width, height) or the default."""
    panels = CHARTS[target](export.document)
    stream.write(render(panels, size or chart_size(stream), use_colour(stream)) + "\n")
