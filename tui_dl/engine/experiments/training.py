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

Randomness: the data set is drawn from the Generator passed to `init`; each run then gets its own
child Generator (`rng.spawn`), from which it draws its initial kernels, its shuffle of every
epoch and its dropout masks. Run r therefore computes the same numbers whether it trains alone or
next to any other runs (given the same child Generator).

Optimization: every run takes an optimizer step per mini-batch (`OPTIMIZERS`, PyTorch or Keras
semantics, one update for all runs). The learning rate comes from a schedule (`SCHEDULES`)
evaluated at the optimizer iteration (0-based, as Keras's `iterations`; a PyTorch scheduler
stepped once per batch gives the same). `lr` is the schedule's base rate: it sets the schedule's
`learning_rate`, `initial_learning_rate` or `lr` parameter, or `max_lr` for cyclic_lr and
one_cycle_lr, unless that parameter is set explicitly in `schedule_params`; piecewise_constant_decay's
`values` are absolute. A variant may set its own base rate (`lr=0.1`), which replaces `lr` for
that run. `reduce_lr_on_plateau` is driven by each run's monitored metric (early
stopping's `monitor`) once per epoch, so every run gets its own rate. A variant's
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

from tui_dl.engine.activations import ACTIVATIONS
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
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.engine.mlp import CLASSIFICATION, MLP, LossGrad, dropout_masks, make_mlp
from tui_dl.engine.optimizers import OPTIMIZERS, Optimizer, per_run
from tui_dl.engine.schedules import SCHEDULES, PlateauState, plateau_init, plateau_step
from tui_dl.params import Component, ParamError, ParamSpec, count

PLATEAU = "reduce_lr_on_plateau"
# the schedule parameter `lr` sets, in this order of preference (cyclic_lr has base_lr and max_lr)
BASE_RATE_KEYS = ("lr", "learning_rate", "initial_learning_rate", "max_lr")
# early stopping's monitor -> the history it reads
MONITORED = {"val_loss": "val_loss", "val_accuracy": "val_acc", "loss": "train_loss", "accuracy": "train_acc"}


def logged_monitors(task: str) -> tuple[str, ...]:
    """The monitors a training of task logs: a regression has no accuracy."""
    return tuple(MONITORED) if task == CLASSIFICATION else ("val_loss", "loss")
DTYPES = {"float32": np.float32, "float64": np.float64}


# ============================================================================ variants
VARIANT_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("l1", "float", 0.0, low=0.0, scale="log", help="L1 penalty lambda * sum |w| on the kernels"),
    ParamSpec("l2", "float", 0.0, low=0.0, scale="log",
              help="L2 penalty lambda * sum w^2 on the kernels (Keras's l2: the squared norm, no 1/2)"),
    ParamSpec("dropout", "float", 0.0, low=0.0, high=1.0, high_open=True, step=0.05,
              help="inverted dropout rate after each hidden layer (Keras: keep 1 - rate, scale 1 / (1 - rate))"),
    ParamSpec("weight_decay", "float", 0.0, low=0.0, scale="log",
              help="decoupled decay: theta *= 1 - lr * weight_decay before each update (torch AdamW)"),
    ParamSpec("patience", "int", None, low=0, optional=True,
              help="early stopping for this variant with this patience (none: the experiment's setting)"),
    ParamSpec("lr", "float", None, low=0.0, low_open=True, optional=True, scale="log",
              help="this variant's base learning rate (none: the experiment's lr)"),
)
_VARIANT = Component("variant", "variant", dict, VARIANT_PARAMS)
_LABELS = {"l1": "L1", "l2": "L2", "dropout": "dropout", "weight_decay": "weight decay"}


@dataclass(frozen=True)
class Variant:
    """One run of the training experiment: a regularization setting and its legend label."""

    label: str
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    weight_decay: float = 0.0
    patience: int | None = None
    lr: float | None = None


