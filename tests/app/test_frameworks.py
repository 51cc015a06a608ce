"""The formula panel's code is run, not read: evaluated against stand-ins for keras and torch, the
objects it builds must compute what the engine computes for the selected component."""

from __future__ import annotations

import ast
import bisect
import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from tui_dl.app.frameworks import KERAS_SCHEDULES, TORCH_SCHEDULES, base_rate, describe
from tui_dl.app.model_types import Selection
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.schedules import SCHEDULES

STEPS = np.arange(0, 1000)
KERAS_TO_ENGINE = {cls: name for name, cls in KERAS_SCHEDULES.items()}
TORCH_TO_ENGINE = {cls: name for name, cls in TORCH_SCHEDULES.items()}


class Recorder:
    """Any attribute path, called, returns (dotted path, args, kwargs): a stand-in for keras and torch."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __getattr__(self, name: str) -> Recorder:
        return Recorder(f"{self.path}.{name}")

    def __call__(self, *args, **kwargs):
        return self.path, args, kwargs


def run(code: str):
    """The value of the last line of code (earlier lines may assign), with keras and torch stubbed."""
    scope = {"keras": Recorder("keras"), "torch": Recorder("torch"), "schedulefree": Recorder("schedulefree"),
             "math": math, "bisect": bisect,
             "optimizer": "optimizer", "model": Recorder("model"), "layer": Recorder("layer"),
             "fan_in": 100, "fan_out": 100}
    tree = ast.parse(code)
    last = tree.body.pop()
    exec(compile(tree, "<code>", "exec"), scope)
    return eval(compile(ast.Expression(last.value), "<code>", "eval"), scope)


def rates_of(call, base: float) -> np.ndarray | None:
    """Learning rates at STEPS of an evaluated keras or torch schedule call; None if not a schedule."""
    path, _args, kwargs = call
    name = path.rsplit(".", 1)[-1]
    if path.endswith("MultiplicativeLR"):
        return base * np.cumprod([1.0] + [kwargs["lr_lambda"](int(s)) for s in STEPS[1:]])
    if path.endswith("LambdaLR"):
        return np.array([base * kwargs["lr_lambda"](int(s)) for s in STEPS])
    if path.startswith("keras.optimizers.schedules."):
        return SCHEDULES[KERAS_TO_ENGINE[name]](STEPS, **kwargs)
    if path.startswith("torch.optim.lr_scheduler.") and name != "ReduceLROnPlateau":
        component = SCHEDULES[TORCH_TO_ENGINE[name]]
        rate = {"lr": base} if "lr" in component.defaults() else {}  # CyclicLR and OneCycleLR set their own
        return component(STEPS, **rate, **kwargs)
    if path in ("keras.optimizers.SGD", "torch.optim.SGD"):
        return np.full(len(STEPS), kwargs.get("learning_rate", kwargs.get("lr")))
    return None


# composed schedulers, transformers' and timm's: their shown code is run by the real packages in
# tests/golden/make_schedule_golden.py and compared in tests/engine/test_schedule_golden.py
RUN_BY_THE_PACKAGES = {"sequential_lr", "chained_scheduler",
                       *(c.name for c in SCHEDULES if c.family in ("transformers", "timm"))}
# and Keras's ReduceLROnPlateau callback by Keras in tests/golden/make_keras_plateau_golden.py (test_keras_plateau.py)
RUN_BY_THE_PACKAGES.add("keras_reduce_lr_on_plateau")


def schedule_cases():
    params = {"exponential_decay": {"initial_learning_rate": 1e-3, "decay_steps": 100, "decay_rate": 0.9},
              "inverse_time_decay": {"initial_learning_rate": 1e-3, "decay_steps": 100, "decay_rate": 0.5}}
    cases = [(c.name, c.resolve(params.get(c.name, {}))) for c in SCHEDULES
             if c.name != "reduce_lr_on_plateau" and c.name not in RUN_BY_THE_PACKAGES]
    cases.append(("exponential_decay", SCHEDULES["exponential_decay"].resolve({**params["exponential_decay"],
                                                                              "staircase": True})))
    cases.append(("cosine_decay_restarts", SCHEDULES["cosine_decay_restarts"].resolve(
        {"initial_learning_rate": 1e-3, "first_decay_steps": 100, "alpha": 0.1})))
    return cases


@pytest.mark.parametrize(("name", "params"), schedule_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_schedule_code_computes_the_engines_rates(name, params):
    description = describe(Selection("schedule", name, params))
    expected = SCHEDULES[name](STEPS, **params)
    checked = 0
    for code in (description.keras, description.torch):
        if code.lstrip().startswith("#"):
            continue  # no equivalent in that framework, and the code says so
        rates = rates_of(run(code), base_rate(name, params))
        if rates is None:
            continue
        defined = np.isfinite(expected)
        np.testing.assert_allclose(rates[defined], expected[defined], rtol=1e-9, atol=1e-15, err_msg=code)
        checked += 1
    assert checked >= 1


# optimizers one framework lacks: the other side of the panel is a comment saying so
ONE_FRAMEWORK_ONLY = {"radam", "rprop", "asgd", "lbfgs", "keras_lion", "keras_ftrl", "keras_lamb", "sgd_schedule_free",
                      "adamw_schedule_free"}
# the schedulefree package's optimizers: imported, assigned, and put in train mode
SCHEDULE_FREE = {"sgd_schedule_free": "SGDScheduleFree", "adamw_schedule_free": "AdamWScheduleFree"}


@pytest.mark.parametrize("name", [c.name for c in OPTIMIZERS])
def test_optimizer_code_names_the_frameworks_parameters(name):
    component = OPTIMIZERS[name]
    params = component.resolve({})
    description = describe(Selection("optimizer", name, params))
    keras_own = name.startswith("keras_")
    own_code, other_code = (description.keras, description.torch) if keras_own else (description.torch,
                                                                                    description.keras)
    if name in ("muon", "keras_muon"):
        _check_muon_code(name, description, params)
        return
    if name in SCHEDULE_FREE:
        lines = own_code.splitlines()
        assert lines[0] == "import schedulefree" and lines[1].startswith("optimizer = schedulefree.")
        assert lines[-1].startswith("optimizer.train()  # ")  # step() refuses to run in eval mode
        own_path, _, own = run("\n".join(lines[1:-1]).removeprefix("optimizer = "))
        assert own_path == f"schedulefree.{SCHEDULE_FREE[name]}"
    else:
        own_path, _, own = run(own_code)
        assert own_path.startswith("keras.optimizers." if keras_own else "torch.optim.")
    # every keyword is the framework's parameter with the selected value, and every selected value is passed
    assert own == params
    if name in ONE_FRAMEWORK_ONLY:
        assert other_code.startswith("# ") and "\n" not in other_code and "has no " in other_code
        return
    other_path, _, other = run(other_code)
    assert other_path.startswith("torch.optim." if keras_own else "keras.optimizers.")
    engine = name.removeprefix("keras_")
    other_engine = engine if keras_own else f"keras_{engine}"
    assert set(other) <= {s.name for s in OPTIMIZERS[other_engine].params}


def _muon_calls(code: str):
    """torch's code: Muon over the 2-D parameters, AdamW over the rest, as (path, args, kwargs) pairs."""
    stubbed = (code.replace("[p for p in params if p.ndim == 2]", "'2-D'")
               .replace("[p for p in params if p.ndim != 2]", "'others'"))
    return run(stubbed)


