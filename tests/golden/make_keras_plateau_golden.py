"""Golden rates of keras.callbacks.ReduceLROnPlateau, built by running the Keras code tui-dl shows.

Writes tests/golden/keras_plateau.json, read by tests/engine/test_keras_plateau.py. For each case the
callback is what the formula panel's Keras code (`schedule_code('keras_reduce_lr_on_plateau', ...)`)
evaluates to; it is attached to a compiled one-layer model (metrics=['accuracy'], so mode='auto' can
orient an accuracy) whose optimizer is keras.optimizers.SGD(learning_rate); then on_train_begin and, for
each epoch e, lr[e] = float(optimizer.learning_rate) before on_epoch_end(e, {monitor: metrics[e]}), and
one more after the last. From the repository root, in the scratch venv with Keras 3.15.1:

    KERAS_BACKEND=torch python tests/golden/make_keras_plateau_golden.py
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tui_dl.app.frameworks.schedules import schedule_code  # noqa: E402
from tui_dl.engine.schedules import SCHEDULES  # noqa: E402

NAME = "keras_reduce_lr_on_plateau"
PLATEAU = "1,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.8,0.8,0.8,0.8,0.8,0.8,0.8,0.8"
# (id, the values set (the rest at their defaults), metrics as --set metrics= text)
CASES = [
    ("defaults_flat", {}, ",".join(["1"] * 25)),
    ("patience_2", {"learning_rate": 0.1, "patience": 2, "factor": 0.5}, PLATEAU),
    ("patience_0", {"learning_rate": 0.1, "patience": 0, "factor": 0.5}, "1,2,0.5,0.5,3,0.1,0.1"),
    ("cooldown_2", {"learning_rate": 0.1, "patience": 1, "cooldown": 2, "factor": 0.5}, PLATEAU),
    ("cooldown_3_improving_in_it", {"learning_rate": 0.1, "patience": 1, "cooldown": 3, "factor": 0.5},
     "1,1,1,0.5,0.4,1,1,1,1,1,1"),
    ("min_lr_floor", {"learning_rate": 0.1, "patience": 1, "factor": 0.1, "min_lr": 5e-4},
     ",".join(["1"] * 15)),
    ("min_delta_absolute", {"learning_rate": 0.1, "patience": 2, "factor": 0.5, "min_delta": 0.05},
     "1,0.96,0.92,0.9,0.86,0.85,0.84,0.8,0.79,0.78,0.6,0.6,0.6"),
    ("min_delta_negative_is_abs", {"learning_rate": 0.1, "patience": 2, "factor": 0.5, "min_delta": -0.05},
     "1,0.96,0.92,0.9,0.86,0.85,0.84,0.8,0.79,0.78,0.6,0.6,0.6"),
    ("min_delta_0", {"learning_rate": 0.1, "patience": 1, "factor": 0.5, "min_delta": 0.0},
     "1,0.99999,0.99999,0.9,0.9"),
    ("float32_tie", {"learning_rate": 0.1, "patience": 1, "factor": 0.5, "min_delta": 0.0},
     "1,0.99999999,0.9999999,0.999999,0.99999"),
    ("nan_later", {"learning_rate": 0.1, "patience": 2, "factor": 0.5},
     "1,nan,nan,nan,0.5,0.5,nan,0.4,0.4,0.4,0.4,0.4"),
    ("nan_first_becomes_best", {"learning_rate": 0.1, "patience": 1}, "nan,1,0.5,0.2,0.1,0.1"),
    ("issue_example", {"learning_rate": 0.1, "patience": 1}, "1,nan,nan,nan,0.5,0.5"),
    ("inf_min", {"learning_rate": 0.1, "patience": 1, "factor": 0.3}, "inf,1,-inf,-inf,0,nan"),
    ("max_mode_accuracy_auto", {"learning_rate": 0.01, "monitor": "val_accuracy", "patience": 2, "factor": 0.2},
     "0.5,0.6,0.6,0.6,0.61,0.7,0.7,0.7,0.7,0.7"),
    ("max_mode_explicit_loss", {"learning_rate": 0.01, "monitor": "loss", "mode": "max", "patience": 1},
     "0.5,0.4,0.3,0.6,0.6,0.6,inf,nan"),
    ("min_mode_accuracy", {"learning_rate": 0.01, "monitor": "accuracy", "mode": "min", "patience": 1,
                           "factor": 0.5}, "0.5,0.6,0.4,0.4,0.4,0.4"),
    ("factor_0", {"learning_rate": 0.1, "patience": 1, "factor": 0.0, "min_lr": 1e-3}, "1,1,1,1,1"),
    ("factor_negative", {"learning_rate": 0.1, "patience": 1, "factor": -0.5, "min_lr": 1e-3}, "1,1,1,1,1"),
    ("odd_rate_float32", {"learning_rate": 0.3, "patience": 1, "factor": 0.7}, ",".join(["1"] * 20)),
    ("negative_patience_and_cooldown", {"learning_rate": 0.1, "patience": -2, "cooldown": -1, "factor": 0.5},
     "1,0.5,0.5,0.4,0.4,0.4"),
]


def model_with(learning_rate):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.evaluate(np.zeros((2, 2)), np.zeros(2), verbose=0)  # builds the compiled metrics (their direction)
    return model, optimizer


def run(params, metrics):
    code = schedule_code(NAME, params)[0]
    scope = {"keras": keras, "math": math}
    exec(code, scope)
    callback = scope["reduce_lr"]
    model, optimizer = model_with(params["learning_rate"])
    callback.set_model(model)
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(metrics):
        rates.append(float(optimizer.learning_rate))
        callback.on_epoch_end(epoch, {params["monitor"]: value})
    rates.append(float(optimizer.learning_rate))
    return code, rates


FIT_EPOCHS = 14
FIT_CASES = [  # (id, the callback's values, learning_rate of keras SGD)
    ("fit_val_loss", {"monitor": "val_loss", "factor": 0.5, "patience": 1, "min_delta": 0.05}, 0.1),
    ("fit_loss_cooldown", {"monitor": "loss", "factor": 0.3, "patience": 1, "min_delta": 0.03, "cooldown": 1,
                           "min_lr": 0.01}, 0.2),
]


def fit_cases():
    """model.fit of training.json's 2-16-16-3 classification MLP (its data and initial weights, keras SGD, batches
    of 16 in order) with the shown callback: each epoch's History loss, val_loss and learning_rate."""
    sys.path.insert(0, str(HERE))
    import make_training_golden as training

    data, initial = training.make_data()  # seeded: the data and weights training.json stores
    entry = data["classification"]
    out = []
    for case_id, values, learning_rate in FIT_CASES:
        params = SCHEDULES[NAME].resolve({**values, "learning_rate": learning_rate})
        code = schedule_code(NAME, params)[0]
        scope = {"keras": keras, "math": math}
        exec(code, scope)
        keras.utils.set_random_seed(0)
        model = training.build(3, "classification", None, False, keras.optimizers.SGD(learning_rate=learning_rate))
        training.set_weights(model, initial["classification"])
        history = model.fit(entry["x_train"], entry["y_train"], batch_size=training.BATCH_SIZE, epochs=FIT_EPOCHS,
                            shuffle=False, validation_data=(entry["x_val"], entry["y_val"]),
                            callbacks=[scope["reduce_lr"]], verbose=0)
        out.append({"id": case_id, "params": jsonable(params), "code": code, "loss": history.history["loss"],
                    "val_loss": history.history["val_loss"], "learning_rate": history.history["learning_rate"]})
    return out


