"""Regenerate tests/golden/early_stopping.json: what keras.callbacks.EarlyStopping really does.

From the repository root, in a scratch venv with torch and keras 3:

    KERAS_BACKEND=torch python tests/golden/make_early_stopping_golden.py

Each case drives the real callback the way `model.fit` does, on a fixed sequence of monitored values:
`set_model(model)`, `on_train_begin()`, then for each epoch `on_epoch_end(epoch, logs={monitor: value})`
until `model.stop_training`, then `on_train_end()`. The model is one Dense(1) kernel; before each
`on_epoch_end(epoch)` its weight is set to `epoch`, and just before `on_train_end` to -1, so the weight
read afterwards names the epoch whose weights Keras restored (null: nothing was restored).

Recorded per case: wait, best (null while Keras's best is None) and best_epoch after every epoch, the
number of epochs run, stopped_epoch (null when not stopped), the final best_epoch and restored_epoch. Non-finite floats
are written as the strings "nan", "inf", "-inf" (read them back with float()).
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
from make_golden import base_meta, write_fixture

F32 = [float(np.float32(v)) for v in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)]
NAN, INF = math.nan, math.inf

# (id, what it shows, EarlyStopping keyword arguments, monitored values)
CASES = [
    ("plain_patience_2", "best at epoch 2, stops two epochs later",
     {"patience": 2}, [1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.6]),
    ("keras_defaults", "patience 0: stops at the first epoch that does not improve",
     {}, [1.0, 0.9, 0.95, 0.5]),
    ("patience_0_equal_is_not_better", "an equal value is no improvement",
     {"patience": 0}, [0.5, 0.4, 0.4, 0.3]),
    ("patience_5_recovers", "improvement after 4 bad epochs resets wait",
     {"patience": 5}, [1.0, 1.1, 1.2, 1.3, 1.4, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 0.1]),
    ("min_delta_0_05", "small gains below min_delta do not count",
     {"patience": 2, "min_delta": 0.05}, [1.0, 0.97, 0.94, 0.90, 0.89, 0.80]),
    ("min_delta_negative", "Keras uses |min_delta|",
     {"patience": 2, "min_delta": -0.05}, [1.0, 0.97, 0.94, 0.90, 0.89, 0.80]),
    ("plateau_at_min_delta_decimal", "steps of exactly min_delta = 0.1 on decimal values",
     {"patience": 3, "min_delta": 0.1}, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]),
    ("plateau_at_min_delta_float32", "steps of 0.1 on float32 metrics: Keras compares in float32",
     {"patience": 1, "min_delta": 0.1}, F32),
    ("plateau_at_min_delta_float32_max", "the same in max mode on accuracy",
     {"monitor": "val_accuracy", "mode": "max", "patience": 2, "min_delta": 0.1}, F32[::-1]),
    ("baseline_never_beaten", "improving but above the baseline: wait is not reset; stops at the first non-improvement",
     {"patience": 3, "baseline": 0.5}, [1.0, 0.9, 0.8, 0.7, 0.7, 0.6]),
    ("baseline_never_beaten_restore", "the same with restore_best_weights",
     {"patience": 2, "baseline": 0.1, "restore_best_weights": True}, [1.0, 0.9, 0.95, 0.97, 0.99]),
    ("baseline_beaten_later", "wait resets once the baseline is beaten",
     {"patience": 3, "baseline": 0.5}, [1.0, 0.9, 0.45, 0.46, 0.47, 0.44, 0.48, 0.49, 0.5, 0.3]),
    ("baseline_with_min_delta", "the baseline must be beaten by min_delta too",
     {"patience": 2, "baseline": 0.5, "min_delta": 0.1}, [0.7, 0.45, 0.42, 0.3, 0.35, 0.36, 0.37]),
    ("baseline_max_accuracy", "max mode baseline on val_accuracy",
     {"monitor": "val_accuracy", "mode": "max", "patience": 2, "baseline": 0.8},
     [0.5, 0.6, 0.7, 0.65, 0.85, 0.84, 0.83, 0.9]),
    ("start_from_epoch_3", "better values during warm-up are ignored",
     {"patience": 1, "start_from_epoch": 3}, [0.1, 0.2, 0.3, 1.0, 0.9, 1.1, 0.8]),
    ("start_from_epoch_after_the_end", "nothing is ever monitored: no best, nothing restored",
     {"patience": 0, "start_from_epoch": 10, "restore_best_weights": True}, [1.0, 2.0, 3.0, 4.0]),
    ("start_from_epoch_restore", "restore from after the warm-up",
     {"patience": 2, "start_from_epoch": 2, "restore_best_weights": True}, [0.1, 0.2, 0.5, 0.4, 0.45, 0.6, 0.7]),
    ("max_val_accuracy", "explicit max mode",
     {"monitor": "val_accuracy", "mode": "max", "patience": 1}, [0.5, 0.6, 0.55, 0.7, 0.7, 0.65]),
    ("auto_val_accuracy", "auto mode maximizes accuracy (Keras 3: the metric's direction)",
     {"monitor": "val_accuracy", "patience": 1}, [0.5, 0.6, 0.55, 0.7, 0.7, 0.65]),
    ("auto_accuracy", "auto mode on training accuracy",
     {"monitor": "accuracy", "patience": 2}, [0.3, 0.2, 0.4, 0.4, 0.35, 0.9]),
    ("auto_loss", "auto mode minimizes loss",
     {"monitor": "loss", "patience": 1}, [0.5, 0.6, 0.4, 0.45, 0.3]),
    ("min_on_accuracy", "explicit min mode overrides the direction",
     {"monitor": "val_accuracy", "mode": "min", "patience": 1}, [0.5, 0.6, 0.4, 0.45, 0.3, 0.2]),
    ("restore_after_stop", "restores the best epoch's weights when stopped",
     {"patience": 3, "restore_best_weights": True}, [1.0, 0.6, 0.7, 0.5, 0.55, 0.52, 0.51, 0.3]),
    ("restore_without_stop", "Keras 3 restores at the end of training even when it never stopped",
     {"patience": 4, "restore_best_weights": True}, [1.0, 0.6, 0.7, 0.5, 0.55, 0.52]),
    ("never_stops", "monotone improvement never stops",
     {"patience": 1}, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]),
    ("nan_in_the_middle", "a NaN epoch is no improvement",
     {"patience": 2, "restore_best_weights": True}, [1.0, 0.8, NAN, 0.7, NAN, NAN, 0.1]),
    ("nan_first", "a NaN first epoch becomes the best, nothing beats it",
     {"patience": 2, "restore_best_weights": True}, [NAN, 0.5, 0.4, 0.3, 0.2]),
    ("nan_first_with_baseline", "a NaN first epoch improves but never beats the baseline",
     {"patience": 2, "baseline": 1.0}, [NAN, 0.5, 0.4, 0.3, 0.2]),
    ("nan_max_mode", "NaN in max mode",
     {"monitor": "val_accuracy", "patience": 2, "min_delta": 0.01}, [0.5, NAN, 0.6, 0.605, NAN, 0.7]),
    ("inf_first", "an infinite loss first, then finite values improve",
     {"patience": 1, "restore_best_weights": True}, [INF, 1.0, 2.0, 3.0]),
]


def _encode(value):
    """A float for JSON: finite as is, non-finite as a string float() reads back."""
    return value if math.isfinite(value) else str(value)


def _model():
    """One Dense(1) kernel, compiled with accuracy so that auto mode can find the metric's direction."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    model.evaluate(np.zeros((2, 1)), np.zeros((2, 1)), verbose=0)  # builds the compiled metrics
    return model


