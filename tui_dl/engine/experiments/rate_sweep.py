"""Learning rate too low, about right, too high: K log-spaced constant rates trained in one batch.

The parallel sweep of lr_range.py (every rate a run of the training experiment, paired: the same
initial weights and shuffles, so only the rate differs) with the LR range test on the same
network, optimizer and data set beside it, so the range test's suggested rate can be read off the
same rate axis as the sweep's outcome. Each run's training loss per epoch starts with its loss
before training (column 0), so "barely moved" and "diverged" are measured from where it started:

- diverged: the loss became non-finite, or ended above diverge_th times where it started (the
  sweep's own test); `diverged_at` is the first epoch where it was non-finite or above that line.
- barely moved: the loss is within `fraction` (5%) of where it started (a rate too high that
  did not diverge can end above its start: that is not barely moving).

The range test runs once, at init (a hundred mini-batches of one run); the sweep then trains an
epoch per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from tui_dl.engine.experiments import lr_range, training
from tui_dl.engine.experiments.lr_range import ParallelSweepConfig, ParallelSweepSnapshot
from tui_dl.engine.streams import Streams

NONE = -1
BARELY = 0.05  # a loss that fell by less than this fraction of its start has barely moved


@dataclass(frozen=True)
class RateSweepConfig:
    """The sweep (its train config gives the network, data, optimizer and epochs) and the range test's length."""

    sweep: ParallelSweepConfig = field(default_factory=lambda: ParallelSweepConfig(
        train=training.TrainConfig(optimizer="sgd", epochs=30), low=1e-4, high=100.0, count=13))
    range_iterations: int = 100


@dataclass
class RateSweepState:
    """The sweep's training state and the range test's result."""

    config: RateSweepConfig
    sweep: lr_range.ParallelSweepState
    suggestion: float
    range_test: lr_range.LRRangeSnapshot


@dataclass(frozen=True)
class RateSweepSnapshot:
    """What the sweep view draws and a verdict reads; arrays are read-only.

    Attributes:
        sweep: the parallel sweep's snapshot (lrs, train_loss per epoch, diverged ...).
        losses: (R, epoch + 1) each run's training loss before training, then after each epoch.
        diverged_at: (R,) the column of losses where a diverged run went non-finite or above
            diverge_th times its start, -1 for a run that did not diverge.
        suggestion: the LR range test's suggested rate (NaN when it has none).
        range_test: the range test's snapshot (its smoothed loss against the rate).
        epochs: the sweep's length.
    """

    sweep: ParallelSweepSnapshot
    losses: np.ndarray
    diverged_at: np.ndarray
    suggestion: float
    range_test: lr_range.LRRangeSnapshot
    epochs: int

    @property
    def lrs(self) -> np.ndarray:
        """(R,) the rates, smallest first."""
        return self.sweep.lrs


def range_config(config: RateSweepConfig) -> lr_range.LRRangeConfig:
    """The range test over the sweep's rates with the sweep's network and optimizer (torch-lr-finder's knobs)."""
    sweep = config.sweep
    return lr_range.LRRangeConfig(train=sweep.train,
                                  start_lr=sweep.low, end_lr=sweep.high, iterations=config.range_iterations,
                                  diverge_th=sweep.diverge_th)


def check(config: RateSweepConfig) -> None:
    """ParamError for a sweep that cannot run (a range that does not grow, a count out of range), before any work."""
    lr_range.parallel_train_config(config.sweep)


def init(config: RateSweepConfig, rng: np.random.Generator, streams: Streams | None = None) -> RateSweepState:
    """Draw the data and the sweep's networks, then run the range test on the same data (the sweep waits)."""
    sweep = lr_range.parallel_init(config.sweep, rng, streams)
    test_config = range_config(config)
    test_config = replace(test_config, train=replace(test_config.train, data=sweep.train.dataset))
    test = lr_range.snapshot(lr_range.step(lr_range.init(test_config, rng), test_config.iterations))
    return RateSweepState(config, sweep, float(test.suggestion[0]), test)


def step(state: RateSweepState, n: int = 1) -> RateSweepState:
    """n more epochs of every rate."""
    lr_range.parallel_step(state.sweep, n)
    return state


def finished(state: RateSweepState) -> bool:
    """Every epoch trained (or every run stopped)."""
    return training.finished(state.sweep.train)


def diverged_columns(losses: np.ndarray, diverged: np.ndarray, diverge_th: float) -> np.ndarray:
    """(R,) the first column of losses (R, T) that is non-finite or above diverge_th times column 0, for the
    diverged runs (the last column if none is: a run judged on its end), -1 for the others."""
    with np.errstate(invalid="ignore"):
        over = ~np.isfinite(losses) | (losses > diverge_th * losses[:, :1])
    first = np.where(over.any(axis=1), over.argmax(axis=1), losses.shape[1] - 1)
    return np.where(diverged, first, NONE)


def snapshot(state: RateSweepState) -> RateSweepSnapshot:
    """A read-only picture of the sweep now."""
    sweep = lr_range.parallel_snapshot(state.sweep)
    losses = np.concatenate([sweep.initial_loss[:, None], sweep.train_loss], axis=1)
    diverged_at = diverged_columns(losses, sweep.diverged, state.config.sweep.diverge_th)
    for array in (losses, diverged_at):
        array.flags.writeable = False
    return RateSweepSnapshot(sweep, losses, diverged_at, state.suggestion, state.range_test,
                             state.config.sweep.train.epochs)


# ---------------------------------------------------------------------- verdicts
def diverged_rates(snap: RateSweepSnapshot) -> tuple[float, ...]:
    """The rates whose runs diverged, smallest first."""
    return tuple(float(lr) for lr in snap.lrs[snap.sweep.diverged])


def barely_moved_rates(snap: RateSweepSnapshot, fraction: float = BARELY) -> tuple[float, ...]:
    """The rates below the best one whose loss now is within fraction of where it started: too low to learn in
    these epochs. A rate above the best one can stall near its start too, bouncing across the valley: it is
    too high, not slow, and not named here (which of such rates stall depends on the last bits of a chaotic
    run)."""
    start, now = snap.losses[:, 0], snap.losses[:, -1]
    with np.errstate(invalid="ignore"):
        barely = np.isfinite(now) & (np.abs(start - now) < fraction * start) & ~snap.sweep.diverged
    best = best_rate(snap)
    below_best = snap.lrs < best if math.isfinite(best) else np.ones_like(barely)
    return tuple(float(lr) for lr in snap.lrs[barely & below_best])


def best_rate(snap: RateSweepSnapshot) -> float:
    """The rate with the lowest loss now among the runs that did not diverge (NaN before any epoch or if all did)."""
    now = np.where(snap.sweep.diverged | ~np.isfinite(snap.losses[:, -1]), np.inf, snap.losses[:, -1])
    if snap.losses.shape[1] < 2 or not np.isfinite(now).any():
        return float("nan")
    return float(snap.lrs[int(now.argmin())])


def suggested_rate(snap: RateSweepSnapshot) -> float:
    """The LR range test's suggestion on the same network and data (NaN when it has none)."""
    return snap.suggestion
