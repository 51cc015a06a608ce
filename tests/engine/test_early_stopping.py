"""Early stopping against keras.callbacks.EarlyStopping itself (tests/golden/early_stopping.json) and closed forms.

All golden sequences run in ONE batched call (one run per sequence, per-run config arrays, shorter
sequences finishing through `active`), and every run must match Keras epoch by epoch. Regenerate the
fixture with `KERAS_BACKEND=torch python tests/golden/make_early_stopping_golden.py`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tui_dl.engine.early_stopping import (
    EARLY_STOPPING_PARAMS,
    EarlyStopping,
    early_stopping_config,
    early_stopping_init,
    early_stopping_update,
    resolve_mode,
    restore_mask,
)
from tui_dl.params import ParamError

FIXTURE = json.loads((Path(__file__).resolve().parent.parent / "golden" / "early_stopping.json").read_text())
CASES = FIXTURE["cases"]


def _floats(values: list) -> np.ndarray:
    """Fixture floats: non-finite ones are written as strings."""
    return np.array([math.nan if v is None else float(v) for v in values])


def _batched_config(cases: list[dict]) -> EarlyStopping:
    """One per-run array per field; baseline as a list with None for 'no baseline'."""
    defaults = EarlyStopping()._asdict()

    def column(name):
        return [case["config"].get(name, defaults[name]) for case in cases]

    return EarlyStopping(
        monitor=np.array(column("monitor")),
        min_delta=np.array(column("min_delta"), dtype=float),
        patience=np.array(column("patience")),
        mode=np.array(column("mode")),
        baseline=column("baseline"),
        restore_best_weights=np.array(column("restore_best_weights")),
        start_from_epoch=np.array(column("start_from_epoch")),
    )


def _train(config: EarlyStopping, sequences: list[np.ndarray]) -> dict:
    """Drive the engine like a training loop: runs end with their sequence or when they stop.

    The "weights" of run r at epoch e are the number e, snapshotted whenever it improves, so the
    final weights name the restored epoch, as in the golden script.
    """
    runs, epochs = len(sequences), max(len(s) for s in sequences)
    values = np.full((runs, epochs), np.nan)
    lengths = np.array([len(s) for s in sequences])
    for r, sequence in enumerate(sequences):
        values[r, : len(sequence)] = sequence
    state = early_stopping_init(config, runs)
    snapshot = np.full(runs, -1)
    trace = {"wait": [], "best": [], "best_epoch": [], "running": []}
    for epoch in range(epochs):
        active = (epoch < lengths) & (state.stopped_epoch < 0)
        state, improved, stop_now = early_stopping_update(config, state, epoch, values[:, epoch], active)
        np.testing.assert_array_equal(stop_now, active & (state.stopped_epoch == epoch))
        snapshot = np.where(improved, epoch, snapshot)
        for key, array in (("wait", state.wait), ("best", state.best), ("best_epoch", state.best_epoch)):
            trace[key].append(array.copy())
        trace["running"].append(active)
    last_epoch = np.where(state.stopped_epoch >= 0, state.stopped_epoch, lengths - 1)
    restore = restore_mask(config, state)
    return {
        "state": state,
        "maximize": early_stopping_init(config, runs).best < 0,
        "epochs_run": np.sum(trace["running"], axis=0),
        "trace": {key: np.array(value).T for key, value in trace.items() if key != "running"},
        "final_weights": np.where(restore, snapshot, last_epoch),
        "restore": restore,
    }


BATCHED = _train(_batched_config(CASES), [_floats(case["values"]) for case in CASES])


@pytest.mark.parametrize("r", range(len(CASES)), ids=[case["id"] for case in CASES])
def test_each_run_of_one_batched_call_matches_keras(r):
    keras, n = CASES[r]["keras"], CASES[r]["keras"]["epochs_run"]
    assert BATCHED["epochs_run"][r] == n
    assert BATCHED["maximize"][r] == (keras["monitor_op"] == "greater")
    np.testing.assert_array_equal(BATCHED["trace"]["wait"][r, :n], keras["wait"])
    has_best = np.array([b is not None for b in keras["best_trace"]])
    expected_best_epoch = np.where(has_best, keras["best_epoch_trace"], -1)
    np.testing.assert_array_equal(BATCHED["trace"]["best_epoch"][r, :n], expected_best_epoch)
    before_first = np.inf if keras["monitor_op"] == "less" else -np.inf
    expected_best = np.where(has_best, _floats(keras["best_trace"]), before_first)
    np.testing.assert_array_equal(BATCHED["trace"]["best"][r, :n], expected_best)  # NaN == NaN here
    stopped = -1 if keras["stopped_epoch"] is None else keras["stopped_epoch"]
    assert BATCHED["state"].stopped_epoch[r] == stopped
    assert BATCHED["restore"][r] == (keras["restored_epoch"] is not None)
    if keras["restored_epoch"] is not None:
        assert BATCHED["final_weights"][r] == keras["restored_epoch"]


def test_the_fixture_covers_the_edge_cases_the_docstring_claims():
    by_id = {case["id"]: case["keras"] for case in CASES}
    assert len(CASES) >= 25
    # restore without a stop; a NaN first epoch is the best forever; float32 comparison
    assert by_id["restore_without_stop"]["stopped_epoch"] is None
    assert by_id["restore_without_stop"]["restored_epoch"] == 3
    assert by_id["nan_first"]["best_trace"] == ["nan", "nan", "nan"]
    assert by_id["nan_first"]["stopped_epoch"] == 2 and by_id["nan_first"]["restored_epoch"] == 0
    assert by_id["plateau_at_min_delta_float32"]["stopped_epoch"] == 1
    assert by_id["start_from_epoch_after_the_end"]["restored_epoch"] is None


@pytest.mark.parametrize("r", range(len(CASES)), ids=[case["id"] for case in CASES])
def test_a_run_alone_with_scalar_config_equals_its_row_of_the_batch(r):
    alone = _train(EarlyStopping(**CASES[r]["config"]), [_floats(CASES[r]["values"])])
    for key in ("wait", "best", "best_epoch"):
        n = CASES[r]["keras"]["epochs_run"]
        np.testing.assert_array_equal(alone["trace"][key][0, :n], BATCHED["trace"][key][r, :n])
    assert alone["state"].stopped_epoch[0] == BATCHED["state"].stopped_epoch[r]


# ----------------------------------------------------------------------------- closed forms
def test_without_baseline_a_run_stops_patience_epochs_after_its_best():
    # an improving epoch never stops, so patience 0 stops one epoch after the best too
    patience = np.arange(6)
    best_at = 3
    values = np.r_[np.linspace(1.0, 0.5, best_at + 1), np.full(20, 0.7)]
    config = EarlyStopping(patience=patience)
    result = _train(config, [values] * len(patience))
    np.testing.assert_array_equal(result["state"].stopped_epoch, best_at + np.maximum(patience, 1))
    np.testing.assert_array_equal(result["state"].best_epoch, best_at)
    np.testing.assert_array_equal(result["state"].best, 0.5)


@pytest.mark.parametrize("patience", [None, [None, None], [np.nan, np.inf]])
def test_patience_none_nan_or_inf_never_stops(patience):
    values = np.r_[0.5, np.full(50, 1.0)]
    result = _train(EarlyStopping(patience=patience), [values, values])
    np.testing.assert_array_equal(result["state"].stopped_epoch, -1)
    np.testing.assert_array_equal(result["state"].wait, 50)


def test_per_run_none_patience_sits_beside_numbers():
    values = np.r_[0.5, np.full(10, 1.0)]
    result = _train(EarlyStopping(patience=[2, None, 0]), [values] * 3)
    np.testing.assert_array_equal(result["state"].stopped_epoch, [2, -1, 1])


def test_inactive_and_stopped_runs_are_left_unchanged():
    config = EarlyStopping(patience=0)
    state = early_stopping_init(config, 3)
    state, _, _ = early_stopping_update(config, state, 0, np.array([1.0, 1.0, 1.0]))
    state, _, stop = early_stopping_update(config, state, 1, np.array([2.0, 2.0, 0.5]), np.array([True, False, True]))
    np.testing.assert_array_equal(stop, [True, False, False])
    np.testing.assert_array_equal(state.wait, [1, 0, 0])
    np.testing.assert_array_equal(state.best, [1.0, 1.0, 0.5])
    # run 0 stopped at epoch 1: later epochs do not touch it even if the caller marks it active
    after, improved, stop = early_stopping_update(config, state, 2, np.array([0.1, 0.1, 0.1]))
    np.testing.assert_array_equal(improved, [False, True, True])
    np.testing.assert_array_equal(stop, False)
    assert after.best[0] == 1.0 and after.stopped_epoch[0] == 1 and after.best_epoch[0] == 0


def test_warm_up_epochs_leave_the_initial_state():
    config = EarlyStopping(mode=["min", "max"], start_from_epoch=5)
    state = early_stopping_init(config, 2)
    for epoch in range(5):
        state, improved, stop = early_stopping_update(config, state, epoch, np.array([0.1, 0.9]))
        assert not improved.any() and not stop.any()
    np.testing.assert_array_equal(state.best, [np.inf, -np.inf])
    np.testing.assert_array_equal(state.best_epoch, -1)
    np.testing.assert_array_equal(state.wait, 0)


def test_float32_metrics_are_compared_like_keras_logs_in_float64_then_float32():
    # Keras's logs are Python floats: a float32 array must not make current + min_delta float32 arithmetic
    values = np.array([1.0, 0.9, 0.8, 0.7], dtype=np.float32)
    config = EarlyStopping(patience=5, min_delta=0.1)
    as32 = _train(config, [values])["trace"]
    as64 = _train(config, [values.astype(np.float64)])["trace"]
    for key in as32:
        np.testing.assert_array_equal(as32[key], as64[key])


def test_restore_mask_needs_the_flag_and_a_monitored_epoch():
    config = EarlyStopping(patience=None, restore_best_weights=[True, True, False], start_from_epoch=[0, 3, 0])
    state = early_stopping_init(config, 3)
    for epoch in range(2):
        state, _, _ = early_stopping_update(config, state, epoch, np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(restore_mask(config, state), [True, False, False])


# ---------------------------------------------------------------------------- mode and config
@pytest.mark.parametrize(
    ("monitor", "mode", "expected"),
    [
        ("val_loss", "auto", "min"),
        ("loss", "auto", "min"),
        ("val_accuracy", "auto", "max"),
        ("accuracy", "auto", "max"),
        ("val_loss", "max", "max"),
        ("val_accuracy", "min", "min"),
        ("val_mse", "min", "min"),
    ],
)
def test_resolve_mode_follows_keras_3(monitor, mode, expected):
    assert resolve_mode(monitor, mode) == expected


@pytest.mark.parametrize(("monitor", "mode"), [("val_mse", "auto"), ("val_acc_loss", "auto"), ("loss", "down")])
def test_modes_that_cannot_be_resolved_are_param_errors(monitor, mode):
    with pytest.raises(ParamError, match=r"mode"):
        early_stopping_init(EarlyStopping(monitor=monitor, mode=mode), 2)


def test_a_per_run_array_of_the_wrong_length_is_a_param_error():
    with pytest.raises(ParamError, match=r"patience: expected a scalar or 3 per-run values"):
        early_stopping_init(EarlyStopping(patience=[1, 2]), 3)


def test_params_declare_every_config_field_with_app_defaults():
    assert tuple(spec.name for spec in EARLY_STOPPING_PARAMS) == EarlyStopping._fields
    config = early_stopping_config()
    assert config.patience is None  # early stopping off unless asked for; Keras's own default is 0
    assert config._replace(patience=0) == EarlyStopping()


def test_config_from_parsed_values_and_from_text():
    parsed = early_stopping_config({"patience": 3, "monitor": "val_accuracy", "baseline": 0.8})
    text = early_stopping_config({"patience": "3", "monitor": "val_accuracy", "baseline": "0.8"}, text=True)
    assert parsed == text == EarlyStopping(monitor="val_accuracy", patience=3, baseline=0.8)
    assert early_stopping_config({"patience": "none"}, text=True).patience is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"patience": -1}, r"bad value '-1' for patience: expected an integer in \[0, inf\) \(or none\)"),
        ({"min_delta": -0.1}, r"for min_delta"),
        ({"monitor": "val_mse"}, r"for monitor: expected one of: val_loss, val_accuracy, loss, accuracy"),
        ({"start_from_epoch": 1.5}, r"for start_from_epoch"),
        ({"patiense": 3}, r"unknown parameter 'patiense'"),
    ],
)
def test_bad_config_values_are_one_line_param_errors(values, message):
    with pytest.raises(ParamError, match=message):
        early_stopping_config(values)


def test_an_unlogged_monitor_is_refused_in_auto_mode_and_a_warning_in_an_explicit_one():
    """keras EarlyStopping: auto mode raises for a metric the model does not have; min/max warn and never stop."""
    from tui_dl.engine.early_stopping import unlogged_monitor

    assert unlogged_monitor("val_loss", "auto", ("val_loss", "loss")) is None
    with pytest.raises(ParamError, match="bad value 'val_accuracy' for monitor"):
        unlogged_monitor("val_accuracy", "auto", ("val_loss", "loss"))
    assert unlogged_monitor("accuracy", "max", ("val_loss", "loss")).startswith("early stopping never stops")
