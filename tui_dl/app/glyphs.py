"""Drawing for any terminal: plain ASCII (`--ascii`, TERM=linux) and monochrome (NO_COLOR) plots.

Two pieces, so that no pane needs to know about either:

- `AsciiFilter` is a Textual line filter that rewrites every non-ASCII cell of the final output
  (borders, plotext frames and markers, histogram blocks, legends) to an ASCII character of the
  same width, so a font without braille or box drawing still shows a readable screen.
- `MarkerPlt` wraps a plot widget's plotext object and gives each series its own line marker
  (`*`, `o`, `+` ...) when color cannot tell the series apart (ASCII or NO_COLOR).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

# plotext's markers that draw a line as dense sub-cell dots; a per-series character replaces them
LINE_MARKERS = frozenset({"hd", "fhd", "braille", "sd", "dot"})
# one line marker per series, in the order a plot draws its series
SERIES_MARKERS = "*o+x#%=@"

# explicit ASCII stand-ins; the rest of a Unicode block falls back by block in `ascii_char`
ASCII_CHARS: Mapping[str, str] = {
    "─": "-", "━": "-", "═": "=", "╌": "-", "┄": "-",
    "│": "|", "┃": "|", "║": "|", "╎": "|", "┆": "|", "‖": "|",
    "●": "@", "◆": "#", "✖": "x", "•": "*", "·": ".", "…": ".", "°": "o",
    "▲": "^", "▼": "v", "▶": ">", "◀": "<", "→": ">", "←": "<", "↑": "^", "↓": "v",
    "×": "x", "−": "-", "–": "-", "—": "-", "≈": "~", "≤": "<", "≥": ">", "±": "+",
    "∂": "d", "η": "n", "α": "a", "β": "b", "λ": "L", "σ": "s", "μ": "u", "ε": "e", "√": "V",
    "“": '"', "”": '"', "‘": "'", "’": "'",
    "▁": "_", "▂": "_", "▃": "=", "▄": "=", "▅": "=", "▆": "#", "▇": "#", "█": "#",
    "▔": "-", "▏": "|", "▕": "|", "▎": "|", "▍": "|", "▌": "|", "▋": "|", "▊": "|", "▉": "#", "▐": "|",
}


@lru_cache(4096)
def ascii_char(char: str) -> str:
    """An ASCII character of the same (one-cell) width that suggests char's shape.

    Box-drawing lines become `-`, `|` or `+`, blocks `#` (or a half block `:`), braille dots `.`
    or `:`, anything else `?`. Wide characters are left alone (they have no one-cell stand-in).
    """
    if char.isascii():
        return char
    if char in ASCII_CHARS:
        return ASCII_CHARS[char]
    if unicodedata.east_asian_width(char) in "WF":
        return char
    code = ord(char)
    if 0x2500 <= code <= 0x257F:  # box drawing: corners, tees, crosses and arcs
        name = unicodedata.name(char, "")
        if "HORIZONTAL" in name and "VERTICAL" not in name and "AND" not in name:
            return "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name and "AND" not in name:
            return "|"
        return "+"
    if 0x2580 <= code <= 0x259F:  # quadrant and half blocks
        return ":"
    if 0x2800 <= code <= 0x28FF:  # braille: a few dots or many
        return "." if bin(code - 0x2800).count("1") <= 2 else ":"
    if 0x1FB00 <= code <= 0x1FB3F:  # sextants (plotext's fhd marker)
        return ":"
    return "?"


def to_ascii(text: str) -> str:
    """text with every one-cell character replaced by its ASCII stand-in."""
    return text if text.isascii() else "".join(ascii_char(c) for c in text)


class AsciiFilter(LineFilter):
    """Rewrite every cell of the output to ASCII (the app's `--ascii`), keeping styles and widths."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(to_ascii(text), style, control) for text, style, control in segments]


def ascii_wanted(flag: bool, environ: Mapping[str, str] = os.environ) -> bool:
    """`--ascii`, or the Linux console (TERM=linux), whose font has neither braille nor half blocks."""
    return flag or environ.get("TERM") == "linux"


def glyph_mode(app: Any) -> str:
    """`ascii`, `mono` (NO_COLOR: shapes instead of colors tell series apart) or `` for full color."""
    config = getattr(app, "config", None)
    if getattr(config, "ascii", False):
        return "ascii"
    return "mono" if getattr(app, "no_color", False) else ""


class MarkerPlt:
    """A plotext object whose line markers are one character per series (for `ascii` and `mono`).

    Series are numbered in the order the plot first draws each color, so run i keeps its marker
    from frame to frame. Point markers (the ● of a path's head) are left to the ASCII filter.
    Everything else is passed through to the wrapped object, and subplots are wrapped too.
    """

    def __init__(self, plt: Any, colors: dict[Any, int] | None = None) -> None:
        self._plt = plt
        self._colors: dict[Any, int] = {} if colors is None else colors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._plt, name)

    def _marker(self, marker: Any, color: Any) -> Any:
        if marker not in LINE_MARKERS:
            return marker
        key = tuple(color) if isinstance(color, list) else color
        index = self._colors.setdefault(key, len(self._colors))
        return SERIES_MARKERS[index % len(SERIES_MARKERS)]

    def plot(self, *args: Any, marker: Any = None, color: Any = None, **kwargs: Any) -> Any:
        return self._plt.plot(*args, marker=self._marker(marker, color), color=color, **kwargs)

    def scatter(self, *args: Any, marker: Any = None, color: Any = None, **kwargs: Any) -> Any:
        return self._plt.scatter(*args, marker=self._marker(marker, color), color=color, **kwargs)

    def subplot(self, *args: Any) -> MarkerPlt:
        return MarkerPlt(self._plt.subplot(*args), self._colors)
