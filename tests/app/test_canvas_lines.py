"""The compositor gets from a plot what Textual's own line-by-line path would give it.

`CanvasWidget.render_lines` hands its strips over directly (their styles already filtered for the
terminal); these tests hold it to `Widget.render_lines`, in colour and under NO_COLOR.
"""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widget import Widget

from tui_dl.app.widgets.plot import CanvasWidget


def segments(strips) -> list[list[tuple[str, object]]]:
    return [[(segment.text, segment.style) for segment in strip] for strip in strips]


@pytest.mark.parametrize("no_color", [False, True])
def test_plots_render_the_lines_textual_would(drive, monkeypatch, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")  # Textual reads (and removes) it when the app is made
    seen = []

    async def scenario(pilot, app) -> None:
        await drive.press(pilot, "n")
        for widget in app.query(CanvasWidget):
            if not widget.region.area:
                continue
            width, height = widget.size
            for crop in (Region(0, 0, width, height), Region(3, 1, width // 2, height - 2)):
                widget._styles_cache.clear()  # Textual's path renders every line afresh
                seen.append((type(widget).__name__, crop, segments(widget.render_lines(crop)),
                             segments(Widget.render_lines(widget, crop))))

    drive.run(scenario)
    assert len(seen) >= 8
    for name, crop, ours, textuals in seen:
        assert ours == textuals, (name, crop)
