"""The learning-rate pane's sweep view: too low, about right, too high, trained side by side.

`rates.count` constant rates, log-spaced from `rates.low` to `rates.high`, each a run of the
training experiment on the pane's shared data set and batch size, all in one batch and paired (the
same initial weights and shuffles), with the LR range test on the same network and data
(engine/experiments/rate_sweep.py). One step is one epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tui_dl.app.model_types import ParamRow, Selection
from tui_dl.app.runner.model import Job
from tui_dl.engine.experiments import costs, rate_sweep, training
from tui_dl.engine.experiments.lr_range import PARALLEL_PARAMS, ParallelSweepConfig
from tui_dl.params import ParamSpec

_PARALLEL = {spec.name: spec for spec in PARALLEL_PARAMS}
_TRAIN = {spec.name: spec for spec in training.TRAIN_PARAMS}
SPECS = {
    "optimizer": ParamSpec("optimizer", "choice", "sgd", choices=_TRAIN["optimizer"].choices,
                           help="the optimizer every rate trains with (its defaults besides the rate)"),
    "low": replace(_PARALLEL["low"], default=1e-4),
    "high": replace(_PARALLEL["high"], default=100.0),
    "count": ParamSpec("count", "int", 13, low=2, high=64, scale="log",
                       help="rates, log-spaced from low to high (runs trained at once)"),
    "epochs": ParamSpec("epochs", "int", 30, low=1, high=10_000, scale="log", help="epochs every rate trains"),
    "diverge_th": _PARALLEL["diverge_th"],
}


@dataclass(frozen=True)
class SweepFrame:
    """What the sweep view draws: the engine's snapshot and the optimizer's name.

    Attributes:
        sweep: rate_sweep.RateSweepSnapshot (losses per epoch, diverged_at, suggestion ...).
        optimizer: the optimizer every rate trains with.
    """

    sweep: Any
    optimizer: str
    view: str = "sweep"


def defaults() -> dict[str, Any]:
    """SGD on the spiral, 13 rates from 1e-4 to 100, 30 epochs: the smallest barely move, the largest diverge."""
    return {name: spec.default for name, spec in SPECS.items()}


def config(settings: dict[str, Any]) -> rate_sweep.RateSweepConfig:
    """The engine's config of the pane's settings (the shared data set and batch size)."""
    knobs = settings["rates"]
    train = training.TrainConfig(dataset=settings["dataset"], batch_size=settings["batch_size"],
                                 epochs=knobs["epochs"], optimizer=knobs["optimizer"])
    sweep = ParallelSweepConfig(train=train, low=knobs["low"], high=knobs["high"], count=knobs["count"],
                                diverge_th=knobs["diverge_th"])
    result = rate_sweep.RateSweepConfig(sweep)
    rate_sweep.check(result)
    return result


def rows(settings: dict[str, Any], shared: list[ParamRow]) -> list[ParamRow]:
    """The sweep's knobs, then the shared data set and batch size."""
    return [*(ParamRow(f"rates.{name}", name, spec, settings["rates"][name], "rate sweep")
              for name, spec in SPECS.items()), *shared]


def job(settings: dict[str, Any]) -> Job:
    """An epoch of every rate per step; the range test runs at init."""
    sweep_config = config(settings)
    optimizer = settings["rates"]["optimizer"]

    def frame(state: Any) -> SweepFrame:
        return SweepFrame(rate_sweep.snapshot(state), optimizer)

    return Job(init=lambda rng: rate_sweep.init(sweep_config, rng), step=rate_sweep.step, frame=frame,
               position=lambda f: f.sweep.sweep.epoch, horizon=sweep_config.sweep.train.epochs,
               done=lambda f: f.sweep.sweep.finished, cost=costs.rate_sweep_cost(sweep_config),
               export="tui-dl export lr-sweep")


def selection(settings: dict[str, Any], frame: Any = None) -> Selection:
    """The formula panel: the sweep's rates and what it found so far."""
    knobs = settings["rates"]
    extra: dict[str, Any] = {"summary": f"{knobs['count']} constant rates, log-spaced from {knobs['low']:g} to "
                             f"{knobs['high']:g}, each trained {knobs['epochs']} epochs with {knobs['optimizer']}"
                             " from the same initial weights"}
    extra.update(
        convention="rate i = low * (high / low)^(i / (count - 1)); diverged: the loss went non-finite or ended above "
                   "diverge_th times its start",
        keras=f"for lr in np.geomspace({knobs['low']:g}, {knobs['high']:g}, {knobs['count']}):\n"
              f"    model = keras.models.clone_model(base); model.set_weights(base.get_weights())\n"
              f"    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=...)\n"
              f"    model.fit(x, y, batch_size=..., epochs={knobs['epochs']})",
        torch=f"for lr in np.geomspace({knobs['low']:g}, {knobs['high']:g}, {knobs['count']}):\n"
              f"    model = copy.deepcopy(base); opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
              f"    ...  # {knobs['epochs']} epochs, the same batches for every rate")
    numbers = {name: value for name, value in knobs.items() if name != "optimizer"}
    return Selection("note", "lr_sweep", numbers, "rate sweep", extra)
