"""Schedules against their closed forms at the points where mistakes hide (boundaries, restarts)."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

from tui_dl.engine import schedules as S
from tui_dl.params import ParamError


def at(name, steps, **params):
    return S.SCHEDULES[name](np.asarray(steps), **params)


def test_every_schedule_returns_float64_of_the_step_shape():
    steps = np.arange(12).reshape(3, 4)
    for component in S.SCHEDULES:
        rates = component(steps)
        assert rates.dtype == np.float64, component.name
        assert rates.shape == (3, 4), component.name
        assert np.all(rates[np.isfinite(rates)] >= 0), component.name


def test_constant_and_legacy_decay():
    assert at("constant", [0, 5, 1000], learning_rate=0.3).tolist() == [0.3, 0.3, 0.3]
    np.testing.assert_allclose(at("legacy_decay", [0, 1, 10], learning_rate=0.1, decay=0.01),
                               [0.1, 0.1 / 1.01, 0.1 / 1.1], rtol=1e-15)


@pytest.mark.parametrize("staircase, expected", [(False, 0.1 * 0.5**2.5), (True, 0.1 * 0.5**2)])
def test_exponential_decay(staircase, expected):
    rate = at("exponential_decay", [250], initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5,
              staircase=staircase)
    assert rate[0] == pytest.approx(expected, rel=1e-15)


def test_piecewise_constant_boundaries_are_upper_inclusive():
    rates = at("piecewise_constant_decay", [0, 300, 301, 600, 601, 10**6], boundaries=(300, 600),
               values=(1.0, 0.5, 0.1))
    assert rates.tolist() == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_piecewise_constant_rejects_mismatched_lengths():
    with pytest.raises(ParamError, match="2 boundaries need 3 values, got 2"):
        S.SCHEDULES["piecewise_constant_decay"].resolve({"boundaries": "10,20", "values": "1,2"}, text=True)
    with pytest.raises(ParamError, match="strictly increasing"):
        S.SCHEDULES["piecewise_constant_decay"].resolve({"boundaries": "20,10", "values": "1,2,3"}, text=True)


def test_polynomial_decay_without_and_with_cycle():
    common = {"initial_learning_rate": 1.0, "decay_steps": 1000, "end_learning_rate": 0.1, "power": 2.0}
    flat = at("polynomial_decay", [0, 500, 1000, 1500], **common)
    np.testing.assert_allclose(flat, [1.0, 0.9 * 0.25 + 0.1, 0.1, 0.1], rtol=1e-15)
    cyc = at("polynomial_decay", [0, 500, 1000, 1001, 1500, 2000], cycle=True, **common)
    # multiplier 1 at step 0; 1001..2000 decay over 2000 steps
    expected = [1.0, 0.9 * 0.25 + 0.1, 0.1, 0.9 * (1 - 1001 / 2000) ** 2 + 0.1, 0.9 * 0.25**2 + 0.1, 0.1]
    np.testing.assert_allclose(cyc, expected, rtol=1e-15)


def test_inverse_time_decay():
    rates = at("inverse_time_decay", [0, 150], initial_learning_rate=1.0, decay_steps=100, decay_rate=0.5)
    np.testing.assert_allclose(rates, [1.0, 1 / 1.75], rtol=1e-15)
    stairs = at("inverse_time_decay", [150], initial_learning_rate=1.0, decay_steps=100, decay_rate=0.5,
                staircase=True)
    assert stairs[0] == pytest.approx(1 / 1.5, rel=1e-15)


def test_cosine_decay_without_warmup_holds_alpha_after_the_end():
    rates = at("cosine_decay", [0, 500, 1000, 5000], initial_learning_rate=0.2, decay_steps=1000, alpha=0.1)
    np.testing.assert_allclose(rates, [0.2, 0.2 * (0.9 * 0.5 + 0.1), 0.02, 0.02], rtol=1e-14)


def test_cosine_decay_with_warmup():
    params = {"initial_learning_rate": 0.0, "decay_steps": 100, "warmup_target": 1.0, "warmup_steps": 10,
              "alpha": 0.0}
    rates = at("cosine_decay", [0, 5, 10, 60, 110, 500], **params)
    np.testing.assert_allclose(rates, [0.0, 0.5, 1.0, 0.5, 0.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("t_mul, restarts", [(1.0, [0, 100, 200, 300]), (2.0, [0, 100, 300, 700, 1500]),
                                              (1.5, [0, 100, 250, 475])])
def test_cosine_decay_restarts_peaks_at_each_restart(t_mul, restarts):
    m_mul = 0.5
    rates = at("cosine_decay_restarts", restarts, initial_learning_rate=1.0, first_decay_steps=100,
               t_mul=t_mul, m_mul=m_mul)
    np.testing.assert_allclose(rates, [m_mul**i for i in range(len(restarts))], rtol=1e-12)
    just_before = at("cosine_decay_restarts", [r - 1 for r in restarts[1:]], initial_learning_rate=1.0,
                     first_decay_steps=100, t_mul=t_mul, m_mul=m_mul)
    assert np.all(just_before < 1e-3)


def test_cosine_decay_restarts_alpha_is_not_scaled_by_m_mul():
    rates = at("cosine_decay_restarts", [199], initial_learning_rate=1.0, first_decay_steps=100, t_mul=1.0,
               m_mul=0.5, alpha=0.1)
    fraction = 0.99
    expected = 0.9 * 0.5 * 0.5 * (1 + math.cos(math.pi * fraction)) + 0.1
    assert rates[0] == pytest.approx(expected, rel=1e-12)


def test_step_lr_and_multi_step_lr():
    assert at("step_lr", [0, 29, 30, 65], lr=1.0, step_size=30, gamma=0.5).tolist() == [1, 1, 0.5, 0.25]
    rates = at("multi_step_lr", [0, 9, 10, 19, 20], lr=1.0, milestones=(20, 10, 20), gamma=0.1)
    np.testing.assert_allclose(rates, [1, 1, 0.1, 0.1, 1e-3], rtol=1e-15)  # a repeated milestone counts twice


def test_constant_linear_exponential_polynomial_lr():
    assert at("constant_lr", [0, 4, 5], lr=0.9, factor=0.5, total_iters=5).tolist() == [0.45, 0.45, 0.9]
    np.testing.assert_allclose(at("linear_lr", [0, 2, 4, 9], lr=1.0, start_factor=0.2, end_factor=1.0,
                                  total_iters=4), [0.2, 0.6, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(at("exponential_lr", [0, 3], lr=2.0, gamma=0.5), [2.0, 0.25], rtol=1e-15)
    np.testing.assert_allclose(at("polynomial_lr", [0, 2, 4, 8], lr=1.0, total_iters=4, power=2.0),
                               [1.0, 0.25, 0.0, 0.0], atol=1e-16)


def test_cosine_annealing_lr_keeps_oscillating_past_t_max():
    rates = at("cosine_annealing_lr", [0, 50, 100, 150, 200], lr=1.0, T_max=100, eta_min=0.1)
    np.testing.assert_allclose(rates, [1.0, 0.55, 0.1, 0.55, 1.0], rtol=1e-14)


@pytest.mark.parametrize("t_mult, restarts", [(1, [0, 10, 20, 30]), (2, [0, 10, 30, 70, 150]),
                                              (3, [0, 10, 40, 130])])
def test_warm_restarts_return_to_lr(t_mult, restarts):
    params = {"lr": 1.0, "T_0": 10, "T_mult": t_mult, "eta_min": 0.0}
    np.testing.assert_allclose(at("cosine_annealing_warm_restarts", restarts, **params), 1.0, rtol=1e-15)
    # half-way through period i (length 10 * t_mult^i) the rate is (lr + eta_min) / 2
    halves = [start + 5 * t_mult**i for i, start in enumerate(restarts)]
    np.testing.assert_allclose(at("cosine_annealing_warm_restarts", halves, **params), 0.5, rtol=1e-14)


def test_cyclic_lr_modes():
    base = {"base_lr": 0.1, "max_lr": 1.1, "step_size_up": 10, "step_size_down": 30}
    tri = at("cyclic_lr", [0, 5, 10, 25, 40, 50], **base)
    np.testing.assert_allclose(tri, [0.1, 0.6, 1.1, 0.6, 0.1, 1.1], rtol=1e-14)
    tri2 = at("cyclic_lr", [10, 50, 90], mode="triangular2", **base)
    np.testing.assert_allclose(tri2, [1.1, 0.6, 0.35], rtol=1e-14)
    exp = at("cyclic_lr", [10, 50], mode="exp_range", gamma=0.99, **base)
    np.testing.assert_allclose(exp, [0.1 + 0.99**10, 0.1 + 0.99**50], rtol=1e-14)
    symmetric = at("cyclic_lr", [0, 10, 20], base_lr=0.0, max_lr=1.0, step_size_up=10)
    np.testing.assert_allclose(symmetric, [0.0, 1.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_lr_phase_ends(three_phase):
    params = {"max_lr": 1.0, "total_steps": 100, "pct_start": 0.3, "div_factor": 25.0,
              "final_div_factor": 1e4, "three_phase": three_phase}
    rates = at("one_cycle_lr", [0, 29, 99, 100, 101], **params)
    assert rates[0] == pytest.approx(1 / 25)
    assert rates[1] == pytest.approx(1.0)
    assert rates[2] == pytest.approx(1 / 25 / 1e4)
    assert np.isfinite(rates[3])  # PyTorch still computes step == total_steps
    assert np.isnan(rates[4])  # and raises after it
    if three_phase:
        assert at("one_cycle_lr", [58], **params)[0] == pytest.approx(1 / 25)


def test_one_cycle_linear_is_linear():
    rates = at("one_cycle_lr", [0, 5, 10], max_lr=1.0, total_steps=100, pct_start=0.11, anneal_strategy="linear",
               div_factor=10.0)
    np.testing.assert_allclose(rates, [0.1, 0.55, 1.0], rtol=1e-12)


def test_one_cycle_rejects_a_warmup_of_one_step():
    with pytest.raises(ParamError, match="pct_start"):
        S.SCHEDULES["one_cycle_lr"].resolve({"total_steps": 10, "pct_start": 0.1})


def test_reduce_lr_on_plateau_decisions():
    metrics = [1.0] * 10
    rates = at("reduce_lr_on_plateau", np.arange(11), lr=0.1, patience=2, metrics=metrics)
    # epoch 0 improves (best = inf); epochs 1, 2, 3 are bad: after the 3rd (> patience) it reduces
    np.testing.assert_allclose(rates, [0.1] * 4 + [0.01] * 3 + [0.001] * 3 + [1e-4], rtol=1e-12)


def test_reduce_lr_on_plateau_threshold_cooldown_min_lr_and_eps():
    # improvements of 1e-5 relative are below the default threshold 1e-4: they count as bad epochs
    metrics = [1.0 - 1e-5 * k for k in range(8)]
    rates = at("reduce_lr_on_plateau", np.arange(9), lr=1.0, patience=1, cooldown=2, min_lr=0.05, metrics=metrics)
    # bad epochs 1, 2 -> reduce after epoch 2; cooldown skips 3, 4; bad 5, 6 -> reduce after 6 (clamped)
    np.testing.assert_allclose(rates, [1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])
    tiny = at("reduce_lr_on_plateau", np.arange(5), lr=1e-8, patience=0, metrics=[1, 1, 1, 1])
    np.testing.assert_allclose(tiny, 1e-8)  # a change below eps = 1e-8 is not applied


def test_reduce_lr_on_plateau_needs_enough_metrics():
    with pytest.raises(ParamError, match="epoch 9 needs 9 values, got 3"):
        at("reduce_lr_on_plateau", np.arange(10), lr=0.1, metrics=[1, 2, 3])


def test_plateau_state_is_batched_over_runs():
    rng = np.random.default_rng(0)
    metrics = rng.uniform(0.5, 1.0, size=(40, 3))
    factors = np.array([0.1, 0.5, 0.9])
    state = S.plateau_init(np.ones(3))
    for row in metrics:
        state = S.plateau_step(state, row, factor=factors, patience=3)
    for r in range(3):
        alone = S.plateau_init(1.0)
        for row in metrics:
            alone = S.plateau_step(alone, row[r], factor=factors[r], patience=3)
        assert alone.lr[0] == state.lr[r]


def test_demo_plateau_metric_drives_several_reductions():
    rates = at("reduce_lr_on_plateau", np.arange(1000), lr=0.1)
    assert rates[0] == 0.1
    assert len(np.unique(rates)) >= 3


# ------------------------------------------------------------- lambda, composed, beyond the frameworks
def test_lambda_and_multiplicative_lr():
    np.testing.assert_allclose(at("lambda_lr", [0, 1, 10], lr=2.0, lr_lambda="0.5 ** epoch"), [2.0, 1.0, 2.0 / 1024])
    # MultiplicativeLR: f(0) is never applied, the rate is multiplied by f(e) at every epoch e >= 1
    np.testing.assert_allclose(at("multiplicative_lr", [0, 1, 2, 3], lr=1.0, lr_lambda="epoch + 1"), [1, 2, 6, 24])


def test_sequential_lr_parts_restart_at_their_own_epoch_zero():
    rates = at("sequential_lr", np.arange(12), lr=1.0, milestones=(5,),
               schedulers="linear_lr(start_factor=0.1, total_iters=5) + exponential_lr(gamma=0.5)")
    np.testing.assert_allclose(rates, [0.1, 0.28, 0.46, 0.64, 0.82] + [0.5**k for k in range(7)], rtol=1e-14)


def test_sequential_lr_multiplicative_part_continues_from_the_rate_left():
    # torch calls _update_lr(0) at the milestone; MultiplicativeLR has no closed form, so it multiplies the
    # rate ExponentialLR left (0.5^3) by f(0) instead of starting from lr
    rates = at("sequential_lr", np.arange(7), lr=1.0, milestones=(4,),
               schedulers="exponential_lr(gamma=0.5) + multiplicative_lr(lr_lambda=0.9)")
    np.testing.assert_allclose(rates, [1, 0.5, 0.25, 0.125, 0.125 * 0.9, 0.125 * 0.81, 0.125 * 0.729], rtol=1e-14)


def test_chained_scheduler_multiplies_the_parts():
    rates = at("chained_scheduler", np.arange(5), lr=1.0,
               schedulers="constant_lr(factor=0.1, total_iters=2) + exponential_lr(gamma=0.9)")
    np.testing.assert_allclose(rates, [0.1, 0.09, 0.81, 0.729, 0.6561], rtol=1e-14)


@pytest.mark.parametrize(("schedulers", "milestones", "message"), [
    ("linear_lr + cyclic_lr", (5,), "cyclic_lr cannot be a part"),
    ("linear_lr + reduce_lr_on_plateau", (5,), "torch refuses it"),
    ("linear_lr + cosine_decay", (5,), "a keras schedule is not a torch LRScheduler"),
    ("linear_lr + cosine_lr_scheduler", (5,), "a timm schedule is not a torch LRScheduler"),
    ("linear_lr(lr=0.5) + step_lr", (5,), "linear_lr takes no lr here"),
    ("linear_lr + nope_lr", (5,), "unknown schedule 'nope_lr'"),
    ("linear_lr(start_factor=0.1 + step_lr", (5,), "expected NAME(KEY=VALUE, ...)"),
    ("linear_lr(0.1) + step_lr", (5,), "expected KEY=VALUE in linear_lr(...)"),
    ("linear_lr(start_factor=2) + step_lr", (5,), "bad value '2' for start_factor"),
    ("linear_lr + step_lr", (5, 10), "2 schedulers need 1 milestone"),
    ("lambda_lr(lr_lambda=0.9 ** step) + step_lr", (5,), "bad lr_lambda '0.9 ** step'"),
])
def test_sequential_lr_refuses_in_one_line(schedulers, milestones, message):
    with pytest.raises(ParamError, match=re.escape(message)):
        S.SCHEDULES["sequential_lr"].resolve({"schedulers": schedulers, "milestones": milestones})


def test_a_long_composition_is_quick_enough_for_the_pane():
    start = time.perf_counter()
    rates = at("sequential_lr", np.arange(100_001), lr=0.1, milestones=(1000,),
               schedulers="linear_lr(start_factor=0.1, total_iters=1000) + cosine_annealing_lr(T_max=99000)")
    assert time.perf_counter() - start < 5.0
    assert rates[1000] == pytest.approx(0.1) and rates[-1] == pytest.approx(0.0, abs=1e-12)


def test_one_cycle_epochs_form_and_total_steps_winning():
    by_epochs = at("one_cycle_lr", np.arange(41), max_lr=0.1, total_steps=None, epochs=5, steps_per_epoch=8)
    np.testing.assert_array_equal(by_epochs, at("one_cycle_lr", np.arange(41), max_lr=0.1, total_steps=40))
    both = at("one_cycle_lr", np.arange(20), max_lr=0.1, total_steps=20, epochs=5, steps_per_epoch=8)
    np.testing.assert_array_equal(both, at("one_cycle_lr", np.arange(20), max_lr=0.1, total_steps=20))
    with pytest.raises(ParamError, match=re.escape("either total_steps OR (epochs AND steps_per_epoch)")):
        S.SCHEDULES["one_cycle_lr"].resolve({"total_steps": None, "epochs": 5})


def test_cycled_momentum_is_inverse_to_the_rate():
    params = S.SCHEDULES["cyclic_lr"].resolve({"base_lr": 0.0, "max_lr": 1.0, "step_size_up": 10})
    momentum = S.schedule_momentum("cyclic_lr", np.array([0, 5, 10, 20]), params)
    np.testing.assert_allclose(momentum, [0.9, 0.85, 0.8, 0.9], rtol=1e-14)
    assert S.schedule_momentum("cyclic_lr", np.arange(3), {**params, "cycle_momentum": False}) is None
    assert S.schedule_momentum("step_lr", np.arange(3), S.SCHEDULES["step_lr"].resolve({})) is None
    params = S.SCHEDULES["one_cycle_lr"].resolve({"total_steps": 100})
    momentum = S.schedule_momentum("one_cycle_lr", np.array([0, 29, 99]), params)
    np.testing.assert_allclose(momentum, [0.95, 0.85, 0.95], rtol=1e-12)


def test_reduce_lr_on_plateau_takes_nan_metrics_as_bad_epochs():
    metrics = S.SCHEDULES["reduce_lr_on_plateau"].spec("metrics").parse("1,nan,nan,nan,0.5,0.5")
    assert np.isnan(metrics[1])
    rates = at("reduce_lr_on_plateau", np.arange(7), lr=0.1, patience=1, metrics=metrics)
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01])


def test_non_finite_values_are_refused_where_they_mean_nothing():
    """Every float parameter of every schedule refuses inf and nan, except the monitored metrics."""
    for component in S.SCHEDULES:
        for spec in component.params:
            if spec.kind not in ("float", "floats"):
                continue
            for text in ("inf", "-inf", "nan"):
                if spec.name == "metrics":
                    assert not np.isfinite(spec.parse(text)[0])
                    continue
                with pytest.raises(ParamError, match=f"bad value '{text}' for {spec.name}"):
                    spec.parse(text)
    with pytest.raises(ParamError, match=re.escape("expected a float in (0, inf)")):
        S.SCHEDULES["constant"].resolve({"learning_rate": "inf"}, text=True)
