"""The overfitting pane's model: one MLP trained under up to six regularization variants at once.

Every knob of `engine.experiments.training.TRAIN_PARAMS` is a row, plus the chosen data set's and
schedule's own parameters and one row per variant (`none`, `l2=1e-3`, `dropout=0.3`,
`patience=20`, `l2=1e-3+dropout=0.2` ...), which cycle through common choices or take any spec typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_dl.app.runner.model import Job, PaneModel, component_rows
from tui_dl.app.settings import ParamRow, Preset, Selection
from tui_dl.engine.datasets import DATASETS
from tui_dl.engine.experiments import training
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.schedules import SCHEDULES
from tui_dl.params import ParamError

VARIANT_SLOTS = 6
OFF = "off"
MENU = ("none", "l2=1e-4", "l2=1e-3", "l2=1e-2", "l1=1e-4", "dropout=0.2", "dropout=0.3", "dropout=0.5",
        "patience=10", "patience=20", "l2=1e-3+dropout=0.2", "weight_decay=1e-2", OFF)
SPECS = {spec.name: spec for spec in training.TRAIN_PARAMS}
GROUPS = (
    ("comparison", ("seeds", "paired")),
    ("network", ("hidden", "activation", "init")),
    ("training", ("optimizer", "lr", "batch_size", "epochs", "dtype", "schedule")),
    ("early stopping", ("monitor", "patience", "min_delta", "mode", "baseline", "restore_best_weights",
                        "start_from_epoch")),
    ("view", ("grid",)),
)
EARLY_STOPPING_KEYS = dict(GROUPS)["early stopping"]


@dataclass(frozen=True)
class VariantSpec:
    """A variant slot: cycles through MENU, and takes any spec `parse_variant` accepts when typed."""

    name: str = "variant"
    kind: str = "choice"
    choices: tuple[str, ...] = MENU
    optional: bool = False
    help: str = "regularization of this run: none, l1=, l2=, dropout=, weight_decay=, patience=, joined with +"

    def parse(self, text: str) -> str:
        """The spec, checked by parse_variant (or off)."""
        spec = text.strip()
        if spec.lower() == OFF:
            return OFF
        training.parse_variant(spec)
        return spec

    def format(self, value: Any) -> str:
        return str(value)

    def allowed(self) -> str:
        return "off, none, or KEY=VALUE joined with + (keys: l1, l2, dropout, weight_decay, patience)"

    def nudge(self, value: Any, direction: int) -> str:
        index = self.choices.index(value) if value in self.choices else -1 if direction > 0 else 0
        return self.choices[(index + (1 if direction > 0 else -1)) % len(self.choices)]


VARIANT = VariantSpec()


@dataclass(frozen=True)
class TrainFrame:
    """What the overfitting pane draws: the experiment's snapshot and the number of epochs asked."""

    snapshot: Any
    horizon: int


def train_settings(variants: tuple[str, ...] = ("none", "l2=1e-3", "dropout=0.3", "patience=20"),
                   dataset: str = "spiral", **knobs: Any) -> dict[str, Any]:
    """A setting: TRAIN_PARAMS defaults with changes, the data set's own parameters, the variants."""
    settings = {name: spec.default for name, spec in SPECS.items()}
    settings.update(dataset=dataset, dataset_params={}, schedule_params={}, **knobs)
    settings["variants"] = [*variants, *([OFF] * (VARIANT_SLOTS - len(variants)))]
    return settings


