"""Learning rate too low, right, too high: the sweep's verdicts against the runs themselves."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tui_dl.engine.experiments import lr_range, rate_sweep, training


@pytest.fixture(scope="module")
def trained():
    """The default sweep (SGD on the spiral, 13 rates from 1e-4 to 100) after its 30 epochs."""
    config = rate_sweep.RateSweepConfig()
    state = rate_sweep.step(rate_sweep.init(config, np.random.default_rng(0)), 30)
    return config, rate_sweep.snapshot(state)


def test_the_largest_rates_diverge_and_the_smallest_barely_move(trained):
    config, snap = trained
    lrs = snap.lrs
    assert len(lrs) == 13 and lrs[0] == pytest.approx(1e-4) and lrs[-1] == pytest.approx(100.0)
    assert rate_sweep.diverged_rates(snap) == pytest.approx(tuple(lrs[-2:]))  # 31.6 and 100
    assert rate_sweep.barely_moved_rates(snap) == pytest.approx(tuple(lrs[:2]))  # 1e-4 and 3.2e-4
    start, end = snap.losses[:, 0], snap.losses[:, -1]
    assert np.all(np.abs(end[:2] - start[:2]) < 0.05 * start[:2])
    assert np.all(end[-2:] > config.sweep.diverge_th * start[-2:])
    best = rate_sweep.best_rate(snap)
    assert lrs[2] < best < lrs[-3] and end[lrs == best][0] < 0.3 * start[0]  # the right rate learns


def test_a_rate_above_the_best_that_stalls_is_not_called_slow(trained):
    """A too-high rate can end near its start, bouncing across the valley (3.2 did, with one numpy's sums and
    not another's): 'the loss barely fell' names only the rates below the best one, the too-low ones."""
    _, snap = trained
    losses = np.array(snap.losses)
    losses[9, -1] = 1.01 * losses[9, 0]  # lr 3.2 ends within 5% of its start
    stalled = replace(snap, losses=losses)
    assert rate_sweep.best_rate(stalled) < stalled.lrs[9] and not stalled.sweep.diverged[9]
    assert rate_sweep.barely_moved_rates(stalled) == pytest.approx(tuple(snap.lrs[:2]))
    losses[1, -1] = 0.5 * losses[1, 0]  # a learning rate below the best is not named either
    assert rate_sweep.barely_moved_rates(replace(snap, losses=losses)) == pytest.approx((snap.lrs[0],))


def test_diverged_runs_are_marked_at_the_first_epoch_above_the_line(trained):
    config, snap = trained
    line = config.sweep.diverge_th * snap.losses[:, 0]
    for run in range(len(snap.lrs)):
        if not snap.sweep.diverged[run]:
            assert snap.diverged_at[run] == -1
            continue
        above = [t for t in range(snap.losses.shape[1]) if not snap.losses[run, t] <= line[run]]
        assert snap.diverged_at[run] == above[0]


def test_the_suggestion_is_the_range_test_on_the_same_network_and_data(trained):
    config, snap = trained
    rng = np.random.default_rng(0)
    sweep = lr_range.parallel_init(config.sweep, rng)
    test = rate_sweep.range_config(config)
    test = replace(test, train=replace(test.train, data=sweep.train.dataset))
    assert snap.suggestion == lr_range.suggested_rates(test, rng)[0]
    assert snap.lrs[0] < snap.suggestion < snap.lrs[-1]
    assert snap.suggestion not in rate_sweep.diverged_rates(snap)


def test_at_step_zero_every_run_is_where_it_started_and_nothing_is_judged():
    config = rate_sweep.RateSweepConfig(sweep=replace(rate_sweep.RateSweepConfig().sweep, count=3,
                                                      train=training.TrainConfig(optimizer="sgd", epochs=2)))
    snap = rate_sweep.snapshot(rate_sweep.init(config, np.random.default_rng(1)))
    assert snap.losses.shape == (3, 1) and np.isnan(rate_sweep.best_rate(snap))
    assert rate_sweep.diverged_rates(snap) == () and len(rate_sweep.barely_moved_rates(snap)) == 3
    assert not snap.losses.flags.writeable
