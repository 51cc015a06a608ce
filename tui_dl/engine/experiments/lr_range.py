"""Learning-rate range test and the parallel learning-rate sweep, on the training experiment.

LR range test (Smith 2017, "Cyclical learning rates", section 3.3; fastai's `lr_find`,
torch-lr-finder's `LRFinder.range_test`): train for K mini-batches while the rate grows
geometrically from start_lr to end_lr, record each batch's loss, and read off a rate where the
loss falls fastest. The conventions are torch-lr-finder's:

- Iteration i (0-based) trains its batch at lr_i = start_lr * (end_lr / start_lr)^(i / (K - 1)),
  and records that batch's loss, computed at the weights before the update (so the loss at lr_i
  shows the effect of the rates before it). Batches cycle through the training set, reshuffled
  every epoch, as a DataLoader that restarts.
- Smoothing is an exponential moving average without bias correction, started at the first loss:
  s_0 = l_0, s_i = smooth_f * l_i + (1 - smooth_f) * s_{i-1} (smooth_f = 0: no smoothing).
  fastai instead debiases an average with beta = 0.98: (beta m + (1 - beta) l) / (1 - beta^(i+1)).
- The best loss is the lowest smoothed loss so far; a sweep stops (diverges) at the first
  iteration whose smoothed loss exceeds diverge_th * best (fastai: 4 * best), that point
  included. A non-finite loss stops it too (torch-lr-finder would go on with NaN).
- The suggestion is torch-lr-finder's "steepest gradient" (fastai's `steep`): drop skip_start
  points at the start and skip_end at the end, take np.gradient of the smoothed losses and the
  rate at its minimum. The rates are evenly spaced in log lr, so this is also the steepest
  descent of the loss against log lr.

Several sweeps run at once on the runs axis: one per optimizer (Adam next to SGD), or the same
optimizer several times (different seeds: each run draws its own initial weights and shuffles).
A sweep that diverges is frozen while the others go on. `step(state, n)` runs n iterations so
the UI can animate the sweep.

Parallel sweep: R runs with log-spaced constant rates trained together for whole epochs with the
training experiment (each rate is a training variant `lr=...`), then the final and best training
loss against the rate; runs that diverge are marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from tui_dl.engine.experiments import training, variants
from tui_dl.engine.experiments.history import History
from tui_dl.engine.experiments.optimizer_groups import Groups, Member, init_groups
from tui_dl.engine.streams import Streams
from tui_dl.params import Component, ParamError, ParamSpec, format_number

NONE = -1

LR_RANGE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("start_lr", "float", 1e-7, low=0.0, low_open=True, scale="log", help="rate of the first iteration"),
    ParamSpec("end_lr", "float", 10.0, low=0.0, low_open=True, scale="log", help="rate of the last iteration"),
    ParamSpec("iterations", "int", 100, low=2, high=1_000_000, scale="log",
              help="mini-batches of the sweep (torch-lr-finder's num_iter, fastai's num_it)"),
    ParamSpec("smooth_f", "float", 0.05, low=0.0, high=1.0, high_open=True, step=0.01,
              help="loss smoothing: s = smooth_f * loss + (1 - smooth_f) * s (0: none)"),
    ParamSpec("diverge_th", "float", 5.0, low=1.0, low_open=True, step=0.5,
              help="stop a sweep when its smoothed loss exceeds diverge_th * its best"),
    ParamSpec("skip_start", "int", 10, low=0, high=1_000_000, help="points left out at the start for the suggestion"),
    ParamSpec("skip_end", "int", 5, low=0, high=1_000_000, help="points left out at the end for the suggestion"),
    ParamSpec("suggest", "choice", "descent", choices=("descent", "steepest"),
              help="descent: steepest point before the lowest smoothed loss; steepest: anywhere (torch-lr-finder)"),
)
_LR_RANGE = Component("experiment", "lr_range", dict, LR_RANGE_PARAMS)


# ============================================================================ pure functions
def sweep_rates(start: float, end: float, count: int) -> np.ndarray:
    """(count,) rates growing geometrically from start to end, as torch-lr-finder's ExponentialLR."""
    return start * (end / start) ** (np.arange(count) / (count - 1))


