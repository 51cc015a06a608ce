"""Plot helpers: decimation keeps extremes within two points per cell; backgrounds land inside the axes."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from tui_dl.app.widgets.histograms import bar_lines, resample
from tui_dl.app.widgets.plot import canvas_box, compact, decimate, decimate_path, paint_background, tick_labels


def test_decimate_keeps_every_bucket_extreme_and_the_last_point():
    x = np.arange(10_000)
    y = np.sin(x / 50.0)
    y[1234] = 9.0  # a spike (a diverging step, a restart)
    y[7777] = -9.0
    dx, dy = decimate(x, y, 40)
    assert len(dx) <= 2 * 40 + 1
    assert 9.0 in dy and -9.0 in dy and dx[-1] == 9999
    assert np.all(np.diff(dx) > 0)  # still in x order


def test_decimate_leaves_short_series_and_drops_nan():
    x, y = np.arange(5), np.array([1.0, np.nan, 3.0, np.inf, 5.0])
    dx, dy = decimate(x, y, 40)
    assert dx.tolist() == [0, 2, 4] and dy.tolist() == [1.0, 3.0, 5.0]


def test_decimate_path_keeps_start_and_end():
    path = np.cumsum(np.ones((5000, 2)), axis=0)
    kept = decimate_path(path, 30)
    assert len(kept) <= 61 and (kept[0] == path[0]).all() and (kept[-1] == path[-1]).all()


def test_background_is_painted_inside_the_frame_only():
    lines = [Text("  title   "), Text(" ┌──────┐ "), Text(" │ab    │ "), Text(" │      │ "), Text(" └──────┘ ")]
    box = canvas_box(lines)
    assert box == (1, 4, 1, 8)
    colors = np.zeros((2, 6, 3), dtype=np.uint8)
    colors[:, 3:] = (10, 20, 30)
    paint_background(lines, box, colors)
    spans = [(s.start, s.end, str(s.style)) for s in lines[2].spans]
    assert spans == [(2, 5, "on rgb(0,0,0)"), (5, 8, "on rgb(10,20,30)")]
    assert lines[2].plain == " │ab    │ " and not lines[0].spans


def test_tick_labels_are_short_and_distinct():
    assert tick_labels(np.array([0.0, 2.5e-4, 5e-4, 7.5e-4, 1e-3])) == ["0", "2.5e-4", "5e-4", "7.5e-4", "1e-3"]
    assert compact(250.0) == "250" and compact(0.5) == "0.5"


def test_histogram_blocks_use_eighths_of_a_cell():
    columns = resample(np.array([0, 4, 12, 16]), 4)
    assert columns.tolist() == [0, 4, 12, 16]
    assert bar_lines(columns, 16.0, 2) == ["  ▄█", " ▄██"]  # 2 lines = 16 eighths
    assert resample(np.array([4, 4]), 4).tolist() == [2, 2, 2, 2]  # bins split in proportion