def _check_muon_code(name, description, params):
    torch_calls = _muon_calls(description.torch)
    assert [(path, args) for path, args, _ in torch_calls] == [("torch.optim.Muon", ("2-D",)),
                                                               ("torch.optim.AdamW", ("others",))]
    keras_path, _, keras_kwargs = run(description.keras)
    assert keras_path == "keras.optimizers.Muon"
    muon_kwargs, adamw_kwargs = torch_calls[0][2], torch_calls[1][2]
    if name == "muon":
        assert muon_kwargs == params and adamw_kwargs == {"lr": params["lr"]}
        assert set(keras_kwargs) <= {s.name for s in OPTIMIZERS["keras_muon"].params}
    else:
        assert keras_kwargs == params and adamw_kwargs == {"lr": params["learning_rate"]}
        assert set(muon_kwargs) <= {s.name for s in OPTIMIZERS["muon"].params}


SHOWN_CODE_GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "golden" / "optimizers_shown_code.json")
                               .read_text())["cases"]


@pytest.mark.parametrize("case", SHOWN_CODE_GOLDEN, ids=[case["id"] for case in SHOWN_CODE_GOLDEN])
def test_the_panel_shows_the_code_whose_run_is_recorded(case):
    """tests/golden/optimizers_shown_code.json holds what this code computed in torch and Keras (and the
    engine equals it, tests/engine/test_golden.py): the panel must still show that very code."""
    params = OPTIMIZERS[case["name"]].resolve(case["params"])
    description = describe(Selection("optimizer", case["name"], params))
    shown = description.keras if case["name"].startswith("keras_") else description.torch
    assert shown == case["code"]


