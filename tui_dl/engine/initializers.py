"""Weight initializers of Keras 3, PyTorch and the textbook, drawn from an explicit Generator.

Every initializer is `fn(rng, shape, **params) -> float64 array`. Kernels use Keras's layout:
the last two axes are (fan_in, fan_out) and any leading axes are independent kernels (the runs
axis), so `he_normal(rng, (6, 100, 100))` draws six 100 x 100 kernels at once. A PyTorch Linear
weight is the transpose, (out, in); the fans, and so the distributions, are the same.

Keras's `variance_scaling` is the family behind glorot/he/lecun: variance scale / n with n the
fan_in, fan_out or their mean. Its "truncated_normal" is cut at two standard deviations of the
raw normal, whose std is first divided by 0.8796..., so the result still has std sqrt(scale / n).
PyTorch's xavier/kaiming draw untruncated normals and take a `gain` for the nonlinearity.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tui_dl.engine.special import erfinv
from tui_dl.params import Catalog, ParamError, ParamSpec

INITIALIZERS = Catalog("initializer")

# std of a standard normal truncated to [-2, 2]; Keras divides by it so the result has the std asked.
TRUNCATED_STD = 0.87962566103423978


# --------------------------------------------------------------------------- helpers
def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel whose last two axes are (fan_in, fan_out)."""
    if len(shape) < 2:
        size = shape[0] if shape else 1
        return size, size
    return shape[-2], shape[-1]


def _fan(shape: tuple[int, ...], mode: str) -> float:
    fan_in, fan_out = fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]


def truncated_standard_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal draws cut at +-2, by redrawing the values outside (as TensorFlow and Keras do)."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():  # each round redraws ~4.6% of what is left
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return values


def _normal(rng: np.random.Generator, shape: tuple[int, ...], std: float, truncated: bool) -> np.ndarray:
    if truncated:
        return truncated_standard_normal(rng, shape) * (std / TRUNCATED_STD)
    return rng.standard_normal(shape) * std


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], limit: float) -> np.ndarray:
    return rng.uniform(-limit, limit, shape)


def _shape(shape: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in np.atleast_1d(shape))


# --------------------------------------------------------------------------- specs
_MODE = ParamSpec("mode", "choice", "fan_in", choices=("fan_in", "fan_out", "fan_avg"),
                  help="n in scale / n: inputs, outputs, or their mean")
_DISTRIBUTION = ParamSpec("distribution", "choice", "truncated_normal",
                          choices=("truncated_normal", "untruncated_normal", "uniform", "normal"),
                          help="truncated_normal is cut at 2 sigma and rescaled to keep the std; normal is Keras's "
                               "alias of truncated_normal (not untruncated)")
_GAIN = ParamSpec("gain", "float", 1.0, low=0.0, step=0.1,
                  help="multiplies the std (torch takes 0; a negative one makes its normal_ and uniform_ refuse)")
_NONLINEARITIES = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


