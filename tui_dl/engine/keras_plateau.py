"""Keras's ReduceLROnPlateau callback, next to torch's (schedules.py `reduce_lr_on_plateau`).

keras/src/callbacks/reduce_lr_on_plateau.py and monitor_callback.py (Keras 3.15), `on_epoch_end`:

- the first monitored value always improves (best starts as None), NaN included: a NaN first value
  becomes the best, and nothing compares better than NaN afterwards;
- later, a value improves iff `current - min_delta < best` (min mode; `> best` in max mode) with
  min_delta = -|min_delta| in min mode and +|min_delta| in max mode: an absolute margin, where torch's
  default threshold is relative. Keras compares through `ops.less`/`ops.greater`, which turn both
  Python floats into float32 tensors first: the comparison is made in float32;
- in cooldown the counter goes down by one and wait is reset, before the comparison; an epoch that does
  not improve adds 1 to wait only when not in cooldown any more (the epoch whose decrement ends the
  cooldown already counts);
- it reduces when wait >= patience (torch: num_bad_epochs > patience), if lr > float32(min_lr): the new
  rate max(lr * factor, min_lr) is written into the optimizer's float32 learning_rate variable (so the
  rates are float32 numbers), then cooldown starts and wait is reset. At lr <= min_lr nothing changes
  and wait keeps growing (torch resets its counter after every due reduction, applied or not);
- `mode='auto'` is min for a loss and max for an accuracy (the metric's direction); a factor >= 1 is
  refused ("ReduceLROnPlateau does not support a factor >= 1.0").

The rate of epoch e is the one in effect after `on_epoch_end` of the epochs before it, as for torch's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tui_dl.engine.schedules import SCHEDULES, demo_plateau_metric
from tui_dl.params import ParamError, ParamSpec, count

NAME = "keras_reduce_lr_on_plateau"
MONITORS = ("val_loss", "loss", "val_accuracy", "accuracy")


class KerasPlateauState(NamedTuple):
    """State of keras.callbacks.ReduceLROnPlateau for R runs, all arrays of shape (R,)."""

    lr: np.ndarray  # float32 values, held in float64
    best: np.ndarray
    has_best: np.ndarray  # False while best is None (before the first monitored epoch)
    wait: np.ndarray
    cooldown_counter: np.ndarray


def direction(monitor: str, mode: str) -> str:
    """min or max: the mode, or for `auto` the monitored metric's direction (a loss goes down, an accuracy up)."""
    if mode != "auto":
        return mode
    return "min" if monitor.removeprefix("val_") == "loss" else "max"


def keras_plateau_init(learning_rate: Any) -> KerasPlateauState:
    """Fresh state for rates learning_rate (an (R,) array or a scalar), stored as Keras stores them: in float32."""
    rates = np.atleast_1d(np.asarray(learning_rate, dtype=np.float32)).astype(np.float64)
    zeros = np.zeros(rates.shape, dtype=np.int64)
    return KerasPlateauState(rates, np.full(rates.shape, np.nan), np.zeros(rates.shape, bool), zeros, zeros.copy())


def keras_plateau_step(state: KerasPlateauState, metric: Any, monitor: str = "val_loss", factor: float = 0.1,
                       patience: int = 10, mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0,
                       min_lr: float = 0.0) -> KerasPlateauState:
    """One `on_epoch_end` of keras ReduceLROnPlateau for every run at once, the monitored value being metric."""
    current = np.broadcast_to(np.asarray(metric, dtype=np.float64), state.lr.shape)
    in_cooldown = state.cooldown_counter > 0
    counter = np.where(in_cooldown, state.cooldown_counter - 1, state.cooldown_counter)
    wait = np.where(in_cooldown, 0, state.wait)
    minimizing = direction(monitor, mode) == "min"
    delta = -abs(min_delta) if minimizing else abs(min_delta)
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = (current - delta).astype(np.float32)  # ops.less/greater: float32 tensors
        best = state.best.astype(np.float32)
        better = shifted < best if minimizing else shifted > best
    improved = ~state.has_best | better
    wait = np.where(improved, 0, wait)
    counting = ~improved & ~(counter > 0)
    wait = np.where(counting, wait + 1, wait)
    reduced = counting & (wait >= patience) & (state.lr > np.float32(min_lr))
    new_lr = np.maximum(state.lr * factor, min_lr).astype(np.float32).astype(np.float64)
    return KerasPlateauState(
        lr=np.where(reduced, new_lr, state.lr),
        best=np.where(improved, current, state.best),
        has_best=state.has_best | improved,
        wait=np.where(reduced, 0, wait),
        cooldown_counter=np.where(reduced, cooldown, counter),
    )


@SCHEDULES.register(
    ParamSpec("learning_rate", "float", 0.1, low=0.0, low_open=True, scale="log",
              help="the optimizer's learning_rate at the start (Keras keeps it in float32)"),
    ParamSpec("monitor", "choice", "val_loss", choices=MONITORS,
              help="the logged quantity it watches; with mode auto a loss must go down, an accuracy up"),
    ParamSpec("factor", "float", 0.1, high=1.0, high_open=True, scale="linear",
              help="new lr = max(lr * factor, min_lr); Keras refuses factor >= 1 (a factor <= 0 drops to min_lr)"),
    ParamSpec("patience", "int", 10, low=-10**9, high=10**9,
              help="epochs without improvement before a reduction (Keras: wait >= patience; torch: > patience); "
                   "Keras takes any integer, a negative one acting as 0"),
    ParamSpec("mode", "choice", "auto", choices=("auto", "min", "max"),
              help="min: a value improves by going down, max: up; auto: from the monitor's name"),
    ParamSpec("min_delta", "float", 1e-4, scale="linear",
              help="absolute margin an improvement must beat: current -/+ |min_delta| vs best (torch: relative)"),
    ParamSpec("cooldown", "int", 0, low=-10**9, high=10**9,
              help="epochs after a reduction during which wait stays 0 (Keras takes any integer; negative acts as 0)"),
    ParamSpec("min_lr", "float", 0.0, low=0.0, scale="log", help="lower bound of the rate; at it, no reduction"),
    ParamSpec("metrics", "floats", None, optional=True, finite=False,
              help="the monitored value of each epoch (none: a synthetic loss that plateaus); a nan never improves, "
                   "but a nan first value becomes the best"),
    family="keras",
)
def keras_reduce_lr_on_plateau(step: Any, learning_rate: float = 0.1, monitor: str = "val_loss", factor: float = 0.1,
                               patience: int = 10, mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0,
                               min_lr: float = 0.0, metrics: Any = None) -> np.ndarray:
    """keras.callbacks.ReduceLROnPlateau: divide the rate when the monitored value stops improving by min_delta.

    keras/src/callbacks/reduce_lr_on_plateau.py (see the module). Driven by data, so it loops over epochs.
    """
    s = np.asarray(step, dtype=np.float64).astype(np.int64)
    horizon = int(np.max(s, initial=0))
    sequence = demo_plateau_metric(np.arange(horizon)) if metrics is None else np.asarray(metrics, float)
    if len(sequence) < horizon:
        raise ParamError(f"bad metrics for {NAME}: epoch {horizon} needs {count(horizon, 'value')}, "
                         f"got {len(sequence)}")
    state = keras_plateau_init(learning_rate)
    history = np.empty(horizon + 1)
    history[0] = state.lr[0]
    for epoch in range(horizon):
        state = keras_plateau_step(state, sequence[epoch], monitor, factor, patience, mode, min_delta, cooldown,
                                   min_lr)
        history[epoch + 1] = state.lr[0]
    return history[s]
