"""Charts on the canvas: what lands where, every edge case's picture, legends, glyph modes and merged segments."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from tui_dl.app.canvas.cells import BLANK_BRAILLE, Cells, rgb
from tui_dl.app.canvas.chart import BEST, MINIMUM, NOW, SERIES_CHARS, START, STOP, Chart, series_key, series_mark
from tui_dl.app.canvas.raster import BRAILLE_BASE, Polyline, Raster, segment_pixels

RED, GREEN = (255, 99, 71), (80, 200, 120)


def rows_with_dots(chart: Chart) -> list[int]:
    """Rows of the plot area (0 = top) where something is drawn."""
    return np.flatnonzero(chart.raster.occupied().any(axis=1)).tolist()


def label_row(cells: Cells, label: str) -> int:
    """The row of the first line that starts (after spaces) with label."""
    return next(i for i, line in enumerate(cells.plain()) if line.lstrip().startswith(label))


def test_a_line_is_drawn_between_its_points_in_braille():
    chart = Chart(40, 12)
    chart.line([0, 1], [0, 1], RED)
    cells = chart.render()
    top, left, rows, cols = chart.area
    dots = chart.raster.dots
    assert dots[rows - 1, 0] and dots[0, cols - 1]  # bottom-left to top-right
    assert (dots.any(axis=1)).all()  # every row in between has dots: a line, not two points
    assert cells.fg[top, left + cols - 1] == rgb(RED)
    assert chr(cells.char[top + rows - 1, left]) != " " and BRAILLE_BASE < cells.char[top, left + cols - 1] < 0x2900


def test_a_constant_on_a_log_axis_is_drawn_low_to_high_in_the_middle():
    chart = Chart(60, 16)
    chart.line(np.arange(100), np.full(100, 1e-3), RED)
    chart.y_axis(log=True)
    cells = chart.render()
    axis = chart.axes[1]
    assert axis.low < 1e-3 < axis.high and axis.labels == ("1e-4", "1e-3", "0.01")
    assert label_row(cells, "0.01") < label_row(cells, "1e-3") < label_row(cells, "1e-4")  # high at the top
    (row,) = rows_with_dots(chart)
    assert label_row(cells, "1e-3") == chart.area[0] + row


def test_zeros_on_a_log_axis_are_drawn_on_the_labelled_floor():
    chart = Chart(60, 16)
    chart.line([0, 1, 2, 3], [1e-2, 1e-3, 0.0, 0.0], RED)
    chart.y_axis(log=True)
    cells = chart.render()
    floor_row = label_row(cells, "≤1e-4")
    assert chart.area[0] + max(rows_with_dots(chart)) == floor_row


def test_all_nan_says_so_inside_the_plot_and_draws_nothing():
    chart = Chart(60, 16)
    chart.line(np.arange(5), np.full(5, np.nan), RED)
    cells = chart.render()
    text = "\n".join(cells.plain())
    assert "no finite values to draw: all NaN or inf" in text and not chart.raster.occupied().any()
    empty = Chart(60, 16)
    empty.line([], [], RED)
    assert "nothing to draw yet" in "\n".join(empty.render().plain())


def test_a_divergence_to_inf_keeps_short_labels_and_the_whole_width():
    loss = np.concatenate([np.linspace(2.0, 0.3, 50), [1e30, 1e35, np.inf, np.nan]])
    chart = Chart(80, 20)
    chart.line(np.arange(len(loss)), loss, RED)
    chart.y_axis(limits=(None, 2.5))
    chart.render()
    _, left, _, cols = chart.area
    assert left <= 5 and cols >= 75 and all(len(label) <= 7 for label in chart.axes[1].labels)
    assert chart.raster.dots[0].any()  # the diverging part leaves the plot at the top edge


def test_values_of_1e300_draw_without_overflow():
    chart = Chart(60, 16)
    chart.line([0, 1, 2], [-1e300, 0.0, 1e300], RED)
    cells = chart.render()
    assert chart.axes[1].labels[-1] == "1e300" and chart.raster.occupied().sum() > 10
    assert "1e300" in "\n".join(cells.plain())


def test_a_single_point_is_a_dot():
    chart = Chart(40, 12)
    chart.line([5.0], [3.0], RED)
    chart.render()
    assert chart.raster.occupied().sum() == 1
    assert chart.axes[0].low < 5.0 < chart.axes[0].high and chart.axes[1].low < 3.0 < chart.axes[1].high


def test_lines_leave_the_plot_in_the_right_direction():
    xs, ys, _ = segment_pixels(np.array([5.0, 1e200]), np.array([5.0, 5.0 + 1e199]), 20, 20)
    assert xs.max() == 19 and set(ys[xs == 19]) == {6}  # slope 0.1 kept up to the edge: 5 + 14 * 0.1


def test_a_path_diverging_to_1e18_stays_inside_the_plot():
    """A diverging zigzag (the optimizer paths at too large a rate): clipping segments whose ends are 1e18
    apart cancels in float64; every dot still lands inside the area, and the chart draws without error."""
    k = np.arange(16.0)
    x, y = 13.1 * (-16.1) ** k, 2.3 * (-16.1) ** k * -0.7
    xs, ys, _ = segment_pixels(x, y, 132, 24)
    assert len(xs) and xs.min() >= 0 and xs.max() < 132 and ys.min() >= 0 and ys.max() < 24
    chart = Chart(70, 9)
    chart.line(x, y, RED)
    chart.x_axis(limits=(-10.0, 10.0))
    chart.y_axis(limits=(-10.0, 10.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast" either
        chart.render()
    assert chart.raster.occupied().any()


def test_segments_drawn_twice_are_sampled_once_and_a_zigzag_stays_a_zigzag():
    """300 iterates of a growing zigzag (SGD at too large a rate): every iterate is a lit dot."""
    k = np.arange(300)
    x = -7.0 * (-1.0) ** k * 1.002**k
    y = 2.0 * 0.99**k
    chart = Chart(100, 30)
    chart.line(x, y, RED)
    chart.x_axis(limits=(-10.0, 10.0))
    chart.y_axis(limits=(-3.0, 3.0))
    chart.render()
    raster, (x_axis, y_axis) = chart.raster, chart.axes
    px, py = raster.to_pixels(x_axis.fraction(x), y_axis.fraction(y))
    inside = (np.abs(x) <= 10) & (np.abs(y) <= 3)
    px, py = np.rint(px[inside]).astype(int), np.rint(py[inside]).astype(int)
    bits = raster.dots[py // 4, px // 2] & np.array([[1, 8], [2, 16], [4, 32], [64, 128]])[py % 4, px % 2]
    assert (bits > 0).all()
    both_sides = raster.dots[:, : raster.cols // 3].any(axis=1) & raster.dots[:, -raster.cols // 3:].any(axis=1)
    assert both_sides.sum() >= 8  # the path swings from side to side in every row it passes (y 2 -> 0.1)


def test_dotted_lines_have_half_the_dots_of_solid_ones_in_every_mode():
    x = np.arange(200)
    for mode in ("", "mono", "ascii"):
        counts = []
        for dotted in (False, True):
            chart = Chart(60, 10, mode)
            chart.line(x, np.full(200, 1.0), RED, 1, dotted=dotted)
            chart.render()
            counts.append(int(np.unpackbits(chart.raster.dots[:, :, None], axis=2).sum()) if not mode
                          else int((chart.raster.dots > 0).sum()))
        solid, dotted_count = counts
        assert dotted_count == pytest.approx(solid / 2, abs=2), mode


def test_glyph_modes_draw_each_series_with_its_own_character_and_markers_never_share_one():
    for mode in ("mono", "ascii"):
        chart = Chart(60, 14, mode)
        for series in range(4):
            chart.line([0, 10], [series, series], RED, series)
        chart.points([5], [1.5], GREEN, MINIMUM)
        chart.points([2], [2.5], GREEN, START)
        cells = chart.render()
        top, _left, rows, _cols = chart.area
        area = "".join(cells.plain()[top: top + rows])
        assert all(SERIES_CHARS[s] in area for s in range(4)) and "+" in area and "o" in area
        markers = {glyph.char(mode)[0] for glyph in (START, MINIMUM, BEST, STOP)}
        assert len(markers) == 4 and not markers & set(SERIES_CHARS[:6])
        if mode == "ascii":
            assert all("".join(cells.plain()).isascii() for _ in [0])
    assert NOW.char("ascii", 2) == (SERIES_CHARS[2], 4)  # a head is its series' character, reversed


def test_legend_keys_show_each_series_own_marker_in_every_mode():
    assert series_mark(0, "") == series_mark(1, "") == "●"  # colour tells them apart
    assert len({series_mark(i, "mono") for i in range(6)}) == 6
    assert len({series_mark(i, "ascii") for i in range(6)}) == 6
    assert series_key(0, "") != series_key(0, "", dotted=True)
    assert series_key(0, "mono") != series_key(0, "mono", dotted=True)


def test_the_legend_goes_to_the_emptiest_corner_and_never_covers_data():
    chart = Chart(60, 16)
    x = np.linspace(0, 1, 50)
    chart.line(x, 1 - x, RED)  # top-left to bottom-right: the other two corners are empty
    chart.legend([("──", RED, "val loss 0.253"), ("··", GREEN, "train")])
    cells = chart.render()
    top, left, _rows, cols = chart.area
    lines = cells.plain()
    where = next(i for i, line in enumerate(lines) if "val loss 0.253" in line)
    column = lines[where].index("val loss 0.253")
    assert where == top and column > left + cols // 2  # top right
    taken = chart.raster.occupied()
    assert not taken[0:2, column - left - 4:].any()


def test_the_legend_moves_to_the_title_row_when_every_corner_has_data():
    chart = Chart(60, 16)
    chart.title("a title")
    chart.line([0, 1, 1, 0, 0], [0, 0, 1, 1, 0], RED)  # a frame through all four corners
    chart.legend([("──", RED, "val")])
    cells = chart.render()
    assert "── val" in cells.plain()[0] and "a title" not in cells.plain()[0]


def test_equal_styles_are_merged_into_one_segment():
    chart = Chart(80, 20)
    chart.line(np.arange(100), np.sin(np.arange(100) / 10), RED)
    cells = chart.render()
    strips = cells.strips()
    segments = sum(len(list(strip)) for strip in strips)
    assert segments < 80 * 20 / 10  # a handful per row, not one per cell
    assert all(strip.cell_length == 80 for strip in strips)
    plot_row = strips[chart.area[0] + 5]
    styles = [segment.style for segment in plot_row]
    assert all(a != b for a, b in itertools.pairwise(styles))  # neighbours always differ
    assert chr(BLANK_BRAILLE) in "".join(segment.text for segment in plot_row)


def test_heat_maps_use_two_colours_a_cell_in_colour_and_one_in_ascii():
    def fill(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        colors = np.zeros((len(ys), len(xs), 3), dtype=np.uint8)
        colors[::2] = (200, 0, 0)  # top half of each cell red, bottom blue
        colors[1::2] = (0, 0, 200)
        return colors

    chart = Chart(30, 10)
    chart.heat(fill)
    chart.x_axis(limits=(0, 1))
    chart.y_axis(limits=(0, 1))
    cells = chart.render()
    top, left, _, _ = chart.area
    assert chr(cells.char[top, left]) == "▀" and cells.fg[top, left] == rgb((200, 0, 0))
    assert cells.bg[top, left] == rgb((0, 0, 200))
    ascii_chart = Chart(30, 10, "ascii")
    ascii_chart.heat(fill)
    ascii_chart.x_axis(limits=(0, 1))
    ascii_chart.y_axis(limits=(0, 1))
    cells = ascii_chart.render()
    assert chr(cells.char[top, left]) == " " and cells.bg[top, left] == rgb((100, 0, 100))


def test_contours_stay_under_the_data():
    raster = Raster(10, 5)
    raster.line(np.array([0.0, 1.0]), np.array([0.5, 0.5]), rgb((90, 90, 90)), under=True)
    raster.line(np.array([0.5, 0.5]), np.array([0.0, 1.0]), rgb(RED))
    cells = Cells(10, 5)
    raster.compose(cells, 0, 0)
    middle = 2
    crossing = int(np.flatnonzero(raster.dots[middle])[0])
    assert cells.fg[middle, crossing] == rgb(RED)  # the path's cell shows the path only
    assert cells.fg[middle, 0] == rgb((90, 90, 90))


def test_lines_drawn_in_one_pass_keep_their_order_and_patterns():
    """A later line's colour wins a cell both lines pass through; a dotted line keeps every other dot."""
    raster = Raster(20, 5)
    x = np.linspace(0, 1, 50)
    raster.lines([Polyline(x, np.full(50, 0.5), rgb(RED)), Polyline(x, np.full(50, 0.5), rgb(GREEN), dotted=True),
                  Polyline(np.array([0.5, 0.5]), np.array([0.0, 1.0]), rgb(RED))])
    middle = 2
    assert raster.dot_fg[middle, 3] == rgb(GREEN)  # the dotted green line came after the red one
    assert raster.dot_fg[middle, 10] == rgb(RED)  # the vertical red line came last
    alone = Raster(20, 5)
    alone.lines([Polyline(x, np.full(50, 0.5), rgb(GREEN), dotted=True)])
    dots = int(np.unpackbits(alone.dots[:, :, None], axis=2).sum())
    assert dots == 20  # 40 dots across, every other one


