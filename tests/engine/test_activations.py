"""Activations: derivatives against finite differences, dtypes, known values, silence at extremes; erf."""

from __future__ import annotations

import math
import warnings
from decimal import Decimal

import numpy as np
import pytest

from tui_dl.engine import special
from tui_dl.engine.activations import ACTIVATIONS, SELU_ALPHA, SELU_SCALE, get_activation
from tui_dl.params import ParamError

# every activation at its defaults, then non-default parameters
CASES = [(component.name, {}) for component in ACTIVATIONS] + [
    ("leaky_relu", {"negative_slope": 0.2}),
    ("leaky_relu", {"negative_slope": 0.0}),
    ("elu", {"alpha": 0.5}),
    ("gelu", {"approximate": "tanh"}),
    ("softplus", {"beta": 2.0, "threshold": 5.0}),
    ("softplus", {"beta": 0.5, "threshold": 3.0}),
]
CASE_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]


def _kinks(name: str, params: dict) -> list[float]:
    """Points where the derivative jumps, which a finite difference must not straddle."""
    if name in ("relu", "leaky_relu", "elu", "selu"):
        return [0.0]
    if name == "softplus":
        resolved = ACTIVATIONS[name].resolve(params)
        return [resolved["threshold"] / resolved["beta"]]
    return []


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_derivative_matches_central_differences(name, params):
    act = get_activation(name, **params)
    x = np.linspace(-8.0, 8.0, 1601) + 0.0037  # off the grid of round numbers
    for kink in _kinks(name, params):
        x = x[np.abs(x - kink) > 1e-3]
    h = 1e-6
    numeric = (act.forward(x + h) - act.forward(x - h)) / (2 * h)
    analytic = act.derivative(x, act.forward(x))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    assert np.ptp(analytic) > 0 or name == "linear"  # not a constant by accident


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_meta_derivative_takes_x_y_and_the_params(name, params):
    component = ACTIVATIONS[name]
    resolved = component.resolve(params)
    x = np.linspace(-3.0, 3.0, 13)
    y = component.fn(x, **resolved)
    np.testing.assert_array_equal(component.meta["derivative"](x, y, **resolved),
                                  get_activation(name, **params).derivative(x, y))


def test_derivatives_at_the_kinks_follow_pytorch():
    assert get_activation("relu").derivative(0.0, 0.0) == 0.0
    assert get_activation("leaky_relu").derivative(0.0, 0.0) == 0.01
    assert get_activation("elu", alpha=0.5).derivative(0.0, 0.0) == 0.5
    assert get_activation("selu").derivative(0.0, 0.0) == pytest.approx(SELU_SCALE * SELU_ALPHA, rel=1e-15)
    # softplus: x itself only strictly above the threshold, as torch's `x * beta > threshold`
    softplus = get_activation("softplus")
    assert softplus.derivative(20.0, 20.0) == pytest.approx(1 / (1 + math.exp(-20)), rel=1e-15)
    assert softplus.derivative(20.5, 20.5) == 1.0


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_dtype_and_shape_are_kept(name, params):
    act = get_activation(name, **params)
    x64 = np.random.default_rng(1).normal(0.0, 3.0, (3, 4))
    x32 = x64.astype(np.float32)
    for x in (x32, x64):
        y = act.forward(x)
        assert y.dtype == x.dtype and y.shape == x.shape
        d = act.derivative(x, y)
        assert d.dtype == x.dtype and d.shape == x.shape
    np.testing.assert_allclose(act.forward(x32), act.forward(x32.astype(np.float64)), rtol=2e-6, atol=1e-6)
    assert act.forward(np.arange(-2, 3)).dtype == np.float64
    scalar = act.forward(0.5)
    assert isinstance(scalar, np.ndarray) and scalar.shape == ()


