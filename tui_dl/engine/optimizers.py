"""Optimizers of PyTorch and Keras 3 as (init, update) pairs over batched arrays.

Parameters, gradients and states carry a leading runs axis R: a (R, 2) array of points on a
surface, or the (R, P) flat parameter vector of R networks. Every hyperparameter may be a scalar
or an (R,) array, so eight optimizer settings or a sweep of 64 rates advance in one vectorized
step. `update(grads, state, params, lr=None)` returns `(new_params, new_state)` and never mutates
its inputs; `lr` overrides the constructor's rate for this step (a schedule) and may also be (R,).
The optimizers torch's CyclicLR and OneCycleLR can cycle (component meta `cycled_momentum`: SGD and
RMSprop's "momentum", the Adam family's "betas") also take `momentum=`, this step's momentum or beta1
(scalar or (R,)), as those schedulers write it into the param group before each step.

The PyTorch update rules follow `torch/optim/*.py` (the single-tensor path) line by line; the
`keras_*` ones follow `keras/src/optimizers/*.py`, whose epsilon placement, defaults and weight
decay differ (REFERENCE.md). Arithmetic happens in the parameters' dtype.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from tui_dl.params import Catalog, ParamError, ParamSpec

OPTIMIZERS = Catalog("optimizer")


class Optimizer(NamedTuple):
    """An optimizer with its hyperparameters bound.

    Attributes:
        init: params -> the initial state (a NamedTuple of arrays, `count` first).
        update: (grads, state, params, lr=None) -> (new_params, new_state).
        step_size: (state, lr=None) -> the effective per-parameter rate of the last update, the
            factor in front of the (bias-corrected) gradient or momentum: lr / (sqrt(v) + eps) for
            the adaptive methods, lr for SGD. This is the "decay built into Adagrad/RMSprop/Adam".
        evaluation_params: None, or (state, params) -> the weights to evaluate the model at, where
            they are not the ones the gradient is taken at: the schedule-free optimizers train at y
            and are evaluated at their average x (the reference's `optimizer.eval()`).
    """

    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple[np.ndarray, Any]]
    step_size: Callable[..., np.ndarray]
    evaluation_params: Callable[..., np.ndarray] | None = None


# --------------------------------------------------------------------------- helpers
def per_run(value: Any, like: np.ndarray, dtype: Any = None) -> Any:
    """A scalar unchanged, or an (R,) array reshaped to broadcast against like (R, ...)."""
    array = np.asarray(value, dtype=dtype or like.dtype)
    if array.ndim == 0:
        return array[()]
    return array.reshape(array.shape + (1,) * (like.ndim - array.ndim))


def _choose(flag: Any, if_true: np.ndarray, if_false: np.ndarray, like: np.ndarray) -> np.ndarray:
    """if_true where the (scalar or per-run) flag is set, else if_false."""
    if np.ndim(flag) == 0:
        return if_true if flag else if_false
    return np.where(per_run(flag, like, bool), if_true, if_false)


def _has(value: Any) -> bool:
    """Whether a scalar or per-run hyperparameter is non-zero anywhere."""
    return bool(np.any(np.asarray(value) != 0))


def _counts(params: np.ndarray) -> np.ndarray:
    return np.zeros(params.shape[:1], dtype=np.float64)


def _zeros(params: np.ndarray) -> np.ndarray:
    return np.zeros_like(params)


def _lr(default: Any, lr: Any) -> Any:
    return default if lr is None else lr


def _beta1(default: np.ndarray, momentum: Any) -> np.ndarray:
    """beta1 for this step: the bound one, or the one a scheduler set (torch's CyclicLR and OneCycleLR write
    param_group['betas'] = (momentum, beta2) before each step); a scalar or (R,)."""
    return default if momentum is None else np.asarray(momentum, np.float64)


def _torch_weight_decay(grads: np.ndarray, params: np.ndarray, weight_decay: Any, decoupled: Any,
                        rate: Any) -> tuple[np.ndarray, np.ndarray]:
    """(params, g) after torch's weight decay: coupled L2 (g += wd * theta) or, where the (scalar or
    per-run) flag `decoupled` is set, AdamW's theta *= 1 - lr * wd with the gradient unchanged."""
    if not _has(weight_decay):
        return params, grads
    if np.ndim(decoupled) == 0 and not decoupled:
        return params, grads + per_run(weight_decay, params) * params
    decayed = params * (1 - per_run(np.asarray(rate, np.float64) * weight_decay, params))
    if np.ndim(decoupled) == 0:
        return decayed, grads
    coupled = grads + per_run(weight_decay, params) * params
    return _choose(decoupled, decayed, params, params), _choose(decoupled, grads, coupled, params)


def _constant_rate(default: Any) -> Callable[..., np.ndarray]:
    return _constant_rate_of(default, "momentum_buffer")


def _constant_rate_of(default: Any, field: str) -> Callable[..., np.ndarray]:
    """step_size = the rate itself, shaped as the state's field (an array of the parameters' shape)."""

    def step_size(state: Any, lr: Any = None, momentum: Any = None) -> np.ndarray:
        like = getattr(state, field)
        return np.broadcast_to(per_run(_lr(default, lr), like), like.shape)

    return step_size


# --------------------------------------------------------------------------- per-variable layout
Shapes = Sequence[tuple[int, ...]]


class Layout(NamedTuple):
    """Where each variable (a kernel, a bias) of a parameter row lies, for the optimizers that reduce over
    a whole variable (Lamb's norms, Adafactor's RMS and row/column factors)."""

    starts: np.ndarray
    sizes: np.ndarray
    shapes: tuple[tuple[int, ...], ...]


def _layout(params: np.ndarray, shapes: Shapes | None) -> Layout:
    """The variables of a (R, P) row: the given shapes in order, or, without shapes, the whole row as one
    1-D variable (a point on a surface is one parameter vector of 2)."""
    width = params.shape[-1]
    shapes = ((width,),) if shapes is None else tuple(tuple(int(n) for n in shape) for shape in shapes)
    sizes = np.array([int(np.prod(shape)) for shape in shapes], dtype=np.int64)
    if sizes.sum() != width or any(len(shape) not in (1, 2) for shape in shapes):
        raise ParamError(f"variable shapes {list(shapes)} do not lay out a row of {width} parameters in 1-D and 2-D"
                         " variables")
    return Layout(np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes, shapes)


def _per_variable(x: np.ndarray, layout: Layout) -> np.ndarray:
    """(R, V): the sum of x over each variable."""
    return np.add.reduceat(x, layout.starts, axis=-1)


def _spread(values: np.ndarray, layout: Layout) -> np.ndarray:
    """(R, P): each variable's value repeated over its entries."""
    return np.repeat(values, layout.sizes, axis=-1)


def _rms(x: np.ndarray, layout: Layout) -> np.ndarray:
    """(R, V): sqrt(mean(x^2)) over each variable."""
    return np.sqrt(_per_variable(x * x, layout) / layout.sizes.astype(x.dtype))


# --------------------------------------------------------------------------- specs
# Validation follows the frameworks: a value torch or Keras refuses is refused (torch checks lr, eps, momentum,
# weight_decay >= 0 and 0 <= beta < 1 in its constructors), a value they accept is accepted where the update
# stays defined (a rate or an epsilon of 0, SGD's momentum above 1, any dampening), and nan or inf never (the
# finite rule of ParamSpec). Keras validates little: its decay rates keep the interval where its update is
# defined (beta_1 = 1 divides by 1 - beta_1^t = 0; rho above 1 takes the root of a negative average).
def _lr_spec(name: str, default: float) -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, scale="log", help="learning rate")


def _decay_spec(name: str, default: float, text: str) -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, scale="log", help=text)


def _eps_spec(name: str, default: float, text: str = "added to the denominator for stability") -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, scale="log", help=text)


def _beta_spec(name: str, default: float, text: str) -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, high=1.0, high_open=True, step=0.01, help=text)


def _flag(name: str, text: str) -> ParamSpec:
    return ParamSpec(name, "bool", False, help=text)


_MOMENTUM = ParamSpec("momentum", "float", 0.0, low=0.0, step=0.01,
                      help="momentum factor (0: none; torch takes any momentum >= 0, above 1 it diverges)")
_COUPLED_WD = _decay_spec("weight_decay", 0.0, "coupled L2: wd * theta is added to the gradient")
_BETAS = ParamSpec("betas", "floats", (0.9, 0.999), low=0.0, high=1.0, high_open=True, length=2,
                   help="decay rates of the first and second moment averages")
_KERAS_WD = _decay_spec("weight_decay", 0.0, "decoupled: theta -= lr * wd * theta before the update")


# =========================================================================== PyTorch
class SGDState(NamedTuple):
    """torch.optim.SGD state."""

    count: np.ndarray
    momentum_buffer: np.ndarray


def _check_sgd(values: dict[str, Any]) -> None:
    """torch.optim.SGD's own refusal (torch/optim/sgd.py): Nesterov needs momentum and no dampening."""
    if values["nesterov"] and (values["momentum"] <= 0 or values["dampening"] != 0):
        raise ParamError(f"nesterov needs momentum > 0 and dampening 0 (momentum {values['momentum']:g}, dampening "
                         f"{values['dampening']:g}), as torch.optim.SGD: 'Nesterov momentum requires a momentum and "
                         "zero dampening'")


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-3),
    _MOMENTUM,
    ParamSpec("dampening", "float", 0.0, step=0.01,
              help="fraction of the gradient left out of the momentum buffer (torch takes any value)"),
    _flag("nesterov", "Nesterov momentum: step along g + momentum * buffer"),
    _COUPLED_WD,
    family="pytorch",
    check=_check_sgd,
    cycled_momentum="momentum",
)
def sgd(lr: Any = 1e-3, momentum: Any = 0.0, dampening: Any = 0.0, nesterov: Any = False,
        weight_decay: Any = 0.0) -> Optimizer:
    """torch SGD: plain, with (heavy-ball) momentum, or Nesterov momentum.

    update's `momentum` overrides the bound one for that step (a scheduler cycling it, as torch's
    CyclicLR and OneCycleLR write param_group['momentum'] before each step).
    """
    default_lr, default_momentum = lr, momentum

    def init(params: np.ndarray) -> SGDState:
        return SGDState(_counts(params), _zeros(params))

    def update(grads, state, params, lr=None, momentum=None):
        rate = per_run(_lr(default_lr, lr), params)
        g = grads + per_run(weight_decay, params) * params if _has(weight_decay) else grads
        count = state.count + 1
        momentum = _lr(default_momentum, momentum)
        if not _has(momentum):
            return params - rate * g, SGDState(count, state.momentum_buffer)
        mu = per_run(momentum, params)
        first = per_run(count == 1, params, bool)
        buf = np.where(first, g, state.momentum_buffer * mu + (1 - per_run(dampening, params)) * g)
        direction = _choose(nesterov, g + mu * buf, buf, params)
        direction = np.where(mu != 0, direction, g)  # torch ignores the buffer without momentum
        return params - rate * direction, SGDState(count, buf)

    return Optimizer(init, update, _constant_rate(lr))


class AdagradState(NamedTuple):
    """torch.optim.Adagrad state."""

    count: np.ndarray
    sum: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-2),
    _decay_spec("lr_decay", 0.0, "the rate is lr / (1 + (t - 1) * lr_decay)"),
    _COUPLED_WD,
    _decay_spec("initial_accumulator_value", 0.0, "starting value of the sum of squared gradients"),
    _eps_spec("eps", 1e-10, "added to sqrt(sum) for stability"),
    family="pytorch",
)
def adagrad(lr: Any = 1e-2, lr_decay: Any = 0.0, weight_decay: Any = 0.0, initial_accumulator_value: Any = 0.0,
            eps: Any = 1e-10) -> Optimizer:
    """torch Adagrad: per-parameter rates that shrink with the sum of squared gradients."""
    default_lr = lr

    def init(params: np.ndarray) -> AdagradState:
        return AdagradState(_counts(params), np.zeros_like(params) + per_run(initial_accumulator_value, params))

    def clr(count: np.ndarray, lr: Any) -> np.ndarray:
        return np.asarray(_lr(default_lr, lr), np.float64) / (1 + (count - 1) * np.asarray(lr_decay, np.float64))

    def update(grads, state, params, lr=None):
        g = grads + per_run(weight_decay, params) * params if _has(weight_decay) else grads
        count = state.count + 1
        total = state.sum + g * g
        std = np.sqrt(total) + per_run(eps, params)
        return params - per_run(clr(count, lr), params) * g / std, AdagradState(count, total)

    def step_size(state, lr=None):
        rate = per_run(clr(np.maximum(state.count, 1), lr), state.sum)
        return rate / (np.sqrt(state.sum) + per_run(eps, state.sum))

    return Optimizer(init, update, step_size)


class RMSpropState(NamedTuple):
    """torch.optim.RMSprop state."""

    count: np.ndarray
    square_avg: np.ndarray
    grad_avg: np.ndarray
    momentum_buffer: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-2),
    ParamSpec("alpha", "float", 0.99, low=0.0, high=1.0, step=0.01,
              help="decay of the squared-gradient average (1 keeps it at 0; above 1 it can turn negative)"),
    _eps_spec("eps", 1e-8),
    _COUPLED_WD,
    _MOMENTUM,
    _flag("centered", "divide by the variance of the gradient instead of its second moment"),
    family="pytorch",
    cycled_momentum="momentum",
)
def rmsprop(lr: Any = 1e-2, alpha: Any = 0.99, eps: Any = 1e-8, weight_decay: Any = 0.0, momentum: Any = 0.0,
            centered: Any = False) -> Optimizer:
    """torch RMSprop: divide by a running root mean square of the gradient (Hinton's lecture 6e).

    update's `momentum` overrides the bound one for that step (a cycling scheduler, torch/optim/rmsprop.py reads
    group['momentum'] at every step).
    """
    default_lr, default_momentum = lr, momentum

    def init(params: np.ndarray) -> RMSpropState:
        return RMSpropState(_counts(params), _zeros(params), _zeros(params), _zeros(params))

    def denominator(square_avg, grad_avg):
        variance = _choose(centered, square_avg - grad_avg * grad_avg, square_avg, square_avg)
        return np.sqrt(variance) + per_run(eps, square_avg)

    def update(grads, state, params, lr=None, momentum=None):
        momentum = _lr(default_momentum, momentum)
        a = per_run(alpha, params)
        rate = per_run(_lr(default_lr, lr), params)
        g = grads + per_run(weight_decay, params) * params if _has(weight_decay) else grads
        square_avg = state.square_avg * a + (1 - a) * (g * g)
        grad_avg = state.grad_avg + (1 - a) * (g - state.grad_avg) if _has(centered) else state.grad_avg
        avg = denominator(square_avg, grad_avg)
        buf = state.momentum_buffer
        if _has(momentum):
            buf = np.where(per_run(momentum, params) > 0, buf * per_run(momentum, params) + g / avg, buf)
            params = np.where(per_run(momentum, params) > 0, params - rate * buf, params - rate * g / avg)
        else:
            params = params - rate * g / avg
        return params, RMSpropState(state.count + 1, square_avg, grad_avg, buf)

    def step_size(state, lr=None, momentum=None):
        return per_run(_lr(default_lr, lr), state.square_avg) / denominator(state.square_avg, state.grad_avg)

    return Optimizer(init, update, step_size)


