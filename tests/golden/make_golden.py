"""Regenerate the golden fixtures: what Keras 3 and PyTorch really compute.

The engine (NumPy only) is tested against these files; torch and keras are needed here and nowhere
else. From the repository root, in a scratch venv with torch==2.13.0, keras 3 and numpy:

    KERAS_BACKEND=torch python tests/golden/make_golden.py

It rewrites, deterministically, in tests/golden/:

- schedules.json    learning rates of Keras schedules and torch schedulers, step by step
- optimizers.json   parameter trajectories of torch and Keras optimizers, in float64
- initializers.json pooled statistics of Keras and torch weight initializers

Each file is {"meta": {...}, "cases": [...]}, one case per line. Floats are written with repr,
so they round-trip exactly.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import torch
from torch.optim import lr_scheduler

HERE = Path(__file__).resolve().parent
TORCH_VERSION_EXPECTED = "2.13.0"


def base_meta(**extra):
    return {
        "generator": "KERAS_BACKEND=torch python tests/golden/make_golden.py",
        "torch": torch.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": np.__version__,
        **extra,
    }


def write_fixture(filename, meta, cases):
    """Compact JSON, one case per line (readable diffs); ids must be unique."""
    ids = [case["id"] for case in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids in {filename}: {duplicates}"

    def dump(obj):
        return json.dumps(obj, separators=(",", ":"), allow_nan=False)

    lines = [f'{{"meta":{dump(meta)},"cases":[']
    lines += [dump(case) + ("," if i < len(cases) - 1 else "") for i, case in enumerate(cases)]
    lines.append("]}")
    path = HERE / filename
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path.relative_to(HERE.parent.parent)}: {len(cases)} cases, {path.stat().st_size} bytes")


# ---------------------------------------------------------------------------------------------
# schedules.json
# ---------------------------------------------------------------------------------------------

KERAS_SCHEDULES = {
    "exponential_decay": keras.optimizers.schedules.ExponentialDecay,
    "piecewise_constant_decay": keras.optimizers.schedules.PiecewiseConstantDecay,
    "polynomial_decay": keras.optimizers.schedules.PolynomialDecay,
    "inverse_time_decay": keras.optimizers.schedules.InverseTimeDecay,
    "cosine_decay": keras.optimizers.schedules.CosineDecay,
    "cosine_decay_restarts": keras.optimizers.schedules.CosineDecayRestarts,
}

TORCH_SCHEDULERS = {
    "step_lr": lr_scheduler.StepLR,
    "multi_step_lr": lr_scheduler.MultiStepLR,
    "constant_lr": lr_scheduler.ConstantLR,
    "linear_lr": lr_scheduler.LinearLR,
    "exponential_lr": lr_scheduler.ExponentialLR,
    "polynomial_lr": lr_scheduler.PolynomialLR,
    "cosine_annealing_lr": lr_scheduler.CosineAnnealingLR,
    "cosine_annealing_warm_restarts": lr_scheduler.CosineAnnealingWarmRestarts,
    "cyclic_lr": lr_scheduler.CyclicLR,
    "one_cycle_lr": lr_scheduler.OneCycleLR,
    "reduce_lr_on_plateau": lr_scheduler.ReduceLROnPlateau,
}


def exp_dec(lr, steps, rate, staircase):
    return {"initial_learning_rate": lr, "decay_steps": steps, "decay_rate": rate, "staircase": staircase}


def poly(lr, steps, end, power, cycle):
    return {"initial_learning_rate": lr, "decay_steps": steps, "end_learning_rate": end, "power": power,
            "cycle": cycle}


def cosine(lr, steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    return {"initial_learning_rate": lr, "decay_steps": steps, "alpha": alpha, "warmup_target": warmup_target,
            "warmup_steps": warmup_steps}


def restarts(lr, first, t_mul, m_mul, alpha):
    return {"initial_learning_rate": lr, "first_decay_steps": first, "t_mul": t_mul, "m_mul": m_mul,
            "alpha": alpha}


def cyclic(base_lr, max_lr, up, down, mode, gamma=1.0):
    return {"base_lr": base_lr, "max_lr": max_lr, "step_size_up": up, "step_size_down": down, "mode": mode,
            "gamma": gamma}


def one_cycle(max_lr, total, pct, strategy, div=25.0, final_div=1e4, three_phase=False):
    return {"max_lr": max_lr, "total_steps": total, "pct_start": pct, "anneal_strategy": strategy,
            "div_factor": div, "final_div_factor": final_div, "three_phase": three_phase}


# (id, name, params, number of steps)
KERAS_SCHEDULE_CASES = [
    ("exp_smooth", "exponential_decay", exp_dec(0.1, 10, 0.5, False), 60),
    ("exp_stair", "exponential_decay", exp_dec(0.1, 10, 0.5, True), 60),
    ("exp_stair_7", "exponential_decay", exp_dec(0.05, 7, 0.9, True), 100),
    ("exp_smooth_slow", "exponential_decay", exp_dec(1.0, 25, 0.96, False), 100),
    ("piecewise_3", "piecewise_constant_decay", {"boundaries": [10, 25, 40], "values": [1.0, 0.5, 0.1, 0.01]}, 60),
    ("piecewise_at_0", "piecewise_constant_decay", {"boundaries": [0], "values": [0.3, 0.1]}, 10),
    ("piecewise_adjacent", "piecewise_constant_decay",
     {"boundaries": [5, 6, 30], "values": [0.1, 0.2, 0.05, 0.001]}, 40),
    ("poly_linear", "polynomial_decay", poly(0.1, 50, 0.001, 1.0, False), 80),
    ("poly_square", "polynomial_decay", poly(0.1, 50, 0.001, 2.0, False), 80),
    ("poly_sqrt_cycle", "polynomial_decay", poly(0.1, 20, 0.01, 0.5, True), 90),
    ("poly_cube_cycle", "polynomial_decay", poly(0.1, 25, 0.0, 3.0, True), 100),
    ("poly_linear_cycle", "polynomial_decay", poly(1.0, 10, 0.1, 1.0, True), 60),
    ("inv_smooth", "inverse_time_decay", exp_dec(0.1, 10, 0.5, False), 60),
    ("inv_stair", "inverse_time_decay", exp_dec(0.1, 10, 0.5, True), 60),
    ("inv_stair_3", "inverse_time_decay", exp_dec(1.0, 3, 2.0, True), 60),
    ("cos_plain", "cosine_decay", cosine(0.1, 50), 70),
    ("cos_alpha", "cosine_decay", cosine(0.1, 50, alpha=0.1), 70),
    ("cos_warmup", "cosine_decay", cosine(0.0, 60, warmup_target=0.1, warmup_steps=20), 100),
    ("cos_warmup_alpha", "cosine_decay", cosine(0.01, 40, alpha=0.05, warmup_target=0.2, warmup_steps=15), 80),
    ("cos_warmup_down", "cosine_decay", cosine(0.1, 30, alpha=0.2, warmup_target=0.05, warmup_steps=7), 50),
    ("sgdr_t1", "cosine_decay_restarts", restarts(0.1, 20, 1.0, 1.0, 0.0), 100),
    ("sgdr_t1_m07_a02", "cosine_decay_restarts", restarts(0.1, 15, 1.0, 0.7, 0.2), 90),
    ("sgdr_t2", "cosine_decay_restarts", restarts(0.1, 10, 2.0, 1.0, 0.0), 160),
    ("sgdr_t2_m05_a01", "cosine_decay_restarts", restarts(0.1, 10, 2.0, 0.5, 0.1), 160),
    ("sgdr_t15_m08_a005", "cosine_decay_restarts", restarts(0.1, 8, 1.5, 0.8, 0.05), 120),
    ("sgdr_t3_first3", "cosine_decay_restarts", restarts(1.0, 3, 3.0, 0.9, 0.0), 130),
]

TORCH_SCHEDULE_CASES = [
    ("step_10_half", "step_lr", {"lr": 0.1, "step_size": 10, "gamma": 0.5}, 60),
    ("step_7", "step_lr", {"lr": 0.05, "step_size": 7, "gamma": 0.9}, 60),
    ("step_every", "step_lr", {"lr": 1.0, "step_size": 1, "gamma": 0.95}, 60),
    ("multistep_3", "multi_step_lr", {"lr": 0.1, "milestones": [10, 25, 40], "gamma": 0.1}, 60),
    ("multistep_repeated", "multi_step_lr", {"lr": 0.1, "milestones": [10, 10, 30], "gamma": 0.5}, 60),
    ("multistep_unsorted", "multi_step_lr", {"lr": 1.0, "milestones": [20, 1, 5, 5, 5], "gamma": 0.5}, 30),
    ("constant_half", "constant_lr", {"lr": 0.1, "factor": 0.5, "total_iters": 10}, 30),
    ("constant_default", "constant_lr", {"lr": 0.1, "factor": 1 / 3, "total_iters": 5}, 20),
    ("constant_quarter", "constant_lr", {"lr": 0.2, "factor": 0.25, "total_iters": 1}, 10),
    ("linear_warmup", "linear_lr", {"lr": 0.1, "start_factor": 1 / 3, "end_factor": 1.0, "total_iters": 5}, 30),
    ("linear_decay", "linear_lr", {"lr": 0.1, "start_factor": 1.0, "end_factor": 0.1, "total_iters": 20}, 40),
    ("linear_partial", "linear_lr", {"lr": 0.1, "start_factor": 0.25, "end_factor": 0.75, "total_iters": 10}, 30),
    ("exp_095", "exponential_lr", {"lr": 0.1, "gamma": 0.95}, 60),
    ("exp_half", "exponential_lr", {"lr": 1.0, "gamma": 0.5}, 60),
    ("exp_099", "exponential_lr", {"lr": 0.3, "gamma": 0.99}, 200),
    ("poly_linear", "polynomial_lr", {"lr": 0.1, "total_iters": 20, "power": 1.0}, 40),
    ("poly_square", "polynomial_lr", {"lr": 0.1, "total_iters": 30, "power": 2.0}, 50),
    ("poly_sqrt", "polynomial_lr", {"lr": 0.1, "total_iters": 25, "power": 0.5}, 40),
    ("cos_past_tmax", "cosine_annealing_lr", {"lr": 0.1, "T_max": 20, "eta_min": 0.0}, 100),
    ("cos_eta_min", "cosine_annealing_lr", {"lr": 0.1, "T_max": 15, "eta_min": 0.01}, 100),
    ("cos_long", "cosine_annealing_lr", {"lr": 0.05, "T_max": 50, "eta_min": 0.001}, 60),
    ("warm_t1", "cosine_annealing_warm_restarts", {"lr": 0.1, "T_0": 10, "T_mult": 1, "eta_min": 0.0}, 60),
    ("warm_t2", "cosine_annealing_warm_restarts", {"lr": 0.1, "T_0": 5, "T_mult": 2, "eta_min": 0.001}, 160),
    ("warm_t3", "cosine_annealing_warm_restarts", {"lr": 0.1, "T_0": 7, "T_mult": 3, "eta_min": 0.0}, 100),
    ("warm_t1_eta", "cosine_annealing_warm_restarts", {"lr": 0.2, "T_0": 13, "T_mult": 1, "eta_min": 0.02}, 80),
    ("cyclic_tri", "cyclic_lr", cyclic(0.001, 0.1, 10, None, "triangular"), 80),
    ("cyclic_tri_asym", "cyclic_lr", cyclic(0.001, 0.1, 5, 15, "triangular"), 100),
    ("cyclic_tri2", "cyclic_lr", cyclic(0.001, 0.1, 8, None, "triangular2"), 100),
    ("cyclic_tri2_asym", "cyclic_lr", cyclic(0.01, 0.1, 12, 4, "triangular2"), 100),
    ("cyclic_exp", "cyclic_lr", cyclic(0.001, 0.1, 10, None, "exp_range", gamma=0.98), 100),
    ("cyclic_exp_asym", "cyclic_lr", cyclic(0.001, 0.1, 6, 14, "exp_range", gamma=0.99), 120),
    ("one_cycle_cos", "one_cycle_lr", one_cycle(0.1, 100, 0.3, "cos"), 100),
    ("one_cycle_linear", "one_cycle_lr", one_cycle(0.1, 100, 0.3, "linear"), 100),
    ("one_cycle_cos_3ph", "one_cycle_lr", one_cycle(0.2, 120, 0.25, "cos", 10.0, 100.0, True), 120),
    ("one_cycle_linear_3ph", "one_cycle_lr", one_cycle(0.05, 90, 0.4, "linear", 25.0, 1e4, True), 90),
    ("one_cycle_cos_odd", "one_cycle_lr", one_cycle(1.0, 77, 0.3, "cos", 5.0, 50.0), 77),
]


def plateau(lr, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel", cooldown=0,
            min_lr=0.0, eps=1e-8):
    return {"lr": lr, "mode": mode, "factor": factor, "patience": patience, "threshold": threshold,
            "threshold_mode": threshold_mode, "cooldown": cooldown, "min_lr": min_lr, "eps": eps}


def plateau_metrics():
    """(id, params, metric per epoch) for ReduceLROnPlateau."""
    # falls, then creeps down by a relative 5e-5 per epoch: each step is below the rel threshold 1e-4,
    # but after 3 epochs the creep adds up to an improvement; then a real fall and a flat plateau
    fall = [0.9**i for i in range(10)]
    creep = [fall[-1] * (1 - 5e-5) ** (i + 1) for i in range(15)]
    rel_plateau = fall + creep + [creep[-1] * 0.9] * 25
    # a flat metric with rare improvements: reductions separated by cooldown
    cooldown = [1.0, 0.8, 0.7] + [0.7] * 12 + [0.5] + [0.5 + 0.01 * (i % 3) for i in range(24)]
    # always worse: reduce every patience+1 epochs until min_lr clamps, then nothing changes
    clamp = [1.0] + [1.0 + 0.01 * i for i in range(1, 30)]
    # eps rule: 1e-5 -> 5e-6 is applied, 5e-6 -> 2.5e-6 (a decrease of 2.5e-6 < eps=3e-6) is not
    eps_rule = [2.0] * 20
    # mode max (an accuracy): rises, plateaus, a rise below the rel threshold, a real rise, plateau
    acc = [0.5, 0.6, 0.7, 0.75, 0.78] + [0.78] * 6 + [0.7801] * 6 + [0.8] + [0.79] * 12
    # abs threshold 0.01 (min): falls smaller than 0.01 below the best are bad epochs, a fall of 0.02 is not
    abs_min = [1.0, 0.997, 0.995, 0.993, 0.992, 0.991, 0.9905, 0.97, 0.965, 0.962, 0.961, 0.95, 0.945, 0.942,
               0.941, 0.9405, 0.9402, 0.9401, 0.94, 0.9399]
    # abs threshold 0.01 (max) with cooldown 2 and min_lr: 0.1 -> 0.03 -> 0.009 -> 0.005 (clamped), then stays
    abs_max = [0.1, 0.2] + [0.205] * 10 + [0.25] + [0.255] * 13
    # patience 0: every bad epoch reduces (threshold 0), with a cooldown of 1
    zero_patience = [1.0, 1.1, 0.9, 0.9, 0.95, 0.8, 0.85, 0.85, 0.85, 0.7, 0.7, 0.7, 0.71, 0.72, 0.6]
    return [
        ("plateau_rel", plateau(0.1, factor=0.5, patience=3), rel_plateau),
        ("plateau_cooldown", plateau(0.1, factor=0.5, patience=2, cooldown=3), cooldown),
        ("plateau_min_lr", plateau(0.1, factor=0.1, patience=1, min_lr=0.002), clamp),
        ("plateau_eps", plateau(1e-5, factor=0.5, patience=0, eps=3e-6), eps_rule),
        ("plateau_max_rel", plateau(0.05, mode="max", factor=0.2, patience=4, threshold=1e-3), acc),
        ("plateau_min_abs", plateau(0.1, factor=0.5, patience=2, threshold=0.01, threshold_mode="abs"), abs_min),
        ("plateau_max_abs", plateau(0.1, mode="max", factor=0.3, patience=3, threshold=0.01, threshold_mode="abs",
                                    cooldown=2, min_lr=0.005), abs_max),
        ("plateau_zero_patience", plateau(0.1, factor=0.5, patience=0, threshold=0.0, cooldown=1), zero_patience),
    ]


def keras_schedule_rates(name, params, n):
    """The rate a Keras optimizer uses at steps 0..n-1: schedule(optimizer.iterations), in floatx."""
    schedule = KERAS_SCHEDULES[name](**params)
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    rates = []
    for step in range(n):
        optimizer.iterations.assign(step)
        rate = float(optimizer.learning_rate)
        assert rate == float(schedule(step)), (name, params, step)  # an int step gives the same value
        rates.append(rate)
    return rates


def torch_scheduler(name, params):
    """An SGD optimizer on one parameter and the scheduler `name` driving it."""
    kwargs = dict(params)
    lr = kwargs.pop("lr", 0.1)  # cyclic_lr and one_cycle_lr set the rate themselves
    momentum = 0.0
    if name == "cyclic_lr":
        kwargs["cycle_momentum"] = False
    if name == "one_cycle_lr":
        momentum = 0.9  # cycle_momentum stays True (the default): it needs a momentum to cycle
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=momentum)
    return optimizer, TORCH_SCHEDULERS[name](optimizer, **kwargs)


def torch_schedule_rates(name, params, n, metrics=None):
    """lr[s] = the rate in effect during step s: record it, optimizer.step(), scheduler.step().

    For reduce_lr_on_plateau, s is an epoch and the scheduler steps with metrics[s].
    """
    optimizer, scheduler = torch_scheduler(name, params)
    rates = []
    for step in range(n):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[step])
    return rates


def schedule_cases():
    keras.config.set_floatx("float32")
    cases = []
    for case_id, name, params, n in KERAS_SCHEDULE_CASES:
        cases.append({"id": f"keras_{case_id}", "name": name, "framework": "keras", "params": params,
                      "steps": list(range(n)), "lr": keras_schedule_rates(name, params, n)})
    for case_id, name, params, n in TORCH_SCHEDULE_CASES:
        cases.append({"id": f"torch_{case_id}", "name": name, "framework": "torch", "params": params,
                      "steps": list(range(n)), "lr": torch_schedule_rates(name, params, n)})
    for case_id, params, metrics in plateau_metrics():
        cases.append({"id": f"torch_{case_id}", "name": "reduce_lr_on_plateau", "framework": "torch",
                      "params": params, "steps": list(range(len(metrics))), "metrics": metrics,
                      "lr": torch_schedule_rates("reduce_lr_on_plateau", params, len(metrics), metrics)})
    return cases


def make_schedules():
    meta = base_meta(
        keras_dtype="float32",
        keras_protocol="Keras: a keras.optimizers.SGD built with the schedule; for each step s, "
        "optimizer.iterations.assign(s) and lr[s] = float(optimizer.learning_rate), i.e. "
        "schedule(iterations) exactly as the optimizer computes it before update number s+1. Keras computes "
        "schedules in float32 (floatx): lr values are float32 numbers written as Python floats.",
        torch_protocol="torch: torch.optim.SGD([param], lr=params['lr']) (momentum=0.9 for one_cycle_lr, "
        "cycle_momentum=False for cyclic_lr), then the scheduler; for each step s: lr[s] = "
        "optimizer.param_groups[0]['lr'], optimizer.step(), scheduler.step(). reduce_lr_on_plateau: lr[e] is "
        "recorded before scheduler.step(metrics[e]). torch schedulers are chainable (each rate is computed "
        "from the previous one), so values may differ from their closed forms by a few ulps.",
        notes=[
            "keras cosine_decay_restarts with t_mul != 1 finds the period with floor(log(1 - f (1 - t_mul)) / "
            "log(t_mul)) in float32: at an exact restart it can land one period early, as in "
            "keras_sgdr_t15_m08_a005 at step 20 where Keras returns the end of period 1 "
            "(initial_learning_rate * alpha = 0.005) instead of the restart peak (0.1 * 0.8^2 = 0.0658, what float64 "
            "gives). Away from such points Keras's float32 rates agree with the float64 closed form to about 1e-6 "
            "relative (worse where the rate nears 0).",
            "one_cycle_lr: lr[total_steps - 1] is the final rate max_lr / div_factor / final_div_factor. The "
            "scheduler.step() after it extrapolates the last phase past its end (cos: back above that final rate; "
            "linear: below it, negative); one more scheduler.step() raises ValueError.",
            "one_cycle_lr phase ends are float(pct_start * total_steps) - 1 (0.3 * 100 = 30.000000000000004), so "
            "max_lr is reached only approximately.",
        ],
    )
    write_fixture("schedules.json", meta, schedule_cases())


# ---------------------------------------------------------------------------------------------
# optimizers.json
# ---------------------------------------------------------------------------------------------

N_PARAMS, N_STEPS, N_SURFACE_STEPS = 5, 25, 40
THETA0 = [0.5, -1.5, 2.0, -0.25, 1.0]
SURFACE_START = {"rosenbrock": [-1.2, 1.0], "quadratic": [-7.0, 2.0]}


def fixed_gradients():
    """T x P gradients: random signs, magnitudes log-uniform in [1e-3, 10], some exact zeros."""
    rng = np.random.default_rng(20240607)
    magnitude = 10.0 ** rng.uniform(-3.0, 1.0, size=(N_STEPS, N_PARAMS))
    sign = rng.choice([-1.0, 1.0], size=(N_STEPS, N_PARAMS))
    grads = sign * magnitude
    grads[rng.random((N_STEPS, N_PARAMS)) < 0.12] = 0.0
    grads[:4, 4] = 0.0  # the last parameter sees no gradient at first (state starts from zero)
    grads[7, :] = 0.0  # one step with no gradient at all
    grads[10, 1], grads[11, 1] = 10.0, -1e-3  # the extremes of the range
    return grads.tolist()


def lr_sequence(base):
    """A per-step rate with a 5-step linear warmup and a halving at step 15."""
    return [base * min(1.0, (t + 1) / 5) * (0.5 if t >= 15 else 1.0) for t in range(N_STEPS)]


def rosenbrock_gradient(theta):
    x, y = theta
    return [-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)]


def quadratic_gradient(theta):
    x, y = theta
    return [x / 10.0, 2.0 * y]


SURFACES = {"rosenbrock": rosenbrock_gradient, "quadratic": quadratic_gradient}


def optimizer(helper):
    """Marks a params helper: calling it gives (optimizer name, params), the name being the helper's."""

    def named(**kwargs):
        return helper.__name__, helper(**kwargs)

    named.__name__ = helper.__name__
    return named


