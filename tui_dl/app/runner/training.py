"""The overfitting pane's model: one MLP trained under up to six variants at once, or a random search.

Every knob of `engine.experiments.training.TRAIN_PARAMS` is a row, plus the chosen data set's and
schedule's own parameters and one row per variant (`none`, `l2=1e-3`, `dropout=0.3`,
`patience=20`, `l2=1e-3+dropout=0.2` ...), which cycle through common choices or take any spec typed.
The setting `view` picks the experiment: `curves` trains the variants, `search` a random search of
two hyperparameters in the same network (search_view.py); changing it restarts the pane.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_dl.app.model_types import ParamRow, Preset, Selection
from tui_dl.app.runner import search_view
from tui_dl.app.runner.cards import activation_selection, setting_selection
from tui_dl.app.runner.model import Job, PaneModel, component_rows, index_of, numbered
from tui_dl.engine.datasets import DATASETS
from tui_dl.engine.experiments import costs, training
from tui_dl.engine.experiments.variants import parse_variant
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
    ("network", ("hidden", "activation", "init", "batch_norm_momentum")),
    ("training", ("optimizer", "lr", "batch_size", "shuffle", "epochs", "dtype", "schedule")),
    ("early stopping", ("monitor", "patience", "min_delta", "mode", "baseline", "restore_best_weights",
                        "start_from_epoch")),
    ("view", ("grid",)),
)
EARLY_STOPPING_KEYS = dict(GROUPS)["early stopping"]
VIEWS = ("curves", "search")  # the experiment the pane runs: the variants, or a random search


@dataclass(frozen=True)
class VariantSpec:
    """A variant slot: cycles through MENU, and takes any spec `parse_variant` accepts when typed."""

    name: str = "variant"
    kind: str = "choice"
    choices: tuple[str, ...] = MENU
    optional: bool = False
    help: str = ("what this run changes: none, l1=, l2=, dropout=, weight_decay=, patience=, lr=, init=, activation=, "
                 "optimizer=, batch_norm, joined with +")

    def parse(self, text: str) -> str:
        """The spec, checked by parse_variant (or off)."""
        spec = text.strip()
        if spec.lower() == OFF:
            return OFF
        parse_variant(spec)
        return spec

    def format(self, value: Any) -> str:
        return str(value)

    def allowed(self) -> str:
        return ("off, none, or KEY=VALUE joined with + (keys: l1, l2, dropout, weight_decay, patience, lr, "
                "init=NAME[:K=V,...], activation=NAME[:...], optimizer=NAME[:...], batch_norm)")

    def nudge(self, value: Any, direction: int) -> str:
        index = self.choices.index(value) if value in self.choices else -1 if direction > 0 else 0
        return self.choices[(index + (1 if direction > 0 else -1)) % len(self.choices)]


VARIANT = VariantSpec()


@dataclass(frozen=True)
class TrainFrame:
    """What the overfitting pane draws: the experiment's snapshot and the number of epochs asked."""

    snapshot: Any
    horizon: int
    view: str = "curves"


def train_settings(variants: tuple[str, ...] = ("none", "l2=1e-3", "dropout=0.3", "patience=20"),
                   dataset: str = "spiral", **knobs: Any) -> dict[str, Any]:
    """A setting: TRAIN_PARAMS defaults with changes, the data set's own parameters, the variants."""
    settings = {name: spec.default for name, spec in SPECS.items()}
    settings.update({"dataset": dataset, "dataset_params": {}, "schedule_params": {}, **knobs})
    settings["variants"] = [*variants, *([OFF] * (VARIANT_SLOTS - len(variants)))]
    settings.setdefault("view", VIEWS[0])
    settings.setdefault("search", search_view.default_settings())
    return settings


