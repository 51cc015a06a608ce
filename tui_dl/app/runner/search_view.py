"""The Overfitting pane's search view: a random search of two hyperparameters, all samples in one batch.

Its settings live under `settings["search"]`: how many samples and, per axis (x, y), the searched
name, its range and scale. The experiment the samples train in is the pane's (data, network,
training, early stopping); the variants do not take part. The job is engine/experiments/search.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tui_dl.app.model_types import ParamRow
from tui_dl.app.runner.model import Job
from tui_dl.engine.experiments import costs, search, training
from tui_dl.params import ParamSpec

AXES = ("x", "y")
OFF = "off"
LOW = ParamSpec("low", "float", 1e-6, scale="log", help="the smallest value drawn")
HIGH = ParamSpec("high", "float", 1e-2, scale="log", help="the largest value drawn")
SCALE = ParamSpec("scale", "choice", "log", choices=search.SCALES,
                  help="log: uniform in the exponent (rates, decays); linear: uniform in the value")


def default_settings() -> dict[str, Any]:
    """The book's search: lr 1e-6..1e-2 on x, weight decay 1e-8..1e-4 on y, 64 samples."""
    axes = {axis: {"name": r.name, "low": r.low, "high": r.high, "scale": r.scale}
            for axis, r in zip(AXES, search.DEFAULT_RANGES, strict=True)}
    return {"samples": search.SAMPLES.default, **axes}


@dataclass(frozen=True)
class SearchFrame:
    """What the search view draws: the search's snapshot and the epochs asked."""

    snapshot: search.SearchSnapshot
    horizon: int
    view: str = "search"


def _name_spec(train: training.TrainConfig, axis: str, taken: str) -> ParamSpec:
    """The names this axis may search: every searchable one but the other axis's."""
    choices = tuple(name for name in search.searchable(train) if name != taken)
    return ParamSpec("name", "choice", choices[0], choices=(*choices, OFF) if axis == "y" else choices,
                     help="what this axis searches: a variant number or one of the optimizer's")


def rows(settings: dict[str, Any], train: training.TrainConfig) -> list[ParamRow]:
    """The search's rows: samples, then each axis's name, low, high and scale."""
    own = settings["search"]
    result = [ParamRow("search.samples", "samples", search.SAMPLES, own["samples"], "search")]
    for axis in AXES:
        group = f"{axis} axis"
        other = own[AXES[1 - AXES.index(axis)]]["name"]
        result.append(ParamRow(f"search.{axis}.name", "name", _name_spec(train, axis, other), own[axis]["name"], group))
        if own[axis]["name"] != OFF:
            result += [ParamRow(f"search.{axis}.{spec.name}", spec.name, spec, own[axis][spec.name], group)
                       for spec in (LOW, HIGH, SCALE)]
    return result


def apply(settings: dict[str, Any], key: str, value: Any) -> None:
    """Store a search row's value (key `search.samples` or `search.AXIS.FIELD`)."""
    parts = key.split(".")
    if parts[1] == "samples":
        settings["search"]["samples"] = value
    else:
        settings["search"][parts[1]][parts[2]] = value


def config(settings: dict[str, Any], train: training.TrainConfig) -> search.SearchConfig:
    """The search the settings describe (checked: a bad range raises ParamError)."""
    own = settings["search"]
    ranges = tuple(search.Range(own[axis]["name"], float(own[axis]["low"]), float(own[axis]["high"]),
                                own[axis]["scale"]) for axis in AXES if own[axis]["name"] != OFF)
    result = search.SearchConfig(replace(train, seeds=1), ranges, own["samples"])
    search.check(result)
    return result


def job(settings: dict[str, Any], train: training.TrainConfig) -> Job:
    """Every sample trained for the experiment's epochs, one batch."""
    chosen = config(settings, train)
    epochs = train.epochs

    def frame(state: search.SearchState) -> SearchFrame:
        return SearchFrame(search.snapshot(state), epochs)

    return Job(init=lambda rng: search.init(chosen, rng), step=search.step, frame=frame,
               position=lambda f: f.snapshot.train.epoch, horizon=epochs,
               done=lambda f: bool(np.all(f.snapshot.train.finished)),
               cost=costs.search_cost(chosen), export="tui-dl export search")