class TrainModel(PaneModel):
    """A small spiral overfitting without regularization, next to L2, dropout and early stopping."""

    kind = "train"
    unit = "epoch"
    default_speed = 1

    def defaults(self) -> dict[str, Any]:
        return train_settings()

    def rows(self) -> list[ParamRow]:
        s = self.settings
        rows = [ParamRow("dataset", "dataset", SPECS["dataset"], s["dataset"], "data"),
                *component_rows("dataset", DATASETS[s["dataset"]], s["dataset_params"], "data")]
        rows += [ParamRow(f"variant.{i}", f"variant {i + 1}", VARIANT, v, "variants")
                 for i, v in enumerate(s["variants"])]
        for group, names in GROUPS:
            rows += [ParamRow(name, name, SPECS[name], s[name], group) for name in names]
            if group == "training":
                rows += [row for row in component_rows("schedule", SCHEDULES[s["schedule"]], s["schedule_params"],
                                                       group) if row.label not in training.BASE_RATE_KEYS]
        return rows

    def _apply(self, settings: dict[str, Any], key: str, value: Any) -> None:
        if key == "dataset":
            settings.update(dataset=value, dataset_params={})
        elif key == "schedule":
            settings.update(schedule=value, schedule_params={})
        elif key.startswith(("dataset.", "schedule.")):
            group, name = key.split(".", 1)
            settings[f"{group}_params"][name] = value
        elif key.startswith("variant."):
            settings["variants"][int(key.split(".")[1])] = value
        else:
            settings[key] = value

    def variants(self) -> list[str]:
        """The variant specs that are not off."""
        return [v for v in self.settings["variants"] if v != OFF]

    def config(self) -> Any:
        """The training configuration of the current settings."""
        s = self.settings
        variants = tuple(training.parse_variant(v) for v in self.variants())
        if not variants:
            raise ParamError("bad value 'off': at least one variant must train")
        knobs = {name: s[name] for name in SPECS if name != "dataset"}
        knobs["hidden"] = tuple(knobs["hidden"])
        return training.TrainConfig(dataset=s["dataset"], dataset_params=dict(s["dataset_params"]),
                                    schedule_params=dict(s["schedule_params"]), variants=variants, **knobs)

    def job(self) -> Job:
        config = self.config()
        DATASETS[config.dataset].resolve(config.dataset_params)
        SCHEDULES[config.schedule].resolve(config.schedule_params)
        epochs = config.epochs

        def frame(state: Any) -> TrainFrame:
            return TrainFrame(training.snapshot(state), epochs)

        return Job(init=lambda rng: training.init(config, rng), step=training.step, frame=frame,
                   position=lambda f: f.snapshot.epoch, horizon=epochs,
                   done=lambda f: bool(np.all(f.snapshot.finished)))

    def selection(self, key: str | None, frame: Any = None) -> Selection:
        s = self.settings
        key = key or "variant.0"
        if key in EARLY_STOPPING_KEYS:
            return Selection("early_stopping", "EarlyStopping", {k: s[k] for k in EARLY_STOPPING_KEYS})
        if key.startswith("variant."):
            spec = s["variants"][int(key.split(".")[1])]
            if spec == OFF:
                return Selection("note", OFF, {}, "variant", {"summary": "this variant is off: pick one"})
            variant = training.parse_variant(spec)
            params = {k: getattr(variant, k) for k in ("l1", "l2", "dropout", "weight_decay", "patience")}
            return Selection("regularizer", spec, params, variant.label)
        if key in ("optimizer", "lr"):
            component = OPTIMIZERS[s["optimizer"]]
            params = component.defaults()
            rate = next((k for k in training.BASE_RATE_KEYS if k in params), None)
            if rate:
                params[rate] = s["lr"]
            return Selection("optimizer", s["optimizer"], params, s["optimizer"])
        if key == "schedule" or key.startswith("schedule."):
            params = dict(s["schedule_params"])
            rate = next((k for k in training.BASE_RATE_KEYS if k in SCHEDULES[s["schedule"]].defaults()), None)
            if rate and rate not in params:
                params[rate] = s["lr"]
            return Selection("schedule", s["schedule"], SCHEDULES[s["schedule"]].resolve(params), s["schedule"])
        if key == "init":
            fan = int(s["hidden"][0])
            return Selection("initializer", s["init"], INITIALIZERS[s["init"]].defaults(), s["init"],
                             {"fan_in": fan, "fan_out": fan, "family": INITIALIZERS[s["init"]].family})
        component = DATASETS[s["dataset"]]
        return Selection("dataset", s["dataset"], component.resolve(s["dataset_params"]), s["dataset"],
                         {"summary": component.summary, "convention": "synthetic, seeded (engine/datasets.py)"})

    def presets(self) -> list[Preset]:
        def load(**kw: Any):
            return lambda: self.load(train_settings(**kw))

        return [
            Preset("Overfit: spiral, none vs L2 vs dropout vs early stopping", "the default comparison", load()),
            Preset("Overfit: L2 strengths", "none, 1e-4, 1e-3, 1e-2 on the spiral",
                   load(variants=("none", "l2=1e-4", "l2=1e-3", "l2=1e-2"))),
            Preset("Overfit: dropout rates", "none, 0.2, 0.3, 0.5 on the spiral",
                   load(variants=("none", "dropout=0.2", "dropout=0.3", "dropout=0.5"))),
            Preset("Overfit: moons with early stopping", "patience 10 and 20 next to none",
                   load(dataset="moons", variants=("none", "patience=10", "patience=20"))),
        ]
