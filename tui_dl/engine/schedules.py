"""Learning-rate schedules of Keras 3 and PyTorch, as pure functions of the step.

Every schedule takes an integer step array of any shape first (Keras's optimizer `iterations`,
PyTorch's `last_epoch`, both 0-based) and returns the learning rate at those steps as float64,
with the framework's own parameter names and defaults. They are closed forms, vectorized over
steps: `cosine_decay(np.arange(1000), initial_learning_rate=0.1, decay_steps=1000)`.

PyTorch's schedulers update the rate recursively (lr_t = lr_{t-1} * factor); the closed forms here
equal them to rounding (about 1e-15 relative). Keras computes in float32; these are float64, so
they differ from Keras by float32 rounding (about 1e-7 relative).

`reduce_lr_on_plateau` is the exception: it reacts to a monitored metric, so it is a small state
machine (`PlateauState`, `plateau_step`) batched over runs, and the schedule function drives it
along a metric sequence.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

import numpy as np

from tui_dl.params import Catalog, ParamError, ParamSpec, count

SCHEDULES = Catalog("schedule")


# ----------------------------------------------------------------------------- specs
def _rate(name: str, default: float, text: str, *, zero: bool = False) -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, low_open=not zero, scale="log", help=text)


def _count(name: str, default: int, text: str, *, low: int = 1) -> ParamSpec:
    return ParamSpec(name, "int", default, low=low, high=10**9, scale="log", help=text)


def _fraction(name: str, default: float, text: str, **bounds: Any) -> ParamSpec:
    return ParamSpec(name, "float", default, low=bounds.get("low", 0.0), high=bounds.get("high", 1.0),
                     low_open=bounds.get("low_open", False), high_open=bounds.get("high_open", False),
                     step=0.05, help=text)


def _flag(name: str, text: str) -> ParamSpec:
    return ParamSpec(name, "bool", False, help=text)


def _steps(step: Any) -> np.ndarray:
    """The step argument as a float64 array (steps are counts, so they must be >= 0)."""
    return np.asarray(step, dtype=np.float64)


# ----------------------------------------------------------------------------- common
@SCHEDULES.register(_rate("learning_rate", 0.01, "the rate, at every step"))
def constant(step: Any, learning_rate: float = 0.01) -> np.ndarray:
    """A constant rate: the baseline every schedule is compared with."""
    return np.full(np.shape(step), float(learning_rate))


@SCHEDULES.register(
    _rate("learning_rate", 0.01, "the rate at step 0"),
    _rate("decay", 1e-3, "Keras 2 optimizers' `decay` argument", zero=True),
    family="keras2",
)
def legacy_decay(step: Any, learning_rate: float = 0.01, decay: float = 1e-3) -> np.ndarray:
    """Keras 2's `decay` optimizer argument: lr / (1 + decay * iterations) (ignored by Keras 3)."""
    return learning_rate / (1.0 + decay * _steps(step))


# ----------------------------------------------------------------------------- Keras
_INITIAL = _rate("initial_learning_rate", 0.1, "the rate at step 0", zero=True)


@SCHEDULES.register(
    _INITIAL,
    _count("decay_steps", 100, "steps over which the rate is multiplied by decay_rate once"),
    _rate("decay_rate", 0.9, "factor per decay_steps"),
    _flag("staircase", "decay in discrete jumps every decay_steps (floor of step/decay_steps)"),
    family="keras",
)
def exponential_decay(
    step: Any, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False
) -> np.ndarray:
    """keras ExponentialDecay: initial * decay_rate^(step / decay_steps)."""
    p = _steps(step) / decay_steps
    if staircase:
        p = np.floor(p)
    return initial_learning_rate * np.power(decay_rate, p)


