"""Optimizers of PyTorch and Keras 3 as (init, update) pairs over batched arrays.

Parameters, gradients and states carry a leading runs axis R: a (R, 2) array of points on a
surface, or the (R, P) flat parameter vector of R networks. Every hyperparameter may be a scalar
or an (R,) array, so eight optimizer settings or a sweep of 64 rates advance in one vectorized
step. `update(grads, state, params, lr=None)` returns `(new_params, new_state)` and never mutates
its inputs; `lr` overrides the constructor's rate for this step (a schedule) and may also be (R,).

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
    """

    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple[np.ndarray, Any]]
    step_size: Callable[..., np.ndarray]


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


def _constant_rate(default: Any) -> Callable[..., np.ndarray]:
    def step_size(state: Any, lr: Any = None) -> np.ndarray:
        return np.broadcast_to(per_run(_lr(default, lr), state.momentum_buffer), state.momentum_buffer.shape)

    return step_size


# --------------------------------------------------------------------------- specs
def _lr_spec(name: str, default: float) -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, low_open=True, scale="log", help="learning rate")


def _decay_spec(name: str, default: float, text: str) -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, scale="log", help=text)


def _eps_spec(name: str, default: float, text: str = "added to the denominator for stability") -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, low_open=True, scale="log", help=text)


def _beta_spec(name: str, default: float, text: str) -> ParamSpec:
    return ParamSpec(name, "float", default, low=0.0, high=1.0, high_open=True, step=0.01, help=text)


def _flag(name: str, text: str) -> ParamSpec:
    return ParamSpec(name, "bool", False, help=text)


_MOMENTUM = _beta_spec("momentum", 0.0, "momentum factor (0: none)")
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
    _beta_spec("dampening", 0.0, "fraction of the gradient left out of the momentum buffer"),
    _flag("nesterov", "Nesterov momentum: step along g + momentum * buffer"),
    _COUPLED_WD,
    family="pytorch",
    check=_check_sgd,
)
def sgd(lr: Any = 1e-3, momentum: Any = 0.0, dampening: Any = 0.0, nesterov: Any = False,
        weight_decay: Any = 0.0) -> Optimizer:
    """torch SGD: plain, with (heavy-ball) momentum, or Nesterov momentum."""
    default_lr = lr

    def init(params: np.ndarray) -> SGDState:
        return SGDState(_counts(params), _zeros(params))

    def update(grads, state, params, lr=None):
        rate = per_run(_lr(default_lr, lr), params)
        g = grads + per_run(weight_decay, params) * params if _has(weight_decay) else grads
        count = state.count + 1
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
    _beta_spec("alpha", 0.99, "decay of the squared-gradient average"),
    _eps_spec("eps", 1e-8),
    _COUPLED_WD,
    _MOMENTUM,
    _flag("centered", "divide by the variance of the gradient instead of its second moment"),
    family="pytorch",
)
def rmsprop(lr: Any = 1e-2, alpha: Any = 0.99, eps: Any = 1e-8, weight_decay: Any = 0.0, momentum: Any = 0.0,
            centered: Any = False) -> Optimizer:
    """torch RMSprop: divide by a running root mean square of the gradient (Hinton's lecture 6e)."""
    default_lr = lr

    def init(params: np.ndarray) -> RMSpropState:
        return RMSpropState(_counts(params), _zeros(params), _zeros(params), _zeros(params))

    def denominator(square_avg, grad_avg):
        variance = _choose(centered, square_avg - grad_avg * grad_avg, square_avg, square_avg)
        return np.sqrt(variance) + per_run(eps, square_avg)

    def update(grads, state, params, lr=None):
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

    def step_size(state, lr=None):
        return per_run(_lr(default_lr, lr), state.square_avg) / denominator(state.square_avg, state.grad_avg)

    return Optimizer(init, update, step_size)


class AdamState(NamedTuple):
    """torch.optim.Adam / AdamW state."""

    count: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray


def _adam(lr: Any, betas: Any, eps: Any, weight_decay: Any, amsgrad: Any, decoupled: bool) -> Optimizer:
    default_lr = lr
    beta1, beta2 = (np.asarray(b, np.float64) for b in _split_betas(betas))

    def init(params: np.ndarray) -> AdamState:
        return AdamState(_counts(params), _zeros(params), _zeros(params), _zeros(params))

    def denominator(state: AdamState) -> np.ndarray:
        second = _choose(amsgrad, state.max_exp_avg_sq, state.exp_avg_sq, state.exp_avg_sq)
        correction = per_run(np.sqrt(1 - beta2 ** np.maximum(state.count, 1)), second)
        return np.sqrt(second) / correction + per_run(eps, second)

    def update(grads, state, params, lr=None):
        rate = _lr(default_lr, lr)
        g = grads
        if _has(weight_decay):
            if decoupled:
                params = params * (1 - per_run(np.asarray(rate, np.float64) * weight_decay, params))
            else:
                g = grads + per_run(weight_decay, params) * params
        count = state.count + 1
        exp_avg = state.exp_avg + per_run(1 - beta1, params) * (g - state.exp_avg)
        exp_avg_sq = state.exp_avg_sq * per_run(beta2, params) + per_run(1 - beta2, params) * (g * g)
        max_sq = np.maximum(state.max_exp_avg_sq, exp_avg_sq) if _has(amsgrad) else state.max_exp_avg_sq
        new_state = AdamState(count, exp_avg, exp_avg_sq, max_sq)
        step = per_run(np.asarray(rate, np.float64) / (1 - beta1**count), params)
        return params - step * exp_avg / denominator(new_state), new_state

    def step_size(state, lr=None):
        rate = np.asarray(_lr(default_lr, lr), np.float64) / (1 - beta1 ** np.maximum(state.count, 1))
        return per_run(rate, state.exp_avg) / denominator(state)

    return Optimizer(init, update, step_size)


def _split_betas(betas: Any) -> tuple[Any, Any]:
    """(beta1, beta2) from a pair, or from an (R, 2) array of per-run pairs."""
    array = np.asarray(betas, dtype=np.float64)
    return (array[..., 0], array[..., 1])


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-3), _BETAS, _eps_spec("eps", 1e-8), _COUPLED_WD,
    _flag("amsgrad", "use the running maximum of the second moment (Reddi et al. 2018)"),
    family="pytorch",
)
def adam(lr: Any = 1e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 0.0,
         amsgrad: Any = False) -> Optimizer:
    """torch Adam: momentum and RMS scaling with bias correction; weight decay is coupled L2."""
    return _adam(lr, betas, eps, weight_decay, amsgrad, decoupled=False)


@OPTIMIZERS.register(
    _lr_spec("lr", 1e-3), _BETAS, _eps_spec("eps", 1e-8),
    _decay_spec("weight_decay", 1e-2, "decoupled: theta *= 1 - lr * wd before the Adam step"),
    _flag("amsgrad", "use the running maximum of the second moment"),
    family="pytorch",
)
def adamw(lr: Any = 1e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 1e-2,
          amsgrad: Any = False) -> Optimizer:
    """torch AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019)."""
    return _adam(lr, betas, eps, weight_decay, amsgrad, decoupled=True)


class NAdamState(NamedTuple):
    """torch.optim.NAdam state."""

    count: np.ndarray
    mu_product: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


@OPTIMIZERS.register(
    _lr_spec("lr", 2e-3), _BETAS, _eps_spec("eps", 1e-8), _COUPLED_WD,
    _decay_spec("momentum_decay", 4e-3, "psi: the momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi))"),
    _flag("decoupled_weight_decay", "apply weight decay as AdamW does"),
    family="pytorch",
)
def nadam(lr: Any = 2e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 0.0,
          momentum_decay: Any = 4e-3, decoupled_weight_decay: Any = False) -> Optimizer:
    """torch NAdam: Adam with Nesterov momentum and Dozat's momentum schedule."""
    default_lr = lr
    beta1, beta2 = (np.asarray(b, np.float64) for b in _split_betas(betas))
    psi = np.asarray(momentum_decay, np.float64)

    def init(params: np.ndarray) -> NAdamState:
        return NAdamState(_counts(params), np.ones(params.shape[:1]), _zeros(params), _zeros(params))

    def update(grads, state, params, lr=None):
        rate = np.asarray(_lr(default_lr, lr), np.float64)
        g = grads
        if _has(weight_decay):
            decayed = params * (1 - per_run(rate * weight_decay, params))
            coupled = grads + per_run(weight_decay, params) * params
            params = _choose(decoupled_weight_decay, decayed, params, params)
            g = _choose(decoupled_weight_decay, grads, coupled, params)
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

    def step_size(state, lr=None):
        count = np.maximum(state.count, 1)
        rate = per_run(np.asarray(_lr(default_lr, lr), np.float64), state.exp_avg)
        return rate / (np.sqrt(state.exp_avg_sq / per_run(1 - beta2**count, state.exp_avg)) + per_run(eps, rate))

    return Optimizer(init, update, step_size)


