"""Schedule race: per-run rate tables from the schedules, effective step sizes, batched = alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tui_dl.engine.experiments import schedule_race as S
from tui_dl.engine.experiments import training as T
from tui_dl.engine.experiments import variants as V
from tui_dl.engine.schedules import SCHEDULES
from tui_dl.engine.streams import Streams, root_of
from tui_dl.params import ParamError

# 60 points in batches of 16: 4 iterations per epoch
SMALL = T.TrainConfig(dataset_params={"train_samples": 60, "val_samples": 50}, hidden=(16, 16), batch_size=16,
                      lr=1e-2, epochs=12, dtype="float64", optimizer="sgd", optimizer_params={"momentum": 0.9})


def race(racers, train=SMALL, seed=0, epochs=None, streams=None):
    config = S.ScheduleRaceConfig(train=train, racers=tuple(S.parse_racer(t, train) for t in racers))
    state = S.init(config, np.random.default_rng(seed), streams)
    S.step(state, train.epochs if epochs is None else epochs)
    return state, S.snapshot(state)


# ----------------------------------------------------------------------------------- racers
def test_racer_specs_route_to_schedule_optimizer_and_base_rate():
    cosine = S.parse_racer("cosine_decay:alpha=0.1,lr=0.05", SMALL)
    assert cosine == S.Racer("cosine_decay:alpha=0.1,lr=0.05", "cosine_decay", {"alpha": 0.1}, 0.05)
    adagrad = S.parse_racer("constant:optimizer=adagrad,eps=1e-6", SMALL)
    assert (adagrad.optimizer, adagrad.optimizer_params, adagrad.lr) == ("adagrad", {"eps": 1e-6}, None)
    nesterov = S.parse_racer("step_lr:nesterov=true,step_size=5", SMALL)  # the experiment's sgd, one more knob
    assert nesterov.optimizer == "sgd" and nesterov.optimizer_params == {"momentum": 0.9, "nesterov": True}
    assert nesterov.schedule_params == {"step_size": 5}
    pieces = S.parse_racer("piecewise_constant_decay:boundaries=10,20,values=0.1,0.01,0.001")
    assert pieces.schedule_params == {"boundaries": (10, 20), "values": (0.1, 0.01, 0.001)}


@pytest.mark.parametrize(("text", "message"), [
    ("nope", "unknown schedule 'nope'"),
    ("constant:hidden=8", "hidden is shared by every racer"),
    ("constant:noise=0.1", "the data set is shared"),
    ("constant:gamma=0.5", "unknown parameter 'gamma'"),
    ("constant:lr=1,lr=2", "lr is given twice"),
    ("constant:0.1", "expected NAME\\[:KEY=VALUE"),
    ("constant:optimizer=nadamw", "unknown optimizer 'nadamw'"),
])
def test_bad_racers_are_one_line_param_errors(text, message):
    with pytest.raises(ParamError, match=message) as error:
        S.parse_racer(text, SMALL)
    assert "\n" not in str(error.value)


def test_a_one_cycle_racer_takes_torch_epochs_form():
    """`epochs` of one_cycle_lr is its own, not the race's: with steps_per_epoch it sets the cycle's length (torch's
    OneCycleLR(epochs=, steps_per_epoch=)), and the race's length no longer fills total_steps."""
    racer = S.parse_racer("one_cycle_lr:epochs=6,steps_per_epoch=4,lr=0.1", SMALL)
    assert racer.schedule_params == {"epochs": 6, "steps_per_epoch": 4} and racer.lr == 0.1
    assert S.parse_racer("one_cycle_lr:schedule.epochs=6,steps_per_epoch=4", SMALL).schedule_params == {
        "epochs": 6, "steps_per_epoch": 4}
    _, snap = race(["one_cycle_lr:epochs=12,steps_per_epoch=4", "one_cycle_lr"], epochs=1)
    steps = np.arange(48)
    np.testing.assert_array_equal(snap.lr[0], SCHEDULES["one_cycle_lr"](steps, max_lr=1e-2, total_steps=None,
                                                                        epochs=12, steps_per_epoch=4))
    np.testing.assert_array_equal(snap.lr[0], snap.lr[1])  # 12 x 4 = the race's 48 iterations
    with pytest.raises(ParamError, match="no valid rate at iteration 41"):  # a shorter cycle than the race
        race(["one_cycle_lr:epochs=10,steps_per_epoch=4"], epochs=1)
    with pytest.raises(ParamError, match="epochs is shared by every racer"):  # constant has no epochs of its own
        S.parse_racer("constant:epochs=3", SMALL)


def test_reduce_lr_on_plateau_cannot_race():
    with pytest.raises(ParamError, match="reduce_lr_on_plateau follows a metric"):
        race(["constant", "reduce_lr_on_plateau"], epochs=1)