def _check_piecewise(params: dict[str, Any]) -> None:
    boundaries, values = params["boundaries"], params["values"]
    if len(values) != len(boundaries) + 1:
        raise ParamError(
            f"bad values for piecewise_constant_decay: {count(len(boundaries), 'boundary', 'boundaries')} need "
            f"{count(len(boundaries) + 1, 'value')}, got {len(values)}"
        )
    if any(b >= c for b, c in itertools.pairwise(boundaries)):
        raise ParamError(f"bad boundaries {list(boundaries)}: expected strictly increasing steps")


@SCHEDULES.register(
    ParamSpec("boundaries", "ints", (300, 600), low=0, help="steps where the value changes (increasing)"),
    ParamSpec("values", "floats", (0.1, 0.01, 0.001), low=0.0, help="one more value than boundaries"),
    family="keras",
    check=_check_piecewise,
)
def piecewise_constant_decay(step: Any, boundaries: Any, values: Any) -> np.ndarray:
    """keras PiecewiseConstantDecay: values[i] for boundaries[i-1] < step <= boundaries[i]."""
    index = np.searchsorted(np.asarray(boundaries, dtype=np.float64), _steps(step), side="left")
    return np.asarray(values, dtype=np.float64)[index]


@SCHEDULES.register(
    _INITIAL,
    _count("decay_steps", 1000, "steps to go from the initial to the end rate"),
    _rate("end_learning_rate", 1e-4, "the rate reached at decay_steps", zero=True),
    ParamSpec("power", "float", 1.0, low=0.0, low_open=True, step=0.25, help="1 is linear"),
    _flag("cycle", "restart the decay, stretched to the next multiple of decay_steps"),
    family="keras",
)
def polynomial_decay(
    step: Any,
    initial_learning_rate: float,
    decay_steps: int,
    end_learning_rate: float = 1e-4,
    power: float = 1.0,
    cycle: bool = False,
) -> np.ndarray:
    """keras PolynomialDecay: (initial - end) * (1 - step/decay_steps)^power + end."""
    s = _steps(step)
    if cycle:
        multiplier = np.where(s == 0, 1.0, np.ceil(s / decay_steps))
        horizon = decay_steps * multiplier
    else:
        s = np.minimum(s, decay_steps)
        horizon = float(decay_steps)
    return (initial_learning_rate - end_learning_rate) * np.power(1.0 - s / horizon, power) + end_learning_rate


@SCHEDULES.register(
    _INITIAL,
    _count("decay_steps", 100, "steps per unit of decay"),
    _rate("decay_rate", 0.5, "how fast 1/t decays", zero=True),
    _flag("staircase", "decay in discrete jumps every decay_steps"),
    family="keras",
)
def inverse_time_decay(
    step: Any, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False
) -> np.ndarray:
    """keras InverseTimeDecay: initial / (1 + decay_rate * step / decay_steps)."""
    p = _steps(step) / decay_steps
    if staircase:
        p = np.floor(p)
    return initial_learning_rate / (1.0 + decay_rate * p)


def _half_cosine(fraction: np.ndarray, alpha: float) -> np.ndarray:
    """Keras's decay multiplier: (1 - alpha) * (1 + cos(pi * fraction)) / 2 + alpha."""
    return (1.0 - alpha) * 0.5 * (1.0 + np.cos(np.pi * fraction)) + alpha