@optimizer
def sgd(lr=0.001, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    return {"lr": lr, "momentum": momentum, "dampening": dampening, "nesterov": nesterov,
            "weight_decay": weight_decay}


@optimizer
def adagrad(lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    return {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "eps": eps}


@optimizer
def rmsprop(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    return {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay, "momentum": momentum,
            "centered": centered}


@optimizer
def adam(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
    return {"lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}


@optimizer
def adamw(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False):
    return {"lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}


@optimizer
def nadam(lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=0.004,
          decoupled_weight_decay=False):
    return {"lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay}


@optimizer
def adamax(lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    return {"lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay}


@optimizer
def keras_sgd(learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
    return {"learning_rate": learning_rate, "momentum": momentum, "nesterov": nesterov,
            "weight_decay": weight_decay}


@optimizer
def keras_adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=0.0):
    return {"learning_rate": learning_rate, "initial_accumulator_value": initial_accumulator_value,
            "epsilon": epsilon, "weight_decay": weight_decay}


@optimizer
def keras_rmsprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, weight_decay=0.0):
    return {"learning_rate": learning_rate, "rho": rho, "momentum": momentum, "epsilon": epsilon,
            "centered": centered, "weight_decay": weight_decay}


@optimizer
def keras_adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=0.0):
    return {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon,
            "amsgrad": amsgrad, "weight_decay": weight_decay}


@optimizer
def keras_adamw(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    return {"learning_rate": learning_rate, "weight_decay": weight_decay, "beta_1": beta_1, "beta_2": beta_2,
            "epsilon": epsilon, "amsgrad": amsgrad}


@optimizer
def keras_nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=0.0):
    return {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon,
            "weight_decay": weight_decay}


@optimizer
def keras_adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=0.0):
    return {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon,
            "weight_decay": weight_decay}


# (id, (name, params), surface or None, base of the per-step lr sequence or None)
OPTIMIZER_CASES = [
    ("sgd_plain", sgd(lr=0.01), None, None),
    ("sgd_wd", sgd(lr=0.01, weight_decay=0.05), None, None),
    ("sgd_momentum", sgd(lr=0.01, momentum=0.9), None, None),
    ("sgd_momentum_lr", sgd(lr=0.01, momentum=0.9), None, 0.02),
    ("sgd_dampening", sgd(lr=0.01, momentum=0.9, dampening=0.5), None, None),
    ("sgd_nesterov", sgd(lr=0.01, momentum=0.9, nesterov=True), None, None),
    ("sgd_nesterov_lr", sgd(lr=0.01, momentum=0.8, nesterov=True), None, 0.02),
    ("sgd_momentum_wd", sgd(lr=0.01, momentum=0.9, weight_decay=0.01), None, None),
    ("adagrad_default", adagrad(), None, None),
    ("adagrad_lr_decay", adagrad(lr=0.1, lr_decay=0.05), None, None),
    ("adagrad_init_acc", adagrad(lr=0.1, initial_accumulator_value=0.1), None, None),
    ("adagrad_wd", adagrad(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5), None, None),
    ("adagrad_lr", adagrad(lr=0.1), None, 0.2),
    ("rmsprop_plain", rmsprop(), None, None),
    ("rmsprop_centered", rmsprop(alpha=0.9, centered=True), None, None),
    ("rmsprop_momentum", rmsprop(momentum=0.9), None, None),
    ("rmsprop_centered_momentum", rmsprop(alpha=0.9, momentum=0.5, centered=True), None, None),
    ("rmsprop_wd", rmsprop(weight_decay=0.1, eps=1e-6), None, None),
    ("adam_plain", adam(lr=0.01), None, None),
    ("adam_amsgrad", adam(lr=0.01, amsgrad=True), None, None),
    ("adam_wd", adam(lr=0.01, weight_decay=0.1), None, None),
    ("adam_betas", adam(lr=0.05, betas=(0.5, 0.9), eps=1e-6), None, None),
    ("adam_lr", adam(lr=0.01, amsgrad=True), None, 0.05),
    ("adamw_default", adamw(), None, None),
    ("adamw_strong", adamw(lr=0.01, weight_decay=0.5), None, None),
    ("adamw_amsgrad", adamw(lr=0.01, weight_decay=0.1, amsgrad=True), None, None),
    ("nadam_default", nadam(), None, None),
    ("nadam_wd_coupled", nadam(lr=0.01, weight_decay=0.1), None, None),
    ("nadam_wd_decoupled", nadam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), None, None),
    ("nadam_momentum_decay", nadam(lr=0.01, betas=(0.8, 0.99), momentum_decay=0.1), None, None),
    ("adamax_default", adamax(), None, None),
    ("adamax_wd", adamax(lr=0.02, weight_decay=0.1), None, None),
    ("adamax_betas", adamax(lr=0.05, betas=(0.5, 0.9)), None, None),
    ("keras_sgd_default", keras_sgd(), None, None),
    ("keras_sgd_momentum", keras_sgd(momentum=0.9), None, None),
    ("keras_sgd_nesterov", keras_sgd(momentum=0.9, nesterov=True), None, None),
    ("keras_sgd_wd", keras_sgd(momentum=0.5, weight_decay=0.1), None, None),
    ("keras_sgd_lr", keras_sgd(momentum=0.9), None, 0.02),
    ("keras_sgd_nesterov_lr", keras_sgd(momentum=0.8, nesterov=True, weight_decay=0.01), None, 0.02),
    ("keras_adagrad_default", keras_adagrad(), None, None),
    ("keras_adagrad_opts", keras_adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=1e-3,
                                         weight_decay=0.1), None, None),
    ("keras_rmsprop_default", keras_rmsprop(), None, None),
    ("keras_rmsprop_centered", keras_rmsprop(learning_rate=0.01, centered=True), None, None),
    ("keras_rmsprop_momentum", keras_rmsprop(learning_rate=0.01, momentum=0.9), None, None),
    ("keras_rmsprop_all", keras_rmsprop(learning_rate=0.01, rho=0.5, momentum=0.5, epsilon=1e-4, centered=True,
                                        weight_decay=0.1), None, None),
    ("keras_adam_default", keras_adam(), None, None),
    ("keras_adam_amsgrad", keras_adam(learning_rate=0.01, amsgrad=True), None, None),
    ("keras_adam_wd", keras_adam(learning_rate=0.01, weight_decay=0.1), None, None),
    ("keras_adam_lr", keras_adam(learning_rate=0.01, beta_1=0.5, beta_2=0.9), None, 0.05),
    ("keras_adamw_default", keras_adamw(), None, None),
    ("keras_adamw_amsgrad", keras_adamw(learning_rate=0.01, weight_decay=0.1, amsgrad=True), None, None),
    ("keras_nadam_default", keras_nadam(), None, None),
    ("keras_nadam_wd", keras_nadam(learning_rate=0.01, beta_1=0.8, weight_decay=0.1), None, None),
    ("keras_adamax_default", keras_adamax(), None, None),
    ("keras_adamax_wd", keras_adamax(learning_rate=0.02, beta_2=0.9, weight_decay=0.1), None, None),
    # surfaces: the gradient is evaluated at the current parameters
    ("rosenbrock_sgd_momentum", sgd(lr=2e-4, momentum=0.9), "rosenbrock", None),
    ("rosenbrock_adam", adam(lr=0.05), "rosenbrock", None),
    ("rosenbrock_rmsprop_centered", rmsprop(lr=0.01, centered=True, momentum=0.5), "rosenbrock", None),
    ("rosenbrock_keras_adam", keras_adam(learning_rate=0.05), "rosenbrock", None),
    ("rosenbrock_keras_sgd_nesterov", keras_sgd(learning_rate=2e-4, momentum=0.9, nesterov=True), "rosenbrock",
     None),
    ("quadratic_sgd_nesterov", sgd(lr=0.1, momentum=0.9, nesterov=True), "quadratic", None),
    ("quadratic_adagrad", adagrad(lr=1.0), "quadratic", None),
    ("quadratic_keras_rmsprop", keras_rmsprop(learning_rate=0.1, momentum=0.5), "quadratic", None),
]


TORCH_OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam,
    "adamax": torch.optim.Adamax,
}

KERAS_OPTIMIZERS = {
    "keras_sgd": keras.optimizers.SGD,
    "keras_adagrad": keras.optimizers.Adagrad,
    "keras_rmsprop": keras.optimizers.RMSprop,
    "keras_adam": keras.optimizers.Adam,
    "keras_adamw": keras.optimizers.AdamW,
    "keras_nadam": keras.optimizers.Nadam,
    "keras_adamax": keras.optimizers.Adamax,
}


def gradient_at(step, theta, grads, surface):
    return grads[step] if surface is None else SURFACES[surface](theta)


def run_torch_optimizer(name, params, theta0, grads, surface, rates, n_steps):
    kwargs = dict(params)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    param = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    optimizer = TORCH_OPTIMIZERS[name]([param], foreach=False, **kwargs)
    trajectory = []
    for step in range(n_steps):
        if rates is not None:
            optimizer.param_groups[0]["lr"] = rates[step]
        gradient = gradient_at(step, param.detach().tolist(), grads, surface)
        param.grad = torch.tensor(gradient, dtype=torch.float64)
        optimizer.step()
        trajectory.append(param.detach().tolist())
    return trajectory


KERAS_PRECISION = {}  # what Keras really used, reported in the meta


def run_keras_optimizer(name, params, theta0, grads, surface, rates, n_steps):
    kwargs = dict(params)
    if kwargs.get("weight_decay") == 0.0:
        kwargs["weight_decay"] = None  # Keras: None means no weight decay
    optimizer = KERAS_OPTIMIZERS[name](**kwargs)
    variable = keras.Variable(np.array(theta0, dtype=np.float64), dtype="float64")
    trajectory = []
    for step in range(n_steps):
        if rates is not None:
            optimizer.learning_rate = rates[step]
        gradient = gradient_at(step, keras.ops.convert_to_numpy(variable).tolist(), grads, surface)
        optimizer.apply([torch.tensor(gradient, dtype=torch.float64)], [variable])
        trajectory.append(keras.ops.convert_to_numpy(variable).tolist())
    check_keras_precision(name, optimizer, variable, n_steps)
    return trajectory


def check_keras_precision(name, optimizer, variable, n_steps):
    dtypes = {
        "floatx": keras.config.floatx(),
        "class": type(optimizer).__module__ + "." + type(optimizer).__name__,
        "variable": keras.backend.standardize_dtype(variable.dtype),
        "learning_rate": keras.backend.standardize_dtype(optimizer._learning_rate.dtype),
        "iterations": keras.backend.standardize_dtype(optimizer.iterations.dtype),
        "optimizer_variables": sorted({keras.backend.standardize_dtype(v.dtype) for v in optimizer.variables}),
    }
    assert dtypes["variable"] == dtypes["learning_rate"] == "float64", dtypes
    assert set(dtypes["optimizer_variables"]) <= {"float64", "int32", "int64"}, dtypes
    assert int(optimizer.iterations) == n_steps
    KERAS_PRECISION.setdefault(name, dtypes)


def optimizer_cases():
    grads = fixed_gradients()
    cases = []
    for case_id, (name, params), surface, lr_base in OPTIMIZER_CASES:
        theta0 = SURFACE_START[surface] if surface else THETA0
        n_steps = N_SURFACE_STEPS if surface else N_STEPS
        rates = lr_sequence(lr_base) if lr_base is not None else None
        case_grads = None if surface else grads
        run = run_keras_optimizer if name in KERAS_OPTIMIZERS else run_torch_optimizer
        theta = run(name, params, theta0, case_grads, surface, rates, n_steps)
        assert np.all(np.isfinite(theta)), case_id
        cases.append({"id": case_id, "name": name, "params": params, "theta0": theta0, "grads": case_grads,
                      "surface": surface, "lr": rates, "theta": theta})
    return cases


def make_optimizers():
    keras.config.set_floatx("float64")
    previous_default = torch.get_default_dtype()
    # float64 default dtype: torch's optimizer scalars ("step", NAdam's "mu_product") follow it
    torch.set_default_dtype(torch.float64)
    try:
        cases = optimizer_cases()
    finally:
        torch.set_default_dtype(previous_default)
        keras.config.set_floatx("float32")
    meta = base_meta(
        dtype="float64",
        protocol="theta[t] is the parameter vector after update t+1, made with grads[t] (fixed cases) or "
        "with the analytic float64 gradient of the surface at theta[t-1] (theta0 for t=0). When lr is a list, "
        "lr[t] is set (torch: param_groups[0]['lr']; keras: optimizer.learning_rate) before update t+1; "
        "otherwise the rate is params' lr / learning_rate throughout.",
        surfaces={"rosenbrock": "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2",
                  "quadratic": "f(x, y) = x^2 / 20 + y^2"},
        torch_precision="float64 tensors, foreach=False (single-tensor path), "
        "torch.set_default_dtype(torch.float64) so that the optimizer state scalars ('step', NAdam's "
        "'mu_product') are float64 too (with the float32 default dtype NAdam's mu_product is a float32 "
        "tensor, which moves these NAdam trajectories by about 1e-9 relative)",
        keras_precision=KERAS_PRECISION,
        keras_weight_decay="params weight_decay 0 is passed to Keras as None (no decay)",
        notes=[
            "Keras runs its torch-backend classes (keras/src/backend/torch/optimizers/torch_*.py, torch._foreach "
            "ops), not the generic update_step; the math is the same.",
            "Keras weight_decay, for every optimizer (SGD and Adam included), is decoupled and comes first: "
            "theta *= 1 - weight_decay * lr with the current lr, then the update with the unchanged gradient. "
            "torch weight_decay is an L2 term added to the gradient (g += weight_decay * theta), except AdamW and "
            "NAdam(decoupled_weight_decay=True): theta *= 1 - lr * weight_decay before the update.",
            "epsilon: Keras Adam/AdamW divide by sqrt(v) + eps with v not bias-corrected (the correction is folded "
            "into alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)); torch Adam by sqrt(v) / sqrt(1 - beta2^t) + "
            "eps. Keras Adagrad: sqrt(accumulator + eps), torch: sqrt(sum) + eps. Keras RMSprop: sqrt(v + eps) "
            "(centered: sqrt(v - avg^2 + eps)), torch: sqrt(v) + eps (centered: sqrt(v - avg^2) + eps). Keras "
            "Adamax: (u + eps) (1 - beta_1^t) with u = max(beta_2 u, |g|); torch: u = max(beta2 u, |g| + eps). "
            "Keras Nadam: sqrt(v_hat) + eps, as torch.",
            "Keras Nadam's momentum schedule is beta_1 (1 - 0.5 * 0.96^t), torch NAdam's beta1 (1 - 0.5 * "
            "0.96^(t momentum_decay)).",
            "SGD momentum: Keras keeps lr inside the buffer (m = momentum m - lr g; theta += m, nesterov: "
            "theta += momentum m - lr g); torch keeps it outside (buf = momentum buf + (1 - dampening) g, buf = g "
            "at the first step; theta -= lr buf, nesterov: theta -= lr (g + momentum buf)). They agree for a "
            "constant lr and differ when it changes (the *_lr cases).",
        ],
    )
    write_fixture("optimizers.json", meta, cases)


# ---------------------------------------------------------------------------------------------
# initializers.json
# ---------------------------------------------------------------------------------------------

SHAPES = [(400, 300), (100, 500)]  # (fan_in, fan_out), the engine's and Keras's kernel layout
ORTHOGONAL_SHAPES = [(300, 300), (400, 300), (100, 500)]
MIN_VALUES = 1_000_000
KERAS_TRUNCATED_STD = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]
BOUND_SLACK = 1 + 1e-6  # float32 draws may pass a bound by a rounding error: those are not counted

KERAS_INITIALIZERS = {
    "variance_scaling": keras.initializers.VarianceScaling,
    "glorot_normal": keras.initializers.GlorotNormal,
    "glorot_uniform": keras.initializers.GlorotUniform,
    "he_normal": keras.initializers.HeNormal,
    "he_uniform": keras.initializers.HeUniform,
    "lecun_normal": keras.initializers.LecunNormal,
    "lecun_uniform": keras.initializers.LecunUniform,
    "orthogonal": keras.initializers.Orthogonal,
    "random_normal": keras.initializers.RandomNormal,
    "random_uniform": keras.initializers.RandomUniform,
    "truncated_normal": keras.initializers.TruncatedNormal,
    "zeros": keras.initializers.Zeros,
    "ones": keras.initializers.Ones,
    "constant": keras.initializers.Constant,
}
KERAS_UNSEEDED = {"zeros", "ones", "constant"}

TORCH_INITIALIZERS = {
    "xavier_normal": torch.nn.init.xavier_normal_,
    "xavier_uniform": torch.nn.init.xavier_uniform_,
    "kaiming_normal": torch.nn.init.kaiming_normal_,
    "kaiming_uniform": torch.nn.init.kaiming_uniform_,
}

GAINS = {
    "linear": ("linear", None),
    "sigmoid": ("sigmoid", None),
    "tanh": ("tanh", None),
    "relu": ("relu", None),
    "leaky_relu": ("leaky_relu", None),
    "leaky_relu_0.2": ("leaky_relu", 0.2),
    "selu": ("selu", None),
}

KERAS_INIT_CASES = [
    *[("variance_scaling", {"scale": scale, "mode": mode, "distribution": distribution})
      for scale in (1.0, 2.0)
      for mode in ("fan_in", "fan_out", "fan_avg")
      for distribution in ("truncated_normal", "untruncated_normal", "uniform")],
    ("glorot_normal", {}),
    ("glorot_uniform", {}),
    ("he_normal", {}),
    ("he_uniform", {}),
    ("lecun_normal", {}),
    ("lecun_uniform", {}),
    ("random_normal", {"mean": 0.0, "stddev": 0.05}),
    ("random_normal", {"mean": 0.5, "stddev": 0.2}),
    ("random_uniform", {"minval": -0.05, "maxval": 0.05}),
    ("random_uniform", {"minval": -0.3, "maxval": 0.1}),
    ("truncated_normal", {"mean": 0.0, "stddev": 0.05}),
    ("truncated_normal", {"mean": 0.1, "stddev": 0.3}),
    ("zeros", {}),
    ("ones", {}),
    ("constant", {"value": 0.37}),
]

KAIMING_VARIANTS = [
    {"a": 0.0, "mode": "fan_in", "nonlinearity": "relu"},
    {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"},
    {"a": 0.2, "mode": "fan_in", "nonlinearity": "leaky_relu"},
    {"a": 0.0, "mode": "fan_in", "nonlinearity": "tanh"},
    {"a": 0.0, "mode": "fan_in", "nonlinearity": "selu"},
    {"a": 0.0, "mode": "fan_in", "nonlinearity": "linear"},
    {"a": 0.0, "mode": "fan_out", "nonlinearity": "relu"},
    {"a": 0.2, "mode": "fan_out", "nonlinearity": "leaky_relu"},
]

TORCH_INIT_CASES = [
    ("xavier_normal", {"gain": 1.0}),
    ("xavier_normal", {"gain": 5.0 / 3.0}),
    ("xavier_uniform", {"gain": 1.0}),
    ("xavier_uniform", {"gain": math.sqrt(2.0)}),
    *[("kaiming_normal", params) for params in KAIMING_VARIANTS],
    *[("kaiming_uniform", params) for params in KAIMING_VARIANTS],
    ("pytorch_default", {}),
]


def normal_tail(c):
    """P(|Z| > c) for a standard normal Z."""
    return math.erfc(c / math.sqrt(2.0))


def expected_distribution(name, params, fan_in, fan_out):
    """(kind, mean, std, bound) the formula promises; bound is the truncation or uniform limit."""
    fans = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
    keras_presets = {
        "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
        "glorot_uniform": (1.0, "fan_avg", "uniform"),
        "he_normal": (2.0, "fan_in", "truncated_normal"),
        "he_uniform": (2.0, "fan_in", "uniform"),
        "lecun_normal": (1.0, "fan_in", "truncated_normal"),
        "lecun_uniform": (1.0, "fan_in", "uniform"),
    }
    if name in keras_presets or name == "variance_scaling":
        scale, mode, distribution = keras_presets.get(name) or (params["scale"], params["mode"],
                                                                params["distribution"])
        std = math.sqrt(scale / fans[mode])
        if distribution == "truncated_normal":
            return "truncated_normal", 0.0, std, 2.0 * std / KERAS_TRUNCATED_STD
        if distribution == "uniform":
            return "uniform", 0.0, std, math.sqrt(3.0) * std
        return "normal", 0.0, std, None
    if name == "random_normal":
        return "normal", params["mean"], params["stddev"], None
    if name == "truncated_normal":
        return "truncated_normal", params["mean"], params["stddev"] * KERAS_TRUNCATED_STD, 2.0 * params["stddev"]
    if name == "random_uniform":
        low, high = params["minval"], params["maxval"]
        return "uniform", (low + high) / 2, (high - low) / math.sqrt(12.0), (high - low) / 2
    if name in ("zeros", "ones", "constant"):
        return "constant", {"zeros": 0.0, "ones": 1.0}.get(name, params.get("value")), 0.0, None
    if name == "orthogonal":
        return "orthogonal", 0.0, params["gain"] / math.sqrt(max(fan_in, fan_out)), None
    if name.startswith("xavier"):
        std = params["gain"] * math.sqrt(2.0 / (fan_in + fan_out))
    elif name.startswith("kaiming"):
        std = torch.nn.init.calculate_gain(params["nonlinearity"], params["a"]) / math.sqrt(fans[params["mode"]])
    elif name == "pytorch_default":
        std = 1.0 / math.sqrt(3.0 * fan_in)  # uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))
        return "uniform", 0.0, std, math.sqrt(3.0) * std
    else:
        raise KeyError(name)
    if name.endswith("uniform"):
        return "uniform", 0.0, std, math.sqrt(3.0) * std
    return "normal", 0.0, std, None


def expected_frac_beyond_2std(kind, std, bound):
    """P(|x - mean| > 2 std) for the distribution the formula promises."""
    if kind == "normal":
        return normal_tail(2.0)
    if kind == "truncated_normal":
        sigma = bound / 2.0  # the normal before truncation at +-2 sigma
        return (normal_tail(2.0 * std / sigma) - normal_tail(2.0)) / (1.0 - normal_tail(2.0))
    if kind in ("uniform", "constant"):
        return 0.0
    return None  # orthogonal: no closed form


def draw_keras(name, params, shape, n_draws, seed):
    kwargs = dict(params)
    if name not in KERAS_UNSEEDED:
        kwargs["seed"] = keras.random.SeedGenerator(seed)  # a generator: every draw differs
    initializer = KERAS_INITIALIZERS[name](**kwargs)
    return [keras.ops.convert_to_numpy(initializer(shape=shape, dtype="float32")) for _ in range(n_draws)]


def draw_torch(name, params, shape, n_draws, seed):
    """Draws in torch's Linear layout (fan_out, fan_in), returned transposed to (fan_in, fan_out)."""
    fan_in, fan_out = shape
    torch.manual_seed(seed)
    draws = []
    for _ in range(n_draws):
        if name == "pytorch_default":
            layer = torch.nn.Linear(fan_in, fan_out)
            layer.reset_parameters()
            weight = layer.weight.detach()
        else:
            weight = torch.empty(fan_out, fan_in)
            TORCH_INITIALIZERS[name](weight, **params)
        draws.append(weight.numpy().T.copy())
    return draws


def orthogonality_error(matrix, gain):
    """max |W^T W - gain^2 I| over the small dimension (W W^T for a wide W)."""
    w = matrix.astype(np.float64)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    return float(np.max(np.abs(gram - gain**2 * np.eye(gram.shape[0]))))


def pooled_stats(draws, kind, mean_formula, std_formula, bound):
    values = np.concatenate([d.ravel() for d in draws]).astype(np.float64)
    mean, std = float(values.mean()), float(values.std())
    deviation = np.abs(values - mean_formula)
    stats = {
        "n_values": int(values.size),
        "mean": mean,
        "std": std,
        "min": float(values.min()),
        "max": float(values.max()),
        "abs_max_over_std": float(np.max(np.abs(values - mean)) / std) if std > 0 else None,
        "mean_formula": mean_formula,
        "std_formula": std_formula,
        "frac_beyond_2std_formula": float(np.mean(deviation > 2.0 * std_formula)) if std_formula > 0 else 0.0,
        "expected_frac_beyond_2std_formula": expected_frac_beyond_2std(kind, std_formula, bound),
        "bound_formula": bound,
        "frac_beyond_bound": float(np.mean(deviation > bound * BOUND_SLACK)) if bound is not None else None,
    }
    return stats


def initializer_case(framework, name, params, shape, seed):
    fan_in, fan_out = shape
    n_draws = math.ceil(MIN_VALUES / (fan_in * fan_out))
    draw = draw_keras if framework == "keras" else draw_torch
    draws = draw(name, params, shape, n_draws, seed)
    assert all(d.shape == shape for d in draws), (name, shape)
    kind, mean_formula, std_formula, bound = expected_distribution(name, params, fan_in, fan_out)
    stats = pooled_stats(draws, kind, mean_formula, std_formula, bound)
    if name == "orthogonal":
        stats["orthogonality_error"] = max(orthogonality_error(d, params["gain"]) for d in draws)
    if std_formula > 0:  # guards the formulas above, not the frameworks
        assert abs(stats["std"] / std_formula - 1) < 0.01, (framework, name, params, shape, stats)
    param_text = "_".join(f"{v:g}" if isinstance(v, float) else str(v) for v in params.values())
    case_id = f"{framework}_{name}{'_' + param_text if param_text else ''}_{fan_in}x{fan_out}"
    return {"id": case_id, "name": name, "framework": framework, "params": params, "shape": [fan_in, fan_out],
            "n_draws": n_draws, "distribution": kind, "stats": stats}


def initializer_cases():
    keras.config.set_floatx("float32")
    cases, seed = [], 1000
    for shape in SHAPES:
        for name, params in KERAS_INIT_CASES:
            seed += 1
            cases.append(initializer_case("keras", name, params, shape, seed))
    for shape in ORTHOGONAL_SHAPES:
        for gain in (1.0, 2.0):
            seed += 1
            cases.append(initializer_case("keras", "orthogonal", {"gain": gain}, shape, seed))
    for shape in SHAPES:
        for name, params in TORCH_INIT_CASES:
            seed += 1
            cases.append(initializer_case("torch", name, params, shape, seed))
    return cases


def make_initializers():
    gains = {label: torch.nn.init.calculate_gain(nonlinearity, param)
             for label, (nonlinearity, param) in GAINS.items()}
    meta = base_meta(
        dtype="float32 draws (both frameworks' default), statistics computed in float64 over all values pooled",
        layout="shape is [fan_in, fan_out] (Keras and engine kernel layout). torch draws tensors of shape "
        "(fan_out, fan_in) (torch Linear layout), so torch's fan_in equals our fan_in; they are transposed "
        "before the statistics.",
        pytorch_default="torch.nn.Linear(fan_in, fan_out).reset_parameters() weight: "
        "kaiming_uniform_(weight, a=sqrt(5)) = uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))",
        gains=gains,
        gains_note="torch.nn.init.calculate_gain(nonlinearity, param); leaky_relu default param is 0.01",
        keras_truncated_std=KERAS_TRUNCATED_STD,
        stats_definitions={
            "mean, std, min, max": "of all n_values pooled (std with ddof=0)",
            "abs_max_over_std": "max |x - mean| / std (empirical mean and std)",
            "mean_formula, std_formula": "mean and std the formula promises (after truncation)",
            "frac_beyond_2std_formula": "fraction of |x - mean_formula| > 2 std_formula",
            "expected_frac_beyond_2std_formula": "the same probability for the promised distribution",
            "bound_formula": "truncation bound (|x - mean| <= 2 sigma, sigma = std_formula / keras_truncated_std) "
            "or uniform limit; null for untruncated normals",
            "frac_beyond_bound": "fraction of |x - mean_formula| > bound_formula * (1 + 1e-6), the slack "
            "forgiving float32 rounding. Keras's torch backend draws 4 normals per value and keeps the first "
            "inside +-2 sigma, or the first one when none is: about 0.0455^4 = 4e-6 of the values fall outside",
            "orthogonality_error": "max over draws of max |W^T W - gain^2 I| (W W^T when fan_in < fan_out)",
        },
    )
    write_fixture("initializers.json", meta, initializer_cases())


def main():
    if keras.backend.backend() != "torch":
        sys.exit("run with KERAS_BACKEND=torch")
    if not torch.__version__.startswith(TORCH_VERSION_EXPECTED):
        print(f"warning: torch {torch.__version__}, the fixtures were made with {TORCH_VERSION_EXPECTED}")
    make_schedules()
    make_optimizers()
    make_initializers()


if __name__ == "__main__":
    main()
