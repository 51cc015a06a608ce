"""Regenerate tests/golden/training.json: what Keras 3's `model.fit` really does to a small MLP.

From the repository root, in a scratch venv with torch==2.13.0, keras 3 and numpy:

    KERAS_BACKEND=torch python tests/golden/make_training_golden.py

Each case trains a Keras Sequential 2-16-16-K in float32 (Dense -> [BatchNormalization ->]
Activation("relu") for each hidden layer, then a linear Dense(K)) from the stored initial weights
(`set_weights`) with `model.fit(x, y, batch_size=16, epochs=3, shuffle=False,
validation_data=(x_val, y_val))`, and records after every epoch the History's loss and val_loss
and every weight, BatchNormalization's moving statistics included. Classification uses
SparseCategoricalCrossentropy(from_logits=True), regression "mse". Regularized cases put the same
kernel_regularizer (L1 or L2) on every Dense layer. Optimizers are Keras's own (tui-dl's keras_*).

The file is {"meta": ..., "data": ..., "initial": ..., "cases": [...]}, one data set, initial
weight set or case per line. Weights are float32 values written in their shortest round-trip form
(read them back as float32); kernels are (fan_in, fan_out) as Keras stores them.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import torch
from make_golden import TORCH_VERSION_EXPECTED, base_meta

HERE = Path(__file__).resolve().parent
HIDDEN = (16, 16)
BATCH_SIZE, EPOCHS = 16, 3
N_TRAIN, N_VAL = 48, 24
L1, L2 = 1e-2, 1e-2


def f32(array):
    """Nested lists of floats that print as the shortest decimal that round-trips in float32."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 0:
        return float(str(array))
    return [f32(a) for a in array]


# ---------------------------------------------------------------------------------------------
# data and initial weights (numpy only, seeded: the same file every run)
# ---------------------------------------------------------------------------------------------
def classification_data(rng):
    """Three Gaussian blobs in 2-D, the classes interleaved so every batch of 16 holds all three."""
    centers = np.array([[-1.0, -0.5], [1.0, -0.5], [0.0, 1.0]])
    n = N_TRAIN + N_VAL
    labels = rng.permutation(np.arange(n) % 3)
    x = centers[labels] + 0.6 * rng.standard_normal((n, 2))
    return x.astype(np.float32), labels.astype(np.int64)


def regression_data(rng):
    """Two smooth targets of two inputs with a little noise."""
    n = N_TRAIN + N_VAL
    x = rng.uniform(-2.0, 2.0, (n, 2))
    y = np.stack([np.sin(x[:, 0]) + 0.5 * x[:, 1], 0.3 * x[:, 0] * x[:, 1]], axis=1)
    y += 0.05 * rng.standard_normal(y.shape)
    return x.astype(np.float32), y.astype(np.float32)


def initial_weights(rng, outputs, batch_norm):
    """Glorot-uniform kernels, small non-zero biases (so their gradients show), and with batch_norm
    gammas near one and betas near zero (Keras's moving statistics: zeros and ones)."""
    sizes = (2, *HIDDEN, outputs)
    weights = {"kernels": [], "biases": []}
    for fan_in, fan_out in itertools.pairwise(sizes):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights["kernels"].append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        weights["biases"].append((0.1 * rng.standard_normal(fan_out)).astype(np.float32))
    if batch_norm:
        weights["gammas"] = [(1.0 + 0.1 * rng.standard_normal(h)).astype(np.float32) for h in HIDDEN]
        weights["betas"] = [(0.1 * rng.standard_normal(h)).astype(np.float32) for h in HIDDEN]
        weights["moving_mean"] = [np.zeros(h, np.float32) for h in HIDDEN]
        weights["moving_variance"] = [np.ones(h, np.float32) for h in HIDDEN]
    return weights


def make_data():
    rng = np.random.default_rng(20261203)
    x, y = classification_data(rng)
    xr, yr = regression_data(rng)
    data = {
        "classification": {"task": "classification", "outputs": 3, "x_train": x[:N_TRAIN], "y_train": y[:N_TRAIN],
                           "x_val": x[N_TRAIN:], "y_val": y[N_TRAIN:]},
        "regression": {"task": "regression", "outputs": 2, "x_train": xr[:N_TRAIN], "y_train": yr[:N_TRAIN],
                       "x_val": xr[N_TRAIN:], "y_val": yr[N_TRAIN:]},
    }
    initial = {}
    for name, entry in data.items():
        plain = initial_weights(rng, entry["outputs"], False)
        normalized = initial_weights(rng, entry["outputs"], True)
        normalized["kernels"], normalized["biases"] = plain["kernels"], plain["biases"]  # the same Dense weights
        initial[name] = plain
        initial[name + "_bn"] = normalized
    return data, initial


