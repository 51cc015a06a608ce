"""Activation functions with their derivatives, output ranges and families, PyTorch's semantics.

Each registered function is the forward pass `fn(x, **params)`: elementwise over any shape, in x's
floating dtype (float32 in, float32 out; integers become float64). Its component's `meta` holds:

- `derivative(x, y, **params)`: dy/dx from the pre-activation x and the output y = fn(x), so that a
  backward pass reuses what the forward pass computed (sigmoid's y (1 - y)). At a kink the value
  for x <= 0 is taken, as PyTorch does (relu'(0) = 0).
- `bounds(**params) -> (low, high)`: the output range, None for an unbounded side, used for
  histogram edges and saturation shares. It is a function for every activation, even those without
  parameters, so that ELU's (-alpha, inf) and the GELU variants need no special case.

The component's `family` (saturating, relu, smooth, linear) says which statistics make sense:
saturation for sigmoid/tanh, dead units for the ReLU family.
Large inputs never warn, even under `np.errstate(all="raise")`: exp is only taken of non-positive
numbers, cubes and squares of huge x are clipped where the result no longer changes, and underflow
(e^-1000 rounding to 0, the right limit) is ignored inside every forward and derivative function.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from tui_dl.engine.special import erf
from tui_dl.params import Catalog, ParamSpec

ACTIVATIONS = Catalog("activation")

Bounds = tuple[float | None, float | None]

# torch.nn.SELU's constants (Klambauer et al. 2017), which keep mean 0 and variance 1 under lecun_normal
SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_NEGATIVE_SCALE = SELU_SCALE * SELU_ALPHA  # the limit -scale * alpha, in one product as PyTorch forms it
# GELU's tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
GELU_TANH_COEFFICIENT = 0.044715
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Beyond |x| = 10 the tanh approximation's tanh is exactly +-1 in float32 and float64 (its argument
# exceeds 43), so x is clipped there before cubing: same result, and no overflow of x^3.
GELU_TANH_CLIP = 10.0
# exp(-x^2 / 2) is 0 in float64 beyond |x| = 39; clipping there keeps x^2 from overflowing float32.
GAUSSIAN_CLIP = 40.0
# Global minima of the non-monotone smooth activations, found by Newton's method on the derivative:
# swish: x + 1 at x = -1.2784645 (-W(1/e)); gelu: at x = -0.7517915; its tanh form at x = -0.7524614.
SWISH_MIN = -0.27846454276107380
GELU_MIN = -0.16997120747990369
GELU_TANH_MIN = -0.1700407505712541


# --------------------------------------------------------------------------- helpers
def _underflow_ok(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """fn with underflow ignored: e^-1000 rounding to 0 or a tiny x squared to a subnormal is the answer.

    This keeps even `np.errstate(all="raise")` callers quiet. Overflow and invalid are avoided by the
    formulas themselves, not silenced; the one exception is softplus's beta x, whose overflow to
    +-inf gives the right limit.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> np.ndarray:
        with np.errstate(under="ignore"):
            return fn(*args, **kwargs)

    return wrapper