class TrainModel(PaneModel):
    """A small spiral overfitting without regularization, next to L2, dropout and early stopping."""

    kind = "train"
    unit = "epoch"
    default_speed = 1
    views = VIEWS

    def defaults(self) -> dict[str, Any]:
        return train_settings()

    @property
    def view(self) -> str:
        """The experiment that runs: curves (the variants) or search."""
        return self.settings["view"]

    def rows(self) -> list[ParamRow]:
        s = self.settings
        searching = self.view == "search"
        rows = search_view.rows(s, self._experiment(())) if searching else []
        rows += [ParamRow("dataset", "dataset", SPECS["dataset"], s["dataset"], "data"),
                 *component_rows("dataset", DATASETS[s["dataset"]], s["dataset_params"], "data")]
        if not searching:
            rows += [ParamRow(numbered("variant", i), f"variant {i + 1}", VARIANT, v, "variants")
                     for i, v in enumerate(s["variants"])]
        for group, names in GROUPS:
            if searching and group == "comparison":
                continue
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
            settings["variants"][index_of(key)] = value
        elif key.startswith("search."):
            search_view.apply(settings, key, value)
        else:
            settings[key] = value

    def variants(self) -> list[str]:
        """The variant specs that are not off."""
        return [v for v in self.settings["variants"] if v != OFF]

    def config(self) -> Any:
        """The training configuration of the current settings."""
        variants = tuple(parse_variant(v) for v in self.variants())
        if not variants:
            raise ParamError("bad value 'off': at least one variant must train")
        return self._experiment(variants)

    def _experiment(self, variants: tuple[Any, ...]) -> training.TrainConfig:
        """The training configuration of the settings with these variants."""
        s = self.settings
        knobs = {name: s[name] for name in SPECS if name != "dataset"}
        knobs["hidden"] = tuple(knobs["hidden"])
        return training.TrainConfig(dataset=s["dataset"], dataset_params=dict(s["dataset_params"]),
                                    schedule_params=dict(s["schedule_params"]), variants=variants, **knobs)

    def job(self) -> Job:
        if self.view == "search":
            experiment = self._experiment(())
            DATASETS[experiment.dataset].resolve(experiment.dataset_params)
            SCHEDULES[experiment.schedule].resolve(experiment.schedule_params)
            return search_view.job(self.settings, experiment)
        config = self.config()
        DATASETS[config.dataset].resolve(config.dataset_params)
        SCHEDULES[config.schedule].resolve(config.schedule_params)
        epochs = config.epochs

        def frame(state: Any) -> TrainFrame:
            return TrainFrame(training.snapshot(state), epochs)

        return Job(init=lambda rng: training.init(config, rng), step=training.step, frame=frame,
                   position=lambda f: f.snapshot.epoch, horizon=epochs,
                   done=lambda f: bool(np.all(f.snapshot.finished)),
                   cost=costs.training_cost(config, knobs=("hidden", "seeds", "val_samples")),
                   export="tui-dl export train")

    def selection(self, key: str | None, frame: Any = None) -> Selection:
        s = self.settings
        key = key or "variant.1"
        if key.startswith("search."):
            return Selection("note", "random search", {}, "search", {"summary": (
                "every sample trains in one batch from the same initial weights; its values are drawn from "
                "each axis's range (log: uniform in the exponent) and it is ranked by its final val accuracy "
                "(val loss for regression); c shows the best samples' curves")})
        if key in EARLY_STOPPING_KEYS:
            return Selection("early_stopping", "EarlyStopping", {k: s[k] for k in EARLY_STOPPING_KEYS})
        if key.startswith("variant."):
            spec = s["variants"][index_of(key)]
            if spec == OFF:
                return Selection("note", OFF, {}, "variant", {"summary": "this variant is off: pick one"})
            variant = parse_variant(spec)
            if variant.optimizer is not None:  # the code of the optimizer this run trains with
                component = OPTIMIZERS[variant.optimizer]
                params = component.resolve(dict(variant.optimizer_params))
                rate = next((k for k in training.BASE_RATE_KEYS if k in params), None)
                if rate:
                    params[rate] = s["lr"] if variant.lr is None else variant.lr
                return Selection("optimizer", variant.optimizer, params, variant.label)
            if variant.init is not None:
                return self._initializer(variant.init, dict(variant.init_params))
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
            return self._initializer(s["init"], {})
        if key == "activation":
            return activation_selection(s["activation"], s.get("activation_params", {}))
        if key != "dataset" and not key.startswith("dataset."):  # hidden, seeds, batch_size ...: its own card
            return setting_selection(self.row(key))
        component = DATASETS[s["dataset"]]
        return Selection("dataset", s["dataset"], component.resolve(s["dataset_params"]), s["dataset"],
                         {"summary": component.summary, "convention": "synthetic, seeded (engine/datasets.py)"})

    def _initializer(self, name: str, params: dict[str, Any]) -> Selection:
        fan = int(self.settings["hidden"][0])
        component = INITIALIZERS[name]
        return Selection("initializer", name, component.resolve(params), name,
                         {"fan_in": fan, "fan_out": fan, "family": component.family})

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
            *scratch_presets(load),
        ]