@pytest.mark.parametrize(
    ("name", "params"),
    [("he_uniform", {}), ("glorot_uniform", {}), ("lecun_uniform", {}), ("pytorch_default", {}),
     ("xavier_normal", {"gain": 1.0}), ("xavier_uniform", {"gain": 5 / 3}), ("xavier_simple", {}),
     ("kaiming_normal", {"nonlinearity": "relu"}), ("kaiming_uniform", {"nonlinearity": "tanh"}),
     ("normal", {"std": 0.01}), ("orthogonal", {"gain": 1.0})],
)
def test_initializer_equivalents_draw_the_same_weights(name, params):
    """The other framework's code, run through the engine, draws the same weights from the same Generator."""
    params = INITIALIZERS[name].resolve(params)
    description = describe(Selection("initializer", name, params, extra={"fan_in": 100, "fan_out": 100}))
    expected = INITIALIZERS[name](np.random.default_rng(7), (100, 100), **params)
    path, _args, kwargs = run(description.keras)
    engine = {"VarianceScaling": "variance_scaling", "GlorotUniform": "glorot_uniform", "HeUniform": "he_uniform",
              "LecunUniform": "lecun_uniform", "RandomNormal": "random_normal", "Orthogonal": "orthogonal"}
    drawn = INITIALIZERS[engine[path.rsplit(".", 1)[-1]]](np.random.default_rng(7), (100, 100), **kwargs)
    np.testing.assert_allclose(drawn, expected, rtol=1e-5)


def test_truncated_keras_initializers_give_torch_the_raw_std():
    description = describe(Selection("initializer", "he_normal", {}, extra={"fan_in": 100, "fan_out": 100}))
    _, _, kwargs = run(description.torch)
    assert kwargs["std"] == pytest.approx(math.sqrt(2 / 100) / 0.87962566103423978)
    assert kwargs["a"] == -2 * kwargs["std"] and kwargs["b"] == 2 * kwargs["std"]


def test_early_stopping_code_and_formula():
    params = {"monitor": "val_loss", "patience": 10, "min_delta": 0.0, "mode": "auto", "baseline": None,
              "restore_best_weights": True, "start_from_epoch": 0}
    description = describe(Selection("early_stopping", "EarlyStopping", params))
    path, _, kwargs = run(description.keras)
    assert path == "keras.callbacks.EarlyStopping" and kwargs == params
    assert "b + patience" in " ".join(description.formula)
    assert "break" in description.torch


def test_regularizer_code_names_each_technique():
    description = describe(Selection("regularizer", "l2=1e-3+dropout=0.2",
                                     {"l1": 0.0, "l2": 1e-3, "dropout": 0.2, "weight_decay": 0.0, "patience": None}))
    assert "keras.regularizers.L2(0.001)" in description.keras and "keras.layers.Dropout(0.2)" in description.keras
    assert "torch.nn.Dropout(p=0.2)" in description.torch
    assert "Σ w²" in description.formula[0]


def test_no_patience_shows_no_callback_and_a_loop_that_runs():
    """patience none showed EarlyStopping(patience=0) (which stops at the first epoch without an improvement)
    and a torch loop with `wait >= None`."""
    params = {"monitor": "val_loss", "patience": None, "min_delta": 0.0, "mode": "auto", "baseline": None,
              "restore_best_weights": False, "start_from_epoch": 0}
    description = describe(Selection("early_stopping", "EarlyStopping", params))
    assert description.formula[0] == "no early stopping: patience is none, so every epoch is trained"
    assert run(description.keras) == [] and "EarlyStopping(" not in description.keras
    trained = []
    exec(description.torch, {"epochs": 3, "train_one_epoch_and_validate": lambda: trained.append(1)})
    assert len(trained) == 3 and "None" not in description.torch


def test_every_overfitting_row_shows_its_own_card():
    """`f` on hidden, paired, batch_size ... showed the data set's card; activation has its formula."""
    from tui_dl.app.runner.training import TrainModel

    model = TrainModel()
    kinds = {row.key: model.selection(row.key).kind for row in model.rows()}
    assert kinds["activation"] == "activation" and kinds["init"] == "initializer"
    assert all(kinds[key] == "dataset" for key in kinds if key.split(".")[0] == "dataset")
    for key in ("hidden", "seeds", "paired", "batch_size", "shuffle", "epochs", "dtype", "batch_norm_momentum"):
        card = describe(model.selection(key))
        assert card.title == key and model.row(key).spec.help in card.formula[0], key
    assert describe(model.selection("hidden")).formula[1] == "hidden=100,100"


@pytest.mark.parametrize(("model_class", "keys", "main"), [
    ("tui_dl.app.runner.race.RaceModel", ("steps", "racers", "basins_of", "basin_grid"), ("start_x", "surface")),
    ("tui_dl.app.runner.initialization.InitModel", ("layers", "samples", "bins", "bias"), ("width", "initializer")),
])
def test_an_experiment_setting_shows_its_own_card_and_a_component_s_row_the_component(model_class, keys, main):
    module, name = model_class.rsplit(".", 1)
    model = getattr(importlib.import_module(module), name)()
    for key in keys:
        card = describe(model.selection(key))
        assert card.title == model.row(key).label and model.row(key).spec.help in card.formula[0], key
    assert model.selection(main[0]).kind == main[1]
