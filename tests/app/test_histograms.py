"""The histogram grid's blocks; the canvas itself is tested in tests/app/canvas/."""

from __future__ import annotations

import numpy as np

from tui_dl.app.widgets.histograms import bar_lines, resample


def test_histogram_blocks_use_eighths_of_a_cell():
    columns = resample(np.array([0, 4, 12, 16]), 4)
    assert columns.tolist() == [0, 4, 12, 16]
    assert bar_lines(columns, 16.0, 2) == ["  ▄█", " ▄██"]  # 2 lines = 16 eighths
    assert resample(np.array([4, 4]), 4).tolist() == [2, 2, 2, 2]  # bins split in proportion
