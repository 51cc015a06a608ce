"""The histogram grid's blocks; the canvas itself is tested in tests/app/canvas/."""

from __future__ import annotations

import numpy as np

from tui_dl.app.widgets.histograms import bar_lines, resample


def test_histogram_blocks_use_eighths_of_a_cell():
    columns = resample(np.array([0, 4, 12, 16]), 4)
    assert columns.tolist() == [0, 4, 12, 16]
    assert bar_lines(columns, 16.0, 2) == ["  ▄█", " ▄██"]  # 2 lines = 16 eighths
    assert resample(np.array([4, 4]), 4).tolist() == [2, 2, 2, 2]  # bins split in proportion


def stats_of(activation: str):
    from tui_dl.app.runner.initialization import InitModel

    model = InitModel()
    model.set("activation", activation)
    job = model.job()
    state = job.init(np.random.default_rng(0))
    return job.frame(job.step(state, job.horizon)).stats


def test_the_footer_names_only_the_notes_the_histograms_have_and_fits_its_width():
    from tui_dl.app.panes.initialization import histogram_footers
    from tui_dl.app.widgets.histograms import HistogramGrid

    sigmoid = histogram_footers(stats_of("sigmoid"), 0.0, 1.0)
    assert sigmoid == ("sigmoid outputs in [0, 1] per layer · σ std · s saturated",
                       "sigmoid in [0, 1] · σ std · s saturated", "σ std · s saturated")
    assert histogram_footers(stats_of("relu"), 0.0, 4.0)[-1] == "σ std · d dead"
    grid = HistogramGrid()
    for width, expected in ((80, sigmoid[0]), (45, sigmoid[1]), (30, sigmoid[2]), (12, sigmoid[2][:12])):
        assert footer_line(grid, sigmoid, width) == expected, width


def footer_line(grid, footers, width: int) -> str:
    """The last line of a one-row grid (height 8: the footer's line)."""
    from tui_dl.app.widgets.histograms import HistogramRow

    cells = grid.draw(([HistogramRow("He", np.ones((3, 8)), 0, ("σ.2",) * 3)], footers), width, 8, "")
    return "".join(chr(code) for code in cells.char[-1]).rstrip(" \0")
