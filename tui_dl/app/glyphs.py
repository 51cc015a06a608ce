"""Drawing for any terminal: plain ASCII (`--ascii`, TERM=linux) and monochrome (NO_COLOR) plots.

- `glyph_mode` tells the canvas which characters it may draw with: in the glyph modes each series
  gets its own character (`*`, `%` ...) instead of braille dots told apart by colour.
- `AsciiFilter` is a Textual line filter that rewrites every non-ASCII cell of the final output
  (borders, panels, legends) to an ASCII character of the same width, so a font without braille
  or box drawing still shows a readable screen; the canvas draws ASCII itself in that mode.
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

# explicit ASCII stand-ins; the rest of a Unicode block falls back by block in `ascii_char`
ASCII_CHARS: Mapping[str, str] = {
    "─": "-", "━": "-", "═": "=", "╌": "-", "┄": "-",
    "│": "|", "┃": "|", "║": "|", "╎": "|", "┆": "|", "‖": "|",
    "●": "@", "■": "#", "□": "o", "⏎": "<", "◆": "#", "✖": "x", "•": "*", "·": ".", "…": ".", "°": "o",
    "▲": "^", "▼": "v", "▶": ">", "◀": "<", "→": ">", "←": "<", "↑": "^", "↓": "v",
    "×": "x", "−": "-", "–": "-", "—": "-", "≈": "~", "≤": "<", "≥": ">", "±": "+",
    "∂": "d", "η": "n", "α": "a", "β": "b", "λ": "L", "σ": "s", "μ": "u", "ε": "e", "√": "V",
    "“": '"', "”": '"', "‘": "'", "’": "'",
    "²": "2", "½": "/", "Σ": "E", "θ": "t", "π": "p", "ρ": "r", "ḡ": "g", "∈": "e",
    "⌈": "[", "⌉": "]", "⌊": "[", "⌋": "]",
    "▁": "_", "▂": "_", "▃": "=", "▄": "=", "▅": "=", "▆": "#", "▇": "#", "█": "#",
    "▔": "-", "▏": "|", "▕": "|", "▎": "|", "▍": "|", "▌": "|", "▋": "|", "▊": "|", "▉": "#", "▐": "|",
}


@lru_cache(4096)
def ascii_char(char: str) -> str:
    """An ASCII character of the same (one-cell) width that suggests char's shape.

    Box-drawing lines become `-`, `|` or `+`, blocks `#` (or a half block `:`), braille dots `.`
    or `:`, anything else `?`. Wide characters are left alone (they have no one-cell stand-in);
    combining marks, which take no cell, are dropped.
    """
    if char.isascii():
        return char
    if char in ASCII_CHARS:
        return ASCII_CHARS[char]
    if unicodedata.east_asian_width(char) in "WF":
        return char
    if unicodedata.combining(char):  # a mark on the character before (θ̂): no cell of its own
        return ""
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