@SCHEDULES.register(
    _INITIAL,
    _count("decay_steps", 1000, "steps of the cosine decay (after the warmup)"),
    _fraction("alpha", 0.0, "final rate as a fraction of the decay's start rate"),
    ParamSpec("warmup_target", "float", None, low=0.0, optional=True, scale="log",
              help="rate reached after a linear warmup from the initial rate (none: no warmup)"),
    _count("warmup_steps", 0, "steps of the linear warmup", low=0),
    family="keras",
)
def cosine_decay(
    step: Any,
    initial_learning_rate: float,
    decay_steps: int,
    alpha: float = 0.0,
    warmup_target: float | None = None,
    warmup_steps: int = 0,
) -> np.ndarray:
    """keras CosineDecay: half a cosine from the (warmup target) rate down to alpha times it."""
    s = _steps(step)
    if warmup_target is None:
        return initial_learning_rate * _half_cosine(np.minimum(s, decay_steps) / decay_steps, alpha)
    s = np.minimum(s, decay_steps + warmup_steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        warm = initial_learning_rate + (warmup_target - initial_learning_rate) * (s / warmup_steps)
    decay = warmup_target * _half_cosine((s - warmup_steps) / decay_steps, alpha)
    return np.where(s < warmup_steps, warm, decay)


def _geometric_restart(fraction: np.ndarray, t_mul: float) -> np.ndarray:
    """The index i of the period holding `fraction` when period i lasts t_mul^i first periods.

    Keras takes floor(log(1 - f (1 - t_mul)) / log t_mul); that logarithm lands a hair below an
    integer at some restart steps, so the floor is corrected with the exact period boundaries.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        i = np.floor(np.log1p(fraction * (t_mul - 1.0)) / math.log(t_mul))
    starts = lambda k: (1.0 - t_mul**k) / (1.0 - t_mul)  # noqa: E731 - start of period k
    i = np.where(starts(i + 1) <= fraction, i + 1, i)
    return np.where(starts(i) > fraction, i - 1, i)


@SCHEDULES.register(
    _INITIAL,
    _count("first_decay_steps", 100, "length of the first cosine period"),
    ParamSpec("t_mul", "float", 2.0, low=1.0, step=0.5, help="each period is t_mul times longer"),
    _fraction("m_mul", 1.0, "each restart starts m_mul times lower"),
    _fraction("alpha", 0.0, "floor of the rate, as a fraction of the initial rate (not scaled by m_mul)"),
    family="keras",
)
def cosine_decay_restarts(
    step: Any,
    initial_learning_rate: float,
    first_decay_steps: int,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
) -> np.ndarray:
    """keras CosineDecayRestarts (SGDR): cosine periods growing by t_mul, peaks shrinking by m_mul."""
    fraction = _steps(step) / first_decay_steps
    if t_mul == 1.0:
        restart = np.floor(fraction)
        fraction = fraction - restart
    else:
        restart = _geometric_restart(fraction, t_mul)
        fraction = (fraction - (1.0 - t_mul**restart) / (1.0 - t_mul)) / t_mul**restart
    cosine = 0.5 * m_mul**restart * (1.0 + np.cos(np.pi * fraction))
    return initial_learning_rate * ((1.0 - alpha) * cosine + alpha)


# ----------------------------------------------------------------------------- PyTorch
_LR = _rate("lr", 0.1, "the optimizer's base learning rate")
_GAMMA = ParamSpec("gamma", "float", 0.1, low=0.0, high=1.0, low_open=True, scale="log",
                   help="multiplicative factor of each decay")


@SCHEDULES.register(_LR, _count("step_size", 300, "epochs between decays"), _GAMMA, family="pytorch")
def step_lr(step: Any, lr: float, step_size: int, gamma: float = 0.1) -> np.ndarray:
    """torch StepLR: lr * gamma^floor(epoch / step_size)."""
    return lr * np.power(gamma, np.floor(_steps(step) / step_size))


@SCHEDULES.register(
    _LR,
    ParamSpec("milestones", "ints", (300, 600), low=1, help="epochs where the rate is multiplied by gamma"),
    _GAMMA,
    family="pytorch",
)
def multi_step_lr(step: Any, lr: float, milestones: Any, gamma: float = 0.1) -> np.ndarray:
    """torch MultiStepLR: lr * gamma^(number of milestones <= epoch); a repeated milestone counts twice."""
    passed = np.searchsorted(np.sort(np.asarray(milestones, dtype=np.float64)), _steps(step), side="right")
    return lr * np.power(gamma, passed)


@SCHEDULES.register(
    _LR,
    _fraction("factor", 1.0 / 3.0, "multiplier of the rate until total_iters"),
    _count("total_iters", 5, "epochs at the reduced rate"),
    family="pytorch",
)
def constant_lr(step: Any, lr: float, factor: float = 1.0 / 3.0, total_iters: int = 5) -> np.ndarray:
    """torch ConstantLR: lr * factor until total_iters, then lr (a crude warmup)."""
    return lr * np.where(_steps(step) < total_iters, factor, 1.0)


@SCHEDULES.register(
    _LR,
    _fraction("start_factor", 1.0 / 3.0, "multiplier at epoch 0", low_open=True),
    _fraction("end_factor", 1.0, "multiplier from total_iters on"),
    _count("total_iters", 5, "epochs of the linear ramp"),
    family="pytorch",
)
def linear_lr(
    step: Any, lr: float, start_factor: float = 1.0 / 3.0, end_factor: float = 1.0, total_iters: int = 5
) -> np.ndarray:
    """torch LinearLR: the multiplier moves linearly from start_factor to end_factor (warmup or decay)."""
    done = np.minimum(_steps(step), total_iters) / total_iters
    return lr * (start_factor + (end_factor - start_factor) * done)


@SCHEDULES.register(
    _LR,
    ParamSpec("gamma", "float", 0.995, low=0.0, high=1.0, low_open=True, scale="log", help="factor per epoch"),
    family="pytorch",
)
def exponential_lr(step: Any, lr: float, gamma: float) -> np.ndarray:
    """torch ExponentialLR: lr * gamma^epoch."""
    return lr * np.power(gamma, _steps(step))


@SCHEDULES.register(
    _LR,
    _count("total_iters", 5, "epochs until the rate reaches 0"),
    ParamSpec("power", "float", 1.0, low=0.0, low_open=True, step=0.25, help="1 is linear"),
    family="pytorch",
)
def polynomial_lr(step: Any, lr: float, total_iters: int = 5, power: float = 1.0) -> np.ndarray:
    """torch PolynomialLR: lr * (1 - min(epoch, total_iters) / total_iters)^power."""
    return lr * np.power(1.0 - np.minimum(_steps(step), total_iters) / total_iters, power)


_ETA_MIN = _rate("eta_min", 0.0, "lowest rate", zero=True)


@SCHEDULES.register(
    _LR, _count("T_max", 1000, "epochs of half a cosine period"), _ETA_MIN, family="pytorch"
)
def cosine_annealing_lr(step: Any, lr: float, T_max: int, eta_min: float = 0.0) -> np.ndarray:  # noqa: N803
    """torch CosineAnnealingLR: a cosine from lr down to eta_min over T_max; it climbs back after."""
    return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * _steps(step) / T_max)) / 2.0


@SCHEDULES.register(
    _LR,
    _count("T_0", 100, "epochs of the first period"),
    ParamSpec("T_mult", "int", 1, low=1, high=10, help="each period is T_mult times longer (an integer)"),
    _ETA_MIN,
    family="pytorch",
)
def cosine_annealing_warm_restarts(
    step: Any, lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0  # noqa: N803
) -> np.ndarray:
    """torch CosineAnnealingWarmRestarts (SGDR): the cosine restarts at full lr after each period."""
    s = _steps(step)
    if T_mult == 1:
        t_cur, t_i = np.mod(s, T_0), float(T_0)
    else:
        largest = float(np.max(s, initial=0.0))
        starts, length = [0.0], float(T_0)
        while starts[-1] <= largest:  # one entry per restart, not per step
            starts.append(starts[-1] + length)
            length *= T_mult
        period = np.searchsorted(np.asarray(starts), s, side="right") - 1
        t_cur, t_i = s - np.asarray(starts)[period], T_0 * np.power(float(T_mult), period)
    return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * t_cur / t_i)) / 2.0


@SCHEDULES.register(
    _rate("base_lr", 0.001, "lower bound of the cycle", zero=True),
    _rate("max_lr", 0.1, "upper bound of the cycle"),
    _count("step_size_up", 2000, "iterations of the rising half"),
    ParamSpec("step_size_down", "int", None, low=1, high=10**9, optional=True, scale="log",
              help="iterations of the falling half (none: step_size_up)"),
    ParamSpec("mode", "choice", "triangular", choices=("triangular", "triangular2", "exp_range"),
              help="triangular2 halves the amplitude every cycle; exp_range scales it by gamma^iteration"),
    ParamSpec("gamma", "float", 1.0, low=0.0, high=1.0, low_open=True, scale="log",
              help="exp_range's factor per iteration"),
    ParamSpec("cycle_momentum", "bool", True,
              help="cycle the optimizer's momentum (Adam: beta1) inversely, between max and base_momentum"),
    _fraction("base_momentum", 0.8, "momentum at the rate's peak"),
    _fraction("max_momentum", 0.9, "momentum at base_lr (set at the start)"),
    family="pytorch",
    momentum=lambda step, **p: cyclic_momentum(step, **p),
)
def cyclic_lr(
    step: Any,
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
) -> np.ndarray:
    """torch CyclicLR: triangles between base_lr and max_lr (Smith 2017)."""
    scale_factor, amplitude = _cyclic_shape(step, step_size_up, step_size_down, mode, gamma)
    return base_lr + (max_lr - base_lr) * scale_factor * amplitude


def _cyclic_shape(step: Any, step_size_up: int, step_size_down: int | None, mode: str, gamma: float):
    """CyclicLR's place in the triangle (scale_factor) and its amplitude (scale_fn) at each step."""
    s = _steps(step)
    down = float(step_size_up if step_size_down is None else step_size_down)
    total = float(step_size_up) + down
    ratio = step_size_up / total
    cycle = np.floor(1.0 + s / total)
    x = 1.0 + s / total - cycle
    scale_factor = np.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))
    if mode == "triangular":
        amplitude: Any = 1.0
    elif mode == "triangular2":
        amplitude = 1.0 / 2.0 ** (cycle - 1.0)
    else:
        amplitude = np.power(gamma, s)
    return scale_factor, amplitude


