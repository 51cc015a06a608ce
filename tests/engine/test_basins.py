"""The basin map: which minimum each start of a grid reaches, checked against runs computed one by one."""

from __future__ import annotations

import numpy as np
import pytest

from tui_dl.engine import optimizers as O
from tui_dl.engine.experiments import basins
from tui_dl.engine.surfaces import HIMMELBLAU_MINIMA, get_surface
from tui_dl.params import ParamError

HIMMELBLAU = get_surface("himmelblau")


def _alone(config, start, steps):
    """The trajectory of one start, by optimizers.trajectory with the full gradient at each step."""
    optimizer = O.OPTIMIZERS[config.optimizer](**config.params)
    with np.errstate(all="ignore"):
        return O.trajectory(optimizer, np.array([start]), HIMMELBLAU.gradient, steps)[:, 0]


def _classify_alone(path, tolerance):
    """(minimum index or -1 or -2, diverged step or -1, arrival step or -1) of a path, by plain loops."""
    with np.errstate(all="ignore"):
        finite = np.isfinite(path).all(axis=1) & np.isfinite(HIMMELBLAU.f(path))
    if not finite.all():
        return -2, int(np.argmin(finite)), -1
    distances = np.hypot(*(path[:, None, :] - HIMMELBLAU.minima[None]).transpose(2, 0, 1))
    last = [k for k in range(len(HIMMELBLAU.minima)) if distances[-1, k] <= tolerance]
    if not last:
        return -1, -1, -1
    index = last[0]
    arrival = len(path) - 1
    while arrival > 0 and distances[arrival - 1, index] <= tolerance:
        arrival -= 1
    return index, -1, arrival


@pytest.mark.parametrize("index", range(4))
def test_starts_next_to_a_minimum_converge_to_it(index):
    mx, my = HIMMELBLAU_MINIMA[index]
    config = basins.BasinConfig(grid=5, box=(mx - 0.3, mx + 0.3, my - 0.3, my + 0.3))
    snap = basins.snapshot(basins.step(basins.init(config), 100))
    assert (snap.minimum == index).all()
    assert snap.counts[index] == 25 and snap.counts.sum() == 25 and snap.not_converged == snap.diverged == 0
    assert (np.hypot(*(snap.positions - [mx, my]).transpose(2, 0, 1)) <= config.tolerance).all()


def test_the_himmelblau_map_equals_runs_one_by_one():
    config = basins.BasinConfig(grid=12, params={"lr": 0.01, "momentum": 0.8})
    steps = 150
    snap = basins.snapshot(basins.step(basins.init(config), steps))
    assert snap.minimum.shape == (12, 12) and snap.step == steps
    assert (snap.counts > 10).all()  # the four basins all show
    rng = np.random.default_rng(0)
    for i, j in [(0, 0), (11, 11), (5, 6), *rng.integers(0, 12, size=(6, 2))]:
        start = (snap.xs[j], snap.ys[i])
        path = _alone(config, start, steps)
        minimum, diverged, arrival = _classify_alone(path, config.tolerance)
        np.testing.assert_array_equal(snap.positions[i, j], path[-1])
        assert (snap.minimum[i, j], snap.diverged_step[i, j], snap.arrival_step[i, j]) == (minimum, diverged, arrival)


def test_a_huge_rate_diverges_with_the_step_of_each_run():
    config = basins.BasinConfig(grid=6, params={"lr": 0.5})
    snap = basins.snapshot(basins.step(basins.init(config), 40))
    assert snap.diverged == 36 and (snap.minimum == basins.DIVERGED).all() and (snap.counts == 0).all()
    for i, j in [(0, 0), (2, 3), (5, 1)]:
        path = _alone(config, (snap.xs[j], snap.ys[i]), 40)
        assert snap.diverged_step[i, j] == _classify_alone(path, config.tolerance)[1] > 0
        # frozen at the last finite point
        np.testing.assert_array_equal(snap.positions[i, j], path[snap.diverged_step[i, j] - 1])


def test_runs_not_there_yet_are_not_converged_and_the_counts_add_up():
    snap = basins.snapshot(basins.step(basins.init(basins.BasinConfig(grid=10, params={"lr": 1e-3})), 20))
    assert snap.not_converged > 0
    assert snap.counts.sum() + snap.not_converged + snap.diverged == 100
    assert ((snap.minimum == basins.NOT_CONVERGED) == (snap.arrival_step == basins.NOT_ARRIVED)).all()