# ------------------------------------------------------------------------------- rate tables
def test_each_runs_rates_are_its_schedule_function_over_the_race():
    _, snap = race(["constant", "step_lr:step_size=10,gamma=0.5", "cosine_decay:lr=0.05", "one_cycle_lr"], epochs=2)
    assert snap.iterations == 48 and snap.batches_per_epoch == 4 and snap.lr.shape == (4, 48)
    steps = np.arange(48)
    expected = [
        SCHEDULES["constant"].fn(steps, learning_rate=1e-2),
        SCHEDULES["step_lr"].fn(steps, lr=1e-2, step_size=10, gamma=0.5),
        SCHEDULES["cosine_decay"].fn(steps, initial_learning_rate=0.05, decay_steps=48),  # the race's length
        SCHEDULES["one_cycle_lr"](steps, max_lr=1e-2, total_steps=48),
    ]
    np.testing.assert_array_equal(snap.lr, np.array(expected))
    assert snap.lr[2, -1] == pytest.approx(0.05 * 0.5 * (1 + np.cos(np.pi * 47 / 48)))


def test_a_one_schedule_race_is_the_training_experiment_with_that_schedule():
    train = replace(SMALL, epochs=5)
    _, snap = race(["exponential_decay:decay_steps=4,decay_rate=0.8"], train=train)
    config = replace(train, schedule="exponential_decay", schedule_params={"decay_steps": 4, "decay_rate": 0.8},
                     variants=(V.make_variant(),))
    state = T.init(config, np.random.default_rng(0))
    T.step(state, 5)
    alone = T.snapshot(state)
    for key in T.HISTORY_KEYS:
        np.testing.assert_array_equal(getattr(snap, key), getattr(alone, key), err_msg=key)
    np.testing.assert_array_equal(snap.lr[0], state.rates[:, 0])


def test_batched_racers_equal_each_racer_alone():
    racers = ["constant", "cosine_decay:optimizer=adam,lr=3e-3", "step_lr:step_size=8", "constant:optimizer=adagrad"]
    _, together = race(racers, seed=5, epochs=6)
    assert together.optimizers == ("sgd", "adam", "sgd", "adagrad")
    np.testing.assert_array_equal(together.batch_loss[:, 0], together.batch_loss[0, 0])  # paired: same start
    root = root_of(np.random.default_rng(5))
    for r, text in enumerate(racers):
        _, alone = race([text], seed=5, epochs=6, streams=Streams(root, [0]))
        for key in (*T.HISTORY_KEYS, "batch_loss", "step_median", "step_p10", "step_p90", "lr"):
            np.testing.assert_allclose(getattr(alone, key)[0], getattr(together, key)[r], rtol=1e-12, err_msg=key)


# ----------------------------------------------------------------------- effective step size
def test_adaptive_step_sizes_decay_under_a_constant_rate():
    train = replace(SMALL, epochs=15)
    state, snap = race(["constant:optimizer=adagrad,lr=0.05", "constant:optimizer=rmsprop,lr=1e-3",
                        "constant:optimizer=adam,lr=1e-3", "constant"], train=train)
    assert snap.adaptive.tolist() == [True, True, True, False]
    adagrad = snap.step_median[0]
    assert (np.diff(adagrad) <= 0).all() and adagrad[-1] < 0.7 * adagrad[0]  # S only grows
    assert (snap.step_p10[0] <= adagrad).all() and (adagrad <= snap.step_p90[0]).all()
    np.testing.assert_array_equal(snap.step_median[3], np.full(15, 1e-2))  # SGD: the rate itself
    group = next(g for g in state.groups.states if g.config.optimizer == "adagrad")
    accumulated = group.opt_state.sum[0]
    assert adagrad[-1] == pytest.approx(np.median(0.05 / (np.sqrt(accumulated) + 1e-10)), rel=1e-12)
    assert snap.step_median[1, -1] < snap.step_median[1, 0] and snap.step_median[2, -1] < snap.step_median[2, 0]


def test_batch_losses_and_history_shapes():
    state, snap = race(["constant", "cosine_decay"], epochs=3)
    assert snap.labels == ("constant", "cosine_decay") and snap.schedules == ("constant", "cosine_decay")
    assert (snap.epoch, snap.epochs, snap.iteration) == (3, 12, 12)
    assert snap.batch_loss.shape == (2, 12) and snap.train_loss.shape == (2, 3) and snap.step_median.shape == (2, 3)
    # Keras's epoch train_loss is the size-weighted mean of its batch losses (4 batches of 16, 16, 16, 12)
    weights = np.array([16, 16, 16, 12]) / 60
    np.testing.assert_allclose(snap.batch_loss.reshape(2, 3, 4) @ weights, snap.train_loss, rtol=1e-12)
    with pytest.raises(ValueError):
        snap.lr[0, 0] = 1.0
    assert not S.snapshot(state).finished
    S.step(state, 20)
    assert S.snapshot(state).finished and S.snapshot(state).epoch == 12


def test_a_diverging_racer_stops_alone():
    _, snap = race(["constant", "constant:lr=1e4"], train=replace(SMALL, dataset="sine", dataset_params={}),
                   epochs=6, seed=1)  # under seeds 0 and 3 the ReLUs die and the loss stays finite
    diverged = int(snap.diverged_epoch[1])
    assert snap.diverged_epoch[0] == -1 and 0 <= diverged < 5
    assert np.isnan(snap.step_median[1, diverged:]).all() and np.isfinite(snap.step_median[0]).all()
    assert np.isnan(snap.batch_loss[1, 4 * (diverged + 1):]).all() and np.isfinite(snap.val_loss[0]).all()
