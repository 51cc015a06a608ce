"""Initializers: the std each formula promises, truncation at 2 sigma, orthogonality, seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_dl.engine import initializers as I
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.params import ParamError

FAN_IN, FAN_OUT = 400, 100
SHAPE = (8, FAN_IN, FAN_OUT)  # eight kernels: 320,000 draws
AVG = (FAN_IN + FAN_OUT) / 2

# name, params, expected std, bound (None: unbounded normal)
EXPECTED = [
    ("glorot_normal", {}, math.sqrt(1 / AVG), 2 * math.sqrt(1 / AVG) / I.TRUNCATED_STD),
    ("glorot_uniform", {}, math.sqrt(2 / (FAN_IN + FAN_OUT)), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("he_normal", {}, math.sqrt(2 / FAN_IN), 2 * math.sqrt(2 / FAN_IN) / I.TRUNCATED_STD),
    ("he_uniform", {}, math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN)),
    ("lecun_normal", {}, math.sqrt(1 / FAN_IN), 2 * math.sqrt(1 / FAN_IN) / I.TRUNCATED_STD),
    ("lecun_uniform", {}, math.sqrt(1 / FAN_IN), math.sqrt(3 / FAN_IN)),
    ("variance_scaling", {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"},
     math.sqrt(2 / FAN_OUT), None),
    ("variance_scaling", {"scale": 3.0, "mode": "fan_avg", "distribution": "uniform"},
     math.sqrt(3 / AVG), math.sqrt(9 / AVG)),
    ("random_normal", {"stddev": 0.2}, 0.2, None),
    ("random_uniform", {"minval": -0.3, "maxval": 0.3}, 0.3 / math.sqrt(3), 0.3),
    ("truncated_normal", {"stddev": 0.1}, 0.1 * I.TRUNCATED_STD, 0.2),
    ("xavier_normal", {"gain": 2.0}, 2 * math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    ("xavier_uniform", {}, math.sqrt(2 / (FAN_IN + FAN_OUT)), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("kaiming_normal", {}, math.sqrt(2 / FAN_IN), None),
    ("kaiming_normal", {"mode": "fan_out", "nonlinearity": "tanh"}, 5 / 3 / math.sqrt(FAN_OUT), None),
    ("kaiming_uniform", {"a": 0.2}, math.sqrt(2 / 1.04 / FAN_IN), math.sqrt(6 / 1.04 / FAN_IN)),
    ("pytorch_default", {}, 1 / math.sqrt(3 * FAN_IN), 1 / math.sqrt(FAN_IN)),
    ("normal", {"std": 0.01}, 0.01, None),
    ("normal", {}, 1.0, None),
    ("xavier_simple", {}, 1 / math.sqrt(FAN_IN), None),
    ("orthogonal", {"gain": 1.5}, 1.5 / math.sqrt(FAN_IN), None),
]


@pytest.mark.parametrize("name, params, std, bound", EXPECTED, ids=[f"{e[0]}-{i}" for i, e in enumerate(EXPECTED)])
def test_std_and_bounds(name, params, std, bound):
    weights = I.INITIALIZERS[name](np.random.default_rng(0), SHAPE, **params)
    assert weights.shape == SHAPE
    assert weights.std() == pytest.approx(std, rel=0.01)
    assert abs(weights.mean()) < 0.01 * std
    if bound is not None:
        assert np.abs(weights).max() <= bound
        assert np.abs(weights).max() > 0.99 * bound  # the bound is reached, not undershot


def test_truncated_normal_is_cut_at_two_raw_sigmas_and_keeps_its_mass_shape():
    values = I.truncated_standard_normal(np.random.default_rng(3), (1_000_000,))
    assert np.abs(values).max() <= 2.0
    assert values.std() == pytest.approx(I.TRUNCATED_STD, rel=2e-3)
    # share within 1 sigma of a normal truncated at 2: (Phi(1) - Phi(-1)) / (Phi(2) - Phi(-2))
    inside = math.erf(1 / math.sqrt(2)) / math.erf(2 / math.sqrt(2))
    assert np.mean(np.abs(values) < 1) == pytest.approx(inside, abs=2e-3)


@pytest.mark.parametrize("shape", [(64, 64), (3, 100, 30), (2, 30, 100)])
def test_orthogonal_columns_or_rows_are_orthonormal_times_gain(shape):
    w = I.orthogonal(np.random.default_rng(0), shape, gain=2.0)
    small = min(shape[-2:])
    gram = np.swapaxes(w, -1, -2) @ w if shape[-2] >= shape[-1] else w @ np.swapaxes(w, -1, -2)
    np.testing.assert_allclose(gram, np.broadcast_to(4.0 * np.eye(small), gram.shape), atol=1e-12)


def test_constant_zeros_ones():
    rng = np.random.default_rng(0)
    assert np.all(I.INITIALIZERS["constant"](rng, (3, 4), value=0.5) == 0.5)
    assert np.all(I.INITIALIZERS["zeros"](rng, (3, 4)) == 0)
    assert np.all(I.INITIALIZERS["ones"](rng, (3, 4)) == 1)


def test_draws_are_reproducible_from_the_seed():
    for component in I.INITIALIZERS:
        a = component(np.random.default_rng(7), (20, 10))
        b = component(np.random.default_rng(7), (20, 10))
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(I.he_normal(np.random.default_rng(1), (20, 10)),
                              I.he_normal(np.random.default_rng(2), (20, 10)))


def test_calculate_gain_matches_pytorch():
    assert I.calculate_gain("linear") == 1.0
    assert I.calculate_gain("sigmoid") == 1.0
    assert I.calculate_gain("tanh") == 5 / 3
    assert I.calculate_gain("relu") == math.sqrt(2)
    assert I.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert I.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert I.calculate_gain("selu") == 0.75


def test_uniform_bounds_must_be_ordered():
    from tui_dl.params import ParamError

    with pytest.raises(ParamError, match="minval"):
        I.INITIALIZERS["random_uniform"].resolve({"minval": 1.0, "maxval": 0.5})


@pytest.mark.parametrize(("name", "values"), [
    ("xavier_normal", {"gain": "0"}), ("kaiming_normal", {"a": "-0.5"}), ("random_normal", {"stddev": "0"}),
    ("orthogonal", {"gain": "-2"}), ("identity", {"gain": "-3"}), ("trunc_normal", {"a": "0.5", "b": "0.5"}),
    ("variance_scaling", {"distribution": "normal"}),
])
def test_initializer_values_the_framework_accepts_are_accepted(name, values):
    INITIALIZERS[name].resolve(values, text=True)


@pytest.mark.parametrize(("name", "values", "message"), [
    ("xavier_uniform", {"gain": "-1"}, "bad value '-1' for gain: expected a float in [0, inf)"),
    ("trunc_normal", {"a": "1", "b": "0"}, "bad a 1: expected a <= b (0), as torch.nn.init.trunc_normal_ draws "
                                          "uniform_(2 cdf(a) - 1, 2 cdf(b) - 1)"),
    ("trunc_normal", {"std": "0"}, "bad value '0' for std: expected a float in (0, inf)"),
    ("variance_scaling", {"scale": "0"}, "bad value '0' for scale: expected a float in (0, inf)"),
    ("variance_scaling", {"distribution": "gaussian"}, "bad value 'gaussian' for distribution: expected one of: "
                                                       "truncated_normal, untruncated_normal, uniform, normal"),
    ("identity", {"gain": "inf"}, "bad value 'inf' for gain: expected a finite float"),
])
def test_initializer_values_the_framework_refuses_are_refused_with_the_rule(name, values, message):
    with pytest.raises(ParamError) as error:
        INITIALIZERS[name].resolve(values, text=True)
    assert str(error.value) == message


def test_identity_is_the_scaled_identity_of_each_run_and_needs_a_matrix():
    np.testing.assert_array_equal(INITIALIZERS["identity"](None, (2, 2, 3), gain=2.0)[1], [[2, 0, 0], [0, 2, 0]])
    with pytest.raises(ParamError, match="identity needs a 2-D kernel"):
        INITIALIZERS["identity"](None, (4,))
