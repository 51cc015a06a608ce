"""Telling whether a Rich Text would draw the same as the one shown (to skip redrawing it)."""

from __future__ import annotations

from rich.text import Text


def same_text(a: Text | None, b: Text | None) -> bool:
    """Whether a and b draw the same: Text's own == compares the characters and spans only, not the
    style of the whole text (an error note's red) nor how it is laid out."""
    if a is None or b is None:
        return a is b
    return a == b and (a.style, a.justify, a.overflow, a.no_wrap, a.end, a.tab_size) == (
        b.style, b.justify, b.overflow, b.no_wrap, b.end, b.tab_size)
