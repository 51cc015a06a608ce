"""The Overfitting pane's search view: v switches the experiment, c the best samples' curves, v back."""

from __future__ import annotations

import numpy as np

from tui_dl.app.panes.overfitting import CurvesPlot
from tui_dl.app.panes.search_plot import SearchPlot


def test_v_switches_to_the_random_search_and_back(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "3", "z", "v")  # accuracy: still the variants
        pane, runner = app.current_pane, app.runners["train"]
        assert pane.view == "accuracy" and runner.model.view == "curves"
        await drive.press(pilot, "v")
        await drive.steps(pilot, 2)
        frame = runner.frame
        assert runner.model.view == "search" and frame.view == "search" and frame.snapshot.train.epoch == 2
        assert frame.snapshot.values.shape == (64, 2) and frame.snapshot.names == ("lr", "weight_decay")
        assert pane.query_one(SearchPlot).display and not pane.query_one(CurvesPlot).display
        assert "random search" in str(app.query_one("#status").content)
        assert [row.key for row in pane.panel.rows][:2] == ["search.samples", "search.x.name"]
        await drive.press(pilot, "c")  # the five best samples' curves
        curves = pane.query_one(CurvesPlot)
        assert curves.display and not pane.query_one(SearchPlot).display and pane.best_curves
        best = frame.snapshot.order[:5]
        np.testing.assert_array_equal(curves.data[0].val_acc, frame.snapshot.train.val_acc[best])
        await drive.press(pilot, "v")  # back to the loss curves of the variants
        await drive.steps(pilot, 1)
        assert pane.view == "loss" and runner.model.view == "curves" and runner.frame.view == "curves"
        assert runner.frame.snapshot.labels[0] == "none" and curves.display

    drive.run(scenario, size=(120, 40))
