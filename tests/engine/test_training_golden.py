"""The engine's training loop against Keras 3's `model.fit` itself (tests/golden/training.json).

Each case replays, in float32, what `make_training_golden.py` had Keras do: a 2-16-16-K MLP
(Dense -> [BatchNormalization ->] ReLU) from the stored initial weights, mini-batches of 16 in
order (shuffle=False), the optimizer's update after each batch, three epochs. After every epoch the
History's loss and val_loss and every weight (BatchNormalization's moving statistics included)
must equal Keras's to float32 rounding. The test needs neither torch nor keras.

One substitution: under Adam, the biases of the Dense layers that feed a BatchNormalization are
taken from Keras after every step (`step_hidden_biases`). Normalization subtracts them again, so
their true gradient is zero and both frameworks compute float32 rounding noise (~1e-7); Adam
divides by sqrt(v) + 1e-7 and turns that noise into steps of ~1e-4, a different drift in each
implementation, which the moving means absorb and val_loss then reads. The replay asserts that
its own gradient of those biases is noise-sized; everything else is compared as computed.

`replay_engine` drives mlp.py and optimizers.py directly. `training_config` gives the same run as
a TrainConfig of engine/experiments/training.py; the test that uses it waits for training.py to
have `TrainConfig.shuffle` (Keras's shuffle=False), and its batch-normalization cases for a
`Variant.batch_norm` flag, with the moving statistics in `TrainState.moving` (a Moments).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tui_dl.engine.datasets import Dataset
from tui_dl.engine.experiments import training as T
from tui_dl.engine.experiments.variants import make_variant
from tui_dl.engine.mlp import CLASSIFICATION, MLP, make_mlp
from tui_dl.engine.optimizers import OPTIMIZERS, Optimizer

GOLDEN = json.loads((Path(__file__).resolve().parent.parent / "golden" / "training.json").read_text())
CASES = GOLDEN["cases"]
HIDDEN = (16, 16)
BATCH_SIZE = 16
# Differences are measured in units of float32 tolerance, |ours - keras| / (RTOL |keras| + ATOL);
# a case passes up to its `tolerance`. They come from summation order (matmuls, batch sums) and, with
# batch normalization, from Keras's E[z^2] - E[z]^2 variance and autodiff's order of the backward pass.
RTOL, ATOL = 1e-5, 1e-6
ADAPTIVE = ("keras_adam",)  # optimizers that rescale a gradient by its own running size
LARGEST: dict[str, float] = {}  # the largest difference seen per case, in units
NOISE = 1e-5  # bound on the gradient of a bias that feeds batch normalization (true value 0)


def f32(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def dataset(case: dict) -> Dataset:
    """The case's stored data set as a Dataset (float32 values, as Keras saw them)."""
    entry = GOLDEN["data"][case["data"]]
    classification = entry["task"] == CLASSIFICATION
    labels = (lambda y: np.asarray(y, dtype=np.int64)) if classification else f32
    return Dataset(name=case["data"], task=entry["task"], x_train=f32(entry["x_train"]),
                   y_train=labels(entry["y_train"]), x_val=f32(entry["x_val"]), y_val=labels(entry["y_val"]),
                   classes=entry["outputs"] if classification else 0, feature_names=("x0", "x1"), box=None)


def model_for(case: dict) -> MLP:
    entry = GOLDEN["data"][case["data"]]
    return make_mlp(2, HIDDEN, entry["outputs"], "relu", task=entry["task"], batch_norm=case["batch_norm"])


def pack(model: MLP, weights: dict) -> np.ndarray:
    """A (1, P) float32 parameter row from Keras's weights (kernels, biases, gammas, betas)."""
    params = np.zeros((1, model.n_params), dtype=np.float32)
    for views, key in ((model.kernels(params), "kernels"), (model.biases(params), "biases"),
                       (model.gammas(params), "gammas"), (model.betas(params), "betas")):
        for view, value in zip(views, weights.get(key, []), strict=True):
            view[0] = f32(value)
    return params


def moving_of(model: MLP, weights: dict):
    """Keras's moving statistics as the engine's (1, sum(hidden)) Moments, or None without batch_norm."""
    if "moving_mean" not in weights:
        return None
    moving = model.init_moving(1, np.float32)
    for stats, key in zip(moving, ("moving_mean", "moving_variance"), strict=True):
        stats[0] = np.concatenate([f32(v) for v in weights[key]])
    return moving