def check_range(start: float, end: float, start_name: str, end_name: str) -> None:
    """ParamError unless start < end and end / start is a float (sweep_rates grows by that ratio: 1e-320 to 1
    made every rate inf)."""
    shown = f"bad range {format_number(start)} .. {format_number(end)}"
    if not start < end:
        raise ParamError(f"{shown}: {start_name} must be below {end_name}")
    if not math.isfinite(end / start):
        raise ParamError(f"{shown}: {end_name} / {start_name} is past the largest float "
                         f"(1.8e308); raise {start_name} or lower {end_name}")


def smooth_losses(losses: np.ndarray, smooth_f: float) -> np.ndarray:
    """torch-lr-finder's smoothing of (R, k) losses along k: s_0 = l_0, s_i = f l_i + (1 - f) s_{i-1}."""
    losses = np.asarray(losses, dtype=np.float64)
    smoothed = losses.copy()
    if smooth_f > 0:
        for i in range(1, losses.shape[-1]):  # a loop over time
            smoothed[..., i] = smooth_f * losses[..., i] + (1 - smooth_f) * smoothed[..., i - 1]
    return smoothed


def steepest_index(smoothed: np.ndarray, lengths: np.ndarray, skip_start: int, skip_end: int,
                   before_minimum: bool = False) -> np.ndarray:
    """(R,) index of the steepest descent of each run's smoothed loss, -1 where there are too few points.

    Run r's points are smoothed[r, :lengths[r]]; the window is [skip_start, lengths - skip_end) and
    needs two points. Within it the gradient is np.gradient's: central differences inside,
    one-sided at the window's two ends. Non-finite gradients never count as steepest.
    before_minimum: end the window at the window's lowest loss (included), so a noisy drop after
    the loss has started to climb cannot win (torch-lr-finder's steepest has no such limit).
    """
    smoothed = np.atleast_2d(np.asarray(smoothed, dtype=np.float64))
    runs, k = smoothed.shape
    stop = np.asarray(lengths, dtype=np.int64).reshape(runs) - skip_end
    if k < 2:
        return np.full(runs, NONE)
    if before_minimum:
        cols = np.arange(k)
        window = (cols >= skip_start) & (cols < stop[:, None]) & np.isfinite(smoothed)
        lowest = np.where(window, smoothed, np.inf).argmin(axis=1)
        stop = np.where(window.any(axis=1), np.minimum(stop, lowest + 1), stop)
    with np.errstate(invalid="ignore", over="ignore"):
        step = np.diff(smoothed, axis=1)
        forward = np.concatenate([step, np.full((runs, 1), np.nan)], axis=1)
        backward = np.concatenate([np.full((runs, 1), np.nan), step], axis=1)
        central = (forward + backward) / 2
    cols = np.arange(k)
    gradient = np.where(cols == skip_start, forward, np.where(cols == (stop - 1)[:, None], backward, central))
    inside = (cols >= skip_start) & (cols < stop[:, None]) & np.isfinite(gradient)
    gradient = np.where(inside, gradient, np.inf)
    index = gradient.argmin(axis=1)
    valid = (stop - skip_start >= 2) & inside[np.arange(runs), index]
    return np.where(valid, index, NONE)


# ============================================================================ LR range test
@dataclass(frozen=True)
class LRRangeConfig:
    """The range test: the training experiment's model and data, and the sweep's knobs.

    `train` gives the data set, network, batch size and dtype; its lr, epochs and variants are not
    used (the sweep sets the rate) and its schedule must be constant. `sweeps` are the runs, each
    with its optimizer; empty means one sweep with train's optimizer.
    """

    train: training.TrainConfig = field(default_factory=training.TrainConfig)
    sweeps: tuple[Member, ...] = ()
    start_lr: float = 1e-7
    end_lr: float = 10.0
    iterations: int = 100
    smooth_f: float = 0.05
    diverge_th: float = 5.0
    skip_start: int = 10
    skip_end: int = 5
    suggest: str = "descent"


