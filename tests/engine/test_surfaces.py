"""Surfaces: gradients against finite differences, vectorization, minima, views and starts, divergence."""

from __future__ import annotations

import math
import warnings
from decimal import Decimal, getcontext

import numpy as np
import pytest

from tui_dl.engine.surfaces import HIMMELBLAU_MINIMA, SURFACES, get_surface
from tui_dl.params import ParamError

# every surface at its defaults, then non-default parameters
CASES = [(component.name, {}) for component in SURFACES] + [
    ("rosenbrock", {"a": 0.5, "b": 10.0}),
    ("rosenbrock", {"a": -1.5, "b": 1000.0}),
    ("rastrigin", {"A": 3.0}),
    ("rastrigin", {"A": 0.0}),
]
CASE_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]


def _points_in_view(surface, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    xmin, xmax, ymin, ymax = surface.view
    return np.stack([rng.uniform(xmin, xmax, shape), rng.uniform(ymin, ymax, shape)], axis=-1)


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_gradient_matches_central_differences(name, params):
    surface = get_surface(name, **params)
    xy = _points_in_view(surface, np.random.default_rng(7), (200,))
    if name == "ackley":  # its cone tip at the origin has no derivative
        xy = xy[np.hypot(xy[:, 0], xy[:, 1]) > 1e-2]
    h = 1e-6
    numeric = np.stack(
        [(surface.f(xy + h * e) - surface.f(xy - h * e)) / (2 * h) for e in np.eye(2)], axis=-1
    )
    analytic = surface.gradient(xy)
    scale = 1.0 + np.abs(surface.f(xy))[:, None]  # the finite difference's rounding error grows with f
    assert np.all(np.abs(analytic - numeric) <= 1e-6 * (np.abs(analytic) + scale)), name
    assert np.abs(analytic).max() > 1.0  # a real slope was checked, not zeros


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_vectorized_over_any_leading_shape(name, params, shape):
    surface = get_surface(name, **params)
    xy = _points_in_view(surface, np.random.default_rng(11), shape)
    values, gradients = surface.f(xy), surface.gradient(xy)
    assert values.shape == shape and gradients.shape == (*shape, 2)
    assert values.dtype == gradients.dtype == np.float64
    for index in np.ndindex(*shape):
        assert surface.f(xy[index]) == values[index]
        np.testing.assert_array_equal(surface.gradient(xy[index]), gradients[index])


@pytest.mark.parametrize("name", SURFACES.names())
def test_float_dtypes_are_kept_and_integers_become_float64(name):
    surface = get_surface(name)
    xy = np.array([[0.5, -1.0], [2.0, 1.5]])
    assert surface.f(xy.astype(np.float32)).dtype == np.float32
    assert surface.gradient(xy.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(surface.f(xy.astype(np.float32)), surface.f(xy), rtol=1e-5, atol=1e-5)
    assert surface.f(np.array([1, 2])).dtype == np.float64
    assert surface.f(np.array([1, 2])) == surface.f(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        surface.f(np.zeros((4, 3)))


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_minima_are_stationary_with_the_minimum_value_and_lower_than_around(name, params):
    surface = get_surface(name, **params)
    minima = surface.minima
    assert minima.dtype == np.float64 and minima.ndim == 2 and minima.shape[1] == 2
    assert not minima.flags.writeable
    if name == "saddle":
        assert minima.shape == (0, 2) and surface.min_value == -math.inf
        return
    assert len(minima) == (4 if name == "himmelblau" else 1)
    assert surface.min_value == 0.0
    np.testing.assert_allclose(surface.f(minima), surface.min_value, atol=1e-24)
    np.testing.assert_allclose(surface.gradient(minima), 0.0, atol=1e-13)
    angles = np.linspace(0.0, 2 * np.pi, 16, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=-1) * 1e-3
    for point in minima:
        assert np.all(surface.f(point + ring) > surface.f(point))


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_view_holds_the_minima_and_a_start_that_is_neither_minimum_nor_stationary(name, params):
    surface = get_surface(name, **params)
    xmin, xmax, ymin, ymax = surface.view
    assert xmin < xmax and ymin < ymax
    assert all(xmin < x < xmax and ymin < y < ymax for x, y in surface.minima)
    x, y = surface.start
    assert xmin < x < xmax and ymin < y < ymax
    start = np.array(surface.start)
    assert surface.nearest_minimum_distance(start) > 0.5
    assert np.linalg.norm(surface.gradient(start)) > 1.0
    assert surface.f(start) > surface.min_value + 1.0


def test_starts_and_views_from_the_reference_table():
    assert get_surface("quadratic").start == (-7.0, 2.0)
    assert get_surface("quadratic").view == (-10.0, 10.0, -5.0, 5.0)
    assert get_surface("rosenbrock").start == (-1.2, 1.0)
    assert get_surface("rosenbrock").view == (-2.0, 2.0, -1.0, 3.0)
    assert get_surface("beale").view == (-4.5, 4.5, -4.5, 4.5)
    assert get_surface("himmelblau").view == (-5.0, 5.0, -5.0, 5.0)
    assert get_surface("rastrigin").view == (-5.12, 5.12, -5.12, 5.12)
    assert get_surface("ackley").view == (-5.0, 5.0, -5.0, 5.0)
    assert get_surface("saddle").start[1] == pytest.approx(0.0, abs=1e-2)


@pytest.mark.parametrize(
    "name, params, point, expected",
    [
        ("quadratic", {}, (-7.0, 2.0), 6.45),
        ("rosenbrock", {}, (-1.2, 1.0), 24.2),
        ("rosenbrock", {}, (0.0, 0.0), 1.0),
        ("rosenbrock", {"a": 0.5, "b": 10.0}, (1.0, 0.0), 10.25),
        ("banana", {}, (0.0, 0.0), 1.0),
        ("banana", {}, (1.0, 0.0), 20.0),
        ("beale", {}, (0.0, 0.0), 14.203125),
        ("beale", {}, (1.0, 1.0), 14.203125),
        ("beale", {}, (2.0, 0.0), 0.703125),
        ("himmelblau", {}, (0.0, 0.0), 170.0),
        ("rastrigin", {}, (0.5, 0.5), 40.5),
        ("rastrigin", {}, (1.0, 0.0), 1.0),
        ("rastrigin", {"A": 3.0}, (0.5, 0.0), 6.25),
        ("ackley", {}, (1.0, 1.0), 20.0 * (1.0 - math.exp(-0.2))),
        ("booth", {}, (0.0, 0.0), 74.0),
        ("saddle", {}, (1.0, 2.0), -3.0),
    ],
)
def test_known_values(name, params, point, expected):
    value = get_surface(name, **params).f(np.array(point))
    assert float(value) == pytest.approx(expected, rel=1e-14, abs=1e-14)


def test_rastrigin_and_ackley_equal_their_textbook_forms():
    rng = np.random.default_rng(3)
    xy = rng.uniform(-5.0, 5.0, (1000, 2))
    x, y = xy[:, 0], xy[:, 1]
    rastrigin = 20.0 + (x**2 - 10.0 * np.cos(2 * np.pi * x)) + (y**2 - 10.0 * np.cos(2 * np.pi * y))
    np.testing.assert_allclose(get_surface("rastrigin").f(xy), rastrigin, rtol=1e-12, atol=1e-12)
    ackley = (-20.0 * np.exp(-0.2 * np.sqrt(0.5 * (x**2 + y**2)))
              - np.exp(0.5 * (np.cos(2 * np.pi * x) + np.cos(2 * np.pi * y))) + np.e + 20.0)
    np.testing.assert_allclose(get_surface("ackley").f(xy), ackley, rtol=1e-12, atol=1e-12)


def test_himmelblau_minima_are_the_nearest_doubles_to_the_roots():
    getcontext().prec = 60
    assert HIMMELBLAU_MINIMA[0] == (3.0, 2.0)
    table = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    for (x0, y0), hard_coded in zip(table, HIMMELBLAU_MINIMA, strict=True):
        x, y = Decimal(x0), Decimal(y0)
        for _ in range(30):  # Newton on x^2 + y - 11 = 0, x + y^2 - 7 = 0
            u, v = x * x + y - 11, x + y * y - 7
            det = 4 * x * y - 1
            x, y = x - (2 * y * u - v) / det, y - (2 * x * v - u) / det
        assert abs(x * x + y - 11) < Decimal("1e-50") and abs(x + y * y - 7) < Decimal("1e-50")
        assert (float(x), float(y)) == hard_coded
        assert hard_coded == pytest.approx((x0, y0), abs=1e-6)  # the table's rounded values


def test_minima_follow_the_parameters():
    np.testing.assert_array_equal(SURFACES["rosenbrock"].meta["minima"](a=0.5, b=10.0), [[0.5, 0.25]])
    np.testing.assert_array_equal(get_surface("rosenbrock", a=-1.5).minima, [[-1.5, 2.25]])
    np.testing.assert_array_equal(get_surface("banana").minima, [[1.0, 1.0 / 3.0]])
    np.testing.assert_array_equal(get_surface("booth").minima, [[1.0, 3.0]])
    np.testing.assert_array_equal(get_surface("beale").minima, [[3.0, 0.5]])


def test_nearest_minimum_distance():
    himmelblau = get_surface("himmelblau")
    origin = np.array([0.0, 0.0])
    assert himmelblau.nearest_minimum_distance(origin) == pytest.approx(math.sqrt(13.0), rel=1e-15)
    points = np.array(HIMMELBLAU_MINIMA) + np.array([0.3, -0.4])
    np.testing.assert_allclose(himmelblau.nearest_minimum_distance(points), 0.5, rtol=1e-14)
    grid = np.zeros((3, 4, 2))
    assert himmelblau.nearest_minimum_distance(grid).shape == (3, 4)
    assert get_surface("saddle").nearest_minimum_distance(grid).tolist() == [[math.inf] * 4] * 3
    assert get_surface("rosenbrock").nearest_minimum_distance(np.array([1e200, 1e200])) == pytest.approx(
        math.sqrt(2.0) * 1e200)


@pytest.mark.parametrize("name", SURFACES.names())
def test_diverged_points_give_inf_or_nan_without_any_warning(name):
    surface = get_surface(name)
    xy = np.array([[1e200, -1e200], [1e300, 1e300], [-1e308, 3.0], [np.inf, 0.0], [np.nan, 1.0], [1.0, 2.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        values = surface.f(xy)
        gradients = surface.gradient(xy)
        distances = surface.nearest_minimum_distance(xy)
    assert values.shape == (6,) and gradients.shape == (6, 2) and distances.shape == (6,)
    assert np.isfinite(values[-1]) and np.isfinite(gradients[-1]).all()
    if name == "ackley":  # bounded far away by 20 + e (1 - e^-2); pi x overflows (sin is nan) at 1e308
        assert np.all(values[:2] <= 20.0 + math.e * (1.0 - math.exp(-2.0))) and np.isnan(values[2])
    else:
        assert not np.isfinite(values[:3]).any()
    assert not np.isfinite(values[4])


def test_get_surface_binds_and_checks_parameters():
    surface = get_surface("rastrigin", A=3.0)
    assert dict(surface.params) == {"A": 3.0}
    assert dict(get_surface("rosenbrock").params) == {"a": 1.0, "b": 100.0}
    assert get_surface("rosenbrock", b=10.0) == get_surface("rosenbrock", b=10.0)
    assert get_surface("rosenbrock", b=10.0) != get_surface("rosenbrock")
    with pytest.raises(ParamError):
        get_surface("rosenbrock", a=2.0)  # the minimum (4, 2) would leave the view
    with pytest.raises(ParamError):
        get_surface("rosenbrock", b=0.0)
    with pytest.raises(ParamError):
        get_surface("quadratic", a=1.0)
    with pytest.raises(ParamError):
        get_surface("sphere")
    for component in SURFACES:
        assert {"gradient", "minima", "min_value", "view", "start"} <= set(component.meta), component.name


def test_two_wells_has_a_shallow_local_minimum_beside_the_global_one_and_a_ridge_between():
    surface = get_surface("two_wells")
    np.testing.assert_array_equal(surface.minima, [[2.0, 0.0]])
    np.testing.assert_array_equal(surface.local_minima, [[-1.0, 0.0]])
    assert not surface.local_minima.flags.writeable
    assert float(surface.f(np.array([2.0, 0.0]))) == 0.0
    assert float(surface.f(np.array([-1.0, 0.0]))) == pytest.approx(9 / 4, rel=1e-15)
    assert float(surface.f(np.array([0.0, 0.0]))) == pytest.approx(8 / 3, rel=1e-15)  # the saddle on the ridge
    np.testing.assert_array_equal(surface.gradient(np.array([[-1.0, 0.0], [0.0, 0.0], [2.0, 0.0]])), 0.0)
    ring = np.stack([np.cos(np.linspace(0, 2 * np.pi, 16)), np.sin(np.linspace(0, 2 * np.pi, 16))], -1) * 1e-3
    assert np.all(surface.f(surface.local_minima[0] + ring) > 9 / 4)  # a true minimum, not a saddle
    xs, ys = np.linspace(-3.0, 3.5, 651), np.linspace(-2.0, 2.0, 401)
    values = surface.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    assert values.min() == 0.0 and surface.f(np.array(surface.start)) > 8 / 3  # the start is above the ridge
    left = values[:, xs < 0]  # the shallow well's side: its lowest point is the local minimum
    assert left.min() == pytest.approx(9 / 4, rel=1e-12)


def test_every_other_surface_lists_no_local_minima():
    for name in SURFACES.names():
        if name != "two_wells":
            assert get_surface(name).local_minima.shape == (0, 2), name