class AdamState(NamedTuple):
    """torch.optim.Adam / AdamW state."""

    count: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray


def _adam(lr: Any, betas: Any, eps: Any, weight_decay: Any, amsgrad: Any, decoupled: Any) -> Optimizer:
    default_lr = lr
    default_beta1, beta2 = (np.asarray(b, np.float64) for b in _split_betas(betas))

    def init(params: np.ndarray) -> AdamState:
        return AdamState(_counts(params), _zeros(params), _zeros(params), _zeros(params))

    def denominator(state: AdamState) -> np.ndarray:
        second = _choose(amsgrad, state.max_exp_avg_sq, state.exp_avg_sq, state.exp_avg_sq)
        correction = per_run(np.sqrt(1 - beta2 ** np.maximum(state.count, 1)), second)
        return np.sqrt(second) / correction + per_run(eps, second)

    def update(grads, state, params, lr=None, momentum=None):
        rate = _lr(default_lr, lr)
        beta1 = _beta1(default_beta1, momentum)
        params, g = _torch_weight_decay(grads, params, weight_decay, decoupled, rate)
        count = state.count + 1
        exp_avg = state.exp_avg + per_run(1 - beta1, params) * (g - state.exp_avg)
        exp_avg_sq = state.exp_avg_sq * per_run(beta2, params) + per_run(1 - beta2, params) * (g * g)
        max_sq = np.maximum(state.max_exp_avg_sq, exp_avg_sq) if _has(amsgrad) else state.max_exp_avg_sq
        new_state = AdamState(count, exp_avg, exp_avg_sq, max_sq)
        step = per_run(np.asarray(rate, np.float64) / (1 - beta1**count), params)
        return params - step * exp_avg / denominator(new_state), new_state

    def step_size(state, lr=None, momentum=None):
        beta1 = _beta1(default_beta1, momentum)
        rate = np.asarray(_lr(default_lr, lr), np.float64) / (1 - beta1 ** np.maximum(state.count, 1))
        return per_run(rate, state.exp_avg) / denominator(state)

    return Optimizer(init, update, step_size)


def _split_betas(betas: Any) -> tuple[Any, Any]:
    """(beta1, beta2) from a pair, or from an (R, 2) array of per-run pairs."""
    array = np.asarray(betas, dtype=np.float64)
    return (array[..., 0], array[..., 1])


_DECOUPLED = _flag("decoupled_weight_decay", "apply weight decay as AdamW does: theta *= 1 - lr * wd")


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-3), _BETAS, _eps_spec("eps", 1e-8), _COUPLED_WD,
    _flag("amsgrad", "use the running maximum of the second moment (Reddi et al. 2018)"),
    _DECOUPLED,
    family="pytorch",
    cycled_momentum="betas",
)
def adam(lr: Any = 1e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 0.0,
         amsgrad: Any = False, decoupled_weight_decay: Any = False) -> Optimizer:
    """torch Adam: momentum and RMS scaling with bias correction; weight decay is coupled L2 unless
    decoupled_weight_decay (torch/optim/adam.py; with it, Adam is AdamW)."""
    return _adam(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay)


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-3), _BETAS, _eps_spec("eps", 1e-8),
    _decay_spec("weight_decay", 1e-2, "decoupled: theta *= 1 - lr * wd before the Adam step"),
    _flag("amsgrad", "use the running maximum of the second moment"),
    family="pytorch",
    cycled_momentum="betas",
)
def adamw(lr: Any = 1e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 1e-2,
          amsgrad: Any = False) -> Optimizer:
    """torch AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019)."""
    return _adam(lr, betas, eps, weight_decay, amsgrad, decoupled=True)


class RAdamState(NamedTuple):
    """torch.optim.RAdam state."""

    count: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-3), _BETAS, _eps_spec("eps", 1e-8), _COUPLED_WD, _DECOUPLED, family="pytorch",
    cycled_momentum="betas",
)
def radam(lr: Any = 1e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 0.0,
          decoupled_weight_decay: Any = False) -> Optimizer:
    """torch RAdam: Adam whose adaptive step is switched on, and rectified, once the variance of v is defined.

    torch/optim/radam.py (single-tensor path): with rho_inf = 2 / (1 - beta2) - 1 and
    rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t), the step is lr * m_hat while rho_t <= 5 (plain
    momentum SGD with bias correction: the first 5 or so steps at beta2 = 0.999), and
    lr * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps) after, with the rectification
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)) (Liu et al. 2020).
    Note that eps is added to sqrt(v) before the bias correction, unlike torch Adam.
    """
    default_lr = lr
    default_beta1, beta2 = (np.asarray(b, np.float64) for b in _split_betas(betas))
    rho_inf = 2 / (1 - beta2) - 1

    def init(params: np.ndarray) -> RAdamState:
        return RAdamState(_counts(params), _zeros(params), _zeros(params))

    def adaptive(state: RAdamState) -> tuple[np.ndarray, np.ndarray]:
        """(whether rectified, r_t sqrt(1 - beta2^t) / (sqrt(v) + eps), or 1 where not)."""
        count = np.maximum(state.count, 1)
        correction2 = 1 - beta2**count
        rho_t = rho_inf - 2 * count * beta2**count / correction2
        on = rho_t > 5.0
        with np.errstate(invalid="ignore", divide="ignore"):
            rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        scale = per_run(np.where(on, rect * np.sqrt(correction2), 1.0), state.exp_avg)
        factor = np.where(per_run(on, state.exp_avg, bool), scale / (np.sqrt(state.exp_avg_sq)
                                                                     + per_run(eps, state.exp_avg)), scale)
        return on, factor

    def update(grads, state, params, lr=None, momentum=None):
        rate = np.asarray(_lr(default_lr, lr), np.float64)
        beta1 = _beta1(default_beta1, momentum)
        params, g = _torch_weight_decay(grads, params, weight_decay, decoupled_weight_decay, rate)
        count = state.count + 1
        exp_avg = state.exp_avg + per_run(1 - beta1, params) * (g - state.exp_avg)
        exp_avg_sq = state.exp_avg_sq * per_run(beta2, params) + per_run(1 - beta2, params) * (g * g)
        new_state = RAdamState(count, exp_avg, exp_avg_sq)
        corrected = exp_avg / per_run(1 - beta1**count, params)
        _, factor = adaptive(new_state)
        return params - corrected * per_run(rate, params) * factor, new_state

    def step_size(state, lr=None, momentum=None):
        beta1 = _beta1(default_beta1, momentum)
        rate = np.asarray(_lr(default_lr, lr), np.float64) / (1 - beta1 ** np.maximum(state.count, 1))
        return per_run(rate, state.exp_avg) * adaptive(state)[1]

    return Optimizer(init, update, step_size)


class NAdamState(NamedTuple):
    """torch.optim.NAdam state."""

    count: np.ndarray
    mu_product: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("lr", 2e-3), _BETAS, _eps_spec("eps", 1e-8), _COUPLED_WD,
    _decay_spec("momentum_decay", 4e-3, "psi: the momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi))"),
    _DECOUPLED,
    family="pytorch",
    cycled_momentum="betas",
)
def nadam(lr: Any = 2e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 0.0,
          momentum_decay: Any = 4e-3, decoupled_weight_decay: Any = False) -> Optimizer:
    """torch NAdam: Adam with Nesterov momentum and Dozat's momentum schedule."""
    default_lr = lr
    default_beta1, beta2 = (np.asarray(b, np.float64) for b in _split_betas(betas))
    psi = np.asarray(momentum_decay, np.float64)

    def init(params: np.ndarray) -> NAdamState:
        return NAdamState(_counts(params), np.ones(params.shape[:1]), _zeros(params), _zeros(params))

    def update(grads, state, params, lr=None, momentum=None):
        rate = np.asarray(_lr(default_lr, lr), np.float64)
        beta1 = _beta1(default_beta1, momentum)
        params, g = _torch_weight_decay(grads, params, weight_decay, decoupled_weight_decay, rate)
        count = state.count + 1
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (count * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((count + 1) * psi))
        mu_product = state.mu_product * mu
        exp_avg = state.exp_avg + per_run(1 - beta1, params) * (g - state.exp_avg)
        exp_avg_sq = state.exp_avg_sq * per_run(beta2, params) + per_run(1 - beta2, params) * (g * g)
        denom = np.sqrt(exp_avg_sq / per_run(1 - beta2**count, params)) + per_run(eps, params)
        params = params + per_run(-rate * (1.0 - mu) / (1.0 - mu_product), params) * g / denom
        params = params + per_run(-rate * mu_next / (1.0 - mu_product * mu_next), params) * exp_avg / denom
        return params, NAdamState(count, mu_product, exp_avg, exp_avg_sq)

    def step_size(state, lr=None, momentum=None):
        count = np.maximum(state.count, 1)
        rate = per_run(np.asarray(_lr(default_lr, lr), np.float64), state.exp_avg)
        return rate / (np.sqrt(state.exp_avg_sq / per_run(1 - beta2**count, state.exp_avg)) + per_run(eps, rate))

    return Optimizer(init, update, step_size)


class AdamaxState(NamedTuple):
    """torch.optim.Adamax state."""

    count: np.ndarray
    exp_avg: np.ndarray
    exp_inf: np.ndarray


@OPTIMIZERS.register(_lr_spec("lr", 2e-3), _BETAS, _eps_spec("eps", 1e-8), _COUPLED_WD, family="pytorch",
                     cycled_momentum="betas")
def adamax(lr: Any = 2e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 0.0) -> Optimizer:
    """torch Adamax: Adam with the infinity norm (a running max of |g|) in the denominator."""
    default_lr = lr
    default_beta1, beta2 = (np.asarray(b, np.float64) for b in _split_betas(betas))

    def init(params: np.ndarray) -> AdamaxState:
        return AdamaxState(_counts(params), _zeros(params), _zeros(params))

    def update(grads, state, params, lr=None, momentum=None):
        beta1 = _beta1(default_beta1, momentum)
        g = grads + per_run(weight_decay, params) * params if _has(weight_decay) else grads
        count = state.count + 1
        exp_avg = state.exp_avg + per_run(1 - beta1, params) * (g - state.exp_avg)
        exp_inf = np.maximum(state.exp_inf * per_run(beta2, params), np.abs(g) + per_run(eps, params))
        clr = per_run(np.asarray(_lr(default_lr, lr), np.float64) / (1 - beta1**count), params)
        return params - clr * exp_avg / exp_inf, AdamaxState(count, exp_avg, exp_inf)

    def step_size(state, lr=None, momentum=None):
        beta1 = _beta1(default_beta1, momentum)
        clr = np.asarray(_lr(default_lr, lr), np.float64) / (1 - beta1 ** np.maximum(state.count, 1))
        with np.errstate(divide="ignore"):
            return per_run(clr, state.exp_inf) / state.exp_inf

    return Optimizer(init, update, step_size)


class AdadeltaState(NamedTuple):
    """torch.optim.Adadelta state."""

    count: np.ndarray
    square_avg: np.ndarray
    acc_delta: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("lr", 1.0),
    ParamSpec("rho", "float", 0.9, low=0.0, high=1.0, step=0.01,
              help="decay of the squared-gradient and squared-update averages"),
    _eps_spec("eps", 1e-6, "added inside both square roots"),
    _COUPLED_WD,
    family="pytorch",
)
def adadelta(lr: Any = 1.0, rho: Any = 0.9, eps: Any = 1e-6, weight_decay: Any = 0.0) -> Optimizer:
    """torch Adadelta: the step is g times RMS of past updates over RMS of past gradients (Zeiler 2012).

    torch/optim/adadelta.py: v = rho v + (1 - rho) g^2; delta = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho u + (1 - rho) delta^2; theta -= lr * delta. lr defaults to 1.0 (the paper's form, where
    the ratio of RMS values is the whole step); Keras's Adadelta defaults to 0.001 (keras_adadelta).
    weight_decay is coupled L2.
    """
    default_lr = lr

    def init(params: np.ndarray) -> AdadeltaState:
        return AdadeltaState(_counts(params), _zeros(params), _zeros(params))

    def ratio(square_avg: np.ndarray, acc_delta: np.ndarray) -> np.ndarray:
        e = per_run(eps, square_avg)
        return np.sqrt(acc_delta + e) / np.sqrt(square_avg + e)

    def update(grads, state, params, lr=None):
        r = per_run(rho, params)
        g = grads + per_run(weight_decay, params) * params if _has(weight_decay) else grads
        square_avg = state.square_avg * r + (1 - r) * (g * g)
        delta = ratio(square_avg, state.acc_delta) * g
        acc_delta = state.acc_delta * r + (1 - r) * (delta * delta)
        params = params - per_run(_lr(default_lr, lr), params) * delta
        return params, AdadeltaState(state.count + 1, square_avg, acc_delta)

    def step_size(state, lr=None):
        return per_run(_lr(default_lr, lr), state.square_avg) * ratio(state.square_avg, state.acc_delta)

    return Optimizer(init, update, step_size)


class RpropState(NamedTuple):
    """torch.optim.Rprop state."""

    count: np.ndarray
    prev: np.ndarray
    step_size: np.ndarray