@pytest.mark.parametrize(
    "name, params, x, expected",
    [
        ("linear", {}, -3.5, -3.5),
        ("sigmoid", {}, 0.0, 0.5),
        ("sigmoid", {}, 2.0, 0.8807970779778823),
        ("sigmoid", {}, -1000.0, 0.0),
        ("sigmoid", {}, 1000.0, 1.0),
        ("tanh", {}, 0.5, 0.46211715726000974),
        ("relu", {}, -1.0, 0.0),
        ("relu", {}, 2.5, 2.5),
        ("leaky_relu", {}, -2.0, -0.02),
        ("leaky_relu", {"negative_slope": 0.2}, -2.0, -0.4),
        ("elu", {}, -1.0, -0.6321205588285577),
        ("elu", {"alpha": 0.5}, -1.0, -0.31606027941427883),
        ("elu", {}, 3.0, 3.0),
        ("selu", {}, 1.0, 1.0507009873554805),
        ("selu", {}, -1000.0, -1.7580993408473766),
        ("gelu", {}, 1.0, 0.8413447460685429),
        ("gelu", {}, -1.0, -0.15865525393145707),
        ("gelu", {"approximate": "tanh"}, 1.0, 0.8411919906082768),
        ("softplus", {}, 0.0, math.log(2.0)),
        ("softplus", {}, 20.0, 20.000000002061153),
        ("softplus", {}, 20.5, 20.5),
        ("softplus", {}, 1000.0, 1000.0),
        ("softplus", {}, -1000.0, 0.0),
        ("softplus", {"beta": 2.0, "threshold": 5.0}, 2.0, math.log1p(math.exp(4.0)) / 2.0),
        ("softplus", {"beta": 2.0, "threshold": 5.0}, 3.0, 3.0),
        ("swish", {}, 1.0, 0.7310585786300049),
        ("swish", {}, -1000.0, 0.0),
    ],
)
def test_known_values(name, params, x, expected):
    assert float(get_activation(name, **params).forward(x)) == pytest.approx(expected, rel=1e-15, abs=1e-300)


def test_selu_constants_make_a_standard_normal_input_keep_mean_0_and_variance_1():
    assert SELU_SCALE == 1.0507009873554805 and SELU_ALPHA == 1.6732632423543772
    z = np.linspace(-40.0, 40.0, 800_001)  # 0 is a grid point, so the kink is a node of the rule
    density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    y = get_activation("selu").forward(z)
    assert np.trapezoid(y * density, z) == pytest.approx(0.0, abs=1e-8)
    assert np.trapezoid(y * y * density, z) == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_extreme_inputs_raise_no_floating_point_warning(name, params):
    act = get_activation(name, **params)
    inputs = [
        np.array([-1e300, -1000.0, -50.0, -1.0, -0.0, 0.0, 1e-310, 1.0, 50.0, 1000.0, 1e300]),
        np.array([-3e38, -1e30, -1000.0, -0.0, 0.0, 1e-40, 1000.0, 1e30, 3e38], dtype=np.float32),
    ]
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for x in inputs:
            y = act.forward(x)
            d = act.derivative(x, y)
            assert np.isfinite(y).all() and np.isfinite(d).all(), (x.dtype, y, d)


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_outputs_stay_within_the_bounds(name, params):
    act = get_activation(name, **params)
    low, high = act.bounds
    y = act.forward(np.linspace(-30.0, 30.0, 600_001))
    if low is not None:
        assert y.min() >= low - 1e-15
        assert y.min() < low + 1e-6  # reached or approached: the bound is tight
    if high is not None:
        assert y.max() <= high


def test_bounds_and_families():
    expected = {
        "linear": ((None, None), "linear"),
        "sigmoid": ((0.0, 1.0), "saturating"),
        "tanh": ((-1.0, 1.0), "saturating"),
        "relu": ((0.0, None), "relu"),
        "leaky_relu": ((None, None), "relu"),
        "elu": ((-1.0, None), "smooth"),
        "selu": ((-1.7580993408473766, None), "smooth"),
        "gelu": ((-0.16997120747990369, None), "smooth"),
        "softplus": ((0.0, None), "smooth"),
        "swish": ((-0.2784645427610738, None), "smooth"),
    }
    for name, (bounds, family) in expected.items():
        act = get_activation(name)
        assert act.bounds == pytest.approx(bounds, rel=1e-15), name
        assert act.family == family == ACTIVATIONS[name].family, name
    assert get_activation("elu", alpha=0.5).bounds == (-0.5, None)
    assert get_activation("leaky_relu", negative_slope=0.0).bounds == (0.0, None)
    gelu_tanh = get_activation("gelu", approximate="tanh")
    assert gelu_tanh.bounds[0] == pytest.approx(-0.1700407505712541, rel=1e-15)
    assert all(callable(component.meta["bounds"]) for component in ACTIVATIONS)


