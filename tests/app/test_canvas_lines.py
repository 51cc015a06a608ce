"""The compositor gets from a plot and from a note what Textual's own path would give it.

`CanvasWidget.render_lines` hands its strips over directly (their styles already filtered for the
terminal) and `Note.render_lines` draws its Rich Text without Textual's Content machinery; these
tests hold them to `Widget.render_lines` and `Static.render_lines`, in colour and under NO_COLOR
(a note's Segments differ from Textual's only by the text offsets Textual keeps in each style).
"""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from tui_dl.app.widgets.note import Note
from tui_dl.app.widgets.plot import CanvasWidget


def segments(strips) -> list[list[tuple[str, object]]]:
    return [[(segment.text, segment.style) for segment in strip] for strip in strips]


def without_offsets(strips) -> list[list[tuple[str, object]]]:
    return [[(segment.text, segment.style and segment.style.clear_meta_and_links()) for segment in strip]
            for strip in strips]


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


@pytest.mark.parametrize("no_color", [False, True])
def test_notes_render_the_lines_textual_would(drive, monkeypatch, no_color):
    """Every pane's note in every view, at a few widths (one to three lines, cut ones) and taller than its text."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    seen = []

    async def scenario(pilot, app) -> None:
        await drive.press(pilot, "n")
        for index, pane in enumerate(app.panes):
            await drive.press(pilot, str(index + 1))
            for _ in pane.VIEWS:
                note = pane.query_one(Note)
                for width, height in ((17, None), (40, None), (61, None), (90, None), (150, None), (150, 3)):
                    note.styles.width, note.styles.height = width, height  # 3: rows under a line of text
                    await pilot.pause()
                    region = Region(0, 0, *note.size)
                    ours = note.render_lines(region)
                    note._styles_cache.clear()
                    seen.append((pane.KIND, pane.view, width, note._text is not None, without_offsets(ours),
                                 without_offsets(Static.render_lines(note, region))))
                note.styles.width = note.styles.height = None
                await drive.press(pilot, "v")

    drive.run(scenario)
    assert sum(fast for *_, fast, _, _ in seen) >= 40  # the notes of every view went the fast way
    for kind, view, width, _, ours, textuals in seen:
        assert ours == textuals, (kind, view, width)


def test_a_selected_note_is_drawn_by_textual_with_its_highlight(drive):
    seen = {}

    async def scenario(pilot, app) -> None:
        note = app.panes[2].query_one(Note)
        region = Region(0, 0, *note.size)
        plain = without_offsets(note.render_lines(region))
        note.text_select_all()
        await pilot.pause()
        seen.update(selected=app.screen.get_selected_text(), text=note._text.plain,
                    highlighted=without_offsets(note.render_lines(region)), plain=plain,
                    offsets=[segment.style.meta.get("offset") for segment in note.render_line(0)])
        app.screen.clear_selection()
        await pilot.pause()
        seen["after"] = without_offsets(note.render_lines(region))

    drive.run(scenario)
    assert seen["selected"] and seen["selected"].split() == seen["text"].split()
    assert seen["highlighted"] != seen["plain"] and seen["after"] == seen["plain"]
    assert all(offset is not None for offset in seen["offsets"][:-1])  # where a mouse press starts a selection
