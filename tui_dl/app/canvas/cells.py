"""A grid of terminal cells as NumPy arrays, turned into Textual Strips with equal styles merged.

Each cell has a character (a code point), a foreground and a background colour (24-bit RGB as an
int, -1 for the terminal's default) and attributes (bold, dim, reverse). Drawing writes whole
array slices; `strips` then cuts each row into runs of one style, so a row of one colour is one
Segment instead of one per cell (the escape codes, not the characters, were most of the bytes).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

BLANK_BRAILLE = 0x2800  # a cell of a braille plot without dots (blank, like a space)
NONE = -1  # no colour: the terminal's (or the widget's) default
BOLD, DIM, REVERSE = 1, 2, 4
_STYLES: dict[int, Style] = {}  # a cell's style key (see `strips`) -> Style, shared by every canvas


def rgb(color: tuple[int, int, int]) -> int:
    """(r, g, b) as one int 0xRRGGBB."""
    red, green, blue = color
    return (int(red) << 16) | (int(green) << 8) | int(blue)


def rgb_array(colors: np.ndarray) -> np.ndarray:
    """An (..., 3) uint8 array of colours as (...) int64 0xRRGGBB."""
    colors = np.asarray(colors, dtype=np.int64)
    return (colors[..., 0] << 16) | (colors[..., 1] << 8) | colors[..., 2]


def style_of(fg: int, bg: int, attr: int) -> Style:
    """The Rich Style of a cell's foreground, background (0xRRGGBB or NONE) and attributes."""
    return Style(
        color=None if fg < 0 else Color.from_rgb(fg >> 16, (fg >> 8) & 255, fg & 255),
        bgcolor=None if bg < 0 else Color.from_rgb(bg >> 16, (bg >> 8) & 255, bg & 255),
        bold=bool(attr & BOLD) or None, dim=bool(attr & DIM) or None, reverse=bool(attr & REVERSE) or None,
    )


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
        codes = _cell_codes(text)
        start = max(col, 0)
        codes = codes[start - col: self.width - col]
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

    def strips(self, changed: np.ndarray | None = None, previous: list[Strip] | None = None,
               restyle: Callable[[Style], Style] | None = None) -> list[Strip]:
        """One Strip per row, each run of cells with one style as one Segment.

        With changed (one bool per row) and the previous picture's strips, a row that did not
        change keeps its previous Strip (a new step changes a few rows; a Strip is not cheap).
        restyle, if given, maps each style to the one the Segments get (once per style, not per
        Segment): the terminal's colour filters, applied here instead of to every Segment of every
        new row by the compositor.
        """
        if changed is not None and previous is not None and len(previous) == self.height:
            fresh = iter(self._rows(np.flatnonzero(changed), restyle))
            return [next(fresh) if row_changed else strip for row_changed, strip in zip(changed, previous,
                                                                                        strict=True)]
        return self._rows(np.arange(self.height), restyle)

    def _rows(self, rows: np.ndarray, restyle: Callable[[Style], Style] | None = None) -> list[Strip]:
        """The Strips of the given rows, in order."""
        if not len(rows):
            return []
        fg = self._fg_where_seen()[rows]
        key = ((fg + 1) * (1 << 25) + (self.bg[rows] + 1)) * 8 + self.attr[rows]  # fg, bg (25 bits each), attr
        first = np.ones(key.shape, dtype=bool)
        first[:, 1:] = key[:, 1:] != key[:, :-1]
        starts = np.flatnonzero(first)  # every run's first cell, row-major
        ends = np.append(starts[1:], key.size)  # every row's first cell starts a run: no run spans two rows
        codes = self.char[rows].ravel()
        text = codes[codes != 0].tobytes().decode("utf-32-le")
        # a wide character's second cell holds no character: runs are cut by cells, the text by characters
        offsets = np.concatenate([[0], np.cumsum(codes != 0)]).tolist()
        run_keys = key.ravel()[starts].tolist()
        missing = {k for k in run_keys if k not in _STYLES}
        for k in missing:  # a few new styles a frame at most: decode the key once each
            _STYLES[k] = style_of((k >> 28) - 1, ((k >> 3) & ((1 << 25) - 1)) - 1, k & 7)
        styles = _STYLES if restyle is None else {k: restyle(_STYLES[k]) for k in set(run_keys)}
        lines: list[list[Segment]] = [[] for _ in range(len(rows))]
        width = self.width
        for a, b, k in zip(starts.tolist(), ends.tolist(), run_keys, strict=True):
            lines[a // width].append(Segment(text[offsets[a]:offsets[b]], styles[k]))
        return [Strip(segments, width) for segments in lines]

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


@lru_cache(4096)
def _cell_codes(text: str) -> np.ndarray:
    """The code point of each cell text takes: a wide character's second cell is 0 (texts repeat: cached)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if not text.isascii():
        wide = np.array([unicodedata.east_asian_width(char) in "WF" for char in text])
        if wide.any():
            spread = np.zeros(len(codes) + int(wide.sum()), dtype=np.uint32)
            spread[np.arange(len(codes)) + np.concatenate([[0], np.cumsum(wide)[:-1]])] = codes
            codes = spread
    return codes
