"""Golden statistics of the initializers added for issue 12, made by running the code the formula panel shows.

For each case the weights are drawn by executing the code tui-dl's panel shows (`init_code`): torch's
`trunc_normal_` on a Linear weight, Keras's `Identity` and `VarianceScaling(distribution="normal")`. Random draws
cannot equal the engine's draw for draw, so, as initializers.json does, a case keeps the pooled statistics of about
a million float32 values (mean, std, min, max, the share below the promised mean) next to what the formula
promises; Identity is deterministic and keeps the matrices themselves. From the repository root, in the scratch
venv with torch==2.13.0 and keras 3:

    KERAS_BACKEND=torch python tests/golden/make_shown_initializer_golden.py
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import keras  # noqa: E402
import make_golden as base  # noqa: E402
import torch  # noqa: E402

from tui_dl.app.frameworks.initializers import init_code  # noqa: E402
from tui_dl.engine.initializers import INITIALIZERS  # noqa: E402

GENERATOR = "KERAS_BACKEND=torch python tests/golden/make_shown_initializer_golden.py"
SHAPE = (200, 100)  # (fan_in, fan_out): the engine's and Keras's kernel layout; torch's weight is (100, 200)

# (id, initializer, values set, framework whose shown code is run)
CASES = [
    ("torch_trunc_normal_default", "trunc_normal", {}, "torch"),
    ("torch_trunc_normal_std_002", "trunc_normal", {"std": 0.02}, "torch"),  # a = -2, b = 2 cut nothing
    ("torch_trunc_normal_asymmetric", "trunc_normal", {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 3.0}, "torch"),
    ("torch_trunc_normal_tail", "trunc_normal", {"a": 1.0, "b": 4.0}, "torch"),
    ("torch_trunc_normal_point", "trunc_normal", {"a": 0.5, "b": 0.5}, "torch"),  # torch accepts a == b
    ("keras_trunc_normal_shown", "trunc_normal", {"mean": 0.1, "std": 0.5, "a": -0.9, "b": 1.1}, "keras"),
    ("keras_variance_scaling_normal", "variance_scaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "normal"},
     "keras"),
    ("keras_variance_scaling_normal_fan_in", "variance_scaling", {"distribution": "normal"}, "keras"),
    ("keras_identity", "identity", {}, "keras"),
    ("keras_identity_gain", "identity", {"gain": -2.5}, "keras"),
    ("torch_identity_gain", "identity", {"gain": 0.5}, "torch"),
]
IDENTITY_SHAPES = [(3, 5), (5, 3), (4, 4)]


def truncated_moments(mean, std, a, b):
    """(mean, std, P(x < mean of the result)) of N(mean, std^2) restricted to [a, b]."""
    if a == b:
        return a, 0.0, 0.0
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (alpha, beta)]
    cdf = [0.5 * (1 + math.erf(z / math.sqrt(2))) for z in (alpha, beta)]
    mass = cdf[1] - cdf[0]
    shift = (pdf[0] - pdf[1]) / mass
    result_mean = mean + std * shift
    result_std = std * math.sqrt(1 + (alpha * pdf[0] - beta * pdf[1]) / mass - shift**2)
    below = (0.5 * (1 + math.erf((result_mean - mean) / std / math.sqrt(2))) - cdf[0]) / mass
    return result_mean, result_std, below


def promised(name, params):
    """(mean, std, low, high, P(x < mean)) the formula promises, for the shown shape."""
    if name == "trunc_normal":
        mean, std, below = truncated_moments(params["mean"], params["std"], params["a"], params["b"])
        return mean, std, params["a"], params["b"], below
    fan_in, fan_out = SHAPE
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[params["mode"]]
    std = math.sqrt(params["scale"] / n)  # "normal" is Keras's truncated_normal: cut at 2 raw sigma
    bound = 2 * std / base.KERAS_TRUNCATED_STD
    return 0.0, std, -bound, bound, 0.5


def run_torch(code, shape):
    """The weight the shown torch code leaves in layer.weight, in the engine's (fan_in, fan_out) layout."""
    fan_in, fan_out = shape
    layer = torch.nn.Linear(fan_in, fan_out)
    exec(code, {"torch": torch, "math": math, "layer": layer})
    return layer.weight.detach().numpy().T.astype(np.float64)


def run_keras(code, shape):
    initializer = eval(code, {"keras": keras, "math": math})
    return keras.ops.convert_to_numpy(initializer(shape=shape, dtype="float32")).astype(np.float64)


def statistics(draws, name, params):
    values = np.concatenate([d.ravel() for d in draws])
    mean, std, low, high, below = promised(name, params)
    return {"n_values": int(values.size), "mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "max": float(values.max()),
            "frac_below_mean_formula": float(np.mean(values < mean)), "mean_formula": mean, "std_formula": std,
            "frac_outside_formula": float(np.mean((values < low - abs(low) * (base.BOUND_SLACK - 1))
                                                  | (values > high + abs(high) * (base.BOUND_SLACK - 1)))),
            "low_formula": low, "high_formula": high, "expected_frac_below_mean_formula": below}


def cases():
    out, seed = [], 4000
    for case_id, name, values, framework in CASES:
        params = INITIALIZERS[name].resolve(values)
        keras_code, torch_code, _ = init_code(name, params)
        code = torch_code if framework == "torch" else keras_code
        assert not code.startswith("#"), (case_id, code)
        run = run_torch if framework == "torch" else run_keras
        seed += 1
        torch.manual_seed(seed)
        keras.utils.set_random_seed(seed)
        case = {"id": case_id, "name": name, "framework": framework, "params": params, "code": code}
        if name == "identity":
            case["matrices"] = {f"{r}x{c}": run(code, (r, c)).tolist() for r, c in IDENTITY_SHAPES}
        else:
            n_draws = math.ceil(base.MIN_VALUES / (SHAPE[0] * SHAPE[1]))
            draws = [run(code, SHAPE) for _ in range(n_draws)]
            case.update(shape=list(SHAPE), n_draws=n_draws, stats=statistics(draws, name, params))
            stats = case["stats"]
            if stats["std_formula"] > 0:  # guards the formulas, not the frameworks
                assert abs(stats["std"] / stats["std_formula"] - 1) < 0.01, (case_id, stats)
        out.append(case)
    return out


def main():
    if keras.backend.backend() != "torch":
        sys.exit("run with KERAS_BACKEND=torch")
    keras.config.set_floatx("float32")
    meta = base.base_meta(
        generator=GENERATOR,
        dtype="float32 draws (both frameworks' default), statistics in float64 over all values pooled",
        protocol="The weights are what `code` (the code tui-dl's formula panel shows for `name` with `params`) "
        "draws: torch code runs on layer = torch.nn.Linear(fan_in, fan_out) and layer.weight is read back "
        "transposed to (fan_in, fan_out); Keras code is an initializer called with shape (fan_in, fan_out). "
        "stats: mean, std (ddof 0), min, max of all n_values, the share below mean_formula, the share outside "
        "[low_formula, high_formula] (beyond float32 rounding: Keras's torch backend lets about 4e-6 of its "
        "truncated normals through, see initializers.json); *_formula: what the "
        "formula promises (trunc_normal: the moments of N(mean, std^2) restricted to [a, b]; VarianceScaling "
        "normal: Keras's truncated normal, std sqrt(scale / n), cut at 2 sqrt(scale / n) / 0.8796...). identity: "
        "the matrices drawn for each shape.",
    )
    base.write_fixture("initializers_shown_code.json", meta, cases())


if __name__ == "__main__":
    main()
