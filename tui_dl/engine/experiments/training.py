"""Training experiment: one MLP trained under several regularization variants at once.

Each variant (`none`, `l2=1e-3`, `dropout=0.2`, `l2=1e-3+dropout=0.2`, `patience=10` ...) is one
run of a batched MLP (mlp.py): all runs share the data, architecture, optimizer and schedule and
differ in L1/L2 penalties, dropout rate, decoupled weight decay, early stopping and base rate.
`step(state, n)` trains n epochs of mini-batches, as `model.fit` does, and records per epoch
what Keras's `History` holds:

- `train_loss`: Keras's running mean over the epoch's batches, weighted by batch size, of the
  training loss *as optimized*: with dropout active and the L1/L2 penalty included, each batch
  at the weights before its update. `train_acc` is likewise the running accuracy with dropout on.
- `val_loss`: the validation data loss at the end of the epoch, in evaluation mode (no dropout),
  plus the L1/L2 penalty of the weights at that time: Keras adds the regularization losses to
  the validation loss too. `val_acc`: the validation accuracy.
- `train_data_loss`, `val_data_loss` (not in Keras's History): the data loss alone, in evaluation
  mode, on the training and validation sets at the end of the epoch. These are the curves to
  compare when looking for overfitting, since train_loss carries dropout noise and a penalty.

Runs: every variant trains under `seeds` seeds, run r = variant r // seeds under seed r % seeds
(seeds 1: one run per variant), so the spread across seeds shows whether a difference between
variants is larger than the noise (`spread`).

Randomness (streams.py): the data set is drawn from the Generator passed to `init`; then every
random draw of a run (each layer's initial kernel, each epoch's shuffle, each batch's dropout
uniforms) comes from a stream keyed by what it draws and by the run's stream id. Paired (the
default), the id is the seed index: the variants under one seed start from the same kernels,
see the same mini-batches and drop the same units (at equal rates), so they differ only in what
is compared, and `none` and `patience=N` are one curve up to the stop. `paired=False` gives each
run its own id (independent draws). Run r computes the same numbers whether it trains alone or
next to any other runs, given the same root and stream id.

Optimization: every run takes an optimizer step per mini-batch (`OPTIMIZERS`, PyTorch or Keras
semantics, one update for all runs). The learning rate comes from a schedule (`SCHEDULES`)
evaluated at the optimizer iteration (0-based, as Keras's `iterations`; a PyTorch scheduler
stepped once per batch gives the same). `lr` is the schedule's base rate: it sets the schedule's
`learning_rate`, `initial_learning_rate` or `lr` parameter, or `max_lr` for cyclic_lr and
one_cycle_lr, unless that parameter is set explicitly in `schedule_params`; piecewise_constant_decay's
`values` are absolute. A variant may set its own base rate (`lr=0.1`), which replaces `lr` for
that run. `reduce_lr_on_plateau` is driven by each run's monitored metric (early
stopping's `monitor`) once per epoch, so every run gets its own rate; so is Keras's
`keras_reduce_lr_on_plateau`, by the quantity its own `monitor` names. A variant's
`weight_decay` is decoupled, as torch's AdamW: before each optimizer update every parameter
(kernels and biases) is multiplied by 1 - lr * weight_decay, whatever the optimizer.

Early stopping is Keras's callback per run (early_stopping.py). A stopped run is frozen (its
weights stop changing and its history ends) while the others go on; with restore_best_weights
its weights are set back to those of its best epoch when it stops, and, as in Keras's
`on_train_end`, runs that reach `epochs` without stopping restore theirs then. A run whose
training loss (or end-of-epoch loss) is not finite diverges: it is frozen and its
`diverged_epoch` recorded, with no warning printed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tui_dl.engine.activations import ACTIVATIONS, get_activation, per_run_activation
from tui_dl.engine.batch_norm import Moments
from tui_dl.engine.datasets import DATASETS, Dataset, make_dataset
from tui_dl.engine.early_stopping import (
    EARLY_STOPPING_PARAMS,
    EarlyStopping,
    EarlyStoppingState,
    early_stopping_init,
    early_stopping_update,
    restore_mask,
    unlogged_monitor,
)
from tui_dl.engine.experiments.history import History
from tui_dl.engine.experiments.variants import (
    _VARIANT,
    DEFAULT_VARIANTS,
    VARIANT_PARAMS,
    Variant,
)
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.engine.keras_plateau import NAME as KERAS_PLATEAU
from tui_dl.engine.keras_plateau import KerasPlateauState, keras_plateau_init, keras_plateau_step
from tui_dl.engine.mlp import CLASSIFICATION, MLP, LossGrad, dropout_masks_from_uniforms
from tui_dl.engine.optimizers import OPTIMIZERS, Optimizer, check_in_training, grouped, per_run, training_names
from tui_dl.engine.schedules import SCHEDULES, PlateauState, plateau_init, plateau_step, schedule_momentum
from tui_dl.engine.streams import Streams, root_of
from tui_dl.params import Component, ParamError, ParamSpec, count

PLATEAU = "reduce_lr_on_plateau"
# the schedules driven by a monitored metric once per epoch: torch's and Keras's ReduceLROnPlateau
PLATEAUS = (PLATEAU, KERAS_PLATEAU)
# the schedule parameter `lr` sets, in this order of preference (cyclic_lr has base_lr and max_lr)
BASE_RATE_KEYS = ("lr", "learning_rate", "initial_learning_rate", "max_lr")
# early stopping's monitor -> the history it reads
MONITORED = {"val_loss": "val_loss", "val_accuracy": "val_acc", "loss": "train_loss", "accuracy": "train_acc"}


def logged_monitors(task: str) -> tuple[str, ...]:
    """The monitors a training of task logs: a regression has no accuracy."""
    return tuple(MONITORED) if task == CLASSIFICATION else ("val_loss", "loss")
DTYPES = {"float32": np.float32, "float64": np.float64}


# ============================================================================ config
def _choice(name: str, default: str, choices: Sequence[str], text: str) -> ParamSpec:
    return ParamSpec(name, "choice", default, choices=tuple(choices), help=text)


TRAIN_PARAMS: tuple[ParamSpec, ...] = (
    _choice("dataset", "spiral", DATASETS.names(), "the data set (its own knobs: train_samples, val_samples, noise)"),
    ParamSpec("hidden", "ints", (100, 100), low=1, high=4096, help="hidden layer widths, e.g. 100,100"),
    _choice("activation", "relu", ACTIVATIONS.names(), "activation of the hidden layers"),
    _choice("init", "he_normal", INITIALIZERS.names(), "kernel initializer (biases start at zero)"),
    ParamSpec("batch_norm_momentum", "float", 0.99, low=0.0, high=1.0, high_open=True, step=0.01,
              help="momentum of the moving statistics of batch_norm variants (Keras 0.99; Deep Learning from "
                   "Scratch 0.9): moving = momentum * moving + (1 - momentum) * batch"),
    _choice("optimizer", "adam", training_names(), "optimizer (PyTorch names; keras_* for Keras's; no LBFGS here: it "
            "evaluates the loss several times a step through a closure, run it on the optimizer paths)"),
    ParamSpec("lr", "float", 3e-3, low=0.0, low_open=True, scale="log",
              help="learning rate: the schedule's base rate (see the schedule)"),
    ParamSpec("batch_size", "int", 32, low=1, high=1_000_000, scale="log", help="mini-batch size"),
    ParamSpec("epochs", "int", 200, low=1, high=1_000_000, scale="log", help="epochs to train (model.fit's epochs)"),
    ParamSpec("shuffle", "bool", True,
              help="shuffle the training set before each epoch (model.fit's shuffle); false: always in order"),
    _choice("dtype", "float32", tuple(DTYPES), "float32 is fast; float64 for exact comparisons"),
    _choice("schedule", "constant", SCHEDULES.names(), "learning-rate schedule, per optimizer iteration"),
    *EARLY_STOPPING_PARAMS,
    ParamSpec("seeds", "int", 1, low=1, high=64,
              help="seeds per variant: each variant trains this many times, drawn as a median and a min-max band"),
    ParamSpec("paired", "bool", True,
              help="variants share initial weights, batch order and dropout draws (false: independent draws)"),
    ParamSpec("grid", "int", 40, low=2, high=400, help="decision-region grid size per side (2-D data)"),
    ParamSpec("eval_train", "bool", True,
              help="record train_data_loss: one forward pass over the training set per epoch"),
)
_TRAIN = Component("training", "training", dict, TRAIN_PARAMS)


@dataclass(frozen=True)
class TrainConfig:
    """Everything the experiment needs; each scalar knob is also a ParamSpec of TRAIN_PARAMS.

    `data` (a loaded Dataset: a file, digits) replaces `dataset`/`dataset_params` when given.
    Optimizer parameters other than its rate go to `optimizer_params`; the rate comes from `lr`
    and the schedule. `patience` None means no early stopping, except for variants with their own.
    """

    dataset: str = "spiral"
    dataset_params: Mapping[str, Any] = field(default_factory=dict)
    data: Dataset | None = None
    hidden: tuple[int, ...] = (100, 100)
    activation: str = "relu"
    activation_params: Mapping[str, Any] = field(default_factory=dict)
    init: str = "he_normal"
    init_params: Mapping[str, Any] = field(default_factory=dict)
    batch_norm_momentum: float = 0.99
    optimizer: str = "adam"
    optimizer_params: Mapping[str, Any] = field(default_factory=dict)
    lr: float = 3e-3
    schedule: str = "constant"
    schedule_params: Mapping[str, Any] = field(default_factory=dict)
    batch_size: int = 32
    epochs: int = 200
    shuffle: bool = True
    dtype: str = "float32"
    variants: tuple[Variant, ...] = DEFAULT_VARIANTS
    monitor: str = "val_loss"
    min_delta: float = 0.0
    patience: int | None = None
    mode: str = "auto"
    baseline: float | None = None
    restore_best_weights: bool = False
    start_from_epoch: int = 0
    seeds: int = 1
    paired: bool = True
    grid: int = 40
    eval_train: bool = True

    @property
    def runs(self) -> int:
        """R, the number of runs: every variant under every seed."""
        return len(self.variants) * self.seeds


def config_from_assignments(assignments: Mapping[str, str], base: TrainConfig | None = None,
                            **fields: Any) -> TrainConfig:
    """A TrainConfig from `--set key=value` strings on top of base (and explicit fields).

    Keys of TRAIN_PARAMS set the config. Any other key goes to the first of the chosen data set,
    schedule and optimizer that declares it (so `noise`, `gamma`, `momentum` all work); a prefix
    routes explicitly where names clash: `schedule.mode`, `schedule.patience`, `optimizer.eps`,
    `dataset.noise`. The optimizer's own rate is not settable (it comes from `lr` and the
    schedule). Unknown keys and bad values raise ParamError naming what is allowed.
    """
    config = replace(base or TrainConfig(), **fields)
    if assignments.get("optimizer", "").strip() in OPTIMIZERS:
        check_in_training(assignments["optimizer"].strip())
    own = {spec.name for spec in TRAIN_PARAMS}
    values = _TRAIN.resolve({k: v for k, v in assignments.items() if k in own}, text=True)
    config = replace(config, **{k: values[k] for k in assignments if k in own})
    optimizer = OPTIMIZERS[config.optimizer]
    rate = _rate_key(optimizer)
    groups = {"dataset": None if config.data is not None else DATASETS[config.dataset],
              "schedule": SCHEDULES[config.schedule], "optimizer": optimizer}
    routed: dict[str, dict[str, Any]] = {"dataset": dict(config.dataset_params),
                                         "schedule": dict(config.schedule_params),
                                         "optimizer": dict(config.optimizer_params)}

    def declares(group: str, key: str) -> bool:
        component = groups[group]
        return (component is not None and any(s.name == key for s in component.params)
                and not (group == "optimizer" and key == rate))

    for name, text in assignments.items():
        if name in own:
            continue
        prefix, dot, key = name.rpartition(".")
        candidates = [prefix] if dot and prefix in groups else list(groups)
        owner = next((group for group in candidates if declares(group, key)), None)
        if owner is None:
            allowed = sorted(own | {s.name for g, c in groups.items() if c is not None for s in c.params
                                    if declares(g, s.name)})
            raise ParamError(f"unknown parameter {name!r} for training; choose from: {', '.join(allowed)}")
        routed[owner][key] = groups[owner].spec(key).parse(text)
    return replace(config, hidden=tuple(config.hidden), dataset_params=routed["dataset"],
                   schedule_params=routed["schedule"], optimizer_params=routed["optimizer"])


def _rate_key(component: Component) -> str | None:
    """The name of a component's rate parameter (lr, learning_rate ...), or None."""
    return next((key for key in BASE_RATE_KEYS if any(s.name == key for s in component.params)), None)


