"""LR range test (torch-lr-finder's conventions) and the parallel learning-rate sweep."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tui_dl.engine.experiments import lr_range as L
from tui_dl.engine.experiments import training as T
from tui_dl.engine.experiments import variants as V
from tui_dl.engine.experiments.optimizer_groups import Member
from tui_dl.engine.streams import Streams, root_of
from tui_dl.params import ParamError

SMALL = T.TrainConfig(dataset_params={"train_samples": 60, "val_samples": 50}, hidden=(16, 16), batch_size=16,
                      dtype="float64")
ADAM, SGD = Member("adam", "adam", {}), Member("sgd", "sgd", {})


def sweep(config, seed=0, iterations=None, streams=None):
    state = L.init(config, np.random.default_rng(seed), streams)
    L.step(state, config.iterations if iterations is None else iterations)
    return state, L.snapshot(state)


# ------------------------------------------------------------------------------ the sweep's rates
def test_sweep_rates_are_exactly_geometric_from_start_to_end():
    rates = L.sweep_rates(1e-7, 10.0, 100)
    assert rates[0] == 1e-7 and rates[-1] == pytest.approx(10.0, rel=1e-14)
    np.testing.assert_allclose(rates[1:] / rates[:-1], 10 ** (8 / 99), rtol=1e-12)
    _, snap = sweep(L.LRRangeConfig(train=SMALL, iterations=100), iterations=30)
    np.testing.assert_array_equal(snap.rates, rates)
    np.testing.assert_array_equal(snap.lrs[0], rates[:30])


@pytest.mark.parametrize(("low", "high", "message"), [
    (1e-320, 1.0, "bad range 1e-320 .. 1: {end} / {start} is past the largest float (1.8e308); raise {start} "
                  "or lower {end}"),  # every rate was inf: 'bad value 'inf' for lr'
    (1e-3, 1e308, "bad range 0.001 .. 1e+308: {end} / {start} is past the largest float"),
    (2.0, 1.0, "bad range 2 .. 1: {start} must be below {end}"),
])
def test_a_range_whose_ratio_is_no_float_is_refused_by_name(low, high, message):
    for start, end, check in (("start_lr", "end_lr", lambda: L.init(L.LRRangeConfig(
            train=SMALL, start_lr=low, end_lr=high), np.random.default_rng(0))),
                              ("low", "high", lambda: L.parallel_train_config(L.ParallelSweepConfig(
                                  train=SMALL, low=low, high=high)))):
        with pytest.raises(ParamError) as refused:
            check()
        assert str(refused.value).startswith(message.format(start=start, end=end))
    assert np.all(np.isfinite(L.sweep_rates(1e-150, 1e150, 5)))  # within the range: every rate a float


def test_each_iteration_trains_at_its_rate():
    """Full-batch plain SGD: theta_{i+1} = theta_i - lr_i * grad(theta_i), with lr_i of the sweep."""
    config = L.LRRangeConfig(train=replace(SMALL, optimizer="sgd", batch_size=60), sweeps=(SGD,),
                             start_lr=1e-3, end_lr=1.0, iterations=4)
    state = L.init(config, np.random.default_rng(2))
    group = state.groups.states[0]
    for rate in L.sweep_rates(1e-3, 1.0, 4)[:3]:
        before = group.params.copy()
        grads = group.model.loss_and_grad(before, group.x_train, group.y_train).grads
        L.step(state, 1)
        np.testing.assert_allclose(group.params, before - rate * grads, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------------------ smoothing
def test_smoothing_is_torch_lr_finders_moving_average():
    np.testing.assert_allclose(L.smooth_losses([[1.0, 2.0, 3.0]], 0.5), [[1.0, 1.5, 2.25]])
    _, snap = sweep(L.LRRangeConfig(train=SMALL, iterations=20))
    loss = snap.loss[0]
    expected = [loss[0]]
    for value in loss[1:]:
        expected.append(0.05 * value + 0.95 * expected[-1])
    np.testing.assert_allclose(snap.smoothed[0], expected, rtol=1e-13)
    assert snap.best[0] == pytest.approx(min(expected), rel=1e-13)


def test_smooth_f_zero_records_the_raw_loss():
    _, snap = sweep(L.LRRangeConfig(train=SMALL, iterations=12, smooth_f=0.0))
    np.testing.assert_array_equal(snap.smoothed, snap.loss)


# ----------------------------------------------------------------------------------- suggestion
def _reference_steepest(losses, skip_start, skip_end):
    """torch-lr-finder's plot(): np.gradient of the trimmed losses, argmin."""
    trimmed = losses[skip_start:len(losses) - skip_end] if skip_end else losses[skip_start:]
    return skip_start + int(np.gradient(np.asarray(trimmed)).argmin())