def _check_rprop(values: dict[str, Any]) -> None:
    """torch.optim.Rprop's own refusal (torch/optim/rprop.py): 0 < etaminus < 1 < etaplus."""
    minus, plus = values["etas"]
    if not 0.0 < minus < 1.0 < plus:
        raise ParamError(f"bad etas ({minus:g}, {plus:g}): expected 0 < etaminus < 1 < etaplus, as torch.optim.Rprop")


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-2),
    ParamSpec("etas", "floats", (0.5, 1.2), low=0.0, low_open=True, length=2,
              help="(etaminus, etaplus): the step size shrinks by etaminus on a sign change, grows by etaplus"),
    ParamSpec("step_sizes", "floats", (1e-6, 50.0), length=2,
              help="(min, max): the range the per-parameter step sizes are clamped to (torch checks neither)"),
    family="pytorch",
    check=_check_rprop,
)
def rprop(lr: Any = 1e-2, etas: Any = (0.5, 1.2), step_sizes: Any = (1e-6, 50.0)) -> Optimizer:
    """torch Rprop: a per-parameter step size that grows while the gradient keeps its sign; only signs move theta.

    torch/optim/rprop.py: s = sign(g * g_prev) maps to etaplus (> 0), etaminus (< 0) or 1 (= 0); the step
    size is multiplied by it and clamped to step_sizes; where the sign flipped, g is taken as 0 (no move,
    and no sign comparison next time); theta -= sign(g) * step_size; g_prev = g. The rate only sets the
    initial step sizes, at the first update (torch initializes its state then, with the group's lr of that
    moment): a schedule does nothing afterwards.
    """
    default_lr = lr
    minus, plus = (np.asarray(e, np.float64) for e in _split_betas(etas))
    low, high = (np.asarray(b, np.float64) for b in _split_betas(step_sizes))

    def init(params: np.ndarray) -> RpropState:
        return RpropState(_counts(params), _zeros(params), np.zeros_like(params) + per_run(default_lr, params))

    def update(grads, state, params, lr=None):
        first = per_run(state.count == 0, params, bool)
        size = np.where(first, np.zeros_like(params) + per_run(_lr(default_lr, lr), params), state.step_size)
        sign = np.sign(grads * state.prev)  # NaN stays NaN, as in torch
        one = np.ones_like(params)
        factor = np.where(sign > 0, per_run(plus, params) * one,
                          np.where(sign < 0, per_run(minus, params) * one, np.where(sign == 0, one, sign)))
        size = np.minimum(np.maximum(size * factor, per_run(low, params)), per_run(high, params))
        g = np.where(sign < 0, np.zeros_like(grads), grads)  # torch: grad[sign == etaminus] = 0
        return params - np.sign(g) * size, RpropState(state.count + 1, g, size)

    def step_size(state, lr=None):
        return state.step_size

    return Optimizer(init, update, step_size)


class ASGDState(NamedTuple):
    """torch.optim.ASGD state: eta and mu are per run, ax is the running average of the parameters."""

    count: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    ax: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-2),
    _decay_spec("lambd", 1e-4, "decay term: theta *= 1 - lambd * eta, and eta = lr / (1 + lambd lr t)^alpha"),
    ParamSpec("alpha", "float", 0.75, low=0.0, step=0.05, help="power of the eta update"),
    ParamSpec("t0", "float", 1e6, low=0.0, scale="log", help="the step at which averaging starts"),
    _COUPLED_WD,
    family="pytorch",
)
def asgd(lr: Any = 1e-2, lambd: Any = 1e-4, alpha: Any = 0.75, t0: Any = 1e6, weight_decay: Any = 0.0) -> Optimizer:
    """torch ASGD: SGD with a decaying rate eta and a running average ax of the parameters (Polyak-Ruppert).

    torch/optim/asgd.py (single-tensor path): theta *= 1 - lambd * eta; theta -= eta * g; then
    ax = theta while mu = 1, else ax += mu (theta - ax); finally eta = lr / (1 + lambd lr t)^alpha
    and mu = 1 / max(1, t - t0) for the next step. eta starts at the rate of the first update and
    each later one is computed from the rate of the step before. The trajectory is theta, what the
    optimizer moves and torch's model holds; the average ax (the state's `ax`, which torch leaves for
    you to copy into the model) only departs from theta after t0 steps (a million by default).
    """
    default_lr = lr

    def init(params: np.ndarray) -> ASGDState:
        runs = params.shape[:1]
        return ASGDState(_counts(params), np.full(runs, np.nan), np.ones(runs), _zeros(params))

    def update(grads, state, params, lr=None):
        rate = np.broadcast_to(np.asarray(_lr(default_lr, lr), np.float64), state.count.shape)
        count = state.count + 1
        eta = np.where(count == 1, rate, state.eta)
        g = grads + per_run(weight_decay, params) * params if _has(weight_decay) else grads
        params = params * (1 - per_run(np.asarray(lambd, np.float64) * eta, params))
        params = params - per_run(eta, params) * g
        ax = np.where(per_run(state.mu != 1, params, bool), state.ax + (params - state.ax) * per_run(state.mu, params),
                      params)
        new_eta = rate / (1 + np.asarray(lambd, np.float64) * rate * count) ** np.asarray(alpha, np.float64)
        mu = 1 / np.maximum(1, count - np.asarray(t0, np.float64))
        return params, ASGDState(count, new_eta, mu, ax)

    def step_size(state, lr=None):
        eta = np.where(state.count == 0, np.broadcast_to(np.asarray(_lr(default_lr, lr), np.float64),
                                                         state.count.shape), state.eta)
        return np.broadcast_to(per_run(eta, state.ax), state.ax.shape)

    return Optimizer(init, update, step_size)


class AdafactorState(NamedTuple):
    """torch.optim.Adafactor state: row_var and col_var hold the row and column factors of the 2-D variables,
    one after another (empty without 2-D variables); variance is the second moment of the 1-D ones (zeros
    in the entries of the 2-D variables, which torch keeps no variance for)."""

    count: np.ndarray
    row_var: np.ndarray
    col_var: np.ndarray
    variance: np.ndarray


def _lerp(start: np.ndarray, end: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """torch.lerp: start + weight (end - start) for weight < 0.5, else end - (end - start)(1 - weight)."""
    return np.where(weight < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight))


def _adafactor_eps(eps: Any, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """(eps1, eps2) from torch's pair, or an (R, 2) array of pairs; eps1 None is the dtype's machine epsilon."""
    pairs = np.asarray(eps, dtype=object)
    first = np.where(pairs[..., 0] == None, np.finfo(dtype).eps, pairs[..., 0])  # noqa: E711 (elementwise)
    return first.astype(np.float64), pairs[..., 1].astype(np.float64)


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-2),
    ParamSpec("beta2_decay", "float", -0.8, high=0.0, step=0.05,
              help="the second-moment average takes weight t^beta2_decay of the new g^2"),
    ParamSpec("eps", "floats", (None, 1e-3), low=0.0, length=2, none_items=True,
              help="(eps1, eps2): eps1 floors the variance (none: the dtype's machine epsilon), eps2 the RMS"),
    ParamSpec("d", "float", 1.0, low=1.0, step=0.1, help="clipping threshold: the update's RMS is kept <= d"),
    _decay_spec("weight_decay", 0.0, "decoupled: theta *= 1 - lr * wd (after the RMS is taken)"),
    family="pytorch", per_variable=True,
)
def adafactor(lr: Any = 1e-2, beta2_decay: Any = -0.8, eps: Any = (None, 1e-3), d: Any = 1.0,
              weight_decay: Any = 0.0, *, shapes: Shapes | None = None) -> Optimizer:
    """torch Adafactor: a factored second moment for matrices, steps relative to the variable's RMS.

    torch/optim/_adafactor.py (single-tensor path): rho = min(lr, 1/sqrt(t)); alpha = max(eps2,
    ||theta|| / sqrt(n)) * rho, then theta *= 1 - lr * wd; w = t^beta2_decay. A 2-D variable keeps
    row_var = lerp(row_var, row means of g^2, w) and col_var likewise, with the estimate
    row_var col_var / max(mean(row_var), eps1); a 1-D variable keeps variance = lerp(variance, g^2, w).
    u = g / sqrt(max(estimate, eps1^2)); theta -= alpha / max(1, RMS(u) / d) * u. Unlike Keras's, eps1
    floors the estimate rather than being added to g^2, lr defaults to 1e-2, and weight decay is applied
    after alpha is measured. `shapes` lays out the variables (training passes the network's; a kernel is
    stored (fan_in, fan_out), torch's Linear weight (fan_out, fan_in), and the estimate is the same up to
    rounding either way); without it the row is one 1-D variable, as torch treats a vector: a point on a
    surface gets the unfactored variance, and its step is relative to its distance from the origin.
    """
    default_lr = lr

    def init(params: np.ndarray) -> AdafactorState:
        layout = _layout(params, shapes)
        rows = sum(shape[0] for shape in layout.shapes if len(shape) == 2)
        cols = sum(shape[1] for shape in layout.shapes if len(shape) == 2)
        runs = params.shape[:1]
        return AdafactorState(_counts(params), np.zeros((*runs, rows), params.dtype),
                              np.zeros((*runs, cols), params.dtype), _zeros(params))

    def update(grads, state, params, lr=None):
        layout = _layout(params, shapes)
        eps1, eps2 = (per_run(e, params) for e in _adafactor_eps(eps, params.dtype))
        rate = np.asarray(_lr(default_lr, lr), np.float64)
        count = state.count + 1
        w = per_run(count ** np.asarray(beta2_decay, np.float64), params)
        rho = per_run(np.minimum(rate, 1 / np.sqrt(count)), params)
        root_n = np.sqrt(layout.sizes).astype(params.dtype)
        alpha = np.maximum(eps2, np.sqrt(_per_variable(params * params, layout)) / root_n) * rho
        if _has(weight_decay):
            params = params * (1 - per_run(rate * weight_decay, params))
        row_var, col_var, variance = state.row_var.copy(), state.col_var.copy(), state.variance.copy()
        estimate = np.empty_like(params)
        row = col = 0
        for start, size, shape in zip(layout.starts, layout.sizes, layout.shapes, strict=True):  # over variables
            entries = slice(int(start), int(start + size))
            g = grads[..., entries]
            if len(shape) == 1:
                variance[..., entries] = _lerp(state.variance[..., entries], g * g, w)
                estimate[..., entries] = variance[..., entries]
                continue
            height, width = shape
            matrix = g.reshape(*g.shape[:-1], height, width)
            rows, cols = slice(row, row + height), slice(col, col + width)
            row_mean = np.sqrt((matrix * matrix).sum(axis=-1)) ** 2 / width
            col_mean = np.sqrt((matrix * matrix).sum(axis=-2)) ** 2 / height
            row_var[..., rows] = _lerp(state.row_var[..., rows], row_mean, w)
            col_var[..., cols] = _lerp(state.col_var[..., cols], col_mean, w)
            scale = np.maximum(row_var[..., rows].mean(axis=-1, keepdims=True), eps1)
            outer = row_var[..., rows, None] * col_var[..., None, cols] / scale[..., None]
            estimate[..., entries] = outer.reshape(*g.shape[:-1], size)
            row, col = row + height, col + width
        u = 1 / np.sqrt(np.maximum(estimate, eps1 * eps1)) * grads  # torch: rsqrt, then times g
        denom = np.maximum(1.0, np.sqrt(_per_variable(u * u, layout)) / (root_n * per_run(d, params)))
        params = params - _spread(alpha / denom, layout) * u
        return params, AdafactorState(count, row_var, col_var, variance)

    def estimate(state: AdafactorState, layout: Layout) -> np.ndarray:
        """The second-moment estimate of every entry: variance, or the factored row_var col_var / mean."""
        eps1 = per_run(_adafactor_eps(eps, state.variance.dtype)[0], state.variance)
        out = state.variance.copy()
        row = col = 0
        for start, size, shape in zip(layout.starts, layout.sizes, layout.shapes, strict=True):  # over variables
            if len(shape) == 2:
                height, width = shape
                rows, cols = state.row_var[..., row:row + height], state.col_var[..., col:col + width]
                scale = np.maximum(rows.mean(axis=-1, keepdims=True), eps1)
                outer = rows[..., :, None] * cols[..., None, :] / scale[..., None]
                out[..., int(start):int(start + size)] = outer.reshape(*out.shape[:-1], size)
                row, col = row + height, col + width
        return out

    def step_size(state, lr=None):
        """rho / sqrt(max(estimate, eps1^2)): the factor in front of g, without the RMS of theta (alpha = max(eps2,
        RMS(theta)) * rho needs the parameters, which the state does not hold) and before the clipping."""
        layout = _layout(state.variance, shapes)
        count = np.maximum(state.count, 1)
        rho = per_run(np.minimum(np.asarray(_lr(default_lr, lr), np.float64), 1 / np.sqrt(count)), state.variance)
        eps1 = per_run(_adafactor_eps(eps, state.variance.dtype)[0], state.variance)
        with np.errstate(divide="ignore", invalid="ignore"):
            return rho / np.sqrt(np.maximum(estimate(state, layout), eps1 * eps1))

    return Optimizer(init, update, step_size)


# =========================================================================== LBFGS (closure)
Objective = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


class LBFGSState(NamedTuple):
    """torch.optim.LBFGS state, per run: the last direction d and step t, the curvature pairs (y, s) with
    ro = 1 / y.s (the first `history` of the history_size slots are in use, oldest first), H_diag, the
    gradient and loss at the start of the last iteration, and torch's counters n_iter and func_evals."""

    count: np.ndarray
    n_iter: np.ndarray
    func_evals: np.ndarray
    d: np.ndarray
    t: np.ndarray
    old_dirs: np.ndarray
    old_stps: np.ndarray
    ro: np.ndarray
    history: np.ndarray
    H_diag: np.ndarray
    prev_flat_grad: np.ndarray
    prev_loss: np.ndarray


_SPLIT = 134217729.0  # 2^27 + 1, Dekker's splitting constant for float64


def _fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """a * b + c rounded once, as torch's CPU kernels compute `c.add_(b, alpha=a)` (a fused multiply-add).

    NumPy has no fma: the product's exact error (Dekker's TwoProduct) and the sum's (TwoSum) are added back
    before the last rounding. LBFGS amplifies a last-bit difference to 1e-10 within a few steps, so its
    updates and trial points need the fused rounding to equal torch's. Where the splitting overflows
    (|a| or |b| above about 1e300) the plain a * b + c is kept.
    """
    p = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    a_high, b_high = ca - (ca - a), cb - (cb - b)
    a_low, b_low = a - a_high, b - b_high
    product_error = ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low
    total = p + c
    virtual = total - p
    sum_error = (p - (total - virtual)) + (c - virtual)
    fused = total + (sum_error + product_error)
    return np.where(np.isfinite(fused), fused, total)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=-1)


