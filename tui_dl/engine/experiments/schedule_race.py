"""Schedule race: the same network trained under several learning-rate schedules at once.

Each racer is one run on the runs axis with its own weights and its own schedule; everything
else (data, network, batch size, dtype, epochs, and by default the optimizer) is shared. A racer
may also bring its own optimizer, so Adagrad, RMSprop and Adam under a constant rate race too:
runs are grouped by optimizer (optimizer_groups.py), one vectorized update per group.

Schedules are pure functions of the optimizer iteration (schedules.py), so each racer's rates
are computed once, at init, into an (iterations, R) table that training.py reads each
iteration (as it does its own schedule: the base rate `lr` sets the schedule's `learning_rate`,
`initial_learning_rate`, `lr` or `max_lr`); so is the momentum, or Adam's beta1, that cyclic_lr
and one_cycle_lr cycle by default, as torch's schedulers set it in the optimizer's param groups
before each step (`momenta`, NaN for the racers that do not cycle it). A schedule whose length is a parameter
(`HORIZON_KEYS`: cosine_decay's decay_steps, one_cycle_lr's total_steps ...) runs over the whole
race unless that parameter is given (one_cycle_lr's `epochs` and `steps_per_epoch`, torch's other
form, leave total_steps unset: `one_cycle_lr:epochs=10,steps_per_epoch=50`). reduce_lr_on_plateau
(torch's or Keras's) reacts to a metric, not to the step, so it cannot race here (the training
experiment runs it).

Per epoch the race records the training experiment's history (train/val loss and accuracy) and,
per run, the 10th, 50th and 90th percentiles over all parameters of the optimizer's effective
step size (`Optimizer.step_size`: lr / (sqrt(v_hat) + eps) for Adam, lr / (sqrt(sum g^2) + eps)
for Adagrad, lr for SGD) at the end of the epoch: the decay that Adagrad, RMSprop and Adam build
in on top of any schedule. Each mini-batch's loss is kept too, for per-iteration curves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tui_dl.engine.experiments import training, variants
from tui_dl.engine.experiments.history import History
from tui_dl.engine.experiments.optimizer_groups import (
    CONSTANT_STEP,
    Groups,
    Member,
    gather,
    history,
    init_groups,
    step_size_quantiles,
)
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.schedules import SCHEDULES
from tui_dl.engine.streams import Streams
from tui_dl.params import ParamError, parse_named_assignments

QUANTILES = (0.1, 0.5, 0.9)
# schedule -> its length parameter, set to the race's iterations unless a racer gives it
HORIZON_KEYS = {
    "cosine_decay": "decay_steps",
    "polynomial_decay": "decay_steps",
    "one_cycle_lr": "total_steps",
    "cosine_annealing_lr": "T_max",
    "polynomial_lr": "total_iters",
}
# one_cycle_lr's length as torch also takes it: a racer giving either leaves total_steps unset (none)
ONE_CYCLE_EPOCH_FORM = ("epochs", "steps_per_epoch")
# the training keys a racer may set for itself (the rest are shared: give them to the experiment)
RACER_KEYS = ("lr", "optimizer")


@dataclass(frozen=True)
class Racer:
    """One run of the race.

    Attributes:
        label: the legend label.
        schedule: a SCHEDULES name; schedule_params: its parameters (the base rate comes from lr).
        lr: this run's base rate (None: the experiment's lr).
        optimizer: this run's optimizer (None: the experiment's).
        optimizer_params: its parameters (None: the experiment's for the experiment's optimizer, else defaults).
    """

    label: str
    schedule: str = "constant"
    schedule_params: Mapping[str, Any] = field(default_factory=dict)
    lr: float | None = None
    optimizer: str | None = None
    optimizer_params: Mapping[str, Any] | None = None


DEFAULT_RACERS = tuple(Racer(name, name) for name in ("constant", "step_lr", "cosine_decay", "one_cycle_lr"))


def parse_racer(text: str, train: training.TrainConfig | None = None) -> Racer:
    """A Racer from `SCHEDULE[:KEY=VALUE,...]`, labelled by the text itself.

    Keys: `lr` (this run's base rate), `optimizer` (this run's optimizer), the schedule's
    parameters and the optimizer's (routed as training's --set: `schedule.KEY`, `optimizer.KEY`
    where names clash), e.g. `cosine_decay:alpha=0.1`, `constant:optimizer=adagrad,lr=0.05`.
    train is the experiment the racer joins (its optimizer is the default).
    """
    train = train or training.TrainConfig()
    name, values = parse_named_assignments(text, "racer")
    train_keys = {s.name for s in training.TRAIN_PARAMS}
    if name in SCHEDULES:  # a schedule parameter named like a shared one (one_cycle_lr's epochs) is the schedule's
        own = {s.name for s in SCHEDULES[name].params}
        values = {f"schedule.{k}" if k in train_keys and k in own and k not in RACER_KEYS else k: v
                  for k, v in values.items()}
    shared = sorted(k for k in values if k in train_keys and k not in RACER_KEYS)
    if shared:
        raise ParamError(f"bad racer {text!r}: {shared[0]} is shared by every racer (set it for the experiment); "
                         f"a racer sets {', '.join(RACER_KEYS)} and its schedule's and optimizer's parameters")
    optimizer = values.pop("optimizer", None)
    chosen = train.optimizer if optimizer is None else OPTIMIZERS[optimizer.strip()].name
    base = replace(train, schedule=name, schedule_params={}, optimizer=chosen,
                   optimizer_params=train.optimizer_params if chosen == train.optimizer else {})
    try:
        config = training.config_from_assignments(values, base)
    except ParamError as error:
        raise ParamError(f"bad racer {text!r}: {error}") from None
    if config.dataset_params != base.dataset_params:
        raise ParamError(f"bad racer {text!r}: the data set is shared by every racer (set it for the experiment)")
    changed = optimizer is not None or config.optimizer_params != base.optimizer_params
    return Racer(text.strip(), name, config.schedule_params, config.lr if "lr" in values else None,
                 config.optimizer if changed else None, config.optimizer_params if changed else None)


# ============================================================================ config
@dataclass(frozen=True)
class ScheduleRaceConfig:
    """The race: the shared training setting (its schedule and variants are not used) and the racers."""

    train: training.TrainConfig = field(default_factory=lambda: training.TrainConfig(epochs=100))
    racers: tuple[Racer, ...] = DEFAULT_RACERS


def racer_config(train: training.TrainConfig, racer: Racer, iterations: int) -> training.TrainConfig:
    """The one-run training config of a racer over a race of `iterations` iterations."""
    params = dict(racer.schedule_params)
    horizon = HORIZON_KEYS.get(racer.schedule)
    if horizon is not None and horizon not in params:
        if any(params.get(key) is not None for key in ONE_CYCLE_EPOCH_FORM):
            params[horizon] = None  # one_cycle_lr's other form: epochs * steps_per_epoch (torch: total_steps=None)
        else:
            params[horizon] = iterations
    optimizer = racer.optimizer or train.optimizer
    optimizer_params = racer.optimizer_params
    if optimizer_params is None:  # the experiment's parameters belong to the experiment's optimizer
        optimizer_params = train.optimizer_params if optimizer == train.optimizer else {}
    return replace(train, schedule=racer.schedule, schedule_params=params,
                   lr=train.lr if racer.lr is None else racer.lr, optimizer=optimizer,
                   optimizer_params=optimizer_params, variants=(variants.Variant(racer.label),))


def _rates(configs: Sequence[training.TrainConfig], iterations: int) -> np.ndarray:
    """(iterations, R) each racer's rate at every iteration (its schedule evaluated once, here)."""
    columns = []
    for config in configs:  # once per racer at init, never per step
        if config.schedule in training.PLATEAUS:
            raise ParamError(f"{config.schedule} follows a metric, not the step, so it cannot race here: "
                             f"train it with the training experiment (schedule={config.schedule})")
        table, _, _ = training.schedule_rates(config, iterations)
        columns.append(table[:, 0])
    return np.stack(columns, axis=1)


