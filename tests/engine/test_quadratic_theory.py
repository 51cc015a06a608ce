"""Optimal step and momentum on a quadratic: the closed forms, and runs that contract at those rates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_dl.engine import optimizers as O
from tui_dl.engine.experiments.quadratic_theory import hessian, quadratic_theory, surface_theory
from tui_dl.engine.surfaces import get_surface
from tui_dl.params import ParamError


def test_the_textbook_quadratic():
    theory = surface_theory(get_surface("quadratic"))
    assert theory.mu == pytest.approx(0.1, rel=1e-9) and theory.L == pytest.approx(2.0, rel=1e-9)
    assert theory.kappa == pytest.approx(20.0, rel=1e-9)
    assert theory.gd_lr == pytest.approx(2 / 2.1, rel=1e-9)  # the textbook's 0.95 is all but optimal
    assert theory.gd_rate == pytest.approx(19 / 21, rel=1e-9)
    assert theory.gd_max_lr == pytest.approx(1.0, rel=1e-9)
    root = math.sqrt(20.0)
    assert theory.momentum_rate == pytest.approx((root - 1) / (root + 1), rel=1e-9)
    assert theory.momentum == pytest.approx(((root - 1) / (root + 1)) ** 2, rel=1e-9)
    assert theory.momentum_lr == pytest.approx(4 / (math.sqrt(2.0) + math.sqrt(0.1)) ** 2, rel=1e-9)


def test_gradient_descent_at_the_optimal_step_contracts_at_the_predicted_rate():
    surface = get_surface("quadratic")
    theory = surface_theory(surface)
    path = O.trajectory(O.sgd(lr=theory.gd_lr), np.array([[-7.0, 2.0]]), surface.gradient, 60)[:, 0]
    # both eigen-directions shrink by exactly the rate (one with a sign flip), so the distance does too
    ratios = np.linalg.norm(path[1:], axis=1) / np.linalg.norm(path[:-1], axis=1)
    np.testing.assert_allclose(ratios, theory.gd_rate, rtol=1e-9)
    # any other constant step is slower on one of the two axes
    for lr in (0.9 * theory.gd_lr, 1.05 * theory.gd_lr):
        other = O.trajectory(O.sgd(lr=lr), np.array([[-7.0, 2.0]]), surface.gradient, 60)[-1, 0]
        assert np.linalg.norm(other) > np.linalg.norm(path[-1])


def _heavy_ball_radius(lr, momentum, curvature):
    """Spectral radius of the heavy-ball iteration [x_k+1, x_k] = M [x_k, x_k-1] for curvature a."""
    matrix = np.array([[1 + momentum - lr * curvature, -momentum], [1.0, 0.0]])
    return np.abs(np.linalg.eigvals(matrix)).max()


def test_heavy_ball_at_the_optimal_settings_contracts_at_the_predicted_rate():
    theory = quadratic_theory(0.1, 2.0)
    # every curvature in [mu, L] gets the same spectral radius sqrt(momentum) = the rate
    for curvature in np.linspace(0.1, 2.0, 9):
        assert _heavy_ball_radius(theory.momentum_lr, theory.momentum, curvature) == pytest.approx(
            theory.momentum_rate, rel=1e-6)
    surface = get_surface("quadratic")
    path = O.trajectory(O.sgd(lr=theory.momentum_lr, momentum=theory.momentum), np.array([[-7.0, 2.0]]),
                        surface.gradient, 400)[:, 0]
    norms = np.linalg.norm(path, axis=1)
    # repeated eigenvalues at the extremes make the error k * rate^k; over 200 steps that is a factor 2
    measured = (norms[400] / norms[200]) ** (1 / 200)
    assert measured == pytest.approx(theory.momentum_rate, rel=0.01)
    assert measured < theory.gd_rate - 0.2  # momentum wins on this ill-conditioned bowl
    # the textbook's Momentum settings are far from optimal
    assert _heavy_ball_radius(0.1, 0.9, 0.1) > theory.momentum_rate + 0.2


def test_booth_is_a_rotated_bowl_with_condition_number_nine():
    surface = get_surface("booth")
    theory = surface_theory(surface)
    np.testing.assert_allclose(hessian(surface, (1.0, 3.0)), [[10.0, 8.0], [8.0, 10.0]], rtol=1e-9)
    assert (theory.mu, theory.L) == (pytest.approx(2.0), pytest.approx(18.0))
    assert theory.gd_rate == pytest.approx(0.8) and theory.momentum_rate == pytest.approx(0.5)
    path = O.trajectory(O.sgd(lr=theory.gd_lr), np.array([surface.start]), surface.gradient, 30)[:, 0]
    distances = np.hypot(path[:, 0] - 1.0, path[:, 1] - 3.0)
    np.testing.assert_allclose(distances[1:] / distances[:-1], 0.8, rtol=1e-7)


def test_rosenbrock_near_its_minimum():
    theory = surface_theory(get_surface("rosenbrock"))
    # Hessian at (1, 1): [[802, -400], [-400, 200]]
    eigen = np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]])
    assert (theory.mu, theory.L) == (pytest.approx(eigen[0], rel=1e-9), pytest.approx(eigen[1], rel=1e-9))
    assert theory.kappa > 2000


def test_no_theory_without_a_smooth_strict_minimum():
    assert surface_theory(get_surface("saddle")) is None  # no minimum
    assert surface_theory(get_surface("ackley")) is None  # a cone at the minimum: no Hessian
    assert surface_theory(get_surface("quadratic"), minimum=1) is None


def test_steps_to_a_factor():
    theory = quadratic_theory(0.1, 2.0)
    assert theory.steps_to(1e-6) == pytest.approx(math.log(1e-6) / math.log(19 / 21))
    assert theory.steps_to(1e-6, momentum=True) < theory.steps_to(1e-6) / 4
    assert quadratic_theory(1.0, 1.0).steps_to(1e-6) == 1.0  # kappa 1: one step of 1/L lands on the minimum


@pytest.mark.parametrize("mu, L", [(0.0, 1.0), (2.0, 1.0), (1.0, math.inf), (-1.0, 1.0)])
def test_bad_curvatures(mu, L):
    with pytest.raises(ParamError, match="bad curvatures"):
        quadratic_theory(mu, L)
