"""Keras 3's `EarlyStopping` callback, batched over runs and driven epoch by epoch.

This follows `keras/src/callbacks/early_stopping.py` and `monitor_callback.py` line by line, so a run
stops at the very epoch Keras would stop it:

- epochs before `start_from_epoch` are ignored entirely (no wait, no best);
- every later epoch adds 1 to `wait`;
- the first monitored epoch always improves; later ones improve iff `current + |min_delta| < best`
  (min mode) or `current - |min_delta| > best` (max mode);
- an improvement updates best and best_epoch, and resets wait to 0 only if current also beats the
  baseline by the same rule (a run that never beats its baseline stops `patience` epochs after it
  started being monitored, even while it improves);
- otherwise the run stops at the epoch where `wait >= patience` and `epoch > 0`; `stopped_epoch` is
  that 0-based epoch.

Details that are Keras's and kept on purpose:

- Keras compares with `ops.less` / `ops.greater` on Python floats, which the backend turns into
  tensors of `floatx` (float32): `current - min_delta` is computed in float64 and then both sides are
  rounded to float32 before comparing. So a plateau of float32 metrics that shrinks by exactly
  `min_delta` counts as no improvement. `KERAS_FLOATX` does the same here.
- NaN: a NaN compares false, so a NaN epoch is never an improvement (wait grows, the run can stop)
  unless it is the first monitored epoch, which improves unconditionally: best becomes NaN and no
  later epoch can beat it, so the run stops `patience` epochs later.
- `restore_best_weights`: Keras snapshots the weights at every improvement (the first monitored
  epoch included) and restores them in `on_train_end`, whether or not the run was stopped early.
  Runs whose training ended before any monitored epoch have no snapshot and keep their weights.
  `restore_mask` says which runs restore; `improved` from `early_stopping_update` says when to
  snapshot.
- `mode='auto'` is Keras 3's rule, not Keras 2's "`acc` in the name": the `val_` prefix is dropped;
  `loss` is minimized; a compiled metric is followed in its `_direction` (accuracy: up, so maximized).
  An unknown monitor in auto mode is an error, as in Keras.
- A monitor the training does not log (`val_accuracy` of a regression, see `unlogged_monitor`): in
  auto mode Keras cannot tell its direction and raises, and so does this; with mode min or max Keras
  warns at each epoch end that the metric is not available and never updates or stops the run, and
  the caller does the same by leaving every run out of `early_stopping_update` (`active`).

Departures (the engine's own conventions): patience None means the run never stops (Keras would fail
on it); in a per-run array, None or NaN (and +inf) mean the same. A per-run baseline of None or NaN
means no baseline. An unknown mode raises ParamError instead of Keras's warning and fallback to auto.
Before its first monitored epoch a run has best = +inf (min) or -inf (max) and best_epoch = -1; a run
still training has stopped_epoch = -1 (Keras keeps 0 for both; it can never stop at epoch 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from tui_dl.params import Component, ParamError, ParamSpec

MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
MODES = ("auto", "min", "max")
# Keras 3's auto mode: "loss" is minimized; accuracy metrics declare `_direction = "up"`.
AUTO_DIRECTIONS = {"loss": "min", "accuracy": "max"}
# The dtype Keras's comparisons run in (`floatx`, via `ops.less` / `ops.greater` on Python floats).
KERAS_FLOATX = np.float32

EARLY_STOPPING_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "monitor", "choice", "val_loss", choices=MONITORS,
        help="metric watched at the end of each epoch (val_* on the validation set)",
    ),
    ParamSpec(
        "min_delta", "float", 0.0, low=0.0, step=1e-3,
        help="smallest change that counts as an improvement (compared in float32, as Keras does)",
    ),
    ParamSpec(
        "patience", "int", None, low=0, optional=True,
        help="epochs without improvement before stopping; none = never stop (Keras's default is 0)",
    ),
    ParamSpec(
        "mode", "choice", "auto", choices=MODES,
        help="min or max the monitor; auto: loss is minimized, accuracy maximized",
    ),
    ParamSpec(
        "baseline", "float", None, optional=True,
        help="wait resets only on epochs that also beat this value; none = no baseline",
    ),
    ParamSpec(
        "restore_best_weights", "bool", False,
        help="at the end (stopped or not) restore the weights of the best epoch",
    ),
    ParamSpec(
        "start_from_epoch", "int", 0, low=0,
        help="warm-up epochs that are not monitored at all",
    ),
)


class EarlyStopping(NamedTuple):
    """The configuration, with Keras's constructor defaults; every field a scalar or an (R,) array.

    Attributes:
        monitor: which metric the caller feeds as `current` (it picks the auto mode's direction).
        min_delta: improvement threshold; its absolute value is used, as in Keras.
        patience: epochs without improvement to stop after; None (or None/NaN/inf per run) = never.
        mode: 'auto', 'min' or 'max'.
        baseline: value to beat for wait to reset; None (or None/NaN per run) = no baseline.
        restore_best_weights: whether the caller restores the best epoch's weights at the end.
        start_from_epoch: epochs 0 .. start_from_epoch - 1 are not monitored.
    """

    monitor: Any = "val_loss"
    min_delta: Any = 0.0
    patience: Any = 0
    mode: Any = "auto"
    baseline: Any = None
    restore_best_weights: Any = False
    start_from_epoch: Any = 0


class EarlyStoppingState(NamedTuple):
    """Per-run progress of early stopping (all arrays (R,)).

    Attributes:
        wait: epochs since the last improvement that beat the baseline (Keras's `wait`).
        best: best monitored value; +inf (min) / -inf (max) before the first monitored epoch.
        best_epoch: 0-based epoch of best, -1 before the first monitored epoch.
        stopped_epoch: 0-based epoch at which the run stopped, -1 while it is still running.
    """

    wait: np.ndarray
    best: np.ndarray
    best_epoch: np.ndarray
    stopped_epoch: np.ndarray


class _PerRun(NamedTuple):
    """A configuration broadcast to (R,) arrays of the types the update works with."""

    maximize: np.ndarray  # bool
    min_delta: np.ndarray  # float64, >= 0
    patience: np.ndarray  # float64, inf = never stop
    baseline: np.ndarray  # float64, NaN = no baseline
    restore_best_weights: np.ndarray  # bool
    start_from_epoch: np.ndarray  # float64


# ------------------------------------------------------------------------- config
EARLY_STOPPING = Component(
    "early_stopping", "early_stopping", EarlyStopping, EARLY_STOPPING_PARAMS,
    summary="Keras's EarlyStopping callback",
)


def early_stopping_config(values: Mapping[str, Any] | None = None, *, text: bool = False) -> EarlyStopping:
    """The configuration from parsed values (or strings with text=True), the ParamSpec defaults for the rest.

    The defaults are the app's, not Keras's: patience none means early stopping is off.
    Unknown names and bad values raise ParamError.
    """
    return EarlyStopping(**EARLY_STOPPING.resolve(values, text=text))


def resolve_mode(monitor: str, mode: str) -> str:
    """'min' or 'max' for one monitor and mode, by Keras 3's rule for 'auto'."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ParamError(f"bad value {mode!r} for mode: expected one of: {', '.join(MODES)}")
    direction = AUTO_DIRECTIONS.get(str(monitor).removeprefix("val_"))
    if direction is None:
        raise ParamError(
            f"cannot tell whether monitor {monitor!r} should be minimized or maximized: set mode to min or max"
        )
    return direction


def unlogged_monitor(monitor: str, mode: str, logged: Sequence[str]) -> str | None:
    """Keras's answer to a monitor that the training does not log (a regression logs no accuracy).

    None if monitor is in logged. Mode auto: ParamError (Keras raises: it cannot tell whether to
    minimize or maximize a metric the model does not have). Mode min or max: the one-line warning
    Keras gives at every epoch end; the run then never improves and never stops.
    """
    if monitor in logged:
        return None
    if mode == "auto":
        raise ParamError(f"bad value {monitor!r} for monitor: this training does not log it "
                         f"(a regression has no accuracy); expected one of: {', '.join(logged)}")
    return (f"early stopping never stops: monitor {monitor!r} is not logged by this training "
            f"(it logs {', '.join(logged)}), as Keras warns with mode={mode}")


def _per_run(value: Any, runs: int, name: str, dtype: Any) -> np.ndarray:
    """value (scalar or (R,)) as an (R,) array of dtype; None becomes NaN for floats."""
    try:
        array = np.asarray(value, dtype=dtype)
        return np.broadcast_to(array, (runs,))
    except (TypeError, ValueError):
        raise ParamError(f"bad value for {name}: expected a scalar or {runs} per-run values, got {value!r}") from None


def _maximize(monitor: Any, mode: Any, runs: int) -> np.ndarray:
    """(R,) bool: whether each run maximizes its monitor (resolved once per distinct monitor)."""
    modes = _per_run(mode, runs, "mode", str)
    monitors = _per_run(monitor, runs, "monitor", str)
    unknown = ~np.isin(modes, MODES)
    if unknown.any():
        resolve_mode("", str(modes[unknown][0]))  # raises ParamError naming the value
    maximize = modes == "max"
    auto = modes == "auto"
    if auto.any():
        names, inverse = np.unique(monitors[auto], return_inverse=True)
        directions = np.array([resolve_mode(str(name), "auto") == "max" for name in names])
        maximize[auto] = directions[inverse]
    return maximize


def _resolve(config: EarlyStopping, runs: int) -> _PerRun:
    with np.errstate(invalid="ignore"):
        patience = _per_run(config.patience, runs, "patience", np.float64)
    return _PerRun(
        maximize=_maximize(config.monitor, config.mode, runs),
        min_delta=np.abs(_per_run(config.min_delta, runs, "min_delta", np.float64)),
        patience=np.where(np.isnan(patience), math.inf, patience),
        baseline=_per_run(config.baseline, runs, "baseline", np.float64),
        restore_best_weights=_per_run(config.restore_best_weights, runs, "restore_best_weights", bool),
        start_from_epoch=_per_run(config.start_from_epoch, runs, "start_from_epoch", np.float64),
    )


# -------------------------------------------------------------------------- update
def _beats(current: np.ndarray, reference: np.ndarray, cfg: _PerRun) -> np.ndarray:
    """Keras's `_is_improvement`: `op(current - signed_min_delta, reference)` compared in float32.

    NaN on either side gives False, as torch's comparison does.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = np.where(cfg.maximize, current - cfg.min_delta, current + cfg.min_delta)
        left = shifted.astype(KERAS_FLOATX)
        right = np.asarray(reference, dtype=np.float64).astype(KERAS_FLOATX)
    return np.where(cfg.maximize, left > right, left < right)


def early_stopping_init(config: EarlyStopping, runs: int) -> EarlyStoppingState:
    """The state before the first epoch (Keras's `on_train_begin`); checks the configuration."""
    cfg = _resolve(config, runs)
    return EarlyStoppingState(
        wait=np.zeros(runs, dtype=np.int64),
        best=np.where(cfg.maximize, -math.inf, math.inf),
        best_epoch=np.full(runs, -1, dtype=np.int64),
        stopped_epoch=np.full(runs, -1, dtype=np.int64),
    )


def early_stopping_update(
    config: EarlyStopping,
    state: EarlyStoppingState,
    epoch: int,
    current: np.ndarray,
    active: np.ndarray | None = None,
) -> tuple[EarlyStoppingState, np.ndarray, np.ndarray]:
    """Keras's `on_epoch_end(epoch, logs)` for every run at once.

    Args:
        config: the configuration (scalars or (R,) arrays).
        state: the state after the previous epoch.
        epoch: the 0-based index of the epoch that just ended.
        current: (R,) (or scalar) monitored values at that epoch; cast to float64 as Keras's logs are.
        active: (R,) bool, runs still training; others (and runs already stopped) are left unchanged.

    Returns:
        (new state, improved, stop_now): improved[r] when run r's best was updated at this epoch
        (snapshot its weights for restore_best_weights), stop_now[r] when run r stops at this epoch.
    """
    runs = state.wait.shape[0]
    cfg = _resolve(config, runs)
    current = np.broadcast_to(np.asarray(current, dtype=np.float64), (runs,))
    monitored = (state.stopped_epoch < 0) & (epoch >= cfg.start_from_epoch)
    if active is not None:
        monitored &= np.asarray(active, dtype=bool)

    improved = monitored & ((state.best_epoch < 0) | _beats(current, state.best, cfg))
    beats_baseline = np.isnan(cfg.baseline) | _beats(current, cfg.baseline, cfg)
    wait = np.where(monitored, state.wait + 1, state.wait)
    wait = np.where(improved & beats_baseline, 0, wait)
    stop_now = monitored & ~improved & (wait >= cfg.patience) & (epoch > 0)
    new_state = EarlyStoppingState(
        wait=wait,
        best=np.where(improved, current, state.best),
        best_epoch=np.where(improved, epoch, state.best_epoch),
        stopped_epoch=np.where(stop_now, epoch, state.stopped_epoch),
    )
    return new_state, improved, stop_now


def restore_mask(config: EarlyStopping, state: EarlyStoppingState) -> np.ndarray:
    """(R,) bool: runs whose best weights are restored at the end of training (Keras's `on_train_end`).

    Keras restores whenever restore_best_weights is set and a snapshot exists (some epoch was
    monitored), also for runs that trained to the last epoch without stopping.
    """
    cfg = _resolve(config, state.wait.shape[0])
    return cfg.restore_best_weights & (state.best_epoch >= 0)