def compact_number(value: float) -> str:
    """A short legend form: 0.2, 10, 1e-3, 2.5e-4."""
    if value == 0 or 1e-2 <= abs(value) < 1e4:
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = float(f"{value / 10**exponent:.3g}")
    if abs(mantissa) >= 10:  # 9.999e-4 rounds up to 10e-4
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:g}e{exponent}"


def variant_label(l1: float = 0.0, l2: float = 0.0, dropout: float = 0.0, weight_decay: float = 0.0,
                  patience: int | None = None, lr: float | None = None) -> str:
    """The legend label of a setting: "L2 1e-3 + dropout 0.2", "early stop (p=10)", "lr 1e-2", "none"."""
    values = {"l1": l1, "l2": l2, "dropout": dropout, "weight_decay": weight_decay}
    parts = [f"{_LABELS[key]} {compact_number(value)}" for key, value in values.items() if value]
    if patience is not None:
        parts.append(f"early stop (p={patience})")
    if lr is not None:
        parts.append(f"lr {compact_number(lr)}")
    return " + ".join(parts) or "none"


def make_variant(**values: Any) -> Variant:
    """A Variant from checked values (l1, l2, dropout, weight_decay, patience, lr) with its label."""
    resolved = _VARIANT.resolve(values)
    return Variant(variant_label(**resolved), **resolved)


def parse_variant(spec: str) -> Variant:
    """A Variant from its command-line spec: "none", "l2=1e-3", "l2=1e-3+dropout=0.2", "patience=10", "lr=0.1"."""
    text = spec.strip()
    if text.lower() == "none":
        return make_variant()
    keys = ", ".join(s.name for s in VARIANT_PARAMS)
    values: dict[str, Any] = {}
    for part in text.split("+"):
        key, sep, value = (piece.strip() for piece in part.partition("="))
        if not sep or not key:
            raise ParamError(f"bad variant {spec!r}: expected none or KEY=VALUE joined with +, keys: {keys}")
        if key not in {s.name for s in VARIANT_PARAMS}:
            raise ParamError(f"bad variant {spec!r}: unknown key {key!r}; choose from: {keys}")
        if key in values:
            raise ParamError(f"bad variant {spec!r}: {key} is given twice")
        try:
            values[key] = _VARIANT.spec(key).parse(value)
        except ParamError as error:
            raise ParamError(f"bad variant {spec!r}: {error}") from None
    return make_variant(**values)


# the default comparison: no regularization next to L2, dropout and early stopping
DEFAULT_VARIANT_SPECS = ("none", "l2=1e-3", "dropout=0.3", "patience=20")
DEFAULT_VARIANTS = tuple(parse_variant(spec) for spec in DEFAULT_VARIANT_SPECS)


# ============================================================================ config
def _choice(name: str, default: str, choices: Sequence[str], text: str) -> ParamSpec:
    return ParamSpec(name, "choice", default, choices=tuple(choices), help=text)