def _pick(mask: np.ndarray, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """new where the (R,) mask is set, old elsewhere, for arrays with a leading runs axis."""
    return np.where(mask.reshape(mask.shape + (1,) * (np.ndim(new) - 1)), new, old)


def _python_max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Python's max(a, b) (a unless b > a; so NaN in a stays, NaN in b is ignored), elementwise."""
    return np.where(b > a, b, a)


def _python_min(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(b < a, b, a)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, low=None, high=None):
    """torch/optim/lbfgs.py's _cubic_interpolate, elementwise over runs: the minimizer of the cubic through
    (x1, f1, g1) and (x2, f2, g2), clamped to [low, high] (by default the interval), or its midpoint."""
    if low is None:
        low, high = np.where(x1 <= x2, x1, x2), np.where(x1 <= x2, x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    d2 = np.sqrt(np.where(d2_square >= 0, d2_square, 0.0))
    left = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    right = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    min_pos = np.where(x1 <= x2, left, right)
    return np.where(d2_square >= 0, _python_min(_python_max(min_pos, low), high), (low + high) / 2.0)


def _strong_wolfe(objective: Objective, x: np.ndarray, t: np.ndarray, d: np.ndarray, f: np.ndarray, g: np.ndarray,
                  gtd: np.ndarray, searching: np.ndarray, max_ls: np.ndarray, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """torch's _strong_wolfe for the runs where `searching` is set, all at once: (f, g, t, evaluations).

    Each run goes through torch's two loops on its own: bracketing (cubic extrapolation within
    [t + 0.01 (t - t_prev), 10 t]) until the Armijo condition fails, the slope turns or the strong Wolfe
    curvature condition holds, then zooming in the bracket; every pass evaluates the objective once at
    x + t d for the runs that need it. torch passes neither tolerance_change nor c1, c2: their defaults.
    """
    runs = len(x)
    d_norm = np.abs(d).max(axis=-1)
    f_new, g_new = objective(_fma(t[:, None], d, x))
    evals = searching.astype(np.int64)
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = np.zeros(runs), f.copy(), g.copy(), gtd.copy()
    ls_iter = np.zeros(runs, dtype=np.int64)
    done = np.zeros(runs, dtype=bool)
    bracketing, zooming = searching.copy(), np.zeros(runs, dtype=bool)
    bracket, bracket_f = np.zeros((runs, 2)), np.zeros((runs, 2))
    bracket_g, bracket_gtd = np.zeros((runs, 2, x.shape[-1])), np.zeros((runs, 2))
    low_pos = np.zeros(runs, dtype=np.int64)
    insuf_progress = np.zeros(runs, dtype=bool)
    rows = np.arange(runs)

    def close(mask, b, bf, bg, bgtd):
        """Set the bracket of the runs in mask and send them to the zoom phase."""
        nonlocal bracket, bracket_f, bracket_g, bracket_gtd, low_pos, bracketing, zooming, insuf_progress
        bracket, bracket_f = _pick(mask, b, bracket), _pick(mask, bf, bracket_f)
        bracket_g, bracket_gtd = _pick(mask, bg, bracket_g), _pick(mask, bgtd, bracket_gtd)
        low_pos = np.where(mask, np.where(bracket_f[:, 0] <= bracket_f[:, -1], 0, 1), low_pos)
        insuf_progress &= ~mask
        bracketing &= ~mask
        zooming |= mask

    while bracketing.any() or zooming.any():  # one evaluation per pass, for every run that needs one
        # ---- bracketing phase: decide on the last evaluation
        exhausted = bracketing & (ls_iter >= max_ls)
        close(exhausted, np.stack([np.zeros(runs), t], -1), np.stack([f, f_new], -1), np.stack([g, g_new], 1),
              bracket_gtd)
        armijo = bracketing & ((f_new > (f + c1 * t * gtd)) | ((ls_iter > 1) & (f_new >= f_prev)))
        pair = (np.stack([t_prev, t], -1), np.stack([f_prev, f_new], -1), np.stack([g_prev, g_new], 1),
                np.stack([gtd_prev, gtd_new], -1))
        close(armijo, *pair)
        curvature = bracketing & (np.abs(gtd_new) <= -c2 * gtd)
        close(curvature, np.stack([t, t], -1), np.stack([f_new, f_new], -1), np.stack([g_new, g_new], 1),
              bracket_gtd)
        done |= curvature
        turned = bracketing & (gtd_new >= 0)
        close(turned, *pair)
        extrapolate = bracketing.copy()
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        t_next = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step)
        t_prev, f_prev = np.where(extrapolate, t, t_prev), np.where(extrapolate, f_new, f_prev)
        g_prev, gtd_prev = _pick(extrapolate, g_new, g_prev), np.where(extrapolate, gtd_new, gtd_prev)
        t = np.where(extrapolate, t_next, t)
        # ---- zoom phase: choose the next trial point in the bracket
        zooming &= ~done & (ls_iter < max_ls)
        zooming &= ~(np.abs(bracket[:, 1] - bracket[:, 0]) * d_norm < tolerance_change)
        b0, b1 = bracket[:, 0], bracket[:, 1]
        t_zoom = _cubic_interpolate(b0, bracket_f[:, 0], bracket_gtd[:, 0], b1, bracket_f[:, 1], bracket_gtd[:, 1])
        top, bottom = _python_max(b0, b1), _python_min(b0, b1)
        eps = 0.1 * (top - bottom)
        near = _python_min(top - t_zoom, t_zoom - bottom) < eps
        move = near & (insuf_progress | (t_zoom >= top) | (t_zoom <= bottom))
        moved = np.where(np.abs(t_zoom - top) < np.abs(t_zoom - bottom), top - eps, bottom + eps)
        t_zoom = np.where(move, moved, t_zoom)
        insuf_progress = np.where(zooming, near & ~move, insuf_progress)
        t = np.where(zooming, t_zoom, t)
        # ---- one evaluation for the runs still searching
        evaluate = extrapolate | zooming
        if not evaluate.any():
            break
        f_eval, g_eval = objective(_fma(t[:, None], d, x))
        f_new, g_new = np.where(evaluate, f_eval, f_new), _pick(evaluate, g_eval, g_new)
        gtd_new = np.where(evaluate, _dot(g_new, d), gtd_new)
        evals += evaluate
        ls_iter += evaluate
        # ---- zoom phase: update the bracket with the new point
        high_pos = 1 - low_pos
        low_f = bracket_f[rows, low_pos]
        worse = zooming & ((f_new > (f + c1 * t * gtd)) | (f_new >= low_f))
        better = zooming & ~worse
        wolfe = better & (np.abs(gtd_new) <= -c2 * gtd)
        done |= wolfe
        flip = better & ~wolfe & (gtd_new * (bracket[rows, high_pos] - bracket[rows, low_pos]) >= 0)
        # flip: the high end takes the low end's values before the low end becomes t
        for target, source in ((bracket, bracket), (bracket_f, bracket_f), (bracket_gtd, bracket_gtd)):
            target[rows[flip], high_pos[flip]] = source[rows[flip], low_pos[flip]]
        bracket_g[rows[flip], high_pos[flip]] = bracket_g[rows[flip], low_pos[flip]]
        slot = np.where(worse, high_pos, low_pos)
        write = worse | better
        bracket[rows[write], slot[write]] = t[write]
        bracket_f[rows[write], slot[write]] = f_new[write]
        bracket_g[rows[write], slot[write]] = g_new[write]
        bracket_gtd[rows[write], slot[write]] = gtd_new[write]
        low_pos = np.where(worse, np.where(bracket_f[:, 0] <= bracket_f[:, 1], 0, 1), low_pos)
        zooming &= ~done & (ls_iter < max_ls)

    t_out = bracket[rows, low_pos]
    return bracket_f[rows, low_pos], bracket_g[rows, low_pos], t_out, evals


@OPTIMIZERS.register(
    ParamSpec("lr", "float", 1.0, low=0.0, low_open=True, scale="log",
              help="the step along the direction (the line search's first trial step); the first step is "
                   "min(1, 1/sum|g|) lr"),
    ParamSpec("max_iter", "int", 20, low=0, high=10_000, scale="log",
              help="iterations per optimizer step (each a direction and a step along it; 0: none)"),
    ParamSpec("max_eval", "int", None, low=1, high=100_000, scale="log", optional=True,
              help="function evaluations per optimizer step (none: max_iter * 5 // 4)"),
    ParamSpec("tolerance_grad", "float", 1e-7, low=0.0, scale="log",
              help="a step ends when max |g| <= tolerance_grad (first-order optimality)"),
    ParamSpec("tolerance_change", "float", 1e-9, low=0.0, scale="log",
              help="a step ends when the loss or the parameters change by less"),
    ParamSpec("history_size", "int", 100, low=1, high=10_000, scale="log",
              help="curvature pairs (s, y) kept for the inverse-Hessian estimate"),
    ParamSpec("line_search_fn", "choice", None, choices=(None, "strong_wolfe"), optional=True,
              help="none: a fixed step of lr; strong_wolfe: a line search for the strong Wolfe conditions"),
    family="pytorch", closure=True,
)
def lbfgs(lr: Any = 1.0, max_iter: Any = 20, max_eval: Any = None, tolerance_grad: Any = 1e-7,
          tolerance_change: Any = 1e-9, history_size: Any = 100, line_search_fn: Any = None) -> Optimizer:
    """torch LBFGS: quasi-Newton steps from the last history_size curvature pairs, several evaluations per step.

    torch/optim/lbfgs.py: one step() runs up to max_iter iterations. Each takes the direction d = -H g (the
    two-loop recursion over the pairs s = t d, y = g - g_prev with y.s > 1e-10, H_diag = y.s / y.y; d = -g at
    the very first iteration), then moves t = lr (min(1, 1/sum|g|) lr at the very first) along d, or where the
    strong Wolfe line search (`_strong_wolfe`, cubic interpolation) ends. The step ends early when
    max |g| <= tolerance_grad, g.d > -tolerance_change, |t d| <= tolerance_change, the loss changes by less
    than tolerance_change or max_eval evaluations are used. It needs the loss and gradient at points of its
    choosing (torch's closure): `update(..., objective=f)` with f(points) -> (loss, gradient), which the
    surface panes give; a network trained by mini-batches has no such closure here, so it is surfaces-only.
    Every run keeps its own counters and line search; a pass evaluates every run once (one call).
    """
    default_lr = lr

    def per_run_of(value: Any, runs: int, dtype: Any = np.float64) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype), (runs,))

    def init(params: np.ndarray) -> LBFGSState:
        runs, width = params.shape[0], params.shape[-1]
        slots = int(np.max(history_size))
        return LBFGSState(_counts(params), np.zeros(runs, np.int64), np.zeros(runs, np.int64), _zeros(params),
                          np.zeros(runs), np.zeros((runs, slots, width), params.dtype),
                          np.zeros((runs, slots, width), params.dtype),
                          np.zeros((runs, slots)), np.zeros(runs, np.int64), np.ones(runs), _zeros(params),
                          np.zeros(runs))

    def update(grads, state, params, lr=None, *, objective: Objective | None = None):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _update(state, params, lr, objective)

    def _update(state, params, lr, objective):
        if objective is None:
            raise ParamError("lbfgs needs the loss and gradient at points of its choosing (torch's closure): it "
                             "runs on the 2-D surfaces, not in mini-batch training")
        runs = len(params)
        rate = per_run_of(_lr(default_lr, lr), runs)
        iterations = per_run_of(max_iter, runs, np.int64)
        given = np.broadcast_to(np.asarray(max_eval, dtype=object), (runs,))
        unset = given == None  # noqa: E711 (elementwise); torch: max_eval None is max_iter * 5 // 4
        evaluations = np.where(unset, iterations * 5 // 4, np.where(unset, 0, given)).astype(np.int64)
        grad_tol, change_tol = per_run_of(tolerance_grad, runs), per_run_of(tolerance_change, runs)
        slots = per_run_of(history_size, runs, np.int64)
        wolfe = per_run_of(np.asarray(line_search_fn, dtype=object) == "strong_wolfe", runs, bool)
        (_, n_iter, func_evals, d, t, old_dirs, old_stps, ro, history, h_diag, prev_g,
         prev_loss) = (np.array(field, copy=True) for field in state)
        x = params.copy()
        loss, g = objective(x)
        func_evals = func_evals + 1
        current = np.ones(runs, np.int64)
        active = ~(np.abs(g).max(axis=-1) <= grad_tol) & (iterations > 0)  # torch: while n_iter < max_iter
        local = np.zeros(runs, np.int64)
        while active.any():  # iterations of step(); every run leaves on its own conditions
            local += active
            n_iter += active
            first, later = active & (n_iter == 1), active & (n_iter != 1)
            y, s = g - prev_g, d * t[:, None]
            ys = _dot(y, s)
            append = later & (ys > 1e-10)
            full = append & (history == slots)
            for pairs in (old_dirs, old_stps, ro):  # torch: pop(0) when the history is full
                pairs[full, :-1] = pairs[full, 1:]
            history = np.where(full, history - 1, history)
            at = np.flatnonzero(append)
            old_dirs[at, history[at]], old_stps[at, history[at]] = y[at], s[at]
            ro[at, history[at]] = 1.0 / ys[at]
            h_diag = np.where(append, ys / _dot(y, y), h_diag)
            history = history + append
            q = -g
            al = np.zeros_like(ro)
            for i in range(int(history[later].max(initial=0)) - 1, -1, -1):  # the two-loop recursion
                use = later & (i < history)
                al[:, i] = np.where(use, _dot(old_stps[:, i], q) * ro[:, i], 0.0)
                q = _pick(use, _fma(-al[:, i, None], old_dirs[:, i], q), q)
            r = q * h_diag[:, None]
            for i in range(int(history[later].max(initial=0))):
                use = later & (i < history)
                be_i = _dot(old_dirs[:, i], r) * ro[:, i]
                r = _pick(use, _fma((al[:, i] - be_i)[:, None], old_stps[:, i], r), r)
            d = _pick(first, -g, _pick(later, r, d))
            history = np.where(first, 0, history)
            h_diag = np.where(first, 1.0, h_diag)
            prev_g, prev_loss = _pick(active, g, prev_g), np.where(active, loss, prev_loss)
            first_t = _python_min(np.ones(runs), 1.0 / np.abs(g).sum(axis=-1)) * rate
            t = np.where(first, first_t, np.where(later, rate, t))
            gtd = _dot(g, d)
            going = active & ~(gtd > -change_tol)
            evals = np.zeros(runs, np.int64)
            searching = going & wolfe
            opt_cond = np.zeros(runs, dtype=bool)
            if searching.any():
                f_ls, g_ls, t_ls, evals_ls = _strong_wolfe(objective, x, t, d, loss, g, gtd, searching,
                                                           evaluations - current)
                loss, g, t = np.where(searching, f_ls, loss), _pick(searching, g_ls, g), np.where(searching, t_ls, t)
                evals = np.where(searching, evals_ls, evals)
                opt_cond |= searching & (np.abs(g).max(axis=-1) <= grad_tol)
            x = _pick(going, _fma(t[:, None], d, x), x)
            fixed = going & ~wolfe & (local != iterations)
            if fixed.any():
                f_new, g_new = objective(x)
                loss, g = np.where(fixed, f_new, loss), _pick(fixed, g_new, g)
                evals = np.where(fixed, 1, evals)
                opt_cond |= fixed & (np.abs(g).max(axis=-1) <= grad_tol)
            current += evals
            func_evals += evals
            ended = (local == iterations) | (current >= evaluations) | opt_cond
            ended |= np.abs(d * t[:, None]).max(axis=-1) <= change_tol
            ended |= np.abs(loss - prev_loss) < change_tol
            active = going & ~ended
        kept = params.dtype  # the state in the parameters' dtype, as torch keeps it (surfaces are float64)
        new_state = LBFGSState(state.count + 1, n_iter, func_evals, d.astype(kept), t, old_dirs, old_stps, ro,
                               history, h_diag, prev_g.astype(kept), prev_loss)
        return x.astype(params.dtype, copy=False), new_state

    def step_size(state, lr=None):
        """t, the step along the last direction (lr, or where the line search stopped)."""
        return np.broadcast_to(per_run(state.t, state.d), state.d.shape)

    return Optimizer(init, update, step_size)


# =========================================================================== schedule-free
class ScheduleFreeState(NamedTuple):
    """State of the `schedulefree` package's SGDScheduleFree and AdamWScheduleFree, per run: k (count), the sum
    of the averaging weights and the largest scheduled rate so far; z, the base sequence; x, the average
    (what `optimizer.eval()` puts in the weights); exp_avg_sq (AdamW only; zeros for SGD)."""

    count: np.ndarray
    weight_sum: np.ndarray
    lr_max: np.ndarray
    z: np.ndarray
    x: np.ndarray
    exp_avg_sq: np.ndarray


def _check_schedule_free_betas(values: dict[str, Any]) -> None:
    """AdamWScheduleFree's eval() moves the weights to x = lerp(y, z, 1 - 1/beta1): beta1 = 0 divides by zero."""
    if values["betas"][0] <= 0:
        raise ParamError(f"bad betas {values['betas'][0]:g},{values['betas'][1]:g}: beta1 must be > 0, as "
                         "AdamWScheduleFree.eval() divides by it (x = lerp(y, z, 1 - 1/beta1))")


def _schedule_free(lr: Any, beta1: Any, beta2: Any, eps: Any, weight_decay: Any, warmup_steps: Any, r: Any,
                   weight_lr_power: Any, adaptive: bool) -> Optimizer:
    """The update shared by SGDScheduleFree (adaptive False: momentum is beta1) and AdamWScheduleFree.

    schedulefree/sgd_schedulefree.py and adamw_schedulefree.py (version 1.4.1), step(): with k the 0-based
    step, sched = (k + 1) / warmup_steps while k < warmup_steps, else 1; lr_t = lr sched;
    lr_max = max(lr_t, lr_max); c = (k + 1)^r lr_max^weight_lr_power / (sum of these weights so far) (0 when
    the sum is 0). AdamW normalizes g by sqrt(v / (1 - beta2^(k+1))) + eps, v = beta2 v + (1 - beta2) g^2;
    weight decay adds wd * y to the (normalized) gradient. Then y = lerp(y, z, c) + lr_t (beta1 (1 - c) - 1) g
    and z -= lr_t g. z starts as the weights at the first step. y is what the weights hold in train mode
    (the gradient is taken there); x = lerp(y, z, 1 - 1/beta1) is what eval() puts in them, the average
    Defazio et al. (2024) prove the guarantees for.
    """
    default_lr = lr
    b1 = np.asarray(beta1, np.float64)
    b2 = np.asarray(beta2, np.float64)

    def init(params: np.ndarray) -> ScheduleFreeState:
        runs = params.shape[:1]
        return ScheduleFreeState(_counts(params), np.zeros(runs), np.full(runs, -1.0), params.copy(), params.copy(),
                                 _zeros(params))

    def scheduled(count: np.ndarray, lr: Any) -> np.ndarray:
        """lr * sched at the update whose 0-based step is count."""
        warm = np.asarray(warmup_steps, np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            sched = np.where(count < warm, (count + 1) / warm, 1.0)
        return np.asarray(_lr(default_lr, lr), np.float64) * sched

    def denominator(exp_avg_sq: np.ndarray, count: np.ndarray) -> np.ndarray:
        correction = per_run(1 - b2 ** np.maximum(count, 1), exp_avg_sq)
        return np.sqrt(exp_avg_sq / correction) + per_run(eps, exp_avg_sq)

    def update(grads, state, params, lr=None):
        k = state.count
        rate = scheduled(k, lr)
        lr_max = np.maximum(rate, state.lr_max)
        weight = (k + 1) ** np.asarray(r, np.float64) * lr_max ** np.asarray(weight_lr_power, np.float64)
        weight_sum = state.weight_sum + weight
        with np.errstate(divide="ignore", invalid="ignore"):
            ckp1 = np.where(weight_sum != 0, weight / weight_sum, 0.0)
        z = np.where(per_run(k == 0, params, bool), params, state.z)  # torch: state['z'] = p.clone() at step 1
        exp_avg_sq = state.exp_avg_sq
        g = grads
        if adaptive:
            exp_avg_sq = state.exp_avg_sq * per_run(b2, params) + per_run(1 - b2, params) * grads * grads
            g = grads / denominator(exp_avg_sq, k + 1)
        if _has(weight_decay):
            g = g + per_run(weight_decay, params) * params
        y = _lerp(params, z, per_run(ckp1, params)) + per_run(rate * (b1 * (1 - ckp1) - 1), params) * g
        z = z - per_run(rate, params) * g
        x = _lerp(y, z, per_run(1 - 1 / b1, params))
        return y, ScheduleFreeState(k + 1, weight_sum, lr_max, z, x, exp_avg_sq)

    def step_size(state, lr=None):
        """lr_t (AdamW: over sqrt(v_hat) + eps), the step of z: y and x move by a part of it."""
        rate = per_run(scheduled(np.maximum(state.count - 1, 0), lr), state.z)
        size = rate / denominator(state.exp_avg_sq, state.count) if adaptive else rate
        return np.broadcast_to(size, state.z.shape)

    def evaluation_params(state, params):
        return np.where(per_run(state.count > 0, params, bool), state.x, params)

    return Optimizer(init, update, step_size, evaluation_params)


_WARMUP = ParamSpec("warmup_steps", "int", 0, low=0, scale="log",
                    help="linear warmup: the rate is lr (k + 1) / warmup_steps for the first warmup_steps steps")
_R = ParamSpec("r", "float", 0.0, step=0.5, help="polynomial weighting of the average: step k weighs (k + 1)^r")
_WEIGHT_LR_POWER = ParamSpec("weight_lr_power", "float", 2.0, step=0.5,
                             help="step k also weighs lr_max^weight_lr_power (largest rate so far: warmup steps "
                                  "count less)")


@OPTIMIZERS.register(
    _lr_spec("lr", 1.0),
    ParamSpec("momentum", "float", 0.9, low=0.0, high=1.0, low_open=True, high_open=True, step=0.01,
              help="beta: y = lerp(x, z, 1 - momentum), where the gradient is taken (0 < momentum < 1)"),
    _decay_spec("weight_decay", 0.0, "L2: wd * y is added to the gradient"),
    _WARMUP, _R, _WEIGHT_LR_POWER,
    family="schedulefree",
)
def sgd_schedule_free(lr: Any = 1.0, momentum: Any = 0.9, weight_decay: Any = 0.0, warmup_steps: Any = 0,
                      r: Any = 0.0, weight_lr_power: Any = 2.0) -> Optimizer:
    """Schedule-free SGD (Defazio et al. 2024): SGD on z, gradients at y, the average x is the model to evaluate.

    The `schedulefree` package's SGDScheduleFree (schedulefree/sgd_schedulefree.py): no schedule, a constant
    rate (with an optional linear warmup) and an online average replace the decay. The path on a surface is y,
    the weights in train mode, where each gradient is taken; z (the SGD sequence) and x (the average) are in
    the state. See `_schedule_free`.
    """
    return _schedule_free(lr, momentum, 0.0, 0.0, weight_decay, warmup_steps, r, weight_lr_power, adaptive=False)


@OPTIMIZERS.register(
    _lr_spec("lr", 0.0025), _BETAS, _eps_spec("eps", 1e-8),
    _decay_spec("weight_decay", 0.0, "wd * y is added to the normalized gradient (after the division by sqrt(v))"),
    _WARMUP, _R, _WEIGHT_LR_POWER,
    family="schedulefree",
    check=_check_schedule_free_betas,
)
def adamw_schedule_free(lr: Any = 0.0025, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 0.0,
                        warmup_steps: Any = 0, r: Any = 0.0, weight_lr_power: Any = 2.0) -> Optimizer:
    """Schedule-free AdamW (Defazio et al. 2024): Adam's normalization, no first moment, and the average x.

    The `schedulefree` package's AdamWScheduleFree (schedulefree/adamw_schedulefree.py): the gradient divided
    by sqrt(v_hat) + eps drives z; y interpolates x and z with beta1 in place of Adam's momentum. The path
    on a surface is y (the weights in train mode); z and x (what `optimizer.eval()` gives) are in the state.
    See `_schedule_free`.
    """
    beta1, beta2 = _split_betas(betas)
    return _schedule_free(lr, beta1, beta2, eps, weight_decay, warmup_steps, r, weight_lr_power, adaptive=True)


# =========================================================================== Keras
def _keras_weight_decay(params: np.ndarray, weight_decay: Any, rate: Any) -> np.ndarray:
    """Keras's decoupled weight decay, applied before every update: theta -= theta * wd * lr."""
    if not _has(weight_decay):
        return params
    return params - params * per_run(np.asarray(weight_decay, np.float64) * rate, params)


class KerasSGDState(NamedTuple):
    """keras.optimizers.SGD state."""

    count: np.ndarray
    momentum_buffer: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 0.01),
    ParamSpec("momentum", "float", 0.0, low=0.0, high=1.0, step=0.01,
              help="momentum factor; Keras refuses values outside [0, 1]"),
    _flag("nesterov", "Nesterov momentum"), _KERAS_WD,
    family="keras",
)
def keras_sgd(learning_rate: Any = 0.01, momentum: Any = 0.0, nesterov: Any = False,
              weight_decay: Any = 0.0) -> Optimizer:
    """keras SGD: m = momentum * m - lr * g; theta += m (equals torch's only at a constant rate)."""

    def init(params: np.ndarray) -> KerasSGDState:
        return KerasSGDState(_counts(params), _zeros(params))

    def update(grads, state, params, lr=None):
        rate = _lr(learning_rate, lr)
        params = _keras_weight_decay(params, weight_decay, rate)
        mu, step = per_run(momentum, params), per_run(rate, params) * grads
        m = state.momentum_buffer * mu - step
        delta = _choose(nesterov, m * mu - step, m, params)
        return params + delta, KerasSGDState(state.count + 1, m)

    return Optimizer(init, update, _constant_rate(learning_rate))


