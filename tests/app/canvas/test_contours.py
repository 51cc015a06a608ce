"""Marching squares and log-spaced contour levels, against closed forms and hand-worked cells."""

from __future__ import annotations

import numpy as np
import pytest

from tui_dl.app.canvas.contours import contour_levels, contour_lines, contour_segments, percentile

# x^2 + y^2 on a 41 x 41 grid over [-2, 2]^2: index k is world -2 + 0.1 k.
CIRCLE_STEP = 0.1
CIRCLE_AXIS = -2.0 + CIRCLE_STEP * np.arange(41)
CIRCLE = CIRCLE_AXIS[None, :] ** 2 + CIRCLE_AXIS[:, None] ** 2


def to_world(segments: np.ndarray) -> np.ndarray:
    """Circle-grid index coordinates to world coordinates."""
    return -2.0 + CIRCLE_STEP * segments


def canonical(segments: np.ndarray) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Segments as a sorted list of sorted endpoint pairs, rounded: order and direction do not matter."""
    pairs = [tuple(sorted(tuple(np.round(p, 12)) for p in s)) for s in segments]
    return sorted(pairs)


def walk_loop(segments: np.ndarray, tol: float = 1e-9) -> int:
    """Follow segments end to end from the first one; the number visited before returning to the start."""
    ends = segments.reshape(-1, 2)
    near = np.linalg.norm(ends[:, None] - ends[None, :], axis=-1) <= tol
    visited, end = {0}, 1  # at segment 0, standing on its endpoint 1
    while True:
        others = [k for k in np.flatnonzero(near[end]) if k // 2 not in visited]
        if not others:
            return len(visited)
        k = others[0]
        visited.add(k // 2)
        end = k ^ 1  # the other end of that segment


class TestCircle:
    def test_endpoints_on_the_unit_circle(self):
        segments = contour_segments(CIRCLE, 1.0)
        assert segments.shape[1:] == (2, 2)
        assert len(segments) > 40
        radius = np.linalg.norm(to_world(segments), axis=-1)
        assert np.abs(radius - 1.0).max() < 0.02

    def test_segments_form_one_closed_loop(self):
        segments = contour_segments(CIRCLE, 1.0)
        ends = segments.reshape(-1, 2)
        shared = (np.linalg.norm(ends[:, None] - ends[None, :], axis=-1) <= 1e-9).sum(axis=1)
        assert np.all(shared == 2)  # itself and exactly one other segment's end
        assert walk_loop(segments) == len(segments)

    def test_length_is_the_circumference(self):
        world = to_world(contour_segments(CIRCLE, 1.0))
        length = np.linalg.norm(world[:, 1] - world[:, 0], axis=-1).sum()
        assert length == pytest.approx(2 * np.pi, rel=0.01)

    def test_samples_on_the_level_leave_no_dots(self):
        # (+-1, 0) and (0, +-1) are samples exactly equal to 1, and (+-0.6, +-0.8), (+-0.8, +-0.6) are 1
        # up to rounding: no zero-length or dot-sized segment may be made there.
        assert np.sum(CIRCLE == 1.0) == 4
        assert np.sum(np.abs(CIRCLE - 1.0) < 1e-12) == 12
        segments = contour_segments(CIRCLE, 1.0)
        assert np.all(np.linalg.norm(segments[:, 1] - segments[:, 0], axis=-1) > 1e-3)


class TestPlane:
    def test_vertical_line_across_every_row(self):
        values = np.tile(np.arange(7.0), (5, 1))  # values = x (column index)
        segments = contour_segments(values, 0.5)
        assert len(segments) == 4
        np.testing.assert_array_equal(segments[..., 0], 0.5)
        np.testing.assert_array_equal(np.sort(segments[..., 1], axis=1), [[0, 1], [1, 2], [2, 3], [3, 4]])

    def test_world_plane_through_samples(self):
        x = np.linspace(0.0, 1.0, 11)
        values = np.tile(x, (3, 1))  # 0.5 is exactly the sample at column 5
        segments = contour_segments(values, 0.5)
        np.testing.assert_array_equal(segments[..., 0], 5.0)
        assert canonical(segments) == [((5.0, 0.0), (5.0, 1.0)), ((5.0, 1.0), (5.0, 2.0))]

    def test_horizontal_line_with_interpolation(self):
        values = np.tile(np.array([0.0, 1.0, 4.0])[:, None], (1, 3))  # values = y^2 at rows 0, 1, 2
        segments = contour_segments(values, 2.5)
        np.testing.assert_allclose(segments[..., 1], 1.5)
        assert canonical(segments) == [((0.0, 1.5), (1.0, 1.5)), ((1.0, 1.5), (2.0, 1.5))]


class TestSaddle:
    # [[1, 0], [0, 1]]: row 0 is y = 0, so corners a = (0, 0) and c = (1, 1) are 1, b and d are 0; mean 0.5.
    DIAGONAL = np.array([[1.0, 0.0], [0.0, 1.0]])
    ANTI_DIAGONAL = np.array([[0.0, 1.0], [1.0, 0.0]])  # the other saddle: b = (1, 0) and d = (0, 1) are 1

    def test_mean_above_joins_the_corners_above(self):
        # level 0.4 < mean: a and c are joined through the centre, b = (1, 0) and d = (0, 1) cut off.
        segments = contour_segments(self.DIAGONAL, 0.4)
        assert canonical(segments) == [((0.0, 0.6), (0.4, 1.0)), ((0.6, 0.0), (1.0, 0.4))]

    def test_mean_below_cuts_off_the_corners_above(self):
        # level 0.6 > mean: a = (0, 0) and c = (1, 1) are cut off alone.
        segments = contour_segments(self.DIAGONAL, 0.6)
        assert canonical(segments) == [((0.0, 0.4), (0.4, 0.0)), ((0.6, 1.0), (1.0, 0.6))]

    def test_anti_diagonal_mean_above(self):
        # at 0.4 b and d are joined, a and c cut off.
        segments = contour_segments(self.ANTI_DIAGONAL, 0.4)
        assert canonical(segments) == [((0.0, 0.4), (0.4, 0.0)), ((0.6, 1.0), (1.0, 0.6))]

    def test_anti_diagonal_mean_below(self):
        # at 0.6 b and d are cut off alone.
        segments = contour_segments(self.ANTI_DIAGONAL, 0.6)
        assert canonical(segments) == [((0.0, 0.6), (0.4, 1.0)), ((0.6, 0.0), (1.0, 0.4))]

    @pytest.mark.parametrize("values", [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    def test_mean_on_the_level_gives_two_segments(self, values):
        segments = contour_segments(np.array(values), 0.5)
        assert segments.shape == (2, 2, 2)
        # each segment cuts off one corner: its ends lie on two edges that meet at a corner
        for segment in segments:
            on_vertical = np.isin(segment[:, 0], (0.0, 1.0))
            assert on_vertical.sum() == 1


class TestEveryCrossingInterpolates:
    def test_endpoints_lie_on_edges_where_the_linear_interpolant_is_the_level(self):
        rng = np.random.default_rng(0)
        values = rng.normal(size=(12, 15))
        level = 0.3
        segments = contour_segments(values, level)
        assert len(segments) > 10
        ends = segments.reshape(-1, 2)
        x, y = ends[:, 0], ends[:, 1]
        on_row = y == np.round(y)
        on_column = x == np.round(x)
        assert np.all(on_row | on_column)
        # interpolate the samples along whichever edge the point is on
        i0 = np.floor(y).astype(int)
        j0 = np.floor(x).astype(int)
        along_row = values[y.astype(int), np.minimum(j0, 13)] * (1 - (x - np.minimum(j0, 13)))
        along_row += values[y.astype(int), np.minimum(j0, 13) + 1] * (x - np.minimum(j0, 13))
        along_column = values[np.minimum(i0, 10), x.astype(int)] * (1 - (y - np.minimum(i0, 10)))
        along_column += values[np.minimum(i0, 10) + 1, x.astype(int)] * (y - np.minimum(i0, 10))
        interpolated = np.where(on_row, along_row, along_column)
        np.testing.assert_allclose(interpolated, level, atol=1e-12)

    def test_every_crossed_cell_is_drawn(self):
        rng = np.random.default_rng(1)
        values = rng.normal(size=(9, 9))
        above = values > 0.0
        corners = above[:-1, :-1].astype(int) + above[:-1, 1:] + above[1:, 1:] + above[1:, :-1]
        crossed = (corners % 4 != 0).sum()
        saddles = ((above[:-1, :-1] == above[1:, 1:]) & (above[:-1, 1:] == above[1:, :-1]) & (corners == 2)).sum()
        assert len(contour_segments(values, 0.0)) == crossed + saddles


class TestNonFinite:
    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_no_segment_touches_a_cell_with_a_non_finite_corner(self, bad):
        rng = np.random.default_rng(2)
        values = rng.normal(size=(20, 20))
        holes = [(3, 4), (10, 10), (0, 19), (19, 0), (15, 7)]
        clean = [contour_segments(values, level) for level in (-0.5, 0.0, 0.5)]
        for i, j in holes:
            values[i, j] = bad
        for level, before in zip((-0.5, 0.0, 0.5), clean, strict=True):
            segments = contour_segments(values, level)
            middles = segments.mean(axis=1)
            cell_rows, cell_cols = np.floor(middles[:, 1]).astype(int), np.floor(middles[:, 0]).astype(int)
            for i, j in holes:
                assert not np.any(np.isin(cell_rows, (i - 1, i)) & np.isin(cell_cols, (j - 1, j)))
            assert 0 < len(segments) < len(before)  # the holes removed something, and only that

    def test_all_nan_grid(self):
        assert contour_segments(np.full((5, 5), np.nan), 0.0).shape == (0, 2, 2)


class TestEmpty:
    @pytest.mark.parametrize("level", [-1.0, 8.1, np.nan, np.inf])
    def test_level_outside_the_range(self, level):
        assert contour_segments(CIRCLE, level).shape == (0, 2, 2)

    def test_grid_without_cells(self):
        assert contour_segments(np.arange(5.0)[None, :], 2.5).shape == (0, 2, 2)

    def test_not_2d_is_an_error(self):
        with pytest.raises(ValueError):
            contour_segments(np.arange(5.0), 2.5)


class TestContourLevels:
    def test_log_spaced_inside_the_range(self):
        levels = contour_levels(CIRCLE, 0.0, 9)
        assert len(levels) == 9
        assert np.all(np.diff(levels) > 0)
        assert levels[0] > CIRCLE.min() and levels[-1] < CIRCLE.max()
        ratios = levels[1:] / levels[:-1]  # floor 0: the levels are the gaps
        np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
        assert ratios[0] > 1.5

    def test_ends_are_the_documented_bounds(self):
        levels = contour_levels(CIRCLE, 0.0, 4)
        gaps = CIRCLE.ravel()
        lo, hi = np.percentile(gaps[gaps > 0], 2.0), CIRCLE.max()
        np.testing.assert_allclose(levels, np.geomspace(lo, hi, 6)[1:-1], rtol=1e-12)

    def test_relative_to_a_floor_below_the_grid(self):
        values = CIRCLE + 5.0
        levels = contour_levels(values, 3.0, 7)
        gaps = levels - 3.0
        np.testing.assert_allclose(gaps[1:] / gaps[:-1], gaps[1] / gaps[0], rtol=1e-9)
        assert levels[0] > values.min() and levels[-1] < values.max()

    @pytest.mark.parametrize("floor", [-np.inf, np.nan, np.inf, 1.0])
    def test_unknown_or_too_high_floor_uses_the_grid_minimum(self, floor):
        values = CIRCLE + 0.5  # minimum 0.5
        np.testing.assert_allclose(contour_levels(values, floor, 6), contour_levels(values, 0.5, 6), rtol=1e-12)

    def test_ignores_non_finite_samples(self):
        values = CIRCLE.copy()
        values[0, 0], values[1, 1], values[2, 2] = np.nan, np.inf, -np.inf
        levels = contour_levels(values, -np.inf, 5)
        finite = values[np.isfinite(values)]
        assert len(levels) == 5
        assert levels[0] > finite.min() and levels[-1] < finite.max()

    def test_lowest_gap_is_kept_within_six_decades(self):
        values = np.full((10, 10), 1.0)
        values[0, :] = 1e-30  # a row right at the minimum drags the 2nd percentile down to ~1e-30
        values[-1, -1] = 0.0
        levels = contour_levels(values, 0.0, 3)
        np.testing.assert_allclose(levels, np.geomspace(1e-6, 1.0, 5)[1:-1], rtol=1e-12)

    def test_two_valued_grid(self):
        values = np.array([[0.0, 1.0], [1.0, 1.0]])
        levels = contour_levels(values, 0.0, 3)
        assert len(levels) == 3 and np.all((levels > 0) & (levels < 1))

    @pytest.mark.parametrize(
        "values", [np.full((6, 6), 2.5), np.full((6, 6), np.nan), np.array([[np.inf, 1.0], [np.nan, 1.0]])]
    )
    def test_empty_for_constant_or_non_finite_grids(self, values):
        assert contour_levels(values, -np.inf, 9).shape == (0,)

    def test_no_levels_asked(self):
        assert contour_levels(CIRCLE, 0.0, 0).shape == (0,)


class TestContourLines:
    def test_one_array_per_level_equal_to_contour_segments(self):
        levels = [0.25, 1.0, 2.25]
        lines = contour_lines(CIRCLE, levels)
        assert len(lines) == 3
        for level, segments in zip(levels, lines, strict=True):
            np.testing.assert_array_equal(segments, contour_segments(CIRCLE, level))

    def test_large_grid_with_nine_levels(self):
        # 200 x 200 cells: vectorized, so this is quick; every level's endpoints are on its circle.
        axis = np.linspace(-2.0, 2.0, 201)
        values = axis[None, :] ** 2 + axis[:, None] ** 2
        levels = contour_levels(values, 0.0, 9)
        lines = contour_lines(values, levels)
        step = axis[1] - axis[0]
        for level, segments in zip(levels, lines, strict=True):
            assert len(segments) > 0
            radius = np.linalg.norm(-2.0 + step * segments, axis=-1)
            assert np.abs(radius - np.sqrt(level)).max() < 0.005


@pytest.mark.parametrize("q", [0.0, 2.0, 37.5, 50.0, 99.99, 100.0])
def test_percentile_is_numpys_bit_for_bit(q):
    """The levels' lowest gap must not move by an ulp: the contours would change."""
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 7, 50, 1681):
        for values in (rng.standard_normal(n), np.exp(rng.uniform(-30, 30, n)), rng.integers(0, 4, n) * 1.0):
            assert percentile(values, q) == np.percentile(values, q)