def test_get_activation_binds_and_checks_parameters():
    act = get_activation("leaky_relu", negative_slope=0.2)
    assert dict(act.params) == {"negative_slope": 0.2}
    assert float(act.forward(-1.0)) == -0.2 and float(act.derivative(-1.0, -0.2)) == 0.2
    assert dict(get_activation("softplus").params) == {"beta": 1.0, "threshold": 20.0}
    assert get_activation("elu", alpha=0.5) == get_activation("elu", alpha=0.5)
    assert get_activation("elu", alpha=0.5) != get_activation("elu")
    with pytest.raises(ParamError):
        get_activation("gelu", approximate="fast")
    with pytest.raises(ParamError):
        get_activation("relu", alpha=1.0)
    with pytest.raises(ParamError):
        get_activation("mish")


# --------------------------------------------------------------------------- erf
def _erf_grid() -> np.ndarray:
    """A dense grid of [-10, 10], tiny and subnormal values, and both sides of every interval boundary."""
    boundaries = [2.0**-1015, 2.0**-28, 0.84375, 1.25, 6.0,
                  float(np.uint64(0x4006DB6E00000000).view(np.float64)), 1 / 0.35]
    sides = [np.nextafter(b, side) for b in boundaries for side in (0.0, 10.0)] + boundaries
    special_values = [0.0, 5e-324, 1e-320, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-100, 1e-20, 1e-9]
    positive = np.concatenate([sides, special_values, np.geomspace(1e-300, 10.0, 20_001)])
    return np.concatenate([np.linspace(-10.0, 10.0, 400_001), positive, -positive])


def test_erf_matches_math_erf_to_an_ulp():
    x = _erf_grid()
    ours = special.erf(x)
    reference = np.array([math.erf(v) for v in x.tolist()])
    assert np.abs(ours - reference).max() <= 2.3e-16
    ulps = np.abs(ours - reference) / np.spacing(np.abs(reference))
    assert ulps.max() <= 1.0
    assert np.mean(ours == reference) > 0.95  # mostly bit-identical to the C library's fdlibm erf


def test_erf_special_values_symmetry_and_dtypes():
    assert special.erf(np.inf) == 1.0 and special.erf(-np.inf) == -1.0
    assert np.isnan(special.erf(np.nan))
    assert math.copysign(1.0, special.erf(-0.0)) == -1.0
    x = np.linspace(0.0, 7.0, 1001)
    np.testing.assert_array_equal(special.erf(-x), -special.erf(x))
    assert special.erf(np.float32(0.5)).dtype == np.float32
    assert special.erf(np.array([1, 2])).dtype == np.float64
    assert special.erf(np.ones((3, 0, 2))).shape == (3, 0, 2)
    grid = np.linspace(-3.0, 3.0, 12).reshape(3, 4)
    np.testing.assert_array_equal(special.erf(grid.T), special.erf(grid).T)  # non-contiguous input
    assert float(special.erf(1.0)) == 0.8427007929497149


def test_erf_of_one_against_a_high_precision_series():
    # erf(x) = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)), summed in 40-digit decimals at x = 1/2
    total, term = Decimal(0), Decimal(1) / 2
    for n in range(40):
        total += term / (2 * n + 1)
        term = -term / 4 / (n + 1)
    two_over_sqrt_pi = Decimal("1.128379167095512573896158903121545171688")
    assert float(special.erf(0.5)) == pytest.approx(float(total * two_over_sqrt_pi), rel=2.3e-16)