class KerasAdagradState(NamedTuple):
    """keras.optimizers.Adagrad state."""

    count: np.ndarray
    accumulator: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3),
    _decay_spec("initial_accumulator_value", 0.1, "starting value of the sum of squared gradients"),
    _eps_spec("epsilon", 1e-7, "added inside the square root"),
    _KERAS_WD,
    family="keras",
)
def keras_adagrad(learning_rate: Any = 1e-3, initial_accumulator_value: Any = 0.1, epsilon: Any = 1e-7,
                  weight_decay: Any = 0.0) -> Optimizer:
    """keras Adagrad: theta -= lr * g / sqrt(S + eps), S starting at 0.1."""

    def init(params: np.ndarray) -> KerasAdagradState:
        return KerasAdagradState(_counts(params), np.zeros_like(params) + per_run(initial_accumulator_value, params))

    def update(grads, state, params, lr=None):
        rate = _lr(learning_rate, lr)
        params = _keras_weight_decay(params, weight_decay, rate)
        acc = state.accumulator + grads * grads
        params = params - per_run(rate, params) * grads / np.sqrt(acc + per_run(epsilon, params))
        return params, KerasAdagradState(state.count + 1, acc)

    def step_size(state, lr=None):
        acc = state.accumulator
        return per_run(_lr(learning_rate, lr), acc) / np.sqrt(acc + per_run(epsilon, acc))

    return Optimizer(init, update, step_size)


class KerasRMSpropState(NamedTuple):
    """keras.optimizers.RMSprop state."""

    count: np.ndarray
    velocity: np.ndarray
    average_gradient: np.ndarray
    momentum_buffer: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3),
    ParamSpec("rho", "float", 0.9, low=0.0, high=1.0, step=0.01,
              help="decay of the squared-gradient average (above 1 it can turn negative)"),
    _MOMENTUM,
    _eps_spec("epsilon", 1e-7, "added inside the square root"),
    _flag("centered", "divide by the variance of the gradient"),
    _KERAS_WD,
    family="keras",
)
def keras_rmsprop(learning_rate: Any = 1e-3, rho: Any = 0.9, momentum: Any = 0.0, epsilon: Any = 1e-7,
                  centered: Any = False, weight_decay: Any = 0.0) -> Optimizer:
    """keras RMSprop: theta -= lr * g / sqrt(v + eps) (epsilon inside the root, unlike torch)."""

    def init(params: np.ndarray) -> KerasRMSpropState:
        return KerasRMSpropState(_counts(params), _zeros(params), _zeros(params), _zeros(params))

    def root(velocity, average):
        variance = _choose(centered, velocity - average * average, velocity, velocity)
        return np.sqrt(variance + per_run(epsilon, velocity))

    def update(grads, state, params, lr=None):
        rate = _lr(learning_rate, lr)
        params = _keras_weight_decay(params, weight_decay, rate)
        r = per_run(rho, params)
        velocity = r * state.velocity + (1 - r) * (grads * grads)
        average = r * state.average_gradient + (1 - r) * grads if _has(centered) else state.average_gradient
        increment = per_run(rate, params) * grads / root(velocity, average)
        buf = per_run(momentum, params) * state.momentum_buffer + increment
        params = params - _choose(np.asarray(momentum) > 0, buf, increment, params)
        return params, KerasRMSpropState(state.count + 1, velocity, average, buf)

    def step_size(state, lr=None):
        return per_run(_lr(learning_rate, lr), state.velocity) / root(state.velocity, state.average_gradient)

    return Optimizer(init, update, step_size)


class KerasAdamState(NamedTuple):
    """keras.optimizers.Adam / AdamW state."""

    count: np.ndarray
    m: np.ndarray
    v: np.ndarray
    v_hat: np.ndarray


def _keras_adam(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay) -> Optimizer:
    b1, b2 = np.asarray(beta_1, np.float64), np.asarray(beta_2, np.float64)

    def init(params: np.ndarray) -> KerasAdamState:
        return KerasAdamState(_counts(params), _zeros(params), _zeros(params), _zeros(params))

    def alpha(count, lr, dtype):
        """lr sqrt(1 - beta_2^t) / (1 - beta_1^t) in the variables' dtype, as Keras computes it (float32:
        1 - 0.999^1 is 9.9998713e-4, so a float32 model's first steps are 6e-6 smaller than exact)."""
        rate, t = np.asarray(_lr(learning_rate, lr), dtype), np.asarray(count, dtype)
        return rate * np.sqrt(1 - b2.astype(dtype) ** t) / (1 - b1.astype(dtype) ** t)

    def update(grads, state, params, lr=None):
        params = _keras_weight_decay(params, weight_decay, _lr(learning_rate, lr))
        count = state.count + 1
        m = state.m + (grads - state.m) * per_run(1 - b1, params)
        v = state.v + (grads * grads - state.v) * per_run(1 - b2, params)
        v_hat = np.maximum(state.v_hat, v) if _has(amsgrad) else state.v_hat
        second = _choose(amsgrad, v_hat, v, params)
        rate = alpha(count, lr, params.dtype)
        params = params - m * per_run(rate, params) / (np.sqrt(second) + per_run(epsilon, params))
        return params, KerasAdamState(count, m, v, v_hat)

    def step_size(state, lr=None):
        second = _choose(amsgrad, state.v_hat, state.v, state.v)
        rate = alpha(np.maximum(state.count, 1), lr, second.dtype)
        return per_run(rate, second) / (np.sqrt(second) + per_run(epsilon, second))

    return Optimizer(init, update, step_size)