def sweep_members(config: LRRangeConfig) -> tuple[Member, ...]:
    """The runs of the test: config.sweeps, or one sweep of the training config's optimizer."""
    train = config.train
    return config.sweeps or (Member(train.optimizer, train.optimizer, dict(train.optimizer_params)),)


@dataclass
class LRRangeState:
    """Mutable state of the range test; `step` advances it in place."""

    config: LRRangeConfig
    groups: Groups
    rates: np.ndarray  # (K,) the sweep
    batches: int  # mini-batches per epoch
    loss: History
    smoothed: History
    best: np.ndarray
    diverged_iteration: np.ndarray
    orders: list[np.ndarray] = field(default_factory=list)
    iteration: int = 0


@dataclass(frozen=True)
class LRRangeSnapshot:
    """What the range-test view draws; arrays are read-only.

    Attributes:
        labels: one legend label per sweep; optimizers: each sweep's optimizer.
        iteration: points recorded so far (k); iterations: K, the sweep's length.
        rates: (K,) the whole sweep, for the axis.
        lrs, loss, smoothed: (R, k) each point's rate, raw batch loss and smoothed loss, NaN after
            the sweep stopped.
        best: (R,) the lowest smoothed loss so far.
        suggestion: (R,) the steepest-descent rate, NaN until there are enough points;
            suggestion_index: (R,) its iteration, -1 until then.
        diverged_iteration: (R,) the iteration at which a sweep stopped, -1 while it goes on.
        finished: every sweep is done (K iterations, or diverged).
    """

    labels: tuple[str, ...]
    optimizers: tuple[str, ...]
    iteration: int
    iterations: int
    rates: np.ndarray
    lrs: np.ndarray
    loss: np.ndarray
    smoothed: np.ndarray
    best: np.ndarray
    suggestion: np.ndarray
    suggestion_index: np.ndarray
    diverged_iteration: np.ndarray
    finished: bool


def _check(config: LRRangeConfig) -> None:
    _LR_RANGE.resolve({spec.name: getattr(config, spec.name) for spec in LR_RANGE_PARAMS})
    check_range(config.start_lr, config.end_lr, "start_lr", "end_lr")
    if config.train.schedule != "constant":
        raise ParamError(f"the LR range test sets the rate itself: schedule must be constant, "
                         f"not {config.train.schedule}")


def init(config: LRRangeConfig, rng: np.random.Generator,
         streams: Streams | None = None) -> LRRangeState:
    """Draw the data set and one network per sweep; nothing is trained yet."""
    _check(config)
    members = sweep_members(config)
    rates = sweep_rates(config.start_lr, config.end_lr, config.iterations)
    table = np.repeat(rates[:, None], len(members), axis=1)
    groups = init_groups(config.train, members, rng, streams, rates=table)
    runs = groups.size
    batches = math.ceil(len(groups.dataset.x_train) / config.train.batch_size)
    return LRRangeState(config, groups, rates, batches, History((runs,)), History((runs,)),
                        np.full(runs, np.nan), np.full(runs, NONE, dtype=np.int64))


def finished(state: LRRangeState) -> bool:
    """Whether every sweep is done: K iterations, or stopped."""
    return state.iteration >= state.config.iterations or bool((state.diverged_iteration >= 0).all())


def step(state: LRRangeState, n: int = 1) -> LRRangeState:
    """Run n more iterations of every sweep that has not stopped (fewer if the test ends first)."""
    for _ in range(n):  # a loop over iterations; the runs stay vectorized
        if finished(state):
            break
        with np.errstate(all="ignore"):  # divergence is recorded, never printed
            _iterate(state)
    return state