def test_a_log_scale_without_positive_values_says_it_is_drawn_linear():
    chart = Chart(60, 16)
    chart.line([0, 1, 2], [-1.0, -2.0, 0.0], RED)
    chart.y_axis(log=True)
    text = "\n".join(chart.render().plain())
    assert not chart.axes[1].log and "no positive y value for a log scale: drawn linear" in text
    assert chart.raster.occupied().any()


@pytest.mark.parametrize("mode", ["", "ascii"])
def test_a_band_shades_between_its_curves_under_the_line_and_counts_for_the_axes(mode):
    chart = Chart(50, 14, mode=mode)
    x = np.arange(11.0)
    chart.band(x, np.full(11, 2.0), np.where(x < 5, 4.0, 8.0), GREEN)  # wider on the right
    chart.line(x, np.full(11, 3.0), RED)
    chart.x_axis(limits=(0, 10))
    chart.y_axis(limits=(0, 10), extend=False)
    chart.render()
    raster, (_, y_axis) = chart.raster, chart.axes
    assert y_axis.low == 0 and y_axis.high == 10
    rows_at = lambda value: int(np.rint((1 - value / 10) * (raster.rows - 1)))  # noqa: E731
    if mode:  # glyph modes: a character in the cells without data
        shaded = (raster.under != 0) & (raster.dots == 0)
        assert (raster.under_fg[shaded] == rgb(GREEN)).all()
    else:  # braille: the background of half cells, the line's dots on top
        shaded = (raster.heat_top >= 0) | (raster.heat_bottom >= 0)
        assert set(np.unique(raster.heat_top[raster.heat_top >= 0])) == {rgb(GREEN)}
    left, right = shaded[:, : raster.cols // 3], shaded[:, -raster.cols // 4:]
    assert left[rows_at(3.5)].any() and not left[: rows_at(4.5)].any()  # 2 .. 4 on the left
    assert right[rows_at(7.5)].any() and not right[: rows_at(8.5)].any()  # 2 .. 8 on the right
    assert not shaded[rows_at(1.0):].any()  # nothing below the band (2.0 ends inside the row of 1.5)
    line_row = rows_at(3.0)
    assert (raster.dot_fg[line_row][raster.dots[line_row] != 0] == rgb(RED)).all()  # the line stays on top


def test_a_band_with_nan_ends_or_a_single_point_draws_only_what_is_known():
    chart = Chart(40, 12)
    chart.band([0, 1, 2, 3], [np.nan, 1.0, 1.0, np.nan], [np.nan, 2.0, 2.0, np.nan], GREEN)
    chart.x_axis(limits=(0, 3))
    chart.y_axis(limits=(0, 3), extend=False)
    chart.render()
    cols = np.flatnonzero((chart.raster.heat_top >= 0).any(axis=0) | (chart.raster.heat_bottom >= 0).any(axis=0))
    width = chart.raster.cols
    assert cols.min() >= width // 3 - 1 and cols.max() <= 2 * width // 3 + 1
    single = Chart(40, 12)
    single.band([1.0], [1.0], [2.0], GREEN)
    single.render()  # one point: a single column, no error
    assert ((single.raster.heat_top >= 0) | (single.raster.heat_bottom >= 0)).sum(axis=0).max() > 1