# ---------------------------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------------------------
OPTIMIZERS = {
    "sgd": ("keras_sgd", {"learning_rate": 0.1}),
    "momentum": ("keras_sgd", {"learning_rate": 0.05, "momentum": 0.9}),
    "adam": ("keras_adam", {"learning_rate": 0.01}),
}
KERAS_OPTIMIZERS = {"keras_sgd": keras.optimizers.SGD, "keras_adam": keras.optimizers.Adam}

# (id, data set, optimizer key, regularizer (None, "l1", "l2"), batch_norm)
CASES = [
    *((f"{opt}{'_' + reg if reg else ''}", "classification", opt, reg, False)
      for opt in ("sgd", "momentum", "adam") for reg in (None, "l1", "l2")),
    ("sgd_bn", "classification", "sgd", None, True),
    ("momentum_bn", "classification", "momentum", None, True),
    ("adam_bn", "classification", "adam", None, True),
    ("sgd_bn_l1", "classification", "sgd", "l1", True),
    ("adam_bn_l2", "classification", "adam", "l2", True),
    ("regression_sgd", "regression", "sgd", None, False),
    ("regression_adam_l2", "regression", "adam", "l2", False),
    ("regression_sgd_bn", "regression", "sgd", None, True),
    ("regression_adam_bn_l1", "regression", "adam", "l1", True),
]


def regularizer(kind):
    if kind == "l1":
        return keras.regularizers.L1(L1)
    if kind == "l2":
        return keras.regularizers.L2(L2)
    return None


def build(outputs, task, reg, batch_norm, optimizer):
    layers = [keras.Input((2,))]
    for width in HIDDEN:
        layers.append(keras.layers.Dense(width, kernel_regularizer=regularizer(reg)))
        if batch_norm:
            layers.append(keras.layers.BatchNormalization())
        layers.append(keras.layers.Activation("relu"))
    layers.append(keras.layers.Dense(outputs, kernel_regularizer=regularizer(reg)))
    model = keras.Sequential(layers)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True) if task == "classification" else "mse"
    model.compile(optimizer=optimizer, loss=loss)
    return model


def set_weights(model, weights):
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for i, layer in enumerate(dense):
        layer.set_weights([weights["kernels"][i], weights["biases"][i]])
    for i, layer in enumerate(norms):
        layer.set_weights([weights[key][i] for key in ("gammas", "betas", "moving_mean", "moving_variance")])


def get_weights(model):
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    weights = {"kernels": [f32(layer.get_weights()[0]) for layer in dense],
               "biases": [f32(layer.get_weights()[1]) for layer in dense]}
    if norms:
        for index, key in enumerate(("gammas", "betas", "moving_mean", "moving_variance")):
            weights[key] = [f32(layer.get_weights()[index]) for layer in norms]
    for layer in model.layers:
        for variable in layer.weights:
            assert keras.backend.standardize_dtype(variable.dtype) == "float32", variable
    return weights


class Recorder(keras.callbacks.Callback):
    """Every epoch's History values and weights; every batch's running loss and hidden biases."""

    def __init__(self):
        super().__init__()
        self.epochs = []
        self.batches = []
        self.hidden_biases = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(float(logs["loss"]))
        self.hidden_biases.append(get_weights(self.model)["biases"][:-1])

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append({"epoch": epoch, "loss": float(logs["loss"]), "val_loss": float(logs["val_loss"]),
                            "weights": get_weights(self.model)})


def run_case(case_id, data_name, opt_key, reg, batch_norm, data, initial):
    entry = data[data_name]
    name, params = OPTIMIZERS[opt_key]
    keras.utils.set_random_seed(0)  # nothing random is drawn; for good measure
    model = build(entry["outputs"], entry["task"], reg, batch_norm, KERAS_OPTIMIZERS[name](**params))
    weights = initial[data_name + ("_bn" if batch_norm else "")]
    set_weights(model, weights)
    recorder = Recorder()
    history = model.fit(entry["x_train"], entry["y_train"], batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=False,
                        validation_data=(entry["x_val"], entry["y_val"]), callbacks=[recorder], verbose=0)
    assert [e["loss"] for e in recorder.epochs] == history.history["loss"]
    assert int(model.optimizer.iterations) == EPOCHS * N_TRAIN // BATCH_SIZE
    for epoch in recorder.epochs:
        assert np.isfinite(epoch["loss"]) and np.isfinite(epoch["val_loss"]), case_id
    return {"id": case_id, "data": data_name, "initial": data_name + ("_bn" if batch_norm else ""),
            "optimizer": name, "params": params, "l1": L1 if reg == "l1" else 0.0, "l2": L2 if reg == "l2" else 0.0,
            "batch_norm": batch_norm, "batch_loss_running_mean": recorder.batches,
            "step_hidden_biases": recorder.hidden_biases if batch_norm else None, "epochs": recorder.epochs}