def unpack(model: MLP, params: np.ndarray, moving) -> dict:
    """Copies of run 0's weights in the fixture's form (per-layer arrays; moving is updated in place)."""
    weights = {"kernels": model.kernels(params), "biases": model.biases(params)}
    if model.batch_norm:
        weights.update(gammas=model.gammas(params), betas=model.betas(params),
                       moving_mean=model.layer_units(moving.mean), moving_variance=model.layer_units(moving.variance))
    return {key: [view[0].copy() for view in views] for key, views in weights.items()}


def tolerance(case: dict) -> float:
    """The case's allowed difference in units of (RTOL, ATOL).

    Plain networks agree to a fifth of it (largest seen 0.05). Batch normalization has a longer
    backward pass (largest seen 0.12 with SGD). Under Adam, a gradient that nearly cancels (adam_bn:
    the first step's gradient of W1[0, 9] is -6.5e-6 among gradients of 0.1) makes a step
    lr g / (|g| + 3e-6) that moves by ~3e-6 for a rounding difference of 1e-8 in g; that one
    weight reaches 0.93 units, hence twice the unit there.
    """
    if not case["batch_norm"]:
        return 0.2
    return 2.0 if case["optimizer"] in ADAPTIVE else 1.0


def takes_keras_biases(case: dict) -> bool:
    """Whether the replay takes Keras's noise-driven hidden biases after each step (module docstring)."""
    return bool(case["batch_norm"]) and case["optimizer"] in ADAPTIVE


def with_keras_biases(optimizer: Optimizer, model: MLP, case: dict) -> Optimizer:
    """The optimizer, except that after its k-th update the hidden biases are Keras's after step k.

    It first checks that the gradient of those biases is rounding noise (they feed batch
    normalization); the other parameters are the optimizer's own result.
    """
    steps = iter(case["step_hidden_biases"])

    def update(grads, state, params, lr=None):
        noise = max(float(np.abs(g).max()) for g in model.biases(grads)[:-1])
        assert noise < NOISE, f"{case['id']}: a bias before batch normalization has gradient {noise}"
        new_params, new_state = optimizer.update(grads, state, params, lr)
        for view, value in zip(model.biases(new_params)[:-1], next(steps), strict=True):
            view[:] = f32(value)
        return new_params, new_state

    return Optimizer(optimizer.init, update, optimizer.step_size)


def replay_engine(case: dict) -> list[dict]:
    """Train as Keras's fit did, with the engine: per epoch {"loss", "val_loss", "weights"}."""
    data, model = dataset(case), model_for(case)
    initial = GOLDEN["initial"][case["initial"]]
    params, moving = pack(model, initial), moving_of(model, initial)
    optimizer = OPTIMIZERS[case["optimizer"]](**case["params"])
    if takes_keras_biases(case):
        optimizer = with_keras_biases(optimizer, model, case)
    state = optimizer.init(params)
    l1, l2 = case["l1"], case["l2"]
    n = len(data.x_train)
    epochs = []
    for _ in range(len(case["epochs"])):
        loss_sum = 0.0
        for start in range(0, n, BATCH_SIZE):
            x = data.x_train[None, start:start + BATCH_SIZE]
            y = data.y_train[None, start:start + BATCH_SIZE]
            result = model.loss_and_grad(params, x, y, l1=l1, l2=l2, batch_norm=case["batch_norm"], moving=moving)
            loss_sum += float(result.loss[0]) * x.shape[1]
            params, state = optimizer.update(result.grads, state, params)
        val_data, _ = model.evaluate(params, data.x_val, data.y_val, batch_norm=case["batch_norm"], moving=moving)
        val_loss = val_data + model.penalty(params, l1, l2)
        epochs.append({"loss": loss_sum / n, "val_loss": float(val_loss[0]),
                       "weights": unpack(model, params, moving)})
    return epochs