def test_steepest_matches_torch_lr_finder_on_random_curves_of_several_lengths():
    rng = np.random.default_rng(7)
    curves = rng.normal(size=(6, 40)).cumsum(axis=1)
    lengths = np.array([40, 33, 18, 17, 16, 2])
    index = L.steepest_index(curves, lengths, 10, 5)
    for r in range(4):
        assert index[r] == _reference_steepest(curves[r, :lengths[r]], 10, 5)
    assert index[4] == -1 and index[5] == -1  # 16 points leave one after trimming 10 + 5
    assert L.steepest_index(curves[:1], [40], 0, 0)[0] == _reference_steepest(curves[0], 0, 0)


def test_suggestion_on_a_known_curve_is_its_steepest_point():
    """A loss that falls along a tanh centred at iteration 40, bottoms out, then rises with a sharp dip."""
    i = np.arange(100.0)
    curve = 2.0 - np.tanh((i - 40) / 6) + 0.05 * np.maximum(i - 70, 0) ** 1.5
    curve[86:] -= 3.0  # a cliff after the minimum: torch-lr-finder's steepest falls for it
    index = L.steepest_index(curve[None], [100], 10, 5)
    assert index[0] == 85 or index[0] == 86
    assert L.steepest_index(curve[None], [100], 10, 5, before_minimum=True)[0] == 40


def test_suggestion_is_nan_until_enough_points():
    config = L.LRRangeConfig(train=SMALL, iterations=40)
    state = L.init(config, np.random.default_rng(1))  # a seed whose first 17 losses fall somewhere
    L.step(state, 16)
    assert np.isnan(L.snapshot(state).suggestion[0]) and L.snapshot(state).suggestion_index[0] == -1
    L.step(state, 1)  # 17 points: two left between skip_start = 10 and skip_end = 5
    snap = L.snapshot(state)
    assert snap.suggestion_index[0] in (10, 11) and snap.suggestion[0] == snap.rates[snap.suggestion_index[0]]


def test_default_spiral_suggests_a_sensible_rate_that_trains():
    config = L.LRRangeConfig(sweeps=(Member("adam 1", "adam", {}), Member("adam 2", "adam", {})))
    _, snap = sweep(config, seed=3)
    assert ((snap.suggestion > 1e-4) & (snap.suggestion < 1.0)).all(), snap.suggestion
    for rate in snap.suggestion:
        train = replace(T.TrainConfig(), lr=float(rate), epochs=20, variants=(V.make_variant(),))
        state = T.init(train, np.random.default_rng(3))
        initial, _ = state.model.evaluate(state.params, state.x_train, state.y_train)
        T.step(state, 20)
        assert T.snapshot(state).train_data_loss[0, -1] < 0.5 * initial[0]


# ----------------------------------------------------------------------------------- divergence
def test_divergence_stops_that_sweep_only():
    config = L.LRRangeConfig(train=replace(SMALL, dataset="sine", dataset_params={}), sweeps=(SGD, ADAM),
                             iterations=60)
    state, snap = sweep(config, iterations=50)  # RuntimeWarnings are errors in this test suite
    stop = int(snap.diverged_iteration[0])
    assert 0 < stop < 49 and snap.diverged_iteration[1] == -1 and not snap.finished
    smoothed = snap.smoothed[0, : stop + 1]
    best = np.minimum.accumulate(smoothed)
    assert (smoothed[:stop] <= 5 * best[:stop]).all()
    assert not smoothed[stop] <= 5 * best[stop]  # above the threshold, or not finite
    assert np.isnan(snap.lrs[0, stop + 1:]).all() and np.isnan(snap.loss[0, stop + 1:]).all()
    assert np.isfinite(snap.loss[1]).all() and snap.iteration == 50
    sgd_group = state.groups.states[0]
    frozen = sgd_group.params.copy()
    assert not sgd_group.active.any()
    L.step(state, 20)
    np.testing.assert_array_equal(sgd_group.params, frozen)
    later = L.snapshot(state)
    assert later.finished and (later.iteration == 60 or (later.diverged_iteration >= 0).all())