def cyclic_momentum(step: Any, step_size_up: int = 2000, step_size_down: int | None = None, mode: str = "triangular",
                    gamma: float = 1.0, cycle_momentum: bool = True, base_momentum: float = 0.8,
                    max_momentum: float = 0.9, **_: Any) -> np.ndarray | None:
    """The momentum (or Adam's beta1) CyclicLR sets at each step: max_momentum - (max - base) * shape; None when off."""
    if not cycle_momentum:
        return None
    scale_factor, amplitude = _cyclic_shape(step, step_size_up, step_size_down, mode, gamma)
    return max_momentum - (max_momentum - base_momentum) * scale_factor * amplitude


def one_cycle_total(total_steps: int | None, epochs: int | None, steps_per_epoch: int | None) -> int:
    """OneCycleLR's cycle length: total_steps when given (torch then ignores the other form), else
    epochs * steps_per_epoch; ParamError with torch's words when neither form is complete."""
    if total_steps is not None:
        return total_steps
    if epochs is not None and steps_per_epoch is not None:
        return epochs * steps_per_epoch
    raise ParamError("bad one_cycle_lr: you must define either total_steps OR (epochs AND steps_per_epoch) (torch)")


def _check_one_cycle(params: dict[str, Any]) -> None:
    total = one_cycle_total(params["total_steps"], params["epochs"], params["steps_per_epoch"])
    phase_end = params["pct_start"] * total - 1
    if phase_end <= 0 or (params["three_phase"] and 2 * phase_end >= total - 1):
        raise ParamError(
            f"bad pct_start {params['pct_start']:g} for total_steps {total}: "
            "the warmup phase must last more than one step and leave room for the decay"
        )