_KERAS_BETAS = (
    _beta_spec("beta_1", 0.9, "decay of the first moment average"),
    _beta_spec("beta_2", 0.999, "decay of the second moment average"),
)


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3), *_KERAS_BETAS, _eps_spec("epsilon", 1e-7, "added to sqrt(v), unscaled"),
    _flag("amsgrad", "use the running maximum of v"), _KERAS_WD,
    family="keras",
)
def keras_adam(learning_rate: Any = 1e-3, beta_1: Any = 0.9, beta_2: Any = 0.999, epsilon: Any = 1e-7,
               amsgrad: Any = False, weight_decay: Any = 0.0) -> Optimizer:
    """keras Adam: the bias correction is folded into the rate, so epsilon acts on the raw sqrt(v)."""
    return _keras_adam(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay)


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3),
    _decay_spec("weight_decay", 0.004, "decoupled: theta -= lr * wd * theta before the update"),
    *_KERAS_BETAS, _eps_spec("epsilon", 1e-7, "added to sqrt(v), unscaled"),
    _flag("amsgrad", "use the running maximum of v"),
    family="keras",
)
def keras_adamw(learning_rate: Any = 1e-3, weight_decay: Any = 0.004, beta_1: Any = 0.9, beta_2: Any = 0.999,
                epsilon: Any = 1e-7, amsgrad: Any = False) -> Optimizer:
    """keras AdamW: keras Adam with decoupled weight decay (default 0.004)."""
    return _keras_adam(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay)


class KerasNadamState(NamedTuple):
    """keras.optimizers.Nadam state."""

    count: np.ndarray
    u_product: np.ndarray
    m: np.ndarray
    v: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3), *_KERAS_BETAS, _eps_spec("epsilon", 1e-7), _KERAS_WD, family="keras",
)
def keras_nadam(learning_rate: Any = 1e-3, beta_1: Any = 0.9, beta_2: Any = 0.999, epsilon: Any = 1e-7,
                weight_decay: Any = 0.0) -> Optimizer:
    """keras Nadam: momentum schedule u_t = beta_1 (1 - 0.5 * 0.96^t), faster than torch's 0.96^(t psi)."""
    b1, b2 = np.asarray(beta_1, np.float64), np.asarray(beta_2, np.float64)

    def init(params: np.ndarray) -> KerasNadamState:
        return KerasNadamState(_counts(params), np.ones(params.shape[:1]), _zeros(params), _zeros(params))

    def update(grads, state, params, lr=None):
        rate = _lr(learning_rate, lr)
        params = _keras_weight_decay(params, weight_decay, rate)
        count = state.count + 1
        u_t = b1 * (1.0 - 0.5 * 0.96**count)
        u_next = b1 * (1.0 - 0.5 * 0.96 ** (count + 1))
        u_product = state.u_product * u_t
        m = state.m + (grads - state.m) * per_run(1 - b1, params)
        v = state.v + (grads * grads - state.v) * per_run(1 - b2, params)
        m_hat = (per_run(u_next / (1 - u_product * u_next), params) * m
                 + per_run((1 - u_t) / (1 - u_product), params) * grads)
        v_hat = v / per_run(1 - b2**count, params)
        params = params - m_hat * per_run(rate, params) / (np.sqrt(v_hat) + per_run(epsilon, params))
        return params, KerasNadamState(count, u_product, m, v)

    def step_size(state, lr=None):
        v_hat = state.v / per_run(1 - b2 ** np.maximum(state.count, 1), state.v)
        return per_run(_lr(learning_rate, lr), v_hat) / (np.sqrt(v_hat) + per_run(epsilon, v_hat))

    return Optimizer(init, update, step_size)


class KerasAdamaxState(NamedTuple):
    """keras.optimizers.Adamax state."""

    count: np.ndarray
    m: np.ndarray
    u: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3), *_KERAS_BETAS, _eps_spec("epsilon", 1e-7), _KERAS_WD, family="keras",
)
def keras_adamax(learning_rate: Any = 1e-3, beta_1: Any = 0.9, beta_2: Any = 0.999, epsilon: Any = 1e-7,
                 weight_decay: Any = 0.0) -> Optimizer:
    """keras Adamax: u = max(beta_2 u, |g|); epsilon is added to u, not inside the max as in torch."""
    b1 = np.asarray(beta_1, np.float64)

    def init(params: np.ndarray) -> KerasAdamaxState:
        return KerasAdamaxState(_counts(params), _zeros(params), _zeros(params))

    def rate_over(count, lr):
        return np.asarray(_lr(learning_rate, lr), np.float64) / (1 - b1**count)

    def update(grads, state, params, lr=None):
        params = _keras_weight_decay(params, weight_decay, _lr(learning_rate, lr))
        count = state.count + 1
        m = state.m + (grads - state.m) * per_run(1 - b1, params)
        u = np.maximum(per_run(beta_2, params) * state.u, np.abs(grads))
        params = params - per_run(rate_over(count, lr), params) * m / (u + per_run(epsilon, params))
        return params, KerasAdamaxState(count, m, u)

    def step_size(state, lr=None):
        return per_run(rate_over(np.maximum(state.count, 1), lr), state.u) / (state.u + per_run(epsilon, state.u))

    return Optimizer(init, update, step_size)


class KerasAdadeltaState(NamedTuple):
    """keras.optimizers.Adadelta state."""

    count: np.ndarray
    accumulated_grad: np.ndarray
    accumulated_delta_var: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3),
    ParamSpec("rho", "float", 0.95, low=0.0, high=1.0, step=0.01,
              help="decay of the squared-gradient and squared-update averages"),
    _eps_spec("epsilon", 1e-7, "added inside both square roots"),
    _KERAS_WD,
    family="keras",
)
def keras_adadelta(learning_rate: Any = 1e-3, rho: Any = 0.95, epsilon: Any = 1e-7,
                   weight_decay: Any = 0.0) -> Optimizer:
    """keras Adadelta: torch's rule with other defaults: learning_rate 0.001 (not 1.0), rho 0.95, epsilon 1e-7.

    keras/src/optimizers/adadelta.py (its torch backend, keras/src/backend/torch/optimizers/torch_adadelta.py,
    computes the same): v = rho v + (1 - rho) g^2; delta = sqrt(u + eps) g / sqrt(v + eps);
    u = rho u + (1 - rho) delta^2; theta -= lr * delta. At the default rate the steps are a thousand
    times torch's: Keras says "to match the exact form in the original paper, use 1.0".
    """

    def init(params: np.ndarray) -> KerasAdadeltaState:
        return KerasAdadeltaState(_counts(params), _zeros(params), _zeros(params))

    def ratio(accumulated_grad: np.ndarray, accumulated_delta: np.ndarray) -> np.ndarray:
        e = per_run(epsilon, accumulated_grad)
        return np.sqrt(accumulated_delta + e) / np.sqrt(accumulated_grad + e)

    def update(grads, state, params, lr=None):
        rate = _lr(learning_rate, lr)
        params = _keras_weight_decay(params, weight_decay, rate)
        r = per_run(rho, params)
        accumulated_grad = state.accumulated_grad * r + (1 - r) * (grads * grads)
        e = per_run(epsilon, params)
        delta = -(np.sqrt(state.accumulated_delta_var + e) * grads) / np.sqrt(accumulated_grad + e)
        accumulated_delta = state.accumulated_delta_var * r + (1 - r) * (delta * delta)
        params = params + per_run(rate, params) * delta
        return params, KerasAdadeltaState(state.count + 1, accumulated_grad, accumulated_delta)

    def step_size(state, lr=None):
        return per_run(_lr(learning_rate, lr), state.accumulated_grad) * ratio(state.accumulated_grad,
                                                                               state.accumulated_delta_var)

    return Optimizer(init, update, step_size)


class KerasLionState(NamedTuple):
    """keras.optimizers.Lion state."""

    count: np.ndarray
    momentum: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3),
    ParamSpec("beta_1", "float", 0.9, low=0.0, high=1.0, low_open=True, step=0.01,
              help="how much of the momentum enters the sign (0 would make it signSGD, which Keras refuses)"),
    ParamSpec("beta_2", "float", 0.99, step=0.01,
              help="decay of the momentum average (Keras takes any value; only the sign of the blend is used)"),
    _KERAS_WD,
    family="keras",
)
def keras_lion(learning_rate: Any = 1e-3, beta_1: Any = 0.9, beta_2: Any = 0.99, weight_decay: Any = 0.0) -> Optimizer:
    """keras Lion: every parameter moves by exactly lr, in the sign of a blend of momentum and gradient.

    keras/src/optimizers/lion.py (torch backend: keras/src/backend/torch/optimizers/torch_lion.py):
    theta -= lr * sign(beta_1 m + (1 - beta_1) g); then m = beta_2 m + (1 - beta_2) g (Chen et al.
    2023, "Symbolic Discovery of Optimization Algorithms"). Keras refuses beta_1 outside (0, 1].
    PyTorch (2.13) has no Lion in torch.optim: the PyTorch code is a loop that does the same.
    """

    def init(params: np.ndarray) -> KerasLionState:
        return KerasLionState(_counts(params), _zeros(params))

    def update(grads, state, params, lr=None):
        rate = _lr(learning_rate, lr)
        params = _keras_weight_decay(params, weight_decay, rate)
        b1, b2 = per_run(beta_1, params), per_run(beta_2, params)
        direction = np.sign(state.momentum * b1 + grads * (1 - b1))
        params = params - direction * per_run(rate, params)
        return params, KerasLionState(state.count + 1, state.momentum * b2 + grads * (1 - b2))

    return Optimizer(init, update, _constant_rate_of(learning_rate, "momentum"))


class KerasFtrlState(NamedTuple):
    """keras.optimizers.Ftrl state."""

    count: np.ndarray
    accumulator: np.ndarray
    linear: np.ndarray


def _non_negative(name: str, default: float, text: str) -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, scale="log", help=text)


@OPTIMIZERS.register(
    ParamSpec("learning_rate", "float", 1e-3, low=0.0, low_open=True, scale="log",
              help="learning rate (not 0: FTRL divides by it)"),
    ParamSpec("learning_rate_power", "float", -0.5, high=0.0, step=0.05,
              help="the per-coordinate rate is lr / n^(-power): -0.5 is Adagrad-like, 0 a fixed rate"),
    _non_negative("initial_accumulator_value", 0.1, "starting value of n, the sum of squared gradients"),
    _non_negative("l1_regularization_strength", 0.0, "L1: coordinates with |z| <= l1 are set to exactly 0"),
    _non_negative("l2_regularization_strength", 0.0, "L2 on the weights, in the closed-form step"),
    _non_negative("l2_shrinkage_regularization_strength", 0.0, "L2 added to the gradient as 2 * l2s * theta"),
    _non_negative("beta", 0.0, "adds beta / (2 lr) to l2_regularization_strength"),
    _KERAS_WD,
    family="keras",
)
def keras_ftrl(learning_rate: Any = 1e-3, learning_rate_power: Any = -0.5, initial_accumulator_value: Any = 0.1,
               l1_regularization_strength: Any = 0.0, l2_regularization_strength: Any = 0.0,
               l2_shrinkage_regularization_strength: Any = 0.0, beta: Any = 0.0,
               weight_decay: Any = 0.0) -> Optimizer:
    """keras Ftrl: Follow The Regularized Leader (McMahan et al. 2013); theta is solved for, not stepped.

    keras/src/optimizers/ftrl.py: n' = n + g^2; z += g + 2 l2s theta - (n'^-p - n^-p) / lr * theta;
    theta = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 (l2 + beta / (2 lr))), p the learning_rate_power.
    With l1 > 0 a coordinate whose |z| <= l1 is exactly 0: the sparsity FTRL is used for.
    Keras refuses a positive learning_rate_power and negative accumulator or strengths.
    """

    def init(params: np.ndarray) -> KerasFtrlState:
        return KerasFtrlState(_counts(params), np.zeros_like(params) + per_run(initial_accumulator_value, params),
                              _zeros(params))

    def quadratic(accumulator: np.ndarray, rate: Any) -> np.ndarray:
        rate = per_run(rate, accumulator)
        l2 = per_run(l2_regularization_strength, accumulator) + per_run(beta, accumulator) / (2.0 * rate)
        return accumulator ** per_run(-np.asarray(learning_rate_power, np.float64), accumulator) / rate + 2 * l2

    def update(grads, state, params, lr=None):
        rate = _lr(learning_rate, lr)
        params = _keras_weight_decay(params, weight_decay, rate)
        power = per_run(-np.asarray(learning_rate_power, np.float64), params)
        g = grads + 2 * per_run(l2_shrinkage_regularization_strength, params) * params
        accumulator = state.accumulator + grads * grads
        sigma = (accumulator**power - state.accumulator**power) / per_run(rate, params)
        linear = state.linear + (g - sigma * params)
        l1 = per_run(l1_regularization_strength, params)
        params = (np.clip(linear, -l1, l1) - linear) / quadratic(accumulator, rate)
        return params, KerasFtrlState(state.count + 1, accumulator, linear)

    def step_size(state, lr=None):
        return 1 / quadratic(state.accumulator, _lr(learning_rate, lr))

    return Optimizer(init, update, step_size)


