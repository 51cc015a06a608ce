"""keras.callbacks.ReduceLROnPlateau against Keras itself (tests/golden/keras_plateau.json), next to torch's.

The fixture was made by tests/golden/make_keras_plateau_golden.py, which runs the Keras code the formula
panel shows on a compiled model and records the optimizer's rate at every epoch: patience, cooldown (and an
improvement inside it), min_lr, absolute min_delta (negative too), float32 near-ties, NaN and inf metrics
(a NaN first value becomes the best), max mode from an accuracy's direction. The suite needs no Keras.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tui_dl.app.frameworks.schedules import schedule_code
from tui_dl.engine.keras_plateau import NAME, keras_plateau_init, keras_plateau_step
from tui_dl.engine.schedules import SCHEDULES
from tui_dl.params import ParamError

GOLDEN = json.loads((Path(__file__).resolve().parent.parent / "golden" / "keras_plateau.json").read_text())
CASES = GOLDEN["cases"]


def _params(case: dict) -> dict:
    params = SCHEDULES[NAME].resolve(case["params"])
    params["metrics"] = SCHEDULES[NAME].spec("metrics").parse(case["metrics"])
    return params


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_rates_equal_keras(case):
    ours = SCHEDULES[NAME](np.asarray(case["steps"]), **_params(case))
    np.testing.assert_array_equal(ours, case["lr"])  # float32 numbers on both sides: equal, not close


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_panel_still_shows_the_code_that_made_the_record(case):
    assert schedule_code(NAME, SCHEDULES[NAME].resolve(case["params"]))[0] == case["code"]


def test_all_cases_batched_in_one_state_equal_keras():
    """The training path: one keras_plateau_step per epoch for every run at once (cases of one length and the
    default settings differ only in their metrics, so the defaults' case runs next to a shifted copy)."""
    case = next(c for c in CASES if c["id"] == "patience_2")
    params = _params(case)
    metrics = np.asarray(params.pop("metrics"))
    params.pop("learning_rate")
    state = keras_plateau_init(np.array([0.1, 0.1]))
    rates = [state.lr.copy()]
    for value in metrics:
        state = keras_plateau_step(state, np.array([value, value - 1.0]), **params)  # a shift changes nothing
        rates.append(state.lr.copy())
    np.testing.assert_array_equal(np.asarray(rates)[:, 0], case["lr"])
    np.testing.assert_array_equal(np.asarray(rates)[:, 1], case["lr"])


def test_the_cases_reach_what_differs_from_torch():
    by_id = {c["id"]: c["lr"] for c in CASES}
    torch_rate = SCHEDULES["reduce_lr_on_plateau"]
    flat = np.ones(25)
    keras_flat, ours_torch = by_id["defaults_flat"], torch_rate(np.arange(26), lr=0.1, metrics=flat)
    assert keras_flat[11] < keras_flat[10] and ours_torch[11] == ours_torch[10]  # patience 10: Keras after 10
    assert by_id["nan_first_becomes_best"][2] < by_id["nan_first_becomes_best"][0]  # nothing beats a NaN best
    assert by_id["float32_tie"][2] < by_id["float32_tie"][1]  # 0.99999999 == 1 in float32: no improvement
    assert len(set(by_id["min_lr_floor"][-5:])) == 1 and by_id["min_lr_floor"][-1] == np.float32(5e-4)
    assert by_id["min_delta_absolute"] == by_id["min_delta_negative_is_abs"]


def test_factor_one_is_refused_as_keras_refuses_it():
    assert "does not support a factor >= 1.0" in GOLDEN["meta"]["factor_1_refusal"]
    with pytest.raises(ParamError, match=r"factor: expected a float in \(-inf, 1\)"):
        SCHEDULES[NAME].resolve({"factor": 1.0})
    SCHEDULES[NAME].resolve({"factor": -0.5})  # Keras takes it: the rate drops to min_lr


# ------------------------------------------------------- in training: model.fit with the callback
TRAINING = json.loads((Path(__file__).resolve().parent.parent / "golden" / "training.json").read_text())
FIT = GOLDEN["fit"]


def _fit_config(case: dict):
    from tui_dl.engine.datasets import Dataset
    from tui_dl.engine.experiments import training
    from tui_dl.engine.experiments.variants import Variant

    entry = TRAINING["data"]["classification"]
    f32 = lambda values: np.asarray(values, dtype=np.float32)  # noqa: E731
    data = Dataset("classification", "classification", f32(entry["x_train"]), np.asarray(entry["y_train"]),
                   f32(entry["x_val"]), np.asarray(entry["y_val"]), entry["outputs"], ("x0", "x1"), None)
    params = {k: v for k, v in case["params"].items() if k != "metrics"}
    return training.TrainConfig(
        data=data, hidden=(16, 16), activation="relu", optimizer="keras_sgd", lr=params["learning_rate"],
        schedule=NAME, schedule_params=params, batch_size=16, epochs=len(case["loss"]), dtype="float32",
        variants=(Variant("none"),), shuffle=False, eval_train=False)


@pytest.mark.parametrize("case", FIT, ids=[c["id"] for c in FIT])
def test_training_with_the_callback_follows_keras_fit(case):
    """The training experiment with keras_reduce_lr_on_plateau: each epoch's rate equals History's learning_rate
    exactly, the losses to float32 rounding (the golden training tests' tolerance)."""
    from tui_dl.engine.experiments import training

    config = _fit_config(case)
    state = training.init(config, np.random.default_rng(0))
    initial = TRAINING["initial"]["classification"]
    params = np.zeros_like(state.params)
    for views, key in ((state.model.kernels(params), "kernels"), (state.model.biases(params), "biases")):
        for view, value in zip(views, initial[key], strict=True):
            view[0] = np.asarray(value, dtype=np.float32)
    state.params = params
    state.opt_state = state.optimizer.init(params)
    rates = []
    for _ in range(config.epochs):
        rates.append(float(state.plateau.lr[0]))
        training.step(state, 1)
    np.testing.assert_array_equal(rates, case["learning_rate"])
    np.testing.assert_allclose(state.history["val_loss"].view()[:, 0], case["val_loss"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.history["train_loss"].view()[:, 0], case["loss"], rtol=1e-5, atol=1e-6)
    assert len(set(rates)) >= 3  # it reduced at least twice


def test_the_shown_fit_code_is_the_panels():
    for case in FIT:
        assert schedule_code(NAME, SCHEDULES[NAME].resolve(case["params"]))[0] == case["code"]


def test_it_cannot_race_and_takes_no_metrics_in_training():
    from dataclasses import replace

    from tui_dl.engine.experiments import schedule_race

    config = _fit_config(FIT[0])
    race = schedule_race.ScheduleRaceConfig(train=replace(config, schedule="constant", schedule_params={}),
                                            racers=(schedule_race.Racer("k", NAME),))
    with pytest.raises(ParamError, match=f"{NAME} follows a metric, not the step, so it cannot race here"):
        schedule_race.init(race, np.random.default_rng(0))
    from tui_dl.engine.experiments import training

    with pytest.raises(ParamError, match=f"{NAME} follows the monitored metric in training: do not set metrics"):
        training.init(replace(config, schedule_params={**config.schedule_params, "metrics": (1.0, 2.0)}),
                      np.random.default_rng(0))