def _schedule_key(component: Component) -> str | None:
    """The schedule parameter tied to `lr`: max_lr for the cyclic ones, else its base rate."""
    names = {s.name for s in component.params}
    if "max_lr" in names:
        return "max_lr"
    return next((key for key in BASE_RATE_KEYS if key in names), None)


# ============================================================================ state
@dataclass
class TrainState:
    """Mutable state of the experiment; `step` advances it in place."""

    config: TrainConfig
    dataset: Dataset
    model: MLP
    streams: Streams  # each run's random streams (initial kernels, shuffles, dropout)
    params: np.ndarray
    optimizer: Optimizer
    opt_state: Any
    rates: np.ndarray | None  # (iterations, R) lr of every iteration and run; None with reduce_lr_on_plateau
    # (iterations, R) the momentum (Adam: beta1) a cycling scheduler sets at every iteration; None when none cycles
    momenta: np.ndarray | None
    plateau: PlateauState | KerasPlateauState | None
    plateau_params: Mapping[str, Any]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    l1: np.ndarray
    l2: np.ndarray
    dropout: np.ndarray
    weight_decay: np.ndarray
    stopping: EarlyStopping
    stopping_state: EarlyStoppingState
    best_params: np.ndarray | None
    best_moving: Moments | None  # the moving statistics at each run's best epoch (restore_best_weights)
    active: np.ndarray
    diverged_epoch: np.ndarray
    history: dict[str, History]
    epoch: int = 0
    iteration: int = 0
    grid_cache: tuple[int, np.ndarray | None] | None = None
    batch_loss: History | None = None  # (iterations, R) each mini-batch's loss, when init kept it
    buffers: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray, np.ndarray | None]] = field(default_factory=dict)
    batch_norm: np.ndarray | None = None  # (R,) the runs with BatchNormalization; None when no run has it
    moving: Moments | None = None  # BatchNormalization's moving mean and variance (R, sum(hidden))
    first_seeds_model: MLP | None = None  # the model over each variant's first seed (decision regions)
    # (R,) runs whose params are already the weights to evaluate: restored best weights of an optimizer that
    # trains and evaluates at different points (schedule-free); None while there are none
    evaluated_as_is: np.ndarray | None = None

    @property
    def normalization(self) -> dict[str, Any]:
        """The batch_norm and moving arguments every forward pass of the model takes."""
        return {"batch_norm": self.batch_norm, "moving": self.moving}

    @property
    def runs(self) -> int:
        """R, the number of runs."""
        return len(self.params)