def _iterate(state: LRRangeState) -> None:
    """One mini-batch of every group, then smoothing, the best loss and the divergence test."""
    config, groups, k = state.config, state.groups, state.iteration
    position = k % state.batches
    if position == 0:
        state.orders = [training.epoch_order(group) for group in groups.states]
    start = position * config.train.batch_size
    raw = np.empty(groups.size)
    for group, runs, order in zip(groups.states, groups.runs, state.orders, strict=True):
        raw[runs] = training.train_batch(group, order[:, start:start + config.train.batch_size]).loss
    going = state.diverged_iteration < 0
    if k == 0 or config.smooth_f == 0:
        smoothed = raw
    else:
        smoothed = config.smooth_f * raw + (1 - config.smooth_f) * state.smoothed.last()
    state.best = smoothed if k == 0 else np.fmin(state.best, smoothed)  # a stopped sweep keeps its best
    stopped = going & ~(np.isfinite(smoothed) & (smoothed <= config.diverge_th * state.best))
    state.diverged_iteration[stopped] = k
    for group, runs in zip(groups.states, groups.runs, strict=True):
        group.active &= ~stopped[runs]
    state.loss.append(np.where(going, raw, np.nan))
    state.smoothed.append(np.where(going, smoothed, np.nan))
    state.iteration += 1


def _lengths(state: LRRangeState) -> np.ndarray:
    """(R,) points recorded per sweep (up to and including the one where it stopped)."""
    return np.where(state.diverged_iteration >= 0, state.diverged_iteration + 1, state.iteration)


def snapshot(state: LRRangeState) -> LRRangeSnapshot:
    """A read-only picture of the test now."""
    config, k = state.config, state.iteration
    loss, smoothed = state.loss.view().T, state.smoothed.view().T
    lengths = _lengths(state)
    recorded = np.arange(k) < lengths[:, None]
    lrs = np.where(recorded, state.rates[:k], np.nan)
    index = steepest_index(smoothed, lengths, config.skip_start, config.skip_end, config.suggest == "descent")
    suggestion = np.where(index >= 0, state.rates[np.maximum(index, 0)], np.nan)
    members = sweep_members(config)
    rates = state.rates.view()
    for array in (rates, lrs):
        array.flags.writeable = False
    return LRRangeSnapshot(
        labels=tuple(m.label for m in members), optimizers=tuple(m.optimizer for m in members),
        iteration=k, iterations=config.iterations, rates=rates, lrs=lrs, loss=loss, smoothed=smoothed,
        best=state.best.copy(), suggestion=suggestion, suggestion_index=index,
        diverged_iteration=state.diverged_iteration.copy(), finished=finished(state),
    )


def suggested_rates(config: LRRangeConfig, rng: np.random.Generator) -> np.ndarray:
    """Run the whole test and return each sweep's suggestion (NaN where there is none)."""
    return snapshot(step(init(config, rng), config.iterations)).suggestion


# ============================================================================ parallel sweep
PARALLEL_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("low", "float", 1e-5, low=0.0, low_open=True, scale="log", help="the smallest rate"),
    ParamSpec("high", "float", 10.0, low=0.0, low_open=True, scale="log", help="the largest rate"),
    ParamSpec("count", "int", 16, low=2, high=1024, scale="log", help="rates, log-spaced from low to high (runs)"),
    _LR_RANGE.spec("diverge_th"),
    ParamSpec("same_init", "bool", True,
              help="every run starts from the same weights and sees the same shuffles, so only the rate differs"),
)
_PARALLEL = Component("experiment", "lr_sweep", dict, PARALLEL_PARAMS)


@dataclass(frozen=True)
class ParallelSweepConfig:
    """count runs of the training experiment, one per log-spaced rate from low to high.

    `train` gives everything else (its epochs are the sweep's length; its schedule, if any, is
    applied to each run with that run's rate as the base rate); its variants are replaced.
    """

    train: training.TrainConfig = field(default_factory=lambda: training.TrainConfig(epochs=20))
    low: float = 1e-5
    high: float = 10.0
    count: int = 16
    diverge_th: float = 5.0
    same_init: bool = True


