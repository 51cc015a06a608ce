"""Random search: ranges, the drawn samples, one batch that equals each sample alone, and the ranking."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tui_dl.engine.experiments import search as S
from tui_dl.engine.experiments import training as T
from tui_dl.engine.streams import Streams, root_of
from tui_dl.params import ParamError

SMALL = T.TrainConfig(dataset_params={"train_samples": 60, "val_samples": 100}, hidden=(16, 16), batch_size=20,
                      epochs=6, dtype="float64")


def test_log_uniform_and_uniform_draws_cover_their_range():
    rng = np.random.default_rng(0)
    values = S.Range("lr", 1e-6, 1e-2).draw(rng, 20000)
    assert values.min() >= 1e-6 and values.max() <= 1e-2
    exponents = np.log10(values)
    counts, _ = np.histogram(exponents, bins=4, range=(-6, -2))
    assert (np.abs(counts - 5000) < 300).all()  # one decade as likely as the next
    linear = S.Range("momentum", 0.5, 0.9, "linear").draw(rng, 20000)
    assert 0.5 <= linear.min() and linear.max() <= 0.9 and abs(linear.mean() - 0.7) < 0.01


@pytest.mark.parametrize(("text", "expected"), [
    ("lr=1e-6:1e-2", S.Range("lr", 1e-6, 1e-2)),
    (" momentum = 0.5:0.99:linear", S.Range("momentum", 0.5, 0.99, "linear")),
])
def test_parse_range(text, expected):
    assert S.parse_range(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("lr", "expected NAME=LOW:HIGH"),
    ("lr=1:2:cubic", "scale 'cubic'"),
    ("lr=a:b", "must be numbers"),
])
def test_bad_range_texts(text, message):
    with pytest.raises(ParamError, match=message):
        S.parse_range(text)


@pytest.mark.parametrize(("ranges", "message"), [
    ((S.Range("batch_size", 1, 10),), "cannot search 'batch_size'"),
    ((S.Range("lr", 1e-3, 1e-1), S.Range("lr", 1e-2, 1e-1)), "lr is searched twice"),
    ((S.Range("lr", 1e-1, 1e-3),), "low must be below high"),
    ((S.Range("l2", 0.0, 1e-3),), "needs low > 0"),
    ((S.Range("dropout", 0.1, 1.0, "linear"),), "bad value '1' for dropout"),
    ((), "nothing to search"),
])
def test_bad_searches_are_one_line_errors(ranges, message):
    with pytest.raises(ParamError, match=message):
        S.init(S.SearchConfig(SMALL, ranges, 4), np.random.default_rng(0))


def test_samples_train_paired_in_one_batch_and_each_equals_itself_alone():
    config = S.SearchConfig(replace(SMALL, optimizer="sgd"), (S.Range("lr", 1e-3, 3e-1),
                                                             S.Range("momentum", 0.0, 0.95, "linear")), 6)
    state = S.init(config, np.random.default_rng(3))
    assert (state.train.params == state.train.params[0]).all()  # paired: one set of initial weights
    assert type(state.train.opt_state).__name__ == "SGDState"  # 6 momenta, one update
    lrs = [v.lr for v in state.train.config.variants]
    momenta = [dict(v.optimizer_params)["momentum"] for v in state.train.config.variants]
    np.testing.assert_array_equal(state.values, np.column_stack([lrs, momenta]))
    assert len(set(lrs)) == 6 and all(1e-3 <= lr <= 3e-1 for lr in lrs)
    snap = S.snapshot(S.step(state, 6))
    assert snap.metric == "val_acc" and snap.higher_is_better
    assert list(snap.score[snap.order]) == sorted(snap.score, reverse=True)
    best = int(snap.order[0])
    variant = state.train.config.variants[best]
    alone = T.init(replace(config.train, variants=(variant,)), np.random.default_rng(3),
                   Streams(root_of(_after_draw(3)), [0]))
    T.step(alone, 6)
    np.testing.assert_allclose(T.snapshot(alone).val_acc[0], snap.train.val_acc[best])


def _after_draw(seed: int) -> np.random.Generator:
    """A Generator whose next spawned child is the one init's training spawns (after the samples' child)."""
    rng = np.random.default_rng(seed)
    rng.spawn(1)
    return rng


def test_diverged_samples_rank_last_and_regression_ranks_by_loss():
    config = S.SearchConfig(replace(SMALL, dataset="plane", dataset_params={}, optimizer="sgd"),
                            (S.Range("lr", 1e-3, 1e3),), 8)
    snap = S.snapshot(S.step(S.init(config, np.random.default_rng(0)), 6))  # 4 of 8 rates blow up
    assert snap.metric == "val_loss" and not snap.higher_is_better
    diverged = snap.train.diverged_epoch >= 0
    assert diverged.any() and not diverged.all()
    ranked = snap.order.tolist()
    assert set(ranked[-diverged.sum():]) == set(np.flatnonzero(diverged).tolist())
    finite = snap.score[snap.order[: (~diverged).sum()]]
    assert list(finite) == sorted(finite)  # lowest loss first
    assert np.isnan(snap.score[diverged]).all()


def test_a_snapshot_of_selected_runs_keeps_their_rows():
    config = S.SearchConfig(SMALL, (S.Range("lr", 1e-3, 1e-1),), 5)
    snap = S.snapshot(S.step(S.init(config, np.random.default_rng(0)), 3))
    best = snap.train.select(snap.order[:2])
    assert best.labels == tuple(snap.train.labels[i] for i in snap.order[:2]) and best.seeds == 1
    np.testing.assert_array_equal(best.val_acc, snap.train.val_acc[snap.order[:2]])
    assert best.grid is None and best.best_epoch.shape == (2,)  # a search draws no decision regions


def test_a_snapshot_before_the_first_epoch_has_no_scores_yet():
    snap = S.snapshot(S.init(S.SearchConfig(SMALL, samples=3), np.random.default_rng(0)))
    assert snap.train.epoch == 0 and np.isnan(snap.score).all() and sorted(snap.order) == [0, 1, 2]
    np.testing.assert_array_equal(S.final_values(np.array([[1.0, np.nan], [np.nan, np.nan], [1.0, 2.0]])),
                                  [1.0, np.nan, 2.0])