def _set_weight(model, value):
    model.set_weights([np.full((1, 1), value, dtype="float32")])


def run_case(model, config, values):
    callback = keras.callbacks.EarlyStopping(**config)
    monitor = callback.monitor
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    waits, bests, best_epochs = [], [], []
    for epoch, value in enumerate(values):
        _set_weight(model, epoch)
        callback.on_epoch_end(epoch, logs={monitor: value})
        waits.append(int(callback.wait))
        bests.append(None if callback.best is None else _encode(float(callback.best)))
        best_epochs.append(int(callback.best_epoch))
        if model.stop_training:
            break
    _set_weight(model, -1)
    callback.on_train_end()
    restored = int(model.get_weights()[0][0, 0])
    return {
        "epochs_run": len(waits),
        "stopped_epoch": int(callback.stopped_epoch) if model.stop_training else None,
        "best_epoch": int(callback.best_epoch),
        "wait": waits,
        "best_trace": bests,
        "best_epoch_trace": best_epochs,
        "restored_epoch": None if restored == -1 else restored,
        "monitor_op": callback.monitor_op.__name__,
    }


def main():
    if keras.backend.backend() != "torch":
        sys.exit("run with KERAS_BACKEND=torch")
    model = _model()
    cases = []
    for case_id, note, config, values in CASES:
        case = {"id": case_id, "note": note, "config": config, "values": [_encode(v) for v in values]}
        case["keras"] = run_case(model, config, values)
        cases.append(case)
    float32_case = next(c for c in cases if c["id"] == "plateau_at_min_delta_float32")
    # the point of that case: in float64 the first step of 0.1 would beat min_delta = 0.1
    assert F32[1] + 0.1 < F32[0] and not np.float32(F32[1] + 0.1) < np.float32(F32[0])
    meta = base_meta(
        generator="KERAS_BACKEND=torch python tests/golden/make_early_stopping_golden.py",
        floatx=keras.config.floatx(),
        notes="Keras compares current - signed min_delta (float64) with best after rounding both to floatx; "
        f"in plateau_at_min_delta_float32 Keras stops at epoch {float32_case['keras']['stopped_epoch']}, "
        "where a float64 comparison would count epoch 1 as an improvement. Keras's best_epoch is 0 "
        "(ours -1) while its best is None (null).",
    )
    write_fixture("early_stopping.json", meta, cases)


if __name__ == "__main__":
    main()
