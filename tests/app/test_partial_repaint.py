"""Bytes follow changes: a new step repaints the plot rows that changed, a new progress text the border row."""

from __future__ import annotations

import numpy as np
from textual.geometry import Region

from tui_dl.app.canvas.cells import Cells
from tui_dl.app.panes.learning_rate import SchedulePlot
from tui_dl.app.widgets.plot import changed_mask, row_runs


def test_changed_rows_are_the_runs_of_rows_that_differ():
    old, new = Cells(10, 8), Cells(10, 8)
    new.text(1, 2, "x")
    new.text(2, 0, "y")
    new.fg[5, 9] = 0xFF0000
    assert row_runs(changed_mask(old, new)) == [(1, 3), (5, 6)]
    assert row_runs(changed_mask(old, old)) == []


def test_a_new_step_repaints_only_the_rows_that_changed(drive):
    seen = {}

    async def scenario(pilot, app) -> None:
        plot = app.query_one(SchedulePlot)
        pane = app.panes[0]
        await drive.press(pilot, "n")  # one step: the solid part grows and the dot moves
        calls = []
        original = plot.refresh

        def recording(*regions, **kwargs):
            calls.append(regions)
            return original(*regions, **kwargs)

        plot.refresh = recording
        before = plot.lines()
        await drive.steps(pilot, 30)  # 30 steps of 1000 move the dot and the end of the solid part a dot or two
        plot.refresh = original
        after = plot.lines()
        changed = [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        seen.update(calls=calls, changed=changed, height=plot.size.height, step=pane.progress)

    drive.run(scenario)
    regions = [region for call in seen["calls"] for region in call]
    assert seen["calls"] and all(seen["calls"]), seen  # never the whole widget
    rows = sorted({y for region in regions for y in range(region.y, region.bottom)})
    assert rows == seen["changed"] and 0 < len(rows) < seen["height"] // 2


def test_the_progress_text_repaints_the_border_row_only(drive):
    seen = {}

    async def scenario(pilot, app) -> None:
        pane = app.panes[0]
        pane.set_border_subtitle("step 123/456")
        seen["regions"] = set(pane._repaint_regions)
        seen["outer"] = pane.outer_size
        await pilot.pause()
        seen["svg"] = app.export_screenshot()

    drive.run(scenario)
    width, height = seen["outer"]
    assert seen["regions"] == {Region(0, height - 1, width, 1)}
    assert "step&#160;123/456" in seen["svg"] or "step 123/456" in seen["svg"]
    assert np.isfinite(width)


def test_unchanged_rows_keep_their_strips():
    first, second = Cells(12, 4), Cells(12, 4)
    for cells in (first, second):
        cells.text(0, 0, "same", 0x00FF00)
    second.text(2, 3, "new", 0xFF0000)
    before = first.strips()
    changed = np.array([False, False, True, False])
    after = second.strips(changed, before)
    assert [a is b for a, b in zip(before, after, strict=True)] == [True, True, False, True]
    assert "".join(segment.text for segment in after[2]).startswith("   new")
    assert [list(s) for s in after] == [list(s) for s in second.strips()]  # the same picture as drawn afresh