def _momenta(configs: Sequence[training.TrainConfig], iterations: int) -> np.ndarray | None:
    """(iterations, R) the momentum (Adam: beta1) each racer's schedule sets at every iteration, NaN for racers whose
    schedule does not cycle it; None when none does. A racer cycling momentum over an optimizer without one is
    refused, as torch's CyclicLR and OneCycleLR refuse it."""
    columns = []
    for config in configs:  # once per racer at init, never per step
        table = training.schedule_momenta(config, iterations)
        if table is not None:
            refusal = training.momentum_refusal(config.schedule, config.optimizer)
            if refusal is not None:
                raise ParamError(f"racer {config.variants[0].label!r}: {refusal}")
        columns.append(np.full(iterations, np.nan) if table is None else table[:, 0])
    table = np.stack(columns, axis=1)
    return None if np.isnan(table).all() else table


# ============================================================================ state
@dataclass
class ScheduleRaceState:
    """Mutable state of the race; `step` advances it in place."""

    config: ScheduleRaceConfig
    racers: tuple[training.TrainConfig, ...]  # each racer's resolved one-run config
    groups: Groups
    rates: np.ndarray  # (iterations, R)
    momenta: np.ndarray | None  # (iterations, R) cycled momentum (NaN: not cycled); None when no racer cycles it
    batches: int
    step_sizes: History  # (epochs, R, len(QUANTILES))
    epoch: int = 0


