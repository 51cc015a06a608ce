"""Heavy ball's phase diagram on the quadratic against the closed forms of quadratic_theory."""

from __future__ import annotations

import numpy as np
import pytest

from tui_dl.engine.experiments import optimizer_race, phase_diagram
from tui_dl.engine.experiments.quadratic_theory import quadratic_theory
from tui_dl.params import ParamError


@pytest.fixture(scope="module")
def diagram():
    """The textbook bowl x^2/20 + y^2 from (-7, 2), 40 x 40 settings, 300 steps."""
    return phase_diagram.snapshot(phase_diagram.step(phase_diagram.init(phase_diagram.PhaseConfig()), 300))


def test_the_grid_spans_every_stable_rate_and_momentum(diagram):
    assert diagram.theory.L == pytest.approx(2.0) and diagram.theory.mu == pytest.approx(0.1)
    np.testing.assert_allclose(diagram.lrs[[0, -1]], [0.05, 2.0])  # up to 4 / L
    np.testing.assert_allclose(diagram.momenta[[0, -1]], [0.0, 0.975])


def test_the_fastest_cell_is_the_closed_form_optimum_within_one_cell(diagram):
    theory = diagram.theory
    lr, momentum, steps = diagram.best()
    assert abs(lr - theory.momentum_lr) <= diagram.lrs[0]  # 1.30 against 1.336
    assert abs(momentum - theory.momentum) <= diagram.momenta[1]  # 0.425 against 0.403
    assert (lr, momentum, steps) == pytest.approx((1.3, 0.425, 22))
    # plain descent (the momentum-0 row) is fastest at the grid's rate nearest 2 / (L + mu) = 0.952
    row = np.where(diagram.steps[0] >= 0, diagram.steps[0], 10**9)
    assert diagram.lrs[row.argmin()] == pytest.approx(0.95)
    assert row.min() == pytest.approx(np.log(1e-4) / np.log(theory.gd_rate), abs=2)  # 92 steps at rate 0.905


def test_cells_diverge_exactly_where_the_theory_says_heavy_ball_is_unstable(diagram):
    theory = diagram.theory
    rate = phase_diagram.heavy_ball_rate(diagram.lrs[None, :], diagram.momenta[:, None], theory.mu, theory.L)
    unstable = diagram.lrs[None, :] * theory.L - 2 * (1 + diagram.momenta[:, None]) > 1e-9  # lr L > 2 (1 + m)
    np.testing.assert_array_equal(rate > 1 + 1e-9, unstable)
    clear = rate > 1.1  # growing fast enough to pass a million times the start in 300 steps
    assert diagram.diverged[clear].all() and not diagram.diverged[rate < 1].any()
    # the theory's fastest setting on the grid is next to the measured one
    i, j = np.unravel_index(rate.argmin(), rate.shape)
    lr, momentum, _ = diagram.best()
    assert abs(diagram.lrs[j] - lr) <= 0.05 + 1e-9 and abs(diagram.momenta[i] - momentum) <= 0.025 + 1e-9


def test_the_closed_form_rates_are_the_measured_ones():
    theory = quadratic_theory(0.1, 2.0)
    racers = (optimizer_race.Racer("gd", "sgd", {"lr": theory.gd_lr}),
              optimizer_race.Racer("hb", "sgd", {"lr": theory.momentum_lr, "momentum": theory.momentum}))
    race = optimizer_race.snapshot(optimizer_race.step(optimizer_race.init(optimizer_race.RaceConfig(racers=racers)),
                                                       300))
    gd, hb = (phase_diagram.measured_rate(race.distance_history[:, r]) for r in range(2))
    assert gd == pytest.approx(theory.gd_rate, rel=1e-9)  # 0.905: both axes contract by exactly (k-1)/(k+1)
    # 0.649 against 0.635: the double root makes d_k ~ k rate^k, read 2^(2/k) high at k ~ 60
    assert hb == pytest.approx(theory.momentum_rate, rel=0.03) and hb > theory.momentum_rate
    assert phase_diagram.heavy_ball_rate(theory.momentum_lr, theory.momentum, 0.1, 2.0) == pytest.approx(
        theory.momentum_rate, rel=1e-6)
    assert phase_diagram.heavy_ball_rate(theory.gd_lr, 0.0, 0.1, 2.0) == pytest.approx(theory.gd_rate)


def test_a_surface_without_a_strict_minimum_has_no_phase_diagram():
    with pytest.raises(ParamError, match="no strict minimum"):
        phase_diagram.init(phase_diagram.PhaseConfig("saddle"))