class KerasLambState(NamedTuple):
    """keras.optimizers.Lamb state."""

    count: np.ndarray
    momentum: np.ndarray
    velocity: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3), *_KERAS_BETAS, _eps_spec("epsilon", 1e-7, "added to sqrt(v_hat)"), _KERAS_WD,
    family="keras", per_variable=True,
)
def keras_lamb(learning_rate: Any = 1e-3, beta_1: Any = 0.9, beta_2: Any = 0.999, epsilon: Any = 1e-7,
               weight_decay: Any = 0.0, *, shapes: Shapes | None = None) -> Optimizer:
    """keras Lamb: the Adam direction, rescaled per variable so its norm equals the variable's (You et al. 2020).

    keras/src/optimizers/lamb.py: u = m_hat / (sqrt(v_hat) + eps); theta -= lr * (||theta|| / ||u||) * u, the
    norms over each whole variable (a kernel, a bias), the ratio 1 where either norm is 0. `shapes` lays
    out the variables in a row (training passes the network's); without it the row is one variable, as a
    point on a surface is: there the step is lr * |(x, y)| long, whatever the gradient's size.
    """
    b1, b2 = np.asarray(beta_1, np.float64), np.asarray(beta_2, np.float64)

    def init(params: np.ndarray) -> KerasLambState:
        _layout(params, shapes)
        return KerasLambState(_counts(params), _zeros(params), _zeros(params))

    def direction(state: KerasLambState) -> np.ndarray:
        count = np.maximum(state.count, 1)
        m_hat = state.momentum / per_run(1 - b1**count, state.momentum)
        return m_hat / (np.sqrt(state.velocity / per_run(1 - b2**count, state.velocity))
                        + per_run(epsilon, state.velocity))

    def trust_ratio(params: np.ndarray, update: np.ndarray) -> np.ndarray:
        layout = _layout(params, shapes)
        w_norm, u_norm = np.sqrt(_per_variable(params * params, layout)), np.sqrt(_per_variable(update * update,
                                                                                               layout))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, 1.0)
        return _spread(ratio.astype(params.dtype), layout)

    def update(grads, state, params, lr=None):
        rate = _lr(learning_rate, lr)
        params = _keras_weight_decay(params, weight_decay, rate)
        momentum = state.momentum + (grads - state.momentum) * per_run(1 - b1, params)
        velocity = state.velocity + (grads * grads - state.velocity) * per_run(1 - b2, params)
        new_state = KerasLambState(state.count + 1, momentum, velocity)
        step = direction(new_state)
        return params - trust_ratio(params, step) * per_run(rate, params) * step, new_state

    def step_size(state, lr=None):
        """lr / (sqrt(v_hat) + eps), the factor in front of m_hat before the trust ratio ||theta|| / ||u||,
        which needs the parameters and the state does not hold them."""
        count = np.maximum(state.count, 1)
        v_hat = state.velocity / per_run(1 - b2**count, state.velocity)
        return per_run(_lr(learning_rate, lr), v_hat) / (np.sqrt(v_hat) + per_run(epsilon, v_hat))

    return Optimizer(init, update, step_size)


class KerasAdafactorState(NamedTuple):
    """keras.optimizers.Adafactor state: r and c hold the row and column factors of the 2-D variables,
    one after another (empty without 2-D variables); v is the second-moment estimate of every parameter."""

    count: np.ndarray
    r: np.ndarray
    c: np.ndarray
    v: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3),
    ParamSpec("beta_2_decay", "float", -0.8, high=0.0, step=0.05,
              help="the second-moment decay is 1 - t^beta_2_decay: it grows toward 1"),
    ParamSpec("epsilon_1", "float", 1e-30, low=0.0, scale="log", help="added to g^2"),
    ParamSpec("epsilon_2", "float", 1e-3, low=0.0, scale="log", help="the least RMS a variable's step scales with"),
    ParamSpec("clip_threshold", "float", 1.0, low=0.0, low_open=True, scale="log",
              help="the update's RMS is clipped to this"),
    ParamSpec("relative_step", "bool", True,
              help="lr = min(lr, 1/sqrt(t)); Keras 3 takes that minimum again anyway, so it changes nothing"),
    _KERAS_WD,
    family="keras", per_variable=True,
)
def keras_adafactor(learning_rate: Any = 1e-3, beta_2_decay: Any = -0.8, epsilon_1: Any = 1e-30,
                    epsilon_2: Any = 1e-3, clip_threshold: Any = 1.0, relative_step: Any = True,
                    weight_decay: Any = 0.0, *, shapes: Shapes | None = None) -> Optimizer:
    """keras Adafactor: a factored second moment for matrices, steps relative to the variable's RMS (Shazeer 2018).

    keras/src/optimizers/adafactor.py: rho = min(lr, 1/sqrt(t)); alpha = max(epsilon_2, RMS(theta)) * rho;
    b = 1 - t^beta_2_decay. A 2-D variable keeps a row mean r and a column mean c of g^2 + epsilon_1
    (r = b r + (1 - b) mean over columns, c likewise over rows) and v = (r / mean(r)) outer c; a 1-D
    variable keeps v = b v + (1 - b) (g^2 + epsilon_1). u = g / sqrt(v), clipped to RMS clip_threshold;
    theta -= alpha * u. `shapes` lays out the variables (training passes the network's kernels and biases,
    so kernels are factored); without it the row is one 1-D variable, as Keras treats a vector: a point on a
    surface gets the unfactored v, and its step is relative to RMS(x, y), its distance from the origin.
    """

    def init(params: np.ndarray) -> KerasAdafactorState:
        layout = _layout(params, shapes)
        rows = sum(shape[0] for shape in layout.shapes if len(shape) == 2)
        cols = sum(shape[1] for shape in layout.shapes if len(shape) == 2)
        runs = params.shape[:1]
        return KerasAdafactorState(_counts(params), np.zeros((*runs, rows), params.dtype),
                                   np.zeros((*runs, cols), params.dtype), _zeros(params))

    def update(grads, state, params, lr=None):
        layout = _layout(params, shapes)
        rate = np.asarray(_lr(learning_rate, lr), np.float64)
        params = _keras_weight_decay(params, weight_decay, rate)
        count = state.count + 1
        rho = per_run(np.minimum(rate, 1 / np.sqrt(count)), params)
        alpha = np.maximum(per_run(epsilon_2, params), _rms(params, layout)) * rho
        regulated = grads * grads + per_run(epsilon_1, params)
        b = per_run(1 - count ** np.asarray(beta_2_decay, np.float64), params)
        r, c, v = state.r.copy(), state.c.copy(), state.v.copy()
        row = col = 0
        for start, size, shape in zip(layout.starts, layout.sizes, layout.shapes, strict=True):  # over variables
            entries = slice(int(start), int(start + size))
            if len(shape) == 1:
                v[..., entries] = b * state.v[..., entries] + (1 - b) * regulated[..., entries]
                continue
            height, width = shape
            square = regulated[..., entries].reshape(*regulated.shape[:-1], height, width)
            rows, cols = slice(row, row + height), slice(col, col + width)
            r[..., rows] = b * state.r[..., rows] + (1 - b) * square.mean(axis=-1)
            c[..., cols] = b * state.c[..., cols] + (1 - b) * square.mean(axis=-2)
            factor = r[..., rows] / r[..., rows].mean(axis=-1, keepdims=True)
            v[..., entries] = (factor[..., :, None] * c[..., None, cols]).reshape(*v.shape[:-1], size)
            row, col = row + height, col + width
        u = grads / np.sqrt(v)
        clip = np.maximum(1.0, _rms(u, layout) / per_run(clip_threshold, params))
        params = params - _spread(alpha, layout) * (u / _spread(clip, layout))
        return params, KerasAdafactorState(count, r, c, v)

    def step_size(state, lr=None):
        """rho / sqrt(v): the factor in front of g, without the variable's RMS (alpha = max(epsilon_2,
        RMS(theta)) * rho needs the parameters, which the state does not hold) and before the clipping."""
        count = np.maximum(state.count, 1)
        rho = per_run(np.minimum(np.asarray(_lr(learning_rate, lr), np.float64), 1 / np.sqrt(count)), state.v)
        with np.errstate(divide="ignore"):
            return rho / np.sqrt(state.v)

    return Optimizer(init, update, step_size)


# =========================================================================== Muon (2-D weight matrices)
def _bfloat16(x: np.ndarray) -> np.ndarray:
    """x rounded to bfloat16 (through float32, to nearest even), as float64 values: torch's .bfloat16()."""
    bits = np.asarray(x, np.float32).view(np.uint32)
    with np.errstate(over="ignore"):
        rounded = ((bits + (((bits >> 16) & 1) + 0x7FFF).astype(np.uint32)) >> 16) << 16
    return rounded.astype(np.uint32).view(np.float32).astype(np.float64)


def _float32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, np.float32)


def _newton_schulz_bfloat16(update: np.ndarray, coefficients: np.ndarray, steps: np.ndarray,
                            eps: np.ndarray) -> np.ndarray:
    """torch/optim/_muon.py's _zeropower_via_newtonschulz on (R, rows, cols) matrices, in bfloat16 as torch runs it.

    X = bf16(G) (transposed when rows > cols), X /= max(||X||, eps); then steps times A = X X^T,
    B = b A + c A A, X = a X + B X. Every product and sum is rounded to bfloat16 once, after a float32
    accumulation (measured on torch 2.13's CPU kernels: a bf16 matmul and addmm equal the exact result
    rounded to float32 and then to bfloat16, with the scalars in float32). Runs may have their own (a, b, c),
    steps and eps.
    """
    x = _bfloat16(update)
    wide = x.shape[-2] > x.shape[-1]
    if wide:
        x = np.swapaxes(x, -1, -2)
    norm = _bfloat16(np.sqrt((x * x).sum(axis=(-2, -1))))
    norm = _bfloat16(np.where(norm < eps, eps, norm))
    x = _bfloat16(_float32(x) / _float32(norm)[:, None, None])
    a, b, c = (_float32(coefficients[..., k]).reshape(-1, 1, 1) for k in range(3))
    for step in range(int(np.max(steps))):  # a loop over iterations; runs with fewer steps keep theirs
        gram = _bfloat16(x @ np.swapaxes(x, -1, -2))
        gram_update = _bfloat16(b * _float32(gram) + c * _float32(gram @ gram))
        moved = _bfloat16(a * _float32(x) + _float32(gram_update @ x))
        x = np.where((step < steps).reshape(-1, 1, 1), moved, x)
    return np.swapaxes(x, -1, -2) if wide else x


def _matrices(layout: Layout) -> list[tuple[slice, tuple[int, int]]]:
    """The entries and shapes of the 2-D variables of a row."""
    return [(slice(int(start), int(start + size)), shape)
            for start, size, shape in zip(layout.starts, layout.sizes, layout.shapes, strict=True) if len(shape) == 2]


def _vectors(layout: Layout) -> np.ndarray | slice:
    """The row's entries of its variables that are not 2-D (biases), in order: a slice (a view, no copy) where they
    are contiguous, as a network's biases after its kernels are."""
    parts = [np.arange(start, start + size) for start, size, shape in
             zip(layout.starts, layout.sizes, layout.shapes, strict=True) if len(shape) != 2]
    entries = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
    if not len(entries):
        return slice(0, 0)
    if np.all(np.diff(entries) == 1):
        return slice(int(entries[0]), int(entries[-1]) + 1)
    return entries


def _fused(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """_fma in c's dtype: float32 through float64 (exact products, one rounding per dtype)."""
    if c.dtype == np.float64:
        return _fma(np.asarray(a, np.float64), np.asarray(b, np.float64), c)
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + c).astype(c.dtype)


class MuonState(NamedTuple):
    """torch.optim.Muon state: the momentum buffer of the 2-D variables (zeros on the other entries), and the
    state of the AdamW the other variables (biases) get, over those entries only (R, number of such entries)."""

    count: np.ndarray
    momentum_buffer: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-3),
    _decay_spec("weight_decay", 0.1, "decoupled: theta *= 1 - lr * wd (2-D variables; biases: AdamW's 0.01)"),
    ParamSpec("momentum", "float", 0.95, low=0.0, step=0.01, help="B = lerp(B, g, 1 - momentum)"),
    ParamSpec("nesterov", "bool", True, help="orthogonalize lerp(g, B, momentum) instead of B"),
    ParamSpec("ns_coefficients", "floats", (3.4445, -4.775, 2.0315), length=3,
              help="(a, b, c) of the Newton-Schulz iteration X = a X + (b A + c A^2) X, A = X X^T"),
    _eps_spec("eps", 1e-7, "the least norm X is divided by before the iteration"),
    ParamSpec("ns_steps", "int", 5, low=0, high=99, help="Newton-Schulz iterations (torch: fewer than 100)"),
    ParamSpec("adjust_lr_fn", "choice", None, choices=(None, "original", "match_rms_adamw"), optional=True,
              help="none/original: lr sqrt(max(1, rows/cols)); match_rms_adamw: 0.2 lr sqrt(max(rows, cols))"),
    family="pytorch", per_variable=True, matrices=True,
)
def muon(lr: Any = 1e-3, weight_decay: Any = 0.1, momentum: Any = 0.95, nesterov: Any = True,
         ns_coefficients: Any = (3.4445, -4.775, 2.0315), eps: Any = 1e-7, ns_steps: Any = 5,
         adjust_lr_fn: Any = None, *, shapes: Shapes | None = None) -> Optimizer:
    """torch Muon (PyTorch 2.13): momentum, then the update orthogonalized by a Newton-Schulz iteration in bfloat16.

    torch/optim/_muon.py (single-tensor path): B = lerp(B, g, 1 - momentum); U = lerp(g, B, momentum) (nesterov)
    or B; O = NS(U) (`_newton_schulz_bfloat16`, bfloat16 as torch computes it); theta *= 1 - lr wd;
    theta -= lr' O with lr' = lr sqrt(max(1, A/B)) (original) or 0.2 lr sqrt(max(A, B)) (match_rms_adamw), A x B
    the torch weight's shape: a Linear layer's weight is (fan_out, fan_in), the transpose of the kernels here,
    which changes nothing in O and is taken into account in lr'. torch.optim.Muon refuses parameters that are not
    2-D, and its documentation gives them to AdamW: here the biases are updated by torch AdamW at the same rate
    with its defaults (betas (0.9, 0.999), eps 1e-8, weight_decay 0.01), as the code panel shows. `shapes` lays
    out the variables (training passes the network's); a surface's point is one vector of 2, not a matrix, so
    Muon is for training only.
    """
    default_lr = lr
    coefficients = np.asarray(ns_coefficients, np.float64)
    adamw_biases = _adam(lr, (0.9, 0.999), 1e-8, 1e-2, False, decoupled=True)

    def init(params: np.ndarray) -> MuonState:
        vectors = _vectors(_layout(params, shapes))
        return MuonState(_counts(params), _zeros(params), _zeros(params[..., vectors]), _zeros(params[..., vectors]))

    def fallback(state: MuonState) -> AdamState:
        return AdamState(state.count, state.exp_avg, state.exp_avg_sq, state.exp_avg_sq)  # amsgrad off: unused

    def update(grads, state, params, lr=None):
        layout = _layout(params, shapes)
        rate = np.broadcast_to(np.asarray(_lr(default_lr, lr), np.float64), params.shape[:1])
        new, buf = params.copy(), state.momentum_buffer.copy()
        mu = per_run(momentum, params)
        for entries, (rows, cols) in _matrices(layout):  # a loop over the network's kernels
            g = grads[..., entries]
            buf[..., entries] = _lerp(state.momentum_buffer[..., entries], g, 1 - mu)
            direction = _choose(nesterov, _lerp(g, buf[..., entries], mu), buf[..., entries], g)
            matrix = direction.reshape(-1, rows, cols)
            orthogonal = _newton_schulz_bfloat16(matrix, coefficients, np.asarray(ns_steps), np.asarray(eps))
            out, inputs = cols, rows  # torch's weight is (fan_out, fan_in)
            original = np.sqrt(max(1.0, out / inputs))
            ratio = np.where(np.asarray(adjust_lr_fn, dtype=object) == "match_rms_adamw",
                             0.2 * np.sqrt(max(out, inputs)), original).astype(np.float64)
            decayed = params[..., entries] * per_run(1 - rate * np.asarray(weight_decay, np.float64), params)
            step = per_run(-(rate * ratio), params)
            new[..., entries] = _fused(step, orthogonal.reshape(g.shape).astype(params.dtype), decayed)
        vectors = _vectors(layout)
        moved, biases = adamw_biases.update(grads[..., vectors], fallback(state), params[..., vectors], rate)
        new[..., vectors] = moved
        return new, MuonState(state.count + 1, buf, biases.exp_avg, biases.exp_avg_sq)

    def step_size(state, lr=None):
        """lr on the matrices (times the shape's adjustment, before it), AdamW's lr / (sqrt(v_hat) + eps) on the
        rest."""
        layout = _layout(state.momentum_buffer, shapes)
        out = np.broadcast_to(per_run(_lr(default_lr, lr), state.momentum_buffer),
                              state.momentum_buffer.shape).astype(np.float64)
        out[..., _vectors(layout)] = adamw_biases.step_size(fallback(state), lr)
        return out

    return Optimizer(init, update, step_size)