def compare(case: dict, what: str, ours: Any, theirs: Any) -> None:
    """assert_allclose at the case's tolerance, remembering the largest difference (in units) per case."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    units = float(np.max(np.abs(ours - theirs) / (np.abs(theirs) * RTOL + ATOL), initial=0.0))
    LARGEST[case["id"]] = max(LARGEST.get(case["id"], 0.0), units)
    factor = tolerance(case)
    np.testing.assert_allclose(ours, theirs, rtol=factor * RTOL, atol=factor * ATOL, err_msg=f"{case['id']}: {what}")


def check_against_keras(case: dict, epochs: list[dict]) -> None:
    for epoch, (ours, theirs) in enumerate(zip(epochs, case["epochs"], strict=True)):
        compare(case, f"epoch {epoch} loss", ours["loss"], theirs["loss"])
        compare(case, f"epoch {epoch} val_loss", ours["val_loss"], theirs["val_loss"])
        assert set(ours["weights"]) == set(theirs["weights"])
        for key, layers in theirs["weights"].items():
            for layer, value in enumerate(layers):
                compare(case, f"epoch {epoch} {key}[{layer}]", ours["weights"][key][layer], value)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_engine_training_matches_keras_fit(case):
    check_against_keras(case, replay_engine(case))


def test_the_cases_cover_the_optimizers_regularizers_and_batch_norm():
    covered = {(c["optimizer"], c["params"].get("momentum", 0.0) > 0, c["l1"] > 0, c["l2"] > 0, c["batch_norm"])
               for c in CASES}
    for name, momentum in (("keras_sgd", False), ("keras_sgd", True), ("keras_adam", False)):
        for l1, l2 in ((False, False), (True, False), (False, True)):
            assert (name, momentum, l1, l2, False) in covered
    assert {(c["optimizer"], c["batch_norm"]) for c in CASES} >= {("keras_sgd", True), ("keras_adam", True)}
    assert {c["data"] for c in CASES} == {"classification", "regression"}
    # the training moved the weights well beyond the tolerance: the comparison means something
    for case in CASES:
        first = GOLDEN["initial"][case["initial"]]["kernels"][1]
        last = case["epochs"][-1]["weights"]["kernels"][1]
        assert np.abs(f32(last) - f32(first)).max() > 1e3 * ATOL, case["id"]


def test_largest_difference_report(capsys):
    """Prints the largest |ours - keras| / (1e-5 |keras| + 1e-6) per case next to its tolerance (see with -s)."""
    for case in CASES:
        if case["id"] not in LARGEST:  # not replayed yet (this test run alone)
            check_against_keras(case, replay_engine(case))
    with capsys.disabled():
        print(f"\nlargest |ours - keras| / ({RTOL:g} |keras| + {ATOL:g}) per case (allowed):")
        for case in CASES:
            print(f"  {case['id']:24s} {LARGEST[case['id']]:.3f} ({tolerance(case):g})")
    assert all(LARGEST[case["id"]] <= tolerance(case) for case in CASES)


# ---------------------------------------------------------------------------------------------
# the same runs through engine/experiments/training.py
# ---------------------------------------------------------------------------------------------
def training_config(case: dict) -> dict[str, Any]:
    """TrainConfig fields for the case: one variant, Keras's optimizer and rate, batches in order.

    The caller sets the initial weights (`pack`, and `moving_of` for batch normalization) into the
    state that `init` returns and re-initializes the optimizer state on them.
    """
    params = dict(case["params"])
    lr = params.pop("learning_rate")
    variant = {"l1": case["l1"], "l2": case["l2"]}
    if case["batch_norm"]:
        variant["batch_norm"] = True
    return {"data": dataset(case), "hidden": HIDDEN, "activation": "relu", "optimizer": case["optimizer"],
            "optimizer_params": params, "lr": lr, "batch_size": BATCH_SIZE, "epochs": len(case["epochs"]),
            "dtype": "float32", "variants": (make_variant(**variant),), "shuffle": False, "eval_train": False}


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_training_experiment_matches_keras_fit(case):
    config = T.TrainConfig(**training_config(case))
    state = T.init(config, np.random.default_rng(0))
    initial = GOLDEN["initial"][case["initial"]]
    state.params = pack(state.model, initial)
    state.opt_state = state.optimizer.init(state.params)
    if takes_keras_biases(case):
        state.optimizer = with_keras_biases(state.optimizer, state.model, case)
    moving = moving_of(state.model, initial)
    if moving is not None:
        for ours, theirs in zip(state.moving, moving, strict=True):
            ours[...] = theirs
    epochs = []
    for _ in range(config.epochs):
        T.step(state, 1)
        epochs.append({"loss": float(state.history["train_loss"].view()[-1, 0]),
                       "val_loss": float(state.history["val_loss"].view()[-1, 0]),
                       "weights": unpack(state.model, state.params, state.moving if case["batch_norm"] else None)})
    check_against_keras(case, epochs)