@SCHEDULES.register(
    _rate("max_lr", 0.1, "peak rate"),
    ParamSpec("total_steps", "int", 1000, low=2, high=10**9, optional=True, scale="log",
              help="length of the cycle (none: epochs * steps_per_epoch); PyTorch raises after it (a gap)"),
    ParamSpec("epochs", "int", None, low=1, high=10**9, optional=True, scale="log",
              help="with steps_per_epoch, the cycle's length when total_steps is none"),
    ParamSpec("steps_per_epoch", "int", None, low=1, high=10**9, optional=True, scale="log",
              help="with epochs, the cycle's length when total_steps is none"),
    _fraction("pct_start", 0.3, "fraction of the cycle spent increasing the rate", low_open=True,
              high_open=True),
    ParamSpec("anneal_strategy", "choice", "cos", choices=("cos", "linear"), help="shape of each phase"),
    ParamSpec("cycle_momentum", "bool", True,
              help="cycle the optimizer's momentum (Adam: beta1) inversely, between max and base_momentum"),
    _fraction("base_momentum", 0.85, "momentum at the rate's peak"),
    _fraction("max_momentum", 0.95, "momentum at the start and the end"),
    ParamSpec("div_factor", "float", 25.0, low=1.0, scale="log", help="initial rate = max_lr / div_factor"),
    ParamSpec("final_div_factor", "float", 1e4, low=1.0, scale="log",
              help="final rate = initial rate / final_div_factor"),
    _flag("three_phase", "go back down to the initial rate before annealing (fastai's original)"),
    family="pytorch",
    check=_check_one_cycle,
    momentum=lambda step, **p: one_cycle_momentum(step, **p),
)
def one_cycle_lr(
    step: Any,
    max_lr: float,
    total_steps: int | None = 1000,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> np.ndarray:
    """torch OneCycleLR: warm up to max_lr, then anneal far below the start (Smith's 1cycle policy)."""
    initial = max_lr / div_factor
    final = initial / final_div_factor
    if three_phase:
        values = [(initial, max_lr), (max_lr, initial), (initial, final)]
    else:
        values = [(initial, max_lr), (max_lr, final)]
    total = one_cycle_total(total_steps, epochs, steps_per_epoch)
    return _one_cycle_anneal(step, total, pct_start, anneal_strategy, three_phase, values)


def _one_cycle_anneal(step: Any, total_steps: int, pct_start: float, anneal_strategy: str, three_phase: bool,
                      values: list[tuple[float, float]]) -> np.ndarray:
    """OneCycleLR's phases, each annealing from its start to its end value (rates or momenta)."""
    s = _steps(step)
    up_end = float(pct_start * total_steps) - 1
    if three_phase:
        ends = np.array([up_end, float(2 * pct_start * total_steps) - 2, total_steps - 1])
    else:
        ends = np.array([up_end, total_steps - 1])
    starts = np.concatenate([[0.0], ends[:-1]])
    phase = np.searchsorted(ends[:-1], s, side="left")  # the first phase whose end is >= step
    pct = (s - starts[phase]) / (ends[phase] - starts[phase])
    start_value = np.array([start for start, _ in values])[phase]
    end_value = np.array([end for _, end in values])[phase]
    if anneal_strategy == "cos":
        rates = end_value + (start_value - end_value) / 2.0 * (np.cos(np.pi * pct) + 1.0)
    else:
        rates = (end_value - start_value) * pct + start_value
    return np.where(s <= total_steps, rates, np.nan)


def one_cycle_momentum(step: Any, total_steps: int | None = 1000, epochs: int | None = None,
                       steps_per_epoch: int | None = None, pct_start: float = 0.3, anneal_strategy: str = "cos",
                       cycle_momentum: bool = True, base_momentum: float = 0.85, max_momentum: float = 0.95,
                       three_phase: bool = False, **_: Any) -> np.ndarray | None:
    """The momentum (or Adam's beta1) OneCycleLR sets at each step, inverse to the rate; None when off."""
    if not cycle_momentum:
        return None
    if three_phase:
        values = [(max_momentum, base_momentum), (base_momentum, max_momentum), (max_momentum, max_momentum)]
    else:
        values = [(max_momentum, base_momentum), (base_momentum, max_momentum)]
    total = one_cycle_total(total_steps, epochs, steps_per_epoch)
    return _one_cycle_anneal(step, total, pct_start, anneal_strategy, three_phase, values)


def schedule_momentum(name: str, step: Any, params: dict[str, Any]) -> np.ndarray | None:
    """The momentum a schedule sets at each step (CyclicLR's and OneCycleLR's cycle_momentum), or None."""
    momentum = SCHEDULES[name].meta.get("momentum")
    return None if momentum is None else momentum(step, **params)


# ----------------------------------------------------------------- reduce on plateau
class PlateauState(NamedTuple):
    """State of ReduceLROnPlateau for R runs, all arrays of shape (R,)."""

    lr: np.ndarray
    best: np.ndarray
    num_bad_epochs: np.ndarray
    cooldown_counter: np.ndarray


def plateau_init(lr: Any, mode: str = "min") -> PlateauState:
    """Fresh state for rates lr (an (R,) array or a scalar for one run)."""
    rates = np.atleast_1d(np.asarray(lr, dtype=np.float64)).copy()
    worst = np.inf if mode == "min" else -np.inf
    zeros = np.zeros(rates.shape, dtype=np.int64)
    return PlateauState(rates, np.full(rates.shape, worst), zeros, zeros.copy())


def _is_better(current: np.ndarray, best: np.ndarray, mode: str, threshold: float, threshold_mode: str):
    if mode == "min":
        bar = best * (1.0 - threshold) if threshold_mode == "rel" else best - threshold
        return current < bar
    bar = best * (threshold + 1.0) if threshold_mode == "rel" else best + threshold
    return current > bar


def plateau_step(
    state: PlateauState,
    metric: Any,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> PlateauState:
    """One `scheduler.step(metric)` of torch ReduceLROnPlateau for every run at once.

    A NaN metric is never better, so it counts as a bad epoch (as in PyTorch).
    """
    current = np.broadcast_to(np.asarray(metric, dtype=np.float64), state.lr.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        better = _is_better(current, state.best, mode, threshold, threshold_mode)
    best = np.where(better, current, state.best)
    bad = np.where(better, 0, state.num_bad_epochs + 1)
    in_cooldown = state.cooldown_counter > 0
    cooldown_counter = np.where(in_cooldown, state.cooldown_counter - 1, state.cooldown_counter)
    bad = np.where(in_cooldown, 0, bad)
    reduce = bad > patience
    new_lr = np.maximum(state.lr * factor, min_lr)
    lr = np.where(reduce & (state.lr - new_lr > eps), new_lr, state.lr)
    cooldown_counter = np.where(reduce, cooldown, cooldown_counter)
    bad = np.where(reduce, 0, bad)
    return PlateauState(lr, best, bad, cooldown_counter)


def demo_plateau_metric(epochs: Any) -> np.ndarray:
    """A loss that flattens out, as printed to 2 decimals: 0.2 + 0.8 exp(-epoch / 150).

    Drives reduce_lr_on_plateau when no metric sequence is given, so its curve can be drawn.
    """
    return np.round(0.2 + 0.8 * np.exp(-_steps(epochs) / 150.0), 2)


@SCHEDULES.register(
    _LR,
    ParamSpec("mode", "choice", "min", choices=("min", "max"), help="min for a loss, max for an accuracy"),
    ParamSpec("factor", "float", 0.1, low=0.0, high=1.0, low_open=True, high_open=True, scale="log",
              help="new lr = lr * factor"),
    _count("patience", 10, "bad epochs tolerated; it reduces after patience + 1", low=0),
    _rate("threshold", 1e-4, "how much better counts as better", zero=True),
    ParamSpec("threshold_mode", "choice", "rel", choices=("rel", "abs"),
              help="rel: better than best * (1 - threshold); abs: better than best - threshold"),
    _count("cooldown", 0, "epochs to wait after a reduction", low=0),
    _rate("min_lr", 0.0, "lower bound of the rate", zero=True),
    _rate("eps", 1e-8, "a reduction smaller than eps is not applied", zero=True),
    ParamSpec("metrics", "floats", None, optional=True, finite=False,
              help="the monitored value of each epoch (none: a synthetic loss that plateaus); nan is a bad epoch"),
    family="pytorch",
)
def reduce_lr_on_plateau(
    step: Any,
    lr: float,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
    metrics: Any = None,
) -> np.ndarray:
    """torch ReduceLROnPlateau: divide the rate when the metric stops improving.

    The rate at epoch e is the one in effect after `scheduler.step(metrics[k])` for k < e, so epoch
    e needs e metric values. This one is driven by data, so it loops over epochs.
    """
    s = _steps(step).astype(np.int64)
    horizon = int(np.max(s, initial=0))
    sequence = demo_plateau_metric(np.arange(horizon)) if metrics is None else np.asarray(metrics, float)
    if len(sequence) < horizon:
        raise ParamError(
            f"bad metrics for reduce_lr_on_plateau: epoch {horizon} needs {count(horizon, 'value')}, "
            f"got {len(sequence)}"
        )
    state = plateau_init(lr, mode)
    history = np.empty(horizon + 1)
    history[0] = lr
    for epoch in range(horizon):
        state = plateau_step(state, sequence[epoch], mode, factor, patience, threshold, threshold_mode,
                             cooldown, min_lr, eps)
        history[epoch + 1] = state.lr[0]
    return history[s]


# ------------------------------------------- torch's lambda and composed schedulers, then beyond
from tui_dl.engine import torch_schedulers as _torch  # noqa: E402 - they register into SCHEDULES

SCHEDULES.register(_torch.LR, _torch.lambda_spec("0.995 ** epoch", "the factor of lr at each epoch"),
                   family="pytorch", factor=_torch.lambda_factor)(_torch.lambda_lr)
SCHEDULES.register(_torch.LR, _torch.lambda_spec("0.995", "the rate is multiplied by it at every epoch after 0"),
                   family="pytorch", factor=_torch.lambda_factor)(_torch.multiplicative_lr)
SCHEDULES.register(
    _torch.LR,
    ParamSpec("schedulers", "text", "linear_lr(start_factor=0.1, total_iters=100) + cosine_annealing_lr(T_max=900)",
              help="the parts in order, joined with +, each NAME(KEY=VALUE, ...); they share lr",
              text_allowed="NAME(KEY=VALUE, ...) + NAME(...): " + ", ".join(_torch.PARTS_HINT)),
    ParamSpec("milestones", "ints", (100,), low=0, help="epochs where the next part starts (one fewer than parts)"),
    family="pytorch", check=_torch.check_sequential,
)(_torch.sequential_lr)
SCHEDULES.register(
    _torch.LR,
    ParamSpec("schedulers", "text", "linear_lr(start_factor=0.1, total_iters=100) + exponential_lr(gamma=0.998)",
              help="the parts, joined with +, each NAME(KEY=VALUE, ...); all step at every epoch",
              text_allowed="NAME(KEY=VALUE, ...) + NAME(...): " + ", ".join(_torch.PARTS_HINT)),
    family="pytorch", check=_torch.check_chained,
)(_torch.chained_scheduler)

from tui_dl.engine import keras_plateau as _keras_plateau  # noqa: E402, F401 - Keras's ReduceLROnPlateau
from tui_dl.engine import practice_schedules as _practice  # noqa: E402, F401 - transformers and timm