# Deep Learning from Scratch, chapter 6, on the 8 x 8 digits: its scripts' networks and rates
DIGITS = {"train_samples": 797}  # and the default 1000 held out: all 1797 images
SCRATCH_INITS = ("init=normal:std=0.01", "init=xavier_simple", "init=kaiming_normal:nonlinearity=relu")


def scratch_presets(load: Any) -> list[Preset]:
    """The chapter's figures as presets: weight_init_compare (ReLU and sigmoid), optimizer_compare_mnist,
    overfit_weight_decay and overfit_dropout; every comparison paired."""
    deep = {"dataset": "digits", "hidden": (100,) * 5, "optimizer": "sgd", "lr": 0.01, "batch_size": 128}
    return [
        Preset("Scratch 6.2: weight init, ReLU", "N(0, 0.01) vs Xavier vs He, 5 x 100 ReLU, SGD 0.01, digits",
               load(variants=SCRATCH_INITS, dataset_params=dict(DIGITS), **deep)),
        Preset("Scratch 6.2: weight init, sigmoid", "the same three with sigmoid: watch what learns",
               load(variants=SCRATCH_INITS, dataset_params=dict(DIGITS), activation="sigmoid", **deep)),
        Preset("Scratch 6.1: SGD, Momentum, AdaGrad, Adam", "4 x 100 ReLU on digits, the book's rates",
               load(variants=("optimizer=sgd:lr=0.01", "optimizer=sgd:lr=0.01,momentum=0.9",
                              "optimizer=adagrad:lr=0.01", "optimizer=adam:lr=0.001"),
                    dataset="digits", dataset_params=dict(DIGITS), hidden=(100,) * 4, batch_size=128)),
        Preset("Scratch 6.3: Batch Normalization", "N(0, s) for s = 1, 0.1, 0.01, each with and without BatchNorm "
               "(momentum 0.9 as the book), 5 x 100 ReLU, SGD 0.01",
               load(variants=tuple(f"init=normal:std={std}{norm}" for std in (1, 0.1, 0.01)
                                   for norm in ("+batch_norm", "")),
                    dataset_params=dict(DIGITS), batch_norm_momentum=0.9, epochs=20,
                    **{**deep, "batch_size": 100})),
        Preset("Scratch 6.4: weight decay", "300 digits, 6 x 100, SGD 0.01: none vs lambda 0.1 (Keras l2=0.05)",
               load(variants=("none", "l2=0.05"), dataset="digits",  # 300 training images: the default
                    hidden=(100,) * 6, optimizer="sgd", lr=0.01, batch_size=100, epochs=201)),
        Preset("Scratch 6.4: dropout", "300 digits, 6 x 100, SGD 0.01: none vs dropout 0.2",
               load(variants=("none", "dropout=0.2"), dataset="digits",
                    hidden=(100,) * 6, optimizer="sgd", lr=0.01, batch_size=100, epochs=301)),
    ]
