"""The learning-rate pane's model: up to six schedules from the whole catalogue, and the views built on them.

The schedules are closed forms, so the overlay's job computes every curve at init (in the worker)
and a step only moves the "now" cursor along them, so the curves are drawn as training would meet
them. The other views (schedule race, effective step size, LR range test) are experiments whose
rows, edits and jobs live in lr_views.py; the setting `view` picks which one runs, and changing it
restarts the pane, so the unit (step, epoch, iteration) and the pace follow the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_dl.app.frameworks import schedule_name
from tui_dl.app.model_types import ParamRow, Preset, Selection
from tui_dl.app.runner import lr_views, rate_sweep, sparse
from tui_dl.app.runner.model import Job, PaneModel, component_rows, index_of, numbered, switch_params
from tui_dl.engine.experiments import costs
from tui_dl.engine.experiments.training import PLATEAUS
from tui_dl.engine.schedules import SCHEDULES, schedule_momentum
from tui_dl.params import ParamSpec

SLOTS = 6
OFF = "off"
STEPS = ParamSpec("steps", "int", 1000, low=10, high=100_000, scale="log",
                  help="steps drawn; the race trains as many optimizer iterations, in whole epochs")
SCHEDULE = ParamSpec("schedule", "choice", OFF, choices=(OFF, *SCHEDULES.names()),
                     help="Keras (CamelCase *Decay) or PyTorch (*LR) schedule; off hides the slot")
RATE_ALIASES = (("initial_learning_rate", "lr", "learning_rate", "max_lr"),)
ADAM_LR = 1e-3


@dataclass(frozen=True)
class ScheduleFrame:
    """What the learning-rate pane draws.

    Attributes:
        labels: the framework class name of each active slot.
        slots: the slot number (0-based) of each curve.
        rates: (S, horizon + 1) learning rate at each step, read-only (NaN where undefined).
        position: the "now" step.
        horizon: the last step.
        view: always schedules (the other views' frames name theirs too).
        momenta: (S, horizon + 1) the momentum (Adam: beta1) each slot's schedule sets at each step, NaN rows for
            the slots that do not cycle it (CyclicLR's and OneCycleLR's cycle_momentum); None when none does.
    """

    labels: tuple[str, ...]
    slots: tuple[int, ...]
    rates: np.ndarray
    position: int
    horizon: int
    view: str = "schedules"
    momenta: np.ndarray | None = None


@dataclass
class _Cursor:
    """The job's state: the curves and how far along them we are."""

    labels: tuple[str, ...]
    slots: tuple[int, ...]
    rates: np.ndarray
    momenta: np.ndarray | None
    position: int = 0


def _slot(name: str, **params: Any) -> dict[str, Any]:
    if name == OFF:
        return {"name": OFF, "params": {}}
    return {"name": name, "params": SCHEDULES[name].resolve(params)}


def adam_settings() -> dict[str, Any]:
    """Adam's 1e-3 under cosine decay restarts, next to a step decay and an exponential decay."""
    return {"view": lr_views.VIEWS[0], **lr_views.experiment_settings(), "steps": 1000, "slots": [
        _slot("cosine_decay_restarts", initial_learning_rate=ADAM_LR, first_decay_steps=100),
        _slot("step_lr", lr=ADAM_LR, step_size=250, gamma=0.5),
        _slot("exponential_decay", initial_learning_rate=ADAM_LR, decay_steps=100, decay_rate=0.9),
        *(_slot(OFF) for _ in range(SLOTS - 3))]}


def _settings(*slots: dict[str, Any], steps: int = 1000) -> dict[str, Any]:
    return {"steps": steps, "slots": [*slots, *(_slot(OFF) for _ in range(SLOTS - len(slots)))]}


class ScheduleModel(PaneModel):
    """Learning-rate schedules overlaid on one axis, raced, and the views on adaptive steps and the range test."""

    kind = "lr"
    views = lr_views.VIEWS

    def defaults(self) -> dict[str, Any]:
        return adam_settings()

    @property
    def view(self) -> str:
        """The view whose experiment runs: schedules, race, step or range."""
        return self.settings["view"]

    @property
    def unit(self) -> str:  # type: ignore[override]
        """step for the overlay, epoch for the races, iteration for the range test."""
        return lr_views.UNITS[self.view]

    @property
    def default_speed(self) -> float:  # type: ignore[override]
        """The overlay runs 5 steps a frame; the experiments one epoch or iteration."""
        return lr_views.SPEEDS[self.view]

    def active(self) -> list[tuple[int, dict[str, Any]]]:
        """(slot index, slot) of every slot that is not off."""
        return [(i, slot) for i, slot in enumerate(self.settings["slots"]) if slot["name"] != OFF]

    def rows(self) -> list[ParamRow]:
        view = self.view
        if view in ("step", "range", "sweep", "sparse"):
            return lr_views.rows(view, self.settings)
        rows = lr_views.rows(view, self.settings) if view == "race" else []
        rows.append(ParamRow("steps", "steps", STEPS, self.settings["steps"], "training" if rows else "overlay"))
        for i, slot in enumerate(self.settings["slots"]):
            group = f"slot {i + 1}"
            key = numbered("slot", i)
            rows.append(ParamRow(f"{key}.schedule", "schedule", SCHEDULE, slot["name"], group))
            if slot["name"] != OFF:
                rows += component_rows(key, SCHEDULES[slot["name"]], slot["params"], group)
        return rows

    def _apply(self, settings: dict[str, Any], key: str, value: Any) -> None:
        if key == "steps":
            settings["steps"] = value
            return
        if not key.startswith("slot."):
            lr_views.apply(settings, key, value)
            return
        _, index, name = key.split(".", 2)
        slot = settings["slots"][int(index) - 1]
        if name == "schedule":
            params = {} if value == OFF else switch_params(slot["params"], SCHEDULES[value], RATE_ALIASES)
            slot.update(name=value, params=params)
        else:
            slot["params"][name] = value

    def job(self) -> Job:
        active = self.active()
        for _, slot in active:  # cross-checks (piecewise lengths, one-cycle phases) before any worker
            SCHEDULES[slot["name"]].resolve(slot["params"])
        view = self.view
        if view == "race":
            return lr_views.race_job(self.settings, PLATEAUS)
        if view == "step":
            return lr_views.step_job(self.settings)
        if view == "range":
            return lr_views.range_job(self.settings)
        if view == "sweep":
            return rate_sweep.job(self.settings)
        if view == "sparse":
            return sparse.job(self.settings)
        return self._overlay_job(active)

    def _overlay_job(self, active: list[tuple[int, dict[str, Any]]]) -> Job:
        horizon = self.settings["steps"]

        def init(rng: np.random.Generator) -> _Cursor:
            steps = np.arange(horizon + 1)
            rates = np.empty((len(active), horizon + 1))
            momenta = np.full((len(active), horizon + 1), np.nan)
            with np.errstate(all="ignore"):
                for row, (_, slot) in enumerate(active):  # at most six closed forms, each vectorized over steps
                    rates[row] = SCHEDULES[slot["name"]](steps, **slot["params"])
                    momentum = schedule_momentum(slot["name"], steps, SCHEDULES[slot["name"]].resolve(slot["params"]))
                    if momentum is not None:
                        momenta[row] = momentum
            rates.flags.writeable = momenta.flags.writeable = False
            labels = tuple(f"{i + 1} {schedule_name(slot['name'])}" for i, slot in active)
            cycled = None if np.isnan(momenta).all() else momenta
            return _Cursor(labels, tuple(i for i, _ in active), rates, cycled)

        def step(cursor: _Cursor, n: int) -> _Cursor:
            cursor.position = min(cursor.position + n, horizon)
            return cursor

        def frame(cursor: _Cursor) -> ScheduleFrame:
            return ScheduleFrame(cursor.labels, cursor.slots, cursor.rates, cursor.position, horizon,
                                 momenta=cursor.momenta)

        return Job(init=init, step=step, frame=frame, position=lambda f: f.position, horizon=horizon,
                   cost=costs.series_cost(horizon + 1, len(active), ("steps",)), export="tui-dl export schedule")

    def selection(self, key: str | None, frame: Any = None) -> Selection:
        view = self.view
        if view == "sweep":
            return rate_sweep.selection(self.settings, frame)
        if view == "sparse":
            return sparse.selection(self.settings, frame)
        if view in ("step", "range") or (view == "race" and not (key and key.startswith("slot."))):
            return lr_views.selection(view, self.settings, key, frame)
        active = self.active()
        index = index_of(key) if key and key.startswith("slot.") else (active[0][0] if active else 0)
        slot = self.settings["slots"][index]
        if slot["name"] == OFF:
            return Selection("note", OFF, {}, f"slot {index + 1}",
                             {"summary": "this slot is off: choose a schedule with left/right"})
        extra: dict[str, Any] = {}
        if isinstance(frame, ScheduleFrame) and index in frame.slots:
            extra = {"step": frame.position, "rate": float(frame.rates[frame.slots.index(index), frame.position])}
        return Selection("schedule", slot["name"], slot["params"], f"slot {index + 1}", extra)

    def sweep_settings(self) -> dict[str, Any]:
        """The sweep view at its defaults (SGD on the spiral, 1e-4 to 100), everything else at the defaults too
        (a setup written in this view holds its rows only: loading it gives the defaults for the rest)."""
        return {**adam_settings(), "view": "sweep"}

    def presets(self) -> list[Preset]:
        def load(settings: dict[str, Any]):
            """The preset's slots and steps; the view and the experiments' knobs stay as they are."""
            return lambda: self.load({**self.settings, "steps": settings["steps"], "slots": settings["slots"]})

        return [
            Preset("LR: Adam, restarts vs step vs exponential", "the default: CosineDecayRestarts, StepLR,"
                   " ExponentialDecay from 1e-3", load(adam_settings())),
            Preset("LR: warmup then cosine", "Keras CosineDecay with a linear warmup next to torch LinearLR",
                   load(_settings(_slot("cosine_decay", initial_learning_rate=0.0, decay_steps=900,
                                        warmup_target=ADAM_LR, warmup_steps=100),
                                  _slot("linear_lr", lr=ADAM_LR, start_factor=0.1, total_iters=100)))),
            Preset("LR: one cycle vs cyclic", "torch OneCycleLR next to CyclicLR (triangular2)",
                   load(_settings(_slot("one_cycle_lr", max_lr=0.01, total_steps=1000),
                                  _slot("cyclic_lr", base_lr=1e-4, max_lr=0.01, step_size_up=125,
                                        mode="triangular2")))),
            Preset("LR: Keras vs PyTorch restarts", "CosineDecayRestarts and CosineAnnealingWarmRestarts agree"
                   " when m_mul = 1", load(_settings(
                       _slot("cosine_decay_restarts", initial_learning_rate=ADAM_LR, first_decay_steps=100),
                       _slot("cosine_annealing_warm_restarts", lr=ADAM_LR, T_0=100, T_mult=2)))),
            Preset("LR: reduce on plateau", "torch ReduceLROnPlateau on a loss that flattens out",
                   load(_settings(_slot("reduce_lr_on_plateau", lr=ADAM_LR, patience=20),
                                  _slot("constant", learning_rate=ADAM_LR), steps=600))),
            Preset("LR: Keras vs PyTorch plateau", "keras.callbacks.ReduceLROnPlateau next to torch's on the same"
                   " loss: Keras waits patience epochs (torch patience + 1), by an absolute min_delta",
                   load(_settings(_slot("reduce_lr_on_plateau", lr=ADAM_LR, patience=20),
                                  _slot("keras_reduce_lr_on_plateau", learning_rate=ADAM_LR, patience=20),
                                  steps=600))),
            Preset("LR: too low, right, too high", "13 rates from 1e-4 to 100 trained side by side with SGD: the"
                   " smallest barely move, the largest diverge (✖), │ the range test's suggestion",
                   lambda: self.load(self.sweep_settings())),
            Preset("LR: Adagrad and rare features", "logistic regression on features present 0.5 to 0.002 of the"
                   " time: each feature's effective step for SGD, Adagrad, RMSprop, Adam, and |Δθ| per step"
                   " (Adagrad's shrink)", lambda: self.load({**adam_settings(), "view": "sparse"})),
        ]
