"""Schedules practitioners use beyond the two frameworks: Hugging Face transformers' and timm's.

transformers (`src/transformers/optimization.py`, 5.x): each `get_*_schedule*` returns a torch
LambdaLR whose lambda is a function of the optimizer step; here the lambda is `factor` (kept as the
component's meta, so SequentialLR and ChainedScheduler can take these as parts) and the rate is
`lr * factor`, lr being the optimizer's rate. Names drop the `get_` prefix, parameters are the
functions' own.

timm (`timm/scheduler/cosine_lr.py`, `step_lr.py`, 1.x): CosineLRScheduler and StepLRScheduler are
not torch schedulers: `scheduler.step(epoch)` (t_in_epochs) or `scheduler.step_update(num_updates)`
sets the rate to `_get_lr(t)` directly, with a linear warmup from warmup_lr_init. The rate at t is
computed here with the same scalar float operations as timm (including its period search through
`math.log`), once per distinct step.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from tui_dl.engine.schedules import SCHEDULES
from tui_dl.engine.torch_schedulers import LR, register_lambda_part
from tui_dl.params import ParamError, ParamSpec


def _steps(step: Any) -> np.ndarray:
    return np.asarray(step, dtype=np.float64)


def _count(name: str, default: int | None, text: str, *, low: int = 0, optional: bool = False) -> ParamSpec:
    return ParamSpec(name, "int", default, low=low, high=10**9, scale="log", optional=optional, help=text)


WARMUP = _count("num_warmup_steps", 100, "steps of the linear warmup from 0")
TRAINING = _count("num_training_steps", 1000, "total steps (the decay ends there)", low=1)
CYCLES = ParamSpec("num_cycles", "float", 0.5, low=0.0, step=0.5,
                   help="cosine waves over the decay: 0.5 is half a wave, from 1 down to 0")


def _warmup(s: np.ndarray, num_warmup_steps: int) -> np.ndarray:
    """transformers' warmup: float(step) / float(max(1, num_warmup_steps))."""
    return s / float(max(1, num_warmup_steps))


def _register(*params: ParamSpec, check: Any = None):
    """Register a transformers schedule from its factor function: the rate is lr * factor."""

    def decorate(factor):
        name = factor.__name__.removesuffix("_factor")

        def schedule(step: Any, lr: float, **values: Any) -> np.ndarray:
            return lr * factor(step, lr=lr, **values)

        schedule.__name__ = name
        schedule.__doc__ = factor.__doc__
        positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
        schedule.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("step", positional), inspect.Parameter("lr", positional)]
            + [inspect.Parameter(spec.name, positional, default=spec.default) for spec in params])
        SCHEDULES.register(LR, *params, family="transformers", check=check, factor=factor)(schedule)
        register_lambda_part(name)
        return factor

    return decorate


@_register(WARMUP)
def constant_schedule_with_warmup_factor(step: Any, num_warmup_steps: int = 100, **_: Any) -> np.ndarray:
    """transformers get_constant_schedule_with_warmup: a linear warmup from 0, then the optimizer's lr."""
    s = _steps(step)
    return np.where(s < num_warmup_steps, s / float(max(1.0, num_warmup_steps)), 1.0)


@_register(WARMUP, TRAINING)
def linear_schedule_with_warmup_factor(step: Any, num_warmup_steps: int = 100, num_training_steps: int = 1000,
                                       **_: Any) -> np.ndarray:
    """transformers get_linear_schedule_with_warmup: warm up linearly, then down linearly to 0 at the end."""
    s = _steps(step)
    decay = np.maximum(0.0, (num_training_steps - s) / float(max(1, num_training_steps - num_warmup_steps)))
    return np.where(s < num_warmup_steps, _warmup(s, num_warmup_steps), decay)


def _progress(s: np.ndarray, num_warmup_steps: int, num_training_steps: int) -> np.ndarray:
    return (s - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))


