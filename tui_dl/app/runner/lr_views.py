"""The learning-rate pane's experiments besides the overlay: schedule race, effective step size, LR range test.

The pane's `v` cycles four views; the model (schedules.py) runs the experiment of the view in
sight, so a view switch restarts it from step 0 and nothing trains out of sight:

- `race`: the pane's own schedule slots become the racers of `schedule_race` (what the learner
  edits is what races), all with one optimizer, network and data. A slot's schedule is met per
  optimizer iteration, so the race lasts `steps` iterations: steps // batches-per-epoch epochs.
- `step`: a race of up to four optimizers under a constant rate (Adagrad, RMSprop, Adam, SGD for
  reference) whose frame carries the percentiles of each run's effective per-parameter step size.
- `range`: `lr_range` (torch-lr-finder conventions), one sweep per chosen optimizer, iteration by
  iteration, with the suggested rate.
- `sweep`: K log-spaced constant rates trained side by side, epoch by epoch, with the range test's
  suggestion on the same rate axis (rate_sweep.py): too low, about right, too high.

Shared knobs (dataset, batch_size) are declared once and serve the four experiments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_dl.app.frameworks import optimizer_name, schedule_name
from tui_dl.app.model_types import ParamRow, Selection
from tui_dl.app.runner import rate_sweep, sparse
from tui_dl.app.runner.model import Job, component_rows, index_of, numbered, switch_params
from tui_dl.engine.datasets import DATASETS
from tui_dl.engine.experiments import costs, lr_range, schedule_race, training, variants
from tui_dl.engine.experiments.optimizer_groups import Member
from tui_dl.engine.optimizers import OPTIMIZERS, training_names
from tui_dl.params import ParamError, ParamSpec

VIEWS = ("schedules", "race", "step", "range", "sweep", "sparse")
UNITS = {"schedules": "step", "race": "epoch", "step": "epoch", "range": "iteration", "sweep": "epoch",
         "sparse": "step"}
SPEEDS = {"schedules": 5, "race": 1, "step": 1, "range": 1, "sweep": 1, "sparse": 20}
OFF = "off"
ADAPTIVE_SLOTS = 4
SWEEP_SLOTS = 3
RATE_ALIASES = (("lr", "learning_rate"),)

_TRAIN = {spec.name: spec for spec in training.TRAIN_PARAMS}
DATASET, BATCH_SIZE = _TRAIN["dataset"], _TRAIN["batch_size"]
RACE_OPTIMIZER = ParamSpec("optimizer", "choice", "adam", choices=_TRAIN["optimizer"].choices,
                           help="the optimizer every racer uses (its rate is the schedule's)")
EPOCHS = ParamSpec("epochs", "int", 100, low=1, high=100_000, scale="log", help="epochs of the step-size race")
SLOT_OPTIMIZER = ParamSpec("optimizer", "choice", OFF, choices=(OFF, *training_names()),
                           help="torch names, or keras_* for Keras's update rules; off leaves the slot out (no "
                                "LBFGS: it needs a closure, several losses a step)")
RANGE_SPECS = {spec.name: spec for spec in lr_range.LR_RANGE_PARAMS}


@dataclass(frozen=True)
class RaceFrame:
    """What the race and step-size views draw.

    Attributes:
        view: race or step.
        race: the schedule race snapshot (None when nothing can race).
        slots: the pane slot (0-based, for the color) of each run.
        steps: optimizer iterations the race was asked for (the overlay's steps; 0 for step).
        skipped: why some slots do not race (`reduce_lr_on_plateau follows a metric`).
    """

    view: str
    race: Any
    slots: tuple[int, ...]
    steps: int = 0
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class RangeFrame:
    """What the range-test view draws: the LR range test snapshot and each sweep's slot (for the color)."""

    test: Any
    slots: tuple[int, ...]
    view: str = "range"


# ---------------------------------------------------------------------- settings
def optimizer_slot(name: str, **params: Any) -> dict[str, Any]:
    """An optimizer slot: a catalogue name (or off) and its resolved parameters."""
    if name == OFF:
        return {"name": OFF, "params": {}}
    return {"name": name, "params": OPTIMIZERS[name].resolve(params)}


def experiment_settings() -> dict[str, Any]:
    """Defaults of the three experiments: Adam racing the slots, Adagrad/RMSprop/Adam/SGD, Adam and SGD sweeps."""
    return {
        "optimizer": "adam", "dataset": DATASET.default, "batch_size": BATCH_SIZE.default, "epochs": EPOCHS.default,
        "adaptive": [optimizer_slot("adagrad", lr=1e-2), optimizer_slot("rmsprop", lr=1e-3),
                     optimizer_slot("adam", lr=1e-3), optimizer_slot("sgd", lr=0.1)],
        "range": {spec.name: spec.default for spec in lr_range.LR_RANGE_PARAMS},
        "sweeps": [optimizer_slot("adam"), optimizer_slot("sgd", momentum=0.9), optimizer_slot(OFF)],
        "rates": rate_sweep.defaults(),
        "sparse": sparse.defaults(),
    }


def _rate_key(params: dict[str, Any]) -> str | None:
    return next((key for key in training.BASE_RATE_KEYS if key in params), None)


def without_rate(params: dict[str, Any]) -> dict[str, Any]:
    """An optimizer's parameters without its rate (the schedule or the sweep sets it)."""
    return {key: value for key, value in params.items() if key not in training.BASE_RATE_KEYS}


def batches_per_epoch(settings: dict[str, Any]) -> int:
    """Mini-batches per epoch of the shared data set and batch size."""
    samples = DATASETS[settings["dataset"]].defaults()["train_samples"]
    return math.ceil(samples / settings["batch_size"])


def race_epochs(settings: dict[str, Any]) -> int:
    """Whole epochs that fit in the overlay's steps (at least one), so every slot's curve is defined throughout."""
    return max(1, settings["steps"] // batches_per_epoch(settings))


def shared_train(settings: dict[str, Any], epochs: int = 1, optimizer: str = "adam") -> training.TrainConfig:
    """The training setting every run of the view shares."""
    return training.TrainConfig(dataset=settings["dataset"], batch_size=settings["batch_size"], epochs=epochs,
                                optimizer=optimizer)


def active_slots(slots: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """(index, slot) of every optimizer slot that is not off."""
    return [(i, slot) for i, slot in enumerate(slots) if slot["name"] != OFF]


# ---------------------------------------------------------------------- rows and edits
def _optimizer_rows(prefix: str, slots: list[dict[str, Any]], group: str, rate: bool) -> list[ParamRow]:
    rows = []
    for i, slot in enumerate(slots):
        name = f"{group} {i + 1}"
        rows.append(ParamRow(f"{numbered(prefix, i)}.optimizer", "optimizer", SLOT_OPTIMIZER, slot["name"], name))
        if slot["name"] != OFF:
            rows += [row for row in component_rows(numbered(prefix, i), OPTIMIZERS[slot["name"]], slot["params"], name)
                     if rate or row.label not in training.BASE_RATE_KEYS]
    return rows


def rows(view: str, settings: dict[str, Any]) -> list[ParamRow]:
    """The panel of a view other than schedules (the race adds the slots, built by the model)."""
    shared = [ParamRow("dataset", "dataset", DATASET, settings["dataset"], "training"),
              ParamRow("batch_size", "batch_size", BATCH_SIZE, settings["batch_size"], "training")]
    if view == "race":
        return [ParamRow("optimizer", "optimizer", RACE_OPTIMIZER, settings["optimizer"], "training"), *shared]
    if view == "step":
        return [ParamRow("epochs", "epochs", EPOCHS, settings["epochs"], "training"), *shared,
                *_optimizer_rows("adaptive", settings["adaptive"], "run", rate=True)]
    if view == "sweep":
        return rate_sweep.rows(settings, shared)
    if view == "sparse":
        return sparse.rows(settings)
    return [*(ParamRow(f"range.{name}", name, spec, settings["range"][name], "range test")
              for name, spec in RANGE_SPECS.items()), *shared,
            *_optimizer_rows("sweep", settings["sweeps"], "sweep", rate=False)]


def apply(settings: dict[str, Any], key: str, value: Any) -> None:
    """Store an edit of one of these views' rows."""
    if key in ("optimizer", "dataset", "batch_size", "epochs"):
        settings[key] = value
        return
    group, name = key.split(".", 1)
    if group in ("range", "rates", "sparse"):
        settings[group][name] = value
        return
    index, name = name.split(".", 1)
    slot = settings["adaptive" if group == "adaptive" else "sweeps"][int(index) - 1]
    if name != "optimizer":
        slot["params"][name] = value
    elif value == OFF:
        slot.update(name=OFF, params={})
    else:
        slot.update(name=value, params=switch_params(slot["params"], OPTIMIZERS[value], RATE_ALIASES))


# ---------------------------------------------------------------------- jobs
def _race_job(view: str, config: Any, slots: tuple[int, ...], steps: int = 0, skipped: tuple[str, ...] = ()) -> Job:
    def frame(state: Any) -> RaceFrame:
        return RaceFrame(view, schedule_race.snapshot(state), slots, steps, skipped)

    return Job(init=lambda rng: schedule_race.init(config, rng), step=schedule_race.step, frame=frame,
               position=lambda f: f.race.epoch, horizon=config.train.epochs, done=lambda f: f.race.finished,
               cost=costs.schedule_race_cost(config), export="tui-dl export schedule-race")


def race_job(settings: dict[str, Any], plateaus: tuple[str, ...]) -> Job:
    """The slots racing under one optimizer for the overlay's steps; slots that cannot race are named."""
    train = shared_train(settings, race_epochs(settings), settings["optimizer"])
    iterations = train.epochs * batches_per_epoch(settings)
    racing, skipped = [], []
    for i, slot in enumerate(settings["slots"]):
        if slot["name"] in plateaus:
            skipped.append(f"slot {i + 1} ({slot['name']}) follows a metric, not the step: it cannot race")
        elif slot["name"] != OFF:
            reason = _cannot_race(train, slot, iterations)
            if reason:
                skipped.append(f"slot {i + 1} ({slot['name']}) cannot race: it {reason}")
            else:
                racing.append((i, slot))
    skipped = tuple(skipped)
    if not racing:
        empty = RaceFrame("race", None, (), settings["steps"], skipped)
        return Job(init=lambda rng: None, step=lambda state, n: state, frame=lambda state: empty,
                   position=lambda f: 0, horizon=0)
    racers = tuple(schedule_race.Racer(f"{i + 1} {schedule_name(slot['name'])}", slot["name"], dict(slot["params"]))
                   for i, slot in racing)
    return _race_job("race", schedule_race.ScheduleRaceConfig(train, racers), tuple(i for i, _ in racing),
                     settings["steps"], skipped)


def _cannot_race(train: training.TrainConfig, slot: dict[str, Any], iterations: int) -> str | None:
    """Why a slot's schedule has no rate for some iteration of the race (a one-cycle shorter than it), or None.

    Checked when the job is built, so the slot is left out with a line in the legend instead of
    failing the whole race in its worker.
    """
    racer = schedule_race.Racer(slot["name"], slot["name"], dict(slot["params"]))
    config = schedule_race.racer_config(train, racer, iterations)
    try:
        with np.errstate(all="ignore"):
            training.schedule_rates(config, iterations)
            cycled = training.schedule_momenta(config, iterations) is not None
    except ParamError as error:
        return str(error).removeprefix(f"schedule {slot['name']} ")
    why = training.uncycled_momentum(config.optimizer) if cycled else None
    if why is not None:
        return f"cycles the optimizer's momentum and {config.optimizer} {why}; set cycle_momentum=false"
    return None


def step_job(settings: dict[str, Any]) -> Job:
    """Each optimizer slot under its constant rate; the frame has their effective step sizes."""
    active = active_slots(settings["adaptive"])
    if not active:
        raise ParamError("bad value 'off': at least one optimizer must race")
    racers = []
    for _, slot in active:
        params = slot["params"]
        rate = params[_rate_key(params)]
        racers.append(schedule_race.Racer(f"{optimizer_name(slot['name'])} {variants.compact_number(rate)}",
                                          "constant", {}, rate, slot["name"], without_rate(params)))
    train = shared_train(settings, settings["epochs"], active[0][1]["name"])
    return _race_job("step", schedule_race.ScheduleRaceConfig(train, tuple(racers)), tuple(i for i, _ in active))


def range_config(settings: dict[str, Any]) -> Any:
    """The LR range test of the sweep slots; ParamError for a range that does not grow."""
    active = active_slots(settings["sweeps"])
    if not active:
        raise ParamError("bad value 'off': at least one sweep must run")
    knobs = settings["range"]
    if not knobs["start_lr"] < knobs["end_lr"]:
        raise ParamError(f"bad range {knobs['start_lr']:g} .. {knobs['end_lr']:g}: start_lr must be below end_lr")
    members = tuple(Member(optimizer_name(slot["name"]), slot["name"], without_rate(slot["params"]))
                    for _, slot in active)
    return lr_range.LRRangeConfig(shared_train(settings, optimizer=members[0].optimizer), members, **knobs)


def range_job(settings: dict[str, Any]) -> Job:
    """The range test, one iteration per step, so the sweep is drawn as it goes."""
    config = range_config(settings)
    slots = tuple(i for i, _ in active_slots(settings["sweeps"]))

    def frame(state: Any) -> RangeFrame:
        return RangeFrame(lr_range.snapshot(state), slots)

    return Job(init=lambda rng: lr_range.init(config, rng), step=lr_range.step, frame=frame,
               position=lambda f: f.test.iteration, horizon=config.iterations, done=lambda f: f.test.finished,
               cost=costs.lr_range_cost(config), export="tui-dl export lr-range")


# ---------------------------------------------------------------------- formula panel
def _slot_index(key: str | None, prefix: str, slots: list[dict[str, Any]]) -> int:
    if key and key.startswith(f"{prefix}."):
        return index_of(key)
    active = active_slots(slots)
    return active[0][0] if active else 0


def _run_values(frame: Any, slot: int) -> dict[str, Any]:
    """The step-size percentiles of the run in slot at the latest epoch, if it has any."""
    race = getattr(frame, "race", None)
    if getattr(frame, "view", "") != "step" or race is None or slot not in frame.slots or race.epoch == 0:
        return {}
    run = frame.slots.index(slot)
    return {"epoch": race.epoch, "p10": float(race.step_p10[run, -1]), "median": float(race.step_median[run, -1]),
            "p90": float(race.step_p90[run, -1])}


def selection(view: str, settings: dict[str, Any], key: str | None, frame: Any = None) -> Selection:
    """What the formula panel explains for a row of the race, step or range view."""
    if view == "race":
        extra = {"steps": settings["steps"], "epochs": race_epochs(settings),
                 "batches": batches_per_epoch(settings), "dataset": settings["dataset"],
                 "batch_size": settings["batch_size"]}
        slots = [(f"{i + 1} {schedule_name(slot['name'])}", slot["name"], slot["params"])
                 for i, slot in enumerate(settings["slots"]) if slot["name"] != OFF]
        return Selection("schedule_race", settings["optimizer"], {}, "schedule race", {**extra, "slots": slots})
    if view == "step":
        index = _slot_index(key, "adaptive", settings["adaptive"])
        slot = settings["adaptive"][index]
        if slot["name"] == OFF:
            return Selection("note", OFF, {}, f"run {index + 1}", {"summary": "this run is off: pick an optimizer"})
        return Selection("step_size", slot["name"], slot["params"], f"run {index + 1}", _run_values(frame, index))
    index = _slot_index(key, "sweep", settings["sweeps"])
    slot = settings["sweeps"][index]
    extra: dict[str, Any] = {"optimizer": slot["name"], "optimizer_params": without_rate(slot["params"]),
                             "batch_size": settings["batch_size"]}
    test = getattr(frame, "test", None)
    if test is not None and index in frame.slots:
        run = frame.slots.index(index)
        extra.update(iteration=test.iteration, suggestion=float(test.suggestion[run]),
                     suggestion_index=int(test.suggestion_index[run]),
                     diverged_iteration=int(test.diverged_iteration[run]))
    return Selection("lr_range", "lr_range", dict(settings["range"]), f"sweep {index + 1}", extra)
