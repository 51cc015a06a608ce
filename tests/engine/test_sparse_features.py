"""Rare features: Adagrad's effective steps are larger for rare features, SGD's are equal; Adagrad's updates shrink."""

from __future__ import annotations

import numpy as np
import pytest

from tui_dl.engine.experiments import sparse_features as sf
from tui_dl.engine.optimizers import OPTIMIZERS


@pytest.fixture(scope="module")
def run():
    """The four optimizers on 24 features present 0.5 to 0.002 of the time, 3000 mini-batches of 32."""
    state = sf.init(sf.SparseConfig(), np.random.default_rng(0))
    return state, sf.snapshot(sf.step(state, 3000))


def test_the_features_frequencies_span_more_than_100x(run):
    _, snap = run
    assert snap.frequency[0] / snap.frequency[-1] == pytest.approx(250)
    assert snap.seen.max() / snap.seen.min() > 100  # as drawn: 0.499 against 0.0018
    np.testing.assert_allclose(snap.seen, snap.frequency, rtol=0.5)


def test_adagrad_gives_rare_features_larger_steps_and_sgd_equal_ones(run):
    _, snap = run
    ratios = sf.rare_to_frequent(snap)
    assert ratios["SGD"] == 1.0
    np.testing.assert_array_equal(snap.step_size[0], 0.5)  # lr for every feature
    assert ratios["Adagrad"] > 10  # 12.6: the rarest quarter's median step over the most frequent quarter's
    adagrad = snap.step_size[1]
    order = np.argsort(snap.seen)
    assert adagrad[order[:6]].min() > adagrad[order[-6:]].max()  # every rare step above every frequent one
    assert np.corrcoef(np.log(snap.seen), np.log(adagrad))[0, 1] < -0.95  # about lr / sqrt(count)
    assert ratios["RMSprop"] > 5 and ratios["Adam"] > 5  # their averages forget, so rare features win there too


def test_adagrad_step_is_its_rate_over_the_root_of_the_summed_squared_gradients(run):
    state, snap = run
    _, _, opt_state = next(g for g in state.groups if g[1].tolist() == [1])
    expected = 0.5 / (np.sqrt(opt_state.sum[0, :-1]) + OPTIMIZERS["adagrad"].resolve({})["eps"])
    np.testing.assert_allclose(snap.step_size[1], expected)


def test_adagrads_updates_shrink_while_the_others_keep_moving(run):
    _, snap = run
    shrunk = sf.stall(snap)
    assert shrunk["Adagrad"] < 0.2  # 0.15: the last 100 steps' |delta theta| against steps 10..110
    assert shrunk["SGD"] > 0.6 and shrunk["RMSprop"] > 0.5  # 0.78, 0.68
    assert snap.update.shape == (3000, 4) and snap.loss.shape == (3001, 4)
    assert np.all(np.diff(np.log(snap.update[[10, 100, 1000, 2999], 1])) < 0)


def test_nothing_is_claimed_for_a_feature_before_a_batch_holds_it():
    state = sf.init(sf.SparseConfig(), np.random.default_rng(0))
    assert np.isnan(sf.snapshot(state).step_size).all()
    snap = sf.snapshot(sf.step(state, 1))
    unseen = state.occurrences == 0
    assert unseen.any() and np.isnan(snap.step_size[:, unseen]).all() and np.isfinite(snap.step_size[:, ~unseen]).all()


def test_runs_are_paired_each_as_if_alone():
    config = sf.SparseConfig(samples=500)
    together = sf.snapshot(sf.step(sf.init(config, np.random.default_rng(3)), 50))
    for r, runner in enumerate(config.runners):
        alone = sf.snapshot(sf.step(sf.init(sf.SparseConfig(samples=500, runners=(runner,)),
                                            np.random.default_rng(3)), 50))
        np.testing.assert_allclose(alone.loss[:, 0], together.loss[:, r], rtol=1e-12)


def test_a_rarest_frequency_not_below_the_commonest_is_refused_before_any_data_is_drawn():
    from tui_dl.params import ParamError

    with pytest.raises(ParamError, match="expected below most"):
        sf.check(sf.SparseConfig(most=0.1, least=0.1))