@dataclass
class ParallelSweepState:
    """The training state of the sweep's runs and their loss before training."""

    config: ParallelSweepConfig
    train: training.TrainState
    rates: np.ndarray
    initial_loss: np.ndarray


@dataclass(frozen=True)
class ParallelSweepSnapshot:
    """What the sweep view draws: loss against rate. Arrays are read-only.

    Attributes:
        labels: "lr 1e-5" ... one per run.
        lrs: (R,) each run's rate.
        epoch: epochs trained.
        initial_loss: (R,) training loss before any update.
        train_loss: (R, epoch) training data loss at the end of each epoch (evaluation mode).
        final_loss: (R,) its last value (NaN for a run that diverged to a non-finite loss).
        best_loss: (R,) its lowest finite value (NaN if none).
        diverged: (R,) the loss became non-finite, or ended above diverge_th * initial_loss.
        diverged_epoch: (R,) the epoch at which the loss became non-finite, -1 if it did not.
        finished: the sweep is over.
    """

    labels: tuple[str, ...]
    lrs: np.ndarray
    epoch: int
    initial_loss: np.ndarray
    train_loss: np.ndarray
    final_loss: np.ndarray
    best_loss: np.ndarray
    diverged: np.ndarray
    diverged_epoch: np.ndarray
    finished: bool


def parallel_train_config(config: ParallelSweepConfig) -> training.TrainConfig:
    """The training experiment the sweep runs: one variant `lr=x` per rate."""
    _PARALLEL.resolve({spec.name: getattr(config, spec.name) for spec in PARALLEL_PARAMS})
    check_range(config.low, config.high, "low", "high")
    rates = sweep_rates(config.low, config.high, config.count)
    runs = tuple(variants.make_variant(lr=float(rate)) for rate in rates)
    return replace(config.train, variants=runs, eval_train=True)


def parallel_init(config: ParallelSweepConfig, rng: np.random.Generator,
                  streams: Streams | None = None) -> ParallelSweepState:
    """The training experiment of the sweep, and each run's loss before training.

    With same_init the runs are paired (the same initial weights and the same shuffles); without
    it each run draws its own.
    """
    train_config = replace(parallel_train_config(config), paired=config.same_init, seeds=1)
    state = training.init(train_config, rng, streams)
    with np.errstate(all="ignore"):
        initial, _ = state.model.evaluate(state.params, state.x_train, state.y_train)
    rates = np.array([v.lr for v in train_config.variants])
    return ParallelSweepState(config, state, rates, initial)


def parallel_step(state: ParallelSweepState, n: int = 1) -> ParallelSweepState:
    """Train n more epochs (training.step)."""
    training.step(state.train, n)
    return state


def parallel_snapshot(state: ParallelSweepState) -> ParallelSweepSnapshot:
    """A read-only picture of the sweep now."""
    train = state.train
    loss = train.history["train_data_loss"].view().T
    finite = np.isfinite(loss)
    final = loss[:, -1] if loss.shape[1] else np.full(len(state.rates), np.nan)
    best = np.where(finite, loss, np.inf).min(axis=1, initial=np.inf)
    best[np.isinf(best)] = np.nan
    with np.errstate(invalid="ignore"):
        exploded = final > state.config.diverge_th * state.initial_loss
    diverged = (train.diverged_epoch >= 0) | exploded
    lrs = state.rates.view()
    lrs.flags.writeable = False
    return ParallelSweepSnapshot(
        labels=tuple(v.label for v in train.config.variants), lrs=lrs, epoch=train.epoch,
        initial_loss=state.initial_loss.copy(), train_loss=loss, final_loss=final.copy(), best_loss=best,
        diverged=diverged, diverged_epoch=train.diverged_epoch.copy(), finished=training.finished(train),
    )

