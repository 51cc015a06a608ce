"""Momentum cycling (CyclicLR and OneCycleLR cycle_momentum) against torch itself (golden/cycled_momentum.json).

The fixture was made by tests/golden/make_cycled_momentum_golden.py: torch optimizers on surfaces and a small MLP,
driven by the real schedulers, which write the momentum (SGD, RMSprop) or betas[0] (the Adam family) before every
step. The engine computes the same rates and momenta (schedules.py) and follows the same paths, on the surfaces
through `Optimizer.update(..., momentum=)` and in the training experiment through its momentum table.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tui_dl.engine.datasets import Dataset
from tui_dl.engine.experiments import schedule_race, training
from tui_dl.engine.experiments.variants import Variant
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.schedules import SCHEDULES, schedule_momentum
from tui_dl.engine.surfaces import get_surface
from tui_dl.params import ParamError

FIXTURE = json.loads((Path(__file__).resolve().parent.parent / "golden" / "cycled_momentum.json").read_text())
CASES = FIXTURE["cases"]
RTOL = 1e-12  # float64 on both sides (and torch's state scalars: the fixture sets the default dtype float64)


def _schedule(case: dict) -> tuple[np.ndarray, np.ndarray]:
    component = SCHEDULES[case["schedule"]]
    params = component.resolve(case["schedule_params"])
    steps = np.arange(len(case["lr"]))
    return component.fn(steps, **params), schedule_momentum(case["schedule"], steps, params)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_rates_and_momenta_equal_torch_schedulers(case):
    rates, momenta = _schedule(case)
    np.testing.assert_allclose(rates, case["lr"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(momenta, case["momentum"], rtol=1e-12, atol=0)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_surface_path_with_cycled_momentum_equals_torch(case):
    rates, momenta = _schedule(case)
    optimizer = OPTIMIZERS[case["optimizer"]]
    opt = optimizer.fn(**optimizer.resolve(case["optimizer_params"]))
    surface = get_surface(case["surface"])
    point = np.array([case["start"]], dtype=np.float64)
    state = opt.init(point)
    path = []
    for k in range(len(rates)):
        point, state = opt.update(surface.gradient(point), state, point, rates[k], momentum=momenta[k])
        path.append(point[0])
    np.testing.assert_allclose(path, case["trajectory"], rtol=RTOL, atol=1e-14)


def test_the_cases_move_the_momentum_away_from_the_bound_one():
    """Without the cycled momentum the paths differ: the cases test what they are there for."""
    case = next(c for c in CASES if c["id"] == "adam_cyclic")
    rates, _ = _schedule(case)
    opt = OPTIMIZERS["adam"].fn(**OPTIMIZERS["adam"].resolve(case["optimizer_params"]))
    surface, point = get_surface("rosenbrock"), np.array([case["start"]])
    state = opt.init(point)
    for k in range(len(rates)):
        point, state = opt.update(surface.gradient(point), state, point, rates[k])
    assert np.abs(point[0] - case["trajectory"][-1]).max() > 1e-3


def _mlp_config() -> tuple[training.TrainConfig, dict]:
    case = FIXTURE["mlp"]
    x, y = np.array(case["x"]), np.array(case["y"], dtype=np.int64)
    data = Dataset("fixed", "classification", x, y, x, y, 3, ("x1", "x2"), None)
    config = training.TrainConfig(
        data=data, hidden=(16,), activation="tanh", optimizer=case["optimizer"],
        optimizer_params={"momentum": case["optimizer_params"]["momentum"]}, lr=case["optimizer_params"]["lr"],
        schedule=case["schedule"], schedule_params=case["schedule_params"], batch_size=len(x), shuffle=False,
        epochs=len(case["loss"]), dtype="float64", variants=(Variant("none"),))
    return config, case


def test_training_follows_torch_sgd_under_one_cycle_momentum():
    config, case = _mlp_config()
    state = training.init(config, np.random.default_rng(0), record_batches=True)
    state.params = np.array([case["initial"]])
    state.opt_state = state.optimizer.init(state.params)
    path = []
    for _ in range(config.epochs):
        training.step(state, 1)
        path.append(state.params[0].copy())
    np.testing.assert_allclose(state.batch_loss.view()[:, 0], case["loss"], rtol=1e-12)
    np.testing.assert_allclose(path, case["trajectory"], rtol=RTOL, atol=1e-14)


def test_training_without_cycle_momentum_leaves_the_optimizer_momentum():
    config, case = _mlp_config()
    config = replace(config, schedule_params={**case["schedule_params"], "cycle_momentum": False})
    state = training.init(config, np.random.default_rng(0))
    assert state.momenta is None
    state.params = np.array([case["initial"]])
    state.opt_state = state.optimizer.init(state.params)
    training.step(state, config.epochs)
    assert np.abs(state.params[0] - case["trajectory"][-1]).max() > 1e-3


@pytest.mark.parametrize("optimizer", ["adagrad", "adadelta", "keras_sgd", "sgd_schedule_free"])
def test_an_optimizer_without_momentum_or_betas_is_refused_as_torch_refuses_it(optimizer):
    config, _ = _mlp_config()
    config = replace(config, optimizer=optimizer, optimizer_params={})
    with pytest.raises(ParamError, match="one_cycle_lr with cycle_momentum cannot drive") as error:
        training.init(config, np.random.default_rng(0))
    assert "set cycle_momentum=false" in str(error.value)
    if optimizer == "adagrad":
        assert FIXTURE["meta"]["refusals"]["adagrad"] == (
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
        assert "optimizer must support momentum or beta1" in str(error.value)


def test_the_schedule_race_cycles_each_racers_momentum_and_leaves_the_others():
    config, case = _mlp_config()
    race = schedule_race.ScheduleRaceConfig(
        train=replace(config, schedule="constant", schedule_params={}),
        racers=(schedule_race.Racer("one cycle", "one_cycle_lr", case["schedule_params"]),
                schedule_race.Racer("constant", "constant")))
    state = schedule_race.init(race, np.random.default_rng(0))
    _, expected = _schedule({**case, "lr": case["loss"]})
    np.testing.assert_allclose(state.momenta[:, 0], expected, rtol=0)
    assert np.isnan(state.momenta[:, 1]).all()
    group = state.groups.states[0]  # one sgd group: the constant racer keeps momentum 0.9
    np.testing.assert_allclose(group.momenta[:, 1], 0.9)
    refused = replace(race, racers=(schedule_race.Racer("cyc", "cyclic_lr", {}, optimizer="adagrad"),))
    with pytest.raises(ParamError, match="racer 'cyc': cyclic_lr with cycle_momentum cannot drive adagrad"):
        schedule_race.init(refused, np.random.default_rng(0))