@dataclass(frozen=True)
class ScheduleRaceSnapshot:
    """What the schedule-race view draws; arrays are read-only.

    Attributes:
        labels, schedules, optimizers: one per run.
        adaptive: (R,) whether the optimizer scales the rate per parameter (all but SGD).
        epoch, epochs: epochs done, of the race's total.
        iteration, iterations, batches_per_epoch: optimizer iterations done, in total, per epoch.
        lr: (R, iterations) the rate of every iteration of the whole race (the schedule's curve).
        batch_loss: (R, iteration) each mini-batch's training loss (NaN once a run diverged).
        train_loss, val_loss, train_acc, val_acc, train_data_loss, val_data_loss: (R, epoch), as the
            training experiment's.
        step_p10, step_median, step_p90: (R, epoch) percentiles over the parameters of the effective
            step size at the end of each epoch (NaN after a run diverged).
        diverged_epoch: (R,) -1 while a run has not diverged.
        finished: the race is over.
        momentum: (R, iterations) the momentum (Adam: beta1) a cycling schedule sets at every iteration, NaN for
            racers whose schedule does not cycle it; None when none does.
    """

    labels: tuple[str, ...]
    schedules: tuple[str, ...]
    optimizers: tuple[str, ...]
    adaptive: np.ndarray
    epoch: int
    epochs: int
    iteration: int
    iterations: int
    batches_per_epoch: int
    lr: np.ndarray
    batch_loss: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    train_acc: np.ndarray
    val_acc: np.ndarray
    train_data_loss: np.ndarray
    val_data_loss: np.ndarray
    step_p10: np.ndarray
    step_median: np.ndarray
    step_p90: np.ndarray
    diverged_epoch: np.ndarray
    finished: bool
    momentum: np.ndarray | None = None


# ============================================================================ init, step
def init(config: ScheduleRaceConfig, rng: np.random.Generator,
         streams: Streams | None = None) -> ScheduleRaceState:
    """Draw the data set, compute every racer's rates and initialize one network per racer."""
    if not config.racers:
        raise ParamError("no racers: give at least one schedule")
    dataset = training.draw_dataset(config.train, rng)
    batches = math.ceil(len(dataset.x_train) / config.train.batch_size)
    iterations = config.train.epochs * batches
    shared = replace(config.train, data=dataset)
    racers = tuple(racer_config(shared, racer, iterations) for racer in config.racers)
    rates = _rates(racers, iterations)
    momenta = _momenta(racers, iterations)
    members = [Member(r.variants[0].label, r.optimizer, r.optimizer_params) for r in racers]
    groups = init_groups(shared, members, rng, streams, rates=rates, momenta=momenta, record_batches=True)
    return ScheduleRaceState(config, racers, groups, rates, momenta, batches,
                             History((len(racers), len(QUANTILES))))


def finished(state: ScheduleRaceState) -> bool:
    """Whether the race is over: all epochs trained, or every run diverged."""
    return state.epoch >= state.config.train.epochs or all(training.finished(s) for s in state.groups.states)


def epochs_done(state: ScheduleRaceState) -> float:
    """The epochs trained so far, with the fraction of the current one (training.epochs_done of each
    optimizer group, which an epoch trains one after the other): for a progress bar on another thread."""
    groups = state.groups.states
    return sum(map(training.epochs_done, groups)) / max(1, len(groups))


def step(state: ScheduleRaceState, n: int = 1) -> ScheduleRaceState:
    """Train n more epochs of every racer (fewer if the race ends first)."""
    for _ in range(n):  # a loop over epochs (and optimizer groups); the runs stay vectorized
        if finished(state):
            break
        for group in state.groups.states:
            training.step(group, 1)
        state.step_sizes.append(step_size_quantiles(state.groups, QUANTILES))
        state.epoch += 1
    return state


def snapshot(state: ScheduleRaceState) -> ScheduleRaceSnapshot:
    """A read-only picture of the race now."""
    groups = state.groups
    sizes = state.step_sizes.view()  # (epoch, R, Q)
    lr = state.rates.T
    lr.flags.writeable = False
    momentum = None if state.momenta is None else state.momenta.T
    if momentum is not None:
        momentum.flags.writeable = False
    iteration = max(s.iteration for s in groups.states)
    return ScheduleRaceSnapshot(
        labels=tuple(r.variants[0].label for r in state.racers),
        schedules=tuple(r.schedule for r in state.racers),
        optimizers=tuple(r.optimizer for r in state.racers),
        adaptive=np.array([r.optimizer not in CONSTANT_STEP for r in state.racers]),
        epoch=state.epoch, epochs=state.config.train.epochs,
        iteration=iteration, iterations=len(state.rates), batches_per_epoch=state.batches,
        lr=lr,
        batch_loss=gather(groups, lambda s: s.batch_loss.view().T),
        **{key: history(groups, key) for key in training.HISTORY_KEYS},
        step_p10=sizes[:, :, 0].T, step_median=sizes[:, :, 1].T, step_p90=sizes[:, :, 2].T,
        diverged_epoch=gather(groups, lambda s: s.diverged_epoch),
        finished=finished(state),
        momentum=momentum,
    )