def _float(x: Any) -> np.ndarray:
    """x as an array of a floating dtype (its own when it has one, so float32 stays float32)."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _like(value: Any, x: np.ndarray) -> np.ndarray:
    """value as an array of x's dtype (a 0-d ufunc result is a scalar; a float64 constant may upcast)."""
    return np.asarray(value, dtype=x.dtype)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) from e^-|x| only, so that no exp overflows (it underflows to 0 for |x| > 745)."""
    e = np.exp(-np.abs(x))
    numerator = np.where(x >= 0, 1.0, e)
    e += 1.0
    return np.divide(numerator, e, out=numerator)


def _ones(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.ones_like(_float(x))


def _static(low: float | None, high: float | None) -> Callable[..., Bounds]:
    """A bounds function for an activation whose output range does not depend on its parameters."""

    def bounds(**params: Any) -> Bounds:
        return low, high

    return bounds


# --------------------------------------------------------------------------- linear
@ACTIVATIONS.register(family="linear", derivative=_ones, bounds=_static(None, None))
@_underflow_ok
def linear(x: Any) -> np.ndarray:
    """Identity (Keras's `linear`): a deep net of linear layers is still one linear map."""
    x = _float(x)
    return x.copy()


# --------------------------------------------------------------------------- saturating
@_underflow_ok
def _sigmoid_derivative(x: Any, y: Any) -> np.ndarray:
    y = _float(y)
    return _like(y * (1.0 - y), _float(x))


@ACTIVATIONS.register(family="saturating", derivative=_sigmoid_derivative, bounds=_static(0.0, 1.0))
@_underflow_ok
def sigmoid(x: Any) -> np.ndarray:
    """Logistic sigmoid: saturates at 0 and 1, its slope is at most 1/4 so gradients shrink per layer."""
    x = _float(x)
    return _like(_sigmoid(x), x)


@_underflow_ok
def _tanh_derivative(x: Any, y: Any) -> np.ndarray:
    y = _float(y)
    return _like(1.0 - y * y, _float(x))


@ACTIVATIONS.register(family="saturating", derivative=_tanh_derivative, bounds=_static(-1.0, 1.0))
@_underflow_ok
def tanh(x: Any) -> np.ndarray:
    """Hyperbolic tangent: zero-centred sigmoid (2 sigmoid(2x) - 1), saturates at -1 and 1."""
    x = _float(x)
    return _like(np.tanh(x), x)


# --------------------------------------------------------------------------- relu family
@_underflow_ok
def _relu_derivative(x: Any, y: Any) -> np.ndarray:
    x = _float(x)
    return _like(x > 0, x)


@ACTIVATIONS.register(family="relu", derivative=_relu_derivative, bounds=_static(0.0, None))
@_underflow_ok
def relu(x: Any) -> np.ndarray:
    """max(x, 0): no saturation for x > 0, but a unit whose inputs stay negative is dead (slope 0)."""
    x = _float(x)
    return _like(np.maximum(x, 0.0), x)


_NEGATIVE_SLOPE = ParamSpec(
    "negative_slope", "float", 0.01, low=0.0, high=1.0, scale="log",
    help="slope for x < 0; 0.01 is PyTorch's default (Keras 3's LeakyReLU uses 0.2)",
)


@_underflow_ok
def _leaky_relu_derivative(x: Any, y: Any, negative_slope: float = 0.01) -> np.ndarray:
    x = _float(x)
    return _like(np.where(x > 0, 1.0, negative_slope), x)


def _leaky_relu_bounds(negative_slope: float = 0.01) -> Bounds:
    return (0.0 if negative_slope == 0 else None), None


@ACTIVATIONS.register(_NEGATIVE_SLOPE, family="relu", derivative=_leaky_relu_derivative,
                      bounds=_leaky_relu_bounds)
@_underflow_ok
def leaky_relu(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    """ReLU with a small slope for x < 0, so that no unit dies completely."""
    x = _float(x)
    return _like(np.where(x > 0, x, x * negative_slope), x)


# --------------------------------------------------------------------------- smooth
_ALPHA = ParamSpec("alpha", "float", 1.0, low=0.0, step=0.1,
                   help="ELU tends to -alpha for x -> -inf; 1.0 is PyTorch's and Keras's default")


def _negative_exp(x: np.ndarray) -> np.ndarray:
    """e^min(x, 0): the slope of ELU's negative side, exp taken of non-positive numbers only."""
    return np.exp(np.minimum(x, 0.0))


@_underflow_ok
def _elu_derivative(x: Any, y: Any, alpha: float = 1.0) -> np.ndarray:
    x = _float(x)
    return _like(np.where(x > 0, 1.0, alpha * _negative_exp(x)), x)


def _elu_bounds(alpha: float = 1.0) -> Bounds:
    return -alpha, None


@ACTIVATIONS.register(_ALPHA, family="smooth", derivative=_elu_derivative, bounds=_elu_bounds)
@_underflow_ok
def elu(x: Any, alpha: float = 1.0) -> np.ndarray:
    """x for x > 0, alpha (e^x - 1) below: smooth, with negative outputs that pull the mean to 0."""
    x = _float(x)
    return _like(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))), x)


