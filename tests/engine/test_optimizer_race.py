"""The optimizer race: batched = alone, divergence freezes one run, the textbook figure in numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_dl.engine import optimizers as O
from tui_dl.engine.experiments import optimizer_race as race
from tui_dl.engine.surfaces import get_surface
from tui_dl.params import ParamError

MIXED_RACERS = (
    race.Racer("SGD", "sgd", {"lr": 1e-3}),
    race.Racer("Momentum", "sgd", {"lr": 5e-4, "momentum": 0.9}),
    race.Racer("Nesterov", "sgd", {"lr": 5e-4, "momentum": 0.8, "nesterov": True}),
    race.Racer("Adam", "adam", {"lr": 0.05, "betas": (0.8, 0.99)}),
    race.Racer("AMSGrad", "adam", {"lr": 0.02, "amsgrad": True}),
    race.Racer("AdaGrad", "adagrad", {"lr": 0.3}),
    race.Racer("RMSprop", "rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    race.Racer("NAdam", "nadam", {"lr": 0.03}),
    race.Racer("Keras Adam", "keras_adam", {"learning_rate": 0.05}),
)


def test_batched_race_equals_each_racer_run_alone():
    starts = ((-1.2, 1.0), (-0.5, 2.5))
    config = race.RaceConfig("rosenbrock", {"b": 20.0}, MIXED_RACERS, starts)
    snap = race.snapshot(race.step(race.init(config), 60))
    surface = get_surface("rosenbrock", b=20.0)
    assert snap.path.shape == (61, len(MIXED_RACERS) * 2, 2)
    for r, (racer, start) in enumerate((racer, start) for racer in MIXED_RACERS for start in starts):
        alone = O.trajectory(O.OPTIMIZERS[racer.optimizer](**racer.params), np.array([start]), surface.gradient, 60)
        np.testing.assert_array_equal(snap.path[:, r], alone[:, 0], err_msg=racer.label)
        np.testing.assert_array_equal(snap.loss[:, r], surface.f(alone[:, 0]))
    assert snap.labels[:2] == ("SGD #1", "SGD #2")
    assert (snap.diverged_step == -1).all()
    np.testing.assert_array_equal(snap.distance_history, np.hypot(snap.path[..., 0] - 1.0, snap.path[..., 1] - 1.0))
    np.testing.assert_array_equal(snap.distance, snap.distance_history[-1])
    np.testing.assert_array_equal(snap.gradient, surface.gradient(snap.path[-1]))


def _scalar_sgd(lr, momentum, start, steps, curvatures=(0.1, 2.0)):
    """torch SGD on sum(a_i x_i^2 / 2) in plain Python floats: the positions until the loss overflows."""
    x = list(start)
    buffer = None
    points = [tuple(x)]
    for k in range(1, steps + 1):
        g = [a * v for a, v in zip(curvatures, x, strict=True)]
        buffer = g if buffer is None or momentum == 0 else [momentum * b + gi for b, gi in zip(buffer, g, strict=True)]
        x = [v - lr * b for v, b in zip(x, buffer, strict=True)]
        loss = sum(a * v * v / 2 for a, v in zip(curvatures, x, strict=True))
        if not math.isfinite(loss):
            return points, k
        points.append(tuple(x))
    return points, None


def test_divergence_of_one_racer_freezes_only_it_at_the_right_step():
    racers = (race.Racer("slow", "sgd", {"lr": 0.1}), race.Racer("wild", "sgd", {"lr": 1e3, "momentum": 0.5}),
              race.Racer("adam", "adam", {"lr": 0.1}))
    state = race.step(race.init(race.RaceConfig("quadratic", racers=racers)), 100)
    snap = race.snapshot(state)
    points, expected_step = _scalar_sgd(1e3, 0.5, (-7.0, 2.0), 100)
    assert expected_step is not None and 20 < expected_step < 100
    np.testing.assert_array_equal(snap.diverged_step, [-1, expected_step, -1])
    wild = snap.path[:, 1]
    np.testing.assert_allclose(wild[:expected_step], points, rtol=1e-12)
    assert (wild[expected_step:] == wild[expected_step - 1]).all()  # frozen at its last finite point
    assert np.isfinite(snap.loss[:, 1]).all()
    assert (snap.loss[expected_step:, 1] == snap.loss[expected_step - 1, 1]).all()
    # the optimizer state is frozen too: the buffer of the last finite step, not one that went on growing
    frozen_buffer = snap.internals["momentum_buffer"][1].copy()
    assert np.isfinite(frozen_buffer).all()
    later = race.snapshot(race.step(state, 10))
    np.testing.assert_array_equal(later.internals["momentum_buffer"][1], frozen_buffer)
    # the others are untouched by it
    surface = get_surface("quadratic")
    for r, racer in ((0, racers[0]), (2, racers[2])):
        alone = O.trajectory(O.OPTIMIZERS[racer.optimizer](**racer.params), np.array([[-7.0, 2.0]]),
                             surface.gradient, 110)
        np.testing.assert_array_equal(later.path[:, r], alone[:, 0])


def _scalar_adagrad(lr, start, steps, eps=1e-10):
    x, total, points = list(start), [0.0, 0.0], [tuple(start)]
    for _ in range(steps):
        g = [x[0] / 10, 2 * x[1]]
        total = [s + gi * gi for s, gi in zip(total, g, strict=True)]
        x = [v - lr * gi / (math.sqrt(s) + eps) for v, gi, s in zip(x, g, total, strict=True)]
        points.append(tuple(x))
    return np.array(points)


def _scalar_adam(lr, start, steps, b1=0.9, b2=0.999, eps=1e-8):
    x, m, v, points = list(start), [0.0, 0.0], [0.0, 0.0], [tuple(start)]
    for t in range(1, steps + 1):
        g = [x[0] / 10, 2 * x[1]]
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g, strict=True)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g, strict=True)]
        x = [xi - lr * (mi / (1 - b1**t)) / (math.sqrt(vi / (1 - b2**t)) + eps)
             for xi, mi, vi in zip(x, m, v, strict=True)]
        points.append(tuple(x))
    return np.array(points)


def _heavy_ball(lr, momentum, curvature, x0, steps):
    """x_k of torch's momentum SGD on a x^2 / 2: [x_k, x_k-1] = M^k [x0, x0] (the first buffer is the gradient)."""
    matrix = np.array([[1 + momentum - lr * curvature, -momentum], [1.0, 0.0]])
    return np.array([(np.linalg.matrix_power(matrix, k) @ [x0, x0])[0] for k in range(steps + 1)])