class KerasMuonState(NamedTuple):
    """keras.optimizers.Muon state: momentums of every variable, velocities of the ones the AdamW step updates
    (zeros on the 2-D variables' entries)."""

    count: np.ndarray
    momentums: np.ndarray
    velocities: np.ndarray


def _newton_schulz5(x: np.ndarray, a: Any, b: Any, c: Any, steps: Any) -> np.ndarray:
    """keras/src/optimizers/muon.py's zeropower_via_newtonschulz5 on (R, rows, cols), in x's dtype; runs may have
    their own a, b, c and steps."""
    wide = x.shape[-2] > x.shape[-1]
    if wide:
        x = np.swapaxes(x, -1, -2)
    # keras.ops.norm casts a float64 matrix to float32 first (dtypes.result_type(float64, float) on the torch
    # backend): the norm and the 1e-7 added to it are float32 numbers, whatever the variables' dtype
    x32 = x.astype(np.float32).astype(np.float64)
    norm = np.sqrt((x32 * x32).sum(axis=(-2, -1), keepdims=True)).astype(np.float32) + np.float32(1e-7)
    x = x / norm.astype(x.dtype)
    a, b, c = (np.asarray(v, x.dtype).reshape(-1, 1, 1) for v in (a, b, c))
    steps = np.asarray(steps).reshape(-1, 1, 1)
    for step in range(int(np.max(steps))):  # a loop over iterations; runs with fewer steps keep theirs
        temp_a = x @ np.swapaxes(x, -1, -2)
        temp_b = b * temp_a + (c * temp_a) @ temp_a
        x = np.where(step < steps, a * x + temp_b @ x, x)
    return np.swapaxes(x, -1, -2) if wide else x


@OPTIMIZERS.register(
    _lr_spec("learning_rate", 1e-3),
    _beta_spec("adam_beta_1", 0.9, "the AdamW step's (variables that are not 2-D): decay of the first moment"),
    _beta_spec("adam_beta_2", 0.999, "the AdamW step's: decay of the second moment"),
    _decay_spec("adam_weight_decay", 0.004, "decoupled weight decay of the AdamW step's variables"),
    _eps_spec("epsilon", 1e-7, "the AdamW step's: added to sqrt(v)"),
    _decay_spec("weight_decay", 0.004, "decoupled weight decay of the 2-D variables (the Muon step's)"),
    ParamSpec("muon_a", "float", 3.4445, help="a of the Newton-Schulz iteration X = a X + (b A + c A A) X"),
    ParamSpec("muon_b", "float", -4.775, help="b of the Newton-Schulz iteration"),
    ParamSpec("muon_c", "float", 2.0315, help="c of the Newton-Schulz iteration"),
    ParamSpec("adam_lr_ratio", "float", 1.0, low=0.0, scale="log", help="the AdamW step's rate is lr times this"),
    ParamSpec("momentum", "float", 0.95, step=0.01, help="m = momentum m + g"),
    ParamSpec("ns_steps", "int", 5, low=0, high=1000, help="Newton-Schulz iterations"),
    ParamSpec("nesterov", "bool", True, help="orthogonalize g + momentum m instead of m"),
    ParamSpec("rms_rate", "float", 0.2, optional=True,
              help="the step is scaled by sqrt(max(rows, cols)) rms_rate (Moonlight); none: not scaled"),
    family="keras", per_variable=True, matrices=True,
)
def keras_muon(learning_rate: Any = 1e-3, adam_beta_1: Any = 0.9, adam_beta_2: Any = 0.999,
               adam_weight_decay: Any = 0.004, epsilon: Any = 1e-7, weight_decay: Any = 0.004, muon_a: Any = 3.4445,
               muon_b: Any = -4.775, muon_c: Any = 2.0315, adam_lr_ratio: Any = 1.0, momentum: Any = 0.95,
               ns_steps: Any = 5, nesterov: Any = True, rms_rate: Any = 0.2, *,
               shapes: Shapes | None = None) -> Optimizer:
    """keras Muon: the Muon step for 2-D variables, Keras's AdamW step for the others (biases), in full precision.

    keras/src/optimizers/muon.py: weight decay first, theta -= theta wd lr (adam_weight_decay for the AdamW
    variables); 2-D: m += g + m (momentum - 1), U = g + momentum m (nesterov) or m, theta -= lr NS5(U)
    sqrt(max(rows, cols)) rms_rate, NS5 dividing by ||U|| + 1e-7 and iterating ns_steps times in the variables'
    dtype; the others: Keras Adam at lr adam_lr_ratio. Keras also sends 2-D variables whose path names an
    embedding or matches exclude_layers to the AdamW step; a dense network here has neither. `shapes` lays out the
    variables (training passes the network's); a surface's point is one vector of 2, not a matrix, so Muon is for
    training only.
    """
    adam = _keras_adam(np.asarray(learning_rate, np.float64) * np.asarray(adam_lr_ratio, np.float64), adam_beta_1,
                       adam_beta_2, epsilon, False, 0.0)

    def init(params: np.ndarray) -> KerasMuonState:
        _layout(params, shapes)
        return KerasMuonState(_counts(params), _zeros(params), _zeros(params))

    def update(grads, state, params, lr=None):
        layout = _layout(params, shapes)
        rate = _lr(learning_rate, lr)
        vectors = _vectors(layout)
        rate_cast = per_run(np.asarray(rate, np.float64), params).astype(params.dtype)
        params = params.copy()  # Keras's weight decay first, each variable with its own: theta -= theta wd lr
        for entries, decay in [*((entries, weight_decay) for entries, _ in _matrices(layout)),
                               (vectors, adam_weight_decay)]:
            if _has(decay):
                part = params[..., entries]
                params[..., entries] = part - part * per_run(np.asarray(decay, np.float64), params) * rate_cast
        new, momentums = params, state.momentums.copy()
        mu, mu_less_one = per_run(momentum, params), per_run(np.asarray(momentum, np.float64) - 1, params)
        unscaled = np.asarray(rms_rate, dtype=object) == None  # noqa: E711 (elementwise): rms_rate None
        rms = np.where(unscaled, 0.0, np.asarray(rms_rate, dtype=object)).astype(np.float64)
        for entries, (rows, cols) in _matrices(layout):  # a loop over the network's kernels
            g, m = grads[..., entries], state.momentums[..., entries]
            m = m + (g + m * mu_less_one)
            momentums[..., entries] = m
            direction = _choose(nesterov, g + mu * m, m, g).reshape(-1, rows, cols)
            orthogonal = _newton_schulz5(direction, muon_a, muon_b, muon_c, ns_steps).reshape(g.shape)
            step = rate_cast * orthogonal
            # lr_adjust: sqrt(max(rows, cols)) comes out of ops.sqrt in float32, also for float64 variables
            factor = np.asarray(np.sqrt(np.float32(max(rows, cols))), params.dtype)
            scaled = np.where(per_run(unscaled, params, bool), step, step * factor * per_run(rms, params))
            new[..., entries] = params[..., entries] - scaled
        lr_adam = None if lr is None else np.asarray(lr, np.float64) * np.asarray(adam_lr_ratio, np.float64)
        sub = KerasAdamState(state.count, momentums[..., vectors], state.velocities[..., vectors],
                             state.velocities[..., vectors])
        moved, sub = adam.update(grads[..., vectors], sub, params[..., vectors], lr_adam)
        new[..., vectors], momentums[..., vectors] = moved, sub.m
        velocities = state.velocities.copy()
        velocities[..., vectors] = sub.v
        return new, KerasMuonState(state.count + 1, momentums, velocities)

    def step_size(state, lr=None):
        """lr on the 2-D variables (before the sqrt(max(rows, cols)) rms_rate scaling), Keras Adam's on the rest."""
        layout = _layout(state.momentums, shapes)
        vectors = _vectors(layout)
        out = np.broadcast_to(per_run(_lr(learning_rate, lr), state.momentums),
                              state.momentums.shape).astype(np.float64)
        lr_adam = None if lr is None else np.asarray(lr, np.float64) * np.asarray(adam_lr_ratio, np.float64)
        sub = KerasAdamState(state.count, state.momentums[..., vectors], state.velocities[..., vectors],
                             state.velocities[..., vectors])
        out[..., vectors] = adam.step_size(sub, lr_adam)
        return out

    return Optimizer(init, update, step_size)


# =========================================================================== where each one runs
# one line each: why an optimizer is not offered where it cannot run as its framework runs it
_NOT_ON_SURFACES = ("{name} is for 2-D weight matrices (it orthogonalizes each kernel's update) and a surface's point "
                    "is a vector of 2: torch.optim.Muon refuses it; train a network with it instead")
_NOT_IN_TRAINING = ("{name} evaluates the loss several times a step through a closure (torch.optim.LBFGS.step("
                    "closure)), which mini-batch training has not; run it on the surfaces (optimizer paths)")


def on_surfaces(name: str) -> bool:
    """Whether the optimizer runs on the 2-D surfaces (Muon needs weight matrices)."""
    return not OPTIMIZERS[name].meta.get("matrices")


def in_training(name: str) -> bool:
    """Whether the optimizer runs in network training (LBFGS needs a closure)."""
    return not OPTIMIZERS[name].meta.get("closure")


def check_on_surfaces(name: str) -> None:
    """A ParamError of one line saying why, for an optimizer that does not run on the surfaces."""
    if not on_surfaces(name):
        raise ParamError(_NOT_ON_SURFACES.format(name=name))


def check_in_training(name: str) -> None:
    """A ParamError of one line saying why, for an optimizer that does not run in network training."""
    if not in_training(name):
        raise ParamError(_NOT_IN_TRAINING.format(name=name))


def surface_names() -> list[str]:
    """The optimizers the surface panes offer."""
    return [name for name in OPTIMIZERS.names() if on_surfaces(name)]


def training_names() -> list[str]:
    """The optimizers network training offers."""
    return [name for name in OPTIMIZERS.names() if in_training(name)]


# =========================================================================== composition
class GroupedState(NamedTuple):
    """The state of `grouped`: one part per optimizer, over its own runs' rows."""

    count: np.ndarray
    parts: tuple[Any, ...]


def _rows(value: Any, index: np.ndarray) -> Any:
    """A per-run value (scalar, None or (R,) array) restricted to the runs at index."""
    if value is None or np.ndim(value) == 0:
        return value
    return np.asarray(value)[index]


def grouped(optimizers: Sequence[Optimizer], runs: Sequence[Any]) -> Optimizer:
    """Several optimizers over one batch of runs: optimizers[g] updates the rows runs[g] (index arrays
    that together cover every run once), so one training batch can compare SGD, Adam and AdaGrad.

    Each optimizer sees exactly the rows of its runs, with their per-run rates, so a run's numbers
    are those it gets alone. A step costs one update per optimizer, never one per run.
    """
    runs = [np.asarray(index, dtype=np.int64) for index in runs]

    def init(params: np.ndarray) -> GroupedState:
        return GroupedState(_counts(params), tuple(opt.init(params[index]) for opt, index in zip(optimizers, runs,
                                                                                                 strict=True)))

    def cycled(momentum: Any, index: np.ndarray) -> dict[str, Any]:
        """The `momentum` keyword of a group's call: only when a scheduler cycles it (not every optimizer takes it)."""
        return {} if momentum is None else {"momentum": _rows(momentum, index)}

    def update(grads, state, params, lr=None, momentum=None):
        new = np.empty_like(params)
        parts = []
        for opt, index, part in zip(optimizers, runs, state.parts, strict=True):  # a loop over optimizers
            new[index], moved = opt.update(grads[index], part, params[index], _rows(lr, index),
                                           **cycled(momentum, index))
            parts.append(moved)
        return new, GroupedState(state.count + 1, tuple(parts))

    def step_size(state, lr=None, momentum=None):
        sizes = [np.asarray(opt.step_size(part, _rows(lr, index), **cycled(momentum, index)))
                 for opt, index, part in zip(optimizers, runs, state.parts, strict=True)]
        row = np.broadcast_shapes(*(size.shape[1:] for size in sizes))
        out = np.empty((sum(len(index) for index in runs), *row), dtype=np.result_type(*sizes))
        for index, size in zip(runs, sizes, strict=True):
            out[index] = size
        return out

    if all(opt.evaluation_params is None for opt in optimizers):
        return Optimizer(init, update, step_size)

    def evaluation_params(state, params):
        out = params.copy()
        for opt, index, part in zip(optimizers, runs, state.parts, strict=True):  # a loop over optimizers
            if opt.evaluation_params is not None:
                out[index] = opt.evaluation_params(part, params[index])
        return out

    return Optimizer(init, update, step_size, evaluation_params)


def trajectory(optimizer: Optimizer, params: np.ndarray, gradient: Callable[[np.ndarray], np.ndarray], steps: int,
        lr: Any = None, objective: Objective | None = None) -> np.ndarray:
    """Trajectory of `steps` updates from params, the gradient recomputed at each point.

    Returns an array of shape (steps + 1,) + params.shape whose entry 0 is the start. lr may be a
    sequence of per-step rates (a schedule), or None for the optimizer's own rate. objective
    (points -> (loss, gradient)) is passed on to an optimizer that needs a closure (LBFGS).
    """
    closure = {} if objective is None else {"objective": objective}
    path = np.empty((steps + 1, *params.shape), dtype=params.dtype)
    path[0] = params
    state = optimizer.init(params)
    for k in range(steps):  # a loop over time; runs stay vectorized
        rate = None if lr is None else lr[k]
        params, state = optimizer.update(gradient(params), state, params, rate, **closure)
        path[k + 1] = params
    return path