@_underflow_ok
def _selu_derivative(x: Any, y: Any) -> np.ndarray:
    x = _float(x)
    return _like(np.where(x > 0, SELU_SCALE, SELU_NEGATIVE_SCALE * _negative_exp(x)), x)


@ACTIVATIONS.register(family="smooth", derivative=_selu_derivative,
                      bounds=_static(-SELU_NEGATIVE_SCALE, None))
@_underflow_ok
def selu(x: Any) -> np.ndarray:
    """Scaled ELU with fixed constants that make a lecun_normal net self-normalizing (mean 0, var 1)."""
    x = _float(x)
    return _like(np.where(x > 0, SELU_SCALE * x, SELU_NEGATIVE_SCALE * np.expm1(np.minimum(x, 0.0))), x)


_APPROXIMATE = ParamSpec(
    "approximate", "choice", "none", choices=("none", "tanh"),
    help="none: exact x Phi(x) (PyTorch's default, Keras 3's approximate=False); tanh: the cheaper fit",
)


def _gelu_tanh_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t, du/dx) for u = sqrt(2/pi) (x + 0.044715 x^3) and t = tanh(u), on x clipped where t = +-1."""
    clipped = np.clip(x, -GELU_TANH_CLIP, GELU_TANH_CLIP)
    square = clipped * clipped
    t = np.tanh(SQRT_2_OVER_PI * clipped * (1.0 + GELU_TANH_COEFFICIENT * square))
    return t, SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_COEFFICIENT * square)


def _gaussian_density(x: np.ndarray) -> np.ndarray:
    """phi(x) = e^(-x^2/2) / sqrt(2 pi); x is clipped where phi is 0 anyway, so x^2 cannot overflow."""
    clipped = np.clip(x, -GAUSSIAN_CLIP, GAUSSIAN_CLIP)
    return np.exp(-0.5 * clipped * clipped) * INV_SQRT_2PI


@_underflow_ok
def _gelu_derivative(x: Any, y: Any, approximate: str = "none") -> np.ndarray:
    x = _float(x)
    if approximate == "tanh":
        t, du = _gelu_tanh_parts(x)
        clipped = np.clip(x, -GELU_TANH_CLIP, GELU_TANH_CLIP)  # 1 - t^2 is 0 beyond the clip
        return _like(0.5 * (1.0 + t) + 0.5 * clipped * (1.0 - t * t) * du, x)
    clipped = np.clip(x, -GAUSSIAN_CLIP, GAUSSIAN_CLIP)  # phi is 0 beyond the clip
    return _like(0.5 * (1.0 + erf(x * INV_SQRT_2)) + clipped * _gaussian_density(x), x)


def _gelu_bounds(approximate: str = "none") -> Bounds:
    return (GELU_TANH_MIN if approximate == "tanh" else GELU_MIN), None


@ACTIVATIONS.register(_APPROXIMATE, family="smooth", derivative=_gelu_derivative, bounds=_gelu_bounds)
@_underflow_ok
def gelu(x: Any, approximate: str = "none") -> np.ndarray:
    """x Phi(x), x weighted by how likely a standard normal is below it (transformers' activation)."""
    x = _float(x)
    if approximate == "tanh":
        t, _ = _gelu_tanh_parts(x)
        return _like(0.5 * x * (1.0 + t), x)
    return _like(0.5 * x * (1.0 + erf(x * INV_SQRT_2)), x)


_BETA = ParamSpec(
    "beta", "float", 1.0, low=0.0, low_open=True, scale="log",
    help="sharpness: log(1 + e^(beta x)) / beta tends to ReLU as beta grows (PyTorch's default 1)",
)
_THRESHOLD = ParamSpec("threshold", "float", 20.0, low=0.0, step=1.0,
                       help="where beta x > threshold the output is x itself (PyTorch's default 20)")


def _scaled(x: np.ndarray, beta: float) -> np.ndarray:
    """beta x; an overflow to +-inf is the right limit (softplus is x, resp. 0, there), so it is silent."""
    with np.errstate(over="ignore"):
        return x * beta


@_underflow_ok
def _softplus_derivative(x: Any, y: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    x = _float(x)
    bx = _scaled(x, beta)
    return _like(np.where(bx > threshold, 1.0, _sigmoid(bx)), x)


@ACTIVATIONS.register(_BETA, _THRESHOLD, family="smooth", derivative=_softplus_derivative,
                      bounds=_static(0.0, None))
@_underflow_ok
def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """log(1 + e^x), a smooth ReLU; as torch.nn.Softplus, x itself where beta x > threshold."""
    x = _float(x)
    bx = _scaled(x, beta)
    # log(1 + e^bx) = max(bx, 0) + log1p(e^-|bx|): no exp overflows
    smooth = (np.maximum(bx, 0.0) + np.log1p(np.exp(-np.abs(bx)))) / beta
    return _like(np.where(bx > threshold, x, smooth), x)


@_underflow_ok
def _swish_derivative(x: Any, y: Any) -> np.ndarray:
    x = _float(x)
    s = _sigmoid(x)
    return _like(s * (1.0 + x * (1.0 - s)), x)


@ACTIVATIONS.register(family="smooth", derivative=_swish_derivative, bounds=_static(SWISH_MIN, None))
@_underflow_ok
def swish(x: Any) -> np.ndarray:
    """x sigmoid(x), also called SiLU: a smooth ReLU that dips to -0.278 before rising."""
    x = _float(x)
    return _like(x * _sigmoid(x), x)


# --------------------------------------------------------------------------- bound activation
@dataclass(frozen=True)
class Activation:
    """An activation with its parameters bound, as a layer of an MLP uses it.

    Attributes:
        name: the registered name.
        params: every parameter, resolved and checked (read-only).
        forward: y = forward(x).
        derivative: dy/dx = derivative(x, y), with y = forward(x).
        bounds: (low, high) of the output for these parameters, None for an unbounded side.
        family: saturating, relu, smooth or linear.
    """

    name: str
    params: Mapping[str, Any]
    forward: Callable[[Any], np.ndarray] = field(compare=False)
    derivative: Callable[[Any, Any], np.ndarray] = field(compare=False)
    bounds: Bounds
    family: str


def get_activation(name: str, **params: Any) -> Activation:
    """The activation called name with params bound (defaults for the rest), or a ParamError."""
    component = ACTIVATIONS[name]
    resolved = component.resolve(params)
    return Activation(
        name=name,
        params=MappingProxyType(resolved),
        forward=functools.partial(component.fn, **resolved),
        derivative=functools.partial(component.meta["derivative"], **resolved),
        bounds=component.meta["bounds"](**resolved),
        family=component.family,
    )


def per_run_activation(activations: Sequence[Activation]) -> Activation:
    """One activation for R runs that may differ run by run: activations[r] acts on row r of (R, ...) arrays.

    Equal activations (same name and parameters) act on their runs together, so the cost is one call
    per distinct activation, never one per run; when all are equal that activation itself is returned
    (the MLP's ReLU fast path stays). The result's bounds cover every member's; its family is theirs
    when they share one, else "mixed".
    """
    keys = [(a.name, tuple(sorted(a.params.items()))) for a in activations]
    distinct = list(dict.fromkeys(keys))
    if len(distinct) == 1:
        return activations[0]
    groups = [(activations[keys.index(key)], np.flatnonzero([k == key for k in keys])) for key in distinct]

    def forward(x: Any) -> np.ndarray:
        x = _float(x)
        out = np.empty_like(x)
        for activation, runs in groups:  # a loop over distinct activations
            out[runs] = activation.forward(x[runs])
        return out

    def derivative(x: Any, y: Any) -> np.ndarray:
        x, y = _float(x), np.asarray(y)
        out = np.empty_like(x)
        for activation, runs in groups:
            out[runs] = activation.derivative(x[runs], y[runs])
        return out

    lows = [a.bounds[0] for a in activations]
    highs = [a.bounds[1] for a in activations]
    families = {a.family for a in activations}
    return Activation(
        name="+".join(name for name, _ in distinct),
        params=MappingProxyType({}),
        forward=forward,
        derivative=derivative,
        bounds=(None if None in lows else min(lows), None if None in highs else max(highs)),
        family=families.pop() if len(families) == 1 else "mixed",
    )