def test_the_test_ends_when_every_sweep_diverged():
    config = L.LRRangeConfig(train=replace(SMALL, dataset="sine", dataset_params={}, optimizer="sgd"),
                             start_lr=1.0, end_lr=1e4, iterations=80)
    state, snap = sweep(config)
    assert snap.finished and snap.diverged_iteration[0] >= 0 and snap.iteration == snap.diverged_iteration[0] + 1
    L.step(state, 5)
    assert L.snapshot(state).iteration == snap.iteration


# ---------------------------------------------------------------------------- batched = alone
def test_each_sweep_computes_what_it_computes_alone():
    members = (ADAM, Member("momentum", "sgd", {"momentum": 0.9}), Member("adam again", "adam", {}))
    config = L.LRRangeConfig(train=SMALL, sweeps=members, iterations=30)
    _, together = sweep(config, seed=4)
    assert together.labels == ("adam", "momentum", "adam again") and together.optimizers == ("adam", "sgd", "adam")
    np.testing.assert_array_equal(together.loss[0], together.loss[2])  # paired: same weights and batches
    independent = replace(config, train=replace(SMALL, paired=False))
    _, apart = sweep(independent, seed=4)
    assert not np.allclose(apart.loss[0], apart.loss[2])  # unpaired: own weights and shuffles per sweep
    root = root_of(np.random.default_rng(4))
    for r in range(3):
        _, alone = sweep(replace(independent, sweeps=members[r:r + 1]), seed=4, streams=Streams(root, [r]))
        np.testing.assert_allclose(alone.loss[0], apart.loss[r], rtol=1e-12)


@pytest.mark.parametrize(("changes", "message"), [
    ({"start_lr": 1.0, "end_lr": 0.1}, "start_lr must be below end_lr"),
    ({"smooth_f": 1.0}, "smooth_f"),
    ({"iterations": 1}, "iterations"),
    ({"diverge_th": 1.0}, "diverge_th"),
    ({"train": replace(SMALL, schedule="cosine_decay")}, "schedule must be constant"),
])
def test_bad_settings_are_param_errors(changes, message):
    with pytest.raises(ParamError, match=message):
        L.init(replace(L.LRRangeConfig(train=SMALL), **changes), np.random.default_rng(0))


# ------------------------------------------------------------------------------- parallel sweep
def test_parallel_sweep_tiny_rates_stay_huge_rates_diverge_middle_rates_learn():
    train = replace(SMALL, dataset="sine", dataset_params={}, hidden=(32, 32), optimizer="sgd", epochs=10)
    config = L.ParallelSweepConfig(train=train, low=1e-5, high=10.0, count=8)
    state = L.parallel_init(config, np.random.default_rng(0))
    L.parallel_step(state, 10)
    snap = L.parallel_snapshot(state)
    np.testing.assert_allclose(snap.lrs, L.sweep_rates(1e-5, 10.0, 8))
    assert snap.labels[0] == "lr 1e-5" and snap.epoch == 10 and snap.finished
    assert np.ptp(snap.initial_loss) == 0  # same_init: every run starts from the same weights
    tiny, middle, huge = slice(0, 1), slice(2, 5), slice(5, 8)
    assert abs(snap.final_loss[tiny] / snap.initial_loss[tiny] - 1) < 0.1
    assert (snap.final_loss[middle] < 0.5 * snap.initial_loss[middle]).all() and not snap.diverged[middle].any()
    assert snap.diverged[huge].all() and not snap.diverged[:5].any()
    assert (snap.diverged_epoch[huge] >= 0).any()  # at least one went to NaN, the others far above
    assert (snap.best_loss <= np.where(np.isfinite(snap.final_loss), snap.final_loss, np.inf)).all()


def test_parallel_sweep_without_same_init_gives_each_run_its_own_weights():
    config = L.ParallelSweepConfig(train=replace(SMALL, epochs=1), count=3, same_init=False)
    state = L.parallel_init(config, np.random.default_rng(0))
    assert len(set(state.initial_loss.tolist())) == 3
    with pytest.raises(ParamError, match="low must be below high"):
        L.parallel_init(replace(config, low=1.0, high=1.0), np.random.default_rng(0))
