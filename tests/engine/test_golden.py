"""The engine against numbers computed by Keras 3 and PyTorch themselves (tests/golden/*.json).

Regenerate the fixtures with `KERAS_BACKEND=torch python tests/golden/make_golden.py` in an environment
that has torch and keras; the tests need neither.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tui_dl.engine.initializers import INITIALIZERS, TRUNCATED_STD, calculate_gain
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.schedules import SCHEDULES
from tui_dl.engine.surfaces import get_surface

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def _load(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text())


SCHEDULE_CASES = _load("schedules")
OPTIMIZER_CASES = _load("optimizers")
SHOWN_CODE_CASES = _load("optimizers_shown_code")  # optimizers built by running the code the panel shows
INITIALIZER_CASES = _load("initializers")
SHOWN_INITIALIZER_CASES = _load("initializers_shown_code")  # drawn by running the code the panel shows

# Keras computes schedules in float32; torch in float64 (chained, so a few ulps off the closed form).
KERAS_RTOL = 3e-6
TORCH_RTOL = 1e-12
# Keras's float32 period search lands one period early exactly at this restart (schedules.json notes).
KERAS_FLOAT32_ARTIFACTS = {("keras_sgdr_t15_m08_a005", 20)}


def _ids(cases: list[dict]) -> list[str]:
    return [case["id"] for case in cases]


@pytest.mark.parametrize("case", SCHEDULE_CASES["cases"], ids=_ids(SCHEDULE_CASES["cases"]))
def test_schedule_matches_its_framework(case):
    steps = np.asarray(case["steps"])
    params = dict(case["params"])
    if "metrics" in case:
        params["metrics"] = case["metrics"]
    ours = SCHEDULES[case["name"]](steps, **params)
    theirs = np.asarray(case["lr"], dtype=float)
    keep = np.array([(case["id"], int(s)) not in KERAS_FLOAT32_ARTIFACTS for s in steps])
    if case["framework"] == "keras":
        # float32 rounding: relative to the rate, absolute near zero
        np.testing.assert_allclose(ours[keep], theirs[keep], rtol=KERAS_RTOL, atol=1e-7 * theirs.max())
    else:
        np.testing.assert_allclose(ours, theirs, rtol=TORCH_RTOL, atol=1e-15)


def test_the_keras_float32_artifact_is_where_the_notes_say_and_we_give_the_exact_value():
    case = next(c for c in SCHEDULE_CASES["cases"] if c["id"] == "keras_sgdr_t15_m08_a005")
    ours = SCHEDULES["cosine_decay_restarts"](np.array([20]), **case["params"])
    assert case["lr"][20] == pytest.approx(0.005, rel=1e-6)  # Keras: the end of period 1
    peak = 0.1 * ((1 - 0.05) * 0.8**2 + 0.05)  # float64: the restart peak, m_mul^2 scaled above alpha
    assert ours[0] == pytest.approx(peak, rel=1e-12)


def test_every_schedule_in_the_catalog_has_golden_cases():
    shown = json.loads((GOLDEN / "schedules_shown_code.json").read_text())["cases"]  # test_schedule_golden.py
    covered = {case["name"] for case in SCHEDULE_CASES["cases"] + shown}
    if json.loads((GOLDEN / "keras_plateau.json").read_text())["cases"]:  # test_keras_plateau.py
        covered.add("keras_reduce_lr_on_plateau")
    ours_only = {"constant", "legacy_decay"}  # no framework object to compare with (REFERENCE.md formulas)
    assert set(SCHEDULES.names()) - ours_only <= covered


def _gradient_of(case: dict):
    if case["surface"] is None:
        grads = np.asarray(case["grads"], dtype=float)
        counter = iter(range(len(grads)))
        return lambda _theta: grads[next(counter)]
    surface = get_surface(case["surface"])
    return surface.gradient


@pytest.mark.parametrize("case", OPTIMIZER_CASES["cases"], ids=_ids(OPTIMIZER_CASES["cases"]))
def test_optimizer_trajectory_matches_its_framework(case):
    theirs = np.asarray(case["theta"], dtype=float)
    optimizer = OPTIMIZERS[case["name"]](**case["params"])
    theta = np.asarray(case["theta0"], dtype=float)
    state = optimizer.init(theta)
    gradient = _gradient_of(case)
    rates = case["lr"]
    ours = []
    for t in range(len(theirs)):
        lr = None if rates is None else rates[t]
        theta, state = optimizer.update(np.asarray(gradient(theta)), state, theta, lr=lr)
        ours.append(theta)
    np.testing.assert_allclose(np.array(ours), theirs, rtol=1e-10, atol=1e-12)


def _engine_run(case: dict) -> tuple[np.ndarray, list]:
    """The engine's trajectory on the case's gradients and rates, and its state after every update."""
    component = OPTIMIZERS[case["name"]]
    per_variable = "shapes" in case and component.meta.get("per_variable")
    layout = {"shapes": [tuple(shape) for shape in case["shapes"]]} if per_variable else {}
    optimizer = component.fn(**component.resolve(case["params"]), **layout)
    theta = np.asarray(case["theta0"], dtype=float)[None]
    state = optimizer.init(theta)
    gradient = _gradient_of(case)
    closure = {}
    if case.get("closure"):  # LBFGS: the loss and gradient wherever it asks, as torch's closure gives them
        surface = get_surface(case["surface"])
        closure = {"objective": lambda points: (surface.f(points), surface.gradient(points))}
    path, states = [], []
    for t in range(len(case["theta"])):
        lr = None if case["lr"] is None else case["lr"][t]
        theta, state = optimizer.update(np.asarray(gradient(theta)).reshape(theta.shape), state, theta, lr=lr,
                                        **closure)
        path.append(theta[0])
        states.append(state)
    return np.array(path), states


# Keras 3.15's torch backend rounds parts of Adafactor to float32 even for float64 variables: ops.minimum and
# ops.maximum of two float64 tensors return float32 (rho, max(epsilon_2, RMS), the clip factor), and the row and
# column factors r, c come out float32-rounded too (1e-8 relative after one step, measured). The engine keeps
# the variable's dtype, so the trajectories agree to float32 rounding of the step (< 2e-6 relative) only.
KERAS_FLOAT32_SCALARS = {"keras_adafactor"}
# keras.ops.norm casts a float64 matrix to float32, so Keras Muon divides by a float32 norm that torch's float32
# reduction rounds its own way: the engine's (the exact sum rounded) is one float32 ulp off in about a quarter of the
# matrices (measured on 3000), and the Newton-Schulz polynomial passes that on: the paths differ by at most 3e-8 of
# the largest move here (4e-8 with a float64 norm, as the engine computed it first).
KERAS_FLOAT32_NORM = {"keras_muon"}


@pytest.mark.parametrize("case", SHOWN_CODE_CASES["cases"], ids=_ids(SHOWN_CODE_CASES["cases"]))
def test_optimizer_matches_what_the_shown_code_computes(case):
    ours, states = _engine_run(case)
    if case["name"] in KERAS_FLOAT32_SCALARS:
        np.testing.assert_allclose(ours, np.asarray(case["theta"]), rtol=1e-5, atol=1e-6)
        return
    if case["name"] in KERAS_FLOAT32_NORM:
        moved = np.abs(np.asarray(case["theta"]) - np.asarray(case["theta0"])).max()
        assert np.abs(ours - np.asarray(case["theta"])).max() < 1e-7 * moved
        return
    np.testing.assert_allclose(ours, np.asarray(case["theta"]), rtol=1e-12, atol=1e-14)
    if "ax" in case:  # ASGD's average: in the state, not on the path
        np.testing.assert_allclose(np.array([s.ax[0] for s in states]), np.asarray(case["ax"]), rtol=1e-12,
                                   atol=1e-14)
    if "n_iter_func_evals" in case:  # LBFGS: the same iterations and closure calls as torch, step by step
        counters = [[int(s.n_iter[0]), int(s.func_evals[0])] for s in states]
        assert counters == case["n_iter_func_evals"]
    if "x" in case:  # schedule-free: the path is y; x is what optimizer.eval() puts in the weights
        optimizer = OPTIMIZERS[case["name"]]
        evaluated = [optimizer(**case["params"]).evaluation_params(state, np.asarray(y)[None])[0]
                     for state, y in zip(states, ours, strict=True)]
        np.testing.assert_allclose(np.array(evaluated), np.asarray(case["x"]), rtol=1e-12, atol=1e-14)


def test_the_golden_cases_reach_the_branches_they_are_there_for():
    by_id = {case["id"]: case for case in SHOWN_CODE_CASES["cases"]}
    l1 = np.asarray(by_id["keras_ftrl_l1_l2"]["theta"])
    assert (l1 == 0).any() and (l1 != 0).any()  # Ftrl's L1 sets some coordinates to exactly zero
    ax = np.asarray(by_id["quadratic_asgd"]["ax"])
    theta = np.asarray(by_id["quadratic_asgd"]["theta"])
    # mu = 1 / max(1, t - t0) is 1 through update t0 + 2 = 12 (ax = theta), then the average lags the path
    np.testing.assert_array_equal(ax[:12], theta[:12])
    assert np.abs(ax[12:, 0] - theta[12:, 0]).min() > 1e-2
    sf = by_id["quadratic_sgd_schedule_free"]
    assert np.abs(np.asarray(sf["x"]) - np.asarray(sf["theta"])).max() > 0.1  # y and x are different points
    steps = np.abs(np.diff(np.asarray(by_id["keras_lion_default"]["theta"]), axis=0))
    assert set(np.round(steps[steps > 0] / 1e-3, 9)) == {1.0}  # Lion moves every coordinate by lr or not at all


def test_every_optimizer_in_the_catalog_has_golden_cases():
    covered = {case["name"] for case in OPTIMIZER_CASES["cases"] + SHOWN_CODE_CASES["cases"]}
    assert set(OPTIMIZERS.names()) == covered


def _draw(case: dict) -> np.ndarray:
    rng = np.random.default_rng(20261127)
    shape = (case["n_draws"], *case["shape"])
    return INITIALIZERS[case["name"]](rng, shape, **case["params"])


@pytest.mark.parametrize("case", INITIALIZER_CASES["cases"], ids=_ids(INITIALIZER_CASES["cases"]))
def test_initializer_distribution_matches_its_framework(case):
    """Same formula (mean, std, bound) as the framework, and the same empirical statistics within sampling error."""
    stats = case["stats"]
    values = _draw(case)
    n = values.size
    assert n == stats["n_values"]
    std_formula = stats["std_formula"]
    if std_formula == 0:
        np.testing.assert_array_equal(values, stats["mean_formula"])
        return
    # sampling error of the mean and std of n draws, at 6 sigma; both frameworks land inside it too
    assert abs(values.mean() - stats["mean_formula"]) < 6 * std_formula / np.sqrt(n)
    assert abs(values.std() - std_formula) < 6 * std_formula / np.sqrt(2 * n) * 1.5
    assert abs(stats["std"] - std_formula) < 6 * std_formula / np.sqrt(2 * n) * 1.5
    if stats["bound_formula"] is not None:
        beyond = np.abs(values - stats["mean_formula"]) > stats["bound_formula"] * (1 + 1e-12)
        assert beyond.sum() == 0  # exact truncation; Keras's torch backend lets ~4e-6 through
        assert stats["frac_beyond_bound"] < 1e-5
        assert np.abs(values - stats["mean_formula"]).max() > 0.99 * stats["bound_formula"]
    elif stats["expected_frac_beyond_2std_formula"] is not None:
        frac = np.mean(np.abs(values - stats["mean_formula"]) > 2 * std_formula)
        expected = stats["expected_frac_beyond_2std_formula"]
        assert abs(frac - expected) < 6 * np.sqrt(expected * (1 - expected) / n)
    if "orthogonality_error" in stats:
        gain = case["params"].get("gain", 1.0)
        w = values[0]
        gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
        np.testing.assert_allclose(gram, gain**2 * np.eye(len(gram)), atol=1e-10)


def test_the_truncated_normal_constant_is_kerass():
    assert TRUNCATED_STD == pytest.approx(INITIALIZER_CASES["meta"]["keras_truncated_std"], rel=1e-12)


@pytest.mark.parametrize("key, torch_gain", INITIALIZER_CASES["meta"]["gains"].items())
def test_calculate_gain_matches_torch(key, torch_gain):
    name, _, param = key.partition("_0.")
    param = float("0." + param) if param else None
    assert calculate_gain(name, param) == pytest.approx(torch_gain, rel=1e-12)


@pytest.mark.parametrize("case", SHOWN_INITIALIZER_CASES["cases"], ids=_ids(SHOWN_INITIALIZER_CASES["cases"]))
def test_new_initializer_matches_what_the_shown_code_draws(case):
    """trunc_normal_, Identity and VarianceScaling(distribution="normal"): the same matrices (Identity), or the same
    promised moments, bounds and median side as the framework's own draws, within sampling error."""
    component = INITIALIZERS[case["name"]]
    if "matrices" in case:
        for key, matrix in case["matrices"].items():
            shape = tuple(int(n) for n in key.split("x"))
            np.testing.assert_array_equal(component(np.random.default_rng(0), shape, **case["params"]), matrix)
        return
    stats = case["stats"]
    values = component(np.random.default_rng(20261130), (case["n_draws"], *case["shape"]), **case["params"])
    n, std = values.size, stats["std_formula"]
    assert n == stats["n_values"]
    assert values.min() >= stats["low_formula"] and values.max() <= stats["high_formula"]
    if std == 0:  # a == b: every weight is the bound, in torch too
        assert stats["min"] == stats["max"] == stats["low_formula"]
        np.testing.assert_array_equal(values, stats["low_formula"])
        return
    for drawn_mean, drawn_std in ((values.mean(), values.std()), (stats["mean"], stats["std"])):  # ours, theirs
        assert abs(drawn_mean - stats["mean_formula"]) < 6 * std / np.sqrt(n)
        assert abs(drawn_std - std) < 6 * std / np.sqrt(2 * n) * 1.5
    assert stats["frac_outside_formula"] < 3e-5  # torch clamps; Keras's torch backend lets ~4e-6 through (1.3e-5 seen)
    width = stats["high_formula"] - stats["low_formula"]
    if width < 6 * std:  # the bounds cut: both draws reach near both ends
        for low, high in ((values.min(), values.max()), (stats["min"], stats["max"])):
            assert low - stats["low_formula"] < 0.01 * width and stats["high_formula"] - high < 0.01 * width
    expected = stats["expected_frac_below_mean_formula"]
    for share in (np.mean(values < stats["mean_formula"]), stats["frac_below_mean_formula"]):
        assert abs(share - expected) < 6 * np.sqrt(expected * (1 - expected) / n)


def test_keras_normal_distribution_is_its_truncated_normal_not_the_untruncated_one():
    """VarianceScaling(distribution="normal") is cut at 2 raw sigma in Keras's own draws, as in the engine's."""
    case = next(c for c in SHOWN_INITIALIZER_CASES["cases"] if c["id"] == "keras_variance_scaling_normal")
    assert case["stats"]["frac_outside_formula"] < 1e-5 and case["stats"]["high_formula"] < 2.3 * case["stats"][
        "std_formula"]
    rng = np.random.default_rng(1)
    normal = INITIALIZERS["variance_scaling"](rng, (100, 200), distribution="normal")
    untruncated = INITIALIZERS["variance_scaling"](rng, (100, 200), distribution="untruncated_normal")
    assert np.abs(normal).max() <= 2 / TRUNCATED_STD * np.sqrt(1 / 100) < np.abs(untruncated).max()