def dump(obj):
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def write(meta, data, initial, cases):
    """One line for the meta, each data set, each initial weight set and each case (readable diffs)."""
    ids = [case["id"] for case in cases]
    assert len(set(ids)) == len(ids), "duplicate ids"

    def block(name, mapping, last=False):
        items = [f"{dump(key)}:{dump(value)}" for key, value in mapping.items()]
        return [f'"{name}":{{'] + [item + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)] + [
            "}" + ("" if last else ",")]

    lines = [f'{{"meta":{dump(meta)},']
    lines += block("data", data)
    lines += block("initial", initial)
    lines.append('"cases":[')
    lines += [dump(case) + ("," if i < len(cases) - 1 else "") for i, case in enumerate(cases)]
    lines.append("]}")
    path = HERE / "training.json"
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path.relative_to(HERE.parent.parent)}: {len(cases)} cases, {path.stat().st_size} bytes")


def main():
    if keras.backend.backend() != "torch":
        sys.exit("run with KERAS_BACKEND=torch")
    if not torch.__version__.startswith(TORCH_VERSION_EXPECTED):
        print(f"warning: torch {torch.__version__}, the fixtures were made with {TORCH_VERSION_EXPECTED}")
    assert keras.config.floatx() == "float32"
    torch.set_num_threads(1)  # one summation order
    data, initial = make_data()
    cases = [run_case(*case, data, initial) for case in CASES]
    meta = base_meta(
        generator="KERAS_BACKEND=torch python tests/golden/make_training_golden.py",
        dtype="float32",
        model="keras.Sequential: Input((2,)), then per hidden width 16, 16: Dense(width, kernel_regularizer) "
        "[-> BatchNormalization() with its defaults: momentum 0.99, epsilon 1e-3] -> Activation('relu'); then "
        "Dense(K, kernel_regularizer). Weights set from 'initial' with set_weights.",
        fit=f"model.fit(x_train, y_train, batch_size={BATCH_SIZE}, epochs={EPOCHS}, shuffle=False, "
        "validation_data=(x_val, y_val)): 3 batches of 16 per epoch, in order",
        loss={"classification": "SparseCategoricalCrossentropy(from_logits=True)", "regression": "mse"},
        regularizers={"l1": f"keras.regularizers.L1({L1}) on every Dense kernel",
                      "l2": f"keras.regularizers.L2({L2}) on every Dense kernel"},
        recorded="epochs[e]: History's loss (the mean of the epoch's batch losses, regularization included, each "
        "at the weights before its update, BatchNormalization in training mode) and val_loss (inference mode: "
        "moving statistics; regularization included), and every weight after epoch e. batch_loss_running_mean: "
        "logs['loss'] at each on_train_batch_end (Keras's running mean within the epoch). step_hidden_biases "
        "(batch-normalization cases): the hidden Dense layers' biases after every optimizer step.",
        notes=[
            "A bias right before BatchNormalization has no effect on the training-mode output, so its true "
            "gradient is zero; Keras computes float32 rounding noise (~1e-8 to 1e-7). SGD moves it by lr times "
            "that, nothing; Adam divides by sqrt(v) + 1e-7 and turns the noise into steps of ~1e-4, so these "
            "biases (and the moving means, which follow them, and val_loss, which reads both) drift by noise that "
            "no other implementation reproduces. step_hidden_biases lets a replay take Keras's values for them.",
        ],
        torch_threads=1,
    )
    write(meta, {name: plain_data(entry) for name, entry in data.items()},
          {name: {key: [f32(w) for w in ws] for key, ws in weights.items()} for name, weights in initial.items()},
          cases)


def plain_data(entry):
    """A data set for JSON: float32 arrays in their shortest form, labels as ints."""
    def convert(value):
        if not isinstance(value, np.ndarray):
            return value
        return f32(value) if value.dtype == np.float32 else value.tolist()

    return {key: convert(value) for key, value in entry.items()}


if __name__ == "__main__":
    main()
