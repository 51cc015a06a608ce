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
from itertools import pairwise

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

BLANK_BRAILLE = 0x2800  # a cell of a braille plot without dots (blank, like a space)
NONE = -1  # no colour: the terminal's (or the widget's) default
BOLD, DIM, REVERSE = 1, 2, 4


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


class StyleTable(dict):
    """A cell's style key (see `Cells._rows`) -> its Rich Style, made once, on first use.

    With restyle, each style is the one restyle makes of it: the terminal's colour filters, applied
    once a style rather than to every Segment (see `CanvasWidget`).
    """

    def __init__(self, restyle: Callable[[Style], Style] | None = None) -> None:
        super().__init__()
        self.restyle = restyle

    def __missing__(self, key: int) -> Style:
        style = style_of((key >> 28) - 1, ((key >> 3) & ((1 << 25) - 1)) - 1, key & 7)
        if self.restyle is not None:
            style = self.restyle(style)
        self[key] = style
        return style


_STYLES = StyleTable()  # the plain styles, shared by every canvas


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
               styles: StyleTable | None = None) -> list[Strip]:
        """One Strip per row, each run of cells with one style as one Segment.

        With changed (one bool per row) and the previous picture's strips, a row that did not
        change keeps its previous Strip (a new step changes a few rows; a Strip is not cheap).
        styles: the Rich Style of each cell style (the plain ones if None; a table with the terminal's
        colour filters applied saves the compositor applying them to every Segment).
        """
        if changed is not None and previous is not None and len(previous) == self.height:
            fresh = iter(self._rows(np.flatnonzero(changed), styles))
            return [next(fresh) if row_changed else strip for row_changed, strip in zip(changed, previous,
                                                                                        strict=True)]
        return self._rows(np.arange(self.height), styles)

    def _rows(self, rows: np.ndarray, styles: StyleTable | None = None) -> list[Strip]:
        """The Strips of the given rows, in order."""
        if not len(rows):
            return []
        fg = self._fg_where_seen()[rows]
        key = ((fg + 1) * (1 << 25) + (self.bg[rows] + 1)) * 8 + self.attr[rows]  # fg, bg (25 bits each), attr
        first = np.ones(key.shape, dtype=bool)
        first[:, 1:] = key[:, 1:] != key[:, :-1]
        starts = np.flatnonzero(first)  # every run's first cell, row-major
        bounds = np.append(starts, key.size)  # every row's first cell starts a run: no run spans two rows
        codes = self.char[rows].ravel()
        present = codes != 0
        if present.all():
            text = codes.tobytes().decode("utf-32-le")
        else:  # a wide character's second cell holds no character: runs are cut by cells, the text by characters
            text = codes[present].tobytes().decode("utf-32-le")
            bounds = np.concatenate([[0], np.cumsum(present)])[bounds]
        run_keys = key.ravel()[starts].tolist()
        styles = _STYLES if styles is None else styles  # a new style is decoded from its key once (__missing__)
        bounds_list = bounds.tolist()
        segments = list(map(Segment, map(text.__getitem__, map(slice, bounds_list, bounds_list[1:])),
                            map(styles.__getitem__, run_keys)))
        # the first run of each row (the runs per row, in order)
        row_first = np.searchsorted(starts, np.arange(len(rows) + 1) * self.width).tolist()
        width = self.width
        return [Strip(segments[a:b], width) for a, b in pairwise(row_first)]

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