def _sign_changes(values):
    return int((np.diff(np.sign(values)) != 0).sum())


def test_textbook_race_on_the_quadratic():
    snap = race.snapshot(race.step(race.init(race.RaceConfig()), race.TEXTBOOK_STEPS))
    assert snap.labels == ("SGD", "Momentum", "AdaGrad", "Adam")
    k = np.arange(31)
    sgd, momentum, adagrad, adam = (snap.path[:, r] for r in range(4))
    # independent computations of each path
    np.testing.assert_allclose(sgd, np.stack([-7.0 * (1 - 0.95 / 10) ** k, 2.0 * (1 - 0.95 * 2) ** k], 1), rtol=1e-12)
    np.testing.assert_allclose(momentum[:, 0], _heavy_ball(0.1, 0.9, 0.1, -7.0, 30), rtol=1e-10)
    np.testing.assert_allclose(momentum[:, 1], _heavy_ball(0.1, 0.9, 2.0, 2.0, 30), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(adagrad, _scalar_adagrad(1.5, (-7.0, 2.0), 30), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(adam, _scalar_adam(0.3, (-7.0, 2.0), 30), rtol=1e-10, atol=1e-15)
    # the figure: SGD zig-zags across the valley at every step and walks five times the straight distance
    assert _sign_changes(sgd[:, 1]) == 30
    lengths = np.linalg.norm(np.diff(snap.path, axis=0), axis=2).sum(axis=0)
    assert lengths[0] > 5 * math.hypot(7, 2)
    # Momentum rolls like a ball: it overshoots the minimum along x; Adam overshoots in y only a couple of times
    assert _sign_changes(momentum[:, 0]) >= 1 and 1 <= _sign_changes(adam[:, 1]) <= 3
    # AdaGrad's per-coordinate rates damp the steep direction at once: no zig-zag, straight in, and closest
    assert _sign_changes(adagrad[:, 1]) == 0 and (np.diff(adagrad[:, 0]) > 0).all()
    assert lengths[2] < 1.05 * math.hypot(7, 2)
    assert np.argmin(snap.distance) == 2 and snap.distance[2] < 0.15


def test_internals_after_one_step_are_each_optimizers_state():
    snap = race.snapshot(race.step(race.init(race.RaceConfig()), 1))
    g0 = np.array([-7.0 / 10, 2.0 * 2])
    inside = snap.internals
    # plain SGD keeps no momentum buffer in torch, and Adam without amsgrad no max_exp_avg_sq
    assert np.isnan(inside["momentum_buffer"][0]).all() and np.isnan(inside["max_exp_avg_sq"][3]).all()
    np.testing.assert_array_equal(inside["momentum_buffer"][1], g0)
    np.testing.assert_array_equal(inside["sum"][2], g0**2)
    np.testing.assert_allclose(inside["exp_avg"][3], 0.1 * g0, rtol=1e-15)
    np.testing.assert_allclose(inside["exp_avg_sq"][3], 0.001 * g0**2, rtol=1e-12)
    np.testing.assert_array_equal(inside["step_size"][:2], [[0.95, 0.95], [0.1, 0.1]])
    np.testing.assert_allclose(inside["step_size"][2], 1.5 / (np.abs(g0) + 1e-10), rtol=1e-15)
    assert np.isnan(inside["sum"][[0, 1, 3]]).all()


def test_snapshots_are_read_only_and_later_steps_leave_them_alone():
    state = race.init(race.RaceConfig())
    first = race.snapshot(race.step(state, 3))
    kept = first.path.copy(), first.gradient.copy(), first.internals["sum"].copy()
    race.step(state, 300)  # enough to regrow the history buffers
    for array in (first.path, first.loss, first.gradient, first.distance, first.diverged_step, first.internals["sum"]):
        assert not array.flags.writeable
    np.testing.assert_array_equal(first.path, kept[0])
    np.testing.assert_array_equal(first.gradient, kept[1])
    np.testing.assert_array_equal(first.internals["sum"], kept[2])
    assert first.step == 3 and race.snapshot(state).step == 303


def test_snapshot_carries_what_the_pane_draws():
    snap = race.snapshot(race.init(race.RaceConfig("himmelblau", starts=((0.0, 0.0), (1.0, -1.0)))))
    assert snap.view == (-5.0, 5.0, -5.0, 5.0) and snap.minima.shape == (4, 2)
    np.testing.assert_array_equal(snap.starts, [[0.0, 0.0], [1.0, -1.0]])
    assert snap.path.shape == (1, 8, 2) and snap.step == 0


def test_landscape_is_f_at_the_cell_centres():
    surface = get_surface("booth")
    land = race.landscape(surface, columns=4, rows=2)
    np.testing.assert_allclose(land.xs, [-7.5, -2.5, 2.5, 7.5])
    np.testing.assert_allclose(land.ys, [-5.0, 5.0])
    assert land.values.shape == (2, 4)
    assert land.values[1, 2] == surface.f(np.array([2.5, 5.0]))


def test_a_start_where_f_overflows_is_diverged_at_step_zero():
    snap = race.snapshot(race.step(race.init(race.RaceConfig(starts=((1e200, 0.0), (1.0, 1.0)))), 5))
    np.testing.assert_array_equal(snap.diverged_step[:2], [0, -1])
    assert (snap.path[:, 0] == [1e200, 0.0]).all()


@pytest.mark.parametrize("config, message", [
    (race.RaceConfig(racers=()), "at least one racer"),
    (race.RaceConfig(starts=()), "bad starts"),
    (race.RaceConfig(starts=((0.0, math.nan),)), "bad starts"),
    (race.RaceConfig(surface="moon"), "unknown surface"),
    (race.RaceConfig(racers=(race.Racer("x", "sgd", {"lr": -1.0}),)), "bad value '-1' for lr"),
])
def test_bad_configurations_raise_param_errors(config, message):
    with pytest.raises(ParamError, match=message):
        race.init(config)


def test_lbfgs_races_with_its_closure_on_the_surface_and_others_are_unchanged():
    """LBFGS evaluates the surface itself (torch's closure), several times a step; its racers get the same
    path as the optimizer alone, and the racers beside it get theirs."""
    racers = (race.Racer("L-BFGS", "lbfgs", {"lr": 0.5, "history_size": 3}),
              race.Racer("wolfe", "lbfgs", {"line_search_fn": "strong_wolfe", "max_iter": 4}),
              race.Racer("Adam", "adam", {"lr": 0.1}))
    state = race.step(race.init(race.RaceConfig(surface="himmelblau", racers=racers, starts=((-1.0, 0.5),))), 6)
    surface = get_surface("himmelblau")
    objective = lambda p: (surface.f(p), surface.gradient(p))  # noqa: E731
    start = np.array([[-1.0, 0.5]])
    for run, racer in enumerate(racers):
        optimizer = O.OPTIMIZERS[racer.optimizer](**racer.params)
        closure = {"objective": objective} if racer.optimizer == "lbfgs" else {}
        alone = O.trajectory(optimizer, start, surface.gradient, 6, **closure)
        np.testing.assert_allclose(race.snapshot(state).path[:, run], alone[:, 0], rtol=1e-14, atol=1e-15)
    assert race.snapshot(state).distance[1] < 1e-6  # the line search reaches (-2.8, 3.1) in a few steps
