"""A grid of terminal cells as NumPy arrays, turned into Textual Strips with equal styles merged.

Each cell has a character (a code point), a foreground and a background colour (24-bit RGB as an
int, -1 for the terminal's default) and attributes (bold, dim, reverse). Drawing writes whole
array slices; `strips` then cuts each row into runs of one style, so a row of one colour is one
Segment instead of one per cell (the escape codes, not the characters, were most of the bytes).
"""

from __future__ import annotations

import unicodedata

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

BLANK_BRAILLE = 0x2800  # a cell of a braille plot without dots (blank, like a space)
NONE = -1  # no colour: the terminal's (or the widget's) default
BOLD, DIM, REVERSE = 1, 2, 4
_STYLES: dict[tuple[int, int, int], Style] = {}  # (fg, bg, attr) -> Style, shared by every canvas


def rgb(color: tuple[int, int, int]) -> int:
    """(r, g, b) as one int 0xRRGGBB."""
    red, green, blue = color
    return (int(red) << 16) | (int(green) << 8) | int(blue)


def rgb_array(colors: np.ndarray) -> np.ndarray:
    """An (..., 3) uint8 array of colours as (...) int64 0xRRGGBB."""
    colors = np.asarray(colors, dtype=np.int64)
    return (colors[..., 0] << 16) | (colors[..., 1] << 8) | colors[..., 2]


def style_of(fg: int, bg: int, attr: int) -> Style:
    """The Rich Style of a cell (cached: a frame uses a few dozen)."""
    key = (fg, bg, attr)
    style = _STYLES.get(key)
    if style is None:
        style = Style(
            color=None if fg < 0 else Color.from_rgb(fg >> 16, (fg >> 8) & 255, fg & 255),
            bgcolor=None if bg < 0 else Color.from_rgb(bg >> 16, (bg >> 8) & 255, bg & 255),
            bold=bool(attr & BOLD) or None, dim=bool(attr & DIM) or None, reverse=bool(attr & REVERSE) or None,
        )
        _STYLES[key] = style
    return style


class Cells:
    """height x width terminal cells; every array is indexed [row, column], row 0 at the top."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.char = np.full((height, width), ord(" "), dtype=np.uint32)
        self.fg = np.full((height, width), NONE, dtype=np.int64)
        self.bg = np.full((height, width), NONE, dtype=np.int64)
        self.attr = np.zeros((height, width), dtype=np.uint8)

    def text(self, row: int, col: int, text: str, fg: int = NONE, attr: int = 0, bg: int | None = None) -> None:
        """Write one-cell characters from (row, col) to the right, cut at the grid's edge.

        A wide character (Korean, CJK) takes two cells: its second cell holds no character, so
        the strip stays as wide as the grid.
        """
        if not 0 <= row < self.height or col >= self.width or not text:
            return
        cells = []
        for char in text:
            cells.append(ord(char))
            if _wide(char):
                cells.append(0)
        start = max(col, 0)
        codes = np.array(cells[start - col: self.width - col], dtype=np.uint32)
        end = start + len(codes)
        self.char[row, start:end] = codes
        self.fg[row, start:end] = fg
        self.attr[row, start:end] = attr
        if bg is not None:
            self.bg[row, start:end] = bg

    def paste(self, other: Cells, row: int, col: int) -> None:
        """Copy other's cells with its top-left at (row, col) (it must fit)."""
        area = (slice(row, row + other.height), slice(col, col + other.width))
        self.char[area], self.fg[area], self.bg[area], self.attr[area] = other.char, other.fg, other.bg, other.attr

    def strips(self) -> list[Strip]:
        """One Strip per row, each run of cells with one style as one Segment."""
        fg = self._fg_where_seen()
        key = (fg + 1) * (1 << 25) + (self.bg + 1)  # fg and bg (25 bits each), then attributes
        key = key * 8 + self.attr
        out, fg_rows = [], fg
        for row in range(self.height):
            keys = key[row]
            starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
            ends = np.append(starts[1:], self.width)
            codes = self.char[row]
            text = codes[codes != 0].tobytes().decode("utf-32-le")
            # wide characters: their empty second cell is not in the text, so count cells per run
            offsets = np.concatenate([[0], np.cumsum(codes != 0)])
            fg, bg, attr = fg_rows[row], self.bg[row], self.attr[row]
            segments = [Segment(text[offsets[a]:offsets[b]], style_of(int(fg[a]), int(bg[a]), int(attr[a])))
                        for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
            out.append(Strip(segments, self.width))
        return out

    def _fg_where_seen(self) -> np.ndarray:
        """The foreground with each blank cell's taken from the cell before it: a blank shows no
        foreground, so `⠁ ⠂` in one colour is one run (one Segment) instead of three."""
        seen = (self.char != ord(" ")) & (self.char != BLANK_BRAILLE) | ((self.attr & REVERSE) != 0)
        index = np.where(seen, np.arange(self.width)[None, :], 0)
        np.maximum.accumulate(index, axis=1, out=index)
        return np.take_along_axis(self.fg, index, axis=1)

    def plain(self) -> list[str]:
        """The characters of each row (tests, and the text of a screenshot)."""
        return [codes[codes != 0].tobytes().decode("utf-32-le") for codes in self.char]


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"