def jsonable(values):
    return {key: list(value) if isinstance(value, tuple) else value for key, value in values.items()}


def main():
    spec = SCHEDULES[NAME].spec("metrics")
    cases = []
    for case_id, values, text in CASES:
        params = SCHEDULES[NAME].resolve(values)
        metrics = spec.parse(text)
        code, rates = run(params, metrics)
        cases.append({"id": case_id, "params": jsonable(params), "metrics": text, "code": code,
                      "steps": list(range(len(metrics) + 1)), "lr": rates})
    refusal = ""
    try:
        keras.callbacks.ReduceLROnPlateau(factor=1.0)
    except ValueError as error:
        refusal = str(error)
    meta = {"generator": "KERAS_BACKEND=torch python tests/golden/make_keras_plateau_golden.py",
            "keras": keras.__version__, "keras_backend": keras.backend.backend(), "numpy": np.__version__,
            "factor_1_refusal": refusal,
            "protocol": "callback = the Keras code tui-dl shows (`code`), on a compiled model whose optimizer is "
            "SGD(learning_rate); on_train_begin(); lr[e] = float(optimizer.learning_rate) before "
            "on_epoch_end(e, {monitor: metrics[e]}), and one more after the last epoch."}
    path = HERE / "keras_plateau.json"
    meta["fit_protocol"] = ("fit: training.json's classification data and initial weights, its 2-16-16-3 ReLU "
                            "model in float32 with keras SGD(learning_rate), model.fit(batch_size=16, shuffle=False, "
                            f"epochs={FIT_EPOCHS}, validation_data) with callbacks=[the shown callback]; History's "
                            "learning_rate is the rate of each epoch, logged at its end before the callback acts.")
    path.write_text(json.dumps({"meta": meta, "cases": cases, "fit": fit_cases()}, indent=None, separators=(",", ":"),
                               allow_nan=False) + "\n")
    print(f"wrote {path.name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