def test_grid_layout_rows_along_y_columns_along_x():
    state = basins.init(basins.BasinConfig(surface="booth", grid=4, box=(0.0, 4.0, -2.0, 2.0)))
    snap = basins.snapshot(state)
    np.testing.assert_allclose(snap.xs, [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(snap.ys, [-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_array_equal(snap.positions[1, 3], [3.5, -0.5])
    assert snap.box == (0.0, 4.0, -2.0, 2.0) and snap.step == 0
    assert snap.params == O.OPTIMIZERS["sgd"].resolve({"lr": 0.01})
    for array in (snap.positions, snap.minimum, snap.diverged_step, snap.xs, snap.counts):
        assert not array.flags.writeable


def test_a_start_on_a_minimum_has_arrived_at_step_zero():
    # booth's minimum (1, 3) is the centre cell of a 3 x 3 grid over [-0.5, 2.5] x [1.5, 4.5]
    snap = basins.snapshot(basins.init(basins.BasinConfig(surface="booth", grid=3, box=(-0.5, 2.5, 1.5, 4.5))))
    assert snap.minimum[1, 1] == 0 and snap.arrival_step[1, 1] == 0 and snap.counts[0] == 1
    assert (np.delete(snap.minimum.ravel(), 4) == basins.NOT_CONVERGED).all()


def test_a_surface_without_minima_has_no_basins():
    snap = basins.snapshot(basins.step(basins.init(basins.BasinConfig(surface="saddle", grid=4)), 30))
    assert snap.counts.shape == (0,) and set(np.unique(snap.minimum)) <= {-1, -2}


@pytest.mark.parametrize("config, message", [
    (basins.BasinConfig(box=(1.0, 1.0, 0.0, 1.0)), "bad box"),
    (basins.BasinConfig(box=(0.0, 1.0, 0.0, np.inf)), "for box: expected a comma-separated list of 4 finite"),
    (basins.BasinConfig(grid=1), "bad value '1' for grid"),
    (basins.BasinConfig(tolerance=0.0), "bad value '0' for tolerance"),
    (basins.BasinConfig(optimizer="lion"), "unknown optimizer 'lion'"),
    (basins.BasinConfig(params={"momentum": -0.5}), "bad value '-0.5' for momentum"),  # torch: momentum >= 0
])
def test_bad_configurations_raise_param_errors(config, message):
    with pytest.raises(ParamError, match=message):
        basins.init(config)


# ---------------------------------------------------------------------- a sweep over momentum, one batch
def _direct_sweep_counts(config, values, steps):
    """Per value, (at the global minimum, at the local one, at none, diverged): each value's grid by itself."""
    surface = get_surface(config.surface)
    minima = np.concatenate([surface.minima, surface.local_minima])
    xs, ys = basins.grid_axes(surface.view if config.box is None else config.box, config.grid)
    starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    rows = []
    for value in values:
        optimizer = O.OPTIMIZERS[config.optimizer](**{**config.params, "momentum": value})
        with np.errstate(all="ignore"):
            path = O.trajectory(optimizer, starts, surface.gradient, steps)
            finite = (np.isfinite(path).all(axis=2) & np.isfinite(surface.f(path))).all(axis=0)
        end = path[-1]
        distance = np.hypot(end[:, None, 0] - minima[None, :, 0], end[:, None, 1] - minima[None, :, 1])
        at = np.where(distance.min(axis=1) <= config.tolerance, distance.argmin(axis=1), -1)
        at[~finite] = -2
        rows.append((int((at >= 0).sum() - (at >= len(surface.minima)).sum()), int((at >= len(surface.minima)).sum()),
                     int((at == -1).sum()), int((at == -2).sum())))
    return rows


def test_the_momentum_sweep_on_two_wells_equals_each_momentum_run_by_itself():
    config = basins.BasinConfig(surface="two_wells", params={"lr": 0.05}, grid=20)
    state = basins.step(basins.sweep_init(config, "momentum", basins.MOMENTA), 300)
    sweep = basins.sweep_snapshot(state)
    assert sweep.minimum.shape == (4, 20, 20) and sweep.values.tolist() == list(basins.MOMENTA)
    got = list(zip(sweep.reached_global.tolist(), sweep.local.tolist(), sweep.not_converged.tolist(),
                   sweep.diverged.tolist(), strict=True))
    assert got == _direct_sweep_counts(config, basins.MOMENTA, 300)
    # momentum 0.9 carries starts of the shallow well over the ridge; 0.98 still swings after 300 steps
    assert sweep.reached_global[2] > sweep.reached_global[0] > 0 and sweep.local[2] < sweep.local[0]
    assert sweep.not_converged[3] > sweep.not_converged[2]
    assert sweep.counts.shape == (4, 2) and sweep.global_minima == 1
    np.testing.assert_array_equal(sweep.minima, [[2.0, 0.0], [-1.0, 0.0]])


def test_the_rastrigin_sweep_gives_the_issues_conditional_numbers():
    """16 of 1600 starts without momentum, 4 with 0.9, 64 with 0.98: momentum helps or hurts."""
    config = basins.BasinConfig(surface="rastrigin", params={"lr": 0.005}, grid=40)
    sweep = basins.sweep_snapshot(basins.step(basins.sweep_init(config), 2000))
    assert sweep.reached_global.tolist() == [16, 16, 4, 64]
    single = basins.snapshot(basins.step(basins.init(basins.BasinConfig(
        surface="rastrigin", params={"lr": 0.005, "momentum": 0.98}, grid=40)), 2000))
    np.testing.assert_array_equal(sweep.minimum[3], single.minimum)


def test_a_sweep_needs_the_hyperparameter_and_checks_every_value():
    config = basins.BasinConfig(surface="two_wells", grid=4)
    with pytest.raises(ParamError, match="adam has no momentum"):
        basins.sweep_init(basins.BasinConfig(optimizer="adam", grid=4))
    with pytest.raises(ParamError, match=r"bad value '-0\.5' for momentum"):
        basins.sweep_init(config, "momentum", (0.0, -0.5))
    with pytest.raises(ValueError, match="not a sweep"):
        basins.sweep_snapshot(basins.init(config))


def test_a_plain_map_of_two_wells_tells_the_local_well_from_still_moving():
    snap = basins.snapshot(basins.step(basins.init(basins.BasinConfig(surface="two_wells", params={"lr": 0.05},
                                                                      grid=10)), 300))
    assert snap.global_minima == 1 and len(snap.minima) == 2 and snap.counts.sum() == 100
    assert snap.counts[0] > 0 and snap.counts[1] > 0  # both wells hold starts of plain descent
    left = snap.xs < 0
    assert (snap.minimum[:, left] == 1).all() and (snap.minimum[:, ~left] == 0).all()