# =========================================================================== Keras
@INITIALIZERS.register(
    ParamSpec("scale", "float", 1.0, low=0.0, low_open=True, step=0.5, help="variance = scale / n"),
    _MODE,
    _DISTRIBUTION,
    family="keras",
)
def variance_scaling(rng: np.random.Generator, shape: Any, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal") -> np.ndarray:
    """keras VarianceScaling: variance scale / n, the family of Glorot, He and LeCun.

    keras/src/initializers/random_initializers.py: distribution "normal" is taken as "truncated_normal" (Keras
    lower-cases the name and maps it before checking), so VarianceScaling(distribution="normal") draws the
    truncated normal, not the untruncated one its name suggests.
    """
    shape = _shape(shape)
    variance = scale / max(1.0, _fan(shape, mode))
    if distribution == "uniform":
        return _uniform(rng, shape, math.sqrt(3.0 * variance))
    return _normal(rng, shape, math.sqrt(variance), truncated=distribution in ("truncated_normal", "normal"))


def _preset(name: str, scale: float, mode: str, distribution: str, text: str) -> None:
    """Register a Keras named initializer that is variance_scaling with fixed arguments."""

    def initializer(rng: np.random.Generator, shape: Any) -> np.ndarray:
        return variance_scaling(rng, shape, scale, mode, distribution)

    initializer.__doc__ = text
    initializer.__name__ = initializer.__qualname__ = name
    INITIALIZERS.register(family="keras", name=name)(initializer)
    globals()[name] = initializer


_preset("glorot_normal", 1.0, "fan_avg", "truncated_normal",
        "keras GlorotNormal (Xavier): truncated normal, std sqrt(2 / (fan_in + fan_out)).")
_preset("glorot_uniform", 1.0, "fan_avg", "uniform",
        "keras GlorotUniform, the Dense default: U(+-sqrt(6 / (fan_in + fan_out))).")
_preset("he_normal", 2.0, "fan_in", "truncated_normal",
        "keras HeNormal: truncated normal, std sqrt(2 / fan_in), for ReLU.")
_preset("he_uniform", 2.0, "fan_in", "uniform", "keras HeUniform: U(+-sqrt(6 / fan_in)).")
_preset("lecun_normal", 1.0, "fan_in", "truncated_normal",
        "keras LecunNormal: truncated normal, std sqrt(1 / fan_in), for SELU.")
_preset("lecun_uniform", 1.0, "fan_in", "uniform", "keras LecunUniform: U(+-sqrt(3 / fan_in)).")


@INITIALIZERS.register(ParamSpec("gain", "float", 1.0, step=0.1,
                                 help="multiplies the orthogonal matrix (both frameworks take any gain)"),
                       family="keras")
def orthogonal(rng: np.random.Generator, shape: Any, gain: float = 1.0) -> np.ndarray:
    """keras Orthogonal (and torch orthogonal_): gain times an orthogonal matrix from a QR."""
    shape = _shape(shape)
    rows = int(np.prod(shape[-2:-1] or (1,)))
    cols = shape[-1]
    runs = shape[:-2]
    flat = rng.standard_normal((*runs, max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    if rows < cols:
        q = np.swapaxes(q, -1, -2)
    return gain * q.reshape(shape)


@INITIALIZERS.register(
    ParamSpec("mean", "float", 0.0, step=0.01, help="mean of the normal"),
    ParamSpec("stddev", "float", 0.05, low=0.0, scale="log", help="standard deviation (0: every weight is mean)"),
    family="keras",
)
def random_normal(rng: np.random.Generator, shape: Any, mean: float = 0.0, stddev: float = 0.05) -> np.ndarray:
    """keras RandomNormal: N(mean, stddev), 0.05 by default whatever the layer size."""
    return mean + rng.standard_normal(_shape(shape)) * stddev


def _check_uniform(params: dict[str, Any]) -> None:
    if params["minval"] >= params["maxval"]:
        raise ParamError(f"bad minval {params['minval']:g}: expected less than maxval {params['maxval']:g}")


@INITIALIZERS.register(
    ParamSpec("minval", "float", -0.05, step=0.01, help="lower bound"),
    ParamSpec("maxval", "float", 0.05, step=0.01, help="upper bound"),
    family="keras",
    check=_check_uniform,
)
def random_uniform(rng: np.random.Generator, shape: Any, minval: float = -0.05, maxval: float = 0.05) -> np.ndarray:
    """keras RandomUniform: U(minval, maxval)."""
    return rng.uniform(minval, maxval, _shape(shape))


@INITIALIZERS.register(
    ParamSpec("mean", "float", 0.0, step=0.01, help="mean of the normal"),
    ParamSpec("stddev", "float", 0.05, low=0.0, low_open=True, scale="log", help="std before truncation"),
    family="keras",
)
def truncated_normal(rng: np.random.Generator, shape: Any, mean: float = 0.0, stddev: float = 0.05) -> np.ndarray:
    """keras TruncatedNormal: N(mean, stddev) cut at 2 stddev (not rescaled, unlike variance_scaling)."""
    return mean + truncated_standard_normal(rng, _shape(shape)) * stddev


@INITIALIZERS.register(ParamSpec("gain", "float", 1.0, step=0.1, help="multiplies the identity matrix"),
                       family="keras")
def identity(rng: np.random.Generator, shape: Any, gain: float = 1.0) -> np.ndarray:
    """keras Identity: gain times the (fan_in, fan_out) identity matrix, ones on the diagonal of a rectangle too.

    keras/src/initializers/constant_initializers.py: gain * ops.eye(*shape) for a 2-D shape (leading axes here
    are runs, each its own kernel). Keras takes any gain. torch's eye_ on the (fan_out, fan_in) weight is its
    transpose, the same matrix in torch's layout. Every unit of a layer wider than its input past the diagonal
    starts at zero and gets the same gradient as its twins only where the inputs agree.
    """
    shape = _shape(shape)
    if len(shape) < 2:
        raise ParamError(f"identity needs a 2-D kernel, not a shape of rank {len(shape)}, as Keras's Identity")
    return np.broadcast_to(float(gain) * np.eye(shape[-2], shape[-1]), shape).copy()


@INITIALIZERS.register(family="keras")
def zeros(rng: np.random.Generator, shape: Any) -> np.ndarray:
    """keras Zeros: every unit computes the same thing, forever (symmetry is never broken)."""
    return np.zeros(_shape(shape))


@INITIALIZERS.register(family="keras")
def ones(rng: np.random.Generator, shape: Any) -> np.ndarray:
    """keras Ones: symmetric like zeros, and far too large."""
    return np.ones(_shape(shape))


@INITIALIZERS.register(ParamSpec("value", "float", 0.0, step=0.01, help="the constant"), family="keras")
def constant(rng: np.random.Generator, shape: Any, value: float = 0.0) -> np.ndarray:
    """keras Constant: every weight equal to value."""
    return np.full(_shape(shape), float(value))


# =========================================================================== PyTorch
def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """torch.nn.init.calculate_gain: the std multiplier that keeps variance through the nonlinearity."""
    if nonlinearity in ("linear", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ParamError(f"unknown nonlinearity {nonlinearity!r}; choose from: {', '.join(_NONLINEARITIES)}")


@INITIALIZERS.register(_GAIN, family="pytorch")
def xavier_normal(rng: np.random.Generator, shape: Any, gain: float = 1.0) -> np.ndarray:
    """torch xavier_normal_: N(0, gain * sqrt(2 / (fan_in + fan_out))), untruncated."""
    shape = _shape(shape)
    return _normal(rng, shape, gain * math.sqrt(2.0 / (sum(fans(shape)))), truncated=False)


@INITIALIZERS.register(_GAIN, family="pytorch")
def xavier_uniform(rng: np.random.Generator, shape: Any, gain: float = 1.0) -> np.ndarray:
    """torch xavier_uniform_: U(+-gain * sqrt(6 / (fan_in + fan_out)))."""
    shape = _shape(shape)
    return _uniform(rng, shape, gain * math.sqrt(6.0 / (sum(fans(shape)))))


_KAIMING = (
    ParamSpec("a", "float", 0.0, step=0.01,
              help="negative slope of the leaky_relu that follows (gain sqrt(2 / (1 + a^2)); torch takes any a)"),
    ParamSpec("mode", "choice", "fan_in", choices=("fan_in", "fan_out"),
              help="fan_in keeps the forward variance, fan_out the backward one"),
    ParamSpec("nonlinearity", "choice", "leaky_relu", choices=_NONLINEARITIES,
              help="sets the gain; leaky_relu with a = 0 is ReLU's sqrt(2)"),
)


def _kaiming_std(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> float:
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(shape, mode))


@INITIALIZERS.register(*_KAIMING, family="pytorch")
def kaiming_normal(rng: np.random.Generator, shape: Any, a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu") -> np.ndarray:
    """torch kaiming_normal_ (He): N(0, gain / sqrt(fan)), untruncated."""
    shape = _shape(shape)
    return _normal(rng, shape, _kaiming_std(shape, a, mode, nonlinearity), truncated=False)


@INITIALIZERS.register(*_KAIMING, family="pytorch")
def kaiming_uniform(rng: np.random.Generator, shape: Any, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> np.ndarray:
    """torch kaiming_uniform_: U(+-gain * sqrt(3 / fan))."""
    shape = _shape(shape)
    return _uniform(rng, shape, math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity))


def _check_trunc_normal(params: dict[str, Any]) -> None:
    """torch's own refusal: the uniform draw between the bounds' CDF values needs a <= b (uniform_ from > to)."""
    if params["a"] > params["b"]:
        raise ParamError(f"bad a {params['a']:g}: expected a <= b ({params['b']:g}), as torch.nn.init.trunc_normal_"
                         " draws uniform_(2 cdf(a) - 1, 2 cdf(b) - 1)")


@INITIALIZERS.register(
    ParamSpec("mean", "float", 0.0, step=0.1, help="mean of the normal before truncation"),
    ParamSpec("std", "float", 1.0, low=0.0, low_open=True, scale="log", help="std of the normal before truncation"),
    ParamSpec("a", "float", -2.0, step=0.1, help="lower cut, in the weights' units (not in stds)"),
    ParamSpec("b", "float", 2.0, step=0.1, help="upper cut, in the weights' units (not in stds)"),
    family="pytorch",
    check=_check_trunc_normal,
)
def trunc_normal(rng: np.random.Generator, shape: Any, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                 b: float = 2.0) -> np.ndarray:
    """torch trunc_normal_: N(mean, std^2) restricted to [a, b], drawn by the inverse CDF as torch draws it.

    torch/nn/init.py (_no_grad_trunc_normal_): l = Phi((a - mean) / std), u = Phi((b - mean) / std);
    x = uniform(2l - 1, 2u - 1); x = erfinv(x) std sqrt(2) + mean, clamped to [a, b]. The bounds are absolute:
    the defaults cut N(0, 1) at +-2, but trunc_normal_(w, std=0.02) keeps a=-2, b=2, which cut nothing (torch
    warns when the mean is more than 2 std from [a, b], and draws anyway). Unlike Keras's truncated normals the
    std is not rescaled: the result's std is below std.
    """
    shape = _shape(shape)
    low = 0.5 * (1.0 + math.erf((a - mean) / std / math.sqrt(2.0)))
    high = 0.5 * (1.0 + math.erf((b - mean) / std / math.sqrt(2.0)))
    values = erfinv(rng.uniform(2.0 * low - 1.0, 2.0 * high - 1.0, shape)) * (std * math.sqrt(2.0)) + mean
    return np.clip(values, a, b)


@INITIALIZERS.register(family="pytorch")
def pytorch_default(rng: np.random.Generator, shape: Any) -> np.ndarray:
    """torch nn.Linear's default: kaiming_uniform_(a=sqrt(5)), i.e. U(+-1 / sqrt(fan_in))."""
    shape = _shape(shape)
    return _uniform(rng, shape, math.sqrt(3.0) * _kaiming_std(shape, math.sqrt(5.0), "fan_in", "leaky_relu"))


# =========================================================================== textbook
@INITIALIZERS.register(
    ParamSpec("std", "float", 1.0, low=0.0, low_open=True, scale="log", help="1 and 0.01 are the classic cases"),
    family="textbook",
)
def normal(rng: np.random.Generator, shape: Any, std: float = 1.0) -> np.ndarray:
    """Deep Learning from Scratch's randn * std: 1 saturates sigmoid, 0.01 collapses it."""
    return rng.standard_normal(_shape(shape)) * std


@INITIALIZERS.register(family="textbook")
def xavier_simple(rng: np.random.Generator, shape: Any) -> np.ndarray:
    """The textbook's "Xavier", randn / sqrt(fan_in): really LeCun normal, untruncated."""
    shape = _shape(shape)
    return rng.standard_normal(shape) / math.sqrt(fans(shape)[0])
