"""The training experiment: variants, Keras's History semantics, overfitting, early stopping,
divergence, determinism and batched = one by one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tui_dl.engine.datasets import make_dataset
from tui_dl.engine.experiments import training as T
from tui_dl.engine.experiments import variants as V
from tui_dl.engine.mlp import CLASSIFICATION
from tui_dl.engine.streams import Streams, root_of
from tui_dl.params import ParamError

# a small, fast setting that still overfits: 60 spiral points, 2 x 24 units, Adam at 1e-2
SMALL = T.TrainConfig(dataset_params={"train_samples": 60, "val_samples": 200}, hidden=(24, 24), lr=1e-2,
                      batch_size=16, epochs=60, dtype="float64", grid=8)
# wider and faster: its validation loss turns up after about ten epochs
OVERFIT = replace(SMALL, hidden=(64, 64), lr=3e-2)


def variants(*specs):
    return tuple(V.parse_variant(s) for s in specs)


def run(config, seed=0, epochs=None, streams=None):
    state = T.init(config, np.random.default_rng(seed), streams)
    T.step(state, config.epochs if epochs is None else epochs)
    return state, T.snapshot(state)


# ------------------------------------------------------------------------------------ variants
@pytest.mark.parametrize(("spec", "label", "values"), [
    ("none", "none", {}),
    ("l2=1e-3", "L2 1e-3", {"l2": 1e-3}),
    ("l1=1e-4", "L1 1e-4", {"l1": 1e-4}),
    ("dropout=0.2", "dropout 0.2", {"dropout": 0.2}),
    ("weight_decay=1e-2", "weight decay 0.01", {"weight_decay": 1e-2}),
    ("patience=10", "early stop (p=10)", {"patience": 10}),
    (" l2=2.5e-4 + dropout=0.5 ", "L2 2.5e-4 + dropout 0.5", {"l2": 2.5e-4, "dropout": 0.5}),
    ("lr=0.1+patience=3", "early stop (p=3) + lr 0.1", {"lr": 0.1, "patience": 3}),
])
def test_parse_variant_values_and_legend_labels(spec, label, values):
    variant = V.parse_variant(spec)
    assert variant == V.Variant(label, **values)


@pytest.mark.parametrize(("spec", "message"), [
    ("l3=1", "unknown key 'l3'"),
    ("l2", "expected none or KEY=VALUE"),
    ("l2=1+l2=2", "given twice"),
    ("dropout=1", "expected a float in \\[0, 1\\)"),
    ("l2=-1", "bad variant 'l2=-1'"),
    ("patience=2.5", "patience"),
    ("none+l2=1", "expected none or KEY=VALUE"),
])
def test_bad_variants_are_one_line_param_errors(spec, message):
    with pytest.raises(ParamError, match=message) as error:
        V.parse_variant(spec)
    assert "\n" not in str(error.value)


def test_compact_numbers_for_legends():
    assert [V.compact_number(v) for v in (0.2, 10, 1e-3, 2.5e-4, 0.01, 9.9996e-4, 0.0)] == [
        "0.2", "10", "1e-3", "2.5e-4", "0.01", "1e-3", "0"]


# -------------------------------------------------------------------------------------- config
def test_config_defaults_are_the_param_spec_defaults():
    config = T.TrainConfig()
    for spec in T.TRAIN_PARAMS:
        assert getattr(config, spec.name) == spec.default, spec.name


def test_set_keys_are_routed_to_config_dataset_schedule_and_optimizer():
    config = T.config_from_assignments({
        "hidden": "64,32", "lr": "0.05", "patience": "7", "restore_best_weights": "true", "noise": "0.4",
        "optimizer": "sgd", "momentum": "0.9", "schedule": "step_lr", "step_size": "50", "gamma": "0.5",
        "schedule.lr": "0.2",
    })
    assert config.hidden == (64, 32) and config.lr == 0.05 and config.patience == 7
    assert config.restore_best_weights is True
    assert config.dataset_params == {"noise": 0.4}
    assert config.optimizer_params == {"momentum": 0.9}
    assert config.schedule_params == {"step_size": 50, "gamma": 0.5, "lr": 0.2}


@pytest.mark.parametrize(("key", "message"), [
    ("nope", "unknown parameter 'nope'"),
    ("optimizer.lr", "unknown parameter 'optimizer.lr'"),  # adam's own rate comes from lr
    ("optimizer.step_size", "unknown parameter 'optimizer.step_size'"),
])
def test_unknown_set_keys_name_the_allowed_ones(key, message):
    with pytest.raises(ParamError, match=message) as error:
        T.config_from_assignments({"optimizer": "adam", key: "1"})
    assert "choose from:" in str(error.value) and "noise" in str(error.value)


def test_a_schedule_too_short_for_the_training_is_an_error():
    config = replace(SMALL, schedule="one_cycle_lr", schedule_params={"total_steps": 10})
    with pytest.raises(ParamError, match="one_cycle_lr has no valid rate at iteration 11"):
        T.init(config, np.random.default_rng(0))


# ------------------------------------------------------------------------- Keras's History
def test_full_batch_history_follows_keras_definitions():
    """With one batch per epoch and no dropout, train_loss[e] is the loss at the weights that ended epoch e - 1."""
    config = replace(SMALL, batch_size=60, epochs=6, variants=variants("none", "l2=1e-2", "l1=1e-3"))
    _, snap = run(config)
    penalty = snap.val_loss - snap.val_data_loss  # Keras adds the penalty to val_loss
    assert penalty[0] == pytest.approx(np.zeros(6)) and (penalty[1:] > 0).all()
    expected = snap.train_data_loss[:, :-1] + penalty[:, :-1]
    np.testing.assert_allclose(snap.train_loss[:, 1:], expected, rtol=1e-10)


def test_decoupled_weight_decay_scales_every_parameter_before_the_update():
    config = replace(SMALL, optimizer="sgd", lr=0.1, batch_size=60, epochs=1,
                     variants=variants("weight_decay=0.5", "none"))
    state = T.init(config, np.random.default_rng(3))
    before = state.params.copy()
    grads = state.model.loss_and_grad(before, state.x_train, state.y_train).grads
    T.step(state, 1)
    expected = before * (1 - 0.1 * np.array([0.5, 0.0]))[:, None] - 0.1 * grads
    np.testing.assert_allclose(state.params, expected, rtol=1e-9, atol=1e-12)


def test_epochs_done_counts_the_mini_batches_of_the_epoch_under_way():
    """60 samples in batches of 16: 4 mini-batches an epoch, the last one of 12 (what a progress bar reads
    while `step` trains an epoch)."""
    state = T.init(replace(SMALL, epochs=3), np.random.default_rng(0))
    T.step(state, 1)
    assert T.epochs_done(state) == 1
    order = T.epoch_order(state)
    for batch, start in enumerate((0, 16, 32), 1):
        T.train_batch(state, order[:, start:start + 16])
        assert T.epochs_done(state) == 1 + batch / 4


# -------------------------------------------------------------------------------- overfitting
def test_default_spiral_overfits_without_regularization_and_less_with_l2_or_dropout():
    config = replace(T.TrainConfig(), variants=variants("none", "l2=1e-3", "dropout=0.3"))
    _, snap = run(config)
    gap = snap.val_data_loss[:, -1] - snap.train_data_loss[:, -1]
    rise = snap.val_data_loss[:, -1] - snap.val_data_loss.min(axis=1)
    none, l2, dropout = range(3)
    assert rise[none] > 0.05 and np.argmin(snap.val_data_loss[none]) < 150  # val loss turns up, then keeps rising
    assert gap[none] > 0.2 and snap.train_acc[none, -1] > 0.97
    assert gap[l2] < 0.7 * gap[none]
    assert gap[dropout] < 0.85 * gap[none]
    assert snap.val_data_loss[l2, -1] < snap.val_data_loss[none, -1]


# ----------------------------------------------------------------------------- early stopping
def test_early_stopping_stops_at_best_plus_patience_and_freezes_only_that_run():
    config = replace(OVERFIT, variants=variants("none", "patience=4"))
    state, snap = run(config, epochs=30)
    stopped, best = int(snap.stopped_epoch[1]), int(snap.best_epoch[1])
    assert 0 < stopped < 29 and stopped == best + 4
    assert T.run_length(snap, 1) == stopped + 1
    assert np.isfinite(snap.val_loss[1, : stopped + 1]).all() and np.isnan(snap.val_loss[1, stopped + 1:]).all()
    assert snap.stopped_epoch[0] == -1 and np.isfinite(snap.val_loss[0]).all()
    assert bool(snap.finished[1]) and not snap.finished[0]
    frozen, going = state.params[1].copy(), state.params[0].copy()
    T.step(state, 2)
    np.testing.assert_array_equal(state.params[1], frozen)
    assert not np.array_equal(state.params[0], going)


def test_experiment_patience_applies_to_all_runs_and_variant_patience_wins():
    config = replace(OVERFIT, patience=2, variants=variants("none", "patience=50"))
    _, snap = run(config, epochs=40)
    assert snap.stopped_epoch[0] == snap.best_epoch[0] + 2
    assert snap.stopped_epoch[1] == -1


def test_restore_best_weights_gives_the_best_epochs_val_loss_back():
    config = replace(OVERFIT, restore_best_weights=True, epochs=25, variants=variants("patience=3", "l2=1e-3"))
    state, snap = run(config)
    assert snap.stopped_epoch[0] >= 0 and snap.stopped_epoch[1] == -1  # the second restores at the end
    now = T.evaluate(state)["val_loss"]
    for r in range(2):
        assert now[r] == pytest.approx(snap.val_loss[r, snap.best_epoch[r]], rel=1e-12)


def test_no_patience_means_no_early_stopping():
    _, snap = run(replace(SMALL, epochs=40, variants=variants("none")))
    assert snap.epoch == 40 and snap.stopped_epoch[0] == -1 and snap.best_epoch[0] >= 0


# --------------------------------------------------------------------------------- divergence
def test_a_diverging_variant_freezes_alone_without_warnings():
    config = replace(SMALL, optimizer="sgd", lr=0.05, epochs=12, dtype="float32",
                     variants=variants("none", "lr=1e6", "l2=1e-3"))
    _, snap = run(config)  # RuntimeWarnings are errors in this test suite (overflow, inf - inf ...)
    assert snap.diverged_epoch.tolist()[0] == -1 and snap.diverged_epoch[2] == -1
    diverged = int(snap.diverged_epoch[1])
    assert diverged >= 0 and bool(snap.finished[1])
    assert np.isnan(snap.train_loss[1, diverged + 1:]).all()
    assert np.isfinite(snap.val_loss[[0, 2]]).all() and snap.epoch == 12
    _, alone = run(replace(config, variants=config.variants[:1]))
    np.testing.assert_allclose(alone.val_loss[0], snap.val_loss[0], rtol=1e-6)


# -------------------------------------------------------------------- determinism and batching
def test_same_seed_same_numbers_other_seed_other_numbers():
    config = replace(SMALL, epochs=5, dtype="float32", variants=variants("none", "dropout=0.2"))
    _, first = run(config, seed=11)
    _, again = run(config, seed=11)
    _, other = run(config, seed=12)
    np.testing.assert_array_equal(first.train_loss, again.train_loss)
    np.testing.assert_array_equal(first.val_acc, again.val_acc)
    assert not np.array_equal(first.train_loss, other.train_loss)


def test_batched_runs_equal_each_run_trained_alone():
    config = replace(SMALL, epochs=8, variants=variants(
        "none", "l2=1e-3", "l1=1e-4+dropout=0.3", "weight_decay=0.1", "dropout=0.5+patience=2", "lr=3e-3"))
    root = root_of(np.random.default_rng(5))
    for paired in (True, False):
        _, together = run(replace(config, paired=paired), seed=5)
        for r, variant in enumerate(config.variants):
            streams = Streams(root, [0 if paired else r])
            _, alone = run(replace(config, variants=(variant,)), seed=5, streams=streams)
            for key in T.HISTORY_KEYS:
                np.testing.assert_allclose(getattr(alone, key)[0], getattr(together, key)[r], rtol=1e-12,
                                           err_msg=key)
            assert alone.stopped_epoch[0] == together.stopped_epoch[r]


# ------------------------------------------------------------------------------------- pairing
def test_paired_variants_share_weights_batches_and_masks():
    config = replace(OVERFIT, epochs=30, variants=variants("none", "none", "patience=3", "dropout=0.3",
                                                           "dropout=0.3", "l2=1e-3"))
    state = T.init(config, np.random.default_rng(3))
    assert (state.params == state.params[0]).all()  # one set of initial weights
    T.step(state, 30)
    snap = T.snapshot(state)
    np.testing.assert_array_equal(snap.val_loss[0], snap.val_loss[1])
    np.testing.assert_array_equal(snap.val_loss[3], snap.val_loss[4])  # equal rates, equal masks
    stop = int(snap.stopped_epoch[2])
    assert 0 <= stop < 29  # early stopping is the `none` curve cut at the stop
    np.testing.assert_array_equal(snap.val_loss[2, :stop + 1], snap.val_loss[0, :stop + 1])
    assert np.isnan(snap.val_loss[2, stop + 1:]).all()
    assert not np.allclose(snap.val_loss[0], snap.val_loss[5])  # and L2 changes what it should


def test_unpaired_variants_draw_their_own_numbers():
    config = replace(SMALL, epochs=3, paired=False, variants=variants("none", "none"))
    state = T.init(config, np.random.default_rng(3))
    assert not np.allclose(state.params[0], state.params[1])
    T.step(state, 3)
    assert not np.allclose(T.snapshot(state).val_loss[0], T.snapshot(state).val_loss[1])


def test_higher_dropout_rates_drop_a_superset_of_the_units():
    config = replace(SMALL, epochs=1, variants=variants("dropout=0.2", "dropout=0.5", "none"))
    state = T.init(config, np.random.default_rng(1))
    masks = np.concatenate(T._dropout_masks(state, 16, None), axis=2)
    low, high = masks[0] == 0, masks[1] == 0
    assert (high | ~low).all() and high.sum() > low.sum() > 0  # dropped at 0.2 -> dropped at 0.5
    assert (masks[2] == 1).all()
    np.testing.assert_array_equal(masks[0][~low], np.float64(1 / 0.8))


def test_seeds_train_every_variant_under_each_seed():
    config = replace(SMALL, epochs=4, seeds=3, variants=variants("none", "dropout=0.3"))
    _, snap = run(config, seed=2)
    assert config.runs == 6 and snap.val_loss.shape == (6, 4) and snap.seeds == 3
    assert snap.labels == ("none",) * 3 + ("dropout 0.3",) * 3
    assert len({tuple(row) for row in snap.val_loss[:3]}) == 3  # three seeds, three curves
    initial = T.init(config, np.random.default_rng(2)).params
    np.testing.assert_array_equal(initial[0], initial[3])  # seed 0 of each variant: paired
    assert not np.allclose(initial[0], initial[1])
    _, single = run(replace(config, seeds=1), seed=2)  # seed 0 is the one-seed experiment
    np.testing.assert_array_equal(single.val_loss, snap.val_loss[[0, 3]])
    assert snap.grid.shape[0] == 2  # decision regions of each variant's first seed
    np.testing.assert_array_equal(snap.grid, single.grid)
    root = root_of(np.random.default_rng(2))
    _, alone = run(replace(config, seeds=1, variants=config.variants[1:]), seed=2, streams=Streams(root, [2]))
    np.testing.assert_allclose(alone.val_loss[0], snap.val_loss[5], rtol=1e-12)


# ------------------------------------------------------------------------------ snapshot, tasks
def test_snapshot_shapes_grid_and_read_only_history():
    config = replace(SMALL, epochs=5, variants=variants("none", "dropout=0.2"))
    state, snap = run(config, epochs=3)
    assert snap.labels == ("none", "dropout 0.2") and snap.task == CLASSIFICATION and snap.epoch == 3
    assert snap.train_loss.shape == (2, 3) and snap.grid.shape == (2, 8, 8, 3)
    np.testing.assert_allclose(snap.grid.sum(axis=-1), 1.0, rtol=1e-12)
    assert snap.grid_box == state.dataset.box
    xs, ys = np.linspace(*snap.grid_box[:2], 8), np.linspace(*snap.grid_box[2:], 8)
    corner = state.model.predict(state.params, np.array([[xs[-1], ys[0]]]))
    np.testing.assert_allclose(snap.grid[:, 0, -1], corner[:, 0], rtol=1e-12)  # row = y, column = x
    with pytest.raises(ValueError):
        snap.train_loss[0, 0] = 1.0
    kept = snap.val_loss.copy()
    T.step(state, 2)
    np.testing.assert_array_equal(snap.val_loss, kept)  # later steps never change a snapshot
    assert T.snapshot(state).val_loss.shape == (2, 5)


def test_regression_on_sine_learns_and_has_no_accuracy_or_grid():
    config = replace(SMALL, dataset="sine", dataset_params={}, hidden=(32,), epochs=80, batch_size=10,
                     variants=variants("none", "l2=1e-2"))
    _, snap = run(config)
    assert snap.task == "regression" and snap.grid is None and snap.grid_box is None
    assert np.isnan(snap.train_acc).all() and np.isnan(snap.val_acc).all()
    assert (snap.val_data_loss[:, -1] < 0.5 * snap.val_data_loss[:, 0]).all()


def test_training_ends_at_epochs_and_file_data_is_used_as_given():
    data = make_dataset("moons", np.random.default_rng(1), train_samples=40, val_samples=40)
    config = replace(SMALL, data=data, epochs=3, variants=variants("none"))
    state, snap = run(config, epochs=10)
    assert snap.epoch == 3 and T.finished(state)
    assert snap.x_train is not None and np.array_equal(snap.x_train, data.x_train)


def test_reduce_lr_on_plateau_gives_each_run_its_own_rate():
    config = replace(SMALL, schedule="reduce_lr_on_plateau", schedule_params={"patience": 0, "factor": 0.5},
                     epochs=30, variants=variants("none", "l2=1e-1"))
    _, snap = run(config)
    assert snap.lr[0] < SMALL.lr and snap.lr[0] != snap.lr[1]
    assert set(np.round(np.log2(snap.lr / SMALL.lr), 9)) <= {float(-k) for k in range(40)}


def test_spread_is_the_median_and_range_of_the_finite_seeds():
    values = np.array([[1.0, 2.0, np.nan], [3.0, np.nan, np.nan], [2.0, 4.0, np.nan],  # variant 0
                       [5.0, 1.0, 0.5], [7.0, 1.0, 0.5], [6.0, np.inf, np.nan]])  # variant 1
    median, low, high = T.spread(values, 3)
    np.testing.assert_array_equal(median, [[2.0, 3.0, np.nan], [6.0, 1.0, 0.5]])
    np.testing.assert_array_equal(low, [[1.0, 2.0, np.nan], [5.0, 1.0, 0.5]])
    np.testing.assert_array_equal(high, [[3.0, 4.0, np.nan], [7.0, 1.0, 0.5]])
    assert T.spread(values, 1)[0].shape == (6, 3)
    with pytest.raises(ParamError, match="bad seeds 4"):
        T.spread(values, 4)


def test_without_shuffle_every_epoch_visits_the_data_in_order():
    config = replace(SMALL, epochs=2, shuffle=False, paired=False, variants=variants("none", "l2=1e-3"),
                     optimizer="sgd", lr=0.1)
    state = T.init(config, np.random.default_rng(4), record_batches=True)
    initial = state.params.copy()
    np.testing.assert_array_equal(T.epoch_order(state), np.tile(np.arange(60), (2, 1)))
    T.step(state, 2)
    first = state.model.loss_and_grad(initial, state.x_train[:16], state.y_train[:16], l2=np.array([0.0, 1e-3]))
    np.testing.assert_allclose(state.batch_loss.view()[0], first.loss, rtol=1e-12)
    manual = initial.copy()
    for _ in range(2):  # plain SGD over the batches in order, by hand
        for start in range(0, 60, 16):
            grads = state.model.loss_and_grad(manual, state.x_train[start:start + 16], state.y_train[start:start + 16],
                                              l2=np.array([0.0, 1e-3])).grads
            manual = manual - 0.1 * grads
    np.testing.assert_allclose(state.params, manual, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------- init, activation, optimizer variants
@pytest.mark.parametrize(("spec", "label", "values"), [
    ("init=normal:std=0.01", "init normal std=0.01", {"init": "normal", "init_params": (("std", 0.01),)}),
    ("init=he_normal", "init he_normal", {"init": "he_normal"}),
    ("activation=leaky_relu:negative_slope=0.2", "activation leaky_relu negative_slope=0.2",
     {"activation": "leaky_relu", "activation_params": (("negative_slope", 0.2),)}),
    ("optimizer=adam:lr=1e-3,betas=0.89,0.999", "adam betas=0.89,0.999 lr=1e-3",
     {"optimizer": "adam", "optimizer_params": (("betas", (0.89, 0.999)),), "lr": 1e-3}),
    ("optimizer=keras_sgd:momentum=0.9+l2=1e-4", "keras_sgd momentum=0.9 + L2 1e-4",
     {"optimizer": "keras_sgd", "optimizer_params": (("momentum", 0.9),), "l2": 1e-4}),
])
def test_network_and_optimizer_variants_parse_with_their_parameters(spec, label, values):
    assert V.parse_variant(spec) == V.Variant(label, **values)


@pytest.mark.parametrize(("spec", "message"), [
    ("init=nope", "unknown initializer 'nope'"),
    ("optimizer=adam:foo=1", "unknown parameter 'foo' for optimizer 'adam'"),
    ("optimizer=adam:lr=1e-3+lr=0.1", "rate of adam is given twice"),
    ("activation=elu:alpha=-1", "alpha"),
    ("init=normal:std", "expected NAME\\[:KEY=VALUE"),
])
def test_bad_network_variants_are_one_line_errors(spec, message):
    with pytest.raises(ParamError, match=message) as error:
        V.parse_variant(spec)
    assert "\n" not in str(error.value) and str(error.value).startswith(f"bad variant {spec!r}")


def test_runs_with_their_own_optimizer_activation_and_init_equal_each_alone():
    specs = ("none", "optimizer=sgd:momentum=0.9+lr=0.05", "activation=tanh", "init=glorot_uniform",
             "optimizer=adagrad+dropout=0.2")
    config = replace(SMALL, epochs=5, variants=variants(*specs))
    _, together = run(config, seed=6)
    root = root_of(np.random.default_rng(6))
    for r, variant in enumerate(config.variants):
        _, alone = run(replace(config, variants=(variant,)), seed=6, streams=Streams(root, [0]))
        for key in T.HISTORY_KEYS:
            np.testing.assert_allclose(getattr(alone, key)[0], getattr(together, key)[r], rtol=1e-12, err_msg=key)
    assert len({round(float(v), 9) for v in together.val_loss[:, -1]}) == len(specs)  # each changes something


def test_paired_initializers_draw_the_same_numbers_scaled():
    config = replace(SMALL, variants=variants("init=he_normal", "init=glorot_normal", "init=random_normal"))
    params = T.init(config, np.random.default_rng(1)).params
    kernels = [T.init(config, np.random.default_rng(1)).model.kernels(params)[layer] for layer in range(3)]
    for layer, (fan_in, fan_out) in enumerate(((2, 24), (24, 24), (24, 3))):
        he, glorot = kernels[layer][0], kernels[layer][1]
        np.testing.assert_allclose(glorot, he * np.sqrt(fan_in / (fan_in + fan_out)), rtol=1e-6)


def test_scratch_weight_init_compare_small_weights_do_not_learn_and_he_does():
    """Deep Learning from Scratch 6.2 on digits: 5 x 100 ReLU, SGD 0.01, batch 128, paired."""
    config = T.TrainConfig(dataset="digits", dataset_params={"train_samples": 797, "val_samples": 1000},
                           hidden=(100,) * 5, optimizer="sgd", lr=0.01, batch_size=128, epochs=30,
                           variants=variants("init=normal:std=0.01", "init=xavier_simple",
                                             "init=kaiming_normal:nonlinearity=relu"))
    _, snap = run(config, seed=0)
    small, xavier, he = snap.val_acc[:, -1]
    assert small < 0.2 and abs(snap.train_loss[0, -1] - np.log(10)) < 0.01  # chance level: ln 10
    assert he > 0.85 and he > xavier + 0.2  # He learns first; Xavier (1/sqrt(n)) lags under ReLU


def test_runs_of_one_optimizer_share_one_update_with_per_run_hyperparameters():
    config = replace(SMALL, epochs=4, optimizer="sgd", lr=0.05, variants=variants(
        "optimizer=sgd:momentum=0.9", "optimizer=sgd:momentum=0.5,nesterov=true", "none", "optimizer=adam:lr=1e-3"))
    state, together = run(config, seed=2)
    assert type(state.opt_state).__name__ == "GroupedState" and len(state.opt_state.parts) == 2  # sgd, adam
    assert type(state.opt_state.parts[0]).__name__ == "SGDState"
    root = root_of(np.random.default_rng(2))
    for r, variant in enumerate(config.variants):
        _, alone = run(replace(config, variants=(variant,)), seed=2, streams=Streams(root, [0]))
        np.testing.assert_allclose(alone.val_loss[0], together.val_loss[r], rtol=1e-12)


def test_restored_runs_are_marked_when_they_stop_or_training_ends():
    config = replace(OVERFIT, epochs=30, restore_best_weights=True, variants=variants("none", "patience=3"))
    state = T.init(config, np.random.default_rng(3))
    T.step(state, 29)
    snap = T.snapshot(state)
    assert snap.stopped_epoch[1] >= 0 and snap.restored.tolist() == [False, True]  # none has not ended yet
    T.step(state, 1)
    assert T.snapshot(state).restored.tolist() == [True, True]  # Keras's on_train_end restores it too


# ------------------------------------------------------------------------------ batch normalization
def test_batch_norm_is_a_variant_that_trains_alone_as_in_the_batch():
    assert V.parse_variant("batch_norm") == V.Variant("BatchNorm", batch_norm=True)
    assert V.parse_variant("init=normal:std=0.1+batch_norm").label == "init normal std=0.1 + BatchNorm"
    config = replace(SMALL, epochs=4, variants=variants("none", "batch_norm", "batch_norm+dropout=0.2"))
    state, together = run(config, seed=1)
    assert state.model.batch_norm and state.batch_norm.tolist() == [False, True, True]
    assert (state.moving.variance[0] == 1).all() and not (state.moving.variance[1] == 1).all()  # only BN runs
    root = root_of(np.random.default_rng(1))
    for r, variant in enumerate(config.variants):
        _, alone = run(replace(config, variants=(variant,)), seed=1, streams=Streams(root, [0]))
        np.testing.assert_allclose(alone.val_loss[0], together.val_loss[r], rtol=1e-9)


def test_restoring_the_best_weights_restores_the_moving_statistics_too():
    config = replace(OVERFIT, epochs=30, restore_best_weights=True, variants=variants("batch_norm+patience=3"))
    state = T.init(config, np.random.default_rng(3))
    saved = []
    while not T.finished(state):
        T.step(state, 1)
        if state.stopping_state.best_epoch[0] == state.epoch - 1:  # this epoch improved: remember its weights
            saved = [state.params.copy(), state.moving.mean.copy(), state.moving.variance.copy()]
    assert state.stopping_state.stopped_epoch[0] >= 0
    for now, best in zip((state.params, state.moving.mean, state.moving.variance), saved, strict=True):
        np.testing.assert_array_equal(now, best)


def test_scratch_batch_norm_learns_from_weights_too_small_to_learn_without_it():
    """Deep Learning from Scratch 6.3 on digits: N(0, 0.01) kernels, 5 x 100 ReLU, SGD 0.01, momentum 0.9."""
    config = T.TrainConfig(dataset="digits", dataset_params={"train_samples": 797, "val_samples": 1000},
                           hidden=(100,) * 5, optimizer="sgd", lr=0.01, batch_size=100, epochs=20,
                           batch_norm_momentum=0.9, variants=variants("init=normal:std=0.01",
                                                                      "init=normal:std=0.01+batch_norm"))
    _, snap = run(config, seed=0)
    plain, normalized = snap.val_acc[:, -1]
    assert plain < 0.2 and normalized > 0.9


def test_a_seed_that_stopped_keeps_its_last_value_in_the_spread():
    config = replace(OVERFIT, epochs=40, seeds=3, variants=variants("patience=3"))
    _, snap = run(config, seed=4)
    stops = snap.stopped_epoch
    assert (stops >= 0).all() and len(set(stops.tolist())) > 1  # the seeds stop at different epochs
    finals = np.array([snap.val_data_loss[r, stops[r]] for r in range(3)])
    median, low, high = snap.by_variant("val_data_loss")
    last = int(stops.max())
    assert median[0, last] == np.median(finals) and low[0, last] == finals.min() and high[0, last] == finals.max()


def test_a_variant_naming_the_experiments_optimizer_keeps_its_parameters():
    config = replace(SMALL, epochs=3, optimizer="sgd", optimizer_params={"momentum": 0.9}, lr=0.05,
                     variants=variants("none", "optimizer=sgd", "optimizer=sgd:nesterov=true", "optimizer=adam"))
    _, snap = run(config, seed=0)
    np.testing.assert_array_equal(snap.val_loss[0], snap.val_loss[1])  # the same sgd, momentum 0.9
    settings = [T.component_setting(config, v, "optimizer") for v in config.variants]
    assert settings[2] == ("sgd", (("momentum", 0.9), ("nesterov", True)))
    assert settings[3] == ("adam", ())  # another optimizer: its own defaults


def test_lamb_and_adafactor_see_the_networks_variables_and_train_among_others_as_alone():
    """Lamb's norms and Adafactor's factors are per kernel and bias, as Keras's: the optimizer gets the MLP's
    variable shapes, so a kernel (2, 24) is factored into 2 row and 24 column means."""
    config = replace(SMALL, epochs=3, variants=variants("optimizer=keras_adafactor:learning_rate=0.05",
                                                        "optimizer=keras_lamb:learning_rate=0.01", "none"))
    state, together = run(config, seed=4)
    adafactor = state.opt_state.parts[0]
    assert adafactor.r.shape == (1, 2 + 24 + 24) and adafactor.c.shape == (1, 24 + 24 + 3)
    assert state.model.variable_shapes == [(2, 24), (24, 24), (24, 3), (24,), (24,), (3,)]
    root = root_of(np.random.default_rng(4))
    for r, variant in enumerate(config.variants):
        _, alone = run(replace(config, variants=(variant,)), seed=4, streams=Streams(root, [0]))
        np.testing.assert_allclose(alone.val_loss[0], together.val_loss[r], rtol=1e-12)
    assert np.isfinite(together.val_loss).all() and (together.val_loss[:2, -1] < together.val_loss[:2, 0]).all()


def test_schedule_free_trains_at_y_and_is_evaluated_at_its_average_x():
    """As the reference is used (optimizer.train() for the steps, optimizer.eval() before evaluating): the
    epoch's validation loss is the model's at x, not at the parameters y the gradients are taken at."""
    config = replace(SMALL, optimizer="adamw_schedule_free", epochs=6, variants=variants("none", "optimizer=adam"))
    state, snap = run(config)
    x = state.opt_state.parts[0].x if hasattr(state.opt_state, "parts") else state.opt_state.x
    at_x, _ = state.model.evaluate(x, state.x_val, state.y_val)
    at_y, _ = state.model.evaluate(state.params, state.x_val, state.y_val)
    assert abs(at_x[0] - at_y[0]) > 1e-3
    assert snap.val_data_loss[0, -1] == pytest.approx(at_x[0], rel=1e-12)
    adam_alone, _ = state.model.evaluate(state.params[1:], state.x_val, state.y_val)
    assert snap.val_data_loss[1, -1] == pytest.approx(adam_alone[0], rel=1e-12)  # Adam's runs: at the parameters


def test_schedule_free_restores_the_evaluation_weights_of_its_best_epoch():
    config = replace(OVERFIT, optimizer="adamw_schedule_free", epochs=30, restore_best_weights=True,
                     variants=variants("patience=2", "none"))
    state, snap = run(config)
    assert snap.stopped_epoch[0] >= 0 and snap.stopped_epoch[1] == -1  # the second restores at the end
    assert snap.best_epoch[1] < 29  # so restoring changes something
    now = T.evaluate(state)["val_loss"]
    for r in range(2):
        assert now[r] == pytest.approx(snap.val_loss[r, snap.best_epoch[r]], rel=1e-12)