class AdamaxState(NamedTuple):
    """torch.optim.Adamax state."""

    count: np.ndarray
    exp_avg: np.ndarray
    exp_inf: np.ndarray


@OPTIMIZERS.register(_lr_spec("lr", 2e-3), _BETAS, _eps_spec("eps", 1e-8), _COUPLED_WD, family="pytorch")
def adamax(lr: Any = 2e-3, betas: Any = (0.9, 0.999), eps: Any = 1e-8, weight_decay: Any = 0.0) -> Optimizer:
    """torch Adamax: Adam with the infinity norm (a running max of |g|) in the denominator."""
    default_lr = lr
    beta1, beta2 = (np.asarray(b, np.float64) for b in _split_betas(betas))

    def init(params: np.ndarray) -> AdamaxState:
        return AdamaxState(_counts(params), _zeros(params), _zeros(params))

    def update(grads, state, params, lr=None):
        g = grads + per_run(weight_decay, params) * params if _has(weight_decay) else grads
        count = state.count + 1
        exp_avg = state.exp_avg + per_run(1 - beta1, params) * (g - state.exp_avg)
        exp_inf = np.maximum(state.exp_inf * per_run(beta2, params), np.abs(g) + per_run(eps, params))
        clr = per_run(np.asarray(_lr(default_lr, lr), np.float64) / (1 - beta1**count), params)
        return params - clr * exp_avg / exp_inf, AdamaxState(count, exp_avg, exp_inf)

    def step_size(state, lr=None):
        clr = np.asarray(_lr(default_lr, lr), np.float64) / (1 - beta1 ** np.maximum(state.count, 1))
        with np.errstate(divide="ignore"):
            return per_run(clr, state.exp_inf) / state.exp_inf

    return Optimizer(init, update, step_size)


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
    _lr_spec("learning_rate", 0.01), _MOMENTUM,
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
    _beta_spec("rho", 0.9, "decay of the squared-gradient average"),
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

    def update(grads, state, params, lr=None):
        new = np.empty_like(params)
        parts = []
        for opt, index, part in zip(optimizers, runs, state.parts, strict=True):  # a loop over optimizers
            new[index], moved = opt.update(grads[index], part, params[index], _rows(lr, index))
            parts.append(moved)
        return new, GroupedState(state.count + 1, tuple(parts))

    def step_size(state, lr=None):
        sizes = [np.asarray(opt.step_size(part, _rows(lr, index)))
                 for opt, index, part in zip(optimizers, runs, state.parts, strict=True)]
        row = np.broadcast_shapes(*(size.shape[1:] for size in sizes))
        out = np.empty((sum(len(index) for index in runs), *row), dtype=np.result_type(*sizes))
        for index, size in zip(runs, sizes, strict=True):
            out[index] = size
        return out

    return Optimizer(init, update, step_size)


def trajectory(optimizer: Optimizer, params: np.ndarray, gradient: Callable[[np.ndarray], np.ndarray], steps: int,
        lr: Any = None) -> np.ndarray:
    """Trajectory of `steps` updates from params, the gradient recomputed at each point.

    Returns an array of shape (steps + 1,) + params.shape whose entry 0 is the start. lr may be a
    sequence of per-step rates (a schedule), or None for the optimizer's own rate.
    """
    path = np.empty((steps + 1, *params.shape), dtype=params.dtype)
    path[0] = params
    state = optimizer.init(params)
    for k in range(steps):  # a loop over time; runs stay vectorized
        rate = None if lr is None else lr[k]
        params, state = optimizer.update(gradient(params), state, params, rate)
        path[k + 1] = params
    return path
