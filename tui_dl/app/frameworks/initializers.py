"""Initializers: keras.initializers and torch.nn.init calls that draw the same weights, and their std."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tui_dl.app.frameworks.code import call, num

_KI = "keras.initializers."
_TI = "torch.nn.init."
_KERAS_INIT = {"glorot_normal": "GlorotNormal", "glorot_uniform": "GlorotUniform", "he_normal": "HeNormal",
               "he_uniform": "HeUniform", "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform",
               "orthogonal": "Orthogonal", "random_normal": "RandomNormal", "random_uniform": "RandomUniform",
               "truncated_normal": "TruncatedNormal", "zeros": "Zeros", "ones": "Ones", "constant": "Constant",
               "variance_scaling": "VarianceScaling", "identity": "Identity"}
_TRUNC = 0.87962566103423978


def init_std(name: str, p: Mapping[str, Any], fan_in: int, fan_out: int) -> tuple[str, float | None]:
    """(distribution text, std of the weights) for the formula line."""
    avg = (fan_in + fan_out) / 2
    stds = {
        "glorot_normal": ("N, truncated at ±2σ_raw", math.sqrt(1 / avg)),
        "glorot_uniform": ("U(±√(6/(fan_in+fan_out)))", math.sqrt(1 / avg)),
        "he_normal": ("N, truncated at ±2σ_raw", math.sqrt(2 / fan_in)),
        "he_uniform": ("U(±√(6/fan_in))", math.sqrt(2 / fan_in)),
        "lecun_normal": ("N, truncated at ±2σ_raw", math.sqrt(1 / fan_in)),
        "lecun_uniform": ("U(±√(3/fan_in))", math.sqrt(1 / fan_in)),
        "xavier_simple": ("N(0, 1/fan_in), untruncated", math.sqrt(1 / fan_in)),
        "normal": ("N(0, std²)", p.get("std")),
        "random_normal": ("N(mean, stddev²)", p.get("stddev")),
        "xavier_normal": ("N, untruncated", p.get("gain", 1.0) * math.sqrt(1 / avg)),
        "xavier_uniform": ("U(±gain·√(6/(fan_in+fan_out)))", p.get("gain", 1.0) * math.sqrt(1 / avg)),
        "pytorch_default": ("U(±1/√fan_in)", math.sqrt(1 / (3 * fan_in))),
        "orthogonal": ("gain × orthogonal matrix", p.get("gain", 1.0) / math.sqrt(fan_in)),
        "identity": ("gain × I (fan_in × fan_out)", abs(p.get("gain", 1.0)) * math.sqrt(
            min(fan_in, fan_out) / (fan_in * fan_out) - (min(fan_in, fan_out) / (fan_in * fan_out)) ** 2)),
        "trunc_normal": ("N(mean, std²) restricted to [a, b] (absolute bounds)", _trunc_normal_std(p)),
    }
    return stds.get(name, (name, None))


def init_code(name: str, p: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    w = "layer.weight"
    notes = ["torch stores a Linear weight as (out, in), Keras a kernel as (in, out): the fans are the same."]
    sigma = {"glorot_normal": "math.sqrt(2 / (fan_in + fan_out))", "he_normal": "math.sqrt(2 / fan_in)",
             "lecun_normal": "math.sqrt(1 / fan_in)"}
    if name in sigma:
        keras = f"{_KI}{_KERAS_INIT[name]}()"
        torch = (f"std = {sigma[name]} / {_TRUNC}  # std of the raw normal\n"
                 f"{_TI}trunc_normal_({w}, std=std, a=-2 * std, b=2 * std)")
        notes.append("Keras truncates at 2 raw std and rescales; torch's xavier_normal_/kaiming_normal_ do not"
                     " truncate.")
        return keras, torch, notes
    simple = {
        "glorot_uniform": (f"{_KI}GlorotUniform()", f"{_TI}xavier_uniform_({w})"),
        "he_uniform": (f"{_KI}HeUniform()", f"{_TI}kaiming_uniform_({w}, nonlinearity=\"relu\")"),
        "lecun_uniform": (f"{_KI}LecunUniform()", f"{_TI}kaiming_uniform_({w}, nonlinearity=\"linear\")"),
        "zeros": (f"{_KI}Zeros()", f"{_TI}zeros_({w})"),
        "ones": (f"{_KI}Ones()", f"{_TI}ones_({w})"),
        "pytorch_default": (call(f"{_KI}VarianceScaling", scale=1 / 3, mode="fan_in", distribution="uniform"),
                            f"{_TI}kaiming_uniform_({w}, a=math.sqrt(5))  # nn.Linear's default"),
        "xavier_simple": (call(f"{_KI}VarianceScaling", scale=1.0, mode="fan_in", distribution="untruncated_normal"),
                          f"{_TI}kaiming_normal_({w}, nonlinearity=\"linear\")"),
    }
    if name in simple:
        keras, torch = simple[name]
        if name == "xavier_simple":
            notes.append("The textbook's randn / sqrt(n) is LeCun normal, untruncated, not Glorot.")
        return keras, torch, notes
    if name == "normal":
        return (call(f"{_KI}RandomNormal", mean=0.0, stddev=p["std"]),
                f"{_TI}normal_({w}, mean=0.0, std={num(p['std'])})", notes)
    if name == "orthogonal":
        return call(f"{_KI}Orthogonal", gain=p["gain"]), f"{_TI}orthogonal_({w}, gain={num(p['gain'])})", notes
    if name == "random_normal":
        return (call(f"{_KI}RandomNormal", **p), f"{_TI}normal_({w}, mean={num(p['mean'])}, std={num(p['stddev'])})",
                notes)
    if name == "random_uniform":
        return (call(f"{_KI}RandomUniform", **p), f"{_TI}uniform_({w}, a={num(p['minval'])}, b={num(p['maxval'])})",
                notes)
    if name == "truncated_normal":
        m, s = p["mean"], p["stddev"]
        return (call(f"{_KI}TruncatedNormal", **p),
                f"{_TI}trunc_normal_({w}, mean={num(m)}, std={num(s)}, a={num(m - 2 * s)}, b={num(m + 2 * s)})", notes)
    if name == "constant":
        return call(f"{_KI}Constant", **p), f"{_TI}constant_({w}, {num(p['value'])})", notes
    if name == "variance_scaling":
        if p["distribution"] == "normal":
            notes.append('Keras takes distribution="normal" as "truncated_normal" (cut at 2 sigma, rescaled), not'
                         ' as an untruncated normal.')
        return call(f"{_KI}VarianceScaling", **p), "# torch: kaiming_/xavier_ with the matching gain and mode", notes
    if name == "identity":
        torch = f"with torch.no_grad():\n    {_TI}eye_({w}).mul_({num(p['gain'])})"
        notes.append("torch's eye_ on the (out, in) weight is the transpose of Keras's (in, out) identity: the same"
                     " weights.")
        return call(f"{_KI}Identity", **p), torch, notes
    if name == "trunc_normal":
        m, s, a, b = p["mean"], p["std"], p["a"], p["b"]
        torch = call(f"{_TI}trunc_normal_", w, **p)
        if math.isclose(a, m - 2 * s) and math.isclose(b, m + 2 * s):
            keras = call(f"{_KI}TruncatedNormal", mean=m, stddev=s)
        else:
            keras = "# Keras's TruncatedNormal cuts at mean ± 2 stddev only: no equivalent for these bounds"
        notes.append("a and b are absolute bounds, not multiples of std: trunc_normal_(w, std=0.02) cuts nothing.")
        return keras, torch, notes
    if name in ("xavier_normal", "xavier_uniform"):
        dist = "untruncated_normal" if name == "xavier_normal" else "uniform"
        keras = call(f"{_KI}VarianceScaling", scale=p["gain"] ** 2, mode="fan_avg", distribution=dist)
        return keras, f"{_TI}{name}_({w}, gain={num(p['gain'])})", notes
    if name in ("kaiming_normal", "kaiming_uniform"):
        dist = "untruncated_normal" if name == "kaiming_normal" else "uniform"
        slope = p["a"] if p["nonlinearity"] == "leaky_relu" else None
        gain = _gain(p["nonlinearity"], slope)
        keras = call(f"{_KI}VarianceScaling", scale=gain ** 2, mode=p["mode"], distribution=dist)
        torch = call(f"{_TI}{name}_", w, **p)
        if name == "kaiming_normal" and p["nonlinearity"] in ("relu", "leaky_relu") and not p["a"]:
            notes.append("Keras's HeNormal() is the truncated version of this.")
        return keras, torch, notes
    return "", "", notes


def _trunc_normal_std(p: Mapping[str, Any]) -> float | None:
    """The std of N(mean, std^2) restricted to [a, b]."""
    if not {"mean", "std", "a", "b"} <= set(p):
        return None
    alpha, beta = (p["a"] - p["mean"]) / p["std"], (p["b"] - p["mean"]) / p["std"]
    pdf = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (alpha, beta)]
    mass = 0.5 * (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))
    if mass <= 0:
        return 0.0
    shift = (pdf[0] - pdf[1]) / mass
    spread = (alpha * pdf[0] - beta * pdf[1]) / mass if math.isfinite(alpha * beta) else 0.0
    return p["std"] * math.sqrt(max(0.0, 1 + spread - shift**2))


def _gain(nonlinearity: str, slope: float | None) -> float:
    gains = {"linear": 1.0, "sigmoid": 1.0, "identity": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2), "selu": 0.75}
    if nonlinearity == "leaky_relu":
        a = 0.01 if slope is None else slope
        return math.sqrt(2 / (1 + a * a))
    return gains.get(nonlinearity, 1.0)