@dataclass(frozen=True)
class TrainSnapshot:
    """What the overfitting pane draws; arrays are read-only and never change afterwards.

    Attributes:
        labels: one legend label per run (a variant's label for each of its seeds).
        seeds: runs per variant: run r is variant r // seeds under seed r % seeds (see `spread`).
        task: "classification" or "regression".
        epoch: epochs completed.
        train_loss, val_loss, train_acc, val_acc: (R, epoch) Keras History values (see the module
            docstring); accuracies are NaN for regression; NaN after a run stopped or diverged.
        train_data_loss, val_data_loss: (R, epoch) data loss alone in evaluation mode (train_data_loss
            NaN when config.eval_train is off).
        best_epoch, stopped_epoch, diverged_epoch: (R,) 0-based epochs, -1 = none.
        finished: (R,) stopped or diverged.
        restored: (R,) the run's weights are back at its best epoch's (restore_best_weights: on its
            stop, or at the end of training, as Keras's callback does).
        lr: (R,) the learning rate of the last iteration.
        grid: (V, G, G, C) class probabilities (regression: (V, G, G, K) predictions) of each variant's
            first seed (run v * seeds; every run when seeds is 1) on a G x G grid
            over grid_box, row i at y_i and column j at x_j; None unless the input is 2-D.
        grid_box: (xmin, xmax, ymin, ymax) of the grid, None without a grid.
        x_train, y_train, x_val, y_val: the data, for drawing points.
    """

    labels: tuple[str, ...]
    seeds: int
    task: str
    epoch: int
    train_loss: np.ndarray
    val_loss: np.ndarray
    train_acc: np.ndarray
    val_acc: np.ndarray
    train_data_loss: np.ndarray
    val_data_loss: np.ndarray
    best_epoch: np.ndarray
    stopped_epoch: np.ndarray
    diverged_epoch: np.ndarray
    finished: np.ndarray
    restored: np.ndarray
    lr: np.ndarray
    grid: np.ndarray | None
    grid_box: tuple[float, float, float, float] | None
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    @property
    def variant_labels(self) -> tuple[str, ...]:
        """One legend label per variant."""
        return self.labels[:: self.seeds]

    def select(self, runs: Sequence[int] | np.ndarray) -> TrainSnapshot:
        """The same picture of the given runs only (one seed each: a search's best samples)."""
        index = np.asarray(runs, dtype=np.int64)
        per_run = {name: getattr(self, name)[index] for name in (*HISTORY_KEYS, "best_epoch", "stopped_epoch",
                                                                  "diverged_epoch", "finished", "restored", "lr")}
        grid = None if self.grid is None else self.grid[index]
        return replace(self, labels=tuple(self.labels[i] for i in index), seeds=1, grid=grid, **per_run)

    def by_variant(self, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(median, low, high), each (V, epoch), of a history key over each variant's seeds (`spread`).

        A seed that stopped early keeps its last value (its weights no longer change), so the median and
        range at the end describe every seed's final model, not only the seeds still training; a seed that
        diverged is left out from its divergence on.
        """
        values = np.array(getattr(self, key), dtype=np.float64)
        epochs = np.arange(values.shape[1])
        for run in np.flatnonzero((self.stopped_epoch >= 0) & (self.diverged_epoch < 0)):
            stop = int(self.stopped_epoch[run])
            if stop < values.shape[1]:
                values[run, epochs > stop] = values[run, stop]
        return spread(values, self.seeds)


HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc", "train_data_loss", "val_data_loss")


# ============================================================================ init
def expand_to_runs(config: TrainConfig, values: Sequence[Any]) -> np.ndarray:
    """(R,) one value per variant repeated for each of its seeds (run r = variant r // seeds)."""
    return np.repeat(np.asarray(values), config.seeds, axis=0)


def _per_variant(config: TrainConfig, key: str) -> np.ndarray:
    return expand_to_runs(config, np.array([getattr(v, key) for v in config.variants], dtype=np.float64))


def default_streams(config: TrainConfig, rng: np.random.Generator, runs: int | None = None) -> Streams:
    """The runs' streams under a new root from rng: paired, the stream id is the seed index
    (run r % seeds); with paired=False every run has its own id."""
    runs = config.runs if runs is None else runs
    ids = np.arange(runs) % config.seeds if config.paired else np.arange(runs)
    return Streams(root_of(rng), ids)


def _stopping(config: TrainConfig) -> EarlyStopping:
    """Keras's EarlyStopping per run: a variant's own patience wins over the experiment's."""
    own = [config.patience if v.patience is None else v.patience for v in config.variants]
    patience = expand_to_runs(config, [np.nan if p is None else p for p in own])
    return EarlyStopping(
        monitor=config.monitor, min_delta=config.min_delta,
        patience=patience.astype(np.float64),
        mode=config.mode, baseline=config.baseline, restore_best_weights=config.restore_best_weights,
        start_from_epoch=config.start_from_epoch,
    )


def schedule_rates(config: TrainConfig, iterations: int
                   ) -> tuple[np.ndarray | None, PlateauState | None, dict[str, Any]]:
    """(lr of every iteration and run (iterations, R), plateau state, plateau parameters).

    Each run's base rate is its variant's lr, or the experiment's; the schedule is evaluated
    once per distinct base rate. reduce_lr_on_plateau (torch's or Keras's) has no precomputed rates (None) but a
    state.
    """
    component = SCHEDULES[config.schedule]
    key = _schedule_key(component)
    bases = expand_to_runs(config, [config.lr if v.lr is None else v.lr for v in config.variants])
    if config.schedule in PLATEAUS:
        resolved = component.resolve(config.schedule_params)
        if resolved.pop("metrics") is not None:
            raise ParamError(f"{config.schedule} follows the monitored metric in training: do not set metrics")
        key = "lr" if config.schedule == PLATEAU else "learning_rate"
        resolved.pop(key)
        explicit = config.schedule_params.get(key)
        start = bases if explicit is None else np.full(len(bases), explicit)
        return None, (plateau_init(start) if config.schedule == PLATEAU else keras_plateau_init(start)), resolved
    distinct, inverse = np.unique(bases, return_inverse=True)
    columns = []
    for base in distinct:  # one evaluation per distinct base rate, not per run
        params = dict(config.schedule_params)
        if key is not None and key not in params:
            params[key] = float(base)
        columns.append(component.fn(np.arange(iterations), **component.resolve(params)))
    rates = np.asarray(columns, dtype=np.float64).T[:, inverse.ravel()]
    bad = np.flatnonzero(~(np.isfinite(rates) & (rates >= 0)).all(axis=1))
    if len(bad):
        raise ParamError(f"schedule {config.schedule} has no valid rate at iteration {bad[0]} "
                         f"(training runs {count(iterations, 'iteration')}): lengthen it or train fewer epochs")
    return rates, None, {}


def schedule_momenta(config: TrainConfig, iterations: int) -> np.ndarray | None:
    """(iterations, R) the momentum the config's schedule sets at every iteration (CyclicLR's and OneCycleLR's
    cycle_momentum: the same for every run), or None when it does not cycle momentum."""
    component = SCHEDULES[config.schedule]
    if component.meta.get("momentum") is None:
        return None
    params = dict(config.schedule_params)
    key = _schedule_key(component)
    if key is not None and key not in params:
        params[key] = float(config.lr)  # the momentum does not depend on the rate; the parameter must be there
    column = schedule_momentum(config.schedule, np.arange(iterations), component.resolve(params))
    if column is None:
        return None
    return np.repeat(np.asarray(column, np.float64)[:, None], config.runs, axis=1)


def cycled_momenta(config: TrainConfig, momenta: np.ndarray) -> np.ndarray | None:
    """The (iterations, R) momentum table a training follows: NaN entries (runs whose schedule does not cycle) are
    the run's own optimizer momentum or beta1; None when no run is cycled."""
    table = np.array(momenta, dtype=np.float64)
    settings = [component_setting(config, variant, "optimizer") for variant in config.variants
                for _ in range(config.seeds)]
    for run, (name, params) in enumerate(settings):  # once per run at init, never per step
        cycled = OPTIMIZERS[name].meta.get("cycled_momentum")
        if cycled is None:
            if not np.isnan(table[:, run]).all():
                raise ParamError(momentum_refusal(config.schedule, name))
            continue
        resolved = OPTIMIZERS[name].resolve(dict(params))
        own = resolved["momentum"] if cycled == "momentum" else resolved["betas"][0]
        table[:, run] = np.where(np.isnan(table[:, run]), own, table[:, run])
    return None if np.isnan(table).all() else table


def momentum_refusal(schedule: str, optimizer: str) -> str | None:
    """One line refusing a schedule that cycles momentum over an optimizer it cannot set, or None when it can."""
    why = uncycled_momentum(optimizer)
    return None if why is None else f"{schedule} with cycle_momentum cannot drive {optimizer}: it {why}; " \
                                    "set cycle_momentum=false"


def uncycled_momentum(optimizer: str) -> str | None:
    """Why a scheduler cannot cycle this optimizer's momentum (a clause after its name), or None when it can.

    torch's CyclicLR and OneCycleLR write param_group['momentum'] (SGD, RMSprop) or betas[0] (the Adam family)
    and raise "optimizer must support momentum or beta1 with `cycle_momentum` option enabled" for the others
    (torch/optim/lr_scheduler.py); a Keras optimizer has no param groups for them to write.
    """
    if OPTIMIZERS[optimizer].meta.get("cycled_momentum") is not None:
        return None
    if optimizer in _CYCLED_UNMODELLED:
        return "has a momentum torch would cycle, which tui-dl does not model yet"
    if OPTIMIZERS[optimizer].family == "keras":
        return "is a Keras optimizer: it has no torch param groups to set"
    return "has no momentum or betas to set (torch raises: optimizer must support momentum or beta1)"


# optimizers torch's schedulers would cycle (they have a momentum or betas) that the engine does not cycle yet
_CYCLED_UNMODELLED = ("muon", "sgd_schedule_free", "adamw_schedule_free")


def _check(config: TrainConfig) -> None:
    for name in [config.optimizer, *(v.optimizer for v in config.variants if v.optimizer is not None)]:
        if name in OPTIMIZERS:
            check_in_training(name)  # one line saying why (LBFGS), before the choice's list of names
    for spec in TRAIN_PARAMS:
        spec.validate(getattr(config, spec.name))
    if not config.variants:
        raise ParamError("no variants to train: give at least one (e.g. none)")
    for variant in config.variants:
        _VARIANT.resolve({spec.name: getattr(variant, spec.name) for spec in VARIANT_PARAMS})


def initial_params(model: MLP, config: TrainConfig, streams: Streams, dtype: Any) -> np.ndarray:
    """(R, P) initial weights: kernel l of run r from the stream (INIT, id of r, l), biases zero.

    Each run uses its variant's initializer (or the experiment's). Runs with the same stream id
    (paired variants under one seed) draw from the same stream: the same kernels under the same
    initializer, and the same underlying numbers under another (He and Glorot normal give kernels
    proportional to each other). Each distinct kernel is drawn once and copied.
    """
    settings = [component_setting(config, variant, "init") for variant in config.variants]
    drawn: dict[tuple[Any, ...], np.ndarray] = {}

    def draw(run: int, layer: int, shape: tuple[int, int]) -> np.ndarray:
        name, params = settings[run // config.seeds]
        key = (int(streams.ids[run]), layer, name, params)
        if key not in drawn:
            drawn[key] = INITIALIZERS[name](streams.init_generator(run, layer), shape, **dict(params))
        return drawn[key]

    return model.init_params_from(draw, len(streams.ids), dtype)


def component_setting(config: TrainConfig, variant: Variant, key: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """(name, sorted parameters) of the init, activation or optimizer a variant trains with: the experiment's,
    or the variant's own. A variant naming the experiment's own component (`optimizer=adam` in an adam
    experiment) starts from the experiment's parameters and changes what it gives; another component starts
    from its defaults. (The rate is always the variant's lr, or the experiment's.)"""
    name = getattr(variant, key)
    inherited = dict(getattr(config, f"{key}_params"))
    if name is None:
        return getattr(config, key), tuple(sorted(inherited.items()))
    if name != getattr(config, key):  # another component: its own defaults
        inherited = {}
    return name, tuple(sorted({**inherited, **dict(getattr(variant, f"{key}_params"))}.items()))


def build_model(config: TrainConfig, dataset: Dataset) -> MLP:
    """The batched MLP of every run: the experiment's layers, each run's variant's activation."""
    bound = [get_activation(name, **dict(params)) for name, params in
             (component_setting(config, variant, "activation") for variant in config.variants)]
    activations = [activation for activation in bound for _ in range(config.seeds)]
    sizes = (dataset.input_dim, *config.hidden, dataset.output_dim)
    return MLP(tuple(int(n) for n in sizes), per_run_activation(activations), dataset.task,
               batch_norm=any(variant.batch_norm for variant in config.variants),
               bn_momentum=config.batch_norm_momentum)


def build_optimizer(config: TrainConfig, shapes: Sequence[tuple[int, ...]] | None = None) -> Optimizer:
    """One optimizer for every run: each variant's own (or the experiment's).

    shapes are the network's variables (`MLP.variable_shapes`), given to the optimizers that reduce over
    a whole variable (Lamb's norms, Adafactor's factored matrices: their `per_variable` meta).

    Runs of the same optimizer share one update, their numeric hyperparameters stacked into per-run
    arrays (momentum 0.9 for some runs, 0.5 for others; betas as (R, 2)); only a different optimizer
    or a different text setting starts another group (`optimizers.grouped`), so a search over 64
    momentum values costs one update a step. Rates come from the schedule at every step; the one
    bound here is the experiment's lr.
    """
    settings = [component_setting(config, variant, "optimizer") for variant in config.variants
                for _ in range(config.seeds)]
    resolved = [OPTIMIZERS[name].resolve(dict(params)) for name, params in settings]
    keys = [(name, tuple(sorted((k, v) for k, v in values.items() if isinstance(v, str) or v is None)))
            for (name, _), values in zip(settings, resolved, strict=True)]
    distinct = list(dict.fromkeys(keys))
    optimizers, groups = [], []
    for key in distinct:  # a loop over optimizers, not runs
        runs = np.flatnonzero([k == key for k in keys])
        component = OPTIMIZERS[key[0]]
        merged = {name: _per_run_value([resolved[r][name] for r in runs]) for name in resolved[runs[0]]}
        rate_key = _rate_key(component)
        if rate_key is not None:
            merged[rate_key] = config.lr
        if component.meta.get("per_variable") and shapes is not None:
            merged["shapes"] = shapes
        optimizers.append(component.fn(**merged))
        groups.append(runs)
    return optimizers[0] if len(optimizers) == 1 else grouped(optimizers, groups)


def _per_run_value(values: Sequence[Any]) -> Any:
    """One hyperparameter of several runs: the value itself when all agree, else an (R, ...) array."""
    first = values[0]
    if all(value == first for value in values):
        return first
    return np.asarray(values)


def draw_dataset(config: TrainConfig, rng: np.random.Generator) -> Dataset:
    """config.data, or the configured data set drawn from rng (the first thing init draws)."""
    return config.data if config.data is not None else make_dataset(config.dataset, rng, **dict(config.dataset_params))


def init(config: TrainConfig, rng: np.random.Generator, streams: Streams | None = None, *,
         rates: np.ndarray | None = None, momenta: np.ndarray | None = None,
         record_batches: bool = False) -> TrainState:
    """Draw the data set (unless config.data is given) and initialize one network per run.

    Args:
        config: the experiment: R = len(variants) * seeds runs.
        rng: draws the data set, then the root of the runs' streams (`default_streams`).
        streams: the runs' streams instead (to train a run alone with the numbers it has among
            others, pass the same root and its stream id).
        rates: an (iterations, R) table of every iteration's rate per run, used instead of the
            config's schedule (each run its own schedule, as in the schedule race); it must cover
            every iteration that will be trained.
        momenta: with rates, an (iterations, R) table of the momentum (Adam: beta1) a cycling schedule sets at
            every iteration, NaN for runs whose schedule does not cycle (see `cycled_momenta`).
        record_batches: keep every mini-batch's training loss per run in `batch_loss`.
    """
    _check(config)
    runs = config.runs
    if rates is not None:
        rates = np.asarray(rates, dtype=np.float64)
        if rates.ndim != 2 or rates.shape[1] != runs or not len(rates):
            raise ParamError(f"bad rates table of shape {rates.shape}: expected (iterations, {runs})")
        if not (np.isfinite(rates) & (rates >= 0)).all():
            raise ParamError("bad rates table: every rate must be finite and >= 0")
    dataset = draw_dataset(config, rng)
    streams = default_streams(config, rng) if streams is None else streams
    if len(streams.ids) != runs:
        raise ParamError(f"{runs} runs need {runs} stream ids, got {len(streams.ids)}")
    dtype = DTYPES[config.dtype]
    model = build_model(config, dataset)
    params = initial_params(model, config, streams, dtype)
    norm = expand_to_runs(config, [variant.batch_norm for variant in config.variants]).astype(bool)
    moving = model.init_moving(runs, dtype) if norm.any() else None
    optimizer = build_optimizer(config, model.variable_shapes)
    batches = math.ceil(len(dataset.x_train) / config.batch_size)
    plateau, plateau_params = None, {}
    if rates is None:
        rates, plateau, plateau_params = schedule_rates(config, config.epochs * batches)
        momenta = schedule_momenta(config, config.epochs * batches)
    if momenta is not None:
        if np.shape(momenta) != np.shape(rates):
            raise ParamError(f"bad momenta table of shape {np.shape(momenta)}: expected the rates' {np.shape(rates)}")
        momenta = cycled_momenta(config, momenta)
    stopping = _stopping(config)
    unlogged_monitor(config.monitor, config.mode, logged_monitors(dataset.task))  # auto mode: refused, as Keras
    stopping_state = early_stopping_init(stopping, runs)
    restore = config.restore_best_weights
    regression_y = (lambda y: y.astype(dtype)) if dataset.task != CLASSIFICATION else (lambda y: y)
    return TrainState(
        config=config, dataset=dataset, model=model, streams=streams, params=params,
        optimizer=optimizer, opt_state=optimizer.init(params),
        rates=rates, momenta=momenta, plateau=plateau, plateau_params=plateau_params,
        x_train=dataset.x_train.astype(dtype), y_train=regression_y(dataset.y_train),
        x_val=dataset.x_val.astype(dtype), y_val=regression_y(dataset.y_val),
        l1=_per_variant(config, "l1"), l2=_per_variant(config, "l2"),
        dropout=_per_variant(config, "dropout"), weight_decay=_per_variant(config, "weight_decay"),
        stopping=stopping, stopping_state=stopping_state,
        best_params=params.copy() if restore else None,
        best_moving=_copy_moments(moving) if restore and moving is not None else None,
        batch_norm=norm if norm.any() else None, moving=moving,
        active=np.ones(runs, dtype=bool), diverged_epoch=np.full(runs, -1, dtype=np.int64),
        history={key: History((runs,)) for key in HISTORY_KEYS},
        batch_loss=History((runs,)) if record_batches else None,
    )


# ============================================================================ step
def finished(state: TrainState) -> bool:
    """Whether training is over: `epochs` reached, or every run stopped or diverged."""
    return state.epoch >= state.config.epochs or not state.active.any()


def epochs_done(state: TrainState) -> float:
    """The epochs trained so far, with the fraction of the current epoch's mini-batches: the progress of a
    long epoch, which a progress bar reads from another thread while `step` runs."""
    return state.iteration / max(1, math.ceil(len(state.x_train) / state.config.batch_size))


def step(state: TrainState, n: int = 1) -> TrainState:
    """Train n more epochs (fewer if training ends first); frozen runs stay as they are."""
    for _ in range(n):  # a loop over epochs; the runs stay vectorized
        if finished(state):
            break
        with np.errstate(all="ignore"):  # divergence is recorded, never printed
            _epoch(state)
        if finished(state):
            _end_of_training(state)
    return state


def _learning_rate(state: TrainState) -> Any:
    """The (R,) rates of the current iteration."""
    if state.rates is None:
        return state.plateau.lr
    return state.rates[state.iteration]


def _epoch(state: TrainState) -> None:
    """One epoch of mini-batches for every run, then evaluation, early stopping and divergence."""
    config = state.config
    n = len(state.x_train)
    runs = state.runs
    order = epoch_order(state)
    active_at_start = state.active.copy()
    loss_sum = np.zeros(runs)
    correct = np.zeros(runs)
    for start in range(0, n, config.batch_size):  # a loop over mini-batches
        index = order[:, start:start + config.batch_size]
        result = train_batch(state, index)
        loss_sum += result.loss * index.shape[1]
        correct += result.correct
    _record_epoch(state, active_at_start, loss_sum / n, correct / n)


def epoch_order(state: TrainState) -> np.ndarray:
    """(R, N) the order in which each run visits the training set this epoch: its stream's shuffle
    (paired runs under one seed share it), or the data's own order without shuffle."""
    streams, n = state.streams, len(state.x_train)
    if not state.config.shuffle:
        return np.broadcast_to(np.arange(n), (state.runs, n))
    return streams.epoch_orders(n)[streams.inverse]


def train_batch(state: TrainState, index: np.ndarray) -> LossGrad:
    """One optimizer step of every run on its mini-batch: rows index (R, B) of the training set.

    The returned loss (R,) is the batch's training loss at the weights before the update (what
    Keras logs and the LR range test records; also appended to `batch_loss` when it is kept, NaN
    for runs inactive before the batch). A run whose loss is not finite becomes inactive, and
    inactive runs keep their weights. The rate is the schedule's (the `rates` table or
    reduce_lr_on_plateau). The grads in the result are a reused buffer, overwritten by the next
    call. Call it inside `np.errstate(all="ignore")` (as `step` does) where a run may diverge.
    """
    model, batch = state.model, index.shape[1]
    if state.streams.shared or not state.config.shuffle:  # every run sees the same batch: one (B, D) input
        index = index[0]
    x_buffer, y_buffer, mask_buffer = _batch_buffers(state, batch, index.ndim == 1)
    x = np.take(state.x_train, index, axis=0, out=x_buffer)
    y = np.take(state.y_train, index, axis=0, out=y_buffer)
    masks = _dropout_masks(state, batch, mask_buffer)
    result = model.loss_and_grad(state.params, x, y, l1=state.l1, l2=state.l2, masks=masks, reuse=True,
                                 update=state.active, **state.normalization)
    if state.batch_loss is not None:
        state.batch_loss.append(np.where(state.active, result.loss, np.nan))
    state.active &= np.isfinite(result.loss)
    lr = _learning_rate(state)
    params = state.params
    if np.any(state.weight_decay):
        params = params * (1 - per_run(np.asarray(lr, np.float64) * state.weight_decay, params))
    cycled = {} if state.momenta is None else {"momentum": state.momenta[state.iteration]}
    new_params, state.opt_state = state.optimizer.update(result.grads, state.opt_state, params, lr, **cycled)
    if not state.active.all():
        new_params[~state.active] = state.params[~state.active]
    state.params = new_params
    state.iteration += 1
    return result


def _dropout_masks(state: TrainState, batch: int, out: np.ndarray | None) -> list[np.ndarray | None]:
    """This batch's dropout masks: one block of uniforms per stream id of the runs that drop."""
    dropping = state.dropout > 0
    if not dropping.any():
        return [None] * len(state.model.hidden)
    ids, row = np.unique(state.streams.ids[dropping], return_inverse=True)
    uniforms = state.streams.uniforms((batch, sum(state.model.hidden)), state.params.dtype, ids)
    return dropout_masks_from_uniforms(uniforms, row, state.dropout, state.model.hidden, out=out)


def _batch_buffers(state: TrainState, batch: int, shared: bool
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Reused (x, y, dropout mask) arrays for mini-batches of this size (the last one may be smaller);
    shared: one (B, ...) batch for every run instead of (R, B, ...)."""
    key = (batch, shared)
    if key not in state.buffers:
        runs = state.runs
        lead = (batch,) if shared else (runs, batch)
        x = np.empty((*lead, *state.x_train.shape[1:]), dtype=state.x_train.dtype)
        y = np.empty((*lead, *state.y_train.shape[1:]), dtype=state.y_train.dtype)
        masks = None
        if np.any(state.dropout > 0):
            masks = np.empty((runs, batch, sum(state.model.hidden)), dtype=state.params.dtype)
        state.buffers[key] = (x, y, masks)
    return state.buffers[key]


def _record_epoch(state: TrainState, was_active: np.ndarray, train_loss: np.ndarray,
                  train_acc: np.ndarray) -> None:
    """Evaluate, write the epoch's history row, then early stopping, divergence and plateau."""
    model, epoch = state.model, state.epoch
    weights = evaluation_weights(state)
    val_data, val_acc = model.evaluate(weights, state.x_val, state.y_val, reuse=True, **state.normalization)
    train_data = np.full(state.runs, np.nan)
    if state.config.eval_train:
        train_data, _ = model.evaluate(weights, state.x_train, state.y_train, reuse=True, **state.normalization)
    val_loss = val_data + model.penalty(weights, state.l1, state.l2)
    if model.task != CLASSIFICATION:
        train_acc = np.full_like(train_loss, np.nan)
    row = {"train_loss": train_loss, "val_loss": val_loss, "train_acc": train_acc, "val_acc": val_acc,
           "train_data_loss": train_data, "val_data_loss": val_data}
    for key, values in row.items():
        state.history[key].append(np.where(was_active, values, np.nan))

    diverged = was_active & ~(np.isfinite(train_loss) & np.isfinite(val_loss))
    state.diverged_epoch[diverged] = epoch
    state.active &= ~diverged
    current = row[MONITORED[state.config.monitor]]
    logged = state.config.monitor in logged_monitors(model.task)  # else, as Keras: no update, no stop
    state.stopping_state, improved, stop_now = early_stopping_update(
        state.stopping, state.stopping_state, epoch, current, state.active & logged)
    if state.best_params is not None and improved.any():
        state.best_params[improved] = weights[improved]
        if state.best_moving is not None:  # Keras's get_weights holds the moving statistics too
            for best, now in zip(state.best_moving, state.moving, strict=True):
                best[improved] = now[improved]
    if stop_now.any():
        _restore(state, stop_now)
        state.active &= ~stop_now
    if state.plateau is not None and state.config.schedule == KERAS_PLATEAU:
        watched = state.plateau_params["monitor"]  # the callback's own monitor; not logged: Keras warns, skips
        if watched in logged_monitors(model.task):
            stepped = keras_plateau_step(state.plateau, row[MONITORED[watched]], **state.plateau_params)
            state.plateau = stepped._replace(lr=np.where(state.active, stepped.lr, state.plateau.lr))
    elif state.plateau is not None and logged:
        stepped = plateau_step(state.plateau, current, **state.plateau_params)
        state.plateau = stepped._replace(lr=np.where(state.active, stepped.lr, state.plateau.lr))
    state.epoch += 1


def _copy_moments(moments: Moments) -> Moments:
    return Moments(*(array.copy() for array in moments))


def _restore(state: TrainState, runs: np.ndarray) -> None:
    """Set the given runs back to their best weights where Keras would (restore_best_weights)."""
    if state.best_params is None:
        return
    chosen = runs & restore_mask(state.stopping, state.stopping_state)
    state.params[chosen] = state.best_params[chosen]
    if state.optimizer.evaluation_params is not None and chosen.any():  # best_params hold evaluation weights
        state.evaluated_as_is = chosen if state.evaluated_as_is is None else state.evaluated_as_is | chosen
    if state.best_moving is not None:
        for now, best in zip(state.moving, state.best_moving, strict=True):
            now[chosen] = best[chosen]


def _end_of_training(state: TrainState) -> None:
    """Keras's on_train_end: runs that did not stop early (stopped ones did) restore their best weights too."""
    _restore(state, state.stopping_state.stopped_epoch < 0)


# ============================================================================ snapshot
def evaluation_weights(state: TrainState) -> np.ndarray:
    """(R, P) the weights each run is evaluated at: its parameters, except under an optimizer that takes its
    gradients at one point and is evaluated at another (schedule-free: y and its average x, which the
    reference's `optimizer.eval()` puts in the model before evaluating). Training losses are at the parameters.
    With restore_best_weights such a run keeps the evaluation weights of its best epoch."""
    evaluate = state.optimizer.evaluation_params
    if evaluate is None:
        return state.params
    weights = evaluate(state.opt_state, state.params)
    if state.evaluated_as_is is not None:
        weights = np.where(state.evaluated_as_is[:, None], state.params, weights)
    return weights


def evaluate(state: TrainState) -> dict[str, np.ndarray]:
    """The current weights' val_loss (with penalty, as Keras), val_acc and val_data_loss, each (R,)."""
    weights = evaluation_weights(state)
    with np.errstate(all="ignore"):
        data, accuracy = state.model.evaluate(weights, state.x_val, state.y_val, **state.normalization)
        penalty = state.model.penalty(weights, state.l1, state.l2)
    return {"val_loss": data + penalty, "val_acc": accuracy, "val_data_loss": data}


def _grid(state: TrainState) -> np.ndarray | None:
    """Predictions of each variant's first seed on the G x G grid over the data box, cached per epoch."""
    if state.grid_cache is not None and state.grid_cache[0] == state.epoch:
        return state.grid_cache[1]
    box, size = state.dataset.box, state.config.grid
    grid = None
    if box is not None and state.dataset.input_dim == 2:
        xs, ys = np.linspace(box[0], box[1], size), np.linspace(box[2], box[3], size)
        points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(state.params.dtype)
        model, params, normalization = _first_seeds(state)
        with np.errstate(all="ignore"):
            grid = model.predict(params, points, reuse="grid", **normalization)
            grid = grid.reshape(len(params), size, size, -1)
        grid.flags.writeable = False
    state.grid_cache = (state.epoch, grid)
    return grid


def _first_seeds(state: TrainState) -> tuple[MLP, np.ndarray, dict[str, Any]]:
    """(model, params, normalization) of each variant's first seed: the runs whose regions are drawn."""
    seeds = state.config.seeds
    weights = evaluation_weights(state)
    if seeds == 1:
        return state.model, weights, state.normalization
    if state.first_seeds_model is None:  # the same layers and activations over one run per variant
        state.first_seeds_model = build_model(replace(state.config, seeds=1), state.dataset)
    rows = slice(None, None, seeds)
    flags = None if state.batch_norm is None else state.batch_norm[rows]
    moving = None if state.moving is None else Moments(*(array[rows] for array in state.moving))
    return state.first_seeds_model, weights[rows], {"batch_norm": flags, "moving": moving}


def _frozen(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def snapshot(state: TrainState, regions: bool = True) -> TrainSnapshot:
    """A read-only picture of the experiment now; regions False leaves out the decision grid (None)."""
    history = {key: state.history[key].view().T for key in HISTORY_KEYS}
    stopped = state.stopping_state.stopped_epoch.copy()
    lr = np.broadcast_to(np.asarray(_current_rate(state), dtype=np.float64), (state.runs,)).copy()
    grid = _grid(state) if regions else None
    data = state.dataset
    return TrainSnapshot(
        labels=tuple(v.label for v in state.config.variants for _ in range(state.config.seeds)),
        seeds=state.config.seeds,
        task=data.task,
        epoch=state.epoch,
        **history,
        best_epoch=state.stopping_state.best_epoch.copy(),
        stopped_epoch=stopped,
        diverged_epoch=state.diverged_epoch.copy(),
        finished=(stopped >= 0) | (state.diverged_epoch >= 0),
        restored=restore_mask(state.stopping, state.stopping_state) & ((stopped >= 0) | finished(state)),
        lr=lr,
        grid=grid,
        grid_box=data.box if grid is not None else None,
        x_train=_frozen(data.x_train), y_train=_frozen(data.y_train),
        x_val=_frozen(data.x_val), y_val=_frozen(data.y_val),
    )


def _current_rate(state: TrainState) -> Any:
    if state.rates is None:
        return state.plateau.lr
    return state.rates[max(state.iteration - 1, 0)]


def run_length(snap: TrainSnapshot, run: int) -> int:
    """Number of epochs run r trained: up to and including its stop or divergence epoch."""
    ends = [e for e in (snap.stopped_epoch[run], snap.diverged_epoch[run]) if e >= 0]
    return min(ends) + 1 if ends else snap.epoch


def spread(values: np.ndarray, seeds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, low, high), each (V, E): each variant's median over its seeds and their min-max band.

    values: (R, E) per-run values with run r = variant r // seeds under seed r % seeds. NaN entries
    (a seed that stopped or diverged earlier) are left out; where every seed is NaN the result is
    NaN. The band is the whole range of the seeds, not a percentile: with a handful of seeds a
    percentile would be an interpolation between two of them.
    """
    values = np.asarray(values, dtype=np.float64)
    runs, epochs = values.shape
    if seeds < 1 or runs % seeds:
        raise ParamError(f"bad seeds {seeds}: {runs} runs are not whole groups of seeds")
    grouped = np.sort(values.reshape(runs // seeds, seeds, epochs), axis=1)  # NaN sorts last
    count = np.isfinite(grouped).sum(axis=1, keepdims=True)
    empty = count[:, 0] == 0
    last = np.maximum(count - 1, 0)
    lower = np.take_along_axis(grouped, last // 2, axis=1)[:, 0]
    upper = np.take_along_axis(grouped, (last + 1) // 2, axis=1)[:, 0]
    median = np.where(empty, np.nan, (lower + upper) / 2)
    low = np.where(empty, np.nan, grouped[:, 0])
    high = np.where(empty, np.nan, np.take_along_axis(grouped, last, axis=1)[:, 0])
    return median, low, high