TRAIN_PARAMS: tuple[ParamSpec, ...] = (
    _choice("dataset", "spiral", DATASETS.names(), "the data set (its own knobs: train_samples, val_samples, noise)"),
    ParamSpec("hidden", "ints", (100, 100), low=1, high=4096, help="hidden layer widths, e.g. 100,100"),
    _choice("activation", "relu", ACTIVATIONS.names(), "activation of the hidden layers"),
    _choice("init", "he_normal", INITIALIZERS.names(), "kernel initializer (biases start at zero)"),
    _choice("optimizer", "adam", OPTIMIZERS.names(), "optimizer (PyTorch names; keras_* for Keras's)"),
    ParamSpec("lr", "float", 3e-3, low=0.0, low_open=True, scale="log",
              help="learning rate: the schedule's base rate (see the schedule)"),
    ParamSpec("batch_size", "int", 32, low=1, high=1_000_000, scale="log", help="mini-batch size"),
    ParamSpec("epochs", "int", 200, low=1, high=1_000_000, scale="log", help="epochs to train (model.fit's epochs)"),
    _choice("dtype", "float32", tuple(DTYPES), "float32 is fast; float64 for exact comparisons"),
    _choice("schedule", "constant", SCHEDULES.names(), "learning-rate schedule, per optimizer iteration"),
    *EARLY_STOPPING_PARAMS,
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
    optimizer: str = "adam"
    optimizer_params: Mapping[str, Any] = field(default_factory=dict)
    lr: float = 3e-3
    schedule: str = "constant"
    schedule_params: Mapping[str, Any] = field(default_factory=dict)
    batch_size: int = 32
    epochs: int = 200
    dtype: str = "float32"
    variants: tuple[Variant, ...] = DEFAULT_VARIANTS
    monitor: str = "val_loss"
    min_delta: float = 0.0
    patience: int | None = None
    mode: str = "auto"
    baseline: float | None = None
    restore_best_weights: bool = False
    start_from_epoch: int = 0
    grid: int = 40
    eval_train: bool = True


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
    rngs: list[np.random.Generator]
    params: np.ndarray
    optimizer: Optimizer
    opt_state: Any
    rates: np.ndarray | None  # (iterations, R) lr of every iteration and run; None with reduce_lr_on_plateau
    plateau: PlateauState | None
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
    active: np.ndarray
    diverged_epoch: np.ndarray
    history: dict[str, History]
    epoch: int = 0
    iteration: int = 0
    grid_cache: tuple[int, np.ndarray | None] | None = None
    batch_loss: History | None = None  # (iterations, R) each mini-batch's loss, when init kept it
    buffers: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainSnapshot:
    """What the overfitting pane draws; arrays are read-only and never change afterwards.

    Attributes:
        labels: one legend label per run.
        task: "classification" or "regression".
        epoch: epochs completed.
        train_loss, val_loss, train_acc, val_acc: (R, epoch) Keras History values (see the module
            docstring); accuracies are NaN for regression; NaN after a run stopped or diverged.
        train_data_loss, val_data_loss: (R, epoch) data loss alone in evaluation mode (train_data_loss
            NaN when config.eval_train is off).
        best_epoch, stopped_epoch, diverged_epoch: (R,) 0-based epochs, -1 = none.
        finished: (R,) stopped or diverged.
        lr: (R,) the learning rate of the last iteration.
        grid: (R, G, G, C) class probabilities (regression: (R, G, G, K) predictions) on a G x G grid
            over grid_box, row i at y_i and column j at x_j; None unless the input is 2-D.
        grid_box: (xmin, xmax, ymin, ymax) of the grid, None without a grid.
        x_train, y_train, x_val, y_val: the data, for drawing points.
    """

    labels: tuple[str, ...]
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
    lr: np.ndarray
    grid: np.ndarray | None
    grid_box: tuple[float, float, float, float] | None
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc", "train_data_loss", "val_data_loss")


# ============================================================================ init
def _per_variant(variants: Sequence[Variant], key: str) -> np.ndarray:
    return np.array([getattr(v, key) for v in variants], dtype=np.float64)


def _stopping(config: TrainConfig) -> EarlyStopping:
    """Keras's EarlyStopping per run: a variant's own patience wins over the experiment's."""
    patience = [config.patience if v.patience is None else v.patience for v in config.variants]
    return EarlyStopping(
        monitor=config.monitor, min_delta=config.min_delta,
        patience=np.array([np.nan if p is None else p for p in patience], dtype=np.float64),
        mode=config.mode, baseline=config.baseline, restore_best_weights=config.restore_best_weights,
        start_from_epoch=config.start_from_epoch,
    )


def schedule_rates(config: TrainConfig, iterations: int
                   ) -> tuple[np.ndarray | None, PlateauState | None, dict[str, Any]]:
    """(lr of every iteration and run (iterations, R), plateau state, plateau parameters).

    Each run's base rate is its variant's lr, or the experiment's; the schedule is evaluated
    once per distinct base rate. reduce_lr_on_plateau has no precomputed rates (None) but a state.
    """
    component = SCHEDULES[config.schedule]
    key = _schedule_key(component)
    bases = np.array([config.lr if v.lr is None else v.lr for v in config.variants])
    if config.schedule == PLATEAU:
        resolved = component.resolve(config.schedule_params)
        if resolved.pop("metrics") is not None:
            raise ParamError("reduce_lr_on_plateau follows the monitored metric in training: do not set metrics")
        resolved.pop("lr")
        explicit = config.schedule_params.get("lr")
        return None, plateau_init(bases if explicit is None else np.full(len(bases), explicit)), resolved
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


def _check(config: TrainConfig) -> None:
    for spec in TRAIN_PARAMS:
        spec.validate(getattr(config, spec.name))
    if not config.variants:
        raise ParamError("no variants to train: give at least one (e.g. none)")
    for variant in config.variants:
        _VARIANT.resolve({spec.name: getattr(variant, spec.name) for spec in VARIANT_PARAMS})


def draw_dataset(config: TrainConfig, rng: np.random.Generator) -> Dataset:
    """config.data, or the configured data set drawn from rng (the first thing init draws)."""
    return config.data if config.data is not None else make_dataset(config.dataset, rng, **dict(config.dataset_params))


def init(config: TrainConfig, rng: np.random.Generator,
         run_rngs: Sequence[np.random.Generator] | None = None, *, rates: np.ndarray | None = None,
         record_batches: bool = False) -> TrainState:
    """Draw the data set (unless config.data is given) and initialize one network per variant.

    Args:
        config: the experiment.
        rng: draws the data set; the runs' Generators are spawned from it.
        run_rngs: one Generator per run instead of `rng.spawn(R)` (to train run r alone with the
            stream it has among others, pass the r-th spawned child).
        rates: an (iterations, R) table of every iteration's rate per run, used instead of the
            config's schedule (each run its own schedule, as in the schedule race); it must cover
            every iteration that will be trained.
        record_batches: keep every mini-batch's training loss per run in `batch_loss`.
    """
    _check(config)
    runs = len(config.variants)
    if rates is not None:
        rates = np.asarray(rates, dtype=np.float64)
        if rates.ndim != 2 or rates.shape[1] != runs or not len(rates):
            raise ParamError(f"bad rates table of shape {rates.shape}: expected (iterations, {runs})")
        if not (np.isfinite(rates) & (rates >= 0)).all():
            raise ParamError("bad rates table: every rate must be finite and >= 0")
    dataset = draw_dataset(config, rng)
    rngs = list(run_rngs) if run_rngs is not None else rng.spawn(runs)
    if len(rngs) != runs:
        raise ParamError(f"{runs} variants need {runs} run generators, got {len(rngs)}")
    dtype = DTYPES[config.dtype]
    model = make_mlp(dataset.input_dim, config.hidden, dataset.output_dim, config.activation,
                     config.activation_params, dataset.task)
    params = model.init_params(rngs, config.init, config.init_params, dtype)
    optimizer_component = OPTIMIZERS[config.optimizer]
    optimizer_params = optimizer_component.resolve(config.optimizer_params)
    rate_key = _rate_key(optimizer_component)
    if rate_key is not None:
        optimizer_params[rate_key] = config.lr
    optimizer = optimizer_component.fn(**optimizer_params)
    batches = math.ceil(len(dataset.x_train) / config.batch_size)
    plateau, plateau_params = None, {}
    if rates is None:
        rates, plateau, plateau_params = schedule_rates(config, config.epochs * batches)
    stopping = _stopping(config)
    unlogged_monitor(config.monitor, config.mode, logged_monitors(dataset.task))  # auto mode: refused, as Keras
    stopping_state = early_stopping_init(stopping, runs)
    restore = config.restore_best_weights
    regression_y = (lambda y: y.astype(dtype)) if dataset.task != CLASSIFICATION else (lambda y: y)
    return TrainState(
        config=config, dataset=dataset, model=model, rngs=rngs, params=params,
        optimizer=optimizer, opt_state=optimizer.init(params),
        rates=rates, plateau=plateau, plateau_params=plateau_params,
        x_train=dataset.x_train.astype(dtype), y_train=regression_y(dataset.y_train),
        x_val=dataset.x_val.astype(dtype), y_val=regression_y(dataset.y_val),
        l1=_per_variant(config.variants, "l1"), l2=_per_variant(config.variants, "l2"),
        dropout=_per_variant(config.variants, "dropout"),
        weight_decay=_per_variant(config.variants, "weight_decay"),
        stopping=stopping, stopping_state=stopping_state,
        best_params=params.copy() if restore else None,
        active=np.ones(runs, dtype=bool), diverged_epoch=np.full(runs, -1, dtype=np.int64),
        history={key: History((runs,)) for key in HISTORY_KEYS},
        batch_loss=History((runs,)) if record_batches else None,
    )


# ============================================================================ step
def finished(state: TrainState) -> bool:
    """Whether training is over: `epochs` reached, or every run stopped or diverged."""
    return state.epoch >= state.config.epochs or not state.active.any()


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
    runs = len(state.rngs)
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
    """(R, N) the order in which each run visits the training set this epoch: its own shuffle."""
    return np.stack([rng.permutation(len(state.x_train)) for rng in state.rngs])


def train_batch(state: TrainState, index: np.ndarray) -> LossGrad:
    """One optimizer step of every run on its own mini-batch: rows index (R, B) of the training set.

    The returned loss (R,) is the batch's training loss at the weights before the update (what
    Keras logs and the LR range test records; also appended to `batch_loss` when it is kept, NaN
    for runs inactive before the batch). A run whose loss is not finite becomes inactive, and
    inactive runs keep their weights. The rate is the schedule's (the `rates` table or
    reduce_lr_on_plateau). The grads in the result are a reused buffer, overwritten by the next
    call. Call it inside `np.errstate(all="ignore")` (as `step` does) where a run may diverge.
    """
    model, batch = state.model, index.shape[1]
    x_buffer, y_buffer, mask_buffer = _batch_buffers(state, batch)
    x = np.take(state.x_train, index, axis=0, out=x_buffer)
    y = np.take(state.y_train, index, axis=0, out=y_buffer)
    masks = dropout_masks(state.rngs, state.dropout, batch, model.hidden, state.params.dtype, out=mask_buffer)
    result = model.loss_and_grad(state.params, x, y, l1=state.l1, l2=state.l2, masks=masks, reuse=True)
    if state.batch_loss is not None:
        state.batch_loss.append(np.where(state.active, result.loss, np.nan))
    state.active &= np.isfinite(result.loss)
    lr = _learning_rate(state)
    params = state.params
    if np.any(state.weight_decay):
        params = params * (1 - per_run(np.asarray(lr, np.float64) * state.weight_decay, params))
    new_params, state.opt_state = state.optimizer.update(result.grads, state.opt_state, params, lr)
    if not state.active.all():
        new_params[~state.active] = state.params[~state.active]
    state.params = new_params
    state.iteration += 1
    return result


def _batch_buffers(state: TrainState, batch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Reused (x, y, dropout mask) arrays for mini-batches of this size (the last one may be smaller)."""
    if batch not in state.buffers:
        runs = len(state.rngs)
        x = np.empty((runs, batch, *state.x_train.shape[1:]), dtype=state.x_train.dtype)
        y = np.empty((runs, batch, *state.y_train.shape[1:]), dtype=state.y_train.dtype)
        masks = None
        if np.any(state.dropout > 0):
            masks = np.empty((runs, batch, sum(state.model.hidden)), dtype=state.params.dtype)
        state.buffers[batch] = (x, y, masks)
    return state.buffers[batch]


def _record_epoch(state: TrainState, was_active: np.ndarray, train_loss: np.ndarray,
                  train_acc: np.ndarray) -> None:
    """Evaluate, write the epoch's history row, then early stopping, divergence and plateau."""
    model, epoch = state.model, state.epoch
    val_data, val_acc = model.evaluate(state.params, state.x_val, state.y_val, reuse=True)
    train_data = np.full(len(state.rngs), np.nan)
    if state.config.eval_train:
        train_data, _ = model.evaluate(state.params, state.x_train, state.y_train, reuse=True)
    val_loss = val_data + model.penalty(state.params, state.l1, state.l2)
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
        state.best_params[improved] = state.params[improved]
    if stop_now.any():
        _restore(state, stop_now)
        state.active &= ~stop_now
    if state.plateau is not None and logged:
        stepped = plateau_step(state.plateau, current, **state.plateau_params)
        state.plateau = stepped._replace(lr=np.where(state.active, stepped.lr, state.plateau.lr))
    state.epoch += 1


def _restore(state: TrainState, runs: np.ndarray) -> None:
    """Set the given runs back to their best weights where Keras would (restore_best_weights)."""
    if state.best_params is None:
        return
    chosen = runs & restore_mask(state.stopping, state.stopping_state)
    state.params[chosen] = state.best_params[chosen]


def _end_of_training(state: TrainState) -> None:
    """Keras's on_train_end: runs that did not stop early (stopped ones did) restore their best weights too."""
    _restore(state, state.stopping_state.stopped_epoch < 0)


# ============================================================================ snapshot
def evaluate(state: TrainState) -> dict[str, np.ndarray]:
    """The current weights' val_loss (with penalty, as Keras), val_acc and val_data_loss, each (R,)."""
    with np.errstate(all="ignore"):
        data, accuracy = state.model.evaluate(state.params, state.x_val, state.y_val)
        penalty = state.model.penalty(state.params, state.l1, state.l2)
    return {"val_loss": data + penalty, "val_acc": accuracy, "val_data_loss": data}


def _grid(state: TrainState) -> np.ndarray | None:
    """Predictions on the G x G grid over the data box, cached per epoch."""
    if state.grid_cache is not None and state.grid_cache[0] == state.epoch:
        return state.grid_cache[1]
    box, size = state.dataset.box, state.config.grid
    grid = None
    if box is not None and state.dataset.input_dim == 2:
        xs, ys = np.linspace(box[0], box[1], size), np.linspace(box[2], box[3], size)
        points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(state.params.dtype)
        with np.errstate(all="ignore"):
            grid = state.model.predict(state.params, points, reuse="grid").reshape(len(state.rngs), size, size, -1)
        grid.flags.writeable = False
    state.grid_cache = (state.epoch, grid)
    return grid


def _frozen(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def snapshot(state: TrainState) -> TrainSnapshot:
    """A read-only picture of the experiment now."""
    history = {key: state.history[key].view().T for key in HISTORY_KEYS}
    stopped = state.stopping_state.stopped_epoch.copy()
    lr = np.broadcast_to(np.asarray(_current_rate(state), dtype=np.float64), (len(state.rngs),)).copy()
    grid = _grid(state)
    data = state.dataset
    return TrainSnapshot(
        labels=tuple(v.label for v in state.config.variants),
        task=data.task,
        epoch=state.epoch,
        **history,
        best_epoch=state.stopping_state.best_epoch.copy(),
        stopped_epoch=stopped,
        diverged_epoch=state.diverged_epoch.copy(),
        finished=(stopped >= 0) | (state.diverged_epoch >= 0),
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