@_register(WARMUP, TRAINING, CYCLES)
def cosine_schedule_with_warmup_factor(step: Any, num_warmup_steps: int = 100, num_training_steps: int = 1000,
                                       num_cycles: float = 0.5, **_: Any) -> np.ndarray:
    """transformers get_cosine_schedule_with_warmup: warm up linearly, then a cosine (num_cycles waves)."""
    s = _steps(step)
    progress = _progress(s, num_warmup_steps, num_training_steps)
    decay = np.maximum(0.0, 0.5 * (1.0 + np.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return np.where(s < num_warmup_steps, _warmup(s, num_warmup_steps), decay)


@_register(WARMUP, TRAINING, _count("num_cycles", 1, "hard restarts: cosines from 1 to 0, back to 1", low=1))
def cosine_with_hard_restarts_schedule_with_warmup_factor(
        step: Any, num_warmup_steps: int = 100, num_training_steps: int = 1000, num_cycles: int = 1,
        **_: Any) -> np.ndarray:
    """transformers get_cosine_with_hard_restarts_schedule_with_warmup: num_cycles cosines, 0 after the end."""
    s = _steps(step)
    progress = _progress(s, num_warmup_steps, num_training_steps)
    decay = np.maximum(0.0, 0.5 * (1.0 + np.cos(math.pi * np.mod(float(num_cycles) * progress, 1.0))))
    decay = np.where(progress >= 1.0, 0.0, decay)
    return np.where(s < num_warmup_steps, _warmup(s, num_warmup_steps), decay)


def _check_polynomial(params: dict[str, Any]) -> None:
    if not params["lr"] > params["lr_end"]:
        raise ParamError(f"bad lr_end {params['lr_end']:g}: it must be smaller than the initial lr "
                         f"{params['lr']:g} (transformers)")


@_register(WARMUP, TRAINING,
           ParamSpec("lr_end", "float", 1e-7, low=0.0, scale="log", help="the rate reached at num_training_steps"),
           ParamSpec("power", "float", 1.0, low=0.0, low_open=True, step=0.25, help="1 is linear"),
           check=_check_polynomial)
def polynomial_decay_schedule_with_warmup_factor(
        step: Any, lr: float = 0.1, num_warmup_steps: int = 100, num_training_steps: int = 1000,
        lr_end: float = 1e-7, power: float = 1.0, **_: Any) -> np.ndarray:
    """transformers get_polynomial_decay_schedule_with_warmup: from the optimizer's lr down to lr_end."""
    s = _steps(step)
    decay_steps = num_training_steps - num_warmup_steps
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_remaining = 1 - (s - num_warmup_steps) / decay_steps if decay_steps else np.full(s.shape, np.nan)
        decay = ((lr - lr_end) * pct_remaining**power + lr_end) / lr
    after = np.where(s > num_training_steps, lr_end / lr, decay)
    return np.where(s < num_warmup_steps, _warmup(s, num_warmup_steps), after)


@_register(_count("num_warmup_steps", 100, "steps of the linear warmup from 0"),
           _count("timescale", None, "decay time scale (none: num_warmup_steps, or 10000 without warmup)", low=1,
                  optional=True))
def inverse_sqrt_schedule_factor(step: Any, num_warmup_steps: int = 100, timescale: int | None = None,
                                 **_: Any) -> np.ndarray:
    """transformers get_inverse_sqrt_schedule: warm up linearly, then 1/sqrt((step + shift) / timescale)."""
    s = _steps(step)
    scale = timescale if timescale is not None else (num_warmup_steps or 10_000)
    shift = scale - num_warmup_steps
    with np.errstate(divide="ignore", invalid="ignore"):
        decay = 1.0 / np.sqrt((s + shift) / scale)
    return np.where(s < num_warmup_steps, _warmup(s, num_warmup_steps), decay)


_SHAPES = ("linear", "cosine", "1-sqrt")


def _check_wsd(params: dict[str, Any]) -> None:
    if params["num_training_steps"] is None and params["num_stable_steps"] is None:
        raise ParamError("bad wsd_schedule: either num_training_steps or num_stable_steps must be given "
                         "(transformers)")


@_register(_count("num_warmup_steps", 100, "steps of the warmup"),
           _count("num_decay_steps", 200, "steps of the decay"),
           _count("num_training_steps", 1000, "total steps; the stable phase is what warmup and decay leave",
                  optional=True),
           _count("num_stable_steps", None, "steps at the full rate (wins over num_training_steps)", optional=True),
           ParamSpec("warmup_type", "choice", "linear", choices=_SHAPES, help="shape of the warmup"),
           ParamSpec("decay_type", "choice", "cosine", choices=_SHAPES, help="shape of the decay"),
           ParamSpec("min_lr_ratio", "float", 0.0, low=0.0, high=1.0, step=0.05,
                     help="floor of the rate, as a fraction of lr (warmup starts there too)"),
           CYCLES, check=_check_wsd)
def wsd_schedule_factor(step: Any, num_warmup_steps: int = 100, num_decay_steps: int = 200,
                        num_training_steps: int | None = 1000, num_stable_steps: int | None = None,
                        warmup_type: str = "linear", decay_type: str = "cosine", min_lr_ratio: float = 0.0,
                        num_cycles: float = 0.5, **_: Any) -> np.ndarray:
    """transformers get_wsd_schedule: warmup, a stable phase at lr, then a decay to min_lr_ratio (WSD)."""
    s = _steps(step)
    if num_stable_steps is None:
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps  # type: ignore[operator]
    with np.errstate(invalid="ignore"):
        progress = s / float(max(1, num_warmup_steps))
        warm = {"linear": progress, "cosine": 0.5 * (1.0 - np.cos(math.pi * progress)),
                "1-sqrt": 1.0 - np.sqrt(1.0 - progress)}[warmup_type]
        warm = np.maximum(0.0, warm * (1.0 - min_lr_ratio) + min_lr_ratio)
        progress = (s - num_warmup_steps - num_stable_steps) / float(max(1, num_decay_steps))
        decay = {"linear": 1.0 - progress, "cosine": 0.5 * (1.0 + np.cos(math.pi * float(num_cycles) * 2.0 * progress)),
                 "1-sqrt": 1.0 - np.sqrt(progress)}[decay_type]
        decay = np.maximum(0.0, decay * (1.0 - min_lr_ratio) + min_lr_ratio)
    stable_end = num_warmup_steps + num_stable_steps
    return np.select([s < num_warmup_steps, s < stable_end, s < stable_end + num_decay_steps],
                     [warm, np.ones_like(s), decay], float(min_lr_ratio))


def _check_min_lr(params: dict[str, Any]) -> None:
    if (params["min_lr"] is None) == (params["min_lr_rate"] is None):
        raise ParamError("bad cosine_with_min_lr_schedule_with_warmup: give exactly one of min_lr and min_lr_rate "
                         "(transformers)")


@_register(WARMUP, TRAINING, CYCLES,
           ParamSpec("min_lr", "float", None, low=0.0, optional=True, scale="log", help="the floor of the rate"),
           ParamSpec("min_lr_rate", "float", 0.1, low=0.0, optional=True, step=0.05,
                     help="the floor as a fraction of lr (give this or min_lr)"),
           check=_check_min_lr)
def cosine_with_min_lr_schedule_with_warmup_factor(
        step: Any, lr: float = 0.1, num_warmup_steps: int = 100, num_training_steps: int = 1000,
        num_cycles: float = 0.5, min_lr: float | None = None, min_lr_rate: float | None = 0.1,
        **_: Any) -> np.ndarray:
    """transformers get_cosine_with_min_lr_schedule_with_warmup: the cosine decays to a floor, not to 0."""
    s = _steps(step)
    rate = min_lr / lr if min_lr is not None else min_lr_rate
    progress = _progress(s, num_warmup_steps, num_training_steps)
    factor = 0.5 * (1.0 + np.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = np.maximum(0, factor * (1 - rate) + rate)
    return np.where(s < num_warmup_steps, _warmup(s, num_warmup_steps), factor)


# --------------------------------------------------------------------------------------- timm
def _per_step(step: Any, rate: Any) -> np.ndarray:
    """rate(t) (a scalar Python function, NaN where it raises) at every step, computed once per distinct step."""
    s = np.asarray(step)
    distinct, inverse = np.unique(s, return_inverse=True)
    values = np.empty(len(distinct))
    for i, t in enumerate(distinct.tolist()):
        try:
            values[i] = rate(t)
        except (ValueError, ZeroDivisionError, OverflowError):
            values[i] = np.nan
    return values[inverse].reshape(s.shape)


_T_IN_EPOCHS = ParamSpec("t_in_epochs", "bool", True,
                         help="t counts epochs (scheduler.step(epoch)); false: updates (step_update(num_updates))")
_WARMUP_T = _count("warmup_t", 0, "steps of the linear warmup")
_WARMUP_INIT = ParamSpec("warmup_lr_init", "float", 0.0, low=0.0, scale="log", help="the rate the warmup starts at")


@SCHEDULES.register(
    LR,
    _count("t_initial", 1000, "length of the first cosine period", low=1),
    ParamSpec("lr_min", "float", 0.0, low=0.0, scale="log", help="the rate at the end of each period"),
    ParamSpec("cycle_mul", "float", 1.0, low=0.0, low_open=True, step=0.5,
              help="each period is cycle_mul times longer"),
    ParamSpec("cycle_decay", "float", 1.0, low=0.0, step=0.05, help="each period's peak is cycle_decay times lower"),
    _count("cycle_limit", 1, "periods before the rate stays at lr_min", low=1),
    _WARMUP_T, _WARMUP_INIT,
    ParamSpec("warmup_prefix", "bool", False, help="the cosine starts after the warmup (else the warmup eats into it)"),
    _T_IN_EPOCHS,
    ParamSpec("k_decay", "float", 1.0, low=0.0, low_open=True, step=0.25, help="the cosine of t^k / T^k"),
    family="timm",
)
def cosine_lr_scheduler(step: Any, lr: float, t_initial: int = 1000, lr_min: float = 0.0, cycle_mul: float = 1.0,
                        cycle_decay: float = 1.0, cycle_limit: int = 1, warmup_t: int = 0, warmup_lr_init: float = 0.0,
                        warmup_prefix: bool = False, t_in_epochs: bool = True, k_decay: float = 1.0) -> np.ndarray:
    """timm CosineLRScheduler (SGDR with warmup): cosine periods, longer by cycle_mul, lower by cycle_decay."""
    warmup_step = (lr - warmup_lr_init) / warmup_t if warmup_t else 1

    def rate(t: int) -> float:  # timm's _get_lr
        if t < warmup_t:
            return warmup_lr_init + t * warmup_step
        if warmup_prefix:
            t = t - warmup_t
        if cycle_mul != 1:
            i = math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))
            t_i = cycle_mul**i * t_initial
            t_curr = t - (1 - cycle_mul**i) / (1 - cycle_mul) * t_initial
        else:
            i = t // t_initial
            t_i = t_initial
            t_curr = t - (t_initial * i)
        lr_max = lr * cycle_decay**i
        if i < cycle_limit:
            return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * t_curr**k_decay / t_i**k_decay))
        return lr_min

    return _per_step(step, rate)


@SCHEDULES.register(
    LR,
    ParamSpec("decay_t", "float", 300.0, low=0.0, low_open=True, scale="log", help="steps between decays"),
    ParamSpec("decay_rate", "float", 1.0, low=0.0, scale="log", help="factor per decay_t (timm's default 1: none)"),
    _WARMUP_T, _WARMUP_INIT,
    ParamSpec("warmup_prefix", "bool", True, help="the decay counts from the warmup's end (else from 0)"),
    _T_IN_EPOCHS,
    family="timm",
)
def step_lr_scheduler(step: Any, lr: float, decay_t: float = 300.0, decay_rate: float = 1.0, warmup_t: int = 0,
                      warmup_lr_init: float = 0.0, warmup_prefix: bool = True, t_in_epochs: bool = True) -> np.ndarray:
    """timm StepLRScheduler: lr * decay_rate^(t // decay_t), after a linear warmup."""
    warmup_step = (lr - warmup_lr_init) / warmup_t if warmup_t else 1

    def rate(t: int) -> float:
        if t < warmup_t:
            return warmup_lr_init + t * warmup_step
        if warmup_prefix:
            t = t - warmup_t
        return lr * (decay_rate ** (t // decay_t))

    return _per_step(step, rate)
